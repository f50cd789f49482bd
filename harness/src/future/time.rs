//! Sleeps and intervals for tasks, like `tokio::time`: virtual time under every backend.
//!
//! Under the model backends a sleeping task registers a timer with its runtime and leaves its
//! worker free; the clock moves when no thread can run. Under the real backend they are tokio's
//! timers on the paused clock.

pub use super::timeout::{timeout, Elapsed, Timeout};

use super::{awaiting, current_shared, now_nanos};
use crate::rt::ExecutorRef;
use crate::rt::{self, Primitives};
use crate::trace::{format_nanos, EventKind};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

/// Sleep for `duration` without blocking the worker.
pub fn sleep(duration: Duration) -> Sleep {
    let now = rt::with(|exec| now_nanos(exec));
    Sleep::until(now.saturating_add(nanos(duration)))
}

/// A tick every `period`, the first one at once; missed ticks fire at once, one after another
/// (tokio's default `MissedTickBehavior::Burst`).
pub fn interval(period: Duration) -> Interval {
    assert!(!period.is_zero(), "an interval's period must be positive");
    let now = rt::with(|exec| now_nanos(exec));
    Interval { period, next: now }
}

/// A tick every period: see [`interval`].
#[derive(Debug)]
pub struct Interval {
    period: Duration,
    /// The next tick's deadline, in virtual nanoseconds since the execution started.
    next: u64,
}

impl Interval {
    /// Wait for the next tick.
    pub async fn tick(&mut self) {
        let at = self.next;
        self.next = at.saturating_add(nanos(self.period));
        Sleep::until(at).await
    }

    pub fn period(&self) -> Duration {
        self.period
    }
}

fn nanos(d: Duration) -> u64 {
    d.as_nanos().min(u128::from(u64::MAX)) as u64
}

/// The future of [`sleep`].
#[must_use = "a sleep does nothing unless awaited"]
pub struct Sleep {
    deadline: u64,
    started: bool,
    inner: Inner,
}

enum Inner {
    /// The runtime and key of the registered timer, once registered.
    Model(Option<(ExecutorRef, u64)>),
    Tokio(Option<Pin<Box<tokio::time::Sleep>>>),
}

impl Sleep {
    fn until(deadline: u64) -> Sleep {
        let real = rt::with(|exec| exec.primitives == Primitives::Threads);
        Sleep {
            deadline,
            started: false,
            inner: if real {
                Inner::Tokio(None)
            } else {
                Inner::Model(None)
            },
        }
    }
}

impl Future for Sleep {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        let exec = rt::with(Arc::clone);
        let me = rt::me();
        let now = now_nanos(&exec);
        if !std::mem::replace(&mut this.started, true) {
            let duration = this.deadline.saturating_sub(now);
            exec.record(me, EventKind::Sleep { duration });
        }
        let deadline = this.deadline;
        let done = match &mut this.inner {
            Inner::Model(timer) => {
                if now >= deadline {
                    if let Some((shared, key)) = timer.take() {
                        shared.cancel_timer(key);
                    }
                    true
                } else {
                    let shared =
                        current_shared(&exec, me).expect("an async sleep outside a runtime's task");
                    let key = shared.set_timer(timer.as_ref().map(|t| t.1), deadline, cx.waker());
                    *timer = Some((shared, key));
                    false
                }
            }
            Inner::Tokio(sleep) => {
                let start = *exec
                    .tokio_start
                    .get()
                    .expect("an async sleep outside future::block_on");
                let sleep = sleep.get_or_insert_with(|| {
                    Box::pin(tokio::time::sleep_until(
                        start + Duration::from_nanos(deadline),
                    ))
                });
                sleep.as_mut().poll(cx).is_ready()
            }
        };
        if done {
            awaiting(None);
            exec.record(me, EventKind::Woke);
            Poll::Ready(())
        } else {
            awaiting(Some(&|_| format!("sleep until {}", format_nanos(deadline))));
            Poll::Pending
        }
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        if let Inner::Model(Some((shared, key))) = &self.inner {
            shared.cancel_timer(*key);
        }
    }
}
