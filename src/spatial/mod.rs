//! R-trees (`rstar`) over node rectangles and edge bounds, kept in step with
//! the model: bulk-loaded on `setWorkflow`, updated entry by entry for small
//! change batches, rebuilt in bulk past `workflow.rebuildFraction`.

pub mod packed;
pub mod window;

use crate::model::{Rect, Workflow};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{RStarInsertionStrategy, RTree, RTreeParams, AABB};
use std::ops::ControlFlow;

/// Wider nodes than rstar's default (6): fewer levels, and queries that touch
/// many leaves scan them linearly, as flatbush does with its node size 16.
pub struct FlowParams;

impl RTreeParams for FlowParams {
    const MIN_SIZE: usize = 6;
    const MAX_SIZE: usize = 16;
    const REINSERTION_COUNT: usize = 4;
    type DefaultInsertionStrategy = RStarInsertionStrategy;
}

type Entry = GeomWithData<Rectangle<[f64; 2]>, u32>;

fn entry(r: Rect, slot: u32) -> Entry {
    GeomWithData::new(Rectangle::from_corners([r.x, r.y], [r.x2(), r.y2()]), slot)
}

/// An R-tree hit: the slot and its rectangle's corners as indexed.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Hit {
    pub slot: u32,
    pub x1: f64,
    pub y1: f64,
    pub x2: f64,
    pub y2: f64,
}

impl Hit {
    /// sqrt(width × height), the size level of detail compares.
    #[inline]
    pub fn size(&self) -> f64 {
        ((self.x2 - self.x1) * (self.y2 - self.y1)).sqrt()
    }
}

/// Does the box (x1, y1)–(x2, y2) overlap `view` with positive area? This
/// is React Flow's `getOverlappingArea(view, node) > 0` (corners computed
/// the same way, as x + width). A box of zero width or height counts when it
/// lies inside the closed view.
#[inline]
pub fn overlaps(view: &Rect, x1: f64, y1: f64, x2: f64, y2: f64) -> bool {
    let ox = x2.min(view.x2()) - x1.max(view.x);
    let oy = y2.min(view.y2()) - y1.max(view.y);
    let okx = if x2 > x1 { ox > 0.0 } else { ox >= 0.0 };
    let oky = if y2 > y1 { oy > 0.0 } else { oy >= 0.0 };
    okx && oky
}

/// React Flow's `isEdgeVisible` on an edge's bounds: a degenerate box grows by 1 unit.
#[inline]
pub fn edge_overlaps(view: &Rect, x1: f64, y1: f64, x2: f64, y2: f64) -> bool {
    let x2 = if x2 == x1 { x2 + 1.0 } else { x2 };
    let y2 = if y2 == y1 { y2 + 1.0 } else { y2 };
    let ox = x2.min(view.x2()) - x1.max(view.x);
    let oy = y2.min(view.y2()) - y1.max(view.y);
    ox > 0.0 && oy > 0.0
}

fn hit(e: &Entry) -> Hit {
    let [x1, y1] = e.geom().lower();
    let [x2, y2] = e.geom().upper();
    Hit {
        slot: e.data,
        x1,
        y1,
        x2,
        y2,
    }
}

#[derive(Default)]
pub struct SpatialIndex {
    nodes: RTree<Entry, FlowParams>,
    edges: RTree<Entry, FlowParams>,
    /// The rectangle each slot was indexed with (None: not in the tree), so an
    /// entry can be found and removed after the model has moved on.
    node_rect: Vec<Option<Rect>>,
    edge_rect: Vec<Option<Rect>>,
}

impl SpatialIndex {
    /// Bulk-load both trees from the model (shown nodes, live edges).
    pub fn build(wf: &Workflow) -> SpatialIndex {
        let mut node_rect = vec![None; wf.slot_count()];
        let mut entries = Vec::with_capacity(wf.node_count());
        for i in wf.live_slots() {
            if wf.is_shown(i) {
                let r = wf.rect(i);
                node_rect[i as usize] = Some(r);
                entries.push(entry(r, i));
            }
        }
        let nodes = RTree::bulk_load_with_params(entries);
        let mut edge_rect = vec![None; wf.edge_slot_count()];
        let mut entries = Vec::with_capacity(wf.edge_count());
        for e in wf.live_edge_slots() {
            let r = wf.edge_rect(e);
            edge_rect[e as usize] = Some(r);
            entries.push(entry(r, e));
        }
        let edges = RTree::bulk_load_with_params(entries);
        SpatialIndex {
            nodes,
            edges,
            node_rect,
            edge_rect,
        }
    }

    /// Bring the given node and edge slots up to date with the model.
    pub fn update(&mut self, wf: &Workflow, nodes: &[u32], edges: &[u32]) {
        if self.node_rect.len() < wf.slot_count() {
            self.node_rect.resize(wf.slot_count(), None);
        }
        if self.edge_rect.len() < wf.edge_slot_count() {
            self.edge_rect.resize(wf.edge_slot_count(), None);
        }
        for &i in nodes {
            let want = if wf.is_shown(i) {
                Some(wf.rect(i))
            } else {
                None
            };
            Self::sync(&mut self.nodes, &mut self.node_rect, i, want);
        }
        for &e in edges {
            let want = if wf.edge_alive(e) {
                Some(wf.edge_rect(e))
            } else {
                None
            };
            Self::sync(&mut self.edges, &mut self.edge_rect, e, want);
        }
    }

    fn sync(
        tree: &mut RTree<Entry, FlowParams>,
        rects: &mut [Option<Rect>],
        slot: u32,
        want: Option<Rect>,
    ) {
        let Some(have) = rects.get_mut(slot as usize) else {
            return;
        };
        if *have == want {
            return;
        }
        if let Some(old) = have.take() {
            tree.remove(&entry(old, slot));
        }
        if let Some(r) = want {
            tree.insert(entry(r, slot));
        }
        *have = want;
    }

    /// Indexed nodes whose rectangle meets `r` (closed test; refine with `overlaps`).
    pub fn query_nodes(&self, r: &Rect, out: &mut Vec<Hit>) {
        let env = AABB::from_corners([r.x, r.y], [r.x2(), r.y2()]);
        // Internal iteration (a visitor) is markedly faster than rstar's iterator.
        let _ = self
            .nodes
            .locate_in_envelope_intersecting_int(env, |e| -> ControlFlow<()> {
                out.push(hit(e));
                ControlFlow::Continue(())
            });
    }

    /// Edges whose bounds meet `r` (closed test; refine with `edge_overlaps`).
    pub fn query_edges(&self, r: &Rect, out: &mut Vec<Hit>) {
        // Degenerate edge boxes are grown by 1 when tested, so look 1 unit further.
        let env = AABB::from_corners([r.x - 1.0, r.y - 1.0], [r.x2(), r.y2()]);
        let _ = self
            .edges
            .locate_in_envelope_intersecting_int(env, |e| -> ControlFlow<()> {
                out.push(hit(e));
                ControlFlow::Continue(())
            });
    }

    pub fn node_entries(&self) -> usize {
        self.nodes.size()
    }

    pub fn edge_entries(&self) -> usize {
        self.edges.size()
    }
}
