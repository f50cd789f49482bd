//! Single executions under shuttle: a replay that follows a recorded schedule, a guided run
//! (what shrinking tries) and one seeded random or PCT execution (what `reproduce` samples).

use crate::backend::{self, Body, RunConfig, ShuttleScheduler};
use crate::check::{DEFAULT_MAX_STEPS, DEFAULT_TIME_LIMIT};
use crate::outcome::Outcome;
use crate::rt::ChoiceMap;
use crate::trace::Trace;
use std::sync::{Arc, Mutex};

/// What replaying a recorded schedule gave.
#[derive(Clone, Debug)]
pub struct Replayed {
    pub outcome: Outcome,
    pub trace: Trace,
    /// The first step at which the recorded thread could not run, if any.
    pub diverged_at: Option<usize>,
}

/// Run `body` once, following `schedule` (the thread index of every step), under shuttle.
///
/// The model's choices (see [`crate::choose`]) take their first option; [`replay_trace`]
/// makes a trace's choices again.
pub fn replay_schedule(body: impl Fn() + Send + Sync + 'static, schedule: Vec<usize>) -> Replayed {
    replay_body(
        Arc::new(body),
        schedule,
        ChoiceMap::new(),
        DEFAULT_MAX_STEPS,
    )
}

/// Run `body` once as `trace` ran: its schedule, and the same values for its choices.
pub fn replay_trace(body: impl Fn() + Send + Sync + 'static, trace: &Trace) -> Replayed {
    replay_body(
        Arc::new(body),
        trace.schedule(),
        trace.choices(),
        DEFAULT_MAX_STEPS,
    )
}

pub(crate) fn replay_body(
    body: Body,
    schedule: Vec<usize>,
    choices: ChoiceMap,
    max_steps: usize,
) -> Replayed {
    let diverged = Arc::new(Mutex::new(None));
    let scheduling = ShuttleScheduler::Replay {
        schedule: schedule.clone(),
        diverged: diverged.clone(),
    };
    let max_steps = max_steps.max(schedule.len() + 1);
    let (outcome, trace) = run_once(body, scheduling, choices, max_steps);
    let diverged_at = *diverged.lock().unwrap_or_else(|p| p.into_inner());
    Replayed {
        outcome,
        trace,
        diverged_at,
    }
}

/// Run `body` once under shuttle, following `schedule` as far as it can and then without
/// preempting, making the choices `choices` gives: what shrinking tries. The result is
/// whatever that execution did.
pub(crate) fn run_guided(
    body: Body,
    schedule: Vec<usize>,
    choices: ChoiceMap,
    max_steps: usize,
) -> (Outcome, Trace) {
    run_once(
        body,
        ShuttleScheduler::Guided { schedule },
        choices,
        max_steps,
    )
}

/// One execution of `body` under shuttle's random (`depth` None) or PCT scheduler, seeded
/// with `seed`: executions that must each be reproducible from a seed of their own.
pub(crate) fn run_seeded(body: Body, depth: Option<usize>, seed: u64) -> (Outcome, Trace) {
    use shuttle::scheduler::{PctScheduler, RandomScheduler, Scheduler};
    let scheduler: Box<dyn Scheduler + Send> = match depth {
        Some(depth) => Box::new(PctScheduler::new_from_seed(seed, depth, 1)),
        None => Box::new(RandomScheduler::new_from_seed(seed, 1)),
    };
    once(DEFAULT_MAX_STEPS, None, seed, |cfg| {
        backend::run_shuttle_with(body, scheduler, cfg)
    })
}

fn run_once(
    body: Body,
    scheduling: ShuttleScheduler,
    choices: ChoiceMap,
    max_steps: usize,
) -> (Outcome, Trace) {
    once(max_steps, Some(Arc::new(choices)), 0, |cfg| {
        backend::run_shuttle(body, scheduling, cfg)
    })
}

/// The outcome and trace of a one-execution shuttle run: its choices given, or drawn from
/// `seed`.
fn once(
    max_steps: usize,
    choices: Option<Arc<ChoiceMap>>,
    seed: u64,
    run: impl FnOnce(&RunConfig) -> backend::RunResult,
) -> (Outcome, Trace) {
    let cfg = RunConfig {
        executions: 1,
        time_limit: DEFAULT_TIME_LIMIT,
        max_steps,
        progress: Arc::new(|_| {}),
        fingerprint: false,
        seed,
        chaos: false,
        choices,
    };
    let run = run(&cfg);
    let trace = run.last_trace.unwrap_or_default();
    let outcome = run
        .failure
        .map(|(_, outcome, _)| outcome)
        .unwrap_or(Outcome::Pass);
    (outcome, trace)
}
