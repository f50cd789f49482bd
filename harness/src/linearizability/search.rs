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
    chosen: Option<usize>,
    /// The earliest return of an operation not yet linearized: only an operation called before
    /// it may come next (whatever returned earlier must precede it).
    deadline: u64,
}

/// Whether `ops` (one part of a history) are linearizable under `spec`, treating the operations
/// marked `relaxed` as pending (they may take effect at any time after their call, with any
/// result, or not at all). `None` when `left` search states ran out first; every new state
/// spends one.
pub(super) fn linearizable<S: Spec>(
    spec: &S,
    ops: &[&Operation<S::Op, S::Ret>],
    relaxed: &[bool],
    left: &mut usize,
) -> Option<bool> {
    let n = ops.len();
    // Operations that must be in the linearization: completed and not relaxed.
    let must: Vec<bool> = (0..n)
        .map(|i| ops[i].ret.is_some() && !relaxed[i])
        .collect();
    let returned: Vec<u64> = (0..n)
        .map(|i| if must[i] { ops[i].returned } else { u64::MAX })
        .collect();
    let mut missing = must.iter().filter(|&&m| m).count();
    if missing == 0 {
        return Some(true);
    }
    let mut done = Bits::new(n);
    let deadline = |done: &Bits| {
        (0..n)
            .filter(|&i| !done.get(i))
            .map(|i| returned[i])
            .min()
            .unwrap_or(u64::MAX)
    };
    let mut seen: HashSet<(Bits, S::State)> = HashSet::new();
    let mut stack = vec![Frame {
        state: spec.init(),
        next: 0,
        chosen: None,
        deadline: deadline(&done),
    }];
    while let Some(top) = stack.last_mut() {
        let mut advanced = None;
        while top.next < n {
            let i = top.next;
            top.next += 1;
            if done.get(i) || ops[i].called >= top.deadline {
                continue;
            }
            let next = match (&ops[i].ret, must[i]) {
                (Some(ret), true) => spec.step(&top.state, &ops[i].op, ret),
                _ => {
                    let mut s = top.state.clone();
                    spec.apply(&mut s, &ops[i].op);
                    Some(s)
                }
            };
            let Some(next) = next else { continue };
            done.flip(i);
            if seen.contains(&(done.clone(), next.clone())) {
                done.flip(i);
                continue;
            }
            if *left == 0 {
                return None;
            }
            *left -= 1;
            seen.insert((done.clone(), next.clone()));
            advanced = Some((i, next));
            break;
        }
        match advanced {
            Some((i, state)) => {
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
                    chosen: Some(i),
                    deadline,
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
