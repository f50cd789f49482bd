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
