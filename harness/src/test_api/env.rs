//! Every environment variable racecheck reads, in one place.
//!
//! | variable | effect |
//! |---|---|
//! | `RACECHECK_REPLAY=FILE` | a check whose test and backend saved `FILE` replays it instead of exploring |
//! | `RACECHECK_RACES=DIR` | where a failing test saves its race file (default `target/racecheck/races/`) |
//! | `RACECHECK_REQUIRE_CHROMIUM=1` | the timeline rendering tests fail, rather than skip, without Chromium |
//!
//! shuttle reads `SHUTTLE_RANDOM_SEED` and would use it in place of the seed racecheck gives
//! every seed block, while the result reported the seed passed in: a random or PCT check
//! refuses to run while it is set. racecheck sets every loom option itself, so `LOOM_*`
//! variables change nothing.

use std::path::PathBuf;

/// Names the race file a test replays.
pub const REPLAY: &str = "RACECHECK_REPLAY";
/// Names the directory failing tests save race files in.
pub const RACES: &str = "RACECHECK_RACES";
/// shuttle's override of its schedulers' seeds.
pub const SHUTTLE_RANDOM_SEED: &str = "SHUTTLE_RANDOM_SEED";

/// An error if a shuttle variable would change what a check does without saying so.
pub(crate) fn refuse_shuttle_overrides() -> Result<(), String> {
    match std::env::var_os(SHUTTLE_RANDOM_SEED) {
        Some(v) => Err(format!(
            "racecheck: {SHUTTLE_RANDOM_SEED} is set (to {:?}); shuttle would use it in place of \
             racecheck's seeds: unset it (a check's seed is Check::seed; a race replays with \
             {REPLAY}=FILE)",
            v
        )),
        None => Ok(()),
    }
}

/// The race file `RACECHECK_REPLAY` names, if set (and not empty).
pub(crate) fn replay_file() -> Option<PathBuf> {
    std::env::var_os(REPLAY)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

/// Where a failing test saves its race: `RACECHECK_RACES`, else `racecheck/races/` in the
/// target directory the test binary was built in, else `target/racecheck/races/`.
pub(crate) fn races_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os(RACES).filter(|v| !v.is_empty()) {
        return PathBuf::from(dir);
    }
    target_dir()
        .unwrap_or_else(|| PathBuf::from("target"))
        .join("racecheck")
        .join("races")
}

/// The target directory of the running test binary: cargo puts it at
/// `<target>/<profile>/deps/<name>-<hash>`.
fn target_dir() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let deps = exe.parent()?;
    if deps.file_name()? != "deps" {
        return None;
    }
    Some(deps.parent()?.parent()?.to_path_buf())
}

/// The running test's name: libtest runs each test on a thread named after its path
/// (`tests::transfer_deadlocks`). `None` outside a test.
pub(crate) fn test_name() -> Option<String> {
    let name = std::thread::current().name()?.to_string();
    (name != "main").then_some(name)
}
