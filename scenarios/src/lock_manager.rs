//! `lock_manager`: seed 000's heartbeat thread re-entering a non-reentrant lock.

use racecheck::{Expect, OutcomeKind, Scenario};
use racecheck_models::lock_manager::{compaction_lambda, Variant};

pub fn scenario() -> Scenario {
    Scenario::new(
        "lock_manager",
        "seed 000: LockManager heartbeat re-enters threading.Lock via validate_ownership()",
    )
    .variant(
        "lock",
        "threading.Lock + nested validate_ownership(): the heartbeat waits for itself",
        Expect::Fail(OutcomeKind::Deadlock),
        || compaction_lambda(Variant::Lock),
    )
    .variant(
        "rlock",
        "fix 1: threading.RLock, so the heartbeat may re-enter",
        Expect::Pass,
        || compaction_lambda(Variant::RLock),
    )
    .variant(
        "no-nested-validation",
        "fix 2: threading.Lock, update_heartbeat() no longer validates",
        Expect::Pass,
        || compaction_lambda(Variant::NoNestedValidation),
    )
    .expect_failure(
        "lock",
        "heartbeat waits on LockManager._lock, which it holds itself",
    )
}

/// `async.lock_manager`: the same deadlock with the heartbeat as a task and an async mutex.
pub fn async_tasks() -> Scenario {
    use racecheck_models::async_lock_manager::{compaction_lambda, Variant};
    Scenario::new(
        "async.lock_manager",
        "seed 000 on tokio: the heartbeat task (interval) re-enters a non-reentrant async mutex",
    )
    .variant(
        "lock",
        "update_heartbeat() holds the async lock and awaits validate_ownership(): it waits for itself",
        Expect::Fail(OutcomeKind::Deadlock),
        || compaction_lambda(Variant::Lock),
    )
    .variant(
        "no-nested-validation",
        "fix 2 of the seed: update_heartbeat() no longer validates",
        Expect::Pass,
        || compaction_lambda(Variant::NoNestedValidation),
    )
    .variant(
        "validate-with-guard",
        "validate under the guard already held: validate_ownership_locked(&guard)",
        Expect::Pass,
        || compaction_lambda(Variant::ValidateWithGuard),
    )
    .expect_failure("lock", "waits on async mutex LockManager._lock")
}
