//! Progress of a run of many checks a person can follow: "check 37 of 255", the time so far and
//! an estimate of what is left, and the checks running now. On a terminal it is a live line on
//! stderr; elsewhere (CI logs, a pipe) a plain line at least every 10 s.

use std::io::IsTerminal;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// How often a plain progress line is printed when stderr is not a terminal.
const PLAIN_EVERY: Duration = Duration::from_secs(10);

struct State {
    total: usize,
    done: usize,
    running: Vec<String>,
    finished: bool,
}

/// A run's progress, shared by the workers.
#[derive(Clone)]
pub struct Progress {
    state: Arc<(Mutex<State>, Condvar)>,
    started: Instant,
    live: bool,
}

impl Progress {
    /// Start reporting on `total` checks; a thread prints until [`finish`](Self::finish).
    pub fn start(total: usize) -> Self {
        let p = Progress {
            state: Arc::new((
                Mutex::new(State {
                    total,
                    done: 0,
                    running: Vec::new(),
                    finished: false,
                }),
                Condvar::new(),
            )),
            started: Instant::now(),
            live: std::io::stderr().is_terminal(),
        };
        let printer = p.clone();
        std::thread::spawn(move || printer.print_until_finished());
        p
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A check named `name` started.
    pub fn begin(&self, name: String) {
        self.lock().running.push(name);
    }

    /// The check named `name` ended.
    pub fn end(&self, name: &str) {
        let mut s = self.lock();
        if let Some(i) = s.running.iter().position(|r| r == name) {
            s.running.remove(i);
        }
        s.done += 1;
    }

    /// Clear a live line before other output goes to the terminal (the printer redraws it).
    pub fn clear_line(&self) {
        if self.live {
            eprint!("\r\x1b[2K");
        }
    }

    /// Stop printing, and clear a live line.
    pub fn finish(&self) {
        self.lock().finished = true;
        self.state.1.notify_all();
        if self.live {
            eprint!("\r\x1b[2K");
        }
    }

    /// The line a person reads: `check 37 of 255, 0:42 elapsed, about 0:30 left: lease.redis/…`.
    fn line(&self, s: &State) -> String {
        let elapsed = self.started.elapsed();
        let left = if s.done > 0 && s.done < s.total {
            let per = elapsed.as_secs_f64() / s.done as f64;
            format!(", about {} left", clock(per * (s.total - s.done) as f64))
        } else {
            String::new()
        };
        let now = (s.done + 1).min(s.total);
        let mut line = format!(
            "check {now} of {}, {} elapsed{left}",
            s.total,
            clock(elapsed.as_secs_f64())
        );
        if !s.running.is_empty() {
            line.push_str(": ");
            line.push_str(&s.running.join(", "));
        }
        line
    }

    fn print_until_finished(&self) {
        let every = if self.live {
            Duration::from_millis(200)
        } else {
            PLAIN_EVERY
        };
        let mut s = self.lock();
        loop {
            s = self
                .state
                .1
                .wait_timeout(s, every)
                .unwrap_or_else(|e| e.into_inner())
                .0;
            if s.finished {
                return;
            }
            let line = self.line(&s);
            if self.live {
                let width = 120;
                let cut: String = line.chars().take(width).collect();
                eprint!("\r\x1b[2K{cut}");
            } else {
                eprintln!("{line}");
            }
        }
    }
}

/// Seconds as `m:ss`.
fn clock(seconds: f64) -> String {
    let s = seconds.round() as u64;
    format!("{}:{:02}", s / 60, s % 60)
}
