//! The demo suite as scenarios (`demo.reorder_100`, …): named only, never run by a check of
//! everything (see `Scenario::only_when_named`). `racecheck bench` measures the schedulers on
//! them; `tests/scenarios/demo.rs` pins which scheduler finds which within a budget.
//!
//! loom runs at most 5 threads (main included): beyond `reorder_4` and `twostage_4` it says
//! "unsupported", and the programs of 100 threads are for the shuttle-family schedulers only.

use racecheck::{Expect, OutcomeKind, Scenario};
use racecheck_models::demo;

/// The sizes of `reorder_N` and `twostage_N` in the suite.
pub const SIZES: [usize; 5] = [3, 10, 20, 50, 100];

fn one(name: &'static str, about: &'static str, expect: OutcomeKind, body: fn()) -> Scenario {
    Scenario::new(name, about)
        .variant("bug", about, Expect::Fail(expect), body)
        .only_when_named()
}

/// Every demo program, smallest first within a family.
pub fn scenarios() -> Vec<Scenario> {
    let mut out = Vec::new();
    let reorder: [(&'static str, fn()); 5] = [
        ("demo.reorder_3", || demo::reorder(3)),
        ("demo.reorder_10", || demo::reorder(10)),
        ("demo.reorder_20", || demo::reorder(20)),
        ("demo.reorder_50", || demo::reorder(50)),
        ("demo.reorder_100", || demo::reorder(100)),
    ];
    for (name, body) in reorder {
        out.push(one(
            name,
            "N-1 setters write a then b; the checker must read between one setter's two writes",
            OutcomeKind::Invariant,
            body,
        ));
    }
    let twostage: [(&'static str, fn()); 5] = [
        ("demo.twostage_3", || demo::twostage(3)),
        ("demo.twostage_10", || demo::twostage(10)),
        ("demo.twostage_20", || demo::twostage(20)),
        ("demo.twostage_50", || demo::twostage(50)),
        ("demo.twostage_100", || demo::twostage(100)),
    ];
    for (name, body) in twostage {
        out.push(one(
            name,
            "N-1 two-stage writers; the reader must run between an early writer's two stages",
            OutcomeKind::Invariant,
            body,
        ));
    }
    out.push(one(
        "demo.wronglock",
        "3 threads increment under lock1, one under lock2, which excludes none of them",
        OutcomeKind::Invariant,
        || demo::wronglock(3),
    ));
    out.push(one(
        "demo.bounded_buffer",
        "Cargill's one-slot buffer with notify_one: a consumer wakes the other consumer",
        OutcomeKind::Deadlock,
        demo::bounded_buffer,
    ));
    out.push(one(
        "demo.pct_ordering",
        "PCT's depth-1 shape: a use before the initialisation, after long preambles",
        OutcomeKind::Invariant,
        demo::ordering,
    ));
    out.push(one(
        "demo.pct_atomicity",
        "PCT's depth-2 shape: a check and a use with a clear between, after long preambles",
        OutcomeKind::Invariant,
        demo::atomicity,
    ));
    out
}
