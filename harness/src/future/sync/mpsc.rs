//! Many-to-one channels, like `tokio::sync::mpsc`: [`channel`]`(n)` holds at most `n`
//! messages, so `send` waits for room (senders are served first come first, as tokio's are:
//! its bounded channel queues senders on a fair semaphore); [`unbounded_channel`] never waits.
//! `recv` gives `None` once every sender is gone and the queue is empty; once the receiver is
//! gone (or closed), sends give the message back.
//!
//! `reserve` waits in the same line as `send` and holds one message's room until its
//! [`Permit`] sends (or is dropped, giving the room back), as tokio's does.
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

mod receiver;
pub use receiver::{Receiver, Recv, UnboundedReceiver};

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
    /// Room held by [`Permit`]s not yet used.
    reserved: usize,
    /// The receiver is gone or closed the channel.
    closed: bool,
    /// Senders waiting for room, first come first.
    send_waiters: VecDeque<Waiter>,
    next_key: u64,
    recv_waiter: Option<Waker>,
}

impl<T> State<T> {
    fn has_room(&self) -> bool {
        self.capacity
            .is_none_or(|c| self.queue.len() + self.reserved < c)
    }

    /// Why a sender that will not wait is refused now, if it is: the receiver is gone, or
    /// there is no room for a newcomer (none free, or senders waiting before it).
    fn refuses_newcomer(&self) -> Option<TrySendError<()>> {
        if self.closed {
            Some(TrySendError::Closed(()))
        } else if !self.has_room() || !self.send_waiters.is_empty() {
            Some(TrySendError::Full(()))
        } else {
            None
        }
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
                reserved: 0,
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

    /// Wait for room as [`send`](Self::send) does, and hold it for one message: the
    /// [`Permit`] sends without waiting. Fails if the receiver is gone.
    pub fn reserve(&self) -> Reserve<'_, T> {
        Reserve {
            chan: &self.chan,
            key: None,
        }
    }

    /// Hold room for one message if there is room now and no sender waits before it.
    pub fn try_reserve(&self) -> Result<Permit<'_, T>, TrySendError<()>> {
        let mut s = self.chan.state.lock().unwrap();
        if let Some(refused) = s.refuses_newcomer() {
            return Err(refused);
        }
        s.reserved += 1;
        drop(s);
        label(format!("reserved {}", self.chan.name));
        Ok(Permit {
            chan: &self.chan,
            used: false,
        })
    }

    /// The room free now for a newcomer: the bound less the messages queued and the room
    /// held by permits.
    pub fn capacity(&self) -> usize {
        let s = self.chan.state.lock().unwrap();
        let held = s.queue.len() + s.reserved;
        s.capacity.map_or(usize::MAX, |c| c.saturating_sub(held))
    }

    /// The bound the channel was made with.
    pub fn max_capacity(&self) -> usize {
        self.chan
            .state
            .lock()
            .unwrap()
            .capacity
            .unwrap_or(usize::MAX)
    }

    /// Queue `value` if there is room now and no sender waits before it.
    pub fn try_send(&self, value: T) -> Result<(), TrySendError<T>> {
        let mut s = self.chan.state.lock().unwrap();
        if let Some(refused) = s.refuses_newcomer() {
            return Err(match refused {
                TrySendError::Closed(()) => TrySendError::Closed(value),
                TrySendError::Full(()) => TrySendError::Full(value),
            });
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
        let value = &mut this.value;
        let room = poll_turn(chan, &mut this.key, cx, |s| {
            s.push(value.take().expect("a send completes once"))
        });
        match room {
            Poll::Ready(true) => {
                label(format!("sent {}", chan.name));
                Poll::Ready(Ok(()))
            }
            Poll::Ready(false) => {
                let value = this.value.take().expect("a send completes once");
                Poll::Ready(Err(SendError(value)))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

/// A sender's turn in the line for room: once first with room, `take` uses it (queueing a
/// message or reserving room; it returns the receiver to wake) and the poll is `Ready(true)`;
/// `Ready(false)` if the channel is closed; otherwise the sender waits in line.
fn poll_turn<T>(
    chan: &Chan<T>,
    key: &mut Option<u64>,
    cx: &mut Context<'_>,
    take: impl FnOnce(&mut State<T>) -> Option<Waker>,
) -> Poll<bool> {
    let mut s = chan.state.lock().unwrap();
    let first = match *key {
        Some(k) => s.send_waiters.front().is_some_and(|w| w.key == k),
        None => s.send_waiters.is_empty(),
    };
    if s.closed || (first && s.has_room()) {
        if let Some(k) = key.take() {
            leave_line(&mut s.send_waiters, k);
        }
        if s.closed {
            drop(s);
            awaiting(None);
            return Poll::Ready(false);
        }
        let recv = take(&mut s);
        let next = s.next_sender();
        drop(s);
        recv.into_iter().chain(next).for_each(Waker::wake);
        awaiting(None);
        return Poll::Ready(true);
    }
    let st = &mut *s;
    wait_in_line(&mut st.send_waiters, &mut st.next_key, key, cx.waker(), 1);
    drop(s);
    let name = &chan.name;
    awaiting(Some(&|_| format!("mpsc {name} (full)")));
    Poll::Pending
}

/// A sender leaving the line before its turn came (its future dropped).
fn leave_turn<T>(chan: &Chan<T>, key: Option<u64>) {
    let Some(k) = key else {
        return;
    };
    if std::thread::panicking() || crate::rt::current().is_none() {
        return;
    }
    let mut s = chan.state.lock().unwrap();
    leave_line(&mut s.send_waiters, k);
    // A cancelled first sender must not strand the room it was to take.
    let next = s.next_sender();
    drop(s);
    if let Some(w) = next {
        w.wake();
    }
}

impl<T> Drop for Send<'_, T> {
    fn drop(&mut self) {
        leave_turn(self.chan, self.key);
    }
}

/// The future of [`Sender::reserve`].
#[must_use = "room is not reserved unless awaited"]
pub struct Reserve<'a, T> {
    chan: &'a Chan<T>,
    key: Option<u64>,
}

impl<'a, T> Future for Reserve<'a, T> {
    type Output = Result<Permit<'a, T>, SendError<()>>;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let chan = this.chan;
        if this.key.is_none() {
            label(format!("reserve {}", chan.name));
        }
        let room = poll_turn(chan, &mut this.key, cx, |s| {
            s.reserved += 1;
            None
        });
        match room {
            Poll::Ready(true) => {
                label(format!("reserved {}", chan.name));
                Poll::Ready(Ok(Permit { chan, used: false }))
            }
            Poll::Ready(false) => Poll::Ready(Err(SendError(()))),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<T> Drop for Reserve<'_, T> {
    fn drop(&mut self) {
        leave_turn(self.chan, self.key);
    }
}

/// Room for one message in a bounded channel, held since [`Sender::reserve`]: `send` uses it
/// without waiting; dropped unused, the room goes back to the next sender in line.
pub struct Permit<'a, T> {
    chan: &'a Chan<T>,
    used: bool,
}

impl<T> Permit<'_, T> {
    /// Queue `value` in the room held. If the receiver has gone meanwhile, the message is
    /// dropped, as tokio's `Permit::send` drops it.
    pub fn send(mut self, value: T) {
        self.used = true;
        let mut s = self.chan.state.lock().unwrap();
        s.reserved -= 1;
        if s.closed {
            drop(s);
            drop(value);
            return;
        }
        let recv = s.push(value);
        drop(s);
        label(format!("sent {}", self.chan.name));
        if let Some(w) = recv {
            w.wake();
        }
    }
}

impl<T> Drop for Permit<'_, T> {
    fn drop(&mut self) {
        if self.used || std::thread::panicking() || crate::rt::current().is_none() {
            return;
        }
        let mut s = self.chan.state.lock().unwrap();
        s.reserved -= 1;
        let next = s.next_sender();
        drop(s);
        label(format!("unreserved {}", self.chan.name));
        if let Some(w) = next {
            w.wake();
        }
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
