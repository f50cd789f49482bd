//! The checker on hand-written histories and on generated ones.

use super::*;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed, TestCaseError, TestRunner};

/// A read/write register holding an integer, initially 0.
struct Register;

#[derive(Clone, Debug, PartialEq)]
enum RegOp {
    Write(u8),
    Read,
}

impl Spec for Register {
    type State = u8;
    type Op = RegOp;
    /// A write returns its value; a read, what it read.
    type Ret = u8;

    fn init(&self) -> u8 {
        0
    }

    fn apply(&self, state: &mut u8, op: &RegOp) -> u8 {
        match op {
            RegOp::Write(v) => {
                *state = *v;
                *v
            }
            RegOp::Read => *state,
        }
    }
}

/// A FIFO queue of integers, initially empty.
struct Queue;

#[derive(Clone, Debug, PartialEq)]
enum QueueOp {
    Enq(u8),
    Deq,
}

impl Spec for Queue {
    type State = std::collections::VecDeque<u8>;
    type Op = QueueOp;
    /// An enqueue returns `None`; a dequeue, the front (or `None` when empty).
    type Ret = Option<u8>;

    fn init(&self) -> Self::State {
        Default::default()
    }

    fn apply(&self, state: &mut Self::State, op: &QueueOp) -> Option<u8> {
        match op {
            QueueOp::Enq(v) => {
                state.push_back(*v);
                None
            }
            QueueOp::Deq => state.pop_front(),
        }
    }
}

/// Registers keyed by the op's first field: the parts P-compositionality splits.
struct Registers;

impl Spec for Registers {
    type State = std::collections::BTreeMap<u8, u8>;
    type Op = (u8, RegOp);
    type Ret = u8;

    fn init(&self) -> Self::State {
        Default::default()
    }

    fn apply(&self, state: &mut Self::State, (key, op): &(u8, RegOp)) -> u8 {
        let cell = state.entry(*key).or_insert(0);
        Register.apply(cell, op)
    }

    fn partition(&self, (key, _): &(u8, RegOp)) -> u64 {
        u64::from(*key)
    }
}

fn op<O, R>(thread: usize, o: O, r: R, called: u64, returned: u64) -> Operation<O, R> {
    Operation::new(thread, o, r, called, returned)
}

fn verdict<S: Spec>(spec: &S, h: &[Operation<S::Op, S::Ret>]) -> Verdict {
    check(spec, h, DEFAULT_BUDGET)
}

fn not_linearizable(minimal: &[usize]) -> Verdict {
    Verdict::NotLinearizable {
        minimal: minimal.to_vec(),
    }
}

// Registers. A write overlapping two reads may be seen by the first and not the second only
// if the register is "regular", not atomic (Lamport, "On interprocess communication", 1986):
// the new/old inversion is the classic non-linearizable register history.

#[test]
fn a_read_overlapping_a_write_may_see_either_value() {
    use RegOp::*;
    let h = [
        op(0, Write(1), 1, 0, 10),
        op(1, Read, 0, 1, 2),
        op(1, Read, 1, 3, 4),
    ];
    assert_eq!(verdict(&Register, &h), Verdict::Linearizable);
}

#[test]
fn new_old_inversion_is_not_linearizable() {
    use RegOp::*;
    let h = [
        op(0, Write(1), 1, 0, 10),
        op(1, Read, 1, 1, 2),
        op(1, Read, 0, 3, 4),
    ];
    // The two reads suffice: whether the write took effect in its interval or not, they cannot
    // both be right.
    assert_eq!(verdict(&Register, &h), not_linearizable(&[1, 2]));
}

#[test]
fn a_read_of_a_value_written_after_it_returned_is_not_linearizable() {
    use RegOp::*;
    let h = [op(0, Read, 1, 0, 1), op(1, Write(1), 1, 2, 3)];
    assert_eq!(verdict(&Register, &h), not_linearizable(&[0]));
}

#[test]
fn a_pending_write_may_explain_a_read() {
    use RegOp::*;
    let h = [
        Operation::pending(0, Write(1), 0),
        op(1, Read, 1, 1, 2),
        op(1, Read, 1, 3, 4),
    ];
    assert_eq!(verdict(&Register, &h), Verdict::Linearizable);
    // But not one that is called after the read returned.
    let h = [op(1, Read, 1, 1, 2), Operation::pending(0, Write(1), 3)];
    assert_eq!(verdict(&Register, &h), not_linearizable(&[0]));
}

#[test]
fn sequential_writes_then_a_stale_read_is_not_linearizable() {
    use RegOp::*;
    let h = [
        op(0, Write(1), 1, 0, 1),
        op(1, Write(2), 2, 2, 3),
        op(0, Read, 1, 4, 5),
    ];
    // Even had write 1 not happened, the read of 1 after write 2 is wrong.
    assert_eq!(verdict(&Register, &h), not_linearizable(&[1, 2]));
}

// Queues: the FIFO examples in the manner of Herlihy & Wing 1990, §2.

#[test]
fn overlapping_enqueues_may_dequeue_in_either_order() {
    use QueueOp::*;
    let h = [
        op(0, Enq(1), None, 0, 4),
        op(1, Enq(2), None, 1, 3),
        op(0, Deq, Some(2), 5, 6),
        op(1, Deq, Some(1), 7, 8),
    ];
    assert_eq!(verdict(&Queue, &h), Verdict::Linearizable);
}

#[test]
fn a_dequeue_out_of_fifo_order_is_not_linearizable() {
    use QueueOp::*;
    let h = [
        op(0, Enq(1), None, 0, 1),
        op(1, Enq(2), None, 2, 3),
        op(0, Deq, Some(2), 4, 5),
    ];
    // Whether Enq(2) happened or not, Enq(1) before Deq → 2 is wrong.
    assert_eq!(verdict(&Queue, &h), not_linearizable(&[0, 2]));
}

#[test]
fn two_dequeues_of_one_element_are_not_linearizable() {
    use QueueOp::*;
    let h = [
        op(0, Enq(1), None, 0, 1),
        op(1, Deq, Some(1), 2, 5),
        op(2, Deq, Some(1), 3, 6),
    ];
    // The enqueue, had it happened or not, gives at most one element: the dequeues suffice.
    assert_eq!(verdict(&Queue, &h), not_linearizable(&[1, 2]));
}

#[test]
fn concurrent_dequeues_of_two_elements_are_linearizable() {
    use QueueOp::*;
    let h = [
        op(0, Enq(1), None, 0, 1),
        op(0, Enq(2), None, 2, 3),
        op(1, Deq, Some(2), 4, 7),
        op(2, Deq, Some(1), 5, 6),
        op(0, Deq, None, 8, 9),
    ];
    assert_eq!(verdict(&Queue, &h), Verdict::Linearizable);
}

#[test]
fn parts_are_checked_alone_and_the_witness_names_the_failing_part() {
    use RegOp::*;
    let h = [
        op(0, (1, Write(5)), 5, 0, 3),
        op(1, (2, Write(7)), 7, 1, 2),
        op(1, (1, Read), 5, 4, 5),
        op(0, (2, Read), 0, 6, 7),
    ];
    assert_eq!(verdict(&Registers, &h), not_linearizable(&[1, 3]));
}

#[test]
fn the_budget_bounds_the_search_and_says_so() {
    use RegOp::*;
    let h: Vec<_> = (0..6)
        .map(|i| op(i, Write(i as u8), i as u8, 0, 100))
        .chain([op(6, Read, 9, 101, 102)])
        .collect();
    assert_eq!(check(&Register, &h, 3), Verdict::Undecided { states: 3 });
    assert!(matches!(
        check(&Register, &h, DEFAULT_BUDGET),
        Verdict::NotLinearizable { .. }
    ));
}

#[test]
fn memoisation_bounds_the_search_by_the_sets_threads_can_reach() {
    // 3 threads of 10 writes each, every write overlapping the other threads' neighbours, then a
    // read of a value nobody wrote: the search must rule out every order. One thread's
    // operations are ordered, so a linearized set is a prefix per thread: at most 11^3 sets,
    // each with one of 4 register values, against the 30!/(10!^3) interleavings without
    // memoisation.
    use RegOp::*;
    let mut h: Vec<_> = (0..30u64)
        .map(|k| {
            let (t, i) = (k % 3, k / 3);
            op(
                t as usize,
                Write(t as u8 + 1),
                t as u8 + 1,
                10 * i + t,
                10 * i + t + 8,
            )
        })
        .collect();
    h.push(op(3, Read, 9, 1000, 1001));
    let ops: Vec<_> = h.iter().collect();
    let mut left = 100_000;
    let found = search::linearizable(&Register, &ops, &vec![false; ops.len()], &mut left);
    assert_eq!(found, Some(false));
    let states = 100_000 - left;
    assert!(states <= 11 * 11 * 11 * 4, "{states} states");
}

/// A spec whose results are not a function of the state: `Fresh` returns any token above
/// every earlier one.
struct Tokens;

impl Spec for Tokens {
    type State = u64;
    type Op = ();
    type Ret = u64;

    fn init(&self) -> u64 {
        0
    }

    fn apply(&self, state: &mut u64, _: &()) -> u64 {
        *state += 1;
        *state
    }

    fn step(&self, state: &u64, _: &(), ret: &u64) -> Option<u64> {
        (ret > state).then_some(*ret)
    }
}

#[test]
fn a_spec_may_allow_several_results() {
    let h = [op(0, (), 3, 0, 1), op(1, (), 7, 2, 3)];
    assert_eq!(verdict(&Tokens, &h), Verdict::Linearizable);
    let h = [op(0, (), 7, 0, 1), op(1, (), 3, 2, 3)];
    assert_eq!(verdict(&Tokens, &h), not_linearizable(&[0, 1]));
}

/// A coin: `Flip` lands either way (it returns the side), `Look` returns the side up. `apply`
/// says heads; `listed` says whether [`Spec::pending`] lists both sides.
struct Coin {
    listed: bool,
}

#[derive(Clone, Debug)]
enum CoinOp {
    Flip,
    Look,
}

impl Spec for Coin {
    type State = bool;
    type Op = CoinOp;
    type Ret = bool;

    fn init(&self) -> bool {
        true
    }

    fn apply(&self, heads: &mut bool, op: &CoinOp) -> bool {
        if let CoinOp::Flip = op {
            *heads = true;
        }
        *heads
    }

    fn step(&self, heads: &bool, op: &CoinOp, ret: &bool) -> Option<bool> {
        match op {
            CoinOp::Flip => Some(*ret),
            CoinOp::Look => (ret == heads).then_some(*heads),
        }
    }

    fn pending(&self, heads: &bool, op: &CoinOp) -> Vec<bool> {
        match op {
            CoinOp::Flip if self.listed => vec![true, false],
            _ => {
                let mut next = *heads;
                self.apply(&mut next, op);
                vec![next]
            }
        }
    }
}

#[test]
fn a_pending_operation_may_have_left_any_state_its_spec_lists() {
    // The coin starts heads; a flip that never returned overlaps a look that saw tails: the flip
    // landed tails. A look before the flip's call still must see heads.
    let h = [
        Operation::pending(0, CoinOp::Flip, 0),
        op(1, CoinOp::Look, false, 1, 2),
    ];
    assert_eq!(verdict(&Coin { listed: true }, &h), Verdict::Linearizable);
    // With `apply`'s one result the flip lands heads, and the look is not explained.
    assert_eq!(verdict(&Coin { listed: false }, &h), not_linearizable(&[1]));
    let h = [
        op(1, CoinOp::Look, false, 0, 1),
        Operation::pending(0, CoinOp::Flip, 2),
    ];
    assert_eq!(verdict(&Coin { listed: true }, &h), not_linearizable(&[0]));
}

// Generated histories, from a fixed seed so a failure reproduces.

fn runner() -> TestRunner {
    TestRunner::new(Config {
        cases: 300,
        rng_seed: RngSeed::Fixed(21),
        failure_persistence: None,
        ..Config::default()
    })
}

fn queue_op() -> impl Strategy<Value = QueueOp> {
    prop_oneof![(0u8..4).prop_map(QueueOp::Enq), Just(QueueOp::Deq)]
}

/// Operations run in sequence, each at its own linearization point 10·i; its call and return
/// are stretched around that point by up to `spread` either side, so neighbours overlap.
fn stretched(
    ops: &[QueueOp],
    stretch: &[(u64, u64)],
    threads: &[usize],
) -> Vec<Operation<QueueOp, Option<u8>>> {
    let mut state = Queue.init();
    ops.iter()
        .enumerate()
        .map(|(i, o)| {
            let ret = Queue.apply(&mut state, o);
            let at = 100 + 10 * i as u64;
            let (before, after) = stretch[i];
            op(threads[i], o.clone(), ret, at - before, at + 1 + after)
        })
        .collect()
}

#[test]
fn a_history_with_a_sequential_explanation_is_always_accepted() {
    let strategy = (1usize..=16).prop_flat_map(|n| {
        (
            proptest::collection::vec(queue_op(), n),
            proptest::collection::vec((0u64..40, 0u64..40), n),
            proptest::collection::vec(0usize..4, n),
        )
    });
    runner()
        .run(&strategy, |(ops, stretch, threads)| {
            // Sequential (no overlap) and overlapping around the points alike.
            let sequential = stretched(&ops, &vec![(0, 0); ops.len()], &threads);
            prop_assert_eq!(verdict(&Queue, &sequential), Verdict::Linearizable);
            let overlapping = stretched(&ops, &stretch, &threads);
            prop_assert_eq!(verdict(&Queue, &overlapping), Verdict::Linearizable);
            Ok(())
        })
        .unwrap();
}

#[test]
fn a_minimal_history_is_rejected_on_its_own() {
    // Random results: many histories are wrong; each witness must be wrong alone, and every
    // operation in it needed (relaxing any one makes it linearizable).
    let strategy = (1usize..=10).prop_flat_map(|n| {
        proptest::collection::vec(
            (queue_op(), proptest::option::of(0u8..4), 0u64..60, 1u64..30),
            n,
        )
    });
    runner()
        .run(&strategy, |ops| {
            let h: Vec<_> = ops
                .iter()
                .enumerate()
                .map(|(i, (o, r, at, len))| op(i, o.clone(), *r, *at, at + len))
                .collect();
            let Verdict::NotLinearizable { minimal } = verdict(&Queue, &h) else {
                return Ok(());
            };
            let kept: Vec<_> = minimal.iter().map(|&i| h[i].clone()).collect();
            if !matches!(verdict(&Queue, &kept), Verdict::NotLinearizable { .. }) {
                return Err(TestCaseError::fail(format!(
                    "{kept:?} alone is linearizable"
                )));
            }
            // The others optional, the history is still rejected; making any kept one
            // optional as well lets it be linearized.
            let ops: Vec<_> = h.iter().collect();
            let mut relaxed: Vec<bool> = (0..h.len()).map(|i| !minimal.contains(&i)).collect();
            let search = |relaxed: &[bool]| {
                search::linearizable(&Queue, &ops, relaxed, &mut DEFAULT_BUDGET.clone())
            };
            prop_assert_eq!(search(&relaxed), Some(false), "{:?}", h);
            for &k in &minimal {
                relaxed[k] = true;
                prop_assert_eq!(search(&relaxed), Some(true), "{:?} without {}", h, k);
                relaxed[k] = false;
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn optional_operations_left_behind_do_not_multiply_the_search() {
    // One reader polls 30 times while a long write runs; then reads 1 and 0: the inversion.
    // Finding the witness makes each poll optional in turn; paths that differ only in polls
    // left behind meet in one search state, so it stays well inside a small budget.
    use RegOp::*;
    let mut h = vec![op(0, Write(1), 1, 0, 10_000)];
    h.extend((0..30).map(|i| op(1, Read, 0, 10 * i + 1, 10 * i + 5)));
    h.push(op(1, Read, 1, 400, 405));
    h.push(op(1, Read, 0, 410, 415));
    assert_eq!(check(&Register, &h, 20_000), not_linearizable(&[31, 32]));
}
