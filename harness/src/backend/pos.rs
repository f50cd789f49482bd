//! Partial order sampling (POS): Xinhao Yuan, Junfeng Yang and Ronghui Gu, "Partial Order
//! Aware Concurrency Sampling", CAV 2018.
//!
//! Every pending event (each thread's next step) carries a random priority, and the highest
//! runnable one runs. After an event runs, the thread's next event draws a fresh priority, and
//! so does every pending event that races with the one just run (same object, one of them
//! writes): the order of racing events is re-decided at each race, while independent events
//! keep theirs. The paper's point is that this spreads the samples over partial orders (the
//! orders of racing events) rather than over interleavings, where the random walk favours
//! partial orders with many interleavings. It gives no bound on the executions a given bug
//! needs, and no exhaustiveness: a pass is "not found".
//!
//! shuttle's scheduler interface gives only the runnable tasks; the facade adds each thread's
//! next operation and its object ([`NextOps`]). A step the facade does not know (a spawn, a
//! label) races with nothing.

use super::next_ops::NextOps;
use super::rng::Rng;
use crate::rt::next_op::Op;
use shuttle::scheduler::{Schedule, Scheduler, Task, TaskId};

/// The priorities of each thread's pending event: the part POS and the reads-from scheduler
/// share.
#[derive(Default)]
pub(super) struct Priorities {
    prio: Vec<u64>,
    /// The thread picked last and the operation it was about to do.
    ran: Option<(usize, Option<Op>)>,
}

impl Priorities {
    pub(super) fn clear(&mut self) {
        self.prio.clear();
        self.ran = None;
    }

    /// What ran since the last decision: thread and operation, taken once.
    pub(super) fn take_ran(&mut self) -> Option<(usize, Option<Op>)> {
        self.ran.take()
    }

    /// Redraw after a step: the stepping thread's next event, and every runnable event that
    /// races with what it did (or, if it yielded, its own, so a spin loop lets others run).
    /// Threads never seen runnable draw first, by id: shuttle lists runnable tasks by id, so
    /// the last is the highest. Inlined: it runs at every step, and a call passes `ran` in
    /// memory and saves the registers of two callers' loops (~25 instructions a step).
    #[inline(always)]
    pub(super) fn after_step(
        &mut self,
        ran: Option<(usize, Option<Op>)>,
        runnable: &[&Task],
        ops: &NextOps,
        rng: &mut Rng,
    ) {
        debug_assert!(runnable.is_sorted_by_key(|t| t.id()));
        if let Some(last) = runnable.last() {
            let last = usize::from(last.id());
            while self.prio.len() <= last {
                self.prio.push(rng.next_u64());
            }
        }
        let Some((t, op)) = ran else { return };
        if let Some(p) = self.prio.get_mut(t) {
            *p = rng.next_u64();
        }
        let Some(op) = op else { return };
        for u in runnable {
            let u = usize::from(u.id());
            if u != t && ops.conflicts(u, op) {
                self.prio[u] = rng.next_u64();
            }
        }
    }

    /// The runnable thread with the highest priority. Ties (equal 64-bit draws) go to the
    /// lower id. Inlined, as it was when it took a closure: called at every step.
    #[inline]
    pub(super) fn pick(&mut self, runnable: &[&Task], ops: &NextOps) -> Option<TaskId> {
        let prio = &self.prio[..];
        // Whether thread `t`, of priority `p`, ranks above thread `b`, of priority `q`.
        let above = |(p, t): (u64, usize), (q, b): (u64, usize)| p > q || (p == q && t < b);
        let mut ranked = runnable.iter().map(|t| {
            let t = usize::from(t.id());
            (prio[t], t)
        });
        let mut top = ranked.next()?;
        for r in ranked {
            if above(r, top) {
                top = r;
            }
        }
        Some(self.chose(top.1, ops))
    }

    /// The runnable thread with the highest priority among those `allowed`, else among all,
    /// ties to the lower id as in [`Priorities::pick`]: for when many may not be allowed
    /// (reads-from's held-back threads). Every runnable thread is asked, so the question must
    /// be cheap. One pass, and no branch on the random priorities: each thread's rank is one
    /// 128-bit word (allowed, then priority, then the lower id), and the greatest wins, by
    /// `cmov`. When none is allowed, the greatest is the best of all. (For the best of all
    /// alone, `pick`'s branches cost less: they are well predicted there.)
    pub(super) fn pick_ranked(
        &mut self,
        runnable: &[&Task],
        ops: &NextOps,
        mut allowed: impl FnMut(usize) -> bool,
    ) -> Option<TaskId> {
        const ID: u64 = u64::MAX >> 1;
        runnable.first()?;
        let prio = &self.prio[..];
        let mut best = 0u128;
        for task in runnable {
            let t = usize::from(task.id());
            let rank = u128::from(allowed(t)) << 127
                | u128::from(prio[t]) << 63
                | u128::from(!(t as u64) & ID);
            best = best.max(rank);
        }
        Some(self.chose((!(best as u64) & ID) as usize, ops))
    }

    /// Thread `t` is picked: noted with the operation it is about to do.
    #[inline]
    fn chose(&mut self, t: usize, ops: &NextOps) -> TaskId {
        self.ran = Some((t, ops.of(t)));
        TaskId::from(t)
    }

    /// A yielding thread gives way: its priority is drawn again.
    pub(super) fn yielded(&mut self, t: usize, rng: &mut Rng) {
        if let Some(p) = self.prio.get_mut(t) {
            *p = rng.next_u64();
        }
    }
}

/// POS over a budget of executions, seeded.
pub(crate) struct PosScheduler {
    rng: Rng,
    left: usize,
    ops: NextOps,
    priorities: Priorities,
}

impl PosScheduler {
    pub(crate) fn new(seed: u64, executions: usize) -> Self {
        PosScheduler {
            rng: Rng::new(seed),
            left: executions,
            ops: NextOps::default(),
            priorities: Priorities::default(),
        }
    }
}

impl Scheduler for PosScheduler {
    fn new_execution(&mut self) -> Option<Schedule> {
        self.left = self.left.checked_sub(1)?;
        self.ops.start();
        self.priorities.clear();
        Some(Schedule::new(0))
    }

    fn next_task(
        &mut self,
        runnable: &[&Task],
        current: Option<TaskId>,
        is_yielding: bool,
    ) -> Option<TaskId> {
        let ran = self.priorities.take_ran();
        self.ops
            .refresh(ran.map(|(t, _)| t), current.map(usize::from));
        self.priorities
            .after_step(ran, runnable, &self.ops, &mut self.rng);
        if is_yielding {
            if let Some(c) = current {
                self.priorities.yielded(usize::from(c), &mut self.rng);
            }
        }
        self.priorities.pick(runnable, &self.ops)
    }

    fn next_u64(&mut self) -> u64 {
        self.rng.next_u64()
    }
}
