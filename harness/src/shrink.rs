//! Shrinking: a failing schedule with as few preemptions, context switches and steps as it can.
//!
//! A schedule found by a random walk switches threads hundreds of times, most of them beside
//! the point. Shrinking tries shorter guides (a prefix of the schedule, or the schedule without
//! one run of a thread) and runs each once under shuttle: the run follows the guide as far as
//! it can and then never preempts (see `Scheduling::Guided`). A candidate is kept when it ends
//! in the same kind of outcome and is smaller, as (preemptions, context switches, steps). The
//! result is a schedule that replays exactly: the kept candidate's own trace.

use crate::backend::Body;
use crate::check::{replay_body, run_guided, DEFAULT_MAX_STEPS};
use crate::outcome::Outcome;
use crate::trace::Trace;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::time::{Duration, Instant};

/// How much effort shrinking may spend.
#[derive(Clone, Copy, Debug)]
pub struct ShrinkBudget {
    /// At most this many candidate executions.
    pub attempts: usize,
    /// At most this much wall-clock time.
    pub time_limit: Duration,
}

impl Default for ShrinkBudget {
    /// 5,000 candidates or 3 s, whichever ends first: enough for every race in the catalogue
    /// to reach its fixed point (see the shrink tests), small enough to run after every find.
    fn default() -> Self {
        ShrinkBudget {
            attempts: 5_000,
            time_limit: Duration::from_secs(3),
        }
    }
}

/// How big a schedule is, in what shrinking minimises (in this order).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ScheduleSize {
    /// Switches away from a thread that could have gone on.
    pub preemptions: usize,
    /// Every change of the running thread.
    pub context_switches: usize,
    pub steps: usize,
}

impl ScheduleSize {
    pub fn of(trace: &Trace) -> Self {
        ScheduleSize {
            preemptions: trace.preemptions(),
            context_switches: trace.context_switches(),
            steps: trace.len(),
        }
    }
}

impl fmt::Display for ScheduleSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let plural =
            |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
        write!(
            f,
            "{}, {}, {}",
            plural(self.steps, "step", "steps"),
            plural(self.context_switches, "context switch", "context switches"),
            plural(self.preemptions, "preemption", "preemptions")
        )
    }
}

/// What shrinking did.
#[derive(Clone, Debug)]
pub struct Shrunk {
    pub outcome: Outcome,
    pub trace: Trace,
    pub before: ScheduleSize,
    pub after: ScheduleSize,
    /// Candidate executions run.
    pub attempts: usize,
    /// False when the input did not replay to the same kind of outcome: it is returned as is.
    pub replayed: bool,
}

/// Shrink the failing execution (`outcome`, `trace`) of `body`.
///
/// Never returns a schedule that does not fail the same way: every candidate is judged by
/// running it, and the result is checked once more by a strict replay. If the input itself
/// does not replay to the same kind of outcome, it is returned unchanged.
pub(crate) fn shrink(
    body: &Body,
    outcome: &Outcome,
    trace: &Trace,
    budget: ShrinkBudget,
) -> Shrunk {
    let start = Instant::now();
    let kind = outcome.kind();
    let before = ScheduleSize::of(trace);
    let unchanged = |replayed, attempts| Shrunk {
        outcome: outcome.clone(),
        trace: trace.clone(),
        before,
        after: before,
        attempts,
        replayed,
    };
    let first = replay_body(body.clone(), trace.schedule(), DEFAULT_MAX_STEPS);
    // Same steps, not only "no divergence flagged": a replay may pick a fallback thread at a
    // scheduling point that records nothing and still take every recorded step.
    if first.outcome.kind() != kind || first.trace != *trace {
        return unchanged(false, 1);
    }
    let mut best = (first.outcome, first.trace);
    let mut best_size = ScheduleSize::of(&best.1);
    let mut attempts = 1;
    let out_of_budget =
        |attempts: usize| attempts >= budget.attempts || start.elapsed() >= budget.time_limit;

    'improve: loop {
        for guide in candidates(&best.1.schedule()) {
            if out_of_budget(attempts) {
                break 'improve;
            }
            attempts += 1;
            let (o, t) = run_guided(body.clone(), guide, DEFAULT_MAX_STEPS);
            if o.kind() == kind && ScheduleSize::of(&t) < best_size {
                best_size = ScheduleSize::of(&t);
                best = (o, t);
                continue 'improve;
            }
        }
        break;
    }

    // The kept trace came from a guided run; its schedule must replay strictly to the same end.
    let check = replay_body(body.clone(), best.1.schedule(), DEFAULT_MAX_STEPS);
    if check.outcome.kind() != kind || check.trace != best.1 {
        return unchanged(true, attempts + 1);
    }
    Shrunk {
        outcome: best.0,
        trace: best.1,
        before,
        after: best_size,
        attempts: attempts + 1,
        replayed: true,
    }
}

/// The guides to try from `schedule`, the most promising first: every prefix that ends where a
/// run of one thread ends (shortest first), then the schedule without one run (last first),
/// then with two neighbouring runs swapped.
fn candidates(schedule: &[usize]) -> impl Iterator<Item = Vec<usize>> + '_ {
    let runs = runs(schedule);
    let prefixes = runs
        .clone()
        .into_iter()
        .map(move |(start, _)| schedule[..start].to_vec());
    // Without the last run is the longest prefix again.
    let removals = runs
        .clone()
        .into_iter()
        .rev()
        .skip(1)
        .map(move |(start, end)| {
            let mut guide = schedule[..start].to_vec();
            guide.extend_from_slice(&schedule[end..]);
            guide
        });
    // A run moved one place earlier: a preemption taken sooner can make a later one needless.
    let swaps = (1..runs.len()).map(move |j| {
        let (a, b) = (runs[j - 1], runs[j]);
        let mut guide = schedule[..a.0].to_vec();
        guide.extend_from_slice(&schedule[b.0..b.1]);
        guide.extend_from_slice(&schedule[a.0..a.1]);
        guide.extend_from_slice(&schedule[b.1..]);
        guide
    });
    prefixes.skip(1).chain(removals).chain(swaps)
}

/// The `[start, end)` of every run of one thread in `schedule`.
fn runs(schedule: &[usize]) -> Vec<(usize, usize)> {
    let mut out: Vec<(usize, usize)> = Vec::new();
    for (i, &t) in schedule.iter().enumerate() {
        match out.last_mut() {
            Some((start, end)) if schedule[*start] == t && *end == i => *end = i + 1,
            _ => out.push((i, i + 1)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_split_a_schedule_where_the_thread_changes() {
        assert_eq!(runs(&[0, 0, 1, 0]), vec![(0, 2), (2, 3), (3, 4)]);
        assert!(runs(&[]).is_empty());
    }

    #[test]
    fn candidates_are_prefixes_then_removals_then_swaps() {
        let got: Vec<_> = candidates(&[0, 0, 1, 0]).collect();
        assert_eq!(
            got,
            vec![
                vec![0, 0],
                vec![0, 0, 1],
                vec![0, 0, 0],
                vec![1, 0],
                vec![1, 0, 0, 0],
                vec![0, 0, 0, 1]
            ]
        );
    }
}
