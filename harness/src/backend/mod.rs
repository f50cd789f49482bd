//! Backends: each runs a model's executions under one scheduler and returns the first failure.
//!
//! Every backend starts each execution with a fresh [`Execution`](crate::rt::Execution), runs
//! the model's body as thread 0 (`main`) and reads the outcome and trace the facade recorded.

mod choices;
mod loom_backend;
mod next_ops;
mod portfolio;
mod pos;
mod reads_from;
mod rng;
mod seeded;
mod shuttle_backend;
mod threads;
mod urw;
mod word_hash;

use crate::outcome::Outcome;
use crate::rt::{self, ChoiceMap, ChoiceSource, Execution, Primitives};
use crate::trace::Trace;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub(crate) use seeded::scheduler as seeded;
pub(crate) use shuttle_backend::{run_task as run_shuttle_task, ShuttleScheduler};

/// The model body every execution runs.
pub(crate) type Body = Arc<dyn Fn() + Send + Sync + 'static>;
/// Called with the number of executions started so far.
pub(crate) type Progress = Arc<dyn Fn(u64) + Send + Sync + 'static>;

/// What one backend run needs besides the body.
#[derive(Clone)]
pub(crate) struct RunConfig {
    pub executions: u64,
    pub time_limit: Duration,
    pub max_steps: usize,
    pub progress: Progress,
    /// Hash every execution's events into [`RunResult::fingerprint`] (costs a pass per execution).
    pub fingerprint: bool,
    /// The seed of the random and PCT schedulers, and of real threads' chaos.
    pub seed: u64,
    /// Real threads: perturb them at facade operations (see `rt::chaos`).
    pub chaos: bool,
    /// The values of the model's choices (a replay's), or None to explore them: a seeded draw
    /// per execution, or under loom and DFS every assignment (see `rt::choice`).
    pub choices: Option<Arc<ChoiceMap>>,
}

/// What a backend run found.
pub(crate) struct RunResult {
    pub executions: u64,
    /// The backend explored every execution there is (loom, DFS), not just a budget's worth.
    pub complete: bool,
    /// The first failing execution: its 1-based index, outcome and trace.
    pub failure: Option<(u64, Outcome, Trace)>,
    /// A hash of every execution's events in order, if asked for: equal runs hash equal.
    pub fingerprint: u64,
    /// The trace of the last execution.
    pub last_trace: Option<Trace>,
}

pub(crate) fn run_loom(body: Body, bound: Option<usize>, cfg: &RunConfig) -> RunResult {
    loom_backend::run(body, bound, cfg)
}

pub(crate) fn run_shuttle(body: Body, scheduling: ShuttleScheduler, cfg: &RunConfig) -> RunResult {
    shuttle_backend::run(body, scheduling, cfg)
}

/// Run `body` under a given seeded scheduler: one block of a parallel run.
pub(crate) fn run_shuttle_with(
    body: Body,
    scheduler: Box<dyn shuttle::scheduler::Scheduler + Send>,
    cfg: &RunConfig,
) -> RunResult {
    shuttle_backend::run_scheduler(scheduler, false, false, body, cfg)
}

pub(crate) fn run_threads(body: Body, cfg: &RunConfig) -> RunResult {
    threads::run(body, cfg)
}

/// Counts executions and keeps the latest one, for a backend whose runner owns the loop.
#[derive(Clone)]
struct Tracker {
    started: Arc<AtomicU64>,
    fingerprinting: bool,
    fingerprint: Arc<AtomicU64>,
    latest: Arc<Mutex<Option<Arc<Execution>>>>,
    progress: Progress,
    /// The choices' values for every execution, or None for a draw from `seed` and the
    /// execution's index.
    fixed_choices: Arc<Mutex<Option<Arc<ChoiceMap>>>>,
    seed: u64,
    /// The number of options at every choice met since `take_choices_met`.
    choices_met: Arc<Mutex<ChoiceMap>>,
}

impl Tracker {
    fn new(cfg: &RunConfig) -> Self {
        let progress = cfg.progress.clone();
        Tracker {
            started: Arc::default(),
            fingerprinting: cfg.fingerprint,
            fingerprint: Arc::default(),
            latest: Arc::default(),
            progress,
            fixed_choices: Arc::new(Mutex::new(cfg.choices.clone())),
            seed: cfg.seed,
            choices_met: Arc::default(),
        }
    }

    /// Run the next executions with these choices.
    fn fix_choices(&self, values: Arc<ChoiceMap>) {
        *lock(&self.fixed_choices) = Some(values);
    }

    /// The options of every choice met since the last call.
    fn take_choices_met(&self) -> ChoiceMap {
        if let Some(latest) = lock(&self.latest).clone() {
            self.note_choices(&latest);
        }
        std::mem::take(&mut *lock(&self.choices_met))
    }

    /// Start one execution on this OS thread and run the body as its main thread.
    fn execute(&self, primitives: Primitives, max_steps: usize, replaying: bool, body: &Body) {
        // The previous execution is over: its choices are noted, and once no handle but this
        // one is left (this OS thread's current one is let go), it is reused.
        let previous = lock(&self.latest).take();
        if let Some(previous) = &previous {
            self.note_choices(previous);
        }
        rt::set_current(None);
        let exec = Execution::renew(previous, primitives, max_steps, replaying);
        let n = self.started.fetch_add(1, Ordering::Relaxed) + 1;
        exec.set_choices(match lock(&self.fixed_choices).clone() {
            Some(values) => ChoiceSource::Fixed(values),
            None => ChoiceSource::Seeded(crate::fnv::mix(self.seed, n)),
        });
        (self.progress)(n);
        *lock(&self.latest) = Some(exec.clone());
        rt::set_current(Some(exec.clone()));
        rt::set_me(primitives, 0);
        match primitives {
            Primitives::Shuttle => {
                shuttle_backend::run_task(|| rt::run_thread(&exec, 0, || body()))
            }
            _ => rt::run_thread(&exec, 0, || body()),
        }
        self.add_to_fingerprint(&exec);
    }

    /// Add the choices `exec` met to `choices_met`. Called once the execution is over (a
    /// thread may choose after main has returned): for the previous execution when the next
    /// starts, and for the latest when the run's choices are taken.
    fn note_choices(&self, exec: &Execution) {
        let Some(met) = exec.choice_options() else {
            return;
        };
        let mut all = lock(&self.choices_met);
        for (key, n) in met {
            let known = all.entry(key).or_insert(0);
            *known = (*known).max(n);
        }
    }

    fn add_to_fingerprint(&self, exec: &Execution) {
        if !self.fingerprinting {
            return;
        }
        let h = exec.fingerprint();
        let _ = self
            .fingerprint
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |f| {
                Some(crate::fnv::mix(f, h))
            });
    }

    /// The run's result once the backend returned without a failure.
    fn passed(&self, complete: bool) -> RunResult {
        rt::set_current(None);
        let last = lock(&self.latest).take();
        RunResult {
            executions: self.executions(),
            complete,
            failure: None,
            fingerprint: self.fingerprint.load(Ordering::Relaxed),
            last_trace: last.map(|e| e.finish().1),
        }
    }

    /// The run's result once the backend ended an execution with `panic`.
    fn failed(&self, panic: Box<dyn std::any::Any + Send>) -> RunResult {
        let failure = self.failure(panic);
        if let Some(exec) = lock(&self.latest).as_ref() {
            self.add_to_fingerprint(exec);
        }
        RunResult {
            executions: failure.0,
            complete: false,
            fingerprint: self.fingerprint.load(Ordering::Relaxed),
            last_trace: Some(failure.2.clone()),
            failure: Some(failure),
        }
    }

    /// Whether the latest execution recorded a failure.
    fn latest_failed(&self) -> bool {
        let latest = lock(&self.latest);
        latest.as_ref().is_some_and(|e| e.has_failed())
    }

    fn executions(&self) -> u64 {
        self.started.load(Ordering::Relaxed)
    }

    /// The outcome of the latest execution, after its backend ended it with `panic`.
    fn failure(&self, panic: Box<dyn std::any::Any + Send>) -> (u64, Outcome, Trace) {
        rt::set_current(None);
        let exec = lock(&self.latest).clone();
        let exec = exec.expect("a backend failed before its first execution started");
        if !exec.has_failed() {
            exec.fail(classify_backend_panic(&exec, &*panic));
        }
        let (outcome, trace) = exec.finish();
        (self.executions(), outcome, trace)
    }
}

/// A failure the backend found before the facade did: its deadlock detector, its step bound.
fn classify_backend_panic(exec: &Execution, payload: &(dyn std::any::Any + Send)) -> Outcome {
    let message = rt::payload_message(payload);
    if message.contains("deadlock") {
        Outcome::Deadlock {
            blocked: exec.blocked_now(),
        }
    } else if message.contains("max_steps") || message.contains("maximum number of branches") {
        Outcome::StepBound {
            steps: exec.steps(),
        }
    } else {
        Outcome::Panic {
            thread: "backend".to_string(),
            message,
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn time_left(start: Instant, limit: Duration) -> bool {
    start.elapsed() < limit
}
