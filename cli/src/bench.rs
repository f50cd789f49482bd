//! How fast each scheduler finds each bug: the bug-finding table of `racecheck bench`.
//!
//! For every variant that must fail and every column (a backend, and PCT's depth: random, PCT
//! d=1,2,3, DFS, loom, real threads as the baseline a user would otherwise have, URW, POS,
//! reads-from and the portfolio), the executions and the wall time
//! to the first failure of the expected kind, median over seeds, with a cap. Random, PCT and
//! real threads run once per seed (real threads are seeded only by chance: each run is a fresh
//! try). loom and DFS are deterministic and run once; the table says so rather than repeating
//! them. A run that does not find the bug within the cap counts as above every finding, so a
//! median can be "not found within the cap" too. Runs use one worker each, so wall times are
//! comparable across schedulers.
//!
//! `--demo` measures the demo suite (`demo.*`, named-only scenarios) instead, under the seeded
//! schedulers and DFS (loom runs at most 5 threads; real threads of 100 threads for 20 seeds
//! would take the table's whole time), beside the published figures for the same programs,
//! into a section of its own.

use racecheck::check::{BackendKind, CheckResult};
use racecheck::scenario::{Catalogue, Variant};
use racecheck::Expect;
use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

/// One column of the table: a backend, with PCT's depth.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Column {
    Random,
    Pct(usize),
    Dfs,
    Loom,
    Threads,
    Urw,
    Pos,
    ReadsFrom,
    Portfolio,
}

impl Column {
    /// The columns a table of these options has.
    pub fn of(options: &TableOptions) -> &'static [Column] {
        if options.demo {
            &Column::DEMO
        } else {
            &Column::ALL
        }
    }

    /// The catalogue table's columns, in order.
    pub const ALL: [Column; 11] = [
        Column::Random,
        Column::Pct(1),
        Column::Pct(2),
        Column::Pct(3),
        Column::Dfs,
        Column::Loom,
        Column::Threads,
        Column::Urw,
        Column::Pos,
        Column::ReadsFrom,
        Column::Portfolio,
    ];

    /// The demo table's columns: the shuttle family (loom runs at most 5 threads; real
    /// threads of 100 OS threads for 20 seeds would take the table's whole time).
    pub const DEMO: [Column; 8] = [
        Column::Random,
        Column::Pct(2),
        Column::Pct(3),
        Column::Dfs,
        Column::Urw,
        Column::Pos,
        Column::ReadsFrom,
        Column::Portfolio,
    ];

    pub fn label(self) -> String {
        match self {
            Column::Pct(d) => format!("pct d={d}"),
            Column::Random => "random".into(),
            Column::Dfs => "dfs".into(),
            Column::Loom => "loom".into(),
            Column::Threads => "threads (stress)".into(),
            Column::Urw => "urw".into(),
            Column::Pos => "pos".into(),
            Column::ReadsFrom => "reads-from".into(),
            Column::Portfolio => "portfolio".into(),
        }
    }

    /// loom and DFS explore in a fixed order: one run says all there is.
    pub fn is_deterministic(self) -> bool {
        matches!(self, Column::Dfs | Column::Loom)
    }

    fn backend(self) -> BackendKind {
        match self {
            Column::Random => BackendKind::Random,
            Column::Pct(_) => BackendKind::Pct,
            Column::Dfs => BackendKind::Dfs,
            Column::Loom => BackendKind::Loom,
            Column::Threads => BackendKind::Threads,
            Column::Urw => BackendKind::Urw,
            Column::Pos => BackendKind::Pos,
            Column::ReadsFrom => BackendKind::ReadsFrom,
            Column::Portfolio => BackendKind::Portfolio,
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
    /// The demo suite (its own columns and section) instead of the catalogue.
    pub demo: bool,
}

impl Default for TableOptions {
    fn default() -> Self {
        TableOptions {
            seeds: 20,
            cap: 1000,
            time_cap: Duration::from_secs(5),
            scenarios: Vec::new(),
            demo: false,
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
    pub column: Column,
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

/// Whether `r` failed as `variant` expects: the failure it names, not only one of its kind.
fn fails_as_named(variant: &Variant, backend: BackendKind, r: &CheckResult) -> bool {
    r.failure.is_some()
        && variant.is_met_by_outcome(backend, r.failure.as_ref().map(|f| &f.outcome))
}

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
            fails_as_named(variant, BackendKind::Random, &r)
        })
        .count() as u64
}

impl Row {
    /// The scheduler with the fewest median executions to the failure, and that median.
    pub fn best(&self) -> Option<(Column, u64)> {
        self.cells
            .iter()
            .filter_map(|c| c.median().map(|(e, _)| (c.column, e)))
            .min_by_key(|(_, e)| *e)
    }

    /// The best PCT depth's median executions.
    /// The portfolio's median executions.
    pub fn portfolio(&self) -> Option<u64> {
        self.cells
            .iter()
            .find(|c| c.column == Column::Portfolio)
            .and_then(|c| c.median().map(|(e, _)| e))
    }

    /// The best median of a single scheduler (every column but the portfolio).
    pub fn best_single(&self) -> Option<u64> {
        self.cells
            .iter()
            .filter(|c| c.column != Column::Portfolio)
            .filter_map(|c| c.median().map(|(e, _)| e))
            .min()
    }

    pub fn best_pct(&self) -> Option<u64> {
        self.cells
            .iter()
            .filter(|c| matches!(c.column, Column::Pct(_)))
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
    for scenario in catalogue
        .scenarios
        .iter()
        .filter(|s| s.opt_in == options.demo)
    {
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
            let cells = Column::of(options)
                .iter()
                .map(|&s| Cell {
                    column: s,
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

fn runs(variant: &Variant, scheduler: Column, options: &TableOptions) -> Vec<Run> {
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
            if let Column::Pct(d) = scheduler {
                check = check.depth(d);
            }
            let r = check.run();
            let expected = fails_as_named(variant, scheduler.backend(), &r);
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
        let columns = Column::of(o);
        out.push_str("| scenario / variant | fails in |");
        for s in columns {
            let _ = write!(out, " {} |", s.label());
        }
        out.push_str(" best |");
        if o.demo {
            out.push_str(" published (20 trials) |");
        }
        out.push_str("\n|---|---|");
        for _ in columns {
            out.push_str("---|");
        }
        out.push_str(if o.demo { "---|---|\n" } else { "---|\n" });
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
                if cell.column.is_deterministic() {
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
                        .map(|c| c.column.label())
                        .collect();
                    let who = if tied.len() == row.cells.len() {
                        "all".to_string()
                    } else {
                        tied.join(", ")
                    };
                    let _ = write!(out, " {e}: {who} |");
                }
                None => out.push_str(" — |"),
            }
            if o.demo {
                let _ = write!(out, " {} |", published(row.scenario));
            }
            out.push('\n');
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
        let slow_portfolio: Vec<String> = found
            .iter()
            .filter_map(|r| {
                let best = r.best_single()?;
                match r.portfolio() {
                    Some(p) if p <= best.max(1) * 2 => None,
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
        let _ = writeln!(
            out,
            "- Found by the portfolio within 2× the executions of the best single scheduler: {} of {}{}",
            found.len() - slow_portfolio.len(),
            found.len(),
            list(&slow_portfolio)
        );
        out
    }
}

/// What the literature reports for a demo program, 20 trials each: RFF (Wolff et al., ASPLOS
/// 2024; `dylanjwolff/RFF`, `scripts/data-analysis/full-data.csv`), SURW (Zhao et al., ASPLOS
/// 2025; `zhaohuanqdcn/SURW`, `stats/`), which also reports POS and PCT d=3. Their programs
/// are the SCTBench C originals; ours are ports, so the figures are the marks to compare
/// with, not the same measurement.
fn published(scenario: &str) -> &'static str {
    match scenario.strip_prefix("demo.").unwrap_or(scenario) {
        "twostage_100" => "RFF 20/20, median 25; SURW 20/20, median 272; PCT d=3 3–6 of 20",
        "reorder_100" => "RFF 20/20, median 5; SURW 20/20, median 111; POS fails",
        "reorder_10" | "reorder_20" | "reorder_50" => "RFF 20/20, median 5; POS fails",
        "reorder_3" => "RFF 20/20, median 5",
        _ => "",
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
/// The same for the demo suite's table (`racecheck bench --demo`).
pub const DEMO_BEGIN: &str = "<!-- racecheck bench --demo: generated, do not edit by hand -->";
pub const DEMO_END: &str = "<!-- racecheck bench --demo: end -->";

/// Put `section` between [`BEGIN`] and [`END`] in `path`, keeping everything else; append it
/// (with the markers) when the file has none, create the file when there is none. Returns
/// whether the markers were there.
pub fn write_section(path: &Path, section: &str) -> std::io::Result<bool> {
    write_between(path, section, BEGIN, END)
}

/// [`write_section`] between the markers `begin` and `end`.
pub fn write_between(path: &Path, section: &str, begin: &str, end: &str) -> std::io::Result<bool> {
    let old = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(e),
    };
    let block = format!("{begin}\n{}\n{end}", section.trim_end());
    let (text, had) = match (old.find(begin), old.find(end)) {
        (Some(b), Some(e)) if b < e => (
            format!("{}{block}{}", &old[..b], &old[e + end.len()..]),
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
    #[arg(long, default_value = DEFAULT_OUT)]
    pub out: std::path::PathBuf,
    /// Measure the demo suite (`demo.*`) into its own section instead of the catalogue.
    #[arg(long)]
    pub demo: bool,
}

/// Where the table goes unless `--out` says otherwise.
const DEFAULT_OUT: &str = "reports/BENCHMARKS.md";

pub(crate) fn command(catalogue: &Catalogue, args: &BenchArgs) -> Result<i32, String> {
    for name in &args.scenarios {
        let found = catalogue.select_some(name).map_err(|e| e.to_string())?;
        if !found.iter().any(|s| s.opt_in == args.demo) {
            let which = if args.demo {
                "is not in the demo suite (drop --demo)"
            } else {
                "is in the demo suite: give --demo"
            };
            return Err(format!("scenario `{name}` {which}"));
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
        demo: args.demo,
    };
    let started = std::time::Instant::now();
    let table = finding_table(catalogue, &options, |row| {
        eprintln!("{}/{}: done", row.scenario, row.variant);
    });
    let (title, flag, begin, end) = if args.demo {
        (
            "The demo suite: executions to the first failure (`racecheck bench --demo`)",
            " --demo",
            DEMO_BEGIN,
            DEMO_END,
        )
    } else {
        (
            "Executions to the first failure, per scheduler (`racecheck bench`)",
            "",
            BEGIN,
            END,
        )
    };
    let section = format!(
        "## {title}\n\n\
         Generated by `racecheck bench{flag} --seeds {} --cap {} --time-cap {}` in {:.0} s on {}.\n\n{}",
        args.seeds,
        args.cap,
        args.time_cap,
        started.elapsed().as_secs_f64(),
        machine(),
        table.markdown()
    );
    print!("{section}");
    if args.out.as_os_str() == "-" {
        return Ok(0);
    }
    if !args.scenarios.is_empty() && args.out == Path::new(DEFAULT_OUT) {
        // The committed table has every scenario: a run of a few must not replace it with
        // their rows (name another --out to keep those).
        println!(
            "\nnot written to {}: its table has every scenario, and this run measured only {}",
            args.out.display(),
            args.scenarios.join(", ")
        );
        return Ok(0);
    }
    let had = write_between(&args.out, &section, begin, end)
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
            column: Column::Random,
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
