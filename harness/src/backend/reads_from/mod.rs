//! Reads-from guided fuzzing, in the spirit of RFF: Dylan Wolff, Zheng Shi, Gregory J. Duck,
//! Umang Mathur and Abhik Roychoudhury, "Greybox Fuzzing for Concurrency Testing", ASPLOS 2024.
//!
//! An *abstract schedule* is a few constraints "this read reads from that write" (or from the
//! initial value, before any write) between operations on one object; a lock acquisition
//! counts as a read and a write of its mutex, so lock order is a reads-from constraint too.
//! Operations are named abstractly, by the kind of their thread (its name without digits, see
//! `Execution::thread_kinds`), their object and their rank among that thread's accesses to it,
//! so 99 threads of one kind share one name and one constraint steers any of them. A lock a
//! thread tried and blocked on is not an access until it takes it: ranks count what a thread
//! did, so a name means the same operation in every execution.
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

mod run;

use super::next_ops::NextOps;
use super::pos::Priorities;
use super::rng::Rng;
use super::word_hash::Set;
use run::Run;
use shuttle::scheduler::{Schedule, Scheduler, Task, TaskId};
use std::hash::{Hash, Hasher};

/// An operation named across executions: its thread's kind, its object, and its rank among
/// that thread's accesses to the object.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Site {
    kind: u64,
    object: u64,
    nth: u32,
}

impl Site {
    /// The site folded into one word, for hashing: the kind is a hash already, the object and
    /// the rank small integers, spread by odd multipliers so that neighbours differ in the low
    /// bits a table indexes by. One word hashes in one round where three took three.
    fn word(self) -> u64 {
        self.kind
            ^ self.object.wrapping_mul(0x9E37_79B9_7F4A_7C15)
            ^ u64::from(self.nth).wrapping_mul(0xC2B2_AE3D_27D4_EB4F)
    }
}

impl Hash for Site {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(self.word());
    }
}

/// `read` reads the value `write` wrote (`None`: the initial value).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct ReadsFrom {
    write: Option<Site>,
    read: Site,
}

impl Hash for ReadsFrom {
    fn hash<H: Hasher>(&self, state: &mut H) {
        // The initial value as a word no site folds to often; the write turned so that a
        // pair and its mirror differ.
        let write = self.write.map_or(0x5851_F42D_4C95_7F2D, Site::word);
        state.write_u64(self.read.word() ^ write.rotate_left(23));
    }
}

/// A kept execution: the constraints it ran under, and its distinct reads and writes (what a
/// mutation draws from).
struct Kept {
    constraints: Vec<ReadsFrom>,
    reads: Vec<Site>,
    writes: Vec<Site>,
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
    /// The thread picked last, if its step was to take a mutex, and how many mutexes it had
    /// taken then: if none since, the mutex was held and it blocked, so the access is still
    /// to come (shuttle gives a contended lock two steps, the blocked try and the take).
    picked_lock: Option<(usize, u32)>,
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
            picked_lock: None,
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
                constraints: run.constraints().collect(),
                reads: first_of_each(&run.reads),
                writes: first_of_each(&run.writes),
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

    /// Thread `t` may run unless the pending constraints hold its next operation back.
    #[inline]
    fn reweigh(&mut self, t: usize) {
        let held = self.run.held_back(t, self.ops.of(t));
        self.priorities.allow(t, !held);
    }
}

/// `sites` without repeats, in the order they first came.
fn first_of_each(sites: &[Site]) -> Vec<Site> {
    let mut seen = Set::default();
    sites.iter().copied().filter(|s| seen.insert(*s)).collect()
}

/// How many mutations to draw looking for a pair not seen yet.
const MUTATION_DRAWS: usize = 8;

impl Scheduler for ReadsFromScheduler {
    fn new_execution(&mut self) -> Option<Schedule> {
        self.finish_run();
        self.left = self.left.checked_sub(1)?;
        self.ops.start();
        self.priorities.clear();
        self.picked_lock = None;
        let constraints = self.next_constraints();
        self.run.start(constraints);
        Some(Schedule::new(0))
    }

    fn next_task(
        &mut self,
        runnable: &[&Task],
        current: Option<TaskId>,
        is_yielding: bool,
    ) -> Option<TaskId> {
        let ran = self.priorities.take_ran();
        let current = current.map(usize::from);
        self.ops.refresh(ran.map(|(t, _)| t), current);
        let mut moved = false;
        if let Some((t, Some(op))) = ran {
            let blocked = self
                .picked_lock
                .is_some_and(|(p, n)| p == t && self.ops.locks_taken(t) == n);
            if !blocked {
                moved = self.run.ran(t, op, &mut self.seen);
            }
        }
        self.priorities
            .after_step(ran, runnable, &self.ops, &mut self.rng);
        if is_yielding {
            if let Some(c) = current {
                self.priorities.yielded(c, &mut self.rng);
            }
        }
        // Who may run: every thread asked again if what the constraints hold back moved,
        // else only those whose next operation may have (the one that ran, and shuttle's
        // current one). Nothing is held while no constraint is pending, and every flag was
        // set when the last one settled.
        if moved {
            for u in 0..self.priorities.len() {
                self.reweigh(u);
            }
        } else if !self.run.holds.is_empty() {
            let stepped = ran.map_or(current.unwrap_or(0), |(t, _)| t);
            self.reweigh(stepped);
            if let Some(c) = current.filter(|&c| c != stepped) {
                self.reweigh(c);
            }
        }
        let picked = self.priorities.pick(runnable, &self.ops)?;
        let t = usize::from(picked);
        self.picked_lock = self.ops.lock_wait(t).map(|n| (t, n));
        Some(picked)
    }

    fn next_u64(&mut self) -> u64 {
        self.rng.next_u64()
    }
}
