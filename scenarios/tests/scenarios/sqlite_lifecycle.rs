//! Conformance rows with cold connections: forced statement orders where every connection is
//! used as opened (its first statement reads the schema), beside a set-up connection that
//! stays open (`Setup::Cold`) or was closed first, leaving a fresh WAL (`Setup::FreshWal`),
//! and connections that close part-way. The engine's lifecycle steps are in
//! `racecheck_models::sqlite::engine` (`engine/lifecycle.rs`).
//!
//! A forced order runs each real statement to its end before the next, so these rows check
//! the lifecycle's results in sequence (a cold reader behind a writer's EXCLUSIVE waits in its
//! schema load; a close leaves the file usable; a last close followed by a fresh reader);
//! the interleavings inside one statement (a reader during another's WAL recovery or close)
//! are checked by the outcome sets (`sqlite_outcomes.rs`, the cold and fresh-WAL rows).

use racecheck_models::sqlite::engine::{Begin, JournalMode, Stmt};
use racecheck_sqlite_judge::forced::{Item, Row, Wait};
use racecheck_sqlite_judge::real::Setup;

use super::sqlite_conformance::{
    begin, check, commit, excl, expire, imm, row, seed_rows, sel, upd, A, B, C, GATED, ZERO,
};

use JournalMode::{Rollback, Wal};

fn close(c: usize) -> Item {
    Item::Do(c, Stmt::Close)
}

fn with_setup(mut r: Row, setup: Setup) -> Row {
    r.name = format!("{} {setup:?}", r.name);
    r.setup = setup;
    r
}

fn lifecycle_rows(mode: JournalMode, wait: Wait) -> Vec<Row> {
    let m = format!("{mode:?} {wait:?}");
    vec![
        // A cold reader behind BEGIN EXCLUSIVE: its schema load waits (rollback) or it reads
        // beside the writer (WAL); after the COMMIT it reads the new value.
        row(
            &format!("L1 cold reader vs BEGIN EXCLUSIVE {m}"),
            mode,
            wait,
            vec![
                excl(A),
                sel(B, "x"),
                expire(B),
                upd(A, "x", "1"),
                commit(A),
                sel(B, "x"),
            ],
        ),
        // Read, close, and a new connection reads what the closed one committed; in WAL mode
        // with a fresh WAL the closer was the last connection and C rebuilds the index.
        row(
            &format!("L2 close then a cold reader {m}"),
            mode,
            wait,
            vec![
                upd(A, "x", "1"),
                close(A),
                sel(C, "x"),
                begin(B),
                sel(B, "x"),
                upd(B, "x", "2"),
                commit(B),
                close(B),
                sel(C, "x"),
            ],
        ),
        // Close with a transaction open rolls it back and releases its lock.
        row(
            &format!("L3 close inside a write transaction {m}"),
            mode,
            wait,
            vec![
                imm(A),
                upd(A, "x", "5"),
                close(A),
                imm(B),
                sel(B, "x"),
                commit(B),
            ],
        ),
        // A cold writer's BEGIN IMMEDIATE behind a reader's transaction, then its UPDATE.
        row(
            &format!("L4 cold BEGIN IMMEDIATE beside a reader {m}"),
            mode,
            wait,
            vec![
                begin(C),
                sel(C, "x"),
                imm(A),
                upd(A, "x", "3"),
                Item::Do(C, Stmt::Rollback),
                commit(A),
                close(C),
                sel(B, "x"),
            ],
        ),
    ]
}

/// The lifecycle rows, both journal modes, busy timeout 0 and gated, beside an open set-up
/// connection and on a fresh WAL.
#[test]
fn cold_connection_rows() {
    let mut rows = Vec::new();
    for mode in [Rollback, Wal] {
        for wait in [ZERO, GATED] {
            for setup in [Setup::Cold, Setup::FreshWal] {
                rows.extend(
                    lifecycle_rows(mode, wait)
                        .into_iter()
                        .map(|r| with_setup(r, setup)),
                );
            }
        }
    }
    check(rows);
}

/// Seed 001's forced order (all read before anyone writes) with its connections cold and the
/// set-up connection closed: the same results as warm, plus one connection per thread closed
/// at the end; DEFERRED still gives 1 of 3, IMMEDIATE with a busy timeout 3 of 3.
#[test]
fn seed_rows_on_a_fresh_wal() {
    let rows: Vec<Row> = seed_rows()
        .into_iter()
        .map(|mut r| {
            r.order.extend([close(A), close(B), close(C)]);
            with_setup(r, Setup::FreshWal)
        })
        .collect();
    for (r, rep) in check(rows) {
        let locked = rep
            .real_final
            .values()
            .filter(|v| v.starts_with("locked"))
            .count();
        let deferred = r.name.contains(&format!("{:?}", Begin::Deferred));
        let expect = if deferred || r.wait == ZERO { 1 } else { 3 };
        assert_eq!(locked, expect, "{}", rep.render(&r));
    }
}
