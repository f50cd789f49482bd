//! The tokio primitives a service uses, under loom, the shuttle schedulers and tokio: each
//! test's model passes only if the primitive behaves as tokio's does, in every order.

use racecheck::future::sync::oneshot;
use racecheck::future::{self, time as atime};
use racecheck::time::{self, Duration};
use racecheck::{invariant, BackendKind, Check, OutcomeKind};

pub(crate) fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

/// loom, every shuttle scheduler, and tokio (the real backend).
const BACKENDS: [BackendKind; 6] = BackendKind::ALL;

/// `body` passes under every backend (200 executions each, seed 5): the async test files'
/// shared assertion.
pub(crate) fn passes_everywhere(body: fn()) {
    for b in BACKENDS {
        let r = Check::new(body).backend(b).executions(200).seed(5).run();
        assert!(
            r.failure.is_none(),
            "{b}: {:?}",
            r.failure.map(|f| f.outcome)
        );
    }
}

#[test]
fn oneshot_delivers_its_value_or_says_the_sender_dropped() {
    passes_everywhere(|| {
        future::block_on(async {
            let (tx, rx) = oneshot::named("reply");
            let replier = future::spawn_named("replier", async move {
                invariant!(tx.send(7).is_ok(), "the receiver is alive");
            });
            let got = rx.await;
            invariant!(got == Ok(7), "received {got:?}");
            replier.await;

            let (tx, rx) = oneshot::channel::<u32>();
            let dropper = future::spawn_named("dropper", async move { drop(tx) });
            let got = rx.await;
            invariant!(got == Err(oneshot::RecvError), "received {got:?}");
            dropper.await;

            let (tx, rx) = oneshot::channel();
            drop(rx);
            invariant!(tx.is_closed(), "the sender sees the receiver gone");
            invariant!(
                tx.send(1) == Err(1),
                "a send to no receiver gives the value back"
            );
        })
    });
}

#[test]
fn a_oneshot_nobody_sends_on_is_a_deadlock_naming_it() {
    for b in BACKENDS {
        let r = Check::new(|| {
            future::block_on(async {
                let (tx, rx) = oneshot::named::<u32>("reply");
                let _keep = tx;
                let _ = rx.await;
            })
        })
        .backend(b)
        .executions(20)
        .run();
        let f = r.failure.unwrap_or_else(|| panic!("{b}: not found"));
        assert_eq!(f.outcome.kind(), OutcomeKind::Deadlock, "{b}");
        assert!(
            f.outcome.to_string().contains("waits on oneshot reply"),
            "{b}: {}",
            f.outcome
        );
    }
}

#[test]
fn timeout_gives_up_at_its_deadline_in_virtual_time() {
    passes_everywhere(|| {
        future::block_on(async {
            let slow = atime::timeout(secs(5), atime::sleep(secs(60))).await;
            invariant!(
                slow == Err(atime::Elapsed),
                "the 60 s sleep beat a 5 s timeout"
            );
            let at = time::now().since_start();
            invariant!(at == secs(5), "gave up at {at:?}");

            let fast = atime::timeout(secs(5), async {
                atime::sleep(secs(1)).await;
                3
            })
            .await;
            invariant!(fast == Ok(3), "the 1 s sleep lost: {fast:?}");
            let at = time::now().since_start();
            invariant!(at == secs(6), "done at {at:?}");
        })
    });
}

#[test]
fn timeout_of_a_reply_from_another_task() {
    // A reply that comes after 2 s beats a 3 s timeout in every task order, and loses to a
    // 1 s one.
    passes_everywhere(|| {
        future::block_on(async {
            for (limit, in_time) in [(3, true), (1, false)] {
                let (tx, rx) = oneshot::named("reply");
                let replier = future::spawn_named("replier", async move {
                    atime::sleep(secs(2)).await;
                    let _ = tx.send(());
                });
                let got = atime::timeout(secs(limit), rx).await;
                invariant!(got.is_ok() == in_time, "limit {limit} s: {got:?}");
                replier.await;
            }
        })
    });
}

#[test]
fn a_semaphore_admits_at_most_its_permits_at_once() {
    passes_everywhere(|| {
        future::block_on(async {
            use racecheck::future::sync::Semaphore;
            use racecheck::sync::{Arc, Mutex};
            let sem = Arc::new(Semaphore::named("uploads", 2));
            let inside = Arc::new(Mutex::named("inside", (0u32, 0u32)));
            let tasks: Vec<_> = (0..3)
                .map(|i| {
                    let (sem, inside) = (sem.clone(), inside.clone());
                    future::spawn_named(format!("upload-{i}"), async move {
                        let _permit = sem.acquire().await.unwrap();
                        {
                            let mut g = inside.lock().unwrap();
                            g.0 += 1;
                            g.1 = g.1.max(g.0);
                        }
                        atime::sleep(secs(1)).await;
                        inside.lock().unwrap().0 -= 1;
                    })
                })
                .collect();
            for t in tasks {
                t.await;
            }
            let most = inside.lock().unwrap().1;
            invariant!(most == 2, "at most {most} uploads ran at once");
            invariant!(sem.available_permits() == 2, "a permit was not given back");
            let at = time::now().since_start();
            invariant!(
                at == secs(2),
                "three 1 s uploads, two at a time, took {at:?}"
            );
        })
    });
}

#[test]
fn permits_added_at_once_reach_every_waiter_in_any_poll_order() {
    passes_everywhere(|| {
        future::block_on(async {
            use racecheck::future::sync::Semaphore;
            use racecheck::sync::Arc;
            let sem = Arc::new(Semaphore::named("slots", 0));
            let waiters: Vec<_> = (0..2)
                .map(|i| {
                    let sem = sem.clone();
                    future::spawn_named(format!("waiter-{i}"), async move {
                        let permit = sem.acquire().await.unwrap();
                        std::mem::forget(permit);
                    })
                })
                .collect();
            future::yield_now().await;
            atime::sleep(secs(1)).await;
            sem.add_permits(2);
            for w in waiters {
                w.await;
            }
            invariant!(sem.available_permits() == 0, "both permits taken");
        })
    });
}

#[test]
fn try_acquire_leaves_waiters_their_claim_and_close_fails_every_acquire() {
    passes_everywhere(|| {
        future::block_on(async {
            use racecheck::future::sync::{AcquireError, Semaphore, TryAcquireError};
            use racecheck::sync::Arc;
            let sem = Arc::new(Semaphore::named("pool", 1));
            let held = sem.try_acquire();
            invariant!(held.is_ok(), "the free permit is taken at once");
            let second = sem.try_acquire().err();
            invariant!(
                second == Some(TryAcquireError::NoPermits),
                "a second try found {second:?}"
            );
            let waiter = {
                let sem = sem.clone();
                future::spawn_named("waiter", async move {
                    sem.acquire_many(2).await.map(|p| p.num_permits())
                })
            };
            atime::sleep(secs(1)).await;
            drop(held);
            let behind = sem.try_acquire().err();
            invariant!(
                behind == Some(TryAcquireError::NoPermits),
                "the permit given back is the waiter's claim, yet a try found {behind:?}"
            );
            sem.close();
            let got = waiter.await;
            invariant!(
                matches!(got, Err(AcquireError { .. })),
                "the waiter got {got:?}"
            );
            let late = sem.acquire().await.err();
            invariant!(late.is_some(), "an acquire after close succeeded");
            let tried = sem.try_acquire().err();
            invariant!(
                tried == Some(TryAcquireError::Closed),
                "a try after close found {tried:?}"
            );
            invariant!(sem.is_closed(), "is_closed says open");
            invariant!(sem.available_permits() == 1, "the dropped permit came back");
        })
    });
}

#[test]
fn a_join_set_gives_outputs_in_the_order_tasks_finish() {
    passes_everywhere(|| {
        future::block_on(async {
            let mut set = future::task::JoinSet::new();
            for (name, wait) in [("slow", 3), ("fast", 1), ("middle", 2)] {
                set.spawn_named(name, async move {
                    atime::sleep(secs(wait)).await;
                    name
                });
            }
            let mut order = Vec::new();
            while let Some(name) = set.join_next().await {
                order.push(name);
            }
            invariant!(order == ["fast", "middle", "slow"], "finished as {order:?}");
            invariant!(set.is_empty(), "the set is drained");
        })
    });
}

/// Under the model backends only: on tokio the closure runs in place (see the docs of
/// `future::task::spawn_blocking`), so the ticker waits for it there.
#[test]
fn spawn_blocking_leaves_the_worker_free_for_other_tasks() {
    for b in [
        BackendKind::Loom,
        BackendKind::Random,
        BackendKind::Pct,
        BackendKind::Dfs,
    ] {
        let r = Check::new(spawn_blocking_beside_a_ticker)
            .backend(b)
            .executions(200)
            .run();
        assert!(
            r.failure.is_none(),
            "{b}: {:?}",
            r.failure.map(|f| f.outcome)
        );
    }
}

#[test]
fn spawn_blocking_returns_its_result_on_tokio() {
    passes_everywhere(|| {
        future::block_on(async {
            let v = future::task::spawn_blocking(|| 6 * 7).await;
            invariant!(v == 42, "the blocking closure returned {v}");
        })
    });
}

fn spawn_blocking_beside_a_ticker() {
    {
        future::block_on(async {
            let ticker = future::spawn_named("ticker", async {
                atime::sleep(secs(10)).await;
                time::now().since_start()
            });
            // 100 s of blocking work, off the worker: the ticker still wakes at 10 s.
            let work = future::task::spawn_blocking(|| {
                time::sleep(secs(100));
                42
            });
            let woke = ticker.await;
            invariant!(woke == secs(10), "the ticker woke at {woke:?}");
            let v = work.await;
            invariant!(v == 42, "the blocking closure returned {v}");
        })
    }
}
