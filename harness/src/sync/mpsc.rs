//! Channels, like `std::sync::mpsc::channel`: many senders, one receiver, unbounded. Built
//! over the facade's [`Mutex`] and [`Condvar`], so a receiver waiting on a channel nobody
//! sends on is a deadlock naming the channel.

use super::{Arc, Condvar, Mutex};
use crate::rt;
use std::collections::VecDeque;
use std::fmt;
pub use std::sync::mpsc::{RecvError, RecvTimeoutError, SendError, TryRecvError};
use std::time::Duration;

struct Queue<T> {
    items: VecDeque<T>,
    senders: usize,
    receiver: bool,
}

struct Shared<T> {
    queue: Mutex<Queue<T>>,
    changed: Condvar,
}

/// Sends to the channel's [`Receiver`]; clone it for more senders.
pub struct Sender<T> {
    shared: Arc<Shared<T>>,
}

/// Receives what the channel's [`Sender`]s send, in order.
pub struct Receiver<T> {
    shared: Arc<Shared<T>>,
}

/// A channel whose lock and condvar traces name `channel`.
#[track_caller]
pub fn channel<T>() -> (Sender<T>, Receiver<T>) {
    named_channel("channel")
}

/// A channel whose lock and condvar traces name after `name`.
#[track_caller]
pub fn named_channel<T>(name: &str) -> (Sender<T>, Receiver<T>) {
    let shared = Arc::new(Shared {
        queue: Mutex::named(
            format!("{name}.queue"),
            Queue {
                items: VecDeque::new(),
                senders: 1,
                receiver: true,
            },
        ),
        changed: Condvar::named(name.to_string()),
    });
    let sender = Sender {
        shared: shared.clone(),
    };
    (sender, Receiver { shared })
}

/// Whether a drop may touch the channel: not while a failed execution unwinds, nor after
/// the execution is over.
fn may_update() -> bool {
    !std::thread::panicking() && rt::current().is_some()
}

impl<T> Sender<T> {
    /// Queue `value`; `Err` with it if the receiver is gone.
    pub fn send(&self, value: T) -> Result<(), SendError<T>> {
        let mut q = self.shared.queue.lock().unwrap();
        if !q.receiver {
            return Err(SendError(value));
        }
        q.items.push_back(value);
        self.shared.changed.notify_all();
        Ok(())
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        self.shared.queue.lock().unwrap().senders += 1;
        Sender {
            shared: self.shared.clone(),
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        if !may_update() {
            return;
        }
        let mut q = self.shared.queue.lock().unwrap_or_else(|p| p.into_inner());
        q.senders -= 1;
        if q.senders == 0 {
            self.shared.changed.notify_all();
        }
    }
}

impl<T> Receiver<T> {
    /// The next value, waiting for one; `Err` once the queue is empty and every sender gone.
    pub fn recv(&self) -> Result<T, RecvError> {
        let mut q = self.shared.queue.lock().unwrap();
        loop {
            if let Some(v) = q.items.pop_front() {
                return Ok(v);
            }
            if q.senders == 0 {
                return Err(RecvError);
            }
            q = self.shared.changed.wait(q).unwrap();
        }
    }

    /// The next value if one is queued now.
    pub fn try_recv(&self) -> Result<T, TryRecvError> {
        let mut q = self.shared.queue.lock().unwrap();
        match q.items.pop_front() {
            Some(v) => Ok(v),
            None if q.senders == 0 => Err(TryRecvError::Disconnected),
            None => Err(TryRecvError::Empty),
        }
    }

    /// Like [`recv`](Self::recv), giving up after `timeout` (virtual time under the model
    /// backends).
    pub fn recv_timeout(&self, timeout: Duration) -> Result<T, RecvTimeoutError> {
        let mut q = self.shared.queue.lock().unwrap();
        let start = crate::time::now();
        loop {
            if let Some(v) = q.items.pop_front() {
                return Ok(v);
            }
            if q.senders == 0 {
                return Err(RecvTimeoutError::Disconnected);
            }
            let waited = crate::time::now().since_start() - start.since_start();
            let Some(left) = timeout.checked_sub(waited).filter(|l| !l.is_zero()) else {
                return Err(RecvTimeoutError::Timeout);
            };
            q = self.shared.changed.wait_timeout(q, left).unwrap().0;
        }
    }

    /// The values as they come, until every sender is gone.
    pub fn iter(&self) -> impl Iterator<Item = T> + '_ {
        std::iter::from_fn(move || self.recv().ok())
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        if !may_update() {
            return;
        }
        let mut q = self.shared.queue.lock().unwrap_or_else(|p| p.into_inner());
        q.receiver = false;
        q.items.clear();
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender").finish_non_exhaustive()
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver").finish_non_exhaustive()
    }
}
