//! loom verifies every fix of the catalogue, at the catalogue's preemption bound where it has
//! one, and the number of executions it explores is pinned: a model or engine change that grows
//! (or shrinks) a space fails here loudly, and a new fix must be added to the table.
//!
//! The default suite runs the fixes up to 3,000 executions (debug build: seconds); `cargo test --release -p
//! racecheck-scenarios --test scenarios loom_pinned -- --include-ignored` runs them all.

use racecheck::{BackendKind, Expect, Verdict};
use racecheck_scenarios::catalogue;
use std::time::Duration;

/// (scenario, fix, loom's bound as the catalogue states it, executions). A model with choices
/// counts every assignment's exploration, the quick sweep's included.
const PINNED: &[(&str, &str, Option<usize>, u64)] = &[
    ("lock_manager", "rlock", None, 104),
    ("lock_manager", "no-nested-validation", None, 58),
    ("lease.redis", "heartbeat-production", None, 1_869),
    ("lease.redis", "stale-unlock-cad", None, 173),
    ("lease.redis", "fenced-ttl-outlived", None, 57),
    ("lease.redis", "fenced-paused-holder", None, 3_512),
    ("lease.redis", "fenced-clear-locks", Some(3), 10_664),
    ("lease.dynamodb", "heartbeat-production", None, 1_869),
    ("lease.dynamodb", "fenced-paused-holder", None, 1_175),
    ("lease.linearizable", "fenced-ttl-outlived", None, 3),
    ("lease.linearizable", "fenced-clear-locks", None, 9),
    ("lease.linearizable", "late-heartbeat-checked", None, 30),
    ("singleton_cache", "double-checked", Some(5), 9_838),
    (
        "singleton_cache.linearizable",
        "double-checked",
        None,
        2_292,
    ),
    ("singleton_cache", "follow-up-regressions", None, 94),
    ("sqlite.ticket_lease", "immediate-rollback", Some(2), 1_211),
    ("sqlite.ticket_lease", "immediate-wal", Some(2), 1_211),
    ("sqlite.next_ticket", "immediate-rollback", None, 216),
    ("sqlite.next_ticket", "immediate-wal", None, 216),
    (
        "sqlite.tickets.linearizable",
        "deferred-rollback",
        Some(3),
        762,
    ),
    ("sqlite.tickets.linearizable", "deferred-wal", Some(3), 731),
    (
        "sqlite.tickets.linearizable",
        "immediate-rollback",
        Some(3),
        583,
    ),
    ("sqlite.tickets.linearizable", "immediate-wal", Some(3), 583),
    ("compaction", "upload-under-lock", None, 690),
    ("compaction", "split-upload", None, 942),
    ("pipeline", "as-built-quick-merge", Some(2), 7_848),
    ("pipeline", "merge-reads-metadata", Some(2), 11_652),
    ("async.lock_manager", "no-nested-validation", None, 11),
    ("async.lock_manager", "validate-with-guard", None, 11),
    ("async.lease", "heartbeat-production", None, 288),
    ("async.lease", "fenced-heartbeat-defaults", None, 8),
    ("async.compaction", "cas", Some(1), 14_715),
    ("async.tokio_pitfalls", "async-mutex-across-await", None, 1),
    (
        "async.tokio_pitfalls",
        "std-guard-dropped-before-await",
        None,
        4,
    ),
    ("async.tokio_pitfalls", "blocking-call-awaited", None, 2_304),
    ("async.request_cache", "guard-across-await", None, 73),
    ("async.job_queue", "recv-in-branch", None, 108),
];

/// Check the pinned fixes whose count is within `range`.
fn check_pinned(range: std::ops::RangeInclusive<u64>) {
    let cat = catalogue();
    let mut wrong = Vec::new();
    for &(scenario, fix, bound, executions) in PINNED {
        if !range.contains(&executions) {
            continue;
        }
        let v = cat.find(scenario).unwrap().find_variant(fix).unwrap();
        assert_eq!(v.loom_bound.map(|b| b.0), bound, "{scenario}/{fix}: bound");
        let r = v
            .check()
            .backend(BackendKind::Loom)
            .executions(1_000_000)
            .time_limit(Duration::from_secs(600))
            .run();
        if r.verdict() != Verdict::Verified || r.executions != executions {
            wrong.push(format!(
                "{scenario}/{fix}: {} in {} executions, pinned {executions}",
                r.verdict_text(),
                r.executions
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn every_fix_is_pinned() {
    let cat = catalogue();
    for s in &cat.scenarios {
        for v in s.variants.iter().filter(|v| v.expect == Expect::Pass) {
            assert!(
                PINNED.iter().any(|p| p.0 == s.name && p.1 == v.name),
                "{}/{}: a fix without a pinned loom count",
                s.name,
                v.name
            );
        }
    }
}

#[test]
fn loom_pinned_small_fixes() {
    check_pinned(0..=3_000);
}

#[test]
#[ignore = "long: the fixes over 3,000 loom executions; run in release"]
fn loom_pinned_large_fixes() {
    check_pinned(3_001..=u64::MAX);
}
