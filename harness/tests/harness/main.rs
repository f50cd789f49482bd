//! The harness's own tests, one binary: small models whose outcome is known, under every backend.

#![forbid(unsafe_code)]

mod choices;
mod external;
mod future;
mod future_abort;
mod future_channels;
mod future_multi_thread_order;
mod future_primitives;
mod future_select;
mod history;
mod layout;
mod model_locks;
mod models;
mod one_line;
mod outcomes;
mod parallel;
mod race_files;
mod schedulers;
mod std_parity;
mod std_threads;
mod time;
