//! Lease acquisition on real SQLite: seed 001's `acquire_lock` (in one
//! transaction: SELECT the ticket's locked_by/lease_expires; if free or
//! expired, UPDATE it with owner and expiry; COMMIT), with BEGIN DEFERRED vs
//! BEGIN IMMEDIATE, uncontended (1 thread) and with 3 contending threads,
//! each acquiring and releasing its own ticket in a loop.
//!
//! Reported time per iteration = mean latency of one `acquire_lock` call
//! (release not included). Failures (SQLITE_BUSY at some stage) are counted
//! and printed after the benchmarks, with the mean latency of the calls that
//! acquired. Busy timeout 5000 ms on every
//! connection (rusqlite's default, set explicitly).
//!
//! The database lives in the system temporary directory (a real disk, so
//! commits pay for fsync) unless `RACECHECK_SQLITE_TMPDIR` names another place.

#![forbid(unsafe_code)]

use std::collections::BTreeMap;
use std::hint::black_box;
use std::sync::{Barrier, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use criterion::{criterion_group, criterion_main, Criterion};
use racecheck_models::sqlite::engine::{Begin, JournalMode, Table};
use racecheck_sqlite_judge::real::{classify, BusyPolicy, RealConn, RealDb};
use rusqlite::{params, OptionalExtension};

const LEASE_MS: i64 = 60 * 60 * 1000;
const BUSY_TIMEOUT: Duration = Duration::from_millis(5000);

/// Outcome counts per configuration: label -> count.
static COUNTS: Mutex<BTreeMap<String, BTreeMap<String, u64>>> = Mutex::new(BTreeMap::new());

/// Time spent in successful `acquire_lock` calls per configuration, and their number: the
/// seed's "faster" is about calls that got the lock, and a failure that returns at once is
/// cheap.
static SUCCESS_TIME: Mutex<BTreeMap<String, (Duration, u64)>> = Mutex::new(BTreeMap::new());

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// The seed's `acquire_lock`. `Ok(true)` acquired, `Ok(false)` held by
/// someone else, `Err(label)` failed (rolled back).
fn acquire_lock(conn: &RealConn, begin: Begin, ticket: &str, owner: &str) -> Result<bool, String> {
    let c = conn.connection();
    let fail = |stage: &str, e: rusqlite::Error| {
        if conn.in_txn() {
            let _ = c.execute_batch("ROLLBACK");
        }
        format!("{:?}@{stage}", classify(&e))
    };
    let sql = match begin {
        Begin::Deferred => "BEGIN DEFERRED",
        Begin::Immediate => "BEGIN IMMEDIATE",
        Begin::Exclusive => "BEGIN EXCLUSIVE",
    };
    c.execute_batch(sql).map_err(|e| fail("begin", e))?;
    let row: Option<(Option<String>, Option<i64>)> = c
        .query_row(
            "SELECT locked_by, lease_expires FROM tickets WHERE id = ?1",
            [ticket],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()
        .map_err(|e| fail("select", e))?;
    let now = now_ms();
    let free = match row {
        Some((None, _)) => true,
        Some((Some(_), Some(exp))) => exp < now,
        Some((Some(_), None)) => true,
        None => false,
    };
    if free {
        c.execute(
            "UPDATE tickets SET locked_by = ?1, lease_expires = ?2 WHERE id = ?3",
            params![owner, now + LEASE_MS, ticket],
        )
        .map_err(|e| fail("update", e))?;
    }
    c.execute_batch("COMMIT").map_err(|e| fail("commit", e))?;
    Ok(free)
}

/// Release (an autocommit UPDATE, i.e. its own write transaction).
fn release_lock(conn: &RealConn, ticket: &str, owner: &str) -> Result<(), String> {
    conn.connection()
        .execute(
            "UPDATE tickets SET locked_by = NULL, lease_expires = NULL \
             WHERE id = ?1 AND locked_by = ?2",
            params![ticket, owner],
        )
        .map(|_| ())
        .map_err(|e| format!("{:?}@release", classify(&e)))
}

struct Setup {
    // Connections close before the database directory is removed.
    conns: Vec<Option<RealConn>>,
    _db: RealDb,
}

fn setup(mode: JournalMode, threads: usize) -> Setup {
    let parent = std::env::var_os("RACECHECK_SQLITE_TMPDIR")
        .map(Into::into)
        .unwrap_or_else(std::env::temp_dir);
    let db = RealDb::create_in(&parent, mode, &Table::new()).expect("db");
    {
        let admin = db.connect(BusyPolicy::Timeout(BUSY_TIMEOUT)).expect("conn");
        admin
            .connection()
            .execute_batch(
                "CREATE TABLE tickets(id TEXT PRIMARY KEY, locked_by TEXT, lease_expires INTEGER);
                 INSERT INTO tickets(id) VALUES ('ticket-0'), ('ticket-1'), ('ticket-2');",
            )
            .expect("schema");
    }
    let conns = (0..threads)
        .map(|_| {
            let c = db.connect(BusyPolicy::Timeout(BUSY_TIMEOUT)).expect("conn");
            // Load the new schema now, outside the measurement.
            c.connection()
                .query_row("SELECT count(*) FROM tickets", [], |r| r.get::<_, i64>(0))
                .expect("warm");
            Some(c)
        })
        .collect();
    Setup { conns, _db: db }
}

fn record(config: &str, label: &str, n: u64) {
    let mut m = COUNTS.lock().unwrap_or_else(|e| e.into_inner());
    *m.entry(config.to_string())
        .or_default()
        .entry(label.to_string())
        .or_insert(0) += n;
}

/// Each of `threads` threads runs `iters` acquire/release rounds on its own
/// ticket; returns the summed acquire time divided by the thread count.
fn run(s: &mut Setup, config: &str, begin: Begin, iters: u64) -> Duration {
    let threads = s.conns.len();
    let barrier = Barrier::new(threads);
    type Worker = (RealConn, Duration, Duration, BTreeMap<String, u64>);
    let results: Vec<Worker> = std::thread::scope(|sc| {
        let handles: Vec<_> = s
            .conns
            .iter_mut()
            .enumerate()
            .map(|(i, slot)| {
                let conn = slot.take().expect("connection");
                let barrier = &barrier;
                sc.spawn(move || {
                    let ticket = format!("ticket-{i}");
                    let owner = format!("worker-{i}");
                    let mut spent = Duration::ZERO;
                    let mut spent_ok = Duration::ZERO;
                    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
                    barrier.wait();
                    for _ in 0..iters {
                        let t = Instant::now();
                        let r = acquire_lock(&conn, begin, &ticket, &owner);
                        let took = t.elapsed();
                        spent += took;
                        let label = match black_box(r) {
                            Ok(true) => {
                                spent_ok += took;
                                if let Err(e) = release_lock(&conn, &ticket, &owner) {
                                    *counts.entry(e).or_insert(0) += 1;
                                }
                                "acquired".to_string()
                            }
                            Ok(false) => "held".to_string(),
                            Err(e) => e,
                        };
                        *counts.entry(label).or_insert(0) += 1;
                    }
                    (conn, spent, spent_ok, counts)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("worker"))
            .collect()
    });
    let mut total = Duration::ZERO;
    for (i, (conn, spent, spent_ok, counts)) in results.into_iter().enumerate() {
        s.conns[i] = Some(conn);
        total += spent;
        {
            let mut m = SUCCESS_TIME.lock().unwrap_or_else(|e| e.into_inner());
            let e = m.entry(config.to_string()).or_default();
            e.0 += spent_ok;
            e.1 += counts.get("acquired").copied().unwrap_or(0);
        }
        for (k, v) in counts {
            record(config, &k, v);
        }
    }
    total / threads as u32
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("acquire_lock");
    g.warm_up_time(Duration::from_millis(500));
    g.measurement_time(Duration::from_secs(3));
    g.sample_size(10);
    for mode in [JournalMode::Rollback, JournalMode::Wal] {
        for threads in [1usize, 3] {
            for begin in [Begin::Deferred, Begin::Immediate] {
                let name = format!("{mode:?}/{threads}thr/{begin:?}").to_lowercase();
                let mut s = setup(mode, threads);
                g.bench_function(&name, |b| {
                    b.iter_custom(|iters| run(&mut s, &name, begin, iters));
                });
                // Every ticket must be free again (no release got lost).
                let held: i64 = s
                    .conns
                    .iter()
                    .flatten()
                    .next()
                    .expect("conn")
                    .connection()
                    .query_row(
                        "SELECT count(*) FROM tickets WHERE locked_by IS NOT NULL",
                        [],
                        |r| r.get(0),
                    )
                    .expect("count");
                record(&name, "tickets still held at end", held as u64);
                drop(s);
            }
        }
    }
    g.finish();
    let m = COUNTS.lock().unwrap_or_else(|e| e.into_inner());
    eprintln!("\noutcome counts per configuration (warm-up + measurement):");
    for (config, counts) in m.iter() {
        let total: u64 = counts
            .iter()
            .filter(|(k, _)| !k.contains("release") && !k.contains("still held"))
            .map(|(_, v)| v)
            .sum();
        let failed: u64 = counts
            .iter()
            .filter(|(k, _)| k.contains('@') && !k.contains("release"))
            .map(|(_, v)| v)
            .sum();
        let (ok_time, ok) = SUCCESS_TIME
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(config)
            .copied()
            .unwrap_or_default();
        eprintln!(
            "  {config:<28} attempts {total:>7}  failed {failed:>6} ({:.1}%)  \
             mean per successful acquire {:?}  {counts:?}",
            100.0 * failed as f64 / total.max(1) as f64,
            ok_time / ok.max(1) as u32
        );
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
