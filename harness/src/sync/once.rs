//! `OnceLock` and `LazyLock`, over the facade's [`Mutex`] and [`Condvar`]: the scheduler
//! explores who initialises and who waits, and a caller blocked on an initialisation that
//! never ends is part of a deadlock report.
//!
//! Made inside the model, not in a `static`: every execution must start uninitialised.

use super::{Condvar, Mutex};
use std::cell::UnsafeCell;
use std::fmt;
use std::ops::Deref;

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Empty,
    Running,
    Full,
}

/// A cell written once, like `std::sync::OnceLock`.
pub struct OnceLock<T> {
    state: Mutex<State>,
    done: Condvar,
    value: UnsafeCell<Option<T>>,
}

// SAFETY: `value` is written only by the one thread that moved `state` from Empty to Running,
// while no thread reads it (reads happen only once `state` is Full, which it never leaves);
// shared reads need T: Sync, and the value may be set on one thread and dropped on another.
unsafe impl<T: Send + Sync> Sync for OnceLock<T> {}
unsafe impl<T: Send> Send for OnceLock<T> {}

impl<T> OnceLock<T> {
    #[track_caller]
    pub fn new() -> Self {
        Self::named("once_lock")
    }

    /// A cell whose lock and condvar traces name after `name`.
    #[track_caller]
    pub fn named(name: &str) -> Self {
        OnceLock {
            state: Mutex::named(format!("{name}.state"), State::Empty),
            done: Condvar::named(format!("{name}.initialised")),
            value: UnsafeCell::new(None),
        }
    }

    /// The value, if initialised (a step: it reads the state under its lock).
    pub fn get(&self) -> Option<&T> {
        let full = *self.state.lock().unwrap() == State::Full;
        // SAFETY: Full is final, and nothing writes `value` once it is.
        full.then(|| unsafe { (*self.value.get()).as_ref() })
            .flatten()
    }

    /// The value, initialised by `f` if no thread has begun to; a caller that finds another
    /// initialising waits for it.
    pub fn get_or_init(&self, f: impl FnOnce() -> T) -> &T {
        let mut state = self.state.lock().unwrap();
        loop {
            match *state {
                // SAFETY: as in `get`.
                State::Full => return unsafe { (*self.value.get()).as_ref() }.expect("full"),
                State::Running => state = self.done.wait(state).unwrap(),
                State::Empty => break,
            }
        }
        *state = State::Running;
        drop(state);
        let value = f();
        let mut state = self.state.lock().unwrap();
        // SAFETY: this thread alone moved the state to Running; no one reads until Full.
        unsafe { *self.value.get() = Some(value) };
        *state = State::Full;
        self.done.notify_all();
        drop(state);
        self.get().expect("just set")
    }

    /// Set the value unless some thread already did (or is): `Err(value)` then.
    pub fn set(&self, value: T) -> Result<(), T> {
        let mut state = self.state.lock().unwrap();
        if *state != State::Empty {
            return Err(value);
        }
        // SAFETY: Empty under the lock: no thread reads or writes `value` now.
        unsafe { *self.value.get() = Some(value) };
        *state = State::Full;
        self.done.notify_all();
        Ok(())
    }

    /// The value, consuming the cell.
    pub fn into_inner(self) -> Option<T> {
        self.value.into_inner()
    }
}

impl<T> Default for OnceLock<T> {
    #[track_caller]
    fn default() -> Self {
        Self::new()
    }
}

impl<T> fmt::Debug for OnceLock<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OnceLock").finish_non_exhaustive()
    }
}

/// A value computed on first use, like `std::sync::LazyLock`.
pub struct LazyLock<T, F = fn() -> T> {
    once: OnceLock<T>,
    init: Mutex<Option<F>>,
}

impl<T, F: FnOnce() -> T> LazyLock<T, F> {
    #[track_caller]
    pub fn new(init: F) -> Self {
        LazyLock {
            once: OnceLock::named("lazy_lock"),
            init: Mutex::named("lazy_lock.init", Some(init)),
        }
    }

    /// The value, computing it if this is the first use.
    pub fn force(this: &Self) -> &T {
        this.once.get_or_init(|| {
            let init = this.init.lock().unwrap().take();
            init.expect("LazyLock initialised once")()
        })
    }
}

impl<T, F: FnOnce() -> T> Deref for LazyLock<T, F> {
    type Target = T;
    fn deref(&self) -> &T {
        LazyLock::force(self)
    }
}

impl<T, F> fmt::Debug for LazyLock<T, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LazyLock").finish_non_exhaustive()
    }
}
