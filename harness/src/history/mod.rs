//! A model's history of operations on one object, checked for linearizability.
//!
//! A model marks where each operation is called and where it returns:
//!
//! ```
//! use racecheck::history::History;
//! use racecheck::linearizability::Spec;
//! use racecheck::sync::{Arc, Mutex};
//! use racecheck::{thread, BackendKind, Check, OutcomeKind};
//!
//! /// A counter: `Increment` returns the new value.
//! struct Counter;
//! impl Spec for Counter {
//!     type State = u64;
//!     type Op = &'static str;
//!     type Ret = u64;
//!     fn init(&self) -> u64 { 0 }
//!     fn apply(&self, n: &mut u64, _: &&'static str) -> u64 { *n += 1; *n }
//! }
//!
//! let result = Check::new(|| {
//!     let history = History::new("counter", Counter);
//!     let value = Arc::new(Mutex::named("value", 0u64));
//!     let (h, v) = (history.clone(), value.clone());
//!     let racy_increment = move |h: &History<Counter>, v: &Mutex<u64>| {
//!         h.run("increment", || {
//!             let read = *v.lock().unwrap(); // read, then write: not atomic
//!             *v.lock().unwrap() = read + 1;
//!             read + 1
//!         })
//!     };
//!     let t = thread::spawn(move || racy_increment(&h, &v));
//!     racy_increment(&history, &value);
//!     t.join().unwrap();
//!     history.check();
//! })
//! .backend(BackendKind::Dfs)
//! .run();
//! let failure = result.assert_found(OutcomeKind::NotLinearizable);
//! println!("{}", failure.outcome);
//! assert!(failure.outcome.to_string().contains("increment"));
//! ```
//!
//! Each call and each return is a labelled step of the trace (`counter: call #0 "increment"`,
//! `counter: #0 returned 1`), so it is in the race file and the timeline, and a replay gives
//! the same history. [`History::check`], called at the end of the model (as an `invariant!`
//! would be), fails the execution with [`Outcome::NotLinearizable`] and the minimal history
//! when no sequential order of the operations meets the spec.
//!
//! ## Which precedence
//! An operation precedes another when its return step comes before the other's call step in
//! the trace. That order is a valid real-time order of the execution under every backend:
//! under loom and shuttle one model thread runs at a time and steps are recorded in the order
//! they run; under real threads each step is appended under the execution's lock. Either way an
//! operation's effects all happen after its call step is recorded and before its return step
//! is, so whatever the object did, it did inside those intervals. The virtual clock needs no
//! order of its own: it only moves forward, between steps, so a return at an earlier virtual
//! time than a call is also an earlier step. Specs whose results depend on time take the time
//! the model read in their operation (the times are shown in the table, never searched).

mod label;
pub(crate) mod table;

use crate::linearizability::{self, Operation, Spec, Verdict};
use crate::outcome::Outcome;
use crate::rt::{self, EventKind};
pub use label::HistoryLabel;
use std::sync::{Arc, Mutex, MutexGuard};
pub use table::RecordedOp;

/// Where a call or a return fell: its trace step and virtual time (nanoseconds).
#[derive(Clone, Copy, Debug, Default)]
struct Mark {
    step: usize,
    time: u64,
}

struct Entry<S: Spec> {
    thread: usize,
    op: S::Op,
    ret: Option<S::Ret>,
    called: Mark,
    returned: Option<Mark>,
}

struct Shared<S: Spec> {
    name: String,
    spec: S,
    entries: Mutex<Vec<Entry<S>>>,
}

/// The history of one object's operations in one execution; clones share it.
pub struct History<S: Spec> {
    shared: Arc<Shared<S>>,
}

impl<S: Spec> Clone for History<S> {
    fn clone(&self) -> Self {
        History {
            shared: self.shared.clone(),
        }
    }
}

/// An operation that has been called and has not returned yet: [`Call::ret`] records its
/// result. Dropped without it, the operation stays pending (it may or may not have taken
/// effect), as when its thread stopped inside it.
#[must_use = "an operation's result is recorded by `ret`"]
pub struct Call<S: Spec> {
    history: History<S>,
    index: usize,
}

impl<S: Spec> History<S> {
    /// An empty history of the object `name`, checked against `spec`.
    pub fn new(name: impl Into<String>, spec: S) -> Self {
        History {
            shared: Arc::new(Shared {
                name: name.into(),
                spec,
                entries: Mutex::new(Vec::new()),
            }),
        }
    }

    fn entries(&self) -> MutexGuard<'_, Vec<Entry<S>>> {
        self.shared
            .entries
            .lock()
            .unwrap_or_else(|p| p.into_inner())
    }

    /// Mark the call of `op` on the current thread: one step of the trace.
    pub fn call(&self, op: S::Op) -> Call<S> {
        let me = rt::me();
        let label = {
            let mut entries = self.entries();
            let index = entries.len();
            let label = label::call(&self.shared.name, index, &op);
            entries.push(Entry {
                thread: me,
                op,
                ret: None,
                called: Mark::default(),
                returned: None,
            });
            (index, label)
        };
        let (index, label) = label;
        let called = record(me, label);
        self.entries()[index].called = called;
        Call {
            history: self.clone(),
            index,
        }
    }

    /// Run `body` as the operation `op`: its call before, its result after.
    pub fn run(&self, op: S::Op, body: impl FnOnce() -> S::Ret) -> S::Ret {
        let call = self.call(op);
        let ret = body();
        call.ret(ret.clone());
        ret
    }

    /// How many operations have been called so far.
    pub fn len(&self) -> usize {
        self.entries().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Check the history so far against the spec. Not linearizable: the execution fails with
    /// [`Outcome::NotLinearizable`] and the minimal history, and this thread unwinds. A search
    /// that runs out of its bound ([`linearizability::DEFAULT_BUDGET`] states) claims nothing:
    /// it logs a step saying so and returns.
    pub fn check(&self) {
        let (history, marks) = self.snapshot();
        let verdict =
            linearizability::check(&self.shared.spec, &history, linearizability::DEFAULT_BUDGET);
        match verdict {
            Verdict::Linearizable => {}
            Verdict::Undecided { states } => {
                let label = format!(
                    "{}: linearizability undecided after {states} search states",
                    self.shared.name
                );
                record(rt::me(), label);
            }
            Verdict::NotLinearizable { minimal } => {
                let exec = rt::current().expect("inside a check");
                let operations = minimal
                    .iter()
                    .map(|&i| {
                        let o = &history[i];
                        let (called, returned) = marks[i];
                        RecordedOp {
                            thread: exec.thread_name(o.thread),
                            op: format!("{:?}", o.op),
                            result: o.ret.as_ref().map(|r| format!("{r:?}")),
                            called_step: called.step,
                            called_at: called.time,
                            returned_step: returned.map(|m| m.step),
                            returned_at: returned.map(|m| m.time),
                        }
                    })
                    .collect();
                exec.fail(Outcome::NotLinearizable {
                    object: self.shared.name.clone(),
                    operations: history.len(),
                    minimal: operations,
                });
                exec.abort_unwind();
            }
        }
    }

    /// The history as the checker takes it, with each operation's marks.
    #[allow(clippy::type_complexity)]
    fn snapshot(&self) -> (Vec<Operation<S::Op, S::Ret>>, Vec<(Mark, Option<Mark>)>) {
        let entries = self.entries();
        entries
            .iter()
            .map(|e| {
                let op = match (&e.ret, e.returned) {
                    (Some(ret), Some(r)) => Operation {
                        thread: e.thread,
                        op: e.op.clone(),
                        ret: Some(ret.clone()),
                        called: e.called.step as u64,
                        returned: r.step as u64,
                    },
                    _ => Operation::pending(e.thread, e.op.clone(), e.called.step as u64),
                };
                (op, (e.called, e.returned))
            })
            .unzip()
    }
}

impl<S: Spec> Call<S> {
    /// Mark the return of the operation with `ret`: one step of the trace.
    pub fn ret(self, ret: S::Ret) {
        let shared = &self.history.shared;
        let label = label::ret(&shared.name, self.index, &ret);
        let returned = record(rt::me(), label);
        let mut entries = self.history.entries();
        entries[self.index].ret = Some(ret);
        entries[self.index].returned = Some(returned);
    }
}

/// Record a labelled step of thread `me` and say where it fell.
fn record(me: usize, label: String) -> Mark {
    let (step, time) = rt::with(|exec| exec.record_indexed(me, EventKind::Label(label.into())));
    Mark { step, time }
}
