//! Structural groups: community detection by Louvain (Blondel et al. 2008)
//! with the guarantee Leiden (Traag et al. 2019) adds — every community is
//! connected. After Louvain, each community is split into its connected
//! parts; splitting a community with no edge between its parts always
//! raises modularity, so this never costs quality.
//!
//! React Flow groups are respected: a node with a `parentId` belongs to the
//! group of its top-level ancestor, which is fused into one node before
//! detection (its inner edges become a self-loop, which leaves modularity
//! unchanged), so a group is never split across communities.
//!
//! Modularity, with weights (parallel edges add up) and resolution γ:
//! Q = Σ_c [ L_c / m − γ (K_c / 2m)² ], L_c the weight of the edges inside c
//! (a self-loop once), K_c the sum of the degrees in c (a self-loop counts
//! twice), m the total weight. Edges are undirected here.

use crate::cluster::GroupingConfig;
use crate::graph::Rng;
use crate::model::{Workflow, NONE};

/// An undirected weighted graph in compressed rows; self-loops kept apart.
#[derive(Clone, Debug, Default)]
pub struct WGraph {
    off: Vec<u32>,
    nbr: Vec<(u32, f64)>,
    /// Weight of the self-loops of each node (each loop once).
    loops: Vec<f64>,
    /// Total edge weight m.
    total: f64,
}

impl WGraph {
    /// From (a, b, weight) edges; parallel edges are merged, a == b is a self-loop.
    pub fn new(n: usize, edges: &[(u32, u32, f64)]) -> WGraph {
        let mut loops = vec![0.0; n];
        let mut pairs: Vec<(u32, u32, f64)> = Vec::with_capacity(edges.len() * 2);
        let mut total = 0.0;
        for &(a, b, w) in edges {
            if a as usize >= n || b as usize >= n || !(w.is_finite() && w > 0.0) {
                continue;
            }
            total += w;
            if a == b {
                loops[a as usize] += w;
            } else {
                pairs.push((a, b, w));
                pairs.push((b, a, w));
            }
        }
        pairs.sort_unstable_by_key(|p| (p.0, p.1));
        let mut off = vec![0u32; n + 1];
        let mut nbr: Vec<(u32, f64)> = Vec::with_capacity(pairs.len());
        let mut last: Option<(u32, u32)> = None;
        for (a, b, w) in pairs {
            if last == Some((a, b)) {
                if let Some(x) = nbr.last_mut() {
                    x.1 += w;
                }
            } else {
                nbr.push((b, w));
                off[a as usize + 1] += 1;
                last = Some((a, b));
            }
        }
        for i in 0..n {
            off[i + 1] += off[i];
        }
        WGraph {
            off,
            nbr,
            loops,
            total,
        }
    }

    pub fn len(&self) -> usize {
        self.loops.len()
    }

    pub fn is_empty(&self) -> bool {
        self.loops.is_empty()
    }

    #[inline]
    pub fn neighbours(&self, v: usize) -> &[(u32, f64)] {
        &self.nbr[self.off[v] as usize..self.off[v + 1] as usize]
    }

    /// Weighted degree (a self-loop counts twice).
    pub fn degree(&self, v: usize) -> f64 {
        self.neighbours(v).iter().map(|x| x.1).sum::<f64>() + 2.0 * self.loops[v]
    }

    /// Total edge weight m.
    pub fn total_weight(&self) -> f64 {
        self.total
    }

    /// Modularity of a partition (see the module comment).
    pub fn modularity(&self, community: &[u32], resolution: f64) -> f64 {
        let m = self.total;
        if m <= 0.0 {
            return 0.0;
        }
        let c_max = community.iter().map(|&c| c as usize + 1).max().unwrap_or(0);
        let mut inside = vec![0.0; c_max];
        let mut degree = vec![0.0; c_max];
        for v in 0..self.len() {
            let c = community[v] as usize;
            degree[c] += self.degree(v);
            inside[c] += self.loops[v];
            for &(u, w) in self.neighbours(v) {
                // Each inner edge is seen from both ends.
                if community[u as usize] as usize == c {
                    inside[c] += w / 2.0;
                }
            }
        }
        (0..c_max)
            .map(|c| inside[c] / m - resolution * (degree[c] / (2.0 * m)).powi(2))
            .sum()
    }
}

/// Louvain: local moving until no node improves, then aggregation, until a
/// level changes nothing. Returns a community per node, numbered from 0.
pub fn louvain(g: &WGraph, resolution: f64, seed: u32) -> Vec<u32> {
    let n = g.len();
    let mut membership: Vec<u32> = (0..n as u32).collect();
    if n == 0 || g.total <= 0.0 {
        return membership;
    }
    let mut rng = Rng::new(seed as u64);
    let mut level = g.clone();
    for _ in 0..32 {
        let (comm, moved) = local_moving(&level, resolution, &mut rng, None);
        if !moved {
            break;
        }
        let (renum, k) = renumber(&comm);
        for m in membership.iter_mut() {
            *m = renum[*m as usize];
        }
        if k == level.len() {
            break;
        }
        level = aggregate(&level, &renum, k);
    }
    // Refinement: one more round of local moves on the original nodes, from
    // the final partition. Aggregation fixes nodes into their first
    // community; this lets the few that ended up on the wrong side move.
    let (refined, _) = local_moving(g, resolution, &mut rng, Some(&membership));
    renumber(&refined).0
}

/// One level of local moving, with Leiden's fast local move: every node is
/// visited once in a seeded order, and a node that moves queues its
/// neighbours outside its new community for another visit. Starts from
/// singletons, or from `start`. Returns the community of each node and
/// whether any node moved.
fn local_moving(
    g: &WGraph,
    resolution: f64,
    rng: &mut Rng,
    start: Option<&[u32]>,
) -> (Vec<u32>, bool) {
    let n = g.len();
    let m2 = 2.0 * g.total;
    let k: Vec<f64> = (0..n).map(|v| g.degree(v)).collect();
    // Communities are numbered below n: singletons, or the given partition.
    let mut comm: Vec<u32> = match start {
        Some(s) if s.len() == n && s.iter().all(|&c| (c as usize) < n) => s.to_vec(),
        _ => (0..n as u32).collect(),
    };
    let mut tot = vec![0.0f64; n];
    for v in 0..n {
        tot[comm[v] as usize] += k[v];
    }
    // From a partition, only nodes with a neighbour elsewhere can move: a
    // node whose neighbours all share its community sees no other to join.
    let mut order: Vec<u32> = (0..n as u32)
        .filter(|&v| {
            start.is_none()
                || g.neighbours(v as usize)
                    .iter()
                    .any(|&(u, _)| comm[u as usize] != comm[v as usize])
        })
        .collect();
    rng.shuffle(&mut order);
    let mut queued = vec![false; n];
    for &v in &order {
        queued[v as usize] = true;
    }
    let mut queue: std::collections::VecDeque<u32> = order.into();
    let mut w_to = vec![0.0f64; n];
    let mut touched: Vec<u32> = Vec::new();
    let mut any = false;
    // Every move raises modularity, so this ends; the cap only guards rounding.
    let mut budget = 64 * n + 1024;
    while let Some(v) = queue.pop_front() {
        if budget == 0 {
            break;
        }
        budget -= 1;
        let v = v as usize;
        queued[v] = false;
        let cv = comm[v];
        touched.clear();
        for &(u, w) in g.neighbours(v) {
            let c = comm[u as usize];
            if w_to[c as usize] == 0.0 {
                touched.push(c);
            }
            w_to[c as usize] += w;
        }
        tot[cv as usize] -= k[v];
        // Gain of joining c, up to a constant factor: w(v, c) − γ tot_c k_v / 2m.
        let gain = |c: u32, w: f64, tot: &[f64]| w - resolution * tot[c as usize] * k[v] / m2;
        let mut best = cv;
        let mut best_gain = gain(cv, w_to[cv as usize], &tot);
        for &c in &touched {
            let g = gain(c, w_to[c as usize], &tot);
            if g > best_gain + 1e-12 {
                best_gain = g;
                best = c;
            }
        }
        tot[best as usize] += k[v];
        for &c in &touched {
            w_to[c as usize] = 0.0;
        }
        if best != cv {
            comm[v] = best;
            any = true;
            for &(u, _) in g.neighbours(v) {
                let u = u as usize;
                if !queued[u] && comm[u] != best {
                    queued[u] = true;
                    queue.push_back(u as u32);
                }
            }
        }
    }
    (comm, any)
}

/// Communities renumbered 0.. in order of first appearance, and their count.
fn renumber(comm: &[u32]) -> (Vec<u32>, usize) {
    let max = comm.iter().map(|&c| c as usize + 1).max().unwrap_or(0);
    let mut id = vec![NONE; max];
    let mut next = 0u32;
    let out = comm
        .iter()
        .map(|&c| {
            if id[c as usize] == NONE {
                id[c as usize] = next;
                next += 1;
            }
            id[c as usize]
        })
        .collect();
    (out, next as usize)
}

/// The graph of communities: inner weight becomes a self-loop.
fn aggregate(g: &WGraph, comm: &[u32], k: usize) -> WGraph {
    let mut edges: Vec<(u32, u32, f64)> = Vec::with_capacity(g.nbr.len() / 2 + g.len());
    for v in 0..g.len() {
        let cv = comm[v];
        if g.loops[v] > 0.0 {
            edges.push((cv, cv, g.loops[v]));
        }
        for &(u, w) in g.neighbours(v) {
            if (u as usize) > v {
                edges.push((cv, comm[u as usize], w));
            }
        }
    }
    // Merge duplicates before building (WGraph::new merges rows too).
    edges.sort_unstable_by_key(|e| (e.0.min(e.1), e.0.max(e.1)));
    let mut merged: Vec<(u32, u32, f64)> = Vec::with_capacity(edges.len());
    for (a, b, w) in edges {
        let key = (a.min(b), a.max(b));
        match merged.last_mut() {
            Some(last) if (last.0, last.1) == key => last.2 += w,
            _ => merged.push((key.0, key.1, w)),
        }
    }
    WGraph::new(k, &merged)
}

/// Split every community into its connected parts (edges inside it only);
/// renumbered in order of first node.
pub fn connected_parts(g: &WGraph, comm: &[u32]) -> Vec<u32> {
    let n = g.len();
    let mut out = vec![NONE; n];
    let mut next = 0u32;
    let mut stack = Vec::new();
    for s in 0..n {
        if out[s] != NONE {
            continue;
        }
        out[s] = next;
        stack.push(s as u32);
        while let Some(v) = stack.pop() {
            for &(u, _) in g.neighbours(v as usize) {
                let u = u as usize;
                if out[u] == NONE && comm[u] == comm[v as usize] {
                    out[u] = next;
                    stack.push(u as u32);
                }
            }
        }
        next += 1;
    }
    out
}

/// Communities of a workflow (see the module comment).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Groups {
    /// Per node slot: its group, or u32::MAX for removed or hidden nodes.
    pub group_of: Vec<u32>,
    /// Nodes per group.
    pub sizes: Vec<u32>,
    /// Suggested box per group: the members' bounds grown by `grouping.padding`.
    pub boxes: Vec<[f64; 4]>,
    pub modularity: f64,
    /// React Flow groups (top-level nodes with children) kept whole.
    pub parent_groups: u32,
}

impl Groups {
    pub fn count(&self) -> usize {
        self.sizes.len()
    }
}

fn top_of(wf: &Workflow, mut i: u32) -> u32 {
    while let Some(p) = wf.parent(i) {
        i = p;
    }
    i
}

/// Detect groups among the shown nodes over the shown edges.
pub fn detect(wf: &Workflow, cfg: &GroupingConfig) -> Groups {
    let slots = wf.slot_count();
    // One detection node per top-level ancestor.
    let mut unit = vec![NONE; slots];
    let mut units = 0u32;
    let mut unit_of_top = vec![NONE; slots];
    let mut with_children = 0u32;
    for i in wf.live_slots() {
        if !wf.is_shown(i) {
            continue;
        }
        let t = top_of(wf, i) as usize;
        if unit_of_top[t] == NONE {
            unit_of_top[t] = units;
            units += 1;
        }
        unit[i as usize] = unit_of_top[t];
    }
    for i in wf.live_slots() {
        if wf.parent(i).is_none() && !wf.children(i).is_empty() && unit_of_top[i as usize] != NONE {
            with_children += 1;
        }
    }
    let mut edges: Vec<(u32, u32, f64)> = Vec::new();
    for e in wf.live_edge_slots() {
        if !wf.edge_shown(e) {
            continue;
        }
        let (s, t) = wf.edge_ends_of(e);
        let (a, b) = (unit[s as usize], unit[t as usize]);
        if a != NONE && b != NONE {
            edges.push((a, b, 1.0));
        }
    }
    let g = WGraph::new(units as usize, &edges);
    let comm = louvain(&g, cfg.resolution, cfg.seed);
    let comm = connected_parts(&g, &comm);
    let modularity = g.modularity(&comm, cfg.resolution);
    let count = comm.iter().map(|&c| c as usize + 1).max().unwrap_or(0);
    let mut out = Groups {
        group_of: vec![NONE; slots],
        sizes: vec![0; count],
        boxes: vec![
            [
                f64::INFINITY,
                f64::INFINITY,
                f64::NEG_INFINITY,
                f64::NEG_INFINITY
            ];
            count
        ],
        modularity,
        parent_groups: with_children,
    };
    for (i, &u) in unit.iter().enumerate() {
        if u == NONE {
            continue;
        }
        let c = comm[u as usize];
        out.group_of[i] = c;
        out.sizes[c as usize] += 1;
        let r = wf.rect(i as u32);
        let b = &mut out.boxes[c as usize];
        b[0] = b[0].min(r.x);
        b[1] = b[1].min(r.y);
        b[2] = b[2].max(r.x2());
        b[3] = b[3].max(r.y2());
    }
    let p = cfg.padding;
    for b in out.boxes.iter_mut() {
        *b = [
            b[0] - p,
            b[1] - p,
            b[2] - b[0] + 2.0 * p,
            b[3] - b[1] + 2.0 * p,
        ];
    }
    out
}
