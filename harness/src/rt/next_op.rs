//! What each thread does at its next scheduling point, for the schedulers that weigh threads
//! by their next operation (partial order sampling, reads-from guided).
//!
//! shuttle switches *before* an atomic access and before a lock is taken, and the trace
//! records an atomic access only after it, so each such step announces itself here first and
//! withdraws the announcement once done: an atomic access and an external command
//! ([`announce`], [`done`]), a lock's wait ([`announce_lock`], [`took_lock`]). A scheduler
//! reads every thread's next operation from this one table, never from the trace. Unless a
//! scheduler asked for announcements on this OS thread (a shuttle runner runs all its tasks
//! on one), announcing costs one thread-local read.

use super::Execution;
use std::cell::{Cell, RefCell};

/// How an operation touches its object. The codes are bits: 1 reads, 2 writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Access {
    Read = 1,
    Write = 2,
    /// A read-modify-write: an RMW atomic, a lock acquisition (it orders after the last one).
    ReadWrite = 3,
}

impl Access {
    pub(crate) fn reads(self) -> bool {
        matches!(self, Access::Read | Access::ReadWrite)
    }

    pub(crate) fn writes(self) -> bool {
        matches!(self, Access::Write | Access::ReadWrite)
    }
}

/// One pending operation: its object (a facade object's id, or an external system's key from
/// [`external_key`]) and its access.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Op {
    pub object: u64,
    pub access: Access,
}

/// What one thread announced. A thread announces one step at a time: an access is announced
/// and done with nothing between but the backend's step, and a lock's wait lasts until the
/// lock is taken, so one slot holds either.
///
/// Two plain words, not the fields themselves: a scheduler copies an entry at every step, and
/// a struct with padding (an `Option<Op>`, a flag, a count) was copied in pieces of mixed
/// widths whose reload stalled on store forwarding (a quarter of POS's step in `perf`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Announced {
    /// The next operation's object, when `meta` names an access.
    object: u64,
    /// Bits 0–31: how many times it took a mutex. Bits 32–33: the next operation's access
    /// (0 none, else [`Access`]'s code). Bit 34: that operation is taking a mutex.
    meta: u64,
}

const LOCKS_TAKEN: u64 = u32::MAX as u64;
const ACCESS_SHIFT: u32 = 32;
const WAITS_FOR_LOCK: u64 = 1 << 34;

impl Announced {
    /// Its next operation: the atomic access or external command it is about to do, or taking
    /// the mutex it waits for (a lock counts as a read and a write of its mutex).
    #[inline]
    pub(crate) fn next(self) -> Option<Op> {
        let access = match (self.meta >> ACCESS_SHIFT) & 3 {
            0 => return None,
            1 => Access::Read,
            2 => Access::Write,
            _ => Access::ReadWrite,
        };
        Some(Op {
            object: self.object,
            access,
        })
    }

    /// Whether its next operation races with `op`: both touch one object and one of them
    /// writes. Read from the words themselves: the schedulers ask it of every runnable thread
    /// after each access, and decoding each entry into an `Option<Op>` first cost a branch on
    /// what each thread does.
    #[inline]
    pub(crate) fn conflicts(self, op: Op) -> bool {
        let code = (self.meta >> ACCESS_SHIFT) & 3;
        (self.object == op.object) & (code != 0) & ((code | op.access as u64) & 2 != 0)
    }

    /// `next` is taking a mutex.
    #[inline]
    pub(crate) fn waits_for_lock(self) -> bool {
        self.meta & WAITS_FOR_LOCK != 0
    }

    /// How many times it took a mutex: unchanged over a step it was picked for while it
    /// waited for one, the mutex was held and it blocked.
    #[inline]
    pub(crate) fn locks_taken(self) -> u32 {
        self.meta as u32
    }

    fn set_next(&mut self, op: Option<Op>, waits_for_lock: bool) {
        let code = op.map_or(0, |op| op.access as u64);
        self.object = op.map_or(0, |op| op.object);
        self.meta = self.meta & LOCKS_TAKEN
            | code << ACCESS_SHIFT
            | if waits_for_lock { WAITS_FOR_LOCK } else { 0 };
    }

    /// One more mutex taken.
    fn count_lock(&mut self) {
        self.meta = self.meta & !LOCKS_TAKEN | u64::from(self.locks_taken().wrapping_add(1));
    }
}

thread_local! {
    static WATCHING: Cell<bool> = const { Cell::new(false) };
    static ANNOUNCED: RefCell<Vec<Announced>> = const { RefCell::new(Vec::new()) };
}

/// Ask for (or stop) announcements on this OS thread; either way the table starts empty.
pub(crate) fn watch(on: bool) {
    WATCHING.set(on);
    ANNOUNCED.with_borrow_mut(|a| a.clear());
}

/// The calling model thread is about to touch `object`. Only under shuttle (a scheduler
/// watches only inside a shuttle runner).
#[inline]
pub(crate) fn announce(object: u64, access: Access) {
    if WATCHING.get() {
        update(shuttle_me(), |a| {
            debug_assert!(
                !a.waits_for_lock(),
                "an access announced while waiting for a lock"
            );
            a.set_next(Some(Op { object, access }), false);
        });
    }
}

/// The announced operation is done.
#[inline]
pub(crate) fn done() {
    if WATCHING.get() {
        update(shuttle_me(), |a| a.set_next(None, false));
    }
}

/// Model thread `me` waits to take `mutex` (the trace's `Lock` step).
#[inline]
pub(crate) fn announce_lock(me: usize, mutex: usize) {
    if WATCHING.get() {
        update(me, |a| {
            debug_assert_eq!(a.next(), None, "a lock's wait announced during an access");
            let lock = Op {
                object: mutex as u64,
                access: Access::ReadWrite,
            };
            a.set_next(Some(lock), true);
        });
    }
}

/// Model thread `me` took a mutex (the trace's `Acquired` step: after a wait, or a
/// `try_lock`'s success).
#[inline]
pub(crate) fn took_lock(me: usize) {
    if WATCHING.get() {
        update(me, |a| {
            a.set_next(None, false);
            a.count_lock();
        });
    }
}

/// The running shuttle task, as the shuttle backend noted it: a cell, not a query of shuttle.
#[inline]
fn shuttle_me() -> usize {
    let me = super::SHUTTLE_ME.get();
    debug_assert_eq!(me, usize::from(shuttle::current::me()));
    me
}

fn update(me: usize, f: impl FnOnce(&mut Announced)) {
    ANNOUNCED.with_borrow_mut(|a| {
        if a.len() <= me {
            a.resize(me + 1, Announced::default());
        }
        f(&mut a[me]);
    });
}

/// What thread `t` announced and has not done yet.
#[inline]
pub(crate) fn announced(t: usize) -> Announced {
    ANNOUNCED.with_borrow(|a| a.get(t).copied().unwrap_or_default())
}

/// An external system's key among the object ids: its name's hash with the top bit set, so it
/// never equals a facade object's index.
pub(crate) fn external_key(name: &str) -> u64 {
    use std::hash::Hasher;
    let mut h = crate::fnv::Fnv::new();
    h.write(name.as_bytes());
    h.finish() | 1 << 63
}

impl Execution {
    /// Each thread's kind, for the threads from `kinds.len()` on: a hash of its name without
    /// its digits, so `setter-3` and `setter-71` are one kind of thread. racecheck's spawn
    /// records no call site, so a name is what tells a thread's role. Unnamed threads
    /// (`thread-N`) are all one kind, [`unnamed_kind`]'s. Every thread at once: one lock of
    /// the execution where one per thread cost more than the hashing.
    pub(crate) fn thread_kinds(&self, kinds: &mut Vec<u64>) {
        let s = self.lock();
        let names = s.thread_names.iter().skip(kinds.len());
        kinds.extend(names.map(|name| kind_of(name.as_deref())));
    }
}

/// The kind of an unnamed thread, or of one the execution does not know.
pub(crate) fn unnamed_kind() -> u64 {
    kind_of(None)
}

/// A thread's kind from its name (see [`Execution::thread_kinds`]).
fn kind_of(name: Option<&str>) -> u64 {
    use std::hash::Hasher;
    let mut h = crate::fnv::Fnv::new();
    if let Some(name) = name {
        h.write_without_digits(name.as_bytes());
    }
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A lock's wait is the thread's next operation until it takes the lock, and each take
    /// counts: what reads-from tells a blocked try from a take by. Nothing is kept unwatched.
    #[test]
    fn a_lock_wait_is_announced_until_taken_and_each_take_counts() {
        watch(true);
        announce_lock(3, 7);
        let waiting = announced(3);
        let lock = Op {
            object: 7,
            access: Access::ReadWrite,
        };
        assert_eq!(waiting.next(), Some(lock));
        assert!(waiting.waits_for_lock());
        assert_eq!(
            announced(2),
            Announced::default(),
            "another thread's entry moved"
        );
        took_lock(3);
        let took = announced(3);
        assert_eq!(took.next(), None);
        assert!(!took.waits_for_lock());
        assert_eq!(took.locks_taken(), waiting.locks_taken() + 1);
        watch(false);
        announce_lock(3, 7);
        assert_eq!(announced(3), Announced::default());
    }

    /// The packed entry answers as the rule does: one object, and one of the two writes.
    #[test]
    fn an_entry_conflicts_as_the_rule_says() {
        let accesses = [Access::Read, Access::Write, Access::ReadWrite];
        for next in [
            None,
            Some(Access::Read),
            Some(Access::Write),
            Some(Access::ReadWrite),
        ] {
            for object in [4, 5] {
                let mut entry = Announced::default();
                entry.set_next(next.map(|access| Op { object: 4, access }), false);
                for access in accesses {
                    let op = Op { object, access };
                    let rule = next.is_some_and(|n| object == 4 && (n.writes() || access.writes()));
                    assert_eq!(entry.conflicts(op), rule, "{next:?} against {op:?}");
                }
            }
        }
    }
}
