//! The running execution's record, for the reads-from scheduler: what each thread did to
//! each object, the last write of each, and which threads the pending constraints hold back.

use super::super::word_hash::{Map, Set};
use super::{ReadsFrom, Site};
use crate::rt::{self, next_op::Op};

/// A pending constraint at one step: whether its read, and other writes to its object, wait.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) struct Hold {
    constraint: ReadsFrom,
    /// Its read waits: its write (not the initial value) is not the object's last one yet.
    read_waits: bool,
    /// Other writes wait: the last write is the one the read is to read.
    writes_wait: bool,
}

/// Where a constraint stands in the running execution.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Standing {
    Pending,
    /// Its read happened, reading from its write, or from another: done either way.
    Settled,
}

/// The running execution's record.
#[derive(Default)]
pub(super) struct Run {
    constraints: Vec<(ReadsFrom, Standing)>,
    /// The pending constraints as they stand (see [`Run::restand`]).
    pub(super) holds: Vec<Hold>,
    /// The last `holds`' memory, for the next.
    spare: Vec<Hold>,
    /// Per thread: its kind (see `Execution::thread_kinds`), learned for every thread there
    /// is at the first ask past the end.
    kinds: Vec<u64>,
    /// Per thread: how many accesses it made to each object it touched, (object, count).
    /// A thread touches few objects, so a scan beats a table.
    counts: Vec<Vec<(u64, u32)>>,
    /// Per object: its last write. A facade object's id is its index in the execution, so
    /// those are a table by id; external systems' keys (see `rt::next_op::external_key`),
    /// far above, a map.
    last_write: Vec<Option<Site>>,
    last_write_far: Map<u64, Site>,
    /// Every read and write, repeats included (a kept execution's lists drop them).
    pub(super) reads: Vec<Site>,
    pub(super) writes: Vec<Site>,
    pub(super) new_pair: bool,
}

impl Run {
    /// Empty for the next execution, keeping the tables' memory.
    pub(super) fn clear(&mut self) {
        self.constraints.clear();
        self.holds.clear();
        self.kinds.clear();
        for c in &mut self.counts {
            c.clear();
        }
        self.last_write.clear();
        self.last_write_far.clear();
        self.reads.clear();
        self.writes.clear();
        self.new_pair = false;
    }

    #[inline]
    fn kind(&mut self, t: usize) -> u64 {
        match self.kinds.get(t) {
            Some(&kind) => kind,
            None => self.learn_kinds(t),
        }
    }

    /// Thread `t`'s kind, with every thread's the execution knows and this record does not
    /// (it takes the execution's lock).
    #[cold]
    #[inline(never)]
    fn learn_kinds(&mut self, t: usize) -> u64 {
        if !rt::in_execution() {
            return 0;
        }
        rt::with(|e| e.thread_kinds(&mut self.kinds));
        self.kinds
            .get(t)
            .copied()
            .unwrap_or_else(rt::next_op::unnamed_kind)
    }

    /// How many accesses thread `t` made to `object` so far.
    fn rank(&self, t: usize, object: u64) -> u32 {
        self.counts.get(t).map_or(0, |c| {
            c.iter().find(|(o, _)| *o == object).map_or(0, |(_, n)| *n)
        })
    }

    fn site(&mut self, t: usize, op: Op) -> Site {
        Site {
            kind: self.kind(t),
            object: op.object,
            nth: self.rank(t, op.object),
        }
    }

    /// Count one more access of thread `t` to `object`: its rank, before this one.
    fn count(&mut self, t: usize, object: u64) -> u32 {
        if self.counts.len() <= t {
            self.counts.resize_with(t + 1, Vec::new);
        }
        let c = &mut self.counts[t];
        match c.iter_mut().find(|(o, _)| *o == object) {
            Some((_, n)) => {
                *n += 1;
                *n - 1
            }
            None => {
                c.push((object, 1));
                0
            }
        }
    }

    fn last_write(&self, object: u64) -> Option<Site> {
        match near(object) {
            Some(i) => self.last_write.get(i).copied().flatten(),
            None => self.last_write_far.get(&object).copied(),
        }
    }

    fn wrote(&mut self, object: u64, site: Site) {
        match near(object) {
            Some(i) => {
                if self.last_write.len() <= i {
                    self.last_write.resize(i + 1, None);
                }
                self.last_write[i] = Some(site);
            }
            None => {
                self.last_write_far.insert(object, site);
            }
        }
    }

    /// The abstract schedule this execution runs under.
    pub(super) fn constraints(&self) -> impl Iterator<Item = ReadsFrom> + '_ {
        self.constraints.iter().map(|&(c, _)| c)
    }

    /// A new execution's abstract schedule: every constraint pending.
    pub(super) fn start(&mut self, constraints: Vec<ReadsFrom>) {
        self.constraints.clear();
        self.constraints
            .extend(constraints.into_iter().map(|c| (c, Standing::Pending)));
        self.restand();
    }

    /// What each pending constraint holds back now, and whether that changed: one lookup of
    /// its object's last write per constraint, after an access to its object, not one per
    /// thread asked. Most accesses move nothing a thread's answer depends on (a second writer
    /// of the same site, say): only a change has every thread asked again.
    fn restand(&mut self) -> bool {
        let mut holds = std::mem::take(&mut self.spare);
        holds.clear();
        for &(c, standing) in &self.constraints {
            if standing == Standing::Pending {
                let last = self.last_write(c.read.object);
                holds.push(Hold {
                    constraint: c,
                    read_waits: c.write.is_some() && last != c.write,
                    writes_wait: last == c.write,
                });
            }
        }
        let changed = holds != self.holds;
        self.spare = std::mem::replace(&mut self.holds, holds);
        changed
    }

    /// Whether thread `t`, about to do `op`, is held back by a pending constraint (as
    /// [`Run::restand`] found them). The answer moves only when `holds` does, or when `t`
    /// runs (its operation and its rank move): the scheduler asks then, not at every pick.
    /// Inlined up to [`Run::weigh`]: most threads' objects no constraint names.
    #[inline]
    pub(super) fn held_back(&mut self, t: usize, op: Option<Op>) -> bool {
        op.is_some_and(|op| {
            self.holds
                .iter()
                .any(|h| h.constraint.read.object == op.object)
                && self.weigh(t, op)
        })
    }

    /// [`Run::held_back`] worked out, for a thread whose object a pending constraint names.
    #[inline(never)]
    fn weigh(&mut self, t: usize, op: Op) -> bool {
        let site = self.site(t, op);
        self.holds.iter().any(|h| {
            let c = h.constraint;
            if c.read.object != op.object {
                false
            } else if c.read == site {
                // The read waits for its write (an initial-value read can no longer wait).
                op.access.reads() && h.read_waits
            } else {
                // Another write would overwrite what the read has yet to read.
                op.access.writes() && h.writes_wait && Some(site) != c.write
            }
        })
    }

    /// Thread `t` did `op`: count it, note what it read from and wrote. Whether that moved
    /// what the pending constraints hold back (see [`Run::restand`]).
    pub(super) fn ran(&mut self, t: usize, op: Op, seen: &mut Set<ReadsFrom>) -> bool {
        let constrained = self
            .holds
            .iter()
            .any(|h| h.constraint.read.object == op.object);
        let site = Site {
            kind: self.kind(t),
            object: op.object,
            nth: self.count(t, op.object),
        };
        if op.access.reads() {
            let pair = ReadsFrom {
                write: self.last_write(op.object),
                read: site,
            };
            self.new_pair |= seen.insert(pair);
            for (c, s) in &mut self.constraints {
                if c.read == site {
                    *s = Standing::Settled;
                }
            }
            self.reads.push(site);
        }
        if op.access.writes() {
            self.wrote(op.object, site);
            self.writes.push(site);
        }
        constrained && self.restand()
    }
}

/// Object ids from here up are external systems' keys, not indices (see [`Run::last_write`]).
const FAR_OBJECTS: u64 = 1 << 20;

/// A facade object's index into the per-object tables, or `None` for an external key.
#[inline]
fn near(object: u64) -> Option<usize> {
    (object < FAR_OBJECTS).then_some(object as usize)
}
