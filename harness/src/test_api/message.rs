//! The message a failing test panics with: what happened (who waits on what), the steps that
//! led there as a compact timeline, the race file, and the command that replays it.

use super::env;
use crate::check::{CheckResult, Failure};
use crate::outcome::OutcomeKind;
use crate::trace::Trace;
use std::fmt::Write;
use std::path::Path;

/// A timeline longer than this shows its first [`HEAD`] steps and its last ones.
const MAX_LINES: usize = 40;
const HEAD: usize = 6;

/// Where the race went: saved to a file, replayed from one, or not written (and why).
pub(crate) enum RaceNote<'a> {
    Saved(&'a Path),
    Replayed {
        path: &'a Path,
        description: &'a str,
    },
    NotSaved(String),
}

/// A failure of `kind` as the object of "found": "a deadlock", "an invariant failure".
fn found(kind: OutcomeKind) -> &'static str {
    match kind {
        OutcomeKind::Invariant => "an invariant failure",
        OutcomeKind::Panic => "a panic",
        OutcomeKind::Deadlock => "a deadlock",
        OutcomeKind::StepBound => "a run past the step bound",
        OutcomeKind::TimeLimit => "a run past the time limit",
        OutcomeKind::NotLinearizable => "a history that is not linearizable",
        OutcomeKind::Pass | OutcomeKind::Unsupported => "no failure",
    }
}

/// The whole message, for `failure` of `result` (found by `call`, e.g. `check_pct`).
pub(crate) fn failure_message(
    call: &str,
    result: &CheckResult,
    failure: &Failure,
    race: RaceNote<'_>,
) -> String {
    let mut m = String::new();
    let kind = failure.outcome.kind();
    let _ = match &race {
        RaceNote::Replayed { path, .. } => writeln!(
            m,
            "racecheck {call}: replayed {}: {kind} [{}]",
            path.display(),
            result.backend_label()
        ),
        _ => writeln!(
            m,
            "racecheck {call}: found {} in execution {} of {} [{}, seed {}]",
            found(kind),
            failure.execution,
            result.budget,
            result.backend_label(),
            result.seed
        ),
    };
    let _ = writeln!(m, "  {}", failure.outcome);
    if let RaceNote::Replayed { description, .. } = &race {
        let _ = writeln!(m, "  replay: {description}");
    }
    m.push_str(&timeline(&failure.trace));
    let test = env::test_name();
    let test = test.as_deref().unwrap_or("<test name>");
    let replay = |path: &Path| format!("{}={} cargo test {test}", env::REPLAY, path.display());
    let _ = match &race {
        RaceNote::Saved(path) => write!(
            m,
            "race file: {}\nreplay it: {}",
            path.display(),
            replay(path)
        ),
        RaceNote::Replayed { path, .. } => write!(m, "replay it again: {}", replay(path)),
        RaceNote::NotSaved(why) => write!(m, "race file not saved: {why}"),
    };
    m
}

/// The steps as `  index  thread  what`, the last one marked: the step at which it failed.
pub(crate) fn timeline(trace: &Trace) -> String {
    let n = trace.len();
    let mut out = format!("timeline ({n} steps):\n");
    if n == 0 {
        return out;
    }
    let width = (0..n).map(|i| trace.thread_of(i).len()).max().unwrap_or(0);
    let shown: Vec<usize> = if n <= MAX_LINES {
        (0..n).collect()
    } else {
        (0..HEAD).chain(n - (MAX_LINES - HEAD)..n).collect()
    };
    let mut previous = None;
    for i in shown {
        if previous.is_some_and(|p: usize| i > p + 1) {
            let _ = writeln!(
                out,
                "       ... {} steps ...",
                i - previous.unwrap_or(0) - 1
            );
        }
        previous = Some(i);
        let thread = trace.thread_of(i);
        let line = trace.line(i);
        let what = line.strip_prefix(thread).and_then(|l| l.strip_prefix(": "));
        let mark = if i + 1 == n { ">" } else { " " };
        let _ = writeln!(
            out,
            "  {mark}{i:>4}  {thread:<width$}  {}",
            what.unwrap_or(&line)
        );
    }
    out
}
