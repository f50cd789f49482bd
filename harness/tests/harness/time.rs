//! Virtual time: the clock moves only when no thread can run, to the earliest deadline.

use racecheck::sync::{Arc, Condvar, Mutex};
use racecheck::time::{self, Duration};
use racecheck::{invariant, thread, BackendKind, Check, OutcomeKind};

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

/// A waiter with a 5 s timeout times out at t=5s; a sleeper sets the flag at t=10s and
/// notifies; an untimed wait then wakes at t=10s.
fn timeout_then_notify() {
    let pair = Arc::new((Mutex::named("flag", false), Condvar::named("set")));
    let p2 = pair.clone();
    let setter = thread::Builder::new()
        .name("setter")
        .spawn(move || {
            time::sleep(secs(10));
            *p2.0.lock().unwrap() = true;
            p2.1.notify_all();
        })
        .unwrap();
    let g = pair.0.lock().unwrap();
    let (mut g, r) = pair.1.wait_timeout(g, secs(5)).unwrap();
    invariant!(
        r.timed_out() && !*g,
        "expected a timeout before the flag was set"
    );
    invariant!(
        time::now().since_start() == secs(5),
        "timed out at {:?}",
        time::now()
    );
    while !*g {
        g = pair.1.wait(g).unwrap();
    }
    invariant!(
        time::now().since_start() == secs(10),
        "woke at {:?}",
        time::now()
    );
    drop(g);
    setter.join().unwrap();
}

/// `model` passes under loom, which explores every execution there is, and under 2,000
/// executions of random, PCT and DFS each.
fn passes_under_every_model_backend(model: fn()) {
    for b in [
        BackendKind::Loom,
        BackendKind::Random,
        BackendKind::Pct,
        BackendKind::Dfs,
    ] {
        let r = Check::new(model).backend(b).executions(2_000).run();
        r.assert_passes();
        if b == BackendKind::Loom {
            r.assert_verified();
        }
    }
}

#[test]
fn the_clock_moves_to_the_earliest_deadline_under_every_model_backend() {
    passes_under_every_model_backend(timeout_then_notify);
}

#[test]
fn a_trace_shows_virtual_times() {
    let r = Check::new(|| {
        timeout_then_notify();
        panic!("stop here");
    })
    .backend(BackendKind::Pct)
    .run();
    let lines = r.failure.unwrap().trace.lines();
    assert!(
        lines.contains(&"main: timed out on set @ 5s".to_string()),
        "{lines:#?}"
    );
    assert!(
        lines.contains(&"setter: sleep 10s @ 0s".to_string())
            || lines.contains(&"setter: sleep 10s".to_string()),
        "{lines:#?}"
    );
    assert!(
        lines.iter().any(|l| l.starts_with("setter: woke @ 10s")),
        "{lines:#?}"
    );
}

/// A holder pauses past its lease; a second thread then sees the lease expired and takes it:
/// two holders, found only because the pause is an explored interleaving.
fn lease_outlived() {
    const TTL: Duration = Duration::from_secs(30);
    let lease = Arc::new(Mutex::named("lease", (Some("A"), time::now() + TTL)));
    let l2 = lease.clone();
    let b = thread::Builder::new()
        .name("B")
        .spawn(move || {
            time::sleep(secs(31));
            let mut l = l2.lock().unwrap();
            if time::now() >= l.1 {
                *l = (Some("B"), time::now() + TTL);
            }
            l.0
        })
        .unwrap();
    // A's "operation" takes 45 s with no renewal, then A writes believing it holds the lease.
    time::sleep(secs(45));
    let holder = lease.lock().unwrap().0;
    let b_holder = b.join().unwrap();
    invariant!(
        holder == Some("A"),
        "A wrote at t=45s while {b_holder:?} held the lease"
    );
}

#[test]
fn an_operation_outliving_its_lease_is_found_and_replays_at_the_same_times() {
    let r = Check::new(lease_outlived)
        .backend(BackendKind::Random)
        .seed(3)
        .run();
    let f = r.failure.expect("found");
    assert_eq!(f.outcome.kind(), OutcomeKind::Invariant);
    assert!(
        f.outcome
            .to_string()
            .contains("while Some(\"B\") held the lease"),
        "{}",
        f.outcome
    );
    let replayed = racecheck::check::replay_schedule(lease_outlived, f.trace.schedule());
    assert_eq!(replayed.trace.lines(), f.trace.lines());
    assert!(
        f.trace.lines().iter().any(|l| l.ends_with("@ 45s")),
        "{:#?}",
        f.trace.lines()
    );
}

#[test]
fn sleeping_threads_are_not_a_deadlock_but_a_waiter_nobody_wakes_is() {
    let r = Check::new(|| {
        let pair = Arc::new((Mutex::named("m", ()), Condvar::named("never")));
        let t = thread::spawn(|| time::sleep(secs(60)));
        let g = pair.0.lock().unwrap();
        let _g = pair.1.wait(g).unwrap();
        t.join().unwrap();
    })
    .backend(BackendKind::Dfs)
    .run();
    let f = r.failure.expect("found");
    assert_eq!(f.outcome.kind(), OutcomeKind::Deadlock);
    assert!(
        f.trace.lines().iter().any(|l| l.contains("woke @ 60s")),
        "{:#?}",
        f.trace.lines()
    );
}

#[test]
fn real_threads_use_the_real_clock() {
    let r = Check::new(|| {
        let start = time::now();
        time::sleep(Duration::from_millis(20));
        invariant!(
            start.elapsed() >= Duration::from_millis(20),
            "slept {:?}",
            start.elapsed()
        );
        let pair = (Mutex::new(()), Condvar::new());
        let g = pair.0.lock().unwrap();
        let (_g, res) = pair.1.wait_timeout(g, Duration::from_millis(10)).unwrap();
        invariant!(
            res.timed_out(),
            "no notification, so the wait must time out"
        );
    })
    .backend(BackendKind::Threads)
    .executions(3)
    .run();
    assert!(r.failure.is_none(), "{:?}", r.failure.map(|f| f.outcome));
}

/// `early` waits; main notifies all and at once begins a timed wait of its own on the same
/// condvar: that notification was `early`'s, so main must time out at 10 s, not take it.
fn late_timed_waiter() {
    let pair = Arc::new((Mutex::named("state", (false, false)), Condvar::named("cv")));
    let waiting = Arc::new(Condvar::named("waiting"));
    let (p, w) = (pair.clone(), waiting.clone());
    let early = thread::Builder::new()
        .name("early")
        .spawn(move || {
            let mut g = p.0.lock().unwrap();
            g.0 = true;
            w.notify_all();
            // Holding the mutex until this wait releases it: once main has it, early waits.
            while !g.1 {
                g = p.1.wait(g).unwrap();
            }
        })
        .unwrap();
    let mut g = pair.0.lock().unwrap();
    while !g.0 {
        g = waiting.wait(g).unwrap();
    }
    g.1 = true;
    pair.1.notify_all();
    let (g, r) = pair.1.wait_timeout(g, secs(10)).unwrap();
    invariant!(
        r.timed_out(),
        "main took the notification sent before it waited"
    );
    drop(g);
    early.join().unwrap();
    invariant!(
        time::now().since_start() == secs(10),
        "at {:?}",
        time::now()
    );
}

#[test]
fn a_timed_waiter_takes_no_notification_sent_before_it_waited() {
    passes_under_every_model_backend(late_timed_waiter);
}

/// Main sleeps alone, so its own wait moves the clock and makes it due; it then waits once on
/// a condvar (no loop: the model backends never wake a waiter spuriously) and joins the thread
/// that notified it, which meanwhile notifies once more. Under loom a thread that unparked
/// itself kept loom's token: its next condvar wait returned at once, unnotified, and loom kept
/// it on that condvar's waiter list, so the second notification woke it from its join and
/// loom's own join asserted.
fn wakes_itself_then_waits() {
    time::sleep(secs(1));
    let pair = Arc::new((Mutex::named("flag", false), Condvar::named("set")));
    let p2 = pair.clone();
    let setter = thread::Builder::new()
        .name("setter")
        .spawn(move || {
            *p2.0.lock().unwrap() = true;
            p2.1.notify_one();
            p2.1.notify_one();
        })
        .unwrap();
    let g = pair.0.lock().unwrap();
    let g = if *g { g } else { pair.1.wait(g).unwrap() };
    invariant!(*g, "woken with the flag unset: a spurious wake-up");
    drop(g);
    setter.join().unwrap();
}

#[test]
fn a_thread_that_moved_the_clock_for_itself_is_not_woken_spuriously_later() {
    passes_under_every_model_backend(wakes_itself_then_waits);
}
