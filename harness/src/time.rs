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
use crate::rt::{self, Primitives};
pub use std::time::Duration;

/// Sleep for one of `durations`, chosen as the check explores (see [`crate::choose`]), and
/// return it: a duration known only as a range ("the upload takes 1–3 s") becomes one more
/// thing a check covers. The choice is a step of the trace: `A: upload: 3s (choice 3 of 3)`.
///
/// # Panics
/// If `durations` is empty, or outside a racecheck check.
#[track_caller]
pub fn sleep_for_one_of(label: &'static str, durations: &[Duration]) -> Duration {
    let d = crate::choose(label, durations);
    sleep(d);
    d
}

/// `from`, `from + step`, … up to `to` included: a range of durations to choose from.
///
/// ```
/// use racecheck::time::{durations, Duration};
/// let s = Duration::from_secs;
/// assert_eq!(durations(s(1), s(3), s(1)), vec![s(1), s(2), s(3)]);
/// ```
///
/// # Panics
/// If `step` is zero.
pub fn durations(from: Duration, to: Duration, step: Duration) -> Vec<Duration> {
    assert!(
        !step.is_zero(),
        "racecheck::time::durations needs a step above zero"
    );
    let mut out = Vec::new();
    let mut d = from;
    while d <= to {
        out.push(d);
        d += step;
    }
    out
}

/// A duration known only as a range: `from`, `from + step`, … up to `to`. Under a check,
/// [`Span::sleep`] and [`Span::choose`] pick one as [`crate::choose`] does; a span of one
/// value makes no choice at all (and no step in the trace).
///
/// ```
/// use racecheck::time::{Duration, Span};
/// let upload = Span::between(Duration::from_secs(1), Duration::from_secs(3), Duration::from_secs(1));
/// assert_eq!(upload.options().len(), 3);
/// assert!(Span::exactly(Duration::from_secs(2)).is_exact());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Span {
    from: Duration,
    to: Duration,
    step: Duration,
}

impl Span {
    /// Always `d`.
    pub const fn exactly(d: Duration) -> Span {
        Span {
            from: d,
            to: d,
            step: Duration::ZERO,
        }
    }

    /// One of `from`, `from + step`, … up to `to` included.
    ///
    /// # Panics
    /// If `step` is zero while `from < to`, or `to < from`.
    pub const fn between(from: Duration, to: Duration, step: Duration) -> Span {
        assert!(
            from.as_nanos() <= to.as_nanos(),
            "a span ends after it starts"
        );
        assert!(
            step.as_nanos() > 0 || from.as_nanos() == to.as_nanos(),
            "a span of more than one value needs a step above zero"
        );
        Span { from, to, step }
    }

    /// Whether the span holds one value only.
    pub fn is_exact(self) -> bool {
        self.from == self.to
    }

    /// The shortest value.
    pub fn min(self) -> Duration {
        self.from
    }

    /// Every value, shortest first.
    pub fn options(self) -> Vec<Duration> {
        if self.is_exact() {
            vec![self.from]
        } else {
            durations(self.from, self.to, self.step)
        }
    }

    /// One value, chosen as the check explores (the only one, with no step, if exact).
    #[track_caller]
    pub fn choose(self, label: &'static str) -> Duration {
        if self.is_exact() {
            self.from
        } else {
            crate::choose(label, &self.options())
        }
    }

    /// Sleep for [`Span::choose`]'s value, and return it.
    #[track_caller]
    pub fn sleep(self, label: &'static str) -> Duration {
        let d = self.choose(label);
        sleep(d);
        d
    }
}

impl From<Duration> for Span {
    fn from(d: Duration) -> Span {
        Span::exactly(d)
    }
}

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
    let in_tokio = exec.primitives == Primitives::Threads && exec.in_tokio();
    exec.sleep(me, duration);
    if in_tokio {
        // A blocking call inside a task: the paused clock must see the time it took.
        crate::future::advance_paused_clock(duration);
    }
}
