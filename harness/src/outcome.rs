//! What one execution ended in, and what a variant expects to end in.

use crate::history::RecordedOp;
use serde::{Deserialize, Serialize};
use std::fmt;

/// How one execution of a model ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
// Unknown keys are refused: a misspelt field in a race file's outcome is an error, not ignored.
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Outcome {
    /// Every thread finished and no invariant failed.
    Pass,
    /// A model's `invariant!` failed.
    Invariant { thread: String, message: String },
    /// A thread panicked (an `unwrap`, an `assert!`, an index out of bounds, ...).
    Panic { thread: String, message: String },
    /// Every live thread waits on something no other thread will ever give it.
    Deadlock { blocked: Vec<Blocked> },
    /// The execution took more steps than its bound: a livelock or a spin loop.
    StepBound { steps: usize },
    /// The wall-clock limit ran out inside this execution (real threads only).
    TimeLimit { seconds: u64 },
    /// The backend cannot run this model (loom and a sixth thread): nothing was checked. A
    /// check turns it into [`Verdict::Unsupported`](crate::Verdict::Unsupported), never a
    /// finding, so no race file is written for it.
    Unsupported { reason: String },
    /// The model's history of operations on `object` ([`crate::history::History`]) has no
    /// sequential explanation its spec allows: `minimal` are the operations that show it, of
    /// the `operations` recorded.
    NotLinearizable {
        object: String,
        operations: usize,
        minimal: Vec<RecordedOp>,
    },
}

/// One thread of a deadlock and what it waits on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Blocked {
    pub thread: String,
    pub waits_on: String,
}

/// The class of an [`Outcome`], without its details: what expectations are written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OutcomeKind {
    Pass,
    Invariant,
    Panic,
    Deadlock,
    StepBound,
    TimeLimit,
    Unsupported,
    NotLinearizable,
}

impl Outcome {
    pub fn kind(&self) -> OutcomeKind {
        match self {
            Outcome::Pass => OutcomeKind::Pass,
            Outcome::Invariant { .. } => OutcomeKind::Invariant,
            Outcome::Panic { .. } => OutcomeKind::Panic,
            Outcome::Deadlock { .. } => OutcomeKind::Deadlock,
            Outcome::StepBound { .. } => OutcomeKind::StepBound,
            Outcome::TimeLimit { .. } => OutcomeKind::TimeLimit,
            Outcome::Unsupported { .. } => OutcomeKind::Unsupported,
            Outcome::NotLinearizable { .. } => OutcomeKind::NotLinearizable,
        }
    }

    pub fn is_failure(&self) -> bool {
        !matches!(self, Outcome::Pass)
    }
}

impl OutcomeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            OutcomeKind::Pass => "pass",
            OutcomeKind::Invariant => "invariant",
            OutcomeKind::Panic => "panic",
            OutcomeKind::Deadlock => "deadlock",
            OutcomeKind::StepBound => "step-bound",
            OutcomeKind::TimeLimit => "time-limit",
            OutcomeKind::Unsupported => "unsupported",
            OutcomeKind::NotLinearizable => "not-linearizable",
        }
    }
}

impl fmt::Display for OutcomeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Pass => f.write_str("pass"),
            Outcome::Invariant { thread, message } => {
                write!(f, "invariant failed in {thread}: {message}")
            }
            Outcome::Panic { thread, message } => write!(f, "panic in {thread}: {message}"),
            Outcome::Deadlock { blocked } => {
                f.write_str("deadlock: ")?;
                for (i, b) in blocked.iter().enumerate() {
                    if i > 0 {
                        f.write_str("; ")?;
                    }
                    write!(f, "{} waits on {}", b.thread, b.waits_on)?;
                }
                Ok(())
            }
            Outcome::StepBound { steps } => write!(
                f,
                "step bound exceeded after {steps} steps (a livelock or a spin loop?)"
            ),
            Outcome::TimeLimit { seconds } => {
                write!(f, "time limit of {seconds} s ran out inside one execution")
            }
            Outcome::Unsupported { reason } => f.write_str(reason),
            Outcome::NotLinearizable {
                object,
                operations,
                minimal,
            } => {
                write!(
                    f,
                    "not linearizable: no order of these {} of {object}'s {operations} \
                     operations meets its spec, even if the others did not happen",
                    minimal.len()
                )?;
                crate::history::table::write_table(f, minimal)
            }
        }
    }
}

/// What a variant must end in: a fix must pass, a bug must be found and classified.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expect {
    Pass,
    Fail(OutcomeKind),
}

impl Expect {
    /// Whether a check that found `found` (None: no failure) meets this expectation.
    pub fn is_met_by(self, found: Option<OutcomeKind>) -> bool {
        match (self, found) {
            (Expect::Pass, None) => true,
            (Expect::Fail(kind), Some(k)) => kind == k,
            _ => false,
        }
    }
}

impl fmt::Display for Expect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expect::Pass => f.write_str("pass"),
            Expect::Fail(kind) => write!(f, "{kind}"),
        }
    }
}
