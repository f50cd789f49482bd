//! Two request handlers on one `current_thread` runtime update the same cache entry: each
//! reads the entry, awaits the backend connection, and writes the entry back incremented.
//!
//! The connection task is spawned first. In tokio's default (FIFO) order it connects before
//! either handler is polled, so each handler's await is ready at once and nothing interleaves
//! between its read and its write: the service passes every test run in that order. When a
//! handler is polled before the connection is up, its await is pending, the other handler
//! reads the same stale entry, and one increment is lost. Only the poll order of ready tasks
//! decides it: no second thread, no timer. The fix holds an async mutex guard on the entry
//! across the read–await–write.

use racecheck::future::sync::{Mutex as AsyncMutex, Notify};
use racecheck::future::{self, Runtime};
use racecheck::sync::{Arc, Mutex};
use racecheck::{invariant, trace};

/// How a handler updates the entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Update {
    /// Read, await the connection, write: the bug.
    ReadAwaitWrite,
    /// The same under an async mutex guard held across the await: the fix.
    GuardAcrossAwait,
}

/// The backend connection: up once its task has run.
struct Connection {
    up: Mutex<bool>,
    changed: Notify,
}

impl Connection {
    async fn ready(&self) {
        loop {
            let notified = self.changed.notified();
            let mut notified = std::pin::pin!(notified);
            notified.as_mut().enable();
            if *self.up.lock().unwrap() {
                return;
            }
            notified.await;
        }
    }
}

struct Service {
    update: Update,
    /// The cache entry the handlers increment (a hit counter).
    entry: Mutex<u32>,
    /// Held across the read–await–write by the fixed handler.
    entry_lock: AsyncMutex<()>,
    conn: Connection,
}

impl Service {
    async fn handle(&self) {
        let _guard = match self.update {
            Update::GuardAcrossAwait => Some(self.entry_lock.lock().await),
            Update::ReadAwaitWrite => None,
        };
        let seen = *self.entry.lock().unwrap();
        trace::event(format!("read cache entry {seen}"));
        self.conn.ready().await;
        *self.entry.lock().unwrap() = seen + 1;
        trace::event(format!("wrote cache entry {}", seen + 1));
    }
}

/// Spawn the connection task and two handlers, and check both increments landed.
pub fn two_handlers(update: Update) {
    Runtime::current_thread().block_on(async move {
        let service = Arc::new(Service {
            update,
            entry: Mutex::named("cache.entry", 0),
            entry_lock: AsyncMutex::named("cache.entry_lock", ()),
            conn: Connection {
                up: Mutex::named("backend.up", false),
                changed: Notify::named("backend.connected"),
            },
        });
        let s = service.clone();
        let connect = future::spawn_named("connect", async move {
            *s.conn.up.lock().unwrap() = true;
            s.conn.changed.notify_waiters();
        });
        let handlers: Vec<_> = ["handler-a", "handler-b"]
            .into_iter()
            .map(|name| {
                let s = service.clone();
                future::spawn_named(name, async move { s.handle().await })
            })
            .collect();
        connect.await;
        for h in handlers {
            h.await;
        }
        let hits = *service.entry.lock().unwrap();
        invariant!(
            hits == 2,
            "lost update: 2 requests counted, the entry holds {hits}"
        );
    })
}
