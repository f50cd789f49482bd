//! Figures for the lock_manager scenario: executions/s of each backend, executions to first
//! failure per backend (median over 20 seeds), and the facade's cost against the same small
//! model written directly on loom and on shuttle, measured in one run.
//!
//! `cargo run --release -p racecheck-scenarios --example measure`
//!
//! For a profiler, `measure profile [raw] [pct|loom] [wide|six|condvar] [runs=R] N` runs only the
//! small model N times under shuttle's random scheduler (or PCT d=3; or N exhaustive loom
//! explorations), through racecheck or (with `raw`) directly. `wide` takes the 4-thread model
//! instead of the 2-thread one, `six` a 6-thread one, `condvar` the facade bench's; `runs=R`
//! repeats the whole check R times (the facade bench runs 200 executions per check):
//! `valgrind --tool=callgrind target/release/examples/measure profile raw 2000`.

#![forbid(unsafe_code)]

use racecheck::{BackendKind, Check};
use racecheck_scenarios::catalogue;
use std::time::Instant;

fn median(mut v: Vec<u64>) -> u64 {
    v.sort_unstable();
    v[v.len() / 2]
}

/// Two threads, each locking a shared counter `ROUNDS` times.
const ROUNDS: usize = 3;

fn facade_model() {
    use racecheck::sync::{Arc, Mutex};
    let m = Arc::new(Mutex::new(0));
    let m2 = m.clone();
    let t = racecheck::thread::spawn(move || {
        for _ in 0..ROUNDS {
            *m2.lock().unwrap() += 1;
        }
    });
    for _ in 0..ROUNDS {
        *m.lock().unwrap() += 1;
    }
    t.join().unwrap();
    assert_eq!(*m.lock().unwrap(), 2 * ROUNDS);
}

fn raw_shuttle_model() {
    use shuttle::sync::Mutex;
    use std::sync::Arc;
    let m = Arc::new(Mutex::new(0));
    let m2 = m.clone();
    let t = shuttle::thread::spawn(move || {
        for _ in 0..ROUNDS {
            *m2.lock().unwrap() += 1;
        }
    });
    for _ in 0..ROUNDS {
        *m.lock().unwrap() += 1;
    }
    t.join().unwrap();
    assert_eq!(*m.lock().unwrap(), 2 * ROUNDS);
}

fn raw_loom_model() {
    use loom::sync::Mutex;
    use std::sync::Arc;
    let m = Arc::new(Mutex::new(0));
    let m2 = m.clone();
    let t = loom::thread::spawn(move || {
        for _ in 0..ROUNDS {
            *m2.lock().unwrap() += 1;
        }
    });
    for _ in 0..ROUNDS {
        *m.lock().unwrap() += 1;
    }
    t.join().unwrap();
    assert_eq!(*m.lock().unwrap(), 2 * ROUNDS);
}

/// Worker threads of the wide model (with main, four threads) and of the six-thread one.
const WORKERS: usize = 3;
const SIX_WORKERS: usize = 5;

/// Main spawns `$workers` workers that each lock a shared counter twice, joins them, and reads
/// the counter once more.
macro_rules! wide_model {
    ($name:ident, $workers:expr, $($sync:ident)::+, $($thread:ident)::+) => {
        fn $name() {
            let m = std::sync::Arc::new($($sync)::+::Mutex::new(0));
            let workers: Vec<_> = (0..$workers)
                .map(|_| {
                    let m = m.clone();
                    $($thread)::+::spawn(move || {
                        for _ in 0..2 {
                            *m.lock().unwrap() += 1;
                        }
                    })
                })
                .collect();
            for w in workers {
                w.join().unwrap();
            }
            assert_eq!(*m.lock().unwrap(), 2 * $workers);
        }
    };
}

wide_model!(facade_wide, WORKERS, racecheck::sync, racecheck::thread);
wide_model!(raw_shuttle_wide, WORKERS, shuttle::sync, shuttle::thread);
wide_model!(raw_loom_wide, WORKERS, loom::sync, loom::thread);
wide_model!(facade_six, SIX_WORKERS, racecheck::sync, racecheck::thread);
wide_model!(raw_shuttle_six, SIX_WORKERS, shuttle::sync, shuttle::thread);
wide_model!(raw_loom_six, SIX_WORKERS, loom::sync, loom::thread);

/// The facade bench's model (`benches/facade.rs`): two threads each increment a mutex-guarded
/// counter twice, then the worker hands a flag to main through a condvar.
macro_rules! condvar_model {
    ($name:ident, $($sync:ident)::+, $($thread:ident)::+) => {
        fn $name() {
            let state = std::sync::Arc::new((
                $($sync)::+::Mutex::new((0usize, false)),
                $($sync)::+::Condvar::new(),
            ));
            let st = state.clone();
            let worker = $($thread)::+::spawn(move || {
                for _ in 0..2 {
                    st.0.lock().unwrap().0 += 1;
                }
                st.0.lock().unwrap().1 = true;
                st.1.notify_one();
            });
            for _ in 0..2 {
                state.0.lock().unwrap().0 += 1;
            }
            let mut g = state.0.lock().unwrap();
            while !g.1 {
                g = state.1.wait(g).unwrap();
            }
            assert_eq!(g.0, 4);
            drop(g);
            worker.join().unwrap();
        }
    };
}

condvar_model!(facade_condvar, racecheck::sync, racecheck::thread);
condvar_model!(raw_shuttle_condvar, shuttle::sync, shuttle::thread);
condvar_model!(raw_loom_condvar, loom::sync, loom::thread);

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("profile") {
        let n: usize = args.last().and_then(|a| a.parse().ok()).unwrap_or(2000);
        let raw = args.iter().any(|a| a == "raw");
        let has = |w: &str| args.iter().any(|a| a == w);
        let wide = has("wide");
        // `runs=R`: R checks of N executions each (the facade bench's shape is 200 per check).
        let runs: usize = args
            .iter()
            .find_map(|a| a.strip_prefix("runs=")?.parse().ok())
            .unwrap_or(1);
        let condvar = has("condvar");
        let six = has("six");
        let pick = |models: [fn(); 4]| match (wide, condvar, six) {
            (true, _, _) => models[1],
            (_, true, _) => models[2],
            (_, _, true) => models[3],
            _ => models[0],
        };
        let facade_model = pick([facade_model, facade_wide, facade_condvar, facade_six]);
        let raw_shuttle_model = pick([
            raw_shuttle_model,
            raw_shuttle_wide,
            raw_shuttle_condvar,
            raw_shuttle_six,
        ]);
        let raw_loom_model = pick([
            raw_loom_model,
            raw_loom_wide,
            raw_loom_condvar,
            raw_loom_six,
        ]);
        for _ in 0..runs {
            if has("loom") {
                // loom explores the model exhaustively each time: n explorations.
                for _ in 0..n {
                    if raw {
                        loom::model(raw_loom_model);
                    } else {
                        Check::new(facade_model)
                            .backend(BackendKind::Loom)
                            .run()
                            .assert_passes();
                    }
                }
            } else if has("pct") {
                if raw {
                    shuttle::check_pct(raw_shuttle_model, n, 3);
                } else {
                    Check::new(facade_model)
                        .backend(BackendKind::Pct)
                        .executions(n as u64)
                        .run()
                        .assert_passes();
                }
            } else if raw {
                shuttle::check_random(raw_shuttle_model, n);
            } else {
                Check::new(facade_model)
                    .backend(BackendKind::Random)
                    .executions(n as u64)
                    .run()
                    .assert_passes();
            }
        }
        return;
    }
    let cat = catalogue();
    let s = cat.find("lock_manager").unwrap();
    println!("## executions/s on lock_manager/rlock (a passing variant: the whole budget runs)");
    for b in BackendKind::ALL {
        let n = match b {
            BackendKind::Loom => 100_000,
            BackendKind::Dfs | BackendKind::Random | BackendKind::Pct => 20_000,
            BackendKind::Threads => 5_000,
            _ => 20_000,
        };
        let r = s
            .find_variant("rlock")
            .unwrap()
            .check()
            .backend(b)
            .executions(n)
            .run();
        println!(
            "{b:8} {:>7} executions in {:.3} s = {:>9.0} /s ({})",
            r.executions,
            r.elapsed.as_secs_f64(),
            r.executions_per_second(),
            r.verdict()
        );
    }
    println!("\n## executions to first failure on lock_manager/lock, 20 seeds");
    let lock = s.find_variant("lock").unwrap();
    for b in BackendKind::ALL {
        let firsts: Vec<u64> = (0..20)
            .map(|seed| {
                lock.check()
                    .backend(b)
                    .seed(seed)
                    .executions(50_000)
                    .run()
                    .failure
                    .map_or(u64::MAX, |f| f.execution)
            })
            .collect();
        println!(
            "{b:8} median {:>5}  min {:>5}  max {:>5}",
            median(firsts.clone()),
            firsts.iter().min().unwrap(),
            firsts.iter().max().unwrap()
        );
    }

    println!(
        "\n## facade cost: a 2-thread, {ROUNDS}-lock model, raw backend vs racecheck, one run"
    );
    for round in 0..2 {
        let n = 20_000;
        let t = Instant::now();
        shuttle::check_random(raw_shuttle_model, n);
        let raw = t.elapsed().as_secs_f64();
        let r = Check::new(facade_model)
            .backend(BackendKind::Random)
            .executions(n as u64)
            .run();
        let ours = r.elapsed.as_secs_f64();
        println!("shuttle random, {n} executions: raw {raw:.3} s, racecheck {ours:.3} s, ratio {:.2}x (round {round})", ours / raw);
        let t = Instant::now();
        loom::model(raw_loom_model);
        let raw = t.elapsed().as_secs_f64();
        let r = Check::new(facade_model).backend(BackendKind::Loom).run();
        let ours = r.elapsed.as_secs_f64();
        println!("loom exhaustive: raw {raw:.3} s, racecheck {ours:.3} s ({} executions), ratio {:.2}x (round {round})", r.executions, ours / raw);
    }
}
