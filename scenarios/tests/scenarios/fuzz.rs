//! Fuzzing of what users hand racecheck: race files and production logs through their parsers,
//! and the command line through the built binary.
//!
//! Properties: a parser never panics, an error is one line, and what it accepts is consistent
//! (a race file writes back to itself, a log's events are in order); a command line with a
//! defect in it exits 2 with one line on stderr, prints nothing on stdout, and leaves its
//! working directory exactly as it was. proptest runs from a fixed seed, so a failure found
//! once is found again (and shrunk to a small case). The default suite runs a few hundred cases
//! of each; `fuzz_long_*` (ignored, `just test-long`) run 10,000 each.

use super::bad_input::tree;
use proptest::prelude::*;
use proptest::sample::{select, Index};
use proptest::test_runner::{Config, RngSeed, TestCaseError, TestRunner};
use racecheck::reproduce::ProductionLog;
use racecheck::RaceFile;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

const DEFAULT_CASES: u32 = 300;
const LONG_CASES: u32 = 10_000;

fn runner(cases: u32) -> TestRunner {
    TestRunner::new(Config {
        cases,
        rng_seed: RngSeed::Fixed(17),
        failure_persistence: None,
        ..Config::default()
    })
}

fn manifest(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// Committed races of several backends and an async one: the texts mutations start from.
fn good_races() -> Vec<String> {
    [
        "lock_manager.lock.pctd3",
        "lock_manager.lock.loom",
        "lock_manager.lock.threads",
        "async.lock_manager.lock.pctd3",
    ]
    .iter()
    .map(|n| std::fs::read_to_string(manifest(&format!("races/{n}.race"))).unwrap())
    .collect()
}

// ---------------------------------------------------------------------------------------------
// Race files

fn toml_key() -> impl Strategy<Value = &'static str> {
    select(vec![
        "format",
        "version",
        "scenario",
        "variant",
        "backend",
        "seed",
        "execution",
        "threads",
        "schedule",
        "events",
        "outcome",
        "extra",
    ])
}

fn toml_value() -> impl Strategy<Value = String> {
    let fixed = select(vec![
        "-1",
        "0",
        "1",
        "2",
        "3",
        "4294967297",
        "9223372036854775807",
        "-9223372036854775808",
        "1.5",
        "nan",
        "inf",
        "true",
        "1979-05-27T07:32:00Z",
        "[]",
        "{}",
        "[1, \"a\"]",
        "\"\"",
        "\"racecheck-race\"",
        "\"pct(d=3)\"",
        "\"pct(d=0)\"",
        "\"loom(bound=300)\"",
        "\"bogus(d=9)\"",
        "\"18446744073709551615\"",
        "\"18446744073709551616\"",
        "\"-1\"",
        "\"0*10000001\"",
        "\"0*0\"",
        "\"0*3 9\"",
        "\"x*2\"",
        "[\"main\"]",
        "\"",
        "'''",
        "{ kind = \"pass\" }",
    ])
    .prop_map(str::to_string);
    prop_oneof![
        4 => fixed,
        1 => any::<i64>().prop_map(|n| n.to_string()),
        1 => "\"[ -~]{0,12}\"",
    ]
}

/// A char boundary of `text` at or before the position `at` picks.
fn boundary(text: &str, at: Index) -> usize {
    let mut i = at.index(text.len() + 1);
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn race_text() -> impl Strategy<Value = String> {
    let goods = good_races();
    let good = select(goods);
    prop_oneof![
        // Cut at any byte.
        (good.clone(), any::<Index>()).prop_map(|(g, at)| g[..boundary(&g, at)].to_string()),
        // One line replaced by `key = value`.
        (good.clone(), any::<Index>(), toml_key(), toml_value()).prop_map(|(g, at, k, v)| {
            let mut lines: Vec<String> = g.lines().map(str::to_string).collect();
            let i = at.index(lines.len());
            lines[i] = format!("{k} = {v}");
            lines.join("\n")
        }),
        // A line deleted or repeated.
        (good.clone(), any::<Index>(), any::<bool>()).prop_map(|(g, at, repeat)| {
            let mut lines: Vec<&str> = g.lines().collect();
            let i = at.index(lines.len());
            if repeat {
                lines.insert(i, lines[i]);
            } else {
                lines.remove(i);
            }
            lines.join("\n")
        }),
        // A few characters replaced.
        (
            good,
            prop::collection::vec((any::<Index>(), any::<char>()), 1..4)
        )
            .prop_map(|(g, edits)| {
                let mut text = g;
                for (at, c) in edits {
                    let i = boundary(&text, at);
                    let end = text[i..].chars().next().map_or(i, |old| i + old.len_utf8());
                    text.replace_range(i..end, &c.to_string());
                }
                text
            }),
        // Anything.
        any::<String>(),
    ]
}

fn race_files(cases: u32) {
    let path = Path::new("fuzzed.race");
    runner(cases)
        .run(&race_text(), |text| {
            match RaceFile::parse(&text, path) {
                Err(e) => {
                    let message = e.to_string();
                    prop_assert!(!message.contains('\n'), "two lines: {message}");
                    prop_assert!(message.starts_with("fuzzed.race "), "{message}");
                }
                Ok(race) => {
                    prop_assert_eq!(race.schedule_steps().len(), race.events.len());
                    // Nothing read is dropped: the text written back holds every key and
                    // value of the input (version 1's seed as version 2 writes it).
                    let mut read: toml::Table = text.parse().unwrap();
                    read.insert("version".into(), toml::Value::Integer(2));
                    if let Some(toml::Value::Integer(seed)) = read.get("seed") {
                        let seed = toml::Value::String(seed.to_string());
                        read.insert("seed".into(), seed);
                    }
                    let written: toml::Table = race.to_text().parse().unwrap();
                    prop_assert_eq!(read, written);
                    let again = RaceFile::parse(&race.to_text(), path)
                        .map_err(|e| TestCaseError::fail(e.to_string()))?;
                    prop_assert_eq!(again, race);
                }
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn fuzz_race_files() {
    race_files(DEFAULT_CASES);
}

#[test]
#[ignore = "long: just test-long"]
fn fuzz_long_race_files() {
    race_files(LONG_CASES);
}

#[test]
fn every_seed_round_trips_through_a_race_file() {
    let text = &good_races()[0];
    let race = RaceFile::parse(text, Path::new("x.race")).unwrap();
    for seed in [0, 1, i64::MAX as u64, i64::MAX as u64 + 1, u64::MAX] {
        let mut r = race.clone();
        r.seed = seed;
        let back = RaceFile::parse(&r.to_text(), Path::new("x.race")).unwrap();
        assert_eq!(back.seed, seed);
        assert!(r.to_text().contains("version = 2"));
    }
}

// ---------------------------------------------------------------------------------------------
// Production logs

fn log_line() -> impl Strategy<Value = String> {
    let time = select(vec![
        "",
        "23:16:35.147 ",
        "2025-08-26T23:16:35.147Z ",
        "2025-08-26T23:16:35+02:00 ",
        "12.5s ",
        "250ms ",
        "0s ",
        "2025-13-45T10:00:00 ",
        "2025-02-30T10:00:00Z ",
        "25:00:00 ",
        "1:2:3 ",
        "10:00 ",
        "99999999999999999999999s ",
        "1e400s ",
        "+5s ",
        "00:00:00-99:99 ",
        "9:",
    ]);
    let thread = select(vec![
        "",
        "[main] ",
        "[heartbeat]",
        "[",
        "[] ",
        "[a b] ",
        "]",
    ]);
    let label = prop_oneof![
        select(vec![
            "Acquired lock: *",
            "Heartbeat worker thread started",
            "*",
            "a*b*",
            "",
            "#",
            "  ",
            "é ✓",
        ])
        .prop_map(str::to_string),
        "[ -~]{0,20}",
    ];
    prop_oneof![
        4 => (time, thread, label).prop_map(|(t, th, l)| format!("{t}{th}{l}")),
        1 => any::<String>(),
        1 => Just("# a comment".to_string()),
        1 => Just(String::new()),
    ]
}

fn log_text() -> impl Strategy<Value = (String, usize)> {
    (prop::collection::vec(log_line(), 0..8), any::<bool>()).prop_map(|(lines, crlf)| {
        let n = lines.iter().map(|l| l.lines().count().max(1)).sum();
        (lines.join(if crlf { "\r\n" } else { "\n" }), n)
    })
}

fn logs(cases: u32) {
    runner(cases)
        .run(&log_text(), |(text, lines)| {
            match ProductionLog::parse(&text) {
                Err(e) => {
                    prop_assert!(!e.contains('\n'), "two lines: {e}");
                    let line: Option<usize> = e
                        .strip_prefix("line ")
                        .and_then(|r| r.split(':').next())
                        .and_then(|n| n.parse().ok());
                    prop_assert!(
                        line.is_some_and(|n| (1..=lines).contains(&n))
                            || e.starts_with("no events"),
                        "{e}"
                    );
                }
                Ok(log) => {
                    prop_assert!(!log.entries.is_empty());
                    prop_assert!(log.entries.iter().all(|e| !e.label.is_empty()));
                    prop_assert!(log.entries.windows(2).all(|w| w[0].line < w[1].line));
                }
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn fuzz_logs() {
    logs(DEFAULT_CASES);
}

#[test]
#[ignore = "long: just test-long"]
fn fuzz_long_logs() {
    logs(LONG_CASES);
}

// ---------------------------------------------------------------------------------------------
// The command line

/// The files every command line runs among (its working directory).
fn fixture(dir: &Path) {
    let good = &good_races()[0];
    let write = |name: &str, text: &str| {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    write("good.race", good);
    write("selfref.md", good);
    write("truncated.race", &good[..good.len() / 2]);
    write(
        "version.race",
        &good.replace("version = 2", "version = 4294967297"),
    );
    write(
        "backend.race",
        &good.replace("\"pct(d=3)\"", "\"bogus(d=9)\""),
    );
    write("seed.race", &good.replace("seed = \"0\"", "seed = -1"));
    write("empty.race", "");
    write("format.race", "format =");
    write(
        "good.log",
        &std::fs::read_to_string(manifest("logs/seed-000-lambda.log")).unwrap(),
    );
    write(
        "badtime.log",
        "2025-13-45T10:00:00Z [main] Acquired lock: *\n",
    );
    write("backwards.log", "10:00:01 a\n09:00:00 b\n");
    write("bracket.log", "[main Acquired lock\n");
    write("empty.log", "# nothing\n");
    write("hand/good.md", "# written by hand\n");
    write("report/summary.md", "# an earlier run\n");
    write("file", "a file\n");
    std::fs::create_dir_all(dir.join("adir")).unwrap();
}

type Group = Vec<&'static str>;

/// Each subcommand: its positional values (good, bad), options that are fine, and defects.
struct Grammar {
    command: &'static str,
    good_positional: Vec<&'static str>,
    bad_positional: Vec<&'static str>,
    good: Vec<Group>,
    bad: Vec<Group>,
}

fn flag_with(flag: &'static str, values: &[&'static str]) -> Vec<Group> {
    values.iter().map(|v| vec![flag, *v]).collect()
}

const BAD_COUNTS: &[&str] = &[
    "0",
    "-1",
    "100000001",
    "18446744073709551615",
    "18446744073709551616",
    "1e3",
    "x",
    "",
    "1.5",
    "0x10",
];
const BAD_SECONDS: &[&str] = &[
    "0", "-1", "1e20", "86401", "inf", "-inf", "NaN", "x", "", "1e-400", "0.0",
];
const BAD_SEEDS: &[&str] = &["-1", "18446744073709551616", "x", "", "1.0"];
const BAD_RACES: &[&str] = &[
    "missing.race",
    "adir",
    "file",
    "truncated.race",
    "version.race",
    "backend.race",
    "seed.race",
    "empty.race",
    "format.race",
    "/dev/zero",
];
const BAD_LOGS: &[&str] = &[
    "missing.log",
    "adir",
    "badtime.log",
    "backwards.log",
    "bracket.log",
    "empty.log",
    "/dev/zero",
];

fn grammars() -> Vec<Grammar> {
    // Few: clap's own rejections would crowd out racecheck's checks behind them.
    let unknown = vec![vec!["--frobnicate"]];
    let with_unknown = |mut bad: Vec<Group>| {
        bad.extend(unknown.clone());
        bad
    };
    let check_bad = [
        flag_with("--iterations", BAD_COUNTS),
        flag_with("--time-limit", BAD_SECONDS),
        flag_with("--seed", BAD_SEEDS),
        flag_with("--depth", &["0", "20001", "-3", "x"]),
        flag_with(
            "--preemption-bound",
            &["256", "-1", "18446744073709551615", "x"],
        ),
        flag_with(
            "--workers",
            &["0", "1025", "1000000", "18446744073709551615", "x"],
        ),
        flag_with("--backend", &["foo", "", "pct,", "loom,bogus", "PCT"]),
        flag_with(
            "--shard",
            &[
                "0/2",
                "3/2",
                "1/0",
                "2",
                "x/y",
                "",
                "11/11",
                "18446744073709551615/18446744073709551615",
            ],
        ),
        flag_with("--report", &["file", "report", "file/run"]),
        flag_with("--variant", &["nope"]),
        vec![vec!["--depth"]],
    ]
    .concat();
    vec![
        Grammar {
            command: "check",
            good_positional: vec!["lock_manager", "lease"],
            bad_positional: vec!["no_such_scenario", "", "lock_manager.lock", "lock"],
            good: vec![
                vec!["--variant", "lock"],
                vec!["--backend", "pct"],
                vec!["--iterations", "10"],
                vec!["--seed", "18446744073709551615"],
                vec!["--depth", "2"],
                vec!["--preemption-bound", "2"],
                vec!["--time-limit", "1"],
                vec!["--no-shrink"],
                vec!["--workers", "2"],
                vec!["--shard", "1/2"],
                vec!["--report", "newdir"],
            ],
            bad: with_unknown(check_bad),
        },
        Grammar {
            command: "replay",
            good_positional: vec!["good.race"],
            bad_positional: BAD_RACES.to_vec(),
            good: vec![],
            bad: with_unknown(vec![vec!["extra.race"]]),
        },
        Grammar {
            command: "report",
            good_positional: vec!["good.race"],
            bad_positional: BAD_RACES.to_vec(),
            good: vec![vec!["--out", "newout"]],
            bad: with_unknown(flag_with("--out", &["file", "hand", "file/sub"])),
        },
        Grammar {
            command: "shrink",
            good_positional: vec!["good.race"],
            bad_positional: BAD_RACES.to_vec(),
            good: vec![vec!["--attempts", "5"], vec!["--time-limit", "1"]],
            bad: with_unknown(
                [
                    flag_with("--attempts", BAD_COUNTS),
                    flag_with("--time-limit", BAD_SECONDS),
                ]
                .concat(),
            ),
        },
        Grammar {
            command: "reproduce",
            good_positional: vec!["good.log"],
            bad_positional: BAD_LOGS.to_vec(),
            good: vec![
                vec!["--scenario", "lock_manager"],
                vec!["--variant", "lock"],
                vec!["--seed", "3"],
                vec!["--iterations", "5"],
                vec!["--time-limit", "1"],
                vec!["--out", "newrepro"],
            ],
            bad: with_unknown(
                [
                    flag_with("--scenario", &["nope", ""]),
                    flag_with("--variant", &["nope"]),
                    flag_with("--out", &["file", "file/sub"]),
                    flag_with("--iterations", BAD_COUNTS),
                    flag_with("--time-limit", BAD_SECONDS),
                    flag_with("--seed", BAD_SEEDS),
                ]
                .concat(),
            ),
        },
        Grammar {
            command: "bench",
            good_positional: vec!["lock_manager"],
            bad_positional: vec!["no_such_scenario", ""],
            good: vec![
                vec!["--seeds", "1"],
                vec!["--cap", "1"],
                vec!["--time-cap", "1"],
                vec!["--out", "new.md"],
            ],
            bad: with_unknown(
                [
                    flag_with("--seeds", &["0", "100001", "-1", "x"]),
                    flag_with("--cap", BAD_COUNTS),
                    flag_with("--time-cap", BAD_SECONDS),
                    flag_with("--out", &["adir", "file/x.md"]),
                ]
                .concat(),
            ),
        },
    ]
}

/// A command line with at least one defect: a bad positional, or a bad option among good ones,
/// in any order; or a top-level mistake.
fn command_line() -> impl Strategy<Value = Vec<String>> {
    let grammars = grammars();
    let n = grammars.len();
    let top = select(vec![
        vec![],
        vec!["bogus"],
        vec!["--bogus"],
        vec!["list", "extra"],
        vec!["replay", "--", "-x"],
    ])
    .prop_map(|g| g.into_iter().map(str::to_string).collect::<Vec<_>>());
    let sub = (
        0..n,
        any::<bool>(),
        any::<Index>(),
        any::<u64>(),
        prop::collection::vec(any::<Index>(), 0..3),
        any::<u64>(),
    )
        .prop_map(move |(g, bad_pos, pos, good_mask, bads, order)| {
            let grammar = &grammars[g];
            let positional = if bad_pos || grammar.bad.is_empty() {
                pos.get(&grammar.bad_positional)
            } else {
                pos.get(&grammar.good_positional)
            };
            let mut bads: Vec<&Index> = bads.iter().collect();
            if !bad_pos && bads.is_empty() {
                bads.push(&pos);
            }
            // One group per flag, a defect before a good value: a flag given twice is a
            // defect clap finds, and it would hide the checks behind it.
            let mut groups: Vec<Group> = vec![vec![positional]];
            let candidates = bads.into_iter().map(|b| b.get(&grammar.bad)).chain(
                grammar
                    .good
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| good_mask >> i & 1 == 1)
                    .map(|(_, g)| g),
            );
            for group in candidates {
                let flag = group[0];
                if !flag.starts_with("--") || !groups.iter().any(|g| g[0] == flag) {
                    groups.push(group.clone());
                }
            }
            // A deterministic shuffle of the groups from `order`.
            let mut state = order | 1;
            for i in (1..groups.len()).rev() {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                groups.swap(i, (state % (i as u64 + 1)) as usize);
            }
            std::iter::once(grammar.command)
                .chain(groups.into_iter().flatten())
                .map(str::to_string)
                .collect()
        });
    prop_oneof![1 => top, 12 => sub]
}

/// Run racecheck in `dir`; `None` if it has not ended within a minute (it is then killed).
fn run_bounded(dir: &Path, args: &[String]) -> Option<std::process::Output> {
    let child = Command::new(env!("CARGO_BIN_EXE_racecheck"))
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run racecheck");
    let pid = child.id();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(Duration::from_secs(60)) {
        Ok(out) => Some(out.expect("racecheck ran")),
        Err(_) => {
            let _ = Command::new("kill").arg("-9").arg(pid.to_string()).status();
            None
        }
    }
}

fn command_lines(cases: u32) {
    runner(cases)
        .run(&command_line(), |args| {
            let dir = tempfile::tempdir().unwrap();
            fixture(dir.path());
            let before = tree(dir.path());
            let out = run_bounded(dir.path(), &args)
                .ok_or_else(|| TestCaseError::fail(format!("{args:?} hung")))?;
            let stderr = String::from_utf8_lossy(&out.stderr);
            prop_assert_eq!(out.status.code(), Some(2), "{:?}: {}", args, stderr);
            prop_assert!(stderr.starts_with("error: "), "{:?}: {}", args, stderr);
            prop_assert_eq!(
                stderr.trim_end().lines().count(),
                1,
                "{:?}: {}",
                args,
                stderr
            );
            prop_assert!(
                out.stdout.is_empty(),
                "{:?} printed {}",
                args,
                String::from_utf8_lossy(&out.stdout)
            );
            prop_assert!(
                tree(dir.path()) == before,
                "{:?} changed its directory",
                args
            );
            Ok(())
        })
        .unwrap();
}

#[test]
fn fuzz_command_lines() {
    command_lines(DEFAULT_CASES);
}

#[test]
#[ignore = "long: just test-long"]
fn fuzz_long_command_lines() {
    command_lines(LONG_CASES);
}
