//! A counting semaphore, like `tokio::sync::Semaphore`: `acquire` awaits a permit, the permit
//! gives it back when dropped, and waiters are served first come first (tokio's is fair too).
//!
//! The count and the queue of waiters sit under a facade mutex (`<name>.state`); a task waiting
//! for a permit is named in deadlock reports ("semaphore NAME").

use super::label;
use crate::future::awaiting;
use crate::sync::Mutex as SyncMutex;
use std::borrow::Cow;
use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

pub struct Semaphore {
    name: Cow<'static, str>,
    state: SyncMutex<State>,
}

struct State {
    permits: usize,
    /// Waiting acquires, by key, first come first.
    waiters: VecDeque<(u64, Waker)>,
    next_key: u64,
}

impl Semaphore {
    /// A semaphore named `semaphore` with `permits` permits.
    pub fn new(permits: usize) -> Self {
        Self::named("semaphore", permits)
    }

    /// A semaphore with the name traces and deadlock reports give it.
    pub fn named(name: impl Into<Cow<'static, str>>, permits: usize) -> Self {
        let name = name.into();
        Semaphore {
            state: SyncMutex::named(
                format!("{name}.state"),
                State {
                    permits,
                    waiters: VecDeque::new(),
                    next_key: 0,
                },
            ),
            name,
        }
    }

    /// Wait for a permit.
    pub fn acquire(&self) -> Acquire<'_> {
        Acquire {
            semaphore: self,
            key: None,
        }
    }

    /// The permits free now.
    pub fn available_permits(&self) -> usize {
        self.state.lock().unwrap().permits
    }

    /// Give `n` permits (back): the first waiters may take them.
    pub fn add_permits(&self, n: usize) {
        let mut s = self.state.lock().unwrap();
        s.permits += n;
        let wake: Vec<Waker> = s
            .waiters
            .iter()
            .take(s.permits)
            .map(|w| w.1.clone())
            .collect();
        drop(s);
        wake.into_iter().for_each(Waker::wake);
    }
}

/// The future of [`Semaphore::acquire`].
#[must_use = "a permit is not taken unless awaited"]
pub struct Acquire<'a> {
    semaphore: &'a Semaphore,
    key: Option<u64>,
}

impl<'a> Future for Acquire<'a> {
    type Output = SemaphorePermit<'a>;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<SemaphorePermit<'a>> {
        let this = self.get_mut();
        let sem = this.semaphore;
        let mut s = sem.state.lock().unwrap();
        // First come first: a permit goes to the oldest waiter, so a newcomer queues.
        let first = match this.key {
            Some(k) => s.waiters.front().is_some_and(|w| w.0 == k),
            None => s.waiters.is_empty(),
        };
        if first && s.permits > 0 {
            s.permits -= 1;
            if let Some(k) = this.key.take() {
                s.waiters.retain(|w| w.0 != k);
            }
            // A waiter woken with this one but polled before it found itself behind: it is
            // first now, and a permit may be left for it.
            let next = (s.permits > 0)
                .then(|| s.waiters.front().map(|w| w.1.clone()))
                .flatten();
            drop(s);
            if let Some(w) = next {
                w.wake();
            }
            awaiting(None);
            label(format!("acquired {}", sem.name));
            return Poll::Ready(SemaphorePermit { semaphore: sem });
        }
        let st = &mut *s;
        super::wait_in_line(&mut st.waiters, &mut st.next_key, &mut this.key, cx.waker());
        drop(s);
        let name = &sem.name;
        awaiting(Some(&|_| format!("semaphore {name}")));
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
        s.waiters.retain(|w| w.0 != k);
        // A cancelled first waiter must not strand the permit it was to take.
        let next = (s.permits > 0).then(|| s.waiters.front().map(|w| w.1.clone()));
        drop(s);
        if let Some(Some(w)) = next {
            w.wake();
        }
    }
}

/// A permit of a [`Semaphore`], given back when dropped.
pub struct SemaphorePermit<'a> {
    semaphore: &'a Semaphore,
}

impl Drop for SemaphorePermit<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() || crate::rt::current().is_none() {
            return;
        }
        label(format!("release {}", self.semaphore.name));
        self.semaphore.add_permits(1);
    }
}
