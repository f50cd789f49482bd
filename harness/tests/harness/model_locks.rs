//! Locks a model implements itself name themselves (`trace::asks`/`holds`/`lets_go`): a
//! deadlock inside one names the lock and its holder, not the condvar it is built from; a
//! `trace::mark_suspect` follows the step it marks, also from inside an `External` command.

use racecheck::sync::{Arc, Condvar, External, Mutex};
use racecheck::{thread, trace, BackendKind, Check, OutcomeKind};

/// A non-reentrant lock over a mutex and a condvar, as a Python `threading.Lock` is.
struct PyLock {
    locked: Mutex<bool>,
    released: Condvar,
}

impl PyLock {
    fn new() -> Self {
        PyLock {
            locked: Mutex::named("L.state", false),
            released: Condvar::named("L.released"),
        }
    }

    fn acquire(&self) {
        trace::asks("L");
        let mut locked = self.locked.lock().unwrap();
        while *locked {
            locked = self.released.wait(locked).unwrap();
        }
        *locked = true;
        trace::holds("L");
    }

    fn release(&self) {
        *self.locked.lock().unwrap() = false;
        trace::lets_go("L");
        self.released.notify_one();
    }
}

#[test]
fn a_thread_that_retakes_its_own_model_lock_is_named_as_its_holder() {
    for backend in BackendKind::ALL {
        let r = Check::new(|| {
            let lock = Arc::new(PyLock::new());
            let l = lock.clone();
            let worker = thread::Builder::new()
                .name("heartbeat")
                .spawn(move || {
                    l.acquire();
                    l.acquire();
                })
                .unwrap();
            thread::yield_now();
            lock.acquire();
            lock.release();
            worker.join().unwrap();
        })
        .backend(backend)
        .executions(200)
        .run();
        let f = r.assert_found(OutcomeKind::Deadlock);
        let text = f.outcome.to_string();
        assert!(
            text.contains("heartbeat waits on L, which it holds itself"),
            "{backend}: {text}"
        );
        // main either waits for the heartbeat's hold or joins it.
        assert!(
            text.contains("main waits on L (held by heartbeat)")
                || text.contains("main waits on join of heartbeat"),
            "{backend}: {text}"
        );
    }
}

#[test]
fn a_suspect_inside_a_command_follows_that_command() {
    let r = Check::new(|| {
        let counter = External::named("counter", 0u64);
        counter.command("write", |c| {
            trace::mark_suspect("overwrote a value it never read");
            *c = 1;
        });
        trace::event("after");
        trace::mark_suspect("the label before");
        racecheck::invariant!(false, "checked later");
    })
    .backend(BackendKind::Dfs)
    .run();
    let f = r.assert_found(OutcomeKind::Invariant);
    let lines = f.trace.lines();
    assert_eq!(
        lines,
        [
            "main: \"counter: write\"",
            "main: suspect: overwrote a value it never read",
            "main: \"after\"",
            "main: suspect: the label before",
        ],
        "{lines:?}"
    );
}
