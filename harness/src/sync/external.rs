//! `External<T>`: the state of an external system (a Redis server, a DynamoDB table, an S3
//! bucket) whose commands each execute atomically.
//!
//! A model that keeps such state in a facade [`Mutex`](super::Mutex) pays three scheduling
//! points per command (lock, acquired, release), where the real server has none inside a
//! command: Redis runs each command to completion before the next (redis.io, "Redis is
//! single-threaded", the `MULTI`/`EVAL` pages), and a DynamoDB conditional write is atomic per
//! item (the `ConditionExpression` docs). Those extra points multiply the interleavings loom
//! and DFS must explore without adding any the real system has.
//!
//! Here the state lives in a plain std mutex the backends do not schedule, and each command is
//! one scheduling point on a read-modify-write of a per-object backend atomic. loom's
//! partial-order reduction therefore sees commands on two different objects as independent,
//! and commands on one object as ordered. Each command is one labelled event of the trace.

use crate::rt::{self, EventKind, Primitives};
use std::borrow::Cow;

/// The state of an external system whose commands execute atomically.
///
/// ```
/// use racecheck::sync::External;
/// use racecheck::{BackendKind, Check};
/// Check::new(|| {
///     let redis = External::named("redis", None::<u64>);
///     let granted = redis.command("SET lock NX", |key| key.replace(7).is_none());
///     assert!(granted, "the first SET NX on a free key is granted");
///     assert!(!redis.command("SET lock NX", |key| key.replace(8).is_none()));
/// })
/// .backend(BackendKind::Dfs)
/// .run()
/// .assert_passes();
/// ```
pub struct External<T> {
    name: Cow<'static, str>,
    /// The schedulers' key for it (see `rt::next_op`).
    key: u64,
    point: Point,
    state: std::sync::Mutex<T>,
}

/// The one scheduling point per command.
enum Point {
    Loom(loom::sync::atomic::AtomicUsize),
    Shuttle(shuttle::sync::atomic::AtomicUsize),
    /// Real threads: the std mutex alone makes a command atomic.
    Real,
}

impl<T> External<T> {
    /// External state with the name its commands are labelled with, e.g. `"redis"`.
    #[track_caller]
    pub fn named(name: impl Into<Cow<'static, str>>, value: T) -> Self {
        let name = name.into();
        rt::with(|exec| {
            let point = match exec.primitives {
                Primitives::Loom => Point::Loom(loom::sync::atomic::AtomicUsize::new(0)),
                Primitives::Shuttle => Point::Shuttle(shuttle::sync::atomic::AtomicUsize::new(0)),
                Primitives::Threads => Point::Real,
            };
            External {
                key: rt::next_op::external_key(&name),
                name,
                point,
                state: std::sync::Mutex::new(value),
            }
        })
    }

    /// Execute one command atomically: one scheduling point, then `f` on the state with no
    /// other thread between, recorded as the event `"NAME: COMMAND"`.
    ///
    /// `f` must not use the facade's blocking primitives (it is one indivisible step); reading
    /// [`time::now`](crate::time::now) is fine.
    pub fn command<R>(
        &self,
        command: impl Into<Cow<'static, str>>,
        f: impl FnOnce(&mut T) -> R,
    ) -> R {
        // AcqRel: a command sees every earlier command on this object, under loom too.
        use std::sync::atomic::Ordering::AcqRel;
        rt::next_op::announce(self.key, rt::next_op::Access::ReadWrite);
        match &self.point {
            Point::Loom(a) => {
                a.fetch_add(1, AcqRel);
            }
            Point::Shuttle(a) => {
                a.fetch_add(1, AcqRel);
            }
            Point::Real => {}
        }
        rt::next_op::done();
        let label = EventKind::Label(format!("{}: {}", self.name, command.into()).into());
        let exec = rt::with(std::sync::Arc::clone);
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let result = crate::trace::in_command(|| f(&mut state));
        if exec.primitives == Primitives::Threads {
            // Under the state's lock, so real threads' traces order commands as they ran.
            exec.record(rt::me(), label);
            drop(state);
        } else {
            // One thread runs at a time; a replay may switch at the record, never while the
            // state is locked.
            drop(state);
            exec.record(rt::me(), label);
        }
        // A `trace::mark_suspect` inside `f` names this command: it follows it.
        if let Some(suspect) = crate::trace::take_pending_suspect() {
            exec.record(rt::me(), suspect);
        }
        result
    }
}

impl<T: std::fmt::Debug> std::fmt::Debug for External<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("External")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}
