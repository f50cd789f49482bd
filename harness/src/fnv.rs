//! FNV-1a, for fingerprints that compare runs: cheap and stable across builds and platforms,
//! unlike std's randomly keyed hasher. Not for hash tables (no protection against collisions
//! chosen by an adversary). Fowler, Noll and Vo's constants, as published at
//! <http://www.isthe.com/chongo/tech/comp/fnv/>.

const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const PRIME: u64 = 0x100_0000_01b3;

/// A [`Hasher`](std::hash::Hasher) over FNV-1a.
pub struct Fnv(u64);

impl Fnv {
    pub fn new() -> Self {
        Fnv(OFFSET)
    }

    /// `bytes` without their ASCII digits, as `write` would take them. Without a branch per
    /// byte: where digits end a name (`setter-17`), a branch mispredicted at each switch.
    pub(crate) fn write_without_digits(&mut self, bytes: &[u8]) {
        for &b in bytes {
            let next = (self.0 ^ u64::from(b)).wrapping_mul(PRIME);
            let skip = u64::from(b.is_ascii_digit()).wrapping_neg();
            self.0 = (self.0 & skip) | (next & !skip);
        }
    }
}

impl Default for Fnv {
    fn default() -> Self {
        Self::new()
    }
}

impl std::hash::Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 ^ u64::from(*b)).wrapping_mul(PRIME);
        }
    }
}

/// Fold `next` into a running fingerprint of a sequence: equal sequences fold equal, and order
/// matters.
pub fn mix(running: u64, next: u64) -> u64 {
    running.wrapping_mul(PRIME).wrapping_add(next)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::Hasher;

    #[test]
    fn skipping_digits_hashes_as_the_name_without_them() {
        for name in ["setter-17", "w1-reader", "7", "", "stage-"] {
            let mut skipping = Fnv::new();
            skipping.write_without_digits(name.as_bytes());
            let mut filtered = Fnv::new();
            let kept: Vec<u8> = name.bytes().filter(|b| !b.is_ascii_digit()).collect();
            filtered.write(&kept);
            assert_eq!(skipping.finish(), filtered.finish(), "{name}");
        }
        let kind = |name: &str| {
            let mut h = Fnv::new();
            h.write_without_digits(name.as_bytes());
            h.finish()
        };
        assert_eq!(kind("setter-3"), kind("setter-71"));
        assert_ne!(kind("setter-3"), kind("stage-3"));
    }
}
