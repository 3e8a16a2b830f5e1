//! Simplify the edges of a frame for drawing (the GPU layer; React Flow
//! draws the edges between mounted nodes itself):
//!
//! 1. An edge whose two ends are both mounted (in the frame's window) is
//!    kept as it is — React Flow renders it, so it is never dropped or merged.
//! 2. Below `clustering.maxZoom`, an edge with an end inside a drawn cluster
//!    is dropped when both ends are in the same cluster, otherwise folded into
//!    one weighted edge per pair of drawn endpoints (cluster or node).
//! 3. An edge shorter on screen than `edges.minLengthPx` (centre to centre;
//!    a self-loop measures its node) is dropped.
//! 4. Edges with the same source and target are merged into one weighted edge.
//!
//! Cost: proportional to the edges in view.

use crate::cluster::zoom::ClusterIndex;
use crate::edges::EdgesConfig;
use crate::model::{Workflow, NONE};

type Map<K, V> = hashbrown::HashMap<K, V, foldhash::fast::FixedState>;
type Set<K> = hashbrown::HashSet<K, foldhash::fast::FixedState>;

/// Bits of `MergedEdges::kind`.
pub const SOURCE_IS_CLUSTER: u8 = 1;
pub const TARGET_IS_CLUSTER: u8 = 2;

/// How many edges went where (all counts are of edges in view).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EdgeCounts {
    /// Edges in view.
    pub total: u32,
    /// Drawn as they are.
    pub kept: u32,
    /// Not drawn individually: total − kept.
    pub removed: u32,
    pub sub_pixel: u32,
    pub inside_cluster: u32,
    /// Folded into a parallel bundle (same source and target).
    pub parallel: u32,
    /// Folded into a bundle between drawn clusters.
    pub between_clusters: u32,
    /// Weighted edges drawn instead.
    pub bundles: u32,
}

/// Simplified edges: `kept` edge slots plus weighted bundles, column-wise.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SimplifiedEdges {
    pub kept: Vec<u32>,
    /// Ends of each bundle: a node slot, or a cluster id where `kind` says so.
    pub source: Vec<u32>,
    pub target: Vec<u32>,
    pub kind: Vec<u8>,
    pub weight: Vec<u32>,
    /// One edge slot the bundle stands for (its first in view).
    pub edge: Vec<u32>,
    /// x1, y1, x2, y2 per bundle: centre of each drawn end.
    pub segment: Vec<f64>,
    pub counts: EdgeCounts,
}

/// Clusters drawn in the frame, for folding edges.
pub struct DrawnClusters<'a> {
    pub index: &'a ClusterIndex,
    pub level: usize,
}

fn centre(wf: &Workflow, i: u32) -> (f64, f64) {
    let r = wf.rect(i);
    (r.x + r.width / 2.0, r.y + r.height / 2.0)
}

/// Simplify `edges` (the edges in view), given the mounted nodes
/// (`visible`), drawn at `zoom` (see the module comment).
pub fn simplify(
    wf: &Workflow,
    visible: &[u32],
    edges: &[u32],
    zoom: f64,
    clusters: Option<DrawnClusters>,
    cfg: &EdgesConfig,
) -> SimplifiedEdges {
    let mut out = SimplifiedEdges::default();
    let mounted: Set<u32> = visible.iter().copied().collect();
    let drawn_as = |i: u32| -> Option<u32> {
        let c = clusters.as_ref()?;
        c.index.glyph_of(i, c.level)
    };
    // Bundles by (source end, target end, kind) → index.
    let mut bundles: Map<(u32, u32, u8), u32> = Map::default();
    let mut parallel: Map<(u32, u32), (u32, u32)> = Map::default(); // → (first edge, count)
    let mut parallel_order: Vec<(u32, u32)> = Vec::new();
    out.counts.total = edges.len() as u32;
    for &e in edges {
        // The frame may predate a change: skip what is gone since.
        if !wf.edge_shown(e) {
            out.counts.total -= 1;
            continue;
        }
        let (s, t) = wf.edge_ends_of(e);
        if s == NONE || t == NONE {
            out.counts.total -= 1;
            continue;
        }
        if mounted.contains(&s) && mounted.contains(&t) {
            out.kept.push(e);
            continue;
        }
        if cfg.aggregate_clusters && clusters.is_some() {
            let (cs, ct) = (drawn_as(s), drawn_as(t));
            if cs.is_some() || ct.is_some() {
                if cs == ct {
                    out.counts.inside_cluster += 1;
                    continue;
                }
                let kind = if cs.is_some() { SOURCE_IS_CLUSTER } else { 0 }
                    | if ct.is_some() { TARGET_IS_CLUSTER } else { 0 };
                let key = (cs.unwrap_or(s), ct.unwrap_or(t), kind);
                out.counts.between_clusters += 1;
                match bundles.get(&key) {
                    Some(&b) => out.weight[b as usize] += 1,
                    None => {
                        bundles.insert(key, out.source.len() as u32);
                        out.source.push(key.0);
                        out.target.push(key.1);
                        out.kind.push(kind);
                        out.weight.push(1);
                        out.edge.push(e);
                    }
                }
                continue;
            }
        }
        let (a, b) = (centre(wf, s), centre(wf, t));
        let length = if s == t {
            wf.node_size(s)
        } else {
            (a.0 - b.0).hypot(a.1 - b.1)
        };
        if length * zoom < cfg.min_length_px {
            out.counts.sub_pixel += 1;
            continue;
        }
        if !cfg.merge_parallel {
            out.kept.push(e);
            continue;
        }
        match parallel.get_mut(&(s, t)) {
            Some(p) => p.1 += 1,
            None => {
                parallel.insert((s, t), (e, 1));
                parallel_order.push((s, t));
            }
        }
    }
    for key in parallel_order {
        let Some(&(e, n)) = parallel.get(&key) else {
            continue;
        };
        if n == 1 {
            out.kept.push(e);
        } else {
            out.counts.parallel += n;
            out.source.push(key.0);
            out.target.push(key.1);
            out.kind.push(0);
            out.weight.push(n);
            out.edge.push(e);
        }
    }
    // Geometry of the bundles.
    for k in 0..out.source.len() {
        let end = |id: u32, is_cluster: bool| -> (f64, f64) {
            if is_cluster {
                clusters
                    .as_ref()
                    .and_then(|c| c.index.centre(id))
                    .unwrap_or((0.0, 0.0))
            } else {
                centre(wf, id)
            }
        };
        let a = end(out.source[k], out.kind[k] & SOURCE_IS_CLUSTER != 0);
        let b = end(out.target[k], out.kind[k] & TARGET_IS_CLUSTER != 0);
        out.segment.extend([a.0, a.1, b.0, b.1]);
    }
    out.counts.kept = out.kept.len() as u32;
    out.counts.removed = out.counts.total - out.counts.kept;
    out.counts.bundles = out.source.len() as u32;
    out
}
