//! The portfolio: one budget spread over every seeded scheduler, execution by execution.
//!
//! No one scheduler is best at every bug: PCT finds bugs of few ordering constraints in long
//! executions, the uniform random walk those that need one thread to stay out of the way
//! of many, the reads-from scheduler those that need a read to see one write among many.
//! Taking turns costs a bug at most what its best member needs over that member's share of
//! the turns (less when several find it), and finds every bug any member finds.
//!
//! Each seed block (see [`crate::parallel`]) builds its own members, every one seeded with
//! the block's seed, and the turn of execution `j` of a block is [`turn`]`(j)`: what an
//! execution does depends on (seed, its index) alone, whatever the workers and shards. As a
//! member sees only its own executions, its k-th execution in the portfolio is its k-th run
//! alone from that seed (on models without `racecheck::choose`, whose draws follow the
//! execution's index): for every seed, a bug a member finds at its k-th execution the
//! portfolio finds by that member's k-th turn. One execution is spent twice: the reads-from
//! scheduler's first, with nothing kept yet, is POS's first.

use super::seeded;
use crate::check::BackendKind;
use shuttle::scheduler::{Schedule, Scheduler, Task, TaskId};

/// The members, by their place in [`OPENING`] and [`CYCLE`].
pub(crate) const MEMBERS: [BackendKind; 5] = [
    BackendKind::ReadsFrom,
    BackendKind::Pct,
    BackendKind::Urw,
    BackendKind::Pos,
    BackendKind::Random,
];

const RF: usize = 0;
const PCT: usize = 1;
const URW: usize = 2;
const POS: usize = 3;
const RANDOM: usize = 4;

/// A block's first executions. URW first: its first execution, a plain random walk that
/// estimates thread lengths, finds the catalogue's shallow bugs at once. Then mostly the
/// reads-from scheduler, which finds the demo suite's bugs in its first few executions or
/// much later (`twostage_20`: 2 to 42 over seeds 0–9), so its first six turns come early.
const OPENING: [usize; 8] = [URW, RF, RF, RF, POS, RF, RF, POS];

/// The turns after the opening, round and round: the reads-from scheduler every other
/// execution (its corpus grows with its own runs), POS most of the rest (the best on the
/// catalogue's `async.compaction/late-registration`), and the random walk, PCT and URW once
/// each, so every member keeps a share.
const CYCLE: [usize; 14] = [
    RF, POS, RF, POS, RF, RANDOM, RF, POS, RF, PCT, RF, POS, RF, URW,
];

/// The member whose turn execution `j` (0-based, within a block) is.
fn turn(j: usize) -> usize {
    match j.checked_sub(OPENING.len()) {
        None => OPENING[j],
        Some(k) => CYCLE[k % CYCLE.len()],
    }
}

pub(crate) struct Portfolio {
    members: Vec<Option<Box<dyn Scheduler + Send>>>,
    next: usize,
    current: usize,
    left: usize,
}

impl Portfolio {
    /// A block's portfolio: each member gets exactly the executions its turns add up to, so
    /// all run out together.
    pub(crate) fn new(seed: u64, depth: usize, executions: usize) -> Self {
        let members = MEMBERS
            .iter()
            .enumerate()
            .map(|(i, &kind)| {
                let share = (0..executions).filter(|&j| turn(j) == i).count();
                (share > 0).then(|| seeded::scheduler(kind, depth, seed, share))
            })
            .collect();
        Portfolio {
            members,
            next: 0,
            current: 0,
            left: executions,
        }
    }

    fn member(&mut self) -> &mut Box<dyn Scheduler + Send> {
        self.members[self.current]
            .as_mut()
            .expect("a member with a turn has a share")
    }
}

impl Scheduler for Portfolio {
    fn new_execution(&mut self) -> Option<Schedule> {
        let Some(left) = self.left.checked_sub(1) else {
            // Run every member out too: shuttle's random walk, dropped before its last
            // `new_execution` said no, prints a hint for shuttle's own replay API.
            for m in self.members.iter_mut().flatten() {
                while m.new_execution().is_some() {}
            }
            return None;
        };
        self.left = left;
        self.current = turn(self.next);
        self.next += 1;
        self.member().new_execution()
    }

    fn next_task(
        &mut self,
        runnable: &[&Task],
        current: Option<TaskId>,
        is_yielding: bool,
    ) -> Option<TaskId> {
        self.member().next_task(runnable, current, is_yielding)
    }

    fn next_u64(&mut self) -> u64 {
        self.member().next_u64()
    }
}
