//! Threads, like `std::thread`: spawned, named and joined through the backend of the check.
//!
//! loom runs at most 5 threads, the main thread included; a model that spawns more runs under
//! shuttle and real threads only. Spawning a sixth under loom ends the check as
//! [`Verdict::Unsupported`](crate::Verdict::Unsupported): nothing found, nothing verified.

use crate::rt::{self, Primitives};
use std::io;
use std::time::Duration;

mod scope;
pub use scope::{scope, Scope, ScopedJoinHandle};

/// Spawn a model thread named `thread-N`.
pub fn spawn<F, T>(f: F) -> JoinHandle<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    Builder::new().spawn(f).expect("spawning a model thread")
}

/// Yield: a scheduling point where another thread may run.
pub fn yield_now() {
    let exec = rt::with(std::sync::Arc::clone);
    exec.record(rt::me(), crate::trace::EventKind::Yield);
    match exec.primitives {
        Primitives::Loom => loom::thread::yield_now(),
        Primitives::Shuttle => shuttle::thread::yield_now(),
        Primitives::Threads => std::thread::yield_now(),
    }
}

/// Block until this thread's token is given ([`Thread::unpark`]), and take it; at once if
/// it was given before. std lets `park` return spuriously; racecheck never does, under any
/// backend: code that is right under std loops on its condition anyway.
pub fn park() {
    let exec = rt::with(std::sync::Arc::clone);
    exec.park(rt::me(), None);
}

/// Like [`park`], but return once `timeout` of virtual time has passed (the clock moves when
/// no thread can run), also under real threads.
pub fn park_timeout(timeout: Duration) {
    let exec = rt::with(std::sync::Arc::clone);
    exec.park(rt::me(), Some(timeout));
}

/// The current model thread: its index (0 is main, then in spawn order) and name.
pub fn current() -> Thread {
    rt::with(|exec| {
        let index = rt::me();
        Thread {
            index,
            name: exec.thread_name(index),
        }
    })
}

/// A model thread's identity.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Thread {
    index: usize,
    name: String,
}

impl Thread {
    /// Give the thread its token: it returns from its current [`park`], or else its next
    /// one returns at once.
    pub fn unpark(&self) {
        let exec = rt::with(std::sync::Arc::clone);
        exec.unpark(rt::me(), self.index);
    }

    /// The thread's index in this execution: 0 for main, then in spawn order.
    pub fn id(&self) -> usize {
        self.index
    }

    pub fn name(&self) -> &str {
        &self.name
    }
}

/// Names a thread before spawning it, like `std::thread::Builder`.
#[derive(Debug, Default)]
pub struct Builder {
    name: Option<String>,
}

impl Builder {
    pub fn new() -> Self {
        Builder::default()
    }

    /// The name traces and deadlock reports give the thread, e.g. `"heartbeat"`.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    pub fn spawn<F, T>(self, f: F) -> io::Result<JoinHandle<T>>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let exec = rt::with(std::sync::Arc::clone);
        let parent = rt::me();
        let name = self.name.clone();
        let child = exec.register_thread(parent, self.name);
        let primitives = exec.primitives;
        let child_exec = exec.clone();
        let body = move || {
            rt::set_me(primitives, child);
            match primitives {
                // A failed thread stops the execution quietly instead of panicking out of its
                // task, which shuttle would report on stderr.
                Primitives::Shuttle => {
                    crate::backend::run_shuttle_task(|| rt::run_thread(&child_exec, child, f))
                }
                _ => rt::run_thread(&child_exec, child, f),
            }
        };
        let inner = match primitives {
            Primitives::Loom => {
                if child >= LOOM_MAX_THREADS {
                    exec.fail(crate::Outcome::Unsupported {
                        reason: format!(
                            "unsupported by loom: {} threads, loom runs at most \
                             {LOOM_MAX_THREADS} including main",
                            child + 1
                        ),
                    });
                    exec.abort_unwind();
                }
                JoinInner::Loom(loom::thread::spawn(body))
            }
            Primitives::Shuttle => JoinInner::Shuttle(shuttle::thread::spawn(body)),
            Primitives::Threads => {
                let mut builder = std::thread::Builder::new();
                if let Some(name) = name {
                    builder = builder.name(name);
                }
                let current = exec.clone();
                JoinInner::Real(builder.spawn(move || {
                    current.start_chaos(child);
                    rt::set_current(Some(current));
                    body()
                })?)
            }
        };
        Ok(JoinHandle {
            index: child,
            inner,
        })
    }

    /// Spawn a thread of `scope` that may borrow what outlives the scope, like std's.
    pub fn spawn_scoped<'scope, 'env, F, T>(
        self,
        scope: &'scope Scope<'scope, 'env>,
        f: F,
    ) -> io::Result<ScopedJoinHandle<'scope, T>>
    where
        F: FnOnce() -> T + Send + 'scope,
        T: Send + 'scope,
    {
        scope.spawn_with(self, f)
    }
}

/// The most threads loom explores, the main thread included.
pub const LOOM_MAX_THREADS: usize = 5;

/// Joins a model thread, like `std::thread::JoinHandle`.
#[derive(Debug)]
pub struct JoinHandle<T> {
    index: usize,
    inner: JoinInner<T>,
}

#[derive(Debug)]
enum JoinInner<T> {
    Loom(loom::thread::JoinHandle<T>),
    Shuttle(shuttle::thread::JoinHandle<T>),
    Real(std::thread::JoinHandle<T>),
}

impl<T> JoinHandle<T> {
    /// Wait for the thread to finish; `Err` with its panic payload if it panicked.
    pub fn join(self) -> std::thread::Result<T> {
        let exec = rt::with(std::sync::Arc::clone);
        let me = rt::me();
        let index = self.index;
        exec.before_join(me, index);
        let result = self.join_backend();
        exec.after_join(me, index);
        result
    }

    /// Join through the backend alone, with no step: what a real-threads scope does before it
    /// unwinds, once the execution has failed (its threads then unwind at their next step).
    fn join_backend(self) -> std::thread::Result<T> {
        match self.inner {
            JoinInner::Loom(h) => h.join(),
            JoinInner::Shuttle(h) => h.join(),
            JoinInner::Real(h) => h.join(),
        }
    }

    /// The joined thread's identity.
    pub fn thread(&self) -> Thread {
        rt::with(|exec| Thread {
            index: self.index,
            name: exec.thread_name(self.index),
        })
    }
}
