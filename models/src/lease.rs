//! Lease locks with TTLs, heartbeats, tokens and fencing (seeds 000, 003 and 004).
//!
//! The lock service is Redis-like (<https://redis.io/commands/set/>, "Patterns"; fencing as in
//! Kleppmann, "How to do distributed locking", 2016): `SET key token NX PX ttl` to acquire, a
//! check-and-`PEXPIRE` to renew, compare-and-delete (or, wrongly, a plain `DEL`) to release,
//! and `INCR` for a fencing counter kept outside the lock keys. Expiry runs on the service's
//! clock, which is racecheck's virtual clock. An operation's length, a pause and the moment of
//! an administrator's `clear_locks` are [`Span`]s: ranges a check explores as choices (loom
//! and DFS every value, the random walk and PCT a seeded draw), so a bug shows only when the
//! durations fall the wrong way, and a fix is verified for every value in its range.
//!
//! The protected resource is a counter that holders read, work on, and write back. Fenced, it
//! rejects any access (read or write) whose token is below the highest it has seen: fencing on
//! writes alone lets a stale holder that read before the new holder write a lost update.
//!
//! The invariant is the damage a stale holder does: the final value equals the number of
//! writes that were told "ok" (no update lost).
//!
//! Each Redis command, DynamoDB conditional write and resource access is one atomic step
//! ([`External`]), as the real servers execute them; what interleaves is what the real clients
//! interleave: commands of different holders, and a holder's threads.

use racecheck::sync::atomic::{AtomicBool, AtomicU64, Ordering::SeqCst};
use racecheck::sync::{Arc, External};
use racecheck::thread::{self, JoinHandle};
use racecheck::time::{self, Duration, Instant, Span};
use racecheck::{invariant, trace};

/// The lock key every holder contends for.
pub const KEY: &str = "lock:compaction";
/// How often a waiting holder retries `SET NX`.
pub const RETRY: Duration = Duration::from_secs(1);

/// How a holder releases its lock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Release {
    /// `if GET == token then DEL`: a stale release deletes nothing and reports it.
    CompareAndDelete,
    /// A plain `DEL`: after the TTL ran out it deletes the next holder's lock.
    PlainDel,
}

/// The Redis-like lock service.
#[derive(Debug)]
pub struct LockService {
    /// key → (token, expiry); an entry past its expiry is absent.
    keys: External<Option<(u64, Instant)>>,
    /// The fencing counter (`INCR fence`), never cleared.
    fence: External<u64>,
}

impl Default for LockService {
    fn default() -> Self {
        Self::new()
    }
}

impl LockService {
    pub fn new() -> Self {
        LockService {
            keys: External::named("redis.lock:compaction", None),
            fence: External::named("redis.fence", 0),
        }
    }

    /// `INCR fence` then `SET lock token NX PX ttl`: the token if granted.
    pub fn acquire(&self, ttl: Duration) -> Option<u64> {
        let token = self.fence.command("INCR", |f| {
            *f += 1;
            *f
        });
        self.keys.command("SET NX PX", |k| {
            let now = time::now();
            match *k {
                Some((_, expiry)) if expiry > now => None,
                _ => {
                    *k = Some((token, now + ttl));
                    Some(token)
                }
            }
        })
    }

    /// Renew: `if GET == token then PEXPIRE ttl`.
    pub fn renew(&self, token: u64, ttl: Duration) -> bool {
        self.keys.command("renew (GET == token then PEXPIRE)", |k| {
            let now = time::now();
            match *k {
                Some((t, expiry)) if t == token && expiry > now => {
                    *k = Some((t, now + ttl));
                    true
                }
                _ => false,
            }
        })
    }

    /// Renew wrongly: a plain `PEXPIRE ttl`, which checks no token. It extends whoever holds
    /// the key now and says yes whenever the key exists (Redis `PEXPIRE` replies 1 for an
    /// existing key, 0 for a missing one: <https://redis.io/commands/pexpire/>).
    pub fn renew_blind(&self, ttl: Duration) -> bool {
        self.keys.command("PEXPIRE", |k| {
            let now = time::now();
            match *k {
                Some((t, expiry)) if expiry > now => {
                    *k = Some((t, now + ttl));
                    true
                }
                _ => false,
            }
        })
    }

    /// Release; `false` if the key was not this holder's (a stale release).
    pub fn release(&self, token: u64, how: Release) -> bool {
        let command = match how {
            Release::CompareAndDelete => "release (GET == token then DEL)",
            Release::PlainDel => "DEL",
        };
        self.keys.command(command, |k| {
            let now = time::now();
            let mine = matches!(*k, Some((t, expiry)) if t == token && expiry > now);
            match how {
                Release::CompareAndDelete if !mine => false,
                Release::CompareAndDelete => {
                    *k = None;
                    true
                }
                Release::PlainDel => {
                    *k = None;
                    mine
                }
            }
        })
    }

    /// An administrator's `clear_locks`: every lock key goes, whoever holds it.
    pub fn clear_locks(&self) {
        trace::event("admin: clear_locks");
        self.keys.command("DEL (clear_locks)", |k| *k = None);
    }
}

/// The DynamoDB lock client's item (awslabs/amazon-dynamodb-lock-client,
/// `AmazonDynamoDBLockClient.java`, `acquireLock` and `sendHeartbeat`): no expiry on the
/// server. A waiter notes the item's record version number (RVN) and takes the lock over only
/// once it has seen the same RVN for a whole lease (plus the client's extra second) on its own
/// clock. A heartbeat writes a new RVN on condition that the item is still the holder's.
///
/// The client conditions on the RVN and the owner; here every grant has a new owner token, so
/// a condition on the owner catches the same takeovers. RVNs are unique but unordered (random
/// UUIDs in the client), so they cannot fence: the fencing counter is separate.
#[derive(Debug)]
pub struct DynamoLock {
    item: External<Item>,
    fence: External<u64>,
}

/// The lock item: (owner token, RVN) if present, and the source of fresh RVNs (unique, as the
/// client's random UUIDs are; only their equality matters).
#[derive(Debug, Default)]
struct Item {
    current: Option<(u64, u64)>,
    rvns: u64,
}

impl Item {
    fn rvn(&self) -> Option<u64> {
        self.current.map(|(_, rvn)| rvn)
    }

    fn put(&mut self, owner: u64) {
        self.rvns += 1;
        self.current = Some((owner, self.rvns));
    }
}

/// What a waiting DynamoDB client remembers between polls: the RVN it saw, and since when.
#[derive(Clone, Copy, Debug, Default)]
pub struct Watch {
    seen: Option<(u64, Instant)>,
}

/// `additionalTimeToWaitForLock`'s default.
pub const DYNAMO_EXTRA_WAIT: Duration = Duration::from_secs(1);

impl Default for DynamoLock {
    fn default() -> Self {
        Self::new()
    }
}

impl DynamoLock {
    pub fn new() -> Self {
        DynamoLock {
            item: External::named("dynamodb.lock_item", Item::default()),
            fence: External::named("fence", 0),
        }
    }

    /// One poll of `acquireLock`: `GetItem`, then, if the item is absent or its RVN has not
    /// changed for a whole lease, a `PutItem` on condition that the item is still as read (two
    /// commands, as the client sends them: another client may write between).
    pub fn acquire(&self, lease: Duration, watch: &mut Watch) -> Option<u64> {
        let read = self.item.command("GetItem", |item| item.rvn());
        let now = time::now();
        let free = match (read, watch.seen) {
            (None, _) => true,
            (Some(current), Some((seen, since))) if current == seen => {
                now.duration_since(since) >= lease + DYNAMO_EXTRA_WAIT
            }
            (Some(current), _) => {
                watch.seen = Some((current, now));
                false
            }
        };
        if !free {
            return None;
        }
        let token = self.fence.command("INCR", |f| {
            *f += 1;
            *f
        });
        *watch = Watch::default();
        let put = self.item.command("PutItem if RVN unchanged", |item| {
            let unchanged = item.rvn() == read;
            if unchanged {
                item.put(token);
            }
            unchanged
        });
        put.then_some(token)
    }

    /// A heartbeat: `UpdateItem SET RVN = new` on condition that the item is still ours.
    pub fn renew(&self, token: u64) -> bool {
        self.item.command("UpdateItem RVN if owner", |item| {
            let mine = matches!(item.current, Some((owner, _)) if owner == token);
            if mine {
                item.put(token);
            }
            mine
        })
    }

    /// `releaseLock`: a conditional `DeleteItem` (or, with [`Release::PlainDel`], not).
    pub fn release(&self, token: u64, how: Release) -> bool {
        self.item.command("DeleteItem", |item| {
            let mine = matches!(item.current, Some((owner, _)) if owner == token);
            if mine || how == Release::PlainDel {
                item.current = None;
            }
            mine
        })
    }

    /// The client has no clear-all API: this is an administrator deleting the item.
    pub fn clear_locks(&self) {
        trace::event("admin: delete the lock item");
        self.item
            .command("DeleteItem (admin)", |item| item.current = None);
    }
}

/// Which lock service the holders use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Service {
    Redis,
    DynamoDb,
}

#[derive(Debug)]
enum AnyService {
    Redis(LockService),
    DynamoDb(DynamoLock),
}

impl AnyService {
    fn acquire(&self, lease: Duration, watch: &mut Watch) -> Option<u64> {
        match self {
            AnyService::Redis(s) => s.acquire(lease),
            AnyService::DynamoDb(s) => s.acquire(lease, watch),
        }
    }

    fn renew(&self, token: u64, lease: Duration) -> bool {
        match self {
            AnyService::Redis(s) => s.renew(token, lease),
            AnyService::DynamoDb(s) => s.renew(token),
        }
    }

    fn release(&self, token: u64, how: Release) -> bool {
        match self {
            AnyService::Redis(s) => s.release(token, how),
            AnyService::DynamoDb(s) => s.release(token, how),
        }
    }

    fn clear_locks(&self) {
        match self {
            AnyService::Redis(s) => s.clear_locks(),
            AnyService::DynamoDb(s) => s.clear_locks(),
        }
    }
}

/// A stale token: the resource has seen a newer one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stale;

/// The protected resource: a counter, fenced or not. It counts the writes it told "ok", in
/// the same atomic step as the write.
#[derive(Debug)]
pub struct Resource {
    fenced: bool,
    state: External<Counter>,
}

#[derive(Debug, Default)]
struct Counter {
    value: u64,
    highest_token: u64,
    ok_writes: u64,
}

impl Resource {
    pub fn new(fenced: bool) -> Self {
        Resource {
            fenced,
            state: External::named("resource", Counter::default()),
        }
    }

    fn check(&self, s: &mut Counter, token: u64) -> Result<(), Stale> {
        if self.fenced {
            if token < s.highest_token {
                return Err(Stale);
            }
            s.highest_token = token;
        }
        Ok(())
    }

    pub fn read(&self, token: u64) -> Result<u64, Stale> {
        self.state.command("read", |s| {
            self.check(s, token)?;
            Ok(s.value)
        })
    }

    pub fn write(&self, token: u64, value: u64) -> Result<(), Stale> {
        self.state.command("write", |s| {
            self.check(s, token)?;
            (value != s.value + 1)
                .then(|| trace::mark_suspect("overwrites an update it never read"));
            s.value = value;
            s.ok_writes += 1;
            Ok(())
        })
    }

    /// (value, writes told ok)
    pub fn totals(&self) -> (u64, u64) {
        self.state.command("totals", |s| (s.value, s.ok_writes))
    }
}

/// One holder's timing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Holder {
    /// When it first tries to acquire.
    pub start: Duration,
    /// How long its operation takes between reading and writing.
    pub operation: Span,
    /// A pause of the whole process (GC, slow I/O) right after reading: the heartbeat thread
    /// is paused too.
    pub pause: Span,
    /// Whether it writes (a read-only holder still takes and releases the lock).
    pub writes: bool,
}

/// The configuration of one run: the lock's settings and the holders.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    pub lease: Duration,
    /// `None`: no heartbeat thread.
    pub heartbeat: Option<Duration>,
    pub release: Release,
    pub fenced: bool,
    pub service: Service,
    pub holders: Vec<Holder>,
    /// When an administrator clears every lock, if at all.
    pub clear_locks_at: Option<Span>,
}

/// Everything the holders share.
struct World {
    service: AnyService,
    resource: Resource,
}

/// Run the configuration: holders contend, work, write, release. Fails the execution with an
/// invariant if an update was lost.
pub fn run(cfg: &Config) {
    let world = Arc::new(World {
        service: match cfg.service {
            Service::Redis => AnyService::Redis(LockService::new()),
            Service::DynamoDb => AnyService::DynamoDb(DynamoLock::new()),
        },
        resource: Resource::new(cfg.fenced),
    });
    let names = ["A", "B", "C", "D"];
    let handles: Vec<JoinHandle<()>> = cfg
        .holders
        .iter()
        .zip(names)
        .map(|(&h, name)| {
            let (world, cfg) = (world.clone(), cfg.clone());
            thread::Builder::new()
                .name(name)
                .spawn(move || holder(name, h, &cfg, &world))
                .expect("spawn holder")
        })
        .collect();
    if let Some(at) = cfg.clear_locks_at {
        at.sleep("admin: clear_locks after");
        world.service.clear_locks();
    }
    for h in handles {
        h.join().expect("holder panicked");
    }
    let (value, ok) = world.resource.totals();
    invariant!(
        value == ok,
        "lost update: {ok} writes were told ok but the resource holds {value}"
    );
}

fn holder(name: &'static str, h: Holder, cfg: &Config, world: &Arc<World>) {
    time::sleep(h.start);
    let mut watch = Watch::default();
    let token = loop {
        if let Some(t) = world.service.acquire(cfg.lease, &mut watch) {
            break t;
        }
        time::sleep(RETRY);
    };
    trace::event(format!("{name}: acquired with token {token}"));
    trace::holds_until(KEY, time::now() + cfg.lease);
    // In-process flags between the holder and its heartbeat thread (nanoseconds since start).
    let paused_until = Arc::new(AtomicU64::named(format!("{name}.paused_until"), 0));
    let done = Arc::new(AtomicBool::named(format!("{name}.done"), false));
    let heartbeat = cfg.heartbeat.map(|every| {
        let (world, done, paused) = (world.clone(), done.clone(), paused_until.clone());
        let lease = cfg.lease;
        thread::Builder::new()
            .name(format!("{name}.heartbeat"))
            .spawn(move || loop {
                time::sleep(every);
                // A paused process runs none of its threads.
                let resume = Duration::from_nanos(paused.fetch_add(0, SeqCst));
                let now = time::now().since_start();
                if resume > now {
                    time::sleep(resume - now);
                }
                if done.compare_exchange(true, true, SeqCst, SeqCst).is_ok() {
                    return;
                }
                if !world.service.renew(token, lease) {
                    trace::event("heartbeat: renewal refused, lease lost");
                    return;
                }
                trace::renews_until(KEY, time::now() + lease);
            })
            .expect("spawn heartbeat")
    });

    let read = world.resource.read(token);
    let pause = h.pause.choose("process pause");
    if pause > Duration::ZERO {
        let until = time::now().since_start() + pause;
        paused_until.swap(until.as_nanos() as u64, SeqCst);
        trace::event(format!("{name}: process paused"));
        time::sleep(pause);
    }
    h.operation.sleep("operation takes");
    if let (true, Ok(v)) = (h.writes, read) {
        match world.resource.write(token, v + 1) {
            Ok(()) => {
                trace::event(format!("{name}: wrote {}", v + 1));
            }
            Err(Stale) => trace::event(format!("{name}: write rejected, stale token {token}")),
        }
    }
    done.swap(true, SeqCst);
    if let Some(hb) = heartbeat {
        hb.join().expect("heartbeat panicked");
    }
    if !world.service.release(token, cfg.release) {
        trace::event(format!(
            "{name}: release refused: the lock was not ours any more"
        ));
    }
    trace::lets_go(KEY);
}

/// The failure modes of the lease scenarios, each with its timings.
pub mod configs {
    use super::*;

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    /// From `from` s to `to` s in steps of `step` s.
    fn range(from: u64, to: u64, step: u64) -> Span {
        Span::between(secs(from), secs(to), secs(step))
    }

    fn writer(start: u64, operation: Span) -> Holder {
        Holder {
            start: secs(start),
            operation,
            pause: Span::exactly(Duration::ZERO),
            writes: true,
        }
    }

    fn fixed(s: u64) -> Span {
        Span::exactly(secs(s))
    }

    fn base(lease: u64, heartbeat: Option<u64>, holders: Vec<Holder>) -> Config {
        Config {
            lease: secs(lease),
            heartbeat: heartbeat.map(secs),
            release: Release::CompareAndDelete,
            fenced: false,
            service: Service::Redis,
            holders,
            clear_locks_at: None,
        }
    }

    /// An operation of 20–45 s under a 30 s TTL with no renewal: past 30 s, B takes the lock
    /// (at 30 s) and A's late write is a stale one. Seed 003 reports "Lock TTL expires while
    /// operation still running" without figures: the range straddles the TTL, so the bug needs
    /// an operation longer than the TTL (at exactly 30 s, the order of A's write and B's read).
    pub fn ttl_outlived() -> Config {
        base(
            30,
            None,
            vec![writer(0, range(20, 45, 5)), writer(1, fixed(10))],
        )
    }

    /// Seed 004's handler defaults, `heartbeat_interval = 120` for `lock_duration_minutes = 1`
    /// (single figures, kept): the lease lapses before the first beat when the operation
    /// outlives 60 s. The operation takes 30–90 s around seed 002's "compaction takes 60
    /// seconds".
    pub fn heartbeat_defaults() -> Config {
        base(
            60,
            Some(120),
            vec![writer(0, range(30, 90, 15)), writer(1, fixed(10))],
        )
    }

    /// Seed 004's production setting (`HEARTBEAT_INTERVAL_SECONDS = "30"`,
    /// `LOCK_DURATION_MINUTES = "3"`), over the same operation times.
    pub fn heartbeat_production() -> Config {
        base(
            180,
            Some(30),
            vec![writer(0, range(30, 90, 15)), writer(1, fixed(10))],
        )
    }

    /// A holder with a healthy heartbeat (10 s for a 30 s lease) whose whole process pauses
    /// 0–40 s: a pause past the lease, which no heartbeat survives, loses the update. The
    /// seeds give no pause length; the range is ours and straddles the lease.
    pub fn paused_holder() -> Config {
        let mut a = writer(0, fixed(5));
        a.pause = range(0, 40, 10);
        base(30, Some(10), vec![a, writer(1, fixed(10))])
    }

    /// A read-only holder whose operation takes 20–45 s under a 30 s TTL releases late; B
    /// holds the lock by then and C is waiting. `how` decides whether the late release deletes
    /// B's lock.
    pub fn stale_unlock(how: Release) -> Config {
        let a = Holder {
            writes: false,
            ..writer(0, range(20, 45, 5))
        };
        // B's 20 s operation fits in its lease; only A's late release can let C in early.
        let mut cfg = base(
            30,
            None,
            vec![a, writer(1, fixed(20)), writer(40, fixed(10))],
        );
        cfg.release = how;
        cfg
    }

    /// An administrator clears every lock 10–40 s in, while A (heartbeat on) runs a 30 s
    /// operation and B waits from 5 s: a clear while A holds lets B in at once. Seed 003
    /// reports "`clear_locks()` interfering with active operations" without a time: the range
    /// runs from mid-operation to after A's release.
    pub fn clear_locks_mid_operation() -> Config {
        let mut cfg = base(
            60,
            Some(10),
            vec![writer(0, fixed(30)), writer(5, fixed(10))],
        );
        cfg.clear_locks_at = Some(range(10, 40, 10));
        cfg
    }

    /// The same configuration with a fenced resource.
    pub fn fenced(mut cfg: Config) -> Config {
        cfg.fenced = true;
        cfg
    }

    /// The same configuration over the DynamoDB lock client.
    pub fn dynamodb(mut cfg: Config) -> Config {
        cfg.service = Service::DynamoDb;
        cfg
    }
}
