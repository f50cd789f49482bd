//! The `racecheck` command line, over any [`Catalogue`].
//!
//! Exit status: 0 when every variant ended as it expects, 1 when one did not (a fix failed,
//! or a bug went unfound, or a replay diverged), 2 on bad input (a wrong flag, an unknown
//! scenario, a corrupt race file), each with a one-line message.

use crate::check::{BackendKind, CheckResult, DEFAULT_DEPTH};
use crate::parallel::{self, Shard};
use crate::race::RaceFile;
use crate::scenario::{Catalogue, Scenario, Variant};
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
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
}

#[derive(Debug, clap::Args)]
struct CheckArgs {
    /// Scenario names, or prefixes of them (`sqlite` selects `sqlite.…`); all when omitted.
    scenarios: Vec<String>,
    /// Only this variant.
    #[arg(long)]
    variant: Option<String>,
    /// Backends to run (repeat or comma-separate); all when omitted.
    #[arg(long, value_enum, value_delimiter = ',')]
    backend: Vec<BackendKind>,
    /// Executions per check (default: loom/dfs 100000, random/pct 10000, threads 1000).
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
    /// Where the report and race files go.
    #[arg(long, default_value = "reports/latest")]
    report: PathBuf,
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
        Command::Check(args) => match check(&catalogue, &args) {
            Ok(code) => code,
            Err(message) => {
                eprintln!("error: {message}");
                2
            }
        },
        Command::Replay { file } => replay(&catalogue, &file),
        Command::Bench(args) => match crate::bench::command(&catalogue, &args) {
            Ok(code) => code,
            Err(message) => {
                eprintln!("error: {message}");
                2
            }
        },
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
        }
    }
    out
}

/// One check of the run and what it found.
struct Row<'a> {
    scenario: &'a Scenario,
    variant: &'a Variant,
    result: CheckResult,
    race: Option<PathBuf>,
}

impl Row<'_> {
    fn met(&self) -> bool {
        self.variant
            .is_met_by(self.result.backend, self.result.found())
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
    if !(args.time_limit > 0.0 && args.time_limit.is_finite()) {
        return Err(format!(
            "--time-limit must be a positive number of seconds, not {}",
            args.time_limit
        ));
    }
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
    let races_dir = args.report.join("races");

    let mut rows = Vec::new();
    for scenario in &scenarios {
        for variant in &scenario.variants {
            if args.variant.as_deref().is_some_and(|v| v != variant.name) {
                continue;
            }
            for &backend in &backends {
                let result = run_one(scenario, variant, backend, args);
                let race = match &result.failure {
                    Some(f) => {
                        let race = RaceFile::from_failure(scenario.name, variant.name, &result, f);
                        Some(race.save_new(&races_dir).map_err(|e| e.to_string())?)
                    }
                    None => None,
                };
                let row = Row {
                    scenario,
                    variant,
                    result,
                    race,
                };
                println!("{}", row_line(&row));
                rows.push(row);
            }
        }
    }
    println!();
    print!("{}", summary_table(&rows));
    let path = write_summary(&args.report, &rows)?;
    println!(
        "\nreport: {} (each run replaces the previous one there)",
        path.display()
    );
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
        .preemption_bound(args.preemption_bound)
        .time_limit(Duration::from_secs_f64(args.time_limit))
        .shard(args.shard.unwrap_or_default())
        .workers(
            args.workers
                .map_or_else(parallel::available_workers, |n| n as usize),
        );
    if let Some(n) = args.iterations {
        check = check.executions(n);
    }
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
        None if r.complete => "verified".to_string(),
        None => "not found".to_string(),
    }
}

/// What the summary says a check should find: the variant's expectation, or for a backend
/// known not to reach the bug, that too.
fn expected_text(row: &Row<'_>) -> String {
    if row.variant.is_beyond_reach(row.result.backend) {
        format!(
            "{} (beyond {}'s reach)",
            row.variant.expect, row.result.backend
        )
    } else {
        row.variant.expect.to_string()
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
    if let (Some(f), Some(path)) = (&r.failure, &row.race) {
        let _ = write!(
            line,
            "\n     {}\n     replay: racecheck replay {}",
            f.outcome,
            path.display()
        );
    }
    line
}

fn summary_table(rows: &[Row<'_>]) -> String {
    let mut out = String::from(
        "| scenario | variant | backend | expected | found | executions | to first failure | wall time | ok |\n\
         |---|---|---|---|---|---|---|---|---|\n",
    );
    for row in rows {
        let r = &row.result;
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {:.2} s | {} |",
            row.scenario.name,
            row.variant.name,
            r.backend_label(),
            expected_text(row),
            found_text(r),
            r.executions,
            r.failure
                .as_ref()
                .map_or("-".to_string(), |f| f.execution.to_string()),
            r.elapsed.as_secs_f64(),
            if row.met() { "yes" } else { "**no**" },
        );
    }
    out
}

fn write_summary(dir: &Path, rows: &[Row<'_>]) -> Result<PathBuf, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let path = dir.join("summary.md");
    let text = format!("# racecheck summary\n\n{}", summary_table(rows));
    std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(path)
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
