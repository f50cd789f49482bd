//! Issue 17's bad inputs, one test per cause: each is refused with one line and exit 2 before
//! any work (nothing printed on stdout, nothing written), or, for an output that would
//! overwrite, leaves every existing file byte for byte as it was.

use super::cli::{assert_one_line_error, racecheck};
use racecheck::RaceFile;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Run racecheck with `dir` as its working directory (so a default `reports/` lands there).
pub(crate) fn racecheck_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_racecheck"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run racecheck")
}

/// Every file and directory under `dir`, with the bytes of each file.
pub(crate) fn tree(dir: &Path) -> BTreeMap<PathBuf, Option<Vec<u8>>> {
    let mut out = BTreeMap::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                out.insert(path.clone(), None);
                todo.push(path);
            } else {
                out.insert(path.clone(), Some(std::fs::read(&path).unwrap()));
            }
        }
    }
    out
}

/// Refused before any work: exit 2, one line naming `needle`, nothing on stdout, and the
/// working directory exactly as it was.
fn refused_up_front(args: &[&str], needle: &str) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("x.race"), committed_race()).unwrap();
    let before = tree(dir.path());
    let out = racecheck_in(dir.path(), args);
    assert_one_line_error(&out, needle);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "", "{args:?}");
    assert!(tree(dir.path()) == before, "{args:?} changed its directory");
}

fn committed_race() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("races/lock_manager.lock.pctd3.race");
    std::fs::read_to_string(path).unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn time_limits_above_a_day_are_refused_not_a_panic() {
    let day = "at most 86400";
    refused_up_front(&["check", "lock_manager", "--time-limit", "1e20"], day);
    refused_up_front(&["check", "--time-limit", "86401"], day);
    refused_up_front(&["check", "--time-limit", "inf"], day);
    refused_up_front(&["check", "--time-limit", "NaN"], day);
    refused_up_front(
        &[
            "reproduce",
            "l.log",
            "--scenario",
            "s",
            "--variant",
            "v",
            "--time-limit",
            "1e20",
        ],
        day,
    );
    refused_up_front(&["shrink", "x.race", "--time-limit", "1e20"], day);
    refused_up_front(&["bench", "--time-cap", "1e20"], day);
}

#[test]
fn a_seed_above_i64_is_saved_and_replayed_losslessly() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("run");
    let seed = "9223372036854775808";
    let out = racecheck(&[
        "check",
        "lock_manager",
        "--variant",
        "lock",
        "--backend",
        "pct",
        "--seed",
        seed,
        "--report",
        report.to_str().unwrap(),
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", stderr(&out));
    let path = report.join("races/lock_manager.lock.pctd3.race");
    let race = RaceFile::load(&path).unwrap();
    assert_eq!(race.seed, 9_223_372_036_854_775_808);
    assert!(std::fs::read_to_string(&path)
        .unwrap()
        .contains(&format!("seed = \"{seed}\"")));
    let replay = racecheck(&["replay", path.to_str().unwrap()]);
    assert_eq!(replay.status.code(), Some(0), "{}", stderr(&replay));
    let json = std::fs::read_to_string(report.join("summary.json")).unwrap();
    assert!(json.contains(&format!("\"seed\": {seed}")), "{json}");
}

#[test]
fn a_preemption_bound_loom_cannot_hold_is_refused() {
    for bound in ["18446744073709551615", "256", "-1"] {
        refused_up_front(
            &["check", "--backend", "loom", "--preemption-bound", bound],
            "--preemption-bound",
        );
    }
}

#[test]
fn budgets_a_run_cannot_hold_are_refused_not_an_abort() {
    for n in ["18446744073709551615", "1000000000000", "100000001"] {
        refused_up_front(
            &["check", "--backend", "pct", "--iterations", n],
            "--iterations",
        );
        refused_up_front(&["bench", "--cap", n], "--cap");
        refused_up_front(&["shrink", "x.race", "--attempts", n], "--attempts");
    }
}

#[test]
fn worker_counts_a_machine_cannot_hold_are_refused_not_a_hang() {
    for n in ["18446744073709551615", "1000000", "1025"] {
        refused_up_front(&["check", "--workers", n], "--workers");
    }
}

#[test]
fn zeros_are_refused_not_rounded_up() {
    refused_up_front(&["check", "--iterations", "0"], "--iterations");
    refused_up_front(&["check", "--depth", "0"], "--depth");
    refused_up_front(&["check", "--workers", "0"], "--workers");
    refused_up_front(&["shrink", "x.race", "--attempts", "0"], "--attempts");
    refused_up_front(
        &[
            "reproduce",
            "l.log",
            "--scenario",
            "s",
            "--variant",
            "v",
            "--iterations",
            "0",
        ],
        "--iterations",
    );
    refused_up_front(&["bench", "--seeds", "0"], "--seeds");
}

#[test]
fn a_shard_that_would_run_nothing_is_refused() {
    refused_up_front(
        &[
            "check",
            "lock_manager",
            "--shard",
            "2/2",
            "--iterations",
            "500",
        ],
        "--shard 2/2 gets no executions",
    );
    refused_up_front(
        &["check", "lock_manager", "--shard", "11/11"],
        "give --iterations above 10000",
    );
    refused_up_front(
        &[
            "check",
            "lock_manager",
            "--shard",
            "2/2",
            "--backend",
            "loom,dfs",
        ],
        "--backend selects neither",
    );
    let last = "18446744073709551615/18446744073709551615";
    refused_up_front(&["check", "--shard", last], "use fewer shards");
}

#[cfg(unix)]
#[test]
fn an_argument_that_is_not_utf8_is_refused_not_a_panic() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    let bad = OsStr::from_bytes(b"\xff.race");
    let dir = tempfile::tempdir().unwrap();
    let lines: [&[&OsStr]; 2] = [
        &[OsStr::new("check"), bad],
        &[OsStr::new("check"), OsStr::new("--report"), bad],
    ];
    for args in lines {
        let out = Command::new(env!("CARGO_BIN_EXE_racecheck"))
            .args(args)
            .args(["--iterations", "0"])
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert_one_line_error(&out, "error: ");
    }
}

#[test]
fn a_race_file_naming_no_backend_is_refused() {
    let good = committed_race();
    for bad in ["bogus(d=9)", "pct(d=0)", "loom(bound=x)", "pct", ""] {
        let text = good.replace("backend = \"pct(d=3)\"", &format!("backend = \"{bad}\""));
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("b.race"), text).unwrap();
        let out = racecheck_in(dir.path(), &["replay", "b.race"]);
        assert_one_line_error(&out, &format!("its backend `{bad}` is none of"));
    }
}

#[test]
fn impossible_log_times_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("l.log"),
        "[main] Acquired lock: *\n2025-13-45T23:16:35Z [main] Validating lock ownership before label updates\n",
    )
    .unwrap();
    let before = tree(dir.path());
    let out = racecheck_in(
        dir.path(),
        &[
            "reproduce",
            "l.log",
            "--scenario",
            "lock_manager",
            "--variant",
            "lock",
        ],
    );
    assert_one_line_error(
        &out,
        "line 2: `2025-13-45T23:16:35Z` is not a valid time: month 13",
    );
    assert!(tree(dir.path()) == before);
}

#[test]
fn race_file_errors_give_their_reason_and_what_was_found() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        std::fs::write(dir.path().join(name), text).unwrap();
        name.to_string()
    };
    let out = racecheck_in(dir.path(), &["replay", &write("t.race", "format =")]);
    assert_one_line_error(
        &out,
        "t.race is not a valid race file: it is not TOML (line 1)",
    );
    let big = committed_race().replace("version = 2", "version = 4294967297");
    let out = racecheck_in(dir.path(), &["replay", &write("v.race", &big)]);
    assert_one_line_error(
        &out,
        "format version 4294967297; this racecheck reads versions 1 to 2",
    );
    let text = committed_race().replace("version = 2", "version = \"1\"");
    let out = racecheck_in(dir.path(), &["replay", &write("s.race", &text)]);
    assert_one_line_error(&out, "format version \"1\"");
    // A key after the last table lands in the outcome's last blocked thread.
    let text = committed_race() + "extra = 1\n";
    let out = racecheck_in(dir.path(), &["replay", &write("k.race", &text)]);
    assert_one_line_error(&out, "unknown field `extra`");
}

#[test]
fn clap_errors_are_one_line_that_names_the_argument() {
    refused_up_front(&["replay"], "`racecheck replay` needs <FILE>");
    refused_up_front(
        &["reproduce", "l.log"],
        "`racecheck reproduce` needs --scenario <SCENARIO>, --variant <VARIANT>",
    );
    refused_up_front(&[], "`racecheck` needs a command: list, check, bench");
    refused_up_front(&["chekc"], "unknown command `chekc`");
    refused_up_front(
        &["check", "--backend", "foo"],
        "unknown backend `foo` (valid: loom, random, pct, dfs, threads, portfolio, urw, pos, reads-from)",
    );
    refused_up_front(&["check", "--time-limit", "-1"], "not `-1`");
    refused_up_front(&["check", "--seed", "-1"], "--seed");
    refused_up_front(&["check", "--sed", "1"], "did you mean `--seed`?");
    refused_up_front(&["check", "--depth"], "a value is required for '--depth");
}

#[test]
fn a_second_report_into_the_same_directory_is_refused_and_the_first_kept() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("summary.md"), "# a report\n").unwrap();
    std::fs::write(dir.path().join("notes.txt"), "mine\n").unwrap();
    let before = tree(dir.path());
    let out = racecheck(&[
        "check",
        "lock_manager",
        "--report",
        dir.path().to_str().unwrap(),
    ]);
    assert_one_line_error(&out, "already holds a report (summary.md)");
    assert!(tree(dir.path()) == before);
}

#[test]
fn report_never_writes_over_its_input_or_a_file_it_did_not_write() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("r.md"), committed_race()).unwrap();
    let before = tree(dir.path());
    let out = racecheck_in(dir.path(), &["report", "r.md", "--out", "."]);
    assert_one_line_error(&out, "it is the race file being drawn");
    assert!(tree(dir.path()) == before);

    std::fs::write(dir.path().join("x.race"), committed_race()).unwrap();
    std::fs::create_dir(dir.path().join("out")).unwrap();
    std::fs::write(dir.path().join("out/x.md"), "# written by hand\n").unwrap();
    let before = tree(dir.path());
    let out = racecheck_in(dir.path(), &["report", "x.race", "--out", "out"]);
    assert_one_line_error(&out, "out/x.md exists and racecheck did not write it");
    assert!(tree(dir.path()) == before);

    // Its own pair it replaces, and says so.
    std::fs::remove_file(dir.path().join("out/x.md")).unwrap();
    let first = racecheck_in(dir.path(), &["report", "x.race", "--out", "out"]);
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    assert!(String::from_utf8_lossy(&first.stdout).contains("wrote out/x.md"));
    let again = racecheck_in(dir.path(), &["report", "x.race", "--out", "out"]);
    assert!(
        String::from_utf8_lossy(&again.stdout).contains("replaced the one racecheck report wrote")
    );
}

#[test]
fn outputs_that_cannot_be_written_are_refused_before_the_work() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("file"), "a file\n").unwrap();
    std::fs::create_dir(dir.path().join("adir")).unwrap();
    let d = dir.path();
    let before = tree(d);
    let bench = [
        "bench",
        "lock_manager",
        "--seeds",
        "1",
        "--cap",
        "1",
        "--out",
    ];
    for (out, needle) in [("adir", "it is a directory"), ("file/B.md", "--out file: ")] {
        let args: Vec<&str> = bench.iter().copied().chain([out]).collect();
        let run = racecheck_in(d, &args);
        assert_one_line_error(&run, needle);
        assert_eq!(String::from_utf8_lossy(&run.stdout), "");
    }
    let run = racecheck_in(d, &["check", "lock_manager", "--report", "file"]);
    assert_one_line_error(&run, "--report file: it is a file, not a directory");
    assert_eq!(String::from_utf8_lossy(&run.stdout), "");
    let run = racecheck_in(d, &["check", "lock_manager", "--report", "file/run"]);
    assert_one_line_error(&run, "--report file/run: ");
    assert!(tree(d) == before);
}

#[test]
fn replaying_a_race_a_cargo_test_saved_says_how_to_replay_it_there() {
    use racecheck::{BackendKind, Check};
    // What `racecheck::check_pct` in a user's test `tests::abba` saves.
    let r = Check::new(|| {
        let m = racecheck::sync::Mutex::named("m", ());
        let _a = m.lock().unwrap();
        let _b = m.lock().unwrap();
    })
    .backend(BackendKind::Pct)
    .run();
    let f = r.failure.clone().expect("locking a held mutex deadlocks");
    let race = RaceFile::from_failure(racecheck::test_api::USER_SCENARIO, "tests::abba", &r, &f);
    let dir = tempfile::tempdir().unwrap();
    let path = race.save_new(dir.path()).unwrap();
    let file = path.to_str().unwrap();
    for command in ["replay", "shrink"] {
        let before = tree(dir.path());
        let out = racecheck_in(dir.path(), &[command, file]);
        assert_one_line_error(
            &out,
            &format!("replay it in that test's crate with RACECHECK_REPLAY={file} cargo test tests::abba"),
        );
        assert!(stderr(&out).contains("saved by the cargo test `tests::abba` (pct(d=3))"));
        assert_eq!(String::from_utf8_lossy(&out.stdout), "", "{command}");
        assert!(
            tree(dir.path()) == before,
            "{command} changed its directory"
        );
    }
}

#[test]
fn an_unknown_name_is_refused_with_the_names_there_are() {
    refused_up_front(
        &["check", "no_such"],
        "unknown scenario `no_such` (known: lock_manager,",
    );
    refused_up_front(
        &["check", "lease.redis", "--variant", "no-such"],
        "`lease.redis` has no variant `no-such` (it has: ttl-outlived,",
    );
    refused_up_front(
        &[
            "reproduce",
            "x.race",
            "--scenario",
            "lease.redis",
            "--variant",
            "no-such",
        ],
        "`lease.redis` has no variant `no-such` (it has: ttl-outlived,",
    );
}
