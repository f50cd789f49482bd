//! Independent checks on every core, their results handed back in submission order.
//!
//! Each job runs on one of `workers` OS threads; `each` sees every result in the order the
//! jobs were given, as soon as it and all before it are done, so the output of a parallel run
//! reads exactly as a sequential one's. What a job computes does not depend on which thread
//! ran it or when (a check's executions depend on its seed and budget only).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};

/// Run `job` over `inputs` on `workers` threads; call `each(index, result)` in input order.
/// `started(index)` is called on the worker as a job begins (for progress).
pub fn run_ordered<I, R, E>(
    inputs: &[I],
    workers: usize,
    job: impl Fn(&I) -> R + Sync,
    started: impl Fn(usize) + Sync,
    mut each: impl FnMut(usize, R) -> Result<(), E>,
) -> Result<(), E>
where
    I: Sync,
    R: Send,
{
    let next = AtomicUsize::new(0);
    let slots: Mutex<Vec<Option<R>>> = Mutex::new((0..inputs.len()).map(|_| None).collect());
    let ready = Condvar::new();
    let workers = workers.clamp(1, inputs.len().max(1));
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= inputs.len() {
                    return;
                }
                started(i);
                let r = job(&inputs[i]);
                slots.lock().unwrap_or_else(|p| p.into_inner())[i] = Some(r);
                ready.notify_all();
            });
        }
        let mut outcome = Ok(());
        for i in 0..inputs.len() {
            let mut s = slots.lock().unwrap_or_else(|p| p.into_inner());
            let r = loop {
                if let Some(r) = s[i].take() {
                    break r;
                }
                s = ready.wait(s).unwrap_or_else(|p| p.into_inner());
            };
            drop(s);
            outcome = each(i, r);
            if outcome.is_err() {
                // Stop handing out work and stop waiting: a job never handed out never fills
                // its slot. The running jobs finish (the scope joins them) and are dropped.
                next.store(inputs.len(), Ordering::Relaxed);
                break;
            }
        }
        outcome
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_come_back_in_input_order_whatever_finishes_first() {
        let inputs: Vec<u64> = (0..50).collect();
        let mut seen = Vec::new();
        // Later jobs are quicker, so they finish first on other workers.
        run_ordered(
            &inputs,
            4,
            |&n| {
                let spin = (50 - n) * 2_000;
                (0..spin).fold(n, |a, b| a.wrapping_add(b % 3))
                    - (0..spin).map(|b| b % 3).sum::<u64>()
            },
            |_| {},
            |i, r| {
                seen.push((i, r));
                Ok::<(), ()>(())
            },
        )
        .unwrap();
        assert_eq!(
            seen,
            inputs.iter().map(|&n| (n as usize, n)).collect::<Vec<_>>()
        );
    }

    #[test]
    fn an_error_stops_the_run_and_is_returned() {
        let inputs: Vec<u32> = (0..20).collect();
        let mut count = 0;
        let r = run_ordered(
            &inputs,
            2,
            |&n| n,
            |_| {},
            |_, n| {
                count += 1;
                if n == 3 {
                    Err("stop")
                } else {
                    Ok(())
                }
            },
        );
        assert_eq!(r, Err("stop"));
        assert_eq!(count, 4);
    }
}
