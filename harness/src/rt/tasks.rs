//! The async tasks of an execution (see [`crate::future`]): names, what each awaits, and which
//! task each thread is polling. Kept apart from the state: tasks record no events.

use super::Execution;
use crate::outcome::Blocked;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, MutexGuard};
use std::task::Waker;

/// What a task's code asks of the runtime polling it (the async layer implements it): the
/// engine only keeps the handle, per thread, for the task being polled, so a `spawn` or a
/// `sleep` inside a task reaches its own runtime.
pub(crate) trait Executor: Send + Sync {
    /// Queue a new task's future.
    fn spawn(&self, task: usize, future: Pin<Box<dyn Future<Output = ()> + Send + 'static>>);
    /// Register (or, given its key, refresh) a timer of virtual time; its key.
    fn set_timer(&self, key: Option<u64>, deadline_nanos: u64, waker: &Waker) -> u64;
    /// Forget a timer.
    fn cancel_timer(&self, key: u64);
    /// Drop a task's future: at once if no thread is polling it, else when its poll returns
    /// pending.
    fn abort(&self, task: usize);
}

/// The executor a polled task belongs to.
pub(crate) type ExecutorRef = Arc<dyn Executor>;

#[derive(Default)]
pub(crate) struct Tasks {
    names: Vec<String>,
    /// What a pending task waits for, set by the async primitives; `None` while it can run.
    waits_on: Vec<Option<String>>,
    done: Vec<bool>,
    /// Thread index → (task being polled, the executor it belongs to).
    polling: Vec<Option<(usize, ExecutorRef)>>,
}

impl Tasks {
    /// As `default()` leaves it, keeping what it allocated (an execution reused is reset).
    pub(super) fn clear(&mut self) {
        let Tasks {
            names,
            waits_on,
            done,
            polling,
        } = self;
        names.clear();
        waits_on.clear();
        done.clear();
        polling.clear();
    }

    pub(super) fn polled_by(&self, thread: usize) -> Option<usize> {
        self.polling
            .get(thread)
            .and_then(|p| p.as_ref())
            .map(|p| p.0)
    }

    pub(super) fn name(&self, task: usize) -> &str {
        &self.names[task]
    }

    /// Every unfinished task that awaits something, and what.
    pub(super) fn blocked(&self) -> Vec<Blocked> {
        (0..self.names.len())
            .filter(|&i| !self.done[i])
            .filter_map(|i| {
                Some(Blocked {
                    thread: format!("task {}", self.names[i]),
                    waits_on: self.waits_on[i].clone()?,
                })
            })
            .collect()
    }
}

impl Execution {
    pub(super) fn tasks(&self) -> MutexGuard<'_, Tasks> {
        self.tasks.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A new async task, named for traces and deadlock reports.
    pub(crate) fn register_task(&self, name: String) -> usize {
        let mut t = self.tasks();
        t.names.push(name);
        t.waits_on.push(None);
        t.done.push(false);
        t.names.len() - 1
    }

    pub(crate) fn set_task_name(&self, task: usize, name: String) {
        self.tasks().names[task] = name;
    }

    pub(crate) fn task_name(&self, task: usize) -> String {
        self.tasks().names[task].clone()
    }

    /// Say what `task` now awaits (`None`: it can run again).
    pub(crate) fn task_waits(&self, task: usize, waits_on: Option<String>) {
        self.tasks().waits_on[task] = waits_on;
    }

    pub(crate) fn task_done(&self, task: usize) {
        let mut t = self.tasks();
        t.done[task] = true;
        t.waits_on[task] = None;
    }

    /// Thread `me` starts (`Some`) or stops (`None`) polling a task of an executor.
    pub(crate) fn set_polling(&self, me: usize, polling: Option<(usize, ExecutorRef)>) {
        let mut t = self.tasks();
        if t.polling.len() <= me {
            t.polling.resize_with(me + 1, || None);
        }
        t.polling[me] = polling;
    }

    /// The task thread `me` is polling, and its executor.
    pub(crate) fn polling(&self, me: usize) -> Option<(usize, ExecutorRef)> {
        self.tasks().polling.get(me).cloned().flatten()
    }
}
