//! Layer assignment: longest path, then network simplex (Gansner, Koutsofios,
//! North & Vo, "A technique for drawing directed graphs", 1993) minimising
//! Σ weight × (layer span) over the edges.
//!
//! The simplex here updates incrementally what dagre recomputes in full on
//! every pivot: ranks shift only on the smaller side of the cut, the entering
//! edge is searched among that side's edges, and cut values are recomputed
//! only on the tree paths of the cycle. The leaving edge is the most negative
//! of the first 30 found (as Graphviz does). dagre renumbers and recomputes
//! the whole tree per pivot, which is what makes it take seconds at 1k nodes.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// A DAG edge `u → v` with a weight (merged duplicates) and a minimum span of 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DagEdge {
    pub u: u32,
    pub v: u32,
    pub w: u32,
}

const NONE: u32 = u32::MAX;

/// Node → incident edge indices (both directions), compressed.
pub(super) struct Incidence {
    off: Vec<u32>,
    list: Vec<u32>,
}

impl Incidence {
    pub fn new(n: usize, edges: &[DagEdge]) -> Incidence {
        let mut off = vec![0u32; n + 1];
        for e in edges {
            off[e.u as usize + 1] += 1;
            off[e.v as usize + 1] += 1;
        }
        for i in 0..n {
            off[i + 1] += off[i];
        }
        let mut fill = off.clone();
        let mut list = vec![0u32; off[n] as usize];
        for (k, e) in edges.iter().enumerate() {
            for x in [e.u, e.v] {
                list[fill[x as usize] as usize] = k as u32;
                fill[x as usize] += 1;
            }
        }
        Incidence { off, list }
    }

    #[inline]
    pub fn of(&self, v: u32) -> &[u32] {
        &self.list[self.off[v as usize] as usize..self.off[v as usize + 1] as usize]
    }
}

/// Kahn's topological order of a DAG with `n` nodes.
pub(super) fn topo_order(n: usize, edges: &[DagEdge], inc: &Incidence) -> Vec<u32> {
    let mut indeg = vec![0u32; n];
    for e in edges {
        indeg[e.v as usize] += 1;
    }
    let mut order: Vec<u32> = (0..n as u32).filter(|&v| indeg[v as usize] == 0).collect();
    let mut head = 0;
    while head < order.len() {
        let u = order[head];
        head += 1;
        for &k in inc.of(u) {
            let e = edges[k as usize];
            if e.u == u {
                indeg[e.v as usize] -= 1;
                if indeg[e.v as usize] == 0 {
                    order.push(e.v);
                }
            }
        }
    }
    order
}

/// Longest path from the sources: every edge spans at least one layer, and
/// sources sit on layer 0.
pub(super) fn longest_path(n: usize, edges: &[DagEdge], inc: &Incidence) -> Vec<i64> {
    let mut rank = vec![0i64; n];
    for u in topo_order(n, edges, inc) {
        for &k in inc.of(u) {
            let e = edges[k as usize];
            if e.u == u && rank[e.v as usize] < rank[u as usize] + 1 {
                rank[e.v as usize] = rank[u as usize] + 1;
            }
        }
    }
    rank
}

/// Improve a feasible ranking (every edge spans ≥ 1) of a connected DAG by
/// network simplex, for at most `max_pivots` pivots. Returns the pivots made.
/// The ranking stays feasible after every pivot, so stopping early is safe.
pub(super) fn network_simplex(
    n: usize,
    edges: &[DagEdge],
    inc: &Incidence,
    rank: &mut [i64],
    max_pivots: usize,
) -> usize {
    if n < 2 || edges.is_empty() {
        return 0;
    }
    let mut t = Tree::new(n, edges, inc);
    t.feasible_tree(rank);
    if t.size < n {
        // Not connected (callers pass components): keep the feasible ranking.
        return 0;
    }
    t.init();
    let mut pivots = 0;
    let mut cursor = 0usize;
    while pivots < max_pivots {
        let Some(f) = t.leave_edge(&mut cursor) else {
            break;
        };
        let Some(e) = t.enter_edge(f, rank) else {
            break;
        };
        t.exchange(f, e, rank);
        pivots += 1;
    }
    let min = rank.iter().copied().min().unwrap_or(0);
    for r in rank.iter_mut() {
        *r -= min;
    }
    pivots
}

/// The spanning tree of tight edges, rooted at node 0 through parent links.
/// No low/lim numbering (renumbering the subtree under each pivot's common
/// ancestor dominated the run time): the two sides of a leaving edge are
/// found by two depth-first searches run in lockstep, which stop as soon as
/// the smaller side is complete.
struct Tree<'a> {
    edges: &'a [DagEdge],
    inc: &'a Incidence,
    in_tree: Vec<bool>,
    tree_edge: Vec<bool>,
    /// Tree edges incident to each node.
    adj: Vec<Vec<u32>>,
    parent: Vec<u32>,
    parent_edge: Vec<u32>,
    cut: Vec<i64>,
    size: usize,
    /// Visit stamps: side searches and common-ancestor walks.
    mark: Vec<u32>,
    stamp: u32,
    /// The smaller side of the last leaving edge, and whether it holds f's tail.
    side: Vec<u32>,
    side_stamp: u32,
    side_is_tail: bool,
    stacks: [Vec<u32>; 2],
    found: [Vec<u32>; 2],
}

impl<'a> Tree<'a> {
    fn new(n: usize, edges: &'a [DagEdge], inc: &'a Incidence) -> Self {
        Tree {
            edges,
            inc,
            in_tree: vec![false; n],
            tree_edge: vec![false; edges.len()],
            adj: vec![Vec::new(); n],
            parent: vec![NONE; n],
            parent_edge: vec![NONE; n],
            cut: vec![0; edges.len()],
            size: 0,
            mark: vec![0; n],
            stamp: 0,
            side: Vec::new(),
            side_stamp: 0,
            side_is_tail: false,
            stacks: [Vec::new(), Vec::new()],
            found: [Vec::new(), Vec::new()],
        }
    }

    #[inline]
    fn slack(&self, k: u32, rank: &[i64]) -> i64 {
        let e = self.edges[k as usize];
        rank[e.v as usize] - rank[e.u as usize] - 1
    }

    fn next_stamp(&mut self) -> u32 {
        if self.stamp >= u32::MAX - 2 {
            self.mark.iter_mut().for_each(|m| *m = 0);
            self.stamp = 0;
        }
        self.stamp += 1;
        self.stamp
    }

    /// Grow a tree of tight edges, shifting the tree by the smallest slack of
    /// an incident edge whenever it stops growing (Prim-like, with two heaps
    /// and a lazy global shift so that shifting costs O(1)).
    fn feasible_tree(&mut self, rank: &mut [i64]) {
        let n = rank.len();
        // Tree nodes hold base ranks; their real rank is base + shift.
        let mut shift: i64 = 0;
        // Out: tree tail → outside head, slack = key - shift.
        // In: outside tail → tree head, slack = key + shift.
        let mut out_heap: BinaryHeap<Reverse<(i64, u32)>> = BinaryHeap::new();
        let mut in_heap: BinaryHeap<Reverse<(i64, u32)>> = BinaryHeap::new();
        let mut stack: Vec<u32> = Vec::new();
        let add = |t: &mut Tree, v: u32, e: u32, stack: &mut Vec<u32>| {
            t.in_tree[v as usize] = true;
            t.size += 1;
            if e != NONE {
                t.tree_edge[e as usize] = true;
                let ed = t.edges[e as usize];
                t.adj[ed.u as usize].push(e);
                t.adj[ed.v as usize].push(e);
            }
            stack.push(v);
        };
        let base_of = |rank: &mut [i64], v: u32, shift: i64| rank[v as usize] -= shift;
        base_of(rank, 0, shift);
        add(self, 0, NONE, &mut stack);
        loop {
            while let Some(x) = stack.pop() {
                for &k in self.inc.of(x) {
                    let e = self.edges[k as usize];
                    let (other, x_is_tail) = if e.u == x { (e.v, true) } else { (e.u, false) };
                    if self.in_tree[other as usize] {
                        continue;
                    }
                    // x is in the tree: its rank is base + shift.
                    let xr = rank[x as usize] + shift;
                    let or = rank[other as usize];
                    let slack = if x_is_tail { or - xr - 1 } else { xr - or - 1 };
                    if slack == 0 {
                        base_of(rank, other, shift);
                        add(self, other, k, &mut stack);
                    } else if x_is_tail {
                        out_heap.push(Reverse((or - rank[x as usize] - 1, k)));
                    } else {
                        in_heap.push(Reverse((rank[x as usize] - or - 1, k)));
                    }
                }
            }
            if self.size == n {
                break;
            }
            let both_in = |t: &Tree, k: u32| {
                let e = t.edges[k as usize];
                t.in_tree[e.u as usize] && t.in_tree[e.v as usize]
            };
            while out_heap.peek().is_some_and(|r| both_in(self, r.0 .1)) {
                out_heap.pop();
            }
            while in_heap.peek().is_some_and(|r| both_in(self, r.0 .1)) {
                in_heap.pop();
            }
            let o = out_heap.peek().map(|r| (r.0 .0 - shift, r.0 .1));
            let i = in_heap.peek().map(|r| (r.0 .0 + shift, r.0 .1));
            let (slack, k, from_out) = match (o, i) {
                (Some(o), Some(i)) if o.0 <= i.0 => (o.0, o.1, true),
                (Some(o), None) => (o.0, o.1, true),
                (_, Some(i)) => (i.0, i.1, false),
                (None, None) => break, // disconnected
            };
            if from_out {
                out_heap.pop();
                shift += slack;
            } else {
                in_heap.pop();
                shift -= slack;
            }
            let e = self.edges[k as usize];
            let other = if self.in_tree[e.u as usize] { e.v } else { e.u };
            base_of(rank, other, shift);
            add(self, other, k, &mut stack);
        }
        for (r, &t) in rank.iter_mut().zip(&self.in_tree) {
            if t {
                *r += shift;
            }
        }
    }

    /// Parents from the root, then cut values bottom-up.
    fn init(&mut self) {
        let mut order = vec![0u32];
        let mut head = 0;
        while head < order.len() {
            let v = order[head];
            head += 1;
            for i in 0..self.adj[v as usize].len() {
                let k = self.adj[v as usize][i];
                if k == self.parent_edge[v as usize] {
                    continue;
                }
                let e = self.edges[k as usize];
                let c = if e.u == v { e.v } else { e.u };
                self.parent[c as usize] = v;
                self.parent_edge[c as usize] = k;
                order.push(c);
            }
        }
        for &v in order.iter().rev() {
            if self.parent[v as usize] != NONE {
                let pe = self.parent_edge[v as usize];
                self.cut[pe as usize] = self.calc_cut(v);
            }
        }
    }

    /// The cut value of the tree edge from `child` to its parent.
    fn calc_cut(&self, child: u32) -> i64 {
        let pe = self.parent_edge[child as usize];
        let pedge = self.edges[pe as usize];
        let child_is_tail = pedge.u == child;
        let mut cut = pedge.w as i64;
        for &k in self.inc.of(child) {
            if k == pe {
                continue;
            }
            let e = self.edges[k as usize];
            let is_out = e.u == child;
            let points_to_head = is_out == child_is_tail;
            let w = e.w as i64;
            cut += if points_to_head { w } else { -w };
            if self.tree_edge[k as usize] {
                let c = self.cut[k as usize];
                cut += if points_to_head { -c } else { c };
            }
        }
        cut
    }

    /// A tree edge with a negative cut value: the most negative among the
    /// first `SEARCH` found cyclically from `cursor` (Graphviz's search size,
    /// which needs markedly fewer pivots than taking the first).
    fn leave_edge(&self, cursor: &mut usize) -> Option<u32> {
        const SEARCH: usize = 30;
        let m = self.edges.len();
        let mut best: Option<(i64, usize)> = None;
        let mut found = 0;
        for step in 0..m {
            let k = (*cursor + step) % m;
            if self.tree_edge[k] && self.cut[k] < 0 {
                if best.map_or(true, |b| self.cut[k] < b.0) {
                    best = Some((self.cut[k], k));
                }
                found += 1;
                if found >= SEARCH {
                    *cursor = (k + 1) % m;
                    break;
                }
            }
        }
        best.map(|b| b.1 as u32)
    }

    /// Find the smaller of the two sides the tree falls into without `f`
    /// (into `self.side`, marked with `self.side_stamp`).
    fn smaller_side(&mut self, f: u32) {
        let fe = self.edges[f as usize];
        let stamps = [self.next_stamp(), self.next_stamp()];
        for (i, start) in [fe.u, fe.v].into_iter().enumerate() {
            self.stacks[i].clear();
            self.found[i].clear();
            self.stacks[i].push(start);
            self.mark[start as usize] = stamps[i];
        }
        let done = 'search: loop {
            for (i, &stamp) in stamps.iter().enumerate() {
                let Some(v) = self.stacks[i].pop() else {
                    break 'search i;
                };
                self.found[i].push(v);
                for &k in &self.adj[v as usize] {
                    if k == f {
                        continue;
                    }
                    let e = self.edges[k as usize];
                    let o = if e.u == v { e.v } else { e.u };
                    if self.mark[o as usize] != stamp {
                        self.mark[o as usize] = stamp;
                        self.stacks[i].push(o);
                    }
                }
            }
        };
        std::mem::swap(&mut self.side, &mut self.found[done]);
        self.side_stamp = stamps[done];
        self.side_is_tail = done == 0;
    }

    #[inline]
    fn on_side(&self, v: u32) -> bool {
        self.mark[v as usize] == self.side_stamp
    }

    /// The non-tree edge of least slack from the head side of `f` to its tail side.
    fn enter_edge(&mut self, f: u32, rank: &[i64]) -> Option<u32> {
        self.smaller_side(f);
        let mut best: Option<(i64, u32)> = None;
        for &v in &self.side {
            for &k in self.inc.of(v) {
                let e = self.edges[k as usize];
                let (tail_in, head_in) = (self.on_side(e.u), self.on_side(e.v));
                // Exactly one end on the side, pointing into the tail side.
                let ok = if self.side_is_tail {
                    head_in && !tail_in
                } else {
                    tail_in && !head_in
                };
                if ok {
                    let s = self.slack(k, rank);
                    if best.map_or(true, |b| (s, k) < b) {
                        best = Some((s, k));
                    }
                }
            }
        }
        best.map(|b| b.1)
    }

    /// Swap tree edge `f` for `e` (after `enter_edge(f)`).
    fn exchange(&mut self, f: u32, e: u32, rank: &mut [i64]) {
        let fe = self.edges[f as usize];
        let ee = self.edges[e as usize];
        // Make e tight by moving the smaller side (only differences matter).
        let slack = self.slack(e, rank);
        let delta = if self.side_is_tail { -slack } else { slack };
        if delta != 0 {
            for &v in &self.side {
                rank[v as usize] += delta;
            }
        }
        // c: the end of f below it in the rooted tree; p: its parent.
        let c = if self.parent_edge[fe.u as usize] == f {
            fe.u
        } else {
            fe.v
        };
        let p = self.parent[c as usize];
        // The side holding c is the subtree of c: x is e's end inside it.
        let c_on_side = self.on_side(c);
        let (x, y) = if self.on_side(ee.u) == c_on_side {
            (ee.u, ee.v)
        } else {
            (ee.v, ee.u)
        };
        // Lowest common ancestor of p and y (neither is under c).
        let s = self.next_stamp();
        let mut v = y;
        loop {
            self.mark[v as usize] = s;
            if self.parent[v as usize] == NONE {
                break;
            }
            v = self.parent[v as usize];
        }
        let mut l = p;
        while self.mark[l as usize] != s {
            l = self.parent[l as usize];
        }
        // Swap the tree edges.
        self.tree_edge[f as usize] = false;
        self.adj[fe.u as usize].retain(|&k| k != f);
        self.adj[fe.v as usize].retain(|&k| k != f);
        self.tree_edge[e as usize] = true;
        self.adj[ee.u as usize].push(e);
        self.adj[ee.v as usize].push(e);
        // Re-hang the subtree of c from x: reverse the parent links from x up to c.
        let mut path = vec![x];
        let mut v = x;
        while v != c {
            v = self.parent[v as usize];
            path.push(v);
        }
        let old_edges: Vec<u32> = path.iter().map(|&v| self.parent_edge[v as usize]).collect();
        self.parent[x as usize] = y;
        self.parent_edge[x as usize] = e;
        for i in 1..path.len() {
            self.parent[path[i] as usize] = path[i - 1];
            self.parent_edge[path[i] as usize] = old_edges[i - 1];
        }
        // Cut values change only where a subtree changed: the re-hung path
        // (deepest first), then the paths from y and from p up to l.
        for &v in path.iter().rev() {
            let pe = self.parent_edge[v as usize];
            self.cut[pe as usize] = self.calc_cut(v);
        }
        for start in [y, p] {
            let mut v = start;
            while v != l {
                let pe = self.parent_edge[v as usize];
                self.cut[pe as usize] = self.calc_cut(v);
                v = self.parent[v as usize];
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn total_length(edges: &[DagEdge], rank: &[i64]) -> i64 {
        edges
            .iter()
            .map(|e| e.w as i64 * (rank[e.v as usize] - rank[e.u as usize]))
            .sum()
    }

    fn feasible(edges: &[DagEdge], rank: &[i64]) -> bool {
        edges
            .iter()
            .all(|e| rank[e.v as usize] - rank[e.u as usize] >= 1)
    }

    /// Brute force: the least total length over all rankings in 0..n.
    fn brute_min(n: usize, edges: &[DagEdge]) -> i64 {
        let mut best = i64::MAX;
        let mut r = vec![0i64; n];
        fn rec(i: usize, n: usize, r: &mut Vec<i64>, edges: &[DagEdge], best: &mut i64) {
            if i == n {
                if feasible(edges, r) {
                    *best = (*best).min(total_length(edges, r));
                }
                return;
            }
            for v in 0..n as i64 {
                r[i] = v;
                rec(i + 1, n, r, edges, best);
            }
        }
        rec(0, n, &mut r, edges, &mut best);
        best
    }

    fn rng(seed: &mut u64) -> u64 {
        *seed ^= *seed << 13;
        *seed ^= *seed >> 7;
        *seed ^= *seed << 17;
        *seed
    }

    #[test]
    fn simplex_is_optimal_on_small_random_dags() {
        let mut seed = 0x9e3779b97f4a7c15u64;
        for _ in 0..200 {
            let n = 2 + (rng(&mut seed) % 5) as usize;
            // A random connected DAG: a random spanning tree oriented low → high, plus extras.
            let mut edges = Vec::new();
            for v in 1..n {
                let u = (rng(&mut seed) % v as u64) as u32;
                edges.push(DagEdge {
                    u,
                    v: v as u32,
                    w: 1 + (rng(&mut seed) % 3) as u32,
                });
            }
            for _ in 0..rng(&mut seed) % 4 {
                let a = (rng(&mut seed) % n as u64) as u32;
                let b = (rng(&mut seed) % n as u64) as u32;
                let (u, v) = (a.min(b), a.max(b));
                if u != v && !edges.iter().any(|e| e.u == u && e.v == v) {
                    edges.push(DagEdge {
                        u,
                        v,
                        w: 1 + (rng(&mut seed) % 3) as u32,
                    });
                }
            }
            let inc = Incidence::new(n, &edges);
            let mut rank = longest_path(n, &edges, &inc);
            assert!(feasible(&edges, &rank));
            network_simplex(n, &edges, &inc, &mut rank, usize::MAX);
            assert!(feasible(&edges, &rank), "{edges:?} {rank:?}");
            assert_eq!(
                total_length(&edges, &rank),
                brute_min(n, &edges),
                "{edges:?} {rank:?}"
            );
            assert_eq!(rank.iter().min(), Some(&0));
        }
    }
}
