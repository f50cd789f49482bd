//! Channels, like `std::sync::mpsc`: many senders, one receiver, unbounded ([`channel`]) or
//! bounded ([`sync_channel`], bound 0 a rendezvous). Built over the facade's [`Mutex`] and
//! [`Condvar`], so a receiver waiting on a channel nobody sends on, or a sender waiting on a
//! full channel nobody receives from, is a deadlock naming the channel.

use super::{Arc, Condvar, Mutex};
use crate::rt;
use std::collections::VecDeque;
use std::fmt;
pub use std::sync::mpsc::{RecvError, RecvTimeoutError, SendError, TryRecvError, TrySendError};
use std::time::Duration;

struct Queue<T> {
    items: VecDeque<T>,
    senders: usize,
    receiver: bool,
    /// How many calls wait in `recv` for an item: what a rendezvous sender hands to.
    receiving: usize,
    /// How many senders of a bounded channel wait for room.
    sending: usize,
}

struct Shared<T> {
    queue: Mutex<Queue<T>>,
    /// Rung when an item arrives or the last sender goes: the receiver waits on it.
    changed: Condvar,
    /// A bounded channel's bound, and the condvar its senders wait on while it is full.
    bounded: Option<(usize, Condvar)>,
}

impl<T> Shared<T> {
    fn new(name: &str, bounded: Option<usize>) -> Arc<Self> {
        Arc::new(Shared {
            queue: Mutex::named(
                format!("{name}.queue"),
                Queue {
                    items: VecDeque::new(),
                    senders: 1,
                    receiver: true,
                    receiving: 0,
                    sending: 0,
                },
            ),
            changed: Condvar::named(name.to_string()),
            bounded: bounded.map(|b| (b, Condvar::named(format!("{name}.full")))),
        })
    }

    /// Whether a bounded channel has room for one more item now. With bound 0 (a rendezvous)
    /// there is room while more receivers wait than items are queued for them.
    fn has_room(&self, q: &Queue<T>) -> bool {
        match &self.bounded {
            None => true,
            Some((0, _)) => q.receiving > q.items.len(),
            Some((bound, _)) => q.items.len() < *bound,
        }
    }

    /// Wake the senders waiting for room, if any wait.
    fn ring_room(&self, q: &Queue<T>) {
        if let Some((_, room)) = &self.bounded {
            if q.sending > 0 {
                room.notify_all();
            }
        }
    }
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
    let shared = Shared::new(name, None);
    let sender = Sender {
        shared: shared.clone(),
    };
    (sender, Receiver { shared })
}

/// A channel that holds at most `bound` items, like `std::sync::mpsc::sync_channel`: a send
/// to a full channel waits for room; with bound 0 every send waits for a receiver to take
/// it. Traces name its lock `sync_channel.queue`, and the condvar a sender waits on while it
/// is full `sync_channel.full`.
#[track_caller]
pub fn sync_channel<T>(bound: usize) -> (SyncSender<T>, Receiver<T>) {
    named_sync_channel("sync_channel", bound)
}

/// A bounded channel whose lock and condvars traces name after `name`.
#[track_caller]
pub fn named_sync_channel<T>(name: &str, bound: usize) -> (SyncSender<T>, Receiver<T>) {
    let shared = Shared::new(name, Some(bound));
    let sender = SyncSender {
        shared: shared.clone(),
    };
    (sender, Receiver { shared })
}

/// Sends to a bounded channel's [`Receiver`], waiting while it is full; clone it for more.
pub struct SyncSender<T> {
    shared: Arc<Shared<T>>,
}

impl<T> SyncSender<T> {
    /// Queue `value`, waiting for room (bound 0: for a receiver); `Err` with it if the
    /// receiver is gone.
    pub fn send(&self, value: T) -> Result<(), SendError<T>> {
        let (_, room) = self
            .shared
            .bounded
            .as_ref()
            .expect("a sync channel is bounded");
        let mut q = self.shared.queue.lock().unwrap();
        while q.receiver && !self.shared.has_room(&q) {
            q.sending += 1;
            q = room.wait(q).unwrap();
            q.sending -= 1;
        }
        if !q.receiver {
            return Err(SendError(value));
        }
        q.items.push_back(value);
        self.shared.changed.notify_all();
        Ok(())
    }

    /// Queue `value` if there is room now (bound 0: if a receiver waits for it).
    pub fn try_send(&self, value: T) -> Result<(), TrySendError<T>> {
        let mut q = self.shared.queue.lock().unwrap();
        if !q.receiver {
            return Err(TrySendError::Disconnected(value));
        }
        if !self.shared.has_room(&q) {
            return Err(TrySendError::Full(value));
        }
        q.items.push_back(value);
        self.shared.changed.notify_all();
        Ok(())
    }
}

impl<T> Clone for SyncSender<T> {
    fn clone(&self) -> Self {
        self.shared.queue.lock().unwrap().senders += 1;
        SyncSender {
            shared: self.shared.clone(),
        }
    }
}

impl<T> Drop for SyncSender<T> {
    fn drop(&mut self) {
        drop_sender(&self.shared);
    }
}

impl<T> fmt::Debug for SyncSender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SyncSender").finish_non_exhaustive()
    }
}

/// One sender fewer; the last one wakes the receiver, which then sees the channel closed.
fn drop_sender<T>(shared: &Shared<T>) {
    if !may_update() {
        return;
    }
    let mut q = shared.queue.lock().unwrap_or_else(|p| p.into_inner());
    q.senders -= 1;
    if q.senders == 0 {
        shared.changed.notify_all();
    }
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
        drop_sender(&self.shared);
    }
}

impl<T> Receiver<T> {
    /// The next value, waiting for one; `Err` once the queue is empty and every sender gone.
    pub fn recv(&self) -> Result<T, RecvError> {
        let mut q = self.shared.queue.lock().unwrap();
        loop {
            if let Some(v) = q.items.pop_front() {
                self.shared.ring_room(&q);
                return Ok(v);
            }
            if q.senders == 0 {
                return Err(RecvError);
            }
            q.receiving += 1;
            // A rendezvous sender can hand over now.
            self.shared.ring_room(&q);
            q = self.shared.changed.wait(q).unwrap();
            q.receiving -= 1;
        }
    }

    /// The next value if one is queued now.
    pub fn try_recv(&self) -> Result<T, TryRecvError> {
        let mut q = self.shared.queue.lock().unwrap();
        match q.items.pop_front() {
            Some(v) => {
                self.shared.ring_room(&q);
                Ok(v)
            }
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
                self.shared.ring_room(&q);
                return Ok(v);
            }
            if q.senders == 0 {
                return Err(RecvTimeoutError::Disconnected);
            }
            let waited = crate::time::now().since_start() - start.since_start();
            let Some(left) = timeout.checked_sub(waited).filter(|l| !l.is_zero()) else {
                return Err(RecvTimeoutError::Timeout);
            };
            q.receiving += 1;
            self.shared.ring_room(&q);
            q = self.shared.changed.wait_timeout(q, left).unwrap().0;
            q.receiving -= 1;
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
        // Senders waiting for room now fail instead.
        self.shared.ring_room(&q);
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
