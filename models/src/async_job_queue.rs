//! A worker task on one `current_thread` runtime takes jobs from an `mpsc` queue until a
//! `oneshot` shutdown signal arrives, waiting on both with `select!`.
//!
//! tokio's `select!` drops the future of every branch that lost, and its docs warn that a
//! branch is safe only if dropping its future part-way loses nothing (docs.rs/tokio,
//! `tokio::select`, "Cancellation safety": `mpsc::Receiver::recv` is listed as safe). The bug
//! puts the whole job handling into the branch: it pops a job with `recv`, then awaits the
//! journal write before recording it. When shutdown is ready at the poll where the write is
//! pending, shutdown wins, the branch's future is dropped, and the job it held goes with it:
//! the producer was told the job was accepted, it is neither processed nor queued. The fix
//! selects on `recv()` alone and handles the job after the `select!`, so a lost branch has
//! taken nothing; the jobs left queued at shutdown are still queued.

use racecheck::future::sync::{mpsc, oneshot};
use racecheck::future::{self, Runtime};
use racecheck::{invariant, trace};

/// Where the worker handles a job.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Branch {
    /// `recv` and the journal write's await both inside the branch future: the bug.
    AwaitInBranch,
    /// Only `recv` in the branch, the job handled after the `select!`: the fix.
    RecvInBranch,
}

/// The jobs the producer submits.
const JOBS: u32 = 2;

/// The journal write: an await that is pending once (it stands for any I/O the handling does).
async fn journal(job: u32) {
    trace::event(format!("journal write for job {job}"));
    future::yield_now().await;
}

/// The worker loop: returns the jobs it processed and the queue it leaves behind.
async fn worker(
    branch: Branch,
    mut jobs: mpsc::Receiver<u32>,
    mut shutdown: oneshot::Receiver<()>,
) -> (Vec<u32>, mpsc::Receiver<u32>) {
    let mut done = Vec::new();
    loop {
        match branch {
            Branch::AwaitInBranch => {
                let handled = async {
                    let job = jobs.recv().await?;
                    trace::event(format!("popped job {job}"));
                    journal(job).await;
                    Some(job)
                };
                let stop = racecheck::select! {
                    job = handled => match job {
                        Some(job) => {
                            done.push(job);
                            false
                        }
                        None => true,
                    },
                    _ = &mut shutdown => true,
                };
                if stop {
                    break;
                }
            }
            Branch::RecvInBranch => {
                let job = racecheck::select! {
                    job = jobs.recv() => job,
                    _ = &mut shutdown => None,
                };
                let Some(job) = job else { break };
                trace::event(format!("popped job {job}"));
                journal(job).await;
                done.push(job);
            }
        }
    }
    trace::event("worker stopped");
    (done, jobs)
}

/// Spawn the worker and a producer that submits two jobs and then signals shutdown; check
/// that every job the producer saw accepted is processed or still queued.
pub fn worker_with_shutdown(branch: Branch) {
    Runtime::current_thread().block_on(async move {
        let (job_tx, job_rx) = mpsc::named("jobs", 4);
        let (stop_tx, stop_rx) = oneshot::named("shutdown");
        let worker = future::spawn_named("worker", worker(branch, job_rx, stop_rx));
        let producer = future::spawn_named("producer", async move {
            let mut accepted = Vec::new();
            for job in 1..=JOBS {
                if job_tx.send(job).await.is_ok() {
                    trace::event(format!("job {job} accepted"));
                    accepted.push(job);
                }
            }
            let _ = stop_tx.send(());
            accepted
        });
        let accepted = producer.await;
        let (done, mut queue) = worker.await;
        let mut queued = Vec::new();
        while let Ok(job) = queue.try_recv() {
            queued.push(job);
        }
        for job in accepted {
            invariant!(
                done.contains(&job) || queued.contains(&job),
                "job {job} was accepted and lost: processed {done:?}, queued {queued:?}"
            );
        }
    })
}
