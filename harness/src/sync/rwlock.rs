//! `RwLock` and `Barrier`, built once over the facade's [`Mutex`] and [`Condvar`], so that every
//! backend explores them and the deadlock detector sees who waits on them.

use super::{Condvar, Mutex};
use std::borrow::Cow;
use std::cell::UnsafeCell;
use std::fmt;
use std::ops::{Deref, DerefMut};
use std::sync::LockResult;

/// A reader-writer lock, like `std::sync::RwLock`: many readers or one writer. Writers do not
/// starve readers or the reverse; the scheduler decides who goes next.
pub struct RwLock<T> {
    /// (readers holding it, whether a writer holds it)
    state: Mutex<(usize, bool)>,
    changed: Condvar,
    data: UnsafeCell<T>,
}

// SAFETY: `data` is reached only through guards; `state` admits many readers (shared access,
// so T: Sync) or one writer (exclusive access, so T: Send), never both.
unsafe impl<T: Send + Sync> Sync for RwLock<T> {}
unsafe impl<T: Send> Send for RwLock<T> {}

impl<T> RwLock<T> {
    #[track_caller]
    pub fn new(value: T) -> Self {
        Self::named("rwlock", value)
    }

    #[track_caller]
    pub fn named(name: impl Into<Cow<'static, str>>, value: T) -> Self {
        let name = name.into();
        RwLock {
            state: Mutex::named(format!("{name}.state"), (0, false)),
            changed: Condvar::named(format!("{name}.changed")),
            data: UnsafeCell::new(value),
        }
    }

    pub fn read(&self) -> LockResult<RwLockReadGuard<'_, T>> {
        let mut s = self.state.lock().unwrap();
        while s.1 {
            s = self.changed.wait(s).unwrap();
        }
        s.0 += 1;
        Ok(RwLockReadGuard { lock: self })
    }

    pub fn write(&self) -> LockResult<RwLockWriteGuard<'_, T>> {
        let mut s = self.state.lock().unwrap();
        while s.1 || s.0 > 0 {
            s = self.changed.wait(s).unwrap();
        }
        s.1 = true;
        Ok(RwLockWriteGuard { lock: self })
    }
}

impl<T> fmt::Debug for RwLock<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RwLock").finish_non_exhaustive()
    }
}

#[must_use = "if unused the RwLock will immediately unlock"]
pub struct RwLockReadGuard<'a, T> {
    lock: &'a RwLock<T>,
}

#[must_use = "if unused the RwLock will immediately unlock"]
pub struct RwLockWriteGuard<'a, T> {
    lock: &'a RwLock<T>,
}

impl<T> Deref for RwLockReadGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: a read guard exists only while no writer holds the lock.
        unsafe { &*self.lock.data.get() }
    }
}

impl<T> Deref for RwLockWriteGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: a write guard is the only guard while it exists.
        unsafe { &*self.lock.data.get() }
    }
}

impl<T> DerefMut for RwLockWriteGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: a write guard is the only guard while it exists.
        unsafe { &mut *self.lock.data.get() }
    }
}

impl<T> Drop for RwLockReadGuard<'_, T> {
    fn drop(&mut self) {
        // An unwinding thread's execution has failed already: leave the lock as it is
        // rather than block on its state while unwinding.
        if std::thread::panicking() {
            return;
        }
        let mut s = self.lock.state.lock().unwrap_or_else(|p| p.into_inner());
        s.0 -= 1;
        if s.0 == 0 {
            self.lock.changed.notify_all();
        }
    }
}

impl<T> Drop for RwLockWriteGuard<'_, T> {
    fn drop(&mut self) {
        // An unwinding thread's execution has failed already: leave the lock as it is
        // rather than block on its state while unwinding.
        if std::thread::panicking() {
            return;
        }
        let mut s = self.lock.state.lock().unwrap_or_else(|p| p.into_inner());
        s.1 = false;
        self.lock.changed.notify_all();
    }
}

/// A barrier, like `std::sync::Barrier`: `wait` returns once `n` threads have called it.
pub struct Barrier {
    n: usize,
    /// (threads arrived in this generation, generation)
    state: Mutex<(usize, u64)>,
    all_arrived: Condvar,
}

/// Returned by [`Barrier::wait`]; exactly one waiter of each generation is the leader.
#[derive(Debug)]
pub struct BarrierWaitResult(bool);

impl BarrierWaitResult {
    pub fn is_leader(&self) -> bool {
        self.0
    }
}

impl Barrier {
    #[track_caller]
    pub fn new(n: usize) -> Self {
        Self::named("barrier", n)
    }

    #[track_caller]
    pub fn named(name: impl Into<Cow<'static, str>>, n: usize) -> Self {
        let name = name.into();
        Barrier {
            n,
            state: Mutex::named(format!("{name}.state"), (0, 0)),
            all_arrived: Condvar::named(name),
        }
    }

    pub fn wait(&self) -> BarrierWaitResult {
        let mut s = self.state.lock().unwrap();
        let generation = s.1;
        s.0 += 1;
        if s.0 >= self.n {
            s.0 = 0;
            s.1 += 1;
            self.all_arrived.notify_all();
            return BarrierWaitResult(true);
        }
        while s.1 == generation {
            s = self.all_arrived.wait(s).unwrap();
        }
        BarrierWaitResult(false)
    }
}

impl fmt::Debug for Barrier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Barrier")
            .field("n", &self.n)
            .finish_non_exhaustive()
    }
}
