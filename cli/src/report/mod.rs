//! Reports: what a `racecheck check` run found, for a person (`summary.md`, one HTML timeline
//! per failure) and for CI (`summary.json`).
//!
//! `summary.json` follows a stable schema, [`Summary`] (`schema = "racecheck-summary"`,
//! `version = 1`); a field is added only with a new version. `reports/README.md` documents it.

pub mod fold;
pub mod history;
pub mod holds;
pub mod html;
pub mod layout;
pub mod mermaid;
pub mod overlays;
pub mod summary_md;
pub mod timeline;

use racecheck::check::BackendKind;
use racecheck::outcome::OutcomeKind;
use racecheck::race::RaceFile;
use racecheck::shrink::ScheduleSize;
use serde::{Deserialize, Serialize};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
pub use summary_md::{checks_markdown, summary_markdown};
pub use timeline::Timeline;

/// The `schema` key of `summary.json`.
pub const SCHEMA: &str = "racecheck-summary";
/// The version of the `summary.json` schema this build writes.
pub const SCHEMA_VERSION: u32 = 1;

/// One `racecheck check` run: the document `summary.json` holds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Summary {
    /// Always `racecheck-summary`.
    pub schema: String,
    /// Always 1 for this layout.
    pub version: u32,
    /// The racecheck version that wrote it.
    pub racecheck: String,
    /// When the run started, RFC 3339 UTC.
    pub started: String,
    /// The command line, one argument an element.
    pub command: Vec<String>,
    pub checks: Vec<CheckRow>,
    pub totals: Totals,
}

/// One scenario × variant × backend check.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckRow {
    pub scenario: String,
    pub variant: String,
    /// The backend as set: `pct(d=3)`, `loom`, `loom(bound=2)`, `random`, `dfs`, `threads`.
    pub backend: String,
    pub backend_kind: BackendKind,
    pub seed: u64,
    /// What the variant must end in: `pass`, or the failure kind (`deadlock`, `invariant`, …).
    pub expected: String,
    /// The backend is known not to reach this bug: "not found" is expected of it.
    pub beyond_reach: bool,
    /// `found`, `verified` (every execution explored, none failed; a bounded loom check says
    /// `verified (preemption bound B)`) or `not-found`.
    pub verdict: String,
    /// The kind of failure found, if one was.
    pub found: Option<OutcomeKind>,
    /// The failure as a sentence, if one was found.
    pub message: Option<String>,
    pub executions: u64,
    /// Executions to the first failure (1-based), if one was found.
    pub first_failure: Option<u64>,
    pub wall_time_s: f64,
    /// The check ended as the variant expects.
    pub met: bool,
    /// The race file written for the failure, relative to the report directory.
    pub race_file: Option<String>,
    /// The HTML timeline of the failure, relative to the report directory.
    pub timeline: Option<String>,
    /// How the failing schedule was shrunk before it was saved.
    pub shrink: Option<ShrinkFigures>,
    /// The wall-clock safety net stopped the check before its budget: its executions depend
    /// on the machine's speed, so the row is not reproducible. (Absent in older summaries.)
    #[serde(default)]
    pub stopped_by_time_limit: bool,
}

/// A failing schedule's size before and after shrinking.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShrinkFigures {
    pub before: ScheduleSize,
    pub after: ScheduleSize,
    pub attempts: usize,
}

impl std::fmt::Display for ShrinkFigures {
    /// "Shrunk from A to B", or, when no candidate was smaller, that it stayed as found.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.before == self.after {
            write!(
                f,
                "Not shrunk: no smaller schedule in {} candidates ({})",
                self.attempts, self.before
            )
        } else {
            write!(f, "Shrunk from {} to {}", self.before, self.after)
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Totals {
    pub checks: usize,
    pub met: usize,
    pub unmet: usize,
}

impl Totals {
    pub fn of(checks: &[CheckRow]) -> Self {
        let met = checks.iter().filter(|c| c.met).count();
        Totals {
            checks: checks.len(),
            met,
            unmet: checks.len() - met,
        }
    }
}

impl Summary {
    /// Parse `summary.json` text, checking its schema and version.
    pub fn from_json(text: &str) -> Result<Summary, String> {
        let summary: Summary =
            serde_json::from_str(text).map_err(|e| format!("not a racecheck summary: {e}"))?;
        if summary.schema != SCHEMA || summary.version != SCHEMA_VERSION {
            return Err(format!(
                "summary schema {} version {}; this racecheck reads {SCHEMA} version {SCHEMA_VERSION}",
                summary.schema, summary.version
            ));
        }
        Ok(summary)
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a summary always serializes") + "\n"
    }
}

/// A failure's race and the path it was saved at (relative to the report directory).
pub struct FailureRace {
    /// Index of its row in [`Summary::checks`].
    pub row: usize,
    pub race: RaceFile,
    pub path: String,
    /// `racecheck replay` reproduces it: when false, the summary offers the check's own
    /// command instead of a replay.
    pub replayable: bool,
}

/// The markdown of one race: its outcome, replay command and Mermaid timeline.
pub fn race_markdown(race: &RaceFile, path: &str, notes: &[String]) -> String {
    let timeline = Timeline::of(race, path);
    let mut out = format!("# {}\n\n{}\n\n", timeline.title, race.outcome);
    match &race.not_replayable {
        _ if race.replayable => {
            let _ = writeln!(out, "- replay: `{}`", timeline.replay);
        }
        why => {
            let why = why.as_deref().unwrap_or("its replay diverges");
            let _ = writeln!(out, "- not replayable: {why}");
        }
    }
    for note in notes {
        let _ = writeln!(out, "- {note}");
    }
    let _ = writeln!(
        out,
        "\n```mermaid\n{}```",
        mermaid::sequence_diagram(&timeline)
    );
    out
}

/// Write `summary.md`, `checks.md`, `summary.json` and, per failure, `timelines/NAME.html`
/// and `timelines/NAME.md` (its Mermaid diagram) into `dir`. Returns the path of `summary.md`.
pub fn write_run(
    dir: &Path,
    summary: &Summary,
    failures: &[FailureRace],
) -> Result<PathBuf, String> {
    let write = |path: &Path, text: &str| {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
        }
        // Never over a file: the run's directory was checked to hold no report before it ran.
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        std::io::Write::write_all(&mut file, text.as_bytes())
            .map_err(|e| format!("cannot write {}: {e}", path.display()))
    };
    for f in failures {
        if let Some(rel) = &summary.checks[f.row].timeline {
            let notes: Vec<String> = summary.checks[f.row]
                .shrink
                .iter()
                .map(|s| format!("{s}."))
                .collect();
            let timeline = Timeline::of(&f.race, &f.path);
            write(&dir.join(rel), &html::page(&timeline, &notes))?;
            let md = dir.join(rel).with_extension("md");
            write(&md, &race_markdown(&f.race, &f.path, &notes))?;
        }
    }
    write(&dir.join("summary.json"), &summary.to_json())?;
    write(
        &dir.join(summary_md::CHECKS_FILE),
        &checks_markdown(summary),
    )?;
    let md = dir.join("summary.md");
    write(&md, &summary_markdown(summary, failures))?;
    Ok(md)
}

/// The file name of a race's timeline: the race file's name with `.html`.
pub fn timeline_name(race_path: &Path) -> String {
    let stem = race_path.file_stem().unwrap_or_default().to_string_lossy();
    format!("{stem}.html")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn size(preemptions: usize, context_switches: usize, steps: usize) -> ScheduleSize {
        ScheduleSize {
            preemptions,
            context_switches,
            steps,
        }
    }

    #[test]
    fn shrink_figures_say_whether_the_schedule_got_smaller() {
        let smaller = ShrinkFigures {
            before: size(4, 6, 94),
            after: size(1, 2, 76),
            attempts: 40,
        };
        assert_eq!(
            smaller.to_string(),
            "Shrunk from 94 steps, 6 context switches, 4 preemptions \
             to 76 steps, 2 context switches, 1 preemption"
        );
        let same = ShrinkFigures {
            before: size(1, 2, 76),
            after: size(1, 2, 76),
            attempts: 12,
        };
        assert_eq!(
            same.to_string(),
            "Not shrunk: no smaller schedule in 12 candidates \
             (76 steps, 2 context switches, 1 preemption)"
        );
    }
}
