//! `spawn_blocking`, like `tokio::task::spawn_blocking`: a blocking closure runs on a thread of
//! its own, so the worker that spawned it goes on polling its other tasks.
//!
//! The thread is a facade thread, explored like any other; its result comes back over a
//! [`oneshot`](super::sync::oneshot). A panic in the closure resumes in the task awaiting it
//! (tokio gives a `JoinError` instead).
//!
//! Under the real backend the closure runs in place, blocking the worker as tokio's
//! `block_in_place` would: a thread beside tokio's paused clock does not hold the clock back,
//! and tokio, seeing no work, would jump to the deadlock limit while the thread runs.

use super::sync::oneshot;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Run `f` on a new thread; await its result.
pub fn spawn_blocking<F, T>(f: F) -> BlockingHandle<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let (tx, rx) = oneshot::named("spawn_blocking");
    if crate::rt::with(|exec| exec.primitives == crate::rt::Primitives::Threads) {
        let _ = tx.send(f());
        return BlockingHandle { rx, thread: None };
    }
    let thread = crate::thread::Builder::new()
        .name("blocking".to_string())
        .spawn(move || {
            let _ = tx.send(f());
        })
        .expect("spawn a blocking thread");
    BlockingHandle {
        rx,
        thread: Some(thread),
    }
}

/// The future of [`spawn_blocking`].
pub struct BlockingHandle<T> {
    rx: oneshot::Receiver<T>,
    thread: Option<crate::thread::JoinHandle<()>>,
}

impl<T> Future for BlockingHandle<T> {
    type Output = T;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        match Pin::new(&mut self.rx).poll(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Ok(v)) => {
                if let Some(t) = self.thread.take() {
                    // It has sent: it is about to end.
                    let _ = t.join();
                }
                Poll::Ready(v)
            }
            Poll::Ready(Err(_)) => match self.thread.take().map(|t| t.join()) {
                Some(Err(payload)) => std::panic::resume_unwind(payload),
                _ => panic!("the blocking closure ended without a result"),
            },
        }
    }
}
