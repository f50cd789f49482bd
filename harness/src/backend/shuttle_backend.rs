//! shuttle: randomized (random walk, PCT), systematic (DFS) and replayed schedules.

use super::{Body, RunConfig, RunResult, Tracker};
use crate::rt::{self, Backend};
use shuttle::scheduler::{DfsScheduler, Schedule, Scheduler, Task, TaskId};
use std::panic;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// Which shuttle scheduler picks the next thread. The random walk and PCT (probabilistic
/// concurrency testing, depth d: d−1 priority change points, Burckhardt et al., ASPLOS 2010)
/// run in seed blocks through `crate::parallel`.
#[derive(Clone, Debug)]
pub(crate) enum Scheduling {
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

pub(super) fn run(body: Body, scheduling: Scheduling, cfg: &RunConfig) -> RunResult {
    let n = cfg.executions as usize;
    let exhaustive = matches!(scheduling, Scheduling::Dfs);
    let replaying = matches!(
        scheduling,
        Scheduling::Replay { .. } | Scheduling::Guided { .. }
    );
    let scheduler: Box<dyn Scheduler + Send> = match scheduling {
        Scheduling::Dfs => Box::new(DfsScheduler::new(Some(n), false)),
        Scheduling::Replay { schedule, diverged } => Box::new(FollowSchedule {
            schedule,
            diverged: Some(diverged),
            started: false,
        }),
        Scheduling::Guided { schedule } => Box::new(FollowSchedule {
            schedule,
            diverged: None,
            started: false,
        }),
    };
    run_scheduler(scheduler, exhaustive, replaying, body, cfg)
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
    rt::install_panic_hook();
    let mut config = shuttle::Config::new();
    config.failure_persistence = shuttle::FailurePersistence::None;
    // The facade's step bound applies to every backend alike.
    config.max_steps = shuttle::MaxSteps::None;
    config.max_time = Some(cfg.time_limit);
    config.silence_warnings = true;

    let tracker = Tracker::new(cfg);
    let start = Instant::now();
    let t = tracker.clone();
    let max_steps = cfg.max_steps;
    let result = panic::catch_unwind(panic::AssertUnwindSafe(|| {
        shuttle::Runner::new(scheduler, config)
            .run(move || t.execute(Backend::Shuttle, max_steps, replaying, &body))
    }));
    match result {
        Ok(executions) => tracker.passed(
            exhaustive
                && (executions as u64) < cfg.executions
                && super::time_left(start, cfg.time_limit),
        ),
        // PCT measures a first execution's steps and refuses a model with one thread (a body
        // whose tasks all run on the `block_on` thread, say): it has one schedule, explored.
        Err(payload)
            if rt::payload_message(&*payload).contains("did not exercise any concurrency")
                && !tracker.latest_failed() =>
        {
            tracker.passed(true)
        }
        Err(payload) => tracker.failed(payload),
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
