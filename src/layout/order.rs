//! The layered graph (real nodes plus a dummy node per layer crossed by a
//! long edge) and crossing minimisation: DFS initial order, barycenter
//! sweeps alternately down and up, adjacent transpositions, the best order
//! kept; crossings counted per pair of layers with the Barth–Jünger–Mutzel
//! accumulator tree in O(E log V).

use super::rank::DagEdge;
use crate::graph::Rng;

pub(super) struct Layered {
    /// Nodes below this index are real; the rest are dummies.
    pub n_real: usize,
    pub layer_of: Vec<u32>,
    /// Nodes of each layer, in order.
    pub layers: Vec<Vec<u32>>,
    /// Index of each node within its layer.
    pub pos: Vec<u32>,
    down_off: Vec<u32>,
    down: Vec<(u32, u32)>,
    up_off: Vec<u32>,
    up: Vec<(u32, u32)>,
    /// Dummy nodes of each DAG edge, from its tail's side to its head's.
    chain_off: Vec<u32>,
    chain: Vec<u32>,
}

fn csr(n: usize, pairs: &[(u32, u32, u32)]) -> (Vec<u32>, Vec<(u32, u32)>) {
    let mut off = vec![0u32; n + 1];
    for p in pairs {
        off[p.0 as usize + 1] += 1;
    }
    for i in 0..n {
        off[i + 1] += off[i];
    }
    let mut fill = off.clone();
    let mut list = vec![(0u32, 0u32); pairs.len()];
    for p in pairs {
        list[fill[p.0 as usize] as usize] = (p.1, p.2);
        fill[p.0 as usize] += 1;
    }
    (off, list)
}

impl Layered {
    /// Split every DAG edge spanning more than one layer with dummy nodes.
    pub fn build(n_real: usize, rank: &[i64], edges: &[DagEdge]) -> Layered {
        let mut layer_of: Vec<u32> = rank.iter().map(|&r| r.max(0) as u32).collect();
        let mut segs: Vec<(u32, u32, u32)> = Vec::with_capacity(edges.len());
        let mut chain_off = Vec::with_capacity(edges.len() + 1);
        let mut chain = Vec::new();
        chain_off.push(0);
        for e in edges {
            let (ru, rv) = (layer_of[e.u as usize], layer_of[e.v as usize]);
            let mut prev = e.u;
            for l in ru + 1..rv {
                let d = layer_of.len() as u32;
                layer_of.push(l);
                chain.push(d);
                segs.push((prev, d, e.w));
                prev = d;
            }
            segs.push((prev, e.v, e.w));
            chain_off.push(chain.len() as u32);
        }
        let n = layer_of.len();
        let (down_off, down) = csr(n, &segs);
        let flipped: Vec<(u32, u32, u32)> = segs.iter().map(|s| (s.1, s.0, s.2)).collect();
        let (up_off, up) = csr(n, &flipped);
        let depth = layer_of.iter().max().map_or(0, |&m| m as usize + 1);
        Layered {
            n_real,
            layers: vec![Vec::new(); depth],
            pos: vec![0; n],
            layer_of,
            down_off,
            down,
            up_off,
            up,
            chain_off,
            chain,
        }
    }

    pub fn len(&self) -> usize {
        self.layer_of.len()
    }

    #[inline]
    pub fn is_dummy(&self, v: u32) -> bool {
        v as usize >= self.n_real
    }

    /// Neighbours (and weights) in the layer below.
    #[inline]
    pub fn down(&self, v: u32) -> &[(u32, u32)] {
        &self.down[self.down_off[v as usize] as usize..self.down_off[v as usize + 1] as usize]
    }

    /// Neighbours (and weights) in the layer above.
    #[inline]
    pub fn up(&self, v: u32) -> &[(u32, u32)] {
        &self.up[self.up_off[v as usize] as usize..self.up_off[v as usize + 1] as usize]
    }

    pub fn chain(&self, edge: usize) -> &[u32] {
        &self.chain[self.chain_off[edge] as usize..self.chain_off[edge + 1] as usize]
    }

    fn set_positions(&mut self) {
        for layer in &self.layers {
            for (i, &v) in layer.iter().enumerate() {
                self.pos[v as usize] = i as u32;
            }
        }
    }

    /// dagre's initial order: depth-first from the real nodes by layer, so
    /// that connected nodes start close together. With `rng`, starting nodes
    /// and successors are visited in a shuffled order (a random restart).
    pub fn init_order(&mut self, mut rng: Option<&mut Rng>) {
        for l in self.layers.iter_mut() {
            l.clear();
        }
        let n = self.len();
        let mut starts: Vec<u32> = (0..self.n_real as u32).collect();
        if let Some(r) = rng.as_deref_mut() {
            r.shuffle(&mut starts);
        }
        starts.sort_by_key(|&v| self.layer_of[v as usize]);
        let mut seen = vec![false; n];
        let mut stack: Vec<u32> = Vec::new();
        let mut succ: Vec<u32> = Vec::new();
        for s in starts {
            if seen[s as usize] {
                continue;
            }
            stack.push(s);
            while let Some(v) = stack.pop() {
                if seen[v as usize] {
                    continue;
                }
                seen[v as usize] = true;
                self.layers[self.layer_of[v as usize] as usize].push(v);
                succ.clear();
                succ.extend(self.down(v).iter().map(|d| d.0));
                if let Some(r) = rng.as_deref_mut() {
                    r.shuffle(&mut succ);
                }
                // Reversed so that the first successor is visited first.
                for &w in succ.iter().rev() {
                    if !seen[w as usize] {
                        stack.push(w);
                    }
                }
            }
        }
        // Dummies are reached from their real tail; anything left over goes last.
        for v in 0..n as u32 {
            if !seen[v as usize] {
                self.layers[self.layer_of[v as usize] as usize].push(v);
            }
        }
        self.set_positions();
    }

    /// Reorder one layer by the barycenter of its neighbours in the layer
    /// above (`from_up`) or below. Nodes without such neighbours keep their
    /// place; ties keep the current order, or reverse it with `bias_right`.
    fn reorder(&mut self, l: usize, from_up: bool, bias_right: bool, s: &mut Scratch) {
        let len = self.layers[l].len();
        s.keyed.clear();
        s.slot.clear();
        s.slot.resize(len, u32::MAX);
        for (i, &v) in self.layers[l].iter().enumerate() {
            let nbrs = if from_up { self.up(v) } else { self.down(v) };
            if nbrs.is_empty() {
                s.slot[i] = v;
                continue;
            }
            let (mut sum, mut wsum) = (0.0f64, 0.0f64);
            for &(w, wt) in nbrs {
                sum += self.pos[w as usize] as f64 * wt as f64;
                wsum += wt as f64;
            }
            s.keyed.push((sum / wsum, i as u32, v));
        }
        s.keyed.sort_unstable_by(|a, b| {
            a.0.total_cmp(&b.0).then(if bias_right {
                b.1.cmp(&a.1)
            } else {
                a.1.cmp(&b.1)
            })
        });
        let mut next = s.keyed.iter();
        let layer = &mut self.layers[l];
        for (i, slot) in s.slot.iter().enumerate() {
            layer[i] = if *slot != u32::MAX {
                *slot
            } else {
                next.next().map_or(layer[i], |k| k.2)
            };
        }
        for (i, &v) in layer.iter().enumerate() {
            self.pos[v as usize] = i as u32;
        }
    }

    fn sweep(&mut self, iteration: usize, s: &mut Scratch) {
        let bias_right = iteration % 4 >= 2;
        let depth = self.layers.len();
        if iteration % 2 == 0 {
            for l in 1..depth {
                self.reorder(l, true, bias_right, s);
            }
        } else {
            for l in (0..depth.saturating_sub(1)).rev() {
                self.reorder(l, false, bias_right, s);
            }
        }
    }

    /// Weighted crossings between layer `l` and `l + 1` (Barth, Jünger, Mutzel).
    fn bilayer_crossings(&self, l: usize, s: &mut Scratch) -> u64 {
        let lower_len = self.layers[l + 1].len();
        if lower_len < 2 {
            return 0;
        }
        let mut first = 1usize;
        while first < lower_len {
            first *= 2;
        }
        s.tree.clear();
        s.tree.resize(2 * first - 1, 0);
        let first = first - 1;
        let mut cross = 0u64;
        for &u in &self.layers[l] {
            s.ends.clear();
            s.ends.extend(
                self.down(u)
                    .iter()
                    .map(|&(w, wt)| (self.pos[w as usize], wt)),
            );
            s.ends.sort_unstable();
            for &(p, wt) in &s.ends {
                let wt = wt as u64;
                let mut index = p as usize + first;
                s.tree[index] += wt;
                let mut sum = 0u64;
                while index > 0 {
                    if index % 2 == 1 {
                        sum += s.tree[index + 1];
                    }
                    index = (index - 1) / 2;
                    s.tree[index] += wt;
                }
                cross += wt * sum;
            }
        }
        cross
    }

    /// Crossings of the whole layered drawing (dummies included).
    pub fn crossings(&self, s: &mut Scratch) -> u64 {
        (0..self.layers.len().saturating_sub(1))
            .map(|l| self.bilayer_crossings(l, s))
            .sum()
    }

    /// Crossings among the edges of `v` and `w` if `v` stays left of `w`,
    /// counted against both neighbouring layers.
    fn pair_crossings(&self, v: u32, w: u32, s: &mut Scratch) -> u64 {
        let mut total = 0;
        for from_up in [true, false] {
            let nv = if from_up { self.up(v) } else { self.down(v) };
            let nw = if from_up { self.up(w) } else { self.down(w) };
            if nv.is_empty() || nw.is_empty() {
                continue;
            }
            s.a.clear();
            s.a.extend(nv.iter().map(|&(x, wt)| (self.pos[x as usize], wt)));
            s.a.sort_unstable();
            s.b.clear();
            s.b.extend(nw.iter().map(|&(x, wt)| (self.pos[x as usize], wt)));
            s.b.sort_unstable();
            // Pairs (a of v, b of w) with a > b cross.
            let mut j = 0;
            let mut below = 0u64; // weight of b's strictly below the current a
            for &(pa, wa) in &s.a {
                while j < s.b.len() && s.b[j].0 < pa {
                    below += s.b[j].1 as u64;
                    j += 1;
                }
                total += wa as u64 * below;
            }
        }
        total
    }

    /// Swap adjacent nodes while that removes crossings (Gansner's transpose).
    fn transpose(&mut self, max_passes: usize, s: &mut Scratch) {
        for _ in 0..max_passes {
            let mut improved = false;
            for l in 0..self.layers.len() {
                let len = self.layers[l].len();
                for i in 0..len.saturating_sub(1) {
                    let v = self.layers[l][i];
                    let w = self.layers[l][i + 1];
                    if self.pair_crossings(v, w, s) > self.pair_crossings(w, v, s) {
                        self.layers[l].swap(i, i + 1);
                        self.pos[v as usize] = i as u32 + 1;
                        self.pos[w as usize] = i as u32;
                        improved = true;
                    }
                }
            }
            if !improved {
                break;
            }
        }
    }

    /// Crossing minimisation from the current order; keeps the best order
    /// met and returns its crossing count and the sweeps made.
    pub fn minimise(
        &mut self,
        max_sweeps: usize,
        s: &mut Scratch,
        progress: &mut dyn FnMut(f64),
    ) -> (u64, usize) {
        self.transpose(4, s);
        let mut best = self.crossings(s);
        let mut best_layers = self.layers.clone();
        let mut stale = 0;
        let mut sweeps = 0;
        for i in 0..max_sweeps {
            if best == 0 || stale >= 4 {
                break;
            }
            self.sweep(i, s);
            self.transpose(4, s);
            sweeps += 1;
            let c = self.crossings(s);
            if c < best {
                best = c;
                best_layers.clone_from(&self.layers);
                stale = 0;
            } else {
                stale += 1;
            }
            progress((i + 1) as f64 / max_sweeps as f64);
        }
        self.layers = best_layers;
        self.set_positions();
        (best, sweeps)
    }

    /// Orders of the layers, to save and restore between restarts.
    pub fn take_layers(&self) -> Vec<Vec<u32>> {
        self.layers.clone()
    }

    pub fn restore_layers(&mut self, layers: Vec<Vec<u32>>) {
        self.layers = layers;
        self.set_positions();
    }
}

/// Buffers reused across sweeps and restarts.
#[derive(Default)]
pub(super) struct Scratch {
    keyed: Vec<(f64, u32, u32)>,
    slot: Vec<u32>,
    tree: Vec<u64>,
    ends: Vec<(u32, u32)>,
    a: Vec<(u32, u32)>,
    b: Vec<(u32, u32)>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Brute force: every pair of segments between the same two layers.
    fn brute(g: &Layered) -> u64 {
        let mut segs = Vec::new();
        for v in 0..g.len() as u32 {
            for &(w, wt) in g.down(v) {
                segs.push((
                    g.layer_of[v as usize],
                    g.pos[v as usize],
                    g.pos[w as usize],
                    wt,
                ));
            }
        }
        let mut c = 0;
        for i in 0..segs.len() {
            for j in i + 1..segs.len() {
                let (a, b) = (segs[i], segs[j]);
                if a.0 == b.0 && ((a.1 < b.1 && a.2 > b.2) || (a.1 > b.1 && a.2 < b.2)) {
                    c += (a.3 * b.3) as u64;
                }
            }
        }
        c
    }

    #[test]
    fn accumulator_tree_matches_brute_force() {
        let mut r = Rng::new(7);
        for _ in 0..300 {
            let n = 2 + r.below(12) as usize;
            let rank: Vec<i64> = (0..n).map(|_| r.below(4) as i64).collect();
            let mut edges = Vec::new();
            for _ in 0..r.below(20) {
                let u = r.below(n as u32);
                let v = r.below(n as u32);
                if rank[u as usize] < rank[v as usize] {
                    edges.push(DagEdge {
                        u,
                        v,
                        w: 1 + r.below(3),
                    });
                }
            }
            let mut g = Layered::build(n, &rank, &edges);
            g.init_order(Some(&mut r));
            let mut s = Scratch::default();
            assert_eq!(g.crossings(&mut s), brute(&g));
            g.minimise(8, &mut s, &mut |_| {});
            assert_eq!(g.crossings(&mut s), brute(&g));
        }
    }
}
