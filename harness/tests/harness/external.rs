//! `sync::External`: a command is one atomic step and one labelled event; two commands are two
//! steps that other threads may come between.

use racecheck::sync::{Arc, External};
use racecheck::{invariant, thread, BackendKind, Check, OutcomeKind, Verdict};
use std::time::Duration;

/// Two clients increment a counter, in one command (`INCR`) or in two (`GET`, then `SET`).
fn counter(one_command: bool) {
    let redis = Arc::new(External::named("redis", 0u64));
    let incr = move |r: &External<u64>| {
        if one_command {
            r.command("INCR", |v| *v += 1);
        } else {
            let v = r.command("GET", |v| *v);
            r.command("SET", |s| *s = v + 1);
        }
    };
    let r2 = redis.clone();
    let t = thread::spawn(move || incr(&r2));
    incr(&redis);
    t.join().unwrap();
    let v = redis.command("GET", |v| *v);
    invariant!(v == 2, "lost update: counter is {v}");
}

fn run(one_command: bool, backend: BackendKind) -> racecheck::CheckResult {
    let body = move || counter(one_command);
    Check::new(body)
        .backend(backend)
        .executions(2_000)
        .seed(1)
        .time_limit(Duration::from_secs(20))
        .run()
}

#[test]
fn one_command_is_atomic_and_two_are_not() {
    for b in [BackendKind::Loom, BackendKind::Dfs] {
        run(true, b).assert_verified();
    }
    for b in [
        BackendKind::Loom,
        BackendKind::Dfs,
        BackendKind::Random,
        BackendKind::Pct,
    ] {
        let r = run(false, b);
        assert_eq!(r.verdict(), Verdict::Found(OutcomeKind::Invariant), "{b}");
    }
}

#[test]
fn a_command_is_one_labelled_event() {
    let r = Check::new(|| {
        let redis = External::named("redis", 0u64);
        redis.command("INCR", |v| *v += 1);
        invariant!(false, "stop here to keep the trace");
    })
    .backend(BackendKind::Pct)
    .executions(1)
    .run();
    let trace = r.failure.expect("the invariant fails").trace;
    let text = format!("{trace:?}");
    assert_eq!(text.matches("redis: INCR").count(), 1, "{text}");
}
