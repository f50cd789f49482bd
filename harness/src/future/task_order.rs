//! Which ready task a `current_thread` runtime polls next: a decision of the backend, not of
//! the queue.
//!
//! When the runtime's thread finds more than one contender (the tasks in its run queue and,
//! for the `block_on` caller, the woken `block_on` future), the pick is a choice
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
//! which `Enumeration` covers. Should the count ever differ (a model thread outside the runtime
//! waking a task), the enumeration stays complete because `Choices::pick` clamps a value past a
//! decision's options to its last one and `Enumeration` counts each key's options as the most
//! any execution met: some orders then run twice, none is missed.
//!
//! A `multi_thread` runtime keeps a FIFO queue: which worker takes which task is already the
//! interleaving of the worker threads, which the backends explore, and a choice per pop on top
//! of it multiplies loom's space beyond reach (`async.compaction/cas` at bound 1: 14,715
//! executions before, not done after 330 s with it).

use super::executor::Sched;
use crate::rt::Execution;

/// The contender to poll: `Some(i)`, the i-th task of the queue; `None`, the `block_on` future.
///
/// `queued` tasks wait in the queue; `main`: the caller may poll its woken `block_on` future,
/// ahead of the queue in the default order if `main_first`.
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
        Some(i) => format!("task {}", exec.task_name(sched.task_at(i))),
        None => "the block_on future".to_string(),
    };
    let pick = exec.choose(me, "task order".into(), order.len(), &|i| name(order[i]));
    order[pick]
}
