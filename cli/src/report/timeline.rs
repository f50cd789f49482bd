//! A race as a timeline: one lane per thread, its steps in order with their virtual times,
//! who held and who waited for each lock (the facade's, and the model's own: see [`holds`]),
//! and where the execution failed: the step a model marked as the culprit of an invariant
//! (`trace::mark_suspect`), else the failing thread's last step.
//!
//! A new kind of step needs a [`StepKind`], a line in [`classify`], and, if it is not drawn as
//! text in its lane, a case where the page draws it (`html.rs`); the time axis places every
//! step by its time alone.
//!
//! Built from a [`RaceFile`] alone (its threads, schedule and step lines), so a report can be
//! drawn for any race file, even one whose model has changed since.

use super::history::{self, HistoryOp};
use super::holds::{self, Hold};
use racecheck::outcome::Outcome;
use racecheck::race::RaceFile;

/// What one step did, as far as a timeline draws it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StepKind {
    /// A line the model logged (`trace::event`).
    Label(String),
    /// Asked for a lock; it may wait until `Acquired`.
    Lock(String),
    Acquired(String),
    Release(String),
    /// Waits on a condvar, releasing its mutex.
    Wait(String),
    /// Woken from a condvar (or timed out on it).
    Woken(String),
    Spawn(String),
    Join(String),
    Exit,
    Sleep(String),
    /// A lock the model implements itself: it starts trying to take it (`trace::asks`).
    Asks(String),
    /// It holds it, as a lease until a time (`30s`) or until it lets go.
    Holds {
        lock: String,
        until: Option<String>,
    },
    /// The lease's end moved (a heartbeat).
    Renews {
        lock: String,
        until: String,
    },
    LetsGo(String),
    /// The lane's previous step broke an invariant checked later, for this reason.
    Suspect(String),
    /// Anything else: an atomic, a notify, a yield.
    Other(String),
}

impl StepKind {
    /// The facade object the step is on, if any: a mutex, a condvar, a notified condvar.
    pub fn object(&self) -> Option<&str> {
        match self {
            StepKind::Lock(o)
            | StepKind::Acquired(o)
            | StepKind::Release(o)
            | StepKind::Wait(o)
            | StepKind::Woken(o) => Some(o),
            StepKind::Other(t) => t
                .strip_prefix("notify_one ")
                .or_else(|| t.strip_prefix("notify_all "))
                .or_else(|| {
                    t.strip_prefix("try_lock ")
                        .map(|o| o.trim_end_matches(": held"))
                }),
            _ => None,
        }
    }
}

/// One step of the race.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    /// 0-based index in the race's schedule.
    pub index: usize,
    /// Lane (thread index).
    pub lane: usize,
    /// The step as the race file says it, without thread and time.
    pub text: String,
    /// Virtual time as written (`30s`), when the clock had moved.
    pub time: Option<String>,
    /// The same time in nanoseconds (0 before the clock moved).
    pub at: u64,
    pub kind: StepKind,
    /// The lock this step asked for was held by another thread: it had to wait.
    pub blocked: bool,
    /// The step where the failure shows: the culprit the model marked (a stale write), else
    /// the failing thread's last step, or a deadlocked thread's blocking step.
    pub failed: bool,
    /// Why the model marked this step as the culprit of an invariant (`trace::mark_suspect`).
    pub culprit: Option<String>,
    /// The failing check, when a culprit broke it: the culprit's step index.
    pub caused_by: Option<usize>,
    /// Bookkeeping no reader needs by default: the mutex and condvar inside a model-level
    /// lock, the async runtime's queue and idle waits, a suspect mark (drawn on its culprit).
    pub internal: bool,
}

/// A span of steps during which a lane held or waited for a lock.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Span {
    pub lane: usize,
    pub object: String,
    /// First and last step index (inclusive) of the span.
    pub from: usize,
    pub to: usize,
    pub holding: bool,
}

/// A race drawn as lanes.
#[derive(Clone, Debug)]
pub struct Timeline {
    pub title: String,
    pub lanes: Vec<String>,
    pub steps: Vec<Step>,
    pub spans: Vec<Span>,
    /// Holds of the model's own locks and leases, from grant to let-go or expiry.
    pub holds: Vec<Hold>,
    /// The operations of a model's history (`racecheck::history`), if it recorded one.
    pub operations: Vec<HistoryOp>,
    /// The virtual clock moved: the page lays the lanes out against time.
    pub clock_moves: bool,
    /// What the execution ended in, as a sentence.
    pub outcome: String,
    /// The command that replays it.
    pub replay: String,
}

impl Timeline {
    /// The timeline of `race`, stored at `path` (for the replay command).
    pub fn of(race: &RaceFile, path: &str) -> Timeline {
        let schedule = race.schedule_steps();
        let mut steps: Vec<Step> = schedule
            .iter()
            .zip(&race.events)
            .enumerate()
            .map(|(index, (&lane, line))| {
                let name = race.threads.get(lane).map(String::as_str).unwrap_or("?");
                let (text, time) = split_line(line, name);
                Step {
                    index,
                    lane,
                    kind: classify(&text),
                    text,
                    at: time.as_deref().and_then(nanos).unwrap_or(0),
                    time,
                    blocked: false,
                    failed: false,
                    culprit: None,
                    caused_by: None,
                    internal: false,
                }
            })
            .collect();
        let lanes = task_lanes(&mut steps, &race.threads);
        let insides = holds::Insides::of(&steps);
        insides.mark(&mut steps);
        let mut spans = lock_spans(&mut steps, lanes.len());
        spans.retain(|s| !insides.contains(&s.object));
        let (holds, waits) = holds::holds(&mut steps, &lanes);
        spans.extend(waits);
        spans.sort_by_key(|s| (s.from, s.lane));
        let culprit = holds::mark_culprits(&mut steps);
        mark_failure(&mut steps, race, &lanes, culprit);
        Timeline {
            operations: history::operations(&steps, &race.outcome),
            title: format!("{} / {} [{}]", race.scenario, race.variant, race.backend),
            clock_moves: steps.iter().any(|s| s.at > 0),
            lanes,
            steps,
            spans,
            holds,
            outcome: race.outcome.to_string(),
            replay: format!("racecheck replay {path}"),
        }
    }

    /// The last step that shows the failure, if any.
    pub fn failed_step(&self) -> Option<&Step> {
        self.steps.iter().rev().find(|s| s.failed)
    }

    /// The outcome in parts a person reads one a line: each deadlocked thread on its own, each
    /// row of a table (a not-linearizable history) on its own.
    pub fn outcome_lines(&self) -> Vec<&str> {
        match self.outcome.strip_prefix("deadlock: ") {
            Some(rest) => std::iter::once("deadlock:")
                .chain(rest.split("; "))
                .collect(),
            None => self.outcome.lines().collect(),
        }
    }
}

/// The lanes: one per thread, then one per async task (`task heartbeat`). A worker thread's
/// steps from a `"poll task X"` label to the poll's end (`"task X pending"` or `"… done"`;
/// in older recordings, until it takes the runtime's queue again) belong to task X's lane, so
/// an async race reads as tasks, not as the worker that polled them.
fn task_lanes(steps: &mut [Step], threads: &[String]) -> Vec<String> {
    let mut lanes = threads.to_vec();
    let mut polling: Vec<Option<usize>> = vec![None; threads.len()];
    let ends_marked = steps.iter().any(|s| {
        matches!(&s.kind, StepKind::Label(l) if l.starts_with("task ") && l.ends_with(" pending"))
    });
    for step in steps.iter_mut() {
        let thread = step.lane;
        if thread >= polling.len() {
            continue;
        }
        match &step.kind {
            StepKind::Label(l) if l.starts_with("poll task ") => {
                let name = format!("task {}", &l["poll task ".len()..]);
                let lane = lanes.iter().position(|n| *n == name).unwrap_or_else(|| {
                    lanes.push(name);
                    lanes.len() - 1
                });
                polling[thread] = Some(lane);
            }
            // Older recordings have no end-of-poll step: the runtime's queue ends the poll.
            StepKind::Lock(o) if o == "runtime.queue" && !ends_marked => polling[thread] = None,
            _ => {}
        }
        if let Some(lane) = polling[thread] {
            step.lane = lane;
        }
        if let StepKind::Label(l) = &step.kind {
            if l.starts_with("task ") && (l.ends_with(" pending") || l.ends_with(" done")) {
                polling[thread] = None;
                // A poll that leaves the task waiting is the runtime's bookkeeping.
                step.internal = l.ends_with(" pending");
            }
        }
    }
    lanes
}

/// `"heartbeat: lock L @ 30s"` → (`"lock L"`, `Some("30s")`).
fn split_line(line: &str, thread: &str) -> (String, Option<String>) {
    let rest = line
        .strip_prefix(thread)
        .and_then(|r| r.strip_prefix(": "))
        .unwrap_or(line);
    match rest.rsplit_once(" @ ") {
        Some((what, time)) if is_time(time) => (what.to_string(), Some(time.to_string())),
        _ => (rest.to_string(), None),
    }
}

/// Whether `s` is a time as traces write it: `30s`, `1.5s`, `250ms`, `12us`, `7ns`.
fn is_time(s: &str) -> bool {
    let digits = s.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let unit = &s[digits.len()..];
    !digits.is_empty()
        && digits.chars().all(|c| c.is_ascii_digit() || c == '.')
        && matches!(unit, "s" | "ms" | "us" | "ns")
}

/// A time as traces write it, in nanoseconds: `1.5s` → 1,500,000,000.
pub fn nanos(s: &str) -> Option<u64> {
    if !is_time(s) {
        return None;
    }
    let (number, scale) = [("ms", 1e6), ("us", 1e3), ("ns", 1.0), ("s", 1e9)]
        .iter()
        .find_map(|(unit, scale)| Some((s.strip_suffix(unit)?, *scale)))?;
    // Times are written exactly (whole units, or seconds with few decimals): rounding is exact.
    number
        .parse::<f64>()
        .ok()
        .map(|n| (n * scale).round() as u64)
}

fn classify(text: &str) -> StepKind {
    let arg = |prefix: &str| text.strip_prefix(prefix).map(str::to_string);
    if let Some(label) = text.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
        StepKind::Label(label.to_string())
    } else if let Some(o) = arg("lock ") {
        StepKind::Lock(o)
    } else if let Some(o) = arg("acquired ") {
        StepKind::Acquired(o)
    } else if let Some(o) = arg("release ") {
        StepKind::Release(o)
    } else if let Some(o) = arg("wait ") {
        StepKind::Wait(o)
    } else if let Some(o) = arg("woken ").or_else(|| arg("timed out on ")) {
        StepKind::Woken(o)
    } else if let Some(t) = arg("spawn ") {
        StepKind::Spawn(t)
    } else if let Some(t) = arg("join ") {
        StepKind::Join(t)
    } else if text == "exit" {
        StepKind::Exit
    } else if let Some(d) = arg("sleep ") {
        StepKind::Sleep(d)
    } else if let Some(lock) = arg("asks for ") {
        StepKind::Asks(lock)
    } else if let Some(rest) = arg("holds ") {
        match rest.rsplit_once(" until ") {
            Some((lock, until)) if is_time(until) => StepKind::Holds {
                lock: lock.to_string(),
                until: Some(until.to_string()),
            },
            _ => StepKind::Holds {
                lock: rest,
                until: None,
            },
        }
    } else if let Some((lock, until)) = arg("renews ")
        .as_deref()
        .and_then(|r| r.rsplit_once(" until "))
    {
        StepKind::Renews {
            lock: lock.to_string(),
            until: until.to_string(),
        }
    } else if let Some(lock) = arg("lets go of ") {
        StepKind::LetsGo(lock)
    } else if let Some(reason) = arg("suspect: ") {
        StepKind::Suspect(reason)
    } else {
        StepKind::Other(text.to_string())
    }
}

/// The spans each lane held a lock (acquired → release) or waited for one (lock → acquired,
/// when another lane held it at the ask or took it before the grant; lock → end, when it was
/// never granted), and which lock steps blocked.
///
/// A condvar wait releases its mutex until woken; the step lines do not name that mutex, so
/// it is taken to be the lock the lane acquired last and still holds, as it is in practice.
fn lock_spans(steps: &mut [Step], lanes: usize) -> Vec<Span> {
    use std::collections::HashMap;
    let mut holder: HashMap<String, (usize, usize)> = HashMap::new();
    let mut held: Vec<Vec<String>> = vec![Vec::new(); lanes];
    let mut parked: Vec<Option<String>> = vec![None; lanes];
    // Per lane, the lock it asked for, at which step, and whether another lane held it since.
    let mut asking: Vec<Option<(String, usize, bool)>> = vec![None; lanes];
    let mut spans = Vec::new();
    let mut release = |holder: &mut HashMap<String, (usize, usize)>, o: &str, i: usize| {
        if let Some((h, from)) = holder.remove(o) {
            spans.push(Span {
                lane: h,
                object: o.to_string(),
                from,
                to: i,
                holding: true,
            });
        }
    };
    let mut waits = Vec::new();
    for i in 0..steps.len() {
        let lane = steps[i].lane;
        if lane >= lanes {
            continue;
        }
        match steps[i].kind.clone() {
            StepKind::Lock(o) => {
                let held = holder.get(&o).is_some_and(|&(h, _)| h != lane);
                steps[i].blocked = held;
                asking[lane] = Some((o, i, held));
            }
            StepKind::Acquired(o) => {
                // A lane that asked while the lock was free can still lose the race for it.
                for (other, ask) in asking.iter_mut().enumerate() {
                    if let Some((asked, _, contended)) = ask {
                        if other != lane && *asked == o {
                            *contended = true;
                        }
                    }
                }
                if let Some((asked, at, contended)) = asking[lane].take() {
                    steps[at].blocked |= contended && asked == o;
                    if asked == o && steps[at].blocked {
                        waits.push(Span {
                            lane,
                            object: o.clone(),
                            from: at,
                            to: i,
                            holding: false,
                        });
                    }
                }
                held[lane].push(o.clone());
                holder.insert(o, (lane, i));
            }
            StepKind::Release(o) => {
                held[lane].retain(|h| *h != o);
                release(&mut holder, &o, i);
            }
            StepKind::Wait(_) => {
                if let Some(o) = held[lane].pop() {
                    release(&mut holder, &o, i);
                    parked[lane] = Some(o);
                }
            }
            StepKind::Woken(_) => {
                if let Some(o) = parked[lane].take() {
                    held[lane].push(o.clone());
                    holder.insert(o, (lane, i));
                }
            }
            _ => {}
        }
    }
    let end = steps.len().saturating_sub(1);
    // A lock never granted was waited for if another lane held it at the ask, took it since,
    // or holds it at the end.
    for (lane, ask) in asking.into_iter().enumerate() {
        if let Some((o, at, contended)) = ask {
            let held = holder.get(&o).is_some_and(|&(h, _)| h != lane);
            steps[at].blocked |= contended || held;
            if steps[at].blocked {
                waits.push(Span {
                    lane,
                    object: o,
                    from: at,
                    to: end,
                    holding: false,
                });
            }
        }
    }
    // Locks still held run to the end.
    let mut still: Vec<_> = holder.into_iter().collect();
    still.sort();
    for (o, (lane, from)) in still {
        release(&mut HashMap::from([(o.clone(), (lane, from))]), &o, end);
    }
    spans.extend(waits);
    spans.sort_by_key(|s| (s.from, s.lane));
    spans
}

/// Mark where the failure shows. `culprit`: the first step a model marked as breaking an
/// invariant; when the execution failed an invariant, that step is the failure, and the
/// failing check is linked to it.
fn mark_failure(steps: &mut [Step], race: &RaceFile, names: &[String], culprit: Option<usize>) {
    // A thread polling a task is named `main (polling task heartbeat)` in outcomes.
    let lane_of = |who: &str| {
        let who = who.split(" (polling ").next().unwrap_or(who);
        names.iter().position(|t| t == who)
    };
    if let (Outcome::Invariant { thread, .. }, Some(c)) = (&race.outcome, culprit) {
        steps[c].failed = true;
        let lane = lane_of(thread);
        let check = steps
            .iter_mut()
            .rev()
            .find(|s| Some(s.lane) == lane && !s.internal);
        if let Some(check) = check {
            check.caused_by = Some(c);
        }
        return;
    }
    let lanes: Vec<usize> = match &race.outcome {
        Outcome::Invariant { thread, .. } | Outcome::Panic { thread, .. } => {
            lane_of(thread).into_iter().collect()
        }
        Outcome::Deadlock { blocked } => {
            blocked.iter().filter_map(|b| lane_of(&b.thread)).collect()
        }
        _ => steps.last().map(|s| s.lane).into_iter().collect(),
    };
    let deadlock = matches!(race.outcome, Outcome::Deadlock { .. });
    // In a deadlock, the step that blocked for good: the lane's last wait of any kind (for a
    // model-level lock, the ask it was never granted, not the condvar inside).
    let blocks = |s: &Step| match &s.kind {
        StepKind::Lock(_) | StepKind::Asks(_) => s.blocked,
        StepKind::Wait(_) | StepKind::Join(_) => !s.internal,
        StepKind::Label(l) => l.starts_with("lock ") || l.starts_with("wait "),
        _ => false,
    };
    for lane in lanes {
        let mut in_lane = steps
            .iter_mut()
            .rev()
            .filter(|s| s.lane == lane && !s.internal);
        let last = if deadlock {
            let all: Vec<&mut Step> = in_lane.collect();
            let at = all.iter().position(|s| blocks(s)).unwrap_or(0);
            all.into_iter().nth(at)
        } else {
            in_lane.next()
        };
        if let Some(step) = last {
            step.failed = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_split_into_thread_text_and_time() {
        assert_eq!(
            split_line("heartbeat: lock L @ 1.5s", "heartbeat"),
            ("lock L".to_string(), Some("1.5s".to_string()))
        );
        assert_eq!(
            split_line("main: \"a @ b\"", "main"),
            ("\"a @ b\"".to_string(), None)
        );
        assert_eq!(classify("\"hello\""), StepKind::Label("hello".into()));
        assert_eq!(classify("timed out on cv"), StepKind::Woken("cv".into()));
    }
}
