//! Seed 001's ticket repository (`actifix/persistence/ticket_repo.py`) over a [`Connection`].
//!
//! Every method is one transaction of the seed's shape:
//! `BEGIN` (or, the fix, `BEGIN IMMEDIATE`); `SELECT` the ticket's `locked_by` and
//! `lease_expires`; `UPDATE` it when the method's condition holds; `COMMIT`; on any error
//! `ROLLBACK` (when a transaction is open) and return the error, as the seed's
//! `transaction()` context manager does (`except: conn.rollback(); raise`).
//!
//! A ticket is one row of the engine's key/value table: key `ticket-N`, value
//! `locked_by=<owner|NULL> lease_expires=<time|NULL>`. Times are logical: an integer clock
//! the caller passes in (`now`), no real time. `SELECT … LIMIT 1` over several tickets
//! ([`TicketRepository::get_and_lock_next_ticket`]) is one engine read per ticket inside the
//! same transaction: after the first read takes the transaction's SHARED lock (rollback) or
//! snapshot (WAL), further reads neither wait nor change any lock, so splitting the scan
//! changes no outcome.

use super::{Begin, Connection, StepResult, Stmt};
use std::fmt;

/// One row of `tickets`, as [`TicketRow::encode`] stores it in the engine's table.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct TicketRow {
    pub locked_by: Option<String>,
    /// The logical time the lease runs out; the lock is free from then on.
    pub lease_expires: Option<u64>,
}

impl TicketRow {
    /// A ticket nobody holds.
    pub fn free() -> Self {
        TicketRow::default()
    }

    pub fn held(by: &str, lease_expires: u64) -> Self {
        TicketRow {
            locked_by: Some(by.to_string()),
            lease_expires: Some(lease_expires),
        }
    }

    /// `locked_by=worker-0 lease_expires=160`, `locked_by=NULL lease_expires=NULL`.
    pub fn encode(&self) -> String {
        let by = self.locked_by.as_deref().unwrap_or("NULL");
        match self.lease_expires {
            Some(t) => format!("locked_by={by} lease_expires={t}"),
            None => format!("locked_by={by} lease_expires=NULL"),
        }
    }

    /// The inverse of [`TicketRow::encode`]; `None` for any other text.
    pub fn decode(text: &str) -> Option<Self> {
        let (by, expires) = text.split_once(' ')?;
        let by = by.strip_prefix("locked_by=")?;
        let expires = expires.strip_prefix("lease_expires=")?;
        Some(TicketRow {
            locked_by: (by != "NULL").then(|| by.to_string()),
            lease_expires: match expires {
                "NULL" => None,
                t => Some(t.parse().ok()?),
            },
        })
    }

    /// Nobody holds it, or the holder's lease ran out before `now`: the seed's
    /// `locked_by IS NULL OR lease_expires < now`.
    pub fn is_free_at(&self, now: u64) -> bool {
        match (&self.locked_by, self.lease_expires) {
            (None, _) | (Some(_), None) => true,
            (Some(_), Some(t)) => t < now,
        }
    }
}

/// A lock the repository granted: `ticket` is `locked_by`'s until `lease_expires`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TicketLock {
    pub ticket: String,
    pub locked_by: String,
    pub lease_expires: u64,
}

/// A statement that failed: the seed's `sqlite3.OperationalError: database is locked`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SqlError {
    /// The statement, as in the trace (`UPDATE ticket-1 SET …`).
    pub statement: String,
    pub result: StepResult,
}

impl SqlError {
    /// The statement's first word: `BEGIN`, `SELECT`, `UPDATE`, `COMMIT`.
    pub fn verb(&self) -> &str {
        self.statement.split(' ').next().unwrap_or("")
    }
}

impl fmt::Display for SqlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at {}", self.result, self.statement)
    }
}

/// The seed's `TicketRepository`: the lock methods, each one transaction on one connection.
pub struct TicketRepository {
    conn: Connection,
    /// `Begin::Deferred` is the seed's `conn.execute("BEGIN")`; `Begin::Immediate` the fix.
    begin: Begin,
    /// No explicit `BEGIN`: see [`TicketRepository::implicit`].
    implicit: bool,
}

/// The ticket's key in the engine's table.
pub fn ticket_key(n: usize) -> String {
    format!("ticket-{n}")
}

impl TicketRepository {
    pub fn new(conn: Connection, begin: Begin) -> Self {
        TicketRepository {
            conn,
            begin,
            implicit: false,
        }
    }

    /// The repository without its explicit `BEGIN`, left to the transactions Python's
    /// `sqlite3` opens by itself: with the default `isolation_level` a (deferred) `BEGIN` is
    /// issued implicitly before an `UPDATE` (or `INSERT`, `DELETE`, `REPLACE`), not before a
    /// `SELECT` (docs.python.org/3/library/sqlite3.html, "Transaction control via the
    /// isolation_level attribute"). Each method's `SELECT` then runs in autocommit, outside the
    /// transaction of its `UPDATE`: the check and the act are two transactions.
    pub fn implicit(conn: Connection) -> Self {
        TicketRepository {
            conn,
            begin: Begin::Deferred,
            implicit: true,
        }
    }

    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    /// Take `ticket` for `locked_by` until `now + lease`, if it is free or its lease ran out.
    /// `Ok(None)`: someone else holds it.
    pub fn acquire_lock(
        &self,
        ticket: &str,
        locked_by: &str,
        now: u64,
        lease: u64,
    ) -> Result<Option<TicketLock>, SqlError> {
        self.transaction(|| {
            let row = self.select(ticket)?;
            if !row.is_some_and(|r| r.is_free_at(now)) {
                return Ok(None);
            }
            self.lock(ticket, locked_by, now + lease).map(Some)
        })
    }

    /// Give `ticket` back if `locked_by` holds it. `Ok(false)`: it did not.
    pub fn release_lock(&self, ticket: &str, locked_by: &str) -> Result<bool, SqlError> {
        self.transaction(|| {
            let row = self.select(ticket)?;
            if row.and_then(|r| r.locked_by).as_deref() != Some(locked_by) {
                return Ok(false);
            }
            self.update(ticket, &TicketRow::free())?;
            Ok(true)
        })
    }

    /// Extend `locked_by`'s lease on `ticket` to `now + lease`, if it still holds it and the
    /// lease has not run out. `Ok(None)`: it lost the lock.
    pub fn renew_lock(
        &self,
        ticket: &str,
        locked_by: &str,
        now: u64,
        lease: u64,
    ) -> Result<Option<TicketLock>, SqlError> {
        self.transaction(|| {
            let row = self.select(ticket)?;
            let mine = row
                .is_some_and(|r| r.locked_by.as_deref() == Some(locked_by) && !r.is_free_at(now));
            if !mine {
                return Ok(None);
            }
            self.lock(ticket, locked_by, now + lease).map(Some)
        })
    }

    /// Lock the first ticket of `pool` that is free or whose lease ran out (the seed's
    /// `SELECT … WHERE locked_by IS NULL OR lease_expires < ? ORDER BY … LIMIT 1`, then
    /// `UPDATE`). `Ok(None)`: every ticket is held.
    pub fn get_and_lock_next_ticket(
        &self,
        pool: &[String],
        locked_by: &str,
        now: u64,
        lease: u64,
    ) -> Result<Option<TicketLock>, SqlError> {
        self.transaction(|| {
            for ticket in pool {
                if self.select(ticket)?.is_some_and(|r| r.is_free_at(now)) {
                    return self.lock(ticket, locked_by, now + lease).map(Some);
                }
            }
            Ok(None)
        })
    }

    /// `BEGIN`; `body`; `COMMIT`. On an error of any of them: `ROLLBACK` if a transaction is
    /// open, and the error. [`TicketRepository::implicit`]: no `BEGIN` here (the first
    /// `UPDATE` opens one), and `COMMIT` only when a transaction is open, as Python's
    /// `commit()` does nothing otherwise.
    fn transaction<T>(&self, body: impl FnOnce() -> Result<T, SqlError>) -> Result<T, SqlError> {
        let begun = if self.implicit {
            Ok(StepResult::Ok)
        } else {
            self.exec(Stmt::Begin(self.begin))
        };
        let result = begun.and_then(|_| body()).and_then(|v| {
            if self.implicit && !self.conn.in_transaction() {
                return Ok(v);
            }
            self.exec(Stmt::Commit).map(|_| v)
        });
        if result.is_err() && self.conn.in_transaction() {
            // The seed's `except: conn.rollback(); raise`: the first error is the one raised.
            let _ = self.exec(Stmt::Rollback);
        }
        result
    }

    fn exec(&self, stmt: Stmt) -> Result<StepResult, SqlError> {
        let statement = stmt.to_string();
        let result = self.conn.execute(stmt);
        if result.is_failure() {
            Err(SqlError { statement, result })
        } else {
            Ok(result)
        }
    }

    fn select(&self, ticket: &str) -> Result<Option<TicketRow>, SqlError> {
        match self.exec(Stmt::read(ticket))? {
            StepResult::Value(Some(v)) => Ok(TicketRow::decode(&v)),
            _ => Ok(None),
        }
    }

    fn update(&self, ticket: &str, row: &TicketRow) -> Result<(), SqlError> {
        if self.implicit && !self.conn.in_transaction() {
            self.exec(Stmt::Begin(Begin::Deferred))?;
        }
        self.exec(Stmt::write(ticket, &row.encode())).map(|_| ())
    }

    fn lock(&self, ticket: &str, locked_by: &str, until: u64) -> Result<TicketLock, SqlError> {
        self.update(ticket, &TicketRow::held(locked_by, until))?;
        Ok(TicketLock {
            ticket: ticket.to_string(),
            locked_by: locked_by.to_string(),
            lease_expires: until,
        })
    }
}
