//! What a timeline page draws over its rows: the time axis, the bars of a model's own locks and
//! leases (from grant to let-go or expiry, renewals ticked), the timers (a sleep to its end),
//! and the link from a failing check to the step that broke what it checks.

use super::fold::{Row, Rows};
use super::holds::HoldEnd;
use super::html::seconds;
use super::layout::{Item, Layout, Mark, LINE, TOP};
use super::timeline::{StepKind, Timeline};
use std::fmt::Write as _;

/// The axis at the left: a line, a tick where the time changes, and where the clock moves a
/// dashed line across the page with how far it moved.
pub fn time_axis(svg: &mut String, layout: &Layout, width: usize) {
    let _ = writeln!(
        svg,
        r##"<g class="axis"><line x1="52" y1="{TOP}" x2="52" y2="{}" stroke="#bbb"/></g>"##,
        layout.end
    );
    for k in 0..layout.items.len() {
        if k > 0 && layout.time_of(k) == layout.time_of(k - 1) {
            continue;
        }
        let y = layout.top[k] + LINE / 2;
        let _ = writeln!(
            svg,
            r##"<line class="tick" x1="48" y1="{y}" x2="56" y2="{y}" stroke="#999"/>"##
        );
    }
    for &(y, by) in &layout.gaps {
        let _ = writeln!(
            svg,
            r##"<g class="clock"><line x1="52" y1="{y}" x2="{width}" y2="{y}" stroke="#bbb" stroke-dasharray="4 3"/><text x="58" y="{}" fill="#888" font-size="10">clock +{}</text></g>"##,
            y - 2,
            seconds(by as f64 / 1e9)
        );
    }
}

/// The middle of the row step `i` is drawn on.
fn middle(layout: &Layout, rows: &Rows, i: usize) -> usize {
    layout.top[layout.item_of_row[rows.row_of[i]]] + LINE / 2
}

/// One bar per hold of a model-level lock, left of its lane's mutex bars.
pub fn holds(
    svg: &mut String,
    t: &Timeline,
    layout: &Layout,
    rows: &Rows,
    x_of: impl Fn(usize) -> usize,
) {
    let time = |at: u64| seconds(at as f64 / 1e9);
    let columns = columns(t);
    for (n, h) in t.holds.iter().enumerate() {
        let from = t.steps[h.from].at;
        let y0 = middle(layout, rows, h.from) - 4;
        let (y1, how) = match h.end {
            HoldEnd::LetGo(i) => (
                middle(layout, rows, i) + 4,
                format!("let go at {}", time(t.steps[i].at)),
            ),
            HoldEnd::Expired(at) => {
                let k = layout.items.iter().position(
                    |item| matches!(item, Item::Mark(Mark::Expiry { hold, .. }) if *hold == n),
                );
                let y = k.map_or_else(|| layout.y_of_time(at), |k| layout.top[k] + LINE / 2);
                (y, format!("the lease ran out at {}", time(at)))
            }
            HoldEnd::Open => (layout.end, "still held at the end".to_string()),
        };
        let x = x_of(h.lane) - 24 - 11 * columns[n];
        let _ = writeln!(
            svg,
            r#"<g class="hold"><rect x="{x}" y="{y0}" width="9" height="{}" rx="2" fill="{}" fill-opacity="0.85"><title>{} holds {} from {}: {how}</title></rect>"#,
            y1.saturating_sub(y0).max(4),
            super::html::colour(&h.lock),
            esc(&t.lanes[h.lane]),
            esc(&h.lock),
            time(from),
        );
        for &r in &h.renewals {
            let y = middle(layout, rows, r);
            let until = match &t.steps[r].kind {
                StepKind::Renews { until, .. } => until.as_str(),
                _ => "",
            };
            let _ = writeln!(
                svg,
                r##"<line x1="{}" y1="{y}" x2="{}" y2="{y}" stroke="#fff" stroke-width="2"><title>{} renews it until {until}</title></line>"##,
                x - 2,
                x + 11,
                esc(&t.lanes[t.steps[r].lane])
            );
        }
        if let HoldEnd::Expired(_) = h.end {
            let _ = writeln!(
                svg,
                r##"<text x="{}" y="{}" fill="#a40" font-size="12" font-weight="bold">×</text>"##,
                x + 1,
                y1 + 11
            );
        }
        svg.push_str("</g>\n");
    }
}

/// Which column, leftwards from the lane, each hold's bar takes: the first one free of every
/// hold of the lane that overlaps it (main holds `LockManager._lock` inside its hold of the
/// lock item: two bars side by side).
fn columns(t: &Timeline) -> Vec<usize> {
    let end = |h: &super::holds::Hold| match h.end {
        HoldEnd::LetGo(i) => i,
        _ => usize::MAX,
    };
    let mut columns = vec![0; t.holds.len()];
    for (n, h) in t.holds.iter().enumerate() {
        let taken: Vec<usize> = (0..n)
            .filter(|&m| t.holds[m].lane == h.lane && end(&t.holds[m]) >= h.from)
            .map(|m| columns[m])
            .collect();
        columns[n] = (0..).find(|c| !taken.contains(c)).unwrap_or(0);
    }
    columns
}

/// A dotted line from each sleep that has a row of its own to the time it ends.
pub fn timers(
    svg: &mut String,
    t: &Timeline,
    layout: &Layout,
    rows: &Rows,
    x_of: impl Fn(usize) -> usize,
) {
    for s in &t.steps {
        let StepKind::Sleep(d) = &s.kind else {
            continue;
        };
        let Some(d) = super::timeline::nanos(d).filter(|&d| d > 0) else {
            continue;
        };
        if !matches!(rows.rows[rows.row_of[s.index]], Row::Step(i) if i == s.index) {
            continue;
        }
        let y0 = middle(layout, rows, s.index) + 4;
        let y1 = layout.y_of_time(s.at + d);
        if y1 <= y0 {
            continue;
        }
        let _ = writeln!(
            svg,
            r##"<line class="timer" x1="{x}" y1="{y0}" x2="{x}" y2="{y1}" stroke="#888" stroke-width="3" stroke-dasharray="2 3"><title>{} sleeps {} ({}–{})</title></line>"##,
            esc(&t.lanes[s.lane]),
            seconds(d as f64 / 1e9),
            seconds(s.at as f64 / 1e9),
            seconds((s.at + d) as f64 / 1e9),
            x = x_of(s.lane),
        );
    }
}

/// An arrow from the failing check to the step that broke what it checks.
pub fn culprit_link(
    svg: &mut String,
    t: &Timeline,
    layout: &Layout,
    rows: &Rows,
    x_of: impl Fn(usize) -> usize,
) {
    for check in t.steps.iter().filter(|s| s.caused_by.is_some()) {
        let c = check.caused_by.unwrap_or(0);
        let (x0, y0) = (x_of(check.lane) - 30, middle(layout, rows, check.index));
        let (x1, y1) = (x_of(t.steps[c].lane) - 30, middle(layout, rows, c));
        let bend = x0.min(x1).saturating_sub(40).max(4);
        let _ = writeln!(
            svg,
            r##"<path class="cause" d="M{x0} {y0} C{bend} {y0} {bend} {y1} {x1} {y1}" fill="none" stroke="#b00" stroke-width="1.5" stroke-dasharray="5 3" marker-end="url(#arrow)"><title>the check at #{} fails because of #{c}</title></path>"##,
            check.index
        );
    }
}

fn esc(s: &str) -> String {
    super::html::esc(s)
}
