//! Replay by environment: with `RACECHECK_REPLAY=FILE`, the check that saved `FILE` (the same
//! test, the same backend) runs that race once instead of exploring.

use super::{env, ReplayedRace, USER_SCENARIO};
use crate::backend::Body;
use crate::check::{CheckResult, Failure, LabelParts, ModelBody};
use crate::race::RaceFile;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// The race to replay, if `RACECHECK_REPLAY` names one that this test saved under `backend`.
///
/// # Panics
/// With a one-line message if the file cannot be read or is not a race file.
pub(crate) fn requested(backend: &str) -> Option<(PathBuf, RaceFile)> {
    let path = env::replay_file()?;
    let race = RaceFile::load(&path).unwrap_or_else(|e| panic!("racecheck: {}: {e}", env::REPLAY));
    let test = env::test_name()?;
    (race.scenario == USER_SCENARIO && race.variant == test && race.backend == backend)
        .then_some((path, race))
}

/// Replay `race` against `body`: the result has the replayed failure, if it failed, and says
/// which file it replayed and how the replay compares with the recording.
pub(crate) fn run(
    body: &Body,
    parts: LabelParts,
    (path, race): (PathBuf, RaceFile),
) -> CheckResult {
    let start = Instant::now();
    let report = race.replay_model(body.clone(), None);
    let outcome = report.replayed.outcome.clone();
    let failure = outcome.is_failure().then(|| Failure {
        execution: race.execution,
        outcome,
        trace: report.replayed.trace.clone(),
    });
    CheckResult {
        backend: parts.backend,
        seed: parts.seed,
        depth: parts.depth,
        preemption_bound: parts.preemption_bound,
        executions: 1,
        complete: false,
        elapsed: start.elapsed(),
        fingerprint: 0,
        time_limited: false,
        time_limit: Duration::MAX,
        budget: 1,
        unsupported: None,
        failure,
        replayed: Some(ReplayedRace {
            reproduced: report.reproduced(),
            description: report.describe(&race),
            path,
        }),
        body: Some(ModelBody(body.clone())),
    }
}
