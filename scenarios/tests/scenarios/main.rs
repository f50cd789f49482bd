//! The scenario suite, one binary: every variant's expected outcome under every backend, the
//! recorded races replayed, determinism, the CLI's handling of bad input, and real SQLite as
//! the judge of the SQLite model (conformance rows, outcome sets).

#![forbid(unsafe_code)]

mod bad_input;
mod cli;
mod compaction_figures;
mod demo;
mod expectations;
mod fuzz;
mod lease_configs;
mod loom_pinned;
mod named_failures;
mod races;
mod readme;
mod real_threads;
mod reports;
mod sqlite_conformance;
mod sqlite_lifecycle;
mod sqlite_outcomes;
mod sqlite_scenarios;
