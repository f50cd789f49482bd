//! The racecheck binary: bad input is one line on stderr and exit 2, never a panic.

use std::path::Path;
use std::process::{Command, Output};

pub(crate) fn racecheck(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_racecheck"))
        .args(args)
        .output()
        .expect("run racecheck")
}

/// Bad input: exit 2 and one line on stderr naming `needle`, never a panic.
pub(crate) fn assert_one_line_error(out: &Output, needle: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "stderr: {stderr}");
    assert_eq!(
        stderr.trim_end().lines().count(),
        1,
        "not one line: {stderr}"
    );
    assert!(stderr.contains(needle), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn list_names_every_variant() {
    let out = racecheck(&["list"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for v in [
        "lock_manager",
        "lock ",
        "rlock",
        "no-nested-validation",
        "expect deadlock",
    ] {
        assert!(text.contains(v), "{text}");
    }
}

#[test]
fn an_unknown_scenario_is_an_error() {
    assert_one_line_error(
        &racecheck(&["check", "no_such_scenario"]),
        "unknown scenario `no_such_scenario`",
    );
}

#[test]
fn a_wrong_flag_is_an_error() {
    assert_one_line_error(&racecheck(&["check", "--backend", "quantum"]), "quantum");
    assert_one_line_error(&racecheck(&["check", "--frobnicate"]), "frobnicate");
    assert_one_line_error(
        &racecheck(&["check", "--variant", "nope"]),
        "variant `nope`",
    );
    assert_one_line_error(&racecheck(&["check", "--time-limit", "0"]), "time-limit");
}

fn committed_race() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("races/lock_manager.lock.pctd3.race");
    std::fs::read_to_string(path).unwrap()
}

fn replay_text(text: &str) -> Output {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.race");
    std::fs::write(&path, text).unwrap();
    racecheck(&["replay", path.to_str().unwrap()])
}

#[test]
fn bad_race_files_are_errors() {
    let good = committed_race();
    assert_one_line_error(&racecheck(&["replay", "/no/such/file.race"]), "cannot read");
    assert_one_line_error(
        &replay_text("\u{0}\u{1} not toml at all ]]"),
        "not a valid race file",
    );
    assert_one_line_error(
        &replay_text(&good[..good.len() / 2]),
        "not a valid race file",
    );
    assert_one_line_error(
        &replay_text(&good.replace("version = 2", "version = 99")),
        "version 99",
    );
    assert_one_line_error(
        &replay_text(&good.replace("scenario = \"lock_manager\"", "scenario = \"gone\"")),
        "scenario `gone`",
    );
    assert_one_line_error(
        &replay_text(&good.replace("variant = \"lock\"", "variant = \"gone\"")),
        "variant `gone`",
    );
    let cut = good.replacen("    \"main: spawn heartbeat\",\n", "", 1);
    assert_one_line_error(&replay_text(&cut), "truncated");
}

#[test]
fn a_committed_race_replays_from_the_command_line() {
    let out = replay_text(&committed_race());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("reproduced: deadlock"));
}

#[test]
fn check_finds_the_bug_writes_a_race_and_exits_zero_when_all_is_as_expected() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().to_str().unwrap();
    let out = racecheck(&[
        "check",
        "lock_manager",
        "--backend",
        "pct,loom",
        "--report",
        report,
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("all 6 checks ended as expected"),
        "{stdout}"
    );
    assert!(dir.path().join("summary.md").exists());
    assert!(dir
        .path()
        .join("races/lock_manager.lock.pctd3.race")
        .exists());
    // A second run into the same directory is refused before it runs: the first report stays.
    let summary = std::fs::read(dir.path().join("summary.md")).unwrap();
    let again = racecheck(&[
        "check",
        "lock_manager",
        "--variant",
        "lock",
        "--backend",
        "pct",
        "--report",
        report,
    ]);
    assert_one_line_error(&again, "already holds a report");
    assert_eq!(
        std::fs::read(dir.path().join("summary.md")).unwrap(),
        summary
    );
}

#[test]
fn check_exits_one_when_a_bug_goes_unfound() {
    let dir = tempfile::tempdir().unwrap();
    let (fix, bug) = (dir.path().join("fix"), dir.path().join("bug"));
    // DFS reaches the deadlock at its fifth execution; one is too few.
    let out = racecheck(&[
        "check",
        "lock_manager",
        "--variant",
        "rlock",
        "--backend",
        "dfs",
        "--iterations",
        "5",
        "--report",
        fix.to_str().unwrap(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "a fix not failing in 5 runs is as expected"
    );
    let out = racecheck(&[
        "check",
        "lock_manager",
        "--variant",
        "lock",
        "--backend",
        "dfs",
        "--iterations",
        "1",
        "--report",
        bug.to_str().unwrap(),
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("1 of 1 checks did not end as expected"),
        "{stdout}"
    );
}

#[test]
fn bad_shards_and_workers_are_errors() {
    for bad in ["0/2", "3/2", "1/0", "2", "x/y"] {
        assert_one_line_error(&racecheck(&["check", "--shard", bad]), "--shard takes i/n");
    }
    assert_one_line_error(&racecheck(&["check", "--workers", "0"]), "workers");
}

#[test]
fn a_second_shard_runs_only_its_blocks_of_random_and_pct() {
    let dir = tempfile::tempdir().unwrap();
    let out = racecheck(&[
        "check",
        "lock_manager",
        "--variant",
        "lock",
        "--backend",
        "pct,loom",
        "--shard",
        "2/2",
        "--workers",
        "2",
        "--report",
        dir.path().to_str().unwrap(),
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("all 1 checks ended as expected"),
        "{stdout}"
    );
    // Shard 2 of 2 owns executions 1001-2000, 3001-4000, ...: its first failure is past 1000.
    let line = stdout.lines().find(|l| l.contains("[pct(d=3)]")).unwrap();
    let index: u64 = line
        .split("(execution ")
        .nth(1)
        .unwrap()
        .split(')')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1001..=2000).contains(&index), "{line}");
}

#[test]
fn bench_writes_its_table_and_refuses_bad_input() {
    assert_one_line_error(
        &racecheck(&["bench", "no_such_scenario"]),
        "no_such_scenario",
    );
    assert_one_line_error(&racecheck(&["bench", "--seeds", "0"]), "seeds");
    assert_one_line_error(&racecheck(&["bench", "--time-cap", "0"]), "time-cap");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("B.md");
    std::fs::write(&out, "# by hand\n").unwrap();
    let run = racecheck(&[
        "bench",
        "lock_manager",
        "--seeds",
        "3",
        "--cap",
        "50",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(
        run.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.starts_with("# by hand\n"), "{text}");
    assert!(text.contains("| lock_manager/lock |"), "{text}");
    assert!(text.contains("racecheck bench: end"), "{text}");
}

#[test]
fn two_workers_shrinking_at_once_print_nothing_of_shuttle() {
    // Two checks' races prepared at once (no-cas and late-registration, a deadlock whose
    // shrinking replays deadlocks shuttle reports itself): the second worker's silence
    // failed while the first held stderr, and shuttle's "Test deadlocked" lines got out.
    let dir = tempfile::tempdir().unwrap();
    let out = racecheck(&[
        "check",
        "async.compaction",
        "--backend",
        "portfolio",
        "--workers",
        "2",
        "--report",
        dir.path().to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(!stderr.contains("Test deadlocked"), "{stderr}");
}

#[test]
fn check_takes_several_variants() {
    let dir = tempfile::tempdir().unwrap();
    let run = racecheck(&[
        "check",
        "lock_manager",
        "--variant",
        "lock",
        "--variant",
        "rlock",
        "--backend",
        "pct",
        "--report",
        dir.path().to_str().unwrap(),
    ]);
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert_eq!(run.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("lock_manager/lock [pct"), "{stdout}");
    assert!(stdout.contains("lock_manager/rlock [pct"), "{stdout}");
    assert!(
        stdout.contains("all 2 checks ended as expected"),
        "{stdout}"
    );
}
