//! Unit tests of the engine; its conformance with real SQLite is tested in the scenarios
//! package (`tests/scenarios/sqlite_conformance.rs`).

use super::*;

fn data() -> Table {
    [("x".to_string(), "0".to_string())].into_iter().collect()
}

#[test]
fn rollback_upgrade_is_busy_at_once() {
    let mut e = Engine::with_data(JournalMode::Rollback, 2, data());
    assert_eq!(e.step(0, Stmt::Begin(Begin::Deferred)), StepResult::Ok);
    assert_eq!(
        e.step(0, Stmt::read("x")),
        StepResult::Value(Some("0".into()))
    );
    assert_eq!(e.step(1, Stmt::Begin(Begin::Deferred)), StepResult::Ok);
    assert_eq!(e.step(1, Stmt::write("x", "1")), StepResult::Ok);
    assert_eq!(e.step(0, Stmt::write("x", "2")), StepResult::Busy);
    // B's commit must wait for A's SHARED and keeps PENDING.
    assert_eq!(e.step(1, Stmt::Commit), StepResult::WouldWait);
    assert_eq!(e.lock(1), Lock::Pending);
    assert!(!e.can_proceed(1));
    assert_eq!(e.step(0, Stmt::Rollback), StepResult::Ok);
    assert!(e.can_proceed(1));
    assert_eq!(e.retry(1), StepResult::Ok);
    assert_eq!(e.committed()["x"], "1");
}

#[test]
fn failed_commit_keeps_pending_and_txn() {
    let mut e = Engine::with_data(JournalMode::Rollback, 3, data());
    e.step(0, Stmt::Begin(Begin::Deferred));
    e.step(0, Stmt::read("x"));
    e.step(1, Stmt::Begin(Begin::Immediate));
    e.step(1, Stmt::write("x", "1"));
    assert_eq!(e.step(1, Stmt::Commit), StepResult::WouldWait);
    assert_eq!(e.give_up(1), StepResult::Busy);
    assert!(e.in_txn(1));
    assert_eq!(e.lock(1), Lock::Pending);
    // New reader refused while PENDING is held.
    assert_eq!(e.step(2, Stmt::read("x")), StepResult::WouldWait);
    assert_eq!(e.give_up(2), StepResult::Busy);
    e.step(0, Stmt::Commit);
    assert_eq!(e.step(1, Stmt::Commit), StepResult::Ok);
}

#[test]
fn wal_snapshot_and_busy_snapshot() {
    let mut e = Engine::with_data(JournalMode::Wal, 2, data());
    e.step(0, Stmt::Begin(Begin::Deferred));
    e.step(0, Stmt::read("x"));
    assert_eq!(e.step(1, Stmt::write("x", "1")), StepResult::Ok);
    assert_eq!(
        e.step(0, Stmt::read("x")),
        StepResult::Value(Some("0".into()))
    );
    assert_eq!(e.step(0, Stmt::write("x", "2")), StepResult::BusySnapshot);
    assert!(e.in_txn(0));
    assert_eq!(e.step(0, Stmt::Rollback), StepResult::Ok);
    assert_eq!(
        e.step(0, Stmt::read("x")),
        StepResult::Value(Some("1".into()))
    );
}

#[test]
fn wal_upgrade_busy_while_writer_uncommitted() {
    let mut e = Engine::with_data(JournalMode::Wal, 2, data());
    e.step(0, Stmt::Begin(Begin::Deferred));
    e.step(0, Stmt::read("x"));
    e.step(1, Stmt::Begin(Begin::Deferred));
    e.step(1, Stmt::write("x", "1"));
    assert_eq!(e.step(0, Stmt::write("x", "2")), StepResult::Busy);
    // Writer's own uncommitted value is visible only to it.
    assert_eq!(
        e.step(1, Stmt::read("x")),
        StepResult::Value(Some("1".into()))
    );
    assert_eq!(
        e.step(0, Stmt::read("x")),
        StepResult::Value(Some("0".into()))
    );
    assert_eq!(e.step(1, Stmt::Commit), StepResult::Ok);
}

#[test]
fn commit_has_observable_intermediate_states() {
    let mut e = Engine::with_data(JournalMode::Rollback, 2, data());
    e.step(0, Stmt::Begin(Begin::Immediate));
    e.step(0, Stmt::write("x", "1"));
    assert_eq!(e.start(0, Stmt::Commit), Progress::Yield);
    assert_eq!(e.lock(0), Lock::Exclusive);
    // A reader arriving now must wait.
    assert_eq!(e.step(1, Stmt::read("x")), StepResult::WouldWait);
    assert_eq!(e.advance(0), Progress::Yield);
    assert_eq!(e.lock(0), Lock::Shared);
    assert!(e.can_proceed(1));
    assert_eq!(e.advance(0), Progress::Done(StepResult::Ok));
    assert_eq!(e.retry(1), StepResult::Value(Some("1".into())));
}
