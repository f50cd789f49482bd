//! The pitfall a tokio user meets first: a sync mutex guard held across an `.await`.
//!
//! Seed 000's `LockManager` ported naively: `self._lock` becomes a `std::sync::Mutex`, and
//! `validate_ownership()` awaits the DynamoDB `GetItem` while holding it. Spawned futures must be
//! `Send` and a std guard is not, so the guard lives in the `block_on` future (the handler of
//! `#[tokio::main]`), which compiles. While it awaits, the worker polls the heartbeat task, whose
//! first tick locks the same mutex: the worker thread blocks, and the one task that could release
//! the mutex is never polled again. On a `current_thread` runtime that is every execution.
//! (The blocking-call pitfall is [`crate::async_lease`]'s `Call::Blocking`.)

use crate::dynamo::Table;
use crate::lock_manager::LOCK_ID;
use racecheck::future::sync::Mutex as AsyncMutex;
use racecheck::future::{self, time as atime, Runtime};
use racecheck::sync::{Arc, Mutex};
use racecheck::time::Duration;
use racecheck::{invariant, trace};

/// How `validate_ownership()` guards its DynamoDB read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Guarding {
    /// A sync mutex held across the awaited read: the bug.
    SyncAcrossAwait,
    /// An async mutex held across it: waiters suspend instead of blocking the worker.
    AsyncMutex,
    /// The sync guard is dropped before the await (the lock covers local state only).
    SyncDroppedBeforeAwait,
}

/// A DynamoDB round trip, awaited.
pub const ROUND_TRIP: Duration = Duration::from_millis(20);
pub const HEARTBEAT: Duration = Duration::from_secs(30);

struct Manager {
    guarding: Guarding,
    sync_lock: Mutex<u32>,
    async_lock: AsyncMutex<u32>,
    table: Table,
}

impl Manager {
    /// Bump the local heartbeat count under the lock, then renew in DynamoDB.
    async fn update_heartbeat(&self) {
        match self.guarding {
            Guarding::AsyncMutex => *self.async_lock.lock().await += 1,
            _ => *self.sync_lock.lock().unwrap() += 1,
        }
        atime::sleep(ROUND_TRIP).await;
        let _ = self.table.renew_if_owner(LOCK_ID, "lambda-1");
    }

    async fn validate_ownership(&self) -> bool {
        let owner = match self.guarding {
            Guarding::SyncAcrossAwait => {
                let _g = self.sync_lock.lock().unwrap();
                atime::sleep(ROUND_TRIP).await;
                self.table.get(LOCK_ID)
            }
            Guarding::AsyncMutex => {
                let _g = self.async_lock.lock().await;
                atime::sleep(ROUND_TRIP).await;
                self.table.get(LOCK_ID)
            }
            Guarding::SyncDroppedBeforeAwait => {
                drop(self.sync_lock.lock().unwrap());
                atime::sleep(ROUND_TRIP).await;
                self.table.get(LOCK_ID)
            }
        };
        owner.is_some_and(|i| i.owner == "lambda-1")
    }
}

/// The Lambda's handler: lock, start the heartbeat task, validate, finish.
pub fn handler(guarding: Guarding) {
    Runtime::current_thread().block_on(async move {
        let manager = Arc::new(Manager {
            guarding,
            sync_lock: Mutex::named("std::sync::Mutex LockManager._lock", 0),
            async_lock: AsyncMutex::named("LockManager._lock", 0),
            table: Table::new("dynamodb.ReceiptsTable"),
        });
        invariant!(
            manager.table.put_if_absent(LOCK_ID, "lambda-1").is_ok(),
            "could not acquire {LOCK_ID}"
        );
        let m = manager.clone();
        let heartbeat = future::spawn_named("heartbeat", async move {
            let mut ticks = atime::interval(HEARTBEAT);
            for _ in 0..2 {
                ticks.tick().await;
                m.update_heartbeat().await;
            }
        });
        trace::event("Validating lock ownership before label updates");
        invariant!(
            manager.validate_ownership().await,
            "lock ownership lost before label updates"
        );
        trace::event("Label updates applied");
        heartbeat.await;
        invariant!(
            manager.table.delete_if_owner(LOCK_ID, "lambda-1").is_ok(),
            "release failed"
        );
    })
}
