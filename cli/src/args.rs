//! The command line's flags, their limits, and clap's errors as one line.
//!
//! Every value is checked here, while parsing, before any work starts: an out-of-range or
//! zero value is refused (exit 2), never rounded into range. The limits are what one run can
//! hold: a random or PCT budget takes a slot per block of 1,000 executions, a worker is an OS
//! thread, loom counts preemptions in a `u8`.

use crate::bench::BenchArgs;
use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{Parser, Subcommand};
use racecheck::check::{BackendKind, DEFAULT_DEPTH, DEFAULT_MAX_STEPS};
use racecheck::parallel::Shard;
use std::path::PathBuf;
use std::time::Duration;

/// The longest wall-clock limit a flag takes, in seconds: a day.
pub const MAX_SECONDS: f64 = 86_400.0;
/// The largest execution budget (`--iterations`, `--cap`, `--attempts`): 100 million.
pub const MAX_EXECUTIONS: u64 = 100_000_000;
/// The most OS threads one random or PCT budget runs on.
pub const MAX_WORKERS: u64 = 1024;
/// loom's largest preemption bound (loom keeps it in a `u8`).
pub const MAX_PREEMPTION_BOUND: u64 = u8::MAX as u64;
/// The deepest PCT: a change point per step of the longest execution.
pub const MAX_DEPTH: u64 = DEFAULT_MAX_STEPS as u64;
/// The most runs per scheduler `racecheck bench` makes.
pub const MAX_SEEDS: u64 = 100_000;

#[derive(Debug, Parser)]
#[command(
    name = "racecheck",
    version,
    about = "Explore concurrency models with loom, shuttle and real threads"
)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// List the scenarios, their variants and what each must end in.
    List,
    /// Check scenarios (all by default) and write a report and a race file per failure.
    Check(CheckArgs),
    /// How fast each scheduler finds each bug: a table written into reports/BENCHMARKS.md.
    Bench(BenchArgs),
    /// Replay a race file: same outcome and same steps, or where it diverged.
    Replay {
        /// A `.race` file written by `racecheck check`.
        file: PathBuf,
    },
    /// Draw a race file's timeline: an HTML page (inline SVG) and markdown with a Mermaid
    /// diagram.
    Report(ReportArgs),
    /// Find an execution whose events include a production log's, in its order, and write it
    /// as a race file.
    Reproduce(ReproduceArgs),
    /// Shrink a race file to a schedule with fewer preemptions and steps that fails the same
    /// way; writes `NAME.shrunk.race` beside it.
    Shrink(ShrinkArgs),
}

#[derive(Debug, clap::Args)]
pub(crate) struct ReportArgs {
    /// A `.race` file.
    pub file: PathBuf,
    /// Where the two files go, named after the race file. A pair `racecheck report` wrote
    /// before is replaced; any other file of that name (or the race file itself) is refused.
    #[arg(long, default_value = "reports/timelines")]
    pub out: PathBuf,
}

#[derive(Debug, clap::Args)]
pub(crate) struct ShrinkArgs {
    /// A `.race` file.
    pub file: PathBuf,
    /// Candidate executions to try at most (1 to 100000000).
    #[arg(long, default_value_t = 100_000, value_parser = executions, allow_negative_numbers = true)]
    pub attempts: u64,
    /// Wall-clock limit, in seconds (above 0, at most 86400: a day).
    #[arg(long, default_value_t = 60.0, value_parser = seconds, allow_negative_numbers = true)]
    pub time_limit: f64,
}

#[derive(Debug, clap::Args)]
pub(crate) struct ReproduceArgs {
    /// The production log: one event a line, `[TIME] [[THREAD]] LABEL` (see the README).
    pub log: PathBuf,
    /// The scenario to search.
    #[arg(long)]
    pub scenario: String,
    /// The variant to search.
    #[arg(long)]
    pub variant: String,
    /// Execution k runs shuttle's random walk with seed SEED + k (any u64).
    #[arg(long, default_value_t = 0, allow_negative_numbers = true)]
    pub seed: u64,
    /// Executions to search at most (1 to 100000000).
    #[arg(long, default_value_t = 100_000, value_parser = executions, allow_negative_numbers = true)]
    pub iterations: u64,
    /// Wall-clock limit, in seconds (above 0, at most 86400: a day).
    #[arg(long, default_value_t = 60.0, value_parser = seconds, allow_negative_numbers = true)]
    pub time_limit: f64,
    /// The directory the race file goes to (never overwriting one).
    #[arg(long, default_value = "reports/reproduced")]
    pub out: PathBuf,
}

#[derive(Debug, clap::Args)]
pub(crate) struct CheckArgs {
    /// Scenario names, or prefixes of them (`sqlite` selects `sqlite.…`); all when omitted.
    pub scenarios: Vec<String>,
    /// Only these variants (repeat or comma-separate); all when omitted.
    #[arg(long, value_delimiter = ',')]
    pub variant: Vec<String>,
    /// Backends to run (repeat or comma-separate); all when omitted.
    #[arg(long, value_parser = backend, value_delimiter = ',')]
    pub backend: Vec<BackendKind>,
    /// Executions per check, 1 to 100000000 (default: loom/dfs 100000, random/pct 10000,
    /// threads 1000 for a fix and 20000 for a bug, stopping at its first failure).
    #[arg(long, value_parser = executions, allow_negative_numbers = true)]
    pub iterations: Option<u64>,
    /// Seed of the random and PCT schedulers (any u64).
    #[arg(long, default_value_t = 0, allow_negative_numbers = true)]
    pub seed: u64,
    /// PCT depth (1 to 20000).
    #[arg(long, default_value_t = DEFAULT_DEPTH as u64, allow_negative_numbers = true,
          value_parser = clap::value_parser!(u64).range(1..=MAX_DEPTH))]
    pub depth: u64,
    /// loom's preemption bound, 0 to 255 (unbounded when omitted).
    #[arg(long, allow_negative_numbers = true,
          value_parser = clap::value_parser!(u64).range(0..=MAX_PREEMPTION_BOUND))]
    pub preemption_bound: Option<u64>,
    /// Wall-clock limit of each check, in seconds, above 0 and at most 86400 (a day): a fix
    /// not refuted by then is "not found"; a bug must be found by then.
    #[arg(long, default_value_t = 60.0, value_parser = seconds, allow_negative_numbers = true)]
    pub time_limit: f64,
    /// A new directory for the report and race files (default: a new `reports/<time>/`,
    /// which `reports/latest` then points to); one that already holds a report is refused.
    #[arg(long)]
    pub report: Option<PathBuf>,
    /// Save race files as found, without shrinking their schedules first.
    #[arg(long)]
    pub no_shrink: bool,
    /// OS threads for each random/PCT budget, 1 to 1024 (default: every core); the
    /// executions and the first failure are the same whatever the number.
    #[arg(long, allow_negative_numbers = true,
          value_parser = clap::value_parser!(u64).range(1..=MAX_WORKERS))]
    pub workers: Option<u64>,
    /// Run shard i of n (1-based) of every random/PCT budget, for CI matrix jobs; loom, dfs
    /// and threads cannot split and run in shard 1 only. Shards own blocks of 1000
    /// executions in turn: shard i needs a budget above 1000·(i−1), or it is refused.
    #[arg(long)]
    pub shard: Option<Shard>,
}

/// A wall-clock limit in seconds: above 0, finite, at most [`MAX_SECONDS`].
pub(crate) fn seconds(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(v) if v > 0.0 && v <= MAX_SECONDS => Ok(v),
        _ => Err(format!(
            "a number of seconds above 0 and at most {MAX_SECONDS} (a day) is needed, not `{text}`"
        )),
    }
}

/// A limit checked by [`seconds`] as a `Duration` (which cannot then overflow).
pub(crate) fn duration(secs: f64) -> Duration {
    Duration::from_secs_f64(secs.clamp(f64::MIN_POSITIVE, MAX_SECONDS))
}

/// An execution budget: 1 to [`MAX_EXECUTIONS`].
pub(crate) fn executions(text: &str) -> Result<u64, String> {
    match text.trim().parse::<u64>() {
        Ok(n) if (1..=MAX_EXECUTIONS).contains(&n) => Ok(n),
        _ => Err(format!(
            "a whole number from 1 to {MAX_EXECUTIONS} is needed, not `{text}`"
        )),
    }
}

/// `--backend NAME`: the error lists the valid names.
fn backend(name: &str) -> Result<BackendKind, String> {
    name.parse()
}

/// A clap error as one line: what is wrong, the flag or value it is about, the valid values
/// when there are few, and where the help is.
pub(crate) fn clap_error_line(e: &clap::Error, argv: &[String]) -> String {
    let get = |kind| e.get(kind).map(context_text);
    use clap::CommandFactory;
    let names: Vec<String> = Cli::command()
        .get_subcommands()
        .map(|c| c.get_name().to_string())
        .collect();
    let commands = || names.join(", ");
    // The subcommand, from clap's usage line or else from the first word that names one.
    let command = match get(ContextKind::Usage) {
        Some(usage) => command_of_usage(&usage),
        None => match argv.iter().find(|a| names.iter().any(|n| n == *a)) {
            Some(sub) => format!("racecheck {sub}"),
            None => "racecheck".to_string(),
        },
    };
    let mut line = match e.kind() {
        ErrorKind::MissingRequiredArgument => format!(
            "`{command}` needs {}",
            get(ContextKind::InvalidArg).unwrap_or_else(|| "more arguments".into())
        ),
        ErrorKind::MissingSubcommand | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            format!("`{command}` needs a command: {}", commands())
        }
        ErrorKind::InvalidSubcommand => format!(
            "unknown command `{}` (commands: {})",
            get(ContextKind::InvalidSubcommand).unwrap_or_default(),
            commands()
        ),
        _ => {
            let rendered = e.render().to_string();
            let first = rendered.lines().next().unwrap_or("invalid arguments");
            first.strip_prefix("error: ").unwrap_or(first).to_string()
        }
    };
    if let Some(valid) = get(ContextKind::ValidValue).filter(|v| !line.contains(v.as_str())) {
        line.push_str(&format!(" (valid: {valid})"));
    }
    let suggested =
        get(ContextKind::SuggestedArg).or_else(|| get(ContextKind::SuggestedSubcommand));
    if let Some(s) = suggested.filter(|s| !s.is_empty()) {
        line.push_str(&format!(" (did you mean `{s}`?)"));
    }
    format!("{line} (see `{command} --help`)")
}

/// `racecheck check` from clap's "Usage: racecheck check [OPTIONS] …".
fn command_of_usage(usage: &str) -> String {
    let words: Vec<&str> = usage
        .split_whitespace()
        .skip_while(|w| !w.starts_with("racecheck"))
        .take_while(|w| !w.starts_with(['-', '<', '[']))
        .collect();
    if words.is_empty() {
        "racecheck".to_string()
    } else {
        words.join(" ")
    }
}

fn context_text(value: &ContextValue) -> String {
    match value {
        ContextValue::String(s) => s.clone(),
        ContextValue::Strings(v) => v.join(", "),
        ContextValue::StyledStr(s) => s.to_string(),
        ContextValue::StyledStrs(v) => v
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", "),
        ContextValue::Number(n) => n.to_string(),
        ContextValue::Bool(b) => b.to_string(),
        _ => String::new(),
    }
}
