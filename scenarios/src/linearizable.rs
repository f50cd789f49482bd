//! Scenarios whose objects are checked for linearizability against a sequential spec
//! (`racecheck_models::linearizable`): the failure is a history no order explains, printed as
//! its minimal table of operations, rather than a model's own invariant.

use racecheck::{Expect, OutcomeKind, Scenario};
use racecheck_models::linearizable::tickets::{self, Transactions};
use racecheck_models::linearizable::{lease, singleton};
use racecheck_models::singleton_cache::Variant;
use racecheck_models::sqlite::{Begin, JournalMode};

const NOT_LINEARIZABLE: Expect = Expect::Fail(OutcomeKind::NotLinearizable);

/// `lease.linearizable`: the Redis lease lock and the counter it guards.
pub fn lease() -> Scenario {
    Scenario::new(
        "lease.linearizable",
        "linearizability of a Redis lease lock (holder, expiry in virtual time, growing tokens) \
         and the counter it guards: acquire, increment, renew, release, clear_locks",
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
    .variant(
        "late-heartbeat-pexpire",
        "linearizability: a heartbeat after the TTL renews by PEXPIRE alone: B's lease is \
         extended and A told renewed",
        NOT_LINEARIZABLE,
        || lease::run(&lease::late_heartbeat(true)),
    )
    .variant(
        "late-heartbeat-checked",
        "linearizability, fix: the renewal checks the token first and answers no",
        Expect::Pass,
        || lease::run(&lease::late_heartbeat(false)),
    )
    .expect_failure("ttl-outlived", "Incremented(1)")
    .expect_failure("late-heartbeat-pexpire", "Renewed(true)")
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

/// `sqlite.tickets.linearizable`: seed 001's ticket repository, its calls checked against
/// ticket → owner and lease expiry. A call that failed with `SQLITE_BUSY` is explained by
/// taking no effect, so the seed's DEFERRED bug passes here (it is a refusal, not a double
/// grant: `sqlite.ticket_lease`'s invariant catches it); a repository whose `SELECT` runs
/// outside its transaction grants a ticket twice.
pub fn tickets() -> Scenario {
    let mut s = Scenario::new(
        "sqlite.tickets.linearizable",
        "linearizability of seed 001's ticket repository (ticket -> owner, lease expiry in \
         virtual time): get_and_lock_next and acquire_lock race for ticket-0, then renew, release",
    );
    for (name, about, mode, txns, expect) in [
        (
            "implicit-rollback",
            "linearizability: no BEGIN (Python's implicit transactions), rollback journal: \
             both SELECTs see ticket-0 free, both lock it",
            JournalMode::Rollback,
            Transactions::Implicit,
            NOT_LINEARIZABLE,
        ),
        (
            "implicit-wal",
            "linearizability: no BEGIN (Python's implicit transactions), WAL: both SELECTs see \
             ticket-0 free, both lock it",
            JournalMode::Wal,
            Transactions::Implicit,
            NOT_LINEARIZABLE,
        ),
        (
            "deferred-rollback",
            "linearizability holds for the seed's BEGIN (deferred): a SQLITE_BUSY call changed \
             nothing (the lost progress is sqlite.ticket_lease's invariant)",
            JournalMode::Rollback,
            Transactions::Explicit(Begin::Deferred),
            Expect::Pass,
        ),
        (
            "deferred-wal",
            "linearizability holds for the seed's BEGIN (deferred), WAL: SQLITE_BUSY and \
             SQLITE_BUSY_SNAPSHOT calls changed nothing",
            JournalMode::Wal,
            Transactions::Explicit(Begin::Deferred),
            Expect::Pass,
        ),
        (
            "immediate-rollback",
            "linearizability, fix: BEGIN IMMEDIATE, rollback journal",
            JournalMode::Rollback,
            Transactions::Explicit(Begin::Immediate),
            Expect::Pass,
        ),
        (
            "immediate-wal",
            "linearizability, fix: BEGIN IMMEDIATE, WAL",
            JournalMode::Wal,
            Transactions::Explicit(Begin::Immediate),
            Expect::Pass,
        ),
    ] {
        s = s
            .variant(name, about, expect, move || tickets::run(mode, txns))
            .loom_bound(
                name,
                3,
                "unbounded: a fix is not exhausted in 100,000 executions (43-52 s, debug build), \
                 the bug is found at execution 84,886; bound 3: a few hundred executions, under \
                 a second",
            );
    }
    s.expect_failure("implicit-rollback", "Locked { ticket: \"ticket-0\"")
        .expect_failure("implicit-wal", "Locked { ticket: \"ticket-0\"")
}
