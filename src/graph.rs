//! Small graph helpers shared by the layout, community detection and the
//! analysis: a seeded PRNG, cycle breaking and connected components over
//! edges given as node index pairs.

/// Small seeded PRNG (splitmix64): the same seed gives the same layout restarts
/// and community visiting order.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x9e37_79b9_7f4a_7c15)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// Uniform in 0..n (n > 0).
    pub fn below(&mut self, n: u32) -> u32 {
        (((self.next_u64() >> 32) * n as u64) >> 32) as u32
    }
    pub fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            let j = self.below(i as u32 + 1) as usize;
            v.swap(i, j);
        }
    }
}

/// Reverse the back edges of a depth-first search that starts from the
/// sources (in index order), then from any node left. Self-loops are left
/// alone (callers skip them).
pub(crate) fn break_cycles(n: usize, edges: &[(u32, u32)]) -> Vec<bool> {
    let mut off = vec![0u32; n + 1];
    let mut indeg = vec![0u32; n];
    for &(s, t) in edges {
        if s != t {
            off[s as usize + 1] += 1;
            indeg[t as usize] += 1;
        }
    }
    for i in 0..n {
        off[i + 1] += off[i];
    }
    let mut fill = off.clone();
    let mut out = vec![0u32; off[n] as usize];
    for (k, &(s, t)) in edges.iter().enumerate() {
        if s != t {
            out[fill[s as usize] as usize] = k as u32;
            fill[s as usize] += 1;
        }
    }
    const NEW: u8 = 0;
    const ACTIVE: u8 = 1;
    const DONE: u8 = 2;
    let mut state = vec![NEW; n];
    let mut reversed = vec![false; edges.len()];
    let starts = (0..n as u32)
        .filter(|&v| indeg[v as usize] == 0)
        .chain(0..n as u32);
    let mut stack: Vec<(u32, u32)> = Vec::new();
    for s in starts {
        if state[s as usize] != NEW {
            continue;
        }
        state[s as usize] = ACTIVE;
        stack.push((s, off[s as usize]));
        while let Some(&mut (v, ref mut next)) = stack.last_mut() {
            if *next < off[v as usize + 1] {
                let k = out[*next as usize];
                *next += 1;
                let t = edges[k as usize].1;
                match state[t as usize] {
                    NEW => {
                        state[t as usize] = ACTIVE;
                        stack.push((t, off[t as usize]));
                    }
                    ACTIVE => reversed[k as usize] = true,
                    _ => {}
                }
            } else {
                state[v as usize] = DONE;
                stack.pop();
            }
        }
    }
    reversed
}

/// Weakly connected components, numbered in order of their first node.
pub(crate) fn components(n: usize, edges: &[(u32, u32)]) -> Vec<u32> {
    let mut parent: Vec<u32> = (0..n as u32).collect();
    fn find(p: &mut [u32], mut x: u32) -> u32 {
        while p[x as usize] != x {
            p[x as usize] = p[p[x as usize] as usize];
            x = p[x as usize];
        }
        x
    }
    for &(s, t) in edges {
        let (a, b) = (find(&mut parent, s), find(&mut parent, t));
        if a != b {
            // The smaller index becomes the root, so numbering follows first nodes.
            let (lo, hi) = if a < b { (a, b) } else { (b, a) };
            parent[hi as usize] = lo;
        }
    }
    let mut id = vec![u32::MAX; n];
    let mut next = 0;
    let mut comp = vec![0u32; n];
    for v in 0..n as u32 {
        let r = find(&mut parent, v);
        if id[r as usize] == u32::MAX {
            id[r as usize] = next;
            next += 1;
        }
        comp[v as usize] = id[r as usize];
    }
    comp
}
