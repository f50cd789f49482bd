//! A timeline as a self-contained HTML page: inline SVG and CSS, no network, no external file.
//!
//! Lanes are columns (one per thread), steps go down in order. Beside each lane a bar shows
//! each lock it held (one colour per lock) and, hatched red, each wait for a lock another lane
//! held. The step where the failure shows is on a red band, and the outcome closes the page.
//! A small inline script records what the browser laid out in `data-rendered` on the root
//! element, so a headless browser can check the page really rendered.

use super::timeline::{StepKind, Timeline};
use std::fmt::Write as _;

const ROW: usize = 20;
const LANE: usize = 330;
const GUTTER: usize = 110;
const TOP: usize = 40;
/// Characters of a step's text drawn in its lane; the whole text is in its tooltip.
const TEXT: usize = 44;

/// The page for `t`. `notes` are extra lines for the header (how the race was shrunk, say).
pub fn page(t: &Timeline, notes: &[String]) -> String {
    let width = GUTTER + LANE * t.lanes.len().max(1) + 20;
    let height = TOP + ROW * (t.steps.len() + 1 + t.outcome_lines().len()) + 20;
    let mut svg = String::new();
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="ui-monospace, Menlo, Consolas, monospace" font-size="12">"#
    );
    svg.push_str(concat!(
        r#"<defs><pattern id="waiting" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">"#,
        r##"<rect width="3" height="6" fill="#d33"/></pattern></defs>"##,
        "\n"
    ));
    let x_of = |lane: usize| GUTTER + LANE * lane + 14;
    let y_of = |row: usize| TOP + ROW * row + ROW / 2;
    let last_y = y_of(t.steps.len());
    for (i, name) in t.lanes.iter().enumerate() {
        let x = x_of(i);
        let _ = writeln!(
            svg,
            r##"<text class="lane" x="{x}" y="22" font-weight="bold" font-size="14">{}</text><line x1="{x}" y1="30" x2="{x}" y2="{last_y}" stroke="#999"/>"##,
            esc(name)
        );
    }
    for step in t.steps.iter().filter(|s| s.failed) {
        let y = TOP + ROW * step.index;
        let _ = writeln!(
            svg,
            r##"<rect class="failed" x="0" y="{y}" width="{width}" height="{ROW}" fill="#ffd7d7"/>"##
        );
    }
    for span in &t.spans {
        let x = x_of(span.lane) - 9;
        let y = TOP + ROW * span.from + 4;
        let h = ROW * (span.to - span.from) + ROW - 8;
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
    for step in &t.steps {
        let y = y_of(step.index);
        let x = x_of(step.lane);
        let time = step.time.as_deref().unwrap_or("");
        let _ = writeln!(
            svg,
            r##"<text x="8" y="{}" fill="#777">#{}</text><text x="50" y="{}" fill="#777">{}</text>"##,
            y + 4,
            step.index,
            y + 4,
            esc(time)
        );
        let (text, colour, weight) = match &step.kind {
            StepKind::Label(l) => (format!("“{l}”"), "#036", "bold"),
            StepKind::Lock(o) if step.blocked => (format!("lock {o} (blocks)"), "#b00", "normal"),
            StepKind::Acquired(_) | StepKind::Release(_) | StepKind::Lock(_) => {
                (step.text.clone(), "#555", "normal")
            }
            _ => (step.text.clone(), "#222", "normal"),
        };
        let (colour, weight) = if step.failed {
            ("#b00", "bold")
        } else {
            (colour, weight)
        };
        let shown = if text.chars().count() > TEXT {
            let cut: String = text.chars().take(TEXT - 1).collect();
            format!("{cut}…")
        } else {
            text.clone()
        };
        let mark = if step.failed { "✗ " } else { "" };
        let _ = writeln!(
            svg,
            r#"<g class="step"><circle cx="{x}" cy="{y}" r="3.5" fill="{colour}"/><text x="{}" y="{}" fill="{colour}" font-weight="{weight}">{mark}{}<title>#{} {}: {}</title></text></g>"#,
            x + 8,
            y + 4,
            esc(&shown),
            step.index,
            esc(&t.lanes[step.lane]),
            esc(&text)
        );
    }
    if t.failed_step().is_some() {
        for (i, line) in t.outcome_lines().into_iter().enumerate() {
            let y = y_of(t.steps.len() + i) + 4;
            let mark = if i == 0 { "✗ " } else { "  " };
            let _ = writeln!(
                svg,
                r##"<text class="outcome" x="{GUTTER}" y="{y}" fill="#b00" font-weight="bold" xml:space="preserve">{mark}{}</text>"##,
                esc(line)
            );
        }
    }
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
code {{ background: #f3f3f3; padding: 2px 6px; border-radius: 4px; }}
.legend span {{ display: inline-block; margin-right: 18px; }}
.swatch {{ display: inline-block; width: 10px; height: 14px; vertical-align: middle; margin-right: 4px; }}
</style>
</head>
<body>
<h1>{title}</h1>
<p class="outcome">✗ {outcome}</p>
<p>Replay: <code>{replay}</code></p>
"#,
        title = esc(&t.title),
        outcome = esc(&t.outcome),
        replay = esc(&t.replay),
    );
    for note in notes {
        let _ = writeln!(html, "<p>{}</p>", esc(note));
    }
    let _ = writeln!(
        html,
        r##"<p class="legend"><span><i class="swatch" style="background:#4a90d9"></i>holds a lock (one colour per lock)</span><span><i class="swatch" style="background:repeating-linear-gradient(45deg,#d33 0 3px,#fff 3px 6px)"></i>waits for a lock another thread holds</span><span><i class="swatch" style="background:#ffd7d7"></i>where it failed</span> {} steps, {} threads; hover a step for its whole text.</p>"##,
        t.steps.len(),
        t.lanes.len()
    );
    html.push_str(&svg);
    html.push_str(
        r#"<script>
(function () {
  var svg = document.querySelector("svg");
  var box = svg.getBBox();
  var steps = svg.querySelectorAll("g.step").length;
  var lanes = svg.querySelectorAll("text.lane").length;
  var ok = box.width > 0 && box.height > 0 && steps > 0;
  document.documentElement.setAttribute("data-rendered",
    (ok ? "ok" : "empty") + " lanes=" + lanes + " steps=" + steps);
})();
</script>
</body>
</html>
"#,
    );
    html
}

/// A stable colour per lock name.
fn colour(object: &str) -> String {
    const PALETTE: [&str; 8] = [
        "#4a90d9", "#50a45c", "#e6a23c", "#9b59b6", "#1abc9c", "#e67e22", "#34495e", "#c0a000",
    ];
    let h = object.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    PALETTE[(h % PALETTE.len() as u64) as usize].to_string()
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
