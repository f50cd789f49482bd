//! Forced-order runner: one statement order, executed on the model and on
//! real SQLite (one real thread per connection) in lock-step.
//!
//! The driver sends each step to its connection's thread and waits for the
//! outcome before it sends the next one. A step that the model says waits
//! (busy handler) is *not* waited for: the driver goes on with the next steps
//! of the order, and when the model says the lock it waits for has become
//! available the waiter is resumed and its final result collected. No sleeps
//! are used for ordering.
//!
//! How a waiting real statement is observed depends on [`Wait`]:
//! * [`Wait::Gated`]: a custom busy handler reports each call to the driver
//!   and blocks until the driver answers "try again" or "give up". The
//!   driver answers "try again" when the model says the lock is free and
//!   "give up" where the model's busy timeout expires (an [`Item::Expire`],
//!   the end of the order, or every remaining step waiting). This checks
//!   exactly *whether SQLite invokes the busy handler*, and how often, with
//!   no timing at all. It stands for a busy timeout: SQLite's
//!   `sqlite3_busy_timeout` is such a handler that retries after sleeps and
//!   gives up once the time is spent.
//! * [`Wait::Real`]: SQLite's own `sqlite3_busy_timeout`. The driver cannot
//!   see the handler being called, so only final results are compared; a
//!   give-up costs the real timeout. Use it for rows whose results do not
//!   depend on how far a waiter got before the next step ran.
//! * [`Wait::Zero`]: no busy handler; every wait is an immediate BUSY.

use std::collections::HashSet;
use std::fmt::Write as _;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::time::Duration;

use super::real::{scratch_parent, BusyPolicy, RealConn, RealDb, Setup};
use racecheck_models::sqlite::engine::{
    Begin, ConnId, Engine, JournalMode, StepResult, Stmt, Table,
};

/// Longest the driver waits for a real thread before declaring it hung.
const SAFETY: Duration = Duration::from_secs(20);

/// Busy handling used by every connection of a row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wait {
    /// busy timeout 0.
    Zero,
    /// A busy timeout whose retries and expiry the driver controls.
    Gated,
    /// `sqlite3_busy_timeout(ms)`.
    Real(Duration),
}

/// What a connection does after a statement fails.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnError {
    /// Carry on with its next steps.
    Continue,
    /// `ROLLBACK` at once if a transaction is open, and drop its remaining
    /// steps (the seed's `except: rollback; raise`).
    Abort,
}

/// One element of a statement order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Item {
    /// Connection issues a statement.
    Do(ConnId, Stmt),
    /// The busy timeout of this connection's waiting statement expires now
    /// (no effect if it is not waiting).
    Expire(ConnId),
}

/// A conformance row.
#[derive(Clone, Debug)]
pub struct Row {
    pub name: String,
    pub mode: JournalMode,
    pub wait: Wait,
    /// How the connections start (warm, or cold beside an open or a closed set-up
    /// connection).
    pub setup: Setup,
    pub conns: usize,
    pub on_error: OnError,
    pub data: Table,
    pub order: Vec<Item>,
}

/// What happened to one issued statement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    pub conn: ConnId,
    pub stmt: Stmt,
    /// Number of busy-handler calls (`None`: not observable, [`Wait::Real`]).
    pub waits: Option<u32>,
    /// Final result (`None`: never finished, which is itself a mismatch).
    pub result: Option<StepResult>,
    /// Transaction open after the statement.
    pub in_txn: Option<bool>,
}

impl Record {
    fn new(conn: ConnId, stmt: Stmt, observable: bool) -> Self {
        Record {
            conn,
            stmt,
            waits: observable.then_some(0),
            result: None,
            in_txn: None,
        }
    }
}

/// Both sides of one row.
#[derive(Clone, Debug)]
pub struct RowReport {
    pub model: Vec<Record>,
    pub real: Vec<Record>,
    pub model_final: Table,
    pub real_final: Table,
    pub notes: Vec<String>,
}

impl RowReport {
    /// True when every step and the final table agree.
    pub fn agrees(&self) -> bool {
        self.notes.is_empty()
            && self.model_final == self.real_final
            && self.model.len() == self.real.len()
            && self
                .model
                .iter()
                .zip(&self.real)
                .all(|(m, r)| same_step(m, r))
    }

    /// Side-by-side table of the row.
    pub fn render(&self, row: &Row) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "row {:?}: mode {:?}, {:?} connections, busy {:?}, on error {:?}",
            row.name, row.mode, row.setup, row.wait, row.on_error
        );
        let _ = writeln!(s, "order: {}", order_text(&row.order));
        let _ = writeln!(
            s,
            "  {:<3} {:<28} | {:<28} | {:<28}",
            "#", "statement", "model", "real"
        );
        let n = self.model.len().max(self.real.len());
        for i in 0..n {
            let m = self.model.get(i);
            let r = self.real.get(i);
            let stmt = m
                .or(r)
                .map(|x| format!("{} {}", conn_name(x.conn), stmt_text(&x.stmt)))
                .unwrap_or_default();
            let flag = match (m, r) {
                (Some(m), Some(r)) if same_step(m, r) => " ",
                _ => "*",
            };
            let _ = writeln!(
                s,
                "{flag} {:<3} {:<28} | {:<28} | {:<28}",
                i,
                stmt,
                m.map(outcome_text).unwrap_or_default(),
                r.map(outcome_text).unwrap_or_default()
            );
        }
        let _ = writeln!(
            s,
            "  final table: model {:?} | real {:?}",
            self.model_final, self.real_final
        );
        for n in &self.notes {
            let _ = writeln!(s, "  note: {n}");
        }
        s
    }

    /// Compact one-line results, e.g. `A:ok B:wait>ok ...`.
    pub fn compact(records: &[Record]) -> String {
        records
            .iter()
            .map(|r| format!("{}:{}", conn_name(r.conn), short_outcome(r)))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

fn same_step(m: &Record, r: &Record) -> bool {
    let waits_agree = match (m.waits, r.waits) {
        (Some(a), Some(b)) => a == b,
        _ => true,
    };
    m.conn == r.conn
        && m.stmt == r.stmt
        && m.result == r.result
        && m.in_txn == r.in_txn
        && waits_agree
}

pub fn conn_name(c: ConnId) -> char {
    (b'A' + c as u8) as char
}

pub fn stmt_text(s: &Stmt) -> String {
    match s {
        Stmt::Begin(Begin::Deferred) => "BEGIN".into(),
        Stmt::Begin(Begin::Immediate) => "BEGIN IMMEDIATE".into(),
        Stmt::Begin(Begin::Exclusive) => "BEGIN EXCLUSIVE".into(),
        Stmt::Read(k) => format!("SELECT {k}"),
        Stmt::Write(k, v) => format!("UPDATE {k}={v}"),
        Stmt::Commit => "COMMIT".into(),
        Stmt::Rollback => "ROLLBACK".into(),
        Stmt::Close => "CLOSE".into(),
    }
}

pub fn result_text(r: &StepResult) -> String {
    match r {
        StepResult::Ok => "ok".into(),
        StepResult::Value(Some(v)) => format!("ok({v})"),
        StepResult::Value(None) => "ok(none)".into(),
        StepResult::Busy => "BUSY".into(),
        StepResult::BusySnapshot => "BUSY_SNAPSHOT".into(),
        StepResult::BusyRecovery => "BUSY_RECOVERY".into(),
        StepResult::Error(c) => format!("ERROR({c})"),
        StepResult::WouldWait => "WOULD_WAIT".into(),
    }
}

fn short_outcome(r: &Record) -> String {
    let res = r.result.as_ref().map(result_text).unwrap_or("?".into());
    match r.waits {
        Some(0) => res,
        Some(n) => format!(
            "wait{}>{res}",
            if n > 1 { n.to_string() } else { "".into() }
        ),
        None => format!("~>{res}"),
    }
}

fn outcome_text(r: &Record) -> String {
    let txn = match r.in_txn {
        Some(true) => " [txn]",
        Some(false) => "",
        None => " [?]",
    };
    format!("{}{txn}", short_outcome(r))
}

pub fn order_text(order: &[Item]) -> String {
    order
        .iter()
        .map(|i| match i {
            Item::Do(c, s) => format!("{} {}", conn_name(*c), stmt_text(s)),
            Item::Expire(c) => format!("{} <timeout>", conn_name(*c)),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

enum Event {
    Waiting,
    Done(StepResult, bool),
}

/// What the real side did in answer to a driver action.
enum Obs {
    Waiting,
    Done,
    /// Not collected now ([`Wait::Real`] waiter).
    Deferred,
    /// Nothing to do (the real connection was not in the expected state).
    Skipped,
}

struct RealSide {
    wait: Wait,
    cmd: Vec<Option<Sender<Stmt>>>,
    evt: Vec<Receiver<Event>>,
    gate: Vec<Option<Sender<bool>>>,
    /// Gated: the real statement is inside the busy handler.
    waiting: Vec<bool>,
    /// Real(d): a result is still to be collected.
    outstanding: Vec<bool>,
    /// Record index of each connection's unfinished statement.
    open: Vec<Option<usize>>,
    records: Vec<Record>,
    notes: Vec<String>,
}

impl RealSide {
    fn recv(&mut self, c: ConnId) -> Event {
        match self.evt[c].recv_timeout(SAFETY) {
            Ok(e) => e,
            Err(RecvTimeoutError::Timeout) => {
                self.notes
                    .push(format!("real {} hung for {SAFETY:?}", conn_name(c)));
                Event::Done(StepResult::Error(-2), false)
            }
            Err(RecvTimeoutError::Disconnected) => {
                self.notes
                    .push(format!("real {} thread is gone", conn_name(c)));
                Event::Done(StepResult::Error(-3), false)
            }
        }
    }

    /// Apply an event to the open record of `c`.
    fn absorb(&mut self, c: ConnId, e: Event) -> Obs {
        let Some(i) = self.open[c] else {
            return Obs::Skipped;
        };
        match e {
            Event::Waiting => {
                self.waiting[c] = true;
                if let Some(w) = self.records[i].waits.as_mut() {
                    *w += 1;
                }
                Obs::Waiting
            }
            Event::Done(r, t) => {
                self.waiting[c] = false;
                self.outstanding[c] = false;
                self.records[i].result = Some(r);
                self.records[i].in_txn = Some(t);
                self.open[c] = None;
                Obs::Done
            }
        }
    }

    /// Finish whatever `c` still has going before it gets a new statement.
    fn settle(&mut self, c: ConnId) {
        if self.waiting[c] {
            self.notes.push(format!(
                "real {} was still waiting when the model had it finished; gave up",
                conn_name(c)
            ));
            self.give_up(c);
        }
        if self.outstanding[c] {
            let e = self.recv(c);
            self.absorb(c, e);
        }
    }

    fn start(&mut self, c: ConnId, stmt: &Stmt, model_blocked: bool) -> Obs {
        self.settle(c);
        self.records.push(Record::new(
            c,
            stmt.clone(),
            !matches!(self.wait, Wait::Real(_)),
        ));
        self.open[c] = Some(self.records.len() - 1);
        if let Some(tx) = &self.cmd[c] {
            let _ = tx.send(stmt.clone());
        }
        if matches!(self.wait, Wait::Real(_)) && model_blocked {
            self.outstanding[c] = true;
            return Obs::Deferred;
        }
        let e = self.recv(c);
        self.absorb(c, e)
    }

    fn retry(&mut self, c: ConnId, model_final: bool) -> Obs {
        match self.wait {
            Wait::Zero => Obs::Skipped,
            Wait::Gated => self.answer_gate(c, true),
            Wait::Real(_) => {
                if !model_final || !self.outstanding[c] {
                    return Obs::Deferred;
                }
                let e = self.recv(c);
                self.absorb(c, e)
            }
        }
    }

    /// Tell a connection waiting in the gated busy handler to retry (`true`) or give up, and
    /// collect what its statement then returned.
    fn answer_gate(&mut self, c: ConnId, retry: bool) -> Obs {
        if !self.waiting[c] {
            return Obs::Skipped;
        }
        self.waiting[c] = false;
        if let Some(g) = &self.gate[c] {
            let _ = g.send(retry);
        }
        let e = self.recv(c);
        self.absorb(c, e)
    }

    fn give_up(&mut self, c: ConnId) -> Obs {
        match self.wait {
            Wait::Zero => Obs::Skipped,
            Wait::Gated => self.answer_gate(c, false),
            Wait::Real(_) => {
                if !self.outstanding[c] {
                    return Obs::Skipped;
                }
                let e = self.recv(c);
                self.absorb(c, e)
            }
        }
    }
}

struct ModelSide {
    engine: Engine,
    wait: Wait,
    open: Vec<Option<usize>>,
    records: Vec<Record>,
}

impl ModelSide {
    fn close(&mut self, c: ConnId, r: StepResult) {
        let i = self.open[c].take().expect("open model record");
        self.records[i].result = Some(r);
        self.records[i].in_txn = Some(self.engine.in_txn(c));
    }

    fn count_wait(&mut self, c: ConnId) {
        let i = self.open[c].expect("open model record");
        if let Some(w) = self.records[i].waits.as_mut() {
            *w += 1;
        }
    }
}

/// Run one row on the model and on real SQLite.
pub fn run_row(row: &Row) -> RowReport {
    let db = RealDb::create_with(&scratch_parent(), row.mode, &row.data, row.setup)
        .expect("create database");
    let mut cmd = Vec::new();
    let mut evt = Vec::new();
    let mut gate = Vec::new();
    let mut conns: Vec<RealConn> = Vec::new();
    let mut evt_senders = Vec::new();
    for _ in 0..row.conns {
        let (etx, erx) = mpsc::channel::<Event>();
        let policy = match row.wait {
            Wait::Zero => {
                gate.push(None);
                BusyPolicy::NoWait
            }
            Wait::Real(d) => {
                gate.push(None);
                BusyPolicy::Timeout(d)
            }
            Wait::Gated => {
                let (gtx, grx) = mpsc::channel::<bool>();
                gate.push(Some(gtx));
                let etx = etx.clone();
                BusyPolicy::Handler(Box::new(move |_count| {
                    if etx.send(Event::Waiting).is_err() {
                        return false;
                    }
                    grx.recv_timeout(SAFETY).unwrap_or(false)
                }))
            }
        };
        conns.push(db.connect_as(row.setup, policy).expect("connect"));
        evt.push(erx);
        evt_senders.push(etx);
    }

    let report = std::thread::scope(|scope| {
        for (mut conn, etx) in conns.into_iter().zip(evt_senders) {
            let (ctx, crx) = mpsc::channel::<Stmt>();
            cmd.push(Some(ctx));
            scope.spawn(move || {
                for stmt in crx {
                    let r = conn.step(&stmt);
                    if etx.send(Event::Done(r, conn.in_txn())).is_err() {
                        break;
                    }
                }
            });
        }
        let mut real = RealSide {
            wait: row.wait,
            cmd,
            evt,
            gate,
            waiting: vec![false; row.conns],
            outstanding: vec![false; row.conns],
            open: vec![None; row.conns],
            records: Vec::new(),
            notes: Vec::new(),
        };
        let mut model = ModelSide {
            engine: row.setup.engine(row.mode, row.conns, row.data.clone()),
            wait: row.wait,
            open: vec![None; row.conns],
            records: Vec::new(),
        };
        drive(row, &mut model, &mut real);
        for c in 0..row.conns {
            real.settle(c);
        }
        // Let the threads finish: closing the command and gate channels ends
        // their loops and fails any busy handler still waiting.
        for c in 0..row.conns {
            real.cmd[c] = None;
            real.gate[c] = None;
        }
        let real_final = db.committed().unwrap_or_default();
        RowReport {
            model_final: model.engine.committed().clone(),
            real_final,
            model: model.records,
            real: real.records,
            notes: real.notes,
        }
    });
    drop(db);
    report
}

/// The scheduler: decisions come from the model; the real side follows.
fn drive(row: &Row, model: &mut ModelSide, real: &mut RealSide) {
    let mut pending: Vec<Item> = row.order.clone();
    // Waiting connections, longest-waiting first.
    let mut waiters: Vec<ConnId> = Vec::new();
    let mut aborted: HashSet<ConnId> = HashSet::new();

    // Handle a final model result of `c` (abort policy).
    let after_final = |c: ConnId,
                       r: &StepResult,
                       model: &mut ModelSide,
                       real: &mut RealSide,
                       pending: &mut Vec<Item>,
                       aborted: &mut HashSet<ConnId>| {
        if row.on_error == OnError::Abort && r.is_failure() && aborted.insert(c) {
            pending.retain(|i| !matches!(i, Item::Do(x, _) if *x == c));
            if model.engine.in_txn(c) {
                let rb = Stmt::Rollback;
                model.records.push(Record::new(c, rb.clone(), true));
                model.open[c] = Some(model.records.len() - 1);
                let res = model.engine.step(c, rb.clone());
                model.close(c, res);
                real.start(c, &rb, false);
            }
        }
    };

    loop {
        // 1. Resume the longest waiter whose lock became available.
        if let Some(pos) = waiters.iter().position(|&w| model.engine.can_proceed(w)) {
            let c = waiters[pos];
            let r = model.engine.retry(c);
            if r == StepResult::WouldWait {
                model.count_wait(c);
                real.retry(c, false);
                continue;
            }
            waiters.remove(pos);
            model.close(c, r.clone());
            real.retry(c, true);
            after_final(c, &r, model, real, &mut pending, &mut aborted);
            continue;
        }
        // 2. The first item of the order that can run.
        let next = pending.iter().position(|i| match i {
            Item::Do(c, _) => !waiters.contains(c),
            Item::Expire(_) => true,
        });
        if let Some(i) = next {
            match pending.remove(i) {
                Item::Expire(c) => {
                    if let Some(pos) = waiters.iter().position(|&w| w == c) {
                        waiters.remove(pos);
                        let r = model.engine.give_up(c);
                        model.close(c, r.clone());
                        real.give_up(c);
                        after_final(c, &r, model, real, &mut pending, &mut aborted);
                    }
                }
                Item::Do(c, stmt) => {
                    model.records.push(Record::new(c, stmt.clone(), true));
                    model.open[c] = Some(model.records.len() - 1);
                    let r = model.engine.step(c, stmt.clone());
                    if r == StepResult::WouldWait {
                        if model.wait == Wait::Zero {
                            let r = model.engine.give_up(c);
                            model.close(c, r.clone());
                            real.start(c, &stmt, false);
                            after_final(c, &r, model, real, &mut pending, &mut aborted);
                        } else {
                            model.count_wait(c);
                            waiters.push(c);
                            real.start(c, &stmt, true);
                        }
                    } else {
                        model.close(c, r.clone());
                        real.start(c, &stmt, false);
                        after_final(c, &r, model, real, &mut pending, &mut aborted);
                    }
                }
            }
            continue;
        }
        // 3. Nothing can run: the longest waiter's busy timeout expires.
        if let Some(c) = waiters.first().copied() {
            waiters.remove(0);
            let r = model.engine.give_up(c);
            model.close(c, r.clone());
            real.give_up(c);
            after_final(c, &r, model, real, &mut pending, &mut aborted);
            continue;
        }
        break;
    }
}
