//! Mutexes: a thread announces the wait, the backend blocks it, and the engine records who holds
//! what once it acquires.

use super::state::{Status, Wait};
use super::{EventKind, Execution};

impl Execution {
    /// Thread `me` is about to wait for a mutex.
    ///
    /// `block` specialised to a mutex: a free mutex's locker can go on, so only a held one
    /// asks whether every thread is now stuck.
    pub(crate) fn before_lock(&self, me: usize, mutex: usize) {
        self.step_point();
        let mut s = self.lock();
        if s.failure.is_none() {
            super::next_op::announce_lock(me, mutex);
        }
        self.push_with(&mut s, me, || EventKind::Lock { object: mutex });
        s.status[me] = Status::Blocked(Wait::Mutex(mutex));
        if s.is_held(mutex) {
            let wake = self.when_all_stuck(&mut s);
            return self.settle_and_wake(s, wake);
        }
        self.settle(s);
    }

    /// Thread `me` now holds `mutex` (after a lock, or after a condvar wait woke).
    pub(crate) fn after_lock(&self, me: usize, mutex: usize) {
        self.step_point();
        let mut s = self.lock();
        s.status[me] = Status::Running;
        s.mutex(mutex).owner = Some(me);
        if s.failure.is_none() {
            super::next_op::took_lock(me);
        }
        self.push_with(&mut s, me, || EventKind::Acquired { object: mutex });
        self.settle(s);
    }

    /// Thread `me` releases `mutex`. Never unwinds: it runs in guards' destructors.
    pub(crate) fn release(&self, me: usize, mutex: usize) {
        self.step_point();
        let mut s = self.lock();
        s.mutex(mutex).owner = None;
        self.push_with(&mut s, me, || EventKind::Release { object: mutex });
        if self.replaying() {
            s.releasing[me] = true;
        }
    }
}
