//! loom: exhaustive exploration of every interleaving (and weak-memory outcome), optionally
//! bounded by the number of preemptions.

use super::{Body, RunConfig, RunResult, Tracker};
use crate::rt::{self, Backend};
use std::panic;
use std::time::Instant;

pub(super) fn run(body: Body, bound: Option<usize>, cfg: &RunConfig) -> RunResult {
    rt::install_panic_hook();
    // Every field is set here, so loom's LOOM_* environment variables change nothing.
    let mut builder = loom::model::Builder::new();
    builder.max_threads = crate::thread::LOOM_MAX_THREADS;
    // loom takes several branches per facade step; the facade's own bound fires first.
    builder.max_branches = cfg.max_steps.saturating_mul(8).max(1_000);
    builder.preemption_bound = bound;
    // loom checks its budgets every `checkpoint_interval` executions, and stops when the
    // execution number reaches `max_permutations`: +1 runs exactly `executions`.
    builder.checkpoint_interval = 1;
    builder.checkpoint_file = None;
    builder.max_permutations = Some(cfg.executions as usize + 1);
    builder.max_duration = Some(cfg.time_limit);
    builder.expect_explicit_explore = false;
    builder.location = false;
    builder.log = false;

    let tracker = Tracker::new(cfg);
    let start = Instant::now();
    let t = tracker.clone();
    let max_steps = cfg.max_steps;
    let result = panic::catch_unwind(panic::AssertUnwindSafe(|| {
        builder.check(move || t.execute(Backend::Loom, max_steps, false, &body));
    }));
    match result {
        Ok(()) => {
            let executions = tracker.executions();
            tracker.passed(executions < cfg.executions && super::time_left(start, cfg.time_limit))
        }
        Err(payload) => tracker.failed(payload),
    }
}
