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
