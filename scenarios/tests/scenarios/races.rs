//! The committed race files replay: same outcome, same events, step for step.

use racecheck::{RaceFile, ShrinkBudget};
use racecheck_scenarios::catalogue;
use std::path::PathBuf;

fn race_files() -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("races");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("scenarios/races exists")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "race"))
        .collect();
    files.sort();
    files
}

#[test]
fn every_committed_race_replays_exactly() {
    let files = race_files();
    assert!(!files.is_empty(), "no race files committed");
    let cat = catalogue();
    for path in files {
        let race = RaceFile::load(&path).unwrap();
        let (_, variant) = race.resolve(&cat, &path).unwrap();
        let report = race.replay(variant);
        assert!(
            report.reproduced(),
            "{}: {}",
            path.display(),
            report.describe(&race)
        );
    }
}

#[test]
fn the_lock_manager_race_is_committed_for_every_backend() {
    let names: Vec<String> = race_files()
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    for backend in ["loom", "random", "pctd3", "dfs", "threads"] {
        let name = format!("lock_manager.lock.{backend}.race");
        assert!(names.contains(&name), "missing {name}");
    }
}

/// Races found on tokio are not committed: the real backend's events (tokio's scheduler) are not
/// the model executor's, so only the model backends' recordings replay.
#[test]
fn the_async_races_are_committed() {
    let names: Vec<String> = race_files()
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    for name in [
        "async.lock_manager.lock.pctd3.race",
        "async.lock_manager.lock.loom.race",
        "async.lease.heartbeat-defaults.pctd3.race",
        "async.tokio_pitfalls.std-mutex-across-await.pctd3.race",
        "async.tokio_pitfalls.blocking-call-starves-heartbeat.pctd3.race",
        "async.compaction.no-cas.pctd3.race",
        "async.compaction.late-registration.pctd3.race",
        "async.request_cache.read-await-write.loom.race",
        "async.request_cache.read-await-write.pctd3.race",
        "async.job_queue.await-in-branch.loom.race",
        "async.job_queue.await-in-branch.pctd3.race",
    ] {
        assert!(names.contains(&name.to_string()), "missing {name}");
    }
}

#[test]
fn a_changed_schedule_is_reported_as_a_divergence_not_a_pass() {
    let path = race_files()
        .into_iter()
        .find(|p| p.ends_with("lock_manager.lock.pctd3.race"))
        .unwrap();
    let mut race = RaceFile::load(&path).unwrap();
    // Let main run to the end before the heartbeat starts: the recorded events cannot follow.
    let steps = race.events.len();
    race.schedule = format!("0*{steps}");
    let cat = catalogue();
    let (_, variant) = race.resolve(&cat, &path).unwrap();
    let report = race.replay(variant);
    assert!(!report.reproduced());
    let text = report.describe(&race);
    assert!(text.starts_with("diverged at step "), "{text}");
    // The fingerprint matches: the model did not change, and replay does not say it did.
    assert_eq!(report.model_changed, Some(false));
    assert!(!text.contains("has changed"), "{text}");
    assert!(text.contains("the model has not changed"), "{text}");
    // With another fingerprint it does.
    race.model = Some("fnv1a:0000000000000000".into());
    let text = race.replay(variant).describe(&race);
    assert!(text.contains("the model has changed since"), "{text}");
}

/// Each committed race records the fingerprint its variant has today, so a divergence is
/// blamed on the model only when the model changed.
#[test]
fn every_committed_race_records_its_variant_fingerprint() {
    let cat = catalogue();
    for path in race_files() {
        let race = RaceFile::load(&path).unwrap();
        let (_, variant) = race.resolve(&cat, &path).unwrap();
        assert!(race.replayable, "{}", path.display());
        assert_eq!(
            race.model.as_deref(),
            Some(variant.fingerprint().as_str()),
            "{}",
            path.display()
        );
    }
}

/// A few committed races, shrunk with the default budget: each is a fixpoint (every candidate
/// tried, none smaller). All of them: the ignored `fixpoint` suite.
#[test]
fn some_committed_races_are_at_the_shrink_fixpoint() {
    for name in [
        "lock_manager.lock.random",
        "sqlite.next_ticket.deferred-wal.random",
        "singleton_cache.unlocked.pctd3",
    ] {
        assert_at_fixpoint(
            &PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("races/{name}.race")),
        );
    }
}

fn assert_at_fixpoint(path: &std::path::Path) {
    let cat = catalogue();
    let race = RaceFile::load(path).unwrap();
    let (_, variant) = race.resolve(&cat, path).unwrap();
    let (_, shrunk) = race.shrink(variant, ShrinkBudget::default());
    assert!(
        shrunk.replayed && shrunk.fixpoint && !shrunk.timed_out,
        "{}: replayed {}, fixpoint {}, timed out {}",
        path.display(),
        shrunk.replayed,
        shrunk.fixpoint,
        shrunk.timed_out
    );
    assert_eq!(shrunk.after, shrunk.before, "{}", path.display());
}

/// Long runs: `cargo test -p racecheck-scenarios --test scenarios fixpoint -- --ignored`.
mod fixpoint {
    use super::*;

    #[test]
    #[ignore = "shrinks every committed race to its fixpoint with the full budget: about 10 s"]
    fn every_committed_race_is_at_its_fixpoint() {
        for path in race_files() {
            assert_at_fixpoint(&path);
        }
    }

    /// Rewrites scenarios/races/*.race (same names) with each race shrunk to its fixpoint and
    /// its variant's fingerprint, printing before → after. Only with RACECHECK_REGENERATE=1:
    /// `RACECHECK_REGENERATE=1 cargo test -p racecheck-scenarios --test scenarios regenerate -- --ignored --nocapture`.
    #[test]
    #[ignore = "rewrites the committed races; run by hand"]
    fn regenerate_committed_races() {
        if std::env::var_os("RACECHECK_REGENERATE").is_none() {
            println!("RACECHECK_REGENERATE is not set: nothing rewritten");
            return;
        }
        let cat = catalogue();
        for path in race_files() {
            let race = RaceFile::load(&path).unwrap();
            let (_, variant) = race.resolve(&cat, &path).unwrap();
            let (mut shrunk_race, shrunk) = race.shrink(variant, ShrinkBudget::default());
            assert!(shrunk.replayed && shrunk.fixpoint, "{}", path.display());
            shrunk_race.model = Some(variant.fingerprint());
            assert!(
                shrunk_race.replay(variant).reproduced(),
                "{}",
                path.display()
            );
            println!(
                "{}: {} -> {} ({} attempts)",
                path.file_name().unwrap().to_string_lossy(),
                shrunk.before,
                shrunk.after,
                shrunk.attempts
            );
            std::fs::write(&path, shrunk_race.to_text()).unwrap();
        }
    }
}
