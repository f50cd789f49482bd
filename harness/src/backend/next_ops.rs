//! The scheduler's view of one execution: each thread's next operation, from the facade's
//! announcements (atomics, external commands, lock waits: see `rt::next_op`).
//!
//! Between two scheduling decisions only the thread picked at the first one runs, so only its
//! announcement can be new: each step reads that one thread's entry of the facade's table and
//! keeps a copy of every thread's, which the schedulers' per-step scans read without touching
//! the facade's thread-local table. The trace is never read.

use crate::rt::next_op::{self, Announced, Op};

#[derive(Default)]
pub(super) struct NextOps {
    /// By thread id: what it announced, as of its last step.
    threads: Vec<Announced>,
}

impl NextOps {
    /// A new execution starts: ask for announcements, forget the last execution's.
    pub(super) fn start(&mut self) {
        next_op::watch(true);
        self.threads.clear();
    }

    /// A scheduling decision is due and `ran` (the thread picked last; shuttle's current one
    /// too, if it differs) ran since the last: read its announcement. Inlined into the
    /// schedulers' step, as is the read: a call saves and restores their registers.
    #[inline(always)]
    pub(super) fn refresh(&mut self, ran: Option<usize>, current: Option<usize>) {
        match ran {
            Some(t) => {
                self.read(t);
                if let Some(c) = current.filter(|&c| c != t) {
                    self.read(c);
                }
            }
            None => self.first_decision(current),
        }
    }

    /// An execution's first decision: shuttle asks for it before main (task 0) has run, and
    /// may name no current task; main's entry is read so that the copy starts as the facade's.
    #[cold]
    #[inline(never)]
    fn first_decision(&mut self, current: Option<usize>) {
        self.read(current.unwrap_or(0));
    }

    #[inline(always)]
    fn read(&mut self, t: usize) {
        if self.threads.len() <= t {
            self.threads.resize(t + 1, Announced::default());
        }
        self.threads[t] = next_op::announced(t);
    }

    #[inline]
    fn get(&self, t: usize) -> Announced {
        let announced = self.threads.get(t).copied().unwrap_or_default();
        debug_assert_eq!(
            announced,
            next_op::announced(t),
            "thread {t}'s announcement moved unseen"
        );
        announced
    }

    /// How many times thread `t` took a mutex so far.
    pub(super) fn locks_taken(&self, t: usize) -> u32 {
        self.get(t).locks_taken()
    }

    /// If thread `t`'s next operation is taking a mutex (it announced nothing else), how many
    /// it took so far: one read of its entry for both.
    pub(super) fn lock_wait(&self, t: usize) -> Option<u32> {
        let announced = self.get(t);
        announced
            .waits_for_lock()
            .then_some(announced.locks_taken())
    }

    /// Whether thread `t`'s next operation races with `op` (one object, one of the two
    /// writes), read from its entry without decoding it into an `Op`.
    #[inline]
    pub(super) fn conflicts(&self, t: usize, op: Op) -> bool {
        if cfg!(debug_assertions) {
            return self.get(t).conflicts(op);
        }
        self.threads.get(t).is_some_and(|a| a.conflicts(op))
    }

    /// Thread `t`'s next operation, if it is one the schedulers weigh (an access to a shared
    /// object); `None` for anything else (a spawn, a label, a thread's first step).
    #[inline]
    pub(super) fn of(&self, t: usize) -> Option<Op> {
        if cfg!(debug_assertions) {
            return self.get(t).next();
        }
        self.threads.get(t).and_then(|a| a.next())
    }
}
