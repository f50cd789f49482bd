//! The `racecheck` command line, over any [`Catalogue`].
//!
//! Exit status: 0 when every variant ended as it expects, 1 when one did not (a fix failed,
//! or a bug went unfound, or a replay diverged), 2 on bad input (a wrong flag, an unknown
//! scenario, a corrupt race file), each with a one-line message.

use crate::report::{self, CheckRow, FailureRace, ShrinkFigures, Summary, Totals};
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use racecheck::check::{BackendKind, CheckResult, Verdict, DEFAULT_DEPTH};
use racecheck::parallel::{self, Shard};
use racecheck::race::RaceFile;
use racecheck::reproduce::{self, ProductionLog, Reproduction, SearchBudget};
use racecheck::scenario::{Catalogue, Scenario, Variant};
use racecheck::shrink::ShrinkBudget;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Debug, Parser)]
#[command(
    name = "racecheck",
    version,
    about = "Explore concurrency models with loom, shuttle and real threads"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// List the scenarios, their variants and what each must end in.
    List,
    /// Check scenarios (all by default) and write a report and a race file per failure.
    Check(CheckArgs),
    /// How fast each scheduler finds each bug: a table written into reports/BENCHMARKS.md.
    Bench(crate::bench::BenchArgs),
    /// Replay a race file: same outcome and same steps, or where it diverged.
    Replay {
        /// A `.race` file written by `racecheck check`.
        file: PathBuf,
    },
    /// Draw a race file's timeline: an HTML page (inline SVG) and markdown with a Mermaid
    /// diagram.
    Report {
        /// A `.race` file.
        file: PathBuf,
        /// Where the two files go (named after the race file; a previous pair is replaced).
        #[arg(long, default_value = "reports/timelines")]
        out: PathBuf,
    },
    /// Find an execution whose events include a production log's, in its order, and write it
    /// as a race file.
    Reproduce(ReproduceArgs),
    /// Shrink a race file to a schedule with fewer preemptions and steps that fails the same
    /// way; writes `NAME.shrunk.race` beside it.
    Shrink {
        /// A `.race` file.
        file: PathBuf,
        /// Candidate executions to try at most.
        #[arg(long, default_value_t = 100_000)]
        attempts: usize,
        /// Wall-clock limit, in seconds.
        #[arg(long, default_value_t = 60.0)]
        time_limit: f64,
    },
}

#[derive(Debug, clap::Args)]
struct ReproduceArgs {
    /// The production log: one event a line, `[TIME] [[THREAD]] LABEL` (see the README).
    log: PathBuf,
    /// The scenario to search.
    #[arg(long)]
    scenario: String,
    /// The variant to search.
    #[arg(long)]
    variant: String,
    /// Execution k runs shuttle's random walk with seed SEED + k.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Executions to search at most.
    #[arg(long, default_value_t = 100_000)]
    iterations: u64,
    /// Wall-clock limit, in seconds.
    #[arg(long, default_value_t = 60.0)]
    time_limit: f64,
    /// Where the race file goes (never overwriting one).
    #[arg(long, default_value = "reports/reproduced")]
    out: PathBuf,
}

#[derive(Debug, clap::Args)]
struct CheckArgs {
    /// Scenario names, or prefixes of them (`sqlite` selects `sqlite.…`); all when omitted.
    scenarios: Vec<String>,
    /// Only this variant.
    #[arg(long)]
    variant: Option<String>,
    /// Backends to run (repeat or comma-separate); all when omitted.
    #[arg(long, value_parser = parse_backend, value_delimiter = ',')]
    backend: Vec<BackendKind>,
    /// Executions per check (default: loom/dfs 100000, random/pct 10000, threads 1000 for a
    /// fix and 20000 for a bug, stopping at its first failure).
    #[arg(long)]
    iterations: Option<u64>,
    /// Seed of the random and PCT schedulers.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// PCT depth.
    #[arg(long, default_value_t = DEFAULT_DEPTH)]
    depth: usize,
    /// loom's preemption bound (unbounded when omitted).
    #[arg(long)]
    preemption_bound: Option<usize>,
    /// Wall-clock limit of each check, in seconds (a fix that is not refuted by then is
    /// "not found"; a bug must be found by then).
    #[arg(long, default_value_t = 20.0)]
    time_limit: f64,
    /// Where the report and race files go (default: a new `reports/<time>/`, which
    /// `reports/latest` then points to).
    #[arg(long)]
    report: Option<PathBuf>,
    /// Save race files as found, without shrinking their schedules first.
    #[arg(long)]
    no_shrink: bool,
    /// OS threads for each random/PCT budget (default: every core); the executions and the
    /// first failure are the same whatever the number.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    workers: Option<u64>,
    /// Run shard i of n (1-based) of every random/PCT budget, for CI matrix jobs; loom, dfs
    /// and threads cannot split and run in shard 1 only. Shards own blocks of 1000
    /// executions in turn, so give each shard at least one (budget ≥ 1000·n).
    #[arg(long)]
    shard: Option<Shard>,
}

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
            let text = e.render().to_string();
            let first = text.lines().next().unwrap_or("invalid arguments");
            eprintln!("{first} (see `racecheck --help`)");
            return 2;
        }
    };
    match cli.command {
        Command::List => {
            print!("{}", list(&catalogue));
            0
        }
        Command::Check(args) => or_bad_input(check(&catalogue, &args)),
        Command::Replay { file } => replay(&catalogue, &file),
        Command::Bench(args) => or_bad_input(crate::bench::command(&catalogue, &args)),
        Command::Report { file, out } => or_bad_input(report_race(&file, &out)),
        Command::Reproduce(args) => or_bad_input(reproduce(&catalogue, &args)),
        Command::Shrink {
            file,
            attempts,
            time_limit,
        } => or_bad_input(shrink(&catalogue, &file, attempts, time_limit)),
    }
}

/// `racecheck … | head` ends quietly when `head` closes the pipe, as Unix tools do, instead of
/// panicking on the next line it prints. (Rust ignores SIGPIPE by default.)
fn die_quietly_on_closed_pipe() {
    #[cfg(unix)]
    // SAFETY: restores the default disposition of one signal before any thread is started.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

/// Run `f` with stderr silenced: shuttle writes a line to stderr for every failing execution,
/// and shrinking and reproducing run hundreds of them on purpose.
fn quietly<T>(f: impl FnOnce() -> T) -> T {
    let _gag = gag::Gag::stderr().ok();
    f()
}

/// A command's exit status, or 2 with its one-line error.
fn or_bad_input(result: Result<i32, String>) -> i32 {
    result.unwrap_or_else(|message| {
        eprintln!("error: {message}");
        2
    })
}

fn seconds(flag: &str, value: f64) -> Result<Duration, String> {
    if value > 0.0 && value.is_finite() {
        Ok(Duration::from_secs_f64(value))
    } else {
        Err(format!(
            "{flag} must be a positive number of seconds, not {value}"
        ))
    }
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
    /// The race file written for its failure, and what it holds.
    race: Option<(PathBuf, RaceFile)>,
    shrunk: Option<ShrinkFigures>,
    /// Shrinking found the race does not replay under shuttle (a tokio run records none of
    /// the runtime's steps; a weak-memory outcome only loom gives): it is saved as found.
    unreplayable: bool,
}

impl Row<'_> {
    fn met(&self) -> bool {
        let found = self.result.failure.as_ref().map(|f| &f.outcome);
        self.variant.is_met_by_outcome(self.result.backend, found)
    }
}

fn check(catalogue: &Catalogue, args: &CheckArgs) -> Result<i32, String> {
    let scenarios = select(catalogue, &args.scenarios)?;
    if let Some(v) = &args.variant {
        if !scenarios.iter().any(|s| s.find_variant(v).is_some()) {
            return Err(format!(
                "no selected scenario has a variant `{v}` (see `racecheck list`)"
            ));
        }
    }
    seconds("--time-limit", args.time_limit)?;
    let mut backends = if args.backend.is_empty() {
        BackendKind::ALL.to_vec()
    } else {
        args.backend.clone()
    };
    let shard = args.shard.unwrap_or_default();
    if !shard.is_first() {
        backends.retain(|b| matches!(b, BackendKind::Random | BackendKind::Pct));
        println!("shard {shard}: random and pct only (loom, dfs and threads run in shard 1)");
    }
    let started = humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string();
    let dir = match &args.report {
        Some(dir) => dir.clone(),
        None => new_run_dir(&started)?,
    };
    let races_dir = dir.join("races");

    let mut rows = Vec::new();
    for scenario in &scenarios {
        for variant in &scenario.variants {
            if args.variant.as_deref().is_some_and(|v| v != variant.name) {
                continue;
            }
            for &backend in &backends {
                let result = run_one(scenario, variant, backend, args);
                let mut race = None;
                let mut shrunk = None;
                let mut unreplayable = false;
                if let Some(f) = &result.failure {
                    let mut file = RaceFile::from_failure(scenario.name, variant.name, &result, f);
                    if !args.no_shrink {
                        let s = quietly(|| variant.shrink_failure(f, ShrinkBudget::default()));
                        if s.replayed {
                            file = file.with_execution(&s.outcome, &s.trace);
                            shrunk = Some(ShrinkFigures {
                                before: s.before,
                                after: s.after,
                                attempts: s.attempts,
                            });
                        } else {
                            unreplayable = true;
                        }
                    }
                    let path = file.save_new(&races_dir).map_err(|e| e.to_string())?;
                    race = Some((path, file));
                }
                let row = Row {
                    scenario,
                    variant,
                    result,
                    race,
                    shrunk,
                    unreplayable,
                };
                println!("{}", row_line(&row));
                rows.push(row);
            }
        }
    }
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
        return Ok(catalogue.scenarios.iter().collect());
    }
    let mut out: Vec<&Scenario> = Vec::new();
    for name in names {
        let found = catalogue.select(name);
        if found.is_empty() {
            let known: Vec<_> = catalogue.scenarios.iter().map(|s| s.name).collect();
            return Err(format!(
                "unknown scenario `{name}` (known: {})",
                known.join(", ")
            ));
        }
        for s in found {
            if !out.iter().any(|o| o.name == s.name) {
                out.push(s);
            }
        }
    }
    Ok(out)
}

fn run_one(
    scenario: &Scenario,
    variant: &Variant,
    backend: BackendKind,
    args: &CheckArgs,
) -> CheckResult {
    let mut check = variant
        .check()
        .backend(backend)
        .seed(args.seed)
        .depth(args.depth)
        .preemption_bound(
            args.preemption_bound
                .or(variant.loom_bound.map(|b| b.0))
                .filter(|_| backend == BackendKind::Loom),
        )
        .time_limit(Duration::from_secs_f64(args.time_limit))
        .shard(args.shard.unwrap_or_default())
        .workers(
            args.workers
                .map_or_else(parallel::available_workers, |n| n as usize),
        );
    check = check.executions(
        args.iterations
            .unwrap_or_else(|| variant.default_executions(backend)),
    );
    let share = match backend {
        BackendKind::Random | BackendKind::Pct => {
            args.shard.unwrap_or_default().share(check.budget())
        }
        _ => check.budget(),
    };
    let bar = ProgressBar::with_draw_target(Some(share), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{msg:40} [{bar:30}] {pos}/{len} {per_sec}")
            .expect("a valid template")
            .progress_chars("=> "),
    );
    bar.set_message(format!("{}/{} {backend}", scenario.name, variant.name));
    let progress = bar.clone();
    let result = check.on_progress(move |n| progress.set_position(n)).run();
    bar.finish_and_clear();
    result
}

fn found_text(r: &CheckResult) -> String {
    match &r.failure {
        Some(f) => format!("{} (execution {})", f.outcome.kind(), f.execution),
        None => r.verdict_text(),
    }
}

fn row_line(row: &Row<'_>) -> String {
    let r = &row.result;
    let mut line = format!(
        "{} {}/{} [{}]: {} in {} executions, {:.2} s",
        if row.met() { "ok  " } else { "FAIL" },
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
    if let Some((path, race)) = &row.race {
        let _ = write!(line, "\n     {}", race.outcome);
        if let Some(s) = &row.shrunk {
            let _ = write!(line, "\n     {s}");
        }
        if row.unreplayable {
            let _ = write!(
                line,
                "\n     note: this race does not replay step for step under shuttle, so it was saved unshrunk"
            );
        }
        let _ = write!(line, "\n     replay: racecheck replay {}", path.display());
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
            if let Some((path, race)) = &row.race {
                failures.push(FailureRace {
                    row: i,
                    race: race.clone(),
                    path: path.display().to_string(),
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
                },
                found: r.found(),
                message: r.failure.as_ref().map(|f| f.outcome.to_string()),
                executions: r.executions,
                first_failure: r.failure.as_ref().map(|f| f.execution),
                wall_time_s: (r.elapsed.as_secs_f64() * 1000.0).round() / 1000.0,
                met: row.met(),
                race_file: row.race.as_ref().map(|(p, _)| relative(p)),
                timeline: row
                    .race
                    .as_ref()
                    .map(|(p, _)| format!("timelines/{}", report::timeline_name(p))),
                shrink: row.shrunk.clone(),
            }
        })
        .collect();
    let summary = Summary {
        schema: report::SCHEMA.to_string(),
        version: report::SCHEMA_VERSION,
        racecheck: env!("CARGO_PKG_VERSION").to_string(),
        started,
        command: std::iter::once("racecheck".to_string())
            .chain(std::env::args().skip(1))
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

/// `racecheck report FILE`: the race's timeline as HTML and as markdown.
fn report_race(file: &Path, out: &Path) -> Result<i32, String> {
    let race = RaceFile::load(file).map_err(|e| e.to_string())?;
    let shown = file.display().to_string();
    let html_path = out.join(report::timeline_name(file));
    let md_path = html_path.with_extension("md");
    std::fs::create_dir_all(out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    let timeline = report::Timeline::of(&race, &shown);
    for (path, text) in [
        (&html_path, report::html::page(&timeline, &[])),
        (&md_path, report::race_markdown(&race, &shown, &[])),
    ] {
        let replaced = path.exists();
        std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        println!(
            "{}{}",
            path.display(),
            if replaced {
                " (replaced the previous one)"
            } else {
                ""
            }
        );
    }
    Ok(0)
}

/// `racecheck reproduce LOG --scenario S --variant V`.
fn reproduce(catalogue: &Catalogue, args: &ReproduceArgs) -> Result<i32, String> {
    let scenario = catalogue.find(&args.scenario).ok_or_else(|| {
        let known: Vec<_> = catalogue.scenarios.iter().map(|s| s.name).collect();
        format!(
            "unknown scenario `{}` (known: {})",
            args.scenario,
            known.join(", ")
        )
    })?;
    let variant = scenario.find_variant(&args.variant).ok_or_else(|| {
        let known: Vec<_> = scenario.variants.iter().map(|v| v.name).collect();
        format!(
            "`{}` has no variant `{}` (it has: {})",
            scenario.name,
            args.variant,
            known.join(", ")
        )
    })?;
    let log = ProductionLog::load(&args.log)?;
    let budget = SearchBudget {
        seed: args.seed,
        executions: args.iterations.max(1),
        time_limit: seconds("--time-limit", args.time_limit)?,
    };
    // stderr is silenced while searching (see `quietly`): the bar goes to stdout.
    let bar = ProgressBar::with_draw_target(Some(budget.executions), ProgressDrawTarget::stdout());
    let found = quietly(|| reproduce::reproduce(variant, &log, &budget, &|n| bar.set_position(n)))?;
    bar.finish_and_clear();
    let backend = "random";
    match found {
        Reproduction::Found {
            execution,
            seed,
            outcome,
            trace,
        } => {
            let race = RaceFile::new(
                scenario.name,
                variant.name,
                backend,
                (seed, 1),
                &outcome,
                &trace,
            );
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

/// `racecheck shrink FILE`.
fn shrink(
    catalogue: &Catalogue,
    file: &Path,
    attempts: usize,
    time_limit: f64,
) -> Result<i32, String> {
    let budget = ShrinkBudget {
        attempts: attempts.max(1),
        time_limit: seconds("--time-limit", time_limit)?,
    };
    let race = RaceFile::load(file).map_err(|e| e.to_string())?;
    let (_, variant) = race.resolve(catalogue, file).map_err(|e| e.to_string())?;
    let (smaller, shrunk) = quietly(|| race.shrink(variant, budget));
    if !shrunk.replayed {
        println!(
            "{} does not replay to its outcome any more (see `racecheck replay`), so it was not shrunk",
            file.display()
        );
        return Ok(1);
    }
    if shrunk.after == shrunk.before {
        println!(
            "{}: no smaller failing schedule found in {} attempts ({}); nothing written",
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
        "shrunk {} in {} attempts\n  before: {}\n  after:  {}\n  outcome: {}\nwrote {}",
        file.display(),
        shrunk.attempts,
        shrunk.before,
        shrunk.after,
        smaller.outcome,
        path.display()
    );
    Ok(0)
}

fn replay(catalogue: &Catalogue, file: &Path) -> i32 {
    let race = match RaceFile::load(file) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return 2;
        }
    };
    let (_, variant) = match race.resolve(catalogue, file) {
        Ok(found) => found,
        Err(e) => {
            eprintln!("error: {e}");
            return 2;
        }
    };
    let report = race.replay(variant);
    println!("{}", report.describe(&race));
    if report.reproduced() {
        0
    } else {
        1
    }
}

/// `--backend NAME`: the error lists the valid names.
fn parse_backend(name: &str) -> Result<BackendKind, String> {
    name.parse()
}
