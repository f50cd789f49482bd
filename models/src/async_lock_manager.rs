//! Seed 000's `LockManager` as a tokio service would write it: the heartbeat is a task ticking a
//! `time::interval`, `self._lock` an async mutex, and the same re-entry deadlocks, in async form.
//!
//! `update_heartbeat()` holds the async lock and awaits `validate_ownership()`, which awaits the
//! same lock: the heartbeat task waits for itself (an async mutex is no more reentrant than
//! `threading.Lock`), and the Lambda's main task then waits at "Validating lock ownership before
//! label updates". An async runtime has no task-reentrant lock to switch to, so the fixes are
//! dropping the nested validation (the seed's fix 2) and validating with the guard already held.

use crate::dynamo::Table;
use crate::lock_manager::LOCK_ID;
use racecheck::future::sync::{Mutex as AsyncMutex, MutexGuard};
use racecheck::future::{self, time as atime, Runtime};
use racecheck::sync::{Arc, Mutex};
use racecheck::time::Duration;
use racecheck::{invariant, trace};

/// The bug and its two fixes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Variant {
    /// `update_heartbeat()` awaits `validate_ownership()`, which re-locks: the bug.
    Lock,
    /// Fix 2 of the seed: no validation inside `update_heartbeat()`.
    NoNestedValidation,
    /// Validate under the guard already held (`validate_ownership_locked(&guard)`).
    ValidateWithGuard,
}

/// The production heartbeat interval (seed 004: 30 s).
pub const HEARTBEAT: Duration = Duration::from_secs(30);
/// Delta files merged before validating; each read is an await (an S3 GET).
pub const DELTAS: usize = 4;

pub struct LockManager {
    variant: Variant,
    lock: AsyncMutex<()>,
    table: Arc<Table>,
    owner: String,
    stop: Mutex<bool>,
}

impl LockManager {
    pub fn new(variant: Variant, table: Arc<Table>, owner: &str) -> Self {
        LockManager {
            variant,
            lock: AsyncMutex::named("LockManager._lock", ()),
            table,
            owner: owner.to_string(),
            stop: Mutex::named("LockManager._stop_event", false),
        }
    }

    pub async fn acquire(&self) -> bool {
        let _g = self.lock.lock().await;
        let ok = self.table.put_if_absent(LOCK_ID, &self.owner).is_ok();
        if ok {
            trace::event("Acquired lock: chroma-words-update-1756250195");
        }
        ok
    }

    pub async fn validate_ownership(&self) -> bool {
        let g = self.lock.lock().await;
        self.validate_ownership_locked(&g)
    }

    /// The check itself, for a caller that already holds the lock.
    pub fn validate_ownership_locked(&self, _held: &MutexGuard<'_, ()>) -> bool {
        let item = self.table.get(LOCK_ID);
        item.is_some_and(|i| i.owner == self.owner)
    }

    pub async fn update_heartbeat(&self) -> bool {
        let g = self.lock.lock().await;
        let valid = match self.variant {
            Variant::Lock => self.validate_ownership().await,
            Variant::ValidateWithGuard => self.validate_ownership_locked(&g),
            Variant::NoNestedValidation => true,
        };
        if !valid {
            trace::event("Lock ownership validation failed during heartbeat update");
            return false;
        }
        self.table.renew_if_owner(LOCK_ID, &self.owner).is_ok()
    }

    /// The heartbeat task: a tick every [`HEARTBEAT`] (the first at once), until stopped.
    pub async fn heartbeat(self: Arc<Self>) {
        trace::event("Heartbeat worker task started");
        let mut every = atime::interval(HEARTBEAT);
        loop {
            every.tick().await;
            if *self.stop.lock().unwrap() {
                return;
            }
            self.update_heartbeat().await;
        }
    }

    pub async fn release(&self) -> bool {
        let _g = self.lock.lock().await;
        self.table.delete_if_owner(LOCK_ID, &self.owner).is_ok()
    }
}

/// One invocation of the compaction Lambda as async code, on a `current_thread` runtime.
pub fn compaction_lambda(variant: Variant) {
    Runtime::current_thread().block_on(lambda(variant))
}

async fn lambda(variant: Variant) {
    let table = Arc::new(Table::new("dynamodb.ReceiptsTable"));
    let labels = Mutex::named("chromadb.labels", 0u32);
    let manager = Arc::new(LockManager::new(variant, table.clone(), "lambda-1"));

    invariant!(manager.acquire().await, "could not acquire {LOCK_ID}");
    let heartbeat = future::spawn_named("heartbeat", manager.clone().heartbeat());

    trace::event("Merging deltas into snapshot");
    for _ in 0..DELTAS {
        future::yield_now().await;
    }

    trace::event("Validating lock ownership before label updates");
    invariant!(
        manager.validate_ownership().await,
        "lock ownership lost before label updates"
    );
    *labels.lock().unwrap() += 1;
    trace::event("Label updates applied");

    *manager.stop.lock().unwrap() = true;
    heartbeat.await;
    invariant!(manager.release().await, "release of {LOCK_ID} failed");
    invariant!(table.get(LOCK_ID).is_none(), "lock item left behind");
    invariant!(*labels.lock().unwrap() == 1, "label updates lost");
}
