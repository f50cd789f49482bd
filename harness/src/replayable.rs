//! Saving a race that replays: a check's failure is replayed once under the model scheduler
//! before it is written. A recording that diverges (real threads, tokio, a weak-memory outcome
//! of loom's) is turned, where it can be, into a schedule of the same failure that does replay;
//! otherwise the file says it does not replay, and why, so nobody is offered a replay command
//! that cannot work.

use crate::backend::Body;
use crate::check::{replay_body, run_guided, BackendKind, CheckResult, Failure, DEFAULT_MAX_STEPS};
use crate::fnv::Fnv;
use crate::outcome::Outcome;
use crate::race::{RaceFile, ReplayReport};
use crate::scenario::Variant;
use crate::shrink::{shrink, ShrinkBudget, Shrunk};
use crate::trace::{EventKind, Trace};
use std::collections::BTreeSet;
use std::hash::Hasher;

/// A race ready to save, and what shrinking did to it (if it was shrunk).
#[derive(Clone, Debug)]
pub struct Prepared {
    pub race: RaceFile,
    pub shrunk: Option<Shrunk>,
}

impl RaceFile {
    /// The race file to save for a check's failure: shrunk if `budget` is given, and checked
    /// to replay. A recording that does not replay is replaced by an execution of the same
    /// failure that does (the one its strict replay took, else its guided replay), marked in
    /// `derived_from`; if neither fails the same way it is saved as recorded, marked not
    /// replayable with the reason.
    pub fn prepare(
        scenario: &str,
        variant: &Variant,
        result: &CheckResult,
        failure: &Failure,
        budget: Option<ShrinkBudget>,
    ) -> Prepared {
        let body = &variant.body;
        let mut race = RaceFile::from_failure(scenario, variant.name, result, failure);
        race.model = Some(model_fingerprint(body));
        if let Some(ready) = replayable_as(body, &failure.outcome, &failure.trace, budget) {
            return ready.into_race(race);
        }
        let kind = failure.outcome.kind();
        let (schedule, choices) = (failure.trace.schedule(), failure.trace.choices());
        let strict = replay_body(
            body.clone(),
            schedule.clone(),
            choices.clone(),
            DEFAULT_MAX_STEPS,
        );
        let (recorded, replayed) = (failure.trace.lines(), strict.trace.lines());
        let step = (0..recorded.len().max(replayed.len()))
            .find(|&i| recorded.get(i) != replayed.get(i))
            .map_or_else(|| "its outcome".to_string(), |s| format!("step {s}"));
        let guided = run_guided(body.clone(), schedule, choices, DEFAULT_MAX_STEPS);
        for (how, (outcome, trace)) in [
            ("strict replay", (strict.outcome, strict.trace)),
            ("guided replay", guided),
        ] {
            if outcome.kind() != kind {
                continue;
            }
            if let Some(ready) = replayable_as(body, &outcome, &trace, budget) {
                race.derived_from = Some(format!(
                    "the {} recording (execution {}) diverged under replay at {step}; this is the execution its {how} took, which fails the same way ({kind})",
                    result.backend_label(),
                    failure.execution,
                ));
                return ready.into_race(race);
            }
        }
        race.replayable = false;
        race.not_replayable = Some(why_not(Some(result.backend)));
        Prepared { race, shrunk: None }
    }
}

/// An execution that replays exactly, shrunk if asked.
enum Ready {
    Shrunk(Shrunk),
    AsIs(Outcome, Trace),
}

impl Ready {
    fn into_race(self, race: RaceFile) -> Prepared {
        match self {
            Ready::Shrunk(s) => Prepared {
                race: race.with_execution(&s.outcome, &s.trace),
                shrunk: Some(s),
            },
            Ready::AsIs(o, t) => Prepared {
                race: race.with_execution(&o, &t),
                shrunk: None,
            },
        }
    }
}

/// `(outcome, trace)`, shrunk if `budget` is given, if its schedule replays to the same steps
/// and the same kind of outcome.
fn replayable_as(
    body: &Body,
    outcome: &Outcome,
    trace: &Trace,
    budget: Option<ShrinkBudget>,
) -> Option<Ready> {
    match budget {
        Some(budget) => {
            let s = shrink(body, outcome, trace, budget);
            s.replayed.then_some(Ready::Shrunk(s))
        }
        None => {
            let r = replay_body(
                body.clone(),
                trace.schedule(),
                trace.choices(),
                DEFAULT_MAX_STEPS,
            );
            (r.outcome == *outcome && r.trace == *trace)
                .then(|| Ready::AsIs(outcome.clone(), trace.clone()))
        }
    }
}

/// A fingerprint of a variant: a hash of the thread names, object names and labelled events of
/// one fixed execution (the model scheduler, never preempting). A change to the model's
/// threads, objects or labels changes it; the same build gives the same one every time.
pub fn model_fingerprint(body: &Body) -> String {
    let (_, trace) = run_guided(
        body.clone(),
        Vec::new(),
        Default::default(),
        DEFAULT_MAX_STEPS,
    );
    let mut h = Fnv::new();
    let names: BTreeSet<&str> = trace
        .threads
        .iter()
        .chain(trace.objects.iter())
        .map(String::as_str)
        .collect();
    for name in names {
        h.write(name.as_bytes());
        h.write_u8(0);
    }
    for (i, e) in trace.events.iter().enumerate() {
        if let EventKind::Label(label) = &e.kind {
            h.write(trace.thread_of(i).as_bytes());
            h.write_u8(1);
            h.write(label.as_bytes());
            h.write_u8(0);
        } else if matches!(e.kind, EventKind::ModelLock { .. } | EventKind::Suspect(_)) {
            // What the model says of its own locks and culprits is as much its own as a label.
            h.write(trace.line(i).as_bytes());
            h.write_u8(2);
        }
    }
    format!("fnv1a:{:016x}", h.finish())
}

/// The backend a race file's `backend` label names (`pct(d=3)` is PCT).
pub fn backend_of(label: &str) -> Option<BackendKind> {
    label.split('(').next()?.parse().ok()
}

/// Why a recording of `backend` may not replay under the model scheduler.
pub fn why_not(backend: Option<BackendKind>) -> String {
    match backend {
        Some(BackendKind::Threads) => "it was recorded on real threads (on tokio, for an async model), whose scheduler takes steps the model scheduler cannot follow, and no replay of its schedule fails the same way".to_string(),
        Some(BackendKind::Loom) => "it needs an outcome only loom produces (a weak-memory read, say): replay runs under shuttle, which makes every atomic access SeqCst, and no replay of its schedule fails the same way".to_string(),
        _ => "the model scheduler recorded it, yet its replay takes other steps: the model does not run the same way twice (does it read the wall clock, or randomness, outside racecheck's facade?)".to_string(),
    }
}

impl ReplayReport {
    /// Why a race that replayed when it was saved diverges now: the model changed only if its
    /// fingerprint says so; otherwise what the backend that recorded it explains.
    pub(crate) fn why_diverged(&self, race: &RaceFile) -> String {
        let backend = backend_of(&race.backend);
        match self.model_changed {
            Some(true) => "the model has changed since this race was recorded: the variant's fingerprint differs".to_string(),
            Some(false) => format!(
                "the variant's fingerprint is unchanged, so the model has not changed: {}",
                why_not(backend)
            ),
            None => format!(
                "the race records no model fingerprint: the model may have changed, or {}",
                why_not(backend)
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::{Expect, OutcomeKind};
    use crate::scenario::Scenario;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A model that fails only the first time it runs: no replay can fail the same way, so
    /// its race is saved as not replayable, with the reason, instead of offering a replay.
    #[test]
    fn a_race_no_replay_reproduces_is_marked_not_replayable() {
        static RUNS: AtomicUsize = AtomicUsize::new(0);
        let scenario = Scenario::new("once", "fails once").variant(
            "first",
            "fails on its first execution only",
            Expect::Fail(OutcomeKind::Invariant),
            || {
                let t = crate::thread::spawn(|| crate::trace::event("worker: ran"));
                t.join().unwrap();
                crate::invariant!(RUNS.fetch_add(1, Ordering::SeqCst) > 0, "first run");
            },
        );
        let variant = &scenario.variants[0];
        let result = variant
            .check()
            .backend(BackendKind::Random)
            .executions(1)
            .run();
        let failure = result.failure.as_ref().expect("the first execution fails");
        let prepared = RaceFile::prepare("once", variant, &result, failure, None);
        assert!(!prepared.race.replayable);
        let why = prepared.race.not_replayable.as_deref().unwrap_or_default();
        assert!(why.contains("does not run the same way twice"), "{why}");
        assert!(prepared.race.to_text().contains("# Not replayable: "));
    }

    #[test]
    fn backend_labels_name_their_backend() {
        assert_eq!(backend_of("pct(d=3)"), Some(BackendKind::Pct));
        assert_eq!(backend_of("loom(bound=2)"), Some(BackendKind::Loom));
        assert_eq!(backend_of("threads"), Some(BackendKind::Threads));
        assert_eq!(backend_of("nonsense"), None);
    }
}
