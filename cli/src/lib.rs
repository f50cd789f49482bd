//! racecheck's tooling over the engine's public API: the `racecheck` command line
//! ([`main`] takes any [`Catalogue`](racecheck::Catalogue)), the reports it writes (summary
//! markdown and JSON, HTML and Mermaid timelines) and the bug-finding bench table.
//!
//! A project of its own ships a three-line binary over its own scenarios:
//!
//! ```no_run
//! // no_run: it parses this process's command line and exits.
//! fn main() {
//!     std::process::exit(racecheck_cli::main(racecheck::Catalogue::new(vec![])));
//! }
//! ```

// The example is a whole binary: its `fn main` is the point.
#![allow(clippy::needless_doctest_main)]

pub mod bench;
mod command;
pub mod report;

pub use command::main;
