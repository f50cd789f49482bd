//! Scenarios whose objects are checked for linearizability against a sequential spec
//! (`racecheck_models::linearizable`): the failure is a history no order explains, printed as
//! its minimal table of operations, rather than a model's own invariant.

use racecheck::{Expect, OutcomeKind, Scenario};
use racecheck_models::linearizable::{lease, singleton};
use racecheck_models::singleton_cache::Variant;

const NOT_LINEARIZABLE: Expect = Expect::Fail(OutcomeKind::NotLinearizable);

/// `lease.linearizable`: the Redis lease lock and the counter it guards.
pub fn lease() -> Scenario {
    Scenario::new(
        "lease.linearizable",
        "linearizability of a Redis lease lock (holder, expiry in virtual time, growing tokens) \
         and the counter it guards: acquire, increment, release, clear_locks",
    )
    .variant(
        "ttl-outlived",
        "linearizability: a 45 s increment under a 30 s TTL without fencing: two increments told 1",
        NOT_LINEARIZABLE,
        || lease::run(&lease::ttl_outlived(false)),
    )
    .variant(
        "clear-locks",
        "linearizability: clear_locks during an increment, no fencing: two increments told 1",
        NOT_LINEARIZABLE,
        || lease::run(&lease::clear_locks(false)),
    )
    .variant(
        "fenced-ttl-outlived",
        "linearizability, fix: the resource refuses the outlived holder's token",
        Expect::Pass,
        || lease::run(&lease::ttl_outlived(true)),
    )
    .variant(
        "fenced-clear-locks",
        "linearizability, fix: the fencing counter outlives clear_locks",
        Expect::Pass,
        || lease::run(&lease::clear_locks(true)),
    )
    .expect_failure("ttl-outlived", "Incremented(1)")
    .expect_failure("clear-locks", "Incremented(1)")
}

/// `singleton_cache.linearizable`: seed 003's `getInstance`, one instance per directory.
pub fn singleton() -> Scenario {
    Scenario::new(
        "singleton_cache.linearizable",
        "linearizability of seed 003's getInstance cache: one instance per directory",
    )
    .variant(
        "unlocked",
        "linearizability: check, hydrate, insert with no lock: two instances of one directory",
        NOT_LINEARIZABLE,
        || singleton::concurrent_get_instance(Variant::Unlocked),
    )
    .variant(
        "double-checked",
        "linearizability, fix: double-checked locking under the class's RLock",
        Expect::Pass,
        || singleton::concurrent_get_instance(Variant::DoubleChecked),
    )
    .expect_failure("unlocked", "Climate.getInstance")
}
