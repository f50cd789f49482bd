//! What one execution costs under each seeded scheduler, side by side with the random walk:
//! URW, POS, reads-from and the portfolio must stay within 1.2× of it.
//!
//! `cargo bench -p racecheck-scenarios --bench schedulers`. Passing models only, so every
//! execution runs to its end: two catalogue fixes, and the demo suite's reorder and twostage
//! shapes at 20 threads without their checks (the new schedulers' bookkeeping grows with the
//! threads). After each model it prints each scheduler's median time over random's, read
//! from criterion's own estimates (`target/criterion/…/new/estimates.json`).

#![forbid(unsafe_code)]

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use racecheck::{BackendKind, Check};
use racecheck_models::demo;
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
        (
            "writers_20".into(),
            Box::new(|| Check::new(|| demo::setters(20))),
        ),
        (
            "stages_20".into(),
            Box::new(|| Check::new(|| demo::stages(20))),
        ),
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
        print_ratios(
            &format!("per-execution/{name}"),
            &format!("per-execution_{name}"),
        );
    }
}

/// Each scheduler's median over random's for `group`, from the estimates criterion just wrote
/// (in `folder`, the group's name as criterion spells it on disk).
fn print_ratios(group: &str, folder: &str) {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .map(|target| target.join("criterion"))
        .unwrap_or_default();
    let median = |b: BackendKind| -> Option<f64> {
        let path = dir.join(folder).join(b.as_str()).join("new/estimates.json");
        let text = std::fs::read_to_string(path).ok()?;
        let json: serde_json::Value = serde_json::from_str(&text).ok()?;
        json["median"]["point_estimate"].as_f64()
    };
    let Some(base) = median(BackendKind::Random) else {
        println!("{group}: no estimates to compare (criterion wrote none)");
        return;
    };
    let ratios: Vec<String> = SCHEDULERS[1..]
        .iter()
        .map(|&b| match median(b) {
            Some(m) => format!("{b} {:.2}x", m / base),
            None => format!("{b} ?"),
        })
        .collect();
    println!("{group}: against random: {}", ratios.join(", "));
}

criterion_group!(benches, per_execution);
criterion_main!(benches);
