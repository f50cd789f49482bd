//! Lock hold time and throughput of the compaction variants, in virtual time:
//! `cargo run --release -p racecheck-scenarios --example compaction_figures [ROUNDS]`.

#![forbid(unsafe_code)]

fn main() {
    let rounds = std::env::args()
        .nth(1)
        .map(|r| r.parse().expect("ROUNDS is a number"))
        .unwrap_or(3);
    println!(
        "Each of N compactors runs {rounds} compactions (its own deltas), all starting at 0.\n"
    );
    print!("{}", racecheck_scenarios::compaction::figures_table(rounds));
}
