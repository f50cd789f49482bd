//! The `racecheck` command with the seed scenarios built in.
//!
//! It lives in the scenarios package because the catalogue depends on the engine: the engine's
//! CLI (`racecheck::cli`) takes any catalogue, and this binary hands it ours.

fn main() {
    std::process::exit(racecheck::cli::main(racecheck_scenarios::catalogue()));
}
