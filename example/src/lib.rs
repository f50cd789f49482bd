//! Two small systems written against `racecheck::sync` and `racecheck::thread` as a user's
//! crate would write them, each with its bug and its fix; `tests/` checks them.
//!
//! - [`Bank::transfer_naive`] locks the source account, then the destination: two opposite
//!   transfers lock in opposite orders (ABBA) and deadlock. [`Bank::transfer`] locks in
//!   account order.
//! - [`Settings::get_naive`] checks for a loaded value, and if there is none loads it and
//!   stores it: two callers both load (check-then-act). [`Settings::get`] loads once.
//! - [`sum_of_squares_naive`] squares borrowed jobs on scoped workers into a bounded results
//!   channel and drains it after the scope: the scope's end waits for a worker that waits for
//!   room. [`sum_of_squares`] drains inside the scope.

use racecheck::sync::atomic::{AtomicUsize, Ordering};
use racecheck::sync::mpsc::named_sync_channel;
use racecheck::sync::{Arc, Mutex};
use racecheck::thread;

/// Accounts, each behind its own lock.
pub struct Bank {
    accounts: Vec<Mutex<i64>>,
}

impl Bank {
    pub fn new(balances: &[i64]) -> Self {
        let accounts = balances
            .iter()
            .enumerate()
            .map(|(i, &b)| Mutex::named(format!("account {i}"), b))
            .collect();
        Bank { accounts }
    }

    pub fn balance(&self, account: usize) -> i64 {
        *self.accounts[account].lock().unwrap()
    }

    /// The bug: lock `from`, then `to`.
    pub fn transfer_naive(&self, from: usize, to: usize, amount: i64) {
        let mut source = self.accounts[from].lock().unwrap();
        let mut dest = self.accounts[to].lock().unwrap();
        *source -= amount;
        *dest += amount;
    }

    /// The fix: lock the lower-numbered account first, whichever way the money goes.
    pub fn transfer(&self, from: usize, to: usize, amount: i64) {
        let (first, second) = (from.min(to), from.max(to));
        let mut low = self.accounts[first].lock().unwrap();
        let mut high = self.accounts[second].lock().unwrap();
        let (source, dest) = if from < to {
            (&mut *low, &mut *high)
        } else {
            (&mut *high, &mut *low)
        };
        *source -= amount;
        *dest += amount;
    }
}

/// Two clerks move money between the same two accounts in opposite directions.
pub fn opposite_transfers(transfer: fn(&Bank, usize, usize, i64)) {
    let bank = Arc::new(Bank::new(&[100, 100]));
    let b = bank.clone();
    let clerk = thread::Builder::new()
        .name("clerk")
        .spawn(move || transfer(&b, 1, 0, 30))
        .unwrap();
    transfer(&bank, 0, 1, 10);
    clerk.join().unwrap();
    racecheck::invariant!(bank.balance(0) + bank.balance(1) == 200);
}

/// Settings loaded on first use; loading is expensive and must happen once.
#[derive(Default)]
pub struct Settings {
    value: Mutex<Option<Arc<String>>>,
    loads: AtomicUsize,
}

impl Settings {
    fn load(&self) -> Arc<String> {
        self.loads.fetch_add(1, Ordering::SeqCst);
        Arc::new("retries=3".to_string())
    }

    /// How many times the settings were loaded.
    pub fn loads(&self) -> usize {
        self.loads.load(Ordering::SeqCst)
    }

    /// The bug: the check and the store are two critical sections; another caller can load
    /// between them.
    pub fn get_naive(&self) -> Arc<String> {
        if let Some(v) = self.value.lock().unwrap().as_ref() {
            return v.clone();
        }
        let v = self.load();
        *self.value.lock().unwrap() = Some(v.clone());
        v
    }

    /// The fix: check and load under one lock.
    pub fn get(&self) -> Arc<String> {
        let mut value = self.value.lock().unwrap();
        value.get_or_insert_with(|| self.load()).clone()
    }
}

/// Two threads read the settings at startup.
pub fn two_readers(get: fn(&Settings) -> Arc<String>) {
    let settings = Arc::new(Settings::default());
    let s = settings.clone();
    let reader = thread::Builder::new()
        .name("reader")
        .spawn(move || get(&s))
        .unwrap();
    get(&settings);
    reader.join().unwrap();
    racecheck::invariant!(
        settings.loads() == 1,
        "settings loaded {} times",
        settings.loads()
    );
}

/// Squares `jobs` on one scoped worker per job, each sending to a results channel of bound 1.
fn square_workers<'scope>(
    s: &'scope thread::Scope<'scope, '_>,
    jobs: &'scope [u64],
    results: racecheck::sync::mpsc::SyncSender<u64>,
) {
    for job in jobs {
        let results = results.clone();
        s.spawn(move || results.send(job * job).unwrap());
    }
}

/// The bug: the results are read once the scope is over, but the scope's end waits for every
/// worker, and all but one wait for room in the channel.
pub fn sum_of_squares_naive(jobs: &[u64]) -> u64 {
    let (results, sums) = named_sync_channel("results", 1);
    thread::scope(|s| square_workers(s, jobs, results));
    sums.iter().sum()
}

/// The fix: read the results inside the scope, while the workers run.
pub fn sum_of_squares(jobs: &[u64]) -> u64 {
    let (results, sums) = named_sync_channel("results", 1);
    thread::scope(|s| {
        square_workers(s, jobs, results);
        sums.iter().sum()
    })
}
