//! # racecheck
//!
//! A deterministic concurrency test harness. A model of a system's concurrency is written once
//! against racecheck's facade, which mirrors std:
//! [`sync`] (Mutex, RwLock, Condvar, Barrier, atomics, Arc), [`thread`] (spawn, join,
//! yield_now, current), [`time`] (a virtual clock: now, sleep, timeouts) and [`trace`]
//! (labeled events). The same model is then explored by:
//!
//! | backend | what it does |
//! |---|---|
//! | `loom` | every interleaving, optionally up to a preemption bound; says how many it explored |
//! | `random` | shuttle's random walk, seeded |
//! | `pct` | shuttle's probabilistic concurrency testing with depth d, seeded |
//! | `dfs` | shuttle's depth-first enumeration |
//! | `threads` | real OS threads, N iterations, under a watchdog |
//!
//! The backend is picked at run time ([`Check::backend`]): one build, no feature flags, no
//! RUSTFLAGS. Every execution ends in an [`Outcome`]: pass, invariant failed, panic, deadlock
//! (who waits on what), step bound exceeded, or time limit. A failure's trace is written to a
//! [`RaceFile`], which [`RaceFile::replay`] reproduces step for step, or says where it diverged.
//!
//! ```no_run
//! use racecheck::sync::{Arc, Mutex};
//! use racecheck::{thread, BackendKind, Check};
//!
//! let result = Check::new(|| {
//!     let counter = Arc::new(Mutex::named("counter", 0));
//!     let c = counter.clone();
//!     let t = thread::spawn(move || *c.lock().unwrap() += 1);
//!     *counter.lock().unwrap() += 1;
//!     t.join().unwrap();
//!     racecheck::invariant!(*counter.lock().unwrap() == 2, "an increment was lost");
//! })
//! .backend(BackendKind::Loom)
//! .run();
//! assert!(result.failure.is_none());
//! ```
//!
//! ## Limits of the backends
//! - loom runs at most 5 threads, main included ([`thread::LOOM_MAX_THREADS`]).
//! - loom treats `SeqCst` loads and stores as `AcqRel`; shuttle treats every atomic as
//!   `SeqCst`. Models that mean interleaving semantics use read-modify-write operations or locks.
//! - `Arc` is std's under every backend, so racecheck does not check `Arc` leaks.
//! - A replay runs under shuttle whichever backend recorded the race; a race that needs a
//!   weak-memory outcome only loom produces is saved marked not replayable
//!   ([`RaceFile::prepare`]).

mod backend;
pub mod check;
pub(crate) mod fnv;
pub mod future;
pub mod outcome;
pub mod parallel;
pub mod race;
mod real;
pub mod replayable;
pub mod reproduce;
mod rt;
pub mod scenario;
pub mod shrink;
pub mod sync;
pub mod thread;
pub mod time;
pub mod trace;
mod vocabulary;

pub use check::{BackendKind, Check, CheckResult, Failure, Replayed, Verdict};
pub use outcome::{Blocked, Expect, Outcome, OutcomeKind};
pub use parallel::Shard;
pub use race::{RaceError, RaceFile, ReplayReport};
pub use scenario::{Catalogue, Scenario, Variant};
pub use shrink::{ScheduleSize, ShrinkBudget, Shrunk};

/// The panic payload of a failed [`invariant!`]: the execution fails as
/// [`Outcome::Invariant`] rather than as a panic.
#[derive(Debug)]
pub struct InvariantFailed(pub String);

/// Assert a model's invariant: if `cond` is false the execution fails with
/// [`Outcome::Invariant`] and the message.
///
/// ```no_run
/// # let held_by = [1];
/// racecheck::invariant!(held_by.len() <= 1, "ticket held by {} owners", held_by.len());
/// ```
#[macro_export]
macro_rules! invariant {
    ($cond:expr, $($msg:tt)+) => {
        if !$cond {
            ::std::panic::panic_any($crate::InvariantFailed(format!($($msg)+)));
        }
    };
}
