//! Which ready task a runtime polls next: a decision of the backend, not of the queue.
//!
//! When a `current_thread` runtime's thread finds more than one contender (the tasks in its
//! run queue and, for the `block_on` caller, the woken `block_on` future), the pick is a choice
//! ([`Execution::choose`], labelled "task order"): loom and DFS run every value, the random walk
//! and PCT draw it from the seed, replay and shrinking take the recorded one. Option 0 is the
//! order tokio's `current_thread` runtime takes today (FIFO, the tasks queued when the
//! `block_on` future yielded ahead of it), so an execution that chooses nothing else runs as
//! before. tokio does not promise that order: its `task::yield_now` docs say the runtime may
//! poll the yielding task again at once, and that a program should be correct whatever order
//! the runtime polls its tasks in (docs.rs/tokio, `tokio::task::yield_now`, "Non-guarantees").
//!
//! Why a choice rather than one facade thread per ready task: the guarantee that a worker's
//! tasks never run at the same time, and that a task blocking its worker blocks the others,
//! comes from polling them on that worker's thread; contender threads would need a hand-off
//! on every poll (several scheduling points each, multiplying loom's space), while a choice
//! costs one branch per decision and none when only one task is ready.
//!
//! A choice is keyed by thread and rank; on `current_thread` one thread makes every decision,
//! so how many tasks are ready at its k-th decision depends only on its own earlier choices,
//! which `Enumeration` covers. Where the count can differ (a model thread outside the runtime
//! waking a task, or the interleaving of a `multi_thread` runtime's workers), the enumeration
//! stays complete because `Choices::pick` clamps a value past a decision's options to its last
//! one and `Enumeration` counts each key's options as the most any execution met: some orders
//! then run twice, none is missed.
//!
//! A `multi_thread` runtime keeps a run queue per worker and an inject queue, after tokio's
//! (docs.rs/tokio, `tokio::runtime`, "Multi threaded runtime (behavior at the time of
//! writing)"): a task spawned or woken on a worker goes to that worker's queue, one made ready
//! elsewhere (by the `block_on` caller, a blocking thread, a timer the caller fires) to the
//! inject queue; a worker takes from its own queue, else from the inject queue, else steals
//! from another worker's. When a worker has several contenders and no other worker is free to
//! take one (every other worker is polling a task, blocked in it or not, or has a queue of its
//! own to run), the pick is the choice above, so a worker held by a blocking call leaves the
//! other's queue explored in every order. When another worker is free, the pick is the oldest
//! task and the free worker takes the next, so which runs first is the workers' interleaving,
//! which the backends explore already: a choice on top of it multiplies loom's space beyond
//! reach (`racecheck check async.compaction --variant cas --backend loom`, at bound 1: 14,715
//! executions with the rule above, which it never meets; not verified in 100,000 executions,
//! 36 s, with a choice whenever a worker has two contenders; 73,576 with a choice also when a
//! thief steals from a victim free to run its own queue).
//!
//! Of tokio's orders, racecheck explores: its own queue's tasks in any order when no other
//! worker is free; the inject queue's tasks likewise; any task of a busy worker's queue stolen.
//! It does not model tokio's LIFO slot (the task a task woke, polled next and never stolen):
//! its order is reached, but not the task stuck in the slot of a worker that then blocks, while
//! the other workers idle (racecheck lets them steal it). Nor does it model tokio's batches
//! (half a victim's queue moved at a steal, a share of the inject queue taken at once, the
//! inject queue polled every `global_queue_interval` ticks ahead of the worker's own): which
//! worker runs a task may then differ from tokio's, and with three ready tasks on a worker and
//! one free worker the newest cannot run first (each worker takes one of the two oldest; a
//! choice there would cost the multiplication above).

use super::executor::Sched;
use crate::rt::Execution;

/// The contender to poll: `Some(i)`, the i-th task of the queue; `None`, the `block_on` future.
///
/// `current_thread`: `queued` tasks wait in the caller's queue; `main`: the caller may poll
/// its woken `block_on` future, ahead of the queue in the default order if `main_first`.
pub(super) fn next_ready(
    exec: &Execution,
    me: usize,
    sched: &Sched,
    queued: usize,
    main: bool,
    main_first: bool,
) -> Option<usize> {
    let mut order: Vec<Option<usize>> = (0..queued).map(Some).collect();
    match (main, main_first) {
        (true, true) => order.insert(0, None),
        (true, false) => order.push(None),
        _ => {}
    }
    if order.len() == 1 {
        return order[0];
    }
    let name = |c: Option<usize>| match c {
        Some(i) => format!("task {}", exec.task_name(sched.task_of(sched.local[0][i]))),
        None => "the block_on future".to_string(),
    };
    let pick = exec.choose(me, "task order".into(), order.len(), &|i| name(order[i]));
    order[pick]
}

/// A queue of a `multi_thread` runtime: a worker's own (by runtime thread) or the inject queue.
#[derive(Clone, Copy)]
enum Queue {
    Local(usize),
    Inject,
}

/// The task worker `who` of a `multi_thread` runtime polls next, taken off its queue: one of
/// its own queue's, else of the inject queue, else one stolen from another worker's queue;
/// `None` if there is none. The pick is a choice when there are several and no other worker
/// is free to take one (all of them polling or with a queue of their own to run).
pub(super) fn take(exec: &Execution, me: usize, who: usize, g: &mut Sched) -> Option<usize> {
    let workers = 1..g.local.len();
    let all = |q: Queue, n: usize| (0..n).map(move |i| (q, i));
    let stealing = g.local[who].is_empty() && g.inject.is_empty();
    let contenders: Vec<(Queue, usize)> = if !g.local[who].is_empty() {
        all(Queue::Local(who), g.local[who].len()).collect()
    } else if !stealing {
        all(Queue::Inject, g.inject.len()).collect()
    } else {
        workers
            .clone()
            .filter(|&w| w != who)
            .flat_map(|w| all(Queue::Local(w), g.local[w].len()))
            .collect()
    };
    let slot_of = |(q, i): (Queue, usize)| match q {
        Queue::Local(w) => g.local[w][i],
        Queue::Inject => g.inject[i],
    };
    // Another worker not polling takes from the same queues: an idle one steals from this
    // worker's queue or takes from the inject queue, a victim takes from its own.
    let other_free = workers
        .clone()
        .any(|w| w != who && !g.polling[w] && (stealing || g.local[w].is_empty()));
    let pick = match contenders.len() {
        0 => return None,
        1 => 0,
        _ if other_free => 0,
        n => exec.choose(me, "task order".into(), n, &|i| {
            format!("task {}", exec.task_name(g.task_of(slot_of(contenders[i]))))
        }),
    };
    match contenders[pick] {
        (Queue::Local(w), i) => g.local[w].remove(i),
        (Queue::Inject, i) => g.inject.remove(i),
    }
}
