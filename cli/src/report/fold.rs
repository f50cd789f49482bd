//! Which steps a timeline page draws as rows: the steps that matter, with repeats folded.
//!
//! A lock taken and released without contention tells nothing a reader needs, so it gets no
//! row (its hold bar is still drawn), nor does bookkeeping ([`Step::internal`]: the insides
//! of a model-level lock, the async runtime's queue and idle waits). A run of identical steps, or of identical blocks of
//! steps (a poll loop: woke, sleep 1s, woke, sleep 1s, …), becomes one row with its count and
//! its time range, which the page expands on click. Steps are compared by lane and text, not
//! time, and a failed or blocking step never folds.

#[cfg(doc)]
use super::timeline::Step;
use super::timeline::{StepKind, Timeline};

/// The longest block of steps that folds as one repetition.
const MAX_PERIOD: usize = 12;
/// A block folds when it repeats at least this many times in a row.
const MIN_REPEATS: usize = 3;

/// A run of `repeats` identical blocks of `period` steps, drawn as one row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fold {
    pub lane: usize,
    /// The drawn steps it stands for, in order.
    pub steps: Vec<usize>,
    pub period: usize,
    pub repeats: usize,
    /// `B: woke → sleep 1s ×29, 1s–29s`.
    pub label: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Row {
    Step(usize),
    Fold(Fold),
}

/// The rows of a page, and where each step of the race is drawn.
#[derive(Clone, Debug)]
pub struct Rows {
    pub rows: Vec<Row>,
    /// The row of every step: its own, its fold's, or (a step without a row) the row before it
    /// (the first row, for steps before any).
    pub row_of: Vec<usize>,
    /// Steps without a row: uncontended lock, acquire and release.
    pub hidden: usize,
}

/// Whether step `i` is uncontended lock traffic: no row of its own.
fn quiet(t: &Timeline, i: usize, granted_after_wait: &[bool]) -> bool {
    let s = &t.steps[i];
    !s.failed
        && (s.internal
            || match s.kind {
                StepKind::Lock(_) => !s.blocked,
                StepKind::Acquired(_) => !granted_after_wait[i],
                StepKind::Release(_) => true,
                _ => false,
            })
}

/// The rows of `t`'s page.
pub fn rows(t: &Timeline) -> Rows {
    let mut granted = vec![false; t.steps.len()];
    for span in t.spans.iter().filter(|s| !s.holding) {
        if let Some(g) = granted.get_mut(span.to) {
            *g = matches!(t.steps[span.to].kind, StepKind::Acquired(_));
        }
    }
    let shown: Vec<usize> = (0..t.steps.len())
        .filter(|&i| !quiet(t, i, &granted))
        .collect();
    let key = |i: usize| (t.steps[i].lane, t.steps[i].text.as_str());
    let foldable = |i: usize| !t.steps[i].failed && !t.steps[i].blocked;
    let mut rows = Vec::new();
    let mut k = 0;
    while k < shown.len() {
        let (mut best_p, mut best_r) = (0, 0);
        for p in 1..=MAX_PERIOD.min(shown.len() - k) {
            let block = &shown[k..k + p];
            if !block.iter().all(|&i| foldable(i)) {
                break;
            }
            let mut r = 1;
            while shown.get(k + (r + 1) * p - 1).is_some()
                && (0..p).all(|j| {
                    let i = shown[k + r * p + j];
                    foldable(i) && key(i) == key(block[j])
                })
            {
                r += 1;
            }
            if r >= MIN_REPEATS && p * r > best_p * best_r {
                (best_p, best_r) = (p, r);
            }
        }
        if best_r == 0 {
            rows.push(Row::Step(shown[k]));
            k += 1;
        } else {
            let steps = shown[k..k + best_p * best_r].to_vec();
            rows.push(Row::Fold(fold(t, steps, best_p, best_r)));
            k += best_p * best_r;
        }
    }
    let mut row_of = vec![rows.len().saturating_sub(1); t.steps.len()];
    let mut next = t.steps.len();
    for (r, row) in rows.iter().enumerate().rev() {
        let (first, last) = match row {
            Row::Step(i) => (*i, *i),
            Row::Fold(f) => (f.steps[0], *f.steps.last().unwrap_or(&f.steps[0])),
        };
        // The steps after this row's first, up to the next row's first, are drawn here.
        for slot in &mut row_of[first..next.max(last + 1).min(t.steps.len())] {
            *slot = r;
        }
        next = first;
    }
    // Steps before the first row go to it.
    for slot in &mut row_of[..next] {
        *slot = 0;
    }
    Rows {
        hidden: t.steps.len() - shown.len(),
        rows,
        row_of,
    }
}

fn fold(t: &Timeline, steps: Vec<usize>, period: usize, repeats: usize) -> Fold {
    let lane = t.steps[steps[0]].lane;
    let mut lanes: Vec<usize> = Vec::new();
    for &i in &steps[..period] {
        if !lanes.contains(&t.steps[i].lane) {
            lanes.push(t.steps[i].lane);
        }
    }
    let who: Vec<&str> = lanes.iter().map(|&l| t.lanes[l].as_str()).collect();
    let what: Vec<String> = steps[..period]
        .iter()
        .map(|&i| match &t.steps[i].kind {
            StepKind::Label(l) => format!("“{l}”"),
            _ => t.steps[i].text.clone(),
        })
        .collect();
    let time = |i: usize| t.steps[i].time.clone();
    let first = time(steps[0]).unwrap_or_else(|| "0s".to_string());
    let span = match time(*steps.last().unwrap_or(&steps[0])) {
        Some(last) if last != first => format!(", {first}–{last}"),
        Some(_) => format!(", at {first}"),
        None => String::new(),
    };
    Fold {
        lane,
        label: format!("{}: {} ×{repeats}{span}", who.join(", "), what.join(" → ")),
        steps,
        period,
        repeats,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use racecheck::outcome::Outcome;
    use racecheck::race::RaceFile;
    use racecheck::trace::Trace;

    fn timeline(threads: &[&str], schedule: &str, events: &[String]) -> Timeline {
        let mut race = RaceFile::new(
            "s",
            "v",
            "pct(d=3)",
            (0, 1),
            &Outcome::Pass,
            &Trace::default(),
        );
        race.threads = threads.iter().map(|t| t.to_string()).collect();
        race.schedule = schedule.into();
        race.events = events.to_vec();
        Timeline::of(&race, "x.race")
    }

    #[test]
    fn a_poll_loop_folds_into_one_row_with_its_times() {
        let mut events = vec!["B: lock L".to_string(), "B: acquired L".to_string()];
        for s in 1..=5 {
            events.push(format!("B: woke @ {s}s"));
            events.push(format!("B: sleep 1s @ {s}s"));
        }
        events.push("B: release L @ 5s".into());
        events.push("B: exit @ 5s".into());
        let t = timeline(&["main", "B"], "1*14", &events);
        let rows = rows(&t);
        // lock, acquired and release have no row; the loop is one; exit its own.
        assert_eq!(rows.hidden, 3);
        assert_eq!(rows.rows.len(), 2, "{:?}", rows.rows);
        let Row::Fold(f) = &rows.rows[0] else {
            panic!("{:?}", rows.rows)
        };
        assert_eq!((f.period, f.repeats), (2, 5));
        assert_eq!(f.label, "B: woke → sleep 1s ×5, 1s–5s");
        let mut row_of = vec![0; 13];
        row_of.push(1);
        assert_eq!(rows.row_of, row_of);
    }
}
