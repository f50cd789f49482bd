//! The committed race files replay: same outcome, same events, step for step.

use racecheck::RaceFile;
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
}
