//! `async.request_cache`: a lost update decided by nothing but the poll order of two ready
//! tasks on one `current_thread` runtime.

use racecheck::{BackendKind, Expect, OutcomeKind, Scenario};
use racecheck_models::async_request_cache::{two_handlers, Update};

pub fn scenario() -> Scenario {
    Scenario::new(
        "async.request_cache",
        "task order: two handlers read a cache entry, await the backend, write it back",
    )
    .variant(
        "read-await-write",
        "task order: a handler polled before the connection task awaits between its read and its write; the other handler's increment is lost",
        Expect::Fail(OutcomeKind::Invariant),
        || two_handlers(Update::ReadAwaitWrite),
    )
    .variant(
        "guard-across-await",
        "fix: an async mutex guard on the entry held across the read-await-write, in every task order",
        Expect::Pass,
        || two_handlers(Update::GuardAcrossAwait),
    )
    .expect_failure("read-await-write", "lost update: ")
    .beyond_reach(
        "read-await-write",
        BackendKind::Threads,
        "the real backend runs tokio, whose current_thread order is FIFO: the connection task \
         always runs first (`racecheck check async.request_cache --variant read-await-write \
         --backend threads`: not found in 1,000 executions)",
    )
}
