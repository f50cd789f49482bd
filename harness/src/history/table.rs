//! The minimal history of a failure, as an outcome stores it and a person reads it.

use crate::rt::format_nanos;
use serde::{Deserialize, Serialize};
use std::fmt;

/// One operation of a non-linearizable history, as recorded: who, what, what it returned, and
/// the trace step and virtual time (nanoseconds) of its call and return.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordedOp {
    pub thread: String,
    pub op: String,
    /// `None`: it never returned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<String>,
    pub called_step: usize,
    pub called_at: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub returned_step: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub returned_at: Option<u64>,
}

fn mark(step: usize, time: u64) -> String {
    format!("step {step} @ {}", format_nanos(time))
}

/// The operations as a table, one row each in call order, every line indented to sit under
/// the outcome's first line: thread, operation, result, call and return (step @ time).
pub(crate) fn write_table(f: &mut fmt::Formatter<'_>, ops: &[RecordedOp]) -> fmt::Result {
    const INDENT: &str = "       ";
    let mut rows = vec![[
        "thread".to_string(),
        "operation".to_string(),
        "result".to_string(),
        "called".to_string(),
        "returned".to_string(),
    ]];
    let mut sorted: Vec<&RecordedOp> = ops.iter().collect();
    sorted.sort_by_key(|o| o.called_step);
    for o in sorted {
        rows.push([
            o.thread.clone(),
            o.op.clone(),
            o.result.clone().unwrap_or_else(|| "(pending)".to_string()),
            mark(o.called_step, o.called_at),
            match (o.returned_step, o.returned_at) {
                (Some(s), Some(t)) => mark(s, t),
                _ => "-".to_string(),
            },
        ]);
    }
    let widths: Vec<usize> = (0..5)
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    for row in &rows {
        f.write_str("\n")?;
        f.write_str(INDENT)?;
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, &w)| format!("{cell:<w$}"))
            .collect();
        f.write_str(cells.join("  ").trim_end())?;
    }
    Ok(())
}
