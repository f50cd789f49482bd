//! The checks of a race file's fields, and how errors about them are worded: one line each,
//! saying what was found.

/// A backend as a race file names it: what [`crate::check::CheckResult::backend_label`] writes.
pub(super) fn check_backend_label(label: &str) -> Result<(), String> {
    let bad = || {
        format!(
            "its backend `{label}` is none of loom, loom(bound=N), random, pct(d=N), dfs, threads, portfolio, urw, pos, reads-from"
        )
    };
    let number = |text: &str, prefix: &str, least: u64| {
        text.strip_prefix(prefix)
            .and_then(|rest| rest.strip_suffix(')'))
            .and_then(|n| n.parse::<u64>().ok())
            .is_some_and(|n| n >= least)
    };
    match label {
        "loom" | "random" | "dfs" | "threads" | "portfolio" | "urw" | "pos" | "reads-from" => {
            Ok(())
        }
        _ if number(label, "loom(bound=", 0) || number(label, "pct(d=", 1) => Ok(()),
        _ => Err(bad()),
    }
}

/// A TOML error as one line: its message and where, or where alone when it has no message.
pub(super) fn toml_reason(e: &toml::de::Error, text: &str) -> String {
    let message = one_line(e.message());
    let Some(span) = e.span() else {
        return if message.is_empty() {
            "it is not TOML".to_string()
        } else {
            message
        };
    };
    let line = text[..span.start.min(text.len())].matches('\n').count() + 1;
    if message.is_empty() {
        format!("it is not TOML (line {line})")
    } else {
        format!("{message} (line {line})")
    }
}

/// A TOML value as an error shows it, shortened.
pub(super) fn shown(value: Option<&toml::Value>) -> String {
    let Some(value) = value else {
        return "nothing".to_string();
    };
    let text = one_line(&value.to_string());
    match text.char_indices().nth(60) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text,
    }
}

pub(super) fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The seed as a decimal string, losslessly: TOML has no unsigned 64-bit integer.
pub(super) mod seed_text {
    use serde::{de::Error, Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(seed: &u64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&seed.to_string())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
        let text = String::deserialize(d)?;
        text.parse()
            .map_err(|_| D::Error::custom(format!("seed `{text}` is not a u64")))
    }
}
