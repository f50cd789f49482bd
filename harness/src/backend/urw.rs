//! Uniform random walk (URW): Huan Zhao, Dylan Wolff, Umang Mathur and Abhik Roychoudhury,
//! "Selectively Uniform Concurrency Testing", ASPLOS 2025.
//!
//! The random walk gives every runnable thread the same chance at each step, so an
//! interleaving's chance is the product of 1/(threads runnable) over its steps: a thread with
//! few steps left is run too early, a long one too late. URW picks a thread with probability
//! proportional to the events it has left, its own and those of the threads it has yet to
//! spawn; with exact counts every interleaving of the execution is equally likely. The counts
//! are estimated by a first execution, a plain random walk that counts each thread's steps
//! (a thread named by its spawn place and parent, shuttle's task signature, so one estimate
//! serves every execution); a thread not seen then gets the smallest estimate. A thread's
//! count never drops below one while it runs. No bound on the executions a bug needs.
//!
//! Per step the work is a pass over the runnable threads (the weights' total) and one up to
//! the drawn thread, with nothing written; a table lookup only when a thread appears.

use super::rng::Rng;
use super::word_hash::Map;
use shuttle::scheduler::{Schedule, Scheduler, Task, TaskId};

/// URW over a budget of executions, seeded.
pub(crate) struct UrwScheduler {
    rng: Rng,
    left: usize,
    /// Events per thread signature, its descendants' included; empty until the first
    /// execution ends.
    estimates: Map<u64, usize>,
    /// The smallest estimate, for a thread the first execution did not spawn.
    fallback: usize,
    run: Run,
}

/// The running execution's record, by thread id.
#[derive(Default)]
struct Run {
    /// The first execution counts; the others weigh.
    estimating: bool,
    /// Estimating: steps taken. Weighing: events left (at least one).
    events: Vec<usize>,
    /// Estimating: each thread's signature and its parent's id, for the totals.
    signatures: Vec<u64>,
    parents: Vec<Option<usize>>,
}

impl UrwScheduler {
    pub(crate) fn new(seed: u64, executions: usize) -> Self {
        UrwScheduler {
            rng: Rng::new(seed),
            left: executions,
            estimates: Map::default(),
            fallback: 1,
            run: Run::default(),
        }
    }

    /// The first execution ended: each thread's steps plus its descendants', by signature.
    /// A child's id is above its parent's, so adding from the highest id down carries a
    /// grandchild's count through its parent.
    fn settle_estimates(&mut self) {
        let run = &mut self.run;
        for t in (0..run.events.len()).rev() {
            if let Some(p) = run.parents[t] {
                run.events[p] += run.events[t];
            }
        }
        for (t, &sig) in run.signatures.iter().enumerate() {
            self.estimates.insert(sig, run.events[t].max(1));
        }
        self.fallback = self.estimates.values().copied().min().unwrap_or(1);
    }

    /// Threads with ids not seen yet joined the runnable ones: note them (estimating) or give
    /// them their estimate, taken from their parent's events (weighing). shuttle lists the
    /// runnable tasks by id, so the new ones are a tail: only that is read.
    fn admit(&mut self, runnable: &[&Task]) {
        let known = self.run.events.len();
        let tail = runnable
            .iter()
            .rposition(|t| usize::from(t.id()) < known)
            .map_or(0, |i| i + 1);
        for task in &runnable[tail..] {
            let t = usize::from(task.id());
            if t < self.run.events.len() {
                continue;
            }
            // Ids come in spawn order; one that was never runnable before this step gets a
            // slot too, so the table stays indexed by id.
            let sig = task.signature.signature_hash();
            let parent = task.parent_task_id().map(usize::from);
            let run = &mut self.run;
            if run.estimating {
                run.events.resize(t + 1, 0);
                run.signatures.resize(t + 1, 0);
                run.parents.resize(t + 1, None);
                run.signatures[t] = sig;
                run.parents[t] = parent.filter(|&p| p < t);
            } else {
                let child = self.estimates.get(&sig).copied().unwrap_or(self.fallback);
                run.events.resize(t + 1, self.fallback);
                run.events[t] = child;
                if let Some(p) = parent.filter(|&p| p < t) {
                    run.events[p] = run.events[p].saturating_sub(child).max(1);
                }
            }
        }
    }
}

impl Scheduler for UrwScheduler {
    fn new_execution(&mut self) -> Option<Schedule> {
        if self.run.estimating {
            self.settle_estimates();
        }
        self.left = self.left.checked_sub(1)?;
        let run = &mut self.run;
        run.estimating = self.estimates.is_empty();
        run.events.clear();
        run.signatures.clear();
        run.parents.clear();
        Some(Schedule::new(0))
    }

    fn next_task(
        &mut self,
        runnable: &[&Task],
        _current: Option<TaskId>,
        _is_yielding: bool,
    ) -> Option<TaskId> {
        // shuttle lists the runnable tasks by id, so a new one is last.
        let newest = usize::from(runnable.last()?.id());
        if newest >= self.run.events.len() {
            self.admit(runnable);
        }
        let run = &mut self.run;
        let task = if run.estimating {
            runnable[self.rng.below(runnable.len())]
        } else {
            let events = &run.events[..];
            let weight = |t: &Task| events.get(usize::from(t.id())).map_or(1, |&w| w);
            let mut left = self.rng.below(runnable.iter().map(|t| weight(t)).sum());
            let mut drawn = runnable[0];
            for &t in runnable {
                let w = weight(t);
                if left < w {
                    drawn = t;
                    break;
                }
                left -= w;
            }
            drawn
        };
        let t = usize::from(task.id());
        if t >= run.events.len() {
            // Not where shuttle puts a new task (the list out of id order): admitted alone now,
            // weighed from the next step.
            self.admit(std::slice::from_ref(&task));
        }
        let events = &mut self.run.events[t];
        *events = if self.run.estimating {
            *events + 1
        } else {
            events.saturating_sub(1).max(1)
        };
        Some(task.id())
    }

    fn next_u64(&mut self) -> u64 {
        self.rng.next_u64()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_thread_is_estimated_with_its_descendants_and_an_unseen_one_at_the_least() {
        let mut urw = UrwScheduler::new(0, 1);
        // main (0) spawned 1, which spawned 2; their own steps 5, 3, 2.
        urw.run = Run {
            estimating: true,
            events: vec![5, 3, 2],
            signatures: vec![10, 11, 12],
            parents: vec![None, Some(0), Some(1)],
        };
        urw.settle_estimates();
        assert_eq!(urw.estimates.get(&10), Some(&10));
        assert_eq!(urw.estimates.get(&11), Some(&5));
        assert_eq!(urw.estimates.get(&12), Some(&2));
        assert_eq!(urw.fallback, 2);
    }
}
