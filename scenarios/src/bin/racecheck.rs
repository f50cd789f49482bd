//! The `racecheck` command with the seed scenarios built in.
//!
//! It lives in the scenarios package because the catalogue depends on the engine: the engine's
//! CLI (`racecheck_cli::main`) takes any catalogue, and this binary hands it ours.

#![forbid(unsafe_code)]

fn main() {
    std::process::exit(racecheck_cli::main(
        racecheck_scenarios::catalogue_with_demo(),
    ));
}
