//! The scheduler's view of one execution: each thread's next operation, from the facade's
//! announcements (atomics, external commands) and its recorded lock waits (see
//! `rt::next_op`).
//!
//! Between two scheduling decisions only the thread picked at the first one runs, so only its
//! announcement and its events can be new: each step reads that one thread's announcement and
//! the events recorded since, and keeps every thread's next operation in a table indexed by
//! thread, which the schedulers' per-step scans read without touching the facade.

use crate::rt;
use crate::rt::next_op::{self, Access, Op};
use std::sync::Arc;

#[derive(Default)]
pub(super) struct NextOps {
    /// How many of the execution's events were read.
    seen: usize,
    /// By thread id.
    threads: Vec<Thread>,
}

/// What the schedulers know of one thread.
#[derive(Clone, Copy, Default)]
struct Thread {
    /// What it announced and has not done yet, as of its last step.
    announced: Option<Op>,
    /// The mutex it recorded waiting for and has not taken yet.
    waiting: Option<u64>,
    /// How many events it recorded.
    recorded: u32,
}

impl Thread {
    /// Its next operation: the announced one, else taking the mutex it waits for.
    #[inline]
    fn next(&self) -> Option<Op> {
        self.announced.or_else(|| {
            Some(Op {
                object: self.waiting?,
                access: Access::ReadWrite,
            })
        })
    }
}

impl NextOps {
    /// A new execution starts: ask for announcements, forget the last execution's.
    pub(super) fn start(&mut self) {
        next_op::watch(true);
        self.forget();
    }

    fn forget(&mut self) {
        self.seen = 0;
        self.threads.clear();
    }

    /// A scheduling decision is due and `ran` (the thread picked last; shuttle's current one
    /// too, if it differs) ran since the last: read its announcement and, unless every thread
    /// that ran announced its next operation (which then hides its lock wait) and no one asks
    /// for event counts (`counting`), the events recorded since. Events left unread belong to
    /// threads with an announcement, so every answer is as if they had been read.
    pub(super) fn refresh(&mut self, ran: Option<usize>, current: Option<usize>, counting: bool) {
        let mut announced = !counting;
        match ran {
            Some(t) => {
                announced &= self.read_announcement(t);
                if let Some(c) = current.filter(|&c| c != t) {
                    announced &= self.read_announcement(c);
                }
            }
            None => return self.first_decision(current),
        }
        if !rt::in_execution() {
            return;
        }
        // Borrowed, not cloned: no reference count to touch at every step.
        if !announced {
            rt::with(|exec| self.read_events(exec));
        } else if cfg!(debug_assertions) {
            rt::with(|exec| {
                exec.events_since(self.seen, |e| {
                    let t = e.thread;
                    assert!(
                        self.get(t).announced.is_some(),
                        "thread {t}'s events unread"
                    );
                })
            });
        }
    }

    /// An execution's first decision: shuttle asks for it before main (task 0) has run, so
    /// there are no events to read, and the facade's current execution is still the previous
    /// one (main makes the next when it starts): reading its trace would take its length as
    /// this execution's events seen. shuttle may name no current task.
    #[cold]
    #[inline(never)]
    fn first_decision(&mut self, current: Option<usize>) {
        self.read_announcement(current.unwrap_or(0));
    }

    /// Read thread `t`'s announcement: whether it has one.
    fn read_announcement(&mut self, t: usize) -> bool {
        let announced = next_op::announced(t);
        self.thread(t).announced = announced;
        announced.is_some()
    }

    fn thread(&mut self, t: usize) -> &mut Thread {
        if self.threads.len() <= t {
            self.threads.resize(t + 1, Thread::default());
        }
        &mut self.threads[t]
    }

    fn read_events(&mut self, exec: &Arc<rt::Execution>) {
        let seen = self.seen;
        self.seen = exec.events_since(seen, |e| {
            let (t, lock) = next_op::lock_wait(e);
            let thread = self.thread(t);
            thread.waiting = lock;
            thread.recorded += 1;
        });
    }

    fn get(&self, t: usize) -> Thread {
        let thread = self.threads.get(t).copied().unwrap_or_default();
        debug_assert_eq!(
            thread.announced,
            next_op::announced(t),
            "thread {t}'s announcement moved unseen"
        );
        thread
    }

    /// How many events thread `t` recorded so far.
    pub(super) fn recorded(&self, t: usize) -> u32 {
        self.get(t).recorded
    }

    /// Thread `t`'s next operation is taking a mutex (it announced nothing else).
    pub(super) fn waits_for_lock(&self, t: usize) -> bool {
        let thread = self.get(t);
        thread.announced.is_none() && thread.waiting.is_some()
    }

    /// Thread `t`'s next operation, if it is one the schedulers weigh (an access to a shared
    /// object); `None` for anything else (a spawn, a label, a thread's first step).
    #[inline]
    pub(super) fn of(&self, t: usize) -> Option<Op> {
        if cfg!(debug_assertions) {
            self.get(t);
        }
        self.threads.get(t).and_then(Thread::next)
    }
}
