//! Waiting on the first of several futures, like tokio's `select!`: [`select2`], [`select3`]
//! and the [`select!`](crate::select) macro for their common two- and three-branch form.
//!
//! tokio's `select!` polls its branches from a random start each time it is polled, unless
//! `biased;` (docs.rs/tokio, `tokio::select`, "Fairness"), so when several branches are ready
//! at once any of them may win. Here the first branch polled is a choice of the backend
//! (`Execution::choose`, labelled "select branch"): loom and DFS run each, the random walk,
//! PCT and tokio's runs draw it from the seed, replay takes the recorded one. The branches not
//! chosen are then polled in order, and the future of every branch that lost is dropped, as in
//! tokio: a branch dropped half-way loses what it had done (the cancellation-safety bugs).
//!
//! Cost: a choice only where it can matter. A branch can turn ready only after its waker
//! fired, so after the first poll only the branches woken since the last poll contend; with
//! one or none there is nothing to choose. The first poll contends all branches. On a
//! `multi_thread` runtime a branch made ready on another worker can be polled before that
//! worker's wake lands; it then runs in index order, and that instant's other order is missed.
//!
//! Differences from tokio's macro: the patterns must be irrefutable (tokio disables a branch
//! whose pattern fails), branches are separated by commas, there is no `else` branch, and the
//! futures are boxed (a branch's future need not be `Unpin`).

use crate::rt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};

/// Which of two branches won.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Either<A, B> {
    Left(A),
    Right(B),
}

/// Which of three branches won.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Either3<A, B, C> {
    First(A),
    Second(B),
    Third(C),
}

/// The output of the first of `a`, `b` to be ready; of two ready at once, either (the
/// backend's choice, see the module docs). The other is dropped.
pub fn select2<A: Future, B: Future>(a: A, b: B) -> Select2<A, B> {
    Select2 {
        a: Box::pin(a),
        b: Box::pin(b),
        turns: Turns::new(false),
    }
}

/// [`select2`] with `biased;`: `a` is always polled first.
pub fn select2_biased<A: Future, B: Future>(a: A, b: B) -> Select2<A, B> {
    Select2 {
        a: Box::pin(a),
        b: Box::pin(b),
        turns: Turns::new(true),
    }
}

/// The output of the first of three futures to be ready (see [`select2`]).
pub fn select3<A: Future, B: Future, C: Future>(a: A, b: B, c: C) -> Select3<A, B, C> {
    Select3 {
        a: Box::pin(a),
        b: Box::pin(b),
        c: Box::pin(c),
        turns: Turns::new(false),
    }
}

/// [`select3`] with `biased;`: polled in the order given.
pub fn select3_biased<A: Future, B: Future, C: Future>(a: A, b: B, c: C) -> Select3<A, B, C> {
    Select3 {
        a: Box::pin(a),
        b: Box::pin(b),
        c: Box::pin(c),
        turns: Turns::new(true),
    }
}

/// The future of [`select2`].
#[must_use = "a select does nothing unless awaited"]
pub struct Select2<A: Future, B: Future> {
    a: Pin<Box<A>>,
    b: Pin<Box<B>>,
    turns: Turns<2>,
}

impl<A: Future, B: Future> Future for Select2<A, B> {
    type Output = Either<A::Output, B::Output>;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        for i in this.turns.order(cx) {
            let mut cx = Context::from_waker(this.turns.waker(i));
            let won = match i {
                0 => this.a.as_mut().poll(&mut cx).map(Either::Left),
                _ => this.b.as_mut().poll(&mut cx).map(Either::Right),
            };
            if won.is_ready() {
                return won;
            }
        }
        Poll::Pending
    }
}

/// The future of [`select3`].
#[must_use = "a select does nothing unless awaited"]
pub struct Select3<A: Future, B: Future, C: Future> {
    a: Pin<Box<A>>,
    b: Pin<Box<B>>,
    c: Pin<Box<C>>,
    turns: Turns<3>,
}

impl<A: Future, B: Future, C: Future> Future for Select3<A, B, C> {
    type Output = Either3<A::Output, B::Output, C::Output>;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        for i in this.turns.order(cx) {
            let mut cx = Context::from_waker(this.turns.waker(i));
            let won = match i {
                0 => this.a.as_mut().poll(&mut cx).map(Either3::First),
                1 => this.b.as_mut().poll(&mut cx).map(Either3::Second),
                _ => this.c.as_mut().poll(&mut cx).map(Either3::Third),
            };
            if won.is_ready() {
                return won;
            }
        }
        Poll::Pending
    }
}

/// Which branches were woken since the select's last poll, and the order to poll them in.
struct Turns<const N: usize> {
    biased: bool,
    polled: bool,
    flags: [Arc<BranchWaker>; N],
    wakers: [Waker; N],
}

/// A branch's waker: marks the branch woken, then wakes the task.
struct BranchWaker {
    woken: AtomicBool,
    task: Mutex<Waker>,
}

impl Wake for BranchWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::SeqCst);
        self.task
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .wake_by_ref();
    }
}

impl<const N: usize> Turns<N> {
    fn new(biased: bool) -> Self {
        let flags: [Arc<BranchWaker>; N] = std::array::from_fn(|_| {
            Arc::new(BranchWaker {
                woken: AtomicBool::new(false),
                task: Mutex::new(futures_util::task::noop_waker()),
            })
        });
        let wakers = std::array::from_fn(|i| Waker::from(flags[i].clone()));
        Turns {
            biased,
            polled: false,
            flags,
            wakers,
        }
    }

    fn waker(&self, i: usize) -> &Waker {
        &self.wakers[i]
    }

    /// The branches in the order to poll them this time.
    fn order(&mut self, cx: &Context<'_>) -> Vec<usize> {
        for f in &self.flags {
            f.task
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .clone_from(cx.waker());
        }
        let first_poll = !std::mem::replace(&mut self.polled, true);
        let woken: Vec<usize> = (0..N)
            .filter(|&i| self.flags[i].woken.swap(false, Ordering::SeqCst) || first_poll)
            .collect();
        let mut order: Vec<usize> = (0..N).collect();
        if self.biased || woken.is_empty() {
            return order;
        }
        let lead = if woken.len() == 1 {
            woken[0]
        } else {
            let pick = rt::with(|exec| {
                exec.choose(rt::me(), "select branch".into(), woken.len(), &|i| {
                    format!("branch {}", woken[i] + 1)
                })
            });
            woken[pick]
        };
        order.retain(|&i| i != lead);
        order.insert(0, lead);
        order
    }
}

/// Await the first of two or three futures, like tokio's `select!` (see
/// [`future::select2`](crate::future::select2) for what is chosen and the differences):
///
/// ```
/// use racecheck::future::{self, sync::mpsc, time};
/// use racecheck::{BackendKind, Check};
/// use std::time::Duration;
/// Check::new(|| {
///     future::block_on(async {
///         let (tx, mut rx) = mpsc::channel::<u32>(1);
///         tx.send(7).await.unwrap();
///         let got = racecheck::select! {
///             msg = rx.recv() => msg,
///             _ = time::sleep(Duration::from_secs(1)) => None,
///         };
///         assert_eq!(got, Some(7), "a queued message is ready before the timer");
///     })
/// })
/// .backend(BackendKind::Dfs)
/// .run()
/// .assert_passes();
/// ```
///
/// Inside an `async` block; `biased;` first polls the branches in the order written. As in
/// tokio, the losing branches' futures are dropped before the winner's handler runs.
#[macro_export]
macro_rules! select {
    (biased; $p1:pat = $f1:expr => $b1:expr, $p2:pat = $f2:expr => $b2:expr $(,)?) => {{
        let won = $crate::future::select2_biased($f1, $f2).await;
        match won {
            $crate::future::Either::Left($p1) => $b1,
            $crate::future::Either::Right($p2) => $b2,
        }
    }};
    (biased; $p1:pat = $f1:expr => $b1:expr, $p2:pat = $f2:expr => $b2:expr,
        $p3:pat = $f3:expr => $b3:expr $(,)?) => {{
        let won = $crate::future::select3_biased($f1, $f2, $f3).await;
        match won {
            $crate::future::Either3::First($p1) => $b1,
            $crate::future::Either3::Second($p2) => $b2,
            $crate::future::Either3::Third($p3) => $b3,
        }
    }};
    ($p1:pat = $f1:expr => $b1:expr, $p2:pat = $f2:expr => $b2:expr $(,)?) => {{
        let won = $crate::future::select2($f1, $f2).await;
        match won {
            $crate::future::Either::Left($p1) => $b1,
            $crate::future::Either::Right($p2) => $b2,
        }
    }};
    ($p1:pat = $f1:expr => $b1:expr, $p2:pat = $f2:expr => $b2:expr,
        $p3:pat = $f3:expr => $b3:expr $(,)?) => {{
        let won = $crate::future::select3($f1, $f2, $f3).await;
        match won {
            $crate::future::Either3::First($p1) => $b1,
            $crate::future::Either3::Second($p2) => $b2,
            $crate::future::Either3::Third($p3) => $b3,
        }
    }};
}
