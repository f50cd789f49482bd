//! Scoped threads, like `std::thread::scope`: threads that may borrow what outlives the scope,
//! all joined before `scope` returns.
//!
//! A scoped thread is a model thread like any other (the same numbering, steps and deadlock
//! detection). Once the scope's closure returns, the scope joins through the facade every
//! thread not joined yet, so waiting on a stuck scoped thread is a deadlock that names it.
//!
//! If the closure unwinds, the execution is over. Under real threads the scope fails the
//! execution (so every thread unwinds at its next step) and waits for its threads before it
//! unwinds further. Under loom and shuttle no thread runs after a failure, and the backend
//! tears the execution down, as shuttle's own scope leaves it.

use super::{Builder, JoinHandle, Thread};
use crate::rt::{self, Primitives};
use std::io;
use std::marker::PhantomData;
use std::panic::{self, AssertUnwindSafe};
use std::sync::{Arc, Mutex as StdMutex, MutexGuard as StdGuard, PoisonError};

/// The threads of a scope that are not joined yet, by spawn order (a joined one leaves `None`).
/// A std mutex: it is held for no facade operation, so no backend switches threads inside it.
type Unjoined = Arc<StdMutex<Vec<Option<JoinHandle<()>>>>>;

fn lock<T>(m: &StdMutex<T>) -> StdGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Spawns scoped threads, like `std::thread::Scope`.
pub struct Scope<'scope, 'env: 'scope> {
    unjoined: Unjoined,
    scope: PhantomData<&'scope mut &'scope ()>,
    env: PhantomData<&'env mut &'env ()>,
}

/// Joins a scoped thread, like `std::thread::ScopedJoinHandle`.
pub struct ScopedJoinHandle<'scope, T> {
    slot: usize,
    thread: Thread,
    unjoined: Unjoined,
    result: Arc<StdMutex<Option<T>>>,
    scope: PhantomData<&'scope ()>,
}

/// Run `f` with a scope to spawn threads in, then join every thread it spawned and did not
/// join, like `std::thread::scope`.
pub fn scope<'env, F, T>(f: F) -> T
where
    F: for<'scope> FnOnce(&'scope Scope<'scope, 'env>) -> T,
{
    let scope = Scope {
        unjoined: Arc::default(),
        scope: PhantomData,
        env: PhantomData,
    };
    let run = panic::catch_unwind(AssertUnwindSafe(|| {
        let value = f(&scope);
        scope.join_all();
        value
    }));
    match run {
        Ok(value) => value,
        Err(payload) => {
            scope.unwind(&*payload);
            panic::resume_unwind(payload)
        }
    }
}

impl<'scope> Scope<'scope, '_> {
    /// Spawn a thread named `thread-N` that may borrow what outlives the scope.
    pub fn spawn<F, T>(&'scope self, f: F) -> ScopedJoinHandle<'scope, T>
    where
        F: FnOnce() -> T + Send + 'scope,
        T: Send + 'scope,
    {
        Builder::new()
            .spawn_scoped(self, f)
            .expect("spawning a model thread")
    }

    pub(super) fn spawn_with<F, T>(
        &'scope self,
        builder: Builder,
        f: F,
    ) -> io::Result<ScopedJoinHandle<'scope, T>>
    where
        F: FnOnce() -> T + Send + 'scope,
        T: Send + 'scope,
    {
        let result = Arc::new(StdMutex::new(None));
        let out = result.clone();
        let body: Box<dyn FnOnce() + Send + 'scope> = Box::new(move || {
            let value = f();
            *lock(&out) = Some(value);
        });
        #[allow(unsafe_code)]
        // SAFETY: only the lifetime changes. The thread is joined before `scope` returns (by
        // its handle or by the scope), so what it borrows outlives it; a scope that unwinds
        // waits for it under real threads, and under loom and shuttle it never runs again.
        let body: Box<dyn FnOnce() + Send + 'static> = unsafe { std::mem::transmute(body) };
        let handle = builder.spawn(body)?;
        let thread = handle.thread();
        let mut unjoined = lock(&self.unjoined);
        unjoined.push(Some(handle));
        Ok(ScopedJoinHandle {
            slot: unjoined.len() - 1,
            thread,
            unjoined: self.unjoined.clone(),
            result,
            scope: PhantomData,
        })
    }

    fn next_unjoined(&self) -> Option<JoinHandle<()>> {
        lock(&self.unjoined).iter_mut().find_map(Option::take)
    }

    /// Join every thread not joined yet, also those spawned meanwhile.
    fn join_all(&self) {
        while let Some(handle) = self.next_unjoined() {
            // A thread that panicked has failed the execution: the join unwinds.
            let _ = handle.join();
        }
    }

    /// The closure unwound with `payload`: under real threads, fail the execution and wait
    /// for every thread not joined (each unwinds at its next step).
    fn unwind(&self, payload: &(dyn std::any::Any + Send)) {
        let Some(exec) = rt::current() else { return };
        if exec.primitives != Primitives::Threads {
            return;
        }
        rt::record_panic(&exec, exec.thread_name(rt::me()), payload);
        while let Some(handle) = self.next_unjoined() {
            let _ = handle.join_backend();
        }
    }
}

impl<T> ScopedJoinHandle<'_, T> {
    /// Wait for the thread to finish; `Err` with its panic payload if it panicked.
    pub fn join(self) -> std::thread::Result<T> {
        let handle = lock(&self.unjoined)[self.slot]
            .take()
            .expect("only this handle and the scope's end join it");
        handle.join()?;
        Ok(lock(&self.result)
            .take()
            .expect("a thread that returned left its value"))
    }

    /// The thread's identity.
    pub fn thread(&self) -> &Thread {
        &self.thread
    }
}

impl<T> std::fmt::Debug for ScopedJoinHandle<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScopedJoinHandle")
            .field("thread", &self.thread)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for Scope<'_, '_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scope").finish_non_exhaustive()
    }
}
