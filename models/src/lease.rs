//! Lease locks with TTLs, heartbeats, tokens and fencing (seeds 000, 003 and 004).
//!
//! The lock service is Redis-like (<https://redis.io/commands/set/>, "Patterns"; fencing as in
//! Kleppmann, "How to do distributed locking", 2016): `SET key token NX PX ttl` to acquire, a
//! check-and-`PEXPIRE` to renew, compare-and-delete (or, wrongly, a plain `DEL`) to release,
//! and `INCR` for a fencing counter kept outside the lock keys. Expiry runs on the service's
//! clock, which is racecheck's virtual clock, so "the holder paused longer than its TTL" is an
//! interleaving the schedulers explore.
//!
//! The protected resource is a counter that holders read, work on, and write back. Fenced, it
//! rejects any access (read or write) whose token is below the highest it has seen: fencing on
//! writes alone lets a stale holder that read before the new holder write a lost update.
//!
//! The invariant is the damage a stale holder does: the final value equals the number of
//! writes that were told "ok" (no update lost).

use racecheck::sync::{Arc, Mutex};
use racecheck::thread::{self, JoinHandle};
use racecheck::time::{self, Duration, Instant};
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
    keys: Mutex<Option<(u64, Instant)>>,
    /// The fencing counter (`INCR fence`), never cleared.
    fence: Mutex<u64>,
}

impl Default for LockService {
    fn default() -> Self {
        Self::new()
    }
}

impl LockService {
    pub fn new() -> Self {
        LockService {
            keys: Mutex::named("redis.lock:compaction", None),
            fence: Mutex::named("redis.fence", 0),
        }
    }

    /// `INCR fence` then `SET lock token NX PX ttl`: the token if granted.
    pub fn acquire(&self, ttl: Duration) -> Option<u64> {
        let token = {
            let mut f = self.fence.lock().unwrap();
            *f += 1;
            *f
        };
        let mut k = self.keys.lock().unwrap();
        let now = time::now();
        match *k {
            Some((_, expiry)) if expiry > now => None,
            _ => {
                *k = Some((token, now + ttl));
                Some(token)
            }
        }
    }

    /// Renew: `if GET == token then PEXPIRE ttl`.
    pub fn renew(&self, token: u64, ttl: Duration) -> bool {
        let mut k = self.keys.lock().unwrap();
        let now = time::now();
        match *k {
            Some((t, expiry)) if t == token && expiry > now => {
                *k = Some((t, now + ttl));
                true
            }
            _ => false,
        }
    }

    /// Release; `false` if the key was not this holder's (a stale release).
    pub fn release(&self, token: u64, how: Release) -> bool {
        let mut k = self.keys.lock().unwrap();
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
    }

    /// An administrator's `clear_locks`: every lock key goes, whoever holds it.
    pub fn clear_locks(&self) {
        trace::event("admin: clear_locks");
        *self.keys.lock().unwrap() = None;
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
    /// (owner token, RVN) of the lock item, if any.
    item: Mutex<Option<(u64, u64)>>,
    rvns: Mutex<u64>,
    fence: Mutex<u64>,
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
            item: Mutex::named("dynamodb.lock_item", None),
            rvns: Mutex::named("dynamodb.rvn_source", 0),
            fence: Mutex::named("fence", 0),
        }
    }

    fn new_rvn(&self) -> u64 {
        let mut r = self.rvns.lock().unwrap();
        *r += 1;
        *r
    }

    /// One poll of `acquireLock`: `GetItem`, then a conditional put if the item is absent or
    /// its RVN has not changed for a whole lease.
    pub fn acquire(&self, lease: Duration, watch: &mut Watch) -> Option<u64> {
        let rvn = self.new_rvn();
        let mut item = self.item.lock().unwrap();
        let now = time::now();
        let free = match (*item, watch.seen) {
            (None, _) => true,
            (Some((_, current)), Some((seen, since))) if current == seen => {
                now.duration_since(since) >= lease + DYNAMO_EXTRA_WAIT
            }
            (Some((_, current)), _) => {
                watch.seen = Some((current, now));
                false
            }
        };
        if !free {
            return None;
        }
        let token = {
            let mut f = self.fence.lock().unwrap();
            *f += 1;
            *f
        };
        *item = Some((token, rvn));
        *watch = Watch::default();
        Some(token)
    }

    /// A heartbeat: `UpdateItem SET RVN = new` on condition that the item is still ours.
    pub fn renew(&self, token: u64) -> bool {
        let rvn = self.new_rvn();
        let mut item = self.item.lock().unwrap();
        match *item {
            Some((owner, _)) if owner == token => {
                *item = Some((owner, rvn));
                true
            }
            _ => false,
        }
    }

    /// `releaseLock`: a conditional `DeleteItem` (or, with [`Release::PlainDel`], not).
    pub fn release(&self, token: u64, how: Release) -> bool {
        let mut item = self.item.lock().unwrap();
        let mine = matches!(*item, Some((owner, _)) if owner == token);
        if mine || how == Release::PlainDel {
            *item = None;
        }
        mine
    }

    /// The client has no clear-all API: this is an administrator deleting the item.
    pub fn clear_locks(&self) {
        trace::event("admin: delete the lock item");
        *self.item.lock().unwrap() = None;
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

/// The protected resource: a counter, fenced or not.
#[derive(Debug)]
pub struct Resource {
    fenced: bool,
    /// (value, highest token seen)
    state: Mutex<(u64, u64)>,
}

impl Resource {
    pub fn new(fenced: bool) -> Self {
        Resource {
            fenced,
            state: Mutex::named("resource", (0, 0)),
        }
    }

    fn check(&self, s: &mut (u64, u64), token: u64) -> Result<(), Stale> {
        if self.fenced {
            if token < s.1 {
                return Err(Stale);
            }
            s.1 = token;
        }
        Ok(())
    }

    pub fn read(&self, token: u64) -> Result<u64, Stale> {
        let mut s = self.state.lock().unwrap();
        self.check(&mut s, token)?;
        Ok(s.0)
    }

    pub fn write(&self, token: u64, value: u64) -> Result<(), Stale> {
        let mut s = self.state.lock().unwrap();
        self.check(&mut s, token)?;
        s.0 = value;
        Ok(())
    }

    pub fn value(&self) -> u64 {
        self.state.lock().unwrap().0
    }
}

/// One holder's timing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Holder {
    /// When it first tries to acquire.
    pub start: Duration,
    /// How long its operation takes between reading and writing.
    pub operation: Duration,
    /// A pause of the whole process (GC, slow I/O) right after reading: the heartbeat thread
    /// is paused too.
    pub pause: Duration,
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
    pub clear_locks_at: Option<Duration>,
}

/// Everything the holders share.
struct World {
    service: AnyService,
    resource: Resource,
    /// Writes the resource accepted and told the holder "ok".
    ok_writes: Mutex<u64>,
    /// Stale releases refused by compare-and-delete.
    refused_releases: Mutex<u64>,
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
        ok_writes: Mutex::named("ok_writes", 0),
        refused_releases: Mutex::named("refused_releases", 0),
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
        time::sleep(at);
        world.service.clear_locks();
    }
    for h in handles {
        h.join().expect("holder panicked");
    }
    let value = world.resource.value();
    let ok = *world.ok_writes.lock().unwrap();
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
    let paused_until = Arc::new(Mutex::named(format!("{name}.paused_until"), Duration::ZERO));
    let done = Arc::new(Mutex::named(format!("{name}.done"), false));
    let heartbeat = cfg.heartbeat.map(|every| {
        let (world, done, paused) = (world.clone(), done.clone(), paused_until.clone());
        let lease = cfg.lease;
        thread::Builder::new()
            .name(format!("{name}.heartbeat"))
            .spawn(move || loop {
                time::sleep(every);
                // A paused process runs none of its threads.
                let resume = *paused.lock().unwrap();
                let now = time::now().since_start();
                if resume > now {
                    time::sleep(resume - now);
                }
                if *done.lock().unwrap() {
                    return;
                }
                if !world.service.renew(token, lease) {
                    trace::event("heartbeat: renewal refused, lease lost");
                    return;
                }
            })
            .expect("spawn heartbeat")
    });

    let read = world.resource.read(token);
    if h.pause > Duration::ZERO {
        *paused_until.lock().unwrap() = time::now().since_start() + h.pause;
        trace::event(format!("{name}: process paused"));
        time::sleep(h.pause);
    }
    time::sleep(h.operation);
    if let (true, Ok(v)) = (h.writes, read) {
        match world.resource.write(token, v + 1) {
            Ok(()) => {
                trace::event(format!("{name}: wrote {}", v + 1));
                *world.ok_writes.lock().unwrap() += 1;
            }
            Err(Stale) => trace::event(format!("{name}: write rejected, stale token {token}")),
        }
    }
    *done.lock().unwrap() = true;
    if let Some(hb) = heartbeat {
        hb.join().expect("heartbeat panicked");
    }
    if !world.service.release(token, cfg.release) {
        trace::event(format!(
            "{name}: release refused: the lock was not ours any more"
        ));
        *world.refused_releases.lock().unwrap() += 1;
    }
}

/// The failure modes of the lease scenarios, each with its timings.
pub mod configs {
    use super::*;

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    fn writer(start: u64, operation: u64) -> Holder {
        Holder {
            start: secs(start),
            operation: secs(operation),
            pause: Duration::ZERO,
            writes: true,
        }
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

    /// An operation of 45 s under a 30 s TTL with no renewal: B takes the lock at 30 s.
    pub fn ttl_outlived() -> Config {
        base(30, None, vec![writer(0, 45), writer(1, 10)])
    }

    /// Seed 004's handler defaults: a 120 s heartbeat for a 60 s lease.
    pub fn heartbeat_defaults() -> Config {
        base(60, Some(120), vec![writer(0, 90), writer(1, 10)])
    }

    /// Seed 004's production setting: a 30 s heartbeat for a 3 min lease.
    pub fn heartbeat_production() -> Config {
        base(180, Some(30), vec![writer(0, 90), writer(1, 10)])
    }

    /// A holder with a healthy heartbeat whose whole process pauses 40 s past its 30 s lease.
    pub fn paused_holder() -> Config {
        let mut a = writer(0, 5);
        a.pause = secs(40);
        base(30, Some(10), vec![a, writer(1, 10)])
    }

    /// A read-only holder outlives its TTL and releases late; B holds the lock by then and C
    /// is waiting. `how` decides whether the late release deletes B's lock.
    pub fn stale_unlock(how: Release) -> Config {
        let a = Holder {
            writes: false,
            ..writer(0, 45)
        };
        // B's 20 s operation fits in its lease; only A's late release can let C in early.
        let mut cfg = base(30, None, vec![a, writer(1, 20), writer(40, 10)]);
        cfg.release = how;
        cfg
    }

    /// An administrator clears every lock at 10 s while A (heartbeat on) is mid-operation.
    pub fn clear_locks_mid_operation() -> Config {
        let mut cfg = base(60, Some(10), vec![writer(0, 30), writer(5, 10)]);
        cfg.clear_locks_at = Some(secs(10));
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
