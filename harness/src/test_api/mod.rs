//! Testing your own code under `cargo test`.
//!
//! One line a test, mirroring shuttle's and loom's entry points; each panics when it finds a
//! failure, with a message a person can act on:
//!
//! ```
//! # fn transfer() {}
//! racecheck::check_pct(|| transfer(), 1_000, 3);
//! ```
//!
//! ```text
//! racecheck check_pct: found a deadlock in execution 2 of 1000 [pct(d=3), seed 0]
//!   deadlock: main waits on mutex account b (held by teller); teller waits on mutex account a (held by main)
//! timeline (11 steps):
//!        0  main    spawn teller
//!   ...
//! race file: /…/target/racecheck/races/transfer_deadlocks.pctd3.race
//! replay it: RACECHECK_REPLAY=/…/target/racecheck/races/transfer_deadlocks.pctd3.race cargo test transfer_deadlocks
//! ```
//!
//! The race is shrunk (fewer preemptions, then fewer steps) and saved under the target
//! directory, or `RACECHECK_RACES`. Running the printed command replays it: the same call, in
//! the same test, follows the saved schedule once instead of exploring, says "replayed FILE"
//! and fails the same way, or says where the replay parted from the recording. A replay that
//! passes (the bug is fixed) passes. [`env`](mod@env) lists every variable racecheck reads.
//!
//! Builders assert the same way: `Check::new(f).backend(..).run().assert_passes()`, or
//! [`CheckResult::assert_found`] for a test that a bug is found.

mod entry;
pub mod env;
mod message;
pub(crate) mod replay;

pub use entry::{check_dfs, check_pct, check_portfolio, check_random, check_threads, model};

use crate::check::{CheckResult, Failure};
use crate::outcome::OutcomeKind;
use crate::race::RaceFile;
use crate::shrink::{shrink, ShrinkBudget};
use message::RaceNote;
use std::path::PathBuf;
use std::time::Duration;

/// The scenario a race file of a test's own closure names; its variant is the test's name.
pub const USER_SCENARIO: &str = "cargo-test";

/// Shrinking a test's race: a count, never a clock, so the saved race does not depend on load.
const SHRINK: ShrinkBudget = ShrinkBudget {
    attempts: 2_000,
    time_limit: Duration::from_secs(24 * 3600),
};

/// Which race file a check replayed (`RACECHECK_REPLAY`) and how it compared.
#[derive(Clone, Debug)]
pub struct ReplayedRace {
    pub path: PathBuf,
    /// The same outcome and every step as recorded.
    pub reproduced: bool,
    /// What matched, or where the replay parted from the recording.
    pub description: String,
}

impl CheckResult {
    /// Panic unless the check passed: on a failure, with the outcome, a timeline of the steps,
    /// the race file it saved and the command that replays it; on a model the backend cannot
    /// run, with why (nothing was checked).
    #[track_caller]
    pub fn assert_passes(&self) {
        self.assert_named("check");
    }

    /// Panic unless the check is a proof: it explored every execution there is (loom, DFS;
    /// within the preemption bound, if one was set) and found nothing. On a failure, as
    /// [`assert_passes`](Self::assert_passes); on a pass that did not explore everything
    /// (a seeded scheduler, a budget too small), with how far it got.
    #[track_caller]
    pub fn assert_verified(&self) {
        self.assert_named("check");
        if !self.complete {
            panic!(
                "racecheck: expected every execution explored, but {} {}",
                self.backend_label(),
                self.passed_text()
            );
        }
    }

    /// Panic unless the check found a failure of `kind`; the failure, if it did.
    #[track_caller]
    pub fn assert_found(&self, kind: OutcomeKind) -> &Failure {
        match &self.failure {
            Some(f) if f.outcome.kind() == kind => f,
            Some(f) => panic!("expected {kind}, but {}", self.failure_text("check", f)),
            None => panic!(
                "racecheck: expected {kind}, but {} {}",
                self.backend_label(),
                self.passed_text()
            ),
        }
    }

    #[track_caller]
    pub(crate) fn assert_named(&self, call: &str) {
        if let Some(f) = &self.failure {
            panic!("{}", self.failure_text(call, f));
        }
        if let Some(reason) = &self.unsupported {
            panic!("racecheck {call}: not checked: {reason}");
        }
        if let Some(r) = &self.replayed {
            eprintln!(
                "racecheck {call}: replayed {}: {}",
                r.path.display(),
                r.description
            );
        } else if self.time_limited {
            eprintln!("racecheck {call}: {}", self.passed_text());
        }
    }

    /// What a check without a failure did, in a phrase.
    fn passed_text(&self) -> String {
        if let Some(reason) = &self.unsupported {
            return format!("did not check the model: {reason}");
        }
        let mut s = format!(
            "found nothing in {} executions{}",
            self.executions,
            if self.complete {
                " (all there are)"
            } else {
                ""
            }
        );
        if self.time_limited {
            s.push_str(&format!(
                ", cut from {} by the {} s time limit",
                self.budget,
                self.time_limit.as_secs()
            ));
        }
        s
    }

    /// The failure message; saves the race unless it was replayed.
    fn failure_text(&self, call: &str, f: &Failure) -> String {
        if let Some(r) = &self.replayed {
            let note = RaceNote::Replayed {
                path: &r.path,
                description: &r.description,
            };
            return message::failure_message(call, self, f, note);
        }
        let (f, saved) = self.save(f);
        let note = match &saved {
            Ok(path) => RaceNote::Saved(path),
            Err(why) => RaceNote::NotSaved(why.clone()),
        };
        message::failure_message(call, self, &f, note)
    }

    /// Shrink the failure (if the model is at hand and the race replays) and save it as a
    /// new race file of this test.
    fn save(&self, f: &Failure) -> (Failure, Result<PathBuf, String>) {
        let mut f = f.clone();
        if let Some(body) = &self.body {
            let shrunk = shrink(&body.0, &f.outcome, &f.trace, SHRINK);
            if shrunk.replayed {
                f.outcome = shrunk.outcome;
                f.trace = shrunk.trace;
            }
        }
        let Some(test) = env::test_name() else {
            return (
                f,
                Err("not inside a test (no test name to replay it by)".into()),
            );
        };
        let race = RaceFile::new(
            USER_SCENARIO,
            &test,
            &self.backend_label(),
            (self.seed, f.execution),
            &f.outcome,
            &f.trace,
        );
        let stem = format!(
            "{}.{}",
            test.replace("::", "."),
            race.backend.replace(['(', ')', '='], "")
        );
        let path = env::races_dir().join(format!("{stem}.race"));
        let saved = race.save_beside(&path).map_err(|e| e.to_string());
        (f, saved)
    }
}
