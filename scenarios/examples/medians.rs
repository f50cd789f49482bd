//! Executions to the first failure, median over seeds, for a few programs and schedulers:
//! the quick form of `racecheck bench` for tuning one scheduler (release build).
//!
//! `cargo run --release -p racecheck-scenarios --example medians -- \
//!     demo.twostage_10,async.compaction/late-registration portfolio,pos 20 1000`
//!
//! A name is a scenario (its variant `bug`) or `scenario/variant`, from the catalogue and the
//! demo suite.

#![forbid(unsafe_code)]

use racecheck::BackendKind;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [names, backends, seeds, cap] = args.as_slice() else {
        eprintln!("usage: medians NAME,NAME… BACKEND,BACKEND… SEEDS CAP");
        std::process::exit(2);
    };
    let backends: Vec<BackendKind> = backends
        .split(',')
        .map(|b| {
            b.parse().unwrap_or_else(|_| {
                eprintln!("medians: unknown backend `{b}`");
                std::process::exit(2)
            })
        })
        .collect();
    let (Ok(seeds), Ok(cap)) = (seeds.parse::<u64>(), cap.parse::<u64>()) else {
        eprintln!("medians: SEEDS and CAP are counts");
        std::process::exit(2);
    };
    let all = racecheck_scenarios::catalogue_with_demo();
    for name in names.split(',') {
        let (scenario, variant) = name.split_once('/').unwrap_or((name, "bug"));
        let Some(v) = all.find(scenario).and_then(|s| s.find_variant(variant)) else {
            eprintln!("medians: no variant `{name}`");
            std::process::exit(2);
        };
        for &b in &backends {
            let mut runs: Vec<u64> = (0..seeds)
                .map(|seed| {
                    let r = v.check().backend(b).seed(seed).executions(cap).run();
                    r.failure
                        .filter(|f| v.is_met_by_outcome(b, Some(&f.outcome)))
                        .map_or(u64::MAX, |f| f.execution)
                })
                .collect();
            runs.sort_unstable();
            let found = runs.iter().filter(|&&r| r != u64::MAX).count();
            let mid = runs[(runs.len() - 1) / 2];
            let mid = if mid == u64::MAX {
                "—".to_string()
            } else {
                mid.to_string()
            };
            println!("{name:<40} {b:<11} median {mid:>5}  found {found}/{seeds}");
        }
    }
}
