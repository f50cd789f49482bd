//! `sqlite.ticket_lease` and `sqlite.next_ticket`: loom's pinned counts for the fixes, and
//! failures a person can read (who failed, with which code, at which statement).

use racecheck::{BackendKind, CheckResult, Verdict};
use racecheck_scenarios::catalogue;
use std::time::Duration;

fn run(scenario: &str, variant: &str, backend: BackendKind, bound: Option<usize>) -> CheckResult {
    let cat = catalogue();
    let v = cat.find(scenario).unwrap().find_variant(variant).unwrap();
    v.check()
        .backend(backend)
        .preemption_bound(bound)
        .executions(1_000_000)
        .seed(1)
        .time_limit(Duration::from_secs(120))
        .run()
}

/// loom explores `next_ticket`'s fixes completely. `ticket_lease`'s (3 workers + main, 4
/// statements each on one database lock) it explores completely up to 2 preemptions here
/// (bound 3: 13,845 executions, bound 4: 107,729; unbounded runs past 1M executions); the
/// counts are pinned so that an exploration regression or a model change shows here.
#[test]
fn loom_verifies_the_sqlite_fixes_with_pinned_counts() {
    for (scenario, bound, executions) in [
        ("sqlite.next_ticket", None, 216),
        ("sqlite.ticket_lease", Some(2), 1211),
    ] {
        for variant in ["immediate-rollback", "immediate-wal"] {
            let r = run(scenario, variant, BackendKind::Loom, bound);
            assert_eq!(r.verdict(), Verdict::Verified, "{scenario}/{variant}");
            assert_eq!(
                r.executions, executions,
                "{scenario}/{variant}: loom explored a different number"
            );
        }
    }
}

#[test]
fn the_deferred_failures_name_the_worker_the_code_and_the_statement() {
    for scenario in ["sqlite.ticket_lease", "sqlite.next_ticket"] {
        for variant in ["deferred-rollback", "deferred-wal"] {
            for backend in BackendKind::ALL {
                let r = run(scenario, variant, backend, None);
                let failure = r.failure.expect("found");
                let text = failure.outcome.to_string();
                assert!(
                    text.contains("workers did not acquire their lock: worker-")
                        && text.contains(" got SQLITE_BUSY")
                        && text.contains(" at UPDATE ticket-"),
                    "{scenario}/{variant} [{backend}]: {text}"
                );
                // The trace says the same in the order the database saw it.
                let lines = failure.trace.lines();
                assert!(
                    lines.iter().any(
                        |l| l.contains("SET locked_by=worker-") && l.contains("-> SQLITE_BUSY")
                    ),
                    "{scenario}/{variant} [{backend}]: {lines:#?}"
                );
            }
        }
    }
}
