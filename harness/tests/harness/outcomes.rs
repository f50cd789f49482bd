//! Every backend finds and classifies each kind of outcome, and passes what is correct.

use crate::models;
use racecheck::{BackendKind, Check, OutcomeKind, Verdict};
use std::time::Duration;

fn check(body: fn(), backend: BackendKind) -> racecheck::CheckResult {
    let executions = if backend == BackendKind::Threads {
        200
    } else {
        2_000
    };
    Check::new(body)
        .backend(backend)
        .executions(executions)
        .seed(1)
        .max_steps(2_000)
        .time_limit(Duration::from_secs(20))
        .run()
}

fn model_backends() -> [BackendKind; 4] {
    [
        BackendKind::Loom,
        BackendKind::Random,
        BackendKind::Pct,
        BackendKind::Dfs,
    ]
}

#[test]
fn lost_update_is_an_invariant_failure_under_every_model_backend() {
    for b in model_backends() {
        let r = check(models::lost_update, b);
        assert_eq!(
            r.verdict(),
            Verdict::Found(OutcomeKind::Invariant),
            "{b}: {r:?}"
        );
        let f = r.failure.unwrap();
        assert!(
            f.outcome.to_string().contains("counter = 1"),
            "{b}: {}",
            f.outcome
        );
    }
}

#[test]
fn atomic_increment_is_verified_by_loom_and_dfs() {
    for b in [BackendKind::Loom, BackendKind::Dfs] {
        let r = check(models::atomic_increment, b);
        r.assert_verified();
    }
    for b in [BackendKind::Random, BackendKind::Pct, BackendKind::Threads] {
        let r = check(models::atomic_increment, b);
        assert_eq!(r.verdict(), Verdict::NotFound, "{b}: {r:?}");
    }
}

#[test]
fn abba_is_a_deadlock_naming_both_threads() {
    for b in model_backends() {
        let r = check(models::abba, b);
        assert_eq!(
            r.verdict(),
            Verdict::Found(OutcomeKind::Deadlock),
            "{b}: {r:?}"
        );
        let text = r.failure.unwrap().outcome.to_string();
        assert!(
            text.contains("main waits on mutex B (held by t1)"),
            "{b}: {text}"
        );
        assert!(
            text.contains("t1 waits on mutex A (held by main)"),
            "{b}: {text}"
        );
    }
}

#[test]
fn self_deadlock_is_found_by_every_backend() {
    for b in BackendKind::ALL {
        let r = check(models::self_deadlock, b);
        assert_eq!(
            r.verdict(),
            Verdict::Found(OutcomeKind::Deadlock),
            "{b}: {r:?}"
        );
        assert_eq!(r.failure.unwrap().execution, 1, "{b}");
    }
}

#[test]
fn spinning_is_a_step_bound() {
    for b in BackendKind::ALL {
        let r = check(models::spin, b);
        assert_eq!(
            r.verdict(),
            Verdict::Found(OutcomeKind::StepBound),
            "{b}: {r:?}"
        );
    }
}

#[test]
fn a_panic_is_a_panic_of_its_thread() {
    for b in BackendKind::ALL {
        let r = check(models::panics, b);
        assert_eq!(
            r.verdict(),
            Verdict::Found(OutcomeKind::Panic),
            "{b}: {r:?}"
        );
        let text = r.failure.unwrap().outcome.to_string();
        assert!(text.starts_with("panic in worker: boom"), "{b}: {text}");
    }
}

#[test]
fn handoff_passes_everywhere_and_loom_explores_it_all() {
    for b in BackendKind::ALL {
        let r = check(models::handoff, b);
        assert!(
            r.failure.is_none(),
            "{b}: {:?}",
            r.failure.map(|f| f.outcome)
        );
    }
    assert!(check(models::handoff, BackendKind::Loom).complete);
}

#[test]
fn a_missed_wakeup_is_a_deadlock_on_the_condvar() {
    for b in model_backends() {
        let r = check(models::lost_wakeup, b);
        assert_eq!(
            r.verdict(),
            Verdict::Found(OutcomeKind::Deadlock),
            "{b}: {r:?}"
        );
        let text = r.failure.unwrap().outcome.to_string();
        assert!(text.contains("main waits on condvar cv"), "{b}: {text}");
    }
}

#[test]
fn same_seed_same_executions() {
    for seed in 0..20 {
        for b in [BackendKind::Random, BackendKind::Pct] {
            let run = || {
                Check::new(models::handoff)
                    .backend(b)
                    .seed(seed)
                    .executions(50)
                    .fingerprint()
                    .run()
            };
            let (x, y) = (run(), run());
            assert_eq!(x.fingerprint, y.fingerprint, "{b} seed {seed}");
            assert_eq!(x.executions, 50);
        }
    }
    let a = Check::new(models::handoff)
        .backend(BackendKind::Random)
        .seed(1)
        .executions(50)
        .fingerprint()
        .run();
    let b = Check::new(models::handoff)
        .backend(BackendKind::Random)
        .seed(2)
        .executions(50)
        .fingerprint()
        .run();
    assert_ne!(
        a.fingerprint, b.fingerprint,
        "different seeds explored the same executions"
    );
}
