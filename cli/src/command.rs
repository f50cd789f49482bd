//! The `racecheck` command line, over any [`Catalogue`].
//!
//! Exit status: 0 when every variant ended as it expects, 1 when one did not (a fix failed,
//! or a bug went unfound, or a replay diverged), 2 on bad input (a wrong flag, an unknown
//! scenario, a corrupt race file, an output that would overwrite a file), each with a one-line
//! message, before any work starts.

use crate::args::{self, CheckArgs, Cli, Command, ReportArgs, ReproduceArgs, ShrinkArgs};
use crate::output;
use crate::pool;
use crate::progress::Progress;
use crate::report::{self, CheckRow, FailureRace, ShrinkFigures, Summary, Totals};
use clap::Parser;
use indicatif::{ProgressBar, ProgressDrawTarget};
use racecheck::check::{BackendKind, CheckResult, Verdict};
use racecheck::parallel::{self, BLOCK};
use racecheck::race::RaceFile;
use racecheck::reproduce::{self, ProductionLog, Reproduction, SearchBudget};
use racecheck::scenario::{Catalogue, Scenario, Variant};
use racecheck::shrink::ShrinkBudget;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Run the command line; returns the process exit status.
pub fn main(catalogue: Catalogue) -> i32 {
    die_quietly_on_closed_pipe();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => {
            // --help and --version
            let _ = e.print();
            return 0;
        }
        Err(e) => {
            let argv = lossy_args();
            return bad_input(&args::clap_error_line(&e, &argv));
        }
    };
    match cli.command {
        Command::List => {
            print!("{}", list(&catalogue));
            0
        }
        Command::Check(args) => or_bad_input(check(&catalogue, &args)),
        Command::Replay { file } => or_bad_input(replay(&catalogue, &file)),
        Command::Bench(args) => or_bad_input(crate::bench::command(&catalogue, &args)),
        Command::Report(args) => or_bad_input(report_race(&args)),
        Command::Reproduce(args) => or_bad_input(reproduce(&catalogue, &args)),
        Command::Shrink(args) => or_bad_input(shrink(&catalogue, &args)),
    }
}

/// `racecheck … | head` ends quietly when `head` closes the pipe, as Unix tools do, instead of
/// panicking on the next line it prints. (Rust ignores SIGPIPE by default.)
#[allow(unsafe_code)] // one libc call; no safe std API sets a signal's disposition
fn die_quietly_on_closed_pipe() {
    #[cfg(unix)]
    // SAFETY: restores the default disposition of one signal before any thread is started.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

/// Run `f` with stderr silenced: shuttle writes a line to stderr for every failing execution,
/// and shrinking and reproducing run hundreds of them on purpose.
///
/// The pool's workers share one silence, counted: `gag` redirects a descriptor once at a
/// time (a second `Gag::stderr()` fails while the first holds), so a worker shrinking while
/// another one already was ran unsilenced, and `check --workers 2` printed shuttle's "Test
/// deadlocked" lines from the shrinking of a deadlock.
fn quietly<T>(f: impl FnOnce() -> T) -> T {
    static SILENCE: Mutex<(usize, Option<gag::Gag>)> = Mutex::new((0, None));
    struct Leave;
    impl Drop for Leave {
        fn drop(&mut self) {
            let mut s = SILENCE.lock().unwrap_or_else(|p| p.into_inner());
            s.0 -= 1;
            if s.0 == 0 {
                s.1 = None;
            }
        }
    }
    {
        let mut s = SILENCE.lock().unwrap_or_else(|p| p.into_inner());
        if s.0 == 0 {
            s.1 = gag::Gag::stderr().ok();
        }
        s.0 += 1;
    }
    let _leave = Leave;
    f()
}

/// This process's arguments after the program name, as text (`std::env::args` panics on an
/// argument that is not UTF-8; a path may be one).
fn lossy_args() -> Vec<String> {
    std::env::args_os()
        .skip(1)
        .map(|a| a.to_string_lossy().into_owned())
        .collect()
}

/// A command's exit status, or 2 with its one-line error.
fn or_bad_input(result: Result<i32, String>) -> i32 {
    result.unwrap_or_else(|message| bad_input(&message))
}

/// Print `message` as one line on stderr (control characters escaped: a file name may hold a
/// newline) and give exit status 2.
fn bad_input(message: &str) -> i32 {
    let line: String = message
        .chars()
        .flat_map(|c| {
            let escaped: Vec<char> = if c.is_control() {
                c.escape_default().collect()
            } else {
                vec![c]
            };
            escaped
        })
        .collect();
    eprintln!("error: {line}");
    2
}

fn list(catalogue: &Catalogue) -> String {
    let mut out = String::new();
    for s in &catalogue.scenarios {
        let _ = writeln!(out, "{}  {}", s.name, s.about);
        for v in &s.variants {
            let _ = writeln!(
                out,
                "  {:<24} expect {:<11} {}",
                v.name,
                v.expect.to_string(),
                v.about
            );
            for (backend, why) in &v.beyond_reach {
                let _ = writeln!(out, "  {:<24} beyond {backend}'s reach: {why}", "");
            }
            if let Some((bound, why)) = v.loom_bound {
                let _ = writeln!(out, "  {:<24} loom at preemption bound {bound}: {why}", "");
            }
        }
    }
    out
}

/// One check of the run and what it found.
struct Row<'a> {
    scenario: &'a Scenario,
    variant: &'a Variant,
    result: CheckResult,
    /// The race file written for its failure, what it holds, and whether shrinking it hit
    /// the wall-clock safety net (its result then depends on the machine's speed).
    race: Option<(PathBuf, RaceFile, bool)>,
    shrunk: Option<ShrinkFigures>,
}

impl Row<'_> {
    fn met(&self) -> bool {
        // A backend that cannot run the model checked nothing: skipped, not failed.
        let found = self.result.failure.as_ref().map(|f| &f.outcome);
        self.result.unsupported.is_some()
            || self.variant.is_met_by_outcome(self.result.backend, found)
    }
}

fn check(catalogue: &Catalogue, args: &CheckArgs) -> Result<i32, String> {
    let scenarios = select(catalogue, &args.scenarios)?;
    for v in &args.variant {
        if let [only] = scenarios.as_slice() {
            only.variant_named(v).map_err(|e| e.to_string())?;
        } else if !scenarios.iter().any(|s| s.find_variant(v).is_some()) {
            return Err(format!(
                "no selected scenario has a variant `{v}` (see `racecheck list`)"
            ));
        }
    }
    let mut backends = if args.backend.is_empty() {
        BackendKind::ALL.to_vec()
    } else {
        args.backend.clone()
    };
    let shard = args.shard.unwrap_or_default();
    if !shard.is_first() {
        backends.retain(|b| b.is_seeded());
        if backends.is_empty() {
            return Err(format!(
                "--shard {shard} runs the seeded schedulers only (random, pct, urw, pos, reads-from, portfolio; loom, dfs and threads run in shard 1), and --backend selects neither"
            ));
        }
    }
    let checks: Vec<(&Scenario, &Variant, BackendKind)> = scenarios
        .iter()
        .flat_map(|s| s.variants.iter().map(move |v| (*s, v)))
        .filter(|(_, v)| args.variant.is_empty() || args.variant.iter().any(|n| n == v.name))
        .flat_map(|(s, v)| backends.iter().map(move |&b| (s, v, b)))
        .collect();
    for &(scenario, variant, backend) in &checks {
        let budget = budget_of(variant, backend, args);
        if backend.is_seeded() && shard.share(budget) == 0 {
            let need = (shard.number() - 1).saturating_mul(BLOCK);
            let fix = if need < args::MAX_EXECUTIONS {
                format!("give --iterations above {need}")
            } else {
                format!(
                    "no budget of at most {} reaches shard {}: use fewer shards",
                    args::MAX_EXECUTIONS,
                    shard.number()
                )
            };
            return Err(format!(
                "--shard {shard} gets no executions of {}/{}'s {backend} budget of {budget}: shards take blocks of {BLOCK} in turn, so {fix}",
                scenario.name,
                variant.name,
            ));
        }
    }
    if let Some(dir) = &args.report {
        output::fresh_report_dir(dir)?;
    }
    if !shard.is_first() {
        println!(
            "shard {shard}: the seeded schedulers only (loom, dfs and threads run in shard 1)"
        );
    }
    let started = humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string();
    let dir = match &args.report {
        Some(dir) => dir.clone(),
        None => new_run_dir(&started)?,
    };
    let races_dir = dir.join("races");
    // What real threads found depends on the OS as well as the seed: those races go apart, so
    // that `races/` holds only what seeds and counts decide, byte for byte on any machine.
    let threads_races_dir = dir.join("threads-races");

    let workers = args
        .workers
        .map_or_else(parallel::available_workers, |n| n as usize);
    let name =
        |&(s, v, b): &(&Scenario, &Variant, BackendKind)| format!("{}/{} [{b}]", s.name, v.name);
    let progress = Progress::start(checks.len());
    let mut rows = Vec::new();
    let run = pool::run_ordered(
        &checks,
        workers,
        |job| {
            let (scenario, variant, backend) = *job;
            let result = run_one(variant, backend, args);
            // Replaying, repairing and shrinking the race is work too: done on the worker.
            let prepared = result.failure.as_ref().map(|f| {
                let budget = (!args.no_shrink).then(ShrinkBudget::default);
                quietly(|| RaceFile::prepare(scenario.name, variant, &result, f, budget))
            });
            progress.end(&name(job));
            (scenario, variant, result, prepared)
        },
        |i| progress.begin(name(&checks[i])),
        |_, (scenario, variant, result, prepared)| {
            let mut race = None;
            let mut shrunk = None;
            if let Some(prepared) = prepared {
                shrunk = prepared.shrunk.as_ref().map(|s| ShrinkFigures {
                    before: s.before,
                    after: s.after,
                    attempts: s.attempts,
                });
                let timed_out = prepared.shrunk.as_ref().is_some_and(|s| s.timed_out);
                let file = prepared.race;
                let into = match result.backend {
                    BackendKind::Threads => &threads_races_dir,
                    _ => &races_dir,
                };
                let path = file.save_new(into).map_err(|e| e.to_string())?;
                race = Some((path, file, timed_out));
            }
            let row = Row {
                scenario,
                variant,
                result,
                race,
                shrunk,
            };
            progress.clear_line();
            println!("{}", row_line(&row));
            rows.push(row);
            Ok::<(), String>(())
        },
    );
    progress.finish();
    run?;
    let (summary, failures) = summary_of(&rows, &dir, started);
    let path = report::write_run(&dir, &summary, &failures)?;
    println!("\nreport: {}", path.display());
    if args.report.is_none() {
        point_latest_at(&dir);
    }
    let unmet = rows.iter().filter(|r| !r.met()).count();
    if unmet > 0 {
        println!("{unmet} of {} checks did not end as expected", rows.len());
        Ok(1)
    } else {
        println!("all {} checks ended as expected", rows.len());
        Ok(0)
    }
}

fn select<'c>(catalogue: &'c Catalogue, names: &[String]) -> Result<Vec<&'c Scenario>, String> {
    if names.is_empty() {
        return Ok(catalogue.everything().collect());
    }
    let mut out: Vec<&Scenario> = Vec::new();
    for name in names {
        for s in catalogue.select_some(name).map_err(|e| e.to_string())? {
            if !out.iter().any(|o| o.name == s.name) {
                out.push(s);
            }
        }
    }
    Ok(out)
}

/// One check as the flags say. Each check runs on one OS thread: the run spreads checks over
/// the cores instead, and a check's executions do not depend on its workers.
fn run_one(variant: &Variant, backend: BackendKind, args: &CheckArgs) -> CheckResult {
    variant
        .check()
        .backend(backend)
        .seed(args.seed)
        .depth(args.depth as usize)
        .preemption_bound(
            args.preemption_bound
                .map(|b| b as usize)
                .or(variant.loom_bound.map(|b| b.0))
                .filter(|_| backend == BackendKind::Loom),
        )
        .time_limit(args::duration(args.time_limit))
        .shard(args.shard.unwrap_or_default())
        .workers(1)
        .executions(budget_of(variant, backend, args))
        .run()
}

/// The executions a check of `variant` under `backend` gets: `--iterations` or its default.
fn budget_of(variant: &Variant, backend: BackendKind, args: &CheckArgs) -> u64 {
    args.iterations
        .unwrap_or_else(|| variant.default_executions(backend))
}

fn found_text(r: &CheckResult) -> String {
    if let Some(reason) = &r.unsupported {
        return format!("skipped ({reason})");
    }
    match &r.failure {
        Some(f) => format!("{} (execution {})", f.outcome.kind(), f.execution),
        None if r.time_limited => format!(
            "{}, stopped by the time limit ({} s; not reproducible)",
            r.verdict_text(),
            r.time_limit.as_secs()
        ),
        None => r.verdict_text(),
    }
}

fn row_line(row: &Row<'_>) -> String {
    let r = &row.result;
    let mut line = format!(
        "{} {}/{} [{}]: {} in {} executions, {:.2} s",
        if row.result.unsupported.is_some() {
            "skip"
        } else if row.met() {
            "ok  "
        } else {
            "FAIL"
        },
        row.scenario.name,
        row.variant.name,
        r.backend_label(),
        found_text(r),
        r.executions,
        r.elapsed.as_secs_f64(),
    );
    if let (Some(f), Some(pattern)) = (&r.failure, row.variant.expect_failure) {
        if row.variant.is_different_failure(&f.outcome) {
            let _ = write!(
                line,
                "\n     a different failure: the variant expects one matching `{pattern}`"
            );
        }
    }
    if let Some((path, race, timed_out)) = &row.race {
        let _ = write!(line, "\n     {}", race.outcome);
        if let Some(s) = &row.shrunk {
            let _ = write!(line, "\n     {s}");
        }
        if *timed_out {
            let _ = write!(
                line,
                "\n     note: shrinking hit its wall-clock safety net before its count of candidates"
            );
        }
        if let Some(from) = &race.derived_from {
            let _ = write!(line, "\n     note: {from}");
        }
        if race.replayable {
            let _ = write!(line, "\n     replay: racecheck replay {}", path.display());
        } else {
            let _ = write!(
                line,
                "\n     not replayable: {}\n     race file: {}",
                race.not_replayable
                    .as_deref()
                    .unwrap_or("its replay diverges"),
                path.display()
            );
        }
    }
    line
}

/// The run as `summary.json` says it, and its failures' races for the timelines.
fn summary_of(rows: &[Row<'_>], dir: &Path, started: String) -> (Summary, Vec<FailureRace>) {
    let mut failures = Vec::new();
    let checks: Vec<CheckRow> = rows
        .iter()
        .enumerate()
        .map(|(i, row)| {
            let r = &row.result;
            let relative = |p: &Path| {
                p.strip_prefix(dir)
                    .unwrap_or(p)
                    .to_string_lossy()
                    .into_owned()
            };
            if let Some((path, race, _)) = &row.race {
                failures.push(FailureRace {
                    row: i,
                    race: race.clone(),
                    path: path.display().to_string(),
                    replayable: race.replayable,
                });
            }
            CheckRow {
                scenario: row.scenario.name.to_string(),
                variant: row.variant.name.to_string(),
                backend: r.backend_label(),
                backend_kind: r.backend,
                seed: r.seed,
                expected: row.variant.expect.to_string(),
                beyond_reach: row.variant.is_beyond_reach(r.backend),
                verdict: match r.verdict() {
                    Verdict::Found(_) => "found".to_string(),
                    Verdict::Verified => r.verdict_text(),
                    Verdict::NotFound => "not-found".to_string(),
                    Verdict::Unsupported => "unsupported".to_string(),
                },
                found: r.found(),
                message: r.failure.as_ref().map(|f| f.outcome.to_string()),
                executions: r.executions,
                first_failure: r.failure.as_ref().map(|f| f.execution),
                wall_time_s: (r.elapsed.as_secs_f64() * 1000.0).round() / 1000.0,
                met: row.met(),
                race_file: row.race.as_ref().map(|(p, _, _)| relative(p)),
                timeline: row
                    .race
                    .as_ref()
                    .map(|(p, _, _)| format!("timelines/{}", report::timeline_name(p))),
                shrink: row.shrunk.clone(),
                stopped_by_time_limit: r.time_limited,
            }
        })
        .collect();
    let summary = Summary {
        schema: report::SCHEMA.to_string(),
        version: report::SCHEMA_VERSION,
        racecheck: env!("CARGO_PKG_VERSION").to_string(),
        started,
        command: std::iter::once("racecheck".to_string())
            .chain(lossy_args())
            .collect(),
        totals: Totals::of(&checks),
        checks,
    };
    (summary, failures)
}

/// A new directory for this run's report: `reports/<time>`, or `reports/<time>.N` if a run
/// in the same second took that name.
fn new_run_dir(started: &str) -> Result<PathBuf, String> {
    let base = Path::new("reports");
    std::fs::create_dir_all(base).map_err(|e| format!("cannot create {}: {e}", base.display()))?;
    let stem = started.replace(':', "-");
    for n in 1.. {
        let dir = if n == 1 {
            base.join(&stem)
        } else {
            base.join(format!("{stem}.{n}"))
        };
        match std::fs::create_dir(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(format!("cannot create {}: {e}", dir.display())),
        }
    }
    unreachable!("some directory name is free")
}

/// Point `reports/latest` at this run's directory. A `latest` that is not a link (a report
/// an older racecheck wrote there) is left alone, and said so.
fn point_latest_at(dir: &Path) {
    let latest = Path::new("reports/latest");
    let Some(name) = dir.file_name() else { return };
    match std::fs::symlink_metadata(latest) {
        Ok(m) if !m.file_type().is_symlink() => {
            println!(
                "note: {} is not a link, so it was left as it is; this run is in {}",
                latest.display(),
                dir.display()
            );
            return;
        }
        Ok(_) => {
            let _ = std::fs::remove_file(latest);
        }
        Err(_) => {}
    }
    #[cfg(unix)]
    if let Err(e) = std::os::unix::fs::symlink(name, latest) {
        println!(
            "note: cannot point {} at {}: {e}",
            latest.display(),
            dir.display()
        );
    }
}

/// `racecheck report FILE`: the race's timeline as HTML and as markdown, never over a file
/// `racecheck report` did not write, nor over the race file.
fn report_race(args: &ReportArgs) -> Result<i32, String> {
    let (file, out) = (&args.file, &args.out);
    let race = RaceFile::load(file).map_err(|e| e.to_string())?;
    let shown = file.display().to_string();
    let html_path = out.join(report::timeline_name(file));
    let md_path = html_path.with_extension("md");
    if out.exists() && !out.is_dir() {
        return Err(format!(
            "--out {}: it is a file, not a directory",
            out.display()
        ));
    }
    let replaced = [
        output::replaceable(&html_path, file)?,
        output::replaceable(&md_path, file)?,
    ];
    output::writable_dir("--out", out)?;
    let timeline = report::Timeline::of(&race, &shown);
    let markdown = format!(
        "{} drawn from {shown}; `racecheck report` replaces this file -->\n{}",
        output::MARKDOWN_MARK,
        report::race_markdown(&race, &shown, &[])
    );
    for ((path, text), replaced) in [
        (&html_path, report::html::page(&timeline, &[])),
        (&md_path, markdown),
    ]
    .into_iter()
    .zip(replaced)
    {
        std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        println!(
            "wrote {}{}",
            path.display(),
            if replaced {
                " (replaced the one racecheck report wrote before)"
            } else {
                ""
            }
        );
    }
    Ok(0)
}

/// `racecheck reproduce LOG --scenario S --variant V`.
fn reproduce(catalogue: &Catalogue, args: &ReproduceArgs) -> Result<i32, String> {
    let scenario = catalogue
        .scenario_named(&args.scenario)
        .map_err(|e| e.to_string())?;
    let variant = scenario
        .variant_named(&args.variant)
        .map_err(|e| e.to_string())?;
    let log = ProductionLog::load(&args.log)?;
    output::writable_dir("--out", &args.out)?;
    let budget = SearchBudget {
        seed: args.seed,
        executions: args.iterations,
        time_limit: args::duration(args.time_limit),
    };
    // stderr is silenced while searching (see `quietly`): the bar goes to stdout.
    let bar = ProgressBar::with_draw_target(Some(budget.executions), ProgressDrawTarget::stdout());
    let found = quietly(|| {
        reproduce::reproduce_in(scenario, variant, &log, &budget, &|n| bar.set_position(n))
    })?;
    bar.finish_and_clear();
    let backend = "random";
    match found {
        Reproduction::Found {
            execution,
            seed,
            outcome,
            trace,
        } => {
            let mut race = RaceFile::new(
                scenario.name,
                variant.name,
                backend,
                (seed, 1),
                &outcome,
                &trace,
            );
            race.model = Some(variant.fingerprint());
            let path = race.save_new(&args.out).map_err(|e| e.to_string())?;
            println!(
                "reproduced {}'s {} events in execution {execution} ({backend}, seed {seed}); it ended in: {outcome}",
                args.log.display(),
                log.entries.len()
            );
            println!(
                "race file: {}\nreplay: racecheck replay {}",
                path.display(),
                path.display()
            );
            Ok(0)
        }
        Reproduction::NeverLogs {
            entry,
            logged_by,
            instead,
        } => {
            let instead: Vec<String> = instead.iter().map(|l| format!("`{l}`")).collect();
            println!(
                "not reproducible by `{}`: it never logs `{}`{}; line {} of {} is an event of `{logged_by}`",
                variant.name,
                entry.shown(),
                if instead.is_empty() {
                    String::new()
                } else {
                    format!(" (it logs {})", instead.join(", "))
                },
                entry.line,
                args.log.display(),
            );
            Ok(1)
        }
        Reproduction::NotFound {
            executions,
            matched,
        } => {
            let missing = &log.entries[matched];
            println!(
                "not reproduced in {executions} executions ({backend}): {} was never reached{}",
                missing.describe(),
                if matched == 0 {
                    String::new()
                } else {
                    format!(" after the {matched} events before it")
                }
            );
            Ok(1)
        }
    }
}

/// A race a user's `cargo test` saved runs a closure of that test, which no catalogue has:
/// the error says how to replay it where the test is (its variant is the test's name).
fn saved_by_a_test(catalogue: &Catalogue, race: &RaceFile, file: &Path) -> Result<(), String> {
    if race.scenario != racecheck::test_api::USER_SCENARIO
        || catalogue.find(&race.scenario).is_some()
    {
        return Ok(());
    }
    Err(format!(
        "{file} was saved by the cargo test `{test}` ({backend}), whose model only that test \
         has: replay it in that test's crate with {var}={file} cargo test {test}",
        file = file.display(),
        test = race.variant,
        backend = race.backend,
        var = racecheck::test_api::env::REPLAY,
    ))
}

/// `racecheck shrink FILE`.
fn shrink(catalogue: &Catalogue, args: &ShrinkArgs) -> Result<i32, String> {
    let file = &args.file;
    let budget = ShrinkBudget {
        attempts: usize::try_from(args.attempts).unwrap_or(usize::MAX),
        time_limit: args::duration(args.time_limit),
    };
    let race = RaceFile::load(file).map_err(|e| e.to_string())?;
    saved_by_a_test(catalogue, &race, file)?;
    let (_, variant) = race.resolve(catalogue, file).map_err(|e| e.to_string())?;
    output::writable_dir("the directory of", &output::parent_of(file))?;
    let (smaller, shrunk) = quietly(|| race.shrink(variant, budget));
    if !shrunk.replayed {
        println!(
            "{} does not replay to its outcome any more (see `racecheck replay`), so it was not shrunk",
            file.display()
        );
        return Ok(1);
    }
    let stopped = match (shrunk.fixpoint, shrunk.timed_out) {
        (true, _) => "",
        (false, true) => " (stopped by the wall-clock limit before the attempts ran out)",
        (false, false) => " (stopped by --attempts before a fixpoint)",
    };
    if shrunk.after == shrunk.before {
        println!(
            "{}: no smaller failing schedule found in {} attempts ({}){stopped}; nothing written",
            file.display(),
            shrunk.attempts,
            shrunk.before
        );
        return Ok(0);
    }
    let stem = file.file_stem().unwrap_or_default().to_string_lossy();
    let path = smaller
        .save_beside(&file.with_file_name(format!("{stem}.shrunk.race")))
        .map_err(|e| e.to_string())?;
    println!(
        "shrunk {} in {} attempts{stopped}\n  before: {}\n  after:  {}\n  outcome: {}\nrace file: {}",
        file.display(),
        shrunk.attempts,
        shrunk.before,
        shrunk.after,
        smaller.outcome,
        path.display()
    );
    Ok(0)
}

fn replay(catalogue: &Catalogue, file: &Path) -> Result<i32, String> {
    let race = RaceFile::load(file).map_err(|e| e.to_string())?;
    saved_by_a_test(catalogue, &race, file)?;
    let (_, variant) = race.resolve(catalogue, file).map_err(|e| e.to_string())?;
    let report = race.replay(variant);
    println!("{}", report.describe(&race));
    Ok(if report.reproduced() { 0 } else { 1 })
}
