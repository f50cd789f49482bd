//! Python's Lock and RLock models behave as CPython's do.

use racecheck::sync::Arc;
use racecheck::{invariant, thread, BackendKind, Check, OutcomeKind, Verdict};
use racecheck_models::pylock::{Lock, RLock, ReleaseError};

#[test]
fn rlock_is_reentrant_counted_and_owned() {
    let r = Check::new(|| {
        let l = Arc::new(RLock::new("r"));
        l.acquire();
        l.acquire();
        let l2 = l.clone();
        let other = thread::spawn(move || l2.release());
        invariant!(
            other.join().unwrap() == Err(ReleaseError::NotOwner),
            "a non-owner released"
        );
        l.release().unwrap();
        l.release().unwrap();
        invariant!(
            l.release() == Err(ReleaseError::NotOwner),
            "released more than acquired"
        );
    })
    .backend(BackendKind::Loom)
    .run();
    assert_eq!(
        r.verdict(),
        Verdict::Verified,
        "{:?}",
        r.failure.map(|f| f.outcome)
    );
}

#[test]
fn lock_acquired_twice_by_one_thread_deadlocks() {
    let r = Check::new(|| {
        let l = Lock::new("l");
        l.acquire();
        l.acquire();
    })
    .backend(BackendKind::Loom)
    .run();
    assert_eq!(r.verdict(), Verdict::Found(OutcomeKind::Deadlock));
}

#[test]
fn lock_may_be_released_by_another_thread_but_not_twice() {
    let r = Check::new(|| {
        let l = Arc::new(Lock::new("l"));
        l.acquire();
        let l2 = l.clone();
        let t = thread::spawn(move || l2.release());
        invariant!(t.join().unwrap().is_ok(), "threading.Lock has no owner");
        invariant!(
            l.release() == Err(ReleaseError::Unlocked),
            "released an unlocked lock"
        );
    })
    .backend(BackendKind::Loom)
    .run();
    assert_eq!(
        r.verdict(),
        Verdict::Verified,
        "{:?}",
        r.failure.map(|f| f.outcome)
    );
}
