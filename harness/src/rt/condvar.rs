//! Condition variables. A notification is a token a waiter takes, so the engine knows whether a
//! waiter can still wake (the deadlock test needs it) and a timed waiter takes only a token
//! sent after its wait began.

use super::clock::Wake;
use super::state::{Status, Wait};
use super::{EventKind, Execution};

impl Execution {
    /// Thread `me` releases `mutex` and waits on `condvar`, until a notification or (with a
    /// timeout) until the virtual clock passes the deadline.
    pub(crate) fn before_wait(
        &self,
        me: usize,
        condvar: usize,
        mutex: usize,
        timeout: Option<std::time::Duration>,
    ) {
        self.step_point();
        let deadline;
        {
            let mut s = self.lock();
            s.mutex(mutex).owner = None;
            s.timed_out[me] = false;
            let cv = s.condvar(condvar);
            cv.waiters += 1;
            let notifies = cv.notifies;
            if timeout.is_some() {
                cv.timed_waiters += 1;
            }
            s.wait_from[me] = notifies;
            deadline = timeout.map(|t| {
                s.clock
                    .saturating_add(t.as_nanos().min(u64::MAX as u128) as u64)
            });
        }
        if timeout.is_some() {
            self.register_parker(me);
        }
        self.block(
            me,
            EventKind::Wait { condvar, mutex },
            Wait::Condvar {
                condvar,
                mutex,
                deadline,
            },
        );
        if self.replaying() {
            self.lock().releasing[me] = true;
        }
    }

    /// A timed condvar wait, once [`before_wait`](Self::before_wait) released the mutex: wait
    /// until a notification of `condvar` (one of its tokens) or the deadline. Either way the
    /// thread then needs only its mutex back.
    pub(crate) fn wait_timed(&self, me: usize, condvar: usize, mutex: usize) {
        self.wait_until(me, |s| {
            if s.timed_out[me] {
                return true;
            }
            let from = s.wait_from[me];
            let cv = s.condvar(condvar);
            // A token sent before this wait began belongs to an earlier waiter.
            if cv.tokens == 0 || cv.notifies == from {
                return false;
            }
            cv.tokens -= 1;
            cv.timed_waiters -= 1;
            s.status[me] = Status::Blocked(Wait::Mutex(mutex));
            true
        });
    }

    /// Thread `me` woke from `condvar` and holds `mutex` again; true if its deadline ended the
    /// wait rather than a notification.
    ///
    /// `timed` says the wait went through [`wait_timed`](Self::wait_timed), which already took
    /// its notification.
    pub(crate) fn after_wait(&self, me: usize, condvar: usize, mutex: usize, timed: bool) -> bool {
        self.step_point();
        let mut s = self.lock();
        let timed_out = std::mem::take(&mut s.timed_out[me]);
        let cv = s.condvar(condvar);
        cv.waiters -= 1;
        let consumed = usize::from(!timed_out && !timed);
        cv.tokens = cv.tokens.saturating_sub(consumed).min(cv.waiters);
        s.status[me] = Status::Running;
        s.mutex(mutex).owner = Some(me);
        self.push(
            &mut s,
            me,
            EventKind::Woken {
                condvar,
                mutex,
                timed_out,
            },
        );
        self.settle(s);
        timed_out
    }

    pub(crate) fn notify(&self, me: usize, condvar: usize, all: bool) {
        self.step_point();
        let mut s = self.lock();
        let cv = s.condvar(condvar);
        cv.notifies += 1;
        cv.tokens = if all {
            cv.waiters
        } else {
            (cv.tokens + 1).min(cv.waiters)
        };
        // Timed waiters wait on the clock, not on the backend condvar: wake them to look.
        let wake = if cv.timed_waiters > 0 {
            Wake::threads(s.status.iter().enumerate().filter_map(|(t, st)| match st {
                Status::Blocked(Wait::Condvar {
                    condvar: c,
                    deadline: Some(_),
                    ..
                }) if *c == condvar => Some(t),
                _ => None,
            }))
        } else {
            Wake::default()
        };
        self.push(&mut s, me, EventKind::Notify { condvar, all });
        self.settle_and_wake(s, wake);
    }
}
