//! Parallel and sharded exploration for the seeded schedulers (random walk, PCT, URW, POS,
//! reads-from, the portfolio: `backend::seeded`).
//!
//! A budget of N executions is cut into blocks of [`BLOCK`] executions. Block `k` runs its
//! own scheduler seeded with [`block_seed`]`(seed, k)`, so what an execution does
//! depends only on (seed, its index), never on which worker or machine ran it:
//! - `workers` OS threads take the blocks in order; the same seed and budget give the same
//!   executions and the same first failure with 1 worker or 8;
//! - a shard `i/n` (1-based) owns the blocks `k` with `k % n == i − 1`: the shards of one
//!   budget are disjoint and together run exactly what one unsharded run would.
//!
//! Block 0 is seeded with the seed itself, so a budget of at most [`BLOCK`] executions runs
//! what the single scheduler before blocks ran. PCT spends the first execution of every block
//! measuring the number of steps (shuttle's PCT does that once per scheduler): 1 in [`BLOCK`].
//!
//! When a worker finds a failure, the others stop as soon as their next execution's index is
//! above it; blocks below it run on, so the failure reported is the one with the lowest index,
//! as a single worker would find it. loom, DFS and real threads do not split this way (loom
//! and DFS enumerate one tree in order; real threads already use every core): they ignore
//! `workers`, and a sharded CLI run gives them to shard 1 only.

use crate::backend::{self, Body, RunConfig, RunResult};
use crate::check::BackendKind;
use crate::outcome::Outcome;
use crate::trace::Trace;
use shuttle::scheduler::{Schedule, Scheduler, Task, TaskId};
use std::fmt;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// Executions per seed block: the unit of work a worker takes and a shard owns.
pub const BLOCK: u64 = 1000;

/// The scheduler seed of block `k` of a run seeded `seed`. Block 0 keeps the seed itself.
pub fn block_seed(seed: u64, k: u64) -> u64 {
    if k == 0 {
        return seed;
    }
    // splitmix64 of (seed, k): neighbouring seeds and blocks get unrelated streams.
    let mut z = seed ^ k.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// One part of a budget split across machines: `--shard i/n`, written 1-based.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Shard {
    /// 0-based here; shown and parsed 1-based.
    index: u64,
    count: u64,
}

impl Shard {
    /// The whole budget: shard 1 of 1.
    pub const WHOLE: Shard = Shard { index: 0, count: 1 };

    /// Shard `i` of `n`, 1-based as on the command line; `None` unless 1 ≤ i ≤ n.
    pub fn new(i: u64, n: u64) -> Option<Shard> {
        (1..=n).contains(&i).then(|| Shard {
            index: i - 1,
            count: n,
        })
    }

    /// Its 1-based number.
    pub fn number(self) -> u64 {
        self.index + 1
    }

    pub fn count(self) -> u64 {
        self.count
    }

    /// Whether this is the first shard, which runs the backends that cannot split.
    pub fn is_first(self) -> bool {
        self.index == 0
    }

    /// The blocks of a `budget` this shard owns, in order.
    pub fn blocks(self, budget: u64) -> impl Iterator<Item = u64> {
        let blocks = budget.div_ceil(BLOCK);
        (self.index..blocks).step_by(self.count as usize)
    }

    /// How many executions of a `budget` this shard runs.
    pub fn share(self, budget: u64) -> u64 {
        self.ranges(budget).iter().map(|(a, b)| b + 1 - a).sum()
    }

    /// The 1-based execution indices of a `budget` this shard owns, as (first, last) per block.
    pub fn ranges(self, budget: u64) -> Vec<(u64, u64)> {
        self.blocks(budget)
            .map(|k| (k * BLOCK + 1, ((k + 1) * BLOCK).min(budget)))
            .collect()
    }
}

impl Default for Shard {
    fn default() -> Self {
        Shard::WHOLE
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.number(), self.count)
    }
}

/// Why a `--shard` value was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("--shard takes i/n with 1 <= i <= n (1-based, e.g. 1/4), not `{0}`")]
pub struct ShardError(pub String);

impl FromStr for Shard {
    type Err = ShardError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || ShardError(s.to_string());
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let i: u64 = i.trim().parse().map_err(|_| bad())?;
        let n: u64 = n.trim().parse().map_err(|_| bad())?;
        Shard::new(i, n).ok_or_else(bad)
    }
}

/// The number of workers a run uses when not told: every core the OS gives us.
pub fn available_workers() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Which seeded scheduler each block runs: a backend [`BackendKind::is_seeded`] says yes to,
/// and PCT's depth (the portfolio's PCT member's too).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Seeded {
    pub kind: BackendKind,
    pub depth: usize,
}

/// What one block ran, kept by block position until every worker is done.
#[derive(Clone)]
struct BlockRun {
    executions: u64,
    /// The block ran out of executions to explore: PCT on a model with one schedule (no
    /// concurrency) explores it and stops.
    complete: bool,
    fingerprint: u64,
    last_trace: Option<Trace>,
}

/// Run this shard's blocks of a `cfg.executions` budget on `workers` threads.
pub(crate) fn run(
    body: Body,
    seeded: Seeded,
    seed: u64,
    shard: Shard,
    workers: usize,
    cfg: &RunConfig,
) -> RunResult {
    let blocks: Vec<u64> = shard.blocks(cfg.executions).collect();
    let next = AtomicUsize::new(0);
    let started = Arc::new(AtomicU64::new(0));
    // The lowest failing index found so far, and its failure.
    let lowest = Arc::new(AtomicU64::new(u64::MAX));
    let found: Mutex<Option<(u64, Outcome, Trace)>> = Mutex::new(None);
    let done: Mutex<Vec<Option<BlockRun>>> = Mutex::new(vec![None; blocks.len()]);
    let start = Instant::now();

    let worker = || loop {
        let pos = next.fetch_add(1, Ordering::Relaxed);
        let Some(&k) = blocks.get(pos) else { break };
        let first = k * BLOCK + 1;
        if first > lowest.load(Ordering::Acquire) {
            break;
        }
        let Some(time_limit) = cfg.time_limit.checked_sub(start.elapsed()) else {
            break;
        };
        let len = BLOCK.min(cfg.executions - k * BLOCK);
        let progress = cfg.progress.clone();
        let counter = started.clone();
        let s = block_seed(seed, k);
        let block_cfg = RunConfig {
            executions: len,
            time_limit,
            // The block's own seed also draws its executions' choices.
            seed: s,
            progress: Arc::new(move |_| progress(counter.fetch_add(1, Ordering::Relaxed) + 1)),
            ..cfg.clone()
        };
        let inner = backend::seeded(seeded.kind, seeded.depth, s, len as usize);
        let scheduler = Box::new(StopAbove {
            inner,
            next_index: first,
            lowest: lowest.clone(),
        });
        let r = backend::run_shuttle_with(body.clone(), scheduler, &block_cfg);
        if let Some((j, outcome, trace)) = r.failure {
            let index = k * BLOCK + j;
            let mut f = found.lock().unwrap_or_else(|p| p.into_inner());
            if f.as_ref().is_none_or(|(i, _, _)| index < *i) {
                *f = Some((index, outcome, trace));
                lowest.store(index, Ordering::Release);
            }
        }
        done.lock().unwrap_or_else(|p| p.into_inner())[pos] = Some(BlockRun {
            executions: r.executions,
            complete: r.complete,
            fingerprint: r.fingerprint,
            last_trace: r.last_trace,
        });
    };
    std::thread::scope(|scope| {
        for _ in 1..workers.max(1) {
            scope.spawn(worker);
        }
        worker();
    });

    let done = done.into_inner().unwrap_or_else(|p| p.into_inner());
    let failure = found.into_inner().unwrap_or_else(|p| p.into_inner());
    // Blocks that started past the failure were work other workers did before they heard of
    // it: left out, so the executions (up to and including the failure) and the fingerprint
    // are the same whatever the number of workers. Combined in block order for the same reason.
    let cutoff = failure.as_ref().map_or(u64::MAX, |(index, _, _)| *index);
    let mut executions = 0;
    let mut fingerprint = 0u64;
    let mut last_trace = None;
    let mut complete = false;
    for (&k, block) in blocks.iter().zip(done) {
        let Some(block) = block.filter(|_| k * BLOCK < cutoff) else {
            continue;
        };
        executions += block.executions;
        complete |= block.complete;
        fingerprint = crate::fnv::mix(fingerprint, block.fingerprint);
        if block.last_trace.is_some() {
            last_trace = block.last_trace;
        }
    }
    RunResult {
        executions,
        // A model with one schedule is explored by any block: the space is exhausted.
        complete: complete && failure.is_none(),
        failure,
        fingerprint,
        last_trace,
    }
}

/// A block's scheduler that starts no execution whose index is above a failure already found
/// by another worker.
struct StopAbove {
    inner: Box<dyn Scheduler + Send>,
    /// The 1-based index of the execution `new_execution` would start next.
    next_index: u64,
    lowest: Arc<AtomicU64>,
}

impl Drop for StopAbove {
    /// A block cut short by another worker's failure runs its scheduler out: shuttle's random
    /// scheduler, dropped before it ran out, prints a hint for shuttle's own replay API.
    fn drop(&mut self) {
        if std::thread::panicking() {
            return;
        }
        let inner = &mut self.inner;
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            while inner.new_execution().is_some() {}
        }));
    }
}

impl Scheduler for StopAbove {
    fn new_execution(&mut self) -> Option<Schedule> {
        if self.next_index > self.lowest.load(Ordering::Acquire) {
            return None;
        }
        self.next_index += 1;
        self.inner.new_execution()
    }

    fn next_task(
        &mut self,
        runnable: &[&Task],
        current: Option<TaskId>,
        is_yielding: bool,
    ) -> Option<TaskId> {
        // The inner scheduler itself, not the `Box`'s forwarding impl: a call fewer a decision.
        (*self.inner).next_task(runnable, current, is_yielding)
    }

    fn next_u64(&mut self) -> u64 {
        self.inner.next_u64()
    }
}
