//! Atomics, like `std::sync::atomic`. Every operation is a step of the trace with its result.
//!
//! Which backend checks what: loom explores weak-memory reorderings but treats `SeqCst` loads
//! and stores as `AcqRel`; shuttle treats every atomic as `SeqCst`; real threads run the
//! hardware's model. A model that means plain interleaving semantics should use
//! read-modify-write operations or locks.

use crate::rt::{self, ObjectKind, Primitives};
use std::borrow::Cow;
pub use std::sync::atomic::Ordering;

macro_rules! atomic {
    ($(#[$doc:meta])* $name:ident, $prim:ty $(, $int:ident)?) => {
        $(#[$doc])*
        pub struct $name {
            id: usize,
            inner: Inner,
        }

        enum Inner {
            Loom(loom::sync::atomic::$name),
            Shuttle(shuttle::sync::atomic::$name),
            Real(std::sync::atomic::$name),
        }

        /// Announce the access to the schedulers that ask (see `rt::next_op`), then run it.
        macro_rules! dispatch {
            ($self:ident, $access:ident, $a:ident => $e:expr) => {{
                rt::next_op::announce($self.id as u64, rt::next_op::Access::$access);
                match &$self.inner {
                    Inner::Loom($a) => $e,
                    Inner::Shuttle($a) => $e,
                    Inner::Real($a) => $e,
                }
            }};
        }

        impl $name {
            #[track_caller]
            pub fn new(value: $prim) -> Self {
                Self::build(None, value)
            }

            /// An atomic with the name traces give it.
            #[track_caller]
            pub fn named(name: impl Into<Cow<'static, str>>, value: $prim) -> Self {
                Self::build(Some(name.into()), value)
            }

            #[track_caller]
            fn build(name: Option<Cow<'static, str>>, value: $prim) -> Self {
                rt::with(|exec| {
                    let id = exec.register_object(ObjectKind::Atomic, name);
                    let inner = match exec.primitives {
                        Primitives::Loom => Inner::Loom(loom::sync::atomic::$name::new(value)),
                        Primitives::Shuttle => {
                            Inner::Shuttle(shuttle::sync::atomic::$name::new(value))
                        }
                        Primitives::Threads => Inner::Real(std::sync::atomic::$name::new(value)),
                    };
                    $name { id, inner }
                })
            }

            fn step(&self, op: &'static str, value: $prim) {
                rt::next_op::done();
                rt::with(|exec| exec.record_atomic(rt::me(), self.id, op, value as i128));
            }

            /// The value, consuming the atomic (no other thread can reach it): no step.
            pub fn into_inner(self) -> $prim {
                match self.inner {
                    Inner::Loom(a) => a.into_inner(),
                    Inner::Shuttle(a) => a.into_inner(),
                    Inner::Real(a) => a.into_inner(),
                }
            }

            pub fn load(&self, order: Ordering) -> $prim {
                let v = dispatch!(self, Read, a => a.load(order));
                self.step("load", v);
                v
            }

            pub fn store(&self, value: $prim, order: Ordering) {
                dispatch!(self, Write, a => a.store(value, order));
                self.step("store", value);
            }

            /// Store `value`, returning the previous value.
            pub fn swap(&self, value: $prim, order: Ordering) -> $prim {
                let v = dispatch!(self, ReadWrite, a => a.swap(value, order));
                self.step("swap", v);
                v
            }

            /// Store `new` if the value is `current`; the previous value either way.
            pub fn compare_exchange(
                &self,
                current: $prim,
                new: $prim,
                success: Ordering,
                failure: Ordering,
            ) -> Result<$prim, $prim> {
                let r = dispatch!(self, ReadWrite, a => a.compare_exchange(current, new, success, failure));
                match r {
                    Ok(v) => self.step("cas-ok", v),
                    Err(v) => self.step("cas-fail", v),
                }
                r
            }

            /// Like [`compare_exchange`](Self::compare_exchange), but may fail spuriously
            /// where the backend's does (real threads; loom and shuttle never do).
            pub fn compare_exchange_weak(
                &self,
                current: $prim,
                new: $prim,
                success: Ordering,
                failure: Ordering,
            ) -> Result<$prim, $prim> {
                let r = dispatch!(self, ReadWrite, a => a.compare_exchange_weak(current, new, success, failure));
                match r {
                    Ok(v) => self.step("cas-ok", v),
                    Err(v) => self.step("cas-fail", v),
                }
                r
            }

            /// Apply `f` until a compare-exchange stores its result, as std's: every load and
            /// every attempt is a step, so the explored retries are those of std's loop.
            /// `Err` with the value if `f` returns `None`.
            pub fn fetch_update(
                &self,
                set_order: Ordering,
                fetch_order: Ordering,
                mut f: impl FnMut($prim) -> Option<$prim>,
            ) -> Result<$prim, $prim> {
                let mut prev = self.load(fetch_order);
                while let Some(next) = f(prev) {
                    match self.compare_exchange_weak(prev, next, set_order, fetch_order) {
                        Ok(v) => return Ok(v),
                        Err(v) => prev = v,
                    }
                }
                Err(prev)
            }

            /// Bitwise and, returning the previous value.
            pub fn fetch_and(&self, value: $prim, order: Ordering) -> $prim {
                let v = dispatch!(self, ReadWrite, a => a.fetch_and(value, order));
                self.step("fetch_and", v);
                v
            }

            /// Bitwise nand, returning the previous value.
            pub fn fetch_nand(&self, value: $prim, order: Ordering) -> $prim {
                let v = dispatch!(self, ReadWrite, a => a.fetch_nand(value, order));
                self.step("fetch_nand", v);
                v
            }

            /// Bitwise or, returning the previous value.
            pub fn fetch_or(&self, value: $prim, order: Ordering) -> $prim {
                let v = dispatch!(self, ReadWrite, a => a.fetch_or(value, order));
                self.step("fetch_or", v);
                v
            }

            /// Bitwise xor, returning the previous value.
            pub fn fetch_xor(&self, value: $prim, order: Ordering) -> $prim {
                let v = dispatch!(self, ReadWrite, a => a.fetch_xor(value, order));
                self.step("fetch_xor", v);
                v
            }

            $(
            /// Add (wrapping), returning the previous value.
            pub fn fetch_add(&self, value: $int, order: Ordering) -> $prim {
                let v = dispatch!(self, ReadWrite, a => a.fetch_add(value, order));
                self.step("fetch_add", v);
                v
            }

            /// Subtract (wrapping), returning the previous value.
            pub fn fetch_sub(&self, value: $int, order: Ordering) -> $prim {
                let v = dispatch!(self, ReadWrite, a => a.fetch_sub(value, order));
                self.step("fetch_sub", v);
                v
            }

            /// Store the maximum of the value and `value`, returning the previous value.
            pub fn fetch_max(&self, value: $int, order: Ordering) -> $prim {
                let v = dispatch!(self, ReadWrite, a => a.fetch_max(value, order));
                self.step("fetch_max", v);
                v
            }

            /// Store the minimum of the value and `value`, returning the previous value.
            pub fn fetch_min(&self, value: $int, order: Ordering) -> $prim {
                let v = dispatch!(self, ReadWrite, a => a.fetch_min(value, order));
                self.step("fetch_min", v);
                v
            }
            )?
        }

        impl Default for $name {
            #[track_caller]
            fn default() -> Self {
                Self::new(<$prim>::default())
            }
        }

        impl From<$prim> for $name {
            #[track_caller]
            fn from(value: $prim) -> Self {
                Self::new(value)
            }
        }

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($name)).field("id", &self.id).finish_non_exhaustive()
            }
        }
    };
}

macro_rules! atomics {
    ($($module:ident: $name:ident, $prim:ty $(, $int:ident)?;)*) => {
        $(
        mod $module {
            use super::*;
            atomic!(
                #[doc = concat!("An atomic `", stringify!($prim), "`, like std's.")]
                $name, $prim $(, $int)?
            );
        }
        pub use $module::$name;
        )*
    };
}

atomics! {
    bool_: AtomicBool, bool;
    u8_: AtomicU8, u8, u8;
    u16_: AtomicU16, u16, u16;
    u32_: AtomicU32, u32, u32;
    u64_: AtomicU64, u64, u64;
    usize_: AtomicUsize, usize, usize;
    i8_: AtomicI8, i8, i8;
    i16_: AtomicI16, i16, i16;
    i32_: AtomicI32, i32, i32;
    i64_: AtomicI64, i64, i64;
    isize_: AtomicIsize, isize, isize;
}
