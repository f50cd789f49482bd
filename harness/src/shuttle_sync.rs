//! `Mutex` and `Condvar` for the shuttle backends (random, PCT, DFS, replay and the guided
//! schedulers), built on shuttle's engine rather than on `shuttle::sync`.
//!
//! They take exactly the scheduling decisions `shuttle::sync::{Mutex, Condvar}` take
//! (shuttle-std 0.1.5 on shuttle-engine 0.1.7): the same scheduling points, and the same
//! threads blocked, unblocked and woken at each, so a seed runs the same executions and every
//! saved schedule replays as before. What they leave out is what those decisions do not need:
//! a boxed future, a waker and a reference-counted waiter per lock, a second record of the
//! holder, trace calls, and vector clocks (which shuttle keeps only with its `vector-clocks`
//! feature, and which no racecheck scheduler reads).
//!
//! shuttle's mutex is a one-permit unfair semaphore (`future/batch_semaphore.rs`):
//! - A lock that will succeed is a scheduling point first; one that will block is not, since
//!   joining an unordered set of waiters commutes with every other operation on the lock.
//! - A blocked locker sleeps among the waiters. A release is a scheduling point first, then
//!   unblocks and wakes every waiter; the first to run takes the lock and blocks the others
//!   again.
//! - Once the execution is being abandoned, a release opens the lock for good, so that the
//!   destructors its teardown runs never wait.
//!
//! A thread that locks a mutex it holds waits as any other locker would, for good: the facade
//! reports the deadlock once no other thread can act (shuttle's own mutex panics instead).

use shuttle_engine::runtime::execution::ExecutionState;
use shuttle_engine::runtime::task::waker::make_waker;
use shuttle_engine::runtime::task::TaskId;
use shuttle_engine::runtime::thread::switch;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::Relaxed};
use std::sync::{Mutex as StdMutex, MutexGuard as StdGuard, TryLockError};

/// shuttle runs one task at a time on one OS thread, so these locks are never contended: they
/// are here for `Send` and `Sync`, and a poisoned one (a panic is an execution's end) is read
/// as it is.
fn relock<T>(m: &StdMutex<T>) -> StdGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

pub(crate) struct Mutex<T> {
    locked: AtomicBool,
    /// Opened for good by a release once the execution stopped (see [`Mutex::release`]).
    open: AtomicBool,
    /// The threads asleep until the next release: a set, in no meaningful order.
    waiters: StdMutex<Vec<TaskId>>,
    /// `waiters.len()`, read without the lock.
    waiting: AtomicUsize,
    data: StdMutex<T>,
}

/// Proof that a thread holds a [`Mutex`]; releases it when dropped.
pub(crate) struct Guard<'a, T> {
    mutex: &'a Mutex<T>,
    /// Dropped after [`Guard::drop`]'s release, as shuttle's guard drops its inner one.
    data: StdGuard<'a, T>,
}

impl<T> Mutex<T> {
    pub(crate) fn new(value: T) -> Self {
        Mutex {
            locked: AtomicBool::new(false),
            open: AtomicBool::new(false),
            waiters: StdMutex::new(Vec::new()),
            waiting: AtomicUsize::new(0),
            data: StdMutex::new(value),
        }
    }

    /// Take the lock for thread `me`, waiting while another holds it.
    pub(crate) fn lock(&self, me: usize) -> Guard<'_, T> {
        let me = TaskId::from(me);
        if self.open.load(Relaxed) || !self.locked.load(Relaxed) {
            switch();
        }
        let mut waiter = Waiter {
            mutex: self,
            me,
            queued: false,
        };
        while !self.open.load(Relaxed) {
            if !self.locked.load(Relaxed) {
                self.locked.store(true, Relaxed);
                waiter.leave();
                self.block_waiters(me);
                break;
            }
            waiter.join();
            ExecutionState::with(|s| s.current_mut().sleep_unless_woken());
            switch();
        }
        self.guard()
    }

    /// Take the lock for thread `me` if it is free: a scheduling point either way.
    pub(crate) fn try_lock(&self, me: usize) -> Option<Guard<'_, T>> {
        switch();
        if self.open.load(Relaxed) || self.locked.load(Relaxed) {
            return None;
        }
        self.locked.store(true, Relaxed);
        self.block_waiters(TaskId::from(me));
        Some(self.guard())
    }

    /// The value, consuming the mutex: a scheduling point, as shuttle's is.
    pub(crate) fn into_inner(self) -> T {
        switch();
        self.data.into_inner().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn get_mut(&mut self) -> &mut T {
        self.data.get_mut().unwrap_or_else(|p| p.into_inner())
    }

    fn guard(&self) -> Guard<'_, T> {
        let data = match self.data.try_lock() {
            Ok(g) => g,
            Err(TryLockError::Poisoned(p)) => p.into_inner(),
            Err(TryLockError::WouldBlock) => unreachable!("a mutex taken twice at once"),
        };
        Guard { mutex: self, data }
    }

    /// The lock was just taken by `me`: the other waiters a release woke cannot take it now,
    /// so they sleep again rather than run to find it held.
    fn block_waiters(&self, me: TaskId) {
        if self.waiting.load(Relaxed) == 0 {
            return;
        }
        let waiters = relock(&self.waiters);
        ExecutionState::with(|s| {
            for &t in waiters.iter().filter(|&&t| t != me) {
                if let Some(task) = s.try_get_mut(t).filter(|task| !task.finished()) {
                    task.block(false);
                }
            }
        });
    }

    /// A scheduling point, then the release. A teardown that unwinds the thread from the
    /// scheduling point still releases.
    fn release(&self) {
        struct ReleaseOnUnwind<'a, T>(&'a Mutex<T>);
        impl<T> Drop for ReleaseOnUnwind<'_, T> {
            fn drop(&mut self) {
                self.0.release_now();
            }
        }
        let on_unwind = ReleaseOnUnwind(self);
        switch();
        std::mem::forget(on_unwind);
        self.release_now();
    }

    fn release_now(&self) {
        self.locked.store(false, Relaxed);
        if ExecutionState::should_stop() {
            self.open.store(true, Relaxed);
            relock(&self.waiters).clear();
            self.waiting.store(0, Relaxed);
            return;
        }
        if self.waiting.load(Relaxed) == 0 {
            return;
        }
        let waiters = relock(&self.waiters);
        // One look at the engine for every waiter (with a herd of them, a look each was a
        // large part of a step), then their wakers, which mark them woken: a sleep a waiter
        // starts before it next runs does not stick. A finished one's waker does nothing.
        ExecutionState::with(|s| {
            for &t in waiters.iter() {
                let task = s.get_mut(t);
                if !task.finished() {
                    task.unblock();
                }
            }
        });
        for &t in waiters.iter() {
            make_waker(t).wake();
        }
    }
}

/// A locker's place among a mutex's waiters, left when it takes the lock, or when a teardown
/// unwinds it from its wait.
struct Waiter<'a, T> {
    mutex: &'a Mutex<T>,
    me: TaskId,
    queued: bool,
}

impl<T> Waiter<'_, T> {
    fn join(&mut self) {
        if !self.queued {
            relock(&self.mutex.waiters).push(self.me);
            self.mutex.waiting.fetch_add(1, Relaxed);
            self.queued = true;
        }
    }

    fn leave(&mut self) {
        if std::mem::take(&mut self.queued) {
            let mut waiters = relock(&self.mutex.waiters);
            // Gone already if a release opened the lock and cleared them.
            if let Some(i) = waiters.iter().position(|&t| t == self.me) {
                waiters.swap_remove(i);
                self.mutex.waiting.store(waiters.len(), Relaxed);
            }
        }
    }
}

impl<T> Drop for Waiter<'_, T> {
    fn drop(&mut self) {
        self.leave();
    }
}

impl<T> std::ops::Deref for Guard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.data
    }
}

impl<T> std::ops::DerefMut for Guard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.data
    }
}

impl<T> Drop for Guard<'_, T> {
    fn drop(&mut self) {
        self.mutex.release();
    }
}

/// A condition variable on [`Mutex`]: `notify_one` wakes every waiter, each carrying the
/// notification's number, and the first to run takes it, putting back to sleep the waiters left
/// with none.
pub(crate) struct Condvar {
    state: StdMutex<CondvarState>,
}

#[derive(Default)]
struct CondvarState {
    waiters: Vec<(TaskId, Notified)>,
    next_notification: usize,
}

enum Notified {
    Not,
    /// By these `notify_one`s, oldest first, which no other waiter has taken yet.
    One(VecDeque<usize>),
    All,
}

impl Condvar {
    pub(crate) fn new() -> Self {
        Condvar {
            state: StdMutex::new(CondvarState::default()),
        }
    }

    /// Release the guard's mutex, sleep until notified, and take the mutex again.
    pub(crate) fn wait<'a, T>(&self, guard: Guard<'a, T>, me: usize) -> Guard<'a, T> {
        let me = TaskId::from(me);
        let mutex = guard.mutex;
        drop(guard);
        relock(&self.state).waiters.push((me, Notified::Not));

        struct StopWaitingOnUnwind<'a>(&'a Condvar, TaskId);
        impl Drop for StopWaitingOnUnwind<'_> {
            fn drop(&mut self) {
                relock(&self.0.state).waiters.retain(|w| w.0 != self.1);
            }
        }
        let stop_waiting = StopWaitingOnUnwind(self, me);
        ExecutionState::with(|s| s.current_mut().block(false));
        switch();
        std::mem::forget(stop_waiting);

        let mut state = relock(&self.state);
        let i = state
            .waiters
            .iter()
            .position(|w| w.0 == me)
            .expect("a woken waiter is still among the waiters");
        match state.waiters.swap_remove(i).1 {
            Notified::All => {}
            Notified::One(mut taken) => {
                let n = taken.pop_front().expect("woken by a notification");
                ExecutionState::with(|s| {
                    for (t, notified) in state.waiters.iter_mut() {
                        let Notified::One(ns) = notified else {
                            continue;
                        };
                        let Some(j) = ns.iter().position(|&x| x == n) else {
                            continue;
                        };
                        ns.remove(j);
                        if ns.is_empty() {
                            *notified = Notified::Not;
                            s.get_mut(*t).block(false);
                        }
                    }
                });
            }
            Notified::Not => unreachable!("a condvar waiter woken with no notification"),
        }
        drop(state);
        mutex.lock(me.into())
    }

    pub(crate) fn notify_one(&self) {
        switch();
        let mut state = relock(&self.state);
        let n = state.next_notification;
        state.next_notification += 1;
        // One look at the engine for every waiter, as a mutex's release takes.
        ExecutionState::with(|s| {
            for (t, notified) in state.waiters.iter_mut() {
                match notified {
                    Notified::Not => *notified = Notified::One(VecDeque::from([n])),
                    Notified::One(ns) => ns.push_back(n),
                    Notified::All => {}
                }
                s.get_mut(*t).unblock();
            }
        });
    }

    pub(crate) fn notify_all(&self) {
        switch();
        let state = &mut *relock(&self.state);
        ExecutionState::with(|s| {
            for (t, notified) in state.waiters.iter_mut() {
                *notified = Notified::All;
                s.get_mut(*t).unblock();
            }
        });
    }
}
