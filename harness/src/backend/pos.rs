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

/// The flag of a priority word (see [`Priorities`]): the thread may run.
const ALLOWED: u64 = 1 << 63;

/// A fresh priority, the thread's flag kept.
#[inline(always)]
fn redrawn(old: u64, rng: &mut Rng) -> u64 {
    (rng.next_u64() >> 1) | (old & ALLOWED)
}

/// The priorities of each thread's pending event: the part POS and the reads-from scheduler
/// share.
///
/// A priority is a 63-bit draw under one flag, [`ALLOWED`], set while the thread may run: POS
/// never clears it, the reads-from scheduler clears it for the threads its constraints hold
/// back. So the greatest word is the best allowed thread, or the best of all when none is,
/// and one pick serves both, with no question asked per thread per step.
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
                self.prio.push(redrawn(ALLOWED, rng));
            }
        }
        let Some((t, op)) = ran else { return };
        if let Some(p) = self.prio.get_mut(t) {
            *p = redrawn(*p, rng);
        }
        let Some(op) = op else { return };
        for u in runnable {
            let u = usize::from(u.id());
            if u != t && ops.conflicts(u, op) {
                self.prio[u] = redrawn(self.prio[u], rng);
            }
        }
    }

    /// The runnable thread with the highest priority word: the best allowed, else the best of
    /// all (see [`Priorities`]). Ties (equal 63-bit draws) go to the lower id: shuttle lists
    /// runnable tasks by id, so the first of equals met stays. Inlined, as it was when it took
    /// a closure: called at every step.
    #[inline]
    pub(super) fn pick(&mut self, runnable: &[&Task], ops: &NextOps) -> Option<TaskId> {
        let prio = &self.prio[..];
        let mut ranked = runnable.iter().map(|t| {
            let t = usize::from(t.id());
            (prio[t], t)
        });
        let mut top = ranked.next()?;
        for r in ranked {
            if r.0 > top.0 {
                top = r;
            }
        }
        Some(self.chose(top.1, ops))
    }

    /// How many threads have a priority: every thread seen runnable so far.
    pub(super) fn len(&self) -> usize {
        self.prio.len()
    }

    /// Whether thread `t` may run (see [`Priorities`]); its draw stays.
    #[inline]
    pub(super) fn allow(&mut self, t: usize, allowed: bool) {
        if let Some(p) = self.prio.get_mut(t) {
            *p = (*p & !ALLOWED) | (ALLOWED * u64::from(allowed));
        }
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
            *p = redrawn(*p, rng);
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
