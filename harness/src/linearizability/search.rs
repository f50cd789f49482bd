//! Wing & Gong's search with Lowe's memoisation, over one part of a history.

use super::{Operation, Spec};
use std::collections::HashSet;

/// Which operations a partial linearization holds: one bit per operation.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Bits(Vec<u64>);

impl Bits {
    fn new(n: usize) -> Self {
        Bits(vec![0; n.div_ceil(64)])
    }

    fn get(&self, i: usize) -> bool {
        self.0[i / 64] & (1 << (i % 64)) != 0
    }

    fn flip(&mut self, i: usize) {
        self.0[i / 64] ^= 1 << (i % 64);
    }
}

/// One level of the depth-first search: the state after the operations linearized so far, the
/// next operation to try here, and the one this level linearized (to undo on backtracking).
struct Frame<State> {
    state: State,
    next: usize,
    /// Which of the states [`Spec::pending`] lists to try next, when `next` is pending.
    alternative: usize,
    chosen: Option<usize>,
    /// The earliest return of a required operation not yet linearized: only an operation called
    /// before it may come next (whatever returned earlier must precede it).
    deadline: u64,
    /// The latest call among the operations linearized: an optional operation that returned
    /// by then can no longer come next (it preceded that one).
    frontier: u64,
}

/// Whether `ops` (one part of a history) are linearizable under `spec`. Operations marked
/// `relaxed` are optional: each may be left out, or linearized inside its interval with its
/// recorded result. An operation that never returned is optional too, and may take effect at
/// any time after its call, leaving any of the states [`Spec::pending`] lists. `None` when `left` search states ran
/// out first; every new state spends one.
///
/// A search state is remembered as (the state, which operations are closed, the frontier),
/// where closed means linearized, or optional and past its interval: paths that differ only in
/// which optional operations they left out behind them meet in one state.
pub(super) fn linearizable<S: Spec>(
    spec: &S,
    ops: &[&Operation<S::Op, S::Ret>],
    relaxed: &[bool],
    left: &mut usize,
) -> Option<bool> {
    let n = ops.len();
    let must: Vec<bool> = (0..n)
        .map(|i| ops[i].ret.is_some() && !relaxed[i])
        .collect();
    let returned: Vec<u64> = (0..n)
        .map(|i| {
            if ops[i].ret.is_some() {
                ops[i].returned
            } else {
                u64::MAX
            }
        })
        .collect();
    let mut missing = must.iter().filter(|&&m| m).count();
    if missing == 0 {
        return Some(true);
    }
    let mut done = Bits::new(n);
    let deadline = |done: &Bits| {
        (0..n)
            .filter(|&i| must[i] && !done.get(i))
            .map(|i| returned[i])
            .min()
            .unwrap_or(u64::MAX)
    };
    let closed = |done: &Bits, frontier: u64| {
        let mut c = done.clone();
        for i in 0..n {
            if !must[i] && !c.get(i) && returned[i] <= frontier {
                c.flip(i);
            }
        }
        c
    };
    let mut seen: HashSet<(Bits, u64, S::State)> = HashSet::new();
    let mut stack = vec![Frame {
        state: spec.init(),
        next: 0,
        alternative: 0,
        chosen: None,
        deadline: deadline(&done),
        frontier: 0,
    }];
    while let Some(top) = stack.last_mut() {
        let mut advanced = None;
        while top.next < n {
            let i = top.next;
            let open = !done.get(i) && (must[i] || returned[i] > top.frontier);
            if !open || ops[i].called >= top.deadline {
                top.next += 1;
                continue;
            }
            let next = match &ops[i].ret {
                Some(ret) => {
                    top.next += 1;
                    spec.step(&top.state, &ops[i].op, ret)
                }
                // A pending operation is tried once for each state it may leave.
                None => {
                    let states = spec.pending(&top.state, &ops[i].op);
                    let k = top.alternative;
                    if k + 1 >= states.len() {
                        top.next += 1;
                        top.alternative = 0;
                    } else {
                        top.alternative += 1;
                    }
                    states.into_iter().nth(k)
                }
            };
            let Some(next) = next else { continue };
            let frontier = top.frontier.max(ops[i].called);
            done.flip(i);
            let key = (closed(&done, frontier), frontier, next);
            if seen.contains(&key) {
                done.flip(i);
                continue;
            }
            if *left == 0 {
                return None;
            }
            *left -= 1;
            let state = key.2.clone();
            seen.insert(key);
            advanced = Some((i, state, frontier));
            break;
        }
        match advanced {
            Some((i, state, frontier)) => {
                if must[i] {
                    missing -= 1;
                    if missing == 0 {
                        return Some(true);
                    }
                }
                let deadline = deadline(&done);
                stack.push(Frame {
                    state,
                    next: 0,
                    alternative: 0,
                    chosen: Some(i),
                    deadline,
                    frontier,
                });
            }
            None => {
                let frame = stack.pop().expect("a frame is on the stack");
                if let Some(i) = frame.chosen {
                    done.flip(i);
                    if must[i] {
                        missing += 1;
                    }
                }
            }
        }
    }
    Some(false)
}
