//! Race files round-trip, and replay reproduces races recorded by every backend.

use racecheck::race::{decode_schedule, encode_schedule};
use racecheck::sync::atomic::{AtomicUsize, Ordering};
use racecheck::sync::{Arc, Barrier, Mutex};
use racecheck::{invariant, thread, BackendKind, Check, RaceFile};
use std::path::Path;

/// Two threads meet at a barrier, then increment a counter with a read and a write under
/// separate lock sections: an update can be lost. The barrier's mutex is released and re-taken
/// around the race, which is where a replay once diverged (a release recorded before shuttle
/// carried it out). Locks, not plain atomics: loom's SeqCst loads may read stale values no
/// interleaving allows, which a replay under shuttle cannot reproduce.
fn barrier_then_lost_update() {
    let barrier = Arc::new(Barrier::named("start", 2));
    let n = Arc::new(Mutex::named("n", 0));
    let calls = Arc::new(AtomicUsize::named("calls", 0));
    let (b2, n2, c2) = (barrier.clone(), n.clone(), calls.clone());
    let increment = move |b: &Barrier, n: &Mutex<usize>, c: &AtomicUsize| {
        b.wait();
        c.fetch_add(1, Ordering::SeqCst);
        let v = *n.lock().unwrap();
        *n.lock().unwrap() = v + 1;
    };
    let t = thread::Builder::new()
        .name("worker")
        .spawn(move || increment(&b2, &n2, &c2))
        .unwrap();
    increment(&barrier, &n, &calls);
    t.join().unwrap();
    invariant!(*n.lock().unwrap() == 2, "lost update");
}

#[test]
fn races_behind_a_barrier_replay_exactly_whichever_backend_found_them() {
    for b in [
        BackendKind::Loom,
        BackendKind::Random,
        BackendKind::Pct,
        BackendKind::Dfs,
    ] {
        for seed in 0..5 {
            let r = Check::new(barrier_then_lost_update)
                .backend(b)
                .seed(seed)
                .run();
            let f = r.failure.expect("found");
            let replayed =
                racecheck::check::replay_schedule(barrier_then_lost_update, f.trace.schedule());
            assert_eq!(replayed.trace.lines(), f.trace.lines(), "{b} seed {seed}");
            assert_eq!(replayed.outcome, f.outcome, "{b} seed {seed}");
            assert_eq!(replayed.diverged_at, None, "{b} seed {seed}");
        }
    }
}

#[test]
fn schedules_round_trip_through_their_encoding() {
    let s = vec![0, 0, 0, 1, 2, 2, 0];
    assert_eq!(encode_schedule(&s), "0*3 1 2*2 0");
    assert_eq!(decode_schedule("0*3 1 2*2 0").unwrap(), s);
    assert!(decode_schedule("0*x").is_err());
    assert!(decode_schedule("1*0").is_err());
    assert!(decode_schedule("-1").is_err());
}

#[test]
fn a_race_file_round_trips_through_its_text() {
    let r = Check::new(barrier_then_lost_update)
        .backend(BackendKind::Pct)
        .run();
    let f = r.failure.clone().unwrap();
    let race = RaceFile::from_failure("demo", "bug", &r, &f);
    let parsed = RaceFile::parse(&race.to_text(), Path::new("demo.race")).unwrap();
    assert_eq!(parsed, race);
}
