//! shuttle: randomized (random walk, PCT), systematic (DFS) and replayed schedules.

use super::choices::Sweep;
use super::{Body, RunConfig, RunResult, Tracker};
use crate::rt::{self, Primitives};
use shuttle::scheduler::{DfsScheduler, Schedule, Scheduler, Task, TaskId};
use std::cell::Cell;
use std::panic;
use std::sync::{Arc, Mutex};
use std::time::Instant;

thread_local! {
    /// A model thread of the execution running on this OS thread has failed and stopped:
    /// the scheduler ends the execution at its next decision. (A shuttle runner runs all its
    /// tasks on one OS thread.)
    static STOPPING: Cell<bool> = const { Cell::new(false) };
}

/// Which scheduler picks the next thread in a shuttle run that is not seeded: DFS, a replay, a
/// shrink candidate. The seeded ones (random, PCT, URW, POS, reads-from, the portfolio) are in
/// [`super::seeded`] and run in seed blocks through `crate::parallel`.
#[derive(Clone, Debug)]
pub(crate) enum ShuttleScheduler {
    /// Depth-first enumeration of every schedule, up to the budget.
    Dfs,
    /// Follow a recorded schedule: at every step the thread of the next recorded event runs.
    Replay {
        schedule: Vec<usize>,
        diverged: Arc<Mutex<Option<usize>>>,
    },
    /// Follow a schedule where it can and, where the scheduled thread cannot run or the
    /// schedule has ended, keep running the current thread (else the lowest runnable one): a
    /// partial schedule becomes a whole execution with no further preemptions. Shrinking
    /// tries its candidates this way.
    Guided { schedule: Vec<usize> },
}

pub(super) fn run(body: Body, scheduling: ShuttleScheduler, cfg: &RunConfig) -> RunResult {
    let scheduler: Box<dyn Scheduler + Send> = match scheduling {
        ShuttleScheduler::Dfs => return run_dfs(body, cfg),
        ShuttleScheduler::Replay { schedule, diverged } => Box::new(FollowSchedule {
            schedule,
            diverged: Some(diverged),
            started: false,
        }),
        ShuttleScheduler::Guided { schedule } => Box::new(FollowSchedule {
            schedule,
            diverged: None,
            started: false,
        }),
    };
    run_scheduler(scheduler, false, true, body, cfg)
}

/// Run one model thread's body (`f` records its failure) under shuttle, and if it failed,
/// stop the execution instead of letting the panic out of the task.
///
/// shuttle prints "test panicked in task ..." to stderr for every task a panic ends, and
/// under libtest that text lands in the test's captured output, which no redirection of
/// the file descriptor reaches. A failed thread instead parks at a scheduling point, where
/// [`StopOnFailure`] ends the execution, which shuttle tears down as a stopped one: in
/// silence, its other tasks unwound as they would be after a panic.
pub(crate) fn run_task<T>(f: impl FnOnce() -> T) -> T {
    match panic::catch_unwind(panic::AssertUnwindSafe(f)) {
        Ok(value) => value,
        // Only the failures racecheck records; anything else (shuttle's own unwinding of a
        // task in teardown, a payload of another type) goes on as before.
        Err(payload) if is_model_failure(&*payload) && !STOPPING.get() => {
            drop(payload);
            STOPPING.set(true);
            loop {
                shuttle::thread::yield_now();
            }
        }
        Err(payload) => panic::resume_unwind(payload),
    }
}

fn is_model_failure(payload: &(dyn std::any::Any + Send)) -> bool {
    payload.is::<rt::Abort>()
        || payload.is::<crate::InvariantFailed>()
        || payload.is::<&str>()
        || payload.is::<String>()
}

/// Wraps a run's scheduler: once the execution has failed, the failing thread runs on alone
/// until it has unwound (no other thread runs after the failure), and once it has stopped
/// ([`run_task`]) the execution and the run end. It also tells the facade which thread runs
/// ([`rt::note_scheduled`]): every shuttle run, of every scheduler, goes through it.
struct StopOnFailure {
    /// Not dropped while it has executions left, when `drain` is false: shuttle's random
    /// scheduler prints a hint for shuttle's own replay API when dropped before it ran out.
    /// Taken only in `drop`: dropped there if it ran out, leaked otherwise.
    inner: Option<Box<dyn Scheduler + Send>>,
    /// Call the inner scheduler's `new_execution` until it runs out before dropping it (the
    /// randomized schedulers, for which that is cheap).
    drain: bool,
    stopped: bool,
    ran_out: bool,
}

impl StopOnFailure {
    fn inner(&mut self) -> &mut Box<dyn Scheduler + Send> {
        self.inner.as_mut().expect("taken only in drop")
    }

    /// A decision once the execution has failed: none once the failing thread has stopped,
    /// else the failing thread goes on (the inner scheduler decides only if it cannot).
    #[cold]
    #[inline(never)]
    fn after_failure(
        &mut self,
        runnable: &[&Task],
        current: Option<TaskId>,
        is_yielding: bool,
    ) -> Option<TaskId> {
        if STOPPING.get() {
            return None;
        }
        let pick = current
            .filter(|c| runnable.iter().any(|t| t.id() == *c))
            .or_else(|| self.inner().next_task(runnable, current, is_yielding));
        if let Some(task) = pick {
            rt::note_scheduled(usize::from(task));
        }
        pick
    }
}

impl Scheduler for StopOnFailure {
    fn new_execution(&mut self) -> Option<Schedule> {
        if self.stopped || STOPPING.get() {
            self.stopped = true;
            return None;
        }
        let next = self.inner().new_execution();
        self.ran_out = next.is_none();
        next
    }

    // Inlined into shuttle's metrics wrapper, which calls it at every decision: on its own,
    // it saves and restores every register for a call it only forwards (~20 instructions).
    #[inline]
    fn next_task(
        &mut self,
        runnable: &[&Task],
        current: Option<TaskId>,
        is_yielding: bool,
    ) -> Option<TaskId> {
        if STOPPING.get() || rt::current_is_aborted() {
            return self.after_failure(runnable, current, is_yielding);
        }
        // Called at every scheduling decision: the common path keeps nothing alive across the
        // inner call (the failure path is out of line) and calls the inner scheduler itself,
        // not through the `Box`'s forwarding impl.
        let inner = &mut **self.inner();
        let pick = inner.next_task(runnable, current, is_yielding);
        // The facade reads the running thread's index from here, not from shuttle.
        if let Some(task) = pick {
            rt::note_scheduled(usize::from(task));
        }
        pick
    }

    fn next_u64(&mut self) -> u64 {
        self.inner().next_u64()
    }
}

impl Drop for StopOnFailure {
    fn drop(&mut self) {
        // PCT panics in `new_execution` on a model without concurrency: never drain while
        // that panic unwinds, and never let the drain's panic out.
        if !self.ran_out && self.drain && !std::thread::panicking() {
            let inner = self.inner();
            self.ran_out = panic::catch_unwind(panic::AssertUnwindSafe(|| {
                while inner.new_execution().is_some() {}
            }))
            .is_ok();
        }
        let inner = self.inner.take();
        if !self.ran_out {
            std::mem::forget(inner);
        }
    }
}

/// Run `body` under an already built scheduler: what `run` does once it picked one, and what
/// a block of a parallel or sharded run (crate::parallel) does with its own seed.
pub(super) fn run_scheduler(
    scheduler: Box<dyn Scheduler + Send>,
    exhaustive: bool,
    replaying: bool,
    body: Body,
    cfg: &RunConfig,
) -> RunResult {
    let tracker = Tracker::new(cfg);
    let start = Instant::now();
    match pass(
        &tracker, scheduler, exhaustive, replaying, &body, cfg, start,
    ) {
        Pass::Ended(result) => *result,
        Pass::Ran(executions) => tracker.passed(
            exhaustive
                && (executions as u64) < cfg.executions
                && super::time_left(start, cfg.time_limit),
        ),
    }
}

/// DFS: every schedule, once per assignment of the model's choices (shuttle's DFS branches
/// on interleavings only; see `super::choices`).
fn run_dfs(body: Body, cfg: &RunConfig) -> RunResult {
    /// Schedules a quick look at one assignment runs: DFS's first ones.
    const QUICK: u64 = 16;
    let tracker = Tracker::new(cfg);
    let start = Instant::now();
    let mut dfs_pass = |sweep: Sweep, left: u64| {
        let n = match sweep {
            Sweep::Quick => left.min(QUICK),
            Sweep::Full => left,
        };
        let dfs = Box::new(DfsScheduler::new(Some(n as usize), false));
        match pass(&tracker, dfs, true, false, &body, cfg, start) {
            Pass::Ended(result) => Err(result),
            Pass::Ran(ran) => Ok(ran as u64),
        }
    };
    super::choices::explore(&tracker, cfg, &body, start, &mut dfs_pass)
}

/// How one shuttle runner's pass over its scheduler's executions ended.
enum Pass {
    /// Every execution passed: how many ran.
    Ran(usize),
    /// A failure, or a model with nothing to explore: the run's result.
    Ended(Box<RunResult>),
}

fn pass(
    tracker: &Tracker,
    scheduler: Box<dyn Scheduler + Send>,
    exhaustive: bool,
    replaying: bool,
    body: &Body,
    cfg: &RunConfig,
    start: Instant,
) -> Pass {
    rt::install_panic_hook();
    let mut config = shuttle::Config::new();
    config.failure_persistence = shuttle::FailurePersistence::None;
    // The facade's step bound applies to every backend alike.
    config.max_steps = shuttle::MaxSteps::None;
    config.max_time = Some(cfg.time_limit.saturating_sub(start.elapsed()));
    config.silence_warnings = true;

    let t = tracker.clone();
    let max_steps = cfg.max_steps;
    let scheduler = StopOnFailure {
        inner: Some(scheduler),
        drain: !exhaustive && !replaying,
        stopped: false,
        ran_out: false,
    };
    let run_body = body.clone();
    STOPPING.set(false);
    let result = panic::catch_unwind(panic::AssertUnwindSafe(|| {
        shuttle::Runner::new(scheduler, config)
            .run(move || t.execute(Primitives::Shuttle, max_steps, replaying, &run_body))
    }));
    let stopped = STOPPING.replace(false);
    // The schedulers that asked for announcements leave them on; no other backend wants them.
    rt::next_op::watch(false);
    match result {
        Ok(_) if stopped || tracker.latest_failed() => {
            Pass::Ended(Box::new(tracker.failed(Box::new(rt::Abort))))
        }
        Ok(executions) => Pass::Ran(executions),
        // PCT measures a first execution's steps and refuses a model with one thread (a body
        // whose tasks all run on the `block_on` thread, say): it has one schedule, explored.
        Err(payload)
            if rt::payload_message(&*payload).contains("did not exercise any concurrency")
                && !tracker.latest_failed() =>
        {
            // Its choices still vary: a random walk over one schedule draws them afresh each
            // execution from the execution's seed, for the rest of the budget.
            let left = cfg.executions.saturating_sub(tracker.executions());
            if tracker.take_choices_met().is_empty() || left == 0 || exhaustive {
                return Pass::Ended(Box::new(tracker.passed(true)));
            }
            let walk = Box::new(shuttle::scheduler::RandomScheduler::new_from_seed(
                cfg.seed,
                left as usize,
            ));
            pass(tracker, walk, false, replaying, body, cfg, start)
        }
        Err(payload) => Pass::Ended(Box::new(tracker.failed(payload))),
    }
}

/// Replays a schedule of racecheck steps. shuttle numbers tasks in spawn order from 0 (main),
/// as the facade numbers threads, so a recorded thread index is the task to run.
///
/// Strict (with `diverged`): when the recorded thread cannot run, the replay has diverged; the
/// first such step is kept and the lowest runnable task goes on, so the execution still ends
/// and can be compared. Guided (without): the current task goes on if it can, so the schedule
/// adds no preemption of its own.
struct FollowSchedule {
    schedule: Vec<usize>,
    diverged: Option<Arc<Mutex<Option<usize>>>>,
    started: bool,
}

impl Scheduler for FollowSchedule {
    fn new_execution(&mut self) -> Option<Schedule> {
        if std::mem::replace(&mut self.started, true) {
            None
        } else {
            Some(Schedule::new(0))
        }
    }

    fn next_task(
        &mut self,
        runnable: &[&Task],
        current: Option<TaskId>,
        _is_yielding: bool,
    ) -> Option<TaskId> {
        let exec = rt::current();
        let step = exec.as_ref().map(|e| e.steps()).unwrap_or(0);
        let wanted = self.schedule.get(step).copied();
        let pick = wanted.and_then(|t| runnable.iter().find(|task| usize::from(task.id()) == t));
        // The recorded thread waits for a mutex another thread has recorded releasing but not
        // released yet: let that one finish its release (it records nothing) first.
        let pick = pick.or_else(|| {
            let exec = exec.as_ref()?;
            runnable
                .iter()
                .find(|task| exec.releasing(usize::from(task.id())))
        });
        match pick {
            Some(task) => Some(task.id()),
            None => match &self.diverged {
                Some(diverged) => {
                    let mut d = diverged.lock().unwrap_or_else(|p| p.into_inner());
                    if d.is_none() && wanted.is_some() {
                        *d = Some(step);
                    }
                    runnable.first().map(|t| t.id())
                }
                None => current
                    .filter(|c| runnable.iter().any(|t| t.id() == *c))
                    .or_else(|| runnable.first().map(|t| t.id())),
            },
        }
    }

    fn next_u64(&mut self) -> u64 {
        0
    }
}
