//! The lease lock and the counter it guards, as one object checked for linearizability.
//!
//! The holders use the Redis-like [`LockService`] and the [`Resource`] of [`crate::lease`]:
//! acquire with a TTL (retrying every [`RETRY`]), read the counter, work, write it back, release
//! with compare-and-delete; an administrator may `clear_locks`. Each of those is an operation
//! of the history; the read-work-write is one operation, `Increment`, since that is what the
//! lock promises to make atomic.
//!
//! The spec ([`LeaseSpec`]) is what the holders were promised: one lease at a time (a grant only
//! when no lease is held or the held one expired, on the virtual clock), fencing tokens that
//! grow with every grant, a release that succeeds only for the live holder, `clear_locks`
//! dropping any lease, and a counter that counts every increment told ok (an increment may be
//! refused as stale, and then changes nothing). A lease outlived by its holder, or cleared under
//! it, lets two increments both see the same value: no order of them explains both results.
//! With fencing the stale one is refused, and the history is linearizable.
//!
//! A heartbeat renews the lease once, after [`Heartbeat::after`] seconds: the spec renews only
//! the live holder's lease. A heartbeat later than the TTL finds the lease gone; a renewal by
//! `PEXPIRE` alone ([`LockService::renew_blind`]) then extends the next holder's lease and
//! answers yes, which no order explains; checking the token first answers no.

use crate::lease::{LockService, Release, Resource, Stale, RETRY};
use racecheck::history::History;
use racecheck::linearizability::Spec;
use racecheck::sync::Arc;
use racecheck::thread;
use racecheck::time::{self, Duration};

/// A time on the virtual clock since the execution started, in whole milliseconds: what the
/// spec compares expiries with.
pub type Millis = u64;

fn now_ms() -> Millis {
    time::now().since_start().as_millis() as Millis
}

/// An operation on the lease lock and its counter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LeaseOp {
    /// `SET NX PX`, sent at `at` by `holder`.
    Acquire { holder: &'static str, at: Millis },
    /// Read, work, write back, with the lease's token.
    Increment { token: u64 },
    /// A heartbeat's renewal at `at`.
    Renew { token: u64, at: Millis },
    /// Compare-and-delete at `at`.
    Release { token: u64, at: Millis },
    /// An administrator's `clear_locks`.
    ClearLocks,
}

/// What an operation returned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LeaseRet {
    Granted(u64),
    Busy,
    /// The counter's new value.
    Incremented(u64),
    /// The resource refused the token.
    Stale,
    Renewed(bool),
    Released(bool),
    Cleared,
}

/// The lease lock's abstract state.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct LeaseState {
    /// The live lease: its token and expiry.
    pub holder: Option<(u64, Millis)>,
    /// The last token granted: the next must be greater.
    pub last_token: u64,
    /// The counter.
    pub value: u64,
}

/// The sequential spec of a lease lock with TTL `ttl` guarding a counter.
#[derive(Clone, Debug)]
pub struct LeaseSpec {
    pub ttl: Millis,
}

impl LeaseSpec {
    fn live(&self, s: &LeaseState, at: Millis) -> Option<u64> {
        s.holder
            .filter(|&(_, expiry)| expiry > at)
            .map(|(token, _)| token)
    }
}

impl Spec for LeaseSpec {
    type State = LeaseState;
    type Op = LeaseOp;
    type Ret = LeaseRet;

    fn init(&self) -> LeaseState {
        LeaseState::default()
    }

    /// One of the allowed results: the next token is the last plus one; an increment succeeds.
    fn apply(&self, s: &mut LeaseState, op: &LeaseOp) -> LeaseRet {
        match *op {
            LeaseOp::Acquire { at, .. } => match self.live(s, at) {
                Some(_) => LeaseRet::Busy,
                None => {
                    s.last_token += 1;
                    s.holder = Some((s.last_token, at + self.ttl));
                    LeaseRet::Granted(s.last_token)
                }
            },
            LeaseOp::Increment { .. } => {
                s.value += 1;
                LeaseRet::Incremented(s.value)
            }
            LeaseOp::Renew { token, at } => {
                let mine = self.live(s, at) == Some(token);
                if mine {
                    s.holder = Some((token, at + self.ttl));
                }
                LeaseRet::Renewed(mine)
            }
            LeaseOp::Release { token, at } => {
                let mine = self.live(s, at) == Some(token);
                if mine {
                    s.holder = None;
                }
                LeaseRet::Released(mine)
            }
            LeaseOp::ClearLocks => {
                s.holder = None;
                LeaseRet::Cleared
            }
        }
    }

    /// Any token above the last may be granted, and an increment may be refused as stale.
    fn step(&self, s: &LeaseState, op: &LeaseOp, ret: &LeaseRet) -> Option<LeaseState> {
        match (op, ret) {
            (LeaseOp::Acquire { at, .. }, LeaseRet::Granted(token)) => {
                (self.live(s, *at).is_none() && *token > s.last_token).then(|| LeaseState {
                    holder: Some((*token, at + self.ttl)),
                    last_token: *token,
                    ..s.clone()
                })
            }
            (LeaseOp::Increment { .. }, LeaseRet::Stale) => Some(s.clone()),
            _ => {
                let mut next = s.clone();
                (self.apply(&mut next, op) == *ret).then_some(next)
            }
        }
    }

    /// A pending increment may have been refused as stale, and changed nothing. (A pending
    /// grant's token is taken to be the next one: there are infinitely many to list.)
    fn pending(&self, s: &LeaseState, op: &LeaseOp) -> Vec<LeaseState> {
        let mut next = s.clone();
        self.apply(&mut next, op);
        match op {
            LeaseOp::Increment { .. } => vec![next, s.clone()],
            _ => vec![next],
        }
    }
}

/// One holder: when it starts and how long its work between read and write takes (seconds).
#[derive(Clone, Copy, Debug)]
pub struct Holder {
    pub start: u64,
    pub operation: u64,
}

/// The first holder's heartbeat: one renewal, `after` seconds into its increment, by a
/// token-checking renewal or (`blind`) a plain `PEXPIRE`.
#[derive(Clone, Copy, Debug)]
pub struct Heartbeat {
    pub after: u64,
    pub blind: bool,
}

/// A run: the TTL (seconds), the holders, whether the resource is fenced, when (if at all) an
/// administrator clears the locks, and the first holder's heartbeat, if it has one.
#[derive(Clone, Debug)]
pub struct Config {
    pub ttl: u64,
    pub holders: Vec<Holder>,
    pub fenced: bool,
    pub clear_locks_at: Option<u64>,
    pub heartbeat: Option<Heartbeat>,
}

/// A 45 s operation under a 30 s TTL, no renewal: B is granted the lease at 30 s.
pub fn ttl_outlived(fenced: bool) -> Config {
    Config {
        ttl: 30,
        holders: vec![
            Holder {
                start: 0,
                operation: 45,
            },
            Holder {
                start: 1,
                operation: 10,
            },
        ],
        fenced,
        clear_locks_at: None,
        heartbeat: None,
    }
}

/// A 60 s lease, A working 30 s, B waiting from 5 s; an administrator clears the locks at 10 s.
pub fn clear_locks(fenced: bool) -> Config {
    Config {
        ttl: 60,
        holders: vec![
            Holder {
                start: 0,
                operation: 30,
            },
            Holder {
                start: 5,
                operation: 10,
            },
        ],
        fenced,
        clear_locks_at: Some(10),
        heartbeat: None,
    }
}

/// A 50 s increment under a 30 s TTL whose heartbeat comes at 35 s, after B was granted the
/// lease at 30 s; the resource is fenced, so only the renewal can go wrong.
pub fn late_heartbeat(blind: bool) -> Config {
    Config {
        ttl: 30,
        holders: vec![
            Holder {
                start: 0,
                operation: 50,
            },
            Holder {
                start: 1,
                operation: 10,
            },
        ],
        fenced: true,
        clear_locks_at: None,
        heartbeat: Some(Heartbeat { after: 35, blind }),
    }
}

struct World {
    service: LockService,
    resource: Resource,
    history: History<LeaseSpec>,
    ttl: Duration,
}

/// Run `cfg` and check the history of the lease and its counter for linearizability.
pub fn run(cfg: &Config) {
    let world = Arc::new(World {
        service: LockService::new(),
        resource: Resource::new(cfg.fenced),
        history: History::new(
            "lease",
            LeaseSpec {
                ttl: cfg.ttl * 1000,
            },
        ),
        ttl: Duration::from_secs(cfg.ttl),
    });
    let handles: Vec<_> = cfg
        .holders
        .iter()
        .zip(["A", "B", "C"])
        .enumerate()
        .map(|(i, (&h, name))| {
            let world = world.clone();
            let heartbeat = cfg.heartbeat.filter(|_| i == 0);
            thread::Builder::new()
                .name(name)
                .spawn(move || holder(name, h, heartbeat, &world))
                .expect("spawn holder")
        })
        .collect();
    if let Some(at) = cfg.clear_locks_at {
        time::sleep(Duration::from_secs(at));
        world.history.run(LeaseOp::ClearLocks, || {
            world.service.clear_locks();
            LeaseRet::Cleared
        });
    }
    for h in handles {
        h.join().expect("holder panicked");
    }
    world.history.check();
}

fn holder(name: &'static str, h: Holder, heartbeat: Option<Heartbeat>, world: &Arc<World>) {
    time::sleep(Duration::from_secs(h.start));
    let history = &world.history;
    let token = loop {
        let acquire = LeaseOp::Acquire {
            holder: name,
            at: now_ms(),
        };
        let granted = history.run(acquire, || match world.service.acquire(world.ttl) {
            Some(token) => LeaseRet::Granted(token),
            None => LeaseRet::Busy,
        });
        if let LeaseRet::Granted(token) = granted {
            break token;
        }
        time::sleep(RETRY);
    };
    let heartbeat = heartbeat.map(|hb| {
        let world = world.clone();
        thread::Builder::new()
            .name(format!("{name}.heartbeat"))
            .spawn(move || renew(token, hb, &world))
            .expect("spawn heartbeat")
    });
    history.run(LeaseOp::Increment { token }, || {
        let read = world.resource.read(token);
        time::sleep(Duration::from_secs(h.operation));
        match read.and_then(|v| world.resource.write(token, v + 1).map(|()| v + 1)) {
            Ok(v) => LeaseRet::Incremented(v),
            Err(Stale) => LeaseRet::Stale,
        }
    });
    let release = LeaseOp::Release {
        token,
        at: now_ms(),
    };
    history.run(release, || {
        LeaseRet::Released(world.service.release(token, Release::CompareAndDelete))
    });
    if let Some(hb) = heartbeat {
        hb.join().expect("heartbeat panicked");
    }
}

/// The heartbeat's one renewal of `token`, `hb.after` seconds from now.
fn renew(token: u64, hb: Heartbeat, world: &World) {
    time::sleep(Duration::from_secs(hb.after));
    let op = LeaseOp::Renew {
        token,
        at: now_ms(),
    };
    world.history.run(op, || {
        LeaseRet::Renewed(if hb.blind {
            world.service.renew_blind(world.ttl)
        } else {
            world.service.renew(token, world.ttl)
        })
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use racecheck::linearizability::{check, Operation, Verdict, DEFAULT_BUDGET};

    fn op(t: usize, o: LeaseOp, r: LeaseRet, c: u64, ret: u64) -> Operation<LeaseOp, LeaseRet> {
        Operation::new(t, o, r, c, ret)
    }

    const SPEC: LeaseSpec = LeaseSpec { ttl: 30_000 };

    #[test]
    fn a_grant_while_a_lease_is_live_is_not_linearizable() {
        let acquire = |holder, at| LeaseOp::Acquire { holder, at };
        let h = [
            op(0, acquire("A", 0), LeaseRet::Granted(1), 0, 1),
            op(1, acquire("B", 10_000), LeaseRet::Granted(2), 2, 3),
        ];
        assert!(matches!(
            check(&SPEC, &h, DEFAULT_BUDGET),
            Verdict::NotLinearizable { .. }
        ));
        // After the expiry it is allowed, with any greater token.
        let h = [
            op(0, acquire("A", 0), LeaseRet::Granted(1), 0, 1),
            op(1, acquire("B", 30_000), LeaseRet::Granted(7), 2, 3),
        ];
        assert_eq!(check(&SPEC, &h, DEFAULT_BUDGET), Verdict::Linearizable);
    }

    #[test]
    fn only_the_live_holder_renews() {
        let acquire = |holder, at| LeaseOp::Acquire { holder, at };
        let renew = |at| LeaseOp::Renew { token: 1, at };
        // Renewed in time: still A's at 40 s, so B is refused.
        let h = [
            op(0, acquire("A", 0), LeaseRet::Granted(1), 0, 1),
            op(2, renew(20_000), LeaseRet::Renewed(true), 2, 3),
            op(1, acquire("B", 40_000), LeaseRet::Busy, 4, 5),
        ];
        assert_eq!(check(&SPEC, &h, DEFAULT_BUDGET), Verdict::Linearizable);
        // Renewed after the expiry, whoever holds it now: refused. The renewal alone is the
        // witness: without A's grant there is no lease of token 1, with it the lease ran out.
        let h = [
            op(0, acquire("A", 0), LeaseRet::Granted(1), 0, 1),
            op(1, acquire("B", 30_000), LeaseRet::Granted(2), 2, 3),
            op(2, renew(35_000), LeaseRet::Renewed(true), 4, 5),
        ];
        assert_eq!(
            check(&SPEC, &h, DEFAULT_BUDGET),
            Verdict::NotLinearizable { minimal: vec![2] }
        );
        let h = [
            op(0, acquire("A", 0), LeaseRet::Granted(1), 0, 1),
            op(1, acquire("B", 30_000), LeaseRet::Granted(2), 2, 3),
            op(2, renew(35_000), LeaseRet::Renewed(false), 4, 5),
        ];
        assert_eq!(check(&SPEC, &h, DEFAULT_BUDGET), Verdict::Linearizable);
    }

    #[test]
    fn a_release_by_an_expired_holder_fails_and_clear_locks_frees_the_lock() {
        let h = [
            op(
                0,
                LeaseOp::Acquire { holder: "A", at: 0 },
                LeaseRet::Granted(1),
                0,
                1,
            ),
            op(
                0,
                LeaseOp::Release {
                    token: 1,
                    at: 40_000,
                },
                LeaseRet::Released(true),
                2,
                3,
            ),
        ];
        assert!(matches!(
            check(&SPEC, &h, DEFAULT_BUDGET),
            Verdict::NotLinearizable { .. }
        ));
        let h = [
            op(
                0,
                LeaseOp::Acquire { holder: "A", at: 0 },
                LeaseRet::Granted(1),
                0,
                1,
            ),
            op(2, LeaseOp::ClearLocks, LeaseRet::Cleared, 2, 3),
            op(
                1,
                LeaseOp::Acquire { holder: "B", at: 0 },
                LeaseRet::Granted(2),
                4,
                5,
            ),
        ];
        assert_eq!(check(&SPEC, &h, DEFAULT_BUDGET), Verdict::Linearizable);
    }
}
