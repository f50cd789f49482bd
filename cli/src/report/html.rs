//! A timeline as a self-contained HTML page: inline SVG and CSS, no network, no external file.
//!
//! Lanes are columns (one per thread), steps go down in order, as [`fold`] selects and folds
//! them: uncontended lock traffic gets no row, repeats fold into one row that lists its steps
//! on click. Beside each lane a bar shows each lock it held (one colour per lock) and, hatched
//! red, each wait for a lock from the attempt to the grant. Long text wraps. The step where
//! the failure shows is on a red band, and the outcome closes the page. Where the virtual clock
//! moves between two rows, a dashed line says by how much.
//! A small inline script records what the browser laid out in `data-rendered` on the root
//! element, so a headless browser can check the page really rendered.

use super::fold::{self, Fold, Row};
use super::history;
use super::layout::{Item, Layout, Mark, LINE as ROW};
use super::overlays;
use super::timeline::{StepKind, Timeline};
use std::fmt::Write as _;

const LANE: usize = 330;
const GUTTER: usize = 110;
/// Characters of a step's text on one line of its lane; longer text wraps onto more lines.
const TEXT: usize = 42;

/// The page for `t`. `notes` are extra lines for the header (how the race was shrunk, say).
pub fn page(t: &Timeline, notes: &[String]) -> String {
    let rows = fold::rows(t);
    let lines: Vec<Vec<String>> = rows.rows.iter().map(|r| wrap(&row_text(t, r))).collect();
    let counts: Vec<usize> = lines.iter().map(Vec::len).collect();
    let layout = Layout::of(t, &rows, &counts);
    let body_end = layout.end;
    let outcome_lines = outcome_lines(t);
    let bodies_end = rows
        .rows
        .iter()
        .enumerate()
        .filter_map(|(r, row)| match row {
            Row::Fold(f) => Some(layout.bottom[layout.item_of_row[r]] + ROW * f.steps.len() + 8),
            Row::Step(_) => None,
        })
        .max()
        .unwrap_or(0);
    // A history widens every lane by the column its operations' intervals are drawn in.
    let lane = LANE
        + if t.operations.is_empty() {
            0
        } else {
            history::COLUMN
        };
    let width = GUTTER + lane * t.lanes.len().max(1) + 20;
    let height = (body_end + ROW * (1 + outcome_lines.len()) + 20).max(bodies_end + 20);
    // The top and bottom of row r.
    let top = |r: usize| layout.top[layout.item_of_row[r]];
    let bottom = |r: usize| layout.bottom[layout.item_of_row[r]];
    let mut svg = String::new();
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="ui-monospace, Menlo, Consolas, monospace" font-size="12">"#
    );
    svg.push_str(concat!(
        r#"<defs><pattern id="waiting" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">"#,
        r##"<rect width="3" height="6" fill="#d33"/></pattern>"##,
        r##"<marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto"><path d="M0 0L10 5L0 10z" fill="#b00"/></marker></defs>"##,
        "\n"
    ));
    let x_of = |l: usize| GUTTER + lane * l + 14;
    for (i, name) in t.lanes.iter().enumerate() {
        let x = x_of(i);
        let _ = writeln!(
            svg,
            r##"<text class="lane" x="{x}" y="22" font-weight="bold" font-size="14">{}</text><line x1="{x}" y1="30" x2="{x}" y2="{body_end}" stroke="#999"/>"##,
            esc(name)
        );
    }
    for (r, row) in rows.rows.iter().enumerate() {
        let band = match row {
            Row::Step(i) if t.steps[*i].failed => Some(("failed", "#ffd7d7")),
            Row::Step(i) if t.steps[*i].caused_by.is_some() => Some(("check", "#fff0d0")),
            _ => None,
        };
        if let Some((class, fill)) = band {
            let _ = writeln!(
                svg,
                r##"<rect class="{class}" x="0" y="{}" width="{width}" height="{}" fill="{fill}"/>"##,
                top(r),
                bottom(r) - top(r)
            );
        }
    }
    if t.clock_moves {
        overlays::time_axis(&mut svg, &layout, width);
    }
    // Spans drawn on the rows their steps map to; equal rectangles once.
    let mut drawn = std::collections::HashSet::new();
    for span in &t.spans {
        let (a, b) = (rows.row_of[span.from], rows.row_of[span.to]);
        if !drawn.insert((span.lane, &span.object, a, b, span.holding)) {
            continue;
        }
        let x = x_of(span.lane) - 9;
        let (y, h) = (top(a) + 4, (bottom(b) - top(a)).saturating_sub(8).max(4));
        let (fill, what) = if span.holding {
            (colour(&span.object), "holds")
        } else {
            ("url(#waiting)".to_string(), "waits for")
        };
        let _ = writeln!(
            svg,
            r#"<rect class="span" x="{x}" y="{y}" width="6" height="{h}" fill="{fill}"><title>{} {what} {} (steps {}–{})</title></rect>"#,
            esc(&t.lanes[span.lane]),
            esc(&span.object),
            span.from,
            span.to
        );
    }
    overlays::holds(&mut svg, t, &layout, &rows, x_of);
    overlays::timers(&mut svg, t, &layout, &rows, x_of);
    history::draw(&mut svg, &t.operations, &layout, &rows, |l| {
        x_of(l) + LANE - 4
    });
    let mut bodies = String::new();
    for (k, item) in layout.items.iter().enumerate() {
        let y = layout.top[k] + ROW / 2 + 4;
        let r = match item {
            Item::Row(r) => *r,
            Item::Mark(Mark::Expiry { hold, at }) => {
                let h = &t.holds[*hold];
                let _ = writeln!(
                    svg,
                    r##"<g class="expiry"><text x="58" y="{y}" fill="#777">{time}</text><text x="{}" y="{y}" fill="#a40">× {}’s lease on {} ran out at {time}</text></g>"##,
                    x_of(h.lane) + 8,
                    esc(&t.lanes[h.lane]),
                    esc(&h.lock),
                    time = seconds(*at as f64 / 1e9)
                );
                continue;
            }
        };
        let row = &rows.rows[r];
        let (first, lane) = match row {
            Row::Step(i) => (*i, t.steps[*i].lane),
            Row::Fold(f) => (f.steps[0], f.lane),
        };
        let step = &t.steps[first];
        let _ = write!(svg, r##"<text x="8" y="{y}" fill="#777">#{first}</text>"##);
        // Against time, the time is written where it changes; on the step axis, every row's.
        let time_changes = k == 0 || layout.time_of(k) != layout.time_of(k - 1);
        if !t.clock_moves || time_changes {
            let _ = write!(
                svg,
                r##"<text x="58" y="{y}" fill="#777">{}</text>"##,
                esc(step.time.as_deref().unwrap_or(""))
            );
        }
        svg.push('\n');
        let x = x_of(lane);
        let (colour, weight) = match row {
            Row::Fold(_) => ("#036", "normal"),
            Row::Step(_) if step.failed || step.caused_by.is_some() => ("#b00", "bold"),
            Row::Step(_) => match &step.kind {
                StepKind::Label(_) => ("#036", "bold"),
                StepKind::Lock(_) | StepKind::Asks(_) if step.blocked => ("#b00", "normal"),
                StepKind::Acquired(_) | StepKind::Release(_) | StepKind::Lock(_) => {
                    ("#555", "normal")
                }
                _ => ("#222", "normal"),
            },
        };
        let text = row_text(t, row);
        let mut tspans = String::new();
        for (n, line) in lines[r].iter().enumerate() {
            let dy = if n == 0 { 0 } else { ROW };
            let _ = write!(
                tspans,
                r#"<tspan x="{}" dy="{dy}">{}</tspan>"#,
                x + 8,
                esc(line)
            );
        }
        match row {
            Row::Step(i) => {
                let tspans = match step.caused_by {
                    // The failing check links to the step that broke what it checks.
                    Some(c) => format!(r##"<a href="#step{c}">{tspans}</a>"##),
                    None => tspans,
                };
                let _ = writeln!(
                    svg,
                    r#"<g class="step" id="step{i}"><circle cx="{x}" cy="{}" r="3.5" fill="{colour}"/><text y="{y}" fill="{colour}" font-weight="{weight}">{tspans}<title>#{i} {}: {}</title></text></g>"#,
                    y - 4,
                    esc(&t.lanes[lane]),
                    esc(&text)
                );
            }
            Row::Fold(f) => {
                let _ = writeln!(
                    svg,
                    r##"<g class="fold" data-body="fold{r}" cursor="pointer"><rect x="{}" y="{}" width="{}" height="{}" rx="4" fill="#eef3fa" stroke="#9ab"/><text y="{y}" fill="{colour}">{tspans}<title>{}: {} steps folded, click to list them</title></text></g>"##,
                    x - 6,
                    top(r) + 2,
                    LANE - 12,
                    bottom(r) - top(r) - 4,
                    esc(&text),
                    f.steps.len()
                );
                fold_body(&mut bodies, t, f, r, (x - 6, bottom(r)), width);
            }
        }
    }
    overlays::culprit_link(&mut svg, t, &layout, &rows, x_of);
    if t.failed_step().is_some() {
        for (i, line) in outcome_lines.into_iter().enumerate() {
            let y = body_end + ROW * i + ROW / 2 + 4;
            let mark = if i == 0 { "✗ " } else { "  " };
            let _ = writeln!(
                svg,
                r##"<text class="outcome" x="{GUTTER}" y="{y}" fill="#b00" font-weight="bold" xml:space="preserve">{mark}{}</text>"##,
                esc(&line)
            );
        }
    }
    // Folded steps last, so that an opened list lies over the rows below it.
    svg.push_str(&bodies);
    svg.push_str("</svg>\n");
    let mut html = String::new();
    let _ = write!(
        html,
        r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="generator" content="racecheck">
<title>{title}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 24px; color: #222; }}
h1 {{ font-size: 20px; margin: 0 0 8px; }}
.outcome {{ color: #b00; font-weight: bold; }}
pre.outcome {{ font-size: 13px; white-space: pre; overflow-x: auto; }}
code {{ background: #f3f3f3; padding: 2px 6px; border-radius: 4px; }}
.legend span {{ display: inline-block; margin-right: 18px; }}
@media print {{ g.fold-body {{ display: none; }} }}
.swatch {{ display: inline-block; width: 10px; height: 14px; vertical-align: middle; margin-right: 4px; }}
</style>
</head>
<body>
<h1>{title}</h1>
{outcome}
<p>Replay: <code>{replay}</code></p>
"#,
        title = esc(&t.title),
        outcome = outcome_html(&t.outcome),
        replay = esc(&t.replay),
    );
    for note in notes {
        let _ = writeln!(html, "<p>{}</p>", esc(note));
    }
    let history_legend = if t.operations.is_empty() {
        ""
    } else {
        r##"<span><i class="swatch" style="border-left:2px solid #579;width:6px"></i>bracket: an operation of the history, from its call to its return (red, bold: in the minimal history)</span>"##
    };
    let _ = writeln!(
        html,
        r##"<p class="legend"><span><i class="swatch" style="background:#4a90d9"></i>holds a lock (one colour per lock)</span><span><i class="swatch" style="background:repeating-linear-gradient(45deg,#d33 0 3px,#fff 3px 6px)"></i>waits for a lock another thread holds</span><span><i class="swatch" style="background:#ffd7d7"></i>where it failed</span><span><i class="swatch" style="background:#eef3fa;border:1px solid #9ab"></i>repeated steps, folded: click to list them</span><span>dashed, clock +29s: the virtual clock moves on (against time, rows are spaced by it)</span><span><i class="swatch" style="background:#50a45c;width:8px"></i>wide bar: a model's own lock or lease, from grant to let-go or expiry (×)</span><span><i class="swatch" style="background:repeating-linear-gradient(0deg,#888 0 3px,#fff 3px 6px);width:3px"></i>dotted: a sleep, to its end</span><span><i class="swatch" style="background:#fff0d0"></i>the failing check, linked to the step that broke it</span>{history_legend}</p>
<p>{} steps, {} threads, {} rows; steps without a row ({}): lock steps without contention, the insides of a model's own locks, the async runtime's queue and idle waits (their bars are drawn; the race file lists every step).</p>"##,
        t.steps.len(),
        t.lanes.len(),
        rows.rows.len(),
        rows.hidden
    );
    html.push_str(&svg);
    html.push_str(
        r#"<script>
(function () {
  var svg = document.querySelector("svg");
  var box = svg.getBBox();
  var steps = svg.querySelectorAll("g.step").length;
  var folds = svg.querySelectorAll("g.fold");
  var lanes = svg.querySelectorAll("text.lane").length;
  var ok = box.width > 0 && box.height > 0 && steps + folds.length > 0;
  folds.forEach(function (g) {
    g.addEventListener("click", function () {
      var body = document.getElementById(g.getAttribute("data-body"));
      body.style.display = body.style.display === "none" ? "" : "none";
    });
  });
  document.documentElement.setAttribute("data-rendered",
    (ok ? "ok" : "empty") + " lanes=" + lanes + " rows=" + (steps + folds.length) +
    " folds=" + folds.length + " holds=" + svg.querySelectorAll("g.hold").length +
    " expiries=" + svg.querySelectorAll("g.expiry").length);
})();
</script>
</body>
</html>
"#,
    );
    html
}

/// The text of a row: the step as it reads, or the fold's summary.
fn row_text(t: &Timeline, row: &Row) -> String {
    match row {
        Row::Fold(f) => format!("▸ {}", f.label),
        Row::Step(i) => {
            let step = &t.steps[*i];
            let text = match &step.kind {
                StepKind::Label(l) => format!("“{l}”"),
                StepKind::Lock(o) if step.blocked => format!("lock {o} (blocks)"),
                StepKind::Asks(o) if step.blocked => format!("asks for {o} (waits)"),
                _ => step.text.clone(),
            };
            match (&step.culprit, step.caused_by) {
                (Some(why), _) if step.failed => format!("✗ {text}: {why}"),
                (_, Some(c)) => format!("{text}: fails here, broken at #{c}"),
                _ if step.failed => format!("✗ {text}"),
                _ => text,
            }
        }
    }
}

/// The outcome at the top of the page: a paragraph, or, when it has several lines (a
/// not-linearizable history's table), preformatted so that its columns line up.
fn outcome_html(outcome: &str) -> String {
    if outcome.contains('\n') {
        format!(r#"<pre class="outcome">✗ {}</pre>"#, esc(outcome))
    } else {
        format!(r#"<p class="outcome">✗ {}</p>"#, esc(outcome))
    }
}

/// The outcome a line at a time, and, when a culprit broke the invariant, which step it was.
fn outcome_lines(t: &Timeline) -> Vec<String> {
    let mut lines: Vec<String> = t.outcome_lines().iter().map(|l| l.to_string()).collect();
    if let Some(c) = t.steps.iter().find_map(|s| s.caused_by) {
        let step = &t.steps[c];
        lines.push(format!(
            "broken at #{c}, {}: {}{} ({})",
            t.lanes[step.lane],
            step.text,
            step.time
                .as_deref()
                .map(|t| format!(" @ {t}"))
                .unwrap_or_default(),
            step.culprit.as_deref().unwrap_or("")
        ));
    }
    lines
}

/// Seconds as a step's time reads: `29s`, `0.02s`, `1.5s`.
pub(super) fn seconds(s: f64) -> String {
    let text = format!("{s:.3}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    format!("{text}s")
}

/// `text` in lines of at most [`TEXT`] characters, broken at spaces where it can be.
fn wrap(text: &str) -> Vec<String> {
    let mut lines = vec![String::new()];
    for word in text.split(' ') {
        let mut word = word.to_string();
        loop {
            let last = lines.last_mut().expect("never empty");
            let len = last.chars().count();
            let sep = usize::from(len > 0);
            if len + sep + word.chars().count() <= TEXT {
                if sep == 1 {
                    last.push(' ');
                }
                last.push_str(&word);
                break;
            }
            if len > 0 {
                lines.push(String::new());
                continue;
            }
            // A word longer than a line is cut where the line ends.
            let head: String = word.chars().take(TEXT).collect();
            word = word.chars().skip(TEXT).collect();
            *last = head;
            lines.push(String::new());
            if word.is_empty() {
                break;
            }
        }
    }
    if lines.len() > 1 && lines.last().is_some_and(String::is_empty) {
        lines.pop();
    }
    lines
}

/// The list a fold opens to: each of its steps on a line, hidden until the fold is clicked.
/// It opens under the fold at `at`, moved left if it would pass the page's right edge.
fn fold_body(
    out: &mut String,
    t: &Timeline,
    f: &Fold,
    r: usize,
    (x, top): (usize, usize),
    width: usize,
) {
    let w = LANE * 2 - 12;
    let x = x.min(width.saturating_sub(w + 4));
    let _ = writeln!(
        out,
        r##"<g class="fold-body" id="fold{r}" style="display:none"><rect x="{x}" y="{top}" width="{w}" height="{}" fill="#fff" stroke="#9ab"/>"##,
        ROW * f.steps.len() + 8
    );
    for (n, &i) in f.steps.iter().enumerate() {
        let s = &t.steps[i];
        let time = s
            .time
            .as_deref()
            .map(|t| format!(" @ {t}"))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            r#"<text x="{}" y="{}">#{i}{} {}: {}</text>"#,
            x + 6,
            top + ROW * n + ROW / 2 + 8,
            esc(&time),
            esc(&t.lanes[s.lane]),
            esc(&s.text)
        );
    }
    out.push_str(
        "</g>
",
    );
}

/// A stable colour per lock name.
pub(super) fn colour(object: &str) -> String {
    const PALETTE: [&str; 8] = [
        "#4a90d9", "#50a45c", "#e6a23c", "#9b59b6", "#1abc9c", "#e67e22", "#34495e", "#c0a000",
    ];
    let h = object.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    PALETTE[(h % PALETTE.len() as u64) as usize].to_string()
}

pub(super) fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::{wrap, TEXT};

    #[test]
    fn long_text_wraps_at_spaces_and_loses_nothing() {
        let text = "“A: release refused: the lock was not ours any more, token 1 lapsed at 30s”";
        let lines = wrap(text);
        assert!(lines.len() > 1 && lines.iter().all(|l| l.chars().count() <= TEXT));
        assert_eq!(lines.join(" "), text);
        let word = "x".repeat(TEXT + 5);
        assert_eq!(wrap(&word).concat(), word);
        assert_eq!(wrap("short"), ["short"]);
    }
}
