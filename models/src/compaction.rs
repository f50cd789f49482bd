//! Seed 004: the ChromaDB compaction Lambda's four phases over shared stores.
//!
//! The stores are an object store (S3) holding snapshots and a "latest snapshot" pointer
//! guarded by a version (a compare-and-swap: S3 conditional writes, `If-Match`), a cache file
//! system (EFS) holding a copy of some snapshot tagged with its pointer version, and the
//! Redis-like lease lock of [`crate::lease::LockService`].
//!
//! As built ([`Protocol::UploadUnderLock`]) a compaction is:
//! 1. off-lock: read the pointer, copy the snapshot to local storage (from EFS when its
//!    version matches, else from S3); on-lock: CAS validation (the pointer has not moved);
//! 2. off-lock: merge (copy, ChromaDB operations) for 3–4 s;
//! 3. on-lock: re-acquire, CAS re-validation, upload (1–3 s), snapshot validation (1–2 s),
//!    pointer update, release;
//! 4. off-lock: copy the new snapshot to EFS (1–2 s).
//!
//! The seed's proposed split ([`Protocol::SplitUpload`]) moves the upload and validation off
//! the lock, to a versioned key, and locks only for a CAS validation before and a final CAS
//! plus pointer update after. A compactor that loses a CAS starts over (bounded retries); an
//! upload it made and cannot publish is deleted (cleaned) or, if the delete is not done, counted
//! as an orphan.
//!
//! The snapshot is a list of (id, metadata) entries, as a ChromaDB collection's `add` builds
//! it, so a delta merged twice shows as a duplicate id. The invariants: the pointer always names
//! a complete, valid (no duplicate id) snapshot; every delta a compactor was told was compacted
//! is in the final snapshot exactly once; every upload is published, cleaned or an orphan, and
//! the store holds exactly the published and orphaned ones.
//!
//! Each S3 request and EFS read or write is one atomic step ([`External`]): S3 applies a PUT,
//! GET or DELETE of a key at once (its strong read-after-write consistency), and a conditional
//! pointer update is one request. The compactors' own bookkeeping ([`Stats`]) takes no step at
//! all: a std mutex the schedulers do not see, read by the invariants after every join.

use crate::lease::{LockService, Release};
use racecheck::sync::{Arc, External};
use racecheck::thread::{self, JoinHandle};
use racecheck::time::{self, Duration, Span};
use racecheck::{invariant, trace};
use std::collections::BTreeMap;

/// A snapshot entry's id (a ChromaDB id: a word of a receipt, or a delta).
pub type Id = u32;
/// A snapshot entry's metadata (e.g. the merchant name's version).
pub type Meta = u32;
/// A snapshot's entries, in the order they were added.
pub type Entries = Vec<(Id, Meta)>;

/// The lock's lease (the handler's default, 1 min): longer than any hold here, so no heartbeat.
pub const LEASE: Duration = Duration::from_secs(60);
/// The first backoff between lock attempts; it doubles up to [`MAX_BACKOFF`].
pub const BACKOFF: Duration = Duration::from_millis(100);
pub const MAX_BACKOFF: Duration = Duration::from_millis(1600);
/// How many times a compactor starts over after losing a CAS before it gives the message back.
pub const MAX_ATTEMPTS: u32 = 3;

/// How a compaction publishes its snapshot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    /// As built: upload and validation under the lock, after a CAS re-validation.
    UploadUnderLock,
    /// The seed's optimisation: upload to a versioned key off-lock; lock for a CAS validation
    /// before and a final CAS + pointer update after.
    SplitUpload,
    /// The split without the final CAS: the pointer update is unconditional.
    SplitUploadNoFinalCas,
    /// As built without either CAS validation (the lock alone).
    NoCas,
}

/// The durations of the phases (the seed's ranges; fixed values inside them).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timings {
    /// Reading the pointer and copying the snapshot to local storage (phase 1, off-lock).
    pub read_copy: Duration,
    /// A granted lock request (SET NX round trip), counted in the hold.
    pub acquire: Duration,
    /// A CAS validation under the lock (re-reading the pointer).
    pub cas: Duration,
    /// The merge (phase 2, off-lock): 3–4 s.
    pub merge: Duration,
    /// The S3 upload: 1–3 s.
    pub upload: Duration,
    /// The snapshot validation: 1–2 s.
    pub validate: Duration,
    /// The pointer update.
    pub pointer: Duration,
    /// The EFS cache update (phase 4, off-lock): 1–2 s.
    pub efs_update: Duration,
}

impl Default for Timings {
    fn default() -> Self {
        let ms = Duration::from_millis;
        Timings {
            read_copy: ms(100),
            acquire: ms(10),
            cas: ms(50),
            merge: ms(3500),
            upload: ms(2000),
            validate: ms(1500),
            pointer: ms(10),
            efs_update: ms(1500),
        }
    }
}

/// A stored snapshot: its entries, and whether its upload has finished.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Object {
    pub entries: Vec<(Id, Meta)>,
    pub complete: bool,
}

impl Object {
    /// No id twice.
    pub fn is_valid(&self) -> bool {
        let mut ids: Vec<Id> = self.entries.iter().map(|e| e.0).collect();
        ids.sort_unstable();
        ids.windows(2).all(|w| w[0] != w[1])
    }
}

/// The "latest snapshot" pointer: its version and the key it names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pointer {
    pub version: u64,
    pub key: String,
}

/// S3: the snapshots by key, and the pointer.
#[derive(Debug)]
pub struct ObjectStore {
    pointer: External<Pointer>,
    objects: External<BTreeMap<String, Object>>,
}

/// The key of the initial (empty) snapshot.
pub const INITIAL_KEY: &str = "snapshot/v0";

impl Default for ObjectStore {
    fn default() -> Self {
        Self::new()
    }
}

impl ObjectStore {
    pub fn new() -> Self {
        let mut objects = BTreeMap::new();
        objects.insert(
            INITIAL_KEY.to_string(),
            Object {
                entries: Vec::new(),
                complete: true,
            },
        );
        ObjectStore {
            pointer: External::named(
                "s3.pointer",
                Pointer {
                    version: 0,
                    key: INITIAL_KEY.to_string(),
                },
            ),
            objects: External::named("s3.objects", objects),
        }
    }

    pub fn pointer(&self) -> Pointer {
        self.pointer.command("GET pointer", |p| p.clone())
    }

    pub fn get(&self, key: &str) -> Option<Object> {
        self.objects
            .command(format!("GET {key}"), |o| o.get(key).cloned())
    }

    /// The snapshot the pointer names.
    pub fn latest(&self) -> (Pointer, Object) {
        let p = self.pointer();
        let o = self.get(&p.key).unwrap_or_default();
        (p, o)
    }

    fn check_target(&self, key: &str) {
        let o = self.get(key);
        invariant!(
            o.as_ref().is_some_and(|o| o.complete && o.is_valid()),
            "the pointer names {key}, which is not a complete, valid snapshot: {o:?}"
        );
    }

    /// Set the pointer to `key` if its version is still `expected` (`None`: unconditionally).
    /// The new version, or the current pointer on a mismatch.
    pub fn set_pointer(&self, key: &str, expected: Option<u64>) -> Result<u64, Pointer> {
        // Only the compactor that uploaded `key` changes it, so checking it first is the same.
        self.check_target(key);
        self.pointer.command(format!("PUT pointer -> {key}"), |p| {
            if expected.is_some_and(|v| v != p.version) {
                return Err(p.clone());
            }
            p.version += 1;
            p.key = key.to_string();
            Ok(p.version)
        })
    }

    /// Store a complete object at once: the end of an upload whose wait the caller did.
    pub fn put(&self, key: &str, entries: Vec<(Id, Meta)>) {
        let object = Object {
            entries,
            complete: true,
        };
        self.objects.command(format!("PUT {key}"), |o| {
            o.insert(key.to_string(), object);
        });
    }

    /// Start an upload (the object exists, incomplete), wait `d`, complete it.
    pub fn upload(&self, key: &str, entries: Vec<(Id, Meta)>, d: Duration) {
        let object = Object {
            entries,
            complete: false,
        };
        self.objects.command(format!("PUT {key} (started)"), |o| {
            o.insert(key.to_string(), object);
        });
        time::sleep(d);
        self.objects.command(format!("PUT {key} (completed)"), |o| {
            if let Some(o) = o.get_mut(key) {
                o.complete = true;
            }
        });
    }

    pub fn delete(&self, key: &str) -> bool {
        self.objects
            .command(format!("DELETE {key}"), |o| o.remove(key).is_some())
    }

    pub fn keys(&self) -> Vec<String> {
        self.objects
            .command("LIST", |o| o.keys().cloned().collect())
    }
}

/// EFS: a cached copy of the snapshot of some pointer version.
#[derive(Debug)]
pub struct Efs {
    cache: External<Option<(u64, Entries)>>,
}

impl Default for Efs {
    fn default() -> Self {
        Efs {
            cache: External::named("efs.cache", Some((0, Vec::new()))),
        }
    }
}

/// What the compactors did, for the invariants and the figures.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Every lock hold, grant to release.
    pub holds: Vec<Duration>,
    /// Compactions told "ok" (published), with their finish time (after phase 4).
    pub completions: Vec<Duration>,
    /// CAS validations or final CASes that failed (each a start-over).
    pub cas_failures: u64,
    /// Compactions that gave up after [`MAX_ATTEMPTS`] (the message goes back to the queue).
    pub gave_up: u64,
    pub uploads: u64,
    pub published: u64,
    /// Unpublished uploads deleted.
    pub cleaned: u64,
    /// Unpublished uploads left behind.
    pub orphans: u64,
    /// Copies to local storage served by the EFS cache / by S3.
    pub efs_hits: u64,
    pub s3_reads: u64,
}

/// Everything the compactors share.
#[derive(Debug)]
pub struct Shared {
    pub store: ObjectStore,
    pub efs: Efs,
    pub lock: LockService,
    /// Bookkeeping only: no step (see the module's doc).
    pub stats: std::sync::Mutex<Stats>,
    pub timings: Timings,
    pub protocol: Protocol,
}

impl Shared {
    pub fn new(protocol: Protocol, timings: Timings) -> Self {
        Shared {
            store: ObjectStore::new(),
            efs: Efs::default(),
            lock: LockService::new(),
            stats: std::sync::Mutex::new(Stats::default()),
            timings,
            protocol,
        }
    }

    /// Acquire the lease lock, backing off; the token and the grant time.
    fn acquire(&self) -> (u64, time::Instant) {
        let mut backoff = BACKOFF;
        loop {
            if let Some(token) = self.lock.acquire(LEASE) {
                let granted = time::now();
                time::sleep(self.timings.acquire);
                return (token, granted);
            }
            time::sleep(backoff);
            backoff = (backoff * 2).min(MAX_BACKOFF);
        }
    }

    fn release(&self, token: u64, granted: time::Instant) {
        let held = granted.elapsed();
        let ok = self.lock.release(token, Release::CompareAndDelete);
        invariant!(ok, "the compaction lock was lost while held ({held:?})");
        self.stats.lock().unwrap().holds.push(held);
    }

    /// Under the lock: the pointer's version is still `version`.
    fn cas_validate(&self, version: u64) -> bool {
        time::sleep(self.timings.cas);
        let ok = self.store.pointer().version == version;
        if !ok {
            self.stats.lock().unwrap().cas_failures += 1;
        }
        ok
    }

    /// Phase 1's copy: from EFS if it caches the pointer's version, else from S3.
    fn copy_to_local(&self, p: &Pointer) -> Vec<(Id, Meta)> {
        time::sleep(self.timings.read_copy);
        let cached = self.efs.cache.command("read", |c| c.clone());
        match cached {
            Some((v, entries)) if v == p.version => {
                self.stats.lock().unwrap().efs_hits += 1;
                entries
            }
            _ => {
                self.stats.lock().unwrap().s3_reads += 1;
                let o = self.store.get(&p.key);
                invariant!(
                    o.as_ref().is_some_and(|o| o.complete),
                    "phase 1 read {} through the pointer and found no complete snapshot",
                    p.key
                );
                o.unwrap_or_default().entries
            }
        }
    }

    /// Count an upload and name its versioned key.
    fn new_upload(&self, who: &str) -> String {
        let mut s = self.stats.lock().unwrap();
        s.uploads += 1;
        format!("snapshot/{who}-{}", s.uploads)
    }

    fn clean_up(&self, key: &str) {
        let deleted = self.store.delete(key);
        let mut s = self.stats.lock().unwrap();
        if deleted {
            s.cleaned += 1;
        } else {
            s.orphans += 1;
        }
    }
}

/// One compaction: the four phases, starting over (at most [`MAX_ATTEMPTS`] times) when a CAS
/// fails. `work` is phase 2's merge on the local copy; `merge` its duration. Returns whether
/// the compaction was published.
pub fn compact(shared: &Shared, who: &str, merge: Duration, work: &dyn Fn(&mut Entries)) -> bool {
    compact_timed(shared, who, &shared.timings, merge, work)
}

/// [`compact`] with this compactor's own upload and validation times.
pub fn compact_timed(
    shared: &Shared,
    who: &str,
    t: &Timings,
    merge: Duration,
    work: &dyn Fn(&mut Entries),
) -> bool {
    let cas = shared.protocol != Protocol::NoCas;
    for _ in 0..MAX_ATTEMPTS {
        // Phase 1: off-lock read and copy, on-lock CAS validation.
        let p = shared.store.pointer();
        trace::event(format!("{who}: read pointer v{} ({})", p.version, p.key));
        let mut local = shared.copy_to_local(&p);
        let (token, granted) = shared.acquire();
        let valid = !cas || shared.cas_validate(p.version);
        shared.release(token, granted);
        if !valid {
            trace::event(format!("{who}: phase 1 CAS failed, starting over"));
            continue;
        }

        // Phase 2: merge off-lock.
        time::sleep(merge);
        work(&mut local);

        // Phase 3.
        let published = match shared.protocol {
            Protocol::UploadUnderLock | Protocol::NoCas => {
                let (token, granted) = shared.acquire();
                if cas && !shared.cas_validate(p.version) {
                    shared.release(token, granted);
                    trace::event(format!("{who}: phase 3 CAS failed, starting over"));
                    continue;
                }
                let key = shared.new_upload(who);
                shared.store.upload(&key, local.clone(), t.upload);
                validate(shared, t, &key, &local);
                time::sleep(t.pointer);
                let set = shared.store.set_pointer(&key, None);
                shared.release(token, granted);
                set.map(|v| (key, v))
            }
            Protocol::SplitUpload | Protocol::SplitUploadNoFinalCas => {
                // 3a: CAS validation under the lock.
                let (token, granted) = shared.acquire();
                let valid = shared.cas_validate(p.version);
                shared.release(token, granted);
                if !valid {
                    trace::event(format!("{who}: phase 3a CAS failed, starting over"));
                    continue;
                }
                // 3b: upload to a versioned key and validate, off-lock.
                let key = shared.new_upload(who);
                shared.store.upload(&key, local.clone(), t.upload);
                validate(shared, t, &key, &local);
                // 3c: final CAS and pointer update under the lock.
                let (token, granted) = shared.acquire();
                let expected = match shared.protocol {
                    Protocol::SplitUpload => Some(p.version),
                    _ => None,
                };
                time::sleep(t.cas + t.pointer);
                let set = shared.store.set_pointer(&key, expected);
                shared.release(token, granted);
                if let Err(now) = &set {
                    trace::event(format!(
                        "{who}: final CAS failed (pointer v{}), deleting {key}",
                        now.version
                    ));
                    shared.stats.lock().unwrap().cas_failures += 1;
                    shared.clean_up(&key);
                    continue;
                }
                set.map(|v| (key, v))
            }
        };
        let (key, version) = published.expect("an unconditional pointer update succeeds");
        trace::event(format!("{who}: published {key} as v{version}"));
        shared.stats.lock().unwrap().published += 1;

        // Phase 4: EFS cache update, off-lock.
        time::sleep(t.efs_update);
        shared
            .efs
            .cache
            .command("write", |c| *c = Some((version, local)));
        return true;
    }
    trace::event(format!("{who}: gave up after {MAX_ATTEMPTS} attempts"));
    shared.stats.lock().unwrap().gave_up += 1;
    false
}

/// The snapshot validation: the uploaded object is what was merged, and valid.
fn validate(shared: &Shared, t: &Timings, key: &str, local: &[(Id, Meta)]) {
    time::sleep(t.validate);
    let o = shared.store.get(key);
    invariant!(
        o.as_ref()
            .is_some_and(|o| o.complete && o.entries == local && o.is_valid()),
        "snapshot validation of {key} failed: {o:?}"
    );
}

/// The store's bookkeeping: the pointer names a complete, valid snapshot; every upload was
/// published, cleaned or orphaned; the store holds the initial snapshot plus the published and
/// orphaned uploads.
pub fn check_store(shared: &Shared) {
    let (p, latest) = shared.store.latest();
    invariant!(
        latest.complete && latest.is_valid(),
        "the pointer names {}, not a complete, valid snapshot",
        p.key
    );
    let s = shared.stats.lock().unwrap().clone();
    invariant!(
        s.uploads == s.published + s.cleaned + s.orphans,
        "{} uploads but {} published + {} cleaned + {} orphans",
        s.uploads,
        s.published,
        s.cleaned,
        s.orphans
    );
    let stored = shared.store.keys().len() as u64;
    invariant!(
        stored == 1 + s.published + s.orphans,
        "the store holds {stored} snapshots, expected 1 + {} published + {} orphans",
        s.published,
        s.orphans
    );
}

/// One run of the compaction scenario.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Config {
    pub protocol: Protocol,
    pub timings: Timings,
    /// Concurrent compactors (at most 4: loom's limit with main).
    pub compactors: usize,
    /// Compactions each compactor runs, one after another, each with its own delta.
    pub rounds: usize,
    /// Durations chosen per execution (see [`Ranges`]), or none: every compactor keeps
    /// `timings` and they all start at once.
    pub ranges: Option<Ranges>,
}

/// The seed's ranges, explored as choices (`racecheck::choose`): compactor A's upload and
/// validation, and when the others arrive after A (their compaction messages come off the
/// queue at any time). The others keep `timings`' midpoints: with every compactor's times
/// chosen, an exhaustive check of a fix would run (3 × 2)ⁿ × arrivals combinations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ranges {
    /// Seed 004: "S3 upload (1-3 seconds for large snapshots)".
    pub upload: Span,
    /// Seed 004: "Snapshot validation (1-2 seconds)".
    pub validate: Span,
    /// How long after A each other compactor starts.
    pub arrival: Span,
}

impl Ranges {
    /// The seed's upload and validation ranges in whole seconds; arrivals 0, 3 or 6 s after A.
    pub fn seed() -> Ranges {
        let s = Duration::from_secs;
        Ranges {
            upload: Span::between(s(1), s(3), s(1)),
            validate: Span::between(s(1), s(2), s(1)),
            arrival: Span::between(s(0), s(6), s(3)),
        }
    }
}

impl Config {
    pub fn new(protocol: Protocol, compactors: usize) -> Self {
        Config {
            protocol,
            timings: Timings::default(),
            compactors,
            rounds: 1,
            ranges: None,
        }
    }

    /// `compactors` compactors over the seed's ranges ([`Ranges::seed`]).
    pub fn seed_ranges(protocol: Protocol, compactors: usize) -> Self {
        Config {
            ranges: Some(Ranges::seed()),
            ..Config::new(protocol, compactors)
        }
    }
}

/// The figures of one execution, in virtual time.
#[derive(Clone, Debug, PartialEq)]
pub struct Figures {
    pub stats: Stats,
    /// Compactions published.
    pub compactions: usize,
    /// Total lock hold divided by compactions published.
    pub hold_per_compaction: Duration,
    /// The longest single hold.
    pub longest_hold: Duration,
    /// From the start to the last compaction's end.
    pub makespan: Duration,
    /// Compactions published per virtual minute.
    pub per_minute: f64,
}

const NAMES: [&str; 4] = ["A", "B", "C", "D"];

/// Run `cfg`: the compactors start together, each merges its own deltas. Fails the execution
/// on a lost update, a bad pointer or inconsistent upload bookkeeping; returns the figures.
pub fn run(cfg: &Config) -> Figures {
    let shared = Arc::new(Shared::new(cfg.protocol, cfg.timings));
    let told_ok = Arc::new(std::sync::Mutex::new(Vec::<Id>::new()));
    let handles: Vec<JoinHandle<()>> = (0..cfg.compactors)
        .map(|i| {
            let (shared, told_ok, rounds) = (shared.clone(), told_ok.clone(), cfg.rounds);
            let (name, ranges) = (NAMES[i], cfg.ranges);
            thread::Builder::new()
                .name(name)
                .spawn(move || {
                    let mut mine = shared.timings;
                    match ranges {
                        Some(r) if i == 0 => {
                            mine.upload = r.upload.choose("upload takes");
                            mine.validate = r.validate.choose("validation takes");
                        }
                        Some(r) => {
                            r.arrival.sleep("arrives after A");
                        }
                        None => {}
                    }
                    for r in 0..rounds {
                        let delta = (i * 100 + r) as Id;
                        let merge = mine.merge;
                        let work = |local: &mut Entries| local.push((delta, 0));
                        let ok = compact_timed(&shared, name, &mine, merge, &work);
                        if ok {
                            told_ok.lock().unwrap().push(delta);
                            let at = time::now().since_start();
                            shared.stats.lock().unwrap().completions.push(at);
                        }
                    }
                })
                .expect("spawn compactor")
        })
        .collect();
    for h in handles {
        h.join().expect("compactor panicked");
    }
    check_store(&shared);
    let (p, latest) = shared.store.latest();
    let ok = told_ok.lock().unwrap().clone();
    for d in &ok {
        let n = latest.entries.iter().filter(|e| e.0 == *d).count();
        invariant!(
            n == 1,
            "lost update: delta {d} was told compacted but is in the final snapshot {} {n} times \
             (pointer v{} names {:?})",
            p.key,
            p.version,
            latest.entries
        );
    }
    invariant!(
        latest.entries.len() == ok.len(),
        "the final snapshot holds {} entries for {} compacted deltas",
        latest.entries.len(),
        ok.len()
    );
    let stats = shared.stats.lock().unwrap().clone();
    figures(stats)
}

fn figures(stats: Stats) -> Figures {
    let compactions = stats.completions.len();
    let total: Duration = stats.holds.iter().sum();
    let makespan = stats.completions.iter().max().copied().unwrap_or_default();
    Figures {
        compactions,
        hold_per_compaction: total / (compactions.max(1) as u32),
        longest_hold: stats.holds.iter().max().copied().unwrap_or_default(),
        makespan,
        per_minute: compactions as f64 / (makespan.as_secs_f64() / 60.0).max(1e-9),
        stats,
    }
}
