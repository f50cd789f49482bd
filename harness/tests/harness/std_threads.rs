//! `thread::scope`, `park`/`unpark`/`park_timeout` and `mpsc::sync_channel` under every
//! backend: what passes passes everywhere, and what fails is found by every backend, and
//! replays step for step.

use crate::std_parity::passes_everywhere;
use racecheck::sync::atomic::{AtomicUsize, Ordering};
use racecheck::sync::mpsc::{self, TryRecvError, TrySendError};
use racecheck::sync::{Arc, Mutex};
use racecheck::{invariant, thread, time, BackendKind, Check, Failure, OutcomeKind};
use std::time::Duration;

const SEQ: Ordering = Ordering::SeqCst;

/// Every backend finds `kind` in `body` (real threads too when `threads`), and each model
/// backend's failure replays with the same steps and outcome. The failures, by backend.
fn found_everywhere(body: fn(), kind: OutcomeKind, threads: bool) -> Vec<(BackendKind, Failure)> {
    let mut found = Vec::new();
    for backend in BackendKind::ALL {
        if backend == BackendKind::Threads && !threads {
            continue;
        }
        let r = Check::new(body).backend(backend).executions(2_000).run();
        let f = r.failure.unwrap_or_else(|| panic!("{backend}: not found"));
        assert_eq!(f.outcome.kind(), kind, "{backend}: {}", f.outcome);
        if backend != BackendKind::Threads {
            let replayed = racecheck::check::replay_schedule(body, f.trace.schedule());
            assert_eq!(replayed.diverged_at, None, "{backend}");
            assert_eq!(replayed.trace.lines(), f.trace.lines(), "{backend}");
            assert_eq!(replayed.outcome, f.outcome, "{backend}");
        }
        found.push((backend, f));
    }
    found
}

#[test]
fn scoped_threads_borrow_the_callers_data_and_the_scope_joins_them() {
    passes_everywhere(|| {
        let mut halves = [0, 0];
        let count = Mutex::named("count", 0);
        let seven = thread::scope(|s| {
            let (a, b) = halves.split_at_mut(1);
            // Not joined by hand: the scope's end joins it.
            s.spawn(|| {
                a[0] += 1;
                *count.lock().unwrap() += 1;
            });
            let h = s.spawn(|| {
                b[0] += 2;
                *count.lock().unwrap() += 1;
                7
            });
            assert_eq!(h.thread().name(), "thread-2");
            h.join().unwrap()
        });
        assert_eq!(seven, 7);
        assert_eq!(halves, [1, 2], "both threads ran before scope returned");
        assert_eq!(*count.lock().unwrap(), 2);
    });
}

/// Two scoped threads increment a borrowed counter, reading and writing it under separate
/// locks. (A mutex, not an atomic: loom's failures of atomics may be weak-memory outcomes,
/// which the replay, under shuttle, does not have.)
fn scoped_lost_update() {
    let n = Mutex::named("n", 0);
    thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| {
                let seen = *n.lock().unwrap();
                *n.lock().unwrap() = seen + 1;
            });
        }
    });
    invariant!(*n.lock().unwrap() == 2, "lost update");
}

#[test]
fn a_race_between_scoped_threads_is_found_and_replays() {
    found_everywhere(scoped_lost_update, OutcomeKind::Invariant, false);
}

/// main holds a mutex its scoped thread needs while the scope's end joins that thread.
fn scope_end_waits_on_a_blocked_thread() {
    let m = Mutex::named("m", ());
    let _held = m.lock().unwrap();
    thread::scope(|s| {
        thread::Builder::new()
            .name("scoped")
            .spawn_scoped(s, || drop(m.lock().unwrap()))
            .unwrap();
    });
}

#[test]
fn a_scope_waiting_on_a_stuck_thread_is_a_deadlock_naming_it() {
    for (backend, f) in found_everywhere(
        scope_end_waits_on_a_blocked_thread,
        OutcomeKind::Deadlock,
        true,
    ) {
        let text = f.outcome.to_string();
        assert!(
            text.contains("main waits on join of scoped")
                && text.contains("scoped waits on mutex m (held by main)"),
            "{backend}: {text}"
        );
    }
}

#[test]
fn an_unpark_before_the_park_leaves_a_token() {
    passes_everywhere(|| {
        thread::current().unpark();
        thread::park();
        // The token is taken: one more unpark for one more park.
        thread::current().unpark();
        thread::park();
    });
}

#[test]
fn park_waits_for_the_unpark_of_another_thread() {
    passes_everywhere(|| {
        let ready = Arc::new(AtomicUsize::new(0));
        let main = thread::current();
        let r = ready.clone();
        let t = thread::spawn(move || {
            r.store(1, SEQ);
            main.unpark();
        });
        while ready.load(SEQ) == 0 {
            thread::park();
        }
        t.join().unwrap();
    });
}

fn park_with_no_unpark() {
    thread::park();
}

#[test]
fn a_park_no_thread_unparks_is_a_deadlock() {
    for (backend, f) in found_everywhere(park_with_no_unpark, OutcomeKind::Deadlock, true) {
        let text = f.outcome.to_string();
        assert!(text.contains("main waits on unpark"), "{backend}: {text}");
        assert_eq!(f.trace.lines(), ["main: park"], "{backend}");
    }
}

/// The worker unparks main before it publishes the value main then reads.
fn unpark_before_publish() {
    let value = Arc::new(Mutex::named("value", 0));
    let main = thread::current();
    let v = value.clone();
    let t = thread::spawn(move || {
        main.unpark();
        *v.lock().unwrap() = 1;
    });
    thread::park();
    invariant!(*value.lock().unwrap() == 1, "read before it was published");
    t.join().unwrap();
}

#[test]
fn an_unpark_sent_too_early_is_found_and_replays() {
    let found = found_everywhere(unpark_before_publish, OutcomeKind::Invariant, false);
    for (backend, f) in found {
        let lines = f.trace.lines();
        assert!(
            lines.contains(&"thread-1: unpark main".into()),
            "{backend}: {lines:#?}"
        );
        assert!(
            lines.contains(&"main: unparked".into()),
            "{backend}: {lines:#?}"
        );
    }
}

#[test]
fn park_timeout_returns_at_its_deadline_in_virtual_time() {
    passes_everywhere(|| {
        let start = time::now();
        thread::park_timeout(Duration::from_secs(5));
        assert_eq!(start.elapsed(), Duration::from_secs(5));
        // An unpark ends it before its deadline.
        let main = thread::current();
        let t = thread::spawn(move || {
            time::sleep(Duration::from_secs(1));
            main.unpark();
        });
        thread::park_timeout(Duration::from_secs(60));
        assert!(
            start.elapsed() <= Duration::from_secs(6),
            "{:?}",
            start.elapsed()
        );
        t.join().unwrap();
    });
}

#[test]
fn a_sync_channel_holds_at_most_its_bound() {
    passes_everywhere(|| {
        let (tx, rx) = mpsc::sync_channel(1);
        tx.try_send(1).unwrap();
        assert!(matches!(tx.try_send(2), Err(TrySendError::Full(2))));
        assert_eq!(rx.recv().unwrap(), 1);
        // A producer blocks on the full channel until the consumer takes each value.
        let t = thread::spawn(move || {
            for i in 0..2 {
                tx.send(i).unwrap();
            }
        });
        let got: Vec<i32> = rx.iter().collect();
        assert_eq!(got, [0, 1]);
        t.join().unwrap();
    });
}

#[test]
fn a_rendezvous_channel_hands_each_value_to_a_waiting_receiver() {
    passes_everywhere(|| {
        let (tx, rx) = mpsc::sync_channel(0);
        assert!(
            matches!(tx.try_send(0), Err(TrySendError::Full(0))),
            "no receiver waits"
        );
        let a = thread::spawn(move || tx.send(1).unwrap());
        assert_eq!(rx.recv().unwrap(), 1);
        a.join().unwrap();
        assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
    });
}

#[test]
fn a_sender_waiting_for_room_fails_once_the_receiver_is_gone() {
    passes_everywhere(|| {
        let (tx, rx) = mpsc::sync_channel(1);
        let t = thread::spawn(move || (tx.send(1), tx.send(2).map_err(|e| e.0)));
        assert_eq!(rx.recv().unwrap(), 1);
        drop(rx);
        let (first, second) = t.join().unwrap();
        assert!(first.is_ok());
        // Either queued before the receiver went, or refused after: never lost waiting.
        assert!(matches!(second, Ok(()) | Err(2)), "{second:?}");
    });
}

/// main sends twice into a channel of bound 1 that only main receives from.
fn send_into_a_full_channel() {
    let (tx, _rx) = mpsc::named_sync_channel("jobs", 1);
    tx.send(1).unwrap();
    tx.send(2).unwrap();
}

#[test]
fn a_send_on_a_full_channel_nobody_drains_is_a_deadlock_naming_it() {
    for (backend, f) in found_everywhere(send_into_a_full_channel, OutcomeKind::Deadlock, true) {
        let text = f.outcome.to_string();
        assert!(
            text.contains("main waits on condvar jobs.full"),
            "{backend}: {text}"
        );
    }
}

/// A worker sends to a rendezvous channel whose receiver waits on the worker first.
fn rendezvous_against_a_join() {
    let (tx, rx) = mpsc::named_sync_channel("handoff", 0);
    let t = thread::Builder::new()
        .name("worker")
        .spawn(move || tx.send(1).unwrap())
        .unwrap();
    t.join().unwrap();
    let _ = rx.recv();
}

#[test]
fn a_rendezvous_nobody_takes_is_a_deadlock_naming_the_channel() {
    for (backend, f) in found_everywhere(rendezvous_against_a_join, OutcomeKind::Deadlock, true) {
        let text = f.outcome.to_string();
        assert!(
            text.contains("worker waits on condvar handoff.full")
                && text.contains("main waits on join of worker"),
            "{backend}: {text}"
        );
    }
}
