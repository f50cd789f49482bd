//! A hasher for the schedulers' per-step tables, a word at a time: keys are a few integers
//! (thread kinds, object ids, ranks), and FNV-1a's byte-at-a-time loop cost eight multiplies
//! a word where this costs one. The mixing step (rotate, xor, multiply by an odd constant
//! from the golden ratio) is the one of the Firefox hash, as rustc's `FxHasher` uses it. Not
//! for keys an adversary chooses: the model's own ids only.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

const K: u64 = 0x517c_c1b7_2722_0a95;

#[derive(Default, Clone, Copy)]
pub(super) struct WordHasher(u64);

impl WordHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(K);
    }
}

impl Hasher for WordHasher {
    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.add(u64::from_le_bytes(c.try_into().expect("8 bytes")));
        }
        for &b in chunks.remainder() {
            self.add(u64::from(b));
        }
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }

    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }

    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    #[inline]
    fn write_isize(&mut self, i: isize) {
        self.add(i as u64);
    }
}

pub(super) type Map<K, V> = HashMap<K, V, BuildHasherDefault<WordHasher>>;
pub(super) type Set<K> = HashSet<K, BuildHasherDefault<WordHasher>>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_keys_hash_equal_and_neighbours_apart() {
        use std::hash::BuildHasher;
        let b = BuildHasherDefault::<WordHasher>::default();
        assert_eq!(b.hash_one((1u64, 2u32)), b.hash_one((1u64, 2u32)));
        assert_ne!(b.hash_one((1u64, 2u32)), b.hash_one((2u64, 1u32)));
        // hashbrown reads the top seven bits: neighbouring ids must not share them all.
        let tops: Set<u64> = (0..64u64).map(|i| b.hash_one(i) >> 57).collect();
        assert!(
            tops.len() > 16,
            "{} distinct top bits of 64 ids",
            tops.len()
        );
    }
}
