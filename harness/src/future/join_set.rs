//! `JoinSet`, like `tokio::task::JoinSet`: tasks spawned into a set, joined in the order they
//! finish.
//!
//! As tokio's, dropping the set aborts the tasks still in it, and `shutdown` aborts them and
//! waits until each has stopped. Differences from tokio: `join_next` gives the output itself
//! (a task's panic resumes in the joiner, as with [`JoinHandle`]) rather than
//! `Result<T, JoinError>`, so an aborted task leaves the set at once ([`JoinSet::abort_all`])
//! instead of coming back from `join_next` as a cancelled `JoinError`.

use super::{spawn_named, JoinHandle};
use std::future::Future;
use std::pin::Pin;
use std::task::Poll;

/// Tasks joined in the order they finish.
pub struct JoinSet<T> {
    handles: Vec<JoinHandle<T>>,
    spawned: usize,
}

impl<T: Send + 'static> Default for JoinSet<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Send + 'static> JoinSet<T> {
    pub fn new() -> Self {
        JoinSet {
            handles: Vec::new(),
            spawned: 0,
        }
    }

    /// Spawn `future` on the current runtime into the set, named `set-task-N`.
    pub fn spawn<F>(&mut self, future: F)
    where
        F: Future<Output = T> + Send + 'static,
    {
        let name = format!("set-task-{}", self.spawned);
        self.spawn_named(name, future);
    }

    /// Spawn `future` into the set with the name traces and deadlock reports give it.
    pub fn spawn_named<F>(&mut self, name: impl Into<String>, future: F)
    where
        F: Future<Output = T> + Send + 'static,
    {
        self.spawned += 1;
        self.handles.push(spawn_named(name, future));
    }

    /// How many tasks have not been joined.
    pub fn len(&self) -> usize {
        self.handles.len()
    }

    pub fn is_empty(&self) -> bool {
        self.handles.is_empty()
    }

    /// Abort every task in the set and wait until each has stopped: finished its poll under
    /// way, or dropped. Their outputs are dropped.
    pub async fn shutdown(&mut self) {
        let mut stopping = std::mem::take(&mut self.handles);
        for handle in &stopping {
            handle.abort();
        }
        std::future::poll_fn(|cx| {
            stopping.retain_mut(|h| h.poll_joined(cx).is_pending());
            if stopping.is_empty() {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        })
        .await
    }

    /// The output of the next task to finish; `None` once the set is empty. Of several tasks
    /// finished by the time it looks, the earliest spawned comes first.
    pub async fn join_next(&mut self) -> Option<T> {
        if self.handles.is_empty() {
            return None;
        }
        std::future::poll_fn(|cx| {
            for i in 0..self.handles.len() {
                if let Poll::Ready(v) = Pin::new(&mut self.handles[i]).poll(cx) {
                    self.handles.remove(i);
                    super::awaiting(None);
                    return Poll::Ready(Some(v));
                }
            }
            Poll::Pending
        })
        .await
    }
}

impl<T> JoinSet<T> {
    /// Abort every task in the set and take them out of it: `join_next` then gives none of
    /// their outputs. Each stops at its next `.await` point.
    pub fn abort_all(&mut self) {
        for handle in self.handles.drain(..) {
            handle.abort();
        }
    }
}

impl<T> Drop for JoinSet<T> {
    /// tokio's set aborts its tasks when dropped; so does this one.
    fn drop(&mut self) {
        if self.handles.is_empty() || std::thread::panicking() || crate::rt::current().is_none() {
            return;
        }
        self.abort_all();
    }
}
