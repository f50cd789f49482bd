//! Choices: values a model leaves open (how long an upload takes, whether a pause happens),
//! picked per execution so that a check covers them as it covers interleavings.
//!
//! A choice is keyed by the thread that makes it and its rank among that thread's choices
//! (the k-th choice of thread t), so one key asks the same question in every interleaving.
//! Where the value comes from depends on the backend:
//! - the random walk, PCT and real threads draw it from the execution's seed and the key;
//! - loom and DFS take it from a fixed assignment, and [`Enumeration`] runs the backend once
//!   per assignment: "verified" then means for every assignment and every interleaving;
//! - replay and shrinking take the values the trace recorded.

use std::collections::BTreeMap;
use std::sync::Arc;

/// Which choice: the thread making it and its rank among that thread's choices.
pub(crate) type Key = (usize, usize);

/// Chosen values (option indices) by key.
pub type ChoiceMap = BTreeMap<Key, usize>;

/// Where an execution's choices come from.
#[derive(Clone, Debug)]
pub(crate) enum ChoiceSource {
    /// A draw from a hash of this seed and the key.
    Seeded(u64),
    /// These values; a key without one takes its first option.
    Fixed(Arc<ChoiceMap>),
}

impl Default for ChoiceSource {
    fn default() -> Self {
        ChoiceSource::Fixed(Arc::default())
    }
}

/// One execution's choices: where they come from and what it met.
#[derive(Debug, Default)]
pub(crate) struct Choices {
    source: ChoiceSource,
    /// How many choices each thread has made.
    made: Vec<usize>,
    /// The number of options at every key this execution met.
    options: ChoiceMap,
}

impl Choices {
    /// Built field by field: `..Choices::default()` would allocate a default source's map
    /// only to drop it, twice per execution.
    pub(crate) fn new(source: ChoiceSource) -> Self {
        Choices {
            source,
            made: Vec::new(),
            options: ChoiceMap::new(),
        }
    }

    /// As `new(source)` leaves it, keeping what it allocated: once an execution, so an empty
    /// map is not dropped (a walk of its nodes) only to build another.
    pub(crate) fn restart(&mut self, source: ChoiceSource) {
        self.source = source;
        self.made.clear();
        if !self.options.is_empty() {
            self.options.clear();
        }
    }

    /// Thread `me`'s next choice among `options` (at least 1): an index below `options`.
    pub(crate) fn pick(&mut self, me: usize, options: usize) -> usize {
        if self.made.len() <= me {
            self.made.resize(me + 1, 0);
        }
        let key = (me, self.made[me]);
        self.made[me] += 1;
        let seen = self.options.entry(key).or_insert(0);
        *seen = (*seen).max(options);
        let value = match &self.source {
            ChoiceSource::Seeded(seed) => draw(*seed, key) % options as u64,
            ChoiceSource::Fixed(values) => values.get(&key).copied().unwrap_or(0) as u64,
        };
        // A recorded value past this choice's options (the model changed): its last option.
        (value as usize).min(options - 1)
    }

    /// The number of options at every key this execution met.
    pub(crate) fn options(&self) -> &ChoiceMap {
        &self.options
    }
}

/// A well-mixed 64-bit value of `seed` and `key` (the SplitMix64 finaliser, Steele, Lea and
/// Flood, "Fast splittable pseudorandom number generators", OOPSLA 2014).
fn draw(seed: u64, (thread, rank): Key) -> u64 {
    let mut z = seed
        ^ (thread as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
        ^ (rank as u64).wrapping_mul(0xD1B5_4A32_D192_ED69);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Every assignment of the choices a model makes, for a backend that explores interleavings
/// but not data (loom, DFS): the backend runs once per assignment.
///
/// The assignments are counted like an odometer over the keys the last run met, in key order,
/// the last key turning fastest, and the keys after a turned one start again from their first
/// option. A key first met under some assignment joins the count from then on, so every
/// combination of the options met runs at least once (a few may run twice, when which keys
/// are met depends on a later key's value), provided the number of options at a key does not
/// change with the values chosen.
#[derive(Debug, Default)]
pub(crate) struct Enumeration {
    assignment: ChoiceMap,
    runs: u64,
}

impl Enumeration {
    /// The assignment to run now.
    pub(crate) fn assignment(&self) -> Arc<ChoiceMap> {
        Arc::new(self.assignment.clone())
    }

    /// Take in the options the last run met (in any of its executions) and move to the next
    /// assignment; false once every assignment has run.
    pub(crate) fn advance(&mut self, met: &ChoiceMap) -> bool {
        self.runs += 1;
        let value = |key: &Key| self.assignment.get(key).copied().unwrap_or(0);
        let Some(key) = met
            .iter()
            .rev()
            .find(|(key, &n)| value(key) + 1 < n)
            .map(|(key, _)| *key)
        else {
            return false;
        };
        let turned = value(&key) + 1;
        self.assignment.retain(|k, _| *k < key);
        self.assignment.insert(key, turned);
        true
    }

    /// How many assignments have run.
    #[cfg(test)]
    pub(crate) fn runs(&self) -> u64 {
        self.runs
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enumeration_runs_every_combination_once() {
        // Thread 1 chooses among 3, thread 2 among 2; thread 2's second choice (among 2)
        // exists only when its first was 1.
        let mut seen = Vec::new();
        let mut e = Enumeration::default();
        loop {
            let a = e.assignment();
            let mut c = Choices::new(ChoiceSource::Fixed(a));
            let x = c.pick(1, 3);
            let y = c.pick(2, 2);
            let z = (y == 1).then(|| c.pick(2, 2));
            seen.push((x, y, z));
            if !e.advance(c.options()) {
                break;
            }
        }
        seen.sort();
        let mut want = Vec::new();
        for x in 0..3 {
            want.push((x, 0, None));
            want.push((x, 1, Some(0)));
            want.push((x, 1, Some(1)));
        }
        assert_eq!(seen, want);
        assert_eq!(e.runs(), 9);
    }

    #[test]
    fn a_key_met_only_after_a_later_key_turned_is_still_covered() {
        // Thread 1 chooses only once thread 2 has chosen 1 (state shared between them).
        let mut seen = Vec::new();
        let mut e = Enumeration::default();
        loop {
            let mut c = Choices::new(ChoiceSource::Fixed(e.assignment()));
            let y = c.pick(2, 2);
            let x = (y == 1).then(|| c.pick(1, 2));
            seen.push((y, x));
            if !e.advance(c.options()) {
                break;
            }
        }
        seen.sort();
        seen.dedup();
        assert_eq!(seen, vec![(0, None), (1, Some(0)), (1, Some(1))]);
    }

    #[test]
    fn a_model_without_choices_runs_once() {
        let mut e = Enumeration::default();
        assert!(!e.advance(&ChoiceMap::new()));
        assert_eq!(e.runs(), 1);
    }

    #[test]
    fn seeded_draws_depend_on_seed_and_key_only() {
        let picks = |seed| {
            let mut c = Choices::new(ChoiceSource::Seeded(seed));
            (0..8).map(|_| c.pick(1, 5)).collect::<Vec<_>>()
        };
        assert_eq!(picks(7), picks(7));
        assert_ne!(picks(7), picks(8));
        assert!(picks(7).iter().all(|&v| v < 5));
    }
}
