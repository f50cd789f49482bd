//! The parts of std's API a user's code calls, under every backend: `Mutex::try_lock`,
//! `into_inner`, `get_mut`, every atomic width, the bitwise and update operations, and
//! `invariant!` without a message.

use racecheck::sync::atomic::{AtomicBool, AtomicI32, AtomicI8, AtomicU8, AtomicUsize, Ordering};
use racecheck::sync::{Arc, Mutex};
use racecheck::{invariant, thread, BackendKind, Check, Outcome, OutcomeKind};

const SEQ: Ordering = Ordering::SeqCst;

/// `body` passes under every backend (loom and DFS: every execution).
pub(crate) fn passes_everywhere(body: fn()) {
    for backend in BackendKind::ALL {
        let exhaustive = matches!(backend, BackendKind::Loom | BackendKind::Dfs);
        let budget = if exhaustive { 100_000 } else { 300 };
        let r = Check::new(body).backend(backend).executions(budget).run();
        assert!(
            r.failure.is_none(),
            "{backend}: {:?}",
            r.failure.map(|f| f.outcome)
        );
        if exhaustive {
            assert!(r.complete, "{backend} explored {} executions", r.executions);
        }
    }
}

#[test]
fn try_lock_fails_while_held_and_takes_a_free_lock() {
    passes_everywhere(|| {
        let m = Arc::new(Mutex::named("m", 0));
        let g = m.lock().unwrap();
        assert!(m.try_lock().is_err(), "held by this thread");
        drop(g);
        *m.try_lock().unwrap() += 1;
        // Two threads try once each: at most one holds it at a time, and a failed try
        // never blocks.
        let m2 = m.clone();
        let t = thread::spawn(move || {
            if let Ok(mut g) = m2.try_lock() {
                *g += 10;
            }
        });
        if let Ok(mut g) = m.try_lock() {
            *g += 100;
        }
        t.join().unwrap();
        let v = *m.lock().unwrap();
        invariant!([1, 11, 101, 111].contains(&v), "value {v}");
    });
}

#[test]
fn a_try_lock_that_finds_the_lock_held_is_a_step_of_the_trace() {
    let r = Check::new(|| {
        let m = Mutex::named("m", ());
        let _g = m.lock().unwrap();
        let _ = m.try_lock();
        invariant!(false, "stop here");
    })
    .backend(BackendKind::Dfs)
    .run();
    let f = r.assert_found(OutcomeKind::Invariant);
    assert!(f
        .trace
        .lines()
        .contains(&"main: try_lock m: held".to_string()));
}

#[test]
fn into_inner_and_get_mut_reach_the_value_without_locking() {
    passes_everywhere(|| {
        let mut m = Mutex::new(vec![1]);
        m.get_mut().unwrap().push(2);
        let shared = Arc::new(m);
        let s = shared.clone();
        thread::spawn(move || s.lock().unwrap().push(3))
            .join()
            .unwrap();
        let m = Arc::into_inner(shared).unwrap();
        invariant!(m.into_inner().unwrap() == vec![1, 2, 3]);
        let d: Mutex<u8> = Mutex::default();
        invariant!(*d.lock().unwrap() == 0);
    });
}

#[test]
fn every_atomic_width_and_operation_works_as_std() {
    passes_everywhere(|| {
        let a = AtomicI32::new(-5);
        invariant!(a.fetch_add(7, SEQ) == -5);
        invariant!(a.fetch_max(10, SEQ) == 2);
        invariant!(a.fetch_min(-1, SEQ) == 10);
        invariant!(a.fetch_update(SEQ, SEQ, |v| Some(v * 3)) == Ok(-1));
        invariant!(a.fetch_update(SEQ, SEQ, |_| None) == Err(-3));
        invariant!(a.into_inner() == -3);
        let b = AtomicU8::new(0b1010);
        invariant!(b.fetch_or(0b0101, SEQ) == 0b1010);
        invariant!(b.fetch_and(0b0110, SEQ) == 0b1111);
        invariant!(b.fetch_xor(0b0011, SEQ) == 0b0110);
        invariant!(b.load(SEQ) == 0b0101);
        let c = AtomicI8::new(i8::MAX);
        invariant!(c.fetch_add(1, SEQ) == i8::MAX);
        invariant!(c.load(SEQ) == i8::MIN, "fetch_add wraps, as std's");
        let flag = AtomicBool::default();
        invariant!(!flag.fetch_or(true, SEQ));
        invariant!(flag.fetch_nand(true, SEQ));
        invariant!(!flag.load(SEQ), "true nand true is false");
        let cas = AtomicUsize::from(3);
        while cas.compare_exchange_weak(3, 4, SEQ, SEQ).is_err() {}
        invariant!(cas.load(SEQ) == 4);
    });
}

#[test]
fn concurrent_fetch_or_and_fetch_update_lose_no_update() {
    passes_everywhere(|| {
        let bits = Arc::new(AtomicU8::new(0));
        let count = Arc::new(AtomicI32::new(0));
        let (b, c) = (bits.clone(), count.clone());
        let t = thread::spawn(move || {
            b.fetch_or(0b01, SEQ);
            let _ = c.fetch_update(SEQ, SEQ, |v| Some(v + 1));
        });
        bits.fetch_or(0b10, SEQ);
        let _ = count.fetch_update(SEQ, SEQ, |v| Some(v + 1));
        t.join().unwrap();
        invariant!(bits.load(SEQ) == 0b11);
        invariant!(count.load(SEQ) == 2);
    });
}

#[test]
fn invariant_without_a_message_names_its_condition() {
    let r = Check::new(|| {
        let n = AtomicI32::new(1);
        invariant!(n.load(SEQ) == 2);
    })
    .backend(BackendKind::Dfs)
    .run();
    let f = r.assert_found(OutcomeKind::Invariant);
    assert_eq!(
        f.outcome,
        Outcome::Invariant {
            thread: "main".into(),
            message: "invariant `n.load(SEQ) == 2` does not hold".into(),
        }
    );
}

#[test]
fn once_lock_and_lazy_lock_initialise_once_under_every_backend() {
    use racecheck::sync::{LazyLock, OnceLock};
    passes_everywhere(|| {
        let cell = Arc::new(OnceLock::new());
        let inits = Arc::new(AtomicI32::new(0));
        let (c, i) = (cell.clone(), inits.clone());
        let t = thread::spawn(move || {
            *c.get_or_init(|| {
                i.fetch_add(1, SEQ);
                "worker"
            })
        });
        let mine = *cell.get_or_init(|| {
            inits.fetch_add(1, SEQ);
            "main"
        });
        let theirs = t.join().unwrap();
        invariant!(mine == theirs, "{mine} vs {theirs}");
        invariant!(inits.load(SEQ) == 1);
        invariant!(cell.set("late") == Err("late"));
        let lazy = LazyLock::new(|| 6 * 7);
        invariant!(*lazy == 42);
    });
}

#[test]
fn mpsc_delivers_in_order_and_disconnects_when_senders_are_gone() {
    use racecheck::sync::mpsc;
    passes_everywhere(|| {
        let (tx, rx) = mpsc::channel();
        let tx2 = tx.clone();
        let t = thread::spawn(move || {
            tx2.send(1).unwrap();
            tx2.send(2).unwrap();
        });
        drop(tx);
        let got: Vec<i32> = rx.iter().collect();
        t.join().unwrap();
        invariant!(got == [1, 2], "one sender's values in order: {got:?}");
        invariant!(rx.try_recv() == Err(mpsc::TryRecvError::Disconnected));
    });
}

/// `body` deadlocks under each of `backends` within `executions`, described as `expected`.
fn deadlocks_as(
    backends: impl IntoIterator<Item = BackendKind>,
    executions: u64,
    body: fn(),
    expected: &str,
) {
    for backend in backends {
        let r = Check::new(body)
            .backend(backend)
            .executions(executions)
            .run();
        let f = r.assert_found(OutcomeKind::Deadlock);
        assert_eq!(f.outcome.to_string(), expected, "{backend}");
    }
}

#[test]
fn a_receiver_nobody_sends_to_is_a_deadlock_naming_the_channel() {
    use racecheck::sync::mpsc;
    deadlocks_as(
        BackendKind::ALL,
        50,
        || {
            let (tx, rx) = mpsc::named_channel::<u8>("jobs");
            let _keep = tx.clone();
            thread::spawn(move || drop(tx)).join().unwrap();
            let _ = rx.recv();
        },
        "deadlock: main waits on condvar jobs (no notification will come)",
    );
}

/// Locking a mutex the thread already holds blocks it for good, as std's does on Linux, while
/// another thread still has work to do: every backend reports the deadlock once that thread is
/// done, naming the holder. (shuttle's own mutex panics at the second lock instead, with a
/// message that names shuttle's source file.)
#[test]
fn relocking_a_held_mutex_is_a_deadlock_on_every_backend() {
    let guided = [BackendKind::Urw, BackendKind::Pos, BackendKind::ReadsFrom];
    deadlocks_as(
        BackendKind::ALL.into_iter().chain(guided),
        20,
        || {
            let m = Mutex::named("m", ());
            let n = Arc::new(Mutex::named("n", 0));
            let n2 = n.clone();
            let t = thread::spawn(move || {
                for _ in 0..3 {
                    *n2.lock().unwrap() += 1;
                }
            });
            let _held = m.lock().unwrap();
            let _again = m.lock().unwrap();
            t.join().unwrap();
        },
        "deadlock: main waits on mutex m (held by main)",
    );
}
