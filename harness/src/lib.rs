//! # racecheck
//!
//! A deterministic concurrency test harness. A model of a system's concurrency is written once
//! against racecheck's facade, which mirrors std:
//! [`sync`] (Mutex, RwLock, Condvar, Barrier, OnceLock, LazyLock, mpsc, atomics, Arc),
//! [`thread`] (spawn, join,
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
//! (who waits on what), step bound exceeded, time limit, or not linearizable (a
//! [`history::History`] of operations no sequential order of its [`linearizability::Spec`]
//! explains). A failure's trace is written to a
//! [`RaceFile`], which [`RaceFile::replay`] reproduces step for step, or says where it diverged.
//!
//! ```
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
//! result.assert_passes();
//! ```
//!
//! ## Testing your own code
//! One line a test, as shuttle's and loom's entry points: [`check_random`], [`check_pct`],
//! [`check_dfs`], [`model`], [`check_threads`]. Each panics on a failure with the outcome, a
//! timeline of the steps, the race file it saved and the `RACECHECK_REPLAY=FILE cargo test
//! NAME` command that replays it ([`test_api`]; [`test_api::env`] lists every variable read).
//!
//! The facade's primitives exist only inside a check (outside one they panic saying so): code
//! that also ships picks them at compile time, e.g. with a feature of its own crate,
//! `#[cfg(feature = "racecheck")] use racecheck::sync::Mutex;` and
//! `#[cfg(not(feature = "racecheck"))] use std::sync::Mutex;`.
//!
//! ## Limits of the backends
//! - loom runs at most 5 threads, main included ([`thread::LOOM_MAX_THREADS`]); a model of
//!   more is [`Verdict::Unsupported`] under loom, never a finding.
//! - loom treats `SeqCst` loads and stores as `AcqRel`; shuttle treats every atomic as
//!   `SeqCst`. Models that mean interleaving semantics use read-modify-write operations or locks.
//! - `Arc` is std's under every backend, so racecheck does not check `Arc` leaks.
//! - A replay runs under shuttle whichever backend recorded the race; a race that needs a
//!   weak-memory outcome only loom produces is saved marked not replayable
//!   ([`RaceFile::prepare`]).

// `unsafe` only where allowed by name below, each use with a `// SAFETY:` comment.
#![deny(unsafe_code)]

mod backend;
pub mod check;
pub mod choice;
pub(crate) mod fnv;
pub mod future;
pub mod history;
pub mod linearizability;
pub mod outcome;
pub mod parallel;
pub mod race;
#[allow(unsafe_code)] // its cancellable mutex guards reach the data: SAFETY comments there
mod real;
pub mod replayable;
pub mod reproduce;
mod rt;
pub mod scenario;
pub mod shrink;
mod shuttle_sync;
mod single_run;
pub mod sync;
pub mod test_api;
pub mod thread;
pub mod time;
pub mod trace;
mod vocabulary;

pub use check::{
    replay_schedule, replay_trace, BackendKind, Check, CheckResult, Failure, Replayed, Verdict,
};
pub use choice::{choose, choose_bool, choose_index};
pub use outcome::{Blocked, Expect, Outcome, OutcomeKind};
pub use parallel::Shard;
pub use race::{RaceError, RaceFile, ReplayReport};
pub use scenario::{Catalogue, Scenario, UnknownName, Variant};
pub use shrink::{ScheduleSize, ShrinkBudget, Shrunk};
pub use test_api::{
    check_dfs, check_pct, check_portfolio, check_random, check_threads, model, ReplayedRace,
};

/// The panic payload of a failed [`invariant!`]: the execution fails as
/// [`Outcome::Invariant`] rather than as a panic.
#[derive(Debug)]
pub struct InvariantFailed(pub String);

/// Assert a model's invariant: if `cond` is false the execution fails with
/// [`Outcome::Invariant`] and the message (without one: "invariant `cond` does not hold").
///
/// ```
/// # let held_by = [1];
/// racecheck::invariant!(held_by.len() <= 1, "ticket held by {} owners", held_by.len());
/// racecheck::invariant!(held_by.len() <= 1);
/// ```
#[macro_export]
macro_rules! invariant {
    ($cond:expr $(,)?) => {
        if !$cond {
            ::std::panic::panic_any($crate::InvariantFailed(
                ::std::concat!("invariant `", ::std::stringify!($cond), "` does not hold").to_string(),
            ));
        }
    };
    ($cond:expr, $($msg:tt)+) => {
        if !$cond {
            ::std::panic::panic_any($crate::InvariantFailed(format!($($msg)+)));
        }
    };
}
