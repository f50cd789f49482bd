//! `async.tokio_pitfalls`: what goes wrong when tasks share a runtime's worker: a sync guard held
//! across an `.await`, and a blocking call inside a task starving the heartbeat.

use racecheck::{Expect, OutcomeKind, Scenario};
use racecheck_models::async_lease::{configs, run, Call};
use racecheck_models::tokio_pitfalls::{handler, Guarding};

pub fn scenario() -> Scenario {
    Scenario::new(
        "async.tokio_pitfalls",
        "tasks share a worker: a std mutex held across .await, a blocking call in a task",
    )
    .variant(
        "std-mutex-across-await",
        "validate_ownership() awaits DynamoDB holding a std mutex; the heartbeat task blocks the worker on it",
        Expect::Fail(OutcomeKind::Deadlock),
        || handler(Guarding::SyncAcrossAwait),
    )
    .variant(
        "async-mutex-across-await",
        "fix: an async mutex, so the heartbeat task suspends instead of blocking the worker",
        Expect::Pass,
        || handler(Guarding::AsyncMutex),
    )
    .variant(
        "std-guard-dropped-before-await",
        "fix: the std guard covers local state only and is dropped before the await",
        Expect::Pass,
        || handler(Guarding::SyncDroppedBeforeAwait),
    )
    .variant(
        "blocking-call-starves-heartbeat",
        "production lease timings, but a 200 s blocking call in the holder's task: no heartbeat runs, the lease lapses",
        Expect::Fail(OutcomeKind::Invariant),
        || run(&configs::long_call(Call::Blocking)),
    )
    .variant(
        "blocking-call-awaited",
        "fix: the same 200 s call awaited: the heartbeat task keeps renewing",
        Expect::Pass,
        || run(&configs::long_call(Call::Awaited)),
    )
    .expect_failure("blocking-call-starves-heartbeat", "lost update: ")
    .expect_failure(
        "std-mutex-across-await",
        "waits on mutex std::sync::Mutex LockManager._lock",
    )
}
