//! The one-line entry points as a test of a user's crate calls them: a failure panics with a
//! message naming the deadlock, the race file and the replay command; the command replays it.

use racecheck::sync::{Arc, Mutex};
use racecheck::{thread, BackendKind, Check, OutcomeKind, RaceFile, Verdict};
use std::panic::{self, AssertUnwindSafe};
use std::path::PathBuf;
use std::process::Command;

/// Two transfers between two accounts, locking them in opposite orders: ABBA.
fn transfer_abba() {
    transfer(false)
}

/// The fix: both lock the accounts in the same order.
fn transfer_ordered() {
    transfer(true)
}

fn transfer(ordered: bool) {
    let a = Arc::new(Mutex::named("account a", 100));
    let b = Arc::new(Mutex::named("account b", 0));
    let (a2, b2) = (a.clone(), b.clone());
    let teller = thread::Builder::new()
        .name("teller")
        .spawn(move || {
            let (first, second) = if ordered { (&a2, &b2) } else { (&b2, &a2) };
            let mut x = first.lock().unwrap();
            let mut y = second.lock().unwrap();
            *x += 1;
            *y -= 1;
        })
        .unwrap();
    {
        let mut from = a.lock().unwrap();
        let mut to = b.lock().unwrap();
        *from -= 10;
        *to += 10;
    }
    teller.join().unwrap();
}

/// The text a check panicked with.
fn panic_text(f: impl FnOnce()) -> String {
    let payload = panic::catch_unwind(AssertUnwindSafe(f)).expect_err("the check must fail");
    match payload.downcast::<String>() {
        Ok(s) => *s,
        Err(p) => p
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .unwrap_or_default(),
    }
}

fn this_test() -> String {
    std::thread::current().name().unwrap().to_string()
}

/// Run this test binary's test `test` alone, as `cargo test` would, with `envs`: whether it
/// passed, and everything it printed.
fn run_test_process(test: &str, envs: &[(&str, &str)]) -> (bool, String) {
    let exe = std::env::current_exe().unwrap();
    let out = Command::new(exe)
        .args([test, "--exact", "--nocapture", "--test-threads=1"])
        .envs(envs.iter().copied())
        .env_remove("RACECHECK_RACES")
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

/// Lines of shuttle's own advice, which racecheck's messages replace.
fn assert_no_shuttle_noise(text: &str) {
    for noise in [
        "test panicked in task",
        "SHUTTLE_RANDOM_SEED",
        "failing seed",
        "shuttle::",
    ] {
        assert!(!text.contains(noise), "`{noise}` in:\n{text}");
    }
}

#[test]
fn check_pct_fails_on_abba_saves_the_race_and_its_command_replays_it() {
    if std::env::var_os("RACECHECK_REPLAY").is_some() {
        // The replay process: the test body a user writes, one line.
        racecheck::check_pct(transfer_abba, 1000, 3);
        return;
    }
    let message = panic_text(|| racecheck::check_pct(transfer_abba, 1000, 3));
    assert!(message.contains("found a deadlock"), "{message}");
    assert!(message.contains("deadlock: "), "{message}");
    assert!(message.contains("waits on mutex account"), "{message}");
    assert!(message.contains("timeline ("), "{message}");
    let path = message
        .lines()
        .find_map(|l| l.strip_prefix("race file: "))
        .map(PathBuf::from)
        .unwrap_or_else(|| panic!("no race file in:\n{message}"));
    assert!(path.starts_with(env!("CARGO_TARGET_TMPDIR").rsplit_once("/tmp").unwrap().0));
    let command = format!(
        "RACECHECK_REPLAY={} cargo test {}",
        path.display(),
        this_test()
    );
    assert!(message.contains(&command), "{message}");
    let race = RaceFile::load(&path).unwrap();
    assert_eq!(race.scenario, "cargo-test");
    assert_eq!(race.variant, this_test());
    assert_eq!(race.backend, "pct(d=3)");
    assert_eq!(race.outcome.kind(), OutcomeKind::Deadlock);
    // Failing again, it saves the same race: where it already is, with no numbered copy.
    let again = panic_text(|| racecheck::check_pct(transfer_abba, 1000, 3));
    assert!(
        again.contains(&format!("race file: {}\n", path.display())),
        "{again}"
    );
    let stem = path.file_stem().unwrap().to_string_lossy();
    let copy = path.with_file_name(format!("{stem}.2.race"));
    assert!(!copy.exists(), "a copy at {}", copy.display());

    let (passed, text) = run_test_process(
        &this_test(),
        &[("RACECHECK_REPLAY", path.to_str().unwrap())],
    );
    assert!(!passed, "the replay must fail again:\n{text}");
    assert!(
        text.contains(&format!("replayed {}", path.display())),
        "{text}"
    );
    assert!(text.contains("reproduced: deadlock"), "{text}");
    assert!(text.contains("waits on mutex account"), "{text}");
    assert_no_shuttle_noise(&text);
    std::fs::remove_file(path).unwrap();
}

#[test]
fn a_race_of_another_test_or_backend_is_not_replayed() {
    let message = panic_text(|| racecheck::check_random(transfer_abba, 1000));
    let path = message
        .lines()
        .find_map(|l| l.strip_prefix("race file: "))
        .map(PathBuf::from)
        .unwrap();
    // This test's random race, named to a PCT check: it explores, and finds anew.
    let r = Check::new(transfer_abba).backend(BackendKind::Pct).run();
    assert!(r.replayed.is_none());
    assert_eq!(r.verdict(), Verdict::Found(OutcomeKind::Deadlock));
    std::fs::remove_file(path).unwrap();
}

/// A one-line check of a model.
type EntryPoint = fn(fn());

#[test]
fn every_model_entry_point_finds_abba_and_passes_the_fix() {
    let calls: [(&str, EntryPoint); 4] = [
        ("check_random", |f| racecheck::check_random(f, 1000)),
        ("check_pct", |f| racecheck::check_pct(f, 1000, 2)),
        ("check_dfs", |f| racecheck::check_dfs(f, None)),
        ("model", racecheck::model),
    ];
    for (name, call) in calls {
        let message = panic_text(|| call(transfer_abba));
        assert!(
            message.starts_with(&format!("racecheck {name}: found a deadlock")),
            "{message}"
        );
        let path = message
            .lines()
            .find_map(|l| l.strip_prefix("race file: "))
            .unwrap();
        std::fs::remove_file(path).unwrap();
        call(transfer_ordered);
    }
    racecheck::check_threads(transfer_ordered, 50);
}

#[test]
fn check_threads_fails_on_a_thread_relocking_its_mutex() {
    let message = panic_text(|| {
        racecheck::check_threads(
            || {
                let m = Mutex::named("m", ());
                let _g = m.lock().unwrap();
                let _again = m.lock().unwrap();
            },
            3,
        )
    });
    assert!(
        message.contains("found a deadlock in execution 1"),
        "{message}"
    );
    assert!(
        message.contains("main waits on mutex m (held by main)"),
        "{message}"
    );
    let path = message
        .lines()
        .find_map(|l| l.strip_prefix("race file: "))
        .unwrap();
    std::fs::remove_file(path).unwrap();
}

#[test]
fn assert_found_returns_the_failure_of_that_kind_and_fails_on_another() {
    let r = Check::new(transfer_abba).backend(BackendKind::Dfs).run();
    let f = r.assert_found(OutcomeKind::Deadlock);
    assert!(f.outcome.to_string().contains("teller waits on mutex"));
    let message = panic_text(|| {
        r.assert_found(OutcomeKind::Invariant);
    });
    assert!(
        message.starts_with("expected invariant, but racecheck check: found a deadlock"),
        "{message}"
    );
    let path = message
        .lines()
        .find_map(|l| l.strip_prefix("race file: "))
        .unwrap();
    std::fs::remove_file(path).unwrap();
    let fixed = Check::new(transfer_ordered).backend(BackendKind::Dfs).run();
    fixed.assert_passes();
    let message = panic_text(|| {
        fixed.assert_found(OutcomeKind::Deadlock);
    });
    assert!(message.contains("found nothing in"), "{message}");
    assert!(message.contains("(all there are)"), "{message}");
}

#[test]
fn assert_verified_holds_only_for_a_complete_pass() {
    Check::new(transfer_ordered)
        .backend(BackendKind::Dfs)
        .run()
        .assert_verified();
    let sampled = Check::new(transfer_ordered)
        .backend(BackendKind::Random)
        .executions(20)
        .run();
    sampled.assert_passes();
    let message = panic_text(|| sampled.assert_verified());
    assert_eq!(
        message,
        "racecheck: expected every execution explored, but random found nothing in 20 executions"
    );
}

/// Main and five workers: six threads, one more than loom runs.
fn six_threads() {
    let n = Arc::new(Mutex::new(0));
    let workers: Vec<_> = (0..5)
        .map(|_| {
            let n = n.clone();
            thread::spawn(move || *n.lock().unwrap() += 1)
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
}

#[test]
fn six_threads_under_loom_are_unsupported_not_a_finding() {
    let r = Check::new(six_threads).backend(BackendKind::Loom).run();
    assert_eq!(r.verdict(), Verdict::Unsupported);
    assert!(r.failure.is_none());
    assert_eq!(
        r.unsupported.as_deref(),
        Some("unsupported by loom: 6 threads, loom runs at most 5 including main")
    );
    let message = panic_text(|| racecheck::model(six_threads));
    assert_eq!(
        message,
        "racecheck model: not checked: unsupported by loom: 6 threads, loom runs at most 5 \
         including main"
    );
    // The same model under shuttle runs and passes.
    racecheck::check_pct(six_threads, 200, 3);
}

#[test]
fn a_budget_cut_by_the_time_limit_says_so() {
    let r = Check::new(transfer_ordered)
        .backend(BackendKind::Threads)
        .executions(10)
        .time_limit(std::time::Duration::ZERO)
        .run();
    assert!(r.time_limited, "{r:?}");
    assert_eq!(r.budget, 10);
    let full = Check::new(transfer_ordered)
        .backend(BackendKind::Random)
        .executions(10)
        .run();
    assert!(!full.time_limited);
    assert_eq!(full.executions, 10);
}

#[test]
fn failures_print_no_shuttle_advice_under_any_backend() {
    if std::env::var_os("RACECHECK_CHILD_FAILS").is_some() {
        for backend in BackendKind::ALL {
            let r = Check::new(transfer_abba)
                .backend(backend)
                .executions(300)
                .run();
            if backend != BackendKind::Threads {
                assert_eq!(r.found(), Some(OutcomeKind::Deadlock), "{backend}");
            }
        }
        let lost_update = || {
            let n = Arc::new(racecheck::sync::atomic::AtomicUsize::new(0));
            let m = n.clone();
            let t = thread::spawn(move || {
                let v = m.load(racecheck::sync::atomic::Ordering::SeqCst);
                m.store(v + 1, racecheck::sync::atomic::Ordering::SeqCst);
            });
            let v = n.load(racecheck::sync::atomic::Ordering::SeqCst);
            n.store(v + 1, racecheck::sync::atomic::Ordering::SeqCst);
            t.join().unwrap();
            racecheck::invariant!(n.load(racecheck::sync::atomic::Ordering::SeqCst) == 2);
        };
        racecheck::check_random(lost_update, 1000);
        return;
    }
    let (passed, text) = run_test_process(&this_test(), &[("RACECHECK_CHILD_FAILS", "1")]);
    assert!(!passed, "{text}");
    assert!(text.contains("invariant `n.load("), "{text}");
    assert!(
        text.contains("racecheck check_random: found an invariant failure in execution"),
        "{text}"
    );
    assert_no_shuttle_noise(&text);
    if let Some(path) = text.lines().find_map(|l| l.strip_prefix("race file: ")) {
        std::fs::remove_file(path).unwrap();
    }
}

#[test]
fn shuttle_random_seed_is_refused_not_silently_obeyed() {
    if std::env::var_os("SHUTTLE_RANDOM_SEED").is_some() {
        racecheck::check_random(transfer_ordered, 10);
        return;
    }
    let (passed, text) = run_test_process(&this_test(), &[("SHUTTLE_RANDOM_SEED", "7")]);
    assert!(!passed, "{text}");
    assert!(
        text.contains("racecheck: SHUTTLE_RANDOM_SEED is set (to \"7\")"),
        "{text}"
    );
}
