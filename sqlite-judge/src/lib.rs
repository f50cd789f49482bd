//! Real SQLite as the judge of the SQLite model (`racecheck_models::sqlite::engine`).
//!
//! The model is what racecheck explores; these modules check that it is SQLite's behaviour
//! and not our idea of it, with SQLite itself (rusqlite 0.43, bundled SQLite 3.54.1):
//!
//! | module | what |
//! |---|---|
//! | [`real`] | the engine's statements on real SQLite, one `rusqlite::Connection` each, a fresh database file in a temporary directory removed on drop (also on a failing test); [`real::Setup`]: warm connections, cold ones beside an open set-up connection, or cold ones on a fresh WAL, and the model of each |
//! | [`forced`] | one statement order run on the engine and on real SQLite (a thread per connection) in lock-step, every step's result compared; waiting steps resumed when the engine says the lock is free |
//! | [`explore`] | every interleaving of a few threads' statements on the engine, at its lock-transition granularity: the set of outcomes the model allows |
//!
//! Test support only: racecheck-scenarios' suite (`tests/scenarios/sqlite_conformance.rs`,
//! `sqlite_outcomes.rs`) and lease bench (`benches/lease.rs`) use it as a dev-dependency, so
//! the `racecheck` binary neither links it nor builds rusqlite. The engine under test is the facade-free
//! `racecheck_models::sqlite::engine`, the same code the facade model runs.
//!
//! Scratch databases go to `/dev/shm` when it exists (commits then cost no fsync; the locking
//! is the same), or to `$RACECHECK_SQLITE_TMPDIR` when set.

pub mod explore;
pub mod forced;
pub mod real;
