//! How a replay compares with the race file it replayed.

use super::RaceFile;
use crate::check::Replayed;

/// How a replay compares with its recording.
#[derive(Clone, Debug)]
pub struct ReplayReport {
    pub replayed: Replayed,
    /// The first step whose line differs, with the recorded and the replayed line.
    pub first_difference: Option<(usize, Option<String>, Option<String>)>,
    pub same_outcome: bool,
    /// Whether the variant's fingerprint differs from the one the race recorded; `None` when
    /// the race recorded none.
    pub model_changed: Option<bool>,
}

impl ReplayReport {
    pub(super) fn compare(
        race: &RaceFile,
        replayed: Replayed,
        model_changed: Option<bool>,
    ) -> Self {
        let lines = replayed.trace.lines();
        let n = race.events.len().max(lines.len());
        let first_difference = (0..n)
            .find(|&i| race.events.get(i) != lines.get(i))
            .map(|i| (i, race.events.get(i).cloned(), lines.get(i).cloned()));
        let same_outcome = replayed.outcome == race.outcome;
        ReplayReport {
            replayed,
            first_difference,
            same_outcome,
            model_changed,
        }
    }

    /// Same outcome and same events, step for step.
    pub fn reproduced(&self) -> bool {
        self.same_outcome && self.first_difference.is_none()
    }

    /// A one-paragraph account for a person: what matched, or where it parted.
    pub fn describe(&self, race: &RaceFile) -> String {
        if self.reproduced() {
            let steps = race.events.len();
            let outcome = race.outcome.to_string();
            // A multi-line outcome (a not-linearizable one's table) ends in its table: the step
            // count ends its first line rather than the table's last row.
            return match outcome.split_once('\n') {
                None => format!("reproduced: {outcome} in {steps} steps, every step as recorded"),
                Some((first, table)) => format!(
                    "reproduced: {first}; replayed in {steps} steps, every step as recorded\n{table}"
                ),
            };
        }
        let mut out = String::new();
        if !race.replayable {
            out.push_str(&format!(
                "this race does not replay, as found when it was saved: {}; ",
                race.not_replayable
                    .as_deref()
                    .unwrap_or("its replay under the model scheduler diverged")
            ));
        }
        if let Some((step, recorded, replayed)) = &self.first_difference {
            out.push_str(&format!(
                "diverged at step {step}: recorded `{}`, replay gave `{}`",
                recorded.as_deref().unwrap_or("<end of recording>"),
                replayed.as_deref().unwrap_or("<end of execution>"),
            ));
            if race.replayable {
                out.push_str(&format!(" ({})", self.why_diverged(race)));
            }
        }
        if !self.same_outcome {
            if !out.is_empty() {
                out.push_str("; ");
            }
            out.push_str(&format!(
                "recorded outcome `{}`, replay gave `{}`",
                race.outcome, self.replayed.outcome
            ));
        }
        out
    }
}
