//! Locks a model implements itself (a Python `Lock` over a mutex and a condvar, a Redis lease, a
//! DynamoDB lock item), as the model names them: who holds each and who is asking for one, so a
//! deadlock report says "waits for LockManager._lock, which it holds itself" rather than naming
//! the condvar inside.

use super::events::ModelLockOp;
use std::borrow::Cow;

/// Who holds and who asks for each model-level lock.
#[derive(Debug, Default)]
pub(crate) struct ModelLocks {
    /// (lock, holder, how many times the holder took it without letting go).
    held: Vec<(Cow<'static, str>, usize, usize)>,
    /// Per thread, the lock it asked for and does not hold yet.
    asking: Vec<Option<Cow<'static, str>>>,
}

impl ModelLocks {
    /// As `default()` leaves it, keeping what it allocated.
    pub(super) fn clear(&mut self) {
        let ModelLocks { held, asking } = self;
        held.clear();
        asking.clear();
    }

    /// Thread `me` did `op` on `lock`.
    pub(crate) fn apply(&mut self, me: usize, lock: Cow<'static, str>, op: ModelLockOp) {
        if self.asking.len() <= me {
            self.asking.resize(me + 1, None);
        }
        let entry = self.held.iter().position(|(l, _, _)| *l == lock);
        match op {
            ModelLockOp::Asks => self.asking[me] = Some(lock),
            ModelLockOp::Holds { .. } => {
                self.asking[me] = None;
                match entry {
                    Some(e) if self.held[e].1 == me => self.held[e].2 += 1,
                    // The lock's service granted it: any earlier hold (a lapsed lease) is over.
                    Some(e) => self.held[e] = (lock, me, 1),
                    None => self.held.push((lock, me, 1)),
                }
            }
            ModelLockOp::Renews { .. } => {}
            ModelLockOp::LetsGo => {
                if let Some(e) = entry.filter(|&e| self.held[e].1 == me) {
                    self.held[e].2 -= 1;
                    if self.held[e].2 == 0 {
                        self.held.remove(e);
                    }
                }
            }
        }
    }

    /// What thread `t` waits for if it is blocked while asking for a model-level lock:
    /// `"LockManager._lock (held by heartbeat)"`; `name` gives a thread's name.
    pub(crate) fn waits_for(&self, t: usize, name: impl Fn(usize) -> String) -> Option<String> {
        let lock = self.asking.get(t)?.as_ref()?;
        let holder = self.held.iter().find(|(l, _, _)| l == lock).map(|h| h.1);
        Some(match holder {
            Some(h) if h == t => format!("{lock}, which it holds itself"),
            Some(h) => format!("{lock} (held by {})", name(h)),
            None => format!("{lock} (free, but no one will wake it)"),
        })
    }
}
