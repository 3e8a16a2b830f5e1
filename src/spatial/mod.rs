//! Spatial indexes over node rectangles and edge bounds, kept in step with
//! the model.
//!
//! Each kind (shown nodes, live edges) has two parts:
//!
//! - a static packed Hilbert R-tree (`packed`), built on `setWorkflow` and
//!   rebuilt past `workflow.rebuildFraction`: about 21 bytes per entry, and a
//!   build that can run in budgeted steps (`SpatialBuild`) so a browser never
//!   freezes on a million nodes;
//! - for slots changed since that build, a bit that hides their static entry
//!   and a small dynamic `rstar` overlay holding their current rectangle.
//!
//! The static tree stores `f32` boxes rounded outward, so it only narrows the
//! search: every hit is tested again, and reported, with the exact `f64`
//! rectangle read from the model.

pub mod packed;
pub mod window;

use crate::model::{Rect, Workflow};
use packed::{PackedBuilder, PackedTree};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{RStarInsertionStrategy, RTree, RTreeParams, AABB};
use std::ops::ControlFlow;

type Map<K, V> = hashbrown::HashMap<K, V, foldhash::fast::FixedState>;

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

/// An index hit: the slot and its rectangle's corners, from the model.
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

/// React Flow's `getNodesInside` test of one node (its absolute rectangle)
/// against `rect`, at transform [0, 0, 1]: the overlap area, rounded up as
/// `getOverlappingArea` rounds it, must be positive (`partially`) or reach
/// the node's area. So touching edges never count, and a node of zero area
/// (width × height = 0) is inside every rectangle.
#[inline]
pub fn rf_inside(rect: &Rect, node: &Rect, partially: bool) -> bool {
    let ox = 0f64.max(rect.x2().min(node.x2()) - rect.x.max(node.x));
    let oy = 0f64.max(rect.y2().min(node.y2()) - rect.y.max(node.y));
    let overlap = (ox * oy).ceil();
    (partially && overlap > 0.0) || overlap >= node.width * node.height
}

/// Does `getNodesInside` count this node whatever the rectangle (its area is 0)?
#[inline]
pub fn zero_area(r: &Rect) -> bool {
    r.width * r.height == 0.0
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

/// `r`'s corners, low then high (as rstar orders a rectangle's corners).
fn corners(r: &Rect) -> [f64; 4] {
    let (x2, y2) = (r.x2(), r.y2());
    [r.x.min(x2), r.y.min(y2), r.x.max(x2), r.y.max(y2)]
}

/// `r` as a hit when it meets the closed box `q`.
#[inline]
fn hit_if_meets(slot: u32, r: &Rect, q: &[f64; 4]) -> Option<Hit> {
    let [x1, y1, x2, y2] = corners(r);
    (x1 <= q[2] && y1 <= q[3] && x2 >= q[0] && y2 >= q[1]).then_some(Hit {
        slot,
        x1,
        y1,
        x2,
        y2,
    })
}

/// One kind of entry (nodes or edges): the static tree and what changed since.
#[derive(Default)]
struct Layer {
    tree: PackedTree,
    /// A bit per slot, set while the slot's static entry is current. `update`
    /// clears it (the entry goes stale and queries skip it) for good: from
    /// then on the slot lives in the overlay, or nowhere.
    fresh: Vec<u64>,
    /// Static entries still fresh.
    fresh_count: usize,
    overlay: RTree<Entry, FlowParams>,
    /// The rectangle each overlay entry was inserted with, so it can be found
    /// and removed after the model has moved on.
    moved: Map<u32, Rect>,
}

impl Layer {
    fn new(tree: PackedTree, fresh: Vec<u64>) -> Layer {
        Layer {
            fresh_count: tree.len(),
            tree,
            fresh,
            overlay: RTree::new_with_params(),
            moved: Map::default(),
        }
    }

    fn is_fresh(&self, slot: u32) -> bool {
        self.fresh
            .get(slot as usize / 64)
            .is_some_and(|w| w & (1 << (slot % 64)) != 0)
    }

    /// Index `slot` at `want` (None: not at all).
    fn sync(&mut self, slot: u32, want: Option<Rect>) {
        if let Some(w) = self.fresh.get_mut(slot as usize / 64) {
            let bit = 1u64 << (slot % 64);
            if *w & bit != 0 {
                *w &= !bit;
                self.fresh_count -= 1;
            }
        }
        let have = self.moved.get(&slot).copied();
        if have == want {
            return;
        }
        if let Some(old) = have {
            self.overlay.remove(&entry(old, slot));
            self.moved.remove(&slot);
        }
        if let Some(r) = want {
            self.overlay.insert(entry(r, slot));
            self.moved.insert(slot, r);
        }
    }

    /// Entries whose exact rectangle (`rect_of`, from the model) meets `q`.
    fn query(&self, q: [f64; 4], rect_of: impl Fn(u32) -> Rect, out: &mut Vec<Hit>) {
        self.tree.visit(q[0], q[1], q[2], q[3], |slot| {
            if self.is_fresh(slot) {
                out.extend(hit_if_meets(slot, &rect_of(slot), &q));
            }
        });
        if self.overlay.size() == 0 {
            return;
        }
        let env = AABB::from_corners([q[0], q[1]], [q[2], q[3]]);
        // Internal iteration (a visitor) is markedly faster than rstar's iterator.
        let _ = self
            .overlay
            .locate_in_envelope_intersecting_int(env, |e| -> ControlFlow<()> {
                out.extend(hit_if_meets(e.data, &rect_of(e.data), &q));
                ControlFlow::Continue(())
            });
    }

    fn entries(&self) -> usize {
        self.fresh_count + self.overlay.size()
    }

    /// Exact bounds `[x1, y1, x2, y2]` of the entries' current rectangles
    /// (`rect_of`, from the model): four branch-and-bound searches of the
    /// static tree over its fresh entries, and the overlay's root envelope
    /// (its entries hold the exact rectangles).
    fn bounds(&self, rect_of: impl Fn(u32) -> Rect) -> Option<[f64; 4]> {
        let fresh = |slot: u32| self.is_fresh(slot).then(|| corners(&rect_of(slot)));
        let mut b = if self.fresh_count == 0 {
            None
        } else {
            let t = &self.tree;
            // Maxima as least negated keys: negation is exact.
            match (
                t.least(|b| b[0] as f64, |s| fresh(s).map(|c| c[0])),
                t.least(|b| b[1] as f64, |s| fresh(s).map(|c| c[1])),
                t.least(|b| -(b[2] as f64), |s| fresh(s).map(|c| -c[2])),
                t.least(|b| -(b[3] as f64), |s| fresh(s).map(|c| -c[3])),
            ) {
                (Some(x1), Some(y1), Some(x2), Some(y2)) => Some([x1, y1, -x2, -y2]),
                _ => None,
            }
        };
        if self.overlay.size() > 0 {
            let env = self.overlay.root().envelope();
            let (lo, hi) = (env.lower(), env.upper());
            let o = [lo[0], lo[1], hi[0], hi[1]];
            b = Some(match b {
                None => o,
                Some(s) => [
                    s[0].min(o[0]),
                    s[1].min(o[1]),
                    s[2].max(o[2]),
                    s[3].max(o[3]),
                ],
            });
        }
        b
    }
}

type Set<K> = hashbrown::HashSet<K, foldhash::fast::FixedState>;

#[derive(Default)]
pub struct SpatialIndex {
    nodes: Layer,
    edges: Layer,
    /// Indexed nodes of zero area: `getNodesInside` counts them inside every
    /// rectangle, so rectangle queries list them apart (usually none).
    zero_area: Set<u32>,
}

impl SpatialIndex {
    /// Build both trees from the model (shown nodes, live edges) in one go.
    pub fn build(wf: &Workflow) -> SpatialIndex {
        let mut b = SpatialBuild::new(wf);
        while !b.step(wf, usize::MAX) {}
        b.finish()
    }

    /// Bring the given node and edge slots up to date with the model: each
    /// leaves the static tree for the overlay (or for nowhere when it is no
    /// longer shown / alive).
    pub fn update(&mut self, wf: &Workflow, nodes: &[u32], edges: &[u32]) {
        for &i in nodes {
            let want = wf.is_shown(i).then(|| wf.rect(i));
            self.nodes.sync(i, want);
            if want.is_some_and(|r| zero_area(&r)) {
                self.zero_area.insert(i);
            } else {
                self.zero_area.remove(&i);
            }
        }
        for &e in edges {
            let want = wf.edge_alive(e).then(|| wf.edge_rect(e));
            self.edges.sync(e, want);
        }
    }

    /// Indexed nodes whose rectangle meets `r` (closed test; refine with
    /// `overlaps`). `wf` must be the model the index is in step with.
    pub fn query_nodes(&self, wf: &Workflow, r: &Rect, out: &mut Vec<Hit>) {
        self.nodes.query(corners(r), |i| wf.rect(i), out);
    }

    /// Edges whose bounds meet `r` (closed test; refine with `edge_overlaps`).
    pub fn query_edges(&self, wf: &Workflow, r: &Rect, out: &mut Vec<Hit>) {
        // Degenerate edge boxes are grown by 1 when tested, so look 1 unit further.
        let [x1, y1, x2, y2] = corners(r);
        self.edges
            .query([x1 - 1.0, y1 - 1.0, x2, y2], |e| wf.edge_rect(e), out);
    }

    /// Exact bounding box of the indexed (shown) nodes' rectangles, as
    /// React Flow's `getNodesBounds` computes it (min x, min y, max x + width,
    /// max y + height); `None` when there are none. `wf` must be the model
    /// the index is in step with.
    pub fn node_bounds(&self, wf: &Workflow) -> Option<Rect> {
        let [x1, y1, x2, y2] = self.nodes.bounds(|i| wf.rect(i))?;
        Some(Rect {
            x: x1,
            y: y1,
            width: x2 - x1,
            height: y2 - y1,
        })
    }

    /// Indexed nodes of zero area, in no particular order.
    pub fn zero_area_nodes(&self) -> impl Iterator<Item = u32> + '_ {
        self.zero_area.iter().copied()
    }

    pub fn node_entries(&self) -> usize {
        self.nodes.entries()
    }

    pub fn edge_entries(&self) -> usize {
        self.edges.entries()
    }

    /// Entries held by the dynamic overlays (slots updated since the build).
    pub fn overlay_entries(&self) -> usize {
        self.nodes.overlay.size() + self.edges.overlay.size()
    }

    /// Bytes of the static trees and their bitsets (the overlays, kept
    /// small by rebuilds, are not counted).
    pub fn static_heap_bytes(&self) -> usize {
        let bits = (self.nodes.fresh.capacity() + self.edges.fresh.capacity()) * 8;
        self.nodes.tree.heap_bytes() + self.edges.tree.heap_bytes() + bits
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum BuildPhase {
    NodeSlots,
    NodeTree,
    EdgeSlots,
    EdgeTree,
    Done,
}

/// A `SpatialIndex` built in budgeted steps: node slots are scanned and
/// packed, then edge slots. Every `step` must be given the same, unchanged
/// workflow (the one `new` saw).
pub struct SpatialBuild {
    phase: BuildPhase,
    /// Next slot to scan.
    cursor: u32,
    builder: PackedBuilder,
    /// Fresh bits of the slots pushed so far.
    fresh: Vec<u64>,
    nodes: Option<Layer>,
    edges: Option<Layer>,
    /// Shown nodes of zero area seen by the scan.
    zero_area: Vec<u32>,
}

impl SpatialBuild {
    pub fn new(wf: &Workflow) -> SpatialBuild {
        SpatialBuild {
            phase: BuildPhase::NodeSlots,
            cursor: 0,
            builder: PackedBuilder::with_capacity(wf.node_count()),
            fresh: Vec::new(),
            nodes: None,
            edges: None,
            zero_area: Vec::new(),
        }
    }

    /// Do about `budget` slot and item operations (at least one); true once
    /// the index is complete. A whole build is about 7 × (nodes + edges).
    pub fn step(&mut self, wf: &Workflow, budget: usize) -> bool {
        let mut left = budget.max(1);
        loop {
            match self.phase {
                BuildPhase::NodeSlots => {
                    let n = wf.slot_count();
                    if self.scan(n, &mut left, |i| wf.is_shown(i).then(|| wf.rect(i))) {
                        self.phase = BuildPhase::NodeTree;
                    }
                }
                BuildPhase::NodeTree => {
                    if self.builder.run(&mut left) {
                        self.nodes = Some(self.layer());
                        self.builder = PackedBuilder::with_capacity(wf.edge_count());
                        self.phase = BuildPhase::EdgeSlots;
                    }
                }
                BuildPhase::EdgeSlots => {
                    let n = wf.edge_slot_count();
                    let rect = |e| wf.edge_alive(e).then(|| wf.edge_rect(e));
                    if self.scan(n, &mut left, rect) {
                        self.phase = BuildPhase::EdgeTree;
                    }
                }
                BuildPhase::EdgeTree => {
                    if self.builder.run(&mut left) {
                        self.edges = Some(self.layer());
                        self.phase = BuildPhase::Done;
                    }
                }
                BuildPhase::Done => return true,
            }
            if left == 0 && self.phase != BuildPhase::Done {
                return false;
            }
        }
    }

    /// Has `step` finished?
    pub fn is_done(&self) -> bool {
        self.phase == BuildPhase::Done
    }

    /// The index. Call once `step` has returned true: an unfinished build
    /// lacks the slots it has not scanned yet.
    pub fn finish(self) -> SpatialIndex {
        debug_assert!(self.is_done(), "SpatialBuild finished early");
        let mut b = self;
        let nodes = b.nodes.take().unwrap_or_else(|| b.layer());
        let edges = b.edges.take().unwrap_or_else(|| b.layer());
        SpatialIndex {
            nodes,
            edges,
            zero_area: b.zero_area.drain(..).collect(),
        }
    }

    /// Push slots `cursor..n` that `rect_of` indexes, within the budget;
    /// true once all are pushed.
    fn scan(&mut self, n: usize, left: &mut usize, rect_of: impl Fn(u32) -> Option<Rect>) -> bool {
        let n = n.min(u32::MAX as usize) as u32;
        let take = (*left).min(u32::MAX as usize) as u32;
        let end = n.min(self.cursor.saturating_add(take)).max(self.cursor);
        if self.fresh.len() < (n as usize).div_ceil(64) {
            self.fresh.resize((n as usize).div_ceil(64), 0);
        }
        let nodes = self.phase == BuildPhase::NodeSlots;
        for i in self.cursor..end {
            if let Some(r) = rect_of(i) {
                if nodes && zero_area(&r) {
                    self.zero_area.push(i);
                }
                let [x1, y1, x2, y2] = corners(&r);
                let before = self.builder.len();
                self.builder.push(i, x1, y1, x2, y2);
                // Only what the tree holds is fresh (it drops items past its limit).
                if self.builder.len() > before {
                    if let Some(w) = self.fresh.get_mut(i as usize / 64) {
                        *w |= 1 << (i % 64);
                    }
                }
            }
        }
        *left -= (end - self.cursor) as usize;
        self.cursor = end;
        end >= n
    }

    /// The layer of what the builder holds; resets for the next kind.
    fn layer(&mut self) -> Layer {
        let tree = std::mem::take(&mut self.builder).finish();
        self.cursor = 0;
        Layer::new(tree, std::mem::take(&mut self.fresh))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{EdgeChange, EdgeInput, NodeChange, NodeInput, WorkflowConfig};

    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }
        fn below(&mut self, n: u64) -> u64 {
            self.next() % n.max(1)
        }
        fn coord(&mut self) -> f64 {
            // Mostly a 4000-unit square, sometimes far out or off the grid.
            match self.below(10) {
                0 => (self.below(2_000_000) as f64 - 1e6) * 1e6,
                1 => (self.below(1 << 20) as f64) / 1024.0 + 0.1,
                _ => self.below(4000) as f64,
            }
        }
        fn size(&mut self) -> f64 {
            match self.below(6) {
                0 => 0.0,
                1 => 1e-7,
                _ => self.below(300) as f64,
            }
        }
    }

    fn node(rng: &mut Rng, id: String) -> NodeInput {
        let mut n = NodeInput::new(id, rng.coord(), rng.coord()).sized(rng.size(), rng.size());
        n.hidden = rng.below(8) == 0;
        n
    }

    fn random_workflow(rng: &mut Rng, n: usize, m: usize) -> Workflow {
        let mut nodes: Vec<NodeInput> = (0..n).map(|i| node(rng, format!("n{i}"))).collect();
        // Some children, parented to earlier nodes (no cycles).
        for (i, node) in nodes.iter_mut().enumerate().skip(1) {
            if rng.below(5) == 0 {
                let p = rng.below(i as u64);
                node.parent_id = Some(format!("n{p}"));
            }
        }
        let edges = (0..m)
            .map(|j| {
                let (s, t) = (rng.below(n as u64), rng.below(n as u64));
                EdgeInput::new(format!("e{j}"), format!("n{s}"), format!("n{t}"))
            })
            .collect();
        Workflow::build(nodes, edges, &WorkflowConfig::default()).expect("valid workflow")
    }

    fn live_ids(wf: &Workflow) -> Vec<String> {
        wf.live_slots()
            .filter_map(|i| wf.id(i).map(str::to_string))
            .collect()
    }

    /// One random batch, applied to the model and the index as the optimizer does.
    fn edit(rng: &mut Rng, wf: &mut Workflow, ix: &mut SpatialIndex, fresh: &mut usize) {
        let ids = live_ids(wf);
        let pick = |rng: &mut Rng| ids[rng.below(ids.len() as u64) as usize].clone();
        let (nodes, edges) = if rng.below(4) == 0 {
            let edge_ids: Vec<String> = wf
                .live_edge_slots()
                .filter_map(|e| wf.edge_id(e).map(str::to_string))
                .collect();
            let changes = (0..1 + rng.below(4))
                .map(|_| {
                    if rng.below(2) == 0 && !edge_ids.is_empty() {
                        let id = edge_ids[rng.below(edge_ids.len() as u64) as usize].clone();
                        EdgeChange::Remove { id }
                    } else {
                        *fresh += 1;
                        let (s, t) = (pick(rng), pick(rng));
                        EdgeChange::Add {
                            item: EdgeInput::new(format!("x{fresh}"), s, t),
                        }
                    }
                })
                .collect();
            let Ok(fx) = wf.apply_edge_changes(changes, u32::MAX - 1) else {
                return;
            };
            let mut edges = fx.edges_removed;
            edges.extend(fx.edges_touched);
            (Vec::new(), edges)
        } else {
            let changes = (0..1 + rng.below(5))
                .map(|_| match rng.below(6) {
                    0 | 1 => NodeChange::Position {
                        id: pick(rng),
                        position: Some((rng.coord(), rng.coord())),
                        dragging: None,
                    },
                    2 => NodeChange::Dimensions {
                        id: pick(rng),
                        dimensions: Some((rng.size(), rng.size())),
                    },
                    3 => {
                        // Replace as a root: moves, hides or shows it.
                        let id = pick(rng);
                        NodeChange::Replace {
                            item: node(rng, id.clone()),
                            id,
                        }
                    }
                    4 => NodeChange::Remove { id: pick(rng) },
                    _ => {
                        *fresh += 1;
                        NodeChange::Add {
                            item: node(rng, format!("a{fresh}")),
                        }
                    }
                })
                .collect();
            let Ok(fx) = wf.apply_node_changes(changes, u32::MAX - 1) else {
                return;
            };
            let mut nodes = fx.touched;
            nodes.extend(fx.removed.iter().map(|(s, _)| *s));
            let mut edges = fx.edges_removed;
            for &i in &nodes {
                edges.extend(wf.incident_edges(i));
            }
            (nodes, edges)
        };
        ix.update(wf, &nodes, &edges);
    }

    fn sorted(mut v: Vec<Hit>) -> Vec<Hit> {
        v.sort_by_key(|h| h.slot);
        v
    }

    /// Every given slot whose rectangle meets the closed box `q`.
    fn brute(q: [f64; 4], slots: impl Iterator<Item = (u32, Rect)>) -> Vec<Hit> {
        let mut out = Vec::new();
        for (slot, r) in slots {
            let (x1, x2) = (r.x.min(r.x2()), r.x.max(r.x2()));
            let (y1, y2) = (r.y.min(r.y2()), r.y.max(r.y2()));
            if x1 <= q[2] && x2 >= q[0] && y1 <= q[3] && y2 >= q[1] {
                out.push(Hit {
                    slot,
                    x1,
                    y1,
                    x2,
                    y2,
                });
            }
        }
        sorted(out)
    }

    fn check(rng: &mut Rng, wf: &Workflow, ix: &SpatialIndex) {
        let shown: Vec<u32> = wf.live_slots().filter(|&i| wf.is_shown(i)).collect();
        assert_eq!(ix.node_entries(), shown.len());
        assert_eq!(ix.edge_entries(), wf.edge_count());
        // Bounds, exactly as a scan of the shown nodes gives them.
        let want = shown.iter().map(|&i| wf.rect(i)).fold(None, |b, r| {
            let [x1, y1, x2, y2] = b.unwrap_or([r.x, r.y, r.x2(), r.y2()]);
            Some([x1.min(r.x), y1.min(r.y), x2.max(r.x2()), y2.max(r.y2())])
        });
        let want = want.map(|[x1, y1, x2, y2]| Rect {
            x: x1,
            y: y1,
            width: x2 - x1,
            height: y2 - y1,
        });
        assert_eq!(ix.node_bounds(wf), want, "node bounds");
        let mut zero: Vec<u32> = ix.zero_area_nodes().collect();
        zero.sort_unstable();
        let want: Vec<u32> = shown
            .iter()
            .copied()
            .filter(|&i| zero_area(&wf.rect(i)))
            .collect();
        assert_eq!(zero, want, "zero-area nodes");
        for k in 0..40 {
            let view = if k % 4 == 0 && !shown.is_empty() {
                // Exactly a node's rectangle: touching edges count.
                wf.rect(shown[rng.below(shown.len() as u64) as usize])
            } else {
                Rect {
                    x: rng.coord() - 500.0,
                    y: rng.coord() - 500.0,
                    width: rng.below(2000) as f64,
                    height: rng.below(2000) as f64,
                }
            };
            let mut got = Vec::new();
            ix.query_nodes(wf, &view, &mut got);
            let q = corners(&view);
            let want = brute(q, shown.iter().map(|&i| (i, wf.rect(i))));
            assert_eq!(sorted(got), want, "nodes in {view:?}");

            let mut got = Vec::new();
            ix.query_edges(wf, &view, &mut got);
            let q = [q[0] - 1.0, q[1] - 1.0, q[2], q[3]];
            let want = brute(q, wf.live_edge_slots().map(|e| (e, wf.edge_rect(e))));
            assert_eq!(sorted(got), want, "edges in {view:?}");
        }
    }

    #[test]
    fn queries_match_brute_force_through_edits() {
        for seed in 0..12 {
            let mut rng = Rng(seed);
            let mut wf = random_workflow(&mut rng, 40 + 40 * seed as usize, 60 * seed as usize);
            let mut ix = SpatialIndex::build(&wf);
            let mut fresh = 0;
            check(&mut rng, &wf, &ix);
            for round in 0..60 {
                edit(&mut rng, &mut wf, &mut ix, &mut fresh);
                if round % 5 == 0 {
                    check(&mut rng, &wf, &ix);
                }
            }
            assert!(ix.overlay_entries() > 0);
            check(&mut rng, &wf, &ix);
            // A rebuild folds the overlay back into the static trees.
            let ix = SpatialIndex::build(&wf);
            assert_eq!(ix.overlay_entries(), 0);
            check(&mut rng, &wf, &ix);
        }
    }

    #[test]
    fn an_empty_workflow_has_an_empty_index() {
        let wf = Workflow::default();
        let ix = SpatialIndex::build(&wf);
        let mut out = Vec::new();
        let all = Rect {
            x: -1e300,
            y: -1e300,
            width: 2e300,
            height: 2e300,
        };
        ix.query_nodes(&wf, &all, &mut out);
        ix.query_edges(&wf, &all, &mut out);
        assert!(out.is_empty());
        assert_eq!(SpatialIndex::default().node_entries(), 0);
    }

    #[test]
    fn stepped_build_equals_one_shot() {
        let mut rng = Rng(99);
        let mut wf = random_workflow(&mut rng, 700, 900);
        let mut ix = SpatialIndex::build(&wf);
        let mut fresh = 0;
        // Freed slots and hidden nodes, so scans skip some slots.
        for _ in 0..30 {
            edit(&mut rng, &mut wf, &mut ix, &mut fresh);
        }
        let one = SpatialIndex::build(&wf);
        for budget in [1, 7, 1000] {
            let mut b = SpatialBuild::new(&wf);
            let mut steps = 0;
            while !b.step(&wf, budget) {
                steps += 1;
            }
            assert!(budget > 1 || steps > 2 * (wf.slot_count() + wf.edge_slot_count()));
            let ix = b.finish();
            assert_eq!(ix.zero_area, one.zero_area, "budget {budget}");
            for (a, b) in [(&ix.nodes, &one.nodes), (&ix.edges, &one.edges)] {
                assert_eq!(a.tree, b.tree, "budget {budget}");
                assert_eq!(a.fresh, b.fresh, "budget {budget}");
                assert_eq!(a.fresh_count, b.fresh_count, "budget {budget}");
            }
            check(&mut rng, &wf, &ix);
        }
    }
}
