//! The facade's cost: one small model written three times — directly against loom, directly
//! against shuttle, and against racecheck's facade — explored side by side in one run, in
//! executions per second. Two threads each increment a mutex-protected counter twice, then the
//! worker hands a flag to main through a condvar.
//!
//! `cargo bench -p racecheck-scenarios --bench facade`. After criterion's groups, a closing
//! table interleaves raw and racecheck runs and prints the median ratio of their times (the
//! target is 1.05×): interleaving keeps the machine's load changes out of the ratio.

#![forbid(unsafe_code)]

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use racecheck::{BackendKind, Check};
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const ROUNDS: usize = 2;
/// Executions per iteration of the shuttle groups.
const N: usize = 200;

macro_rules! model {
    ($name:ident, $($sync:ident)::+, $($thread:ident)::+) => {
        fn $name() {
            let state = Arc::new((
                $($sync)::+::Mutex::new((0usize, false)),
                $($sync)::+::Condvar::new(),
            ));
            let st = state.clone();
            let worker = $($thread)::+::spawn(move || {
                for _ in 0..ROUNDS {
                    st.0.lock().unwrap().0 += 1;
                }
                st.0.lock().unwrap().1 = true;
                st.1.notify_one();
            });
            for _ in 0..ROUNDS {
                state.0.lock().unwrap().0 += 1;
            }
            let mut g = state.0.lock().unwrap();
            while !g.1 {
                g = state.1.wait(g).unwrap();
            }
            assert_eq!(g.0, 2 * ROUNDS);
            drop(g);
            worker.join().unwrap();
        }
    };
}

model!(raw_loom, loom::sync, loom::thread);
model!(raw_shuttle, shuttle::sync, shuttle::thread);
model!(facade, racecheck::sync, racecheck::thread);

static LOOM_RUNS: AtomicU64 = AtomicU64::new(0);

fn raw_loom_counted() {
    LOOM_RUNS.fetch_add(1, Ordering::Relaxed);
    raw_loom();
}

fn ours(backend: BackendKind, n: u64) -> u64 {
    let r = Check::new(facade).backend(backend).executions(n).run();
    assert!(r.failure.is_none(), "{:?}", r.failure);
    r.executions
}

fn loom_executions() -> u64 {
    LOOM_RUNS.store(0, Ordering::Relaxed);
    loom::model(raw_loom_counted);
    LOOM_RUNS.load(Ordering::Relaxed)
}

/// One iteration of each side of a comparison.
struct Pair {
    name: &'static str,
    executions: u64,
    raw: fn(),
    ours: fn(),
}

fn pairs() -> Vec<Pair> {
    let loom_n = loom_executions();
    let ours_n = ours(BackendKind::Loom, 1_000_000);
    assert_eq!(
        loom_n, ours_n,
        "loom explores a different number of executions"
    );
    vec![
        Pair {
            name: "shuttle-random",
            executions: N as u64,
            raw: || shuttle::check_random(raw_shuttle, N),
            ours: || {
                ours(BackendKind::Random, N as u64);
            },
        },
        Pair {
            name: "shuttle-pct",
            executions: N as u64,
            raw: || shuttle::check_pct(raw_shuttle, N, 3),
            ours: || {
                ours(BackendKind::Pct, N as u64);
            },
        },
        Pair {
            name: "loom",
            executions: loom_n,
            raw: || loom::model(raw_loom),
            ours: || {
                ours(BackendKind::Loom, 1_000_000);
            },
        },
    ]
}

fn bench(c: &mut Criterion) {
    for p in pairs() {
        let mut g = c.benchmark_group(format!("facade/{}", p.name));
        g.throughput(Throughput::Elements(p.executions));
        g.sample_size(20);
        g.measurement_time(Duration::from_secs(3));
        g.bench_function("raw", |b| b.iter(|| black_box(p.raw)()));
        g.bench_function("racecheck", |b| b.iter(|| black_box(p.ours)()));
        g.finish();
    }
    ratios();
}

fn time(f: fn(), reps: u32) -> f64 {
    let t = Instant::now();
    for _ in 0..reps {
        f();
    }
    t.elapsed().as_secs_f64()
}

/// Raw and racecheck, interleaved, 15 rounds: the median ratio of their times.
fn ratios() {
    eprintln!(
        "\nfacade cost, racecheck / raw time per execution (median of 15 interleaved rounds):"
    );
    for p in pairs() {
        let reps = (2000 / p.executions).max(1) as u32;
        let mut r: Vec<f64> = (0..15)
            .map(|_| {
                let raw = time(p.raw, reps);
                time(p.ours, reps) / raw
            })
            .collect();
        r.sort_by(f64::total_cmp);
        eprintln!(
            "  {:<15} {:>5} executions/iteration  ratio {:.2}x  (min {:.2}x, max {:.2}x)",
            p.name, p.executions, r[7], r[0], r[14]
        );
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
