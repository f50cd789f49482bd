//! A pure, deterministic model of SQLite's locking for N connections to one
//! database file.
//!
//! No threads, no I/O, no clocks: the engine is a value you call methods on.
//! Sources of the rules are cited inline as `[doc: page]` (the sqlite.org
//! page `https://www.sqlite.org/<page>.html`, with a section title or a short
//! quoted phrase where the page is long), `[src: function]` (SQLite 3.54
//! amalgamation, as bundled by libsqlite3-sys 0.40) or `[conformance row R]`
//! (row R of `scenarios/tests/scenarios/sqlite_conformance.rs`, where the
//! behaviour is observed on real SQLite and the engine is checked against it).
//!
//! # Two granularities
//!
//! * Statement level: [`Engine::step`], [`Engine::retry`], [`Engine::give_up`].
//!   A statement runs to completion (or to the point where it has to wait)
//!   in one call. This is what a wrapper that serialises statements needs.
//! * Lock-transition level: [`Engine::start`] and [`Engine::advance`]. Real
//!   SQLite changes its file lock several times inside one statement (for
//!   example `COMMIT` holds EXCLUSIVE while it writes, then drops to SHARED,
//!   then to UNLOCKED). Other connections can observe those intermediate
//!   states. [`Progress::Yield`] marks such a point; an explorer that wants
//!   every outcome real threads can produce interleaves other connections
//!   there.
//!
//! # Waiting
//!
//! [`StepResult::WouldWait`] means SQLite would call the busy handler: the
//! statement is parked and the connection must not issue anything else until
//! it is resolved. The caller either
//! * retries with [`Engine::retry`] once [`Engine::can_proceed`] says the lock
//!   it waits for is obtainable (a busy timeout that has not expired yet), or
//! * calls [`Engine::give_up`] (no busy handler, busy timeout 0, or the
//!   timeout expired), which returns [`StepResult::Busy`] and applies
//!   SQLite's clean-up for that statement.
//!
//! A statement that SQLite fails *without* consulting the busy handler returns
//! `Busy`/`BusySnapshot` directly.
//!
//! # Layout
//!
//! This file holds the types, the public API and the lock compatibility rules;
//! `engine/rollback.rs` and `engine/wal.rs` hold each journal mode's statement
//! semantics, `engine/lifecycle.rs` the connection lifecycle (a cold
//! connection's first statement, WAL recovery, close). The engine is facade-free: [`crate::sqlite::Database`] runs it
//! under a racecheck mutex, and the scenarios package's conformance test runs
//! the same code beside real SQLite.

use std::collections::BTreeMap;
use std::fmt;

mod lifecycle;
mod rollback;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_lifecycle;
mod wal;

/// Index of a connection, `0..n`.
pub type ConnId = usize;

/// The key/value table every connection reads and writes.
pub type Table = BTreeMap<String, String>;

/// Journal mode of the database file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum JournalMode {
    /// Rollback journal (DELETE/TRUNCATE/PERSIST): file locks
    /// [doc: lockingv3 "Locking"].
    Rollback,
    /// Write-ahead log: snapshots plus one write lock [doc: wal "Concurrency"].
    Wal,
}

/// Kind of `BEGIN`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Begin {
    Deferred,
    Immediate,
    Exclusive,
}

/// A statement issued by one connection.
///
/// `Read`/`Write` outside `BEGIN ... COMMIT` run in autocommit mode: each is
/// its own implicit transaction [doc: lang_transaction].
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Stmt {
    Begin(Begin),
    /// `SELECT v FROM kv WHERE k = key`
    Read(String),
    /// Upsert `key = value`.
    Write(String, String),
    Commit,
    Rollback,
    /// `sqlite3_close`: the connection ends (see `engine/lifecycle.rs`); any
    /// open transaction is rolled back. Later statements fail with
    /// `SQLITE_MISUSE` (21).
    Close,
}

impl Stmt {
    pub fn read(key: &str) -> Self {
        Stmt::Read(key.to_string())
    }

    pub fn write(key: &str, value: &str) -> Self {
        Stmt::Write(key.to_string(), value.to_string())
    }
}

/// Result of a statement. Shared by the model and by the real-SQLite judge
/// (`racecheck_sqlite_judge::real`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum StepResult {
    /// Success with no row (BEGIN, Write, COMMIT, ROLLBACK).
    Ok,
    /// Success of a Read: the value, or `None` when the key is absent.
    Value(Option<String>),
    /// `SQLITE_BUSY` (5).
    Busy,
    /// `SQLITE_BUSY_SNAPSHOT` (517), WAL only.
    BusySnapshot,
    /// `SQLITE_BUSY_RECOVERY` (261): WAL only, another connection is
    /// rebuilding the WAL index (`engine/lifecycle.rs`).
    BusyRecovery,
    /// Any other error, with its extended result code. The engine uses
    /// `Error(1)` (`SQLITE_ERROR`) for transaction misuse: BEGIN inside a
    /// transaction, COMMIT/ROLLBACK outside one.
    Error(i32),
    /// The busy handler would be invoked: see the module docs.
    WouldWait,
}

impl StepResult {
    /// SQLite's extended result code for this result, `None` for success or
    /// `WouldWait`.
    pub fn code(&self) -> Option<i32> {
        match self {
            StepResult::Ok | StepResult::Value(_) | StepResult::WouldWait => None,
            StepResult::Busy => Some(5),
            StepResult::BusySnapshot => Some(517),
            StepResult::BusyRecovery => Some(261),
            StepResult::Error(c) => Some(*c),
        }
    }

    /// True for every final failure (not for `WouldWait`).
    pub fn is_failure(&self) -> bool {
        self.code().is_some()
    }
}

/// SQL-like text for traces: `BEGIN IMMEDIATE`, `SELECT ticket-0`,
/// `UPDATE ticket-0 SET locked_by=worker-0 lease_expires=160`, `COMMIT`.
impl fmt::Display for Stmt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Stmt::Begin(Begin::Deferred) => f.write_str("BEGIN DEFERRED"),
            Stmt::Begin(Begin::Immediate) => f.write_str("BEGIN IMMEDIATE"),
            Stmt::Begin(Begin::Exclusive) => f.write_str("BEGIN EXCLUSIVE"),
            Stmt::Read(k) => write!(f, "SELECT {k}"),
            Stmt::Write(k, v) => write!(f, "UPDATE {k} SET {v}"),
            Stmt::Commit => f.write_str("COMMIT"),
            Stmt::Rollback => f.write_str("ROLLBACK"),
            Stmt::Close => f.write_str("CLOSE"),
        }
    }
}

/// SQLite's names with the extended code: `ok`, `SQLITE_BUSY (5)`,
/// `SQLITE_BUSY_SNAPSHOT (517)`; a read's value as it was read.
impl fmt::Display for StepResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StepResult::Ok => f.write_str("ok"),
            StepResult::Value(Some(v)) => f.write_str(v),
            StepResult::Value(None) => f.write_str("no row"),
            StepResult::Busy => f.write_str("SQLITE_BUSY (5)"),
            StepResult::BusySnapshot => f.write_str("SQLITE_BUSY_SNAPSHOT (517)"),
            StepResult::BusyRecovery => f.write_str("SQLITE_BUSY_RECOVERY (261)"),
            StepResult::Error(1) => f.write_str("SQLITE_ERROR (1)"),
            StepResult::Error(c) => write!(f, "error ({c})"),
            StepResult::WouldWait => f.write_str("waits (busy handler)"),
        }
    }
}

/// Rollback-journal file lock of one connection [doc: lockingv3,
/// c3ref/c_lock_exclusive].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Lock {
    Unlocked,
    Shared,
    Reserved,
    Pending,
    Exclusive,
}

/// What a parked statement waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum WaitFor {
    /// Rollback: a SHARED lock (someone holds PENDING or EXCLUSIVE).
    Shared,
    /// Rollback: a RESERVED lock for a transaction started from nothing
    /// (someone else holds RESERVED or more). The retry starts again from
    /// UNLOCKED.
    Reserved,
    /// Rollback: EXCLUSIVE, while this connection holds PENDING and other
    /// connections still hold SHARED (COMMIT, autocommit write, BEGIN
    /// EXCLUSIVE).
    Exclusive,
    /// WAL: the single write lock, for a transaction started from nothing.
    WalWriteLock,
    /// WAL: another connection is rebuilding the WAL index; giving up
    /// returns `SQLITE_BUSY_RECOVERY`.
    Recovery,
}

/// Outcome of one lock-level action, see [`Engine::start`].
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Progress {
    /// The statement is part-way; call [`Engine::advance`] to continue. Other
    /// connections may act in between.
    Yield,
    /// The statement waits (busy handler). Same as [`StepResult::WouldWait`].
    Blocked,
    /// The statement finished with this result.
    Done(StepResult),
}

/// Where an in-flight statement is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Phase {
    /// Nothing done yet.
    Start,
    // ---- rollback journal ----
    /// Take SHARED for a read that starts from UNLOCKED.
    RbReadShared,
    /// Autocommit read done: drop SHARED and return the value.
    RbReadRelease,
    /// Start a write transaction from nothing: take SHARED first ...
    RbWriteShared,
    /// ... then RESERVED.
    RbWriteReserved,
    /// RESERVED -> PENDING -> EXCLUSIVE.
    RbExclusive,
    /// Write the changes, drop to SHARED.
    RbPublish,
    /// Drop to UNLOCKED and finish.
    RbRelease,
    // ---- WAL ----
    /// Start a write transaction from nothing: take a read snapshot ...
    WalSnapshot,
    /// ... then the write lock.
    WalWriteLock,
    /// Append the commit to the log: the new version becomes visible.
    WalPublish,
    /// Release the write lock and the snapshot, finish.
    WalRelease,
    // ---- connection lifecycle (engine/lifecycle.rs) ----
    /// Rollback: a cold connection's schema load takes SHARED ...
    SchemaShared,
    /// ... and drops it before the statement proper starts.
    SchemaRelease,
    /// WAL: a connection's first read takes SHARED on the database file.
    WalOpen,
    /// WAL: read the WAL-index header; rebuild it if it is not valid.
    WalIndex,
    /// WAL: finish rebuilding the WAL index.
    WalRecover,
    /// Close: drop the database-file lock (after a checkpoint if it got
    /// EXCLUSIVE).
    CloseRelease,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Op {
    stmt: Stmt,
    phase: Phase,
    waiting: Option<WaitFor>,
    /// Value read by an autocommit read, returned after the lock is dropped.
    value: Option<String>,
    /// The statement started inside a read transaction (rollback mode: the
    /// connection held SHARED). Matters only for BEGIN EXCLUSIVE issued
    /// inside a transaction, see [`Engine::give_up`].
    from_read_txn: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Conn {
    /// Inside `BEGIN ... COMMIT/ROLLBACK` (SQLite's autocommit flag is off).
    explicit: bool,
    /// Rollback-journal lock. In WAL mode the lock on the database file: SHARED
    /// from the first read until close, PENDING or EXCLUSIVE while closing.
    lock: Lock,
    /// The schema has been read (false for a cold connection).
    schema: bool,
    /// `sqlite3_close` has run.
    closed: bool,
    /// Rollback mode: the transaction is a write transaction (btree
    /// TRANS_WRITE). Normally the same as `lock >= Reserved`; differs only
    /// after a failed BEGIN EXCLUSIVE inside a read transaction, which leaves
    /// PENDING held by a read transaction.
    rb_write: bool,
    /// WAL: version of the read snapshot, if a read transaction is open.
    snapshot: Option<usize>,
    /// Uncommitted writes of this connection's transaction.
    pending: Table,
    /// Statement in flight (part-way or waiting).
    op: Option<Op>,
}

impl Conn {
    fn new(warm: bool, mode: JournalMode) -> Self {
        Conn {
            explicit: false,
            lock: if warm && mode == JournalMode::Wal {
                Lock::Shared
            } else {
                Lock::Unlocked
            },
            schema: warm,
            closed: false,
            rb_write: false,
            snapshot: None,
            pending: Table::new(),
            op: None,
        }
    }
}

/// The model: one database file and its connections.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Engine {
    mode: JournalMode,
    conns: Vec<Conn>,
    /// Committed versions of the table; the last one is current. In rollback
    /// mode only the last one is ever read.
    history: Vec<Table>,
    /// WAL: holder of the write lock (also held by a connection rebuilding
    /// the WAL index).
    wal_writer: Option<ConnId>,
    /// WAL: the WAL-index header is valid. False for a fresh WAL: the last
    /// connection's close deleted the WAL and its index.
    index_valid: bool,
    /// WAL: the connection rebuilding the WAL index.
    recovering: Option<ConnId>,
}

impl Engine {
    /// `n` connections to an empty table.
    pub fn new(mode: JournalMode, n: usize) -> Self {
        Self::with_data(mode, n, Table::new())
    }

    /// `n` warm connections to a table with the given committed contents:
    /// each has read the schema (and in WAL mode opened the WAL), and the WAL
    /// index is valid, as when a set-up connection stays open.
    pub fn with_data(mode: JournalMode, n: usize, data: Table) -> Self {
        Self::build(mode, n, data, true, false)
    }

    /// `n` cold connections, just opened: none has read the schema or, in WAL
    /// mode, opened the WAL. `fresh_wal`: the WAL and its index were deleted
    /// by the last connection's close, so the first reader rebuilds the index
    /// (no effect in rollback mode).
    pub fn cold(mode: JournalMode, n: usize, data: Table, fresh_wal: bool) -> Self {
        Self::build(mode, n, data, false, fresh_wal)
    }

    /// `n` cold connections beside an idle set-up connection that stays open
    /// (index `n`, warm): in WAL mode it holds SHARED on the database file,
    /// so the WAL index stays valid and no other connection's close is the
    /// last one.
    pub fn cold_beside_setup(mode: JournalMode, n: usize, data: Table) -> Self {
        let mut e = Self::build(mode, n + 1, data, false, false);
        e.conns[n] = Conn::new(true, mode);
        e
    }

    fn build(mode: JournalMode, n: usize, data: Table, warm: bool, fresh_wal: bool) -> Self {
        Engine {
            mode,
            conns: (0..n).map(|_| Conn::new(warm, mode)).collect(),
            history: vec![data],
            wal_writer: None,
            index_valid: !fresh_wal,
            recovering: None,
        }
    }

    pub fn mode(&self) -> JournalMode {
        self.mode
    }

    pub fn connections(&self) -> usize {
        self.conns.len()
    }

    /// The current committed table (what a new transaction would read).
    pub fn committed(&self) -> &Table {
        self.history.last().expect("history is never empty")
    }

    /// Number of commits so far (the WAL snapshot version of a new reader).
    pub fn version(&self) -> usize {
        self.history.len() - 1
    }

    /// True between a successful BEGIN and its COMMIT/ROLLBACK (the inverse
    /// of `sqlite3_get_autocommit`).
    pub fn in_txn(&self, c: ConnId) -> bool {
        self.conns[c].explicit
    }

    /// Rollback-journal lock held by `c`; in WAL mode its lock on the
    /// database file.
    pub fn lock(&self, c: ConnId) -> Lock {
        self.conns[c].lock
    }

    /// WAL snapshot version held by `c`.
    pub fn snapshot(&self, c: ConnId) -> Option<usize> {
        self.conns[c].snapshot
    }

    /// WAL write-lock holder.
    pub fn wal_writer(&self) -> Option<ConnId> {
        self.wal_writer
    }

    /// True while `c` has a statement in flight (part-way or waiting).
    pub fn in_flight(&self, c: ConnId) -> bool {
        self.conns[c].op.is_some()
    }

    /// What `c`'s parked statement waits for, if it is waiting.
    pub fn waiting_for(&self, c: ConnId) -> Option<WaitFor> {
        self.conns[c].op.as_ref().and_then(|op| op.waiting)
    }

    /// For a waiting connection: is the lock it waits for obtainable now, so
    /// that [`Engine::retry`] gets past the point where it stopped? (A busy
    /// handler that keeps polling would succeed on its next poll.) False for
    /// a connection that is not waiting.
    pub fn can_proceed(&self, c: ConnId) -> bool {
        match self.waiting_for(c) {
            None => false,
            Some(WaitFor::Shared) => self.shared_ok(c),
            // Starting again from UNLOCKED needs SHARED then RESERVED;
            // "no other RESERVED or higher" implies SHARED is available too.
            Some(WaitFor::Reserved) => self.reserved_ok(c),
            Some(WaitFor::Exclusive) => self.exclusive_ok(c),
            Some(WaitFor::WalWriteLock) => self.wal_writer.is_none_or(|w| w == c),
            Some(WaitFor::Recovery) => self.recovering.is_none(),
        }
    }

    // ------------------------------------------------------------------
    // Statement level
    // ------------------------------------------------------------------

    /// Run `stmt` on `c` to completion, or until it has to wait.
    ///
    /// # Panics
    /// If `c` already has a statement in flight.
    pub fn step(&mut self, c: ConnId, stmt: Stmt) -> StepResult {
        let p = self.start(c, stmt);
        self.finish(c, p)
    }

    /// Resume `c`'s waiting statement (the busy handler returned "try again").
    /// Returns `WouldWait` again if the lock is still unavailable.
    ///
    /// # Panics
    /// If `c` is not waiting.
    pub fn retry(&mut self, c: ConnId) -> StepResult {
        assert!(
            self.waiting_for(c).is_some(),
            "retry: conn {c} is not waiting"
        );
        let p = self.advance(c);
        self.finish(c, p)
    }

    fn finish(&mut self, c: ConnId, mut p: Progress) -> StepResult {
        loop {
            match p {
                Progress::Yield => p = self.advance(c),
                Progress::Blocked => return StepResult::WouldWait,
                Progress::Done(r) => return r,
            }
        }
    }

    /// The busy handler gave up (or there is none): `c`'s waiting statement
    /// fails with `SQLITE_BUSY`. Clean-up follows SQLite:
    /// * waiting to *start* a transaction: nothing is held; an explicit
    ///   transaction that was already open (`BEGIN; SELECT`) stays open
    ///   [src: btreeBeginTrans releases via unlockBtreeIfUnused];
    /// * explicit `COMMIT` waiting for EXCLUSIVE: the transaction stays open
    ///   and PENDING is kept, so new readers stay locked out and the COMMIT
    ///   can be retried [doc: lang_transaction; conformance row S2];
    /// * autocommit write waiting for EXCLUSIVE: the implicit transaction is
    ///   rolled back [src: sqlite3VdbeHalt rolls back on a failed
    ///   auto-commit];
    /// * `BEGIN EXCLUSIVE` waiting for EXCLUSIVE: all locks released, no
    ///   transaction [conformance row S6] (issued inside a read transaction
    ///   it keeps PENDING and the transaction instead).
    ///
    /// # Panics
    /// If `c` is not waiting.
    pub fn give_up(&mut self, c: ConnId) -> StepResult {
        let op = self.conns[c].op.take().expect("give_up: no statement");
        let wait = op.waiting.expect("give_up: statement is not waiting");
        if wait == WaitFor::Recovery {
            // The read transaction failed; the database-file SHARED lock and
            // the open WAL stay [src: pager.c sqlite3PagerSharedLock's error
            // path calls pager_unlock, which in WAL mode only ends the read].
            return StepResult::BusyRecovery;
        }
        if wait == WaitFor::Exclusive {
            let keep = match op.stmt {
                // Keep PENDING, keep the transaction.
                Stmt::Commit => true,
                // BEGIN EXCLUSIVE inside a read transaction: the pager keeps
                // the PENDING lock it got, the read transaction stays open
                // [conformance row X10; src: btreeBeginTrans only unlocks
                // when no transaction was open].
                Stmt::Begin(_) => op.from_read_txn,
                _ => false,
            };
            if !keep {
                let conn = &mut self.conns[c];
                conn.pending.clear();
                conn.lock = Lock::Unlocked;
                conn.rb_write = false;
            }
        }
        StepResult::Busy
    }

    // ------------------------------------------------------------------
    // Lock-transition level
    // ------------------------------------------------------------------

    /// Begin `stmt` on `c` and perform its first atomic action.
    ///
    /// # Panics
    /// If `c` already has a statement in flight.
    pub fn start(&mut self, c: ConnId, stmt: Stmt) -> Progress {
        assert!(
            self.conns[c].op.is_none(),
            "conn {c} issued {stmt:?} while a statement is in flight"
        );
        self.conns[c].op = Some(Op {
            stmt,
            phase: Phase::Start,
            waiting: None,
            value: None,
            from_read_txn: false,
        });
        self.advance(c)
    }

    /// Perform the next atomic action of `c`'s statement. For a waiting
    /// statement this is the busy handler's retry.
    ///
    /// # Panics
    /// If `c` has no statement in flight.
    pub fn advance(&mut self, c: ConnId) -> Progress {
        let mut op = self.conns[c].op.take().expect("advance: no statement");
        op.waiting = None;
        let p = self.act(c, &mut op);
        match p {
            Progress::Done(_) => {}
            Progress::Blocked => {
                assert!(op.waiting.is_some(), "blocked without a reason");
                self.conns[c].op = Some(op);
            }
            Progress::Yield => self.conns[c].op = Some(op),
        }
        p
    }

    /// One atomic action: a connection-lifecycle step if one is due, else the
    /// journal mode's statement semantics.
    fn act(&mut self, c: ConnId, op: &mut Op) -> Progress {
        if let Some(p) = self.lifecycle_action(c, op) {
            return p;
        }
        match self.mode {
            JournalMode::Rollback => self.rb_action(c, op),
            JournalMode::Wal => self.wal_action(c, op),
        }
    }

    // ------------------------------------------------------------------
    // Shared helpers
    // ------------------------------------------------------------------

    fn others(&self, c: ConnId) -> impl Iterator<Item = &Conn> {
        self.conns
            .iter()
            .enumerate()
            .filter(move |(i, _)| *i != c)
            .map(|(_, k)| k)
    }

    /// A new SHARED lock is refused while anyone holds PENDING or EXCLUSIVE
    /// [doc: lockingv3 "PENDING ... no new SHARED locks"].
    fn shared_ok(&self, c: ConnId) -> bool {
        self.others(c).all(|k| k.lock < Lock::Pending)
    }

    /// Only one RESERVED (or higher) lock per file [doc: lockingv3].
    fn reserved_ok(&self, c: ConnId) -> bool {
        self.others(c).all(|k| k.lock < Lock::Reserved)
    }

    /// EXCLUSIVE needs every other connection UNLOCKED [doc: lockingv3].
    fn exclusive_ok(&self, c: ConnId) -> bool {
        self.others(c).all(|k| k.lock == Lock::Unlocked)
    }

    /// Value of `key` as `c` sees it: its own uncommitted write first, then
    /// the committed table (rollback: current; WAL: its snapshot, or current
    /// when it has none).
    fn visible(&self, c: ConnId, key: &str) -> Option<String> {
        let conn = &self.conns[c];
        if let Some(v) = conn.pending.get(key) {
            return Some(v.clone());
        }
        let table = match (self.mode, conn.snapshot) {
            (JournalMode::Wal, Some(s)) => &self.history[s],
            _ => self.committed(),
        };
        table.get(key).cloned()
    }

    fn publish(&mut self, c: ConnId) {
        let changes = std::mem::take(&mut self.conns[c].pending);
        if changes.is_empty() {
            return;
        }
        let mut next = self.committed().clone();
        next.extend(changes);
        self.history.push(next);
    }

    fn misuse() -> Progress {
        Progress::Done(StepResult::Error(1))
    }

    /// End of a BEGIN IMMEDIATE/EXCLUSIVE that got its lock: it opens the
    /// transaction, or, issued inside one, fails with SQLITE_ERROR while the
    /// lock stays.
    fn begin_done(&mut self, c: ConnId) -> StepResult {
        if self.conns[c].explicit {
            StepResult::Error(1)
        } else {
            self.conns[c].explicit = true;
            StepResult::Ok
        }
    }
}
