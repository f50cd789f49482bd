//! What a variant logs: the labels of a sample of its executions, to tell a log entry no
//! variant can produce (bad input) from one this variant never produces but another of its
//! scenario does (an answer: this variant, a fix say, cannot have written the log).

use crate::backend::Body;
use crate::check::run_seeded;
use crate::outcome::Expect;
use crate::reproduce::{without_thread, LogEntry, ProductionLog, Reproduction, SearchBudget};
use crate::scenario::{Scenario, Variant};
use crate::trace::EventKind;
use std::collections::BTreeSet;

/// Executions sampled to learn which events a variant logs, before searching.
pub const VOCABULARY_EXECUTIONS: u64 = 200;

/// The `(thread, label)` pairs `body` logs in [`VOCABULARY_EXECUTIONS`] seeded executions,
/// stopping early once every entry of `log` is among them.
pub(crate) fn vocabulary(
    body: &Body,
    log: &ProductionLog,
    budget: &SearchBudget,
) -> BTreeSet<(String, String)> {
    let mut seen: BTreeSet<(String, String)> = BTreeSet::new();
    for k in 0..VOCABULARY_EXECUTIONS {
        let (_, trace) = run_seeded(body.clone(), None, budget.seed.wrapping_add(k));
        for (i, e) in trace.events.iter().enumerate() {
            if let EventKind::Label(label) = &e.kind {
                seen.insert((trace.thread_of(i).to_string(), label.to_string()));
            }
        }
        if log.entries.iter().all(|entry| knows(&seen, entry)) {
            break;
        }
    }
    seen
}

pub(crate) fn knows(seen: &BTreeSet<(String, String)>, entry: &LogEntry) -> bool {
    seen.iter().any(|(t, l)| entry.matches(t, l))
}

/// A label as a person reads it in a list: `[A] acquired with token 1`, the thread named once.
fn listed(thread: &str, label: &str) -> String {
    format!(
        "[{thread}] {}",
        without_thread(thread, label).unwrap_or(label)
    )
}

/// A label with its numbers as `*`: `A: write rejected, stale token *`.
fn generalized(thread: &str, label: &str) -> String {
    let label = match without_thread(thread, label) {
        Some(_) => label.to_string(),
        None => format!("{thread}: {label}"),
    };
    let mut out = String::new();
    for c in label.chars() {
        if !c.is_ascii_digit() {
            out.push(c);
        } else if !out.ends_with('*') {
            out.push('*');
        }
    }
    out
}

/// Check that every entry names an event the variant logs: one that some of
/// [`VOCABULARY_EXECUTIONS`] seeded executions logged. An error names the first unknown one.
pub(crate) fn check_vocabulary(
    body: &Body,
    log: &ProductionLog,
    budget: &SearchBudget,
) -> Result<(), String> {
    let seen = vocabulary(body, log, budget);
    match log.entries.iter().find(|entry| !knows(&seen, entry)) {
        None => Ok(()),
        Some(entry) => Err(unknown_entry(entry, &seen, "this variant")),
    }
}

pub(crate) fn unknown_entry(
    entry: &LogEntry,
    seen: &BTreeSet<(String, String)>,
    who: &str,
) -> String {
    let mut known: Vec<String> = seen
        .iter()
        .map(|(t, l)| listed(t, l))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    known.truncate(8);
    format!(
        "{} is not an event {who} logs (in {VOCABULARY_EXECUTIONS} sampled executions); it logs e.g. {}",
        entry.describe(),
        known.join(" | ")
    )
}

/// The answer when `variant` never logs `entry` (`seen` is what it logs) but another variant
/// of `scenario` does, bugs asked first: which one, and what `variant` logs on that thread
/// that the other does not. `None` when no variant logs it.
pub(crate) fn never_logs(
    scenario: &Scenario,
    variant: &Variant,
    entry: &LogEntry,
    seen: &BTreeSet<(String, String)>,
    log: &ProductionLog,
    budget: &SearchBudget,
) -> Option<Reproduction> {
    let mut others: Vec<&Variant> = scenario
        .variants
        .iter()
        .filter(|v| v.name != variant.name)
        .collect();
    others.sort_by_key(|v| !matches!(v.expect, Expect::Fail(_)));
    let (other, theirs) = others.into_iter().find_map(|other| {
        let theirs = vocabulary(&other.body, log, budget);
        knows(&theirs, entry).then_some((other, theirs))
    })?;
    let on_thread = |(t, _): &&(String, String)| entry.thread.as_deref().is_none_or(|e| e == t);
    let general = |set: &BTreeSet<(String, String)>| -> BTreeSet<String> {
        set.iter()
            .filter(on_thread)
            .map(|(t, l)| generalized(t, l))
            .collect()
    };
    let mine = general(seen);
    let mut instead: Vec<String> = mine.difference(&general(&theirs)).cloned().collect();
    if instead.is_empty() {
        instead = mine.into_iter().collect();
    }
    instead.truncate(3);
    Some(Reproduction::NeverLogs {
        entry: entry.clone(),
        logged_by: other.name.to_string(),
        instead,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_listed_with_the_thread_once_and_numbers_as_stars() {
        assert_eq!(
            listed("A", "A: acquired with token 1"),
            "[A] acquired with token 1"
        );
        assert_eq!(listed("main", "Acquired lock"), "[main] Acquired lock");
        assert_eq!(
            generalized("A", "A: write rejected, stale token 12"),
            "A: write rejected, stale token *"
        );
        assert_eq!(generalized("B", "wrote 3"), "B: wrote *");
    }
}
