//! The systems under test: small re-implementations of the seeds' concurrency, written against
//! racecheck's facade so that every backend explores the same source.
//!
//! Each model keeps the real system's names, call order and log messages (as trace labels), and
//! has a `Variant` enum: the bug as reported and its fixes.

#![forbid(unsafe_code)]

pub mod async_compaction;
pub mod async_job_queue;
pub mod async_lease;
pub mod async_lock_manager;
pub mod async_request_cache;
pub mod compaction;
pub mod demo;
pub mod dynamo;
pub mod lease;
pub mod linearizable;
pub mod lock_manager;
pub mod pipeline;
pub mod pylock;
pub mod singleton_cache;
pub mod sqlite;
pub mod tokio_pitfalls;
