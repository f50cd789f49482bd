//! What one execution costs under each seeded scheduler, side by side with the random walk:
//! URW, POS, reads-from and the portfolio must stay within 1.2× of it.
//!
//! `cargo bench -p racecheck-scenarios --bench schedulers`. Passing models only, so every
//! execution runs to its end: two catalogue fixes, and the demo suite's reorder and twostage
//! shapes at 20 threads without their checks (the new schedulers' bookkeeping grows with the
//! threads).
//!
//! The ratio to random is measured in pairs. On a shared machine the speed drifts by 10–25%
//! within seconds, so two schedulers timed one after the other differ by the drift as much as
//! by their cost. Each iteration of a new scheduler's benchmark therefore times one run of
//! random and one of its own, back to back (which goes first alternates); criterion's
//! estimate is of its own runs alone, and the ratio printed after each model is the median
//! over those pairs of its time over random's, with the quartiles. Criterion's medians,
//! measured one after the other, are printed beside it (`target/criterion/…/new/estimates.json`).

#![forbid(unsafe_code)]

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use racecheck::{BackendKind, Check};
use racecheck_models::demo;
use racecheck_scenarios::catalogue;
use std::time::{Duration, Instant};

const SCHEDULERS: [BackendKind; 5] = [
    BackendKind::Random,
    BackendKind::Urw,
    BackendKind::Pos,
    BackendKind::ReadsFrom,
    BackendKind::Portfolio,
];

/// Executions per iteration.
const N: u64 = 200;

/// The most a new scheduler may cost per execution, as a multiple of random's; a paired
/// median above it is marked `OVER`.
const TARGET: f64 = 1.2;

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
        let run = |b: BackendKind| check().backend(b).executions(N).workers(1).run();
        // Per new scheduler: its time over random's, one pair per iteration.
        let mut paired: Vec<(BackendKind, Vec<f64>)> = Vec::new();
        for b in SCHEDULERS {
            let probe = run(b);
            assert!(probe.failure.is_none(), "{name} under {b} fails");
            let id = BenchmarkId::from_parameter(b.as_str());
            if b == BackendKind::Random {
                g.bench_function(id, |bench| bench.iter(|| run(b)));
                continue;
            }
            let mut ratios = Vec::new();
            g.bench_function(id, |bench| {
                bench.iter_custom(|iters| {
                    let mut own = Duration::ZERO;
                    let timed = |kind| {
                        let start = Instant::now();
                        let _ = std::hint::black_box(run(kind));
                        start.elapsed()
                    };
                    for i in 0..iters {
                        // Which goes first alternates, so neither always runs on the
                        // caches the other left.
                        let (random, mine) = if i % 2 == 0 {
                            let random = timed(BackendKind::Random);
                            (random, timed(b))
                        } else {
                            let mine = timed(b);
                            (timed(BackendKind::Random), mine)
                        };
                        own += mine;
                        ratios.push(mine.as_secs_f64() / random.as_secs_f64().max(1e-9));
                    }
                    own
                })
            });
            paired.push((b, ratios));
        }
        g.finish();
        print_paired(&format!("per-execution/{name}"), &mut paired);
        print_ratios(
            &format!("per-execution/{name}"),
            &format!("per-execution_{name}"),
        );
    }
}

/// Each new scheduler's median time over random's in back-to-back pairs, marked if over the
/// target, with the quartiles and the number of pairs (warm-up included: every pair is a fair
/// comparison).
fn print_paired(group: &str, paired: &mut [(BackendKind, Vec<f64>)]) {
    if paired.iter().all(|(_, ratios)| ratios.is_empty()) {
        return; // filtered out: criterion ran none of this group
    }
    let cells: Vec<String> = paired
        .iter_mut()
        .map(|(b, ratios)| {
            ratios.sort_by(f64::total_cmp);
            let at = |q: f64| ratios[((ratios.len() - 1) as f64 * q).round() as usize];
            if ratios.is_empty() {
                format!("{b} ?")
            } else {
                let over = if at(0.5) > TARGET { " OVER" } else { "" };
                format!(
                    "{b} {:.2}x{over} ({:.2}-{:.2}, {} pairs)",
                    at(0.5),
                    at(0.25),
                    at(0.75),
                    ratios.len()
                )
            }
        })
        .collect();
    println!("{group}: against random, paired: {}", cells.join(", "));
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
    println!(
        "{group}: against random, criterion's medians one after the other: {}",
        ratios.join(", ")
    );
}

criterion_group!(benches, per_execution);
criterion_main!(benches);
