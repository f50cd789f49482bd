//! A one-value channel, like `tokio::sync::oneshot`: the sender sends once, the receiver
//! awaits it; dropping either end tells the other.
//!
//! The state sits under a facade mutex (`<name>.state`), so a send, a drop and a receive are
//! scheduling points; a receiver waiting on a sender nobody will use is named in the deadlock
//! report ("oneshot NAME").

use super::label;
use crate::future::awaiting;
use crate::sync::{Arc, Mutex as SyncMutex};
use std::borrow::Cow;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

struct State<T> {
    value: Option<T>,
    sender_gone: bool,
    receiver_gone: bool,
    waiter: Option<Waker>,
}

struct Shared<T> {
    name: Cow<'static, str>,
    state: SyncMutex<State<T>>,
}

/// The sender dropped without sending: what the receiver gets instead of a value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecvError;

impl std::fmt::Display for RecvError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the oneshot sender was dropped without sending")
    }
}

impl std::error::Error for RecvError {}

/// A channel named `oneshot`.
pub fn channel<T>() -> (Sender<T>, Receiver<T>) {
    named("oneshot")
}

/// A channel with the name traces and deadlock reports give it.
pub fn named<T>(name: impl Into<Cow<'static, str>>) -> (Sender<T>, Receiver<T>) {
    let name = name.into();
    let shared = Arc::new(Shared {
        state: SyncMutex::named(
            format!("{name}.state"),
            State {
                value: None,
                sender_gone: false,
                receiver_gone: false,
                waiter: None,
            },
        ),
        name,
    });
    (
        Sender {
            shared: Some(shared.clone()),
        },
        Receiver { shared },
    )
}

/// Sends the channel's one value.
pub struct Sender<T> {
    /// `None` once sent.
    shared: Option<Arc<Shared<T>>>,
}

impl<T> Sender<T> {
    /// Send `value`; it comes back if the receiver is gone.
    pub fn send(mut self, value: T) -> Result<(), T> {
        let shared = self.shared.take().expect("a sender sends once");
        label(format!("send {}", shared.name));
        let mut s = shared.state.lock().unwrap();
        if s.receiver_gone {
            return Err(value);
        }
        s.value = Some(value);
        s.sender_gone = true;
        let waiter = s.waiter.take();
        drop(s);
        if let Some(w) = waiter {
            w.wake();
        }
        Ok(())
    }

    /// Whether the receiver is gone, so a send would fail.
    pub fn is_closed(&self) -> bool {
        let shared = self.shared.as_ref().expect("a sender not yet sent");
        shared.state.lock().unwrap().receiver_gone
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        let Some(shared) = self.shared.take() else {
            return;
        };
        if std::thread::panicking() || crate::rt::current().is_none() {
            return;
        }
        let mut s = shared.state.lock().unwrap();
        s.sender_gone = true;
        let waiter = s.waiter.take();
        drop(s);
        if let Some(w) = waiter {
            w.wake();
        }
    }
}

/// Awaits the channel's value: `Err(RecvError)` if the sender dropped without sending.
pub struct Receiver<T> {
    shared: Arc<Shared<T>>,
}

impl<T> Future for Receiver<T> {
    type Output = Result<T, RecvError>;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let shared = &self.shared;
        let mut s = shared.state.lock().unwrap();
        let ready = match s.value.take() {
            Some(v) => Some(Ok(v)),
            None if s.sender_gone => Some(Err(RecvError)),
            None => {
                s.waiter = Some(cx.waker().clone());
                None
            }
        };
        drop(s);
        match ready {
            Some(r) => {
                awaiting(None);
                label(format!("received {}", shared.name));
                Poll::Ready(r)
            }
            None => {
                let name = &shared.name;
                awaiting(Some(&|_| format!("oneshot {name}")));
                Poll::Pending
            }
        }
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        if std::thread::panicking() || crate::rt::current().is_none() {
            return;
        }
        self.shared.state.lock().unwrap().receiver_gone = true;
    }
}
