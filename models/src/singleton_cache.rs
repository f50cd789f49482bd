//! Seed 003: NoDb's per-class singleton cache, `getInstance(wd)`.
//!
//! A controller for a working directory is hydrated from a store (a Redis-like cache, then
//! disk) and cached per class, keyed by the absolute directory. Controllers mutate their state
//! under a per-directory lock and dump it back to the store.
//!
//! The bug: check, hydrate, insert, with no lock: two threads both miss, both hydrate, and get
//! two instances of one directory; each mutates and dumps its own copy, and the later dump
//! overwrites the earlier one. The fix (commit 669588dc14): double-checked locking under a
//! per-class `RLock`: the first check is lock-free, hydration happens outside the lock, and the
//! second check under the lock keeps whichever instance was cached first.
//!
//! The follow-up behaviours the seed's regressions pin: `getInstance` refreshes a cached
//! instance after an external dump, `ignore_lock` bypasses the cache, and readonly instances
//! are not cached.

use crate::pylock::RLock;
use racecheck::sync::{Arc, Mutex};
use racecheck::thread;
use racecheck::{invariant, trace};
use std::collections::BTreeMap;

/// The bug and the fix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Variant {
    /// Check, hydrate, insert: no lock.
    Unlocked,
    /// Double-checked locking under the class's `RLock`.
    DoubleChecked,
}

/// What a dump writes: the controller's state and the version it was written at.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Dumped {
    pub version: u64,
    pub entries: Vec<String>,
}

/// The store behind the cache: Redis first, disk as the fallback; a dump writes both.
#[derive(Debug)]
pub struct Store {
    redis: Mutex<BTreeMap<String, Dumped>>,
    disk: Mutex<BTreeMap<String, Dumped>>,
}

impl Store {
    pub fn new() -> Self {
        Store {
            redis: Mutex::named("redis.nodb_cache", BTreeMap::new()),
            disk: Mutex::named("disk", BTreeMap::new()),
        }
    }

    /// Hydrate: Redis, then disk.
    pub fn load(&self, wd: &str) -> Dumped {
        if let Some(d) = self.redis.lock().unwrap().get(wd).cloned() {
            return d;
        }
        self.disk
            .lock()
            .unwrap()
            .get(wd)
            .cloned()
            .unwrap_or_default()
    }

    pub fn version(&self, wd: &str) -> u64 {
        self.load(wd).version
    }

    pub fn dump(&self, wd: &str, d: &Dumped) {
        self.disk.lock().unwrap().insert(wd.to_string(), d.clone());
        self.redis.lock().unwrap().insert(wd.to_string(), d.clone());
    }
}

impl Default for Store {
    fn default() -> Self {
        Self::new()
    }
}

/// One controller instance (`Climate` for a run directory, say).
#[derive(Debug)]
pub struct Controller {
    /// Which instance this is, to tell two instances of one directory apart.
    pub serial: u64,
    pub wd: String,
    pub readonly: bool,
    state: Mutex<Dumped>,
}

impl Controller {
    /// `with controller.locked(): ...` then dump. With `refresh` (the fixed code), reload
    /// first if someone else dumped since this instance loaded.
    pub fn locked_update(&self, lock: &RLock, store: &Store, entry: &str, refresh: bool) {
        lock.with(|| {
            let mut s = self.state.lock().unwrap();
            let latest = store.load(&self.wd);
            if refresh && latest.version > s.version {
                *s = latest;
            }
            s.entries.push(entry.to_string());
            s.version += 1;
            store.dump(&self.wd, &s);
        })
    }

    pub fn entries(&self) -> Vec<String> {
        self.state.lock().unwrap().entries.clone()
    }
}

/// The class: its instance cache and its lock, as `__init_subclass__` gives each subclass.
pub struct NoDbClass {
    variant: Variant,
    store: Arc<Store>,
    instances: Mutex<BTreeMap<String, Arc<Controller>>>,
    instances_lock: RLock,
    serials: Mutex<u64>,
    /// The per-directory lock `locked()` takes (a Redis lock in NoDb).
    pub wd_lock: RLock,
}

impl NoDbClass {
    pub fn new(variant: Variant, store: Arc<Store>) -> Self {
        NoDbClass {
            variant,
            store,
            instances: Mutex::named("Climate._instances", BTreeMap::new()),
            instances_lock: RLock::new("Climate._instances_lock"),
            serials: Mutex::named("serials", 0),
            wd_lock: RLock::new("nodb.locked(wd)"),
        }
    }

    fn cached(&self, wd: &str) -> Option<Arc<Controller>> {
        self.instances.lock().unwrap().get(wd).cloned()
    }

    fn hydrate(&self, wd: &str, readonly: bool) -> Arc<Controller> {
        trace::event("hydrate from redis/disk");
        let state = self.store.load(wd);
        let serial = {
            let mut n = self.serials.lock().unwrap();
            *n += 1;
            *n
        };
        Arc::new(Controller {
            serial,
            wd: wd.to_string(),
            readonly,
            state: Mutex::new(state),
        })
    }

    /// `getInstance(wd, ignore_lock=..., readonly=...)`.
    pub fn get_instance(&self, wd: &str, ignore_lock: bool, readonly: bool) -> Arc<Controller> {
        if ignore_lock || readonly {
            // Bypasses the cache: a fresh instance, never cached.
            return self.hydrate(wd, readonly);
        }
        if let Some(c) = self.cached(wd) {
            // Refreshed after an external dump: a cached instance older than the store is
            // replaced by a fresh one.
            if self.store.version(wd) <= c.state.lock().unwrap().version {
                return c;
            }
        }
        let instance = self.hydrate(wd, readonly);
        match self.variant {
            Variant::Unlocked => {
                self.instances
                    .lock()
                    .unwrap()
                    .insert(wd.to_string(), instance.clone());
                instance
            }
            Variant::DoubleChecked => self.instances_lock.with(|| {
                let mut map = self.instances.lock().unwrap();
                match map.get(wd) {
                    Some(c)
                        if c.state.lock().unwrap().version
                            >= instance.state.lock().unwrap().version =>
                    {
                        c.clone()
                    }
                    _ => {
                        map.insert(wd.to_string(), instance.clone());
                        instance
                    }
                }
            }),
        }
    }
}

/// Two request threads of one run directory call `getInstance` at once and each records an
/// entry. Invariants: both got the same instance, and both entries survive in the store.
pub fn concurrent_get_instance(variant: Variant) {
    const WD: &str = "/runs/rattlesnake";
    let store = Arc::new(Store::new());
    let class = Arc::new(NoDbClass::new(variant, store.clone()));
    let handles: Vec<_> = ["request-1", "request-2"]
        .into_iter()
        .map(|name| {
            let (class, store) = (class.clone(), store.clone());
            thread::Builder::new()
                .name(name)
                .spawn(move || {
                    let c = class.get_instance(WD, false, false);
                    let refresh = variant == Variant::DoubleChecked;
                    c.locked_update(&class.wd_lock, &store, name, refresh);
                    c.serial
                })
                .expect("spawn request")
        })
        .collect();
    let serials: Vec<u64> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    let dumped = store.load(WD).entries;
    invariant!(
        serials[0] == serials[1] && dumped.len() == 2,
        "instances {serials:?} for one directory; the store holds {dumped:?} of 2 entries"
    );
}

/// The regressions of the follow-up commit, each checked while another request works on the
/// same directory.
pub fn follow_up_regressions() {
    const WD: &str = "/runs/rattlesnake";
    let store = Arc::new(Store::new());
    let class = Arc::new(NoDbClass::new(Variant::DoubleChecked, store.clone()));
    let first = class.get_instance(WD, false, false);
    let (c2, s2) = (class.clone(), store.clone());
    let other = thread::Builder::new()
        .name("request-2")
        .spawn(move || {
            let c = c2.get_instance(WD, false, false);
            c.locked_update(&c2.wd_lock, &s2, "request-2", true);
        })
        .expect("spawn");
    // Another worker process dumps the directory, under the directory's lock as NoDb does.
    let external = Dumped {
        version: 100,
        entries: vec!["external".into()],
    };
    class.wd_lock.with(|| store.dump(WD, &external));
    other.join().unwrap();
    let after = class.get_instance(WD, false, false);
    let entries = after.entries();
    invariant!(
        entries.first().map(String::as_str) == Some("external"),
        "getInstance did not refresh after an external dump: {entries:?}"
    );
    let bypass = class.get_instance(WD, true, false);
    invariant!(
        bypass.serial != after.serial,
        "ignore_lock returned the cached instance"
    );
    let readonly = class.get_instance(WD, false, true);
    invariant!(
        class.get_instance(WD, false, false).serial != readonly.serial,
        "a readonly instance was cached"
    );
    drop(first);
}
