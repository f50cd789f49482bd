//! `summary.md` and `checks.md`: what a person reads after a run.
//!
//! `summary.md` leads with what went wrong: how many checks ran, how many ended as expected,
//! and every one that did not, with its outcome and the command that reproduces it. Then one
//! section per bug (scenario and variant), not per backend: the backends that found it, their
//! executions to first failure, and links to one timeline. The per-backend table is in
//! `checks.md` (and `summary.json`), so the summary of the whole catalogue stays short.

use super::{CheckRow, FailureRace, Summary};
use racecheck::BackendKind;
use std::fmt::Write as _;

/// Whether check `c` ran an async scenario on tokio (the `threads` backend runs a runtime as
/// tokio's `current_thread` runtime on the paused clock): there the order in which ready tasks
/// are polled is tokio's own, one order per run, not a choice racecheck explores.
fn on_tokio(c: &CheckRow) -> bool {
    c.backend_kind == BackendKind::Threads && c.scenario.starts_with("async.")
}

/// What a reader must know of the checks that ran on tokio.
const TOKIO_ORDER_NOTE: &str = "ran on tokio, whose task order is its own, not explored: \
     a pass there covers only the orders tokio took (loom, DFS, PCT and the random walk choose it)";

/// The name of the per-backend table beside `summary.md`.
pub const CHECKS_FILE: &str = "checks.md";

/// The command that reproduces check `c`: the replay of its race file when it has one that
/// replays, else the check itself on its backend and seed.
pub fn reproduce_command(c: &CheckRow, race: Option<&FailureRace>) -> String {
    match race {
        Some(f) if f.replayable => format!("racecheck replay {}", f.path),
        _ => {
            let mut cmd = format!(
                "racecheck check {} --variant {} --backend {} --seed {}",
                c.scenario, c.variant, c.backend_kind, c.seed
            );
            if let Some(depth) = c
                .backend
                .strip_prefix("pct(d=")
                .and_then(|d| d.strip_suffix(')'))
            {
                let _ = write!(cmd, " --depth {depth}");
            }
            cmd
        }
    }
}

/// What check `c` found, in a few words: `deadlock (execution 2)`, `nothing in 10000
/// executions`, `nothing in all 10000 executions (verified)`.
fn found_text(c: &CheckRow) -> String {
    match (c.found, c.first_failure) {
        (Some(kind), Some(n)) => format!("{kind} (execution {n})"),
        _ if c.verdict == "verified" => {
            format!("nothing in all {} executions (verified)", c.executions)
        }
        _ => format!("nothing in {} executions", c.executions),
    }
}

fn plural(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

/// `summary.md`.
pub fn summary_markdown(summary: &Summary, failures: &[FailureRace]) -> String {
    let race_of = |row: usize| failures.iter().find(|f| f.row == row);
    let t = &summary.totals;
    let mut out = String::from("# racecheck summary\n\n");
    let _ = writeln!(
        out,
        "{} ran: {} ended as expected, {} did not.\n",
        plural(t.checks, "check"),
        t.met,
        t.unmet
    );
    let unmet: Vec<(usize, &CheckRow)> = summary
        .checks
        .iter()
        .enumerate()
        .filter(|(_, c)| !c.met)
        .collect();
    if !unmet.is_empty() {
        out.push_str("Not as expected:\n\n");
        for (i, c) in &unmet {
            let _ = writeln!(
                out,
                "- **{} / {} [{}]**: expected {}, found {}: `{}`",
                c.scenario,
                c.variant,
                c.backend,
                c.expected,
                c.message.clone().unwrap_or_else(|| found_text(c)),
                reproduce_command(c, race_of(*i)),
            );
        }
        out.push('\n');
    }
    let limited: Vec<&CheckRow> = summary
        .checks
        .iter()
        .filter(|c| c.stopped_by_time_limit)
        .collect();
    if !limited.is_empty() {
        out.push_str("Stopped by the time limit (their executions depend on the machine's speed: not reproducible):\n\n");
        for c in &limited {
            let _ = writeln!(
                out,
                "- {} / {} [{}]: {} executions",
                c.scenario, c.variant, c.backend, c.executions
            );
        }
        out.push('\n');
    }
    let _ = writeln!(
        out,
        "Run started {} with `{}`. Every check, backend by backend: [{CHECKS_FILE}]({CHECKS_FILE}) \
         and `summary.json`.",
        summary.started,
        summary.command.join(" "),
    );
    let tokio = summary.checks.iter().filter(|c| on_tokio(c)).count();
    if tokio > 0 {
        let _ = writeln!(
            out,
            "\n{} of the `async.*` scenarios on `threads` {TOKIO_ORDER_NOTE}.",
            plural(tokio, "check")
        );
    }
    let bugs = bugs(summary);
    if !bugs.is_empty() {
        let _ = writeln!(out, "\n## Bugs found ({})", bugs.len());
    }
    for rows in &bugs {
        bug_section(&mut out, summary, rows, &race_of);
    }
    out
}

/// The rows that found a failure, grouped by scenario and variant, in the table's order.
fn bugs(summary: &Summary) -> Vec<Vec<usize>> {
    let mut bugs: Vec<Vec<usize>> = Vec::new();
    for (i, c) in summary.checks.iter().enumerate() {
        if c.found.is_none() {
            continue;
        }
        let same = |rows: &Vec<usize>| {
            let first = &summary.checks[rows[0]];
            first.scenario == c.scenario && first.variant == c.variant
        };
        match bugs.iter_mut().find(|rows| same(rows)) {
            Some(rows) => rows.push(i),
            None => bugs.push(vec![i]),
        }
    }
    bugs
}

/// One bug: who found it and how fast, the outcome of its shortest race, and its timeline.
fn bug_section<'a>(
    out: &mut String,
    summary: &Summary,
    rows: &[usize],
    race_of: &dyn Fn(usize) -> Option<&'a FailureRace>,
) {
    let first = &summary.checks[rows[0]];
    let kinds: Vec<String> = rows
        .iter()
        .filter_map(|&i| summary.checks[i].found.map(|k| k.to_string()))
        .fold(Vec::new(), |mut v, k| {
            if !v.contains(&k) {
                v.push(k);
            }
            v
        });
    let _ = writeln!(
        out,
        "\n### {} / {}: {}\n",
        first.scenario,
        first.variant,
        kinds.join(", ")
    );
    let found: Vec<String> = rows
        .iter()
        .map(|&i| {
            let c = &summary.checks[i];
            let mark = if c.met { "" } else { " (**not expected**)" };
            format!(
                "{} (execution {}){mark}",
                c.backend,
                c.first_failure.unwrap_or(0)
            )
        })
        .collect();
    let missed: Vec<String> = summary
        .checks
        .iter()
        .filter(|c| c.scenario == first.scenario && c.variant == first.variant)
        .filter(|c| c.found.is_none())
        .map(|c| c.backend.clone())
        .collect();
    let _ = write!(out, "Found by {}", found.join(", "));
    if !missed.is_empty() {
        let _ = write!(out, "; not by {}", missed.join(", "));
    }
    out.push_str(".\n\n");
    // The race with the fewest steps is the one to read.
    let shortest = rows
        .iter()
        .filter_map(|&i| race_of(i))
        .min_by_key(|f| (f.race.events.len(), f.row));
    let Some(f) = shortest else {
        return;
    };
    let c = &summary.checks[f.row];
    let _ = writeln!(out, "{}\n", f.race.outcome);
    let _ = writeln!(
        out,
        "- [{}]: `{}`",
        c.backend,
        reproduce_command(c, Some(f))
    );
    if let Some(s) = &c.shrink {
        let _ = writeln!(out, "- {s}");
    }
    if let Some(t) = &c.timeline {
        let md = t.strip_suffix(".html").map(|s| format!("{s}.md"));
        let _ = write!(out, "- timeline: [HTML]({t})");
        if let Some(md) = md {
            let _ = write!(out, ", [Mermaid]({md})");
        }
        out.push('\n');
    }
}

/// `checks.md`: scenario × variant × backend, every check of the run.
pub fn checks_markdown(summary: &Summary) -> String {
    let mut out = String::from("# racecheck checks\n\n");
    let _ = writeln!(
        out,
        "Run started {} with `{}`: {} checks, {} as expected, {} not.\n",
        summary.started,
        summary.command.join(" "),
        summary.totals.checks,
        summary.totals.met,
        summary.totals.unmet
    );
    out.push_str(
        "| scenario | variant | backend | expected | found | executions | to first failure | wall time | ok |\n\
         |---|---|---|---|---|---|---|---|---|\n",
    );
    for c in &summary.checks {
        let expected = if c.beyond_reach {
            format!("{} (beyond {}'s reach)", c.expected, c.backend_kind)
        } else {
            c.expected.clone()
        };
        let found = match (c.found, c.first_failure) {
            (Some(kind), Some(n)) => format!("{kind} (execution {n})"),
            _ => c.verdict.replace('-', " "),
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {:.2} s | {} |",
            c.scenario,
            c.variant,
            if on_tokio(c) {
                format!("{} (tokio's task order)", c.backend)
            } else {
                c.backend.clone()
            },
            expected,
            found,
            c.executions,
            c.first_failure.map_or("-".to_string(), |n| n.to_string()),
            c.wall_time_s,
            if c.met { "yes" } else { "**no**" },
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Totals;

    fn row(scenario: &str, backend_kind: BackendKind) -> CheckRow {
        CheckRow {
            scenario: scenario.into(),
            variant: "fixed".into(),
            backend: backend_kind.to_string(),
            backend_kind,
            seed: 0,
            expected: "pass".into(),
            beyond_reach: false,
            verdict: "not-found".into(),
            found: None,
            message: None,
            executions: 10,
            first_failure: None,
            wall_time_s: 0.1,
            met: true,
            race_file: None,
            timeline: None,
            shrink: None,
            stopped_by_time_limit: false,
        }
    }

    fn summary(checks: Vec<CheckRow>) -> Summary {
        Summary {
            schema: "racecheck-summary".into(),
            version: 1,
            racecheck: "0".into(),
            started: "then".into(),
            command: vec!["racecheck".into(), "check".into()],
            totals: Totals::of(&checks),
            checks,
        }
    }

    #[test]
    fn an_async_check_on_tokio_says_its_task_order_is_tokios() {
        let s = summary(vec![
            row("async.request_cache", BackendKind::Threads),
            row("async.request_cache", BackendKind::Loom),
        ]);
        let md = summary_markdown(&s, &[]);
        assert!(md.contains("1 check of the `async.*` scenarios on `threads` ran on tokio, whose task order is its own, not explored"), "{md}");
        let table = checks_markdown(&s);
        assert!(
            table.contains("| threads (tokio's task order) |"),
            "{table}"
        );
        assert!(table.contains("| loom |"), "{table}");
    }

    #[test]
    fn threads_on_a_thread_scenario_carry_no_tokio_note() {
        let s = summary(vec![row("lock_manager", BackendKind::Threads)]);
        assert!(!summary_markdown(&s, &[]).contains("tokio"));
        assert!(!checks_markdown(&s).contains("tokio"));
    }
}
