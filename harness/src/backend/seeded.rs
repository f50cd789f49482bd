//! The seeded schedulers, by [`BackendKind`]: what one seed block of a randomized backend runs
//! (see [`crate::parallel`]). Each is a shuttle [`Scheduler`] over a count of executions,
//! and the same seed gives the same decisions.
//!
//! - `random`: shuttle's random walk: a runnable thread uniformly at each step.
//! - `pct`: shuttle's probabilistic concurrency testing, depth d (Burckhardt, Kothari,
//!   Musuvathi and Nagarakatte, ASPLOS 2010): a bug of depth d is found with probability at
//!   least 1/(n·k^(d−1)) per execution, n threads and k steps.
//! - `urw`: the uniform random walk ([`super::urw`]): a thread with probability proportional
//!   to the steps it has left, estimated in a first execution, which samples interleavings
//!   uniformly when the estimates are exact; no bound per bug.
//! - `pos`: partial order sampling ([`super::pos`]).
//! - `reads-from`: reads-from guided fuzzing ([`super::reads_from`]).
//! - `portfolio`: all of them, taking turns ([`super::portfolio`]).

use super::portfolio::Portfolio;
use super::pos::PosScheduler;
use super::reads_from::ReadsFromScheduler;
use super::urw::UrwScheduler;
use crate::check::BackendKind;
use shuttle::scheduler::{PctScheduler, RandomScheduler, Scheduler};

/// The scheduler of `kind` for `executions` executions from `seed` (`depth` is PCT's).
///
/// # Panics
/// If `kind` is not seeded (loom, DFS, real threads): see [`BackendKind::is_seeded`].
pub(crate) fn scheduler(
    kind: BackendKind,
    depth: usize,
    seed: u64,
    executions: usize,
) -> Box<dyn Scheduler + Send> {
    match kind {
        BackendKind::Random => Box::new(RandomScheduler::new_from_seed(seed, executions)),
        BackendKind::Pct => Box::new(PctScheduler::new_from_seed(seed, depth, executions)),
        BackendKind::Urw => Box::new(UrwScheduler::new(seed, executions)),
        BackendKind::Pos => Box::new(PosScheduler::new(seed, executions)),
        BackendKind::ReadsFrom => Box::new(ReadsFromScheduler::new(seed, executions)),
        BackendKind::Portfolio => Box::new(Portfolio::new(seed, depth, executions)),
        BackendKind::Loom | BackendKind::Dfs | BackendKind::Threads => {
            panic!("{kind} is not a seeded scheduler")
        }
    }
}
