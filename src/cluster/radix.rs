//! A least-significant-digit radix sort of `u64` keys in steps of bounded
//! work, so a browser can sort a million keys between yields (a one-shot
//! `sort_unstable` of that many takes ~100 ms in wasm). Eight passes of one
//! byte each; a pass whose byte is the same for every key is skipped.

#[derive(Debug)]
pub struct RadixSort {
    keys: Vec<u64>,
    tmp: Vec<u64>,
    /// Next pass (0..8) and where it is: counting (`filled` false) or moving.
    pass: usize,
    pos: usize,
    filled: bool,
    counts: [usize; 256],
}

impl RadixSort {
    pub fn new(keys: Vec<u64>) -> RadixSort {
        RadixSort {
            tmp: vec![0; keys.len()],
            keys,
            pass: 0,
            pos: 0,
            filled: false,
            counts: [0; 256],
        }
    }

    /// Work about `budget` keys further; true once sorted.
    pub fn step(&mut self, mut budget: usize) -> bool {
        let n = self.keys.len();
        while self.pass < 8 {
            let shift = 8 * self.pass;
            if !self.filled {
                // Count this pass's bytes.
                while self.pos < n {
                    if budget == 0 {
                        return false;
                    }
                    budget -= 1;
                    self.counts[((self.keys[self.pos] >> shift) & 0xff) as usize] += 1;
                    self.pos += 1;
                }
                if self.counts.contains(&n) {
                    // Every key has the same byte here: nothing moves.
                    self.counts = [0; 256];
                    self.pos = 0;
                    self.pass += 1;
                    continue;
                }
                // Counts → start positions.
                let mut at = 0;
                for c in self.counts.iter_mut() {
                    let k = *c;
                    *c = at;
                    at += k;
                }
                self.filled = true;
                self.pos = 0;
            }
            while self.pos < n {
                if budget == 0 {
                    return false;
                }
                budget -= 1;
                let k = self.keys[self.pos];
                let b = ((k >> shift) & 0xff) as usize;
                self.tmp[self.counts[b]] = k;
                self.counts[b] += 1;
                self.pos += 1;
            }
            std::mem::swap(&mut self.keys, &mut self.tmp);
            self.counts = [0; 256];
            self.filled = false;
            self.pos = 0;
            self.pass += 1;
        }
        true
    }

    /// The sorted keys (step until `step` returns true first).
    pub fn finish(self) -> Vec<u64> {
        self.keys
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_like_sort_unstable_in_any_steps() {
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let keys: Vec<u64> = (0..10_000)
            .map(|i| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                // Some shared high bytes (skipped passes) and duplicates.
                if i % 3 == 0 {
                    x & 0xffff
                } else {
                    x >> (i % 40)
                }
            })
            .collect();
        let mut want = keys.clone();
        want.sort_unstable();
        for budget in [1, 7, 1000, usize::MAX] {
            let mut s = RadixSort::new(keys.clone());
            let mut steps = 0;
            while !s.step(budget) {
                steps += 1;
            }
            assert!(budget > 1000 || steps > 8, "{steps} steps");
            assert_eq!(s.finish(), want, "budget {budget}");
        }
        let mut empty = RadixSort::new(Vec::new());
        assert!(empty.step(1));
        assert!(empty.finish().is_empty());
    }
}
