//! Each fix passes under every backend, in one line each; each bug is found under every
//! model backend and classified.

use racecheck::{BackendKind, Check, OutcomeKind};
use racecheck_example::{
    opposite_transfers, sum_of_squares, sum_of_squares_naive, two_readers, Bank, Settings,
};

fn ordered_transfers() {
    opposite_transfers(Bank::transfer)
}

fn naive_transfers() {
    opposite_transfers(Bank::transfer_naive)
}

fn locked_readers() {
    two_readers(Settings::get)
}

fn naive_readers() {
    two_readers(Settings::get_naive)
}

fn draining_squares() {
    racecheck::invariant!(sum_of_squares(&[1, 2]) == 5);
}

fn naive_squares() {
    racecheck::invariant!(sum_of_squares_naive(&[1, 2]) == 5);
}

#[test]
fn draining_inside_the_scope_passes_everywhere() {
    // Three threads and a channel's lock and condvars are too many interleavings to explore
    // them all in a test: loom up to 2 preemptions, DFS its first 2,000 schedules.
    let loom = Check::new(draining_squares)
        .backend(BackendKind::Loom)
        .preemption_bound(Some(2))
        .run();
    assert!(loom.complete, "{} executions", loom.executions);
    loom.assert_passes();
    racecheck::check_dfs(draining_squares, Some(2_000));
    racecheck::check_pct(draining_squares, 1_000, 3);
    racecheck::check_random(draining_squares, 1_000);
    racecheck::check_threads(draining_squares, 200);
}

#[test]
fn the_ordered_transfer_passes_everywhere() {
    racecheck::model(ordered_transfers);
    racecheck::check_dfs(ordered_transfers, None);
    racecheck::check_pct(ordered_transfers, 1_000, 3);
    racecheck::check_random(ordered_transfers, 1_000);
    racecheck::check_threads(ordered_transfers, 200);
}

#[test]
fn the_locked_lazy_init_passes_everywhere() {
    racecheck::model(locked_readers);
    racecheck::check_dfs(locked_readers, None);
    racecheck::check_pct(locked_readers, 1_000, 3);
    racecheck::check_random(locked_readers, 1_000);
    racecheck::check_threads(locked_readers, 200);
}

/// The bugs, as a test that they are found: `assert_found` fails the test if they are not.
#[test]
fn the_bugs_are_found_by_every_model_backend() {
    for backend in [
        BackendKind::Loom,
        BackendKind::Dfs,
        BackendKind::Pct,
        BackendKind::Random,
    ] {
        let abba = Check::new(naive_transfers).backend(backend).run();
        let f = abba.assert_found(OutcomeKind::Deadlock);
        assert!(f
            .outcome
            .to_string()
            .contains("clerk waits on mutex account"));
        let lazy = Check::new(naive_readers).backend(backend).run();
        let f = lazy.assert_found(OutcomeKind::Invariant);
        assert!(f.outcome.to_string().contains("settings loaded 2 times"));
        let squares = Check::new(naive_squares).backend(backend).run();
        let f = squares.assert_found(OutcomeKind::Deadlock);
        assert!(
            f.outcome
                .to_string()
                .contains("waits on condvar results.full"),
            "{backend}: {}",
            f.outcome
        );
    }
}
