//! Task order on a `multi_thread(2)` runtime: when a worker has several ready tasks and no
//! other worker is free to take one, which it polls first is a choice every model backend
//! explores, records and replays.

use super::future_primitives::secs;
use racecheck::future::sync::oneshot;
use racecheck::future::{self, JoinHandle, Runtime};
use racecheck::parallel::BLOCK;
use racecheck::sync::{Arc, Mutex};
use racecheck::trace::Trace;
use racecheck::{invariant, time, BackendKind, Check, Verdict};

/// A writer and a reader of a config value; the reader gives what it saw.
type WriterAndReader = (JoinHandle<()>, JoinHandle<Option<&'static str>>);

/// Spawn the writer and then the reader onto the calling worker's queue.
fn spawn_writer_and_reader() -> WriterAndReader {
    let config = Arc::new(Mutex::named("config", None));
    let c = config.clone();
    let writer = future::spawn_named("writer", async move {
        *c.lock().unwrap() = Some("v2");
    });
    let reader = future::spawn_named("reader", async move {
        let seen = *config.lock().unwrap();
        seen
    });
    (writer, reader)
}

/// The model's check: the reader saw what the writer wrote.
async fn the_reader_saw_the_write((writer, reader): WriterAndReader) {
    let seen = reader.await;
    writer.await;
    invariant!(seen == Some("v2"), "the reader saw {seen:?}");
}

/// The trace chose to run the reader first.
fn chose_the_reader(trace: &Trace) -> bool {
    trace
        .lines()
        .iter()
        .any(|l| l.contains("task order: task reader"))
}

/// One worker is held by a blocking call; on the other, a request task spawns a writer and a
/// reader of a config value, which both wait on that worker's own queue. The reader assumes
/// the writer ran first (`fixed`: it awaits the writer's signal instead).
fn writer_then_reader(fixed: bool) {
    Runtime::multi_thread(2).block_on(async move {
        let (started, hog_started) = oneshot::named("hog started");
        let hog = future::spawn_named("hog", async move {
            let _ = started.send(());
            // A blocking call: this worker polls nothing else for 100 s.
            time::sleep(secs(100));
        });
        let _ = hog_started.await;
        let request = future::spawn_named("request", async move {
            let config = Arc::new(Mutex::named("config", None));
            let (written, writer_done) = oneshot::named("written");
            let c = config.clone();
            let writer = future::spawn_named("writer", async move {
                *c.lock().unwrap() = Some("v2");
                let _ = written.send(());
            });
            let reader = future::spawn_named("reader", async move {
                if fixed {
                    let _ = writer_done.await;
                }
                let seen = *config.lock().unwrap();
                seen
            });
            (writer, reader)
        });
        the_reader_saw_the_write(request.await).await;
        hog.await;
    })
}

fn buggy() {
    writer_then_reader(false)
}

fn fixed() {
    writer_then_reader(true)
}

const MODEL: [BackendKind; 4] = [
    BackendKind::Loom,
    BackendKind::Dfs,
    BackendKind::Pct,
    BackendKind::Random,
];

#[test]
fn every_model_backend_runs_the_later_of_two_ready_tasks_on_a_busy_runtime_first() {
    for b in MODEL {
        let r = Check::new(buggy).backend(b).executions(500).seed(7).run();
        let f = r
            .failure
            .unwrap_or_else(|| panic!("{b}: the reader never ran first"));
        let text = f.outcome.to_string();
        assert!(text.contains("the reader saw None"), "{b}: {text}");
        assert!(
            chose_the_reader(&f.trace),
            "{b}: the choice is a step of the trace"
        );
        // The recorded schedule holds the choice: replayed, it fails the same way.
        let replayed = racecheck::check::replay_trace(buggy, &f.trace);
        assert_eq!(replayed.outcome, f.outcome, "{b}: replay");
    }
}

#[test]
fn loom_verifies_the_reader_awaiting_the_writer() {
    // At preemption bound 1, as the catalogue's `async.compaction`: unbounded, the three
    // threads' space passes 100,000 executions.
    let r = Check::new(fixed)
        .backend(BackendKind::Loom)
        .preemption_bound(Some(1))
        .run();
    assert_eq!(
        r.verdict(),
        Verdict::Verified,
        "{:?}",
        r.failure.map(|f| f.outcome)
    );
    for b in [BackendKind::Dfs, BackendKind::Pct, BackendKind::Random] {
        let r = Check::new(fixed).backend(b).executions(300).run();
        assert!(
            r.failure.is_none(),
            "{b}: {:?}",
            r.failure.map(|f| f.outcome)
        );
    }
}

#[test]
fn without_a_blocked_worker_the_other_worker_takes_the_second_task() {
    // Both workers free: the writer and the reader land on one worker's queue, and the other
    // worker steals the reader, so the reader can still run first, by the interleaving alone.
    let body = || {
        Runtime::multi_thread(2).block_on(async {
            let request = future::spawn_named("request", async { spawn_writer_and_reader() });
            the_reader_saw_the_write(request.await).await;
        })
    };
    let r = Check::new(body)
        .backend(BackendKind::Loom)
        .preemption_bound(Some(1))
        .run();
    let f = r
        .failure
        .expect("the stolen reader runs first in some interleaving");
    assert!(
        !f.trace.lines().iter().any(|l| l.contains("task order")),
        "a free worker makes the order an interleaving, not a choice"
    );
}

#[test]
fn the_same_seed_runs_the_same_orders_whatever_the_worker_count() {
    for b in [BackendKind::Pct, BackendKind::Random] {
        let run = |workers: usize| {
            Check::new(fixed)
                .backend(b)
                .seed(11)
                .executions(BLOCK + 200)
                .workers(workers)
                .fingerprint()
                .run()
        };
        let (one, two) = (run(1), run(2));
        assert!(one.failure.is_none() && two.failure.is_none(), "{b}");
        assert_eq!(one.executions, two.executions, "{b}");
        assert_eq!(one.fingerprint, two.fingerprint, "{b}");
    }
}

#[test]
fn the_queue_of_a_blocked_worker_is_stolen_in_either_order() {
    // The hog spawns the writer and the reader onto its own worker's queue, then blocks that
    // worker: the other worker steals both, and which it takes first is the choice.
    let body = || {
        Runtime::multi_thread(2).block_on(async {
            let hog = future::spawn_named("hog", async {
                let spawned = spawn_writer_and_reader();
                time::sleep(secs(100));
                spawned
            });
            the_reader_saw_the_write(hog.await).await;
        })
    };
    for b in [BackendKind::Loom, BackendKind::Random] {
        let r = Check::new(body)
            .backend(b)
            .preemption_bound(Some(1))
            .executions(500)
            .run();
        let f = r
            .failure
            .unwrap_or_else(|| panic!("{b}: the reader was never stolen first"));
        assert!(chose_the_reader(&f.trace), "{b}: the steal is a choice");
    }
}
