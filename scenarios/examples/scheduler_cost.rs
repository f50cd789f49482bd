//! One scheduler over a fixed number of executions of a passing model, for an instruction
//! count under callgrind (the criterion bench `schedulers` measures time, this counts
//! instructions, which the machine's load does not move):
//!
//! `valgrind --tool=callgrind target/release/examples/scheduler_cost reads-from stages 200`
//!
//! Models: `setters` and `stages` (the demo suite's reorder and twostage shapes at 20
//! threads, without their checks), `rlock` (lock_manager's fix); `twostage` and `reorder`
//! (the failing demo programs at 20 threads) with a fourth argument `fingerprint` print a
//! hash of every execution run, to check that a change to a scheduler's bookkeeping left its
//! executions alone.

#![forbid(unsafe_code)]

use racecheck::{BackendKind, Check};
use racecheck_models::demo;
use racecheck_scenarios::catalogue;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (backend, model, executions, print) = match args.as_slice() {
        [b, m, n] => (b, m, n, false),
        [b, m, n, f] if f == "fingerprint" => (b, m, n, true),
        _ => {
            eprintln!("usage: scheduler_cost BACKEND MODEL EXECUTIONS [fingerprint]");
            std::process::exit(2);
        }
    };
    let Ok(backend) = backend.parse::<BackendKind>() else {
        eprintln!("scheduler_cost: unknown backend `{backend}`");
        std::process::exit(2);
    };
    let Ok(executions) = executions.parse::<u64>() else {
        eprintln!("scheduler_cost: EXECUTIONS is a count, not `{executions}`");
        std::process::exit(2);
    };
    let make = || {
        match model.as_str() {
            "setters" => Check::new(|| demo::setters(20)),
            "stages" => Check::new(|| demo::stages(20)),
            "twostage" => Check::new(|| demo::twostage(20)),
            "reorder" => Check::new(|| demo::reorder(20)),
            "rlock" => catalogue()
                .find("lock_manager")
                .and_then(|s| s.find_variant("rlock"))
                .expect("lock_manager/rlock is in the catalogue")
                .check(),
            other => {
                eprintln!("scheduler_cost: unknown model `{other}`");
                std::process::exit(2);
            }
        }
        .backend(backend)
        .executions(executions)
        .workers(1)
    };
    if !print {
        let run = make().run();
        println!("{backend} {model}: {} executions", run.executions);
        return;
    }
    for seed in 0..10 {
        let run = make().seed(seed).fingerprint().run();
        let failed = run.failure.as_ref().map(|f| f.execution);
        println!(
            "{backend} {model} seed {seed}: {} executions, first failure {failed:?}, \
             fingerprint {:x}",
            run.executions, run.fingerprint
        );
    }
}
