//! Tiny models with a known answer, shared by the tests.

use racecheck::sync::atomic::{AtomicUsize, Ordering};
use racecheck::sync::{Arc, Barrier, Condvar, Mutex, RwLock};
use racecheck::thread;

/// Two threads increment a counter with a load and a store: an increment can be lost.
pub fn lost_update() {
    let n = Arc::new(AtomicUsize::named("counter", 0));
    let handles: Vec<_> = (0..2)
        .map(|_| {
            let n = n.clone();
            thread::spawn(move || {
                let v = n.load(Ordering::SeqCst);
                n.store(v + 1, Ordering::SeqCst);
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let total = n.load(Ordering::SeqCst);
    racecheck::invariant!(total == 2, "an increment was lost: counter = {total}");
}

/// The same with fetch_add: always 2.
pub fn atomic_increment() {
    let n = Arc::new(AtomicUsize::named("counter", 0));
    let h = {
        let n = n.clone();
        thread::spawn(move || {
            n.fetch_add(1, Ordering::SeqCst);
        })
    };
    n.fetch_add(1, Ordering::SeqCst);
    h.join().unwrap();
    racecheck::invariant!(n.load(Ordering::SeqCst) == 2, "lost");
}

/// Two threads take two locks in opposite orders.
pub fn abba() {
    let a = Arc::new(Mutex::named("A", ()));
    let b = Arc::new(Mutex::named("B", ()));
    let (a2, b2) = (a.clone(), b.clone());
    let t = thread::Builder::new()
        .name("t1")
        .spawn(move || {
            let _b = b2.lock().unwrap();
            let _a = a2.lock().unwrap();
        })
        .unwrap();
    {
        let _a = a.lock().unwrap();
        let _b = b.lock().unwrap();
    }
    t.join().unwrap();
}

/// A thread locks a mutex it holds.
pub fn self_deadlock() {
    let m = Mutex::named("m", 0);
    let _g = m.lock().unwrap();
    let _g2 = m.lock().unwrap();
}

/// Spin forever on a flag nobody sets.
pub fn spin() {
    let flag = Arc::new(AtomicUsize::named("flag", 0));
    while flag.load(Ordering::SeqCst) == 0 {
        thread::yield_now();
    }
}

/// A plain panic in a spawned thread.
pub fn panics() {
    let t = thread::Builder::new()
        .name("worker")
        .spawn(|| panic!("boom"))
        .unwrap();
    let _ = t.join();
}

/// Producer/consumer over a condvar, a barrier and an rwlock: always passes.
pub fn handoff() {
    let slot = Arc::new((Mutex::named("slot", None::<u32>), Condvar::named("filled")));
    let barrier = Arc::new(Barrier::named("start", 2));
    let table = Arc::new(RwLock::named("table", 0u32));
    let (s2, b2, t2) = (slot.clone(), barrier.clone(), table.clone());
    let producer = thread::Builder::new()
        .name("producer")
        .spawn(move || {
            b2.wait();
            *t2.write().unwrap() += 1;
            *s2.0.lock().unwrap() = Some(7);
            s2.1.notify_one();
        })
        .unwrap();
    barrier.wait();
    let mut g = slot.0.lock().unwrap();
    while g.is_none() {
        g = slot.1.wait(g).unwrap();
    }
    racecheck::invariant!(*g == Some(7), "wrong value");
    drop(g);
    let _ = *table.read().unwrap();
    producer.join().unwrap();
    racecheck::invariant!(*table.read().unwrap() == 1, "write lost");
}

/// A waiter that is never notified, beside a thread that finishes.
pub fn lost_wakeup() {
    let pair = Arc::new((Mutex::named("m", false), Condvar::named("cv")));
    let p2 = pair.clone();
    let t = thread::spawn(move || {
        // Sets the flag but forgets to notify.
        *p2.0.lock().unwrap() = true;
    });
    let mut g = pair.0.lock().unwrap();
    // Waits even when the flag is already set: a wakeup can be missed.
    g = pair.1.wait(g).unwrap();
    drop(g);
    t.join().unwrap();
}
