//! Labeled events: what a model says it is doing, beside what the facade records by itself.
//!
//! Every facade operation (a lock, a wait, an atomic, a spawn) is an event of the execution's
//! trace; `trace::event("heartbeat: acquire lock")` adds a line of the model's own. The trace of
//! a failing execution is what a race file stores and what replay compares.

use crate::rt;
pub use crate::rt::Trace;
pub(crate) use crate::rt::{format_nanos, EventKind};
use std::borrow::Cow;

/// Record a labeled event on the current thread, e.g. `trace::event("Acquired lock")`.
///
/// Labels are what a person reads in a timeline: use the messages the real system logs.
pub fn event(label: impl Into<Cow<'static, str>>) {
    rt::with(|exec| exec.record(rt::me(), EventKind::Label(label.into())));
}

/// Model-level locks: a lock the model implements itself (a Python `Lock` over a mutex and a
/// condvar, a Redis lease, a DynamoDB lock item) names itself with these, so timelines draw its
/// holds and waits and deadlock reports say "waits for LockManager._lock, which it holds
/// itself" instead of naming the mutex or condvar inside.
///
/// Each is one step of the trace (`heartbeat: holds LockManager._lock`). The lock is known by
/// its name alone: no handle to keep, so a model can add the calls without new fields.
///
/// ```
/// use racecheck::{trace, BackendKind, Check};
/// Check::new(|| {
///     trace::asks("LockManager._lock");
///     trace::holds("LockManager._lock");
///     trace::lets_go("LockManager._lock");
/// })
/// .backend(BackendKind::Dfs)
/// .run()
/// .assert_passes();
/// ```
pub fn asks(lock: impl Into<Cow<'static, str>>) {
    model_lock(lock.into(), rt::ModelLockOp::Asks);
}

/// The calling thread now holds the model-level lock (see [`asks`]); taking it again before
/// letting go counts, as a reentrant lock does.
pub fn holds(lock: impl Into<Cow<'static, str>>) {
    model_lock(lock.into(), rt::ModelLockOp::Holds { until: None });
}

/// The calling thread now holds a lease that lapses at `deadline` unless renewed: a timeline
/// ends its bar there, marked as an expiry, if nobody let go before.
pub fn holds_until(lock: impl Into<Cow<'static, str>>, deadline: crate::time::Instant) {
    let until = Some(nanos(deadline));
    model_lock(lock.into(), rt::ModelLockOp::Holds { until });
}

/// The lease's holder (or its heartbeat thread) moved its end to `deadline`.
pub fn renews_until(lock: impl Into<Cow<'static, str>>, deadline: crate::time::Instant) {
    let until = nanos(deadline);
    model_lock(lock.into(), rt::ModelLockOp::Renews { until });
}

/// The calling thread gave the model-level lock back.
pub fn lets_go(lock: impl Into<Cow<'static, str>>) {
    model_lock(lock.into(), rt::ModelLockOp::LetsGo);
}

fn nanos(deadline: crate::time::Instant) -> u64 {
    u64::try_from(deadline.since_start().as_nanos()).unwrap_or(u64::MAX)
}

fn model_lock(lock: Cow<'static, str>, op: rt::ModelLockOp) {
    rt::with(|exec| exec.record_model_lock(rt::me(), lock, op));
}

/// Mark the calling thread's last step as the culprit of an invariant the model checks later:
/// the stale write, where the failing check only sees the damage. A timeline puts the failure
/// band on that step, with `reason`, and links the failing check to it.
///
/// Called inside an [`External`](crate::sync::External) command's closure it marks that
/// command, which is recorded once the closure returns (nothing is recorded inside one).
///
/// ```
/// use racecheck::{trace, BackendKind, Check};
/// Check::new(|| {
///     trace::event("A: wrote 1 over B's 1");
///     trace::mark_suspect("overwrote an update it never read");
/// })
/// .backend(BackendKind::Dfs)
/// .run()
/// .assert_passes();
/// ```
pub fn mark_suspect(reason: impl Into<Cow<'static, str>>) {
    let reason = reason.into();
    if IN_COMMAND.with(|c| c.get()) {
        PENDING_SUSPECT.with(|p| *p.borrow_mut() = Some(reason));
    } else {
        rt::with(|exec| exec.record(rt::me(), EventKind::Suspect(reason)));
    }
}

std::thread_local! {
    /// Inside an `External` command's closure: no step may be recorded now.
    static IN_COMMAND: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    static PENDING_SUSPECT: std::cell::RefCell<Option<Cow<'static, str>>> =
        const { std::cell::RefCell::new(None) };
}

/// Run an `External` command's closure: a [`mark_suspect`] inside it waits for the command's
/// own step. (No thread switches inside a closure, so a plain thread-local is enough.)
pub(crate) fn in_command<R>(f: impl FnOnce() -> R) -> R {
    /// Clears the flag however the closure ends, a panic included.
    struct Leave;
    impl Drop for Leave {
        fn drop(&mut self) {
            IN_COMMAND.with(|c| c.set(false));
        }
    }
    IN_COMMAND.with(|c| c.set(true));
    let _leave = Leave;
    f()
}

/// The suspect marked inside the command just run, if any.
pub(crate) fn take_pending_suspect() -> Option<EventKind> {
    PENDING_SUSPECT.with(|p| p.borrow_mut().take().map(EventKind::Suspect))
}
