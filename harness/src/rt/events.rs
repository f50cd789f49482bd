//! The trace's data: one [`Event`] per facade operation, and the [`Trace`] of a finished
//! execution with the names its events refer to. Pure data: it knows nothing of how events are
//! recorded.

use std::borrow::Cow;

/// One step of an execution. Objects and threads are indices into the trace's name tables.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Event {
    pub thread: usize,
    pub kind: EventKind,
    /// The virtual time of the step, in nanoseconds (0 under real threads).
    pub time: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum EventKind {
    Spawn {
        child: usize,
    },
    Exit,
    Join {
        target: usize,
    },
    Joined {
        target: usize,
    },
    Lock {
        object: usize,
    },
    Acquired {
        object: usize,
    },
    Release {
        object: usize,
    },
    /// A `try_lock` that found the mutex held (one that took it records `Acquired`).
    TryLockFailed {
        object: usize,
    },
    /// A condvar wait, which releases `mutex` until woken.
    Wait {
        condvar: usize,
        mutex: usize,
    },
    Woken {
        condvar: usize,
        mutex: usize,
        timed_out: bool,
    },
    Notify {
        condvar: usize,
        all: bool,
    },
    Atomic {
        object: usize,
        op: &'static str,
        value: i128,
    },
    Yield,
    /// `time::sleep(duration)`, in nanoseconds.
    Sleep {
        duration: u64,
    },
    Woke,
    /// `thread::park`, or `park_timeout` with its timeout in nanoseconds.
    Park {
        timeout: Option<u64>,
    },
    Unpark {
        target: usize,
    },
    /// A park ended: by an unpark (or its token), or by the timeout.
    Unparked {
        timed_out: bool,
    },
    Label(Cow<'static, str>),
    /// A choice the model left open (see `rt::choice`). Boxed: the largest variant by far,
    /// and rare, it would set the size every event is pushed and moved at.
    Choice(Box<ChoiceStep>),
    /// What a lock the model implements itself did (`trace::asks`, `trace::holds`, …).
    ModelLock {
        lock: Cow<'static, str>,
        op: ModelLockOp,
    },
    /// `trace::mark_suspect`: the thread's previous step is what broke an invariant checked
    /// later.
    Suspect(Cow<'static, str>),
}

/// A choice step: option `index` of `of`, shown as the model's value reads.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct ChoiceStep {
    pub label: Cow<'static, str>,
    pub shown: String,
    pub index: usize,
    pub of: usize,
}

/// A step of a model-level lock, as the model names it (see [`crate::trace::holds`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum ModelLockOp {
    /// The thread starts trying to take it: a wait until `Holds`.
    Asks,
    /// The thread has it; a lease until a virtual time (nanoseconds), or until let go.
    Holds { until: Option<u64> },
    /// A lease's holder (or its heartbeat) moved the lease's end to a virtual time.
    Renews { until: u64 },
    /// The thread gave it back.
    LetsGo,
}

/// The trace of one finished execution, with the names it refers to.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Trace {
    pub(crate) threads: Vec<String>,
    pub(crate) objects: Vec<String>,
    pub(crate) events: Vec<Event>,
}

impl Trace {
    /// How many steps (events) the execution took.
    pub fn len(&self) -> usize {
        self.events.len()
    }

    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// The thread index of every step: the schedule that replay follows.
    pub fn schedule(&self) -> Vec<usize> {
        self.events.iter().map(|e| e.thread).collect()
    }

    /// The value of every choice the execution made (see `rt::choice`), by thread and rank:
    /// what a replay of this trace must choose again.
    pub(crate) fn choices(&self) -> super::choice::ChoiceMap {
        let mut made = vec![0; self.threads.len()];
        let mut map = super::choice::ChoiceMap::new();
        for e in &self.events {
            if let EventKind::Choice(ref c) = e.kind {
                let index = c.index;
                if made.len() <= e.thread {
                    made.resize(e.thread + 1, 0);
                }
                map.insert((e.thread, made[e.thread]), index);
                made[e.thread] += 1;
            }
        }
        map
    }

    /// How often the running thread changes from one step to the next.
    pub fn context_switches(&self) -> usize {
        self.events
            .windows(2)
            .filter(|w| w[0].thread != w[1].thread)
            .count()
    }

    /// The context switches that took the processor from a thread that could have gone on: not
    /// after it blocked on a held mutex, waited, slept, joined a live thread, yielded or exited.
    /// The fewer a failing schedule has, the easier it is to follow.
    pub fn preemptions(&self) -> usize {
        let mut holder: Vec<Option<usize>> = vec![None; self.objects.len()];
        let mut exited = vec![false; self.threads.len()];
        let mut count = 0;
        for (i, e) in self.events.iter().enumerate() {
            let switched = self.events.get(i + 1).is_some_and(|n| n.thread != e.thread);
            let could_go_on = match &e.kind {
                EventKind::Lock { object } => holder[*object].is_none_or(|h| h == e.thread),
                EventKind::Join { target } => exited[*target],
                EventKind::Wait { .. }
                | EventKind::Sleep { .. }
                | EventKind::Park { .. }
                | EventKind::Yield
                | EventKind::Exit => false,
                _ => true,
            };
            if switched && could_go_on {
                count += 1;
            }
            match &e.kind {
                EventKind::Acquired { object } | EventKind::Woken { mutex: object, .. } => {
                    holder[*object] = Some(e.thread)
                }
                EventKind::Release { object } | EventKind::Wait { mutex: object, .. } => {
                    holder[*object] = None
                }
                EventKind::Exit => exited[e.thread] = true,
                _ => {}
            }
        }
        count
    }

    /// Thread names, by index (0 is `main`).
    pub fn thread_names(&self) -> &[String] {
        &self.threads
    }

    /// The name of the thread that took step `i`.
    pub fn thread_of(&self, i: usize) -> &str {
        &self.threads[self.events[i].thread]
    }

    /// Step `i` as a line a person reads: `"heartbeat: lock LockManager._lock"`.
    ///
    /// Once the virtual clock has moved, the line ends with the time: `"... @ 30s"`.
    pub fn line(&self, i: usize) -> String {
        let e = &self.events[i];
        let what = self.describe(&e.kind);
        match e.time {
            0 => format!("{}: {what}", self.threads[e.thread]),
            t => format!("{}: {what} @ {}", self.threads[e.thread], format_nanos(t)),
        }
    }

    /// The virtual time of step `i`.
    pub fn time_of(&self, i: usize) -> std::time::Duration {
        std::time::Duration::from_nanos(self.events[i].time)
    }

    /// Every step as a line.
    pub fn lines(&self) -> Vec<String> {
        (0..self.events.len()).map(|i| self.line(i)).collect()
    }

    fn describe(&self, kind: &EventKind) -> String {
        let obj = |i: &usize| self.objects[*i].as_str();
        let thread = |i: &usize| self.threads[*i].as_str();
        match kind {
            EventKind::Spawn { child } => format!("spawn {}", thread(child)),
            EventKind::Exit => "exit".to_string(),
            EventKind::Join { target } => format!("join {}", thread(target)),
            EventKind::Joined { target } => format!("joined {}", thread(target)),
            EventKind::Lock { object } => format!("lock {}", obj(object)),
            EventKind::Acquired { object } => format!("acquired {}", obj(object)),
            EventKind::Release { object } => format!("release {}", obj(object)),
            EventKind::TryLockFailed { object } => format!("try_lock {}: held", obj(object)),
            EventKind::Wait { condvar, .. } => format!("wait {}", obj(condvar)),
            EventKind::Woken {
                condvar,
                timed_out: false,
                ..
            } => format!("woken {}", obj(condvar)),
            EventKind::Woken {
                condvar,
                timed_out: true,
                ..
            } => format!("timed out on {}", obj(condvar)),
            EventKind::Notify { condvar, all } => {
                format!(
                    "notify_{} {}",
                    if *all { "all" } else { "one" },
                    obj(condvar)
                )
            }
            EventKind::Atomic { object, op, value } => {
                format!("{op} {} -> {value}", obj(object))
            }
            EventKind::Yield => "yield".to_string(),
            EventKind::Sleep { duration } => format!("sleep {}", format_nanos(*duration)),
            EventKind::Woke => "woke".to_string(),
            EventKind::Park { timeout: None } => "park".to_string(),
            EventKind::Park { timeout: Some(t) } => format!("park_timeout {}", format_nanos(*t)),
            EventKind::Unpark { target } => format!("unpark {}", thread(target)),
            EventKind::Unparked { timed_out: false } => "unparked".to_string(),
            EventKind::Unparked { timed_out: true } => "park timed out".to_string(),
            EventKind::Label(label) => format!("\"{label}\""),
            EventKind::Choice(c) => {
                let ChoiceStep {
                    label,
                    shown,
                    index,
                    of,
                } = &**c;
                format!("{label}: {shown} (choice {} of {of})", index + 1)
            }
            EventKind::ModelLock { lock, op } => match op {
                ModelLockOp::Asks => format!("asks for {lock}"),
                ModelLockOp::Holds { until: None } => format!("holds {lock}"),
                ModelLockOp::Holds { until: Some(t) } => {
                    format!("holds {lock} until {}", format_nanos(*t))
                }
                ModelLockOp::Renews { until } => {
                    format!("renews {lock} until {}", format_nanos(*until))
                }
                ModelLockOp::LetsGo => format!("lets go of {lock}"),
            },
            EventKind::Suspect(reason) => format!("suspect: {reason}"),
        }
    }
}

/// A virtual time as a person reads it: `30s`, `1.5s`, `250ms`, `12us`, `7ns`.
pub(crate) fn format_nanos(t: u64) -> String {
    const S: u64 = 1_000_000_000;
    if t % S == 0 {
        format!("{}s", t / S)
    } else if t % 1_000_000 == 0 && t < S {
        format!("{}ms", t / 1_000_000)
    } else if t % 1_000_000 == 0 {
        format!("{}s", t as f64 / S as f64)
    } else if t % 1_000 == 0 {
        format!("{}us", t / 1_000)
    } else {
        format!("{t}ns")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every facade operation pushes an event and every trace moves them: they stay small
    /// (a `Choice` is boxed for it).
    #[test]
    fn an_event_fits_in_a_cache_line() {
        assert!(
            std::mem::size_of::<Event>() <= 64,
            "{} bytes",
            std::mem::size_of::<Event>()
        );
    }
}
