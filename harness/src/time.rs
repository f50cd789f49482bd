//! Time, virtual under the model backends and real under real threads.
//!
//! Under loom and shuttle a sleeping thread (or a `Condvar::wait_timeout`) waits on a deadline,
//! and the clock moves only when no thread can run: it jumps to the earliest deadline and wakes
//! the threads due then. So "a thread paused longer than a lease" is an interleaving the
//! schedulers explore and replay, at no wall-clock cost, and a replay gives the same events at
//! the same virtual times. Under real threads, `sleep` sleeps and `now` reads the clock.
//!
//! Async code sleeps with [`sleep_async`] and ticks with [`interval`] (the same as
//! [`crate::future::time`]): a task's sleep leaves its worker free to poll other tasks, while
//! [`sleep`] inside a task blocks the worker thread, as a blocking call in a tokio task does.

pub use crate::future::time::{interval, sleep as sleep_async, Interval};
use crate::rt::{self, Backend};
pub use std::time::Duration;

/// A moment of an execution: the time since it started (virtual or real).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Instant(Duration);

impl Instant {
    /// The time since the execution started.
    pub fn since_start(self) -> Duration {
        self.0
    }

    /// How long ago this was.
    pub fn elapsed(self) -> Duration {
        now().0.saturating_sub(self.0)
    }

    /// The time from `earlier` to this instant (zero if `earlier` is later).
    pub fn duration_since(self, earlier: Instant) -> Duration {
        self.0.saturating_sub(earlier.0)
    }
}

impl std::ops::Add<Duration> for Instant {
    type Output = Instant;
    fn add(self, d: Duration) -> Instant {
        Instant(self.0 + d)
    }
}

/// The current time of the execution.
pub fn now() -> Instant {
    Instant(rt::with(|exec| exec.now()))
}

/// Sleep for `duration`: virtual time under the model backends, real time under real threads.
pub fn sleep(duration: Duration) {
    let exec = rt::with(std::sync::Arc::clone);
    let me = rt::me();
    let in_tokio = exec.backend == Backend::Real && exec.in_tokio();
    exec.sleep(me, duration);
    if in_tokio {
        // A blocking call inside a task: the paused clock must see the time it took.
        crate::future::advance_paused_clock(duration);
    }
}
