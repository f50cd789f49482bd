//! Parallel and sharded random/PCT runs: same seed, same executions, whatever the worker count.

use racecheck::parallel::BLOCK;
use racecheck::sync::atomic::{AtomicUsize, Ordering};
use racecheck::sync::Arc;
use racecheck::{invariant, thread, BackendKind, Check, Shard};

/// Fails only when the worker runs all its steps before main takes its first: about one
/// execution in a thousand under the random walk, so failures land in different seed blocks.
fn rare_race() {
    const STEPS: usize = 10;
    let a = Arc::new(AtomicUsize::new(0));
    let b = Arc::new(AtomicUsize::new(0));
    let (a2, b2) = (a.clone(), b.clone());
    let t = thread::spawn(move || {
        for _ in 0..STEPS {
            b2.fetch_add(1, Ordering::SeqCst);
        }
        invariant!(a2.load(Ordering::SeqCst) != 0, "the worker ran first");
    });
    a.fetch_add(1, Ordering::SeqCst);
    t.join().unwrap();
    let _ = b.load(Ordering::SeqCst);
}

fn run(
    backend: BackendKind,
    seed: u64,
    budget: u64,
    workers: usize,
    shard: Shard,
) -> racecheck::CheckResult {
    Check::new(rare_race)
        .backend(backend)
        .seed(seed)
        .executions(budget)
        .workers(workers)
        .shard(shard)
        .fingerprint()
        .run()
}

#[test]
fn shard_parses_one_based_and_refuses_the_rest() {
    assert_eq!("1/4".parse::<Shard>(), Ok(Shard::new(1, 4).unwrap()));
    assert_eq!("4/4".parse::<Shard>().unwrap().to_string(), "4/4");
    for bad in ["0/4", "5/4", "1/0", "1", "a/b", "1/4/2", "-1/4", ""] {
        let e = bad.parse::<Shard>().unwrap_err().to_string();
        assert!(e.contains("1 <= i <= n"), "{bad}: {e}");
    }
}

#[test]
fn shards_cover_the_budget_once() {
    let budget = 10 * BLOCK + 500;
    let mut seen = vec![0u8; budget as usize + 1];
    for i in 1..=3 {
        for (first, last) in Shard::new(i, 3).unwrap().ranges(budget) {
            for x in first..=last {
                seen[x as usize] += 1;
            }
        }
    }
    assert_eq!(seen[0], 0);
    assert!(
        seen[1..].iter().all(|&c| c == 1),
        "a index run twice or never"
    );
}

#[test]
fn the_first_failure_does_not_depend_on_workers() {
    let mut beyond_first_block = 0;
    for backend in [BackendKind::Random, BackendKind::Pct] {
        for seed in 0..4 {
            let one = run(backend, seed, 8 * BLOCK, 1, Shard::WHOLE);
            let two = run(backend, seed, 8 * BLOCK, 2, Shard::WHOLE);
            let (f1, f2) = (one.failure.as_ref(), two.failure.as_ref());
            assert_eq!(
                f1.map(|f| f.execution),
                f2.map(|f| f.execution),
                "{backend} seed {seed}"
            );
            assert_eq!(
                f1.map(|f| f.trace.lines()),
                f2.map(|f| f.trace.lines()),
                "{backend} seed {seed}"
            );
            if let Some(f) = f2.filter(|f| f.execution > BLOCK) {
                beyond_first_block += 1;
                // A failure a second worker found in a later block replays from its schedule
                // (same outcome, same steps: what a race file checks). `diverged_at` is not
                // asserted: it flags step 1 whenever the child runs right after its spawn,
                // with a single worker too, though every step then replays as recorded.
                let replayed = racecheck::check::replay_schedule(rare_race, f.trace.schedule());
                assert_eq!(replayed.outcome, f.outcome, "{backend} seed {seed}");
                assert_eq!(
                    replayed.trace.lines(),
                    f.trace.lines(),
                    "{backend} seed {seed}"
                );
            }
            assert_eq!(one.executions, two.executions, "{backend} seed {seed}");
            assert_eq!(one.fingerprint, two.fingerprint, "{backend} seed {seed}");
        }
    }
    assert!(
        beyond_first_block > 0,
        "no failure beyond the first block: the test shows nothing"
    );
}

#[test]
fn a_sharded_run_finds_what_the_whole_run_finds_in_its_blocks() {
    let budget = 4 * BLOCK;
    for seed in 0..4 {
        let whole = run(BackendKind::Random, seed, budget, 2, Shard::WHOLE);
        let shards: Vec<_> = (1..=3)
            .map(|i| {
                run(
                    BackendKind::Random,
                    seed,
                    budget,
                    1,
                    Shard::new(i, 3).unwrap(),
                )
            })
            .collect();
        let first = shards
            .iter()
            .filter_map(|r| r.failure.as_ref())
            .map(|f| f.execution)
            .min();
        assert_eq!(
            whole.failure.as_ref().map(|f| f.execution),
            first,
            "seed {seed}"
        );
        if first.is_none() {
            let total: u64 = shards.iter().map(|r| r.executions).sum();
            assert_eq!(total, budget, "seed {seed}");
        }
    }
}
