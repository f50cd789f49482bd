//! Exhaustive exploration of the engine: every interleaving of a few threads'
//! statements, at the engine's lock-transition granularity, and the set of
//! outcomes they can reach.
//!
//! A thread runs a [`Program`]: a state machine that issues one statement at a
//! time and learns each result. Two kinds are here:
//! * [`CounterThread`], the lab's workload: `BEGIN <kind>; SELECT n;
//!   UPDATE n = n+1; COMMIT`, with `ROLLBACK` (when a transaction is open) and
//!   stop on the first error. The outcome-set test runs it on real SQLite too.
//! * [`TicketThread`], seed 001's repository methods as the scenarios run them
//!   (`acquire_lock` of one ticket, `get_and_lock_next_ticket` from a pool),
//!   statement for statement as `racecheck_models::sqlite::tickets` issues them.
//!
//! Waiting follows the busy handler:
//! * busy timeout 0: a step that would wait fails with BUSY (its clean-up
//!   being a step of its own, which others may precede);
//! * with a busy timeout: the thread is parked until the lock it waits for is
//!   obtainable, then it may retry (as one more interleaving choice, so
//!   others may grab the lock first); if every unfinished thread is parked,
//!   that is a timeout and one of them (each choice explored) gets BUSY.
//!   [`Stats::all_waiting`] counts such states: the facade model, which has no
//!   busy timeout that expires, would report each as a deadlock.
//!
//! The facade model runs whole statements as single steps, so every state it
//! reaches is one this explorer reaches too.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::fmt;
use std::hash::Hash;

use racecheck_models::sqlite::engine::{
    Begin, ConnId, Engine, JournalMode, Progress, StepResult, Stmt, Table,
};
use racecheck_models::sqlite::tickets::TicketRow;

use crate::real::Setup;

/// Key of the counter.
pub const KEY: &str = "n";

/// One configuration of the seed workload.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Workload {
    pub mode: JournalMode,
    pub begin: Begin,
    pub threads: usize,
    /// True: a busy timeout long enough never to expire unless everyone
    /// waits. False: busy timeout 0.
    pub busy_timeout: bool,
    /// How the connections start; with anything but [`Setup::Warm`] each
    /// thread closes its connection when it is done (seed 001's pattern: a
    /// connection per thread).
    pub setup: Setup,
}

impl Workload {
    /// The initial table: `n = 0`.
    pub fn data() -> Table {
        [(KEY.to_string(), "0".to_string())].into_iter().collect()
    }
}

/// One thread's statements, issued one at a time; what it issues next may
/// depend on earlier results.
pub trait Program: Clone + Eq + Hash {
    /// The next statement, `None` once finished.
    fn next_stmt(&self) -> Option<Stmt>;
    /// Feed the final result of the statement from [`Program::next_stmt`];
    /// `in_txn` is whether a transaction is open afterwards.
    fn on_result(&mut self, r: &StepResult, in_txn: bool);
    fn finished(&self) -> bool;
    /// `ok`, or `<busy|busy_snapshot|...>@<stage>`; `None` while running.
    fn outcome(&self) -> Option<&str>;
}

/// `busy@update`, `busy_snapshot@update`, `error1@commit`, ...
fn failure_label(r: &StepResult, stage: &str) -> String {
    let what = match r {
        StepResult::Busy => "busy".to_string(),
        StepResult::BusySnapshot => "busy_snapshot".to_string(),
        StepResult::BusyRecovery => "busy_recovery".to_string(),
        _ => format!("error{}", r.code().unwrap_or(0)),
    };
    format!("{what}@{stage}")
}

/// Per-thread program of the workload. The same state machine drives the
/// model explorer and the real threads.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CounterThread {
    begin: Begin,
    /// 0 BEGIN, 1 SELECT, 2 UPDATE, 3 COMMIT, 4 finished.
    pc: u8,
    read: Option<i64>,
    rolling_back: bool,
    outcome: Option<String>,
    closing: Closing,
}

/// Whether a program closes its connection once its transaction is over.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Closing {
    /// The connection stays open.
    Never,
    /// `CLOSE` is still to be issued.
    Due,
    Done,
}

impl Closing {
    fn new(close: bool) -> Self {
        if close {
            Closing::Due
        } else {
            Closing::Never
        }
    }
}

const STAGES: [&str; 4] = ["begin", "select", "update", "commit"];

impl CounterThread {
    pub fn new(begin: Begin) -> Self {
        CounterThread {
            begin,
            pc: 0,
            read: None,
            rolling_back: false,
            outcome: None,
            closing: Closing::Never,
        }
    }

    /// The same thread on a connection of its own that it closes at the end.
    pub fn closing(mut self, close: bool) -> Self {
        self.closing = Closing::new(close);
        self
    }
}

impl Program for CounterThread {
    fn finished(&self) -> bool {
        self.pc >= 4 && !self.rolling_back && self.closing != Closing::Due
    }

    fn next_stmt(&self) -> Option<Stmt> {
        if self.rolling_back {
            return Some(Stmt::Rollback);
        }
        if self.pc >= 4 && self.closing == Closing::Due {
            return Some(Stmt::Close);
        }
        match self.pc {
            0 => Some(Stmt::Begin(self.begin)),
            1 => Some(Stmt::read(KEY)),
            2 => Some(Stmt::write(KEY, &(self.read.unwrap_or(0) + 1).to_string())),
            3 => Some(Stmt::Commit),
            _ => None,
        }
    }

    fn on_result(&mut self, r: &StepResult, in_txn: bool) {
        if self.rolling_back {
            self.rolling_back = false;
            return;
        }
        if self.pc >= 4 {
            self.closing = Closing::Done;
            return;
        }
        let stage = STAGES[self.pc as usize];
        if r.is_failure() {
            self.outcome = Some(failure_label(r, stage));
            self.pc = 4;
            self.rolling_back = in_txn;
            return;
        }
        if self.pc == 1 {
            self.read = match r {
                StepResult::Value(Some(v)) => v.parse().ok(),
                _ => None,
            };
        }
        self.pc += 1;
        if self.pc == 4 {
            self.outcome = Some("ok".to_string());
        }
    }

    fn outcome(&self) -> Option<&str> {
        self.outcome.as_deref()
    }
}

/// Seed 001's lock methods as a [`Program`], statement for statement as
/// `racecheck_models::sqlite::tickets::TicketRepository` issues them:
/// `BEGIN <kind>`; `SELECT` the tickets of `pool` in order until one is free
/// (or its lease ran out) at `now`; `UPDATE` it to `owner` until
/// `now + lease`; `COMMIT`; on an error `ROLLBACK` if a transaction is open.
/// A pool of one ticket is `acquire_lock`, of several
/// `get_and_lock_next_ticket`. Outcomes: `ok` (locked), `none` (nothing
/// free), or `<code>@<stage>`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TicketThread {
    begin: Begin,
    pool: Vec<String>,
    owner: String,
    now: u64,
    lease: u64,
    stage: TicketStage,
    /// The ticket locked by this transaction's UPDATE.
    locked: bool,
    rolling_back: bool,
    outcome: Option<String>,
    closing: Closing,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum TicketStage {
    Begin,
    Select(usize),
    Update(usize),
    Commit,
    Done,
}

impl TicketThread {
    pub fn new(begin: Begin, pool: Vec<String>, owner: &str, now: u64, lease: u64) -> Self {
        TicketThread {
            begin,
            pool,
            owner: owner.to_string(),
            now,
            lease,
            stage: TicketStage::Begin,
            locked: false,
            rolling_back: false,
            outcome: None,
            closing: Closing::Never,
        }
    }

    /// The same thread on a connection of its own that it closes at the end.
    pub fn closing(mut self, close: bool) -> Self {
        self.closing = Closing::new(close);
        self
    }
}

impl Program for TicketThread {
    fn finished(&self) -> bool {
        self.stage == TicketStage::Done && !self.rolling_back && self.closing != Closing::Due
    }

    fn next_stmt(&self) -> Option<Stmt> {
        if self.rolling_back {
            return Some(Stmt::Rollback);
        }
        if self.stage == TicketStage::Done && self.closing == Closing::Due {
            return Some(Stmt::Close);
        }
        match self.stage {
            TicketStage::Begin => Some(Stmt::Begin(self.begin)),
            TicketStage::Select(i) => Some(Stmt::read(&self.pool[i])),
            TicketStage::Update(i) => Some(Stmt::write(
                &self.pool[i],
                &TicketRow::held(&self.owner, self.now + self.lease).encode(),
            )),
            TicketStage::Commit => Some(Stmt::Commit),
            TicketStage::Done => None,
        }
    }

    fn on_result(&mut self, r: &StepResult, in_txn: bool) {
        if self.rolling_back {
            self.rolling_back = false;
            return;
        }
        if self.stage == TicketStage::Done {
            self.closing = Closing::Done;
            return;
        }
        let stage = match self.stage {
            TicketStage::Begin => "begin",
            TicketStage::Select(_) => "select",
            TicketStage::Update(_) => "update",
            TicketStage::Commit => "commit",
            TicketStage::Done => "done",
        };
        if r.is_failure() {
            self.outcome = Some(failure_label(r, stage));
            self.stage = TicketStage::Done;
            self.rolling_back = in_txn;
            return;
        }
        self.stage = match self.stage {
            TicketStage::Begin => TicketStage::Select(0),
            TicketStage::Select(i) => {
                let free = match r {
                    StepResult::Value(Some(v)) => {
                        TicketRow::decode(v).is_some_and(|row| row.is_free_at(self.now))
                    }
                    _ => false,
                };
                if free {
                    TicketStage::Update(i)
                } else if i + 1 < self.pool.len() {
                    TicketStage::Select(i + 1)
                } else {
                    TicketStage::Commit
                }
            }
            TicketStage::Update(_) => {
                self.locked = true;
                TicketStage::Commit
            }
            TicketStage::Commit | TicketStage::Done => {
                self.outcome = Some(if self.locked { "ok" } else { "none" }.to_string());
                TicketStage::Done
            }
        };
    }

    fn outcome(&self) -> Option<&str> {
        self.outcome.as_deref()
    }
}

/// One outcome of a whole run: the threads' outcomes as a sorted multiset,
/// plus the final counter.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Combo {
    pub outcomes: Vec<String>,
    pub final_n: i64,
}

impl Combo {
    pub fn new(mut outcomes: Vec<String>, final_n: i64) -> Self {
        outcomes.sort();
        Combo { outcomes, final_n }
    }

    /// Number of threads whose transaction committed.
    pub fn successes(&self) -> usize {
        self.outcomes.iter().filter(|o| *o == "ok").count()
    }
}

impl fmt::Display for Combo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{{{}}} n={}", self.outcomes.join(", "), self.final_n)
    }
}

/// Counter value in a table.
pub fn counter(t: &Table) -> i64 {
    t.get(KEY).and_then(|v| v.parse().ok()).unwrap_or(-1)
}

#[derive(Clone, PartialEq, Eq, Hash)]
struct State<P> {
    engine: Engine,
    threads: Vec<P>,
}

impl<P: Program> State<P> {
    /// Apply a lock-level progress of thread `i`.
    fn progress(&mut self, i: ConnId, p: Progress) {
        match p {
            Progress::Yield => {}
            // Parked. Without a busy timeout the only next move is to fail,
            // but as a separate step: a statement that failed to get
            // EXCLUSIVE still holds PENDING until its clean-up runs, and
            // others can run into that [found by the outcome-set test:
            // three BEGIN EXCLUSIVE with timeout 0 can all fail].
            Progress::Blocked => {}
            Progress::Done(r) => self.result(i, r),
        }
    }

    fn result(&mut self, i: ConnId, r: StepResult) {
        let in_txn = self.engine.in_txn(i);
        self.threads[i].on_result(&r, in_txn);
    }
}

/// Statistics of one exploration.
#[derive(Clone, Debug, Default)]
pub struct Stats {
    pub states: usize,
    pub terminals: usize,
    /// States in which every unfinished thread waits in its busy handler and
    /// none can proceed (only with a busy timeout): real SQLite leaves them
    /// when a timeout expires; the facade model has no expiring timeout and
    /// would report a deadlock.
    pub all_waiting: usize,
}

/// One end of an exploration: each thread's outcome, in thread order, and
/// the committed table.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct End {
    pub outcomes: Vec<String>,
    pub committed: Table,
}

/// Every end the engine allows when `threads` run on a database in `mode`
/// holding `data`, with or without a busy timeout, their connections set up
/// as `setup` says.
pub fn explore_programs<P: Program>(
    mode: JournalMode,
    setup: Setup,
    data: Table,
    threads: Vec<P>,
    busy_timeout: bool,
) -> (BTreeSet<End>, Stats) {
    let n = threads.len();
    let init = State {
        engine: setup.engine(mode, n, data),
        threads,
    };
    let mut seen: HashSet<State<P>> = HashSet::new();
    let mut stack = vec![init];
    let mut out = BTreeSet::new();
    let mut stats = Stats::default();
    while let Some(s) = stack.pop() {
        if !seen.insert(s.clone()) {
            continue;
        }
        stats.states += 1;
        if s.threads.iter().all(|t| t.finished()) {
            stats.terminals += 1;
            let outcomes = s
                .threads
                .iter()
                .map(|t| t.outcome().unwrap_or("?").to_string())
                .collect();
            out.insert(End {
                outcomes,
                committed: s.engine.committed().clone(),
            });
            continue;
        }
        let mut moved = false;
        for i in 0..n {
            if s.threads[i].finished() {
                continue;
            }
            let mut next = s.clone();
            if next.engine.waiting_for(i).is_some() {
                if !busy_timeout {
                    let r = next.engine.give_up(i);
                    next.result(i, r);
                } else if next.engine.can_proceed(i) {
                    let p = next.engine.advance(i);
                    next.progress(i, p);
                } else {
                    continue;
                }
            } else if next.engine.in_flight(i) {
                let p = next.engine.advance(i);
                next.progress(i, p);
            } else {
                let stmt = next.threads[i].next_stmt().expect("unfinished thread");
                let p = next.engine.start(i, stmt);
                next.progress(i, p);
            }
            moved = true;
            stack.push(next);
        }
        if !moved {
            // Everyone left is waiting: some busy timeout expires first.
            stats.all_waiting += 1;
            for i in 0..n {
                if s.engine.waiting_for(i).is_some() {
                    let mut next = s.clone();
                    let r = next.engine.give_up(i);
                    next.result(i, r);
                    stack.push(next);
                }
            }
        }
    }
    (out, stats)
}

/// Every outcome the engine allows for `w`.
pub fn explore(w: &Workload) -> (BTreeSet<Combo>, Stats) {
    let threads = vec![CounterThread::new(w.begin).closing(w.setup != Setup::Warm); w.threads];
    let (ends, stats) =
        explore_programs(w.mode, w.setup, Workload::data(), threads, w.busy_timeout);
    let combos = ends
        .into_iter()
        .map(|e| Combo::new(e.outcomes, counter(&e.committed)))
        .collect();
    (combos, stats)
}

impl fmt::Display for End {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}]", self.outcomes.join(", "))?;
        for (k, v) in &self.committed {
            write!(f, " {k}: {v};")?;
        }
        Ok(())
    }
}

/// Side-by-side table of the model's outcomes and how often each was seen
/// for real; a real outcome the model lacks is flagged.
pub fn side_by_side<T: Ord + fmt::Display>(
    model: &BTreeSet<T>,
    real: &BTreeMap<T, usize>,
) -> String {
    let mut s = String::new();
    let all: BTreeSet<&T> = model.iter().chain(real.keys()).collect();
    for c in all {
        let m = if model.contains(c) { "model" } else { "-----" };
        let r = real.get(c).copied().unwrap_or(0);
        let flag = if r > 0 && !model.contains(c) {
            "  <-- NOT IN MODEL"
        } else {
            ""
        };
        s.push_str(&format!("    {m} real {r:>4}x  {c}{flag}\n"));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn immediate_with_timeout_always_serialises() {
        let w = Workload {
            mode: JournalMode::Wal,
            begin: Begin::Immediate,
            threads: 3,
            busy_timeout: true,
            setup: Setup::Warm,
        };
        let (set, _) = explore(&w);
        let only = Combo::new(vec!["ok".into(); 3], 3);
        assert_eq!(set.into_iter().collect::<Vec<_>>(), vec![only]);
    }

    #[test]
    fn deferred_never_loses_updates() {
        for mode in [JournalMode::Rollback, JournalMode::Wal] {
            for busy_timeout in [false, true] {
                let w = Workload {
                    mode,
                    begin: Begin::Deferred,
                    threads: 3,
                    busy_timeout,
                    setup: Setup::Warm,
                };
                let (set, _) = explore(&w);
                for c in &set {
                    assert_eq!(c.successes() as i64, c.final_n, "{c}");
                }
            }
        }
    }
}
