//! Coordinates across the layers: Brandes & Köpf, "Fast and simple horizontal
//! coordinate assignment" (2001), as dagre implements it — four alignments
//! (up/down × left/right) compacted through a block graph with the real
//! separation of each pair of neighbours (half of each node's size plus the
//! spacing), aligned to the narrowest and balanced by the mean of the two
//! middle candidates. Each alignment keeps every pair of neighbours at least
//! their separation apart, and so does the balanced result.
//!
//! Ports: a node aligned with its median neighbour is shifted from the
//! block's root so that the two ends of their segment (the handles, not the
//! centres) line up; the block graph's separations carry the shifts.

use super::order::Layered;
type HashSet<K> = hashbrown::HashSet<K, foldhash::fast::FixedState>;

pub(super) struct Spacing {
    pub node: f64,
    pub edge: f64,
}

/// Centre of every node (real and dummy) along the cross axis: the balanced
/// assignment.
pub(super) fn cross_coordinates(g: &Layered, size: &[f64], sp: &Spacing) -> Vec<f64> {
    let mut all = cross_candidates(g, size, sp);
    all.swap_remove(0)
}

/// The balanced assignment, then the four alignments it balances (each
/// shifted onto the narrowest, as in the balancing): five assignments that
/// each keep every pair of neighbours their separation apart.
pub(super) fn cross_candidates(g: &Layered, size: &[f64], sp: &Spacing) -> Vec<Vec<f64>> {
    let n = g.len();
    let conflicts = type1_conflicts(g);
    let sep = |u: u32, v: u32| {
        let half = |x: u32| {
            size[x as usize] / 2.0
                + if g.is_dummy(x) {
                    sp.edge / 2.0
                } else {
                    sp.node / 2.0
                }
        };
        half(u) + half(v)
    };
    let mut xss: Vec<Vec<f64>> = Vec::with_capacity(4);
    for from_up in [true, false] {
        for right in [false, true] {
            let mut layering: Vec<Vec<u32>> = if from_up {
                g.layers.clone()
            } else {
                g.layers.iter().rev().cloned().collect()
            };
            if right {
                for l in layering.iter_mut() {
                    l.reverse();
                }
            }
            let mut pos = vec![0u32; n];
            for l in &layering {
                for (i, &v) in l.iter().enumerate() {
                    pos[v as usize] = i as u32;
                }
            }
            let (root, shift) =
                vertical_alignment(g, &layering, &pos, &conflicts, from_up, right, size);
            let mut xs = compaction(&layering, &root, &shift, &sep);
            if right {
                for x in xs.iter_mut() {
                    *x = -*x;
                }
            }
            xss.push(xs);
        }
    }
    // Align all four to the narrowest, then take the mean of the middle two.
    let width = |xs: &[f64]| {
        let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
        for (v, &x) in xs.iter().enumerate() {
            lo = lo.min(x - size[v] / 2.0);
            hi = hi.max(x + size[v] / 2.0);
        }
        hi - lo
    };
    let narrowest = (0..4)
        .min_by(|&a, &b| width(&xss[a]).total_cmp(&width(&xss[b])))
        .unwrap_or(0);
    let min_of = |xs: &[f64]| xs.iter().copied().fold(f64::INFINITY, f64::min);
    let max_of = |xs: &[f64]| xs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let (to_min, to_max) = (min_of(&xss[narrowest]), max_of(&xss[narrowest]));
    for (k, xs) in xss.iter_mut().enumerate() {
        if k == narrowest || xs.is_empty() {
            continue;
        }
        let right = k % 2 == 1;
        let delta = if right {
            to_max - max_of(xs)
        } else {
            to_min - min_of(xs)
        };
        for x in xs.iter_mut() {
            *x += delta;
        }
    }
    let balanced = (0..n)
        .map(|v| {
            let mut c = [xss[0][v], xss[1][v], xss[2][v], xss[3][v]];
            c.sort_unstable_by(f64::total_cmp);
            (c[1] + c[2]) / 2.0
        })
        .collect();
    let mut all = Vec::with_capacity(5);
    all.push(balanced);
    all.extend(xss);
    all
}

fn key(u: u32, v: u32) -> u64 {
    let (a, b) = if u < v { (u, v) } else { (v, u) };
    (a as u64) << 32 | b as u64
}

/// Segments that cross an inner segment (dummy to dummy): those must give
/// way so that long edges run straight.
fn type1_conflicts(g: &Layered) -> HashSet<u64> {
    let mut conflicts = HashSet::default();
    for l in 1..g.layers.len() {
        let prev_len = g.layers[l - 1].len() as u32;
        let layer = &g.layers[l];
        let (mut k0, mut scan) = (0u32, 0usize);
        for (i, &v) in layer.iter().enumerate() {
            let inner = if g.is_dummy(v) {
                g.up(v).iter().map(|a| a.0).find(|&u| g.is_dummy(u))
            } else {
                None
            };
            let k1 = inner.map_or(prev_len, |u| g.pos[u as usize]);
            if inner.is_some() || i + 1 == layer.len() {
                for &s in &layer[scan..=i] {
                    for &(u, ..) in g.up(s) {
                        let up = g.pos[u as usize];
                        if (up < k0 || k1 < up) && !(g.is_dummy(u) && g.is_dummy(s)) {
                            conflicts.insert(key(u, s));
                        }
                    }
                }
                scan = i + 1;
                k0 = k1;
            }
        }
    }
    conflicts
}

/// Blocks (each node's root) and each node's shift from its root.
fn vertical_alignment(
    g: &Layered,
    layering: &[Vec<u32>],
    pos: &[u32],
    conflicts: &HashSet<u64>,
    from_up: bool,
    right: bool,
    size: &[f64],
) -> (Vec<u32>, Vec<f64>) {
    let n = g.len();
    let mut root: Vec<u32> = (0..n as u32).collect();
    let mut align: Vec<u32> = (0..n as u32).collect();
    let mut shift = vec![0.0f64; n];
    // Offset of a segment end from its node's centre (mirrored in the right-to-left passes).
    let sign = if right { -1.0 } else { 1.0 };
    let off = |x: u32, place: f32| sign * (place as f64 - 0.5) * size[x as usize];
    let mut ws: Vec<u32> = Vec::new();
    for layer in layering {
        let mut prev: i64 = -1;
        for &v in layer {
            let nbrs = if from_up { g.up(v) } else { g.down(v) };
            if nbrs.is_empty() {
                continue;
            }
            ws.clear();
            ws.extend(nbrs.iter().map(|a| a.0));
            ws.sort_unstable_by_key(|&w| pos[w as usize]);
            ws.dedup();
            let mp = (ws.len() - 1) as f64 / 2.0;
            for &w in &ws[mp.floor() as usize..=mp.ceil() as usize] {
                if align[v as usize] == v
                    && prev < pos[w as usize] as i64
                    && !conflicts.contains(&key(v, w))
                {
                    align[w as usize] = v;
                    root[v as usize] = root[w as usize];
                    align[v as usize] = root[v as usize];
                    prev = pos[w as usize] as i64;
                    if let Some(&(_, _, at_v, at_w)) = nbrs.iter().find(|a| a.0 == w) {
                        shift[v as usize] = shift[w as usize] + off(w, at_w) - off(v, at_v);
                    }
                }
            }
        }
    }
    (root, shift)
}

/// Coordinates of each block (the nodes aligned to one root, each at its
/// shift from the root) as the longest path in the block graph, then pulled
/// towards their successors.
fn compaction(
    layering: &[Vec<u32>],
    root: &[u32],
    shift: &[f64],
    sep: &dyn Fn(u32, u32) -> f64,
) -> Vec<f64> {
    let n = root.len();
    let mut edges: Vec<(u32, u32, f64)> = Vec::new();
    for layer in layering {
        for pair in layer.windows(2) {
            let (u, v) = (pair[0] as usize, pair[1] as usize);
            edges.push((
                root[u],
                root[v],
                sep(pair[0], pair[1]) + shift[u] - shift[v],
            ));
        }
    }
    edges.sort_unstable_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)).then(b.2.total_cmp(&a.2)));
    edges.dedup_by(|b, a| a.0 == b.0 && a.1 == b.1);
    // Block graph adjacency (by root).
    let mut out_off = vec![0u32; n + 1];
    let mut indeg = vec![0u32; n];
    for e in &edges {
        out_off[e.0 as usize + 1] += 1;
        indeg[e.1 as usize] += 1;
    }
    for i in 0..n {
        out_off[i + 1] += out_off[i];
    }
    // Edges are sorted by source, so they are already grouped.
    let mut order: Vec<u32> = (0..n as u32)
        .filter(|&v| root[v as usize] == v && indeg[v as usize] == 0)
        .collect();
    let mut head = 0;
    while head < order.len() {
        let b = order[head];
        head += 1;
        for e in &edges[out_off[b as usize] as usize..out_off[b as usize + 1] as usize] {
            indeg[e.1 as usize] -= 1;
            if indeg[e.1 as usize] == 0 {
                order.push(e.1);
            }
        }
    }
    let blocks = (0..n).filter(|&v| root[v] == v as u32).count();
    if order.len() < blocks {
        // Not a DAG (cannot happen with a consistent alignment): fall back to
        // packing each layer from the left, which never overlaps.
        let mut xs = vec![0.0f64; n];
        for layer in layering {
            for pair in layer.windows(2) {
                xs[pair[1] as usize] = xs[pair[0] as usize] + sep(pair[0], pair[1]);
            }
        }
        return xs;
    }
    let mut xs = vec![0.0f64; n];
    for &b in &order {
        let from = xs[b as usize];
        for e in &edges[out_off[b as usize] as usize..out_off[b as usize + 1] as usize] {
            if xs[e.1 as usize] < from + e.2 {
                xs[e.1 as usize] = from + e.2;
            }
        }
    }
    for &b in order.iter().rev() {
        let out = &edges[out_off[b as usize] as usize..out_off[b as usize + 1] as usize];
        if out.is_empty() {
            continue;
        }
        let min = out
            .iter()
            .map(|e| xs[e.1 as usize] - e.2)
            .fold(f64::INFINITY, f64::min);
        if min > xs[b as usize] {
            xs[b as usize] = min;
        }
    }
    for v in 0..n {
        xs[v] = xs[root[v] as usize] + shift[v];
    }
    xs
}
