//! loom: exhaustive exploration of every interleaving (and weak-memory outcome), optionally
//! bounded by the number of preemptions, once per assignment of the model's choices.

use super::choices::Sweep;
use super::{Body, RunConfig, RunResult, Tracker};
use crate::rt::{self, Primitives};
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
    builder.checkpoint_interval = 1;
    builder.checkpoint_file = None;
    builder.expect_explicit_explore = false;
    builder.location = false;
    builder.log = false;

    let tracker = Tracker::new(cfg);
    let start = Instant::now();
    let max_steps = cfg.max_steps;
    let mut pass = |sweep: Sweep, left: u64| {
        // A quick look at an assignment explores the schedules without preemptions only.
        builder.preemption_bound = match sweep {
            Sweep::Quick => Some(0),
            Sweep::Full => bound,
        };
        // loom checks its budgets every `checkpoint_interval` executions, and stops when the
        // execution number reaches `max_permutations`: +1 runs exactly `left`.
        builder.max_permutations = Some(left as usize + 1);
        builder.max_duration = Some(cfg.time_limit.saturating_sub(start.elapsed()));
        let before = tracker.executions();
        let (t, b) = (tracker.clone(), body.clone());
        match panic::catch_unwind(panic::AssertUnwindSafe(|| {
            builder.check(move || t.execute(Primitives::Loom, max_steps, false, &b));
        })) {
            Ok(()) => Ok(tracker.executions() - before),
            Err(payload) => Err(Box::new(tracker.failed(payload))),
        }
    };
    super::choices::explore(&tracker, cfg, &body, start, &mut pass)
}
