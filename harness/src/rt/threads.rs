//! Thread lifecycle: spawn, block, join, exit, and running a thread's body.

use super::state::{Status, Wait};
use super::{record_panic, EventKind, Execution};
use std::panic;
use std::sync::Arc;

impl Execution {
    pub(crate) fn register_thread(&self, parent: usize, name: Option<String>) -> usize {
        self.step_point();
        let mut s = self.lock();
        let id = s.add_thread(name);
        self.push_with(&mut s, parent, || EventKind::Spawn { child: id });
        self.settle(s);
        id
    }

    pub(crate) fn before_join(&self, me: usize, target: usize) {
        self.block(me, EventKind::Join { target }, Wait::Join(target));
    }

    pub(crate) fn after_join(&self, me: usize, target: usize) {
        self.step_point();
        let mut s = self.lock();
        s.status[me] = Status::Running;
        self.push_with(&mut s, me, || EventKind::Joined { target });
        self.settle(s);
    }

    /// Thread `me` has finished. If the others can now never finish, that is a deadlock.
    pub(crate) fn exit(&self, me: usize) {
        self.step_point();
        let mut s = self.lock();
        s.status[me] = Status::Finished;
        if s.failure.is_some() || std::thread::panicking() {
            return;
        }
        self.push_with(&mut s, me, || EventKind::Exit);
        let live = s.status.iter().any(|st| *st != Status::Finished);
        let wake = if live {
            self.when_all_stuck(&mut s)
        } else {
            Default::default()
        };
        self.settle_and_wake(s, wake);
    }

    /// Thread `me` is about to block on `wait`: record it, and if no thread can run now, move
    /// the clock or call it a deadlock.
    pub(super) fn block(&self, me: usize, kind: EventKind, wait: Wait) {
        self.step_point();
        let mut s = self.lock();
        self.push(&mut s, me, kind);
        s.status[me] = Status::Blocked(wait);
        // Only a thread that cannot go on (a held mutex, a live join…) can leave every thread
        // stuck: a free mutex's locker skips the scan.
        let wake = if s.stuck(me) {
            self.when_all_stuck(&mut s)
        } else {
            Default::default()
        };
        self.settle_and_wake(s, wake);
    }
}

/// Run one model thread's body: catch its panic, classify it, and record its exit.
pub(crate) fn run_thread<T>(exec: &Arc<Execution>, me: usize, f: impl FnOnce() -> T) -> T {
    match panic::catch_unwind(panic::AssertUnwindSafe(f)) {
        Ok(value) => {
            exec.exit(me);
            value
        }
        Err(payload) => {
            record_panic(exec, exec.thread_name(me), &*payload);
            exec.exit(me);
            panic::resume_unwind(payload)
        }
    }
}
