//! The scenario suite, one binary: every variant's expected outcome under every backend, the
//! recorded races replayed, determinism, and the CLI's handling of bad input.

mod cli;
mod expectations;
mod races;
