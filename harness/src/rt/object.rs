//! The engine's state of each synchronisation object, one typed struct per primitive.

/// What a facade object is, given when it registers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ObjectKind {
    Mutex,
    Condvar,
    Atomic,
}

impl ObjectKind {
    /// The default name's prefix: `mutex#3`.
    pub(super) fn name(self) -> &'static str {
        match self {
            ObjectKind::Mutex => "mutex",
            ObjectKind::Condvar => "condvar",
            ObjectKind::Atomic => "atomic",
        }
    }
}

/// One object's state.
pub(super) enum Object {
    Mutex(MutexState),
    Condvar(CondvarState),
    /// An atomic has no state the engine needs: its events are the record.
    Atomic,
}

#[derive(Default)]
pub(super) struct MutexState {
    /// The thread that holds it.
    pub owner: Option<usize>,
}

#[derive(Default)]
pub(super) struct CondvarState {
    /// Threads now waiting on it.
    pub waiters: usize,
    /// Notifications sent to waiters that have not woken yet (never above `waiters`).
    pub tokens: usize,
    /// How many of `waiters` wait with a timeout.
    pub timed_waiters: usize,
    /// Notifications sent so far, so a timed waiter takes only a token sent after it began to
    /// wait.
    pub notifies: u64,
}

impl Object {
    pub(super) fn new(kind: ObjectKind) -> Self {
        match kind {
            ObjectKind::Mutex => Object::Mutex(MutexState::default()),
            ObjectKind::Condvar => Object::Condvar(CondvarState::default()),
            ObjectKind::Atomic => Object::Atomic,
        }
    }

    pub(super) fn kind(&self) -> ObjectKind {
        match self {
            Object::Mutex(_) => ObjectKind::Mutex,
            Object::Condvar(_) => ObjectKind::Condvar,
            Object::Atomic => ObjectKind::Atomic,
        }
    }
}
