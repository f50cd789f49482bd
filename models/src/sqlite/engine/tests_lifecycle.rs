//! Unit tests of the connection lifecycle (`lifecycle.rs`): cold connections, close, WAL
//! recovery. Each test forces one order of lock-level actions.

use super::*;

fn data() -> Table {
    [("x".to_string(), "0".to_string())].into_iter().collect()
}

fn read(k: &str) -> Stmt {
    Stmt::read(k)
}

/// Fresh WAL: the first reader rebuilds the index holding the write lock; a second reader
/// meanwhile gets SQLITE_BUSY_RECOVERY from its busy handler's give-up.
#[test]
fn fresh_wal_second_reader_gets_busy_recovery() {
    let mut e = Engine::cold(JournalMode::Wal, 2, data(), true);
    assert_eq!(e.start(0, read("x")), Progress::Yield); // SHARED on the file
    assert_eq!(e.advance(0), Progress::Yield); // recovery begins
    assert_eq!(e.wal_writer(), Some(0));
    assert_eq!(e.start(1, read("x")), Progress::Yield); // SHARED on the file
    assert_eq!(e.advance(1), Progress::Blocked);
    assert_eq!(e.waiting_for(1), Some(WaitFor::Recovery));
    assert!(!e.can_proceed(1));
    assert_eq!(e.give_up(1), StepResult::BusyRecovery);
    assert_eq!(e.lock(1), Lock::Shared);
    assert_eq!(
        e.advance(0),
        Progress::Done(StepResult::Value(Some("0".into())))
    );
    assert_eq!(e.wal_writer(), None);
    // The next try reads the rebuilt index.
    assert_eq!(e.step(1, read("x")), StepResult::Value(Some("0".into())));
}

/// A warm WAL connection closing beside a cold one takes PENDING for a moment: the cold
/// connection's first read is refused (SQLITE_BUSY with timeout 0); afterwards it reads.
#[test]
fn wal_close_beside_cold_reader_refuses_its_first_read() {
    let mut e = Engine::cold(JournalMode::Wal, 3, data(), false);
    assert_eq!(e.step(0, read("x")), StepResult::Value(Some("0".into())));
    assert_eq!(e.step(2, read("x")), StepResult::Value(Some("0".into())));
    assert_eq!(e.start(0, Stmt::Close), Progress::Yield);
    assert_eq!(e.lock(0), Lock::Pending);
    assert_eq!(e.step(1, read("x")), StepResult::WouldWait);
    assert_eq!(e.give_up(1), StepResult::Busy);
    assert_eq!(e.advance(0), Progress::Done(StepResult::Ok));
    assert_eq!(e.step(1, read("x")), StepResult::Value(Some("0".into())));
    assert_eq!(e.step(0, read("x")), StepResult::Error(21));
}

/// The last WAL connection to close checkpoints under EXCLUSIVE and deletes the WAL: a cold
/// reader waits for it, then rebuilds the index itself.
#[test]
fn last_close_leaves_a_fresh_wal() {
    let mut e = Engine::cold(JournalMode::Wal, 2, data(), false);
    assert_eq!(e.step(0, Stmt::write("x", "1")), StepResult::Ok);
    assert_eq!(e.start(0, Stmt::Close), Progress::Yield);
    assert_eq!(e.lock(0), Lock::Exclusive);
    assert_eq!(e.step(1, read("x")), StepResult::WouldWait);
    assert_eq!(e.advance(0), Progress::Done(StepResult::Ok));
    assert!(e.can_proceed(1));
    // Retry: SHARED, then the index is invalid and this reader rebuilds it.
    assert_eq!(e.retry(1), StepResult::Value(Some("1".into())));
    assert!(e.index_valid);
}

/// Rollback mode: a cold connection's schema load holds SHARED, so a writer's COMMIT finds
/// it; the committer keeps PENDING and the cold connection's own read is then refused.
#[test]
fn rollback_schema_load_blocks_a_commit() {
    let mut e = Engine::cold(JournalMode::Rollback, 2, data(), false);
    assert_eq!(e.step(0, Stmt::Begin(Begin::Deferred)), StepResult::Ok);
    assert_eq!(e.step(0, read("x")), StepResult::Value(Some("0".into())));
    assert_eq!(e.step(0, Stmt::write("x", "1")), StepResult::Ok);
    assert_eq!(e.step(1, Stmt::Begin(Begin::Deferred)), StepResult::Ok);
    assert_eq!(e.start(1, read("x")), Progress::Yield); // schema load holds SHARED
    assert_eq!(e.lock(1), Lock::Shared);
    assert_eq!(e.step(0, Stmt::Commit), StepResult::WouldWait);
    assert_eq!(e.give_up(0), StepResult::Busy);
    assert_eq!(e.advance(1), Progress::Yield); // schema load done, SHARED dropped
    assert_eq!(e.advance(1), Progress::Blocked); // its own SHARED: PENDING is held
    assert_eq!(e.give_up(1), StepResult::Busy);
    assert!(e.in_txn(0));
    assert_eq!(e.lock(0), Lock::Pending);
}

/// Warm connections (`with_data`) behave as before: no schema load, no recovery.
#[test]
fn warm_connections_need_no_lifecycle_step() {
    for mode in [JournalMode::Rollback, JournalMode::Wal] {
        let mut e = Engine::with_data(mode, 1, data());
        assert_eq!(
            e.start(0, read("x")),
            match mode {
                JournalMode::Rollback => Progress::Yield,
                JournalMode::Wal => Progress::Done(StepResult::Value(Some("0".into()))),
            }
        );
    }
}
