//! Primitives for the real-threads backend: real OS threads, really blocking, but cancellable.
//!
//! std's `Mutex` and `Condvar` block until woken, so a deadlocked execution could never end.
//! These wait in short slices and unwind with [`Abort`](crate::rt::Abort) once the execution
//! is aborted (a deadlock found by the facade, or the watchdog's time limit).

use crate::rt::Execution;
use std::cell::UnsafeCell;
use std::sync::{Condvar as StdCondvar, Mutex as StdMutex, MutexGuard as StdGuard};
use std::time::Duration;

/// How long a blocked real thread sleeps before it looks at the abort flag again.
const POLL: Duration = Duration::from_millis(10);

fn relock<T>(m: &StdMutex<T>) -> StdGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

pub(crate) struct Mutex<T> {
    locked: StdMutex<bool>,
    released: StdCondvar,
    data: UnsafeCell<T>,
}

// SAFETY: `data` is only reached through a `Guard`, and a guard exists only while `locked` is
// true and was set by the guard's creator, so at most one thread reaches `data` at a time.
unsafe impl<T: Send> Sync for Mutex<T> {}
unsafe impl<T: Send> Send for Mutex<T> {}

pub(crate) struct Guard<'a, T> {
    mutex: &'a Mutex<T>,
}

impl<T> Mutex<T> {
    pub(crate) fn new(value: T) -> Self {
        Mutex {
            locked: StdMutex::new(false),
            released: StdCondvar::new(),
            data: UnsafeCell::new(value),
        }
    }

    pub(crate) fn lock(&self, exec: &Execution) -> Guard<'_, T> {
        let mut locked = relock(&self.locked);
        while *locked {
            if exec.is_aborted() {
                drop(locked);
                exec.abort_unwind();
            }
            locked = self
                .released
                .wait_timeout(locked, POLL)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
        *locked = true;
        Guard { mutex: self }
    }

    /// The lock if it is free now, without waiting.
    pub(crate) fn try_lock(&self) -> Option<Guard<'_, T>> {
        let mut locked = relock(&self.locked);
        if *locked {
            return None;
        }
        *locked = true;
        Some(Guard { mutex: self })
    }

    pub(crate) fn into_inner(self) -> T {
        self.data.into_inner()
    }

    pub(crate) fn get_mut(&mut self) -> &mut T {
        self.data.get_mut()
    }

    fn unlock(&self) {
        *relock(&self.locked) = false;
        self.released.notify_one();
    }
}

impl<T> std::ops::Deref for Guard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: this guard holds the lock (see `Mutex`'s Sync impl).
        unsafe { &*self.mutex.data.get() }
    }
}

impl<T> std::ops::DerefMut for Guard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: this guard holds the lock, and `&mut self` makes the access unique.
        unsafe { &mut *self.mutex.data.get() }
    }
}

impl<T> Drop for Guard<'_, T> {
    fn drop(&mut self) {
        self.mutex.unlock();
    }
}

/// A condition variable over [`Mutex`]: a notification bumps a sequence number that waiters
/// watch, so one sent between a waiter's release of the mutex and its sleep is not lost.
pub(crate) struct Condvar {
    seq: StdMutex<u64>,
    changed: StdCondvar,
}

impl Condvar {
    pub(crate) fn new() -> Self {
        Condvar {
            seq: StdMutex::new(0),
            changed: StdCondvar::new(),
        }
    }

    /// Wait for a notification (timed waits go through the engine's virtual clock instead),
    /// then take the mutex again.
    pub(crate) fn wait<'a, T>(&self, guard: Guard<'a, T>, exec: &Execution) -> Guard<'a, T> {
        let mutex = guard.mutex;
        let mut seq = relock(&self.seq);
        let start = *seq;
        drop(guard);
        while *seq == start {
            if exec.is_aborted() {
                drop(seq);
                exec.abort_unwind();
            }
            seq = self
                .changed
                .wait_timeout(seq, POLL)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
        drop(seq);
        mutex.lock(exec)
    }

    pub(crate) fn notify(&self, all: bool) {
        *relock(&self.seq) += 1;
        if all {
            self.changed.notify_all();
        } else {
            self.changed.notify_one();
        }
    }
}
