//! The portfolio: one budget spread over every seeded scheduler, execution by execution.
//!
//! No one scheduler is best at every bug: PCT finds bugs of few ordering constraints in long
//! executions, the uniform random walk those that need one thread to stay out of the way
//! of many, the reads-from scheduler those that need a read to see one write among many.
//! Taking turns costs a bug at most the number of members times what its best member needs
//! (fewer when several find it), and finds every bug any member finds.
//!
//! Each seed block (see [`crate::parallel`]) builds its own members, seeded from the block's
//! seed, and the turn of execution `j` of a block is [`TURNS`]`[j % len]`: what an execution
//! does depends on (seed, its index) alone, whatever the workers and shards.

use super::seeded;
use crate::check::BackendKind;
use shuttle::scheduler::{Schedule, Scheduler, Task, TaskId};

/// The members, by their place in [`TURNS`].
pub(crate) const MEMBERS: [BackendKind; 5] = [
    BackendKind::ReadsFrom,
    BackendKind::Pct,
    BackendKind::Urw,
    BackendKind::Pos,
    BackendKind::Random,
];

/// Which member runs each execution of a block, in turn: the reads-from scheduler every other
/// execution (it needs its corpus to grow, and finds the demo suite's bugs with the fewest
/// executions), the uniform random walk first (its first execution, a plain random walk that
/// estimates thread lengths, finds the catalogue's shallow bugs at once), then random, POS,
/// PCT.
const TURNS: [usize; 8] = [2, 0, 4, 0, 3, 0, 1, 0];

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
                let share = (0..executions)
                    .filter(|j| TURNS[j % TURNS.len()] == i)
                    .count();
                let seed = super::rng::Rng::new(seed ^ ((i as u64 + 1) << 56)).next_u64();
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
        self.current = TURNS[self.next % TURNS.len()];
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
