//! The smallest set of operations that shows a history is not linearizable.

use super::search::linearizable;
use super::{Operation, Spec};

/// Of a history `ops` that is not linearizable, the indices of the operations that are needed
/// to show it: every other one is made optional (it may be left out, or take effect inside its
/// interval with its recorded result) and the rest still cannot be linearized.
///
/// Making an operation optional only allows more orders, so what is kept is a sound witness: if
/// no order explains the kept operations even when any of the others may not have happened,
/// none explains the whole history; and the kept operations alone cannot be explained either.
/// Operations are tried in history order, once each: the result is minimal in that no single
/// kept operation can be made optional too, not necessarily the smallest such set. Operations
/// that never returned are never needed. A search that runs out of `left` keeps its operation.
/// The most search states one attempt to make an operation optional may spend.
const ATTEMPT_BUDGET: usize = 20_000;

pub fn minimal_history<S: Spec>(
    spec: &S,
    ops: &[&Operation<S::Op, S::Ret>],
    left: &mut usize,
) -> Vec<usize> {
    let mut relaxed: Vec<bool> = ops.iter().map(|o| o.ret.is_none()).collect();
    for k in 0..ops.len() {
        if relaxed[k] {
            continue;
        }
        relaxed[k] = true;
        // One attempt may not spend the whole budget: the others still get theirs.
        let mut attempt = (*left).min(ATTEMPT_BUDGET);
        let before = attempt;
        let still_rejected = linearizable(spec, ops, &relaxed, &mut attempt) == Some(false);
        *left -= before - attempt;
        if !still_rejected {
            relaxed[k] = false;
        }
    }
    (0..ops.len()).filter(|&k| !relaxed[k]).collect()
}
