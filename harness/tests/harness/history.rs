//! Histories of operations checked for linearizability inside executions: a racy counter is
//! found by every model backend with its minimal history, an atomic one is verified, and the
//! outcome survives a race file and a replay.

use racecheck::history::History;
use racecheck::linearizability::Spec;
use racecheck::sync::{Arc, Mutex};
use racecheck::{thread, BackendKind, Check, Outcome, OutcomeKind, RaceFile};
use std::path::Path;

/// A counter whose `increment` returns the new value.
struct Counter;

impl Spec for Counter {
    type State = u64;
    type Op = &'static str;
    type Ret = u64;

    fn init(&self) -> u64 {
        0
    }

    fn apply(&self, n: &mut u64, _: &&'static str) -> u64 {
        *n += 1;
        *n
    }
}

/// Two threads increment a counter, each with a read and a write (`atomic`: under one lock).
fn counter(atomic: bool) {
    let history = History::new("counter", Counter);
    let value = Arc::new(Mutex::named("value", 0u64));
    let increment = move |h: &History<Counter>, v: &Mutex<u64>| {
        h.run("increment", || {
            if atomic {
                let mut g = v.lock().unwrap();
                *g += 1;
                *g
            } else {
                let read = *v.lock().unwrap();
                *v.lock().unwrap() = read + 1;
                read + 1
            }
        })
    };
    let (h, v) = (history.clone(), value.clone());
    let t = thread::Builder::new()
        .name("worker")
        .spawn(move || increment(&h, &v))
        .unwrap();
    increment(&history, &value);
    t.join().unwrap();
    history.check();
}

#[test]
fn a_lost_increment_is_not_linearizable_under_every_model_backend() {
    for b in [
        BackendKind::Loom,
        BackendKind::Random,
        BackendKind::Pct,
        BackendKind::Dfs,
    ] {
        let r = Check::new(|| counter(false)).backend(b).run();
        let f = r.assert_found(OutcomeKind::NotLinearizable);
        let Outcome::NotLinearizable {
            object,
            operations,
            minimal,
        } = &f.outcome
        else {
            unreachable!()
        };
        assert_eq!((object.as_str(), *operations), ("counter", 2), "{b}");
        // Both increments returned 1: both are needed, whatever else happened.
        assert_eq!(minimal.len(), 2, "{b}");
        assert!(minimal.iter().all(|o| o.result.as_deref() == Some("1")));
        let text = f.outcome.to_string();
        assert!(text.contains("main") && text.contains("worker"), "{text}");
        assert!(text.contains("\"increment\""), "{text}");
        let lines = f.trace.lines();
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with("main: \"counter: call #")),
            "{lines:?}"
        );
        assert!(lines.iter().any(|l| l.contains("returned 1")), "{lines:?}");
    }
}

#[test]
fn an_atomic_increment_is_verified_by_loom_and_dfs() {
    for b in [BackendKind::Loom, BackendKind::Dfs] {
        Check::new(|| counter(true))
            .backend(b)
            .run()
            .assert_passes();
    }
}

#[test]
fn a_not_linearizable_outcome_round_trips_through_a_race_file_and_replays() {
    let r = Check::new(|| counter(false))
        .backend(BackendKind::Pct)
        .run();
    let f = r.failure.clone().expect("found");
    let race = RaceFile::from_failure("demo", "racy", &r, &f);
    let text = race.to_text();
    println!("{}\n{text}", f.outcome);
    assert!(text.contains("not-linearizable"), "{text}");
    let parsed = RaceFile::parse(&text, Path::new("demo.race")).unwrap();
    assert_eq!(parsed, race);
    let replayed = racecheck::check::replay_schedule(|| counter(false), f.trace.schedule());
    assert_eq!(replayed.outcome, f.outcome);
    assert_eq!(replayed.trace.lines(), f.trace.lines());
}

#[test]
fn a_replayed_not_linearizable_race_says_its_step_count_before_the_table() {
    let scenario = racecheck::Scenario::new("demo", "a racy counter").variant(
        "racy",
        "read, then write",
        racecheck::Expect::Fail(OutcomeKind::NotLinearizable),
        || counter(false),
    );
    let variant = scenario.find_variant("racy").expect("the variant");
    let r = Check::new(|| counter(false))
        .backend(BackendKind::Pct)
        .run();
    let f = r.failure.clone().expect("found");
    let race = RaceFile::from_failure("demo", "racy", &r, &f);
    let report = race.replay(variant);
    assert!(report.reproduced());
    let text = report.describe(&race);
    let first = text.lines().next().unwrap();
    assert!(
        first.starts_with("reproduced: not linearizable")
            && first.ends_with(&format!(
                "did not happen; replayed in {} steps, every step as recorded",
                race.events.len()
            )),
        "{text}"
    );
    // The table follows, its header on the second line.
    assert!(text.lines().nth(1).unwrap().contains("thread"), "{text}");
    assert_eq!(text.lines().count(), f.outcome.to_string().lines().count());
}
