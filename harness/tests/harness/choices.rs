//! Choices: a model's open values are explored by every backend, recorded and replayed.

use racecheck::sync::atomic::{AtomicUsize, Ordering};
use racecheck::sync::{Arc, Mutex};
use racecheck::time::{self, durations, Duration};
use racecheck::{choose, invariant, thread, BackendKind, Check, OutcomeKind, RaceFile};
use std::collections::BTreeSet;

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

/// A holder whose work takes 1–3 s writes after a lease of 2 s expired, but only when the
/// takeover (after 1–3 s) came first: the bug needs both durations to fall the wrong way.
fn lease_needs_the_wrong_durations() {
    let holder = Arc::new(Mutex::named("lease", "A"));
    let h = holder.clone();
    let b = thread::Builder::new()
        .name("B")
        .spawn(move || {
            time::sleep_for_one_of("B waits", &durations(secs(1), secs(3), secs(1)));
            if time::now().since_start() >= secs(2) {
                *h.lock().unwrap() = "B";
            }
        })
        .unwrap();
    let a = thread::Builder::new()
        .name("A")
        .spawn({
            let holder = holder.clone();
            move || {
                time::sleep_for_one_of("A works", &durations(secs(1), secs(3), secs(1)));
                let who = *holder.lock().unwrap();
                invariant!(who == "A", "A wrote while {who} held the lease");
            }
        })
        .unwrap();
    a.join().unwrap();
    b.join().unwrap();
}

#[test]
fn loom_and_dfs_run_every_combination_of_choices() {
    for backend in [BackendKind::Loom, BackendKind::Dfs] {
        let seen = std::sync::Arc::new(std::sync::Mutex::new(BTreeSet::new()));
        let s = seen.clone();
        let r = Check::new(move || {
            let x = choose("x", &[1, 2, 3]);
            let y = thread::spawn(|| choose("y", &['a', 'b'])).join().unwrap();
            s.lock().unwrap().insert((x, y));
        })
        .backend(backend)
        .run();
        r.assert_verified();
        assert_eq!(seen.lock().unwrap().len(), 6, "{backend:?}");
    }
}

#[test]
fn a_bug_that_needs_two_durations_is_found_by_every_backend_but_not_everywhere() {
    for backend in [
        BackendKind::Loom,
        BackendKind::Dfs,
        BackendKind::Random,
        BackendKind::Pct,
        BackendKind::Threads,
    ] {
        let r = Check::new(lease_needs_the_wrong_durations)
            .backend(backend)
            // DFS runs a few hundred schedules per combination of the two durations.
            .executions(5_000)
            .seed(1)
            .run();
        let f = r
            .failure
            .as_ref()
            .unwrap_or_else(|| panic!("{backend:?} found nothing"));
        assert_eq!(f.outcome.kind(), OutcomeKind::Invariant, "{backend:?}");
        let lines = f.trace.lines();
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with("A: A works: ") && l.contains("(choice ")),
            "{backend:?}: {lines:#?}"
        );
    }
    // Under loom, the first assignment (both 1 s) passes, so the failure is not the first run.
    let r = Check::new(lease_needs_the_wrong_durations)
        .backend(BackendKind::Loom)
        .run();
    assert!(r.failure.expect("found").execution > 1);
}

#[test]
fn a_failure_with_choices_replays_from_its_trace_and_from_its_race_file() {
    let r = Check::new(lease_needs_the_wrong_durations)
        .backend(BackendKind::Pct)
        .seed(7)
        .run();
    let f = r.failure.clone().expect("found");
    let replayed = racecheck::replay_trace(lease_needs_the_wrong_durations, &f.trace);
    assert_eq!(replayed.trace.lines(), f.trace.lines());
    assert_eq!(replayed.diverged_at, None);

    let race = RaceFile::from_failure("test", "lease", &r, &f);
    assert!(!race.choices.is_empty(), "{race:?}");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("lease.race");
    std::fs::write(&path, race.to_text()).unwrap();
    let loaded = RaceFile::load(&path).unwrap();
    assert_eq!(loaded.choices, race.choices);
    // The schedule alone takes every choice's first option: the failure needs the recorded ones.
    let without = racecheck::replay_schedule(lease_needs_the_wrong_durations, f.trace.schedule());
    assert_ne!(without.trace.lines(), f.trace.lines());
}

#[test]
fn seeded_choices_are_the_same_for_a_seed_whatever_the_workers() {
    let counts = |workers| {
        let hits = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let h = hits.clone();
        let r = Check::new(move || {
            let n = AtomicUsize::new(0);
            n.store(choose("n", &[0, 1, 2, 3]), Ordering::SeqCst);
            if n.load(Ordering::SeqCst) == 3 {
                h.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
        })
        .backend(BackendKind::Random)
        .executions(500)
        .workers(workers)
        .seed(11)
        .fingerprint()
        .run();
        (
            r.fingerprint,
            hits.load(std::sync::atomic::Ordering::Relaxed),
        )
    };
    let one = counts(1);
    assert_eq!(one, counts(2));
    // About a quarter of 500 draws take the last option: the draws are spread, not fixed.
    assert!((60..=190).contains(&one.1), "{one:?}");
}

#[test]
fn a_corrupt_choices_field_is_a_one_line_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.race");
    let r = Check::new(lease_needs_the_wrong_durations)
        .backend(BackendKind::Pct)
        .seed(7)
        .run();
    let f = r.failure.clone().expect("found");
    let text = RaceFile::from_failure("test", "lease", &r, &f)
        .to_text()
        .replace("choices = \"", "choices = \"x ");
    std::fs::write(&path, text).unwrap();
    let err = RaceFile::load(&path).unwrap_err().to_string();
    assert!(err.contains("bad entry `x`"), "{err}");
    assert_eq!(err.lines().count(), 1);
}
