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
}
