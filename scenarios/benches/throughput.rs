//! Executions per second: every backend on every scenario, and random/PCT on 1 and 2 workers.
//!
//! `cargo bench -p racecheck-scenarios --bench throughput`. Each scenario is measured on its
//! first variant that must pass, so every execution runs to its end (a bug variant would stop
//! at its first failure). A backend that fails that variant anyway (one that cannot run it,
//! say) is left out with a note. Real threads run few executions per iteration: each costs a
//! real spawn and, for the lease models, milliseconds of scaled real time.

#![forbid(unsafe_code)]

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use racecheck::{BackendKind, Expect, Variant};
use racecheck_scenarios::catalogue;
use std::time::Duration;

fn budget(backend: BackendKind) -> u64 {
    match backend {
        BackendKind::Threads => 10,
        _ => 100,
    }
}

fn run(v: &Variant, backend: BackendKind, n: u64, workers: usize) -> racecheck::CheckResult {
    v.check()
        .backend(backend)
        .executions(n)
        .workers(workers)
        .time_limit(Duration::from_secs(60))
        .run()
}

fn backends(c: &mut Criterion) {
    let cat = catalogue();
    for s in &cat.scenarios {
        let Some(v) = s.variants.iter().find(|v| v.expect == Expect::Pass) else {
            continue;
        };
        let mut g = c.benchmark_group(format!("throughput/{}", s.name));
        g.sample_size(10);
        g.warm_up_time(Duration::from_millis(500));
        g.measurement_time(Duration::from_secs(2));
        for b in BackendKind::ALL {
            // Measure the executions one iteration really runs (loom and DFS may run out of
            // executions first); skip a backend that fails the fix.
            let probe = run(v, b, budget(b), 1);
            if let Some(f) = &probe.failure {
                eprintln!(
                    "{}/{} under {b}: skipped, it fails: {}",
                    s.name, v.name, f.outcome
                );
                continue;
            }
            g.throughput(Throughput::Elements(probe.executions));
            g.bench_function(BenchmarkId::new(b.as_str(), v.name), |bench| {
                bench.iter(|| run(v, b, budget(b), 1))
            });
        }
        g.finish();
    }
}

/// The same random and PCT budget on 1 and 2 workers: the speed-up of parallel exploration.
fn workers(c: &mut Criterion) {
    let cat = catalogue();
    let v = cat
        .find("lock_manager")
        .unwrap()
        .find_variant("rlock")
        .unwrap();
    let n = 4_000;
    let mut g = c.benchmark_group("workers/lock_manager.rlock");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(4));
    g.throughput(Throughput::Elements(n));
    for b in [BackendKind::Random, BackendKind::Pct] {
        for w in [1, 2] {
            g.bench_function(
                BenchmarkId::new(b.as_str(), format!("{w} workers")),
                |bench| bench.iter(|| run(v, b, n, w)),
            );
        }
    }
    g.finish();
}

criterion_group!(benches, backends, workers);
criterion_main!(benches);
