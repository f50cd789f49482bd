//! The catalogue of racecheck scenarios: each seed system × workload × invariant × expected
//! outcome per variant, registered by name.
//!
//! `racecheck list` prints it; `racecheck check` runs it; `cargo test -p racecheck-scenarios`
//! asserts every variant's expected outcome under every backend and replays `races/*.race`.

#![forbid(unsafe_code)]

pub mod compaction;
pub mod demo;
pub mod job_queue;
pub mod lease;
pub mod linearizable;
pub mod lock_manager;
pub mod pipeline;
pub mod request_cache;
pub mod singleton_cache;
pub mod sqlite;
pub mod tokio_pitfalls;

use racecheck::{Catalogue, Scenario};

/// Name the failure every bug variant of `s` expects (see [`Scenario::expect_failure`]): one
/// invariant for a scenario whose bugs all end in the same damage.
pub(crate) fn expect_every_bug(mut s: Scenario, pattern: &'static str) -> Scenario {
    let bugs: Vec<&'static str> = s
        .variants
        .iter()
        .filter(|v| v.expect != racecheck::Expect::Pass)
        .map(|v| v.name)
        .collect();
    for bug in bugs {
        s = s.expect_failure(bug, pattern);
    }
    s
}

/// The catalogue and the demo suite (named only): what the `racecheck` binary knows.
pub fn catalogue_with_demo() -> Catalogue {
    let mut c = catalogue();
    c.scenarios.extend(demo::scenarios());
    c
}

/// Every scenario, in the order `racecheck list` shows them.
pub fn catalogue() -> Catalogue {
    Catalogue::new(vec![
        lock_manager::scenario(),
        lease::redis(),
        lease::dynamodb(),
        linearizable::lease(),
        singleton_cache::scenario(),
        linearizable::singleton(),
        sqlite::ticket_lease(),
        sqlite::next_ticket(),
        linearizable::tickets(),
        compaction::scenario(),
        pipeline::scenario(),
        lock_manager::async_tasks(),
        lease::async_tasks(),
        compaction::async_tasks(),
        tokio_pitfalls::scenario(),
        request_cache::scenario(),
        job_queue::scenario(),
    ])
}
