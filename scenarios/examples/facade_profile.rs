//! Runs the small facade model under shuttle's random scheduler, for a profiler.
//! `cargo run --release -p racecheck-scenarios --example facade_profile -- [raw] N`

use racecheck::{BackendKind, Check};

fn model() {
    use racecheck::sync::{Arc, Mutex};
    let m = Arc::new(Mutex::new(0));
    let m2 = m.clone();
    let t = racecheck::thread::spawn(move || {
        for _ in 0..3 {
            *m2.lock().unwrap() += 1;
        }
    });
    for _ in 0..3 {
        *m.lock().unwrap() += 1;
    }
    t.join().unwrap();
}

fn raw() {
    use shuttle::sync::Mutex;
    use std::sync::Arc;
    let m = Arc::new(Mutex::new(0));
    let m2 = m.clone();
    let t = shuttle::thread::spawn(move || {
        for _ in 0..3 {
            *m2.lock().unwrap() += 1;
        }
    });
    for _ in 0..3 {
        *m.lock().unwrap() += 1;
    }
    t.join().unwrap();
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = args.last().and_then(|a| a.parse().ok()).unwrap_or(2000);
    if args.iter().any(|a| a == "raw") {
        shuttle::check_random(raw, n);
    } else {
        Check::new(model)
            .backend(BackendKind::Random)
            .executions(n as u64)
            .run();
    }
}
