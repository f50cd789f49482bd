//! What each thread does at its next scheduling point, for the schedulers that weigh threads
//! by their next operation (partial order sampling, reads-from guided).
//!
//! shuttle switches *before* an atomic access and before a lock is taken. A lock's wait is
//! recorded before that switch (a `Lock` event), an atomic access only after it, so an atomic
//! access (and an external command) announces itself here first and withdraws the
//! announcement once done. Unless a scheduler asked for announcements on this OS thread (a
//! shuttle runner runs all its tasks on one), announcing costs one thread-local read.

use super::{Event, EventKind, Execution};
use std::cell::{Cell, RefCell};

/// How an operation touches its object.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Access {
    Read,
    Write,
    /// A read-modify-write: an RMW atomic, a lock acquisition (it orders after the last one).
    ReadWrite,
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

impl Op {
    /// Two operations race when they touch one object and one of them writes.
    pub(crate) fn conflicts(self, other: Op) -> bool {
        self.object == other.object && (self.access.writes() || other.access.writes())
    }
}

thread_local! {
    static WATCHING: Cell<bool> = const { Cell::new(false) };
    static ANNOUNCED: RefCell<Vec<Option<Op>>> = const { RefCell::new(Vec::new()) };
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
        set(Some(Op { object, access }));
    }
}

/// The announced operation is done.
#[inline]
pub(crate) fn done() {
    if WATCHING.get() {
        set(None);
    }
}

fn set(op: Option<Op>) {
    let me = usize::from(shuttle::current::me());
    ANNOUNCED.with_borrow_mut(|a| {
        if a.len() <= me {
            a.resize(me + 1, None);
        }
        a[me] = op;
    });
}

/// What thread `t` announced and has not done yet.
pub(crate) fn announced(t: usize) -> Option<Op> {
    ANNOUNCED.with_borrow(|a| a.get(t).copied().flatten())
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
    /// Call `f` with each event from index `from` on, under the state's lock; the new length.
    pub(crate) fn events_since(&self, from: usize, mut f: impl FnMut(&Event)) -> usize {
        let s = self.lock();
        for e in s.events.iter().skip(from) {
            f(e);
        }
        s.events.len()
    }

    /// A hash of thread `t`'s name without its digits: `setter-3` and `setter-71` are one kind
    /// of thread. racecheck's spawn records no call site, so a name is what tells a thread's
    /// role. Unnamed threads (`thread-N`) are all one kind.
    pub(crate) fn thread_kind(&self, t: usize) -> u64 {
        use std::hash::Hasher;
        let s = self.lock();
        let mut h = crate::fnv::Fnv::new();
        if let Some(Some(name)) = s.thread_names.get(t) {
            for b in name.bytes().filter(|b| !b.is_ascii_digit()) {
                h.write_u8(b);
            }
        }
        h.finish()
    }
}

/// A lock's wait as the scheduler sees it: thread `t` recorded `Lock` on `object` and has not
/// acquired it yet, so its next step takes it.
pub(crate) fn lock_wait(e: &Event) -> (usize, Option<u64>) {
    match e.kind {
        EventKind::Lock { object } => (e.thread, Some(object as u64)),
        _ => (e.thread, None),
    }
}
