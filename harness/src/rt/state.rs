//! What an execution holds: per-thread statuses, the objects, the events so far, the clock.

use super::object::{CondvarState, MutexState, Object};
use super::{per_thread, Event};
use crate::outcome::Outcome;
use std::borrow::Cow;
use std::cell::RefCell;

/// What a blocked thread waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Wait {
    Mutex(usize),
    /// A condvar wait; with a deadline (virtual nanoseconds) for `wait_timeout`.
    Condvar {
        condvar: usize,
        mutex: usize,
        deadline: Option<u64>,
    },
    Join(usize),
    /// `thread::park`, until an unpark; with a deadline for `park_timeout`.
    Park {
        deadline: Option<u64>,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Status {
    Running,
    Blocked(Wait),
    /// In `time::sleep` until the virtual clock reaches `until`.
    Sleeping {
        until: u64,
    },
    Finished,
}

pub(super) struct State {
    /// Thread names; `None` is the default, `thread-N` (thread 0 is `main`).
    pub thread_names: Vec<Option<Cow<'static, str>>>,
    pub status: Vec<Status>,
    /// Object names; `None` is the default, `<kind>#N`.
    pub object_names: Vec<Option<Cow<'static, str>>>,
    pub objects: Vec<Object>,
    pub events: Vec<Event>,
    pub failure: Option<Outcome>,
    /// The virtual clock, in nanoseconds since the execution started.
    pub clock: u64,
    /// Threads whose timed condvar wait or `park_timeout` ended by its deadline.
    pub timed_out: Vec<bool>,
    /// Threads unparked while not parked: their next `park` returns at once (std's token).
    pub park_token: Vec<bool>,
    /// The `notifies` count of the condvar each thread last began waiting on.
    pub wait_from: Vec<u64>,
    /// Replay only: threads that recorded a release (or a condvar wait) whose backend mutex is
    /// not released yet. shuttle switches *before* it releases a mutex, so a replay may have to
    /// let such a thread finish its release, with no event, before the next recorded step can
    /// run; likewise a thread still waking others after its event (see `settle_and_wake`).
    /// Cleared at the thread's next step point.
    pub releasing: Vec<bool>,
    /// The model's own locks, as it names them (see `trace::holds`).
    pub model_locks: super::model_locks::ModelLocks,
}

thread_local! {
    /// The state of the last execution this OS thread dropped, emptied: the next execution
    /// reuses its vectors instead of allocating ten of them (a tenth of the facade's cost on
    /// a small model).
    static SPARE: RefCell<Option<State>> = const { RefCell::new(None) };
}

/// A spare state whose trace grew beyond this many events is freed, not kept.
const SPARE_MAX_EVENTS: usize = 1 << 16;

impl State {
    /// A fresh state: the spare one of this OS thread, emptied, if there is one.
    pub(super) fn new() -> Self {
        match SPARE.try_with(|s| s.borrow_mut().take()).ok().flatten() {
            Some(mut s) => {
                s.reset();
                s
            }
            None => State::allocate(),
        }
    }

    /// Keep `self`'s vectors for this OS thread's next execution.
    pub(super) fn recycle(self) {
        if self.events.capacity() <= SPARE_MAX_EVENTS {
            let _ = SPARE.try_with(|s| *s.borrow_mut() = Some(self));
        }
    }

    /// A state with nothing allocated, to leave behind when one is recycled.
    pub(super) fn empty() -> Self {
        State {
            thread_names: Vec::new(),
            status: Vec::new(),
            object_names: Vec::new(),
            objects: Vec::new(),
            events: Vec::new(),
            failure: None,
            clock: 0,
            timed_out: Vec::new(),
            park_token: Vec::new(),
            wait_from: Vec::new(),
            releasing: Vec::new(),
            model_locks: Default::default(),
        }
    }

    fn allocate() -> Self {
        // Room for a few threads and objects up front: growing these from one element cost a
        // realloc each per execution, ~15% of the facade's cost on a small model.
        State {
            thread_names: per_thread(Some(Cow::Borrowed("main"))),
            status: per_thread(Status::Running),
            object_names: Vec::with_capacity(8),
            objects: Vec::with_capacity(8),
            events: Vec::with_capacity(64),
            failure: None,
            clock: 0,
            timed_out: per_thread(false),
            park_token: per_thread(false),
            wait_from: per_thread(0),
            releasing: per_thread(false),
            model_locks: Default::default(),
        }
    }

    /// Empty every vector, keeping its room, and add main's entries: as `allocate` leaves it.
    pub(super) fn reset(&mut self) {
        self.thread_names.clear();
        self.thread_names.push(Some(Cow::Borrowed("main")));
        self.status.clear();
        self.status.push(Status::Running);
        self.object_names.clear();
        self.objects.clear();
        self.events.clear();
        self.failure = None;
        self.clock = 0;
        for v in [
            &mut self.timed_out,
            &mut self.park_token,
            &mut self.releasing,
        ] {
            v.clear();
            v.push(false);
        }
        self.wait_from.clear();
        self.wait_from.push(0);
        self.model_locks.clear();
    }

    /// A new thread's entries; its index.
    pub(super) fn add_thread(&mut self, name: Option<String>) -> usize {
        let id = self.status.len();
        self.thread_names.push(name.map(Cow::Owned));
        self.status.push(Status::Running);
        self.timed_out.push(false);
        self.park_token.push(false);
        self.wait_from.push(0);
        self.releasing.push(false);
        id
    }

    /// Mutex `id`'s state.
    ///
    /// # Panics
    /// If `id` is not a mutex: the facade gave the engine a wrong id.
    pub(super) fn mutex(&mut self, id: usize) -> &mut MutexState {
        match &mut self.objects[id] {
            Object::Mutex(m) => m,
            _ => panic!("object {id} is not a mutex"),
        }
    }

    /// Whether mutex `id` is held.
    pub(super) fn is_held(&self, id: usize) -> bool {
        matches!(&self.objects[id], Object::Mutex(m) if m.owner.is_some())
    }

    pub(super) fn owner(&self, id: usize) -> Option<usize> {
        match &self.objects[id] {
            Object::Mutex(m) => m.owner,
            _ => None,
        }
    }

    /// Condvar `id`'s state.
    ///
    /// # Panics
    /// If `id` is not a condvar: the facade gave the engine a wrong id.
    pub(super) fn condvar(&mut self, id: usize) -> &mut CondvarState {
        match &mut self.objects[id] {
            Object::Condvar(c) => c,
            _ => panic!("object {id} is not a condvar"),
        }
    }

    pub(super) fn condvar_ref(&self, id: usize) -> &CondvarState {
        match &self.objects[id] {
            Object::Condvar(c) => c,
            _ => panic!("object {id} is not a condvar"),
        }
    }

    pub(super) fn thread_name(&self, t: usize) -> String {
        match &self.thread_names[t] {
            Some(name) => name.to_string(),
            None => format!("thread-{t}"),
        }
    }

    pub(super) fn object_name(&self, o: usize) -> String {
        match &self.object_names[o] {
            Some(name) => name.to_string(),
            None => format!("{}#{o}", self.objects[o].kind().name()),
        }
    }
}
