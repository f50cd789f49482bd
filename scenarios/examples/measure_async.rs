//! Executions/s of the async scenarios beside the thread versions of the same systems, and
//! executions to the first failure of the async bugs (median over seeds).
//!
//! `cargo run --release -p racecheck-scenarios --example measure_async`

#![forbid(unsafe_code)]

use racecheck::{BackendKind, Verdict};
use racecheck_scenarios::catalogue;
use std::time::{Duration, Instant};

fn budget(backend: BackendKind) -> u64 {
    match backend {
        BackendKind::Threads => 2_000,
        _ => 10_000,
    }
}

fn rate(scenario: &str, variant: &str, backend: BackendKind) -> (u64, f64, Verdict) {
    let cat = catalogue();
    let v = cat.find(scenario).unwrap().find_variant(variant).unwrap();
    let start = Instant::now();
    let r = v
        .check()
        .backend(backend)
        .executions(budget(backend))
        .seed(1)
        .time_limit(Duration::from_secs(10))
        .run();
    let secs = start.elapsed().as_secs_f64();
    (r.executions, r.executions as f64 / secs, r.verdict())
}

fn to_first_failure(scenario: &str, variant: &str, backend: BackendKind, seeds: u64) -> String {
    let cat = catalogue();
    let v = cat.find(scenario).unwrap().find_variant(variant).unwrap();
    let mut found: Vec<u64> = (0..seeds)
        .filter_map(|seed| {
            let r = v
                .check()
                .backend(backend)
                .executions(20_000)
                .seed(seed)
                .time_limit(Duration::from_secs(10))
                .run();
            r.failure.map(|f| f.execution)
        })
        .collect();
    found.sort_unstable();
    if found.is_empty() {
        return format!("not found in {seeds} seeds");
    }
    format!(
        "median {} (min {}, max {}; found in {}/{seeds} seeds)",
        found[found.len() / 2],
        found[0],
        found[found.len() - 1],
        found.len()
    )
}

fn main() {
    let pairs = [
        (
            "lock_manager",
            "rlock",
            "async.lock_manager",
            "no-nested-validation",
        ),
        (
            "lease.redis",
            "heartbeat-production",
            "async.lease",
            "heartbeat-production",
        ),
        ("compaction", "upload-under-lock", "async.compaction", "cas"),
    ];
    println!(
        "| system | backend | thread version: executions/s | async version: executions/s | ratio |"
    );
    println!("|---|---|---|---|---|");
    for (ts, tv, asc, av) in pairs {
        for backend in BackendKind::ALL {
            let (tn, tr, tverdict) = rate(ts, tv, backend);
            let (an, ar, averdict) = rate(asc, av, backend);
            println!(
                "| {ts}/{tv} vs {asc}/{av} | {backend} | {tr:.0} ({tn}, {tverdict}) | {ar:.0} ({an}, {averdict}) | {:.2} |",
                ar / tr
            );
        }
    }
    println!();
    println!("| async bug | backend | executions to first failure |");
    println!("|---|---|---|");
    for backend in [BackendKind::Random, BackendKind::Pct] {
        println!(
            "| async.compaction/late-registration | {backend} | {} |",
            to_first_failure("async.compaction", "late-registration", backend, 20)
        );
    }
}
