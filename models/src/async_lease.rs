//! Lease locks held by async tasks (seeds 003 and 004): a holder task renews its Redis lease from
//! a heartbeat task ticking a `time::interval`, on the same runtime.
//!
//! The lock service and the protected resource are [`crate::lease`]'s; the holders are tasks of
//! one `current_thread` runtime (one service process running two jobs, as tokio's paused clock is
//! one per runtime). Besides the seed's heartbeat timings, a holder may make a blocking call
//! inside its task: the worker polls nothing meanwhile, the heartbeat task included, and the
//! lease lapses however short the heartbeat interval.
//!
//! The invariant is [`crate::lease`]'s: the counter equals the writes that were told "ok".

use crate::lease::{LockService, Release, Resource, Stale, RETRY};
use racecheck::future::{self, time as atime, Runtime};
use racecheck::sync::{Arc, Mutex};
use racecheck::time::{self, Duration};
use racecheck::{invariant, trace};

/// The awaited snapshot validation after a holder's call (seed 004: 1–2 s).
pub const VALIDATE: Duration = Duration::from_secs(2);

/// One network round trip to the resource, awaited.
pub const ROUND_TRIP: Duration = Duration::from_millis(20);

/// How a holder makes its slow call (an S3 upload of a large snapshot, say).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Call {
    /// Awaited: the worker polls other tasks meanwhile.
    Awaited,
    /// A blocking call inside the task (a synchronous SDK, `std::thread::sleep`): the worker is
    /// stuck until it returns.
    Blocking,
}

/// One holder's timing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Holder {
    pub start: Duration,
    /// Between reading and writing the resource.
    pub operation: Duration,
    pub call: Call,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    pub lease: Duration,
    pub heartbeat: Duration,
    pub fenced: bool,
    pub holders: Vec<Holder>,
}

struct World {
    service: LockService,
    resource: Resource,
}

/// Run the holders as tasks; fails with an invariant if an update was lost.
pub fn run(cfg: &Config) {
    let cfg = cfg.clone();
    Runtime::current_thread().block_on(async move {
        let world = Arc::new(World {
            service: LockService::new(),
            resource: Resource::new(cfg.fenced),
        });
        let mut holders = Vec::new();
        for (&h, name) in cfg.holders.iter().zip(["A", "B", "C"]) {
            let (world, cfg) = (world.clone(), cfg.clone());
            holders.push(future::spawn_named(
                name.to_string(),
                holder(name, h, cfg, world),
            ));
        }
        for h in holders {
            h.await;
        }
        let (value, ok) = world.resource.totals();
        invariant!(
            value == ok,
            "lost update: {ok} writes were told ok but the resource holds {value}"
        );
    })
}

async fn holder(name: &'static str, h: Holder, cfg: Config, world: Arc<World>) {
    atime::sleep(h.start).await;
    let token = loop {
        if let Some(t) = world.service.acquire(cfg.lease) {
            break t;
        }
        atime::sleep(RETRY).await;
    };
    trace::event(format!("{name}: acquired with token {token}"));
    let done = Arc::new(Mutex::named(format!("{name}.done"), false));
    let beat = {
        let (world, done, lease, every) = (world.clone(), done.clone(), cfg.lease, cfg.heartbeat);
        future::spawn_named(format!("{name}.heartbeat"), async move {
            let mut ticks = atime::interval(every);
            // The first tick is at once: the lease was just granted.
            ticks.tick().await;
            loop {
                ticks.tick().await;
                if *done.lock().unwrap() {
                    return;
                }
                if !world.service.renew(token, lease) {
                    trace::event("heartbeat: renewal refused, lease lost");
                    return;
                }
            }
        })
    };
    // Reading the resource is a network round trip: the heartbeat task starts meanwhile.
    atime::sleep(ROUND_TRIP).await;
    let read = world.resource.read(token);
    match h.call {
        Call::Awaited => atime::sleep(h.operation).await,
        Call::Blocking => {
            trace::event(format!("{name}: blocking call"));
            time::sleep(h.operation);
        }
    }
    // Validating the upload is awaited: other tasks run here whichever way the call was made.
    atime::sleep(VALIDATE).await;
    if let Ok(v) = read {
        match world.resource.write(token, v + 1) {
            Ok(()) => {
                trace::event(format!("{name}: wrote {}", v + 1));
            }
            Err(Stale) => trace::event(format!("{name}: write rejected, stale token {token}")),
        }
    }
    *done.lock().unwrap() = true;
    beat.await;
    if !world.service.release(token, Release::CompareAndDelete) {
        trace::event(format!(
            "{name}: release refused: the lock was not ours any more"
        ));
    }
}

/// The timings of the async lease scenarios.
pub mod configs {
    use super::*;

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    fn holder(start: u64, operation: u64, call: Call) -> Holder {
        Holder {
            start: secs(start),
            operation: secs(operation),
            call,
        }
    }

    /// Seed 004's handler defaults: a 120 s heartbeat for a 60 s lease, a 90 s operation.
    pub fn heartbeat_defaults() -> Config {
        Config {
            lease: secs(60),
            heartbeat: secs(120),
            fenced: false,
            holders: vec![holder(0, 90, Call::Awaited), holder(1, 10, Call::Awaited)],
        }
    }

    /// Seed 004's production setting: a 30 s heartbeat for a 3 min lease.
    pub fn heartbeat_production() -> Config {
        Config {
            lease: secs(180),
            heartbeat: secs(30),
            ..heartbeat_defaults()
        }
    }

    /// Production settings, but A's 200 s call (longer than the lease) is made as `call`.
    pub fn long_call(call: Call) -> Config {
        let mut cfg = heartbeat_production();
        cfg.holders[0] = holder(0, 200, call);
        cfg
    }

    pub fn fenced(mut cfg: Config) -> Config {
        cfg.fenced = true;
        cfg
    }
}
