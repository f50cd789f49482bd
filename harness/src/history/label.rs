//! The text of a history's trace steps: written here when a call or a return is recorded, and
//! read back here by whoever draws a race file's history, so the format lives in one place.

use std::fmt::Debug;

/// One history step of a trace, read from its label.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HistoryLabel<'a> {
    /// `counter: call #0 "increment"`: operation `index` of `object` is called.
    Call {
        object: &'a str,
        index: usize,
        op: &'a str,
    },
    /// `counter: #0 returned 1`: operation `index` of `object` returns.
    Return {
        object: &'a str,
        index: usize,
        result: &'a str,
    },
}

impl<'a> HistoryLabel<'a> {
    /// The history step a trace label records, if it is one.
    pub fn parse(label: &'a str) -> Option<Self> {
        if let Some((object, rest)) = label.split_once(": call #") {
            let (index, op) = rest.split_once(' ')?;
            return Some(HistoryLabel::Call {
                object,
                index: index.parse().ok()?,
                op,
            });
        }
        let (object, rest) = label.split_once(": #")?;
        let (index, result) = rest.split_once(" returned ")?;
        Some(HistoryLabel::Return {
            object,
            index: index.parse().ok()?,
            result,
        })
    }
}

/// The label of operation `index` of `object` being called with `op`.
pub(crate) fn call(object: &str, index: usize, op: &impl Debug) -> String {
    format!("{object}: call #{index} {op:?}")
}

/// The label of operation `index` of `object` returning `ret`.
pub(crate) fn ret(object: &str, index: usize, ret: &impl Debug) -> String {
    format!("{object}: #{index} returned {ret:?}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_written_reads_back() {
        let c = call("lease", 3, &"Acquire");
        assert_eq!(
            HistoryLabel::parse(&c),
            Some(HistoryLabel::Call {
                object: "lease",
                index: 3,
                op: "\"Acquire\""
            })
        );
        let r = ret("lease", 3, &Some(1));
        assert_eq!(
            HistoryLabel::parse(&r),
            Some(HistoryLabel::Return {
                object: "lease",
                index: 3,
                result: "Some(1)"
            })
        );
        assert_eq!(HistoryLabel::parse("A: acquired X"), None);
        assert_eq!(HistoryLabel::parse("lease: call #x Acquire"), None);
    }
}
