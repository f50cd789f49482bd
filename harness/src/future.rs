//! Async tasks, explored like threads: a small executor built from the facade, and tokio on the
//! real backend.
//!
//! Under loom and shuttle (and replay) a [`Runtime`] is an executor whose workers are facade
//! threads polling a run queue kept under a facade [`Mutex`](crate::sync::Mutex) and
//! [`Condvar`]. Tasks share their runtime's workers, as they share tokio's:
//! a task that blocks its worker (a `sync::Mutex` held across an `.await`, a blocking call)
//! stops every other task that worker would poll, and the schedulers see it because every
//! scheduling decision is a facade operation. An idle worker waits on the queue with a timeout
//! up to the earliest timer, so it counts as a sleeper and the virtual clock moves; a worker
//! waiting on an empty queue with no timer is stuck, and when everything is, the deadlock report
//! names what each task awaits. Which ready task a runtime polls next is a choice the backend
//! makes (`task_order`: on `current_thread` whenever several are ready, on `multi_thread` when
//! a worker has several and no other worker is free to take one), so loom and DFS run every
//! order of them; so is which of several ready branches of a [`select2`]/[`select3`] wins
//! (`select`).
//!
//! Under the real backend a runtime is tokio's `current_thread` runtime with the paused clock:
//! timers fire in virtual time, so a three-minute lease takes milliseconds, and a body that
//! waits forever ends as a deadlock once a day of virtual time passed with nothing to do.
//! tokio pauses time only on `current_thread`, so [`Flavor::MultiThread`] runs there too; the
//! model backends explore the N workers. The order of ready tasks there is tokio's own.
//!
//! ```
//! use racecheck::future::{self, sync::Mutex, time};
//! use racecheck::sync::Arc;
//! use racecheck::{BackendKind, Check};
//! use std::time::Duration;
//!
//! let result = Check::new(|| {
//!     future::block_on(async {
//!         let lock = Arc::new(Mutex::named("state", 0));
//!         let l = lock.clone();
//!         let beat = future::spawn_named("heartbeat", async move {
//!             let mut every = time::interval(Duration::from_secs(30));
//!             every.tick().await;
//!             *l.lock().await += 1;
//!         });
//!         time::sleep(Duration::from_secs(90)).await;
//!         beat.await;
//!         racecheck::invariant!(*lock.lock().await == 1, "the heartbeat did not run");
//!     })
//! })
//! .backend(BackendKind::Pct)
//! .run();
//! assert!(result.failure.is_none());
//! ```
//!
//! shuttle's own `future` module (and `shuttle-tokio`) run each task as its own shuttle task:
//! no task could starve another, tasks are not facade threads (so replay and the facade's
//! thread numbering would break), and neither has loom or virtual time. Hence this executor.

use crate::outcome::Outcome;
use crate::rt::{self, Execution, Primitives};
use crate::sync::{Condvar, Mutex as SyncMutex};
use crate::trace::EventKind;
use futures_util::FutureExt;
use std::collections::VecDeque;
use std::future::Future;
use std::panic::{self, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

/// `task::spawn_blocking`: a blocking closure on a thread of its own.
mod blocking;
/// `JoinHandle`: a task's output, and its abort.
mod join_handle;
pub use join_handle::JoinHandle;
/// `task::JoinSet`: tasks joined as they finish.
mod join_set;
/// `select2`, `select3` and `select!`: the first of several futures.
mod select;
#[allow(unsafe_code)] // its mutex guard reaches the data: SAFETY comments in the module
pub mod sync;
pub mod time;
/// `time::timeout`: a future raced against a sleep.
mod timeout;

pub use select::{
    select2, select2_biased, select3, select3_biased, Either, Either3, Select2, Select3,
};

/// The task API under tokio's paths: `task::yield_now`, `task::spawn_blocking`, `task::JoinSet`.
pub mod task {
    pub use super::blocking::{spawn_blocking, BlockingHandle};
    pub use super::join_set::JoinSet;
    pub use super::{spawn, spawn_named, yield_now, JoinHandle};
}

type BoxFuture = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// How long a tokio-run body may wait with nothing to do before it is called a deadlock: in
/// paused time this passes in no wall time at all.
const DEADLOCK_AFTER: std::time::Duration = std::time::Duration::from_secs(24 * 3600);

tokio::task_local! {
    /// The racecheck task id of the tokio task being polled.
    static TASK: usize;
}

/// How many worker threads poll a runtime's tasks, as in tokio.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flavor {
    /// The thread calling `block_on` polls every task (`#[tokio::test]`'s default).
    CurrentThread,
    /// N worker threads poll spawned tasks; the caller polls only the `block_on` future.
    MultiThread(usize),
}

/// An async runtime of one execution.
#[derive(Clone, Debug)]
pub struct Runtime {
    flavor: Flavor,
}

impl Runtime {
    pub fn current_thread() -> Self {
        Runtime {
            flavor: Flavor::CurrentThread,
        }
    }

    /// N worker threads (at least one).
    pub fn multi_thread(workers: usize) -> Self {
        Runtime {
            flavor: Flavor::MultiThread(workers.max(1)),
        }
    }

    pub fn flavor(&self) -> Flavor {
        self.flavor
    }

    /// Run `future` to completion on this runtime; tasks it spawned and left running are
    /// dropped when it returns, as tokio drops them.
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        let exec = rt::with(Arc::clone);
        match exec.primitives {
            Primitives::Threads => block_on_tokio(&exec, future),
            Primitives::Loom | Primitives::Shuttle => block_on_model(&exec, self.flavor, future),
        }
    }
}

/// Run `future` on a `current_thread` runtime.
pub fn block_on<F: Future>(future: F) -> F::Output {
    Runtime::current_thread().block_on(future)
}

/// Spawn a task named `task-N` on the current runtime.
///
/// # Panics
/// Outside a task of a runtime.
pub fn spawn<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    spawn_task(None, future)
}

/// Spawn a task with the name traces and deadlock reports give it, e.g. `"heartbeat"`.
pub fn spawn_named<F>(name: impl Into<String>, future: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    spawn_task(Some(name.into()), future)
}

fn spawn_task<F>(name: Option<String>, future: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let exec = rt::with(Arc::clone);
    let me = rt::me();
    let task = exec.register_task(String::new());
    let name = name.unwrap_or_else(|| format!("task-{task}"));
    exec.set_task_name(task, name.clone());
    exec.record(me, EventKind::Label(format!("spawn task {name}").into()));
    if exec.primitives == Primitives::Threads {
        let e = exec.clone();
        let who = format!("task {name}");
        let body = async move {
            match AssertUnwindSafe(future).catch_unwind().await {
                Ok(v) => {
                    e.task_done(task);
                    v
                }
                Err(payload) => {
                    rt::record_panic(&e, who, &*payload);
                    e.task_done(task);
                    panic::resume_unwind(payload)
                }
            }
        };
        let handle = tokio::task::spawn(TASK.scope(task, body));
        return join_handle::tokio_handle(task, handle);
    }
    let shared = current_shared(&exec, me).expect("future::spawn outside a runtime's task");
    let (handle, completion) = join_handle::model_handle(task, &name, shared.clone());
    let body = async move { completion.finish(future.await) };
    shared.spawn(task, Box::pin(body));
    handle
}

/// Let other tasks run: the task goes to the back of the run queue (which of the ready tasks
/// runs next is still the backend's choice on `current_thread`).
pub async fn yield_now() {
    let mut yielded = false;
    std::future::poll_fn(|cx| {
        if std::mem::replace(&mut yielded, true) {
            Poll::Ready(())
        } else {
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    })
    .await
}

/// The racecheck task the current thread is polling.
pub(crate) fn current_task(exec: &Execution, me: usize) -> Option<usize> {
    match exec.primitives {
        Primitives::Threads => TASK.try_with(|t| *t).ok(),
        _ => exec.polling(me).map(|(task, _)| task),
    }
}

/// The racecheck task tokio is polling on this thread, if any.
fn tokio_task() -> Option<usize> {
    TASK.try_with(|t| *t).ok()
}

/// Say what the current task awaits now (`None`: nothing, it runs).
pub(crate) fn awaiting(what: Option<&dyn Fn(&Execution) -> String>) {
    let exec = rt::with(Arc::clone);
    if let Some(task) = current_task(&exec, rt::me()) {
        exec.task_waits(task, what.map(|f| f(&exec)));
    }
}

/// Move tokio's paused clock by `d` at once, from synchronous code inside the runtime.
///
/// tokio's `advance` moves the clock before its first await, so one poll does it; the yield
/// that follows is dropped.
pub(crate) fn advance_paused_clock(d: std::time::Duration) {
    let fut = tokio::time::advance(d);
    let mut fut = std::pin::pin!(fut);
    let _ = fut.as_mut().poll(&mut Context::from_waker(
        futures_util::task::noop_waker_ref(),
    ));
}

fn block_on_tokio<F: Future>(exec: &Arc<Execution>, future: F) -> F::Output {
    rt::install_tokio_task_probe(tokio_task);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .expect("building a tokio runtime");
    let main = exec.register_task("main".to_string());
    let e = exec.clone();
    runtime.block_on(async move {
        let _ = e.tokio_start.set(tokio::time::Instant::now());
        match tokio::time::timeout(DEADLOCK_AFTER, TASK.scope(main, future)).await {
            Ok(v) => {
                e.task_done(main);
                v
            }
            Err(_) => {
                e.fail(Outcome::Deadlock {
                    blocked: e.blocked_now(),
                });
                e.abort_unwind()
            }
        }
    })
}

/// The model backends' executor.
mod executor;
/// Which ready task runs next, as a choice of the backend.
mod task_order;

use executor::{block_on_model, current_shared, now_nanos};
