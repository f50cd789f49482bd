//! The connection lifecycle: a cold connection's first statement (schema load; in WAL mode
//! opening the WAL and, on a fresh WAL, rebuilding its index) and `sqlite3_close`.
//!
//! Real connections start cold: `sqlite3_open_v2` touches no lock, and the schema is read at
//! the first statement that needs it, in a read transaction of its own that is closed again
//! before the statement runs [src: prepare.c `sqlite3InitOne` opens a transaction with
//! `sqlite3BtreeBeginTrans(pBt, 0, 0)` only when none is open, and commits it at the end].
//! Starting that transaction from nothing runs the busy handler like any other
//! [src: btree.c `btreeBeginTrans`, loop `while (rc&0xFF)==SQLITE_BUSY && inTransaction==TRANS_NONE`].
//!
//! * Rollback mode: the schema load holds SHARED for a moment, so a writer's COMMIT can find
//!   a connection that has not even begun its own read holding SHARED.
//! * WAL mode: a connection's first read takes SHARED on the database file and keeps it until
//!   close [src: pager.c `sqlite3PagerSharedLock` takes it only while the WAL is not open;
//!   `pager_unlock` in WAL mode ends the read and keeps the lock]. It then reads the WAL-index
//!   header; a fresh WAL has none, and the reader rebuilds the index holding the WAL write lock
//!   [src: wal.c `walIndexReadHdr` → `walLockWriter`, `walIndexRecover`]. A second reader
//!   that finds the rebuild running gets `SQLITE_BUSY_RECOVERY`, retried by the busy handler
//!   [src: wal.c `walTryBeginRead`: BUSY with the recover lock held becomes BUSY_RECOVERY;
//!   doc: rescode "SQLITE_BUSY_RECOVERY"].
//! * Close in WAL mode asks for EXCLUSIVE on the database file to learn whether it is the last
//!   connection [src: wal.c `sqlite3WalClose`]. On unix within one process that first takes
//!   PENDING and keeps it when other connections still hold SHARED [src: os_unix.c
//!   `unixLock`: a failed EXCLUSIVE leaves `eFileLock = PENDING_LOCK`], until the file is
//!   unlocked as the pager closes it: a cold connection's first read in that window is
//!   refused (`SQLITE_BUSY` after the busy handler). A last connection gets EXCLUSIVE,
//!   checkpoints, and deletes the WAL and its index [src: `sqlite3WalClose` → `walIndexClose`
//!   with `isDelete`; doc: wal "When the last connection to a database closes, that
//!   connection does one last checkpoint and then deletes the WAL"], so the next reader
//!   starts on a fresh WAL. A closer that finds PENDING already held fails at once
//!   [src: `unixLock`, the check on another handle's PENDING].

use super::{
    Begin, ConnId, Engine, JournalMode, Lock, Op, Phase, Progress, StepResult, Stmt, WaitFor,
};

/// `SQLITE_MISUSE`: a statement on a closed connection.
const MISUSE: i32 = 21;

impl Engine {
    /// A lifecycle step of `op`, if one is due; `None` when the statement proper goes on.
    pub(super) fn lifecycle_action(&mut self, c: ConnId, op: &mut Op) -> Option<Progress> {
        match op.phase {
            Phase::Start => self.lifecycle_start(c, op),
            Phase::SchemaShared => {
                if !self.shared_ok(c) {
                    op.waiting = Some(WaitFor::Shared);
                    return Some(Progress::Blocked);
                }
                let conn = &mut self.conns[c];
                conn.lock = Lock::Shared;
                conn.schema = true;
                op.phase = Phase::SchemaRelease;
                Some(Progress::Yield)
            }
            Phase::SchemaRelease => {
                self.conns[c].lock = Lock::Unlocked;
                op.phase = Phase::Start;
                Some(Progress::Yield)
            }
            Phase::WalOpen => {
                if !self.shared_ok(c) {
                    op.waiting = Some(WaitFor::Shared);
                    return Some(Progress::Blocked);
                }
                self.conns[c].lock = Lock::Shared;
                op.phase = Phase::WalIndex;
                Some(Progress::Yield)
            }
            Phase::WalIndex => {
                if self.index_valid {
                    op.phase = Phase::Start;
                    return Some(self.act(c, op));
                }
                if self.recovering.is_some() {
                    op.waiting = Some(WaitFor::Recovery);
                    return Some(Progress::Blocked);
                }
                // An invalid index means no connection has the WAL open, so
                // the write lock is free.
                debug_assert!(self.wal_writer.is_none());
                self.recovering = Some(c);
                self.wal_writer = Some(c);
                op.phase = Phase::WalRecover;
                Some(Progress::Yield)
            }
            Phase::WalRecover => {
                self.recovering = None;
                self.wal_writer = None;
                self.index_valid = true;
                op.phase = Phase::Start;
                Some(self.act(c, op))
            }
            Phase::CloseRelease => {
                let conn = &mut self.conns[c];
                if conn.lock == Lock::Exclusive {
                    // Checkpointed; the WAL and its index are deleted.
                    self.index_valid = false;
                }
                conn.lock = Lock::Unlocked;
                conn.closed = true;
                Some(Progress::Done(StepResult::Ok))
            }
            _ => None,
        }
    }

    fn lifecycle_start(&mut self, c: ConnId, op: &mut Op) -> Option<Progress> {
        if self.conns[c].closed {
            return Some(Progress::Done(StepResult::Error(MISUSE)));
        }
        if op.stmt == Stmt::Close {
            return Some(self.close(c, op));
        }
        let starts_read = match op.stmt {
            Stmt::Read(_) | Stmt::Write(..) => !self.holds_read(c),
            Stmt::Begin(Begin::Immediate | Begin::Exclusive) => !self.holds_read(c),
            _ => false,
        };
        if !starts_read {
            // Inside a read transaction the schema is read within it.
            if matches!(op.stmt, Stmt::Read(_) | Stmt::Write(..)) {
                self.conns[c].schema = true;
            }
            return None;
        }
        match self.mode {
            JournalMode::Wal if self.conns[c].lock == Lock::Unlocked => {
                op.phase = Phase::WalOpen;
                self.lifecycle_action(c, op)
            }
            JournalMode::Wal if !self.index_valid => {
                op.phase = Phase::WalIndex;
                self.lifecycle_action(c, op)
            }
            // In WAL mode the schema load is one more read of a valid index:
            // nothing another connection can see.
            JournalMode::Wal => {
                if matches!(op.stmt, Stmt::Read(_) | Stmt::Write(..)) {
                    self.conns[c].schema = true;
                }
                None
            }
            JournalMode::Rollback
                if !self.conns[c].schema && matches!(op.stmt, Stmt::Read(_) | Stmt::Write(..)) =>
            {
                op.phase = Phase::SchemaShared;
                self.lifecycle_action(c, op)
            }
            JournalMode::Rollback => None,
        }
    }

    /// A read transaction (rollback: any lock; WAL: a snapshot or the write lock) is open.
    fn holds_read(&self, c: ConnId) -> bool {
        let conn = &self.conns[c];
        match self.mode {
            JournalMode::Rollback => conn.lock >= Lock::Shared,
            JournalMode::Wal => conn.snapshot.is_some() || self.wal_writer == Some(c),
        }
    }

    /// `sqlite3_close`: roll back what is open, then (WAL) try to be the last connection.
    fn close(&mut self, c: ConnId, op: &mut Op) -> Progress {
        let conn = &mut self.conns[c];
        conn.explicit = false;
        conn.rb_write = false;
        conn.pending.clear();
        conn.snapshot = None;
        if self.wal_writer == Some(c) {
            self.wal_writer = None;
        }
        let held = self.conns[c].lock;
        if self.mode == JournalMode::Rollback || held == Lock::Unlocked {
            // Nothing to give back but the lock (rollback mode holds none
            // between transactions; a cold WAL connection never opened the WAL).
            let conn = &mut self.conns[c];
            conn.lock = Lock::Unlocked;
            conn.closed = true;
            return Progress::Done(StepResult::Ok);
        }
        let others_pending = self.others(c).any(|k| k.lock >= Lock::Pending);
        let others_shared = self.others(c).any(|k| k.lock >= Lock::Shared);
        let conn = &mut self.conns[c];
        if others_pending {
            conn.lock = Lock::Unlocked;
            conn.closed = true;
            return Progress::Done(StepResult::Ok);
        }
        conn.lock = if others_shared {
            Lock::Pending
        } else {
            Lock::Exclusive
        };
        op.phase = Phase::CloseRelease;
        Progress::Yield
    }
}
