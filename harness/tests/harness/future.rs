//! The async facade: tasks share their runtime's workers, time is virtual, deadlocks are found
//! and name what each task awaits, under the model backends and on tokio.

use racecheck::future::sync::Mutex as AsyncMutex;
use racecheck::future::{self, time as atime, Runtime};
use racecheck::sync::{Arc, Mutex};
use racecheck::time::{self, Duration};
use racecheck::{invariant, BackendKind, Check, Outcome, OutcomeKind};

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

fn run(backend: BackendKind, body: impl Fn() + Send + Sync + 'static) -> racecheck::CheckResult {
    Check::new(body)
        .backend(backend)
        .executions(if backend == BackendKind::Threads {
            3
        } else {
            200
        })
        .seed(3)
        .run()
}

/// Two tasks sleep 30 s and 90 s; each wakes at its own deadline, in no wall time.
fn two_sleepers() {
    future::block_on(async {
        let a = future::spawn_named("a", async {
            atime::sleep(secs(30)).await;
            time::now().since_start()
        });
        let b = future::spawn_named("b", async {
            let mut iv = atime::interval(secs(45));
            iv.tick().await;
            iv.tick().await;
            iv.tick().await;
            time::now().since_start()
        });
        let (ta, tb) = (a.await, b.await);
        invariant!(ta == secs(30), "a woke at {ta:?}");
        invariant!(tb == secs(90), "b woke at {tb:?}");
    })
}

/// A task re-locks an async mutex it holds: it waits for itself, and main waits on it.
fn async_self_deadlock() {
    future::block_on(async {
        let m = Arc::new(AsyncMutex::named("m", ()));
        let m2 = m.clone();
        let t = future::spawn_named("reenter", async move {
            let _outer = m2.lock().await;
            let _inner = m2.lock().await;
        });
        t.await;
    })
}

/// The `block_on` future holds a sync mutex guard across an await while a spawned task needs the
/// mutex (spawned futures must be `Send`, and a facade guard is not, as std's is not).
fn sync_guard_across_await(runtime: Runtime) {
    runtime.block_on(async {
        let m = Arc::new(Mutex::named("state", 0));
        let m2 = m.clone();
        let b = future::spawn_named("b", async move {
            *m2.lock().unwrap() += 1;
        });
        let mut g = m.lock().unwrap();
        atime::sleep(secs(1)).await;
        *g += 1;
        drop(g);
        b.await;
    })
}

const ALL: [BackendKind; 6] = BackendKind::ALL;

#[test]
fn task_sleeps_and_intervals_run_in_virtual_time_everywhere() {
    for b in ALL {
        let r = run(b, two_sleepers);
        assert!(
            r.failure.is_none(),
            "{b}: {:?}",
            r.failure.map(|f| f.outcome)
        );
    }
}

#[test]
fn a_task_relocking_an_async_mutex_is_a_deadlock_naming_the_task() {
    for b in ALL {
        let r = run(b, async_self_deadlock);
        let f = r.failure.unwrap_or_else(|| panic!("{b}: not found"));
        let text = f.outcome.to_string();
        assert_eq!(f.outcome.kind(), OutcomeKind::Deadlock, "{b}: {text}");
        assert!(
            text.contains("task reenter waits on async mutex m (held by task reenter)"),
            "{b}: {text}"
        );
    }
}

#[test]
fn a_sync_guard_across_an_await_deadlocks_a_current_thread_runtime() {
    for b in ALL {
        let r = run(b, || sync_guard_across_await(Runtime::current_thread()));
        let f = r.failure.unwrap_or_else(|| panic!("{b}: not found"));
        assert!(
            matches!(f.outcome, Outcome::Deadlock { .. }),
            "{b}: {}",
            f.outcome
        );
    }
}

#[test]
fn with_a_worker_of_its_own_the_spawned_task_just_waits() {
    for b in [BackendKind::Loom, BackendKind::Random, BackendKind::Dfs] {
        let r = run(b, || sync_guard_across_await(Runtime::multi_thread(1)));
        assert!(
            r.failure.is_none(),
            "{b}: {:?}",
            r.failure.map(|f| f.outcome)
        );
    }
}

#[test]
fn a_blocking_call_in_a_task_holds_back_the_other_tasks_timers() {
    let body = || {
        future::block_on(async {
            let ticker = future::spawn_named("ticker", async {
                atime::sleep(secs(10)).await;
                time::now().since_start()
            });
            future::yield_now().await;
            // A blocking call: the worker is busy for 100 s and polls no one.
            time::sleep(secs(100));
            let woke = ticker.await;
            // 100 s if the ticker was polled before the call, 110 s if the `block_on` future
            // ran on first (tokio does not promise either order): never at 10 s.
            invariant!(
                woke == secs(100) || woke == secs(110),
                "ticker woke at {woke:?}"
            );
        })
    };
    for b in ALL {
        let r = Check::new(body).backend(b).executions(50).run();
        assert!(
            r.failure.is_none(),
            "{b}: {:?}",
            r.failure.map(|f| f.outcome)
        );
    }
}

/// Two ready tasks log their names; the invariant holds only in FIFO order (a, then b).
fn two_ready_tasks_in_spawn_order() {
    future::block_on(async {
        let log = Arc::new(Mutex::named("log", Vec::new()));
        let handles: Vec<_> = ["a", "b"]
            .into_iter()
            .map(|name| {
                let log = log.clone();
                future::spawn_named(name, async move { log.lock().unwrap().push(name) })
            })
            .collect();
        for h in handles {
            h.await;
        }
        let order = log.lock().unwrap().clone();
        invariant!(order == ["a", "b"], "tasks ran as {order:?}");
    })
}

#[test]
fn the_model_backends_choose_which_ready_task_runs_first() {
    for b in [
        BackendKind::Loom,
        BackendKind::Dfs,
        BackendKind::Pct,
        BackendKind::Random,
    ] {
        let r = run(b, two_ready_tasks_in_spawn_order);
        let f = r
            .failure
            .unwrap_or_else(|| panic!("{b}: b never ran first"));
        let text = f.outcome.to_string();
        assert!(text.contains(r#"tasks ran as ["b", "a"]"#), "{b}: {text}");
        assert!(
            f.trace
                .lines()
                .iter()
                .any(|l| l.contains("task order: task b")),
            "{b}: the choice is a step of the trace"
        );
    }
}

#[test]
fn tokio_keeps_its_own_fifo_order() {
    let r = run(BackendKind::Threads, two_ready_tasks_in_spawn_order);
    assert!(r.failure.is_none(), "{:?}", r.failure.map(|f| f.outcome));
}

#[test]
fn loom_covers_every_order_of_three_ready_tasks() {
    let orders = Arc::new(std::sync::Mutex::new(std::collections::BTreeSet::new()));
    let seen = orders.clone();
    let r = Check::new(move || {
        let seen = seen.clone();
        future::block_on(async move {
            let log = Arc::new(Mutex::named("log", Vec::new()));
            let handles: Vec<_> = ["a", "b", "c"]
                .into_iter()
                .map(|name| {
                    let log = log.clone();
                    future::spawn_named(name, async move { log.lock().unwrap().push(name) })
                })
                .collect();
            for h in handles {
                h.await;
            }
            seen.lock().unwrap().insert(log.lock().unwrap().clone());
        })
    })
    .backend(BackendKind::Loom)
    .run();
    r.assert_verified();
    assert_eq!(
        orders.lock().unwrap().len(),
        6,
        "{:?}",
        orders.lock().unwrap()
    );
}
