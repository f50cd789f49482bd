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
}

impl NextOps {
    /// A new execution starts: ask for announcements, forget the last execution's.
    pub(super) fn start(&mut self) {
        next_op::watch(true);
        self.exec = None;
        self.seen = 0;
        self.waiting.clear();
    }

    /// Read the events recorded since the last call.
    pub(super) fn refresh(&mut self) {
        let Some(exec) = rt::current() else { return };
        let ptr = Arc::as_ptr(&exec) as usize;
        if self.exec != Some(ptr) {
            self.exec = Some(ptr);
            self.seen = 0;
            self.waiting.clear();
        }
        let waiting = &mut self.waiting;
        self.seen = exec.events_since(self.seen, |e| {
            let (t, lock) = next_op::lock_wait(e);
            if waiting.len() <= t {
                waiting.resize(t + 1, None);
            }
            waiting[t] = lock;
        });
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
