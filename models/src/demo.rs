//! The demo suite: the literature's small hard programs, written against racecheck's facade,
//! to measure schedulers on (`racecheck bench --demo`) and to pin which find what
//! (`scenarios/tests/scenarios/demo.rs`).
//!
//! `reorder_N`, `twostage_N` and `wronglock` follow the shape of the SCTBench "CS" programs
//! (Thomson, Donaldson and Betts, "Concurrency Testing Using Controlled Schedulers: An
//! Empirical Study", TOPC 2016), taken from the CHESS and Inspect test sets; the bounded buffer
//! is Cargill's `notify`-instead-of-`notifyAll` deadlock; `ordering` and `atomicity` are the
//! depth-1 and depth-2 bug shapes of the PCT paper (Burckhardt et al., ASPLOS 2010). The
//! programs are written here from those descriptions; shared C variables are SeqCst atomics.
//! Each thread kind has its own name (`setter-3`, `checker`), as the reads-from scheduler
//! tells threads apart by name.

use racecheck::invariant;
use racecheck::sync::atomic::{AtomicBool, AtomicI32, Ordering::SeqCst};
use racecheck::sync::{Arc, Condvar, Mutex};
use racecheck::thread;

fn spawn(name: String, f: impl FnOnce() + Send + 'static) -> thread::JoinHandle<()> {
    thread::Builder::new()
        .name(name)
        .spawn(f)
        .expect("spawn never fails under the facade")
}

/// `reorder_N`: N − 1 setters each write `a = 1` then `b = −1`; one checker reads `a` then
/// `b` and fails unless it saw both writes or neither. The checker has to read between one
/// setter's two writes, while the setters are many and the checker is spawned last.
pub fn reorder(n: usize) {
    assert!(n >= 2, "reorder needs a setter and the checker");
    let a = Arc::new(AtomicI32::named("a", 0));
    let b = Arc::new(AtomicI32::named("b", 0));
    let mut threads = Vec::new();
    for i in 1..n {
        let (a, b) = (a.clone(), b.clone());
        threads.push(spawn(format!("setter-{i}"), move || {
            a.store(1, SeqCst);
            b.store(-1, SeqCst);
        }));
    }
    threads.push(spawn("checker".into(), move || {
        let (x, y) = (a.load(SeqCst), b.load(SeqCst));
        invariant!(
            (x == 0 && y == 0) || (x == 1 && y == -1),
            "reorder: the checker saw a = {x}, b = {y}"
        );
    }));
    for t in threads {
        t.join().unwrap();
    }
}

/// `twostage_N`: N − 1 threads each set `data1 = 1` under one lock, then `data2 = data1 + 1`
/// under another; one reader takes `data1` under the first lock (and stops if it is 0), then
/// `data2` under the second, and fails if `data2 ≠ data1 + 1`. The reader has to run both its
/// stages between an early thread's two, while every other thread's second stage would
/// close the window.
pub fn twostage(n: usize) {
    assert!(n >= 2, "twostage needs a stage thread and the reader");
    let data1 = Arc::new(Mutex::named("data1", 0));
    let data2 = Arc::new(Mutex::named("data2", 0));
    let mut threads = Vec::new();
    for i in 1..n {
        let (data1, data2) = (data1.clone(), data2.clone());
        threads.push(spawn(format!("stage-{i}"), move || {
            *data1.lock().unwrap() = 1;
            // `data2 = data1 + 1`, with data1 read as it stands: 1.
            *data2.lock().unwrap() = 2;
        }));
    }
    threads.push(spawn("reader".into(), move || {
        let t1 = *data1.lock().unwrap();
        if t1 == 0 {
            return;
        }
        let t2 = *data2.lock().unwrap();
        invariant!(t2 == t1 + 1, "twostage: data2 = {t2} after data1 = {t1}");
    }));
    for t in threads {
        t.join().unwrap();
    }
}

/// `wronglock`: `n` threads increment a counter under `lock1` and check that their increment
/// holds; one thread increments it under `lock2`, which excludes none of them.
pub fn wronglock(n: usize) {
    let lock1 = Arc::new(Mutex::named("lock1", ()));
    let lock2 = Arc::new(Mutex::named("lock2", ()));
    let value = Arc::new(AtomicI32::named("value", 0));
    let mut threads = Vec::new();
    for i in 1..=n {
        let (lock, value) = (lock1.clone(), value.clone());
        threads.push(spawn(format!("locker-{i}"), move || {
            let _g = lock.lock().unwrap();
            let x = value.load(SeqCst);
            value.store(x + 1, SeqCst);
            let y = value.load(SeqCst);
            invariant!(y == x + 1, "wronglock: {x} + 1 read back as {y}");
        }));
    }
    let (lock, v) = (lock2, value);
    threads.push(spawn("intruder".into(), move || {
        let _g = lock.lock().unwrap();
        let x = v.load(SeqCst);
        v.store(x + 1, SeqCst);
    }));
    for t in threads {
        t.join().unwrap();
    }
}

/// Cargill's bounded buffer: one slot, one condition variable, `notify_one` where
/// `notify_all` is needed. A producer puts two items, two consumers take one each; a consumer
/// that takes an item can wake the other consumer instead of the waiting producer, and every
/// thread then waits (a deadlock).
pub fn bounded_buffer() {
    let slot = Arc::new(Mutex::named("buffer", None::<u32>));
    let changed = Arc::new(Condvar::named("changed"));
    let mut threads = Vec::new();
    for i in 1..=2 {
        let (slot, changed) = (slot.clone(), changed.clone());
        threads.push(spawn(format!("consumer-{i}"), move || {
            let mut s = slot.lock().unwrap();
            while s.is_none() {
                s = changed.wait(s).unwrap();
            }
            s.take();
            changed.notify_one();
        }));
    }
    for item in 1..=2 {
        let mut s = slot.lock().unwrap();
        while s.is_some() {
            s = changed.wait(s).unwrap();
        }
        *s = Some(item);
        changed.notify_one();
    }
    for t in threads {
        t.join().unwrap();
    }
}

/// Local steps a thread takes before its racy one: they make a long execution, which the
/// random walk pays for and PCT does not.
const PREAMBLE: usize = 20;

fn busy(counter: &AtomicI32) {
    for _ in 0..PREAMBLE {
        counter.fetch_add(1, SeqCst);
    }
}

/// The PCT paper's depth-1 bug, an ordering violation: a user runs before the initialiser,
/// whose initialisation comes only after a long preamble.
pub fn ordering() {
    let ready = Arc::new(AtomicBool::named("initialised", false));
    let r = ready.clone();
    let init = spawn("initialiser".into(), move || {
        busy(&AtomicI32::named("initialiser-work", 0));
        r.store(true, SeqCst);
    });
    let r = ready;
    let user = spawn("user".into(), move || {
        busy(&AtomicI32::named("user-work", 0));
        invariant!(r.load(SeqCst), "ordering: used before it was initialised");
    });
    init.join().unwrap();
    user.join().unwrap();
}

/// The PCT paper's depth-2 bug, an atomicity violation: a thread checks a pointer and then
/// uses it, and another clears it between the two, each after a long preamble.
pub fn atomicity() {
    let pointer = Arc::new(AtomicI32::named("pointer", 1));
    let p = pointer.clone();
    let user = spawn("user".into(), move || {
        busy(&AtomicI32::named("user-work", 0));
        if p.load(SeqCst) != 0 {
            busy(&AtomicI32::named("user-more-work", 0));
            invariant!(
                p.load(SeqCst) != 0,
                "atomicity: the pointer was cleared in use"
            );
        }
    });
    let p = pointer;
    let clearer = spawn("clearer".into(), move || {
        busy(&AtomicI32::named("clearer-work", 0));
        p.store(0, SeqCst);
    });
    user.join().unwrap();
    clearer.join().unwrap();
}

/// `reorder_N`'s setters without its checker: a passing model whose every execution runs to
/// its end, to measure what a scheduler costs per execution (`--bench schedulers`).
pub fn setters(n: usize) {
    let a = Arc::new(AtomicI32::named("a", 0));
    let b = Arc::new(AtomicI32::named("b", 0));
    let threads: Vec<_> = (0..n)
        .map(|i| {
            let (a, b) = (a.clone(), b.clone());
            spawn(format!("setter-{i}"), move || {
                a.store(1, SeqCst);
                b.store(-1, SeqCst);
            })
        })
        .collect();
    let _ = (a.load(SeqCst), b.load(SeqCst));
    for t in threads {
        t.join().unwrap();
    }
}

/// `twostage_N`'s stage threads without its reader: passing, for the same measurement.
pub fn stages(n: usize) {
    let data1 = Arc::new(Mutex::named("data1", 0));
    let data2 = Arc::new(Mutex::named("data2", 0));
    let threads: Vec<_> = (0..n)
        .map(|i| {
            let (data1, data2) = (data1.clone(), data2.clone());
            spawn(format!("stage-{i}"), move || {
                *data1.lock().unwrap() = 1;
                *data2.lock().unwrap() = 2;
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
}
