//! The smallest set of operations that shows a history is not linearizable.

use super::search::linearizable;
use super::{Operation, Spec};

/// Of a history `ops` that is not linearizable, the indices of the operations that are needed
/// to show it: every other one is relaxed to pending (it may have taken effect at any time
/// after its call, with any result, or not at all) and the rest still cannot be linearized.
///
/// Relaxing only allows more orders, so what is left is a sound witness: if no order explains
/// the kept operations while the others may do anything, none explains the whole history; and
/// since a pending operation may also not happen, the kept operations alone cannot be explained
/// either. Operations are tried in history order, once each: the result is minimal in that no
/// single kept operation can be relaxed, not necessarily the smallest such set. Pending
/// operations are never needed. A search that runs out of `left` keeps its operation.
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
        if linearizable(spec, ops, &relaxed, left) != Some(false) {
            relaxed[k] = false;
        }
    }
    (0..ops.len()).filter(|&k| !relaxed[k]).collect()
}
