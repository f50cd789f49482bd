//! Python's `threading.Lock` and `threading.RLock`, modelled over the facade.
//!
//! - `Lock` is not owned: `acquire` blocks while anyone holds it, the caller included, so a
//!   thread that acquires it twice waits for itself forever.
//! - `RLock` is owned and counted: its owner may acquire it again (the count goes up), it is
//!   free once released as often as acquired, and a release by a thread that does not own it
//!   is an error (`RuntimeError: cannot release un-acquired lock`).
//!
//! Both wait on a facade `Condvar`, so the deadlock detector sees a waiter that nobody can wake.
//! Both name themselves to the facade ([`trace::asks`], [`trace::holds`], [`trace::lets_go`]),
//! so timelines draw the Python lock's holds and waits, and a deadlock reads "heartbeat waits
//! for LockManager._lock, which it holds itself", not the condvar and mutex inside.

use racecheck::sync::{Condvar, Mutex};
use racecheck::{thread, trace};

/// `threading.Lock()`: non-reentrant.
#[derive(Debug)]
pub struct Lock {
    name: &'static str,
    locked: Mutex<bool>,
    released: Condvar,
}

impl Lock {
    pub fn new(name: &'static str) -> Self {
        Lock {
            name,
            locked: Mutex::named(format!("{name}.state"), false),
            released: Condvar::named(format!("{name}.released")),
        }
    }

    pub fn acquire(&self) {
        trace::asks(self.name);
        let mut locked = self.locked.lock().unwrap();
        while *locked {
            locked = self.released.wait(locked).unwrap();
        }
        *locked = true;
        trace::holds(self.name);
    }

    pub fn release(&self) -> Result<(), ReleaseError> {
        let mut locked = self.locked.lock().unwrap();
        if !*locked {
            return Err(ReleaseError::Unlocked);
        }
        *locked = false;
        trace::lets_go(self.name);
        self.released.notify_one();
        Ok(())
    }
}

/// `threading.RLock()`: reentrant, owned by the thread that acquired it.
#[derive(Debug)]
pub struct RLock {
    name: &'static str,
    /// (owner's thread index, how many times it acquired without releasing); count 0 ⇔ no owner.
    state: Mutex<(Option<usize>, usize)>,
    released: Condvar,
}

impl RLock {
    pub fn new(name: &'static str) -> Self {
        RLock {
            name,
            state: Mutex::named(format!("{name}.state"), (None, 0)),
            released: Condvar::named(format!("{name}.released")),
        }
    }

    pub fn acquire(&self) {
        trace::asks(self.name);
        let me = thread::current().id();
        let mut s = self.state.lock().unwrap();
        loop {
            match s.0 {
                None => {
                    *s = (Some(me), 1);
                    break;
                }
                Some(owner) if owner == me => {
                    s.1 += 1;
                    break;
                }
                Some(_) => s = self.released.wait(s).unwrap(),
            }
        }
        trace::holds(self.name);
    }

    /// `with self._lock:` — acquire, run `f`, release.
    pub fn with<R>(&self, f: impl FnOnce() -> R) -> R {
        self.acquire();
        let r = f();
        self.release()
            .expect("the owner of a `with` block releases it");
        r
    }

    pub fn release(&self) -> Result<(), ReleaseError> {
        let me = thread::current().id();
        let mut s = self.state.lock().unwrap();
        if s.0 != Some(me) {
            return Err(ReleaseError::NotOwner);
        }
        s.1 -= 1;
        trace::lets_go(self.name);
        if s.1 == 0 {
            s.0 = None;
            self.released.notify_one();
        }
        Ok(())
    }
}

/// Python's `RuntimeError` on a bad release.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReleaseError {
    /// `Lock.release()` of an unlocked lock: "release unlocked lock".
    Unlocked,
    /// `RLock.release()` by a thread that does not own it: "cannot release un-acquired lock".
    NotOwner,
}

/// Either lock, chosen by a model's variant: what `self._lock` is in the seed's `LockManager`.
#[derive(Debug)]
pub enum AnyLock {
    Lock(Lock),
    RLock(RLock),
}

impl AnyLock {
    pub fn acquire(&self) {
        match self {
            AnyLock::Lock(l) => l.acquire(),
            AnyLock::RLock(l) => l.acquire(),
        }
    }

    pub fn release(&self) -> Result<(), ReleaseError> {
        match self {
            AnyLock::Lock(l) => l.release(),
            AnyLock::RLock(l) => l.release(),
        }
    }

    /// `with self._lock:` — acquire, run `f`, release (also when `f` returns early).
    pub fn with<R>(&self, f: impl FnOnce() -> R) -> R {
        self.acquire();
        let r = f();
        self.release()
            .expect("the holder of a `with` block releases it");
        r
    }
}
