//! The engine behind the facade: one [`Execution`] per explored run.
//!
//! An execution knows every thread and every synchronisation object the model made, who holds
//! what and who waits on what. That bookkeeping gives three things no backend gives alike:
//! - a trace of every facade operation (the events a race file stores and replay follows);
//! - deadlock detection before the backend's own (loom's aborts the process): when a thread is
//!   about to block, or exits, and every live thread then waits on something no live thread can
//!   give, the execution fails with [`Outcome::Deadlock`] naming who waits on what;
//! - a step bound that works the same under every backend.
//!
//! A failure is recorded once (the first wins) and the failing thread unwinds with the silent
//! [`Abort`] payload, so the backend ends the execution as it would for any panic.

use crate::outcome::{Blocked, Outcome};
use crate::trace::{Event, EventKind, Trace};
use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::panic;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Once};

/// Which backend runs the current execution: picked when the execution starts, so one build
/// serves every scheduler.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Backend {
    Loom,
    Shuttle,
    Real,
}

/// The panic payload that ends an execution whose failure is already recorded.
pub(crate) struct Abort;

thread_local! {
    static CURRENT: RefCell<Option<Arc<Execution>>> = const { RefCell::new(None) };
    static REAL_ME: Cell<usize> = const { Cell::new(0) };
    /// Where and why the last panic on this OS thread happened, left by the panic hook for the
    /// thread wrapper that catches it.
    static LAST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

loom::thread_local! {
    static LOOM_ME: Cell<usize> = Cell::new(0);
}

/// Run `f` with the current execution.
///
/// # Panics
/// Outside a racecheck check: the facade's primitives exist only inside an execution.
#[track_caller]
pub(crate) fn with<R>(f: impl FnOnce(&Arc<Execution>) -> R) -> R {
    CURRENT.with(|c| match &*c.borrow() {
        Some(exec) => f(exec),
        None => panic!(
            "racecheck primitives are used outside a check: run the model through \
             racecheck::Check (or the racecheck CLI)"
        ),
    })
}

pub(crate) fn current() -> Option<Arc<Execution>> {
    CURRENT.with(|c| c.borrow().clone())
}

pub(crate) fn set_current(exec: Option<Arc<Execution>>) {
    CURRENT.with(|c| *c.borrow_mut() = exec);
}

/// The index of the model thread running now (0 is the model's main thread).
///
/// shuttle numbers its tasks in spawn order from 0, as the facade numbers threads (every spawn
/// goes through the facade), so a task id is the thread index; the replay scheduler relies on
/// the same fact.
pub(crate) fn me() -> usize {
    with(|exec| match exec.backend {
        Backend::Loom => LOOM_ME.with(|m| m.get()),
        Backend::Shuttle => usize::from(shuttle::current::me()),
        Backend::Real => REAL_ME.with(|m| m.get()),
    })
}

pub(crate) fn set_me(backend: Backend, index: usize) {
    match backend {
        Backend::Loom => LOOM_ME.with(|m| m.set(index)),
        Backend::Shuttle => debug_assert_eq!(usize::from(shuttle::current::me()), index),
        Backend::Real => REAL_ME.with(|m| m.set(index)),
    }
}

/// What a blocked thread waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Wait {
    Mutex(usize),
    /// A condvar wait; with a deadline (virtual nanoseconds) for `wait_timeout`.
    Condvar {
        condvar: usize,
        mutex: usize,
        deadline: Option<u64>,
    },
    Join(usize),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Status {
    Running,
    Blocked(Wait),
    /// In `time::sleep` until the virtual clock reaches `until`.
    Sleeping {
        until: u64,
    },
    Finished,
}

/// Whether threads waiting on the execution's timer must look again, once the state lock is
/// released.
#[derive(Default)]
struct Wake {
    timer: bool,
}

/// What sleepers and timed condvar waiters wait on under the model backends: one condvar per
/// execution, rung whenever one of them may be due (the clock moved, or a condvar with timed
/// waiters was notified). They check and wait under its mutex, so no ring is missed.
enum Timer {
    Loom(Box<(loom::sync::Mutex<()>, loom::sync::Condvar)>),
    Shuttle(Box<(shuttle::sync::Mutex<()>, shuttle::sync::Condvar)>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ObjectKind {
    Mutex,
    Condvar,
    Atomic,
}

struct Object {
    kind: ObjectKind,
    /// Mutex: the thread that holds it.
    owner: Option<usize>,
    /// Condvar: threads now waiting on it.
    waiters: usize,
    /// Condvar: notifications sent to waiters that have not woken yet (never above `waiters`).
    tokens: usize,
    /// Condvar: how many of `waiters` wait with a timeout, on the execution's timer.
    timed_waiters: usize,
    /// Condvar: notifications sent so far, so a timed waiter takes only a token sent after it
    /// began to wait.
    notifies: u64,
}

struct State {
    /// Thread names; `None` is the default, `thread-N` (thread 0 is `main`).
    thread_names: Vec<Option<Cow<'static, str>>>,
    status: Vec<Status>,
    /// Object names; `None` is the default, `<kind>#N`.
    object_names: Vec<Option<Cow<'static, str>>>,
    objects: Vec<Object>,
    events: Vec<Event>,
    failure: Option<Outcome>,
    /// The virtual clock, in nanoseconds since the execution started (model backends).
    clock: u64,
    /// Threads whose timed condvar wait ended by its deadline, not by a notification.
    timed_out: Vec<bool>,
    /// The `notifies` count of the condvar each thread last began waiting on.
    wait_from: Vec<u64>,
    /// Replay only: threads that recorded a release (or a condvar wait) whose backend mutex is
    /// not released yet. shuttle switches *before* it releases a mutex, so a replay may have to
    /// let such a thread finish its release, with no event, before the next recorded step can
    /// run. Cleared at the thread's next step point.
    releasing: Vec<bool>,
}

/// The async tasks of an execution (see [`crate::future`]): names, what each awaits, and which
/// task each thread is polling. Kept apart from [`State`]: it records no events.
#[derive(Default)]
pub(crate) struct Tasks {
    names: Vec<String>,
    /// What a pending task waits for, set by the async primitives; `None` while it can run.
    waits_on: Vec<Option<String>>,
    done: Vec<bool>,
    /// Thread index → (task being polled, the executor it belongs to).
    polling: Vec<Option<(usize, Arc<dyn std::any::Any + Send + Sync>)>>,
}

/// One run of a model under one backend.
pub(crate) struct Execution {
    pub(crate) backend: Backend,
    max_steps: usize,
    /// Replaying a recorded schedule: every step is also a switch point (see `step_point`).
    replaying: bool,
    aborted: AtomicBool,
    state: Mutex<State>,
    /// Created on the first `sleep`, inside the execution (loom's objects must be).
    timer: std::sync::OnceLock<Timer>,
    /// When the execution started, for the real clock.
    started: std::time::Instant,
    /// Real threads: real seconds per model second (1.0 is the real clock; 0.001 runs a
    /// 45 s operation in 45 ms). `sleep`, `now` and timeouts scale alike.
    pub(crate) real_time_scale: f64,
    tasks: Mutex<Tasks>,
    /// Real backend: the paused tokio clock's start, once a `future::block_on` began.
    pub(crate) tokio_start: std::sync::OnceLock<tokio::time::Instant>,
}

/// A per-thread vector holding main's entry, with room for the threads most models spawn.
fn per_thread<T>(main: T) -> Vec<T> {
    let mut v = Vec::with_capacity(4);
    v.push(main);
    v
}

impl Execution {
    pub(crate) fn new(backend: Backend, max_steps: usize, replaying: bool) -> Arc<Execution> {
        Self::with_time_scale(backend, max_steps, replaying, 1.0)
    }

    pub(crate) fn with_time_scale(
        backend: Backend,
        max_steps: usize,
        replaying: bool,
        real_time_scale: f64,
    ) -> Arc<Execution> {
        Arc::new(Execution {
            backend,
            max_steps,
            replaying,
            aborted: AtomicBool::new(false),
            // Room for a few threads and objects up front: growing these from one element
            // cost a realloc each per execution, ~15% of the facade's cost on a small model.
            state: Mutex::new(State {
                thread_names: per_thread(Some(Cow::Borrowed("main"))),
                status: per_thread(Status::Running),
                object_names: Vec::with_capacity(8),
                objects: Vec::with_capacity(8),
                events: Vec::with_capacity(64),
                failure: None,
                clock: 0,
                timed_out: per_thread(false),
                wait_from: per_thread(0),
                releasing: per_thread(false),
            }),
            timer: std::sync::OnceLock::new(),
            started: std::time::Instant::now(),
            real_time_scale,
            tasks: Mutex::new(Tasks::default()),
            tokio_start: std::sync::OnceLock::new(),
        })
    }

    /// Under replay, let the scheduler pick the thread of the next recorded step before this one.
    ///
    /// A race recorded on real threads may order two steps where shuttle has no switch point
    /// between them (a label right after a spawn, say). Replays of loom and shuttle recordings
    /// are unaffected: at an extra switch point the follower picks the thread already running.
    fn step_point(&self) {
        if self.replaying && !std::thread::panicking() {
            let me = usize::from(shuttle::current::me());
            self.lock().releasing[me] = false;
            shuttle::thread::yield_now();
        }
    }

    /// Replay: whether thread `t` recorded a release its backend has not carried out yet.
    pub(crate) fn releasing(&self, t: usize) -> bool {
        self.lock().releasing.get(t).copied().unwrap_or(false)
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic never happens while this lock is held, but stay usable if one did.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether the execution has failed and its threads should unwind (real threads poll this).
    pub(crate) fn is_aborted(&self) -> bool {
        self.aborted.load(Ordering::Acquire)
    }

    /// Unwind the calling thread because the execution is over.
    pub(crate) fn abort_unwind(&self) -> ! {
        panic::panic_any(Abort)
    }

    pub(crate) fn register_object(
        &self,
        kind: ObjectKind,
        name: Option<Cow<'static, str>>,
    ) -> usize {
        let mut s = self.lock();
        let id = s.objects.len();
        s.object_names.push(name);
        s.objects.push(Object {
            kind,
            owner: None,
            waiters: 0,
            tokens: 0,
            timed_waiters: 0,
            notifies: 0,
        });
        id
    }

    /// The current time: virtual under the model backends, real under real threads.
    pub(crate) fn now(&self) -> std::time::Duration {
        match self.backend {
            // Inside the tokio runtime of `future::block_on` the clock is tokio's paused one.
            Backend::Real if self.in_tokio() => {
                tokio::time::Instant::now() - *self.tokio_start.get().expect("checked")
            }
            Backend::Real => self.started.elapsed().div_f64(self.real_time_scale),
            _ => std::time::Duration::from_nanos(self.lock().clock),
        }
    }

    /// Whether this thread runs inside the paused tokio runtime of a `future::block_on`.
    pub(crate) fn in_tokio(&self) -> bool {
        self.tokio_start.get().is_some() && tokio::runtime::Handle::try_current().is_ok()
    }

    fn tasks(&self) -> MutexGuard<'_, Tasks> {
        self.tasks.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A new async task, named for traces and deadlock reports.
    pub(crate) fn register_task(&self, name: String) -> usize {
        let mut t = self.tasks();
        t.names.push(name);
        t.waits_on.push(None);
        t.done.push(false);
        t.names.len() - 1
    }

    pub(crate) fn set_task_name(&self, task: usize, name: String) {
        self.tasks().names[task] = name;
    }

    pub(crate) fn task_name(&self, task: usize) -> String {
        self.tasks().names[task].clone()
    }

    /// Say what `task` now awaits (`None`: it can run again).
    pub(crate) fn task_waits(&self, task: usize, waits_on: Option<String>) {
        self.tasks().waits_on[task] = waits_on;
    }

    pub(crate) fn task_done(&self, task: usize) {
        let mut t = self.tasks();
        t.done[task] = true;
        t.waits_on[task] = None;
    }

    /// Thread `me` starts (`Some`) or stops (`None`) polling a task of `executor`.
    pub(crate) fn set_polling(
        &self,
        me: usize,
        polling: Option<(usize, Arc<dyn std::any::Any + Send + Sync>)>,
    ) {
        let mut t = self.tasks();
        if t.polling.len() <= me {
            t.polling.resize_with(me + 1, || None);
        }
        t.polling[me] = polling;
    }

    /// The task thread `me` is polling, and its executor.
    pub(crate) fn polling(
        &self,
        me: usize,
    ) -> Option<(usize, Arc<dyn std::any::Any + Send + Sync>)> {
        self.tasks().polling.get(me).cloned().flatten()
    }

    pub(crate) fn register_thread(&self, parent: usize, name: Option<String>) -> usize {
        self.step_point();
        let mut s = self.lock();
        let id = s.status.len();
        s.thread_names.push(name.map(Cow::Owned));
        s.status.push(Status::Running);
        s.timed_out.push(false);
        s.wait_from.push(0);
        s.releasing.push(false);
        self.push(&mut s, parent, EventKind::Spawn { child: id });
        self.settle(s);
        id
    }

    /// Record one event of thread `me`.
    pub(crate) fn record(&self, me: usize, kind: EventKind) {
        self.step_point();
        let mut s = self.lock();
        self.push(&mut s, me, kind);
        self.settle(s);
    }

    pub(crate) fn record_atomic(&self, me: usize, object: usize, op: &'static str, value: i128) {
        self.record(me, EventKind::Atomic { object, op, value });
    }

    /// Append a step; the trace ends at the failure, so nothing is appended after one.
    fn push(&self, s: &mut State, me: usize, kind: EventKind) {
        if s.failure.is_some() {
            return;
        }
        let time = s.clock;
        s.events.push(Event {
            thread: me,
            kind,
            time,
        });
        if s.events.len() > self.max_steps && s.failure.is_none() {
            s.failure = Some(Outcome::StepBound {
                steps: s.events.len(),
            });
        }
    }

    /// Release the state and unwind if the execution has failed meanwhile.
    fn settle(&self, s: MutexGuard<'_, State>) {
        let failed = s.failure.is_some();
        drop(s);
        if failed && !std::thread::panicking() {
            self.aborted.store(true, Ordering::Release);
            self.abort_unwind();
        }
    }

    /// Thread `me` is about to wait for a mutex.
    pub(crate) fn before_lock(&self, me: usize, mutex: usize) {
        self.block(me, EventKind::Lock { object: mutex }, Wait::Mutex(mutex));
    }

    /// Thread `me` now holds `mutex` (after a lock, or after a condvar wait woke).
    pub(crate) fn after_lock(&self, me: usize, mutex: usize) {
        self.step_point();
        let mut s = self.lock();
        s.status[me] = Status::Running;
        s.objects[mutex].owner = Some(me);
        self.push(&mut s, me, EventKind::Acquired { object: mutex });
        self.settle(s);
    }

    /// Thread `me` releases `mutex`. Never unwinds: it runs in guards' destructors.
    pub(crate) fn release(&self, me: usize, mutex: usize) {
        self.step_point();
        let mut s = self.lock();
        s.objects[mutex].owner = None;
        self.push(&mut s, me, EventKind::Release { object: mutex });
        if self.replaying {
            s.releasing[me] = true;
        }
    }

    /// Thread `me` releases `mutex` and waits on `condvar`, until a notification or (with a
    /// timeout, model backends) until the virtual clock passes the deadline.
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
            s.objects[mutex].owner = None;
            s.objects[condvar].waiters += 1;
            s.timed_out[me] = false;
            s.wait_from[me] = s.objects[condvar].notifies;
            // Under real threads the deadline only marks the wait as timed (never stuck); the
            // real clock ends it.
            deadline = timeout.map(|t| {
                s.clock
                    .saturating_add(t.as_nanos().min(u64::MAX as u128) as u64)
            });
            if deadline.is_some() && self.backend != Backend::Real {
                s.objects[condvar].timed_waiters += 1;
            }
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
        if self.replaying {
            self.lock().releasing[me] = true;
        }
    }

    /// Thread `me` woke from `condvar` and holds `mutex` again; true if its deadline ended the
    /// wait rather than a notification.
    ///
    /// `timed` says the wait went through [`wait_timed`](Self::wait_timed), which already took
    /// its notification; `real_timed_out` that the real clock ended a real-threads wait.
    pub(crate) fn after_wait(
        &self,
        me: usize,
        condvar: usize,
        mutex: usize,
        timed: bool,
        real_timed_out: bool,
    ) -> bool {
        self.step_point();
        let mut s = self.lock();
        let timed_out = std::mem::take(&mut s.timed_out[me]) || real_timed_out;
        let cv = &mut s.objects[condvar];
        cv.waiters -= 1;
        let consumed = usize::from(!timed_out && !timed);
        cv.tokens = cv.tokens.saturating_sub(consumed).min(cv.waiters);
        s.status[me] = Status::Running;
        s.objects[mutex].owner = Some(me);
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
        let cv = &mut s.objects[condvar];
        cv.notifies += 1;
        cv.tokens = if all {
            cv.waiters
        } else {
            (cv.tokens + 1).min(cv.waiters)
        };
        let wake = Wake {
            timer: cv.timed_waiters > 0,
        };
        self.push(&mut s, me, EventKind::Notify { condvar, all });
        self.settle_and_wake(s, wake);
    }

    pub(crate) fn before_join(&self, me: usize, target: usize) {
        self.block(me, EventKind::Join { target }, Wait::Join(target));
    }

    pub(crate) fn after_join(&self, me: usize, target: usize) {
        self.step_point();
        let mut s = self.lock();
        s.status[me] = Status::Running;
        self.push(&mut s, me, EventKind::Joined { target });
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
        self.push(&mut s, me, EventKind::Exit);
        let live = s.status.iter().any(|st| *st != Status::Finished);
        let wake = if live {
            self.when_all_stuck(&mut s)
        } else {
            Wake::default()
        };
        self.settle_and_wake(s, wake);
    }

    fn block(&self, me: usize, kind: EventKind, wait: Wait) {
        self.step_point();
        let mut s = self.lock();
        self.push(&mut s, me, kind);
        s.status[me] = Status::Blocked(wait);
        let wake = self.when_all_stuck(&mut s);
        self.settle_and_wake(s, wake);
    }

    /// If no thread can run: advance the virtual clock to the earliest deadline and mark who is
    /// due, or, with no deadline pending, record a deadlock.
    fn when_all_stuck(&self, s: &mut State) -> Wake {
        if s.failure.is_some() || !(0..s.status.len()).all(|t| stuck(self.backend, s, t)) {
            return Wake::default();
        }
        let deadline = |st: &Status| match *st {
            Status::Sleeping { until } => Some(until),
            Status::Blocked(Wait::Condvar { deadline, .. }) => deadline,
            _ => None,
        };
        let Some(next) = s.status.iter().filter_map(deadline).min() else {
            let blocked = self.describe_all(s);
            s.failure = Some(Outcome::Deadlock { blocked });
            return Wake::default();
        };
        s.clock = s.clock.max(next);
        for t in 0..s.status.len() {
            match s.status[t] {
                Status::Sleeping { until } if until <= s.clock => s.status[t] = Status::Running,
                Status::Blocked(Wait::Condvar {
                    condvar,
                    mutex,
                    deadline: Some(d),
                }) if d <= s.clock => {
                    // Timed out: it needs only its mutex back now, and takes no notification.
                    s.timed_out[t] = true;
                    s.objects[condvar].timed_waiters -= 1;
                    s.status[t] = Status::Blocked(Wait::Mutex(mutex));
                }
                _ => {}
            }
        }
        Wake { timer: true }
    }

    /// Release the state, ring the timer if someone may be due, and unwind if the execution
    /// failed.
    fn settle_and_wake(&self, s: MutexGuard<'_, State>, wake: Wake) {
        if s.failure.is_some() {
            return self.settle(s);
        }
        drop(s);
        if wake.timer {
            self.ring_timer();
        }
    }

    fn timer(&self) -> &Timer {
        self.timer.get_or_init(|| match self.backend {
            Backend::Loom => Timer::Loom(Box::new((
                loom::sync::Mutex::new(()),
                loom::sync::Condvar::new(),
            ))),
            Backend::Shuttle => Timer::Shuttle(Box::new((
                shuttle::sync::Mutex::new(()),
                shuttle::sync::Condvar::new(),
            ))),
            Backend::Real => unreachable!("real threads wait on the real clock"),
        })
    }

    fn ring_timer(&self) {
        match self.timer() {
            Timer::Loom(pair) => {
                let (m, cv) = &**pair;
                let _g = m.lock().unwrap_or_else(|p| p.into_inner());
                cv.notify_all();
            }
            Timer::Shuttle(pair) => {
                let (m, cv) = &**pair;
                let _g = m.lock().unwrap_or_else(|p| p.into_inner());
                cv.notify_all();
            }
        }
    }

    /// Wait on the timer until `done`, which is checked under the timer's mutex.
    fn wait_on_timer(&self, done: impl Fn() -> bool) {
        match self.timer() {
            Timer::Loom(pair) => {
                let (m, cv) = &**pair;
                let mut g = m.lock().unwrap_or_else(|p| p.into_inner());
                while !done() {
                    g = cv.wait(g).unwrap_or_else(|p| p.into_inner());
                }
            }
            Timer::Shuttle(pair) => {
                let (m, cv) = &**pair;
                let mut g = m.lock().unwrap_or_else(|p| p.into_inner());
                while !done() {
                    g = cv.wait(g).unwrap_or_else(|p| p.into_inner());
                }
            }
        }
    }

    /// Thread `me` sleeps for `duration` of virtual time (model backends): it runs again once
    /// every other thread is blocked or asleep and its deadline is the earliest.
    pub(crate) fn sleep(&self, me: usize, duration: std::time::Duration) {
        self.step_point();
        self.timer();
        let mut s = self.lock();
        let nanos = duration.as_nanos().min(u64::MAX as u128) as u64;
        let until = s.clock.saturating_add(nanos);
        self.push(&mut s, me, EventKind::Sleep { duration: nanos });
        s.status[me] = Status::Sleeping { until };
        let wake = self.when_all_stuck(&mut s);
        self.settle_and_wake(s, wake);
        self.wait_on_timer(|| !matches!(self.lock().status[me], Status::Sleeping { .. }));
        self.record(me, EventKind::Woke);
    }

    /// A timed condvar wait under the model backends, once [`before_wait`](Self::before_wait)
    /// released the mutex: wait on the timer until a notification of `condvar` (one of its
    /// tokens) or the deadline. Either way the thread then needs only its mutex back.
    pub(crate) fn wait_timed(&self, me: usize, condvar: usize, mutex: usize) {
        self.wait_on_timer(|| {
            let mut s = self.lock();
            if s.timed_out[me] {
                return true;
            }
            let from = s.wait_from[me];
            let cv = &mut s.objects[condvar];
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

    /// Record a failure (the first one wins) and mark the execution aborted.
    pub(crate) fn fail(&self, outcome: Outcome) {
        let mut s = self.lock();
        if s.failure.is_none() {
            s.failure = Some(outcome);
        }
        self.aborted.store(true, Ordering::Release);
    }

    pub(crate) fn thread_name(&self, t: usize) -> String {
        thread_name(&self.lock(), t)
    }

    pub(crate) fn has_failed(&self) -> bool {
        self.lock().failure.is_some()
    }

    /// Who is blocked on what now: for a deadlock the backend found before the facade did.
    pub(crate) fn blocked_now(&self) -> Vec<Blocked> {
        self.describe_all(&self.lock())
    }

    /// Blocked threads (saying which task a thread was polling when it blocked), then tasks.
    fn describe_all(&self, s: &State) -> Vec<Blocked> {
        let mut blocked = describe_blocked(s);
        {
            let tasks = self.tasks();
            // On tokio only the blocking thread itself knows which task it polls.
            let tokio = match self.backend {
                Backend::Real => {
                    crate::future::tokio_task().map(|t| (REAL_ME.with(|m| m.get()), t))
                }
                _ => None,
            };
            for b in &mut blocked {
                let polled = tasks.polling.get(b.0).cloned().flatten().map(|p| p.0);
                let polled = polled.or(tokio.filter(|t| t.0 == b.0).map(|t| t.1));
                if let Some(task) = polled {
                    b.1.thread = format!("{} (polling task {})", b.1.thread, tasks.names[task]);
                }
            }
        }
        let mut blocked: Vec<Blocked> = blocked.into_iter().map(|b| b.1).collect();
        blocked.extend(self.blocked_tasks());
        blocked
    }

    /// Every unfinished async task that awaits something, and what.
    fn blocked_tasks(&self) -> Vec<Blocked> {
        let t = self.tasks();
        (0..t.names.len())
            .filter(|&i| !t.done[i])
            .filter_map(|i| {
                Some(Blocked {
                    thread: format!("task {}", t.names[i]),
                    waits_on: t.waits_on[i].clone()?,
                })
            })
            .collect()
    }

    /// The outcome and the trace, once the execution is over.
    pub(crate) fn finish(&self) -> (Outcome, Trace) {
        let s = self.lock();
        let outcome = s.failure.clone().unwrap_or(Outcome::Pass);
        let trace = Trace {
            threads: (0..s.thread_names.len())
                .map(|t| thread_name(&s, t))
                .collect(),
            objects: (0..s.object_names.len())
                .map(|o| object_name(&s, o))
                .collect(),
            events: s.events.clone(),
        };
        (outcome, trace)
    }

    /// A hash of the events so far: equal traces hash equal (FNV-1a: cheap, and only for
    /// comparing runs, not for hash tables).
    pub(crate) fn fingerprint(&self) -> u64 {
        use std::hash::{Hash, Hasher};
        struct Fnv(u64);
        impl Hasher for Fnv {
            fn finish(&self) -> u64 {
                self.0
            }
            fn write(&mut self, bytes: &[u8]) {
                for b in bytes {
                    self.0 = (self.0 ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3);
                }
            }
        }
        let s = self.lock();
        let mut h = Fnv(0xcbf2_9ce4_8422_2325);
        s.events.hash(&mut h);
        s.thread_names.hash(&mut h);
        h.finish()
    }

    /// How many events have been recorded: replay's position in its schedule.
    pub(crate) fn steps(&self) -> usize {
        self.lock().events.len()
    }
}

fn thread_name(s: &State, t: usize) -> String {
    match &s.thread_names[t] {
        Some(name) => name.to_string(),
        None => format!("thread-{t}"),
    }
}

fn object_name(s: &State, o: usize) -> String {
    match &s.object_names[o] {
        Some(name) => name.to_string(),
        None => format!("{}#{o}", kind_name(s.objects[o].kind)),
    }
}

fn kind_name(kind: ObjectKind) -> &'static str {
    match kind {
        ObjectKind::Mutex => "mutex",
        ObjectKind::Condvar => "condvar",
        ObjectKind::Atomic => "atomic",
    }
}

/// Whether thread `t` cannot run unless another thread acts or the clock moves. A finished
/// thread counts as stuck: it will not act. Under real threads the clock moves by itself, so a
/// sleeper or a timed waiter is never stuck.
fn stuck(backend: Backend, s: &State, t: usize) -> bool {
    match s.status[t] {
        Status::Running => false,
        Status::Finished => true,
        Status::Sleeping { .. } => backend != Backend::Real,
        Status::Blocked(Wait::Mutex(m)) => s.objects[m].owner.is_some(),
        Status::Blocked(Wait::Condvar {
            condvar,
            mutex,
            deadline,
        }) => {
            // No token, or none sent since this wait began (an earlier waiter's), or no mutex.
            let cv = &s.objects[condvar];
            (cv.tokens == 0 || cv.notifies == s.wait_from[t] || s.objects[mutex].owner.is_some())
                && !(deadline.is_some() && backend == Backend::Real)
        }
        Status::Blocked(Wait::Join(u)) => s.status[u] != Status::Finished,
    }
}

fn describe_blocked(s: &State) -> Vec<(usize, Blocked)> {
    let held_by = |m: usize| match s.objects[m].owner {
        Some(o) if o < s.thread_names.len() => format!("held by {}", thread_name(s, o)),
        _ => "free".to_string(),
    };
    s.status
        .iter()
        .enumerate()
        .filter_map(|(t, st)| {
            let waits_on = match *st {
                Status::Blocked(Wait::Mutex(m)) => {
                    format!("mutex {} ({})", object_name(s, m), held_by(m))
                }
                Status::Blocked(Wait::Condvar { condvar, .. }) => {
                    debug_assert_eq!(s.objects[condvar].kind, ObjectKind::Condvar);
                    format!(
                        "condvar {} (no notification will come)",
                        object_name(s, condvar)
                    )
                }
                Status::Blocked(Wait::Join(u)) => format!("join of {}", thread_name(s, u)),
                _ => return None,
            };
            Some((
                t,
                Blocked {
                    thread: thread_name(s, t),
                    waits_on,
                },
            ))
        })
        .collect()
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

/// Record the failure a panic of `who` (a thread or a task) means, unless it is an [`Abort`].
pub(crate) fn record_panic(exec: &Execution, who: String, payload: &(dyn std::any::Any + Send)) {
    if payload.downcast_ref::<Abort>().is_some() {
        return;
    }
    let message = LAST_PANIC
        .with(|p| p.borrow_mut().take())
        .unwrap_or_else(|| payload_message(payload));
    let outcome = match payload.downcast_ref::<crate::InvariantFailed>() {
        Some(inv) => Outcome::Invariant {
            thread: who,
            message: inv.0.clone(),
        },
        None => Outcome::Panic {
            thread: who,
            message,
        },
    };
    exec.fail(outcome);
}

/// The text of a panic payload.
pub(crate) fn payload_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else if let Some(inv) = payload.downcast_ref::<crate::InvariantFailed>() {
        inv.0.clone()
    } else {
        "non-string panic payload".to_string()
    }
}

/// Install the panic hook once: inside an execution a panic is recorded, not printed (the
/// report shows it); anywhere else the previous hook runs as before.
///
/// shuttle installs a hook of its own on its first run that prints to stderr; it is forced to
/// install first and then replaced, so racecheck's output stays the report alone.
pub(crate) fn install_panic_hook() {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        let previous: Arc<dyn Fn(&panic::PanicHookInfo<'_>) + Send + Sync> =
            Arc::from(panic::take_hook());
        let fallback = previous.clone();
        panic::set_hook(Box::new(move |info| fallback(info)));
        shuttle::Runner::new(
            shuttle::scheduler::RandomScheduler::new(1),
            shuttle::Config::new(),
        )
        .run(|| {});
        let _shuttle_hook = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if current().is_none() {
                return previous(info);
            }
            if info.payload().downcast_ref::<Abort>().is_some() {
                return;
            }
            let message = payload_message(info.payload());
            let message = match info.location() {
                Some(loc) => format!("{message} (at {}:{})", loc.file(), loc.line()),
                None => message,
            };
            LAST_PANIC.with(|p| *p.borrow_mut() = Some(message));
        }));
    });
}
