//! The scheduler's view of one execution: each thread's next operation, from the facade's
//! announcements (atomics, external commands) and its recorded lock waits (see
//! `rt::next_op`).

use crate::rt;
use crate::rt::next_op::{self, Access, Op};
use std::sync::Arc;

#[derive(Default)]
pub(super) struct NextOps {
    /// The address of the execution whose events were read (compared, never followed), and
    /// how many were read.
    exec: Option<usize>,
    seen: usize,
    /// Per thread: the mutex it recorded waiting for and has not taken yet.
    waiting: Vec<Option<u64>>,
    /// Per thread: how many events it recorded.
    recorded: Vec<u32>,
}

impl NextOps {
    /// A new execution starts: ask for announcements, forget the last execution's.
    pub(super) fn start(&mut self) {
        next_op::watch(true);
        self.exec = None;
        self.seen = 0;
        self.waiting.clear();
        self.recorded.clear();
    }

    /// Read the events recorded since the last call.
    pub(super) fn refresh(&mut self) {
        // Borrowed, not cloned: no reference count to touch at every step.
        if rt::in_execution() {
            rt::with(|exec| self.read_events(exec));
        }
    }

    fn read_events(&mut self, exec: &Arc<rt::Execution>) {
        let ptr = Arc::as_ptr(exec) as usize;
        if self.exec != Some(ptr) {
            self.exec = Some(ptr);
            self.seen = 0;
            self.waiting.clear();
            self.recorded.clear();
        }
        let (waiting, recorded) = (&mut self.waiting, &mut self.recorded);
        self.seen = exec.events_since(self.seen, |e| {
            let (t, lock) = next_op::lock_wait(e);
            if waiting.len() <= t {
                waiting.resize(t + 1, None);
                recorded.resize(t + 1, 0);
            }
            waiting[t] = lock;
            recorded[t] += 1;
        });
    }

    /// How many events thread `t` recorded so far.
    pub(super) fn recorded(&self, t: usize) -> u32 {
        self.recorded.get(t).copied().unwrap_or(0)
    }

    /// Thread `t`'s next operation is taking a mutex (it announced nothing else).
    pub(super) fn waits_for_lock(&self, t: usize) -> bool {
        next_op::announced(t).is_none() && self.waiting.get(t).is_some_and(Option::is_some)
    }

    /// Thread `t`'s next operation, if it is one the schedulers weigh (an access to a shared
    /// object); `None` for anything else (a spawn, a label, a thread's first step).
    pub(super) fn of(&self, t: usize) -> Option<Op> {
        next_op::announced(t).or_else(|| {
            let object = self.waiting.get(t).copied().flatten()?;
            Some(Op {
                object,
                access: Access::ReadWrite,
            })
        })
    }
}
