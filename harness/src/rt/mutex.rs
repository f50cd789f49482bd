//! Mutexes: a thread announces the wait, the backend blocks it, and the engine records who holds
//! what once it acquires.

use super::state::Wait;
use super::{EventKind, Execution};

impl Execution {
    /// Thread `me` is about to wait for a mutex.
    pub(crate) fn before_lock(&self, me: usize, mutex: usize) {
        self.block(me, EventKind::Lock { object: mutex }, Wait::Mutex(mutex));
    }

    /// Thread `me` now holds `mutex` (after a lock, or after a condvar wait woke).
    pub(crate) fn after_lock(&self, me: usize, mutex: usize) {
        self.step_point();
        let mut s = self.lock();
        s.status[me] = super::state::Status::Running;
        s.mutex(mutex).owner = Some(me);
        self.push(&mut s, me, EventKind::Acquired { object: mutex });
        self.settle(s);
    }

    /// Thread `me` releases `mutex`. Never unwinds: it runs in guards' destructors.
    pub(crate) fn release(&self, me: usize, mutex: usize) {
        self.step_point();
        let mut s = self.lock();
        s.mutex(mutex).owner = None;
        self.push(&mut s, me, EventKind::Release { object: mutex });
        if self.replaying() {
            s.releasing[me] = true;
        }
    }
}
