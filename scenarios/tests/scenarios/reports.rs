//! What users read: `summary.json` (parsed back against its schema), the markdown (snapshots),
//! the HTML timeline (in a real headless Chromium), reproduction from seed 000's log, and
//! shrinking (it never turns a failing schedule into a passing one).

use super::cli::{assert_one_line_error, racecheck};
use racecheck::{BackendKind, OutcomeKind, RaceFile, ScheduleSize, ShrinkBudget};
use racecheck_cli::report::{self, CheckRow, FailureRace, ShrinkFigures, Summary, Totals};
use racecheck_scenarios::catalogue;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

fn manifest(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

fn committed(name: &str) -> RaceFile {
    RaceFile::load(&manifest(&format!("races/{name}.race"))).unwrap()
}

/// `racecheck reproduce LOG --scenario S --variant V --out DIR [EXTRA…]`.
fn reproduce(log: &Path, scenario: &str, variant: &str, out: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "reproduce",
        log.to_str().unwrap(),
        "--scenario",
        scenario,
        "--variant",
        variant,
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    racecheck(&args)
}

#[test]
fn summary_json_parses_back_with_its_documented_fields() {
    let dir = tempfile::tempdir().unwrap();
    let out = racecheck(&[
        "check",
        "lock_manager",
        "--variant",
        "lock",
        "--backend",
        "pct,loom",
        "--report",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0));
    let text = std::fs::read_to_string(dir.path().join("summary.json")).unwrap();
    let summary = Summary::from_json(&text).unwrap();
    assert_eq!(summary.schema, "racecheck-summary");
    assert_eq!(summary.version, 1);
    assert_eq!(summary.command[0], "racecheck");
    assert_eq!(
        summary.totals,
        Totals {
            checks: 2,
            met: 2,
            unmet: 0
        }
    );
    for c in &summary.checks {
        assert_eq!(c.found, Some(OutcomeKind::Deadlock));
        assert!(c.met && c.first_failure.is_some() && c.verdict == "found");
        assert!(dir.path().join(c.race_file.as_ref().unwrap()).exists());
        assert!(dir.path().join(c.timeline.as_ref().unwrap()).exists());
        let shrink = c.shrink.as_ref().unwrap();
        assert!(shrink.after <= shrink.before);
    }
    // The field names are the documented schema (reports/README.md): renaming one is a new
    // schema version.
    let value: serde_json::Value = serde_json::from_str(&text).unwrap();
    let keys = |v: &serde_json::Value| {
        let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        k.sort();
        k.join(" ")
    };
    assert_eq!(
        keys(&value),
        "checks command racecheck schema started totals version"
    );
    assert_eq!(
        keys(&value["checks"][0]),
        "backend backend_kind beyond_reach executions expected first_failure found message \
         met race_file scenario seed shrink stopped_by_time_limit timeline variant verdict wall_time_s"
    );
    // And a document from another schema is refused, not misread.
    assert!(Summary::from_json(&text.replace("\"version\": 1", "\"version\": 2")).is_err());
    assert!(Summary::from_json("{}").is_err());
}

/// A summary with fixed figures (wall times vary run to run), over a committed race.
fn fixed_summary() -> (Summary, Vec<FailureRace>) {
    let race = committed("lock_manager.lock.pctd3");
    let row = |variant: &str, found: Option<OutcomeKind>| CheckRow {
        scenario: "lock_manager".into(),
        variant: variant.into(),
        backend: "pct(d=3)".into(),
        backend_kind: BackendKind::Pct,
        seed: 0,
        expected: if found.is_some() { "deadlock" } else { "pass" }.into(),
        beyond_reach: false,
        verdict: if found.is_some() {
            "found"
        } else {
            "not-found"
        }
        .into(),
        found,
        message: found.map(|_| race.outcome.to_string()),
        executions: if found.is_some() { 2 } else { 10_000 },
        first_failure: found.map(|_| 2),
        wall_time_s: 0.25,
        met: true,
        race_file: found.map(|_| "races/lock_manager.lock.pctd3.race".into()),
        timeline: found.map(|_| "timelines/lock_manager.lock.pctd3.html".into()),
        shrink: found.map(|_| ShrinkFigures {
            before: ScheduleSize {
                preemptions: 4,
                context_switches: 6,
                steps: 94,
            },
            after: ScheduleSize {
                preemptions: 1,
                context_switches: 2,
                steps: 76,
            },
            attempts: 8,
        }),
        stopped_by_time_limit: false,
    };
    // DFS misses the deadlock in its budget: the one check not as expected.
    let mut missed = row("lock", None);
    (missed.backend, missed.backend_kind, missed.expected) =
        ("dfs".into(), BackendKind::Dfs, "deadlock".into());
    missed.met = false;
    let checks = vec![
        row("lock", Some(OutcomeKind::Deadlock)),
        missed,
        row("rlock", None),
    ];
    let summary = Summary {
        schema: report::SCHEMA.into(),
        version: report::SCHEMA_VERSION,
        racecheck: "0.1.0".into(),
        started: "2026-11-23T18:00:00Z".into(),
        command: vec!["racecheck".into(), "check".into(), "lock_manager".into()],
        totals: Totals::of(&checks),
        checks,
    };
    let failures = vec![FailureRace {
        row: 0,
        race,
        path: "reports/run/races/lock_manager.lock.pctd3.race".into(),
        replayable: true,
    }];
    (summary, failures)
}

#[test]
fn summary_markdown_snapshot() {
    let (summary, failures) = fixed_summary();
    insta::assert_snapshot!(report::summary_markdown(&summary, &failures));
}

#[test]
fn checks_markdown_snapshot() {
    let (summary, _) = fixed_summary();
    insta::assert_snapshot!(report::checks_markdown(&summary));
}

#[test]
fn race_markdown_snapshot() {
    let race = committed("sqlite.ticket_lease.deferred-wal.pctd3");
    insta::assert_snapshot!(report::race_markdown(
        &race,
        "scenarios/races/sqlite.ticket_lease.deferred-wal.pctd3.race",
        &[]
    ));
}

#[test]
fn a_long_race_keeps_its_mermaid_diagram_readable() {
    let race = committed("compaction.no-cas.pctd3");
    let md = report::race_markdown(&race, "x.race", &[]);
    let notes = md.lines().filter(|l| l.contains("Note over")).count();
    assert!(notes <= report::mermaid::MAX_STEPS + 2, "{notes} notes");
    assert!(md.contains("lost update"), "{md}");
}

/// Chromium, if this machine has it: `RACECHECK_CHROMIUM`, else `chromium` on the PATH.
fn chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("RACECHECK_CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|d| ["chromium", "chromium-browser"].map(|n| d.join(n)))
        .find(|p| p.is_file())
}

fn headless(chromium: &Path, profile: &Path, args: &[&str]) -> Output {
    Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .output()
        .expect("run chromium")
}

#[test]
fn the_html_timeline_renders_in_headless_chromium() {
    let Some(chromium) = chromium() else {
        assert!(
            std::env::var_os("RACECHECK_REQUIRE_CHROMIUM").is_none(),
            "RACECHECK_REQUIRE_CHROMIUM is set but chromium is not on the PATH"
        );
        eprintln!(
            "skipped: chromium not found (install Debian's `chromium`, as .ci/run does, or set RACECHECK_CHROMIUM)"
        );
        return;
    };
    // Kept under the target directory, so a person can look at what the browser drew.
    let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("timeline-screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    let dir = tempfile::tempdir().unwrap();
    for name in [
        "sqlite.ticket_lease.deferred-wal.pctd3",
        "lease.redis.ttl-outlived.pctd3",
        "lease.redis.stale-unlock-del.pctd3",
        "lock_manager.lock.pctd3",
        "async.lease.heartbeat-defaults.pctd3",
        "lease.linearizable.ttl-outlived.pctd3",
    ] {
        let race = committed(name);
        let timeline = report::Timeline::of(&race, "x.race");
        let rows = report::fold::rows(&timeline);
        let folds = rows
            .rows
            .iter()
            .filter(|r| matches!(r, report::fold::Row::Fold(_)))
            .count();
        let page = dir.path().join(format!("{name}.html"));
        std::fs::write(&page, report::html::page(&timeline, &[])).unwrap();
        let url = format!("file://{}", page.display());

        // The page's own script reports what the browser laid out.
        let dom = headless(&chromium, &dir.path().join("p1"), &["--dump-dom", &url]);
        let dom = String::from_utf8_lossy(&dom.stdout);
        let expiries = timeline
            .holds
            .iter()
            .filter(|h| matches!(h.end, report::holds::HoldEnd::Expired(_)))
            .count();
        let expected = format!(
            "data-rendered=\"ok lanes={} rows={} folds={folds} holds={} expiries={expiries}\"",
            timeline.lanes.len(),
            rows.rows.len(),
            timeline.holds.len(),
        );
        assert!(
            dom.contains(&expected),
            "{name}: {expected} not in {dom:.400}"
        );

        let png = shots.join(format!("{name}.png"));
        let _ = std::fs::remove_file(&png);
        let shot = headless(
            &chromium,
            &dir.path().join("p2"),
            &[
                "--window-size=1400,1800",
                &format!("--screenshot={}", png.display()),
                &url,
            ],
        );
        let size = std::fs::metadata(&png).map(|m| m.len()).unwrap_or(0);
        assert!(
            size > 20_000,
            "{name}: screenshot of {size} bytes: {}",
            String::from_utf8_lossy(&shot.stderr)
        );
    }
}

/// Every committed race's timeline page, at most 120 KB, and the lease's poll loop folded.
#[test]
fn timeline_pages_stay_small_and_fold_repeats() {
    let mut files: Vec<_> = std::fs::read_dir(manifest("races"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "race"))
        .collect();
    files.sort();
    for path in &files {
        let race = RaceFile::load(path).unwrap();
        let timeline = report::Timeline::of(&race, "x.race");
        let page = report::html::page(&timeline, &[]);
        assert!(
            page.len() <= 120_000,
            "{}: {} bytes",
            path.display(),
            page.len()
        );
        assert!(!page.contains('…'), "{}: a label was cut", path.display());
    }
    let lease = report::Timeline::of(&committed("lease.redis.ttl-outlived.pctd3"), "x.race");
    let rows = report::fold::rows(&lease);
    let poll = rows.rows.iter().find_map(|r| match r {
        report::fold::Row::Fold(f) if f.repeats >= 20 => Some(f),
        _ => None,
    });
    let poll = poll.unwrap_or_else(|| panic!("no poll loop folded: {:?}", rows.rows));
    assert!(poll.label.starts_with("B: "), "{}", poll.label);
    // The clock's moves are marked where it moves: B sleeps 10 s at 30 s.
    let page = report::html::page(&lease, &[]);
    assert!(page.contains("clock +10s"), "no clock marks");
    let still = report::Timeline::of(&committed("lock_manager.lock.pctd3"), "x.race");
    assert!(!report::html::page(&still, &[]).contains(r#"<g class="clock">"#));
    assert!(rows.rows.len() < 60, "{} rows", rows.rows.len());
}

/// An ABBA deadlock where A asks for Y while it is still free and B takes it first: A's ask is
/// the blocking step (hatched to the end, on the red band), not a free lock.
#[test]
fn a_deadlocked_wait_is_hatched_from_its_attempt() {
    use racecheck::outcome::{Blocked, Outcome};
    use racecheck::trace::Trace;
    let events = [
        "A: lock X",
        "A: acquired X",
        "B: lock Y",
        "A: lock Y",
        "B: acquired Y",
        "B: lock X",
    ];
    let deadlock = Outcome::Deadlock {
        blocked: vec![
            Blocked {
                thread: "A".into(),
                waits_on: "mutex Y (held by B)".into(),
            },
            Blocked {
                thread: "B".into(),
                waits_on: "mutex X (held by A)".into(),
            },
        ],
    };
    let mut race = RaceFile::new(
        "abba",
        "v",
        "pct(d=3)",
        (0, 1),
        &deadlock,
        &Trace::default(),
    );
    race.threads = vec!["main".into(), "A".into(), "B".into()];
    race.schedule = "1*2 2 1 2*2".into();
    race.events = events.iter().map(|e| e.to_string()).collect();
    let t = report::Timeline::of(&race, "x.race");
    let failed: Vec<usize> = t
        .steps
        .iter()
        .filter(|s| s.failed)
        .map(|s| s.index)
        .collect();
    assert_eq!(failed, [3, 5]);
    for at in [3, 5] {
        assert!(t.steps[at].blocked, "{:?}", t.steps[at]);
        assert!(
            t.spans
                .iter()
                .any(|s| !s.holding && s.from == at && s.to == 5),
            "no wait from step {at}: {:?}",
            t.spans
        );
    }
}

#[test]
fn the_mermaid_diagrams_render_with_mermaid_js() {
    // Mermaid is not vendored: .ci/run installs it from npm and names it here.
    let (Some(chromium), Some(mermaid)) = (chromium(), std::env::var_os("RACECHECK_MERMAID_JS"))
    else {
        assert!(
            std::env::var_os("RACECHECK_REQUIRE_CHROMIUM").is_none(),
            "RACECHECK_REQUIRE_CHROMIUM is set but chromium or RACECHECK_MERMAID_JS is missing"
        );
        eprintln!("skipped: needs chromium and RACECHECK_MERMAID_JS (mermaid.min.js; .ci/run installs both)");
        return;
    };
    // summary.md links to each bug's diagram (timelines/NAME.md, the race's markdown).
    let mut markdown = Vec::new();
    for name in [
        "lock_manager.lock.pctd3",
        "sqlite.ticket_lease.deferred-wal.pctd3",
        "compaction.no-cas.pctd3",
        "lease.redis.paused-holder.pctd3",
    ] {
        markdown.push(report::race_markdown(&committed(name), "x.race", &[]));
    }
    let diagrams: Vec<String> = markdown
        .iter()
        .flat_map(|md| md.split("```mermaid\n").skip(1))
        .map(|d| d.split("```").next().unwrap().to_string())
        .collect();
    // Every step note must show its number: an unescaped `#` once swallowed whole notes.
    let numbered: Vec<usize> = diagrams
        .iter()
        .map(|d| {
            d.lines()
                .filter_map(|l| l.split_once(": "))
                .filter(|(_, text)| text.trim_start_matches("✗ ").starts_with('#'))
                .count()
        })
        .collect();
    assert!(numbered.iter().all(|&n| n > 0), "{numbered:?}");
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("mermaid.html");
    let quoted = |s: &str| serde_json::to_string(s).unwrap();
    let texts: Vec<String> = diagrams.iter().map(|d| quoted(d)).collect();
    std::fs::write(
        &page,
        format!(
            r#"<!DOCTYPE html><html><head><meta charset="utf-8"><script src="file://{}"></script></head><body><script>
const texts = [{}]; const numbered = {:?};
mermaid.initialize({{ startOnLoad: false }});
(async () => {{
  const bad = [];
  for (let i = 0; i < texts.length; i++) {{
    try {{
      const r = await mermaid.render("d" + i, texts[i]);
      const box = document.createElement("div"); box.innerHTML = r.svg;
      const shown = (box.textContent.match(/#\d+/g) || []).length;
      if (shown < numbered[i]) bad.push(i + ": " + shown + " of " + numbered[i] + " step numbers shown");
    }} catch (e) {{ bad.push(i + ": " + String(e).slice(0, 120)); }}
  }}
  document.documentElement.setAttribute("data-mermaid", bad.length ? "bad " + bad.join(" | ") : "ok " + texts.length);
}})();
</script></body></html>"#,
            Path::new(&mermaid).display(),
            texts.join(","),
            numbered
        ),
    )
    .unwrap();
    let dom = headless(
        &chromium,
        &dir.path().join("p"),
        &[
            "--allow-file-access-from-files",
            "--virtual-time-budget=30000",
            "--dump-dom",
            &format!("file://{}", page.display()),
        ],
    );
    let dom = String::from_utf8_lossy(&dom.stdout);
    let expected = format!("data-mermaid=\"ok {}\"", diagrams.len());
    assert!(dom.contains(&expected), "{expected} not in {dom:.600}");
}

#[test]
fn reproduce_finds_the_seed_000_deadlock_from_its_log() {
    let dir = tempfile::tempdir().unwrap();
    let log = manifest("logs/seed-000-lambda.log");
    let out = reproduce(&log, "lock_manager", "lock", dir.path(), &[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("reproduced"), "{stdout}");
    let path = dir.path().join("lock_manager.lock.random.race");
    let race = RaceFile::load(&path).unwrap();
    assert_eq!(race.outcome.kind(), OutcomeKind::Deadlock);
    let validating = race
        .events
        .iter()
        .position(|e| e.contains("Validating lock ownership"));
    let started = race
        .events
        .iter()
        .position(|e| e.contains("Heartbeat worker thread started"));
    assert!(
        started < validating && started.is_some(),
        "{:?}",
        race.events
    );
    let replay = racecheck(&["replay", path.to_str().unwrap()]);
    assert!(replay.status.success());
}

#[test]
fn reproduce_says_which_event_was_never_reached() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("reversed.log");
    std::fs::write(
        &log,
        "[main] Validating lock ownership before label updates\n[main] Acquired lock: chroma-*\n",
    )
    .unwrap();
    let out = reproduce(
        &log,
        "lock_manager",
        "lock",
        dir.path(),
        &["--iterations", "300"],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("not reproduced in 300 executions")
            && stdout.contains("line 2 `[main] Acquired lock: chroma-*` was never reached"),
        "{stdout}"
    );
}

#[test]
fn a_log_only_the_bug_produces_is_reproduced_by_the_bug_and_not_by_a_fix() {
    let dir = tempfile::tempdir().unwrap();
    let log = manifest("logs/lease-two-writers.log");
    let bug = reproduce(&log, "lease.redis", "ttl-outlived", dir.path(), &[]);
    let stdout = String::from_utf8_lossy(&bug.stdout);
    assert_eq!(bug.status.code(), Some(0), "{stdout}");
    assert!(stdout.starts_with("reproduced"), "{stdout}");
    for fix in ["stale-unlock-cad", "heartbeat-production"] {
        let out = reproduce(&log, "lease.redis", fix, dir.path(), &[]);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(1), "{fix}: {stdout}");
        assert!(
            stdout.starts_with(&format!("not reproducible by `{fix}`: it never logs `A: ")),
            "{fix}: {stdout}"
        );
        assert!(stdout.contains("an event of `ttl-outlived`"), "{stdout}");
    }
    // The fenced fix logs every one of these events (A's write lands when its operation ends
    // within the TTL), but never in this order: a search, which says where it stopped.
    let fenced = reproduce(
        &log,
        "lease.redis",
        "fenced-ttl-outlived",
        dir.path(),
        &["--iterations", "500"],
    );
    let stdout = String::from_utf8_lossy(&fenced.stdout);
    assert_eq!(fenced.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("not reproduced in 500 executions")
            && stdout.contains("line 6 `[A] wrote *` was never reached"),
        "{stdout}"
    );
    // A label no variant logs is still bad input.
    let odd = dir.path().join("odd.log");
    std::fs::write(&odd, "[A] acquired with token *\n[A] flew to the moon\n").unwrap();
    assert_one_line_error(
        &reproduce(&odd, "lease.redis", "fenced-ttl-outlived", dir.path(), &[]),
        "line 2 `[A] flew to the moon` is not an event any variant of this scenario logs",
    );
}

#[test]
fn bad_input_to_report_reproduce_and_shrink_is_one_line_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p.to_str().unwrap().to_string()
    };
    let out = dir.path();
    let reproduce = |log: &str, scenario: &str, variant: &str| {
        reproduce(Path::new(log), scenario, variant, out, &[])
    };
    let unknown = write("unknown.log", "[main] Lambda heartbeat\n");
    assert_one_line_error(
        &reproduce(&unknown, "lock_manager", "lock"),
        "line 1 `[main] Lambda heartbeat` is not an event any variant of this scenario logs",
    );
    let backwards = write("backwards.log", "23:16:35 a\n23:16:34 b\n");
    assert_one_line_error(
        &reproduce(&backwards, "lock_manager", "lock"),
        "line 2: time 23:16:34 is before line 1's",
    );
    let log = manifest("logs/seed-000-lambda.log");
    let log = log.to_str().unwrap();
    assert_one_line_error(&reproduce(log, "nope", "lock"), "unknown scenario `nope`");
    assert_one_line_error(&reproduce(log, "lock_manager", "nope"), "no variant `nope`");
    assert_one_line_error(
        &reproduce("/no/such.log", "lock_manager", "lock"),
        "cannot read",
    );

    let corrupt = write(
        "corrupt.race",
        "format = \"racecheck-race\"\nversion = 1\n[[[",
    );
    assert_one_line_error(
        &racecheck(&["report", &corrupt, "--out", dir.path().to_str().unwrap()]),
        "not a valid race file",
    );
    assert_one_line_error(&racecheck(&["shrink", &corrupt]), "not a valid race file");
    assert_one_line_error(
        &racecheck(&["shrink", &corrupt, "--time-limit=-1"]),
        "time-limit",
    );
}

#[test]
fn report_draws_a_race_file_as_html_and_markdown() {
    let dir = tempfile::tempdir().unwrap();
    let race = manifest("races/lock_manager.lock.pctd3.race");
    let out = racecheck(&[
        "report",
        race.to_str().unwrap(),
        "--out",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0));
    let html = std::fs::read_to_string(dir.path().join("lock_manager.lock.pctd3.html")).unwrap();
    // Self-contained: inline SVG, nothing fetched.
    assert!(html.contains("<svg"));
    assert!(!html.contains("src=") && !html.contains("<link") && !html.contains("href=\"http"));
    let md = std::fs::read_to_string(dir.path().join("lock_manager.lock.pctd3.md")).unwrap();
    assert!(md.contains("```mermaid\nsequenceDiagram"));
    // Drawing again says it replaced the previous pair.
    let again = racecheck(&[
        "report",
        race.to_str().unwrap(),
        "--out",
        dir.path().to_str().unwrap(),
    ]);
    assert!(String::from_utf8_lossy(&again.stdout).contains("replaced"));
}

/// Every committed race is at the shrinker's fixpoint: none of its first 300 candidates is
/// smaller (the whole fixpoint, every candidate, is the ignored `races::fixpoint` suite), and
/// what shrinking returns still fails the same way and replays.
#[test]
fn committed_races_shrink_to_nothing_smaller() {
    let cat = catalogue();
    let budget = ShrinkBudget {
        attempts: 300,
        time_limit: Duration::from_secs(60),
    };
    let dir = manifest("races");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "race"))
        .collect();
    files.sort();
    for path in &files {
        let race = RaceFile::load(path).unwrap();
        let (_, variant) = race.resolve(&cat, path).unwrap();
        let (shrunk_race, shrunk) = race.shrink(variant, budget);
        assert!(shrunk.replayed, "{}", path.display());
        assert!(!shrunk.timed_out, "{}", path.display());
        assert_eq!(shrunk.after, shrunk.before, "{}", path.display());
        assert_eq!(shrunk_race.outcome.kind(), race.outcome.kind());
        let replay = shrunk_race.replay(variant);
        assert!(
            replay.reproduced(),
            "{}: {}",
            path.display(),
            replay.describe(&shrunk_race)
        );
    }
}

#[test]
fn shrinking_never_turns_a_failing_schedule_into_a_passing_one() {
    let cat = catalogue();
    let path = manifest("tests/scenarios/fixtures/lock_manager.lock.random.unshrunk.race");
    let race = RaceFile::load(&path).unwrap();
    let (_, variant) = race.resolve(&cat, &path).unwrap();
    let (shrunk_race, shrunk) = race.shrink(variant, ShrinkBudget::default());
    assert!(shrunk.replayed && shrunk.fixpoint && !shrunk.timed_out);
    assert!(
        shrunk.after < shrunk.before,
        "{} -> {}",
        shrunk.before,
        shrunk.after
    );
    assert_eq!(shrunk_race.outcome.kind(), race.outcome.kind());
    assert!(shrunk_race.replay(variant).reproduced());
}

#[test]
fn a_race_that_does_not_replay_offers_no_replay_command() {
    let mut race = committed("lock_manager.lock.threads");
    let markdown = report::race_markdown(&race, "x.race", &[]);
    assert!(markdown.contains("racecheck replay x.race"), "{markdown}");
    race.replayable = false;
    race.not_replayable = Some("it was recorded on real threads".into());
    let markdown = report::race_markdown(&race, "x.race", &[]);
    assert!(!markdown.contains("racecheck replay"), "{markdown}");
    assert!(markdown.contains("not replayable: it was recorded on real threads"));
    let text = race.to_text();
    assert!(text.contains("# Not replayable: it was recorded on real threads"));
    // Read back, it still says so.
    let back = RaceFile::parse(&text, Path::new("x.race")).unwrap();
    assert!(!back.replayable);
}

#[test]
fn shrink_writes_a_new_file_beside_the_race_and_never_overwrites() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("lm.race");
    let unshrunk = manifest("tests/scenarios/fixtures/lock_manager.lock.random.unshrunk.race");
    std::fs::copy(&unshrunk, &path).unwrap();
    let out = racecheck(&["shrink", path.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("after:  84 steps, 2 context switches, 1 preemption"),
        "{stdout}"
    );
    let shrunk_path = dir.path().join("lm.shrunk.race");
    let shrunk = RaceFile::load(&shrunk_path).unwrap();
    assert_eq!(shrunk.outcome.kind(), OutcomeKind::Deadlock);
    // Shrunk again, the same race: it is already saved, and no copy is added.
    let again = racecheck(&["shrink", path.to_str().unwrap()]);
    let again = String::from_utf8_lossy(&again.stdout).into_owned();
    assert!(
        again.contains(&format!("race file: {}\n", shrunk_path.display())),
        "{again}"
    );
    assert!(!dir.path().join("lm.shrunk.2.race").exists(), "{again}");
    // A file of that name holding something else (the user's edit) is never overwritten.
    let edited = "# the user's notes\n";
    std::fs::write(&shrunk_path, edited).unwrap();
    let third = racecheck(&["shrink", path.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&third.stdout).contains("lm.shrunk.2.race"));
    assert_eq!(std::fs::read_to_string(&shrunk_path).unwrap(), edited);
    // The user's file is untouched.
    assert_eq!(
        std::fs::read(&path).unwrap(),
        std::fs::read(&unshrunk).unwrap()
    );
}

#[test]
fn an_async_race_is_drawn_as_tasks() {
    let race = committed("async.lock_manager.lock.pctd3");
    let t = report::Timeline::of(&race, "x.race");
    let heartbeat = t.lanes.iter().position(|l| l == "task heartbeat");
    let heartbeat = heartbeat.unwrap_or_else(|| panic!("lanes {:?}", t.lanes));
    let failed: Vec<_> = t.steps.iter().filter(|s| s.failed).collect();
    assert!(
        failed
            .iter()
            .any(|s| s.lane == heartbeat && s.text == "\"lock LockManager._lock\""),
        "{failed:?}"
    );
}

#[test]
fn summary_md_names_an_unexpected_check_in_its_first_lines() {
    // One PCT execution is too few for the seed-000 deadlock (PCT finds it in its second), so
    // of lock_manager's three checks the `lock` one does not end as expected.
    let dir = tempfile::tempdir().unwrap();
    let out = racecheck(&[
        "check",
        "lock_manager",
        "--backend",
        "pct",
        "--iterations",
        "1",
        "--report",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let md = std::fs::read_to_string(dir.path().join("summary.md")).unwrap();
    let head: Vec<&str> = md.lines().take(10).collect();
    let head = head.join("\n");
    assert!(
        head.contains("3 checks ran: 2 ended as expected, 1 did not")
            && head.contains(
                "**lock_manager / lock [pct(d=3)]**: expected deadlock, found nothing in 1 executions: \
                 `racecheck check lock_manager --variant lock --backend pct --seed 0 --depth 3`"
            ),
        "{head}"
    );
    assert_eq!(md.matches("**lock_manager / ").count(), 1, "{md}");
    let checks = std::fs::read_to_string(dir.path().join("checks.md")).unwrap();
    assert_eq!(checks.matches("| lock_manager | ").count(), 3, "{checks}");
    assert_eq!(checks.matches("| **no** |").count(), 1, "{checks}");
}

/// The lease race against virtual time: A's lease is a bar that runs out at 30 s (marked), B's
/// ends at its release; A's stale write at 45 s is the failure, and main's final check, where
/// the invariant fails, links to it.
#[test]
fn the_lease_timeline_has_a_time_axis_lease_bars_and_the_stale_write_as_its_failure() {
    use report::holds::HoldEnd;
    let t = report::Timeline::of(&committed("lease.redis.ttl-outlived.pctd3"), "x.race");
    assert!(t.clock_moves);
    let lane = |name: &str| t.lanes.iter().position(|l| l == name).unwrap();
    let (a, b) = (lane("A"), lane("B"));
    let holds: Vec<(usize, &str, &HoldEnd)> = t
        .holds
        .iter()
        .map(|h| (h.lane, h.lock.as_str(), &h.end))
        .collect();
    assert_eq!(holds.len(), 2, "{holds:?}");
    assert_eq!(
        holds[0],
        (a, "lock:compaction", &HoldEnd::Expired(30_000_000_000))
    );
    assert!(
        holds[1].0 == b && matches!(holds[1].2, HoldEnd::LetGo(_)),
        "{holds:?}"
    );
    let failed: Vec<_> = t.steps.iter().filter(|s| s.failed).collect();
    assert_eq!(failed.len(), 1, "{failed:?}");
    let write = failed[0];
    assert_eq!(
        (write.lane, write.text.as_str(), write.at),
        (a, "\"resource: write\"", 40_000_000_000)
    );
    assert_eq!(
        write.culprit.as_deref(),
        Some("overwrites an update it never read")
    );
    let check = t.steps.iter().find(|s| s.caused_by.is_some()).unwrap();
    assert_eq!(
        (check.lane, check.caused_by),
        (lane("main"), Some(write.index))
    );
    assert_eq!(
        check.index + 1,
        t.steps.len(),
        "the check is main's last step"
    );

    let page = report::html::page(&t, &[]);
    for part in [
        r#"<g class="axis">"#,
        "A’s lease on lock:compaction ran out at 30s",
        &format!(r##"<a href="#step{}">"##, write.index),
        r#"<path class="cause""#,
        "overwrites an update it never read",
    ] {
        assert!(page.contains(part), "no {part}");
    }
    assert_eq!(page.matches(r#"<g class="hold">"#).count(), 2);
    // A's 40 s sleep (its chosen operation time) is a timer drawn to its end.
    assert!(page.contains("A sleeps 40s (0s–40s)"));
    // Without a moving clock, no axis.
    let still = report::Timeline::of(&committed("lock_manager.lock.pctd3"), "x.race");
    assert!(!report::html::page(&still, &[]).contains(r#"<g class="axis">"#));
    // The Mermaid diagram says it too.
    let md = report::race_markdown(&committed("lease.redis.ttl-outlived.pctd3"), "x.race", &[]);
    assert!(md.contains("✗ #35;"), "{md}");
    assert!(
        md.contains(&format!("fails here, broken at #35;{}", write.index)),
        "{md}"
    );
}

/// The seed-000 deadlock in the Python lock's own terms: each thread's failure band is its ask
/// for `LockManager._lock` that is never granted, hatched from the ask to the end; the mutex
/// and condvar inside the lock have no row, and main's hold of the lock item and of the
/// Python lock are bars side by side.
#[test]
fn a_deadlock_inside_a_python_lock_is_drawn_as_that_lock() {
    use report::timeline::StepKind;
    let t = report::Timeline::of(&committed("lock_manager.lock.pctd3"), "x.race");
    let failed: Vec<_> = t.steps.iter().filter(|s| s.failed).collect();
    assert_eq!(failed.len(), 2, "{failed:?}");
    for s in &failed {
        assert_eq!(s.kind, StepKind::Asks("LockManager._lock".into()), "{s:?}");
        assert!(s.blocked);
        assert!(
            t.spans
                .iter()
                .any(|w| !w.holding && w.from == s.index && w.to + 1 == t.steps.len()),
            "no wait from #{}: {:?}",
            s.index,
            t.spans
        );
    }
    assert!(t
        .spans
        .iter()
        .all(|s| !s.object.starts_with("LockManager._lock.")));
    let rows = report::fold::rows(&t);
    for row in &rows.rows {
        if let report::fold::Row::Step(i) = row {
            assert!(
                !t.steps[*i].text.contains("LockManager._lock."),
                "{:?}",
                t.steps[*i]
            );
        }
    }
    let heartbeat = t.lanes.iter().position(|l| l == "heartbeat").unwrap();
    let held: Vec<_> = t.holds.iter().map(|h| (h.lane, h.lock.as_str())).collect();
    assert!(held.contains(&(heartbeat, "LockManager._lock")), "{held:?}");
    assert!(
        held.contains(&(0, "lock item chroma-words-update-1756250195")),
        "{held:?}"
    );
    assert!(rows.rows.len() <= 16, "{} rows", rows.rows.len());
}

/// The async runtime's queue and idle waits are bookkeeping: no row, no bar.
#[test]
fn the_async_runtime_steps_are_hidden_by_default() {
    for name in [
        "async.lease.heartbeat-defaults.pctd3",
        "async.lock_manager.lock.pctd3",
    ] {
        let t = report::Timeline::of(&committed(name), "x.race");
        let rows = report::fold::rows(&t);
        for row in &rows.rows {
            let steps = match row {
                report::fold::Row::Step(i) => vec![*i],
                report::fold::Row::Fold(f) => f.steps.clone(),
            };
            for i in steps {
                assert!(
                    !t.steps[i].text.contains("runtime."),
                    "{name}: {:?}",
                    t.steps[i]
                );
            }
        }
        assert!(t.spans.iter().all(|s| !s.object.starts_with("runtime.")));
    }
}

/// A not-linearizable race's page draws every operation of its history as an interval, the
/// minimal history's in red, and prints the outcome's table with its line breaks.
#[test]
fn a_not_linearizable_timeline_draws_its_history_and_keeps_its_table() {
    for name in [
        "lease.linearizable.ttl-outlived.pctd3",
        "lease.linearizable.late-heartbeat-pexpire.pctd3",
        "sqlite.tickets.linearizable.implicit-rollback.pctd3",
    ] {
        let race = committed(name);
        let racecheck::Outcome::NotLinearizable {
            operations,
            minimal,
            ..
        } = &race.outcome
        else {
            panic!("{name}: not a not-linearizable race");
        };
        let timeline = report::Timeline::of(&race, "x.race");
        assert_eq!(timeline.operations.len(), *operations, "{name}");
        let page = report::html::page(&timeline, &[]);
        let witness = page.matches(r#"<g class="operation witness">"#).count();
        let others = page.matches(r#"<g class="operation">"#).count();
        assert_eq!(witness, minimal.len(), "{name}");
        assert_eq!(witness + others, *operations, "{name}");
        assert!(page.contains(r#"<pre class="outcome">"#), "{name}");
        // Each row of the table is a line of its own at the foot of the drawing too.
        for op in minimal {
            let called = format!("step {} @", op.called_step);
            assert!(
                page.lines()
                    .any(|l| l.contains(r#"class="outcome""#) && l.contains(&called)),
                "{name}: no outcome line with {called}"
            );
        }
    }
}
