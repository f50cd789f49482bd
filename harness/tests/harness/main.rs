//! The harness's own tests, one binary: small models whose outcome is known, under every backend.

mod external;
mod future;
mod models;
mod outcomes;
mod parallel;
mod race_files;
mod time;
