//! The WAL half of the engine: read snapshots and one write lock
//! [doc: wal "Concurrency"].

use super::{Begin, ConnId, Engine, Op, Phase, Progress, StepResult, Stmt, WaitFor};

impl Engine {
    pub(super) fn wal_action(&mut self, c: ConnId, op: &mut Op) -> Progress {
        match op.phase {
            Phase::Start => self.wal_start(c, op),
            Phase::WalSnapshot => {
                // Readers never wait [doc: wal "Concurrency"].
                self.conns[c].snapshot = Some(self.version());
                op.phase = Phase::WalWriteLock;
                Progress::Yield
            }
            Phase::WalWriteLock => {
                let held_by_other = self.wal_writer.is_some_and(|w| w != c);
                let stale = self.conns[c].snapshot != Some(self.version());
                if held_by_other || stale {
                    // From nothing: SQLITE_BUSY (and a stale snapshot's
                    // BUSY_SNAPSHOT is turned into BUSY because no
                    // transaction was open), so the busy handler is invoked
                    // and the retry starts over with a fresh snapshot
                    // [conformance row S4; src: btreeBeginTrans].
                    self.conns[c].snapshot = None;
                    op.phase = Phase::WalSnapshot;
                    op.waiting = Some(WaitFor::WalWriteLock);
                    return Progress::Blocked;
                }
                self.wal_writer = Some(c);
                match &op.stmt {
                    // BEGIN IMMEDIATE and EXCLUSIVE are the same in WAL
                    // [doc: lang_transaction].
                    Stmt::Begin(_) => Progress::Done(self.begin_done(c)),
                    Stmt::Write(k, v) => {
                        self.conns[c].pending.insert(k.clone(), v.clone());
                        if self.conns[c].explicit {
                            Progress::Done(StepResult::Ok)
                        } else {
                            op.phase = Phase::WalPublish;
                            Progress::Yield
                        }
                    }
                    s => unreachable!("WalWriteLock for {s:?}"),
                }
            }
            Phase::WalPublish => {
                // The commit is appended and the new index header published;
                // the write lock is released afterwards [src: walFrames
                // writes the header; sqlite3WalEndWriteTransaction unlocks].
                // Committing never waits for readers [doc: wal "Concurrency";
                // conformance row S2].
                self.publish(c);
                self.conns[c].explicit = false;
                op.phase = Phase::WalRelease;
                Progress::Yield
            }
            Phase::WalRelease => {
                self.wal_writer = None;
                self.conns[c].snapshot = None;
                Progress::Done(StepResult::Ok)
            }
            p => unreachable!("WAL phase {p:?}"),
        }
    }

    /// Upgrade of a WAL read transaction to a write transaction: no busy
    /// handler. Write lock held -> SQLITE_BUSY; free but someone committed
    /// after our snapshot -> BUSY_SNAPSHOT. Both at once; the transaction
    /// stays open [doc: rescode#busy_snapshot; conformance rows S1, S3; src:
    /// sqlite3WalBeginWriteTransaction checks the lock first, then the header].
    fn wal_upgrade(&mut self, c: ConnId, snap: usize) -> StepResult {
        if self.wal_writer.is_some() {
            StepResult::Busy
        } else if snap != self.version() {
            StepResult::BusySnapshot
        } else {
            self.wal_writer = Some(c);
            StepResult::Ok
        }
    }

    fn wal_start(&mut self, c: ConnId, op: &mut Op) -> Progress {
        let explicit = self.conns[c].explicit;
        let is_writer = self.wal_writer == Some(c);
        match &op.stmt {
            Stmt::Begin(kind) => match (kind, self.conns[c].snapshot) {
                (Begin::Deferred, _) if explicit => Self::misuse(),
                (Begin::Deferred, _) => {
                    self.conns[c].explicit = true;
                    Progress::Done(StepResult::Ok)
                }
                // Inside a transaction BEGIN IMMEDIATE/EXCLUSIVE still asks
                // for the write lock first, as in rollback mode.
                _ if is_writer => Self::misuse(),
                (_, Some(snap)) => match self.wal_upgrade(c, snap) {
                    StepResult::Ok => Self::misuse(),
                    r => Progress::Done(r),
                },
                // Take the write lock up front, honouring the busy timeout
                // [conformance rows S4, S5].
                (_, None) => {
                    op.phase = Phase::WalSnapshot;
                    self.wal_action(c, op)
                }
            },
            Stmt::Read(key) => {
                // The snapshot is taken at the first read and kept for the
                // whole transaction [doc: wal "isolation"].
                if self.conns[c].snapshot.is_none() {
                    self.conns[c].snapshot = Some(self.version());
                }
                let v = self.visible(c, key);
                if !explicit {
                    self.conns[c].snapshot = None;
                }
                Progress::Done(StepResult::Value(v))
            }
            Stmt::Write(key, value) => {
                if is_writer {
                    self.conns[c].pending.insert(key.clone(), value.clone());
                    return Progress::Done(StepResult::Ok);
                }
                match self.conns[c].snapshot {
                    None => {
                        // From nothing (write-first or autocommit).
                        op.phase = Phase::WalSnapshot;
                        self.wal_action(c, op)
                    }
                    Some(snap) => {
                        let r = self.wal_upgrade(c, snap);
                        if r == StepResult::Ok {
                            self.conns[c].pending.insert(key.clone(), value.clone());
                        }
                        Progress::Done(r)
                    }
                }
            }
            Stmt::Commit => {
                if !explicit {
                    return Self::misuse();
                }
                if is_writer && !self.conns[c].pending.is_empty() {
                    op.phase = Phase::WalPublish;
                    return self.wal_action(c, op);
                }
                let conn = &mut self.conns[c];
                conn.explicit = false;
                conn.snapshot = None;
                if is_writer {
                    self.wal_writer = None;
                }
                Progress::Done(StepResult::Ok)
            }
            // Runs in engine/lifecycle.rs before the journal mode sees it.
            Stmt::Close => unreachable!("CLOSE is a lifecycle step"),
            Stmt::Rollback => {
                if !explicit {
                    return Self::misuse();
                }
                let conn = &mut self.conns[c];
                conn.explicit = false;
                conn.snapshot = None;
                conn.pending.clear();
                if is_writer {
                    self.wal_writer = None;
                }
                Progress::Done(StepResult::Ok)
            }
        }
    }
}
