//! The model's own locks on a timeline: what a model names with `trace::asks`, `trace::holds`
//! (`holds_until` for a lease), `trace::renews_until` and `trace::lets_go`, drawn as a bar from
//! the grant to the let-go or the lease's expiry, whichever comes first, and a hatched wait
//! from the ask to the grant. The mutex and condvar such a lock is built from (`L.state`,
//! `L.released`) are its insides: their steps get no row and their bars are not drawn.
//!
//! Also the culprits: a `trace::mark_suspect` step marks the lane's step before it.

use super::timeline::{Span, Step, StepKind};
use std::collections::BTreeSet;

/// How a hold ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HoldEnd {
    /// Let go at this step, before any lease ran out.
    LetGo(usize),
    /// The lease ran out at this virtual time (nanoseconds) before anyone let go.
    Expired(u64),
    /// Still held when the race ends.
    Open,
}

/// One lane's hold of a model-level lock, reentrant holds counted as one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hold {
    pub lane: usize,
    pub lock: String,
    /// The step that was granted it.
    pub from: usize,
    /// The lease's end after the last renewal (nanoseconds), if it is a lease.
    pub until: Option<u64>,
    /// Steps that renewed it (possibly in another lane: a heartbeat thread).
    pub renewals: Vec<usize>,
    pub end: HoldEnd,
}

/// The objects inside the model-level locks, and the run queue of the async runtime.
pub struct Insides {
    locks: BTreeSet<String>,
}

/// The async runtime's objects (`runtime.queue`, its run queue, which every poll takes, and
/// `runtime.work`, where an idle worker waits): a reader needs none of their steps.
const RUNTIME: &str = "runtime.";

impl Insides {
    pub fn of(steps: &[Step]) -> Insides {
        let locks = steps
            .iter()
            .filter_map(|s| match &s.kind {
                StepKind::Asks(l) | StepKind::LetsGo(l) => Some(l.clone()),
                StepKind::Holds { lock, .. } => Some(lock.clone()),
                _ => None,
            })
            .collect();
        Insides { locks }
    }

    /// Whether `object` is bookkeeping: inside a model-level lock `L` (named `L.something`)
    /// or the async runtime's.
    pub fn contains(&self, object: &str) -> bool {
        object.starts_with(RUNTIME)
            || object
                .rsplit_once('.')
                .is_some_and(|(lock, _)| self.locks.contains(lock))
    }

    /// Mark the steps on those objects, and suspect marks, as internal.
    pub fn mark(&self, steps: &mut [Step]) {
        for s in steps {
            s.internal |= matches!(s.kind, StepKind::Suspect(_))
                || s.kind.object().is_some_and(|o| self.contains(o));
        }
    }
}

/// The holds of model-level locks and the waits for them (hatched spans); marks the asks that
/// had to wait as blocked.
pub fn holds(steps: &mut [Step], names: &[String]) -> (Vec<Hold>, Vec<Span>) {
    let lanes = names.len();
    let until = |t: &Option<String>| t.as_deref().and_then(super::timeline::nanos);
    let mut holds: Vec<Hold> = Vec::new();
    // Open holds: (index into holds, depth).
    let mut open: Vec<(usize, usize)> = Vec::new();
    // Per lane, the lock it asked for, at which step, and whether it had to wait.
    let mut asking: Vec<Option<(String, usize, bool)>> = vec![None; lanes];
    let mut waits = Vec::new();
    let held_by_other = |holds: &[Hold], open: &[(usize, usize)], lock: &str, lane: usize| {
        open.iter()
            .any(|&(h, _)| holds[h].lock == lock && holds[h].lane != lane)
    };
    for i in 0..steps.len() {
        let (lane, at) = (steps[i].lane, steps[i].at);
        if lane >= lanes {
            continue;
        }
        match steps[i].kind.clone() {
            StepKind::Asks(lock) => {
                // A lane that asks again for what it holds waits (a non-reentrant lock) unless
                // it is granted at once (a reentrant one): the grant tells.
                let waits_now = held_by_other(&holds, &open, &lock, lane);
                asking[lane] = Some((lock, i, waits_now));
            }
            StepKind::Wait(_) if steps[i].internal => {
                if let Some(ask) = &mut asking[lane] {
                    ask.2 = true;
                }
            }
            StepKind::Holds { lock, until: u } => {
                if let Some((asked, at_ask, waited)) = asking[lane].take() {
                    if asked == lock && waited {
                        steps[at_ask].blocked = true;
                        waits.push(Span {
                            lane,
                            object: lock.clone(),
                            from: at_ask,
                            to: i,
                            holding: false,
                        });
                    }
                }
                let mine = open
                    .iter_mut()
                    .find(|(h, _)| holds[*h].lock == lock && holds[*h].lane == lane);
                match mine {
                    Some((_, depth)) => *depth += 1,
                    None => {
                        open.push((holds.len(), 1));
                        holds.push(Hold {
                            lane,
                            lock,
                            from: i,
                            until: until(&u),
                            renewals: Vec::new(),
                            end: HoldEnd::Open,
                        });
                    }
                }
            }
            StepKind::Renews { lock, until: u } => {
                // Whose lease: this lane's, else the lane it is a helper of (`A.heartbeat`
                // renews A's), else the latest granted.
                let name =
                    |h: usize| names[lane].starts_with(&format!("{}.", names[holds[h].lane]));
                let pick = open
                    .iter()
                    .filter(|&&(h, _)| holds[h].lock == lock)
                    .max_by_key(|&&(h, _)| (holds[h].lane == lane, name(h), holds[h].from))
                    .map(|&(h, _)| h);
                if let Some(h) = pick {
                    holds[h].until = until(&Some(u));
                    holds[h].renewals.push(i);
                }
            }
            StepKind::LetsGo(lock) => {
                let mine = open
                    .iter()
                    .position(|&(h, _)| holds[h].lock == lock && holds[h].lane == lane);
                if let Some(k) = mine {
                    open[k].1 -= 1;
                    if open[k].1 == 0 {
                        let h = open.remove(k).0;
                        holds[h].end = match holds[h].until {
                            Some(t) if t < at => HoldEnd::Expired(t),
                            _ => HoldEnd::LetGo(i),
                        };
                    }
                }
            }
            _ => {}
        }
    }
    let last = steps.last().map_or(0, |s| s.at);
    for (h, _) in open {
        if let Some(t) = holds[h].until.filter(|&t| t <= last) {
            holds[h].end = HoldEnd::Expired(t);
        }
    }
    let end = steps.len().saturating_sub(1);
    for (lane, ask) in asking.into_iter().enumerate() {
        // Never granted: it waited to the end.
        if let Some((lock, at, _)) = ask {
            steps[at].blocked = true;
            waits.push(Span {
                lane,
                object: lock,
                from: at,
                to: end,
                holding: false,
            });
        }
    }
    (holds, waits)
}

/// Mark each suspect's culprit (the lane's step before it) with its reason; the first one.
pub fn mark_culprits(steps: &mut [Step]) -> Option<usize> {
    let mut first = None;
    for k in 0..steps.len() {
        let StepKind::Suspect(reason) = steps[k].kind.clone() else {
            continue;
        };
        let lane = steps[k].lane;
        let culprit = (0..k)
            .rev()
            .find(|&j| steps[j].lane == lane && !matches!(steps[j].kind, StepKind::Suspect(_)));
        if let Some(j) = culprit {
            steps[j].culprit = Some(reason);
            first = first.or(Some(j));
        }
    }
    first
}
