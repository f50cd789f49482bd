//! One run of a model under one backend: its state behind one lock, and recording a step.

use super::choice::{ChoiceMap, ChoiceSource, Choices};
use super::clock::Parker;
use super::events::ChoiceStep;
use super::object::{Object, ObjectKind};
use super::state::State;
use super::tasks::Tasks;
use super::{Abort, Event, EventKind, ModelLockOp, Primitives, Trace};
use crate::outcome::Outcome;
use std::borrow::Cow;
use std::panic;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock};

/// One run of a model under one backend.
pub(crate) struct Execution {
    pub(crate) primitives: Primitives,
    pub(super) max_steps: usize,
    /// Replaying a recorded schedule: every step is also a switch point (see `step_point`).
    replaying: bool,
    aborted: AtomicBool,
    pub(super) state: Mutex<State>,
    /// Under the model backends, how to wake each thread parked on the clock or a timed wait
    /// (filled on a thread's first such wait).
    pub(super) parkers: Mutex<Vec<Option<Parker>>>,
    /// Real threads: rung when the virtual clock moves, a condvar with timed waiters is
    /// notified, or the execution fails; sleepers and timed waiters wait on it with `state`.
    pub(super) real_wake: Condvar,
    pub(super) tasks: Mutex<Tasks>,
    /// Real backend: the paused tokio clock's start, once a `future::block_on` began.
    pub(crate) tokio_start: OnceLock<tokio::time::Instant>,
    /// loom: what carries `unpark`'s happens-before edge to the `park` it ends (see `park`).
    pub(super) park_sync: OnceLock<loom::sync::atomic::AtomicUsize>,
    /// Real backend: the seed of this run's chaos (see [`super::chaos`]), if it is on.
    chaos: OnceLock<u64>,
    /// The choices the model leaves open, and where their values come from.
    choices: Mutex<Choices>,
}

impl Drop for Execution {
    fn drop(&mut self) {
        let state = self.state.get_mut().unwrap_or_else(|p| p.into_inner());
        std::mem::replace(state, State::empty()).recycle();
    }
}

impl Execution {
    pub(crate) fn new(primitives: Primitives, max_steps: usize, replaying: bool) -> Arc<Execution> {
        let park_sync = OnceLock::new();
        if primitives == Primitives::Loom {
            // Made by main before it spawns: loom sees every thread's use come after it.
            let _ = park_sync.set(Default::default());
        }
        Arc::new(Execution {
            primitives,
            max_steps,
            replaying,
            aborted: AtomicBool::new(false),
            state: Mutex::new(State::new()),
            parkers: Mutex::new(Vec::new()),
            real_wake: Condvar::new(),
            tasks: Mutex::new(Tasks::default()),
            tokio_start: OnceLock::new(),
            park_sync,
            chaos: OnceLock::new(),
            // A placeholder with nothing allocated: `set_choices` replaces it before the model runs.
            choices: Mutex::new(Choices::new(ChoiceSource::Seeded(0))),
        })
    }

    /// A new execution under shuttle, made of `previous` when nothing else holds it any more:
    /// every field is put back as [`new`](Self::new) leaves it, without allocating the
    /// execution again or moving its state (about 1,000 instructions an execution). Other
    /// backends, or a `previous` still referred to, get a fresh one.
    pub(crate) fn renew(
        previous: Option<Arc<Execution>>,
        primitives: Primitives,
        max_steps: usize,
        replaying: bool,
    ) -> Arc<Execution> {
        if let Some(mut exec) = previous.filter(|_| primitives == Primitives::Shuttle) {
            if let Some(e) = Arc::get_mut(&mut exec).filter(|e| e.primitives == primitives) {
                e.reset(max_steps, replaying);
                return exec;
            }
        }
        Execution::new(primitives, max_steps, replaying)
    }

    /// Back to what `new` makes (a shuttle execution): every field is named, so a field added
    /// later must be given its reset here.
    fn reset(&mut self, max_steps: usize, replaying: bool) {
        let Execution {
            primitives: _,
            max_steps: steps,
            replaying: replay,
            aborted,
            state,
            parkers,
            real_wake: _,
            tasks,
            tokio_start,
            park_sync,
            chaos,
            choices,
        } = self;
        *steps = max_steps;
        *replay = replaying;
        *aborted.get_mut() = false;
        state.get_mut().unwrap_or_else(|p| p.into_inner()).reset();
        parkers.get_mut().unwrap_or_else(|p| p.into_inner()).clear();
        tasks.get_mut().unwrap_or_else(|p| p.into_inner()).clear();
        tokio_start.take();
        park_sync.take();
        chaos.take();
        choices
            .get_mut()
            .unwrap_or_else(|p| p.into_inner())
            .restart(ChoiceSource::Seeded(0));
    }

    /// Take this execution's choices from `source` (before the model runs).
    pub(crate) fn set_choices(&self, source: ChoiceSource) {
        self.choices
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .restart(source);
    }

    /// Thread `me` picks one of `of` options for `label`, recorded as a step showing
    /// `show(index)`.
    pub(crate) fn choose(
        &self,
        me: usize,
        label: Cow<'static, str>,
        of: usize,
        show: &dyn Fn(usize) -> String,
    ) -> usize {
        let index = self
            .choices
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .pick(me, of);
        let shown = show(index);
        self.record(
            me,
            EventKind::Choice(Box::new(ChoiceStep {
                label,
                shown,
                index,
                of,
            })),
        );
        index
    }

    /// The number of options at every choice this execution met; `None` if it met none
    /// (most models: no map is copied and dropped for them).
    pub(crate) fn choice_options(&self) -> Option<ChoiceMap> {
        let choices = self.choices.lock().unwrap_or_else(|p| p.into_inner());
        let met = choices.options();
        (!met.is_empty()).then(|| met.clone())
    }

    /// Real backend: perturb this run's threads with chaos seeded by `seed`.
    pub(crate) fn set_chaos(&self, seed: u64) {
        let _ = self.chaos.set(seed);
    }

    /// Real backend: seed (or turn off) the calling OS thread's chaos as model thread `me`.
    pub(crate) fn start_chaos(&self, me: usize) {
        match self.chaos.get() {
            Some(&seed) => super::chaos::seed_thread(seed, me),
            None => super::chaos::off(),
        }
    }

    /// Under replay, let the scheduler pick the thread of the next recorded step before this one.
    ///
    /// A race recorded on real threads may order two steps where shuttle has no switch point
    /// between them (a label right after a spawn, say). Replays of loom and shuttle recordings
    /// are unaffected: at an extra switch point the follower picks the thread already running.
    ///
    /// Inlined: at every facade operation it is two tests; the rare work is out of line.
    #[inline(always)]
    pub(super) fn step_point(&self) {
        if self.primitives == Primitives::Threads {
            return super::chaos::perturb();
        }
        if self.replaying {
            self.replay_step_point();
        }
    }

    #[cold]
    #[inline(never)]
    fn replay_step_point(&self) {
        if !std::thread::panicking() {
            let me = usize::from(shuttle::current::me());
            self.lock().releasing[me] = false;
            shuttle::thread::yield_now();
        }
    }

    pub(super) fn replaying(&self) -> bool {
        self.replaying
    }

    /// Replay: whether thread `t` recorded a release its backend has not carried out yet.
    pub(crate) fn releasing(&self, t: usize) -> bool {
        self.lock().releasing.get(t).copied().unwrap_or(false)
    }

    #[inline]
    pub(super) fn lock(&self) -> MutexGuard<'_, State> {
        // A panic never happens while this lock is held, but stay usable if one did.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether the execution has failed and its threads should unwind (real threads poll this).
    pub(crate) fn is_aborted(&self) -> bool {
        self.aborted.load(Ordering::Acquire)
    }

    /// Unwind the calling thread because the execution is over.
    pub(crate) fn abort_unwind(&self) -> ! {
        panic::panic_any(Abort)
    }

    pub(crate) fn register_object(
        &self,
        kind: ObjectKind,
        name: Option<Cow<'static, str>>,
    ) -> usize {
        let mut s = self.lock();
        let id = s.objects.len();
        s.object_names.push(name);
        s.objects.push(Object::new(kind));
        id
    }

    /// Record one event of thread `me`.
    pub(crate) fn record(&self, me: usize, kind: EventKind) {
        self.step_point();
        let mut s = self.lock();
        self.push(&mut s, me, kind);
        self.settle(s);
    }

    /// Record a step of a model-level lock and keep who holds it.
    pub(crate) fn record_model_lock(&self, me: usize, lock: Cow<'static, str>, op: ModelLockOp) {
        self.step_point();
        let mut s = self.lock();
        s.model_locks.apply(me, lock.clone(), op);
        self.push(&mut s, me, EventKind::ModelLock { lock, op });
        self.settle(s);
    }

    /// Record one event of thread `me` and say where it fell: its step index and virtual time.
    pub(crate) fn record_indexed(&self, me: usize, kind: EventKind) -> (usize, u64) {
        self.step_point();
        let mut s = self.lock();
        let at = (s.events.len(), s.clock);
        self.push(&mut s, me, kind);
        self.settle(s);
        at
    }

    pub(crate) fn record_atomic(&self, me: usize, object: usize, op: &'static str, value: i128) {
        self.record(me, EventKind::Atomic { object, op, value });
    }

    /// Append a step; the trace ends at the failure, so nothing is appended after one.
    #[inline]
    pub(super) fn push(&self, s: &mut State, me: usize, kind: EventKind) {
        self.push_with(s, me, || kind)
    }

    /// `push`, building the event only once it is appended: a kind built before the failure
    /// test must be kept in memory to be dropped on the early return, and is then copied into
    /// place twice (the lock path's three pushes are ~10 instructions shorter each this way).
    #[inline]
    pub(super) fn push_with(&self, s: &mut State, me: usize, kind: impl FnOnce() -> EventKind) {
        if s.failure.is_some() {
            return;
        }
        let time = s.clock;
        s.events.push(Event {
            thread: me,
            kind: kind(),
            time,
        });
        if s.events.len() > self.max_steps {
            s.failure = Some(Outcome::StepBound {
                steps: s.events.len(),
            });
        }
    }

    /// Release the state and unwind if the execution has failed meanwhile.
    #[inline]
    pub(super) fn settle(&self, s: MutexGuard<'_, State>) {
        let failed = s.failure.is_some();
        drop(s);
        if failed && !std::thread::panicking() {
            self.mark_aborted();
            self.abort_unwind();
        }
    }

    fn mark_aborted(&self) {
        self.aborted.store(true, Ordering::Release);
        super::note_aborted(self);
        if self.primitives == Primitives::Threads {
            self.real_wake.notify_all();
        }
    }

    /// Record a failure (the first one wins) and mark the execution aborted.
    pub(crate) fn fail(&self, outcome: Outcome) {
        {
            let mut s = self.lock();
            if s.failure.is_none() {
                s.failure = Some(outcome);
            }
        }
        self.mark_aborted();
    }

    pub(crate) fn thread_name(&self, t: usize) -> String {
        self.lock().thread_name(t)
    }

    pub(crate) fn has_failed(&self) -> bool {
        self.lock().failure.is_some()
    }

    /// The outcome and the trace, once the execution is over.
    pub(crate) fn finish(&self) -> (Outcome, Trace) {
        let s = self.lock();
        let outcome = s.failure.clone().unwrap_or(Outcome::Pass);
        let trace = Trace {
            threads: (0..s.thread_names.len())
                .map(|t| s.thread_name(t))
                .collect(),
            objects: (0..s.object_names.len())
                .map(|o| s.object_name(o))
                .collect(),
            events: s.events.clone(),
        };
        (outcome, trace)
    }

    /// A hash of the events so far: equal traces hash equal.
    pub(crate) fn fingerprint(&self) -> u64 {
        use std::hash::{Hash, Hasher};
        let s = self.lock();
        let mut h = crate::fnv::Fnv::new();
        s.events.hash(&mut h);
        s.thread_names.hash(&mut h);
        h.finish()
    }

    /// How many events have been recorded: replay's position in its schedule.
    pub(crate) fn steps(&self) -> usize {
        self.lock().events.len()
    }
}
