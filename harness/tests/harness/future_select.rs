//! `select2`/`select3` and `select!`, like tokio's `select!`: the first ready branch wins, of
//! several ready at once the backend chooses (loom and DFS run each), and a losing branch's
//! future is dropped: the cancellation-safety bug is found and its fix passes everywhere.

use super::future_primitives::{passes_everywhere, secs};
use racecheck::future::sync::{mpsc, oneshot};
use racecheck::future::{self, time as atime, Either, Either3};
use racecheck::time;
use racecheck::{invariant, BackendKind, Check, Verdict};
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex as StdMutex};

#[test]
fn the_first_branch_ready_wins_and_the_others_are_dropped() {
    passes_everywhere(|| {
        future::block_on(async {
            let won = future::select2(
                async {
                    atime::sleep(secs(1)).await;
                    "fast"
                },
                async {
                    atime::sleep(secs(5)).await;
                    "slow"
                },
            )
            .await;
            invariant!(won == Either::Left("fast"), "won: {won:?}");
            let at = time::now().since_start();
            invariant!(at == secs(1), "the select returned at {at:?}");

            let (tx, mut rx) = mpsc::named("jobs", 1);
            let sender = future::spawn_named("sender", async move {
                atime::sleep(secs(2)).await;
                let _ = tx.send(7).await;
            });
            let got = racecheck::select! {
                m = rx.recv() => m,
                _ = atime::sleep(secs(10)) => None,
                _ = atime::sleep(secs(20)) => None,
            };
            invariant!(got == Some(7), "the message lost to a timer: {got:?}");
            sender.await;
            let at = time::now().since_start();
            invariant!(at == secs(3), "done at {at:?}");
        })
    });
}

/// Which branch wins when every branch is ready at the first poll, over one run of `backend`.
fn winners(backend: BackendKind, biased: bool) -> (Verdict, BTreeSet<usize>) {
    let seen = Arc::new(StdMutex::new(BTreeSet::new()));
    let s = seen.clone();
    let r = Check::new(move || {
        let won = future::block_on(async move {
            let (a, b, c) = (
                std::future::ready(()),
                std::future::ready(()),
                std::future::ready(()),
            );
            if biased {
                future::select3_biased(a, b, c).await
            } else {
                future::select3(a, b, c).await
            }
        });
        let i = match won {
            Either3::First(()) => 0,
            Either3::Second(()) => 1,
            Either3::Third(()) => 2,
        };
        s.lock().unwrap().insert(i);
    })
    .backend(backend)
    .executions(100)
    .seed(2)
    .run();
    let seen = seen.lock().unwrap().clone();
    (r.verdict(), seen)
}

#[test]
fn which_ready_branch_wins_is_explored_unless_biased() {
    for b in [BackendKind::Loom, BackendKind::Dfs] {
        let (verdict, seen) = winners(b, false);
        assert_eq!(verdict, Verdict::Verified, "{b}");
        assert_eq!(seen, BTreeSet::from([0, 1, 2]), "{b}");
    }
    for b in [BackendKind::Pct, BackendKind::Random, BackendKind::Threads] {
        let (_, seen) = winners(b, false);
        assert_eq!(
            seen,
            BTreeSet::from([0, 1, 2]),
            "{b}: the draw covers each branch"
        );
    }
    for b in [BackendKind::Loom, BackendKind::Random] {
        let (_, seen) = winners(b, true);
        assert_eq!(
            seen,
            BTreeSet::from([0]),
            "{b}: biased polls the first first"
        );
    }
}

/// A consumer reads jobs two at a time inside a `select` against a stop signal. The pair's
/// future is not cancellation safe: when stop wins while it holds the first job, that job
/// is dropped with it. The fix selects on `recv` itself, which takes a message only when it
/// returns it, and drains what is queued after stop.
fn consumer_with_a_stop_signal(fixed: bool) {
    future::block_on(async move {
        let (tx, mut rx) = mpsc::named("jobs", 4);
        let (stop_tx, mut stop_rx) = oneshot::named("stop");
        let producer = future::spawn_named("producer", async move {
            let _ = tx.send(1).await;
            future::yield_now().await;
            let _ = tx.send(2).await;
            let _ = stop_tx.send(());
        });
        let mut got = Vec::new();
        if fixed {
            loop {
                racecheck::select! {
                    m = rx.recv() => match m {
                        Some(m) => got.push(m),
                        None => break,
                    },
                    _ = &mut stop_rx => break,
                }
            }
        } else {
            loop {
                let pair = async {
                    let a = rx.recv().await;
                    let b = rx.recv().await;
                    [a, b]
                };
                match future::select2(pair, &mut stop_rx).await {
                    Either::Left(pair) => {
                        let closed = pair.contains(&None);
                        got.extend(pair.into_iter().flatten());
                        if closed {
                            break;
                        }
                    }
                    Either::Right(_) => break,
                }
            }
        }
        while let Ok(m) = rx.try_recv() {
            got.push(m);
        }
        producer.await;
        invariant!(got == [1, 2], "received {got:?}");
    })
}

#[test]
fn a_branch_dropped_mid_way_loses_its_message_and_recv_in_the_select_fixes_it() {
    // Not on tokio: its current_thread runtime polls the yielding producer again before the
    // `block_on` future, so both jobs are queued before the pair's first poll and it never
    // stops half-way. The model backends choose that task order too, and the other one.
    for b in [
        BackendKind::Loom,
        BackendKind::Dfs,
        BackendKind::Pct,
        BackendKind::Random,
    ] {
        let r = Check::new(|| consumer_with_a_stop_signal(false))
            .backend(b)
            .executions(200)
            .seed(5)
            .run();
        let f = r.failure.unwrap_or_else(|| panic!("{b}: not found"));
        let text = f.outcome.to_string();
        assert!(text.contains("received [2]"), "{b}: {text}");
        assert!(
            f.trace.lines().iter().any(|l| l.contains("select branch")),
            "{b}: the choice is a step of the trace"
        );
    }
    passes_everywhere(|| consumer_with_a_stop_signal(true));
}
