//! The engine behind the facade: one [`Execution`] per explored run.
//!
//! An execution knows every thread and every synchronisation object the model made, who holds
//! what and who waits on what. That bookkeeping gives what no backend gives alike:
//! - a trace of every facade operation (the events a race file stores and replay follows);
//! - deadlock detection before the backend's own (loom's aborts the process): when a thread is
//!   about to block, or exits, and every live thread then waits on something no live thread can
//!   give, the execution fails with [`Outcome::Deadlock`](crate::Outcome) naming who waits on
//!   what;
//! - a virtual clock that moves only when every live thread is blocked or asleep;
//! - a step bound that works the same under every backend.
//!
//! A failure is recorded once (the first wins) and the failing thread unwinds with the silent
//! [`Abort`] payload, so the backend ends the execution as it would for any panic.
//!
//! One concept a file:

/// Chaos for real threads: seeded yields and spins at facade operations.
pub(crate) mod chaos;
/// Choices a model leaves open: seeded draws, enumerated assignments, recorded values.
pub(crate) mod choice;
/// The virtual clock: sleeping, deadlines, and advancing time when every thread is stuck.
mod clock;
/// Condition variables: wait, wake, notify, timed waits.
mod condvar;
/// Who waits on what: the stuck test and the deadlock description.
mod deadlock;
/// The trace's data: events and the names they refer to.
mod events;
/// The per-run state: threads, objects, events, the failure; recording a step.
mod execution;
/// Locks a model implements itself, as it names them: who holds and who asks for each.
mod model_locks;
/// Mutexes: lock, acquire, release.
mod mutex;
/// What each thread does next, announced for the schedulers that weigh threads by it.
pub(crate) mod next_op;
/// Per-object state, typed per primitive.
mod object;
/// Panics inside an execution: recorded as outcomes, never printed.
mod panics;
/// Parking: `thread::park`, `park_timeout` and `Thread::unpark`, a token per thread.
mod park;
/// What an execution has in it: per-thread statuses, objects, events.
mod state;
/// Async tasks: names, what each awaits, which thread polls which.
mod tasks;
/// Thread lifecycle: spawn, join, exit, and running a thread's body.
mod threads;

pub(crate) use choice::{ChoiceMap, ChoiceSource};
pub use events::Trace;
pub(crate) use events::{format_nanos, Event, EventKind, ModelLockOp};
pub(crate) use execution::Execution;
pub(crate) use object::ObjectKind;
pub(crate) use panics::{install_panic_hook, payload_message, record_panic};
pub(crate) use tasks::{Executor, ExecutorRef};
pub(crate) use threads::run_thread;

use std::cell::{Cell, RefCell};
use std::sync::Arc;

/// Whose primitives the facade runs on in the current execution: picked when the execution
/// starts, so one build serves every backend. Not a backend ([`crate::BackendKind`]) but what a
/// backend runs on: loom's under `loom`, shuttle's under every shuttle scheduler (random, PCT,
/// DFS, replay, the seeded ones), the OS's under `threads`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Primitives {
    Loom,
    Shuttle,
    Threads,
}

/// The panic payload that ends an execution whose failure is already recorded.
pub(crate) struct Abort;

thread_local! {
    static CURRENT: RefCell<Option<Arc<Execution>>> = const { RefCell::new(None) };
    /// Whether `CURRENT` holds an execution: a plain cell, which a guard's drop reads at every
    /// release without `CURRENT`'s lazily registered destructor and `RefCell` borrow.
    static IN_EXECUTION: Cell<bool> = const { Cell::new(false) };
    static REAL_ME: Cell<usize> = const { Cell::new(0) };
    /// Whether the current execution has failed, as far as this OS thread knows: set where it
    /// fails on this thread (under shuttle every model thread and the scheduler share one), so
    /// the scheduler asks a flag at each decision instead of the execution.
    static CURRENT_ABORTED: Cell<bool> = const { Cell::new(false) };
    /// Under shuttle: the task its scheduler picked last, which is the one running now. Every
    /// pick of every shuttle run goes through one wrapper (`shuttle_backend::StopOnFailure`),
    /// which notes it here ([`note_scheduled`]), so a facade operation reads a cell instead of
    /// asking shuttle through its scoped thread-local and `RefCell`.
    static SHUTTLE_ME: Cell<usize> = const { Cell::new(0) };
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

/// Whether an execution is current on this OS thread (without cloning its handle).
#[inline]
pub(crate) fn in_execution() -> bool {
    IN_EXECUTION.get()
}

pub(crate) fn set_current(exec: Option<Arc<Execution>>) {
    CURRENT_ABORTED.set(exec.as_ref().is_some_and(|e| e.is_aborted()));
    IN_EXECUTION.set(exec.is_some());
    CURRENT.with(|c| *c.borrow_mut() = exec);
}

/// `exec` has failed: if it is this OS thread's current execution, remember that here.
pub(super) fn note_aborted(exec: &Execution) {
    let here = CURRENT.with(|c| {
        c.borrow()
            .as_ref()
            .is_some_and(|e| std::ptr::eq(&**e, exec))
    });
    if here {
        CURRENT_ABORTED.set(true);
    }
}

/// The index of the model thread running now (0 is the model's main thread).
///
/// shuttle numbers its tasks in spawn order from 0, as the facade numbers threads (every spawn
/// goes through the facade), so a task id is the thread index; the replay scheduler relies on
/// the same fact.
#[track_caller]
pub(crate) fn me() -> usize {
    with(|exec| me_in(exec))
}

/// The index of the model thread running now in `exec`, which the caller knows is current
/// (a facade object's own execution): no lookup of the current execution.
#[inline]
pub(crate) fn me_in(exec: &Execution) -> usize {
    match exec.primitives {
        Primitives::Loom => LOOM_ME.with(|m| m.get()),
        Primitives::Shuttle => {
            let me = SHUTTLE_ME.get();
            // A wrong index would corrupt traces silently: the test suite checks every read.
            debug_assert_eq!(me, usize::from(shuttle::current::me()));
            me
        }
        Primitives::Threads => REAL_ME.with(|m| m.get()),
    }
}

/// shuttle's scheduler picked `task` to run next (see `SHUTTLE_ME`).
#[inline]
pub(crate) fn note_scheduled(task: usize) {
    SHUTTLE_ME.set(task);
}

/// Whether there is a current execution and it has failed: asked at every scheduling
/// decision, so without cloning the execution's handle.
///
/// shuttle runs an execution's threads and its scheduler on one OS thread, so the failure was
/// noted on this one (see `note_aborted`); the execution's own flag stays the truth for
/// real threads.
#[inline]
pub(crate) fn current_is_aborted() -> bool {
    CURRENT_ABORTED.get()
}

pub(crate) fn set_me(primitives: Primitives, index: usize) {
    match primitives {
        Primitives::Loom => LOOM_ME.with(|m| m.set(index)),
        Primitives::Shuttle => debug_assert_eq!(usize::from(shuttle::current::me()), index),
        Primitives::Threads => REAL_ME.with(|m| m.set(index)),
    }
}

/// Real backend: how to ask tokio which task this OS thread polls (a task-local only the async
/// layer can read), installed by it so the engine need not depend on it.
static TOKIO_TASK_PROBE: std::sync::OnceLock<fn() -> Option<usize>> = std::sync::OnceLock::new();

pub(crate) fn install_tokio_task_probe(probe: fn() -> Option<usize>) {
    let _ = TOKIO_TASK_PROBE.set(probe);
}

/// Real backend: the model thread on this OS thread and the tokio task it polls, if any.
fn tokio_task() -> Option<(usize, usize)> {
    let task = TOKIO_TASK_PROBE.get().and_then(|probe| probe())?;
    Some((REAL_ME.with(|m| m.get()), task))
}

/// A per-thread vector holding main's entry, with room for the threads most models spawn.
fn per_thread<T>(main: T) -> Vec<T> {
    let mut v = Vec::with_capacity(4);
    v.push(main);
    v
}
