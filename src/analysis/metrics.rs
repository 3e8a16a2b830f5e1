//! Complexity metrics of a workflow as it is laid out now (shown nodes and
//! shown edges, as React Flow draws them).

use super::AnalysisConfig;
use crate::cluster::{groups, GroupingConfig};
use crate::graph::{break_cycles, components};
use crate::lod::RenderingConfig;
use crate::model::{Workflow, NONE};
use crate::spatial::FlowParams;
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{RTree, AABB};
use serde::Serialize;
use std::ops::ControlFlow;

type Map<K, V> = hashbrown::HashMap<K, V, foldhash::fast::FixedState>;
type Entry = GeomWithData<Rectangle<[f64; 2]>, u32>;
/// A straight edge: source and target (for shared-end tests), then its two end points.
pub type Segment = (u32, u32, (f64, f64), (f64, f64));

/// Most overlapping pairs counted (a pile of identical nodes would otherwise cost n²).
pub const MAX_OVERLAP_PAIRS: u64 = 10_000_000;

/// Rough DOM cost of React Flow (elements per node: wrapper, body, two
/// handles; per edge: group, path, interaction path). An estimate, not a measurement.
pub const DOM_PER_NODE: u64 = 4;
pub const DOM_PER_EDGE: u64 = 3;

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Analysis {
    /// Shown nodes and edges (hidden ones and edges of hidden nodes left out).
    pub nodes: u32,
    pub edges: u32,
    /// edges / (nodes × (nodes − 1)).
    pub density: f64,
    /// Nodes on the longest path once cycles are broken.
    pub depth: u32,
    pub max_fan_in: u32,
    pub max_fan_out: u32,
    /// Weakly connected components, and nodes with no edge at all.
    pub components: u32,
    pub isolated_nodes: u32,
    /// Edges reversed to break cycles (0: the workflow is acyclic), and self-loops.
    pub back_edges: u32,
    pub self_loops: u32,
    /// Edges repeating the source and target of an earlier edge.
    pub parallel_edges: u32,
    pub parallel_edge_share: f64,
    /// Crossings of straight segments between node centres.
    pub crossings: u64,
    /// False when there were more edges than `analysis.maxCrossingEdges`: a sample, scaled.
    pub crossings_exact: bool,
    pub crossings_per_edge: f64,
    /// Edges longer than `analysis.longEdgeFactor` median node sizes.
    pub long_edges: u32,
    pub long_edge_share: f64,
    /// Pairs of nodes whose boxes overlap (a group and its descendants excepted).
    pub overlaps: u64,
    pub overlapping_nodes: u32,
    pub overlap_share: f64,
    /// Communities (Louvain, connected) and their modularity.
    pub communities: u32,
    pub modularity: f64,
    pub median_node_size: f64,
    /// DOM elements React Flow would mount for everything, and for flowscale's window.
    pub dom_elements: u64,
    pub dom_elements_windowed: u64,
}

fn is_ancestor(wf: &Workflow, a: u32, mut b: u32) -> bool {
    while let Some(p) = wf.parent(b) {
        if p == a {
            return true;
        }
        b = p;
    }
    false
}

/// Orientation of c against a→b: 1, −1 or 0 (collinear).
fn orient(a: (f64, f64), b: (f64, f64), c: (f64, f64)) -> i8 {
    let v = (b.0 - a.0) * (c.1 - a.1) - (b.1 - a.1) * (c.0 - a.0);
    if v > 0.0 {
        1
    } else if v < 0.0 {
        -1
    } else {
        0
    }
}

/// Do the segments cross at one point inside both (touching ends and
/// collinear overlaps do not count)?
pub fn segments_cross(p1: (f64, f64), p2: (f64, f64), q1: (f64, f64), q2: (f64, f64)) -> bool {
    let (d1, d2) = (orient(q1, q2, p1), orient(q1, q2, p2));
    let (d3, d4) = (orient(p1, p2, q1), orient(p1, p2, q2));
    d1 * d2 < 0 && d3 * d4 < 0
}

/// Crossings among straight segments between node centres. Segments that
/// share a node never count. `segs` holds (source, target, a, b).
pub fn count_crossings(segs: &[Segment]) -> u64 {
    let entries: Vec<Entry> = segs
        .iter()
        .enumerate()
        .map(|(k, s)| {
            GeomWithData::new(
                Rectangle::from_corners(
                    [s.2 .0.min(s.3 .0), s.2 .1.min(s.3 .1)],
                    [s.2 .0.max(s.3 .0), s.2 .1.max(s.3 .1)],
                ),
                k as u32,
            )
        })
        .collect();
    let tree: RTree<Entry, FlowParams> = RTree::bulk_load_with_params(entries);
    let mut total = 0u64;
    for (k, s) in segs.iter().enumerate() {
        let env = AABB::from_corners(
            [s.2 .0.min(s.3 .0), s.2 .1.min(s.3 .1)],
            [s.2 .0.max(s.3 .0), s.2 .1.max(s.3 .1)],
        );
        let _ = tree.locate_in_envelope_intersecting_int(env, |e| -> ControlFlow<()> {
            let j = e.data as usize;
            if j > k {
                let o = &segs[j];
                let shared = o.0 == s.0 || o.0 == s.1 || o.1 == s.0 || o.1 == s.1;
                if !shared && segments_cross(s.2, s.3, o.2, o.3) {
                    total += 1;
                }
            }
            ControlFlow::Continue(())
        });
    }
    total
}

/// Measure a workflow (see the field comments).
pub fn analyze(
    wf: &Workflow,
    a_cfg: &AnalysisConfig,
    grouping: &GroupingConfig,
    rendering: &RenderingConfig,
) -> Analysis {
    let shown: Vec<u32> = wf.live_slots().filter(|&i| wf.is_shown(i)).collect();
    let mut local = vec![NONE; wf.slot_count()];
    for (k, &i) in shown.iter().enumerate() {
        local[i as usize] = k as u32;
    }
    let n = shown.len();
    let mut edges: Vec<(u32, u32)> = Vec::new();
    for e in wf.live_edge_slots() {
        if wf.edge_shown(e) {
            let (s, t) = wf.edge_ends_of(e);
            edges.push((local[s as usize], local[t as usize]));
        }
    }
    let m = edges.len();
    let mut out = Analysis {
        nodes: n as u32,
        edges: m as u32,
        density: if n > 1 {
            m as f64 / (n as f64 * (n as f64 - 1.0))
        } else {
            0.0
        },
        crossings_exact: true,
        median_node_size: wf.median_node_size(),
        ..Default::default()
    };
    // Degrees, self-loops, parallels.
    let mut fan_in = vec![0u32; n];
    let mut fan_out = vec![0u32; n];
    let mut degree = vec![0u32; n];
    let mut seen: Map<(u32, u32), ()> = Map::default();
    for &(s, t) in &edges {
        fan_out[s as usize] += 1;
        fan_in[t as usize] += 1;
        degree[s as usize] += 1;
        degree[t as usize] += 1;
        if s == t {
            out.self_loops += 1;
        }
        if seen.insert((s, t), ()).is_some() {
            out.parallel_edges += 1;
        }
    }
    out.max_fan_in = fan_in.iter().copied().max().unwrap_or(0);
    out.max_fan_out = fan_out.iter().copied().max().unwrap_or(0);
    out.isolated_nodes = degree.iter().filter(|&&d| d == 0).count() as u32;
    out.components = components(n, &edges)
        .iter()
        .map(|&c| c + 1)
        .max()
        .unwrap_or(0);
    // Depth: longest path once the back edges of a DFS are reversed.
    let reversed = break_cycles(n, &edges);
    out.back_edges = reversed.iter().filter(|&&r| r).count() as u32;
    let dag: Vec<(u32, u32)> = edges
        .iter()
        .zip(&reversed)
        .filter(|(e, _)| e.0 != e.1)
        .map(|(&(s, t), &r)| if r { (t, s) } else { (s, t) })
        .collect();
    let mut indeg = vec![0u32; n];
    let mut succ_off = vec![0u32; n + 1];
    for &(s, t) in &dag {
        indeg[t as usize] += 1;
        succ_off[s as usize + 1] += 1;
    }
    for i in 0..n {
        succ_off[i + 1] += succ_off[i];
    }
    let mut fill = succ_off.clone();
    let mut succ = vec![0u32; dag.len()];
    for &(s, t) in &dag {
        succ[fill[s as usize] as usize] = t;
        fill[s as usize] += 1;
    }
    let mut level = vec![1u32; n];
    let mut queue: Vec<u32> = (0..n as u32).filter(|&v| indeg[v as usize] == 0).collect();
    let mut head = 0;
    while head < queue.len() {
        let v = queue[head] as usize;
        head += 1;
        for &t in &succ[succ_off[v] as usize..succ_off[v + 1] as usize] {
            level[t as usize] = level[t as usize].max(level[v] + 1);
            indeg[t as usize] -= 1;
            if indeg[t as usize] == 0 {
                queue.push(t);
            }
        }
    }
    out.depth = if n == 0 {
        0
    } else {
        level.iter().copied().max().unwrap_or(0)
    };
    // Geometry: long edges and crossings of straight centre-to-centre segments.
    let centre = |k: u32| {
        let r = wf.rect(shown[k as usize]);
        (r.x + r.width / 2.0, r.y + r.height / 2.0)
    };
    let long = a_cfg.long_edge_factor * out.median_node_size;
    let mut segs: Vec<Segment> = Vec::with_capacity(m);
    for &(s, t) in &edges {
        if s == t {
            continue;
        }
        let (a, b) = (centre(s), centre(t));
        if (a.0 - b.0).hypot(a.1 - b.1) > long {
            out.long_edges += 1;
        }
        segs.push((s, t, a, b));
    }
    let max = a_cfg.max_crossing_edges as usize;
    if segs.len() > max && max > 0 {
        // A deterministic, evenly spread sample; crossings scale with pairs.
        let step = segs.len() as f64 / max as f64;
        let sample: Vec<_> = (0..max).map(|k| segs[(k as f64 * step) as usize]).collect();
        let c = count_crossings(&sample) as f64;
        out.crossings = (c * step * step).round() as u64;
        out.crossings_exact = false;
    } else {
        out.crossings = count_crossings(&segs);
    }
    // Overlaps of node boxes (positive area), a group with its descendants excepted.
    let entries: Vec<Entry> = shown
        .iter()
        .map(|&i| {
            let r = wf.rect(i);
            GeomWithData::new(Rectangle::from_corners([r.x, r.y], [r.x2(), r.y2()]), i)
        })
        .collect();
    let tree: RTree<Entry, FlowParams> = RTree::bulk_load_with_params(entries);
    let mut overlapping = vec![false; n];
    'outer: for &i in &shown {
        let r = wf.rect(i);
        let env = AABB::from_corners([r.x, r.y], [r.x2(), r.y2()]);
        let mut pairs = 0u64;
        let mut any = false;
        let _ = tree.locate_in_envelope_intersecting_int(env, |e| -> ControlFlow<()> {
            let j = e.data;
            if j > i {
                let q = wf.rect(j);
                let ox = r.x2().min(q.x2()) - r.x.max(q.x);
                let oy = r.y2().min(q.y2()) - r.y.max(q.y);
                if ox > 0.0 && oy > 0.0 && !is_ancestor(wf, i, j) && !is_ancestor(wf, j, i) {
                    pairs += 1;
                    any = true;
                    overlapping[local[j as usize] as usize] = true;
                }
            }
            ControlFlow::Continue(())
        });
        if any {
            overlapping[local[i as usize] as usize] = true;
        }
        out.overlaps += pairs;
        if out.overlaps >= MAX_OVERLAP_PAIRS {
            break 'outer;
        }
    }
    out.overlapping_nodes = overlapping.iter().filter(|&&o| o).count() as u32;
    // Communities.
    let g = groups::detect(wf, grouping);
    out.communities = g.count() as u32;
    out.modularity = g.modularity;
    let share = |x: f64, of: usize| if of == 0 { 0.0 } else { x / of as f64 };
    out.parallel_edge_share = share(out.parallel_edges as f64, m);
    out.long_edge_share = share(out.long_edges as f64, m);
    out.crossings_per_edge = share(out.crossings as f64, m);
    out.overlap_share = share(out.overlapping_nodes as f64, n);
    // DOM estimate: everything, or flowscale's window and the edges among it.
    let window = (n as u64).min(rendering.max_visible_nodes as u64);
    out.dom_elements = n as u64 * DOM_PER_NODE + m as u64 * DOM_PER_EDGE;
    let window_edges = if n == 0 {
        0
    } else {
        (m as u64 * window).div_ceil(n as u64)
    };
    out.dom_elements_windowed = if rendering.virtual_scrolling {
        window * DOM_PER_NODE + window_edges * DOM_PER_EDGE
    } else {
        out.dom_elements
    };
    out
}
