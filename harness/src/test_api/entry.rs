//! The one-line checks, named as shuttle's and loom's are. Each explores `f` and panics on
//! the first failure (see [`super`] for the message); none has a time limit but real
//! threads', so what a test checks depends on its counts alone.

use crate::check::{BackendKind, Check, DEFAULT_TIME_LIMIT};
use std::time::Duration;

/// No wall-clock limit: a count bounds every budget below.
const NO_TIME_LIMIT: Duration = Duration::from_secs(100 * 365 * 24 * 3600);
/// "As many as there are", for loom and DFS.
const UNBOUNDED: u64 = u64::MAX / 4;

fn check(f: impl Fn() + Send + Sync + 'static, backend: BackendKind) -> Check {
    Check::new(f).backend(backend).time_limit(NO_TIME_LIMIT)
}

/// shuttle's random walk, `iterations` executions from seed 0, as `shuttle::check_random`.
#[track_caller]
pub fn check_random(f: impl Fn() + Send + Sync + 'static, iterations: usize) {
    check(f, BackendKind::Random)
        .executions(iterations as u64)
        .run()
        .assert_named("check_random");
}

/// The portfolio: random, PCT (depth 3), URW, POS and the reads-from scheduler taking turns,
/// `iterations` executions from seed 0. The one to hunt bugs with when you do not know which
/// scheduler suits the bug (see `BackendKind::Portfolio`).
#[track_caller]
pub fn check_portfolio(f: impl Fn() + Send + Sync + 'static, iterations: usize) {
    check(f, BackendKind::Portfolio)
        .executions(iterations as u64)
        .run()
        .assert_named("check_portfolio");
}

/// shuttle's PCT with depth `depth` (bugs that need `depth` − 1 ordering constraints),
/// `iterations` executions from seed 0, as `shuttle::check_pct`.
#[track_caller]
pub fn check_pct(f: impl Fn() + Send + Sync + 'static, iterations: usize, depth: usize) {
    check(f, BackendKind::Pct)
        .executions(iterations as u64)
        .depth(depth)
        .run()
        .assert_named("check_pct");
}

/// shuttle's depth-first enumeration, of every schedule (`None`) or at most `max_iterations`,
/// as `shuttle::check_dfs`.
#[track_caller]
pub fn check_dfs(f: impl Fn() + Send + Sync + 'static, max_iterations: Option<usize>) {
    check(f, BackendKind::Dfs)
        .executions(max_iterations.map_or(UNBOUNDED, |n| n as u64))
        .run()
        .assert_named("check_dfs");
}

/// loom: every interleaving, as `loom::model`. A model of more than 5 threads (main
/// included) fails the test as not checked, never as a finding.
#[track_caller]
pub fn model(f: impl Fn() + Send + Sync + 'static) {
    check(f, BackendKind::Loom)
        .executions(UNBOUNDED)
        .run()
        .assert_named("model");
}

/// `runs` runs on real OS threads under the watchdog; the default time limit stays (a run
/// that hangs outside the facade has nothing else to end it), and a passing test whose
/// runs were cut by it says so on stderr.
#[track_caller]
pub fn check_threads(f: impl Fn() + Send + Sync + 'static, runs: usize) {
    Check::new(f)
        .backend(BackendKind::Threads)
        .executions(runs as u64)
        .time_limit(DEFAULT_TIME_LIMIT)
        .run()
        .assert_named("check_threads");
}
