//! A model's history of operations on a timeline: each operation an interval on its thread's
//! lane, from the step of its call to the step of its return, and, for a not-linearizable
//! failure, the operations of the minimal history highlighted.
//!
//! The operations are read back from the trace's labels that `racecheck::history` records
//! (`lease: call #3 Acquire { … }`, `lease: #3 returned Granted(1)`, read by
//! [`HistoryLabel::parse`]), so any race file of a model with a history draws them, and the
//! witness is matched by its call step.

use super::fold::Rows;
use super::layout::{Layout, LINE};
use super::timeline::{Step, StepKind};
use racecheck::history::HistoryLabel;
use racecheck::Outcome;
use std::fmt::Write as _;

/// One operation of the history, by the steps of its call and return.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HistoryOp {
    pub lane: usize,
    pub object: String,
    pub call: usize,
    /// `None`: it never returned.
    pub ret: Option<usize>,
    pub op: String,
    pub result: Option<String>,
    /// One of the minimal history's operations.
    pub witness: bool,
}

impl HistoryOp {
    /// `Acquire → Granted(1)`: the operation's name (its text up to the first space or
    /// bracket) and what it returned.
    pub fn short_label(&self) -> String {
        let name = self
            .op
            .split([' ', '{', '('])
            .next()
            .filter(|n| !n.is_empty())
            .unwrap_or(&self.op);
        format!("{name} → {}", self.result_text())
    }

    /// What it returned, or `(pending)` if it never did.
    fn result_text(&self) -> &str {
        self.result.as_deref().unwrap_or("(pending)")
    }
}

/// The operations recorded in `steps`, in call order; those of `outcome`'s minimal history,
/// if it is not linearizable, marked as the witness.
pub fn operations(steps: &[Step], outcome: &Outcome) -> Vec<HistoryOp> {
    let mut ops: Vec<HistoryOp> = Vec::new();
    for s in steps {
        let StepKind::Label(l) = &s.kind else {
            continue;
        };
        match HistoryLabel::parse(l) {
            Some(HistoryLabel::Call { object, op, .. }) => ops.push(HistoryOp {
                lane: s.lane,
                object: object.to_string(),
                call: s.index,
                ret: None,
                op: op.to_string(),
                result: None,
                witness: false,
            }),
            Some(HistoryLabel::Return {
                object,
                index,
                result,
            }) => {
                // The n-th call of this object is its operation #n.
                if let Some(o) = ops.iter_mut().filter(|o| o.object == object).nth(index) {
                    o.ret = Some(s.index);
                    o.result = Some(result.to_string());
                }
            }
            None => {}
        }
    }
    if let Outcome::NotLinearizable {
        object, minimal, ..
    } = outcome
    {
        for o in ops.iter_mut().filter(|o| &o.object == object) {
            o.witness = minimal.iter().any(|m| m.called_step == o.call);
        }
    }
    ops
}

/// How much wider a lane is when the timeline has a history: its intervals' column.
pub const COLUMN: usize = 170;
/// Characters of a line of an interval's label.
const LABEL: usize = 26;

/// `label` in lines of at most [`LABEL`] characters, broken at spaces; a longer word keeps a
/// line of its own, uncut.
fn wrap(label: &str) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for word in label.split(' ') {
        match lines.last_mut() {
            Some(line) if line.chars().count() + 1 + word.chars().count() <= LABEL => {
                line.push(' ');
                line.push_str(word);
            }
            _ => lines.push(word.to_string()),
        }
    }
    lines
}

/// Draw each operation as a bracket right of its lane's text, from its call's row to its
/// return's (or the end, pending), labelled with [`HistoryOp::short_label`]; the witness's in
/// red, bold.
pub fn draw(
    svg: &mut String,
    ops: &[HistoryOp],
    layout: &Layout,
    rows: &Rows,
    column_x: impl Fn(usize) -> usize,
) {
    let middle = |i: usize| layout.top[layout.item_of_row[rows.row_of[i]]] + LINE / 2;
    for o in ops {
        let x = column_x(o.lane);
        let y0 = middle(o.call) - 6;
        let y1 = o.ret.map_or(layout.end, |r| middle(r) + 6).max(y0 + 12);
        let (colour, weight, class) = if o.witness {
            ("#c00", "bold", "operation witness")
        } else {
            ("#579", "normal", "operation")
        };
        let full = format!(
            "{}: {} → {} (steps {}–{}){}",
            o.object,
            o.op,
            o.result_text(),
            o.call,
            o.ret.map_or("end".to_string(), |r| r.to_string()),
            if o.witness {
                ", in the minimal history"
            } else {
                ""
            }
        );
        let mut tspans = String::new();
        for (n, line) in wrap(&o.short_label()).iter().enumerate() {
            let dy = if n == 0 { 0 } else { 11 };
            let _ = write!(
                tspans,
                r#"<tspan x="{}" dy="{dy}">{}</tspan>"#,
                x + 10,
                super::html::esc(line)
            );
        }
        let width = if o.witness { 3 } else { 2 };
        let _ = writeln!(
            svg,
            r#"<g class="{class}"><path d="M{} {y0}H{x}V{y1}H{}" fill="none" stroke="{colour}" stroke-width="{width}"/><text y="{}" fill="{colour}" font-size="10" font-weight="{weight}">{tspans}</text><title>{}</title></g>"#,
            x + 6,
            x + 6,
            y0 + 9,
            super::html::esc(&full),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn label(index: usize, lane: usize, text: &str) -> Step {
        Step {
            index,
            lane,
            text: format!("\"{text}\""),
            time: None,
            at: 0,
            kind: StepKind::Label(text.to_string()),
            blocked: false,
            failed: false,
            culprit: None,
            caused_by: None,
            internal: false,
        }
    }

    #[test]
    fn calls_and_returns_pair_up_and_the_witness_is_marked_by_its_call_step() {
        let steps = [
            label(0, 0, "lease: call #0 Acquire { holder: \"A\", at: 0 }"),
            label(1, 1, "lease: call #1 Renew { token: 1, at: 35000 }"),
            label(2, 0, "lease: #0 returned Granted(1)"),
            label(3, 1, "lease: #1 returned Renewed(true)"),
            label(4, 0, "lease: call #2 Increment { token: 1 }"),
        ];
        let outcome = Outcome::NotLinearizable {
            object: "lease".to_string(),
            operations: 3,
            minimal: vec![racecheck::history::RecordedOp {
                thread: "A.heartbeat".to_string(),
                op: "Renew { token: 1, at: 35000 }".to_string(),
                result: Some("Renewed(true)".to_string()),
                called_step: 1,
                called_at: 0,
                returned_step: Some(3),
                returned_at: Some(0),
            }],
        };
        let ops = operations(&steps, &outcome);
        assert_eq!(ops.len(), 3);
        assert_eq!((ops[0].call, ops[0].ret), (0, Some(2)));
        assert_eq!(ops[0].short_label(), "Acquire → Granted(1)");
        assert_eq!(
            (ops[1].call, ops[1].ret, ops[1].witness),
            (1, Some(3), true)
        );
        assert!(!ops[0].witness);
        assert_eq!(ops[2].ret, None);
        assert_eq!(ops[2].short_label(), "Increment → (pending)");
        let long = "GetAndLockNext → Locked { ticket: \"ticket-0\", until: 160 }";
        let lines = wrap(long);
        assert!(
            lines.iter().all(|l| l.chars().count() <= LABEL),
            "{lines:?}"
        );
        assert_eq!(lines.join(" "), long);
    }
}
