//! `lease.redis`: lease locks with TTLs, heartbeats, tokens and fencing (seeds 000, 003, 004).

use racecheck::{Expect, OutcomeKind, Scenario};
use racecheck_models::lease::{configs, run, Release};

const LOST_UPDATE: Expect = Expect::Fail(OutcomeKind::Invariant);

/// The lease invariant's fixed prefix (models/src/lease.rs, `run`).
pub const LOST_UPDATE_MESSAGE: &str = "lost update: ";

pub fn redis() -> Scenario {
    let s = Scenario::new(
        "lease.redis",
        "Redis SET NX PX lease with heartbeat and compare-and-delete; a counter the holders update",
    )
    .variant(
        "ttl-outlived",
        "a 45 s operation under a 30 s TTL, no renewal: a second holder, a stale write lands",
        LOST_UPDATE,
        || run(&configs::ttl_outlived()),
    )
    .variant(
        "heartbeat-defaults",
        "seed 004's handler defaults: 120 s heartbeat, 60 s lease: the lease lapses between beats",
        LOST_UPDATE,
        || run(&configs::heartbeat_defaults()),
    )
    .variant(
        "heartbeat-production",
        "seed 004's production setting: 30 s heartbeat, 3 min lease",
        Expect::Pass,
        || run(&configs::heartbeat_production()),
    )
    .variant(
        "paused-holder",
        "the holder's process pauses 40 s past its 30 s lease; its heartbeat cannot help",
        LOST_UPDATE,
        || run(&configs::paused_holder()),
    )
    .variant(
        "stale-unlock-del",
        "a late plain DEL removes the next holder's lock and lets a third in",
        LOST_UPDATE,
        || run(&configs::stale_unlock(Release::PlainDel)),
    )
    .variant(
        "stale-unlock-cad",
        "the same with compare-and-delete: the late release is refused and changes nothing",
        Expect::Pass,
        || run(&configs::stale_unlock(Release::CompareAndDelete)),
    )
    .variant(
        "clear-locks",
        "an admin clear_locks while a holder is mid-operation: a new holder gets the lock at once",
        LOST_UPDATE,
        || run(&configs::clear_locks_mid_operation()),
    )
    .variant(
        "fenced-ttl-outlived",
        "fix: fencing tokens checked by the resource on every access",
        Expect::Pass,
        || run(&configs::fenced(configs::ttl_outlived())),
    )
    .variant(
        "fenced-paused-holder",
        "fix: fencing tokens reject the paused holder's stale write",
        Expect::Pass,
        || run(&configs::fenced(configs::paused_holder())),
    )
    .variant(
        "fenced-clear-locks",
        "fix: fencing tokens (counter kept outside the cleared keys) survive clear_locks",
        Expect::Pass,
        || run(&configs::fenced(configs::clear_locks_mid_operation())),
    )
    .loom_bound(
        "fenced-clear-locks",
        3,
        "over the 4 clear_locks times: unbounded, not found at 20 s; bound 4: 61,624 executions, \
         36 s (`racecheck check lease.redis --variant fenced-clear-locks --backend loom \
         --preemption-bound 4 --time-limit 120`); bound 3: 10,664 executions, 6.4 s",
    );
    // Under real threads a model minute takes 60 ms.
    crate::expect_every_bug(s, LOST_UPDATE_MESSAGE)
}

pub fn dynamodb() -> Scenario {
    use configs::dynamodb as ddb;
    let s = Scenario::new(
        "lease.dynamodb",
        "DynamoDB lock client: RVN watched for a lease before takeover, conditional heartbeats",
    )
    .variant(
        "ttl-outlived",
        "a 45 s operation under a 30 s lease, no heartbeat: a waiter takes over after 31 s",
        LOST_UPDATE,
        || run(&ddb(configs::ttl_outlived())),
    )
    .variant(
        "heartbeat-defaults",
        "seed 004's handler defaults (120 s heartbeat, 60 s lease): the RVN stands still too long",
        LOST_UPDATE,
        || run(&ddb(configs::heartbeat_defaults())),
    )
    .variant(
        "heartbeat-production",
        "seed 004's production setting: 30 s heartbeat, 3 min lease",
        Expect::Pass,
        || run(&ddb(configs::heartbeat_production())),
    )
    .variant(
        "paused-holder",
        "the holder's process pauses past its lease: its heartbeats stop, the waiter takes over",
        LOST_UPDATE,
        || run(&ddb(configs::paused_holder())),
    )
    .variant(
        "clear-locks",
        "an administrator deletes the item mid-operation: a new holder puts it at once",
        LOST_UPDATE,
        || run(&ddb(configs::clear_locks_mid_operation())),
    )
    .variant(
        "fenced-paused-holder",
        "fix: a fencing counter (RVNs are random, so cannot fence) checked by the resource",
        Expect::Pass,
        || run(&configs::fenced(ddb(configs::paused_holder()))),
    );
    crate::expect_every_bug(s, LOST_UPDATE_MESSAGE)
}

/// `async.lease`: the holders and their heartbeats as tasks of one runtime.
pub fn async_tasks() -> Scenario {
    use racecheck_models::async_lease::{configs as acfg, run as arun};
    let s = Scenario::new(
        "async.lease",
        "Redis lease held by async tasks; the heartbeat is a task ticking time::interval",
    )
    .variant(
        "heartbeat-defaults",
        "seed 004's handler defaults: a 120 s interval for a 60 s lease: the lease lapses",
        LOST_UPDATE,
        || arun(&acfg::heartbeat_defaults()),
    )
    .variant(
        "heartbeat-production",
        "seed 004's production setting: 30 s interval, 3 min lease",
        Expect::Pass,
        || arun(&acfg::heartbeat_production()),
    )
    .variant(
        "fenced-heartbeat-defaults",
        "fix: a fenced resource rejects the holder whose lease lapsed",
        Expect::Pass,
        || arun(&acfg::fenced(acfg::heartbeat_defaults())),
    );
    // Only a blocking call inside a task takes real time under tokio's paused clock.
    crate::expect_every_bug(s, LOST_UPDATE_MESSAGE)
}
