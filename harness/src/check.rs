//! The check builder: one model, one backend, one budget, one seed → what was found.
//!
//! ```no_run
//! use racecheck::{BackendKind, Check};
//! let result = Check::new(|| { /* the model, written against racecheck::{sync, thread} */ })
//!     .backend(BackendKind::Pct)
//!     .depth(3)
//!     .executions(10_000)
//!     .seed(7)
//!     .run();
//! println!("{}", result.verdict());
//! ```

use crate::backend::{self, Body, Progress, RunConfig, Scheduling};
use crate::outcome::{Outcome, OutcomeKind};
use crate::parallel::{self, Randomized, Shard};
use crate::trace::Trace;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Which scheduler explores the model.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BackendKind {
    /// loom: every interleaving, up to the preemption bound.
    Loom,
    /// shuttle's random walk.
    Random,
    /// shuttle's PCT with depth d.
    Pct,
    /// shuttle's depth-first enumeration.
    Dfs,
    /// Real OS threads, N iterations, under a watchdog.
    Threads,
}

impl BackendKind {
    pub const ALL: [BackendKind; 5] = [
        BackendKind::Loom,
        BackendKind::Random,
        BackendKind::Pct,
        BackendKind::Dfs,
        BackendKind::Threads,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            BackendKind::Loom => "loom",
            BackendKind::Random => "random",
            BackendKind::Pct => "pct",
            BackendKind::Dfs => "dfs",
            BackendKind::Threads => "threads",
        }
    }

    /// The execution budget a check gets unless told otherwise.
    pub fn default_executions(self) -> u64 {
        match self {
            BackendKind::Loom | BackendKind::Dfs => 100_000,
            BackendKind::Random | BackendKind::Pct => 10_000,
            BackendKind::Threads => 1_000,
        }
    }
}

impl std::str::FromStr for BackendKind {
    type Err = String;

    /// A backend by its name (`loom`, `random`, `pct`, `dfs`, `threads`); the error lists them.
    fn from_str(name: &str) -> Result<Self, String> {
        BackendKind::ALL
            .into_iter()
            .find(|b| b.as_str() == name)
            .ok_or_else(|| {
                let names: Vec<&str> = BackendKind::ALL.iter().map(|b| b.as_str()).collect();
                format!("unknown backend `{name}` (valid: {})", names.join(", "))
            })
    }
}

impl fmt::Display for BackendKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The steps one execution may take before it counts as a livelock.
pub const DEFAULT_MAX_STEPS: usize = 20_000;
/// PCT's default depth.
pub const DEFAULT_DEPTH: usize = 3;
/// The default wall-clock limit of one check.
pub const DEFAULT_TIME_LIMIT: Duration = Duration::from_secs(60);

/// One model under one backend with one budget. A consuming builder: configure, then `run`.
#[must_use = "a Check does nothing until .run()"]
pub struct Check {
    body: Body,
    backend: BackendKind,
    seed: u64,
    executions: Option<u64>,
    time_limit: Duration,
    depth: usize,
    preemption_bound: Option<usize>,
    max_steps: usize,
    progress: Option<Progress>,
    fingerprint: bool,
    workers: usize,
    shard: Shard,
}

impl Check {
    /// A check of `body`: PCT, depth 3, seed 0, the backend's default budget, 60 s.
    pub fn new(body: impl Fn() + Send + Sync + 'static) -> Self {
        Self::from_body(Arc::new(body))
    }

    pub(crate) fn from_body(body: Body) -> Self {
        Check {
            body,
            backend: BackendKind::Pct,
            seed: 0,
            executions: None,
            time_limit: DEFAULT_TIME_LIMIT,
            depth: DEFAULT_DEPTH,
            preemption_bound: None,
            max_steps: DEFAULT_MAX_STEPS,
            progress: None,
            fingerprint: false,
            workers: 1,
            shard: Shard::WHOLE,
        }
    }

    pub fn backend(mut self, backend: BackendKind) -> Self {
        self.backend = backend;
        self
    }

    /// The seed of the random and PCT schedulers: the same seed gives the same executions.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// At most this many executions.
    pub fn executions(mut self, n: u64) -> Self {
        self.executions = Some(n.max(1));
        self
    }

    /// At most this much wall-clock time.
    pub fn time_limit(mut self, limit: Duration) -> Self {
        self.time_limit = limit;
        self
    }

    /// PCT's depth d: bugs that need d−1 ordering constraints.
    pub fn depth(mut self, depth: usize) -> Self {
        self.depth = depth.max(1);
        self
    }

    /// loom's preemption bound; `None` (the default) explores unbounded.
    pub fn preemption_bound(mut self, bound: Option<usize>) -> Self {
        self.preemption_bound = bound;
        self
    }

    /// The steps one execution may take before it fails as a livelock.
    pub fn max_steps(mut self, steps: usize) -> Self {
        self.max_steps = steps.max(1);
        self
    }

    /// Run random and PCT budgets on `n` OS threads (default 1). The executions and the first
    /// failure do not depend on `n` (see [`crate::parallel`]); loom, DFS and real threads
    /// ignore it.
    pub fn workers(mut self, n: usize) -> Self {
        self.workers = n.max(1);
        self
    }

    /// Run only this shard's part of a random or PCT budget (see [`crate::parallel`]); the
    /// budget stays the whole one. loom, DFS and real threads ignore it.
    pub fn shard(mut self, shard: Shard) -> Self {
        self.shard = shard;
        self
    }

    /// Hash every execution's events into [`CheckResult::fingerprint`], to compare two runs.
    pub fn fingerprint(mut self) -> Self {
        self.fingerprint = true;
        self
    }

    /// Called with the number of executions started so far (for a progress bar).
    pub fn on_progress(mut self, f: impl Fn(u64) + Send + Sync + 'static) -> Self {
        self.progress = Some(Arc::new(f));
        self
    }

    /// The execution budget this check will use.
    pub fn budget(&self) -> u64 {
        self.executions
            .unwrap_or_else(|| self.backend.default_executions())
    }

    /// Explore until the first failure, the budget, or (loom, DFS) the end of the space.
    pub fn run(self) -> CheckResult {
        let cfg = RunConfig {
            executions: self.budget(),
            time_limit: self.time_limit,
            max_steps: self.max_steps,
            progress: self.progress.clone().unwrap_or_else(|| Arc::new(|_| {})),
            fingerprint: self.fingerprint,
        };
        let start = Instant::now();
        let body = self.body.clone();
        let run = match self.backend {
            BackendKind::Loom => backend::run_loom(body, self.preemption_bound, &cfg),
            BackendKind::Random => {
                let (seed, shard, workers) = (self.seed, self.shard, self.workers);
                parallel::run(body, Randomized::Random, seed, shard, workers, &cfg)
            }
            BackendKind::Pct => {
                let kind = Randomized::Pct { depth: self.depth };
                parallel::run(body, kind, self.seed, self.shard, self.workers, &cfg)
            }
            BackendKind::Dfs => backend::run_shuttle(body, Scheduling::Dfs, &cfg),
            BackendKind::Threads => backend::run_threads(body, &cfg),
        };
        CheckResult {
            backend: self.backend,
            seed: self.seed,
            depth: self.depth,
            preemption_bound: self.preemption_bound,
            executions: run.executions,
            complete: run.complete,
            elapsed: start.elapsed(),
            fingerprint: run.fingerprint,
            failure: run.failure.map(|(execution, outcome, trace)| Failure {
                execution,
                outcome,
                trace,
            }),
        }
    }
}

/// What a check found.
#[derive(Clone, Debug)]
pub struct CheckResult {
    pub backend: BackendKind,
    pub seed: u64,
    pub depth: usize,
    pub preemption_bound: Option<usize>,
    pub executions: u64,
    /// Every execution there is was explored (loom, DFS): a pass is then a proof within the
    /// bound, not only "not found".
    pub complete: bool,
    pub elapsed: Duration,
    pub failure: Option<Failure>,
    /// With [`Check::fingerprint`], a hash of every execution's events in order: two runs with
    /// equal fingerprints explored the same executions. 0 otherwise.
    pub fingerprint: u64,
}

/// The first failing execution of a check.
#[derive(Clone, Debug)]
pub struct Failure {
    /// Its 1-based index among the check's executions: executions to first failure.
    pub execution: u64,
    pub outcome: Outcome,
    pub trace: Trace,
}

/// A check's result in one word: found (and what), verified, or not found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Found(OutcomeKind),
    Verified,
    NotFound,
}

impl CheckResult {
    pub fn verdict(&self) -> Verdict {
        match (&self.failure, self.complete) {
            (Some(f), _) => Verdict::Found(f.outcome.kind()),
            (None, true) => Verdict::Verified,
            (None, false) => Verdict::NotFound,
        }
    }

    /// The failure's outcome kind, if a failure was found.
    pub fn found(&self) -> Option<OutcomeKind> {
        self.failure.as_ref().map(|f| f.outcome.kind())
    }

    /// How the backend was set, as a person reads it: `pct(d=3)`, `loom(bound=2)`.
    pub fn backend_label(&self) -> String {
        match self.backend {
            BackendKind::Pct => format!("pct(d={})", self.depth),
            BackendKind::Loom => match self.preemption_bound {
                Some(b) => format!("loom(bound={b})"),
                None => "loom".to_string(),
            },
            other => other.to_string(),
        }
    }

    /// The verdict as reports print it: a bounded loom pass says its bound,
    /// `verified (preemption bound 3)`, since it proves nothing beyond it.
    pub fn verdict_text(&self) -> String {
        match (self.verdict(), self.backend, self.preemption_bound) {
            (Verdict::Verified, BackendKind::Loom, Some(b)) => {
                format!("verified (preemption bound {b})")
            }
            (v, _, _) => v.to_string(),
        }
    }

    pub fn executions_per_second(&self) -> f64 {
        self.executions as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Verdict::Found(kind) => write!(f, "found {kind}"),
            Verdict::Verified => f.write_str("verified"),
            Verdict::NotFound => f.write_str("not found"),
        }
    }
}

/// What replaying a recorded schedule gave.
#[derive(Clone, Debug)]
pub struct Replayed {
    pub outcome: Outcome,
    pub trace: Trace,
    /// The first step at which the recorded thread could not run, if any.
    pub diverged_at: Option<usize>,
}

/// Run `body` once, following `schedule` (the thread index of every step), under shuttle.
pub fn replay_schedule(body: impl Fn() + Send + Sync + 'static, schedule: Vec<usize>) -> Replayed {
    replay_body(Arc::new(body), schedule, DEFAULT_MAX_STEPS)
}

pub(crate) fn replay_body(body: Body, schedule: Vec<usize>, max_steps: usize) -> Replayed {
    let diverged = Arc::new(Mutex::new(None));
    let scheduling = Scheduling::Replay {
        schedule: schedule.clone(),
        diverged: diverged.clone(),
    };
    let (outcome, trace) = run_once(body, scheduling, max_steps.max(schedule.len() + 1));
    let diverged_at = *diverged.lock().unwrap_or_else(|p| p.into_inner());
    Replayed {
        outcome,
        trace,
        diverged_at,
    }
}

/// Run `body` once under shuttle, following `schedule` as far as it can and then without
/// preempting: what shrinking tries. The result is whatever that execution did.
pub(crate) fn run_guided(body: Body, schedule: Vec<usize>, max_steps: usize) -> (Outcome, Trace) {
    run_once(body, Scheduling::Guided { schedule }, max_steps)
}

/// One execution of `body` under shuttle's random (`depth` None) or PCT scheduler, seeded
/// with `seed`: executions that must each be reproducible from a seed of their own.
pub(crate) fn run_seeded(body: Body, depth: Option<usize>, seed: u64) -> (Outcome, Trace) {
    use shuttle::scheduler::{PctScheduler, RandomScheduler, Scheduler};
    let scheduler: Box<dyn Scheduler + Send> = match depth {
        Some(depth) => Box::new(PctScheduler::new_from_seed(seed, depth, 1)),
        None => Box::new(RandomScheduler::new_from_seed(seed, 1)),
    };
    once(DEFAULT_MAX_STEPS, |cfg| {
        backend::run_shuttle_with(body, scheduler, cfg)
    })
}

fn run_once(body: Body, scheduling: Scheduling, max_steps: usize) -> (Outcome, Trace) {
    once(max_steps, |cfg| backend::run_shuttle(body, scheduling, cfg))
}

/// The outcome and trace of a one-execution shuttle run.
fn once(max_steps: usize, run: impl FnOnce(&RunConfig) -> backend::RunResult) -> (Outcome, Trace) {
    let cfg = RunConfig {
        executions: 1,
        time_limit: DEFAULT_TIME_LIMIT,
        max_steps,
        progress: Arc::new(|_| {}),
        fingerprint: false,
    };
    let run = run(&cfg);
    let trace = run.last_trace.unwrap_or_default();
    let outcome = run
        .failure
        .map(|(_, outcome, _)| outcome)
        .unwrap_or(Outcome::Pass);
    (outcome, trace)
}
