//! `Mutex` and `Condvar`: the two primitives every other blocking one is built from.

use crate::real;
use crate::rt::{self, Execution, ObjectKind, Primitives};
use crate::shuttle_sync;
use std::borrow::Cow;
use std::fmt;
use std::ops::{Deref, DerefMut};
use std::sync::{Arc, LockResult, TryLockError, TryLockResult};

/// A mutual-exclusion lock, like `std::sync::Mutex`, explored by the backend of the check.
///
/// Locking a mutex this thread already holds blocks forever, as std's does on Linux: the
/// facade reports it as a deadlock.
pub struct Mutex<T> {
    id: usize,
    /// The execution it was made in, the only one it is used in: a lock and its guard's
    /// release record there without looking up the current execution (a thread-local's
    /// indirect call and a reference-count increment and decrement per lock).
    exec: Arc<Execution>,
    inner: MutexInner<T>,
}

enum MutexInner<T> {
    Loom(loom::sync::Mutex<T>),
    Shuttle(shuttle_sync::Mutex<T>),
    Real(real::Mutex<T>),
}

/// Proof that the current thread holds a [`Mutex`]; unlocks it when dropped.
#[must_use = "if unused the Mutex will immediately unlock"]
pub struct MutexGuard<'a, T> {
    mutex: &'a Mutex<T>,
    me: usize,
    inner: Option<GuardInner<'a, T>>,
}

enum GuardInner<'a, T> {
    Loom(loom::sync::MutexGuard<'a, T>),
    Shuttle(shuttle_sync::Guard<'a, T>),
    Real(real::Guard<'a, T>),
}

impl<T> Mutex<T> {
    /// A mutex named `mutex#N` in traces.
    #[track_caller]
    pub fn new(value: T) -> Self {
        Self::build(None, value)
    }

    /// A mutex with the name traces and deadlock reports give it, e.g. `"LockManager._lock"`.
    #[track_caller]
    pub fn named(name: impl Into<Cow<'static, str>>, value: T) -> Self {
        Self::build(Some(name.into()), value)
    }

    #[track_caller]
    fn build(name: Option<Cow<'static, str>>, value: T) -> Self {
        rt::with(|exec| {
            let id = exec.register_object(ObjectKind::Mutex, name);
            let inner = match exec.primitives {
                Primitives::Loom => MutexInner::Loom(loom::sync::Mutex::new(value)),
                Primitives::Shuttle => MutexInner::Shuttle(shuttle_sync::Mutex::new(value)),
                Primitives::Threads => MutexInner::Real(real::Mutex::new(value)),
            };
            Mutex {
                id,
                exec: exec.clone(),
                inner,
            }
        })
    }

    /// Acquire the lock, blocking until it is free. Never returns an error: an execution ends
    /// at its first panic, so a poisoned lock is never seen.
    pub fn lock(&self) -> LockResult<MutexGuard<'_, T>> {
        let exec = &*self.exec;
        let me = rt::me_in(exec);
        exec.before_lock(me, self.id);
        let inner = self.relock_inner(me);
        exec.after_lock(me, self.id);
        Ok(MutexGuard {
            mutex: self,
            me,
            inner: Some(inner),
        })
    }
}

impl<T> Mutex<T> {
    /// Acquire the lock if it is free, without blocking: `Err(WouldBlock)` if another
    /// thread (or this one) holds it. Either way a step of the trace.
    pub fn try_lock(&self) -> TryLockResult<MutexGuard<'_, T>> {
        let exec = &*self.exec;
        let me = rt::me_in(exec);
        let inner = match &self.inner {
            MutexInner::Loom(m) => match m.try_lock() {
                Ok(g) => Some(GuardInner::Loom(g)),
                Err(TryLockError::Poisoned(p)) => Some(GuardInner::Loom(p.into_inner())),
                Err(TryLockError::WouldBlock) => None,
            },
            MutexInner::Shuttle(m) => m.try_lock(me).map(GuardInner::Shuttle),
            MutexInner::Real(m) => m.try_lock().map(GuardInner::Real),
        };
        match inner {
            Some(inner) => {
                exec.after_lock(me, self.id);
                Ok(MutexGuard {
                    mutex: self,
                    me,
                    inner: Some(inner),
                })
            }
            None => {
                let object = self.id;
                exec.record(me, crate::trace::EventKind::TryLockFailed { object });
                Err(TryLockError::WouldBlock)
            }
        }
    }

    /// The value, consuming the mutex (no other thread can hold it).
    pub fn into_inner(self) -> LockResult<T> {
        Ok(match self.inner {
            MutexInner::Loom(m) => m.into_inner().unwrap_or_else(|p| p.into_inner()),
            MutexInner::Shuttle(m) => m.into_inner(),
            MutexInner::Real(m) => m.into_inner(),
        })
    }

    /// The value, through the only reference to the mutex: no locking, no step.
    pub fn get_mut(&mut self) -> LockResult<&mut T> {
        Ok(match &mut self.inner {
            MutexInner::Loom(m) => m.get_mut().unwrap_or_else(|p| p.into_inner()),
            MutexInner::Shuttle(m) => m.get_mut(),
            MutexInner::Real(m) => m.get_mut(),
        })
    }

    /// Take the backend lock with no bookkeeping: the caller records the wait.
    fn relock_inner(&self, me: usize) -> GuardInner<'_, T> {
        match &self.inner {
            MutexInner::Loom(m) => GuardInner::Loom(m.lock().unwrap_or_else(|p| p.into_inner())),
            MutexInner::Shuttle(m) => GuardInner::Shuttle(m.lock(me)),
            MutexInner::Real(m) => GuardInner::Real(m.lock(&self.exec)),
        }
    }
}

impl<T> Deref for MutexGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        match self.inner.as_ref().expect("guard is held") {
            GuardInner::Loom(g) => g,
            GuardInner::Shuttle(g) => g,
            GuardInner::Real(g) => g,
        }
    }
}

impl<T> DerefMut for MutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        match self.inner.as_mut().expect("guard is held") {
            GuardInner::Loom(g) => &mut *g,
            GuardInner::Shuttle(g) => &mut *g,
            GuardInner::Real(g) => &mut *g,
        }
    }
}

impl<T> Drop for MutexGuard<'_, T> {
    fn drop(&mut self) {
        // Emptied by a condvar wait, which did its own release. Not after its execution is
        // over either (a guard a failed execution's teardown drops late). The backend guard
        // is a field: dropped (released) right after this, so after the release's record.
        if self.inner.is_some() && rt::in_execution() {
            self.mutex.exec.release(self.me, self.mutex.id);
        }
    }
}

impl<T: fmt::Debug> fmt::Debug for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: Default> Default for Mutex<T> {
    #[track_caller]
    fn default() -> Self {
        Mutex::new(T::default())
    }
}

impl<T> From<T> for Mutex<T> {
    #[track_caller]
    fn from(value: T) -> Self {
        Mutex::new(value)
    }
}

impl<T> fmt::Debug for Mutex<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mutex")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// A condition variable, like `std::sync::Condvar`. Waiters must re-check their condition in
/// a loop: the real-threads backend wakes them spuriously.
pub struct Condvar {
    id: usize,
    /// The execution it was made in, where a notification is recorded (as [`Mutex`] keeps).
    exec: Arc<Execution>,
    inner: CondvarInner,
}

/// A timed wait does not use the backend condvar: it waits on the virtual clock, and a
/// notification of this condvar wakes it.
enum CondvarInner {
    Loom(loom::sync::Condvar),
    Shuttle(shuttle_sync::Condvar),
    Real(real::Condvar),
}

/// Returned by [`Condvar::wait_timeout`], like std's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WaitTimeoutResult(bool);

impl WaitTimeoutResult {
    /// Whether the wait ended because its timeout elapsed.
    pub fn timed_out(&self) -> bool {
        self.0
    }
}

impl Default for Condvar {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for Condvar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Condvar")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl Condvar {
    #[track_caller]
    pub fn new() -> Self {
        Self::build(None)
    }

    #[track_caller]
    pub fn named(name: impl Into<Cow<'static, str>>) -> Self {
        Self::build(Some(name.into()))
    }

    #[track_caller]
    fn build(name: Option<Cow<'static, str>>) -> Self {
        rt::with(|exec| {
            let id = exec.register_object(ObjectKind::Condvar, name);
            let inner = match exec.primitives {
                Primitives::Loom => CondvarInner::Loom(loom::sync::Condvar::new()),
                Primitives::Shuttle => CondvarInner::Shuttle(shuttle_sync::Condvar::new()),
                Primitives::Threads => CondvarInner::Real(real::Condvar::new()),
            };
            Condvar {
                id,
                exec: exec.clone(),
                inner,
            }
        })
    }

    /// Release the guard's mutex, wait for a notification, and take the mutex again.
    pub fn wait<'a, T>(&self, guard: MutexGuard<'a, T>) -> LockResult<MutexGuard<'a, T>> {
        Ok(self.wait_for(guard, None).0)
    }

    /// Like [`wait`](Self::wait), but give up once `timeout` has passed: virtual time under the
    /// model backends (the clock moves when no thread can run), real time under real threads.
    pub fn wait_timeout<'a, T>(
        &self,
        guard: MutexGuard<'a, T>,
        timeout: std::time::Duration,
    ) -> LockResult<(MutexGuard<'a, T>, WaitTimeoutResult)> {
        let (guard, timed_out) = self.wait_for(guard, Some(timeout));
        Ok((guard, WaitTimeoutResult(timed_out)))
    }

    fn wait_for<'a, T>(
        &self,
        mut guard: MutexGuard<'a, T>,
        timeout: Option<std::time::Duration>,
    ) -> (MutexGuard<'a, T>, bool) {
        let me = guard.me;
        let mutex_ref: &'a Mutex<T> = guard.mutex;
        // The mutex's execution is this condvar's (one execution makes both).
        let exec = &mutex_ref.exec;
        let mutex = mutex_ref.id;
        exec.before_wait(me, self.id, mutex, timeout);
        // The bookkeeping already released the mutex: the emptied guard's drop records nothing
        // and releases nothing. It is dropped, not forgotten: forgetting it once kept every
        // execution that waited on a condvar alive for good.
        let inner = guard.inner.take().expect("guard is held");
        drop(guard);
        let timed = timeout.is_some();
        let woken = match (&self.inner, inner) {
            (_, g) if timed => {
                drop(g);
                exec.wait_timed(me, self.id, mutex);
                mutex_ref.relock_inner(me)
            }
            (CondvarInner::Loom(cv), GuardInner::Loom(g)) => {
                GuardInner::Loom(cv.wait(g).unwrap_or_else(|p| p.into_inner()))
            }
            (CondvarInner::Shuttle(cv), GuardInner::Shuttle(g)) => {
                GuardInner::Shuttle(cv.wait(g, me))
            }
            (CondvarInner::Real(cv), GuardInner::Real(g)) => GuardInner::Real(cv.wait(g, exec)),
            _ => unreachable!("a condvar and a mutex of one execution share its backend"),
        };
        let timed_out = exec.after_wait(me, self.id, mutex, timed);
        let guard = MutexGuard {
            mutex: mutex_ref,
            me,
            inner: Some(woken),
        };
        (guard, timed_out)
    }

    pub fn notify_one(&self) {
        self.notify(false)
    }

    pub fn notify_all(&self) {
        self.notify(true)
    }

    fn notify(&self, all: bool) {
        let exec = &*self.exec;
        exec.notify(rt::me_in(exec), self.id, all);
        match &self.inner {
            CondvarInner::Loom(cv) if all => cv.notify_all(),
            CondvarInner::Loom(cv) => cv.notify_one(),
            CondvarInner::Shuttle(cv) if all => cv.notify_all(),
            CondvarInner::Shuttle(cv) => cv.notify_one(),
            CondvarInner::Real(cv) => cv.notify(all),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{BackendKind, Check};
    use std::sync::Weak;

    static SEEN: std::sync::Mutex<Vec<Weak<Execution>>> = std::sync::Mutex::new(Vec::new());
    /// The tests share `SEEN`.
    static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

    /// Main waits on a condvar until a worker sets a flag; it notes its execution.
    fn waits_on_a_condvar() {
        SEEN.lock()
            .unwrap()
            .push(Arc::downgrade(&rt::with(Arc::clone)));
        let pair = Arc::new((Mutex::new(false), Condvar::new()));
        let p = pair.clone();
        let t = crate::thread::spawn(move || {
            *p.0.lock().unwrap() = true;
            p.1.notify_one();
        });
        let mut g = pair.0.lock().unwrap();
        while !*g {
            g = pair.1.wait(g).unwrap();
        }
        drop(g);
        t.join().unwrap();
    }

    /// Every other blocking primitive once, each thread noting its execution.
    fn uses_every_primitive() {
        use crate::sync::{mpsc, Barrier, OnceLock, RwLock};
        use std::time::Duration;
        SEEN.lock()
            .unwrap()
            .push(Arc::downgrade(&rt::with(Arc::clone)));
        let rw = Arc::new(RwLock::new(0));
        let once = Arc::new(OnceLock::new());
        let barrier = Arc::new(Barrier::new(2));
        let (tx, rx) = mpsc::sync_channel(1);
        let pair = Arc::new((Mutex::new(()), Condvar::new()));
        let (rw2, once2, barrier2, pair2) =
            (rw.clone(), once.clone(), barrier.clone(), pair.clone());
        let main = crate::thread::current();
        let t = crate::thread::spawn(move || {
            *rw2.write().unwrap() += 1;
            once2.get_or_init(|| 1);
            barrier2.wait();
            tx.send(1).unwrap();
            let _ = pair2.0.try_lock();
            main.unpark();
        });
        let _ = *rw.read().unwrap();
        once.get_or_init(|| 2);
        barrier.wait();
        assert_eq!(rx.recv().unwrap(), 1);
        crate::thread::park();
        let g = pair.0.lock().unwrap();
        drop(pair.1.wait_timeout(g, Duration::from_secs(1)).unwrap());
        crate::time::sleep(Duration::from_secs(1));
        t.join().unwrap();
    }

    #[test]
    fn a_condvar_wait_keeps_no_execution_alive() {
        no_execution_outlives_its_check(waits_on_a_condvar);
    }

    #[test]
    fn no_primitive_keeps_an_execution_alive() {
        no_execution_outlives_its_check(uses_every_primitive);
    }

    fn no_execution_outlives_its_check(model: fn()) {
        let _one_at_a_time = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
        for backend in [BackendKind::Random, BackendKind::Dfs, BackendKind::Loom] {
            SEEN.lock().unwrap().clear();
            Check::new(model)
                .backend(backend)
                .executions(50)
                .run()
                .assert_passes();
            let seen = std::mem::take(&mut *SEEN.lock().unwrap());
            assert!(seen.len() > 1, "{backend}: {} executions", seen.len());
            // The last one may still be this OS thread's current execution.
            let alive = seen[..seen.len() - 1]
                .iter()
                .filter(|w| w.strong_count() > 0)
                .count();
            assert_eq!(
                alive, 0,
                "{backend}: executions still alive after the check"
            );
        }
    }
}
