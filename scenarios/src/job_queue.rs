//! `async.job_queue`: a `select!` between a job queue and a shutdown signal whose job branch
//! is not cancellation safe, on one `current_thread` runtime.

use racecheck::{Expect, OutcomeKind, Scenario};
use racecheck_models::async_job_queue::{worker_with_shutdown, Branch};

pub fn scenario() -> Scenario {
    Scenario::new(
        "async.job_queue",
        "select: a worker waits on its job queue and a shutdown signal; the losing branch is dropped",
    )
    .variant(
        "await-in-branch",
        "select: the job branch pops a job and awaits its journal write; when shutdown wins there, the popped job is dropped with the branch",
        Expect::Fail(OutcomeKind::Invariant),
        || worker_with_shutdown(Branch::AwaitInBranch),
    )
    .variant(
        "recv-in-branch",
        "fix: the branch only awaits the cancellation-safe recv(), the job is handled after the select, and what shutdown leaves is still queued",
        Expect::Pass,
        || worker_with_shutdown(Branch::RecvInBranch),
    )
    .expect_failure("await-in-branch", "job ")
}
