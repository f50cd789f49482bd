//! Seed 003's `getInstance` cache checked for linearizability: one instance per directory.
//!
//! Two request threads call `getInstance(wd)` on the [`NoDbClass`] of
//! [`crate::singleton_cache`]; each call is an operation whose result is the instance's serial.
//! The spec ([`OneInstancePerKey`]): the first call for a key may create any new instance, and
//! every later call for that key returns the same one. Unlocked, both requests miss, both
//! hydrate, and each returns its own instance: no order explains two different answers.
//! Directories are independent, so the spec partitions by key.

use crate::singleton_cache::{NoDbClass, Store, Variant};
use racecheck::history::History;
use racecheck::linearizability::Spec;
use racecheck::sync::Arc;
use racecheck::thread;
use std::collections::BTreeMap;

/// `getInstance(wd)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GetInstance(pub &'static str);

/// The sequential spec of a cache that holds one instance per key.
pub struct OneInstancePerKey;

impl Spec for OneInstancePerKey {
    /// key → the serial of its instance.
    type State = BTreeMap<&'static str, u64>;
    type Op = GetInstance;
    /// The serial of the instance returned.
    type Ret = u64;

    fn init(&self) -> Self::State {
        BTreeMap::new()
    }

    /// A first call creates the instance after every serial so far.
    fn apply(&self, s: &mut Self::State, GetInstance(wd): &GetInstance) -> u64 {
        let fresh = s.values().max().map_or(1, |m| m + 1);
        *s.entry(wd).or_insert(fresh)
    }

    /// A first call may return any instance no other key holds; later calls, the cached one.
    fn step(
        &self,
        s: &Self::State,
        GetInstance(wd): &GetInstance,
        ret: &u64,
    ) -> Option<Self::State> {
        match s.get(wd) {
            Some(cached) => (cached == ret).then(|| s.clone()),
            None if s.values().any(|v| v == ret) => None,
            None => {
                let mut next = s.clone();
                next.insert(wd, *ret);
                Some(next)
            }
        }
    }

    fn partition(&self, GetInstance(wd): &GetInstance) -> u64 {
        // FNV-1a: the same key gives the same part in every run.
        wd.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        })
    }
}

/// Two requests for one directory call `getInstance` at once; the history is checked.
pub fn concurrent_get_instance(variant: Variant) {
    const WD: &str = "/runs/rattlesnake";
    let class = Arc::new(NoDbClass::new(variant, Arc::new(Store::new())));
    let history = History::new("Climate.getInstance", OneInstancePerKey);
    let handles: Vec<_> = ["request-1", "request-2"]
        .into_iter()
        .map(|name| {
            let (class, history) = (class.clone(), history.clone());
            thread::Builder::new()
                .name(name)
                .spawn(move || {
                    history.run(GetInstance(WD), || {
                        class.get_instance(WD, false, false).serial
                    });
                })
                .expect("spawn request")
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    history.check();
}
