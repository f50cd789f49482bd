//! Seed 000: the ChromaDB compaction Lambda's `LockManager`, whose heartbeat thread re-enters a
//! non-reentrant lock.
//!
//! As the write-up tells it: `update_heartbeat()` takes `self._lock` and then calls
//! `validate_ownership()`, which takes `self._lock` again. With `threading.Lock` the heartbeat
//! thread waits for itself; the Lambda's main path then hangs at "Validating lock ownership
//! before label updates" (it needs the same lock) until the 15-minute timeout. The fixes were
//! `threading.RLock` and dropping the nested validation. The DynamoDB calls are steps on a
//! shared [`Table`] with conditional writes; the heartbeat interval is a yield, not a sleep.

use crate::dynamo::Table;
use crate::pylock::{AnyLock, Lock, RLock};
use racecheck::sync::{Arc, Mutex};
use racecheck::thread::{self, JoinHandle};
use racecheck::{invariant, trace};

/// The bug and its two fixes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Variant {
    /// `self._lock = threading.Lock()` and the nested `validate_ownership()`: the bug.
    Lock,
    /// Fix 1: `threading.RLock()`, nested validation kept.
    RLock,
    /// Fix 2: `threading.Lock()`, nested validation removed from `update_heartbeat()`.
    NoNestedValidation,
}

/// The lock id of the seed's log: `"Acquired lock: chroma-words-update-1756250195"`.
pub const LOCK_ID: &str = "chroma-words-update-1756250195";
/// How many heartbeats the worker sends before the model stops it; one is enough to deadlock.
pub const HEARTBEATS: usize = 2;
/// Delta files the Lambda reads and merges between starting the heartbeat and validating.
/// In production this was seconds of S3 and ChromaDB I/O, which is why the heartbeat always
/// got the lock first and the Lambda hung "consistently"; here each read is one step.
pub const DELTAS: usize = 16;

pub struct LockManager {
    variant: Variant,
    lock: AnyLock,
    table: Arc<Table>,
    owner: String,
    /// `threading.Event` (lock-based in CPython, so a Mutex here): set to stop the heartbeat.
    stop: Mutex<bool>,
}

impl LockManager {
    pub fn new(variant: Variant, table: Arc<Table>, owner: &str) -> Self {
        let lock = match variant {
            Variant::Lock | Variant::NoNestedValidation => {
                AnyLock::Lock(Lock::new("LockManager._lock"))
            }
            Variant::RLock => AnyLock::RLock(RLock::new("LockManager._lock")),
        };
        LockManager {
            variant,
            lock,
            table,
            owner: owner.to_string(),
            stop: Mutex::named("LockManager._stop_event", false),
        }
    }

    /// Take the compaction lock in DynamoDB.
    pub fn acquire(&self) -> bool {
        self.lock.with(|| {
            let ok = self.table.put_if_absent(LOCK_ID, &self.owner).is_ok();
            if ok {
                trace::event("Acquired lock: chroma-words-update-1756250195");
            }
            ok
        })
    }

    /// `validate_ownership()`: under `self._lock`, read the item and compare its owner.
    pub fn validate_ownership(&self) -> bool {
        self.lock.with(|| {
            let item = self.table.get(LOCK_ID);
            item.is_some_and(|i| i.owner == self.owner)
        })
    }

    /// `update_heartbeat()`: under `self._lock`, (validate ownership,) then renew the lease.
    pub fn update_heartbeat(&self) -> bool {
        self.lock.with(|| {
            if self.variant != Variant::NoNestedValidation && !self.validate_ownership() {
                trace::event("Lock ownership validation failed during heartbeat update");
                return false;
            }
            self.table.renew_if_owner(LOCK_ID, &self.owner).is_ok()
        })
    }

    /// Start the heartbeat worker thread.
    pub fn start_heartbeat(self: &Arc<Self>) -> JoinHandle<()> {
        let manager = self.clone();
        thread::Builder::new()
            .name("heartbeat")
            .spawn(move || {
                trace::event("Heartbeat worker thread started");
                for _ in 0..HEARTBEATS {
                    if *manager.stop.lock().unwrap() {
                        break;
                    }
                    manager.update_heartbeat();
                    // The heartbeat interval: another thread may run here.
                    thread::yield_now();
                }
            })
            .expect("spawn heartbeat")
    }

    pub fn stop_heartbeat(&self, worker: JoinHandle<()>) {
        *self.stop.lock().unwrap() = true;
        worker.join().expect("heartbeat worker panicked");
    }

    pub fn release(&self) -> bool {
        self.lock
            .with(|| self.table.delete_if_owner(LOCK_ID, &self.owner).is_ok())
    }
}

/// One invocation of the compaction Lambda: lock, heartbeat, validate, update labels, unlock.
///
/// Invariants: the lock is still ours when labels are updated, the labels are written, and the
/// lock item is gone afterwards.
pub fn compaction_lambda(variant: Variant) {
    let table = Arc::new(Table::new("dynamodb.ReceiptsTable"));
    let labels = Mutex::named("chromadb.labels", 0u32);
    let manager = Arc::new(LockManager::new(variant, table.clone(), "lambda-1"));

    invariant!(manager.acquire(), "could not acquire {LOCK_ID}");
    let heartbeat = manager.start_heartbeat();

    trace::event("Merging deltas into snapshot");
    let deltas = Mutex::named("s3.deltas", (0..DELTAS as u32).collect::<Vec<_>>());
    let mut merged = 0;
    for i in 0..DELTAS {
        merged += deltas.lock().unwrap()[i];
    }
    invariant!(
        merged as usize == DELTAS * (DELTAS - 1) / 2,
        "a delta was lost"
    );

    trace::event("Validating lock ownership before label updates");
    invariant!(
        manager.validate_ownership(),
        "lock ownership lost before label updates"
    );
    *labels.lock().unwrap() += 1;
    trace::event("Label updates applied");

    manager.stop_heartbeat(heartbeat);
    invariant!(manager.release(), "release of {LOCK_ID} failed");
    invariant!(table.get(LOCK_ID).is_none(), "lock item left behind");
    invariant!(*labels.lock().unwrap() == 1, "label updates lost");
}
