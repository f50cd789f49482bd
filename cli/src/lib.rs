//! racecheck's tooling over the engine's public API: the `racecheck` command line
//! ([`main`] takes any [`Catalogue`](racecheck::Catalogue)), the reports it writes (summary
//! markdown and JSON, HTML and Mermaid timelines) and the bug-finding bench table.
//!
//! A project of its own ships a three-line binary over its own scenarios:
//!
//! ```text
//! // src/bin/racecheck.rs
//! fn main() {
//!     std::process::exit(racecheck_cli::main(my_crate::catalogue()));
//! }
//! ```

pub mod bench;
mod command;
mod pool;
mod progress;
pub mod report;

pub use command::main;
