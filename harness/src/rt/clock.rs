//! The virtual clock, under every backend: it moves only when no thread can run, to the
//! earliest deadline, and wakes the threads due then. Computation takes no virtual time, so an
//! OS pause under real threads never expires a lease; a pause longer than a lease is explored by
//! the model backends as a schedule (or a chosen duration), not left to the OS.
//!
//! A sleeper or a timed waiter waits only for the thread that moves the clock (or notifies its
//! condvar) to wake it: under loom and shuttle it parks and is unparked by that thread alone,
//! so unrelated sleepers are independent for loom's partial-order reduction; under real threads
//! it waits on the execution's condvar.

use super::state::{State, Status, Wait};
use super::{Execution, Primitives};
use std::sync::{Arc, MutexGuard};
use std::time::Duration;

/// How often a real thread waiting on the clock looks at the abort flag.
const REAL_POLL: Duration = Duration::from_millis(10);

/// How to wake one model thread that waits on the clock under a model backend.
///
/// loom: the thread parks and is unparked. shuttle models spurious wake-ups of `park`, which
/// would let DFS explore a parked thread waking for ever, so there the thread waits on a bell of
/// its own: a flag under a mutex and a condvar, which shuttle never wakes spuriously.
#[derive(Clone)]
pub(super) enum Parker {
    Loom(loom::thread::Thread),
    Shuttle(Arc<Bell>),
}

pub(super) struct Bell {
    rung: crate::shuttle_sync::Mutex<bool>,
    ringing: crate::shuttle_sync::Condvar,
}

impl Bell {
    /// Thread `me` rings it.
    fn ring(&self, me: usize) {
        *self.rung.lock(me) = true;
        self.ringing.notify_one();
    }

    /// Thread `me`, its owner, waits until it is rung, and takes the ring.
    fn wait(&self, me: usize) {
        let mut rung = self.rung.lock(me);
        while !*rung {
            rung = self.ringing.wait(rung, me);
        }
        *rung = false;
    }
}

impl Parker {
    /// Thread `me` wakes the parker's thread.
    fn unpark(&self, me: usize) {
        match self {
            Parker::Loom(t) => t.unpark(),
            Parker::Shuttle(bell) => bell.ring(me),
        }
    }

    /// Thread `me`, the parker's, parks.
    fn park(&self, me: usize) {
        match self {
            Parker::Loom(_) => loom::thread::park(),
            Parker::Shuttle(bell) => bell.wait(me),
        }
    }
}

/// The threads to wake once the state lock is released.
#[derive(Default)]
pub(super) struct Wake(Vec<usize>);

impl Wake {
    pub(super) fn threads(threads: impl Iterator<Item = usize>) -> Self {
        Wake(threads.collect())
    }
}

impl Execution {
    /// The current time: virtual, or tokio's paused clock inside a real-backend `block_on`.
    pub(crate) fn now(&self) -> Duration {
        if self.primitives == Primitives::Threads && self.in_tokio() {
            let start = *self.tokio_start.get().expect("in_tokio checked it");
            return tokio::time::Instant::now() - start;
        }
        Duration::from_nanos(self.lock().clock)
    }

    /// Whether this thread runs inside the paused tokio runtime of a `future::block_on`.
    pub(crate) fn in_tokio(&self) -> bool {
        self.tokio_start.get().is_some() && tokio::runtime::Handle::try_current().is_ok()
    }

    /// Thread `me` sleeps for `duration` of virtual time: it runs again once every other thread
    /// is blocked or asleep and its deadline is the earliest.
    pub(crate) fn sleep(&self, me: usize, duration: Duration) {
        self.step_point();
        self.register_parker(me);
        let mut s = self.lock();
        let nanos = duration.as_nanos().min(u64::MAX as u128) as u64;
        let until = s.clock.saturating_add(nanos);
        self.push(&mut s, me, super::EventKind::Sleep { duration: nanos });
        s.status[me] = Status::Sleeping { until };
        let wake = self.when_all_stuck(&mut s);
        self.settle_and_wake(s, wake);
        self.wait_until(me, |s| !matches!(s.status[me], Status::Sleeping { .. }));
        self.record(me, super::EventKind::Woke);
    }

    /// Say how to wake thread `me` when it parks (model backends; once per thread).
    pub(super) fn register_parker(&self, me: usize) {
        let known = |p: &Vec<Option<Parker>>| p.get(me).is_some_and(Option::is_some);
        if known(&self.parkers.lock().unwrap_or_else(|p| p.into_inner())) {
            return;
        }
        let parker = match self.primitives {
            Primitives::Loom => Parker::Loom(loom::thread::current()),
            Primitives::Shuttle => Parker::Shuttle(Arc::new(Bell {
                rung: crate::shuttle_sync::Mutex::new(false),
                ringing: crate::shuttle_sync::Condvar::new(),
            })),
            Primitives::Threads => return,
        };
        let mut parkers = self.parkers.lock().unwrap_or_else(|p| p.into_inner());
        if parkers.len() <= me {
            parkers.resize_with(me + 1, || None);
        }
        parkers[me] = Some(parker);
    }

    /// Block thread `me` until `done` holds of the state (checked under the state lock).
    pub(super) fn wait_until(&self, me: usize, mut done: impl FnMut(&mut State) -> bool) {
        if self.primitives == Primitives::Threads {
            let mut s = self.lock();
            while !done(&mut s) {
                if self.is_aborted() {
                    drop(s);
                    self.abort_unwind();
                }
                s = self
                    .real_wake
                    .wait_timeout(s, REAL_POLL)
                    .unwrap_or_else(|p| p.into_inner())
                    .0;
            }
            return;
        }
        let parker = {
            let parkers = self.parkers.lock().unwrap_or_else(|p| p.into_inner());
            parkers[me].clone().expect("registered before waiting")
        };
        loop {
            let finished = {
                let mut s = self.lock();
                done(&mut s)
            };
            if finished {
                return;
            }
            parker.park(me);
        }
    }

    /// If no thread can run: advance the virtual clock to the earliest deadline and say who is
    /// due, or, with no deadline pending, record a deadlock.
    pub(super) fn when_all_stuck(&self, s: &mut State) -> Wake {
        if s.failure.is_some() || !(0..s.status.len()).all(|t| s.stuck(t)) {
            return Wake::default();
        }
        let deadline = |st: &Status| match *st {
            Status::Sleeping { until } => Some(until),
            Status::Blocked(Wait::Condvar { deadline, .. } | Wait::Park { deadline }) => deadline,
            _ => None,
        };
        let Some(next) = s.status.iter().filter_map(deadline).min() else {
            let blocked = self.describe_all(s);
            s.failure = Some(crate::Outcome::Deadlock { blocked });
            return Wake::default();
        };
        s.clock = s.clock.max(next);
        let mut due = Vec::new();
        for t in 0..s.status.len() {
            match s.status[t] {
                Status::Sleeping { until } if until <= s.clock => {
                    s.status[t] = Status::Running;
                    due.push(t);
                }
                Status::Blocked(Wait::Condvar {
                    condvar,
                    mutex,
                    deadline: Some(d),
                }) if d <= s.clock => {
                    // Timed out: it needs only its mutex back now, and takes no notification.
                    s.timed_out[t] = true;
                    s.condvar(condvar).timed_waiters -= 1;
                    s.status[t] = Status::Blocked(Wait::Mutex(mutex));
                    due.push(t);
                }
                Status::Blocked(Wait::Park { deadline: Some(d) }) if d <= s.clock => {
                    s.timed_out[t] = true;
                    s.status[t] = Status::Running;
                    due.push(t);
                }
                _ => {}
            }
        }
        Wake(due)
    }

    /// Release the state, wake who is due, and unwind if the execution failed.
    #[inline]
    pub(super) fn settle_and_wake(&self, s: MutexGuard<'_, State>, wake: Wake) {
        if s.failure.is_some() {
            return self.settle(s);
        }
        drop(s);
        if !wake.0.is_empty() {
            self.wake(wake);
        }
    }

    /// Wake `wake`'s threads, the state lock released.
    #[inline(never)]
    fn wake(&self, wake: Wake) {
        if self.primitives == Primitives::Threads {
            self.real_wake.notify_all();
            return;
        }
        let me = super::me_in(self);
        if self.replaying() {
            // The wake-ups are backend steps with no event of their own: let the replay finish
            // them before it asks for the next recorded step (see `releasing`).
            self.lock().releasing[me] = true;
        }
        // A thread that made itself due (its own wait moved the clock) sees that before it
        // parks: unparking it would leave loom a token that a later loom wait of it (a
        // condvar's, a join's) takes as its wake-up, and loom then wakes it from that wait
        // with no notification (a condvar's waiter list keeps it, a join asserts).
        // (shuttle's bell keeps its ring until the thread's next wait on the clock, which
        // loops, so there the ring stays: skipping it would move shuttle's schedules.)
        let skip_me = self.primitives == Primitives::Loom;
        // Unpark outside the state lock: a backend operation may switch threads.
        let parkers = self.parkers.lock().unwrap_or_else(|p| p.into_inner());
        let wake: Vec<Parker> = wake
            .0
            .iter()
            .filter(|&&t| !(skip_me && t == me))
            .filter_map(|&t| parkers.get(t).and_then(Option::clone))
            .collect();
        drop(parkers);
        for p in &wake {
            p.unpark(me);
        }
    }
}
