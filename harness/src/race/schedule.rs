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

/// The values of an execution's choices as a race file writes them: `THREAD.RANK=VALUE`, the
/// option index the k-th choice of a thread took (see [`crate::choose`]), `"1.0=2 2.0=0"`.
pub fn encode_choices(choices: &crate::rt::ChoiceMap) -> String {
    choices
        .iter()
        .map(|((thread, rank), value)| format!("{thread}.{rank}={value}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The inverse of [`encode_choices`]; an error names the bad entry.
pub fn decode_choices(text: &str) -> Result<crate::rt::ChoiceMap, String> {
    let mut out = crate::rt::ChoiceMap::new();
    for entry in text.split_whitespace() {
        let bad = || format!("its choices have a bad entry `{entry}` (expected THREAD.RANK=VALUE)");
        let (key, value) = entry.split_once('=').ok_or_else(bad)?;
        let (thread, rank) = key.split_once('.').ok_or_else(bad)?;
        let key = (
            thread.parse::<usize>().map_err(|_| bad())?,
            rank.parse::<usize>().map_err(|_| bad())?,
        );
        let value = value.parse::<usize>().map_err(|_| bad())?;
        if out.insert(key, value).is_some() {
            return Err(format!("its choices name {}.{} twice", key.0, key.1));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod choice_tests {
    use super::*;

    #[test]
    fn choices_round_trip_and_bad_entries_are_named() {
        let mut m = crate::rt::ChoiceMap::new();
        m.insert((1, 0), 2);
        m.insert((2, 3), 0);
        assert_eq!(encode_choices(&m), "1.0=2 2.3=0");
        assert_eq!(decode_choices("1.0=2 2.3=0").unwrap(), m);
        assert!(decode_choices("1=2").unwrap_err().contains("`1=2`"));
        assert!(decode_choices("1.0=x").is_err());
        assert!(decode_choices("1.0=1 1.0=2").unwrap_err().contains("twice"));
    }
}
