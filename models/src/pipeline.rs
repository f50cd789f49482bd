//! Seed 002: the receipt pipeline's compactions, and its authors' "No race condition" claim.
//!
//! The upload Lambda writes the receipt's words and lines and its `ReceiptMetadata` to
//! DynamoDB, builds the embeddings (each carrying the metadata of that moment) as deltas in
//! S3, and inserts a `COMPACTION_RUN` record. A DynamoDB stream (ordered per key, one shard
//! here, so in commit order) delivers the insert to the stream processor Lambda, which queues
//! a compaction message on SQS. Compaction workers (two here) take messages off the queue
//! (no ordering between messages) and run [`crate::compaction::compact`] as built (upload
//! under the lock, CAS validations, bounded start-overs): a `COMPACTION_RUN` message merges the
//! deltas into the snapshot; a `ReceiptMetadata` message runs `update_receipt_metadata`, which
//! lists the receipt's words, builds their ChromaDB ids and calls `collection.update`, which
//! (as ChromaDB's `update` does) silently drops ids that are not in the collection.
//!
//! Meanwhile validation checks the merchant and updates `ReceiptMetadata`, whose MODIFY is
//! streamed and queued as a metadata compaction.
//!
//! Invariant, once every event is processed: every word of the receipt is in the snapshot
//! exactly once and its metadata equals the final `ReceiptMetadata`.

use crate::compaction::{check_store, compact, Id, Meta, Protocol, Shared, Timings};
use racecheck::sync::{Arc, Condvar, External, Mutex};
use racecheck::thread::{self, JoinHandle};
use racecheck::time::{self, Duration};
use racecheck::{invariant, trace};
use std::collections::VecDeque;

/// The receipt's words (their ChromaDB ids).
pub const WORDS: [Id; 3] = [1, 2, 3];
/// The metadata the upload Lambda's merchant resolution writes.
pub const FIRST_METADATA: Meta = 1;
/// The metadata validation corrects it to.
pub const CORRECTED_METADATA: Meta = 2;
/// The stream processor Lambda's trigger latency.
pub const STREAM_LATENCY: Duration = Duration::from_secs(1);
/// A message received this many times goes to the dead-letter queue.
pub const MAX_RECEIVES: u32 = 3;

/// The pipeline as built, and a fix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Variant {
    /// The delta merge adds the embeddings with the metadata stamped when they were built.
    AsBuilt,
    /// Fix: the delta merge reads the current `ReceiptMetadata` when it merges (phase 2, after
    /// its pointer read), so a retry after a lost CAS carries the correction.
    MergeReadsMetadata,
}

/// The durations a run chooses among (see `racecheck::choose`): each is one of its list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Config {
    pub variant: Variant,
    /// Phase 2 of the `COMPACTION_RUN` compaction (the delta merge).
    pub delta_merge: &'static [Duration],
    /// From the upload to validation's `ReceiptMetadata` update.
    pub validation: &'static [Duration],
    pub timings: Timings,
}

/// Seed 002's "20-30 seconds later" for validation's update (its timeline, T7), in 5 s steps.
pub const VALIDATION: &[Duration] = &[
    Duration::from_secs(20),
    Duration::from_secs(25),
    Duration::from_secs(30),
];
/// The merge as seed 004 times phase 2 (3–4 s, here 3.5 s), or as seed 002 fears ("compaction
/// takes 60 seconds").
pub const MERGE: &[Duration] = &[Duration::from_millis(3500), Duration::from_secs(60)];
/// The usual merge only.
pub const QUICK_MERGE: &[Duration] = &[Duration::from_millis(3500)];

impl Config {
    /// Every merge and validation time the seeds state.
    pub fn seed_ranges(variant: Variant) -> Self {
        Config {
            variant,
            delta_merge: MERGE,
            validation: VALIDATION,
            timings: Timings::default(),
        }
    }

    /// The usual 3.5 s merge, validation 20–30 s after the upload.
    pub fn quick_merge(variant: Variant) -> Self {
        Config {
            delta_merge: QUICK_MERGE,
            ..Self::seed_ranges(variant)
        }
    }
}

/// A DynamoDB stream record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Event {
    CompactionRunInsert,
    MetadataModify(Meta),
}

/// An SQS compaction message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Message {
    MergeDeltas,
    UpdateMetadata(Meta),
}

/// A queue that closes: stream or SQS.
struct Channel<T> {
    state: Mutex<(VecDeque<T>, bool)>,
    ready: Condvar,
}

impl<T> Channel<T> {
    fn new(name: &'static str) -> Self {
        Channel {
            state: Mutex::named(name, (VecDeque::new(), false)),
            ready: Condvar::named(name),
        }
    }

    fn send(&self, t: T) {
        self.state.lock().unwrap().0.push_back(t);
        self.ready.notify_all();
    }

    fn close(&self) {
        self.state.lock().unwrap().1 = true;
        self.ready.notify_all();
    }

    /// The next item, or `None` once closed and empty.
    fn recv(&self) -> Option<T> {
        let mut s = self.state.lock().unwrap();
        loop {
            if let Some(t) = s.0.pop_front() {
                return Some(t);
            }
            if s.1 {
                return None;
            }
            s = self.ready.wait(s).unwrap();
        }
    }
}

/// DynamoDB's items for the receipt, and S3's deltas.
struct Dynamo {
    words: External<Vec<Id>>,
    metadata: External<Meta>,
    /// The delta files: embeddings with the metadata of their build.
    deltas: External<Vec<(Id, Meta)>>,
}

struct World {
    cfg: Config,
    /// The merge time this run chose.
    delta_merge: Duration,
    dynamo: Dynamo,
    compaction: Shared,
    stream: Channel<Event>,
    /// SQS: messages and how many times each was received.
    queue: Channel<(Message, u32)>,
    /// Messages being processed (the queue closes only when none is and the stream is done).
    in_flight: External<usize>,
    dead_letters: External<Vec<Message>>,
}

/// Run the pipeline once; fails the execution if the snapshot ends out of step with DynamoDB.
pub fn run(cfg: &Config) {
    // Chosen up front by main, so each choice is the same question in every interleaving
    // whichever worker takes the message.
    let delta_merge = racecheck::choose("delta merge takes", cfg.delta_merge);
    let validation = racecheck::choose("validation after", cfg.validation);
    let world = Arc::new(World {
        cfg: *cfg,
        delta_merge,
        dynamo: Dynamo {
            words: External::named("dynamodb.receipt_words", Vec::new()),
            metadata: External::named("dynamodb.ReceiptMetadata", 0),
            deltas: External::named("s3.deltas", Vec::new()),
        },
        compaction: Shared::new(Protocol::UploadUnderLock, cfg.timings),
        stream: Channel::new("dynamodb.stream"),
        queue: Channel::new("sqs.compaction_queue"),
        in_flight: External::named("in_flight", 0),
        dead_letters: External::named("sqs.dlq", Vec::new()),
    });

    let processor = {
        let w = world.clone();
        thread::Builder::new()
            .name("stream_processor")
            .spawn(move || stream_processor(&w))
            .expect("spawn stream processor")
    };
    let workers: Vec<JoinHandle<()>> = ["worker1", "worker2"]
        .into_iter()
        .map(|name| {
            let w = world.clone();
            thread::Builder::new()
                .name(name)
                .spawn(move || worker(name, &w))
                .expect("spawn worker")
        })
        .collect();

    // T0–T2: the upload Lambda.
    trace::event("upload: receipt_words and receipt_lines written");
    world
        .dynamo
        .words
        .command("PutItem", |w| *w = WORDS.to_vec());
    world
        .dynamo
        .metadata
        .command("PutItem", |m| *m = FIRST_METADATA);
    trace::event("upload: ReceiptMetadata created, embeddings uploaded as deltas");
    world.dynamo.deltas.command("PUT", |d| {
        *d = WORDS.iter().map(|&w| (w, FIRST_METADATA)).collect()
    });
    trace::event("upload: COMPACTION_RUN created");
    world.stream.send(Event::CompactionRunInsert);

    // T7: validation corrects the metadata.
    time::sleep(validation);
    trace::event("validation: ReceiptMetadata updated (merchant mismatch)");
    world
        .dynamo
        .metadata
        .command("UpdateItem", |m| *m = CORRECTED_METADATA);
    world.stream.send(Event::MetadataModify(CORRECTED_METADATA));
    world.stream.close();

    processor.join().expect("stream processor panicked");
    for w in workers {
        w.join().expect("worker panicked");
    }

    check_store(&world.compaction);
    let dlq = world.dead_letters.command("read", |d| d.clone());
    invariant!(dlq.is_empty(), "messages dead-lettered: {dlq:?}");
    let (p, snapshot) = world.compaction.store.latest();
    let meta = world.dynamo.metadata.command("GetItem", |m| *m);
    for w in WORDS {
        let found: Vec<Meta> = snapshot
            .entries
            .iter()
            .filter(|e| e.0 == w)
            .map(|e| e.1)
            .collect();
        invariant!(
            found == [meta],
            "word {w} is in the snapshot ({} at v{}) with metadata {found:?}, but \
             ReceiptMetadata is {meta}",
            p.key,
            p.version
        );
    }
}

/// The stream processor Lambda: each record, after the trigger latency, becomes an SQS
/// message. The queue closes once the stream is drained and no message is in flight.
/// (In-flight counting stands in for SQS's visibility timeout and the Lambdas' lifetimes.)
fn stream_processor(w: &World) {
    while let Some(event) = w.stream.recv() {
        time::sleep(STREAM_LATENCY);
        let m = match event {
            Event::CompactionRunInsert => Message::MergeDeltas,
            Event::MetadataModify(meta) => Message::UpdateMetadata(meta),
        };
        trace::event(format!("stream_processor: queued {m:?}"));
        w.in_flight.command("+1", |f| *f += 1);
        w.queue.send((m, 0));
    }
    mark_stream_done(w);
}

fn mark_stream_done(w: &World) {
    // STREAM_DONE marks "the stream is done" on top of the in-flight count.
    let idle = w.in_flight.command("stream done", |f| {
        *f += STREAM_DONE;
        *f == STREAM_DONE
    });
    if idle {
        w.queue.close();
    }
}

const STREAM_DONE: usize = 1 << 20;

/// A compaction Lambda: takes messages until the queue closes.
fn worker(name: &'static str, w: &World) {
    while let Some((m, receives)) = w.queue.recv() {
        trace::event(format!("{name}: received {m:?}"));
        let ok = match m {
            Message::MergeDeltas => merge_deltas(name, w),
            Message::UpdateMetadata(meta) => update_receipt_metadata(name, w, meta),
        };
        if !ok {
            if receives + 1 >= MAX_RECEIVES {
                w.dead_letters.command("push", |d| d.push(m));
            } else {
                w.queue.send((m, receives + 1));
                continue;
            }
        }
        let idle = w.in_flight.command("-1", |f| {
            *f -= 1;
            *f == STREAM_DONE
        });
        if idle {
            w.queue.close();
        }
    }
}

/// The `COMPACTION_RUN` compaction: merge the deltas.
fn merge_deltas(name: &str, w: &World) -> bool {
    let deltas = w.dynamo.deltas.command("GET", |d| d.clone());
    let variant = w.cfg.variant;
    compact(&w.compaction, name, w.delta_merge, &|local| {
        let current = w.dynamo.metadata.command("GetItem", |m| *m);
        for &(id, meta) in &deltas {
            let meta = match variant {
                Variant::AsBuilt => meta,
                Variant::MergeReadsMetadata => current,
            };
            local.push((id, meta));
        }
        trace::event(format!("merged {} deltas", deltas.len()));
    })
}

/// `update_receipt_metadata`: list the receipt's words, `collection.update` their ids.
fn update_receipt_metadata(name: &str, w: &World, meta: Meta) -> bool {
    let merge = w.compaction.timings.merge;
    compact(&w.compaction, name, merge, &|local| {
        let ids = w.dynamo.words.command("Query", |w| w.clone());
        let mut updated = 0;
        for id in &ids {
            if let Some(e) = local.iter_mut().find(|e| e.0 == *id) {
                e.1 = meta;
                updated += 1;
            }
        }
        trace::event(format!(
            "collection.update: {updated} of {} ids updated, {} missing ids dropped",
            ids.len(),
            ids.len() - updated
        ));
    })
}
