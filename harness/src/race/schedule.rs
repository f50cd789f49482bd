//! A schedule as a race file writes it: the thread of every step, run-length encoded.

/// `[0, 0, 1, 0]` → `"0*2 1 0"`.
pub fn encode_schedule(schedule: &[usize]) -> String {
    let mut runs: Vec<(usize, usize)> = Vec::new();
    for &t in schedule {
        match runs.last_mut() {
            Some((thread, n)) if *thread == t => *n += 1,
            _ => runs.push((t, 1)),
        }
    }
    runs.iter()
        .map(|&(t, n)| {
            if n == 1 {
                t.to_string()
            } else {
                format!("{t}*{n}")
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The inverse of [`encode_schedule`]; an error names the bad run.
pub fn decode_schedule(text: &str) -> Result<Vec<usize>, String> {
    let mut out = Vec::new();
    for run in text.split_whitespace() {
        let bad =
            || format!("its schedule has a bad run `{run}` (expected THREAD or THREAD*COUNT)");
        let (t, n) = match run.split_once('*') {
            Some((t, n)) => (t, n.parse::<usize>().map_err(|_| bad())?),
            None => (run, 1),
        };
        let t = t.parse::<usize>().map_err(|_| bad())?;
        if n == 0 || out.len() + n > 10_000_000 {
            return Err(bad());
        }
        out.extend(std::iter::repeat_n(t, n));
    }
    Ok(out)
}
