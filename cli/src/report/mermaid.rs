//! A timeline as a Mermaid sequence diagram, which GitHub and GitLab render inside markdown.
//!
//! One participant per thread, one note per step that tells the story: the model's own lines,
//! blocking and waking, spawning and joining, sleeps, atomics, a model's own locks, and the
//! failure (the step a model marked as the culprit, when it did). Locks taken without
//! contention and bookkeeping (a model lock's insides, the async runtime's) are left out, a run of equal steps is drawn once with its count, and a
//! long race keeps its first and last steps with a note of how many were left out: the HTML
//! timeline has every step.

use super::timeline::{StepKind, Timeline};
use std::fmt::Write as _;

/// At most this many steps are drawn; the rest are counted in a note.
pub const MAX_STEPS: usize = 150;
/// Of those, this many come from the start of the race, the others from its end.
const HEAD: usize = 30;

/// The diagram, without the enclosing code fence.
pub fn sequence_diagram(t: &Timeline) -> String {
    let mut out = String::from("sequenceDiagram\n");
    for (i, lane) in t.lanes.iter().enumerate() {
        let _ = writeln!(out, "    participant T{i} as {}", escape(lane));
    }
    let contended: std::collections::BTreeSet<usize> = t
        .spans
        .iter()
        .filter(|s| !s.holding)
        .map(|s| s.to)
        .collect();
    let telling: Vec<_> = t
        .steps
        .iter()
        .filter(|s| !s.internal || s.failed)
        .filter(|s| match s.kind {
            StepKind::Lock(_) => s.blocked || s.failed,
            StepKind::Acquired(_) => contended.contains(&s.index) || s.failed,
            StepKind::Release(_) => s.failed,
            _ => true,
        })
        .collect();
    // Equal neighbours in one lane (a polling loop, say) become one step with a count.
    let mut shown: Vec<(&super::timeline::Step, usize)> = Vec::new();
    for step in telling {
        match shown.last_mut() {
            Some((last, n))
                if last.lane == step.lane
                    && last.text == step.text
                    && !last.failed
                    && !step.failed =>
            {
                *n += 1
            }
            _ => shown.push((step, 1)),
        }
    }
    let omitted = shown.len().saturating_sub(MAX_STEPS);
    for (n, &(step, repeats)) in shown.iter().enumerate() {
        if omitted > 0 && n == HEAD {
            let _ = writeln!(
                out,
                "    Note over T0,T{}: … {omitted} steps left out (see the HTML timeline) …",
                t.lanes.len().saturating_sub(1)
            );
        }
        if omitted > 0 && (HEAD..HEAD + omitted).contains(&n) {
            continue;
        }
        let lane = step.lane;
        let time = step
            .time
            .as_ref()
            .map(|t| format!(" @ {t}"))
            .unwrap_or_default();
        let text = match &step.kind {
            StepKind::Label(l) => format!("“{l}”"),
            StepKind::Lock(o) | StepKind::Asks(o) if step.blocked => format!("waits for {o}"),
            StepKind::Acquired(o) => format!("acquire {o}"),
            _ => step.text.clone(),
        };
        let text = match (&step.culprit, step.caused_by) {
            (Some(why), _) => format!("{text}: {why}"),
            (_, Some(c)) => format!("{text}: fails here, broken at #{c}"),
            _ => text,
        };
        let times = if repeats > 1 {
            format!(" (×{repeats})")
        } else {
            String::new()
        };
        // `#` starts an entity code in Mermaid, so the step number is written as one.
        let line = format!("#35;{}{time}: {}{times}", step.index, escape(&text));
        if let StepKind::Spawn(child) = &step.kind {
            if let Some(c) = t.lanes.iter().position(|l| l == child) {
                let _ = writeln!(out, "    T{lane}->>T{c}: {line}");
                continue;
            }
        }
        if step.failed {
            let _ = writeln!(out, "    rect rgb(255, 215, 215)");
            let _ = writeln!(out, "    Note over T{lane}: ✗ {line}");
            let _ = writeln!(out, "    end");
        } else {
            let _ = writeln!(out, "    Note over T{lane}: {line}");
        }
    }
    if let Some(step) = t.failed_step() {
        let lines: Vec<String> = t.outcome_lines().iter().map(|l| escape(l)).collect();
        let _ = writeln!(
            out,
            "    Note over T{}: ✗ {}",
            step.lane,
            lines.join("<br/>")
        );
    }
    out
}

/// Mermaid's entity codes for the characters that end or confuse a statement.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '#' => out.push_str("#35;"),
            ';' => out.push_str("#59;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '"' => out.push_str("#quot;"),
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn escape_keeps_statements_whole() {
        assert_eq!(super::escape("a;b #1 <x>"), "a#59;b #35;1 #lt;x#gt;");
    }
}
