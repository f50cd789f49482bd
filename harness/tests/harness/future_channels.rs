//! tokio's channels and async `RwLock` as a service uses them (`mpsc`, `watch`, `RwLock`),
//! under loom, the shuttle schedulers and tokio: each semantics model passes in every order,
//! and each bug model (a dropped message, a missed change, a lost update) is found by the
//! model backends while its fix passes everywhere.

use super::future_primitives::{passes_everywhere, secs};
use racecheck::future::sync::{mpsc, watch, RwLock};
use racecheck::future::{self, time as atime};
use racecheck::sync::{Arc, Mutex};
use racecheck::time;
use racecheck::{invariant, BackendKind, Check};

/// The bug is found by loom, DFS, PCT and the random walk, and says `expect` in its outcome.
fn found_by_the_model_backends(body: fn(), expect: &str) {
    for b in [
        BackendKind::Loom,
        BackendKind::Dfs,
        BackendKind::Pct,
        BackendKind::Random,
    ] {
        let r = Check::new(body).backend(b).executions(200).seed(5).run();
        let f = r.failure.unwrap_or_else(|| panic!("{b}: not found"));
        let text = f.outcome.to_string();
        assert!(text.contains(expect), "{b}: {text}");
    }
}

#[test]
fn mpsc_keeps_each_senders_order_and_ends_when_the_senders_drop() {
    passes_everywhere(|| {
        future::block_on(async {
            let (tx, mut rx) = mpsc::named("jobs", 1);
            let producers: Vec<_> = [0u32, 10]
                .into_iter()
                .map(|base| {
                    let tx = tx.clone();
                    future::spawn_named(format!("producer-{base}"), async move {
                        for i in 0..2 {
                            invariant!(tx.send(base + i).await.is_ok(), "the receiver is alive");
                        }
                    })
                })
                .collect();
            drop(tx);
            let mut got = Vec::new();
            while let Some(m) = rx.recv().await {
                got.push(m);
            }
            let from = |base: u32| -> Vec<u32> {
                got.iter()
                    .copied()
                    .filter(|m| m / 10 == base / 10)
                    .collect()
            };
            invariant!(got.len() == 4, "received {got:?}");
            invariant!(
                from(0) == [0, 1] && from(10) == [10, 11],
                "out of order: {got:?}"
            );
            for p in producers {
                p.await;
            }
        })
    });
}

#[test]
fn a_full_channel_refuses_try_send_and_a_closed_one_gives_messages_back() {
    passes_everywhere(|| {
        future::block_on(async {
            let (tx, mut rx) = mpsc::named("jobs", 1);
            invariant!(tx.try_send(1).is_ok(), "room for one");
            invariant!(
                tx.try_send(2) == Err(mpsc::TrySendError::Full(2)),
                "a second message fits a channel of one"
            );
            // The sender waits for room the receiver makes.
            let tx2 = tx.clone();
            let waiter = future::spawn_named("waiter", async move {
                invariant!(tx2.send(3).await.is_ok(), "sent once there was room");
            });
            invariant!(rx.recv().await == Some(1), "first in, first out");
            invariant!(rx.recv().await == Some(3), "the waiting send went through");
            waiter.await;
            invariant!(
                rx.try_recv() == Err(mpsc::TryRecvError::Empty),
                "nothing queued"
            );
            drop(rx);
            invariant!(tx.is_closed(), "the sender sees the receiver gone");
            invariant!(
                tx.send(4).await == Err(mpsc::SendError(4)),
                "a send to no receiver gives the message back"
            );

            let (utx, mut urx) = mpsc::unbounded_named("events");
            for i in 0..3 {
                invariant!(utx.send(i).is_ok(), "an unbounded send never waits");
            }
            drop(utx);
            let mut got = Vec::new();
            while let Some(m) = urx.recv().await {
                got.push(m);
            }
            invariant!(got == [0, 1, 2], "received {got:?}");
        })
    });
}

/// A producer offers its second message with `try_send` and ignores `Full`: lost whenever the
/// consumer has not taken the first by then (a task order the schedulers choose).
#[test]
fn a_reserved_slot_holds_room_until_its_permit_sends_or_drops() {
    passes_everywhere(|| {
        future::block_on(async {
            let (tx, mut rx) = mpsc::named("jobs", 1);
            let Ok(permit) = tx.reserve().await else {
                invariant!(false, "reserving room in an empty channel failed");
                return;
            };
            invariant!(tx.capacity() == 0, "the reserved room is still free");
            let refused = tx.try_send(9);
            invariant!(
                refused == Err(mpsc::TrySendError::Full(9)),
                "a send took the reserved room: {refused:?}"
            );
            let late = {
                let tx = tx.clone();
                future::spawn_named("late", async move { tx.send(2).await.is_ok() })
            };
            atime::sleep(secs(1)).await;
            drop(permit);
            let got = rx.recv().await;
            invariant!(got == Some(2), "the room given back went to {got:?}");
            invariant!(late.await, "the waiting sender's send failed");
            match tx.try_reserve() {
                Ok(permit) => permit.send(3),
                Err(e) => invariant!(false, "no room after the receive: {e:?}"),
            }
            let got = rx.recv().await;
            invariant!(got == Some(3), "the permit sent {got:?}");
            drop(rx);
            invariant!(
                tx.reserve().await.is_err(),
                "reserved room with no receiver"
            );
        })
    });
}

#[test]
fn wait_for_gives_the_first_value_that_satisfies_it_and_fails_once_none_can() {
    passes_everywhere(|| {
        future::block_on(async {
            let (tx, mut rx) = watch::named("phase", 0u32);
            let setter = future::spawn_named("setter", async move {
                for v in 1..=3 {
                    atime::sleep(secs(1)).await;
                    invariant!(tx.send(v).is_ok(), "the receiver is alive");
                }
            });
            let got = rx.wait_for(|v| *v >= 2).await.map(|r| *r);
            invariant!(got == Ok(2), "waited for 2 or more, got {got:?}");
            let at = time::now().since_start();
            invariant!(at == secs(2), "the value reached 2 at {at:?}");
            let now = rx.wait_for(|v| *v >= 1).await.map(|r| *r);
            invariant!(now == Ok(2), "the current value satisfies at once: {now:?}");
            let never = rx.wait_for(|v| *v > 10).await.err();
            invariant!(
                never == Some(watch::RecvError),
                "no value can satisfy it once the sender is gone: {never:?}"
            );
            setter.await;
        })
    });
}

fn try_send_drops_a_message(fixed: bool) {
    future::block_on(async move {
        let (tx, mut rx) = mpsc::named("jobs", 1);
        let producer = future::spawn_named("producer", async move {
            let _ = tx.try_send(1);
            future::yield_now().await;
            if fixed {
                let _ = tx.send(2).await;
            } else {
                let _ = tx.try_send(2);
            }
        });
        let mut got = Vec::new();
        while let Some(m) = rx.recv().await {
            got.push(m);
        }
        producer.await;
        invariant!(got == [1, 2], "received {got:?}");
    })
}

#[test]
fn a_message_dropped_by_try_send_on_a_full_channel_is_found() {
    found_by_the_model_backends(|| try_send_drops_a_message(false), "received [1]");
    passes_everywhere(|| try_send_drops_a_message(true));
}

#[test]
fn watch_receivers_see_the_newest_value_until_the_sender_drops() {
    passes_everywhere(|| {
        future::block_on(async {
            let (tx, mut rx) = watch::named("config", 0u32);
            let mut other = tx.subscribe();
            invariant!(tx.receiver_count() == 2, "two receivers");
            let writer = future::spawn_named("writer", async move {
                for v in 1..=3 {
                    invariant!(tx.send(v).is_ok(), "receivers are alive");
                    future::yield_now().await;
                }
            });
            let mut last = *rx.borrow();
            while rx.changed().await.is_ok() {
                let v = *rx.borrow_and_update();
                invariant!(v > last, "went from {last} back to {v}");
                last = v;
            }
            invariant!(last == 3, "the last value seen was {last}");
            invariant!(other.has_changed().is_err(), "the sender is gone");
            invariant!(*other.borrow_and_update() == 3, "the newest value stays");
            writer.await;

            let (tx, rx) = watch::channel(1);
            drop(rx);
            invariant!(
                tx.send(2) == Err(watch::SendError(2)),
                "no receiver: the value comes back"
            );
            invariant!(*tx.borrow() == 1, "and the channel keeps the old one");
        })
    });
}

/// A watcher counts `changed()` wake-ups as events: two sends before it looks are one change,
/// so it counts one. The fix sends the events through a channel that keeps each.
fn counting_watch_changes(fixed: bool) {
    future::block_on(async move {
        let (tx, mut rx) = watch::named("deploys", 0u32);
        let (etx, mut erx) = mpsc::unbounded_named("deploy events");
        let deployer = future::spawn_named("deployer", async move {
            for v in 1..=2 {
                tx.send_modify(|n| *n = v);
                let _ = etx.send(v);
                future::yield_now().await;
            }
        });
        let mut seen = 0;
        if fixed {
            while erx.recv().await.is_some() {
                seen += 1;
            }
        } else {
            while rx.changed().await.is_ok() {
                seen += 1;
            }
        }
        deployer.await;
        invariant!(seen == 2, "counted {seen} deploys of 2");
    })
}

#[test]
fn a_missed_watch_change_is_found_and_a_channel_fixes_it() {
    found_by_the_model_backends(|| counting_watch_changes(false), "counted 1 deploys");
    passes_everywhere(|| counting_watch_changes(true));
}

#[test]
fn rwlock_readers_share_and_a_writer_is_alone() {
    passes_everywhere(|| {
        future::block_on(async {
            let lock = Arc::new(RwLock::named("table", 0u32));
            // (readers inside, most readers inside at once, writer inside).
            let inside = Arc::new(Mutex::named("inside", (0u32, 0u32, false)));
            let readers: Vec<_> = (0..2)
                .map(|i| {
                    let (lock, inside) = (lock.clone(), inside.clone());
                    future::spawn_named(format!("reader-{i}"), async move {
                        let _g = lock.read().await;
                        {
                            let mut s = inside.lock().unwrap();
                            invariant!(!s.2, "a reader beside the writer");
                            s.0 += 1;
                            s.1 = s.1.max(s.0);
                        }
                        atime::sleep(secs(1)).await;
                        inside.lock().unwrap().0 -= 1;
                    })
                })
                .collect();
            let (l, ins) = (lock.clone(), inside.clone());
            let writer = future::spawn_named("writer", async move {
                let mut g = l.write().await;
                {
                    let mut s = ins.lock().unwrap();
                    invariant!(s.0 == 0, "the writer beside {} readers", s.0);
                    s.2 = true;
                }
                atime::sleep(secs(1)).await;
                *g += 1;
                ins.lock().unwrap().2 = false;
            });
            for r in readers {
                r.await;
            }
            writer.await;
            invariant!(*lock.read().await == 1, "the write was lost");
            let at = time::now().since_start();
            // 2 s if the writer comes first or last; 3 s if it queues between the readers,
            // for the reader behind it waits (tokio's write preference).
            invariant!(
                at == secs(2) || at == secs(3),
                "readers and writer took {at:?}"
            );
        })
    });
}

#[test]
fn a_reader_that_comes_after_a_waiting_writer_waits_behind_it() {
    passes_everywhere(|| {
        future::block_on(async {
            let lock = Arc::new(RwLock::named("table", ()));
            let log = Arc::new(Mutex::named("log", Vec::new()));
            let first = lock.read().await;
            let (l, g) = (lock.clone(), log.clone());
            let writer = future::spawn_named("writer", async move {
                let _w = l.write().await;
                g.lock().unwrap().push("writer");
            });
            atime::sleep(secs(1)).await;
            let (l, g) = (lock.clone(), log.clone());
            let reader = future::spawn_named("late-reader", async move {
                let _r = l.read().await;
                g.lock().unwrap().push("late reader");
            });
            atime::sleep(secs(1)).await;
            invariant!(
                log.lock().unwrap().is_empty(),
                "someone passed the reader inside"
            );
            drop(first);
            writer.await;
            reader.await;
            let order = log.lock().unwrap().clone();
            invariant!(order == ["writer", "late reader"], "served as {order:?}");
        })
    });
}

/// Two tasks add one each: read, await, write back. The fix holds the write guard across.
fn read_modify_write_across_an_await(fixed: bool) {
    future::block_on(async move {
        let lock = Arc::new(RwLock::named("counter", 0u32));
        let adders: Vec<_> = (0..2)
            .map(|i| {
                let lock = lock.clone();
                future::spawn_named(format!("adder-{i}"), async move {
                    if fixed {
                        let mut g = lock.write().await;
                        let v = *g;
                        future::yield_now().await;
                        *g = v + 1;
                    } else {
                        let v = *lock.read().await;
                        future::yield_now().await;
                        *lock.write().await = v + 1;
                    }
                })
            })
            .collect();
        for a in adders {
            a.await;
        }
        let n = *lock.read().await;
        invariant!(n == 2, "two adds made {n}");
    })
}

#[test]
fn a_read_modify_write_across_an_await_is_found_and_a_held_write_guard_fixes_it() {
    found_by_the_model_backends(
        || read_modify_write_across_an_await(false),
        "two adds made 1",
    );
    passes_everywhere(|| read_modify_write_across_an_await(true));
}
