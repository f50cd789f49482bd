//! Choices a model leaves open, explored like interleavings.
//!
//! A production race often needs a duration to fall a certain way: an upload that takes 3 s
//! rather than 1 s, a pause longer than a lease. A model states the range with [`choose`] (or
//! [`crate::time::sleep_for_one_of`]) instead of fixing one value, and every check covers it:
//! - loom and DFS run the model once per combination of the choices' options, so a verified
//!   fix holds for every combination and every interleaving;
//! - the random walk, PCT and real threads draw each choice from the execution's seed;
//! - a replay makes the recorded choices again.
//!
//! Every choice is a step of the trace (`A: upload time: 3s (choice 3 of 3)`), kept in race
//! files and drawn in timelines. A choice is known by its thread and its rank among that
//! thread's choices, so the number of options at the k-th choice of a thread should not
//! depend on values chosen elsewhere (it may depend on the thread's own earlier choices).
//!
//! ```
//! use racecheck::{choose, BackendKind, Check, Verdict};
//! use std::sync::{Arc, Mutex};
//! let seen = Arc::new(Mutex::new(Vec::new()));
//! let s = seen.clone();
//! let result = Check::new(move || {
//!     let attempts = choose("attempts", &[1, 2, 3]);
//!     s.lock().unwrap().push(attempts);
//! })
//! .backend(BackendKind::Dfs)
//! .run();
//! assert_eq!(result.verdict(), Verdict::Verified);
//! let mut seen = seen.lock().unwrap().clone();
//! seen.dedup();
//! // The quick sweep, then the full one: every value in each.
//! assert_eq!(seen, [1, 2, 3, 1, 2, 3]);
//! ```

use crate::rt;
use std::fmt::Debug;

/// One of `options`, chosen as the check explores (see the module docs).
///
/// # Panics
/// If `options` is empty, or outside a racecheck check.
#[track_caller]
pub fn choose<T: Clone + Debug>(label: &'static str, options: &[T]) -> T {
    assert!(
        !options.is_empty(),
        "racecheck::choose(\"{label}\") needs at least one option"
    );
    let i = rt::with(|exec| {
        exec.choose(rt::me(), label.into(), options.len(), &|i| {
            format!("{:?}", options[i])
        })
    });
    options[i].clone()
}

/// An index below `n`, chosen as the check explores: [`choose`] over `0..n`.
///
/// # Panics
/// If `n` is 0, or outside a racecheck check.
#[track_caller]
pub fn choose_index(label: &'static str, n: usize) -> usize {
    assert!(
        n > 0,
        "racecheck::choose_index(\"{label}\", 0) has no option"
    );
    rt::with(|exec| exec.choose(rt::me(), label.into(), n, &|i| i.to_string()))
}

/// `true` or `false`, chosen as the check explores (`false` first).
#[track_caller]
pub fn choose_bool(label: &'static str) -> bool {
    choose(label, &[false, true])
}
