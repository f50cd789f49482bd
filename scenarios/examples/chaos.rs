//! Real threads with and without chaos: runs to the first failure of each bug real threads can
//! reach, median over 20 seeds (cap 20,000 runs), measured in one process.
//!
//! `cargo run --release -p racecheck-scenarios --example chaos`

use racecheck::sync::{Arc, Mutex};
use racecheck::{thread, BackendKind, Check};
use racecheck_scenarios::catalogue;

const SEEDS: u64 = 20;
const CAP: u64 = 20_000;

/// Two threads take two locks in opposite orders.
fn abba() {
    let a = Arc::new(Mutex::named("A", ()));
    let b = Arc::new(Mutex::named("B", ()));
    let (a2, b2) = (a.clone(), b.clone());
    let t = thread::spawn(move || {
        let _b = b2.lock().unwrap();
        let _a = a2.lock().unwrap();
    });
    {
        let _a = a.lock().unwrap();
        let _b = b.lock().unwrap();
    }
    t.join().unwrap();
}

/// Runs to first failure per seed (`None`: not found within the cap).
fn runs(check: impl Fn() -> Check) -> Vec<Option<u64>> {
    (0..SEEDS)
        .map(|seed| {
            let r = check().seed(seed).executions(CAP).run();
            r.failure.map(|f| f.execution)
        })
        .collect()
}

fn summary(v: &[Option<u64>]) -> String {
    let mut found: Vec<u64> = v.iter().flatten().copied().collect();
    found.sort_unstable();
    let median = if found.len() * 2 > v.len() {
        found[v.len() / 2].to_string()
    } else {
        "not found".to_string()
    };
    format!("{median} ({} of {})", found.len(), v.len())
}

fn main() {
    let cat = catalogue();
    let rows: Vec<(String, Box<dyn Fn() -> Check>)> = vec![
        ("abba".to_string(), Box::new(|| Check::new(abba))),
        variant(&cat, "lock_manager", "lock"),
        variant(&cat, "singleton_cache", "unlocked"),
        variant(&cat, "sqlite.ticket_lease", "deferred-rollback"),
        variant(&cat, "sqlite.ticket_lease", "deferred-wal"),
        variant(&cat, "sqlite.next_ticket", "deferred-rollback"),
        variant(&cat, "sqlite.next_ticket", "deferred-wal"),
    ];
    println!("| bug | runs to first failure, chaos off | chaos on |");
    println!("|---|---|---|");
    for (name, check) in rows {
        let threads = || check().backend(BackendKind::Threads);
        let off = runs(|| threads().chaos(false));
        let on = runs(|| threads().chaos(true));
        println!("| {name} | {} | {} |", summary(&off), summary(&on));
    }
}

fn variant(
    cat: &racecheck::Catalogue,
    scenario: &str,
    name: &str,
) -> (String, Box<dyn Fn() -> Check>) {
    let v = cat
        .find(scenario)
        .and_then(|s| s.find_variant(name))
        .unwrap_or_else(|| panic!("{scenario}/{name} is in the catalogue"))
        .clone();
    (format!("{scenario}/{name}"), Box::new(move || v.check()))
}
