//! Panics inside an execution are outcomes, not output: the hook records where and why, the
//! thread wrapper classifies the payload (an invariant, a panic, or the silent [`Abort`]).

use super::{current, Abort, Execution};
use crate::outcome::Outcome;
use std::cell::RefCell;
use std::panic;
use std::sync::{Arc, Once};

thread_local! {
    /// Where and why the last panic on this OS thread happened, left by the panic hook for the
    /// thread wrapper that catches it.
    static LAST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Record the failure a panic of `who` (a thread or a task) means, unless it is an [`Abort`].
pub(crate) fn record_panic(exec: &Execution, who: String, payload: &(dyn std::any::Any + Send)) {
    if payload.downcast_ref::<Abort>().is_some() {
        return;
    }
    let message = LAST_PANIC
        .with(|p| p.borrow_mut().take())
        .unwrap_or_else(|| payload_message(payload));
    let outcome = match payload.downcast_ref::<crate::InvariantFailed>() {
        Some(inv) => Outcome::Invariant {
            thread: who,
            message: inv.0.clone(),
        },
        None => Outcome::Panic {
            thread: who,
            message,
        },
    };
    exec.fail(outcome);
}

/// The text of a panic payload.
pub(crate) fn payload_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else if let Some(inv) = payload.downcast_ref::<crate::InvariantFailed>() {
        inv.0.clone()
    } else {
        "non-string panic payload".to_string()
    }
}

/// Install the panic hook once: inside an execution a panic is recorded, not printed (the
/// report shows it); anywhere else the previous hook runs as before.
///
/// shuttle installs a hook of its own on its first run that prints to stderr; it is forced to
/// install first and then replaced, so racecheck's output stays the report alone.
pub(crate) fn install_panic_hook() {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        let previous: Arc<dyn Fn(&panic::PanicHookInfo<'_>) + Send + Sync> =
            Arc::from(panic::take_hook());
        let fallback = previous.clone();
        panic::set_hook(Box::new(move |info| fallback(info)));
        shuttle::Runner::new(
            shuttle::scheduler::RandomScheduler::new(1),
            shuttle::Config::new(),
        )
        .run(|| {});
        let _shuttle_hook = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if current().is_none() {
                return previous(info);
            }
            if info.payload().downcast_ref::<Abort>().is_some() {
                return;
            }
            let message = payload_message(info.payload());
            let message = match info.location() {
                Some(loc) => format!("{message} (at {}:{})", loc.file(), loc.line()),
                None => message,
            };
            LAST_PANIC.with(|p| *p.borrow_mut() = Some(message));
        }));
    });
}
