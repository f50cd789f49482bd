//! `JoinHandle`, like tokio's: awaits a task's output, and aborts the task.
//!
//! Difference from tokio: awaiting gives the output itself (a task's panic resumes in the
//! joiner) rather than `Result<T, JoinError>`, so there is no value to give for a task that
//! was aborted before it finished: awaiting its handle panics, saying so. Abort a task and
//! drop its handle (or use [`JoinSet::shutdown`](super::task::JoinSet::shutdown)), as a tokio
//! service does when it stops a heartbeat.
//!
//! As on tokio, an abort takes effect at the task's next `.await` point: a task being polled
//! on another worker finishes that poll first (and if the poll finishes the task, its output
//! stands); a task not being polled is dropped at once.

use super::{awaiting, Execution};
use crate::rt::ExecutorRef;
use crate::sync::Mutex as SyncMutex;
use std::future::Future;
use std::panic;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

/// Awaits a task's output, like tokio's `JoinHandle` (a panic of the task resumes here).
pub struct JoinHandle<T> {
    task: usize,
    inner: JoinInner<T>,
}

enum JoinInner<T> {
    Model {
        slot: Arc<SyncMutex<JoinSlot<T>>>,
        executor: ExecutorRef,
        /// Set by `abort`, read by the task's [`Completion`] when its future is dropped: a
        /// plain flag, as the executor's lock orders the two.
        abort: Arc<AtomicBool>,
    },
    Tokio(tokio::task::JoinHandle<T>),
}

struct JoinSlot<T> {
    value: Option<T>,
    done: bool,
    /// The task was aborted and its future dropped before it finished.
    cancelled: bool,
    waiter: Option<Waker>,
}

/// Carried by a model task's future: fills the slot when the task finishes, or marks it
/// cancelled if the future is dropped after an abort.
pub(super) struct Completion<T> {
    slot: Arc<SyncMutex<JoinSlot<T>>>,
    abort: Arc<AtomicBool>,
    finished: bool,
}

impl<T> Completion<T> {
    /// The task finished with `value`: the joiner may take it.
    pub(super) fn finish(mut self, value: T) {
        self.finished = true;
        self.settle(|s| {
            s.value = Some(value);
            s.done = true;
        });
    }

    /// Change the slot as the task ended, and wake its joiner.
    fn settle(&self, end: impl FnOnce(&mut JoinSlot<T>)) {
        let waiter = {
            let mut s = self.slot.lock().unwrap();
            end(&mut s);
            s.waiter.take()
        };
        if let Some(w) = waiter {
            w.wake();
        }
    }
}

impl<T> Drop for Completion<T> {
    fn drop(&mut self) {
        // Only an aborted task's drop says so: a task left pending when its runtime ends is
        // dropped without a step, so models that never abort keep their schedules.
        if self.finished || !self.abort.load(Ordering::SeqCst) {
            return;
        }
        if std::thread::panicking() || crate::rt::current().is_none() {
            return;
        }
        self.settle(|s| s.cancelled = true);
    }
}

/// A handle for a model task and the completion its future carries.
pub(super) fn model_handle<T>(
    task: usize,
    name: &str,
    executor: ExecutorRef,
) -> (JoinHandle<T>, Completion<T>) {
    let slot = Arc::new(SyncMutex::named(
        format!("task {name}.output"),
        JoinSlot {
            value: None,
            done: false,
            cancelled: false,
            waiter: None,
        },
    ));
    let abort = Arc::new(AtomicBool::new(false));
    let completion = Completion {
        slot: slot.clone(),
        abort: abort.clone(),
        finished: false,
    };
    let inner = JoinInner::Model {
        slot,
        executor,
        abort,
    };
    (JoinHandle { task, inner }, completion)
}

pub(super) fn tokio_handle<T>(task: usize, handle: tokio::task::JoinHandle<T>) -> JoinHandle<T> {
    JoinHandle {
        task,
        inner: JoinInner::Tokio(handle),
    }
}

/// What a poll of a task's handle found.
pub(super) enum Joined<T> {
    Output(T),
    Aborted,
}

impl<T> JoinHandle<T> {
    /// Stop the task at its next `.await` point (at once if it is not being polled); its
    /// handle then cannot be awaited for an output (see the module doc).
    pub fn abort(&self) {
        crate::rt::with(|exec| {
            let name = exec.task_name(self.task);
            exec.record(
                crate::rt::me(),
                crate::trace::EventKind::Label(format!("abort task {name}").into()),
            );
        });
        match &self.inner {
            JoinInner::Model {
                executor, abort, ..
            } => {
                abort.store(true, Ordering::SeqCst);
                executor.abort(self.task);
            }
            JoinInner::Tokio(h) => h.abort(),
        }
    }

    /// Whether the task has finished or was aborted and dropped.
    pub fn is_finished(&self) -> bool {
        match &self.inner {
            JoinInner::Model { slot, .. } => {
                let s = slot.lock().unwrap();
                s.done || s.cancelled
            }
            JoinInner::Tokio(h) => h.is_finished(),
        }
    }

    /// Poll for the task's end: its output, or that it was aborted.
    pub(super) fn poll_joined(&mut self, cx: &mut Context<'_>) -> Poll<Joined<T>> {
        let ready = match &mut self.inner {
            JoinInner::Model { slot, .. } => {
                let mut s = slot.lock().unwrap();
                if s.done {
                    Some(Joined::Output(
                        s.value.take().expect("a task's output is taken once"),
                    ))
                } else if s.cancelled {
                    Some(Joined::Aborted)
                } else {
                    s.waiter = Some(cx.waker().clone());
                    None
                }
            }
            JoinInner::Tokio(h) => match Pin::new(h).poll(cx) {
                Poll::Ready(Ok(v)) => Some(Joined::Output(v)),
                Poll::Ready(Err(e)) if e.is_panic() => panic::resume_unwind(e.into_panic()),
                Poll::Ready(Err(e)) if e.is_cancelled() => Some(Joined::Aborted),
                Poll::Ready(Err(e)) => panic!("joined task failed: {e}"),
                Poll::Pending => None,
            },
        };
        match ready {
            Some(j) => {
                awaiting(None);
                Poll::Ready(j)
            }
            None => {
                let target = self.task;
                awaiting(Some(&|exec: &Execution| {
                    format!("join of task {}", exec.task_name(target))
                }));
                Poll::Pending
            }
        }
    }
}

impl<T> Future for JoinHandle<T> {
    type Output = T;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let this = self.get_mut();
        this.poll_joined(cx).map(|j| match j {
            Joined::Output(v) => v,
            Joined::Aborted => panic!(
                "awaited the handle of an aborted task: racecheck's JoinHandle gives the \
                 output, not tokio's Result, so an aborted task's handle is dropped, not awaited"
            ),
        })
    }
}
