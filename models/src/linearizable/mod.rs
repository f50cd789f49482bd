//! The catalogue's objects checked for linearizability: each model records its operations in a
//! [`racecheck::history::History`] and checks it against a sequential spec at its end, instead
//! of (or besides) stating the damage as an invariant.

pub mod lease;
pub mod singleton;
pub mod tickets;
