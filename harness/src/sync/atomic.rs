//! Atomics, like `std::sync::atomic`. Every operation is a step of the trace with its result.
//!
//! Which backend checks what: loom explores weak-memory reorderings but treats `SeqCst` loads
//! and stores as `AcqRel`; shuttle treats every atomic as `SeqCst`; real threads run the
//! hardware's model. A model that means plain interleaving semantics should use
//! read-modify-write operations or locks.

use crate::rt::{self, Backend, ObjectKind};
use std::borrow::Cow;
pub use std::sync::atomic::Ordering;

macro_rules! atomic {
    ($(#[$doc:meta])* $name:ident, $prim:ty, $($int:ident)?) => {
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

        macro_rules! dispatch {
            ($self:ident, $a:ident => $e:expr) => {
                match &$self.inner {
                    Inner::Loom($a) => $e,
                    Inner::Shuttle($a) => $e,
                    Inner::Real($a) => $e,
                }
            };
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
                    let inner = match exec.backend {
                        Backend::Loom => Inner::Loom(loom::sync::atomic::$name::new(value)),
                        Backend::Shuttle => {
                            Inner::Shuttle(shuttle::sync::atomic::$name::new(value))
                        }
                        Backend::Real => Inner::Real(std::sync::atomic::$name::new(value)),
                    };
                    $name { id, inner }
                })
            }

            fn step(&self, op: &'static str, value: $prim) {
                rt::with(|exec| exec.record_atomic(rt::me(), self.id, op, value as i128));
            }

            pub fn load(&self, order: Ordering) -> $prim {
                let v = dispatch!(self, a => a.load(order));
                self.step("load", v);
                v
            }

            pub fn store(&self, value: $prim, order: Ordering) {
                dispatch!(self, a => a.store(value, order));
                self.step("store", value);
            }

            /// Store `value`, returning the previous value.
            pub fn swap(&self, value: $prim, order: Ordering) -> $prim {
                let v = dispatch!(self, a => a.swap(value, order));
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
                let r = dispatch!(self, a => a.compare_exchange(current, new, success, failure));
                match r {
                    Ok(v) => self.step("cas-ok", v),
                    Err(v) => self.step("cas-fail", v),
                }
                r
            }

            $(
            /// Add, returning the previous value.
            pub fn fetch_add(&self, value: $int, order: Ordering) -> $prim {
                let v = dispatch!(self, a => a.fetch_add(value, order));
                self.step("fetch_add", v);
                v
            }

            /// Subtract, returning the previous value.
            pub fn fetch_sub(&self, value: $int, order: Ordering) -> $prim {
                let v = dispatch!(self, a => a.fetch_sub(value, order));
                self.step("fetch_sub", v);
                v
            }
            )?
        }

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($name)).field("id", &self.id).finish_non_exhaustive()
            }
        }
    };
}

mod bool_ {
    use super::*;
    atomic!(
        /// An atomic `bool`.
        AtomicBool, bool,
    );
}
mod usize_ {
    use super::*;
    atomic!(
        /// An atomic `usize`.
        AtomicUsize, usize, usize
    );
}
mod u32_ {
    use super::*;
    atomic!(
        /// An atomic `u32`.
        AtomicU32, u32, u32
    );
}
mod u64_ {
    use super::*;
    atomic!(
        /// An atomic `u64`.
        AtomicU64, u64, u64
    );
}
mod i64_ {
    use super::*;
    atomic!(
        /// An atomic `i64`.
        AtomicI64, i64, i64
    );
}

pub use bool_::AtomicBool;
pub use i64_::AtomicI64;
pub use u32_::AtomicU32;
pub use u64_::AtomicU64;
pub use usize_::AtomicUsize;
