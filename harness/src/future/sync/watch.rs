//! A single-value broadcast channel, like `tokio::sync::watch`: the sender replaces the value,
//! every receiver sees the newest one, and `changed` waits for a value it has not seen. As in
//! tokio, a receiver learns that the value changed, not how many times: two sends before it
//! looks are one change.
//!
//! Difference from tokio: the value and its version sit under one facade mutex
//! (`<name>.state`), and a [`Ref`] holds it, so two borrows at once wait for each other where
//! tokio's read lock lets them share. Holding a `Ref` across an `.await` is a mistake on both
//! (tokio's docs warn that it holds back the sender); here it also holds back other readers.
//! A task waiting is named in deadlock reports ("watch NAME").

use super::{label, leave_line, wait_in_line, Waiter};
use crate::future::awaiting;
use crate::sync::{Arc, Mutex as SyncMutex, MutexGuard};
use std::borrow::Cow;
use std::collections::VecDeque;
use std::future::Future;
use std::ops::Deref;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

/// Every receiver is gone: the value comes back.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct SendError<T>(pub T);

impl<T> std::fmt::Debug for SendError<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SendError(..)")
    }
}

/// The sender is gone and no unseen value is left.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecvError;

struct State<T> {
    value: T,
    /// How many times the value was replaced.
    version: u64,
    receivers: usize,
    sender_gone: bool,
    /// `changed` futures waiting for a new version.
    waiters: VecDeque<Waiter>,
    next_key: u64,
}

struct Shared<T> {
    name: Cow<'static, str>,
    state: SyncMutex<State<T>>,
}

/// A channel named `watch` holding `init`.
pub fn channel<T>(init: T) -> (Sender<T>, Receiver<T>) {
    named("watch", init)
}

/// A channel with the name traces and deadlock reports give it.
pub fn named<T>(name: impl Into<Cow<'static, str>>, init: T) -> (Sender<T>, Receiver<T>) {
    let name = name.into();
    let shared = Arc::new(Shared {
        state: SyncMutex::named(
            format!("{name}.state"),
            State {
                value: init,
                version: 0,
                receivers: 1,
                sender_gone: false,
                waiters: VecDeque::new(),
                next_key: 0,
            },
        ),
        name,
    });
    (
        Sender {
            shared: shared.clone(),
        },
        Receiver { shared, seen: 0 },
    )
}

/// A borrow of the current value; holds the channel's lock until dropped.
pub struct Ref<'a, T> {
    guard: MutexGuard<'a, State<T>>,
}

impl<T> Deref for Ref<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.guard.value
    }
}

/// Replaces the value.
pub struct Sender<T> {
    shared: Arc<Shared<T>>,
}

impl<T> Sender<T> {
    /// Replace the value and wake every waiting receiver; with no receiver left the value
    /// comes back and the channel keeps the old one, as in tokio.
    pub fn send(&self, value: T) -> Result<(), SendError<T>> {
        let mut s = self.shared.state.lock().unwrap();
        if s.receivers == 0 {
            return Err(SendError(value));
        }
        s.value = value;
        self.publish(s);
        Ok(())
    }

    /// Change the value in place (whether or not anyone receives), waking the receivers.
    pub fn send_modify(&self, modify: impl FnOnce(&mut T)) {
        let mut s = self.shared.state.lock().unwrap();
        modify(&mut s.value);
        self.publish(s);
    }

    /// Replace the value (whether or not anyone receives); the old one.
    pub fn send_replace(&self, value: T) -> T {
        let mut s = self.shared.state.lock().unwrap();
        let old = std::mem::replace(&mut s.value, value);
        self.publish(s);
        old
    }

    fn publish(&self, mut s: MutexGuard<'_, State<T>>) {
        s.version += 1;
        let wake: Vec<Waker> = s.waiters.iter().map(|w| w.waker.clone()).collect();
        drop(s);
        label(format!("send {}", self.shared.name));
        wake.into_iter().for_each(Waker::wake);
    }

    /// The current value.
    pub fn borrow(&self) -> Ref<'_, T> {
        Ref {
            guard: self.shared.state.lock().unwrap(),
        }
    }

    /// A new receiver that has seen the current value.
    pub fn subscribe(&self) -> Receiver<T> {
        let mut s = self.shared.state.lock().unwrap();
        s.receivers += 1;
        let seen = s.version;
        drop(s);
        Receiver {
            shared: self.shared.clone(),
            seen,
        }
    }

    pub fn receiver_count(&self) -> usize {
        self.shared.state.lock().unwrap().receivers
    }

    /// Whether every receiver is gone.
    pub fn is_closed(&self) -> bool {
        self.receiver_count() == 0
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        if std::thread::panicking() || crate::rt::current().is_none() {
            return;
        }
        let mut s = self.shared.state.lock().unwrap();
        s.sender_gone = true;
        let wake: Vec<Waker> = s.waiters.iter().map(|w| w.waker.clone()).collect();
        drop(s);
        wake.into_iter().for_each(Waker::wake);
    }
}

/// Sees the newest value; each receiver remembers which version it has seen.
pub struct Receiver<T> {
    shared: Arc<Shared<T>>,
    seen: u64,
}

impl<T> Clone for Receiver<T> {
    fn clone(&self) -> Self {
        self.shared.state.lock().unwrap().receivers += 1;
        Receiver {
            shared: self.shared.clone(),
            seen: self.seen,
        }
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        if std::thread::panicking() || crate::rt::current().is_none() {
            return;
        }
        self.shared.state.lock().unwrap().receivers -= 1;
    }
}

impl<T> Receiver<T> {
    /// The current value, without marking it seen.
    pub fn borrow(&self) -> Ref<'_, T> {
        Ref {
            guard: self.shared.state.lock().unwrap(),
        }
    }

    /// The current value, marked seen: a later `changed` waits for a newer one.
    pub fn borrow_and_update(&mut self) -> Ref<'_, T> {
        let guard = self.shared.state.lock().unwrap();
        self.seen = guard.version;
        Ref { guard }
    }

    /// Whether a value this receiver has not seen is there; `Err` once the sender is gone.
    pub fn has_changed(&self) -> Result<bool, RecvError> {
        let s = self.shared.state.lock().unwrap();
        if s.sender_gone {
            return Err(RecvError);
        }
        Ok(s.version != self.seen)
    }

    /// Wait for a value this receiver has not seen, and mark it seen; `Err` once the sender
    /// is gone with no such value left.
    pub fn changed(&mut self) -> Changed<'_, T> {
        Changed {
            shared: &self.shared,
            seen: &mut self.seen,
            key: None,
        }
    }

    /// Wait until the value satisfies `f` (the current value first, then each change), mark
    /// it seen and hold it, as tokio's `wait_for`; `Err` once the sender is gone and no value
    /// left satisfies it.
    pub async fn wait_for(
        &mut self,
        mut f: impl FnMut(&T) -> bool,
    ) -> Result<Ref<'_, T>, RecvError> {
        let (shared, seen) = (&self.shared, &mut self.seen);
        loop {
            let guard = shared.state.lock().unwrap();
            *seen = guard.version;
            if f(&guard.value) {
                return Ok(Ref { guard });
            }
            drop(guard);
            Changed {
                shared,
                seen: &mut *seen,
                key: None,
            }
            .await?;
        }
    }
}

/// The future of [`Receiver::changed`].
#[must_use = "a change is not waited for unless awaited"]
pub struct Changed<'a, T> {
    shared: &'a Shared<T>,
    /// The version the receiver has seen.
    seen: &'a mut u64,
    key: Option<u64>,
}

impl<T> Future for Changed<'_, T> {
    type Output = Result<(), RecvError>;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let shared = this.shared;
        let mut s = shared.state.lock().unwrap();
        let ready = if s.version != *this.seen {
            *this.seen = s.version;
            Some(Ok(()))
        } else if s.sender_gone {
            Some(Err(RecvError))
        } else {
            None
        };
        if ready.is_some() {
            if let Some(k) = this.key.take() {
                leave_line(&mut s.waiters, k);
            }
        } else {
            let st = &mut *s;
            wait_in_line(
                &mut st.waiters,
                &mut st.next_key,
                &mut this.key,
                cx.waker(),
                1,
            );
        }
        drop(s);
        match ready {
            Some(r) => {
                awaiting(None);
                label(format!("changed {}", shared.name));
                Poll::Ready(r)
            }
            None => {
                let name = &shared.name;
                awaiting(Some(&|_| format!("watch {name}")));
                Poll::Pending
            }
        }
    }
}

impl<T> Drop for Changed<'_, T> {
    fn drop(&mut self) {
        let Some(k) = self.key else {
            return;
        };
        if std::thread::panicking() || crate::rt::current().is_none() {
            return;
        }
        leave_line(&mut self.shared.state.lock().unwrap().waiters, k);
    }
}
