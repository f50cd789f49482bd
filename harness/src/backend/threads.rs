//! Real OS threads: the model runs as it would in production, N times, under a watchdog.
//!
//! A deadlock is found by the facade's bookkeeping as under the other backends; the watchdog
//! enforces the time limit on an execution that neither ends nor deadlocks (a thread spinning
//! outside the facade, say) and unwinds its threads.

use super::{Body, RunConfig, RunResult};
use crate::outcome::Outcome;
use crate::rt::{self, ChoiceSource, Execution, Primitives};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// How long an aborted execution's threads get to unwind before they are left behind.
const GRACE: Duration = Duration::from_secs(2);
/// The least time one execution gets before the watchdog calls it a hang.
const MIN_EXECUTION_TIME: Duration = Duration::from_secs(2);

pub(super) fn run(body: Body, cfg: &RunConfig) -> RunResult {
    rt::install_panic_hook();
    let start = Instant::now();
    let mut executions = 0;
    let mut fingerprint = 0u64;
    let mut last_trace = None;
    while executions < cfg.executions && super::time_left(start, cfg.time_limit) {
        executions += 1;
        (cfg.progress)(executions);
        let exec = Execution::new(Primitives::Threads, cfg.max_steps, false);
        exec.set_choices(match &cfg.choices {
            Some(values) => ChoiceSource::Fixed(values.clone()),
            None => ChoiceSource::Seeded(crate::fnv::mix(cfg.seed, executions)),
        });
        if cfg.chaos {
            exec.set_chaos(crate::fnv::mix(cfg.seed, executions));
        }
        let (done_tx, done_rx) = mpsc::channel();
        let main_exec = exec.clone();
        let main_body = body.clone();
        let spawned = std::thread::Builder::new()
            .name("main".to_string())
            .spawn(move || {
                main_exec.start_chaos(0);
                rt::set_current(Some(main_exec.clone()));
                rt::set_me(Primitives::Threads, 0);
                let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    rt::run_thread(&main_exec, 0, || main_body())
                }));
                rt::set_current(None);
                let _ = done_tx.send(());
            });
        if let Err(e) = spawned {
            let outcome = Outcome::Panic {
                thread: "main".into(),
                message: format!("cannot spawn: {e}"),
            };
            exec.fail(outcome);
        } else {
            // An execution gets what is left of the budget, but never less than a slice of it,
            // so one that starts just before the end is not cut short and called a hang.
            let left = cfg.time_limit.saturating_sub(start.elapsed());
            let allowed = left.max(cfg.time_limit.min(MIN_EXECUTION_TIME));
            if done_rx.recv_timeout(allowed).is_err() {
                exec.fail(Outcome::TimeLimit {
                    seconds: cfg.time_limit.as_secs(),
                });
                let _ = done_rx.recv_timeout(GRACE);
            }
        }
        fingerprint = crate::fnv::mix(fingerprint, exec.fingerprint());
        let (outcome, trace) = exec.finish();
        if outcome.is_failure() {
            return RunResult {
                executions,
                complete: false,
                failure: Some((executions, outcome, trace.clone())),
                fingerprint,
                last_trace: Some(trace),
            };
        }
        last_trace = Some(trace);
    }
    RunResult {
        executions,
        complete: false,
        failure: None,
        fingerprint,
        last_trace,
    }
}
