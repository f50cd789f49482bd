//! Seed 001's ticket repository on SQLite, as one object checked for linearizability.
//!
//! The spec ([`TicketSpec`]) is what the repository's callers are promised: each ticket has at
//! most one owner at a time, until its lease expires (`lease_expires < now` frees it, the
//! repository's own condition); `acquire_lock` takes a free ticket, `get_and_lock_next` the
//! first free one of the pool, `renew_lock` extends a live lease of its owner, `release_lock`
//! frees a ticket its owner holds.
//!
//! **A failed call** (`SQLITE_BUSY`, `SQLITE_BUSY_SNAPSHOT`: "database is locked") is an allowed
//! result of every operation in every state, and changes nothing: the repository rolls its
//! transaction back on any error, and SQLite's rollback undoes every change of the transaction,
//! so a failed call took effect nowhere, whatever order it is put in. Linearizability is
//! a safety property: a history where every call failed is linearizable. That is why the
//! seed's DEFERRED bug (a worker refused at once instead of waiting) is not a linearizability
//! failure; `sqlite.ticket_lease` catches it with its invariant that every worker got its
//! lock. What linearizability does catch is a ticket granted twice: the repository without a
//! transaction around its `SELECT` ([`TicketRepository::implicit`], Python's implicit
//! transactions) lets two workers both see a ticket free and both lock it.
//!
//! Time is the virtual clock, in whole seconds, offset so that the seed's expired lease
//! (ticket-1's, at [`CRASHED_EXPIRY`]) has run out when the workers start.

use crate::sqlite::tickets::{ticket_key, SqlError, TicketLock, TicketRepository, TicketRow};
use crate::sqlite::{Begin, Database, JournalMode, Table};
use racecheck::history::History;
use racecheck::linearizability::Spec;
use racecheck::sync::{Arc, Barrier};
use racecheck::thread;
use racecheck::time::{self, Duration};
use std::collections::BTreeMap;
use std::hash::{DefaultHasher, Hash, Hasher};

/// The logical time at the start of the execution; the virtual clock's seconds are added.
pub const START: u64 = 100;
/// The lease a lock is granted for, in seconds.
pub const LEASE: u64 = 60;
/// How long a worker holds its ticket before it releases it, in virtual seconds.
pub const WORK: u64 = 10;
/// When the crashed worker's lease on ticket-1 ran out: before [`START`], so it is free.
pub const CRASHED_EXPIRY: u64 = 50;

/// The repository's logical time now: [`START`] plus the virtual clock's seconds.
fn logical_now() -> u64 {
    START + time::now().since_start().as_secs()
}

/// An operation on the ticket repository, with the `now` and lease the caller passed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TicketOp {
    AcquireLock {
        ticket: String,
        owner: String,
        now: u64,
    },
    GetAndLockNext {
        owner: String,
        now: u64,
    },
    RenewLock {
        ticket: String,
        owner: String,
        now: u64,
    },
    ReleaseLock {
        ticket: String,
        owner: String,
    },
}

/// What a call returned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TicketRet {
    /// `Ok(Some(lock))`: the ticket and its lease's expiry.
    Locked {
        ticket: String,
        until: u64,
    },
    /// `Ok(None)`: held by someone else (or, renewing, no longer ours).
    NotLocked,
    Released(bool),
    /// `Err`: the result code and the statement's verb (`SQLITE_BUSY (5) at UPDATE`).
    Failed(String),
}

impl TicketRet {
    fn of_lock(r: Result<Option<TicketLock>, SqlError>) -> Self {
        match r {
            Ok(Some(l)) => TicketRet::Locked {
                ticket: l.ticket,
                until: l.lease_expires,
            },
            Ok(None) => TicketRet::NotLocked,
            Err(e) => Self::failed(&e),
        }
    }

    fn failed(e: &SqlError) -> Self {
        TicketRet::Failed(format!("{} at {}", e.result, e.verb()))
    }
}

/// The tickets' abstract state: ticket → owner and lease expiry.
pub type Tickets = BTreeMap<String, TicketRow>;

/// The sequential spec of the ticket repository: the tickets it starts with, the pool
/// `get_and_lock_next` scans in order, and the lease it grants.
#[derive(Clone, Debug)]
pub struct TicketSpec {
    pub initial: Tickets,
    pub pool: Vec<String>,
    pub lease: u64,
}

impl TicketSpec {
    fn lock(&self, s: &mut Tickets, ticket: &str, owner: &str, now: u64) -> TicketRet {
        s.insert(ticket.to_string(), TicketRow::held(owner, now + self.lease));
        TicketRet::Locked {
            ticket: ticket.to_string(),
            until: now + self.lease,
        }
    }
}

fn free_at(s: &Tickets, ticket: &str, now: u64) -> bool {
    s.get(ticket).is_some_and(|r| r.is_free_at(now))
}

impl Spec for TicketSpec {
    type State = Tickets;
    type Op = TicketOp;
    type Ret = TicketRet;

    fn init(&self) -> Tickets {
        self.initial.clone()
    }

    /// The call that succeeds: the repository's conditions on the ticket's row.
    fn apply(&self, s: &mut Tickets, op: &TicketOp) -> TicketRet {
        match op {
            TicketOp::AcquireLock { ticket, owner, now } => {
                if free_at(s, ticket, *now) {
                    self.lock(s, ticket, owner, *now)
                } else {
                    TicketRet::NotLocked
                }
            }
            TicketOp::GetAndLockNext { owner, now } => {
                match self.pool.iter().find(|t| free_at(s, t, *now)) {
                    Some(t) => self.lock(s, t, owner, *now),
                    None => TicketRet::NotLocked,
                }
            }
            TicketOp::RenewLock { ticket, owner, now } => {
                let mine = s.get(ticket).is_some_and(|r| {
                    r.locked_by.as_deref() == Some(owner.as_str()) && !r.is_free_at(*now)
                });
                if mine {
                    self.lock(s, ticket, owner, *now)
                } else {
                    TicketRet::NotLocked
                }
            }
            TicketOp::ReleaseLock { ticket, owner } => {
                let mine = s
                    .get(ticket)
                    .is_some_and(|r| r.locked_by.as_deref() == Some(owner.as_str()));
                if mine {
                    s.insert(ticket.clone(), TicketRow::free());
                }
                TicketRet::Released(mine)
            }
        }
    }

    /// A failed call is allowed anywhere and changes nothing (its transaction rolled back).
    fn step(&self, s: &Tickets, op: &TicketOp, ret: &TicketRet) -> Option<Tickets> {
        if let TicketRet::Failed(_) = ret {
            return Some(s.clone());
        }
        let mut next = s.clone();
        (self.apply(&mut next, op) == *ret).then_some(next)
    }

    /// A call that never returned may have succeeded or failed (and changed nothing).
    fn pending(&self, s: &Tickets, op: &TicketOp) -> Vec<Tickets> {
        let mut next = s.clone();
        self.apply(&mut next, op);
        vec![next, s.clone()]
    }

    /// Tickets are independent, except that the pool's tickets are one part with
    /// `get_and_lock_next`, which scans them all.
    fn partition(&self, op: &TicketOp) -> u64 {
        let ticket = match op {
            TicketOp::GetAndLockNext { .. } => return 0,
            TicketOp::AcquireLock { ticket, .. }
            | TicketOp::RenewLock { ticket, .. }
            | TicketOp::ReleaseLock { ticket, .. } => ticket,
        };
        if self.pool.contains(ticket) {
            return 0;
        }
        let mut h = DefaultHasher::new();
        ticket.hash(&mut h);
        h.finish() | 1
    }
}

/// How the repository opens its transactions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transactions {
    /// The seed's `BEGIN`, or the fix's `BEGIN IMMEDIATE`.
    Explicit(Begin),
    /// No `BEGIN`: Python's implicit transactions ([`TicketRepository::implicit`]).
    Implicit,
}

/// The pool: `ticket-0` free, `ticket-1` held by a crashed worker whose lease ran out.
pub fn pool() -> Vec<String> {
    (0..2).map(ticket_key).collect()
}

fn data() -> Table {
    [
        (ticket_key(0), TicketRow::free()),
        (
            ticket_key(1),
            TicketRow::held("worker-crashed", CRASHED_EXPIRY),
        ),
    ]
    .into_iter()
    .map(|(k, r)| (k, r.encode()))
    .collect()
}

/// Two workers at a barrier: `worker-0` takes the next ticket of the pool, `worker-1` asks for
/// `ticket-0` by name; each holds what it got for [`WORK`] seconds, renews it, and releases
/// it. The history of every call is checked against [`TicketSpec`].
pub fn run(mode: JournalMode, txns: Transactions) {
    let initial: Tickets = data()
        .iter()
        .map(|(k, v)| (k.clone(), TicketRow::decode(v).expect("a ticket row")))
        .collect();
    let history = History::new(
        "tickets",
        TicketSpec {
            initial,
            pool: pool(),
            lease: LEASE,
        },
    );
    let db = Database::new("tickets.db", mode, 2, data());
    let barrier = Arc::new(Barrier::new(2));
    let workers: Vec<_> = (0..2)
        .map(|i| {
            let conn = db.connect(i, true);
            let repo = match txns {
                Transactions::Explicit(begin) => TicketRepository::new(conn, begin),
                Transactions::Implicit => TicketRepository::implicit(conn),
            };
            let (barrier, history) = (barrier.clone(), history.clone());
            let owner = format!("worker-{i}");
            thread::Builder::new()
                .name(owner.clone())
                .spawn(move || {
                    barrier.wait();
                    worker(i, &owner, &repo, &history)
                })
                .expect("spawn worker")
        })
        .collect();
    for w in workers {
        w.join().expect("worker panicked");
    }
    history.check();
}

fn worker(i: usize, owner: &str, repo: &TicketRepository, history: &History<TicketSpec>) {
    let owner = owner.to_string();
    let now = logical_now();
    let granted = if i == 0 {
        let op = TicketOp::GetAndLockNext {
            owner: owner.clone(),
            now,
        };
        history.run(op, || {
            TicketRet::of_lock(repo.get_and_lock_next_ticket(&pool(), &owner, now, LEASE))
        })
    } else {
        let ticket = ticket_key(0);
        let op = TicketOp::AcquireLock {
            ticket: ticket.clone(),
            owner: owner.clone(),
            now,
        };
        history.run(op, || {
            TicketRet::of_lock(repo.acquire_lock(&ticket, &owner, now, LEASE))
        })
    };
    let TicketRet::Locked { ticket, .. } = granted else {
        return;
    };
    time::sleep(Duration::from_secs(WORK));
    let now = logical_now();
    let op = TicketOp::RenewLock {
        ticket: ticket.clone(),
        owner: owner.clone(),
        now,
    };
    history.run(op, || {
        TicketRet::of_lock(repo.renew_lock(&ticket, &owner, now, LEASE))
    });
    let op = TicketOp::ReleaseLock {
        ticket: ticket.clone(),
        owner: owner.clone(),
    };
    history.run(op, || match repo.release_lock(&ticket, &owner) {
        Ok(released) => TicketRet::Released(released),
        Err(e) => TicketRet::failed(&e),
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use racecheck::linearizability::{check, Operation, Verdict, DEFAULT_BUDGET};

    fn spec() -> TicketSpec {
        TicketSpec {
            initial: data()
                .iter()
                .map(|(k, v)| (k.clone(), TicketRow::decode(v).unwrap()))
                .collect(),
            pool: pool(),
            lease: LEASE,
        }
    }

    fn acquire(owner: &str, now: u64) -> TicketOp {
        TicketOp::AcquireLock {
            ticket: ticket_key(0),
            owner: owner.to_string(),
            now,
        }
    }

    fn locked(n: usize, until: u64) -> TicketRet {
        TicketRet::Locked {
            ticket: ticket_key(n),
            until,
        }
    }

    #[test]
    fn a_ticket_granted_twice_within_its_lease_is_not_linearizable() {
        // Overlapping calls: still no order grants a held ticket again.
        let h = [
            Operation::new(0, acquire("worker-0", 100), locked(0, 160), 0, 3),
            Operation::new(1, acquire("worker-1", 100), locked(0, 160), 1, 2),
        ];
        assert_eq!(
            check(&spec(), &h, DEFAULT_BUDGET),
            Verdict::NotLinearizable {
                minimal: vec![0, 1]
            }
        );
        // After the lease ran out it may be taken over.
        let h = [
            Operation::new(0, acquire("worker-0", 100), locked(0, 160), 0, 1),
            Operation::new(1, acquire("worker-1", 161), locked(0, 221), 2, 3),
        ];
        assert_eq!(check(&spec(), &h, DEFAULT_BUDGET), Verdict::Linearizable);
    }

    #[test]
    fn a_failed_call_changes_nothing_and_is_allowed_anywhere() {
        let busy = || TicketRet::Failed("SQLITE_BUSY (5) at UPDATE".to_string());
        let next = |owner: &str| TicketOp::GetAndLockNext {
            owner: owner.to_string(),
            now: 100,
        };
        // worker-1's call failed between two that succeeded: it is explained by taking no
        // ticket, and worker-2 gets the pool's next free one, the expired ticket-1.
        let h = [
            Operation::new(0, next("worker-0"), locked(0, 160), 0, 1),
            Operation::new(1, next("worker-1"), busy(), 2, 3),
            Operation::new(2, next("worker-2"), locked(1, 160), 4, 5),
        ];
        assert_eq!(check(&spec(), &h, DEFAULT_BUDGET), Verdict::Linearizable);
        // A failure frees nothing: ticket-0 is still worker-0's.
        let h = [
            Operation::new(0, next("worker-0"), locked(0, 160), 0, 1),
            Operation::new(1, next("worker-1"), busy(), 2, 3),
            Operation::new(2, next("worker-2"), locked(0, 160), 4, 5),
        ];
        assert!(matches!(
            check(&spec(), &h, DEFAULT_BUDGET),
            Verdict::NotLinearizable { .. }
        ));
    }

    #[test]
    fn renewing_a_lease_that_ran_out_or_is_not_ours_fails() {
        let renew = |owner: &str, now| TicketOp::RenewLock {
            ticket: ticket_key(0),
            owner: owner.to_string(),
            now,
        };
        let h = [
            Operation::new(0, acquire("worker-0", 100), locked(0, 160), 0, 1),
            Operation::new(0, renew("worker-0", 150), locked(0, 210), 2, 3),
            Operation::new(1, renew("worker-1", 150), TicketRet::NotLocked, 4, 5),
        ];
        assert_eq!(check(&spec(), &h, DEFAULT_BUDGET), Verdict::Linearizable);
        let h = [
            Operation::new(0, acquire("worker-0", 100), locked(0, 160), 0, 1),
            Operation::new(0, renew("worker-0", 170), locked(0, 230), 2, 3),
        ];
        assert!(matches!(
            check(&spec(), &h, DEFAULT_BUDGET),
            Verdict::NotLinearizable { .. }
        ));
    }
}
