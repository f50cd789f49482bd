//! Many-to-one channels, like `tokio::sync::mpsc`: [`channel`]`(n)` holds at most `n`
//! messages, so `send` waits for room (senders are served first come first, as tokio's are:
//! its bounded channel queues senders on a fair semaphore); [`unbounded_channel`] never waits.
//! `recv` gives `None` once every sender is gone and the queue is empty; once the receiver is
//! gone (or closed), sends give the message back.
//!
//! `recv` is cancellation safe as in tokio (a message is taken only by the poll that returns
//! it); a `send` dropped before it completes has not sent, and its message is lost with it.
//! The state sits under a facade mutex (`<name>.state`); a task waiting is named in deadlock
//! reports ("mpsc NAME (full)" for a sender, "mpsc NAME (empty)" for the receiver).

use super::{label, leave_line, wait_in_line, Waiter};
use crate::future::awaiting;
use crate::sync::{Arc, Mutex as SyncMutex};
use std::borrow::Cow;
use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

/// The receiver is gone: the message comes back.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct SendError<T>(pub T);

/// Why `try_send` could not send: the message comes back.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum TrySendError<T> {
    /// No room now (or senders wait before this one).
    Full(T),
    /// The receiver is gone.
    Closed(T),
}

/// Why `try_recv` gave nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TryRecvError {
    /// No message now; senders remain.
    Empty,
    /// No message, and no sender left (or the receiver closed the channel).
    Disconnected,
}

impl<T> std::fmt::Debug for SendError<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SendError(..)")
    }
}

impl<T> std::fmt::Debug for TrySendError<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TrySendError::Full(_) => f.write_str("Full(..)"),
            TrySendError::Closed(_) => f.write_str("Closed(..)"),
        }
    }
}

struct State<T> {
    queue: VecDeque<T>,
    /// `None`: unbounded.
    capacity: Option<usize>,
    senders: usize,
    /// The receiver is gone or closed the channel.
    closed: bool,
    /// Senders waiting for room, first come first.
    send_waiters: VecDeque<Waiter>,
    next_key: u64,
    recv_waiter: Option<Waker>,
}

impl<T> State<T> {
    fn has_room(&self) -> bool {
        self.capacity.is_none_or(|c| self.queue.len() < c)
    }

    /// The first waiting sender, if there is room for it.
    fn next_sender(&self) -> Option<Waker> {
        self.has_room()
            .then(|| self.send_waiters.front().map(|w| w.waker.clone()))
            .flatten()
    }

    /// Queue `value`; the receiver to wake.
    fn push(&mut self, value: T) -> Option<Waker> {
        self.queue.push_back(value);
        self.recv_waiter.take()
    }
}

struct Chan<T> {
    name: Cow<'static, str>,
    state: SyncMutex<State<T>>,
}

fn new_chan<T>(name: Cow<'static, str>, capacity: Option<usize>) -> (Sender<T>, Receiver<T>) {
    let chan = Arc::new(Chan {
        state: SyncMutex::named(
            format!("{name}.state"),
            State {
                queue: VecDeque::new(),
                capacity,
                senders: 1,
                closed: false,
                send_waiters: VecDeque::new(),
                next_key: 0,
                recv_waiter: None,
            },
        ),
        name,
    });
    (Sender { chan: chan.clone() }, Receiver { chan })
}

/// A channel named `mpsc` holding at most `capacity` messages.
///
/// # Panics
/// If `capacity` is 0, as tokio's does.
pub fn channel<T>(capacity: usize) -> (Sender<T>, Receiver<T>) {
    named("mpsc", capacity)
}

/// A bounded channel with the name traces and deadlock reports give it.
pub fn named<T>(name: impl Into<Cow<'static, str>>, capacity: usize) -> (Sender<T>, Receiver<T>) {
    assert!(capacity > 0, "mpsc bounded channel requires capacity > 0");
    new_chan(name.into(), Some(capacity))
}

/// A channel named `mpsc` without a bound: a send never waits.
pub fn unbounded_channel<T>() -> (UnboundedSender<T>, UnboundedReceiver<T>) {
    unbounded_named("mpsc")
}

/// An unbounded channel with the name traces and deadlock reports give it.
pub fn unbounded_named<T>(
    name: impl Into<Cow<'static, str>>,
) -> (UnboundedSender<T>, UnboundedReceiver<T>) {
    let (tx, rx) = new_chan(name.into(), None);
    (UnboundedSender(tx), UnboundedReceiver(rx))
}

/// Sends into a bounded channel; clone it for more senders.
pub struct Sender<T> {
    chan: Arc<Chan<T>>,
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        self.chan.state.lock().unwrap().senders += 1;
        Sender {
            chan: self.chan.clone(),
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        if std::thread::panicking() || crate::rt::current().is_none() {
            return;
        }
        let mut s = self.chan.state.lock().unwrap();
        s.senders -= 1;
        let last = (s.senders == 0).then(|| s.recv_waiter.take()).flatten();
        drop(s);
        if let Some(w) = last {
            w.wake();
        }
    }
}

impl<T> Sender<T> {
    /// Wait for room, then queue `value`; it comes back if the receiver is gone.
    pub fn send(&self, value: T) -> Send<'_, T> {
        Send {
            chan: &self.chan,
            value: Some(value),
            key: None,
        }
    }

    /// Queue `value` if there is room now and no sender waits before it.
    pub fn try_send(&self, value: T) -> Result<(), TrySendError<T>> {
        let mut s = self.chan.state.lock().unwrap();
        if s.closed {
            return Err(TrySendError::Closed(value));
        }
        if !s.has_room() || !s.send_waiters.is_empty() {
            return Err(TrySendError::Full(value));
        }
        let recv = s.push(value);
        drop(s);
        label(format!("sent {}", self.chan.name));
        if let Some(w) = recv {
            w.wake();
        }
        Ok(())
    }

    /// Whether the receiver is gone (or closed the channel), so a send would fail.
    pub fn is_closed(&self) -> bool {
        self.chan.state.lock().unwrap().closed
    }
}

/// The future of [`Sender::send`].
#[must_use = "a message is not sent unless awaited"]
pub struct Send<'a, T> {
    chan: &'a Chan<T>,
    /// `None` once sent or given back.
    value: Option<T>,
    key: Option<u64>,
}

impl<T> Unpin for Send<'_, T> {}

impl<T> Future for Send<'_, T> {
    type Output = Result<(), SendError<T>>;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let chan = this.chan;
        if this.key.is_none() {
            label(format!("send {}", chan.name));
        }
        let mut s = chan.state.lock().unwrap();
        let first = match this.key {
            Some(k) => s.send_waiters.front().is_some_and(|w| w.key == k),
            None => s.send_waiters.is_empty(),
        };
        if s.closed || (first && s.has_room()) {
            if let Some(k) = this.key.take() {
                leave_line(&mut s.send_waiters, k);
            }
            let value = this.value.take().expect("a send completes once");
            if s.closed {
                drop(s);
                awaiting(None);
                return Poll::Ready(Err(SendError(value)));
            }
            let recv = s.push(value);
            let next = s.next_sender();
            drop(s);
            recv.into_iter().chain(next).for_each(Waker::wake);
            awaiting(None);
            label(format!("sent {}", chan.name));
            return Poll::Ready(Ok(()));
        }
        let st = &mut *s;
        wait_in_line(
            &mut st.send_waiters,
            &mut st.next_key,
            &mut this.key,
            cx.waker(),
            1,
        );
        drop(s);
        let name = &chan.name;
        awaiting(Some(&|_| format!("mpsc {name} (full)")));
        Poll::Pending
    }
}

impl<T> Drop for Send<'_, T> {
    fn drop(&mut self) {
        let Some(k) = self.key else {
            return;
        };
        if std::thread::panicking() || crate::rt::current().is_none() {
            return;
        }
        let mut s = self.chan.state.lock().unwrap();
        leave_line(&mut s.send_waiters, k);
        // A cancelled first sender must not strand the room it was to take.
        let next = s.next_sender();
        drop(s);
        if let Some(w) = next {
            w.wake();
        }
    }
}

/// Receives from a bounded channel.
pub struct Receiver<T> {
    chan: Arc<Chan<T>>,
}

impl<T> Receiver<T> {
    /// The next message; `None` once no sender is left (or the channel was closed) and the
    /// queue is empty.
    pub fn recv(&mut self) -> Recv<'_, T> {
        Recv { chan: &self.chan }
    }

    /// The next message if one is queued now.
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        let mut s = self.chan.state.lock().unwrap();
        match s.queue.pop_front() {
            Some(v) => {
                let next = s.next_sender();
                drop(s);
                label(format!("received {}", self.chan.name));
                if let Some(w) = next {
                    w.wake();
                }
                Ok(v)
            }
            None if s.senders == 0 || s.closed => Err(TryRecvError::Disconnected),
            None => Err(TryRecvError::Empty),
        }
    }

    /// Refuse further sends; the messages queued can still be received.
    pub fn close(&mut self) {
        close(&self.chan);
    }
}

/// Mark the channel closed and release every waiting sender (each gets its message back).
fn close<T>(chan: &Chan<T>) {
    let mut s = chan.state.lock().unwrap();
    s.closed = true;
    let wake: Vec<Waker> = s.send_waiters.iter().map(|w| w.waker.clone()).collect();
    drop(s);
    wake.into_iter().for_each(Waker::wake);
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        if std::thread::panicking() || crate::rt::current().is_none() {
            return;
        }
        close(&self.chan);
        // The messages nobody will receive are dropped outside the lock.
        let left = std::mem::take(&mut self.chan.state.lock().unwrap().queue);
        drop(left);
    }
}

/// The future of [`Receiver::recv`].
#[must_use = "a message is not received unless awaited"]
pub struct Recv<'a, T> {
    chan: &'a Chan<T>,
}

impl<T> Future for Recv<'_, T> {
    type Output = Option<T>;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let chan = self.chan;
        let mut s = chan.state.lock().unwrap();
        if let Some(v) = s.queue.pop_front() {
            s.recv_waiter = None;
            let next = s.next_sender();
            drop(s);
            if let Some(w) = next {
                w.wake();
            }
            awaiting(None);
            label(format!("received {}", chan.name));
            return Poll::Ready(Some(v));
        }
        if s.senders == 0 || s.closed {
            s.recv_waiter = None;
            drop(s);
            awaiting(None);
            label(format!("closed {}", chan.name));
            return Poll::Ready(None);
        }
        s.recv_waiter = Some(cx.waker().clone());
        drop(s);
        let name = &chan.name;
        awaiting(Some(&|_| format!("mpsc {name} (empty)")));
        Poll::Pending
    }
}

/// Sends into an unbounded channel without waiting; clone it for more senders.
pub struct UnboundedSender<T>(Sender<T>);

impl<T> Clone for UnboundedSender<T> {
    fn clone(&self) -> Self {
        UnboundedSender(self.0.clone())
    }
}

impl<T> UnboundedSender<T> {
    /// Queue `value`; it comes back if the receiver is gone.
    pub fn send(&self, value: T) -> Result<(), SendError<T>> {
        self.0.try_send(value).map_err(|e| match e {
            TrySendError::Closed(v) | TrySendError::Full(v) => SendError(v),
        })
    }

    /// Whether the receiver is gone (or closed the channel), so a send would fail.
    pub fn is_closed(&self) -> bool {
        self.0.is_closed()
    }
}

/// Receives from an unbounded channel.
pub struct UnboundedReceiver<T>(Receiver<T>);

impl<T> UnboundedReceiver<T> {
    /// The next message; `None` once no sender is left and the queue is empty.
    pub fn recv(&mut self) -> Recv<'_, T> {
        self.0.recv()
    }

    /// The next message if one is queued now.
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        self.0.try_recv()
    }

    /// Refuse further sends; the messages queued can still be received.
    pub fn close(&mut self) {
        self.0.close()
    }
}
