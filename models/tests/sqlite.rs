//! The SQLite model over the facade: the busy handler waits or fails as SQLite's does, the
//! ticket repository's methods do what the seed's do, and a state where every connection
//! waits is reported as a deadlock (the model has no busy timeout that expires).

use racecheck::{invariant, thread, BackendKind, Check, Outcome, OutcomeKind, Verdict};
use racecheck_models::sqlite::tickets::{TicketRepository, TicketRow};
use racecheck_models::sqlite::{Begin, Database, JournalMode, StepResult, Stmt, Table};

fn tickets(rows: &[(&str, TicketRow)]) -> Table {
    rows.iter()
        .map(|(k, r)| (k.to_string(), r.encode()))
        .collect()
}

fn verified(check: Check) {
    let r = check.backend(BackendKind::Loom).run();
    assert_eq!(
        r.verdict(),
        Verdict::Verified,
        "{:?}",
        r.failure.map(|f| f.outcome)
    );
}

#[test]
fn ticket_rows_round_trip() {
    for row in [TicketRow::free(), TicketRow::held("worker-0", 160)] {
        assert_eq!(TicketRow::decode(&row.encode()), Some(row));
    }
    assert_eq!(TicketRow::decode("garbage"), None);
    assert!(TicketRow::held("w", 99).is_free_at(100));
    assert!(!TicketRow::held("w", 100).is_free_at(100));
}

#[test]
fn repository_acquires_renews_and_releases() {
    verified(Check::new(|| {
        let data = tickets(&[
            ("ticket-0", TicketRow::free()),
            ("ticket-1", TicketRow::held("other", 500)),
            ("ticket-2", TicketRow::held("crashed", 50)),
        ]);
        for mode in [JournalMode::Rollback, JournalMode::Wal] {
            let db = Database::new("tickets.db", mode, 1, data.clone());
            let repo = TicketRepository::new(db.connect(0, false), Begin::Deferred);
            let got = repo.acquire_lock("ticket-0", "me", 100, 60).unwrap();
            invariant!(got.is_some_and(|l| l.lease_expires == 160), "a free ticket");
            invariant!(
                repo.acquire_lock("ticket-1", "me", 100, 60)
                    .unwrap()
                    .is_none(),
                "a live lease was taken over"
            );
            invariant!(
                repo.acquire_lock("ticket-2", "me", 100, 60)
                    .unwrap()
                    .is_some(),
                "an expired lease was not taken over"
            );
            let renewed = repo.renew_lock("ticket-0", "me", 150, 60).unwrap();
            invariant!(renewed.is_some_and(|l| l.lease_expires == 210), "renewal");
            invariant!(
                repo.renew_lock("ticket-0", "me", 300, 60)
                    .unwrap()
                    .is_none(),
                "an expired lease was renewed"
            );
            invariant!(
                !repo.release_lock("ticket-1", "me").unwrap(),
                "released someone else's lock"
            );
            invariant!(repo.release_lock("ticket-0", "me").unwrap(), "release");
            let pool: Vec<String> = (0..3).map(|i| format!("ticket-{i}")).collect();
            let next = repo.get_and_lock_next_ticket(&pool, "me", 400, 60).unwrap();
            invariant!(
                next.is_some_and(|l| l.ticket == "ticket-0"),
                "the first free ticket"
            );
            let committed = db.committed();
            invariant!(
                TicketRow::decode(&committed["ticket-2"])
                    .is_some_and(|r| r.locked_by.as_deref() == Some("me")),
                "{committed:?}"
            );
            invariant!(
                !repo.connection().in_transaction(),
                "a transaction left open"
            );
        }
    }));
}

#[test]
fn without_a_busy_timeout_a_waiting_statement_fails_at_once() {
    verified(Check::new(|| {
        let db = Database::new("t.db", JournalMode::Rollback, 2, Table::new());
        let (a, b) = (db.connect(0, true), db.connect(1, false));
        invariant!(
            a.execute(Stmt::Begin(Begin::Immediate)) == StepResult::Ok,
            "a"
        );
        let r = b.execute(Stmt::Begin(Begin::Immediate));
        invariant!(r == StepResult::Busy, "b got {r}");
        invariant!(!b.in_transaction(), "b is in a transaction");
    }));
}

#[test]
fn with_a_busy_timeout_a_waiting_statement_proceeds_when_the_lock_is_free() {
    verified(Check::new(|| {
        for mode in [JournalMode::Rollback, JournalMode::Wal] {
            let db = Database::new("t.db", mode, 2, Table::new());
            let (a, b) = (db.connect(0, true), db.connect(1, true));
            let t = thread::spawn(move || {
                let r = b.execute(Stmt::Begin(Begin::Immediate));
                invariant!(r == StepResult::Ok, "b got {r}");
                b.execute(Stmt::write("k", "b"));
                b.execute(Stmt::Commit)
            });
            a.execute(Stmt::Begin(Begin::Immediate));
            a.execute(Stmt::write("k", "a"));
            let r = a.execute(Stmt::Commit);
            // A's COMMIT may wait for B's SHARED (rollback) only if B read; it did not.
            invariant!(r == StepResult::Ok, "a's commit got {r}");
            invariant!(t.join().unwrap() == StepResult::Ok, "b's commit");
            invariant!(db.committed().len() == 1, "one key");
        }
    }));
}

/// The model has no busy timeout that expires: where real SQLite would return SQLITE_BUSY
/// after the timeout, the facade reports a deadlock on the busy handler's condvar.
#[test]
fn every_connection_waiting_is_a_deadlock() {
    let r = Check::new(|| {
        let db = Database::new("t.db", JournalMode::Wal, 2, Table::new());
        let (a, b) = (db.connect(0, true), db.connect(1, true));
        a.execute(Stmt::Begin(Begin::Immediate));
        let t = thread::Builder::new()
            .name("worker")
            .spawn(move || b.execute(Stmt::Begin(Begin::Immediate)))
            .unwrap();
        t.join().unwrap();
    })
    .backend(BackendKind::Loom)
    .run();
    assert_eq!(r.verdict(), Verdict::Found(OutcomeKind::Deadlock));
    let Some(Outcome::Deadlock { blocked }) = r.failure.map(|f| f.outcome) else {
        unreachable!()
    };
    assert!(
        blocked
            .iter()
            .any(|b| b.thread == "worker" && b.waits_on.contains("t.db busy handler")),
        "{blocked:?}"
    );
}
