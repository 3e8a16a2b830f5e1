//! The layered graph (real nodes plus a dummy node per layer crossed by a
//! long edge) and crossing minimisation: DFS initial order, barycenter (or
//! median) sweeps alternately down and up, adjacent transpositions, then
//! sifting (each node tried at every place of its layer) and the exact
//! order of small layers against their neighbours, the best order kept;
//! crossings counted per pair of layers with the Barth–Jünger–Mutzel
//! accumulator tree in O(E log V).
//!
//! Ports: every segment end has a place along its node's side (a fraction
//! of the node's size, 0.5 for the middle and for dummies). An end is keyed
//! by its node's index in the layer plus that place (within ±0.45), so two
//! edges into one node cross when their order at its ports disagrees with
//! the order of their other ends, and ends at one port never cross.

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
    /// Some segment end sits off its node's middle.
    ports: bool,
    down_off: Vec<u32>,
    down: Vec<Adj>,
    up_off: Vec<u32>,
    up: Vec<Adj>,
    /// Dummy nodes of each DAG edge, from its tail's side to its head's.
    chain_off: Vec<u32>,
    chain: Vec<u32>,
}

/// A segment seen from one end: the node at the other end, the weight, the
/// place of this end on its node and of the other end on its node (0..=1).
pub(super) type Adj = (u32, u32, f32, f32);

/// Where a DAG edge leaves its tail and enters its head (0..=1 along the
/// node's side; 0.5 the middle), with the number of input edges doing so.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct PortEdge {
    pub edge: u32,
    pub w: u32,
    pub tail: f32,
    pub head: f32,
}

/// Layers of up to this many nodes get their exact order (against fixed
/// neighbours) when sifting runs its full 8 passes (graphs of up to 1,000
/// layered nodes): 2^10 subsets × 10 × 10 steps at most per layer.
const EXACT_LAYER: usize = 10;

/// Segments (from, to, weight, place at from, place at to) → adjacency of `from`.
fn csr(n: usize, segs: &[(u32, u32, u32, f32, f32)]) -> (Vec<u32>, Vec<Adj>) {
    let mut off = vec![0u32; n + 1];
    for p in segs {
        off[p.0 as usize + 1] += 1;
    }
    for i in 0..n {
        off[i + 1] += off[i];
    }
    let mut fill = off.clone();
    let mut list = vec![(0u32, 0u32, 0.5f32, 0.5f32); segs.len()];
    for p in segs {
        list[fill[p.0 as usize] as usize] = (p.1, p.2, p.3, p.4);
        fill[p.0 as usize] += 1;
    }
    (off, list)
}

/// Key of a segment end at node index `pos` and place `place`.
#[inline]
fn key(pos: u32, place: f32) -> f64 {
    pos as f64 + (place as f64 - 0.5) * 0.9
}

impl Layered {
    /// Split every DAG edge spanning more than one layer with dummy nodes.
    /// `ports` lists where edges leave and enter their nodes, grouped by DAG
    /// edge in order (empty: every edge at the middle of its nodes).
    pub fn build(n_real: usize, rank: &[i64], edges: &[DagEdge], ports: &[PortEdge]) -> Layered {
        let mut layer_of: Vec<u32> = rank.iter().map(|&r| r.max(0) as u32).collect();
        let mut segs: Vec<(u32, u32, u32, f32, f32)> = Vec::with_capacity(edges.len());
        let mut chain_off = Vec::with_capacity(edges.len() + 1);
        let mut chain = Vec::new();
        chain_off.push(0);
        let mut next = 0usize;
        let mid = |ei: usize, w: u32| PortEdge {
            edge: ei as u32,
            w,
            tail: 0.5,
            head: 0.5,
        };
        for (ei, e) in edges.iter().enumerate() {
            let start = next;
            while next < ports.len() && ports[next].edge as usize == ei {
                next += 1;
            }
            let one = [mid(ei, e.w)];
            let variants = if next > start {
                &ports[start..next]
            } else {
                &one[..]
            };
            let (ru, rv) = (layer_of[e.u as usize], layer_of[e.v as usize]);
            if rv <= ru + 1 {
                for p in variants {
                    segs.push((e.u, e.v, p.w, p.tail, p.head));
                }
            } else {
                let mut prev = e.u;
                for l in ru + 1..rv {
                    let d = layer_of.len() as u32;
                    layer_of.push(l);
                    chain.push(d);
                    if l == ru + 1 {
                        for p in variants {
                            segs.push((prev, d, p.w, p.tail, 0.5));
                        }
                    } else {
                        segs.push((prev, d, e.w, 0.5, 0.5));
                    }
                    prev = d;
                }
                for p in variants {
                    segs.push((prev, e.v, p.w, 0.5, p.head));
                }
            }
            chain_off.push(chain.len() as u32);
        }
        let n = layer_of.len();
        let ports = segs.iter().any(|s| s.3 != 0.5 || s.4 != 0.5);
        let (down_off, down) = csr(n, &segs);
        let flipped: Vec<(u32, u32, u32, f32, f32)> =
            segs.iter().map(|s| (s.1, s.0, s.2, s.4, s.3)).collect();
        let (up_off, up) = csr(n, &flipped);
        let depth = layer_of.iter().max().map_or(0, |&m| m as usize + 1);
        Layered {
            n_real,
            layers: vec![Vec::new(); depth],
            pos: vec![0; n],
            ports,
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

    /// Segments between neighbouring layers (one per pair of places).
    pub fn segments(&self) -> usize {
        self.down.len()
    }

    #[inline]
    pub fn is_dummy(&self, v: u32) -> bool {
        v as usize >= self.n_real
    }

    /// Neighbours (and weights, places) in the layer below.
    #[inline]
    pub fn down(&self, v: u32) -> &[Adj] {
        &self.down[self.down_off[v as usize] as usize..self.down_off[v as usize + 1] as usize]
    }

    /// Neighbours (and weights, places) in the layer above.
    #[inline]
    pub fn up(&self, v: u32) -> &[Adj] {
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

    /// Reorder one layer by the barycenter (or, with `median`, the median) of
    /// its neighbours' ends in the layer above (`from_up`) or below. Nodes
    /// without such neighbours keep their place; ties keep the current
    /// order, or reverse it with `bias_right`.
    fn reorder(
        &mut self,
        l: usize,
        from_up: bool,
        bias_right: bool,
        median: bool,
        s: &mut Scratch,
    ) {
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
            let value = if median {
                s.keys.clear();
                s.keys.extend(
                    nbrs.iter()
                        .map(|&(w, _, _, at)| key(self.pos[w as usize], at)),
                );
                s.keys.sort_unstable_by(f64::total_cmp);
                let m = s.keys.len();
                if m % 2 == 1 {
                    s.keys[m / 2]
                } else {
                    (s.keys[m / 2 - 1] + s.keys[m / 2]) / 2.0
                }
            } else {
                let (mut sum, mut wsum) = (0.0f64, 0.0f64);
                for &(w, wt, _, at) in nbrs {
                    sum += key(self.pos[w as usize], at) * wt as f64;
                    wsum += wt as f64;
                }
                sum / wsum
            };
            s.keyed.push((value, i as u32, v));
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

    fn sweep(&mut self, iteration: usize, median: bool, s: &mut Scratch) {
        let bias_right = iteration % 4 >= 2;
        let depth = self.layers.len();
        if iteration % 2 == 0 {
            for l in 1..depth {
                self.reorder(l, true, bias_right, median, s);
            }
        } else {
            for l in (0..depth.saturating_sub(1)).rev() {
                self.reorder(l, false, bias_right, median, s);
            }
        }
    }

    /// Weighted crossings between layer `l` and `l + 1` (Barth, Jünger, Mutzel).
    fn bilayer_crossings(&self, l: usize, s: &mut Scratch) -> u64 {
        if self.ports {
            return self.bilayer_crossings_at_ports(l, s);
        }
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
                    .map(|&(w, wt, _, _)| (self.pos[w as usize], wt)),
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

    /// The same with ends at ports: segments sorted by their upper end, the
    /// weighted inversions of their lower ends counted with a Fenwick tree.
    fn bilayer_crossings_at_ports(&self, l: usize, s: &mut Scratch) -> u64 {
        s.segs.clear();
        for &u in &self.layers[l] {
            let pu = self.pos[u as usize];
            for &(w, wt, at_u, at_w) in self.down(u) {
                s.segs
                    .push((key(pu, at_u), key(self.pos[w as usize], at_w), wt));
            }
        }
        if s.segs.len() < 2 {
            return 0;
        }
        s.segs
            .sort_unstable_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
        s.keys.clear();
        s.keys.extend(s.segs.iter().map(|g| g.1));
        s.keys.sort_unstable_by(f64::total_cmp);
        s.keys.dedup();
        let m = s.keys.len();
        s.tree.clear();
        s.tree.resize(m + 1, 0);
        let (mut cross, mut total) = (0u64, 0u64);
        for g in &s.segs {
            let r = s.keys.partition_point(|&k| k < g.1) + 1; // 1-based rank
                                                              // Weight already placed at ranks ≤ r.
            let (mut i, mut upto) = (r, 0u64);
            while i > 0 {
                upto += s.tree[i];
                i &= i - 1;
            }
            cross += g.2 as u64 * (total - upto);
            let mut i = r;
            while i <= m {
                s.tree[i] += g.2 as u64;
                i += i & i.wrapping_neg();
            }
            total += g.2 as u64;
        }
        cross
    }

    /// Crossings of the whole layered drawing (dummies included).
    pub fn crossings(&self, s: &mut Scratch) -> u64 {
        (0..self.layers.len().saturating_sub(1))
            .map(|l| self.bilayer_crossings(l, s))
            .sum()
    }

    /// Swap adjacent nodes while that removes crossings (Gansner's transpose).
    fn transpose(&mut self, max_passes: usize, s: &mut Scratch) {
        for _ in 0..max_passes {
            let mut improved = false;
            for l in 0..self.layers.len() {
                let len = self.layers[l].len();
                if len < 2 {
                    continue;
                }
                // Swaps in this layer leave its neighbours' places alone:
                // the ends there are keyed and sorted once per layer.
                self.sorted_ends(l, s);
                for i in 0..len - 1 {
                    let v = self.layers[l][i];
                    let w = self.layers[l][i + 1];
                    if s.pair_from_ends(v, w) > s.pair_from_ends(w, v) {
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

    /// Sifting (Matuszewski, Schönfeld & Molitor, 1999), against both
    /// neighbouring layers at once: each node in turn is taken out of its
    /// layer and put back at the place with the fewest crossings among its
    /// edges and those of the other nodes of the layer (its current place on
    /// a tie). Never adds crossings; passes repeat while one gains.
    fn sift(&mut self, max_passes: usize, s: &mut Scratch) -> bool {
        let mut any = false;
        for _ in 0..max_passes {
            let mut improved = false;
            for l in 0..self.layers.len() {
                let len = self.layers[l].len();
                if len < 2 {
                    continue;
                }
                // The neighbouring layers stay put while this one is sifted:
                // each node's ends there, keyed and sorted once.
                self.sorted_ends(l, s);
                s.order.clear();
                s.order.extend_from_slice(&self.layers[l]);
                for k in 0..len {
                    let v = s.order[k];
                    let from = self.pos[v as usize] as usize;
                    // Start with v first (left of every other node), then
                    // move it past each in turn.
                    let (mut run, mut best, mut best_at, mut cur) = (0i64, 0i64, 0usize, 0i64);
                    let mut i = 0;
                    for &w in &self.layers[l] {
                        if w == v {
                            continue;
                        }
                        run += s.pair_from_ends(w, v) as i64 - s.pair_from_ends(v, w) as i64;
                        i += 1;
                        if i == from {
                            cur = run;
                        }
                        if run < best {
                            best = run;
                            best_at = i;
                        }
                    }
                    if best < cur {
                        let layer = &mut self.layers[l];
                        layer.remove(from);
                        layer.insert(best_at, v);
                        let (lo, hi) = (from.min(best_at), from.max(best_at));
                        for (i, &x) in layer.iter().enumerate().take(hi + 1).skip(lo) {
                            self.pos[x as usize] = i as u32;
                        }
                        improved = true;
                    }
                }
            }
            any |= improved;
            if !improved {
                break;
            }
        }
        any
    }

    /// Exact order of every layer of at most `max_len` nodes against its two
    /// fixed neighbouring layers: crossings between two nodes' edges depend
    /// only on which of the two comes first, so the best order is a minimum
    /// linear arrangement over pair costs, found by dynamic programming over
    /// subsets (best[S] = the cheapest order of S placed first) in
    /// O(2^len × len). Applied only where it beats the current order; passes
    /// repeat while one gains. Returns whether any layer changed.
    fn exact_layers(&mut self, max_len: usize, max_passes: usize, s: &mut Scratch) -> bool {
        let mut any = false;
        for _ in 0..max_passes {
            let mut improved = false;
            for l in 0..self.layers.len() {
                let len = self.layers[l].len();
                if (3..=max_len).contains(&len) && self.exact_layer(l, s) {
                    improved = true;
                }
            }
            any |= improved;
            if !improved {
                break;
            }
        }
        any
    }

    /// Layer `l` in its exact best order against its neighbours, when that
    /// beats the current one (see `exact_layers`).
    fn exact_layer(&mut self, l: usize, s: &mut Scratch) -> bool {
        let len = self.layers[l].len();
        self.sorted_ends(l, s);
        let layer = self.layers[l].clone();
        // cost[i * len + j]: crossings between i's and j's edges with i before j.
        let mut cost = vec![0u64; len * len];
        for i in 0..len {
            for j in 0..len {
                if i != j {
                    cost[i * len + j] = s.pair_from_ends(layer[i], layer[j]);
                }
            }
        }
        let current: u64 = (0..len)
            .flat_map(|i| (i + 1..len).map(move |j| (i, j)))
            .map(|(i, j)| cost[i * len + j])
            .sum();
        let full = (1usize << len) - 1;
        let mut best = vec![u64::MAX; full + 1];
        let mut last = vec![0u8; full + 1];
        best[0] = 0;
        for set in 0..full {
            if best[set] == u64::MAX {
                continue;
            }
            for v in 0..len {
                if set & (1 << v) != 0 {
                    continue;
                }
                // v goes after everything in `set`.
                let mut add = 0u64;
                let mut rest = set;
                while rest != 0 {
                    let u = rest.trailing_zeros() as usize;
                    add += cost[u * len + v];
                    rest &= rest - 1;
                }
                let next = set | (1 << v);
                if best[set] + add < best[next] {
                    best[next] = best[set] + add;
                    last[next] = v as u8;
                }
            }
        }
        if best[full] >= current {
            return false;
        }
        let mut order = Vec::with_capacity(len);
        let mut set = full;
        while set != 0 {
            let v = last[set] as usize;
            order.push(layer[v]);
            set &= !(1 << v);
        }
        order.reverse();
        for (i, &x) in order.iter().enumerate() {
            self.pos[x as usize] = i as u32;
        }
        self.layers[l] = order;
        true
    }

    /// Keys of every node's ends in the layers above and below layer `l`,
    /// sorted, into `s.ends_at` (ranges per node in `s.ends_range`).
    fn sorted_ends(&self, l: usize, s: &mut Scratch) {
        s.ends_at.clear();
        if s.ends_range.len() < self.len() {
            s.ends_range.resize(self.len(), [0; 3]);
        }
        for &v in &self.layers[l] {
            let a = s.ends_at.len() as u32;
            s.ends_at.extend(
                self.up(v)
                    .iter()
                    .map(|&(x, wt, _, at)| (key(self.pos[x as usize], at), wt)),
            );
            let b = s.ends_at.len() as u32;
            s.ends_at[a as usize..].sort_unstable_by(|p, q| p.0.total_cmp(&q.0));
            s.ends_at.extend(
                self.down(v)
                    .iter()
                    .map(|&(x, wt, _, at)| (key(self.pos[x as usize], at), wt)),
            );
            let c = s.ends_at.len() as u32;
            s.ends_at[b as usize..].sort_unstable_by(|p, q| p.0.total_cmp(&q.0));
            s.ends_range[v as usize] = [a, b, c];
        }
    }

    /// Crossing minimisation from the current order; keeps the best order
    /// met and returns its crossing count and the sweeps made. With
    /// `median`, sweeps place nodes by the median instead of the barycenter;
    /// then the best order is improved by up to `sift` passes of sifting and,
    /// with 8 passes or more, by the exact order of each small layer.
    pub fn minimise(
        &mut self,
        max_sweeps: usize,
        median: bool,
        sift: usize,
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
            self.sweep(i, median, s);
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
        if sift > 0 && best > 0 {
            let mut changed = self.sift(sift, s);
            if sift >= 8 && self.exact_layers(EXACT_LAYER, 4, s) {
                changed = true;
            }
            if changed {
                self.transpose(4, s);
                best = self.crossings(s);
            }
        }
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
    keys: Vec<f64>,
    slot: Vec<u32>,
    tree: Vec<u64>,
    ends: Vec<(u32, u32)>,
    segs: Vec<(f64, f64, u32)>,
    order: Vec<u32>,
    ends_at: Vec<(f64, u32)>,
    ends_range: Vec<[u32; 3]>,
}

impl Scratch {
    /// Crossings among the edges of `v` and `w` if `v` stays left of `w`,
    /// against both neighbouring layers, from the ends `sorted_ends` listed.
    fn pair_from_ends(&self, v: u32, w: u32) -> u64 {
        let (rv, rw) = (self.ends_range[v as usize], self.ends_range[w as usize]);
        let mut total = 0;
        for side in 0..2 {
            let a = &self.ends_at[rv[side] as usize..rv[side + 1] as usize];
            let b = &self.ends_at[rw[side] as usize..rw[side + 1] as usize];
            // Pairs (a of v, b of w) with a > b cross.
            let (mut j, mut below) = (0, 0u64);
            for &(pa, wa) in a {
                while j < b.len() && b[j].0 < pa {
                    below += b[j].1 as u64;
                    j += 1;
                }
                total += wa as u64 * below;
            }
        }
        total
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Brute force: every pair of segments between the same two layers,
    /// with their ends keyed at their ports.
    fn brute(g: &Layered) -> u64 {
        let mut segs = Vec::new();
        for v in 0..g.len() as u32 {
            for &(w, wt, at_v, at_w) in g.down(v) {
                segs.push((
                    g.layer_of[v as usize],
                    key(g.pos[v as usize], at_v),
                    key(g.pos[w as usize], at_w),
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

    fn random_graph(r: &mut Rng, with_ports: bool) -> Layered {
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
        let mut ports = Vec::new();
        if with_ports {
            for (k, e) in edges.iter().enumerate() {
                // Split the edge's weight over up to three pairs of places.
                let mut left = e.w;
                while left > 0 {
                    let w = 1 + r.below(left);
                    left -= w;
                    ports.push(PortEdge {
                        edge: k as u32,
                        w,
                        tail: r.below(4) as f32 / 3.0,
                        head: r.below(3) as f32 / 2.0,
                    });
                }
            }
        }
        Layered::build(n, &rank, &edges, &ports)
    }

    #[test]
    fn crossing_counts_match_brute_force_and_sifting_never_adds() {
        let mut r = Rng::new(7);
        for k in 0..600 {
            let mut g = random_graph(&mut r, k % 2 == 1);
            g.init_order(Some(&mut r));
            let mut s = Scratch::default();
            assert_eq!(g.crossings(&mut s), brute(&g));
            let before = g.crossings(&mut s);
            g.sift(4, &mut s);
            let after = g.crossings(&mut s);
            assert!(after <= before, "sifting went from {before} to {after}");
            assert_eq!(after, brute(&g));
            g.exact_layers(EXACT_LAYER, 4, &mut s);
            let exact = g.crossings(&mut s);
            assert!(exact <= after, "exact layers went from {after} to {exact}");
            assert_eq!(exact, brute(&g));
            let (c, _) = g.minimise(8, k % 3 == 0, 8, &mut s, &mut |_| {});
            assert_eq!(c, brute(&g));
            assert_eq!(g.crossings(&mut s), brute(&g));
        }
    }

    /// Every permutation of one layer: the exact order is never beaten.
    #[test]
    fn exact_layer_order_is_optimal_against_its_neighbours() {
        let mut r = Rng::new(11);
        let mut s = Scratch::default();
        for _ in 0..200 {
            // Layer 1 has 3 to 6 nodes between layers 0 and 2.
            let mid = 3 + r.below(4) as usize;
            let (top, bottom) = (2 + r.below(4) as usize, 2 + r.below(4) as usize);
            let n = top + mid + bottom;
            let rank: Vec<i64> = (0..n)
                .map(|v| {
                    if v < top {
                        0
                    } else if v < top + mid {
                        1
                    } else {
                        2
                    }
                })
                .collect();
            let mut edges = Vec::new();
            for v in top..top + mid {
                for _ in 0..1 + r.below(3) {
                    edges.push(DagEdge {
                        u: r.below(top as u32),
                        v: v as u32,
                        w: 1,
                    });
                    edges.push(DagEdge {
                        u: v as u32,
                        v: (top + mid) as u32 + r.below(bottom as u32),
                        w: 1,
                    });
                }
            }
            let mut g = Layered::build(n, &rank, &edges, &[]);
            g.init_order(Some(&mut r));
            g.exact_layer(1, &mut s);
            let got = g.crossings(&mut s);
            // Brute force over every order of layer 1.
            let mut perm: Vec<u32> = g.layers[1].clone();
            perm.sort_unstable();
            let mut best = u64::MAX;
            loop {
                g.restore_layers({
                    let mut ls = g.layers.clone();
                    ls[1] = perm.clone();
                    ls
                });
                best = best.min(g.crossings(&mut s));
                // Next permutation.
                let Some(i) = (0..perm.len() - 1).rev().find(|&i| perm[i] < perm[i + 1]) else {
                    break;
                };
                let j = (i + 1..perm.len())
                    .rev()
                    .find(|&j| perm[j] > perm[i])
                    .unwrap();
                perm.swap(i, j);
                perm[i + 1..].reverse();
            }
            assert_eq!(got, best);
        }
    }

    #[test]
    fn edges_into_one_node_follow_its_handle_order() {
        // a → c at c's lower handle, b → c at its upper one: with a above b
        // that is one crossing; the order is fixed by swapping a and b.
        let edges = [DagEdge { u: 0, v: 2, w: 1 }, DagEdge { u: 1, v: 2, w: 1 }];
        let ports = [
            PortEdge {
                edge: 0,
                w: 1,
                tail: 0.5,
                head: 0.8,
            },
            PortEdge {
                edge: 1,
                w: 1,
                tail: 0.5,
                head: 0.2,
            },
        ];
        let mut g = Layered::build(3, &[0, 0, 1], &edges, &ports);
        g.init_order(None);
        let mut s = Scratch::default();
        assert_eq!(g.layers[0], vec![0, 1]);
        assert_eq!(g.crossings(&mut s), 1);
        let (c, _) = g.minimise(8, false, 8, &mut s, &mut |_| {});
        assert_eq!(c, 0);
        assert_eq!(g.layers[0], vec![1, 0]);
    }
}
