//! The scenario suite, one binary: every variant's expected outcome under every backend, the
//! recorded races replayed, determinism, the CLI's handling of bad input, and real SQLite as
//! the judge of the SQLite model (conformance rows, outcome sets).

mod cli;
mod compaction_figures;
mod expectations;
mod lease_configs;
mod loom_pinned;
mod named_failures;
mod races;
mod reports;
mod sqlite_conformance;
mod sqlite_outcomes;
mod sqlite_scenarios;
