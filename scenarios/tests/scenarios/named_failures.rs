//! A bug variant names the failure it expects, not only its kind: a lost update found where a
//! lost lock was expected is a different failure, and the expectation is not met.

use racecheck::{BackendKind, Expect};
use racecheck_scenarios::catalogue;

#[test]
fn every_bug_outside_sqlite_names_its_failure() {
    for s in &catalogue().scenarios {
        // The SQLite scenarios' messages start with a count; their owner names them.
        if s.name.starts_with("sqlite.") {
            continue;
        }
        for v in s.variants.iter().filter(|v| v.expect != Expect::Pass) {
            assert!(
                v.expect_failure.is_some(),
                "{}/{}: a bug variant that names no failure",
                s.name,
                v.name
            );
        }
    }
}

#[test]
fn a_different_invariant_does_not_meet_the_expectation() {
    let cat = catalogue();
    let v = cat
        .find("compaction")
        .unwrap()
        .find_variant("no-cas")
        .unwrap();
    let r = v
        .check()
        .backend(BackendKind::Pct)
        .seed(1)
        .executions(1_000)
        .run();
    let found = &r.failure.expect("the lost update is found").outcome;
    assert!(
        v.is_met_by_outcome(BackendKind::Pct, Some(found)),
        "{found}"
    );

    // The same body, expecting another of the model's invariants.
    let mut other = v.clone();
    other.expect_failure = Some("the compaction lock was lost while held");
    assert!(other.is_different_failure(found), "{found}");
    assert!(!other.is_met_by_outcome(BackendKind::Pct, Some(found)));
    // Kind alone would have accepted it.
    assert!(other.is_met_by(BackendKind::Pct, Some(found.kind())));
}
