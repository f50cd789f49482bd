//! `sqlite.ticket_lease` and `sqlite.next_ticket`: seed 001's ticket repository on SQLite.
//!
//! The seed: three threads meet at a barrier and each lock a ticket through
//! `TicketRepository.acquire_lock`, whose transaction is `BEGIN; SELECT locked_by, lease…;
//! UPDATE …; COMMIT`. With the default `BEGIN` (DEFERRED) only one of them gets its lock; the
//! others fail with "database is locked", although the busy timeout is 30 s: a transaction
//! that already read is refused the upgrade to a write at once, without the busy handler
//! (`SQLITE_BUSY`), and in WAL mode a transaction whose snapshot is stale is refused
//! (`SQLITE_BUSY_SNAPSHOT`) even when the writer is gone. The fix, `BEGIN IMMEDIATE`, takes the
//! write lock first, where the busy handler does wait, so the transactions run one after the
//! other.
//!
//! Every variant checks two invariants after the workers are joined (they hold their leases to
//! the end, so this covers every moment):
//! * no ticket is held by two owners: every lock a worker was granted is in the committed
//!   table under its name, and no two workers were granted the same ticket;
//! * every worker acquired its lock, or the message names who failed with which result code
//!   at which statement. This is the one the DEFERRED variants fail.
//!
//! Every connection has a busy timeout (the seed's 30 s). The model's busy handler waits without
//! a deadline, so the timeout never expires; these workloads never have every connection waiting,
//! where it would matter (see `racecheck_models::sqlite`).

use racecheck::sync::{Arc, Barrier};
use racecheck::{invariant, thread, Expect, OutcomeKind, Scenario};
use racecheck_models::sqlite::tickets::{
    ticket_key, SqlError, TicketLock, TicketRepository, TicketRow,
};
use racecheck_models::sqlite::{Begin, Database, JournalMode, Table};

/// The logical time at which every worker asks for its lock.
pub const NOW: u64 = 100;
/// The lease a lock is granted for.
pub const LEASE: u64 = 60;
/// `sqlite.ticket_lease`: the seed's three threads.
pub const LEASE_WORKERS: usize = 3;
/// `sqlite.next_ticket`: two workers taking the next ticket from one pool of two.
pub const POOL_WORKERS: usize = 2;

/// The four variants of a workload: DEFERRED (the bug) and IMMEDIATE (the fix), each in both
/// journal modes.
fn variants(mut s: Scenario, body: fn(JournalMode, Begin)) -> Scenario {
    for (name, about, mode, begin, expect) in [
        (
            "deferred-rollback",
            "BEGIN (deferred), rollback journal: the upgrade of a read transaction is SQLITE_BUSY at once",
            JournalMode::Rollback,
            Begin::Deferred,
            Expect::Fail(OutcomeKind::Invariant),
        ),
        (
            "deferred-wal",
            "BEGIN (deferred), WAL: SQLITE_BUSY while the winner writes, SQLITE_BUSY_SNAPSHOT after",
            JournalMode::Wal,
            Begin::Deferred,
            Expect::Fail(OutcomeKind::Invariant),
        ),
        (
            "immediate-rollback",
            "fix: BEGIN IMMEDIATE, rollback journal: the busy handler waits for the write lock",
            JournalMode::Rollback,
            Begin::Immediate,
            Expect::Pass,
        ),
        (
            "immediate-wal",
            "fix: BEGIN IMMEDIATE, WAL: the busy handler waits for the write lock",
            JournalMode::Wal,
            Begin::Immediate,
            Expect::Pass,
        ),
    ] {
        s = s.variant(name, about, expect, move || body(mode, begin));
    }
    s
}

pub fn ticket_lease() -> Scenario {
    variants(
        Scenario::new(
            "sqlite.ticket_lease",
            "seed 001: 3 threads at a barrier each acquire_lock their own ticket (busy timeout on)",
        ),
        ticket_lease_workload,
    )
    .loom_bound(
        "immediate-rollback",
        2,
        "unbounded: not found in 51,209 executions at 20 s; bound 3: 13,845 executions, 6.2 s on \
         an idle core, 17 s under load; bound 2: 1,211 executions, 0.7 s",
    )
    .loom_bound(
        "immediate-wal",
        2,
        "unbounded: not found in 50,812 executions at 20 s; bound 3: 13,845 executions, 6.2 s on \
         an idle core, 19 s under load; bound 2: 1,211 executions, 0.7 s",
    )
}

pub fn next_ticket() -> Scenario {
    variants(
        Scenario::new(
            "sqlite.next_ticket",
            "seed 001: 2 workers get_and_lock_next_ticket from one pool of 2 (busy timeout on)",
        ),
        next_ticket_workload,
    )
}

/// The table of `sqlite.ticket_lease`: `ticket-0`, `ticket-1` free; `ticket-2` still held by
/// a crashed worker whose lease ran out at 50, so one acquisition takes over an expired lease.
pub fn ticket_lease_data() -> Table {
    (0..LEASE_WORKERS)
        .map(|i| {
            let row = if i == 2 {
                TicketRow::held("worker-crashed", NOW - 50)
            } else {
                TicketRow::free()
            };
            (ticket_key(i), row.encode())
        })
        .collect()
}

/// The pool of `sqlite.next_ticket`: `ticket-0`, `ticket-1`, both free.
pub fn next_ticket_pool() -> Vec<String> {
    (0..POOL_WORKERS).map(ticket_key).collect()
}

pub fn next_ticket_data() -> Table {
    next_ticket_pool()
        .into_iter()
        .map(|t| (t, TicketRow::free().encode()))
        .collect()
}

/// Three workers at a barrier, each `acquire_lock`s `ticket-<i>` ([`ticket_lease_data`]).
pub fn ticket_lease_workload(mode: JournalMode, begin: Begin) {
    run_workers(
        mode,
        begin,
        LEASE_WORKERS,
        ticket_lease_data(),
        |repo, i| repo.acquire_lock(&ticket_key(i), &worker(i), NOW, LEASE),
    );
}

/// Two workers each `get_and_lock_next_ticket` from [`next_ticket_pool`].
pub fn next_ticket_workload(mode: JournalMode, begin: Begin) {
    let pool = next_ticket_pool();
    run_workers(
        mode,
        begin,
        POOL_WORKERS,
        next_ticket_data(),
        move |repo, i| repo.get_and_lock_next_ticket(&pool, &worker(i), NOW, LEASE),
    );
}

/// The name of worker `i`, the owner it locks tickets as.
pub fn worker(i: usize) -> String {
    format!("worker-{i}")
}

type Outcome = Result<Option<TicketLock>, SqlError>;

/// `n` workers, each with its own connection (busy timeout on), meet at a barrier and run
/// `work` once; then the invariants.
fn run_workers(
    mode: JournalMode,
    begin: Begin,
    n: usize,
    data: Table,
    work: impl Fn(&TicketRepository, usize) -> Outcome + Send + Sync + 'static,
) {
    let db = Database::new("tickets.db", mode, n, data);
    let barrier = Arc::new(Barrier::new(n));
    let work = Arc::new(work);
    let workers: Vec<_> = (0..n)
        .map(|i| {
            let repo = TicketRepository::new(db.connect(i, true), begin);
            let barrier = barrier.clone();
            let work = work.clone();
            thread::Builder::new()
                .name(worker(i))
                .spawn(move || {
                    barrier.wait();
                    work(&repo, i)
                })
                .expect("spawn worker")
        })
        .collect();
    let outcomes: Vec<Outcome> = workers
        .into_iter()
        .map(|w| w.join().expect("worker panicked"))
        .collect();
    check(&db.committed(), &outcomes);
}

fn check(committed: &Table, outcomes: &[Outcome]) {
    let granted: Vec<(usize, &TicketLock)> = outcomes
        .iter()
        .enumerate()
        .filter_map(|(i, o)| o.as_ref().ok().and_then(|l| l.as_ref()).map(|l| (i, l)))
        .collect();
    for (i, lock) in &granted {
        for (j, other) in &granted {
            invariant!(
                i >= j || lock.ticket != other.ticket,
                "{} is held by two owners: worker-{j} and worker-{i} were both granted it",
                lock.ticket
            );
        }
        let row = committed
            .get(&lock.ticket)
            .and_then(|v| TicketRow::decode(v));
        let holder = row.as_ref().and_then(|r| r.locked_by.clone());
        invariant!(
            holder.as_deref() == Some(lock.locked_by.as_str()),
            "{} is held by two owners: worker-{i} was granted it, the table says {}",
            lock.ticket,
            holder.as_deref().unwrap_or("nobody")
        );
    }
    let failed: Vec<String> = outcomes
        .iter()
        .enumerate()
        .filter_map(|(i, o)| match o {
            Ok(Some(_)) => None,
            Ok(None) => Some(format!("worker-{i} found no free ticket")),
            Err(e) => Some(format!("worker-{i} got {e}")),
        })
        .collect();
    invariant!(
        failed.is_empty(),
        "{} of {} workers did not acquire their lock: {}",
        failed.len(),
        outcomes.len(),
        failed.join("; ")
    );
}
