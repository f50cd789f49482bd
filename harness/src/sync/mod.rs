//! Synchronisation primitives mirroring `std::sync`, explored by whichever backend runs the check.
//!
//! `Arc` is std's: shuttle's is too, and loom's cannot be dropped while a failing execution
//! unwinds (the process aborts), so racecheck does not check `Arc` leaks.

pub mod atomic;
mod external;
pub mod mpsc;
mod mutex;
#[allow(unsafe_code)] // the cell is reached only as its state allows: SAFETY comments there
mod once;
#[allow(unsafe_code)] // its guards reach the data: SAFETY comments in the module
mod rwlock;

pub use external::External;
pub use mutex::{Condvar, Mutex, MutexGuard, WaitTimeoutResult};
pub use once::{LazyLock, OnceLock};
pub use rwlock::{Barrier, BarrierWaitResult, RwLock, RwLockReadGuard, RwLockWriteGuard};
pub use std::sync::{Arc, LockResult, TryLockError, TryLockResult};
