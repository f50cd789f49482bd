//! The demo suite's regressions: which schedulers find each program's bug within a budget.
//! Small sizes and budgets here; the N = 100 medians over 20 seeds are in the ignored
//! `demo_medians_at_100` (and in `racecheck bench`).

use racecheck::{BackendKind, Variant};

/// A demo program by its scenario name, or a catalogue variant as `scenario/variant`.
fn variant(name: &str) -> Variant {
    let (scenario, variant) = name.split_once('/').unwrap_or((name, "bug"));
    let all = racecheck_scenarios::catalogue_with_demo();
    let s = all.find(scenario).expect("a known scenario");
    s.find_variant(variant).expect("a known variant").clone()
}

/// Executions to the expected failure under `backend` from `seed`, if within `cap`.
fn first_failure(name: &str, backend: BackendKind, seed: u64, cap: u64) -> Option<u64> {
    let v = variant(name);
    let r = v.check().backend(backend).seed(seed).executions(cap).run();
    let f = r.failure.as_ref()?;
    assert!(
        v.is_met_by_outcome(backend, Some(&f.outcome)),
        "{name} under {backend}: another failure: {}",
        f.outcome
    );
    Some(f.execution)
}

/// The median over seeds 0..seeds, a not-found run counting as above every finding.
fn median(name: &str, backend: BackendKind, seeds: u64, cap: u64) -> (Option<u64>, usize) {
    let mut runs: Vec<u64> = (0..seeds)
        .map(|s| first_failure(name, backend, s, cap).unwrap_or(u64::MAX))
        .collect();
    runs.sort_unstable();
    let found = runs.iter().filter(|&&r| r != u64::MAX).count();
    let mid = runs[(runs.len() - 1) / 2];
    ((mid != u64::MAX).then_some(mid), found)
}

#[test]
#[ignore]
fn print_medians() {
    let names: Vec<String> = std::env::var("DEMO")
        .unwrap_or_else(|_| "demo.reorder_10,demo.twostage_10".into())
        .split(',')
        .map(String::from)
        .collect();
    let seeds: u64 = std::env::var("SEEDS").map_or(20, |s| s.parse().unwrap());
    let cap: u64 = std::env::var("CAP").map_or(1000, |s| s.parse().unwrap());
    for name in &names {
        for b in [
            BackendKind::Random,
            BackendKind::Pct,
            BackendKind::Urw,
            BackendKind::Pos,
            BackendKind::ReadsFrom,
            BackendKind::Portfolio,
        ] {
            let (m, found) = median(name, b, seeds, cap);
            println!("{name:<22} {b:<11} median {m:?} found {found}/{seeds}");
        }
    }
}
