//! Reads-from guided fuzzing, in the spirit of RFF: Dylan Wolff, Zheng Shi, Gregory J. Duck,
//! Umang Mathur and Abhik Roychoudhury, "Greybox Fuzzing for Concurrency Testing", ASPLOS 2024.
//!
//! An *abstract schedule* is a few constraints "this read reads from that write" (or from the
//! initial value, before any write) between operations on one object; a lock acquisition
//! counts as a read and a write of its mutex, so lock order is a reads-from constraint too.
//! Operations are named abstractly, by the kind of their thread (its name without digits, see
//! `Execution::thread_kind`), their object and their rank among that thread's accesses to it,
//! so 99 threads of one kind share one name and one constraint steers any of them.
//!
//! Each execution follows its constraints: a read waits until its write is the object's last
//! one, and a write waits while it would overwrite what a constrained read has yet to read;
//! among the threads not held back, partial order sampling ([`super::pos`]) picks. A held-back
//! thread runs anyway when nothing else can, so constraints never deadlock a model. An
//! execution that shows a reads-from pair this scheduler has not seen before is kept, with
//! its reads and writes, in the corpus; the next abstract schedules mutate a kept one (a read
//! told to read from the initial value or from another write, a constraint dropped), or start
//! from none. Like RFF, it is a fuzzer: no bound on the executions a bug needs, no
//! exhaustiveness, a pass is "not found".

use super::next_ops::NextOps;
use super::pos::Priorities;
use super::rng::Rng;
use super::word_hash::{Map, Set};
use crate::rt::{self, next_op::Op};
use shuttle::scheduler::{Schedule, Scheduler, Task, TaskId};

/// An operation named across executions: its thread's kind, its object, and its rank among
/// that thread's accesses to the object.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct Site {
    kind: u64,
    object: u64,
    nth: u32,
}

/// `read` reads the value `write` wrote (`None`: the initial value).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct ReadsFrom {
    write: Option<Site>,
    read: Site,
}

/// A kept execution: the constraints it ran under, and its distinct reads and writes (what a
/// mutation draws from).
struct Kept {
    constraints: Vec<ReadsFrom>,
    reads: Vec<Site>,
    writes: Vec<Site>,
}

/// Where a constraint stands in the running execution.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Standing {
    Pending,
    /// Its read happened, reading from its write, or from another: done either way.
    Settled,
}

/// The corpus keeps at most this many executions; later finds replace the oldest.
const CORPUS: usize = 512;

pub(crate) struct ReadsFromScheduler {
    rng: Rng,
    left: usize,
    ops: NextOps,
    priorities: Priorities,
    corpus: Vec<Kept>,
    seen: Set<ReadsFrom>,
    run: Run,
}

/// The running execution's record.
#[derive(Default)]
struct Run {
    constraints: Vec<(ReadsFrom, Standing)>,
    kinds: Vec<Option<u64>>,
    /// Per thread: how many accesses it made to each object it touched, (object, count).
    /// A thread touches few objects, so a scan beats a table.
    counts: Vec<Vec<(u64, u32)>>,
    last_write: Map<u64, Site>,
    reads: Vec<Site>,
    writes: Vec<Site>,
    noted_reads: Set<Site>,
    noted_writes: Set<Site>,
    new_pair: bool,
}

impl Run {
    /// Empty for the next execution, keeping the tables' memory.
    fn clear(&mut self) {
        self.constraints.clear();
        self.kinds.clear();
        for c in &mut self.counts {
            c.clear();
        }
        self.last_write.clear();
        self.reads.clear();
        self.writes.clear();
        self.noted_reads.clear();
        self.noted_writes.clear();
        self.new_pair = false;
    }

    fn kind(&mut self, t: usize) -> u64 {
        if self.kinds.len() <= t {
            self.kinds.resize(t + 1, None);
        }
        *self.kinds[t].get_or_insert_with(|| rt::current().map_or(0, |e| e.thread_kind(t)))
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

    /// Count one more access of thread `t` to `object`.
    fn count(&mut self, t: usize, object: u64) {
        if self.counts.len() <= t {
            self.counts.resize_with(t + 1, Vec::new);
        }
        let c = &mut self.counts[t];
        match c.iter_mut().find(|(o, _)| *o == object) {
            Some((_, n)) => *n += 1,
            None => c.push((object, 1)),
        }
    }

    /// Whether thread `t`, about to do `op`, is held back by a pending constraint.
    fn held_back(&mut self, t: usize, op: Op) -> bool {
        if !self
            .constraints
            .iter()
            .any(|(c, s)| *s == Standing::Pending && c.read.object == op.object)
        {
            return false;
        }
        let site = self.site(t, op);
        let last = self.last_write.get(&op.object).copied();
        self.constraints.iter().any(|(c, s)| {
            if *s != Standing::Pending || c.read.object != op.object {
                return false;
            }
            if c.read == site {
                // The read waits for its write (an initial-value read can no longer wait).
                return op.access.reads() && c.write.is_some() && last != c.write;
            }
            // Another write would overwrite what the read has yet to read.
            op.access.writes() && Some(site) != c.write && last == c.write
        })
    }

    /// Thread `t` did `op`: count it, note what it read from and wrote.
    fn ran(&mut self, t: usize, op: Op, seen: &mut Set<ReadsFrom>) {
        let site = self.site(t, op);
        self.count(t, op.object);
        if op.access.reads() {
            let pair = ReadsFrom {
                write: self.last_write.get(&op.object).copied(),
                read: site,
            };
            self.new_pair |= seen.insert(pair);
            for (c, s) in &mut self.constraints {
                if c.read == site {
                    *s = Standing::Settled;
                }
            }
            if self.noted_reads.insert(site) {
                self.reads.push(site);
            }
        }
        if op.access.writes() {
            self.last_write.insert(op.object, site);
            if self.noted_writes.insert(site) {
                self.writes.push(site);
            }
        }
    }
}

impl ReadsFromScheduler {
    pub(crate) fn new(seed: u64, executions: usize) -> Self {
        ReadsFromScheduler {
            rng: Rng::new(seed),
            left: executions,
            ops: NextOps::default(),
            priorities: Priorities::default(),
            corpus: Vec::new(),
            seen: Set::default(),
            run: Run::default(),
        }
    }

    /// The execution that just ended: its last step, and into the corpus if it saw a new pair.
    fn finish_run(&mut self) {
        if let Some((t, Some(op))) = self.priorities.take_ran() {
            self.run.ran(t, op, &mut self.seen);
        }
        let run = &mut self.run;
        if run.new_pair && !run.reads.is_empty() {
            let kept = Kept {
                constraints: run.constraints.iter().map(|(c, _)| *c).collect(),
                reads: run.reads.clone(),
                writes: run.writes.clone(),
            };
            if self.corpus.len() == CORPUS {
                self.corpus.remove(0);
            }
            self.corpus.push(kept);
        }
        run.clear();
    }

    /// The next abstract schedule: none a quarter of the time (or while the corpus is empty),
    /// else a kept one mutated.
    fn next_constraints(&mut self) -> Vec<ReadsFrom> {
        if self.corpus.is_empty() || self.rng.below(4) == 0 {
            return Vec::new();
        }
        let pick = self.rng.below(self.corpus.len());
        let mut constraints = self.corpus[pick].constraints.clone();
        if !constraints.is_empty() && self.rng.below(4) == 0 {
            constraints.remove(self.rng.below(constraints.len()));
            return constraints;
        }
        // A few draws, and the first that asks for a pair no execution has shown yet: a
        // constraint every execution meets anyway steers nothing.
        let mut wanted = self.draw(pick);
        for _ in 0..MUTATION_DRAWS {
            if !self.seen.contains(&wanted) {
                break;
            }
            wanted = self.draw(pick);
        }
        constraints.retain(|c| c.read != wanted.read);
        constraints.push(wanted);
        constraints
    }

    /// One mutation of kept execution `pick`: one of its reads told to read from the initial
    /// value (half the time) or from another of its writes to that object.
    fn draw(&mut self, pick: usize) -> ReadsFrom {
        let kept = &self.corpus[pick];
        let read = kept.reads[self.rng.below(kept.reads.len())];
        // Counted, then the one drawn found again: no list built for a draw.
        let other = |w: &&Site| w.object == read.object && **w != read;
        let writes = kept.writes.iter().filter(other).count();
        let write = if writes == 0 || self.rng.below(2) == 0 {
            None
        } else {
            kept.writes
                .iter()
                .filter(other)
                .nth(self.rng.below(writes))
                .copied()
        };
        ReadsFrom { write, read }
    }
}

/// How many mutations to draw looking for a pair not seen yet.
const MUTATION_DRAWS: usize = 8;

impl Scheduler for ReadsFromScheduler {
    fn new_execution(&mut self) -> Option<Schedule> {
        self.finish_run();
        self.left = self.left.checked_sub(1)?;
        self.ops.start();
        self.priorities.clear();
        self.run.constraints = self
            .next_constraints()
            .into_iter()
            .map(|c| (c, Standing::Pending))
            .collect();
        Some(Schedule::new(0))
    }

    fn next_task(
        &mut self,
        runnable: &[&Task],
        current: Option<TaskId>,
        is_yielding: bool,
    ) -> Option<TaskId> {
        self.ops.refresh();
        let ran = self.priorities.take_ran();
        if let Some((t, Some(op))) = ran {
            self.run.ran(t, op, &mut self.seen);
        }
        self.priorities
            .after_step(ran, runnable, &self.ops, &mut self.rng);
        if is_yielding {
            if let Some(c) = current {
                self.priorities.yielded(usize::from(c), &mut self.rng);
            }
        }
        let (ops, run) = (&self.ops, &mut self.run);
        let constrained = run.constraints.iter().any(|(_, s)| *s == Standing::Pending);
        self.priorities.pick(runnable, ops, |t| {
            !constrained || ops.of(t).is_none_or(|op| !run.held_back(t, op))
        })
    }

    fn next_u64(&mut self) -> u64 {
        self.rng.next_u64()
    }
}
