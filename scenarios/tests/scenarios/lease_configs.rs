//! proptest over lease configurations: lease duration, heartbeat interval, operation length,
//! pause length and number of holders, each configuration explored by the scheduler.

use proptest::prelude::*;
use proptest::test_runner::{
    Config as RunnerConfig, TestCaseError, TestError, TestRng, TestRunner,
};
use racecheck::{BackendKind, Check};
use racecheck_models::lease::{run, Config, Holder, Release, Service};
use std::time::Duration;

/// A configuration from whole seconds: holder 0 starts at 0 s, the others 1 s apart.
#[derive(Clone, Debug)]
struct Params {
    lease: u64,
    heartbeat: u64,
    operation: u64,
    pause: u64,
    holders: usize,
}

impl Params {
    fn config(&self, fenced: bool) -> Config {
        let holders = (0..self.holders)
            .map(|i| Holder {
                start: Duration::from_secs(i as u64),
                operation: Duration::from_secs(self.operation).into(),
                pause: if i == 0 {
                    Duration::from_secs(self.pause).into()
                } else {
                    Duration::ZERO.into()
                },
                writes: true,
            })
            .collect();
        Config {
            lease: Duration::from_secs(self.lease),
            heartbeat: Some(Duration::from_secs(self.heartbeat)),
            release: Release::CompareAndDelete,
            fenced,
            service: Service::Redis,
            holders,
            clear_locks_at: None,
        }
    }
}

fn params(max_pause: u64) -> impl Strategy<Value = Params> {
    (
        5..=120u64,
        1..=240u64,
        1..=240u64,
        0..=max_pause,
        2..=3usize,
    )
        .prop_map(|(lease, heartbeat, operation, pause, holders)| Params {
            lease,
            heartbeat,
            operation,
            pause,
            holders,
        })
}

/// Explore one configuration: a few random schedules (timings are virtual, so the clock, not
/// the schedule, decides most of the outcome; the schedules vary equal-time orderings).
fn explore(cfg: Config) -> Option<String> {
    let r = Check::new(move || run(&cfg))
        .backend(BackendKind::Random)
        .executions(8)
        .seed(1)
        .run();
    r.failure.map(|f| f.outcome.to_string())
}

/// A runner with a fixed seed (proptest's deterministic RNG), so every run draws the same
/// configurations and a failing case reproduces; nothing is persisted, since nothing varies.
fn runner(cases: u32) -> TestRunner {
    let config = RunnerConfig {
        cases,
        failure_persistence: None,
        ..RunnerConfig::default()
    };
    let rng = TestRng::deterministic_rng(config.rng_algorithm);
    TestRunner::new_with_rng(config, rng)
}

#[test]
fn fencing_keeps_every_configuration_safe() {
    let result = runner(64).run(&params(240), |p| match explore(p.config(true)) {
        None => Ok(()),
        Some(outcome) => Err(TestCaseError::fail(format!("{p:?}: {outcome}"))),
    });
    if let Err(e) = result {
        panic!("a fenced configuration lost an update: {e}");
    }
}

/// Without fencing and without pauses, proptest finds a configuration that loses an update
/// and shrinks it; the shrunk case shows what the failures have in common.
#[test]
fn unfenced_heartbeats_fail_when_the_interval_reaches_the_lease() {
    let result = runner(256).run(&params(0), |p| match explore(p.config(false)) {
        None => Ok(()),
        Some(outcome) => Err(TestCaseError::fail(outcome)),
    });
    let minimal = match result {
        Err(TestError::Fail(_, minimal)) => minimal,
        other => panic!("proptest found no failing configuration: {other:?}"),
    };
    // The relation the shrunk case points to: the first renewal comes no earlier than the lease
    // runs out, and the operation lasts at least the lease (at exactly the lease, the write and
    // the next holder's read fall at the same virtual time, and the schedule decides).
    assert!(
        minimal.heartbeat >= minimal.lease && minimal.operation >= minimal.lease,
        "shrunk to {minimal:?}"
    );
    // And the boundary is sharp: one second less of heartbeat interval, and it is safe.
    let safe = Params {
        heartbeat: minimal.lease - 1,
        ..minimal.clone()
    };
    assert_eq!(explore(safe.config(false)), None, "shrunk to {minimal:?}");
    println!("shrunk failing configuration: {minimal:?}");
}
