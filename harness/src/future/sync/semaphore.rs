//! A counting semaphore, like `tokio::sync::Semaphore`: `acquire` (or `acquire_many`) awaits
//! permits, the permit gives them back when dropped, and waiters are served first come first
//! (tokio's is fair too: a waiter needing many permits holds back those behind it). `close`
//! fails every waiting and later acquire with [`AcquireError`], as tokio's does.
//!
//! `try_acquire` takes permits only if no waiter has a claim on them: tokio hands released
//! permits to the waiters in the queue first (a waiter needing more than are free absorbs them
//! all), so what it can take at once is what is left after every waiter's need.
//!
//! The count and the queue of waiters sit under a facade mutex (`<name>.state`); a task waiting
//! for a permit is named in deadlock reports ("semaphore NAME", or what the owner calls it, as
//! "async rwlock NAME" for [`RwLock`](super::RwLock), which is built on it).

use super::{label, leave_line, wait_in_line, Waiter};
use crate::future::awaiting;
use crate::sync::Mutex as SyncMutex;
use std::borrow::Cow;
use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

pub struct Semaphore {
    name: Cow<'static, str>,
    /// What a waiter waits on, for deadlock reports: "semaphore" or its owner's kind.
    kind: &'static str,
    state: SyncMutex<State>,
}

struct State {
    permits: usize,
    closed: bool,
    /// Waiting acquires, first come first.
    waiters: VecDeque<Waiter>,
    next_key: u64,
}

impl State {
    /// The wakers of the waiters at the front whose needs the free permits cover, in order:
    /// a waiter that does not fit holds back those behind it.
    fn fitting(&self) -> Vec<Waker> {
        let mut left = self.permits;
        let mut wake = Vec::new();
        for w in &self.waiters {
            if w.need > left {
                break;
            }
            left -= w.need;
            wake.push(w.waker.clone());
        }
        wake
    }
}

impl Semaphore {
    /// A semaphore named `semaphore` with `permits` permits.
    pub fn new(permits: usize) -> Self {
        Self::named("semaphore", permits)
    }

    /// A semaphore with the name traces and deadlock reports give it.
    pub fn named(name: impl Into<Cow<'static, str>>, permits: usize) -> Self {
        Self::of_kind("semaphore", name, permits)
    }

    /// A semaphore a waiter on which is said to wait on "`kind` NAME".
    pub(super) fn of_kind(
        kind: &'static str,
        name: impl Into<Cow<'static, str>>,
        permits: usize,
    ) -> Self {
        let name = name.into();
        Semaphore {
            state: SyncMutex::named(
                format!("{name}.state"),
                State {
                    permits,
                    closed: false,
                    waiters: VecDeque::new(),
                    next_key: 0,
                },
            ),
            name,
            kind,
        }
    }

    /// Wait for a permit.
    pub fn acquire(&self) -> Acquire<'_> {
        self.acquire_units(1)
    }

    /// Wait for `n` permits at once, taken together when the waiter's turn comes.
    pub fn acquire_many(&self, n: u32) -> Acquire<'_> {
        self.acquire_units(n as usize)
    }

    pub(super) fn acquire_units(&self, need: usize) -> Acquire<'_> {
        Acquire {
            semaphore: self,
            key: None,
            need,
        }
    }

    /// Take a permit now if one is free for a newcomer: `NoPermits` otherwise (see the module
    /// doc for what waiters leave), `Closed` after [`close`](Self::close).
    pub fn try_acquire(&self) -> Result<SemaphorePermit<'_>, TryAcquireError> {
        self.try_acquire_units(1)
    }

    /// Take `n` permits now, as [`try_acquire`](Self::try_acquire) takes one.
    pub fn try_acquire_many(&self, n: u32) -> Result<SemaphorePermit<'_>, TryAcquireError> {
        self.try_acquire_units(n as usize)
    }

    fn try_acquire_units(&self, need: usize) -> Result<SemaphorePermit<'_>, TryAcquireError> {
        let mut s = self.state.lock().unwrap();
        if s.closed {
            return Err(TryAcquireError::Closed);
        }
        let claimed: usize = s.waiters.iter().map(|w| w.need).sum();
        if s.permits.saturating_sub(claimed) < need {
            return Err(TryAcquireError::NoPermits);
        }
        s.permits -= need;
        drop(s);
        label(format!("acquired {}", self.name));
        Ok(SemaphorePermit {
            semaphore: self,
            permits: need,
        })
    }

    /// Close the semaphore: every waiting acquire and every later one fails with
    /// [`AcquireError`]; permits already held still come back when dropped.
    pub fn close(&self) {
        let mut s = self.state.lock().unwrap();
        s.closed = true;
        let wake: Vec<Waker> = s.waiters.iter().map(|w| w.waker.clone()).collect();
        drop(s);
        label(format!("close {}", self.name));
        wake.into_iter().for_each(Waker::wake);
    }

    pub fn is_closed(&self) -> bool {
        self.state.lock().unwrap().closed
    }

    /// The permits free now.
    pub fn available_permits(&self) -> usize {
        self.state.lock().unwrap().permits
    }

    /// Give `n` permits (back): the first waiters may take them.
    pub fn add_permits(&self, n: usize) {
        let mut s = self.state.lock().unwrap();
        s.permits += n;
        let wake = s.fitting();
        drop(s);
        wake.into_iter().for_each(Waker::wake);
    }
}

/// The future of [`Semaphore::acquire`] and [`Semaphore::acquire_many`].
#[must_use = "a permit is not taken unless awaited"]
pub struct Acquire<'a> {
    semaphore: &'a Semaphore,
    key: Option<u64>,
    need: usize,
}

impl<'a> Future for Acquire<'a> {
    type Output = Result<SemaphorePermit<'a>, AcquireError>;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let sem = this.semaphore;
        let mut s = sem.state.lock().unwrap();
        if s.closed {
            if let Some(k) = this.key.take() {
                leave_line(&mut s.waiters, k);
            }
            drop(s);
            awaiting(None);
            return Poll::Ready(Err(AcquireError(())));
        }
        // First come first: permits go to the oldest waiter, so a newcomer queues.
        let first = match this.key {
            Some(k) => s.waiters.front().is_some_and(|w| w.key == k),
            None => s.waiters.is_empty(),
        };
        if first && s.permits >= this.need {
            s.permits -= this.need;
            if let Some(k) = this.key.take() {
                leave_line(&mut s.waiters, k);
            }
            // Waiters woken with this one but polled before it found themselves behind it:
            // they are first now, and permits may be left for them.
            // The first of them: it wakes the next in turn when served.
            let next = s.fitting().into_iter().next();
            drop(s);
            next.into_iter().for_each(Waker::wake);
            awaiting(None);
            label(format!("acquired {}", sem.name));
            return Poll::Ready(Ok(SemaphorePermit {
                semaphore: sem,
                permits: this.need,
            }));
        }
        let st = &mut *s;
        wait_in_line(
            &mut st.waiters,
            &mut st.next_key,
            &mut this.key,
            cx.waker(),
            this.need,
        );
        drop(s);
        let (kind, name) = (sem.kind, &sem.name);
        awaiting(Some(&|_| format!("{kind} {name}")));
        Poll::Pending
    }
}

impl Drop for Acquire<'_> {
    fn drop(&mut self) {
        let Some(k) = self.key else {
            return;
        };
        if std::thread::panicking() || crate::rt::current().is_none() {
            return;
        }
        let mut s = self.semaphore.state.lock().unwrap();
        leave_line(&mut s.waiters, k);
        // A cancelled first waiter must not strand the permits it held back.
        let next = s.fitting().into_iter().next();
        drop(s);
        next.into_iter().for_each(Waker::wake);
    }
}

/// Permits of a [`Semaphore`], given back when dropped.
pub struct SemaphorePermit<'a> {
    semaphore: &'a Semaphore,
    permits: usize,
}

impl SemaphorePermit<'_> {
    /// Keep the permits taken for good, as tokio's `forget`.
    pub fn forget(mut self) {
        self.permits = 0;
    }

    /// How many permits this holds.
    pub fn num_permits(&self) -> usize {
        self.permits
    }
}

/// The semaphore was closed: [`Semaphore::acquire`] fails with it, as tokio's does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcquireError(());

impl std::fmt::Display for AcquireError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("semaphore closed")
    }
}

impl std::error::Error for AcquireError {}

/// Why [`Semaphore::try_acquire`] took nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TryAcquireError {
    /// The semaphore was closed.
    Closed,
    /// Not enough permits are free for a newcomer.
    NoPermits,
}

impl std::fmt::Display for TryAcquireError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            TryAcquireError::Closed => "semaphore closed",
            TryAcquireError::NoPermits => "no permits available",
        })
    }
}

impl std::error::Error for TryAcquireError {}

impl Drop for SemaphorePermit<'_> {
    fn drop(&mut self) {
        if self.permits == 0 || std::thread::panicking() || crate::rt::current().is_none() {
            return;
        }
        label(format!("release {}", self.semaphore.name));
        self.semaphore.add_permits(self.permits);
    }
}
