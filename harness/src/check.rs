//! The check builder: one model, one backend, one budget, one seed → what was found.
//!
//! ```
//! use racecheck::{BackendKind, Check};
//! let result = Check::new(|| { /* the model, written against racecheck::{sync, thread} */ })
//!     .backend(BackendKind::Pct)
//!     .depth(3)
//!     .executions(100)
//!     .seed(7)
//!     .run();
//! println!("{}", result.verdict());
//! ```

use crate::backend::{self, Body, Progress, RunConfig, ShuttleScheduler};
use crate::outcome::{Outcome, OutcomeKind};
use crate::parallel::{self, Shard};
pub(crate) use crate::single_run::{replay_body, run_guided, run_seeded};
pub use crate::single_run::{replay_schedule, replay_trace, Replayed};
use crate::trace::Trace;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::sync::Arc;
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
    /// Every seeded scheduler taking turns, execution by execution (`backend::portfolio`):
    /// the default for hunting bugs.
    Portfolio,
    /// shuttle's uniform random walk (URW, Zhao et al., ASPLOS 2025).
    Urw,
    /// Partial order sampling (POS, Yuan et al., CAV 2018).
    Pos,
    /// Reads-from guided fuzzing, in the spirit of RFF (Wolff et al., ASPLOS 2024).
    ReadsFrom,
}

impl BackendKind {
    /// The backends `racecheck check` runs every variant under unless told otherwise: the
    /// portfolio stands for the schedulers it is made of.
    pub const ALL: [BackendKind; 6] = [
        BackendKind::Loom,
        BackendKind::Random,
        BackendKind::Pct,
        BackendKind::Dfs,
        BackendKind::Threads,
        BackendKind::Portfolio,
    ];

    /// Every backend there is, by name: [`ALL`](Self::ALL) and the portfolio's members that
    /// are not in it.
    pub const NAMED: [BackendKind; 9] = [
        BackendKind::Loom,
        BackendKind::Random,
        BackendKind::Pct,
        BackendKind::Dfs,
        BackendKind::Threads,
        BackendKind::Portfolio,
        BackendKind::Urw,
        BackendKind::Pos,
        BackendKind::ReadsFrom,
    ];

    /// Whether it runs seeded executions in seed blocks (see [`crate::parallel`]): on every
    /// worker, split by `--shard`. loom, DFS and real threads do not.
    pub fn is_seeded(self) -> bool {
        !matches!(
            self,
            BackendKind::Loom | BackendKind::Dfs | BackendKind::Threads
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            BackendKind::Loom => "loom",
            BackendKind::Random => "random",
            BackendKind::Pct => "pct",
            BackendKind::Dfs => "dfs",
            BackendKind::Threads => "threads",
            BackendKind::Portfolio => "portfolio",
            BackendKind::Urw => "urw",
            BackendKind::Pos => "pos",
            BackendKind::ReadsFrom => "reads-from",
        }
    }

    /// The execution budget a check gets unless told otherwise.
    pub fn default_executions(self) -> u64 {
        match self {
            BackendKind::Loom | BackendKind::Dfs => 100_000,
            BackendKind::Threads => 1_000,
            _ => 10_000,
        }
    }
}

impl std::str::FromStr for BackendKind {
    type Err = String;

    /// A backend by its name (`loom`, `random`, `pct`, `dfs`, `threads`, `portfolio`, `urw`,
    /// `pos`, `reads-from`); the error lists them.
    fn from_str(name: &str) -> Result<Self, String> {
        BackendKind::NAMED
            .into_iter()
            .find(|b| b.as_str() == name)
            .ok_or_else(|| {
                let names: Vec<&str> = BackendKind::NAMED.iter().map(|b| b.as_str()).collect();
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
    chaos: bool,
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
            chaos: true,
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

    /// The same as [`executions`](Self::executions), by the name the CLI's `--iterations` and
    /// shuttle's `check_random(f, iterations)` give it.
    pub fn iterations(self, n: u64) -> Self {
        self.executions(n)
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

    /// Real threads: perturb them with seeded yields, spins and short sleeps at facade
    /// operations (on by default), so they reach interleavings the OS rarely gives. Each run's
    /// perturbations derive from the check's seed and the run's index.
    pub fn chaos(mut self, on: bool) -> Self {
        self.chaos = on;
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
    ///
    /// Under `cargo test`, with `RACECHECK_REPLAY` naming a race file this test and backend
    /// saved, it replays that race instead (see [`crate::test_api`]).
    ///
    /// # Panics
    /// If `SHUTTLE_RANDOM_SEED` is set under the random or PCT backend: shuttle would use it
    /// in place of this check's seed, in every seed block alike.
    pub fn run(self) -> CheckResult {
        if self.backend.is_seeded() {
            if let Err(message) = crate::test_api::env::refuse_shuttle_overrides() {
                panic!("{message}");
            }
        }
        if let Some(replay) = crate::test_api::replay::requested(&self.label()) {
            return crate::test_api::replay::run(&self.body, self.label_parts(), replay);
        }
        let cfg = RunConfig {
            executions: self.budget(),
            time_limit: self.time_limit,
            max_steps: self.max_steps,
            progress: self.progress.clone().unwrap_or_else(|| Arc::new(|_| {})),
            fingerprint: self.fingerprint,
            seed: self.seed,
            chaos: self.chaos,
            choices: None,
        };
        let start = Instant::now();
        let body = self.body.clone();
        let run = match self.backend {
            BackendKind::Loom => backend::run_loom(body, self.preemption_bound, &cfg),
            BackendKind::Dfs => backend::run_shuttle(body, ShuttleScheduler::Dfs, &cfg),
            BackendKind::Threads => backend::run_threads(body, &cfg),
            kind => {
                let seeded = parallel::Seeded {
                    kind,
                    depth: self.depth,
                };
                parallel::run(body, seeded, self.seed, self.shard, self.workers, &cfg)
            }
        };
        let (failure, unsupported) = match run.failure {
            Some((_, Outcome::Unsupported { reason }, _)) => (None, Some(reason)),
            found => (found, None),
        };
        let budget = self.budget();
        let elapsed = start.elapsed();
        CheckResult {
            backend: self.backend,
            seed: self.seed,
            depth: self.depth,
            preemption_bound: self.preemption_bound,
            executions: run.executions,
            complete: run.complete,
            elapsed,
            fingerprint: run.fingerprint,
            // Nothing else ends a check early without a failure and short of the end of the
            // space: the budget was cut by the clock.
            time_limited: failure.is_none()
                && unsupported.is_none()
                && !run.complete
                && run.executions < budget
                && elapsed >= self.time_limit,
            time_limit: self.time_limit,
            budget,
            unsupported,
            failure: failure.map(|(execution, outcome, trace)| Failure {
                execution,
                outcome,
                trace,
            }),
            replayed: None,
            body: Some(ModelBody(self.body)),
        }
    }

    /// The backend as [`CheckResult::backend_label`] gives it, before the check runs.
    fn label(&self) -> String {
        backend_label(self.label_parts())
    }

    fn label_parts(&self) -> LabelParts {
        LabelParts {
            backend: self.backend,
            seed: self.seed,
            depth: self.depth,
            preemption_bound: self.preemption_bound,
        }
    }
}

/// What a backend label and a replayed result are made of.
#[derive(Clone, Copy, Debug)]
pub(crate) struct LabelParts {
    pub backend: BackendKind,
    pub seed: u64,
    pub depth: usize,
    pub preemption_bound: Option<usize>,
}

fn backend_label(p: LabelParts) -> String {
    match p.backend {
        BackendKind::Pct => format!("pct(d={})", p.depth),
        BackendKind::Loom => match p.preemption_bound {
            Some(b) => format!("loom(bound={b})"),
            None => "loom".to_string(),
        },
        other => other.to_string(),
    }
}

/// The model a result came from, kept so that a failing test can shrink its race.
#[derive(Clone)]
pub(crate) struct ModelBody(pub(crate) Body);

impl fmt::Debug for ModelBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ModelBody")
    }
}

/// What a check found. A test asserts on it ([`assert_passes`](Self::assert_passes),
/// [`assert_found`](Self::assert_found)), or a deadlock passes unseen.
#[must_use = "a check's failure is in its result: call .assert_passes() or look at .failure"]
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
    /// The time limit stopped the check before its budget: fewer executions than asked for
    /// were run, and a pass means less than it would have.
    pub time_limited: bool,
    /// The wall-clock limit the check ran under.
    pub time_limit: Duration,
    /// The executions it was allowed.
    pub budget: u64,
    /// The backend could not run this model (loom and a sixth thread), and why: nothing was
    /// checked, and nothing found.
    pub unsupported: Option<String>,
    /// Set when `RACECHECK_REPLAY` made this check replay a race file instead of exploring.
    pub replayed: Option<crate::test_api::ReplayedRace>,
    pub(crate) body: Option<ModelBody>,
}

/// The first failing execution of a check.
#[derive(Clone, Debug)]
pub struct Failure {
    /// Its 1-based index among the check's executions: executions to first failure.
    pub execution: u64,
    pub outcome: Outcome,
    pub trace: Trace,
}

/// A check's result in one word: found (and what), verified, not found, or not checked at
/// all because the backend cannot run the model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Found(OutcomeKind),
    Verified,
    NotFound,
    /// The backend cannot run this model ([`CheckResult::unsupported`] says why).
    Unsupported,
}

impl CheckResult {
    pub fn verdict(&self) -> Verdict {
        match (&self.failure, self.complete) {
            _ if self.unsupported.is_some() => Verdict::Unsupported,
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
        backend_label(LabelParts {
            backend: self.backend,
            seed: self.seed,
            depth: self.depth,
            preemption_bound: self.preemption_bound,
        })
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
            Verdict::Unsupported => f.write_str("unsupported"),
        }
    }
}
