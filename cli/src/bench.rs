//! How fast each scheduler finds each bug: the bug-finding table of `racecheck bench`.
//!
//! For every variant that must fail and every scheduler (random, PCT d=1,2,3, DFS, loom, and
//! real threads as the baseline a user would otherwise have), the executions and the wall time
//! to the first failure of the expected kind, median over seeds, with a cap. Random, PCT and
//! real threads run once per seed (real threads are seeded only by chance: each run is a fresh
//! try). loom and DFS are deterministic and run once; the table says so rather than repeating
//! them. A run that does not find the bug within the cap counts as above every finding, so a
//! median can be "not found within the cap" too. Runs use one worker each, so wall times are
//! comparable across schedulers.

use racecheck::check::BackendKind;
use racecheck::scenario::{Catalogue, Variant};
use racecheck::Expect;
use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

/// One column of the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheduler {
    Random,
    Pct(usize),
    Dfs,
    Loom,
    Threads,
}

impl Scheduler {
    /// The columns, in the table's order.
    pub const ALL: [Scheduler; 7] = [
        Scheduler::Random,
        Scheduler::Pct(1),
        Scheduler::Pct(2),
        Scheduler::Pct(3),
        Scheduler::Dfs,
        Scheduler::Loom,
        Scheduler::Threads,
    ];

    pub fn label(self) -> String {
        match self {
            Scheduler::Pct(d) => format!("pct d={d}"),
            Scheduler::Random => "random".into(),
            Scheduler::Dfs => "dfs".into(),
            Scheduler::Loom => "loom".into(),
            Scheduler::Threads => "threads (stress)".into(),
        }
    }

    /// loom and DFS explore in a fixed order: one run says all there is.
    pub fn is_deterministic(self) -> bool {
        matches!(self, Scheduler::Dfs | Scheduler::Loom)
    }

    fn backend(self) -> BackendKind {
        match self {
            Scheduler::Random => BackendKind::Random,
            Scheduler::Pct(_) => BackendKind::Pct,
            Scheduler::Dfs => BackendKind::Dfs,
            Scheduler::Loom => BackendKind::Loom,
            Scheduler::Threads => BackendKind::Threads,
        }
    }
}

/// What the table runs.
#[derive(Clone, Debug)]
pub struct TableOptions {
    /// Runs per randomized scheduler (seeds 0..seeds) and of real threads.
    pub seeds: u64,
    /// At most this many executions per run.
    pub cap: u64,
    /// At most this much wall time per run (real threads of a lease model take milliseconds
    /// per execution).
    pub time_cap: Duration,
    /// Scenario names or prefixes; every scenario when empty.
    pub scenarios: Vec<String>,
}

impl Default for TableOptions {
    fn default() -> Self {
        TableOptions {
            seeds: 20,
            cap: 1000,
            time_cap: Duration::from_secs(5),
            scenarios: Vec::new(),
        }
    }
}

/// One run: the executions and wall time to the expected failure, if found within the caps.
#[derive(Clone, Copy, Debug)]
pub struct Run {
    pub found: Option<(u64, Duration)>,
    /// Executions run (the cap, or fewer when the time cap came first).
    pub executions: u64,
    /// A failure of another kind than the variant expects ended the run.
    pub other_failure: bool,
}

/// One cell: a scheduler's runs on one variant.
#[derive(Clone, Debug)]
pub struct Cell {
    pub scheduler: Scheduler,
    pub runs: Vec<Run>,
    /// The catalogue says this backend does not reach the bug.
    pub beyond_reach: bool,
}

impl Cell {
    pub fn found(&self) -> usize {
        self.runs.iter().filter(|r| r.found.is_some()).count()
    }

    /// The median executions and wall time to the first failure; `None` when the median run
    /// found nothing within the cap. Not-found runs sort above every finding.
    pub fn median(&self) -> Option<(u64, Duration)> {
        let mut found: Vec<(u64, Duration)> = self.runs.iter().filter_map(|r| r.found).collect();
        let mid = (self.runs.len() - 1) / 2;
        if mid >= found.len() {
            return None;
        }
        found.sort_by_key(|f| f.0);
        let execs = found[mid].0;
        found.sort_by_key(|f| f.1);
        Some((execs, found[mid].1))
    }
}

/// One row: a bug variant under every scheduler.
#[derive(Clone, Debug)]
pub struct Row {
    pub scenario: &'static str,
    pub variant: &'static str,
    pub cells: Vec<Cell>,
    /// Of [`SAMPLES`] single random executions (seeds 0..), how many fail as expected: a bug
    /// in all of them needs neither scheduling nor a choice to show.
    pub failing: u64,
}

/// Single executions sampled per bug for [`Row::failing`].
pub const SAMPLES: u64 = 200;

/// How many of [`SAMPLES`] single random executions of `variant` fail as it expects.
fn failing_executions(variant: &Variant) -> u64 {
    (0..SAMPLES)
        .filter(|&seed| {
            let r = variant
                .check()
                .backend(BackendKind::Random)
                .seed(seed)
                .executions(1)
                .workers(1)
                .run();
            r.failure.is_some()
                && variant
                    .is_met_by_outcome(BackendKind::Random, r.failure.as_ref().map(|f| &f.outcome))
        })
        .count() as u64
}

impl Row {
    /// The scheduler with the fewest median executions to the failure, and that median.
    pub fn best(&self) -> Option<(Scheduler, u64)> {
        self.cells
            .iter()
            .filter_map(|c| c.median().map(|(e, _)| (c.scheduler, e)))
            .min_by_key(|(_, e)| *e)
    }

    /// The best PCT depth's median executions.
    pub fn best_pct(&self) -> Option<u64> {
        self.cells
            .iter()
            .filter(|c| matches!(c.scheduler, Scheduler::Pct(_)))
            .filter_map(|c| c.median().map(|(e, _)| e))
            .min()
    }
}

/// The whole table, with what it ran.
#[derive(Clone, Debug)]
pub struct Table {
    pub options: TableOptions,
    pub rows: Vec<Row>,
}

/// Run every bug variant of `catalogue` (those that must fail) under every scheduler.
/// `progress` is called after each row.
pub fn finding_table(
    catalogue: &Catalogue,
    options: &TableOptions,
    progress: impl Fn(&Row),
) -> Table {
    let mut rows = Vec::new();
    for scenario in &catalogue.scenarios {
        let selected = options.scenarios.is_empty()
            || options
                .scenarios
                .iter()
                .any(|n| scenario.name == n || scenario.name.starts_with(&format!("{n}.")));
        if !selected {
            continue;
        }
        for variant in &scenario.variants {
            if variant.expect == Expect::Pass {
                continue;
            }
            let cells = Scheduler::ALL
                .iter()
                .map(|&s| Cell {
                    scheduler: s,
                    runs: runs(variant, s, options),
                    beyond_reach: variant.is_beyond_reach(s.backend()),
                })
                .collect();
            let row = Row {
                scenario: scenario.name,
                variant: variant.name,
                cells,
                failing: failing_executions(variant),
            };
            progress(&row);
            rows.push(row);
        }
    }
    Table {
        options: options.clone(),
        rows,
    }
}

fn runs(variant: &Variant, scheduler: Scheduler, options: &TableOptions) -> Vec<Run> {
    let seeds = if scheduler.is_deterministic() {
        1
    } else {
        options.seeds.max(1)
    };
    (0..seeds)
        .map(|seed| {
            let mut check = variant
                .check()
                .backend(scheduler.backend())
                .seed(seed)
                .executions(options.cap)
                .time_limit(options.time_cap)
                .workers(1);
            if let Scheduler::Pct(d) = scheduler {
                check = check.depth(d);
            }
            let r = check.run();
            // The failure the variant names, not only one of its kind.
            let expected = r.failure.is_some()
                && variant
                    .is_met_by_outcome(scheduler.backend(), r.failure.as_ref().map(|f| &f.outcome));
            Run {
                found: r
                    .failure
                    .as_ref()
                    .filter(|_| expected)
                    .map(|f| (f.execution, r.elapsed)),
                executions: r.executions,
                other_failure: r.failure.is_some() && !expected,
            }
        })
        .collect()
}

/// A duration as a person reads it in a table: µs, ms or s.
fn short(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s < 1e-3 {
        format!("{:.0} µs", s * 1e6)
    } else if s < 1.0 {
        format!("{:.1} ms", s * 1e3)
    } else {
        format!("{s:.2} s")
    }
}

impl Table {
    /// The table, the targets' verdicts and the legend, as markdown.
    pub fn markdown(&self) -> String {
        let o = &self.options;
        let mut out = String::new();
        let _ = writeln!(
            out,
            "Executions to the first failure of the expected kind, median over {} runs (seeds \
             0–{}), and the median wall time to it; cap {} executions or {} per run. loom and \
             DFS are deterministic: one run (marked ¹). `—` not found within the cap by the \
             median run; `k/n` how many runs found it when not all did; † the catalogue marks \
             the backend as beyond this bug's reach; ‡ a run ended in a failure of another kind \
             (or another failure than the one the variant names). *fails in*: how many of {SAMPLES} \
             single random executions (seeds 0–{}) fail as expected; {SAMPLES}/{SAMPLES} is a bug \
             every execution shows, whatever the schedule and the chosen durations.\n",
            o.seeds,
            o.seeds.saturating_sub(1),
            o.cap,
            short(o.time_cap),
            SAMPLES - 1,
        );
        out.push_str("| scenario / variant | fails in |");
        for s in Scheduler::ALL {
            let _ = write!(out, " {} |", s.label());
        }
        out.push_str(" best |\n|---|---|");
        for _ in Scheduler::ALL {
            out.push_str("---|");
        }
        out.push_str("---|\n");
        for row in &self.rows {
            let _ = write!(
                out,
                "| {}/{} | {}/{SAMPLES} |",
                row.scenario, row.variant, row.failing
            );
            for cell in &row.cells {
                let mut text = match cell.median() {
                    Some((e, t)) => format!("{e} · {}", short(t)),
                    None => "—".to_string(),
                };
                if cell.scheduler.is_deterministic() {
                    text.push('¹');
                } else if cell.found() < cell.runs.len() {
                    let _ = write!(text, " ({}/{})", cell.found(), cell.runs.len());
                }
                if cell.beyond_reach {
                    text.push('†');
                }
                if cell.runs.iter().any(|r| r.other_failure) {
                    text.push('‡');
                }
                let _ = write!(out, " {text} |");
            }
            match row.best() {
                Some((_, e)) => {
                    // Every scheduler that reaches the best median: ties are common.
                    let tied: Vec<String> = row
                        .cells
                        .iter()
                        .filter(|c| c.median().is_some_and(|(m, _)| m == e))
                        .map(|c| c.scheduler.label())
                        .collect();
                    let who = if tied.len() == row.cells.len() {
                        "all".to_string()
                    } else {
                        tied.join(", ")
                    };
                    let _ = writeln!(out, " {e}: {who} |");
                }
                None => out.push_str(" — |\n"),
            }
        }
        out.push('\n');
        out.push_str(&self.targets());
        out
    }

    /// Where the table stands against the targets: every bug found within the cap (median) by
    /// some scheduler, and by PCT within 10× of the best.
    pub fn targets(&self) -> String {
        let cap = self.options.cap;
        let unfound: Vec<String> = self
            .rows
            .iter()
            .filter(|r| r.best().is_none_or(|(_, e)| e > cap))
            .map(|r| format!("{}/{}", r.scenario, r.variant))
            .collect();
        let found: Vec<&Row> = self.rows.iter().filter(|r| r.best().is_some()).collect();
        let slow_pct: Vec<String> = found
            .iter()
            .filter_map(|r| {
                let (_, best) = r.best()?;
                match r.best_pct() {
                    Some(p) if p <= best.max(1) * 10 => None,
                    Some(p) => Some(format!("{}/{} ({p} vs {best})", r.scenario, r.variant)),
                    None => Some(format!("{}/{} (not found)", r.scenario, r.variant)),
                }
            })
            .collect();
        let mut out = String::new();
        let n = self.rows.len();
        let _ = writeln!(
            out,
            "- Found by at least one scheduler within {cap} executions (median): {} of {n}{}",
            n - unfound.len(),
            list(&unfound)
        );
        let _ = writeln!(
            out,
            "- Found by PCT (its best d) within 10× the executions of the best scheduler: {} of {}{}",
            found.len() - slow_pct.len(),
            found.len(),
            list(&slow_pct)
        );
        out
    }
}

fn list(names: &[String]) -> String {
    if names.is_empty() {
        String::new()
    } else {
        format!("; not: {}", names.join(", "))
    }
}

/// The machine a table ran on: cores, CPU, rustc, date (UTC).
pub fn machine() -> String {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let rustc = std::process::Command::new("rustc")
        .arg("--version")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|v| v.trim().to_string())
        .unwrap_or_else(|| "rustc (unknown version)".into());
    let profile = if cfg!(debug_assertions) {
        "debug build"
    } else {
        "release build"
    };
    format!(
        "{cores} cores ({cpu}), {} {}, {rustc}, {profile}, {}",
        std::env::consts::OS,
        std::env::consts::ARCH,
        today()
    )
}

/// Today's date in UTC, `YYYY-MM-DD`, from the system clock (days to civil date, H. Hinnant).
fn today() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let z = (secs / 86_400) as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// The comments between which `racecheck bench` writes its section of a markdown file.
pub const BEGIN: &str = "<!-- racecheck bench: generated, do not edit by hand -->";
pub const END: &str = "<!-- racecheck bench: end -->";

/// Put `section` between [`BEGIN`] and [`END`] in `path`, keeping everything else; append it
/// (with the markers) when the file has none, create the file when there is none. Returns
/// whether the markers were there.
pub fn write_section(path: &Path, section: &str) -> std::io::Result<bool> {
    let old = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(e),
    };
    let block = format!("{BEGIN}\n{}\n{END}", section.trim_end());
    let (text, had) = match (old.find(BEGIN), old.find(END)) {
        (Some(b), Some(e)) if b < e => (
            format!("{}{block}{}", &old[..b], &old[e + END.len()..]),
            true,
        ),
        _ if old.is_empty() => (format!("{block}\n"), false),
        _ => (format!("{}\n\n{block}\n", old.trim_end()), false),
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(path, text)?;
    Ok(had)
}

/// `racecheck bench`: the bug-finding table, written into a markdown file.
#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    /// Scenario names, or prefixes of them; all when omitted.
    pub scenarios: Vec<String>,
    /// Runs per randomized scheduler and of real threads (seeds 0..N), 1 to 100000.
    #[arg(long, default_value_t = 20, allow_negative_numbers = true,
          value_parser = clap::value_parser!(u64).range(1..=crate::args::MAX_SEEDS))]
    pub seeds: u64,
    /// At most this many executions per run, 1 to 100000000.
    #[arg(long, default_value_t = 1000, allow_negative_numbers = true,
          value_parser = crate::args::executions)]
    pub cap: u64,
    /// At most this many seconds per run (above 0, at most 86400: a day).
    #[arg(long, default_value_t = 5.0, allow_negative_numbers = true,
          value_parser = crate::args::seconds)]
    pub time_cap: f64,
    /// The markdown file whose generated section (between marker comments) gets the table;
    /// the rest of the file is kept. `-` prints it only.
    #[arg(long, default_value = "reports/BENCHMARKS.md")]
    pub out: std::path::PathBuf,
}

pub(crate) fn command(catalogue: &Catalogue, args: &BenchArgs) -> Result<i32, String> {
    for name in &args.scenarios {
        if catalogue.select(name).is_empty() {
            return Err(format!("unknown scenario `{name}` (see `racecheck list`)"));
        }
    }
    if args.out.as_os_str() != "-" {
        crate::output::section_file(&args.out)?;
    }
    let options = TableOptions {
        seeds: args.seeds,
        cap: args.cap,
        time_cap: crate::args::duration(args.time_cap),
        scenarios: args.scenarios.clone(),
    };
    let started = std::time::Instant::now();
    let table = finding_table(catalogue, &options, |row| {
        eprintln!("{}/{}: done", row.scenario, row.variant);
    });
    let section = format!(
        "## Executions to the first failure, per scheduler (`racecheck bench`)\n\n\
         Generated by `racecheck bench --seeds {} --cap {} --time-cap {}` in {:.0} s on {}.\n\n{}",
        args.seeds,
        args.cap,
        args.time_cap,
        started.elapsed().as_secs_f64(),
        machine(),
        table.markdown()
    );
    if args.out.as_os_str() == "-" {
        print!("{section}");
        return Ok(0);
    }
    print!("{section}");
    let had = write_section(&args.out, &section)
        .map_err(|e| format!("cannot write {}: {e}", args.out.display()))?;
    println!(
        "\nwritten to {} ({})",
        args.out.display(),
        if had {
            "its generated section replaced, the rest kept"
        } else {
            "appended with marker comments; the rest kept"
        }
    );
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(found: &[Option<u64>]) -> Cell {
        Cell {
            scheduler: Scheduler::Random,
            beyond_reach: false,
            runs: found
                .iter()
                .map(|f| Run {
                    found: f.map(|e| (e, Duration::from_millis(e))),
                    executions: f.unwrap_or(1000),
                    other_failure: false,
                })
                .collect(),
        }
    }

    #[test]
    fn not_found_runs_count_above_every_finding() {
        assert_eq!(cell(&[Some(5), Some(1), Some(9)]).median().unwrap().0, 5);
        assert_eq!(cell(&[Some(5), None, Some(9)]).median().unwrap().0, 9);
        assert_eq!(cell(&[Some(5), None, None]).median(), None);
        assert_eq!(cell(&[Some(5), Some(7), None, None]).median().unwrap().0, 7);
    }

    #[test]
    fn the_generated_section_replaces_only_itself() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("B.md");
        std::fs::write(&path, "# hand\n\nwritten\n").unwrap();
        assert!(!write_section(&path, "table one").unwrap());
        std::fs::write(
            &path,
            std::fs::read_to_string(&path).unwrap() + "\n## after\n",
        )
        .unwrap();
        assert!(write_section(&path, "table two").unwrap());
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with("# hand\n\nwritten\n"), "{text}");
        assert!(
            text.contains("table two") && !text.contains("table one"),
            "{text}"
        );
        assert!(text.trim_end().ends_with("## after"), "{text}");
    }
}
