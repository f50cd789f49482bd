//! Seed 004's compaction workers as async tasks consuming a queue of deltas (the SQS batch),
//! on a runtime with two worker threads.
//!
//! A worker task reads the pointer and its snapshot, merges the delta (awaited, 3 s), uploads
//! the new snapshot (awaited, 2 s) and moves the pointer. With the pointer's compare-and-swap a
//! worker that lost the race starts over from the new snapshot; without it the last writer wins
//! and the other worker's delta is gone. The store is [`crate::compaction::ObjectStore`].

use crate::compaction::{Entries, ObjectStore, MAX_ATTEMPTS};
use racecheck::future::sync::Notify;
use racecheck::future::{self, time as atime, Runtime};
use racecheck::sync::{Arc, Mutex};
use racecheck::time::Duration;
use racecheck::{invariant, trace};
use std::collections::VecDeque;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Variant {
    /// The pointer is set on condition of the version read: a lost race starts over.
    Cas,
    /// The pointer is set unconditionally: the bug.
    NoCas,
    /// CAS, but a worker looks at the queue before it registers for a notification: the close
    /// (`notify_waiters`, which leaves no permit) can fall in between and is never seen.
    CasLateRegistration,
}

pub const MERGE: Duration = Duration::from_secs(3);
pub const UPLOAD: Duration = Duration::from_secs(2);
/// Deltas in the batch; one per worker task.
pub const DELTAS: u32 = 2;

struct Queue {
    messages: Mutex<(VecDeque<u32>, bool)>,
    arrived: Notify,
}

impl Queue {
    /// The next delta, or `None` once the queue is closed and empty.
    async fn next(&self, register_first: bool) -> Option<u32> {
        loop {
            let mut notified = self.arrived.notified();
            if register_first {
                notified.enable();
            }
            {
                let mut m = self.messages.lock().unwrap();
                if let Some(d) = m.0.pop_front() {
                    return Some(d);
                }
                if m.1 {
                    return None;
                }
            }
            notified.await;
        }
    }
}

struct World {
    variant: Variant,
    store: ObjectStore,
    queue: Queue,
    /// Deltas a worker was told were compacted.
    compacted: Mutex<Vec<u32>>,
}

async fn compact(world: &World, who: &str, delta: u32) -> bool {
    for attempt in 0..MAX_ATTEMPTS {
        let (pointer, snapshot) = world.store.latest();
        trace::event(format!(
            "{who}: merging delta {delta} into v{}",
            pointer.version
        ));
        let mut entries: Entries = snapshot.entries;
        atime::sleep(MERGE).await;
        entries.push((delta, 1));
        let key = format!("snapshot/{who}-{delta}-{attempt}");
        atime::sleep(UPLOAD).await;
        world.store.put(&key, entries);
        let expected = match world.variant {
            Variant::Cas | Variant::CasLateRegistration => Some(pointer.version),
            Variant::NoCas => None,
        };
        match world.store.set_pointer(&key, expected) {
            Ok(v) => {
                trace::event(format!("{who}: pointer -> {key} (v{v})"));
                return true;
            }
            Err(now) => trace::event(format!(
                "{who}: CAS lost (pointer at v{}), starting over",
                now.version
            )),
        }
    }
    false
}

async fn worker(world: Arc<World>, who: String) {
    let register_first = world.variant != Variant::CasLateRegistration;
    while let Some(delta) = world.queue.next(register_first).await {
        if compact(&world, &who, delta).await {
            world.compacted.lock().unwrap().push(delta);
        }
    }
}

/// One batch: the deltas are queued, two worker tasks compact them; every delta a worker was
/// told was compacted must be in the final snapshot.
pub fn run(variant: Variant) {
    Runtime::multi_thread(2).block_on(async move {
        let world = Arc::new(World {
            variant,
            store: ObjectStore::new(),
            queue: Queue {
                messages: Mutex::named("sqs.messages", (VecDeque::new(), false)),
                arrived: Notify::named("sqs.arrived"),
            },
            compacted: Mutex::named("compacted", Vec::new()),
        });
        let workers: Vec<_> = (0..2)
            .map(|i| {
                let who = format!("compactor-{i}");
                future::spawn_named(who.clone(), worker(world.clone(), who))
            })
            .collect();
        for d in 1..=DELTAS {
            world.queue.messages.lock().unwrap().0.push_back(d);
            world.queue.arrived.notify_one();
        }
        // The batch closes as the first compactions finish: a worker then looks at the queue
        // at the same virtual moment as the close.
        atime::sleep(MERGE + UPLOAD).await;
        trace::event("sqs: batch closed");
        world.queue.messages.lock().unwrap().1 = true;
        world.queue.arrived.notify_waiters();
        for w in workers {
            w.await;
        }
        let (pointer, latest) = world.store.latest();
        let compacted = world.compacted.lock().unwrap().clone();
        for d in compacted {
            invariant!(
                latest.entries.iter().filter(|e| e.0 == d).count() == 1,
                "delta {d} was compacted but {} (v{}) holds it {} times",
                pointer.key,
                pointer.version,
                latest.entries.iter().filter(|e| e.0 == d).count()
            );
        }
    })
}
