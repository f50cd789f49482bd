//! The speed-up of parallel exploration: the same random and PCT budget on 1 and on 2
//! workers, alternated for several rounds, with the process's CPU time beside the wall time
//! (on a shared machine the wall-time ratio says how many cores we got; CPU time per
//! execution says whether the workers slow each other down).
//!
//! `cargo run --release -p racecheck-scenarios --example workers [ROUNDS] [EXECUTIONS]`

#![forbid(unsafe_code)]

use racecheck::BackendKind;
use racecheck_scenarios::catalogue;
use std::time::Instant;

/// This process's user + system CPU time in seconds, from /proc/self/stat (Linux).
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let f: Vec<&str> = stat
        .rsplit(')')
        .next()
        .unwrap_or("")
        .split_whitespace()
        .collect();
    let field = |i: usize| f.get(i).and_then(|x| x.parse::<f64>().ok()).unwrap_or(0.0);
    // utime and stime, fields 14 and 15 of the line: the 12th and 13th after the name.
    (field(11) + field(12)) / 100.0
}

fn main() {
    let args: Vec<u64> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let rounds = args.first().copied().unwrap_or(5);
    let n = args.get(1).copied().unwrap_or(40_000);
    let cat = catalogue();
    let v = cat
        .find("lock_manager")
        .unwrap()
        .find_variant("rlock")
        .unwrap();
    println!("lock_manager/rlock, {n} executions per run, {rounds} rounds");
    for backend in [BackendKind::Random, BackendKind::Pct] {
        let mut speedups = Vec::new();
        for round in 0..rounds {
            let mut rate = [0.0; 2];
            for (i, w) in [1usize, 2].into_iter().enumerate() {
                let (cpu, t) = (cpu_seconds(), Instant::now());
                let r = v.check().backend(backend).executions(n).workers(w).run();
                let (wall, cpu) = (t.elapsed().as_secs_f64(), cpu_seconds() - cpu);
                rate[i] = r.executions as f64 / wall;
                println!(
                    "{backend:6} round {round} workers {w}: {:>7.0} executions/s, wall {wall:.2} s, cpu {cpu:.2} s ({:.1} µs cpu/execution)",
                    rate[i],
                    cpu * 1e6 / r.executions as f64
                );
            }
            speedups.push(rate[1] / rate[0]);
        }
        speedups.sort_by(f64::total_cmp);
        println!(
            "{backend:6} speed-up 2 vs 1 worker: median {:.2}x, best {:.2}x, worst {:.2}x\n",
            speedups[speedups.len() / 2],
            speedups[speedups.len() - 1],
            speedups[0]
        );
    }
}
