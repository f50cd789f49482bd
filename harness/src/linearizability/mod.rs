//! Linearizability: can a concurrent history of operations be explained by some sequential
//! order of them that a [`Spec`] allows and that respects their real-time precedence?
//!
//! An operation A precedes B when A returned before B was called; overlapping operations may be
//! ordered either way (Herlihy & Wing, "Linearizability: a correctness condition for concurrent
//! objects", TOPLAS 12(3), 1990). The check is Wing & Gong's search ("Testing and verifying
//! concurrent objects", JPDC 17, 1993): extend a sequential order one operation at a time with
//! any operation no pending one must precede, backtracking on a result the spec does not allow.
//! Two refinements keep it fast on the histories models produce:
//! - memoisation of (operations linearized so far, spec state), after Lowe ("Testing for
//!   linearizability", CCPE 29(4), 2017), as Porcupine (github.com/anishathalye/porcupine,
//!   `checker.go`) and Knossos (github.com/jepsen-io/knossos, `wgl.clj`) do: a search that
//!   reaches the same set with the same state again cannot succeed where it failed before;
//! - P-compositionality (Horn & Kroening, "Faster linearizability checking via
//!   P-compositionality", FORTE 2015): a history splits into the operations on independent
//!   parts of the state ([`Spec::partition`]), each checked alone.
//!
//! The search is deterministic (operations are tried in history order) and bounded by a count
//! of search states, never by time: past the bound the verdict is [`Verdict::Undecided`].

mod minimal;
mod search;
#[cfg(test)]
mod tests;

use std::fmt::Debug;
use std::hash::Hash;

pub use minimal::minimal_history;

/// A sequential specification: the object's state and what each operation does to it.
///
/// `apply` is enough for a deterministic object; a spec that allows several results (a fresh
/// token of any value, say) overrides [`Spec::step`] instead and keeps `apply` as one of them.
pub trait Spec {
    /// The object's abstract state; hashed to remember the states a search has seen.
    type State: Clone + Eq + Hash + Debug;
    type Op: Clone + Debug;
    type Ret: Clone + Debug + PartialEq;

    /// The state before any operation.
    fn init(&self) -> Self::State;

    /// Run `op` on `state` sequentially and say what it returns.
    fn apply(&self, state: &mut Self::State, op: &Self::Op) -> Self::Ret;

    /// The state after `op` if `ret` is a result the spec allows from `state`, else `None`.
    fn step(&self, state: &Self::State, op: &Self::Op, ret: &Self::Ret) -> Option<Self::State> {
        let mut next = state.clone();
        (self.apply(&mut next, op) == *ret).then_some(next)
    }

    /// The states a call of `op` that never returned may have left, `state` before it. Its
    /// result was never observed, so any the spec allows will do: a spec whose [`Spec::step`]
    /// allows several results, finitely many, lists the state after each (without this, a
    /// pending call is taken to have had `apply`'s result, and a history it explains only
    /// with another is rejected). The default: `apply`'s one state.
    fn pending(&self, state: &Self::State, op: &Self::Op) -> Vec<Self::State> {
        let mut next = state.clone();
        self.apply(&mut next, op);
        vec![next]
    }

    /// Which independent part of the state `op` touches (one key of a map, say). Operations
    /// of different parts never constrain each other, so each part is checked alone. The
    /// default puts every operation in one part.
    fn partition(&self, _op: &Self::Op) -> u64 {
        0
    }
}

/// One operation of a history: what was called, what it returned, and where its call and
/// return fall in a real-time order of the execution (any positions that order them: racecheck
/// uses trace step indices). An operation that returned at or before another's call precedes
/// it.
#[derive(Clone, Debug, PartialEq)]
pub struct Operation<Op, Ret> {
    /// Who called it (a thread index); only shown, never used by the search.
    pub thread: usize,
    pub op: Op,
    /// `None`: it never returned (pending): it may have taken effect at any time after its
    /// call, or not at all, leaving any state [`Spec::pending`] lists.
    pub ret: Option<Ret>,
    pub called: u64,
    /// Where it returned; ignored when `ret` is `None`.
    pub returned: u64,
}

impl<Op, Ret> Operation<Op, Ret> {
    /// A completed operation.
    pub fn new(thread: usize, op: Op, ret: Ret, called: u64, returned: u64) -> Self {
        assert!(called < returned, "an operation returns after its call");
        Operation {
            thread,
            op,
            ret: Some(ret),
            called,
            returned,
        }
    }

    /// An operation that was called and never returned.
    pub fn pending(thread: usize, op: Op, called: u64) -> Self {
        Operation {
            thread,
            op,
            ret: None,
            called,
            returned: u64::MAX,
        }
    }
}

/// The default bound on search states for one history (all its parts together).
pub const DEFAULT_BUDGET: usize = 1_000_000;

/// What the check says of a history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Some sequential order the spec allows respects every precedence.
    Linearizable,
    /// None does. `minimal` are the indices (in history order) of a smallest set of
    /// operations that already cannot be explained, even if none of the others happened (see
    /// [`minimal_history`]).
    NotLinearizable { minimal: Vec<usize> },
    /// The bound on search states ran out first: nothing is claimed.
    Undecided { states: usize },
}

/// Check `history` against `spec`, exploring at most `budget` search states.
pub fn check<S: Spec>(spec: &S, history: &[Operation<S::Op, S::Ret>], budget: usize) -> Verdict {
    let mut left = budget;
    for part in partitions(spec, history) {
        let ops: Vec<&Operation<S::Op, S::Ret>> = part.iter().map(|&i| &history[i]).collect();
        match search::linearizable(spec, &ops, &vec![false; ops.len()], &mut left) {
            Some(true) => continue,
            Some(false) => {
                let kept = minimal_history(spec, &ops, &mut left);
                return Verdict::NotLinearizable {
                    minimal: kept.into_iter().map(|k| part[k]).collect(),
                };
            }
            None => {
                return Verdict::Undecided {
                    states: budget - left,
                }
            }
        }
    }
    Verdict::Linearizable
}

/// Whether `history` is linearizable under `spec`, without a witness when it is not: the
/// search alone, which [`check`] follows with the minimal history. `None`: `budget` search
/// states ran out first.
pub fn is_linearizable<S: Spec>(
    spec: &S,
    history: &[Operation<S::Op, S::Ret>],
    budget: usize,
) -> Option<bool> {
    let mut left = budget;
    for part in partitions(spec, history) {
        let ops: Vec<&Operation<S::Op, S::Ret>> = part.iter().map(|&i| &history[i]).collect();
        if !search::linearizable(spec, &ops, &vec![false; ops.len()], &mut left)? {
            return Some(false);
        }
    }
    Some(true)
}

/// The indices of `history` split by [`Spec::partition`], each part in history order, the parts
/// in the order of their first operation.
fn partitions<S: Spec>(spec: &S, history: &[Operation<S::Op, S::Ret>]) -> Vec<Vec<usize>> {
    let mut keys: Vec<u64> = Vec::new();
    let mut parts: Vec<Vec<usize>> = Vec::new();
    for (i, o) in history.iter().enumerate() {
        let key = spec.partition(&o.op);
        match keys.iter().position(|&k| k == key) {
            Some(p) => parts[p].push(i),
            None => {
                keys.push(key);
                parts.push(vec![i]);
            }
        }
    }
    parts
}
