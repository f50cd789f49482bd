//! The linearizability checker's cost per history: what `History::check` adds to one execution.
//!
//! Histories of 10, 20 and 30 operations on a FIFO queue, spread over 3 threads (each thread's
//! operations in sequence, each overlapping the other threads' neighbours on both sides, as a
//! model's threads overlap). `accept`: results from a sequential run, so the checker must find
//! an order. `reject`: the same with the last dequeue's result wrong, so the checker must rule
//! out every order (`reject-decide`), and then find the minimal history, every operation tried
//! as optional (`reject-witness`, what a failing execution pays).
//!
//! `cargo bench -p racecheck-scenarios --bench linearizability`.

#![forbid(unsafe_code)]

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use racecheck::linearizability::{
    check, is_linearizable, Operation, Spec, Verdict, DEFAULT_BUDGET,
};
use std::collections::VecDeque;
use std::hint::black_box;

struct Queue;

#[derive(Clone, Debug)]
enum Op {
    Enq(u32),
    Deq,
}

impl Spec for Queue {
    type State = VecDeque<u32>;
    type Op = Op;
    type Ret = Option<u32>;

    fn init(&self) -> VecDeque<u32> {
        VecDeque::new()
    }

    fn apply(&self, q: &mut VecDeque<u32>, op: &Op) -> Option<u32> {
        match op {
            Op::Enq(v) => {
                q.push_back(*v);
                None
            }
            Op::Deq => q.pop_front(),
        }
    }
}

const THREADS: u64 = 3;

/// `n` operations, op k on thread k mod 3 around point 10·k: two enqueues for each dequeue.
fn history(n: u64, wrong_last_dequeue: bool) -> Vec<Operation<Op, Option<u32>>> {
    let mut q = Queue.init();
    let mut ops: Vec<_> = (0..n)
        .map(|k| {
            let op = if k % 3 == 2 {
                Op::Deq
            } else {
                Op::Enq(k as u32)
            };
            let ret = Queue.apply(&mut q, &op);
            let at = 100 + 10 * k;
            Operation::new((k % THREADS) as usize, op, ret, at - 14, at + 14)
        })
        .collect();
    if wrong_last_dequeue {
        let last = ops
            .iter_mut()
            .rev()
            .find(|o| matches!(o.op, Op::Deq))
            .unwrap();
        last.ret = Some(Some(999));
    }
    ops
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("linearizability");
    for n in [10u64, 20, 30] {
        let good = history(n, false);
        assert_eq!(check(&Queue, &good, DEFAULT_BUDGET), Verdict::Linearizable);
        g.bench_with_input(BenchmarkId::new("accept", n), &good, |b, h| {
            b.iter(|| check(&Queue, black_box(h), DEFAULT_BUDGET))
        });
        let bad = history(n, true);
        assert!(matches!(
            check(&Queue, &bad, DEFAULT_BUDGET),
            Verdict::NotLinearizable { .. }
        ));
        g.bench_with_input(BenchmarkId::new("reject-decide", n), &bad, |b, h| {
            b.iter(|| is_linearizable(&Queue, black_box(h), DEFAULT_BUDGET))
        });
        g.bench_with_input(BenchmarkId::new("reject-witness", n), &bad, |b, h| {
            b.iter(|| check(&Queue, black_box(h), DEFAULT_BUDGET))
        });
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10);
    targets = bench
}
criterion_main!(benches);
