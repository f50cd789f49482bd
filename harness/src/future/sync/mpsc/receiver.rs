//! The receiving half of a channel: [`Receiver`], its [`Recv`] future, and the unbounded
//! form; closing, by the receiver or by its drop, releases every waiting sender.

use super::{Chan, TryRecvError};
use crate::future::awaiting;
use crate::future::sync::label;
use crate::sync::Arc;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

/// Receives from a bounded channel.
pub struct Receiver<T> {
    pub(super) chan: Arc<Chan<T>>,
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

/// Receives from an unbounded channel.
pub struct UnboundedReceiver<T>(pub(super) Receiver<T>);

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
