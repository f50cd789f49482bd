//! The rollback-journal half of the engine: file locks UNLOCKED..EXCLUSIVE
//! [doc: lockingv3 "Locking"].

use super::{Begin, ConnId, Engine, Lock, Op, Phase, Progress, StepResult, Stmt, WaitFor};

impl Engine {
    pub(super) fn rb_action(&mut self, c: ConnId, op: &mut Op) -> Progress {
        match op.phase {
            Phase::Start => self.rb_start(c, op),
            Phase::RbReadShared => {
                // UNLOCKED -> SHARED: a transaction starts from nothing, so
                // the busy handler applies [doc: c3ref/busy_handler; src:
                // btreeBeginTrans loop runs while inTransaction==NONE].
                if !self.shared_ok(c) {
                    op.waiting = Some(WaitFor::Shared);
                    return Progress::Blocked;
                }
                self.conns[c].lock = Lock::Shared;
                let Stmt::Read(key) = &op.stmt else {
                    unreachable!()
                };
                let v = self.visible(c, key);
                if self.conns[c].explicit {
                    // First read of a deferred transaction: SHARED is held to
                    // COMMIT/ROLLBACK [doc: lockingv3 "Transaction Control At The
                    // SQL Level"].
                    Progress::Done(StepResult::Value(v))
                } else {
                    // Autocommit read: SHARED is held while the statement runs.
                    op.value = v;
                    op.phase = Phase::RbReadRelease;
                    Progress::Yield
                }
            }
            Phase::RbReadRelease => {
                self.conns[c].lock = Lock::Unlocked;
                Progress::Done(StepResult::Value(op.value.take()))
            }
            Phase::RbWriteShared => {
                // A write transaction from nothing takes SHARED first
                // [doc: lockingv3 "Writing to a database file"].
                if !self.shared_ok(c) {
                    op.waiting = Some(WaitFor::Shared);
                    return Progress::Blocked;
                }
                self.conns[c].lock = Lock::Shared;
                op.phase = Phase::RbWriteReserved;
                Progress::Yield
            }
            Phase::RbWriteReserved => {
                if !self.reserved_ok(c) {
                    // The SHARED just taken is dropped again and, because no
                    // transaction was open, the busy handler is invoked
                    // [conformance row S4; src: btreeBeginTrans ->
                    // unlockBtreeIfUnused, then btreeInvokeBusyHandler]. The
                    // retry starts over.
                    self.conns[c].lock = Lock::Unlocked;
                    op.phase = Phase::RbWriteShared;
                    op.waiting = Some(WaitFor::Reserved);
                    return Progress::Blocked;
                }
                self.conns[c].lock = Lock::Reserved;
                self.conns[c].rb_write = true;
                match &op.stmt {
                    Stmt::Begin(Begin::Immediate) => {
                        // BEGIN IMMEDIATE: RESERVED now [doc: lang_transaction;
                        // conformance row S4].
                        Progress::Done(self.begin_done(c))
                    }
                    Stmt::Begin(Begin::Exclusive) => {
                        op.phase = Phase::RbExclusive;
                        Progress::Yield
                    }
                    Stmt::Write(k, v) => {
                        // Changes stay in the page cache under RESERVED
                        // [doc: lockingv3 "Writing to a database file"].
                        self.conns[c].pending.insert(k.clone(), v.clone());
                        if self.conns[c].explicit {
                            Progress::Done(StepResult::Ok)
                        } else {
                            // Autocommit write: commit at once.
                            op.phase = Phase::RbExclusive;
                            Progress::Yield
                        }
                    }
                    s => unreachable!("RbWriteReserved for {s:?}"),
                }
            }
            Phase::RbExclusive => {
                // RESERVED -> PENDING -> EXCLUSIVE. PENDING is taken even when
                // EXCLUSIVE fails and is kept while waiting: new SHAREDs are
                // refused [conformance row S2; src: unixLock]. The wait uses
                // the busy handler [src: pager_wait_on_lock].
                if !self.exclusive_ok(c) {
                    self.conns[c].lock = Lock::Pending;
                    op.waiting = Some(WaitFor::Exclusive);
                    return Progress::Blocked;
                }
                self.conns[c].lock = Lock::Exclusive;
                if op.stmt == Stmt::Begin(Begin::Exclusive) {
                    // BEGIN EXCLUSIVE holds EXCLUSIVE until the end of the
                    // transaction [doc: lang_transaction; conformance row S6].
                    self.conns[c].rb_write = true;
                    return Progress::Done(self.begin_done(c));
                }
                op.phase = Phase::RbPublish;
                Progress::Yield
            }
            Phase::RbPublish => {
                // Write the pages; the transaction is over; the pager drops
                // to SHARED before the btree releases it [src:
                // pager_end_transaction, then unlockBtreeIfUnused].
                self.publish(c);
                let conn = &mut self.conns[c];
                conn.explicit = false;
                conn.rb_write = false;
                conn.lock = Lock::Shared;
                op.phase = Phase::RbRelease;
                Progress::Yield
            }
            Phase::RbRelease => {
                self.conns[c].lock = Lock::Unlocked;
                Progress::Done(StepResult::Ok)
            }
            p => unreachable!("rollback-mode phase {p:?}"),
        }
    }

    fn rb_start(&mut self, c: ConnId, op: &mut Op) -> Progress {
        let explicit = self.conns[c].explicit;
        let lock = self.conns[c].lock;
        match &op.stmt {
            Stmt::Begin(kind) => match kind {
                // BEGIN DEFERRED merely sets a flag [doc: lang_transaction].
                // Inside a transaction: "cannot start a transaction within a
                // transaction".
                Begin::Deferred if explicit => Self::misuse(),
                Begin::Deferred => {
                    self.conns[c].explicit = true;
                    Progress::Done(StepResult::Ok)
                }
                // BEGIN IMMEDIATE/EXCLUSIVE first ask for a write transaction
                // and only then fail with "cannot start a transaction within
                // a transaction": inside a transaction the lock they got is
                // kept [conformance rows X9-X12; src: sqlite3BeginTransaction
                // emits OP_Transaction before OP_AutoCommit].
                _ if explicit && self.conns[c].rb_write => Self::misuse(),
                _ if lock >= Lock::Shared => {
                    // Upgrade of a read transaction: BUSY at once. (A
                    // PENDING left by an earlier failed BEGIN EXCLUSIVE
                    // already implies RESERVED.)
                    if lock == Lock::Shared {
                        if !self.reserved_ok(c) {
                            return Progress::Done(StepResult::Busy);
                        }
                        self.conns[c].lock = Lock::Reserved;
                    }
                    if *kind == Begin::Immediate {
                        self.conns[c].rb_write = true;
                        return Self::misuse();
                    }
                    // BEGIN EXCLUSIVE goes on to EXCLUSIVE, and that wait
                    // does use the busy handler [src: sqlite3PagerBegin ->
                    // pager_wait_on_lock]. If it gives up, the read
                    // transaction stays, holding PENDING.
                    op.from_read_txn = true;
                    op.phase = Phase::RbExclusive;
                    self.rb_action(c, op)
                }
                _ => {
                    op.phase = Phase::RbWriteShared;
                    self.rb_action(c, op)
                }
            },
            Stmt::Read(key) => {
                if lock >= Lock::Shared {
                    // Already inside a transaction that holds a lock.
                    Progress::Done(StepResult::Value(self.visible(c, key)))
                } else {
                    op.phase = Phase::RbReadShared;
                    self.rb_action(c, op)
                }
            }
            Stmt::Write(key, value) => match lock {
                Lock::Unlocked => {
                    // Write-first (deferred txn or autocommit): a transaction
                    // from nothing, busy handler applies [conformance row S4].
                    op.phase = Phase::RbWriteShared;
                    self.rb_action(c, op)
                }
                Lock::Shared => {
                    // Upgrade of a transaction that already read: if another
                    // connection holds RESERVED or more, SQLITE_BUSY at once,
                    // the busy handler is NOT invoked (it could deadlock)
                    // [conformance row S1; doc: c3ref/busy_handler; src:
                    // btreeBeginTrans]. The transaction stays open, SHARED
                    // is kept.
                    if !self.reserved_ok(c) {
                        return Progress::Done(StepResult::Busy);
                    }
                    let conn = &mut self.conns[c];
                    conn.lock = Lock::Reserved;
                    conn.rb_write = true;
                    conn.pending.insert(key.clone(), value.clone());
                    Progress::Done(StepResult::Ok)
                }
                _ => {
                    // RESERVED or more already held (a PENDING left by a
                    // failed BEGIN EXCLUSIVE counts: RESERVED is implied).
                    let conn = &mut self.conns[c];
                    conn.rb_write = true;
                    conn.pending.insert(key.clone(), value.clone());
                    Progress::Done(StepResult::Ok)
                }
            },
            Stmt::Commit => {
                if !explicit {
                    // "cannot commit - no transaction is active".
                    return Self::misuse();
                }
                if !self.conns[c].rb_write {
                    // Read-only (or lock-free) transaction: just unlock.
                    let conn = &mut self.conns[c];
                    conn.explicit = false;
                    conn.lock = Lock::Unlocked;
                    return Progress::Done(StepResult::Ok);
                }
                // A write txn commits via RESERVED->PENDING->EXCLUSIVE
                // [doc: lockingv3 "Writing to a database file"; conformance
                // row S2]. This holds even when it changed nothing (BEGIN
                // IMMEDIATE; COMMIT beside a reader waits):
                // vdbeCommit takes EXCLUSIVE for every write transaction
                // before the pager sees that there is nothing to write
                // [conformance row X2; src: vdbeCommit ->
                // sqlite3PagerExclusiveLock].
                op.phase = Phase::RbExclusive;
                self.rb_action(c, op)
            }
            // Runs in engine/lifecycle.rs before the journal mode sees it.
            Stmt::Close => unreachable!("CLOSE is a lifecycle step"),
            Stmt::Rollback => {
                if !explicit {
                    // "cannot rollback - no transaction is active".
                    return Self::misuse();
                }
                let conn = &mut self.conns[c];
                conn.explicit = false;
                conn.rb_write = false;
                conn.pending.clear();
                if lock >= Lock::Reserved {
                    // Like COMMIT's end: down to SHARED, then UNLOCKED.
                    conn.lock = Lock::Shared;
                    op.phase = Phase::RbRelease;
                    Progress::Yield
                } else {
                    conn.lock = Lock::Unlocked;
                    Progress::Done(StepResult::Ok)
                }
            }
        }
    }
}
