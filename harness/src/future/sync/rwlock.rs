//! An async reader-writer lock, like `tokio::sync::RwLock`: many readers or one writer, and
//! fair in tokio's way (its docs: "fair (or write-preferring)", waiters queued first in, first
//! out), so a reader that comes while a writer waits queues behind the writer rather than
//! joining the readers inside, and a stream of readers cannot starve a writer.
//!
//! Built on the fair [`Semaphore`]: a read takes one of `MAX_READERS` permits, a write takes
//! them all. A task waiting for it is named in deadlock reports ("async rwlock NAME").

use super::label;
use super::semaphore::{Semaphore, SemaphorePermit};
use std::borrow::Cow;
use std::cell::UnsafeCell;
use std::ops::{Deref, DerefMut};

/// How many readers may hold the lock at once: far more than any model spawns.
const MAX_READERS: usize = 1 << 24;

/// The lock never closes its semaphore, so an acquire cannot fail.
const NEVER_CLOSED: &str = "an rwlock's semaphore is never closed";

pub struct RwLock<T> {
    name: Cow<'static, str>,
    permits: Semaphore,
    data: UnsafeCell<T>,
}

// SAFETY: `data` is reached only through a guard. A write guard holds every permit, so no
// other guard exists beside it; read guards hold one each and give only `&T`, which `T: Sync`
// lets tasks share.
unsafe impl<T: Send> Send for RwLock<T> {}
unsafe impl<T: Send + Sync> Sync for RwLock<T> {}

impl<T> RwLock<T> {
    pub fn new(value: T) -> Self {
        Self::named("async rwlock", value)
    }

    /// A lock with the name traces and deadlock reports give it.
    pub fn named(name: impl Into<Cow<'static, str>>, value: T) -> Self {
        let name = name.into();
        RwLock {
            permits: Semaphore::of_kind("async rwlock", name.clone(), MAX_READERS),
            name,
            data: UnsafeCell::new(value),
        }
    }

    /// Wait to read, shared with other readers; behind any writer already waiting.
    pub async fn read(&self) -> RwLockReadGuard<'_, T> {
        label(format!("read {}", self.name));
        let permit = self.permits.acquire_units(1).await.expect(NEVER_CLOSED);
        RwLockReadGuard {
            lock: self,
            _permit: permit,
        }
    }

    /// Wait to write, alone.
    pub async fn write(&self) -> RwLockWriteGuard<'_, T> {
        label(format!("write {}", self.name));
        let permit = self
            .permits
            .acquire_units(MAX_READERS)
            .await
            .expect(NEVER_CLOSED);
        RwLockWriteGuard {
            lock: self,
            _permit: permit,
        }
    }
}

/// Shared access to an [`RwLock`]'s value; a reader's permit goes back when dropped.
#[must_use = "if unused the RwLock will immediately unlock"]
pub struct RwLockReadGuard<'a, T> {
    lock: &'a RwLock<T>,
    _permit: SemaphorePermit<'a>,
}

impl<T> Deref for RwLockReadGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: this guard holds a reader's permit (see the Sync impl).
        unsafe { &*self.lock.data.get() }
    }
}

/// Sole access to an [`RwLock`]'s value; every permit goes back when dropped.
#[must_use = "if unused the RwLock will immediately unlock"]
pub struct RwLockWriteGuard<'a, T> {
    lock: &'a RwLock<T>,
    _permit: SemaphorePermit<'a>,
}

impl<T> Deref for RwLockWriteGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: this guard holds every permit, so no other guard exists.
        unsafe { &*self.lock.data.get() }
    }
}

impl<T> DerefMut for RwLockWriteGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: this guard holds every permit, and `&mut self` makes the access unique.
        unsafe { &mut *self.lock.data.get() }
    }
}
