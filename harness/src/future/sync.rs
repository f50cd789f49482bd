//! Async `Mutex`, `Notify`, `Semaphore`, `RwLock` and the channels ([`mpsc`], [`oneshot`],
//! [`watch`]), like tokio's, built from the facade and wakers: they work on
//! every backend (tokio's wakers included) and record the same events everywhere.
//!
//! Each keeps its state under a facade mutex named after it (`<name>.state`), so every step is
//! a scheduling point the explorers see; labels say what the task did (`lock`, `acquired`,
//! `release`, `notify`).

use super::{awaiting, current_task};
use crate::rt::{self, Execution};
use crate::sync::Mutex as SyncMutex;
use crate::trace::EventKind;
use std::borrow::Cow;
use std::cell::UnsafeCell;
use std::collections::VecDeque;
use std::future::Future;
use std::ops::{Deref, DerefMut};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

pub mod mpsc;
pub mod oneshot;
mod rwlock;
mod semaphore;
pub mod watch;

/// A task waiting its turn: its key, the waker to call when its turn may have come, and how
/// many units (permits) it needs.
struct Waiter {
    key: u64,
    waker: Waker,
    need: usize,
}

/// Keep a pending acquirer in a FIFO of keyed waiters: on its first poll it gets the next key
/// and joins the back; on a later poll its entry takes the newest waker.
fn wait_in_line(
    waiters: &mut VecDeque<Waiter>,
    next_key: &mut u64,
    key: &mut Option<u64>,
    waker: &Waker,
    need: usize,
) {
    match *key {
        Some(k) => {
            if let Some(w) = waiters.iter_mut().find(|w| w.key == k) {
                w.waker.clone_from(waker);
            }
        }
        None => {
            let k = *next_key;
            *next_key += 1;
            waiters.push_back(Waiter {
                key: k,
                waker: waker.clone(),
                need,
            });
            *key = Some(k);
        }
    }
}

/// Leave the line (a waiter served or gone).
fn leave_line(waiters: &mut VecDeque<Waiter>, key: u64) {
    waiters.retain(|w| w.key != key);
}

pub use rwlock::{RwLock, RwLockReadGuard, RwLockWriteGuard};
pub use semaphore::{Acquire, AcquireError, Semaphore, SemaphorePermit, TryAcquireError};

fn label(text: String) {
    rt::with(|exec| exec.record(rt::me(), EventKind::Label(text.into())));
}

fn task_label(exec: &Execution, task: Option<usize>) -> String {
    match task {
        Some(t) => format!("task {}", exec.task_name(t)),
        None => "no task".to_string(),
    }
}

/// An async mutex, like `tokio::sync::Mutex`: waiting for it suspends the task, not the
/// worker. Not reentrant: a task locking it again waits for itself, forever.
pub struct Mutex<T> {
    name: Cow<'static, str>,
    state: SyncMutex<LockState>,
    data: UnsafeCell<T>,
}

struct LockState {
    /// The task holding the lock.
    holder: Option<usize>,
    /// Waiting lock futures, by key, first come first.
    waiters: VecDeque<Waiter>,
    next_key: u64,
}

// SAFETY: `data` is reached only through a `MutexGuard`, and a guard exists only while
// `holder` is set by the guard's creator, so one task at a time reaches it.
unsafe impl<T: Send> Sync for Mutex<T> {}
unsafe impl<T: Send> Send for Mutex<T> {}

impl<T> Mutex<T> {
    pub fn new(value: T) -> Self {
        Self::named("async mutex", value)
    }

    /// A mutex with the name traces and deadlock reports give it.
    pub fn named(name: impl Into<Cow<'static, str>>, value: T) -> Self {
        let name = name.into();
        Mutex {
            state: SyncMutex::named(
                format!("{name}.state"),
                LockState {
                    holder: None,
                    waiters: VecDeque::new(),
                    next_key: 0,
                },
            ),
            name,
            data: UnsafeCell::new(value),
        }
    }

    /// Wait for the lock.
    pub fn lock(&self) -> Lock<'_, T> {
        Lock {
            mutex: self,
            key: None,
            done: false,
        }
    }

    fn wake_next(&self, s: &LockState) -> Option<Waker> {
        s.waiters.front().map(|w| w.waker.clone())
    }
}

/// The future of [`Mutex::lock`].
#[must_use = "a lock does nothing unless awaited"]
pub struct Lock<'a, T> {
    mutex: &'a Mutex<T>,
    key: Option<u64>,
    done: bool,
}

impl<'a, T> Future for Lock<'a, T> {
    type Output = MutexGuard<'a, T>;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<MutexGuard<'a, T>> {
        let this = self.get_mut();
        let exec = rt::with(Arc::clone);
        let me = rt::me();
        let task = current_task(&exec, me);
        if this.key.is_none() {
            label(format!("lock {}", this.mutex.name));
        }
        let mut s = this.mutex.state.lock().unwrap();
        if s.holder.is_none() {
            s.holder = Some(task.unwrap_or(usize::MAX));
            if let Some(k) = this.key {
                leave_line(&mut s.waiters, k);
            }
            drop(s);
            this.done = true;
            awaiting(None);
            label(format!("acquired {}", this.mutex.name));
            return Poll::Ready(MutexGuard { mutex: this.mutex });
        }
        let st = &mut *s;
        wait_in_line(
            &mut st.waiters,
            &mut st.next_key,
            &mut this.key,
            cx.waker(),
            1,
        );
        let holder = s.holder;
        drop(s);
        let name = &this.mutex.name;
        awaiting(Some(&|exec| {
            let holder = holder.filter(|h| *h != usize::MAX);
            format!("async mutex {name} (held by {})", task_label(exec, holder))
        }));
        Poll::Pending
    }
}

impl<T> Drop for Lock<'_, T> {
    fn drop(&mut self) {
        // A waiter that gives up passes its turn on.
        if let (Some(k), false) = (self.key, self.done) {
            if std::thread::panicking() || rt::current().is_none() {
                return;
            }
            let mut s = self.mutex.state.lock().unwrap();
            leave_line(&mut s.waiters, k);
            let next = if s.holder.is_none() {
                self.mutex.wake_next(&s)
            } else {
                None
            };
            drop(s);
            if let Some(w) = next {
                w.wake();
            }
        }
    }
}

/// Proof that a task holds a [`Mutex`]; unlocks it when dropped.
#[must_use = "if unused the Mutex will immediately unlock"]
pub struct MutexGuard<'a, T> {
    mutex: &'a Mutex<T>,
}

impl<T> Deref for MutexGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: this guard holds the lock (see `Mutex`'s Sync impl).
        unsafe { &*self.mutex.data.get() }
    }
}

impl<T> DerefMut for MutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: this guard holds the lock, and `&mut self` makes the access unique.
        unsafe { &mut *self.mutex.data.get() }
    }
}

impl<T> Drop for MutexGuard<'_, T> {
    fn drop(&mut self) {
        // An execution that is over (or unwinding) records nothing more.
        if std::thread::panicking() || rt::current().is_none() {
            return;
        }
        label(format!("release {}", self.mutex.name));
        let mut s = self.mutex.state.lock().unwrap();
        s.holder = None;
        let next = self.mutex.wake_next(&s);
        drop(s);
        if let Some(w) = next {
            w.wake();
        }
    }
}

/// Wakes tasks, like `tokio::sync::Notify`: `notify_one` wakes one waiter or, with none, leaves
/// a permit the next `notified()` takes at once.
pub struct Notify {
    name: Cow<'static, str>,
    state: SyncMutex<NotifyState>,
}

struct NotifyState {
    permit: bool,
    /// (key, waker, notified) of each waiting `notified()`, first come first.
    waiters: VecDeque<(u64, Waker, bool)>,
    next_key: u64,
}

impl Notify {
    pub fn named(name: impl Into<Cow<'static, str>>) -> Self {
        let name = name.into();
        Notify {
            state: SyncMutex::named(
                format!("{name}.state"),
                NotifyState {
                    permit: false,
                    waiters: VecDeque::new(),
                    next_key: 0,
                },
            ),
            name,
        }
    }

    /// Wait for a notification.
    pub fn notified(&self) -> Notified<'_> {
        Notified {
            notify: self,
            key: None,
        }
    }

    /// Wake the first waiter, or leave a permit.
    pub fn notify_one(&self) {
        label(format!("notify_one {}", self.name));
        let mut s = self.state.lock().unwrap();
        let waker = match s.waiters.iter_mut().find(|w| !w.2) {
            Some(w) => {
                w.2 = true;
                Some(w.1.clone())
            }
            None => {
                s.permit = true;
                None
            }
        };
        drop(s);
        if let Some(w) = waker {
            w.wake();
        }
    }

    /// Wake every task waiting now; leaves no permit.
    pub fn notify_waiters(&self) {
        label(format!("notify_waiters {}", self.name));
        let mut s = self.state.lock().unwrap();
        let wakers: Vec<Waker> = s
            .waiters
            .iter_mut()
            .filter(|w| !w.2)
            .map(|w| {
                w.2 = true;
                w.1.clone()
            })
            .collect();
        drop(s);
        wakers.into_iter().for_each(Waker::wake);
    }
}

impl Notified<'_> {
    /// Register for a notification now rather than at the first poll, like tokio's
    /// `Notified::enable`: a `notify_waiters` sent between a check of the condition and the
    /// await then reaches this waiter.
    pub fn enable(&mut self) {
        if self.key.is_some() {
            return;
        }
        let mut s = self.notify.state.lock().unwrap();
        let k = s.next_key;
        s.next_key += 1;
        s.waiters
            .push_back((k, futures_util::task::noop_waker(), false));
        self.key = Some(k);
    }
}

/// The future of [`Notify::notified`].
#[must_use = "a notification is not waited for unless awaited"]
pub struct Notified<'a> {
    notify: &'a Notify,
    key: Option<u64>,
}

impl Future for Notified<'_> {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        let mut s = this.notify.state.lock().unwrap();
        let ready = match this.key {
            None if std::mem::take(&mut s.permit) => true,
            None => {
                let k = s.next_key;
                s.next_key += 1;
                s.waiters.push_back((k, cx.waker().clone(), false));
                this.key = Some(k);
                false
            }
            Some(k) => match s.waiters.iter().position(|w| w.0 == k) {
                Some(i) if s.waiters[i].2 => {
                    s.waiters.remove(i);
                    this.key = None;
                    true
                }
                Some(i) => {
                    s.waiters[i].1.clone_from(cx.waker());
                    false
                }
                None => true,
            },
        };
        drop(s);
        if ready {
            awaiting(None);
            label(format!("notified {}", this.notify.name));
            Poll::Ready(())
        } else {
            let name = &this.notify.name;
            awaiting(Some(&|_| format!("notify {name}")));
            Poll::Pending
        }
    }
}

impl Drop for Notified<'_> {
    fn drop(&mut self) {
        if let Some(k) = self.key {
            if std::thread::panicking() || rt::current().is_none() {
                return;
            }
            self.notify
                .state
                .lock()
                .unwrap()
                .waiters
                .retain(|w| w.0 != k);
        }
    }
}
