//! Reproduction from a production log: find an execution whose labeled events include the
//! log's events, in the log's order.
//!
//! # The log format
//! One event a line, in the order production saw them:
//!
//! ```text
//! # a comment; blank lines are skipped too
//! 23:16:35.147 [main] Validating lock ownership before label updates
//! [heartbeat] Heartbeat worker thread started
//! Acquired lock: chroma-words-update-*
//! ```
//!
//! - an optional timestamp first: a time of day (`23:16:35.147`), an ISO 8601 date-time
//!   (`2025-08-26T23:16:35.147Z`) or a duration since start (`12.5s`, `250ms`);
//! - an optional thread in brackets (`[heartbeat]`): the event must be that thread's;
//! - the rest is the label the model logs with `trace::event`; `*` matches any text.
//!
//! Timestamps only order and annotate the lines (they must not go backwards): a model's clock
//! is not production's.

use crate::backend::Body;
use crate::check::run_seeded;
use crate::outcome::Outcome;
use crate::scenario::{Scenario, Variant};
use crate::trace::{EventKind, Trace};
pub(crate) use crate::vocabulary::check_vocabulary;
pub use crate::vocabulary::VOCABULARY_EXECUTIONS;
use crate::vocabulary::{knows, never_logs, unknown_entry, vocabulary};
use std::path::Path;
use std::time::{Duration, Instant};

/// The largest log read: the events of one execution, not a day of production output.
pub const MAX_LOG_BYTES: u64 = 16 * 1024 * 1024;

/// One line of a production log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogEntry {
    /// 1-based line number in the file.
    pub line: usize,
    pub time: Option<String>,
    pub thread: Option<String>,
    pub label: String,
}

/// A production log: the events to find, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProductionLog {
    pub entries: Vec<LogEntry>,
}

impl ProductionLog {
    /// Read and parse a log file: a regular file of at most [`MAX_LOG_BYTES`].
    pub fn load(path: &Path) -> Result<Self, String> {
        let cannot = |e: std::io::Error| format!("cannot read {}: {e}", path.display());
        let meta = std::fs::metadata(path).map_err(cannot)?;
        if !meta.is_file() {
            return Err(format!("{} is not a regular file", path.display()));
        }
        if meta.len() > MAX_LOG_BYTES {
            return Err(format!(
                "{} has {} bytes, more than the {MAX_LOG_BYTES} a log may have",
                path.display(),
                meta.len()
            ));
        }
        let text = std::fs::read_to_string(path).map_err(cannot)?;
        Self::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// Parse log text; an error names the line.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut entries = Vec::new();
        let mut last_time: Option<(u128, usize)> = None;
        for (i, raw) in text.lines().enumerate() {
            let line = i + 1;
            let mut rest = raw.trim();
            if rest.is_empty() || rest.starts_with('#') {
                continue;
            }
            let mut time = None;
            if let Some((first, after)) = rest.split_once(char::is_whitespace) {
                let parsed = parse_time(first).map_err(|e| format!("line {line}: {e}"))?;
                if let Some(nanos) = parsed {
                    if let Some((before, at)) = last_time {
                        if nanos < before {
                            return Err(format!(
                                "line {line}: time {first} is before line {at}'s: list events in the order they were seen"
                            ));
                        }
                    }
                    last_time = Some((nanos, line));
                    time = Some(first.to_string());
                    rest = after.trim_start();
                }
            }
            let mut thread = None;
            if let Some(after) = rest.strip_prefix('[') {
                let (name, label) = after
                    .split_once(']')
                    .ok_or_else(|| format!("line {line}: `[` without `]` around a thread name"))?;
                thread = Some(name.trim().to_string());
                rest = label.trim_start();
            }
            if rest.is_empty() {
                return Err(format!("line {line}: no event label"));
            }
            entries.push(LogEntry {
                line,
                time,
                thread,
                label: rest.to_string(),
            });
        }
        if entries.is_empty() {
            return Err("no events (every line is blank or a comment)".to_string());
        }
        Ok(ProductionLog { entries })
    }

    /// How many entries, from the first, `trace` contains in order.
    pub fn matched_prefix(&self, trace: &Trace) -> usize {
        let mut next = 0;
        for (i, e) in trace.events.iter().enumerate() {
            let Some(entry) = self.entries.get(next) else {
                break;
            };
            if let EventKind::Label(label) = &e.kind {
                if entry.matches(trace.thread_of(i), label) {
                    next += 1;
                }
            }
        }
        next
    }
}

impl LogEntry {
    /// The entry matches a label `thread` logged. Models often start a label with the thread's
    /// name (`A: wrote 1`), so the label also matches without that prefix: `[A] wrote *`.
    pub(crate) fn matches(&self, thread: &str, label: &str) -> bool {
        let label = label.trim();
        self.thread.as_deref().is_none_or(|t| t == thread)
            && (glob(&self.label, label)
                || without_thread(thread, label).is_some_and(|rest| glob(&self.label, rest)))
    }

    /// The label as a model would log it: with the thread's name in front when the entry
    /// pins a thread and does not say it again (`[A] wrote *` is `A: wrote *`).
    pub fn shown(&self) -> String {
        match &self.thread {
            Some(t) if without_thread(t, &self.label).is_none() => format!("{t}: {}", self.label),
            _ => self.label.clone(),
        }
    }

    /// The entry as the log says it.
    pub fn describe(&self) -> String {
        match &self.thread {
            Some(t) => format!("line {} `[{t}] {}`", self.line, self.label),
            None => format!("line {} `{}`", self.line, self.label),
        }
    }
}

/// `label` without a leading `thread: `, if it has one.
pub(crate) fn without_thread<'l>(thread: &str, label: &'l str) -> Option<&'l str> {
    label.strip_prefix(thread)?.strip_prefix(": ")
}

/// A timestamp's position in nanoseconds if `s` is one (for the order check only); `Ok(None)`
/// if it is not a timestamp but the label's first word; an error if it looks like a timestamp
/// (a digit, then only digits and `-:.T+Z`) but is not a valid one.
fn parse_time(s: &str) -> Result<Option<u128>, String> {
    let s = s.strip_prefix('+').unwrap_or(s);
    // A duration since start: 12s, 1.5s, 250ms, 40us, 7ns.
    for (unit, scale) in [("ms", 1e6), ("us", 1e3), ("ns", 1.0), ("s", 1e9)] {
        if let Some(n) = s.strip_suffix(unit) {
            if n.starts_with(|c: char| c.is_ascii_digit())
                && n.chars().all(|c| c.is_ascii_digit() || c == '.')
            {
                return match n.parse::<f64>() {
                    Ok(v) if v.is_finite() => Ok(Some((v * scale) as u128)),
                    _ => Err(format!("`{s}` is not a duration (e.g. 12.5s, 250ms)")),
                };
            }
        }
    }
    let looks_like_time = s.starts_with(|c: char| c.is_ascii_digit())
        && s.contains(':')
        && s.chars()
            .all(|c| c.is_ascii_digit() || "-:.T+Z".contains(c));
    if !looks_like_time {
        return Ok(None);
    }
    date_time(s)
        .map(Some)
        .map_err(|why| format!("`{s}` is not a valid time: {why}"))
}

/// A date-time (2025-08-26T23:16:35.147Z, with an optional `Z` or `±HH:MM`) or a time of day
/// (23:16:35.147), in nanoseconds from an arbitrary origin: the date, if any, counts in days.
fn date_time(s: &str) -> Result<u128, String> {
    let (date, clock) = match s.split_once('T') {
        Some((d, c)) => (Some(d), c),
        None => (None, s),
    };
    let day = match date {
        Some(d) => day_number(d)?,
        None => 0,
    };
    let clock = clock.strip_suffix('Z').unwrap_or(clock);
    // A zone offset only shifts the clock; the order check compares the clock as written.
    let clock = match clock.find(['+', '-']) {
        Some(at) => {
            let offset = &clock[at + 1..];
            let ok = offset.len() == 5
                && offset.as_bytes()[2] == b':'
                && offset[..2].parse::<u8>().is_ok_and(|h| h <= 23)
                && offset[3..].parse::<u8>().is_ok_and(|m| m <= 59);
            if !ok {
                return Err(format!("bad zone offset `{}`", &clock[at..]));
            }
            &clock[..at]
        }
        None => clock,
    };
    let parts: Vec<&str> = clock.split(':').collect();
    let [h, m, sec] = parts[..] else {
        return Err("expected HH:MM:SS".to_string());
    };
    let two_digits = |p: &str| p.len() == 2 && p.bytes().all(|b| b.is_ascii_digit());
    let whole_sec = sec.split('.').next().unwrap_or_default();
    if !two_digits(h) || !two_digits(m) || !two_digits(whole_sec) {
        return Err("expected HH:MM:SS with two digits each".to_string());
    }
    let (h, m): (u128, u128) = (h.parse().unwrap_or(99), m.parse().unwrap_or(99));
    let sec: f64 = sec.parse().map_err(|_| format!("bad seconds `{sec}`"))?;
    if h > 23 || m > 59 || !(0.0..61.0).contains(&sec) {
        return Err("hour above 23, minute above 59 or second above 60".to_string());
    }
    let nanos = (h * 3600 + m * 60) * 1_000_000_000 + (sec * 1e9) as u128;
    Ok(day * 86_400_000_000_000 + nanos)
}

/// `YYYY-MM-DD` as a day number that orders dates (not a calendar's count of days).
fn day_number(date: &str) -> Result<u128, String> {
    let parts: Vec<&str> = date.split('-').collect();
    let [y, m, d] = parts[..] else {
        return Err("expected a date YYYY-MM-DD".to_string());
    };
    let digits = |p: &str, n: usize| p.len() == n && p.bytes().all(|b| b.is_ascii_digit());
    if !digits(y, 4) || !digits(m, 2) || !digits(d, 2) {
        return Err("expected a date YYYY-MM-DD".to_string());
    }
    let (y, m, d): (u128, u128, u128) = (
        y.parse().unwrap_or(0),
        m.parse().unwrap_or(0),
        d.parse().unwrap_or(0),
    );
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days_in_month = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return Err(format!("month {m} is not 1 to 12")),
    };
    if !(1..=days_in_month).contains(&d) {
        return Err(format!(
            "day {d} is not in month {m}, which has {days_in_month} days"
        ));
    }
    Ok((y * 12 + m) * 31 + d)
}

/// `pattern` matches `text`, where `*` in the pattern matches any run of characters.
fn glob(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !text.starts_with(first) || !text[first.len()..].ends_with(last) {
        return false;
    }
    let mut rest = &text[first.len()..text.len() - last.len()];
    for middle in &parts[1..parts.len() - 1] {
        match rest.find(middle) {
            Some(at) => rest = &rest[at + middle.len()..],
            None => return false,
        }
    }
    true
}

/// How to search: shuttle's random walk, one seed an execution, so that any execution found
/// is reproducible from its own seed. (PCT needs a run of executions to place its priority
/// change points well, so one seed an execution would waste it.)
#[derive(Clone, Copy, Debug)]
pub struct SearchBudget {
    /// Execution `k` (0-based) runs with seed `seed + k`.
    pub seed: u64,
    pub executions: u64,
    pub time_limit: Duration,
}

/// What a search for a log found.
#[derive(Clone, Debug)]
pub enum Reproduction {
    /// Execution `execution` (1-based), run with `seed`, has every event in order.
    Found {
        execution: u64,
        seed: u64,
        outcome: Outcome,
        trace: Trace,
    },
    /// None did within the budget. The best got `matched` entries in; the next was never
    /// reached after them.
    NotFound { executions: u64, matched: usize },
    /// The variant never logs `entry` (in [`VOCABULARY_EXECUTIONS`] sampled executions),
    /// though variant `logged_by` of the same scenario does: this variant cannot have
    /// produced the log. `instead` is what it logs there (numbers as `*`).
    NeverLogs {
        entry: LogEntry,
        logged_by: String,
        instead: Vec<String>,
    },
}

/// Reproduce `log` with `variant`: check that the log names events the variant logs (an
/// `Err` says which does not), then search.
pub fn reproduce(
    variant: &Variant,
    log: &ProductionLog,
    budget: &SearchBudget,
    progress: &dyn Fn(u64),
) -> Result<Reproduction, String> {
    check_vocabulary(&variant.body, log, budget)?;
    Ok(search(&variant.body, log, budget, progress))
}

/// Reproduce `log` with `variant` of `scenario`. An entry the variant never logs, where another
/// variant of the scenario does (the bug's, when `variant` is a fix), is an answer:
/// [`Reproduction::NeverLogs`], this variant cannot produce the log. An entry no variant logs
/// is an `Err`: the log does not fit the scenario.
pub fn reproduce_in(
    scenario: &Scenario,
    variant: &Variant,
    log: &ProductionLog,
    budget: &SearchBudget,
    progress: &dyn Fn(u64),
) -> Result<Reproduction, String> {
    let seen = vocabulary(&variant.body, log, budget);
    let Some(entry) = log.entries.iter().find(|entry| !knows(&seen, entry)) else {
        return Ok(search(&variant.body, log, budget, progress));
    };
    never_logs(scenario, variant, entry, &seen, log, budget)
        .ok_or_else(|| unknown_entry(entry, &seen, "any variant of this scenario"))
}

/// Search seeded executions for one that has every entry of `log` in order.
pub(crate) fn search(
    body: &Body,
    log: &ProductionLog,
    budget: &SearchBudget,
    progress: &dyn Fn(u64),
) -> Reproduction {
    let start = Instant::now();
    let mut best = 0;
    let mut executions = 0;
    for k in 0..budget.executions {
        if start.elapsed() >= budget.time_limit {
            break;
        }
        executions = k + 1;
        progress(executions);
        let seed = budget.seed.wrapping_add(k);
        let (outcome, trace) = run_seeded(body.clone(), None, seed);
        let matched = log.matched_prefix(&trace);
        if matched == log.entries.len() {
            return Reproduction::Found {
                execution: executions,
                seed,
                outcome,
                trace,
            };
        }
        best = best.max(matched);
    }
    Reproduction::NotFound {
        executions,
        matched: best,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_give_time_thread_and_label() {
        let log = ProductionLog::parse(
            "# seed 000\n\n23:16:35.147 [main] Validating *\n[heartbeat]   Heartbeat started\nplain: label\n",
        )
        .unwrap();
        assert_eq!(
            log.entries[0],
            LogEntry {
                line: 3,
                time: Some("23:16:35.147".into()),
                thread: Some("main".into()),
                label: "Validating *".into()
            }
        );
        assert_eq!(log.entries[1].thread.as_deref(), Some("heartbeat"));
        assert_eq!(log.entries[2].label, "plain: label");
        assert_eq!(log.entries[2].time, None);
    }

    #[test]
    fn bad_logs_say_which_line() {
        let err = ProductionLog::parse("10:00:01 a\n09:00:00 b\n").unwrap_err();
        assert!(err.starts_with("line 2:"), "{err}");
        assert!(ProductionLog::parse("[main label")
            .unwrap_err()
            .contains("line 1"));
        assert!(ProductionLog::parse("# only\n").is_err());
        assert!(ProductionLog::parse("12s [t]")
            .unwrap_err()
            .contains("no event label"));
    }

    #[test]
    fn times_of_every_form_parse() {
        assert_eq!(parse_time("1.5s"), Ok(Some(1_500_000_000)));
        assert_eq!(parse_time("250ms"), Ok(Some(250_000_000)));
        assert!(parse_time("2025-08-26T23:16:35.147Z") > parse_time("2025-08-25T23:59:59Z"));
        assert!(parse_time("2025-08-26T23:16:35+02:00").unwrap().is_some());
        assert!(parse_time("2024-02-29T00:00:00Z").unwrap().is_some());
        assert!(parse_time("23:16:35.147").unwrap().is_some());
        assert_eq!(parse_time("Acquired"), Ok(None));
        assert_eq!(parse_time("lock:"), Ok(None));
        assert_eq!(parse_time("seconds"), Ok(None));
    }

    #[test]
    fn impossible_times_are_errors_not_labels() {
        for bad in [
            "2025-13-45T10:00:00Z",
            "2025-02-29T10:00:00Z",
            "2025-04-31T10:00:00",
            "25:00:00",
            "10:61:00",
            "10:00:61",
            "1:2:3",
            "10:00",
            "2025-1-1T10:00:00",
            "10:00:00+99:00",
        ] {
            let err = parse_time(bad).unwrap_err();
            assert!(err.contains(bad), "{bad}: {err}");
        }
        let err = ProductionLog::parse("2025-13-45T10:00:00Z [main] a\n").unwrap_err();
        assert!(
            err.starts_with("line 1: `2025-13-45T10:00:00Z` is not a valid time"),
            "{err}"
        );
    }

    #[test]
    fn a_label_matches_with_or_without_its_thread_said_again() {
        let entry = |text| ProductionLog::parse(text).unwrap().entries.remove(0);
        assert!(entry("[A] wrote *").matches("A", "A: wrote 2"));
        assert!(entry("[A] A: wrote *").matches("A", "A: wrote 2"));
        assert!(!entry("[B] wrote *").matches("A", "A: wrote 2"));
        assert!(!entry("[A] B: wrote *").matches("A", "A: wrote 2"));
        assert_eq!(entry("[A] wrote *").shown(), "A: wrote *");
        assert_eq!(entry("[A] A: wrote *").shown(), "A: wrote *");
    }

    #[test]
    fn globs_match_any_run() {
        assert!(glob("Acquired lock: *", "Acquired lock: chroma-1"));
        assert!(glob("a*c*e", "abcde"));
        assert!(!glob("a*c*e", "abde"));
        assert!(glob("exact", "exact"));
        assert!(!glob("exact*", "exac"));
    }
}
