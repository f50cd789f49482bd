//! The harness's own tests, one binary: small models whose outcome is known, under every backend.

#![forbid(unsafe_code)]

mod external;
mod future;
mod models;
mod one_line;
mod outcomes;
mod parallel;
mod race_files;
mod schedulers;
mod std_parity;
mod time;
