//! Who waits on what: whether a thread can run, and the description a deadlock report gives.

use super::state::{State, Status, Wait};
use super::{tokio_task, Execution, Primitives};
use crate::outcome::Blocked;

impl State {
    /// Whether thread `t` cannot run unless another thread acts or the clock moves. A finished
    /// thread counts as stuck: it will not act.
    pub(super) fn stuck(&self, t: usize) -> bool {
        match self.status[t] {
            Status::Running => false,
            Status::Finished | Status::Sleeping { .. } => true,
            Status::Blocked(Wait::Mutex(m)) => self.is_held(m),
            Status::Blocked(Wait::Condvar { condvar, mutex, .. }) => {
                // No token, or none sent since this wait began (an earlier waiter's), or no mutex.
                let cv = self.condvar_ref(condvar);
                cv.tokens == 0 || cv.notifies == self.wait_from[t] || self.is_held(mutex)
            }
            Status::Blocked(Wait::Join(u)) => self.status[u] != Status::Finished,
            // An unpark makes it run at once, so while it parks it waits on another thread.
            Status::Blocked(Wait::Park { .. }) => true,
        }
    }

    /// Every blocked thread, with what it waits on.
    fn describe_blocked(&self) -> Vec<(usize, Blocked)> {
        let held_by = |m: usize| match self.owner(m) {
            Some(o) if o < self.thread_names.len() => format!("held by {}", self.thread_name(o)),
            _ => "free".to_string(),
        };
        let waits_on = |st: &Status| match *st {
            Status::Blocked(Wait::Mutex(m)) => {
                Some(format!("mutex {} ({})", self.object_name(m), held_by(m)))
            }
            Status::Blocked(Wait::Condvar { condvar, .. }) => Some(format!(
                "condvar {} (no notification will come)",
                self.object_name(condvar)
            )),
            Status::Blocked(Wait::Join(u)) => Some(format!("join of {}", self.thread_name(u))),
            Status::Blocked(Wait::Park { .. }) => {
                Some("unpark (parked, no unpark will come)".into())
            }
            _ => None,
        };
        self.status
            .iter()
            .enumerate()
            .filter_map(|(t, st)| {
                let waits_on = waits_on(st)?;
                // Blocked inside a lock the model implements: name that lock, not its insides.
                let waits_on = self
                    .model_locks
                    .waits_for(t, |h| self.thread_name(h))
                    .unwrap_or(waits_on);
                let thread = self.thread_name(t);
                Some((t, Blocked { thread, waits_on }))
            })
            .collect()
    }
}

impl Execution {
    /// Who is blocked on what now: for a deadlock the backend found before the facade did.
    pub(crate) fn blocked_now(&self) -> Vec<Blocked> {
        self.describe_all(&self.lock())
    }

    /// Blocked threads (saying which task a thread was polling when it blocked), then tasks.
    pub(super) fn describe_all(&self, s: &State) -> Vec<Blocked> {
        let mut blocked = s.describe_blocked();
        {
            let tasks = self.tasks();
            // On tokio only the blocking thread itself knows which task it polls.
            let tokio = match self.primitives {
                Primitives::Threads => tokio_task(),
                _ => None,
            };
            for b in &mut blocked {
                let polled = tasks.polled_by(b.0);
                let polled = polled.or(tokio.filter(|t| t.0 == b.0).map(|t| t.1));
                if let Some(task) = polled {
                    b.1.thread = format!("{} (polling task {})", b.1.thread, tasks.name(task));
                }
            }
        }
        let mut blocked: Vec<Blocked> = blocked.into_iter().map(|b| b.1).collect();
        blocked.extend(self.tasks().blocked());
        blocked
    }
}
