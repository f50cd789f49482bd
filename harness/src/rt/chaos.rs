//! Chaos for real threads: at facade operations, seeded random yields, spins and short sleeps,
//! so real threads reach interleavings the OS scheduler rarely gives (the idea of rr's chaos
//! mode, O'Callahan et al., "Engineering Record and Replay for Deployability", USENIX ATC 2017,
//! and of noise injection, Edelstein et al., "Multithreaded Java program test generation",
//! IBM Systems Journal 41(1), 2002).
//!
//! The draws are seeded per (run seed, thread), so the perturbations a run applies are the same
//! each time; the OS still decides what they lead to, so a real-threads run is not replayable,
//! only its seed is recorded.

use std::cell::Cell;
use std::time::Duration;

thread_local! {
    /// This OS thread's draw state; 0 is chaos off.
    static STATE: Cell<u64> = const { Cell::new(0) };
}

/// Seed this thread's draws for a run (`seed` 0 is mixed too, never left as "off").
pub(crate) fn seed_thread(seed: u64, thread: usize) {
    let s = crate::fnv::mix(
        crate::fnv::mix(0x9e37_79b9_7f4a_7c15, seed),
        thread as u64 + 1,
    );
    STATE.with(|c| c.set(s | 1));
}

/// Turn chaos off on this thread.
pub(crate) fn off() {
    STATE.with(|c| c.set(0));
}

/// The next draw (xorshift64*, Vigna, "An experimental exploration of Marsaglia's xorshift
/// generators, scrambled", ACM TOMS 42(4), 2016), or `None` with chaos off.
fn draw() -> Option<u64> {
    STATE.with(|c| {
        let mut x = c.get();
        if x == 0 {
            return None;
        }
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        c.set(x);
        Some(x.wrapping_mul(0x2545_f491_4f6c_dd1d))
    })
}

/// Maybe perturb the calling thread before a facade operation: about one operation in
/// sixteen yields, one in thirty-two spins for up to ~20 µs, one in 256 sleeps 50–250 µs
/// (which on a machine with few cores lets another thread run in the middle of this one's
/// work). Rarer than that and real threads miss bugs; more often and a loaded machine, where a
/// yield gives up a whole time slice, makes every run slow.
pub(crate) fn perturb() {
    let Some(r) = draw() else { return };
    match r % 256 {
        0 => std::thread::sleep(Duration::from_micros(50 + (r >> 8) % 200)),
        1..=8 => {
            for _ in 0..(r >> 8) % 4_000 {
                std::hint::spin_loop();
            }
        }
        9..=24 => std::thread::yield_now(),
        _ => {}
    }
}
