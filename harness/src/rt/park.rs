//! Parking, as `std::thread::park` defines it: every thread has a token, `unpark` sets it and
//! `park` takes it, blocking until it is set. std allows `park` to return spuriously; racecheck
//! never does, under any backend, so a park returns only for an unpark or its timeout.
//!
//! std says an unpark synchronizes with the park that takes its token. Under real threads and
//! shuttle (sequentially consistent) the state lock gives that; loom sees only its own
//! primitives, so there every unpark is a release read-modify-write of one atomic of the
//! execution and every park ends with an acquire one (which reads the latest value): an edge
//! from every earlier unpark, also of other threads, so loom explores no weak-memory outcome
//! across a park.

use super::clock::Wake;
use super::state::{Status, Wait};
use super::{EventKind, Execution};
use std::time::Duration;

impl Execution {
    /// Thread `me` parks until unparked, or until `timeout` of virtual time has passed; true
    /// if the timeout ended it.
    pub(crate) fn park(&self, me: usize, timeout: Option<Duration>) -> bool {
        self.step_point();
        self.register_parker(me);
        let mut s = self.lock();
        let timeout = timeout.map(|t| t.as_nanos().min(u64::MAX as u128) as u64);
        self.push(&mut s, me, EventKind::Park { timeout });
        s.timed_out[me] = false;
        if std::mem::take(&mut s.park_token[me]) {
            self.settle(s);
        } else {
            let deadline = timeout.map(|t| s.clock.saturating_add(t));
            s.status[me] = Status::Blocked(Wait::Park { deadline });
            let wake = self.when_all_stuck(&mut s);
            self.settle_and_wake(s, wake);
            self.wait_until(me, |s| {
                !matches!(s.status[me], Status::Blocked(Wait::Park { .. }))
            });
        }
        let timed_out = std::mem::take(&mut self.lock().timed_out[me]);
        self.loom_sync(loom::sync::atomic::Ordering::Acquire);
        self.record(me, EventKind::Unparked { timed_out });
        timed_out
    }

    /// Thread `me` unparks `target`: wakes it if it is parked, else gives it the token.
    pub(crate) fn unpark(&self, me: usize, target: usize) {
        self.step_point();
        // Before the target can see the unpark, so its park's read comes after this write.
        self.loom_sync(loom::sync::atomic::Ordering::Release);
        let mut s = self.lock();
        self.push(&mut s, me, EventKind::Unpark { target });
        let wake = if matches!(s.status[target], Status::Blocked(Wait::Park { .. })) {
            s.status[target] = Status::Running;
            Wake::threads(std::iter::once(target))
        } else {
            s.park_token[target] = true;
            Wake::default()
        };
        self.settle_and_wake(s, wake);
    }

    /// loom: one read-modify-write of the execution's park atomic (never under the state lock:
    /// a loom operation may switch threads).
    fn loom_sync(&self, order: loom::sync::atomic::Ordering) {
        if let Some(sync) = self.park_sync.get() {
            sync.fetch_add(1, order);
        }
    }
}
