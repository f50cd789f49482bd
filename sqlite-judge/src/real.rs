//! The engine's statements on real SQLite (rusqlite, bundled SQLite).
//!
//! Every [`RealDb`] is a fresh database file in its own [`TempDir`], removed
//! when the `RealDb` is dropped (also while unwinding from a panic). Each
//! [`RealConn`] is its own `rusqlite::Connection` to that file.
//!
//! Transactions are issued as plain SQL (`BEGIN IMMEDIATE`, `COMMIT`, ...), not
//! through `rusqlite::Transaction`: a `Transaction` whose `commit()` fails is
//! rolled back on drop, which would hide SQLite's "failed COMMIT keeps the
//! transaction open" behaviour (<https://www.sqlite.org/lang_transaction.html>;
//! rusqlite `src/transaction.rs`: `Transaction::commit` consumes the
//! transaction and its `Drop` rolls back).

use std::path::Path;
use std::time::Duration;

use rusqlite::{params, Connection, OptionalExtension};
use tempfile::TempDir;

use racecheck_models::sqlite::engine::{Begin, Engine, JournalMode, StepResult, Stmt, Table};

/// Error while setting a database up (not a statement result).
#[derive(Debug)]
pub enum SetupError {
    Io(std::io::Error),
    Sqlite(rusqlite::Error),
    /// `PRAGMA journal_mode` answered something else than asked.
    JournalMode(String),
}

impl std::fmt::Display for SetupError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SetupError::Io(e) => write!(f, "io: {e}"),
            SetupError::Sqlite(e) => write!(f, "sqlite: {e}"),
            SetupError::JournalMode(m) => write!(f, "journal_mode is {m}"),
        }
    }
}

impl std::error::Error for SetupError {}

impl From<std::io::Error> for SetupError {
    fn from(e: std::io::Error) -> Self {
        SetupError::Io(e)
    }
}

impl From<rusqlite::Error> for SetupError {
    fn from(e: rusqlite::Error) -> Self {
        SetupError::Sqlite(e)
    }
}

/// Busy handling of one connection.
///
/// Always set explicitly: `rusqlite::Connection::open` installs a 5000 ms
/// busy timeout by default (rusqlite `src/inner_connection.rs`,
/// `InnerConnection::open_with_flags`).
pub enum BusyPolicy {
    /// No busy handler (`busy_timeout(0)`): SQLITE_BUSY at once.
    NoWait,
    /// SQLite's own `sqlite3_busy_timeout`.
    Timeout(Duration),
    /// A custom busy handler: called with the number of earlier calls for the
    /// same lock event; `true` = try again, `false` = give up with BUSY.
    Handler(Box<dyn FnMut(i32) -> bool + Send>),
}

/// How the judge's connections meet the database file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Setup {
    /// The set-up connection stays open and every connection reads the schema when it is
    /// opened: no lifecycle step is ever seen (the model's `Engine::with_data`).
    Warm,
    /// The set-up connection stays open (in WAL mode it keeps the WAL and its index alive);
    /// connections are used as opened, cold (the model's `Engine::cold_beside_setup`).
    Cold,
    /// The set-up connection is closed before the connections start: in WAL mode, as the last
    /// connection, it deleted the WAL and its index (the model's `Engine::cold` with
    /// `fresh_wal`). Seed 001's own setting.
    FreshWal,
}

impl Setup {
    /// The model of `n` connections set up this way.
    pub fn engine(self, mode: JournalMode, n: usize, data: Table) -> Engine {
        match self {
            Setup::Warm => Engine::with_data(mode, n, data),
            Setup::Cold => Engine::cold_beside_setup(mode, n, data),
            Setup::FreshWal => Engine::cold(mode, n, data, true),
        }
    }
}

/// A fresh database file holding `kv(k TEXT PRIMARY KEY, v TEXT)`.
pub struct RealDb {
    // Field order matters: connections close before the directory goes.
    /// `None` with [`Setup::FreshWal`]: set-up work opens a connection and closes it again.
    setup: Option<Connection>,
    mode: JournalMode,
    path: std::path::PathBuf,
    _dir: TempDir,
}

impl RealDb {
    /// Create the file in a new temporary directory, set the journal mode and
    /// load `data`. The set-up connection stays open for the life of the
    /// `RealDb`; in WAL mode this keeps the WAL index alive, so connections
    /// opened later never have to run WAL recovery (SQLITE_BUSY_RECOVERY,
    /// <https://www.sqlite.org/rescode.html#busy_recovery>).
    pub fn create(mode: JournalMode, data: &Table) -> Result<Self, SetupError> {
        Self::create_in(&std::env::temp_dir(), mode, data)
    }

    /// Like [`RealDb::create`], with the temporary directory made inside
    /// `parent` (e.g. a tmpfs, to keep fsync out of test run times; the
    /// locking is the same).
    pub fn create_in(parent: &Path, mode: JournalMode, data: &Table) -> Result<Self, SetupError> {
        Self::create_with(parent, mode, data, Setup::Warm)
    }

    /// Like [`RealDb::create_in`]; with [`Setup::FreshWal`] the set-up connection is closed
    /// once the data is in, and opened anew (and closed) for every later [`RealDb::reset`]
    /// and [`RealDb::committed`].
    pub fn create_with(
        parent: &Path,
        mode: JournalMode,
        data: &Table,
        setup_kind: Setup,
    ) -> Result<Self, SetupError> {
        let dir = tempfile::Builder::new()
            .prefix("racecheck-sqlite")
            .tempdir_in(parent)?;
        let path = dir.path().join("lab.db");
        let setup = Connection::open(&path)?;
        setup.busy_timeout(Duration::from_secs(5))?;
        let want = match mode {
            JournalMode::Rollback => "delete",
            JournalMode::Wal => "wal",
        };
        let got: String =
            setup.query_row(&format!("PRAGMA journal_mode={want}"), [], |r| r.get(0))?;
        if !got.eq_ignore_ascii_case(want) {
            return Err(SetupError::JournalMode(got));
        }
        setup.execute_batch("CREATE TABLE kv(k TEXT PRIMARY KEY, v TEXT NOT NULL)")?;
        let mut db = RealDb {
            setup: Some(setup),
            mode,
            path,
            _dir: dir,
        };
        db.reset(data)?;
        if setup_kind == Setup::FreshWal {
            if let Some(c) = db.setup.take() {
                c.close().map_err(|(_, e)| e)?;
            }
        }
        Ok(db)
    }

    /// Run `f` on the set-up connection, or on one opened for it and closed afterwards.
    fn with_setup<T>(
        &self,
        f: impl FnOnce(&Connection) -> rusqlite::Result<T>,
    ) -> rusqlite::Result<T> {
        match &self.setup {
            Some(c) => f(c),
            None => {
                let c = Connection::open(&self.path)?;
                c.busy_timeout(Duration::from_secs(5))?;
                let r = f(&c);
                c.close().map_err(|(_, e)| e)?;
                r
            }
        }
    }

    pub fn mode(&self) -> JournalMode {
        self.mode
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Replace the table's contents (no other connection may be inside a
    /// transaction).
    pub fn reset(&self, data: &Table) -> rusqlite::Result<()> {
        self.with_setup(|setup| {
            setup.execute_batch("BEGIN IMMEDIATE; DELETE FROM kv;")?;
            for (k, v) in data {
                setup.execute("INSERT INTO kv(k, v) VALUES (?1, ?2)", params![k, v])?;
            }
            setup.execute_batch("COMMIT")
        })
    }

    /// The committed table as a new reader sees it.
    pub fn committed(&self) -> rusqlite::Result<Table> {
        self.with_setup(|setup| {
            let mut st = setup.prepare("SELECT k, v FROM kv ORDER BY k")?;
            let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
            rows.collect()
        })
    }

    /// Open a new connection with the given busy handling. The schema is read
    /// once here so that later statements do not need a lock to load it.
    pub fn connect(&self, busy: BusyPolicy) -> Result<RealConn, SetupError> {
        let conn = Connection::open(&self.path)?;
        conn.query_row("SELECT count(*) FROM kv", [], |r| r.get::<_, i64>(0))?;
        Self::with_busy(conn, busy)
    }

    /// Open a new connection and use it cold: the schema is read by its first statement that
    /// needs it (`sqlite3_open_v2` itself takes no lock).
    pub fn connect_cold(&self, busy: BusyPolicy) -> Result<RealConn, SetupError> {
        Self::with_busy(Connection::open(&self.path)?, busy)
    }

    /// [`RealDb::connect`] for [`Setup::Warm`], else [`RealDb::connect_cold`].
    pub fn connect_as(&self, setup: Setup, busy: BusyPolicy) -> Result<RealConn, SetupError> {
        match setup {
            Setup::Warm => self.connect(busy),
            Setup::Cold | Setup::FreshWal => self.connect_cold(busy),
        }
    }

    fn with_busy(mut conn: Connection, busy: BusyPolicy) -> Result<RealConn, SetupError> {
        match busy {
            BusyPolicy::NoWait => conn.busy_timeout(Duration::ZERO)?,
            BusyPolicy::Timeout(d) => conn.busy_timeout(d)?,
            BusyPolicy::Handler(h) => conn.busy_handler(Some(h))?,
        }
        Ok(RealConn { conn: Some(conn) })
    }
}

/// A directory for scratch databases: `$RACECHECK_SQLITE_TMPDIR` if set, else
/// `/dev/shm` (tmpfs) when present, else the system temporary directory.
pub fn scratch_parent() -> std::path::PathBuf {
    if let Some(d) = std::env::var_os("RACECHECK_SQLITE_TMPDIR") {
        return d.into();
    }
    let shm = Path::new("/dev/shm");
    if shm.is_dir() {
        shm.to_path_buf()
    } else {
        std::env::temp_dir()
    }
}

/// One real connection.
pub struct RealConn {
    /// `None` once [`Stmt::Close`] ran.
    conn: Option<Connection>,
}

impl RealConn {
    /// Run one statement and classify the outcome. [`Stmt::Close`] closes the connection
    /// (`sqlite3_close`); a statement after it is `Error(21)` (`SQLITE_MISUSE`) without
    /// reaching SQLite.
    pub fn step(&mut self, stmt: &Stmt) -> StepResult {
        if *stmt == Stmt::Close {
            return match self.conn.take().map(Connection::close) {
                Some(Ok(())) => StepResult::Ok,
                Some(Err((_, e))) => classify(&e),
                None => StepResult::Error(21),
            };
        }
        let Some(conn) = &self.conn else {
            return StepResult::Error(21);
        };
        let r = match stmt {
            Stmt::Begin(kind) => conn.execute_batch(match kind {
                Begin::Deferred => "BEGIN DEFERRED",
                Begin::Immediate => "BEGIN IMMEDIATE",
                Begin::Exclusive => "BEGIN EXCLUSIVE",
            }),
            Stmt::Read(k) => {
                return match conn
                    .query_row("SELECT v FROM kv WHERE k = ?1", [k], |r| {
                        r.get::<_, String>(0)
                    })
                    .optional()
                {
                    Ok(v) => StepResult::Value(v),
                    Err(e) => classify(&e),
                };
            }
            Stmt::Write(k, v) => conn
                .execute(
                    "INSERT INTO kv(k, v) VALUES (?1, ?2) \
                     ON CONFLICT(k) DO UPDATE SET v = excluded.v",
                    params![k, v],
                )
                .map(|_| ()),
            Stmt::Commit => conn.execute_batch("COMMIT"),
            Stmt::Rollback => conn.execute_batch("ROLLBACK"),
            Stmt::Close => unreachable!("handled above"),
        };
        match r {
            Ok(()) => StepResult::Ok,
            Err(e) => classify(&e),
        }
    }

    /// True inside an open transaction (`!sqlite3_get_autocommit`).
    pub fn in_txn(&self) -> bool {
        self.conn.as_ref().is_some_and(|c| !c.is_autocommit())
    }

    /// The underlying connection, for workloads beyond [`Stmt`].
    ///
    /// # Panics
    /// After [`Stmt::Close`].
    pub fn connection(&self) -> &Connection {
        self.conn.as_ref().expect("connection was closed")
    }
}

/// Map a rusqlite error to a [`StepResult`] by its *extended* result code:
/// 5 BUSY, 517 BUSY_SNAPSHOT, 261 BUSY_RECOVERY; anything else is
/// `Error(extended code)`, or `Error(-1)` for errors that did not come from
/// SQLite.
pub fn classify(e: &rusqlite::Error) -> StepResult {
    match e {
        rusqlite::Error::SqliteFailure(f, _) => match f.extended_code {
            5 => StepResult::Busy,
            517 => StepResult::BusySnapshot,
            261 => StepResult::BusyRecovery,
            c => StepResult::Error(c),
        },
        _ => StepResult::Error(-1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tempdir_is_removed_on_drop() {
        let db = RealDb::create(JournalMode::Wal, &Table::new()).unwrap();
        let dir = db.path().parent().unwrap().to_path_buf();
        let mut c = db.connect(BusyPolicy::NoWait).unwrap();
        assert_eq!(c.step(&Stmt::write("a", "1")), StepResult::Ok);
        assert_eq!(
            c.step(&Stmt::read("a")),
            StepResult::Value(Some("1".into()))
        );
        assert_eq!(c.step(&Stmt::Commit), StepResult::Error(1));
        drop(c);
        assert!(dir.exists());
        drop(db);
        assert!(!dir.exists());
    }
}
