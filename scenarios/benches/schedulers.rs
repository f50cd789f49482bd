//! What one execution costs under each seeded scheduler, side by side with the random walk:
//! URW, POS, reads-from and the portfolio must stay within 1.2× of it.
//!
//! `cargo bench -p racecheck-scenarios --bench schedulers`. Passing models only, so every
//! execution runs to its end: three catalogue fixes, and the demo suite's reorder and twostage
//! shapes at 20 threads without their checks (the new schedulers' bookkeeping grows with the
//! threads).

#![forbid(unsafe_code)]

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use racecheck::sync::atomic::{AtomicI32, Ordering::SeqCst};
use racecheck::sync::{Arc, Mutex};
use racecheck::{thread, BackendKind, Check};
use racecheck_scenarios::catalogue;
use std::time::Duration;

const SCHEDULERS: [BackendKind; 5] = [
    BackendKind::Random,
    BackendKind::Urw,
    BackendKind::Pos,
    BackendKind::ReadsFrom,
    BackendKind::Portfolio,
];

/// Executions per iteration.
const N: u64 = 200;

/// reorder's setters, 20 threads, and a reader that checks nothing.
fn writers_20() {
    let a = Arc::new(AtomicI32::named("a", 0));
    let b = Arc::new(AtomicI32::named("b", 0));
    let ts: Vec<_> = (0..20)
        .map(|i| {
            let (a, b) = (a.clone(), b.clone());
            thread::Builder::new()
                .name(format!("setter-{i}"))
                .spawn(move || {
                    a.store(1, SeqCst);
                    b.store(-1, SeqCst);
                })
                .unwrap()
        })
        .collect();
    let _ = (a.load(SeqCst), b.load(SeqCst));
    for t in ts {
        t.join().unwrap();
    }
}

/// twostage's writers, 20 threads, under two locks.
fn stages_20() {
    let d1 = Arc::new(Mutex::named("data1", 0));
    let d2 = Arc::new(Mutex::named("data2", 0));
    let ts: Vec<_> = (0..20)
        .map(|i| {
            let (d1, d2) = (d1.clone(), d2.clone());
            thread::Builder::new()
                .name(format!("stage-{i}"))
                .spawn(move || {
                    *d1.lock().unwrap() = 1;
                    *d2.lock().unwrap() = 2;
                })
                .unwrap()
        })
        .collect();
    for t in ts {
        t.join().unwrap();
    }
}

fn per_execution(c: &mut Criterion) {
    let cat = catalogue();
    let bodies: Vec<(String, Box<dyn Fn() -> Check>)> = vec![
        ("lock_manager.rlock".into(), {
            let v = cat
                .find("lock_manager")
                .unwrap()
                .find_variant("rlock")
                .unwrap()
                .clone();
            Box::new(move || v.check())
        }),
        ("singleton_cache.double-checked".into(), {
            let v = cat
                .find("singleton_cache")
                .unwrap()
                .find_variant("double-checked")
                .unwrap()
                .clone();
            Box::new(move || v.check())
        }),
        ("writers_20".into(), Box::new(|| Check::new(writers_20))),
        ("stages_20".into(), Box::new(|| Check::new(stages_20))),
    ];
    for (name, check) in &bodies {
        let mut g = c.benchmark_group(format!("per-execution/{name}"));
        g.sample_size(10);
        g.warm_up_time(Duration::from_millis(500));
        g.measurement_time(Duration::from_secs(2));
        g.throughput(Throughput::Elements(N));
        for b in SCHEDULERS {
            let run = || check().backend(b).executions(N).workers(1).run();
            let probe = run();
            assert!(probe.failure.is_none(), "{name} under {b} fails");
            g.bench_function(BenchmarkId::from_parameter(b.as_str()), |bench| {
                bench.iter(run)
            });
        }
        g.finish();
    }
}

criterion_group!(benches, per_execution);
criterion_main!(benches);
