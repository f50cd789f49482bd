//! Running a backend that branches on interleavings but not on data (loom, DFS) over every
//! assignment of a model's choices (see `rt::choice`).
//!
//! A model without choices runs as it always did: one exploration. A model with choices runs
//! two sweeps over its assignments: a quick one (loom without preemptions, DFS a few schedules
//! each), where a bug that needs only the wrong durations shows within a few executions of
//! its assignment, and then the full one, each assignment explored as the backend explores any
//! model. Only the full sweep can end "complete": every assignment, every interleaving.

use super::{Body, RunConfig, RunResult, Tracker};
use crate::rt::choice::Enumeration;
use crate::rt::ChoiceMap;
use std::time::Instant;

/// Which sweep a pass belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Sweep {
    /// A cheap look at one assignment.
    Quick,
    /// The backend's whole exploration of one assignment.
    Full,
}

/// One pass of the backend over the current assignment with at most `left` executions: how
/// many ran, or the run's result if it ended (a failure).
pub(super) type PassFn<'a> = dyn FnMut(Sweep, u64) -> Result<u64, Box<RunResult>> + 'a;

/// Explore `body` with `pass` over every assignment of its choices, within `cfg`'s budget.
pub(super) fn explore(
    tracker: &Tracker,
    cfg: &RunConfig,
    body: &Body,
    start: Instant,
    pass: &mut PassFn<'_>,
) -> RunResult {
    let time_left = || super::time_left(start, cfg.time_limit);
    if cfg.choices.is_some() {
        // A replay's values: one exploration of them.
        return match pass(Sweep::Full, cfg.executions) {
            Ok(ran) => tracker.passed(ran < cfg.executions && time_left()),
            Err(result) => *result,
        };
    }
    if !makes_choices(body) {
        tracker.fix_choices(Default::default());
        let ran = match pass(Sweep::Full, cfg.executions) {
            Ok(ran) => ran,
            Err(result) => return *result,
        };
        // The probe's one schedule made no choice, and neither did any explored here.
        if tracker.take_choices_met().is_empty() || ran >= cfg.executions || !time_left() {
            return tracker.passed(ran < cfg.executions && time_left());
        }
    }
    for sweep in [Sweep::Quick, Sweep::Full] {
        let mut assignments = Enumeration::default();
        loop {
            let left = cfg.executions - tracker.executions();
            if left == 0 || !time_left() {
                return tracker.passed(false);
            }
            tracker.fix_choices(assignments.assignment());
            let ran = match pass(sweep, left) {
                Ok(ran) => ran,
                Err(result) => return *result,
            };
            let met = tracker.take_choices_met();
            if sweep == Sweep::Full && (ran >= left || !time_left()) {
                return tracker.passed(false);
            }
            if !assignments.advance(&met) {
                break;
            }
        }
    }
    tracker.passed(true)
}

/// Whether one fixed execution of `body` (shuttle, never preempting, every choice its first
/// option) makes a choice: a probe, not one of the run's executions.
fn makes_choices(body: &Body) -> bool {
    let (_, trace) = crate::single_run::run_guided(
        body.clone(),
        Vec::new(),
        ChoiceMap::new(),
        crate::check::DEFAULT_MAX_STEPS,
    );
    !trace.choices().is_empty()
}
