//! The seeded schedulers added beside random and PCT (URW, POS, reads-from, the portfolio):
//! the same seed gives the same executions whatever the workers and shards, and what they find
//! replays step for step.

use racecheck::parallel::BLOCK;
use racecheck::sync::atomic::{AtomicUsize, Ordering};
use racecheck::sync::{Arc, Mutex};
use racecheck::{invariant, thread, BackendKind, Check, Shard};

const NEW: [BackendKind; 4] = [
    BackendKind::Urw,
    BackendKind::Pos,
    BackendKind::ReadsFrom,
    BackendKind::Portfolio,
];

/// Fails when main reads between a writer's two stores (each scheduler here finds it within
/// its first block).
fn torn_pair() {
    writers(true)
}

/// The same threads with no check: every block of a budget runs.
fn untorn_pair() {
    writers(false)
}

fn writers(check: bool) {
    let a = Arc::new(AtomicUsize::new(0));
    let b = Arc::new(AtomicUsize::new(0));
    let mut ts = Vec::new();
    for i in 0..3 {
        let (a, b) = (a.clone(), b.clone());
        let t = thread::Builder::new().name(format!("writer-{i}"));
        ts.push(
            t.spawn(move || {
                for _ in 0..4 {
                    b.fetch_add(0, Ordering::SeqCst);
                }
                a.store(1, Ordering::SeqCst);
                b.store(1, Ordering::SeqCst);
            })
            .unwrap(),
        );
    }
    let (x, y) = (a.load(Ordering::SeqCst), b.load(Ordering::SeqCst));
    invariant!(!check || x == y, "torn: a = {x}, b = {y}");
    for t in ts {
        t.join().unwrap();
    }
}

fn run(
    body: fn(),
    backend: BackendKind,
    seed: u64,
    budget: u64,
    workers: usize,
    shard: Shard,
) -> racecheck::CheckResult {
    Check::new(body)
        .backend(backend)
        .seed(seed)
        .executions(budget)
        .workers(workers)
        .shard(shard)
        .fingerprint()
        .run()
}

#[test]
fn the_new_schedulers_do_not_depend_on_workers_or_shards() {
    let budget = 3 * BLOCK;
    for (body, seed) in [(torn_pair as fn(), 0), (torn_pair, 1), (untorn_pair, 0)] {
        for backend in NEW {
            let one = run(body, backend, seed, budget, 1, Shard::WHOLE);
            let two = run(body, backend, seed, budget, 2, Shard::WHOLE);
            let execution = |r: &racecheck::CheckResult| r.failure.as_ref().map(|f| f.execution);
            assert_eq!(execution(&one), execution(&two), "{backend} seed {seed}");
            assert_eq!(
                one.failure.as_ref().map(|f| f.trace.lines()),
                two.failure.as_ref().map(|f| f.trace.lines()),
                "{backend} seed {seed}"
            );
            assert_eq!(one.executions, two.executions, "{backend} seed {seed}");
            assert_eq!(one.fingerprint, two.fingerprint, "{backend} seed {seed}");
            let shards: Vec<_> = (1..=2)
                .map(|i| run(body, backend, seed, budget, 1, Shard::new(i, 2).unwrap()))
                .collect();
            let first = shards.iter().filter_map(execution).min();
            assert_eq!(execution(&one), first, "{backend} seed {seed}: shards");
            if first.is_none() {
                let total: u64 = shards.iter().map(|r| r.executions).sum();
                assert_eq!(total, budget, "{backend} seed {seed}");
                assert_eq!(one.executions, budget, "{backend} seed {seed}");
            }
        }
    }
}

#[test]
fn a_different_seed_explores_differently() {
    for backend in NEW {
        let a = run(untorn_pair, backend, 1, 50, 1, Shard::WHOLE);
        let b = run(untorn_pair, backend, 2, 50, 1, Shard::WHOLE);
        assert!(
            a.fingerprint != b.fingerprint,
            "{backend}: seeds 1 and 2 ran the same executions"
        );
        assert!(a.failure.is_none() && a.executions == 50, "{backend}");
    }
}

fn lost_update() {
    let n = Arc::new(Mutex::named("n", 0));
    let ts: Vec<_> = (0..2)
        .map(|i| {
            let n = n.clone();
            thread::Builder::new()
                .name(format!("adder-{i}"))
                .spawn(move || {
                    let v = *n.lock().unwrap();
                    *n.lock().unwrap() = v + 1;
                })
                .unwrap()
        })
        .collect();
    for t in ts {
        t.join().unwrap();
    }
    invariant!(*n.lock().unwrap() == 2, "lost update");
}

#[test]
fn what_the_new_schedulers_find_replays_exactly() {
    for backend in NEW {
        for seed in 0..5 {
            let r = Check::new(lost_update)
                .backend(backend)
                .seed(seed)
                .executions(1000)
                .run();
            let f = r
                .failure
                .unwrap_or_else(|| panic!("{backend} seed {seed}: not found"));
            let replayed = racecheck::check::replay_schedule(lost_update, f.trace.schedule());
            assert_eq!(replayed.outcome, f.outcome, "{backend} seed {seed}");
            assert_eq!(
                replayed.trace.lines(),
                f.trace.lines(),
                "{backend} seed {seed}"
            );
        }
    }
}

#[test]
fn the_one_line_portfolio_check_panics_on_the_bug_and_passes_the_fix() {
    let found = std::panic::catch_unwind(|| racecheck::check_portfolio(lost_update, 1000));
    let message = found.expect_err("the lost update is found");
    let message = message
        .downcast_ref::<String>()
        .cloned()
        .unwrap_or_default();
    assert!(message.contains("check_portfolio"), "{message}");
    racecheck::check_portfolio(
        || {
            let n = Arc::new(Mutex::new(0));
            let m = n.clone();
            let t = thread::spawn(move || *m.lock().unwrap() += 1);
            *n.lock().unwrap() += 1;
            t.join().unwrap();
            invariant!(*n.lock().unwrap() == 2);
        },
        200,
    );
}
