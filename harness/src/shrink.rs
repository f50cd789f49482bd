//! Shrinking: a failing schedule with as few preemptions, context switches and steps as it can.
//!
//! A schedule found by a random walk switches threads hundreds of times, most of them beside
//! the point. Shrinking tries shorter or reordered guides (a prefix of the schedule, the
//! schedule without one run of a thread, or with one run moved earlier or later) and runs each
//! once under shuttle: the run follows the guide as far as it can and then never preempts (see
//! `ShuttleScheduler::Guided`). A candidate is kept when it ends in the same kind of outcome and is
//! smaller, as (preemptions, context switches, steps), and the passes start again from it until
//! none is smaller: the result is a fixpoint of the passes, so shrinking it again finds nothing.
//! The budget is a count of candidate executions, so the result depends on the input alone; a
//! wall-clock limit is only a safety net, and [`Shrunk::timed_out`] says when it was hit. The
//! result is a schedule that replays exactly: the kept candidate's own trace.

use crate::backend::Body;
use crate::check::{replay_body, run_guided, DEFAULT_MAX_STEPS};
use crate::outcome::Outcome;
use crate::trace::Trace;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::fmt;
use std::rc::Rc;
use std::time::{Duration, Instant};

/// How much effort shrinking may spend.
#[derive(Clone, Copy, Debug)]
pub struct ShrinkBudget {
    /// At most this many candidate executions: what bounds shrinking in the normal case.
    pub attempts: usize,
    /// A safety net against a model whose executions are slow: past it shrinking stops and
    /// says so ([`Shrunk::timed_out`]), and the result is no longer determined by the input.
    pub time_limit: Duration,
}

impl Default for ShrinkBudget {
    /// 20,000 candidates, with a 120 s safety net: every committed race reaches its fixpoint
    /// in far fewer (the races suite checks it), so the count, not the clock, ends a shrink.
    fn default() -> Self {
        ShrinkBudget {
            attempts: 20_000,
            time_limit: Duration::from_secs(120),
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
    /// The passes ran out of candidates: no candidate of `trace` is smaller.
    pub fixpoint: bool,
    /// The wall-clock safety net stopped shrinking before the count did.
    pub timed_out: bool,
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
        fixpoint: false,
        timed_out: false,
    };
    // Shrinking keeps the choices and changes the interleaving only.
    let choices = trace.choices();
    let first = replay_body(
        body.clone(),
        trace.schedule(),
        choices.clone(),
        DEFAULT_MAX_STEPS,
    );
    // Same steps, not only "no divergence flagged": a replay may pick a fallback thread at a
    // scheduling point that records nothing and still take every recorded step.
    if first.outcome.kind() != kind || first.trace != *trace {
        return unchanged(false, 1);
    }
    let mut best = (first.outcome, first.trace);
    let mut best_size = ScheduleSize::of(&best.1);
    let mut attempts = 1;
    let mut timed_out = false;
    let mut fixpoint = false;
    // A guide's execution is fixed by the guide, so one that was not smaller than an earlier
    // best is not smaller than a later, smaller one: never run a guide twice.
    let mut tried: HashSet<Vec<usize>> = HashSet::new();

    'improve: loop {
        let schedule = best.1.schedule();
        for guide in candidates(&schedule) {
            if guide == schedule || !tried.insert(guide.clone()) {
                continue;
            }
            if attempts >= budget.attempts {
                break 'improve;
            }
            if start.elapsed() >= budget.time_limit {
                timed_out = true;
                break 'improve;
            }
            attempts += 1;
            let (o, t) = run_guided(body.clone(), guide, choices.clone(), DEFAULT_MAX_STEPS);
            if o.kind() == kind && ScheduleSize::of(&t) < best_size {
                best_size = ScheduleSize::of(&t);
                best = (o, t);
                continue 'improve;
            }
        }
        fixpoint = true;
        break;
    }

    // The kept trace came from a guided run; its schedule must replay strictly to the same end.
    let check = replay_body(
        body.clone(),
        best.1.schedule(),
        best.1.choices(),
        DEFAULT_MAX_STEPS,
    );
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
        fixpoint,
        timed_out,
    }
}

/// The guides to try from `schedule`, the most promising first: every prefix that ends where a
/// run of one thread ends (shortest first), then the schedule without one run (last first),
/// then with one run moved earlier (nearest place first), then with one run moved later. A
/// move reaches orders the greedy passes miss: a preemption taken sooner can make later ones
/// needless, and a run put beside another of its thread's merges with it.
fn candidates(schedule: &[usize]) -> impl Iterator<Item = Vec<usize>> + '_ {
    let runs = runs(schedule);
    let n = runs.len();
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
    let moved = Rc::new(runs);
    // The schedule with run `j` taken out and put at place `at` of the remaining runs.
    let place = move |j: usize, at: usize| {
        let runs = &moved;
        let mut order: Vec<usize> = (0..n).filter(|&r| r != j).collect();
        order.insert(at, j);
        order
            .into_iter()
            .flat_map(|r| schedule[runs[r].0..runs[r].1].iter().copied())
            .collect::<Vec<usize>>()
    };
    let place = Rc::new(place);
    let p = place.clone();
    // Run j put before run i (i < j).
    let earlier = (1..n).flat_map(move |j| {
        let p = p.clone();
        (0..j).rev().map(move |i| p(j, i))
    });
    // Run j put after run k (k > j + 1: after j + 1 is run j + 1 moved earlier), which is
    // place k once run j is taken out.
    let later = (0..n).flat_map(move |j| {
        let p = place.clone();
        (j + 2..n).map(move |k| p(j, k))
    });
    prefixes
        .skip(1)
        .chain(removals)
        .chain(earlier)
        .chain(later)
        .chain(shifts(schedule))
}

/// Guides that move the boundary between two runs of one thread: the first `m` steps of the
/// thread's next run pulled onto the end of this one, or the last `m` steps of this run pushed
/// onto the start of the next. A preemption is then taken a few steps later or sooner, which
/// moving whole runs cannot do (it is what turns one order of two workers' transactions into
/// the other).
fn shifts(schedule: &[usize]) -> impl Iterator<Item = Vec<usize>> + '_ {
    let runs = runs(schedule);
    let pairs: Vec<((usize, usize), (usize, usize))> = (0..runs.len())
        .filter_map(|j| {
            let thread = schedule[runs[j].0];
            let next = runs[j + 1..].iter().find(|r| schedule[r.0] == thread)?;
            Some((runs[j], *next))
        })
        .collect();
    let pulls = pairs.clone().into_iter().flat_map(move |(a, b)| {
        (1..=b.1 - b.0).rev().map(move |m| {
            let mut guide = schedule[..a.1].to_vec();
            guide.extend_from_slice(&schedule[b.0..b.0 + m]);
            guide.extend_from_slice(&schedule[a.1..b.0]);
            guide.extend_from_slice(&schedule[b.0 + m..]);
            guide
        })
    });
    let pushes = pairs.into_iter().flat_map(move |(a, b)| {
        (1..a.1 - a.0).map(move |m| {
            let mut guide = schedule[..a.1 - m].to_vec();
            guide.extend_from_slice(&schedule[a.1..b.0]);
            guide.extend_from_slice(&schedule[a.1 - m..a.1]);
            guide.extend_from_slice(&schedule[b.0..]);
            guide
        })
    });
    pulls.chain(pushes)
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
    fn candidates_are_prefixes_removals_moves_then_shifts() {
        let got: Vec<_> = candidates(&[0, 0, 1, 0]).collect();
        assert_eq!(
            got,
            vec![
                // prefixes
                vec![0, 0],
                vec![0, 0, 1],
                // removals
                vec![0, 0, 0],
                vec![1, 0],
                // run 1 earlier; run 2 earlier by one and by two (the same steps)
                vec![1, 0, 0, 0],
                vec![0, 0, 0, 1],
                vec![0, 0, 0, 1],
                // run 0 later, past run 2
                vec![1, 0, 0, 0],
                // shifts: run 2 pulled onto run 0; run 0's last step pushed onto run 2
                vec![0, 0, 0, 1],
                vec![0, 1, 0, 0],
            ]
        );
    }

    #[test]
    fn shifts_move_steps_between_two_runs_of_a_thread() {
        let got: Vec<_> = shifts(&[0, 1, 1, 0, 0]).collect();
        assert_eq!(
            got,
            vec![
                // thread 0's next run pulled onto its first: both steps, then one
                vec![0, 0, 0, 1, 1],
                vec![0, 0, 1, 1, 0],
            ]
        );
        let got: Vec<_> = shifts(&[0, 0, 0, 1, 0]).collect();
        // thread 0's first run pushes its last one and two steps onto its next
        assert!(got.contains(&vec![0, 0, 1, 0, 0]), "{got:?}");
        assert!(got.contains(&vec![0, 1, 0, 0, 0]), "{got:?}");
    }

    #[test]
    fn a_run_can_move_past_several_others() {
        // Thread 2's run moved to the front: no neighbour swap reaches it in one step.
        let got: Vec<_> = candidates(&[0, 1, 0, 2]).collect();
        assert!(got.contains(&vec![2, 0, 1, 0]), "{got:?}");
        assert!(got.contains(&vec![1, 0, 2, 0]), "{got:?}");
    }
}
