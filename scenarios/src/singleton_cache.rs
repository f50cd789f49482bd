//! `singleton_cache`: seed 003's NoDb `getInstance` cache.

use racecheck::{BackendKind, Expect, OutcomeKind, Scenario};
use racecheck_models::singleton_cache::{concurrent_get_instance, follow_up_regressions, Variant};

pub fn scenario() -> Scenario {
    Scenario::new(
        "singleton_cache",
        "seed 003: NoDb getInstance(wd) hydrated from Redis/disk and cached per class",
    )
    .variant(
        "unlocked",
        "check, hydrate, insert with no lock: two instances of one directory, a dump lost",
        Expect::Fail(OutcomeKind::Invariant),
        || concurrent_get_instance(Variant::Unlocked),
    )
    .variant(
        "double-checked",
        "fix: double-checked locking under the class's RLock, refresh before mutating",
        Expect::Pass,
        || concurrent_get_instance(Variant::DoubleChecked),
    )
    .variant(
        "follow-up-regressions",
        "refresh after an external dump; ignore_lock bypasses the cache; readonly not cached",
        Expect::Pass,
        follow_up_regressions,
    )
    .expect_failure("unlocked", "instances ")
    .loom_bound(
        "double-checked",
        5,
        "unbounded: not found in 79,803 executions at 20 s; bound 5: 9,838 executions, 2.1 s \
         (7.3 s under load)",
    )
    .beyond_reach(
        "unlocked",
        BackendKind::Dfs,
        "the race needs a switch early in a long execution, and shuttle's DFS backtracks from \
         the last decision first: not found in 100,000 executions, 7.6 s (`racecheck check \
         singleton_cache --variant unlocked --backend dfs --iterations 100000`)",
    )
}
