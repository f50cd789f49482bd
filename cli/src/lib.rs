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

// `unsafe` only where allowed by name below, each use with a `// SAFETY:` comment.
#![deny(unsafe_code)]

mod args;
pub mod bench;
mod command;
mod output;
mod pool;
mod progress;
pub mod report;

pub use command::main;
