//! Race files: a failing execution written down, to be replayed forever.
//!
//! A race file is TOML a person can read: which scenario and variant, which backend and seed
//! found it, the schedule (the thread of every step), the steps as lines, and the outcome.
//! Replay runs the variant once under shuttle, following the schedule, and must give the same
//! outcome and the same lines; if it does not, it says at which step the two part.

use crate::check::{replay_body, CheckResult, Failure, DEFAULT_MAX_STEPS};
use crate::outcome::Outcome;
use crate::scenario::{Catalogue, Scenario, Variant};
use crate::shrink::{shrink, ShrinkBudget, Shrunk};
use crate::trace::Trace;
use fields::{check_backend_label, one_line, seed_text, shown, toml_reason};
pub use schedule::{decode_choices, decode_schedule, encode_choices, encode_schedule};
use serde::{Deserialize, Serialize};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

mod fields;
mod replay_report;
mod schedule;

pub use replay_report::ReplayReport;

/// The `format` key every race file starts with.
pub const FORMAT: &str = "racecheck-race";
/// The version of the race-file format this build writes. Version 2 stores the seed as a
/// decimal string: TOML integers are signed 64-bit, and a seed is any `u64`.
pub const VERSION: u32 = 2;
/// The oldest version this build still reads (version 1 stored the seed as an integer).
pub const OLDEST_VERSION: u32 = 1;
/// The largest race file read: a recorded schedule is at most 10 million steps.
pub const MAX_FILE_BYTES: u64 = 256 * 1024 * 1024;

/// One recorded failing execution.
///
/// Made by [`RaceFile::new`] or [`RaceFile::load`], never by a struct literal outside this crate
/// (`#[non_exhaustive]`): a later format version can add a field without breaking code that
/// builds or reads race files. Its fields stay public to read and set.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct RaceFile {
    pub format: String,
    /// Always [`VERSION`] in memory: a file of an older version is read into this one.
    pub version: u32,
    pub scenario: String,
    pub variant: String,
    /// The backend that found it, as set: `pct(d=3)`, `loom`, `threads`.
    pub backend: String,
    /// Written as a decimal string (see [`VERSION`]).
    #[serde(with = "seed_text")]
    pub seed: u64,
    /// Which execution of that run failed (1-based).
    pub execution: u64,
    /// Thread names by index; 0 is `main`.
    pub threads: Vec<String>,
    /// The thread index of every step, run-length encoded: `"0*15 1*3 0"` is fifteen steps of
    /// thread 0, three of thread 1, one of thread 0.
    pub schedule: String,
    /// The values the model's choices took (see [`crate::choose`]), `THREAD.RANK=VALUE`;
    /// absent when it made none.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub choices: String,
    /// Every step as `thread: what`.
    pub events: Vec<String>,
    /// Whether replay reproduces it step for step, as checked when it was saved. Files from
    /// before this field are taken to replay.
    #[serde(default = "replays_unless_told")]
    pub replayable: bool,
    /// Why it does not replay, when it does not: a reason a person can act on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_replayable: Option<String>,
    /// Set when the schedule is not the one the backend recorded but one made from it that
    /// replays (see [`RaceFile::prepare`]): what it was made from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub derived_from: Option<String>,
    /// A fingerprint of the variant when the race was saved (see
    /// [`crate::replayable::model_fingerprint`]): replay compares it before blaming the model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    pub outcome: Outcome,
}

fn replays_unless_told() -> bool {
    true
}

/// Why a race file cannot be used. Each is one line.
#[derive(Debug, thiserror::Error)]
pub enum RaceError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not a valid race file: {reason}")]
    Malformed { path: PathBuf, reason: String },
    #[error(
        "{path} is a race file of format version {found}; this racecheck reads versions {OLDEST_VERSION} to {VERSION}"
    )]
    WrongVersion { path: PathBuf, found: String },
    #[error(
        "{path} names scenario `{scenario}`, which this build does not have (see `racecheck list`)"
    )]
    UnknownScenario { path: PathBuf, scenario: String },
    #[error("{path} names variant `{variant}` of `{scenario}`, which does not exist (see `racecheck list`)")]
    UnknownVariant {
        path: PathBuf,
        scenario: String,
        variant: String,
    },
}

impl RaceFile {
    /// The race file of a check's failure.
    pub fn from_failure(
        scenario: &str,
        variant: &str,
        result: &CheckResult,
        failure: &Failure,
    ) -> Self {
        Self::new(
            scenario,
            variant,
            &result.backend_label(),
            (result.seed, failure.execution),
            &failure.outcome,
            &failure.trace,
        )
    }

    /// The race file of one execution of `scenario`/`variant`, found by `backend` as execution
    /// `execution` of the run with `seed`.
    pub fn new(
        scenario: &str,
        variant: &str,
        backend: &str,
        (seed, execution): (u64, u64),
        outcome: &Outcome,
        trace: &Trace,
    ) -> Self {
        RaceFile {
            format: FORMAT.to_string(),
            version: VERSION,
            scenario: scenario.to_string(),
            variant: variant.to_string(),
            backend: backend.to_string(),
            seed,
            execution,
            threads: Vec::new(),
            schedule: String::new(),
            choices: String::new(),
            events: Vec::new(),
            replayable: true,
            not_replayable: None,
            derived_from: None,
            model: None,
            outcome: Outcome::Pass,
        }
        .with_execution(outcome, trace)
    }

    /// This race with another execution's schedule, steps and outcome (a shrunk one, say).
    pub fn with_execution(mut self, outcome: &Outcome, trace: &Trace) -> Self {
        self.threads = trace.thread_names().to_vec();
        self.schedule = encode_schedule(&trace.schedule());
        self.choices = encode_choices(&trace.choices());
        self.events = trace.lines();
        self.outcome = outcome.clone();
        self
    }

    /// The schedule, decoded (validated when the file was loaded or made).
    pub fn schedule_steps(&self) -> Vec<usize> {
        decode_schedule(&self.schedule).unwrap_or_default()
    }

    /// The recorded choices, decoded (validated when the file was loaded or made).
    pub(crate) fn choice_values(&self) -> crate::rt::ChoiceMap {
        decode_choices(&self.choices).unwrap_or_default()
    }

    /// Shrink this race against `variant` (see [`crate::shrink`]): the smaller race and what
    /// shrinking did. A race that no longer replays comes back unchanged, `replayed` false.
    pub fn shrink(&self, variant: &Variant, budget: ShrinkBudget) -> (RaceFile, Shrunk) {
        let replayed = replay_body(
            variant.body.clone(),
            self.schedule_steps(),
            self.choice_values(),
            DEFAULT_MAX_STEPS,
        );
        let diverged = ReplayReport::compare(self, replayed.clone(), None);
        let shrunk = shrink(&variant.body, &self.outcome, &replayed.trace, budget);
        let race = if shrunk.replayed {
            let mut race = self.clone().with_execution(&shrunk.outcome, &shrunk.trace);
            if let Some((step, _, _)) = diverged.first_difference {
                race.derived_from = Some(format!(
                    "a {} recording that diverged under replay at step {step}: shrunk from the execution its replay took, which fails the same way",
                    self.backend
                ));
            }
            race.replayable = true;
            race.not_replayable = None;
            race.model = Some(crate::replayable::model_fingerprint(&variant.body));
            race
        } else {
            self.clone()
        };
        (race, shrunk)
    }

    /// Read and validate a race file.
    pub fn load(path: &Path) -> Result<Self, RaceError> {
        let read_err = |source| RaceError::Read {
            path: path.to_path_buf(),
            source,
        };
        let meta = fs::metadata(path).map_err(read_err)?;
        if !meta.is_file() || meta.len() > MAX_FILE_BYTES {
            return Err(RaceError::Malformed {
                path: path.to_path_buf(),
                reason: if meta.is_file() {
                    format!(
                        "it has {} bytes, more than the {MAX_FILE_BYTES} a race file may have",
                        meta.len()
                    )
                } else {
                    "it is not a regular file".to_string()
                },
            });
        }
        let text = fs::read_to_string(path).map_err(read_err)?;
        Self::parse(&text, path)
    }

    /// Parse and validate race-file text; `path` is only for messages.
    pub fn parse(text: &str, path: &Path) -> Result<Self, RaceError> {
        let malformed = |reason: String| RaceError::Malformed {
            path: path.to_path_buf(),
            reason,
        };
        let mut value: toml::Table = text
            .parse()
            .map_err(|e: toml::de::Error| malformed(toml_reason(&e, text)))?;
        match value.get("format") {
            Some(toml::Value::String(f)) if f == FORMAT => {}
            found => {
                return Err(malformed(format!(
                    "it does not start with format = \"{FORMAT}\" (found {})",
                    shown(found)
                )))
            }
        }
        let version = match value.get("version") {
            Some(toml::Value::Integer(v))
                if (i64::from(OLDEST_VERSION)..=i64::from(VERSION)).contains(v) =>
            {
                *v
            }
            None => return Err(malformed("it has no version".to_string())),
            found => {
                return Err(RaceError::WrongVersion {
                    path: path.to_path_buf(),
                    found: shown(found),
                })
            }
        };
        // Version 1 stored the seed as an integer: read it into version 2's string form.
        match (version, value.get("seed")) {
            (1, Some(toml::Value::Integer(seed))) if *seed >= 0 => {
                let seed = seed.to_string();
                value.insert("seed".to_string(), toml::Value::String(seed));
            }
            (1, found) => {
                return Err(malformed(format!(
                    "its seed must be an integer from 0 to {} in version 1, not {}",
                    i64::MAX,
                    shown(found)
                )))
            }
            (_, Some(toml::Value::String(seed))) if seed.parse::<u64>().is_ok() => {}
            (_, found) => {
                return Err(malformed(format!(
                    "its seed must be a string of a whole number from 0 to {}, not {}",
                    u64::MAX,
                    shown(found)
                )))
            }
        }
        let mut race: RaceFile = value
            .try_into()
            .map_err(|e: toml::de::Error| malformed(one_line(e.message())))?;
        let schedule = decode_schedule(&race.schedule).map_err(malformed)?;
        let choices = decode_choices(&race.choices).map_err(malformed)?;
        if let Some((t, _)) = choices.keys().find(|(t, _)| *t >= race.threads.len()) {
            return Err(malformed(format!(
                "its choices name thread {t}, but it lists {} threads",
                race.threads.len()
            )));
        }
        if schedule.len() != race.events.len() {
            return Err(malformed(format!(
                "its schedule has {} steps but it lists {} events (truncated?)",
                schedule.len(),
                race.events.len()
            )));
        }
        // Read from an older version, it is this version's now: written back, it says so.
        race.version = VERSION;
        check_backend_label(&race.backend).map_err(malformed)?;
        if race.execution == 0 {
            return Err(malformed(
                "its execution is 0; executions count from 1".to_string(),
            ));
        }
        if let Some(t) = schedule.iter().find(|&&t| t >= race.threads.len()) {
            return Err(malformed(format!(
                "its schedule names thread {t}, but it lists {} threads",
                race.threads.len()
            )));
        }
        Ok(race)
    }

    /// The TOML text of this race file, with a header saying how to replay it (or why not).
    pub fn to_text(&self) -> String {
        let body = toml::to_string_pretty(self).expect("a race file always serializes");
        let replay = if self.scenario == crate::test_api::USER_SCENARIO {
            format!(
                "Replay: {}=<this file> cargo test {}",
                crate::test_api::env::REPLAY,
                self.variant
            )
        } else {
            "Replay: racecheck replay <this file>".to_string()
        };
        let how = match (&self.not_replayable, self.replayable) {
            (_, true) => replay,
            (Some(why), false) => format!("Not replayable: {}", one_line(why)),
            (None, false) => "Not replayable".to_string(),
        };
        format!(
            "# racecheck race file: {} / {} found by {} (seed {}).\n# {how}\n{body}",
            self.scenario, self.variant, self.backend, self.seed
        )
    }

    /// Write to a new file in `dir` named after the race; never overwrites: an existing name
    /// gets a numbered sibling (see [`RaceFile::save_beside`]). Returns the path that holds it.
    pub fn save_new(&self, dir: &Path) -> Result<PathBuf, RaceError> {
        let stem = format!(
            "{}.{}.{}",
            self.scenario,
            self.variant,
            self.backend.replace(['(', ')', '='], "")
        );
        self.save_beside(&dir.join(format!("{stem}.race")))
    }

    /// Write to `path`, or if it exists to the first free `stem.N.race` beside it: never
    /// overwrites. A file on the way that already holds this race, byte for byte, is where it
    /// stays: a failing test run again saves the same race, and a pile of copies would hide
    /// the one that differs. Returns the path that holds it.
    pub fn save_beside(&self, path: &Path) -> Result<PathBuf, RaceError> {
        let write_err = |path: &Path, source| RaceError::Write {
            path: path.to_path_buf(),
            source,
        };
        let dir = path.parent().unwrap_or(Path::new("."));
        if !dir.as_os_str().is_empty() {
            fs::create_dir_all(dir).map_err(|e| write_err(dir, e))?;
        }
        let stem = path.file_stem().unwrap_or_default().to_string_lossy();
        let text = self.to_text();
        for n in 1.. {
            let path = if n == 1 {
                path.to_path_buf()
            } else {
                path.with_file_name(format!("{stem}.{n}.race"))
            };
            match fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
            {
                Ok(mut f) => {
                    f.write_all(text.as_bytes())
                        .map_err(|e| write_err(&path, e))?;
                    return Ok(path);
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    if fs::read(&path).is_ok_and(|held| held == text.as_bytes()) {
                        return Ok(path);
                    }
                }
                Err(e) => return Err(write_err(&path, e)),
            }
        }
        unreachable!("some file name is free")
    }

    /// The scenario and variant this file names, from `catalogue`.
    pub fn resolve<'c>(
        &self,
        catalogue: &'c Catalogue,
        path: &Path,
    ) -> Result<(&'c Scenario, &'c Variant), RaceError> {
        let scenario =
            catalogue
                .find(&self.scenario)
                .ok_or_else(|| RaceError::UnknownScenario {
                    path: path.to_path_buf(),
                    scenario: self.scenario.clone(),
                })?;
        let variant =
            scenario
                .find_variant(&self.variant)
                .ok_or_else(|| RaceError::UnknownVariant {
                    path: path.to_path_buf(),
                    scenario: self.scenario.clone(),
                    variant: self.variant.clone(),
                })?;
        Ok((scenario, variant))
    }

    /// Replay this race against `variant` and compare.
    pub fn replay(&self, variant: &Variant) -> ReplayReport {
        let model_changed = self
            .model
            .as_ref()
            .map(|m| *m != crate::replayable::model_fingerprint(&variant.body));
        self.replay_model(variant.body.clone(), model_changed)
    }

    /// Replay this race against a model body of no catalogue (a test's closure) and compare;
    /// `model_changed` says whether the model's fingerprint differs from the recorded one
    /// (`None`: not known).
    pub(crate) fn replay_model(
        &self,
        body: crate::backend::Body,
        model_changed: Option<bool>,
    ) -> ReplayReport {
        let replayed = replay_body(
            body,
            self.schedule_steps(),
            self.choice_values(),
            DEFAULT_MAX_STEPS,
        );
        ReplayReport::compare(self, replayed, model_changed)
    }
}
