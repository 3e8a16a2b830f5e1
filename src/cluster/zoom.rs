//! Zoom-level clusters: the technique of `supercluster`, on node rectangles
//! in world space.
//!
//! Level j (1, 2, …) is drawn for zooms in [maxZoom / 2^j, maxZoom / 2^(j-1))
//! and is built with the world radius r_j = radiusPx × 2^j / maxZoom, so its
//! clusters stand radiusPx to 2 × radiusPx apart on screen. Level 1 groups
//! the shown nodes, level j + 1 groups the clusters of level j: visiting the
//! items of a level in order, each item not yet taken gathers every untaken
//! item whose centre lies within r_j of its own (a grid of cell r_j finds
//! them); the group becomes a cluster when it weighs at least `minPoints`
//! nodes, otherwise the item is carried up alone. An item wider or taller
//! than 2 r_j is big enough to be seen for itself and is never merged.
//! Clusters keep their count, weighted centre, bounds and a histogram of
//! node types; every level has an R-tree of cluster bounds for the frame.
//!
//! Incremental updates (`sync`): a moved node updates the aggregates of its
//! ancestors (dirty clusters are refreshed once per level, bottom up); an
//! added node joins the nearest cluster of level 1 within r_1 (or starts one,
//! which joins level 2 the same way); a removed one leaves, and clusters that
//! empty disappear. Counts stay exact; the grouping may drift from a fresh
//! build until the owner rebuilds it (after `workflow.rebuildFraction` of changes).

use crate::cluster::ClusteringConfig;
use crate::model::{Rect, Workflow, NONE};
use crate::spatial::FlowParams;
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{RTree, AABB};
use std::ops::ControlFlow;

type Entry = GeomWithData<Rectangle<[f64; 2]>, u32>;

/// Most levels built (the radius doubles per level); ids keep 5 bits for it.
pub const MAX_LEVELS: usize = 31;
const LEVEL_SHIFT: u32 = 27;
const INDEX_MASK: u32 = (1 << LEVEL_SHIFT) - 1;

/// A cluster's id: its level in the top 5 bits, its index in the rest. Valid
/// until the index is rebuilt.
pub fn cluster_id(level: usize, index: u32) -> u32 {
    (level as u32) << LEVEL_SHIFT | index
}

/// (level, index) of a cluster id.
pub fn split_id(id: u32) -> (usize, u32) {
    ((id >> LEVEL_SHIFT) as usize, id & INDEX_MASK)
}

/// Child → parent links, with the siblings of each parent as a doubly linked list.
#[derive(Clone, Debug, Default)]
struct Links {
    parent: Vec<u32>,
    next: Vec<u32>,
    prev: Vec<u32>,
}

impl Links {
    fn ensure(&mut self, n: usize) {
        if self.parent.len() < n {
            self.parent.resize(n, NONE);
            self.next.resize(n, NONE);
            self.prev.resize(n, NONE);
        }
    }
    fn link(&mut self, i: u32, p: u32, first: &mut [u32]) {
        let k = i as usize;
        self.parent[k] = p;
        self.prev[k] = NONE;
        self.next[k] = first[p as usize];
        if self.next[k] != NONE {
            self.prev[self.next[k] as usize] = i;
        }
        first[p as usize] = i;
    }
    fn unlink(&mut self, i: u32, first: &mut [u32]) {
        let k = i as usize;
        let p = self.parent[k];
        if p == NONE {
            return;
        }
        let (a, b) = (self.prev[k], self.next[k]);
        if a != NONE {
            self.next[a as usize] = b;
        } else {
            first[p as usize] = b;
        }
        if b != NONE {
            self.prev[b as usize] = a;
        }
        self.parent[k] = NONE;
        self.next[k] = NONE;
        self.prev[k] = NONE;
    }
}

const CLEAN: u8 = 0;
const GEOMETRY: u8 = 1;
const MEMBERS: u8 = 2;

#[derive(Debug, Default)]
struct Level {
    /// World radius this level was built with.
    radius: f64,
    /// This level's clusters as children of the next level's.
    up: Links,
    /// First child: a node slot at level 1, a cluster of level j - 1 above.
    first: Vec<u32>,
    count: Vec<u32>,
    /// Sums of member centres (weighted by node count).
    sx: Vec<f64>,
    sy: Vec<f64>,
    bounds: Vec<[f64; 4]>,
    /// (type id, nodes) sorted by type id.
    types: Vec<Vec<(u16, u32)>>,
    /// The three most common types (u32::MAX pads), kept with `types` so a
    /// frame need not scan histograms.
    top3: Vec<[(u32, u32); 3]>,
    alive: Vec<bool>,
    free: Vec<u32>,
    live: usize,
    /// The bounds the tree holds for each cluster.
    indexed: Vec<Option<[f64; 4]>>,
    tree: RTree<Entry, FlowParams>,
    dirty: Vec<u8>,
    dirty_list: Vec<u32>,
}

impl Level {
    fn alloc(&mut self) -> u32 {
        if let Some(c) = self.free.pop() {
            let k = c as usize;
            self.first[k] = NONE;
            self.count[k] = 0;
            self.sx[k] = 0.0;
            self.sy[k] = 0.0;
            self.types[k].clear();
            self.top3[k] = NO_TYPES;
            self.alive[k] = true;
            self.live += 1;
            return c;
        }
        self.first.push(NONE);
        self.count.push(0);
        self.sx.push(0.0);
        self.sy.push(0.0);
        self.bounds.push([0.0; 4]);
        self.types.push(Vec::new());
        self.top3.push(NO_TYPES);
        self.alive.push(true);
        self.indexed.push(None);
        self.dirty.push(CLEAN);
        self.live += 1;
        let c = (self.count.len() - 1) as u32;
        self.up.ensure(c as usize + 1);
        c
    }
    fn mark(&mut self, c: u32, how: u8) {
        let d = &mut self.dirty[c as usize];
        if *d == CLEAN {
            self.dirty_list.push(c);
        }
        *d = (*d).max(how);
    }
    fn centre(&self, c: u32) -> (f64, f64) {
        let k = c as usize;
        let n = self.count[k].max(1) as f64;
        (self.sx[k] / n, self.sy[k] / n)
    }
    fn reindex(&mut self, c: u32) {
        let k = c as usize;
        let want = if self.alive[k] {
            Some(self.bounds[k])
        } else {
            None
        };
        if self.indexed[k] == want {
            return;
        }
        if let Some(b) = self.indexed[k].take() {
            self.tree.remove(&entry(b, c));
        }
        if let Some(b) = want {
            self.tree.insert(entry(b, c));
        }
        self.indexed[k] = want;
    }
}

const NO_TYPES: [(u32, u32); 3] = [(u32::MAX, 0); 3];

/// The three most common types of a histogram, most common first (ties: lower id).
fn top3(types: &[(u16, u32)]) -> [(u32, u32); 3] {
    let mut top = NO_TYPES;
    for &(t, n) in types {
        if n > top[2].1 {
            top[2] = (t as u32, n);
            top.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        }
    }
    top
}

fn entry(b: [f64; 4], id: u32) -> Entry {
    GeomWithData::new(Rectangle::from_corners([b[0], b[1]], [b[2], b[3]]), id)
}

fn big(b: &[f64; 4], radius: f64) -> bool {
    (b[2] - b[0]).max(b[3] - b[1]) > 2.0 * radius
}

fn union(a: &mut [f64; 4], b: &[f64; 4]) {
    a[0] = a[0].min(b[0]);
    a[1] = a[1].min(b[1]);
    a[2] = a[2].max(b[2]);
    a[3] = a[3].max(b[3]);
}

fn node_bounds(wf: &Workflow, i: u32) -> [f64; 4] {
    let r = wf.rect(i);
    [r.x, r.y, r.x2(), r.y2()]
}

fn merge_types(into: &mut Vec<(u16, u32)>, from: &[(u16, u32)]) {
    if from.is_empty() {
        return;
    }
    if into.is_empty() {
        into.extend_from_slice(from);
        return;
    }
    let old = std::mem::take(into);
    let (mut i, mut j) = (0, 0);
    while i < old.len() || j < from.len() {
        match (old.get(i), from.get(j)) {
            (Some(a), Some(b)) if a.0 == b.0 => {
                into.push((a.0, a.1 + b.1));
                i += 1;
                j += 1;
            }
            (Some(a), Some(b)) if a.0 < b.0 => {
                into.push(*a);
                i += 1;
            }
            (Some(_), Some(b)) | (None, Some(b)) => {
                into.push(*b);
                j += 1;
            }
            (Some(a), None) => {
                into.push(*a);
                i += 1;
            }
            (None, None) => break,
        }
    }
}

/// The items one level groups: centres, weights, bounds.
struct Items {
    x: Vec<f64>,
    y: Vec<f64>,
    weight: Vec<u32>,
    bounds: Vec<[f64; 4]>,
}

/// Greedy radius grouping (see the module comment). Returns the group of
/// each item; groups are numbered in order of their seed item.
pub(crate) fn greedy_groups(
    x: &[f64],
    y: &[f64],
    weight: &[u32],
    is_big: &[bool],
    radius: f64,
    min_points: u32,
) -> (usize, Vec<u32>) {
    let n = x.len();
    // Cells of side `radius`, packed in a u64 (row high, column low). The
    // packing wraps for huge coordinates: two cells may then share a key,
    // which only adds candidates that the distance test rejects.
    let cell = |v: f64| (v / radius).floor().clamp(-1e15, 1e15) as i64 as u32;
    let key = |cx: u32, cy: u32| (cy as u64) << 32 | cx as u64;
    let cells: Vec<(u32, u32)> = (0..n).map(|i| (cell(x[i]), cell(y[i]))).collect();
    let mut sorted: Vec<(u64, u32)> = (0..n)
        .map(|i| (key(cells[i].0, cells[i].1), i as u32))
        .collect();
    sorted.sort_unstable();
    let keys: Vec<u64> = sorted.iter().map(|s| s.0).collect();
    let by_cell: Vec<u32> = sorted.into_iter().map(|s| s.1).collect();
    // Items of the cells (cx - 1 ..= cx + 1, row): one range when the row does not wrap.
    let row_ranges = |cx: u32, row: u32, out: &mut Vec<(usize, usize)>| {
        let (lo, hi) = (key(cx.wrapping_sub(1), row), key(cx.wrapping_add(1), row));
        if lo <= hi {
            out.push((
                keys.partition_point(|&k| k < lo),
                keys.partition_point(|&k| k <= hi),
            ));
        } else {
            for c in [cx.wrapping_sub(1), cx, cx.wrapping_add(1)] {
                let k = key(c, row);
                out.push((
                    keys.partition_point(|&q| q < k),
                    keys.partition_point(|&q| q <= k),
                ));
            }
        }
    };
    let mut ranges: Vec<(usize, usize)> = Vec::with_capacity(9);
    let r2 = radius * radius;
    let mut group = vec![NONE; n];
    let mut groups = 0u32;
    let mut near: Vec<u32> = Vec::new();
    for i in 0..n {
        if group[i] != NONE {
            continue;
        }
        near.clear();
        if !is_big[i] {
            let (cx, cy) = cells[i];
            ranges.clear();
            for row in [cy.wrapping_sub(1), cy, cy.wrapping_add(1)] {
                row_ranges(cx, row, &mut ranges);
            }
            for &(a, b) in &ranges {
                for &k in &by_cell[a..b] {
                    let k = k as usize;
                    if k == i || group[k] != NONE || is_big[k] {
                        continue;
                    }
                    let (ddx, ddy) = (x[k] - x[i], y[k] - y[i]);
                    if ddx * ddx + ddy * ddy <= r2 {
                        near.push(k as u32);
                    }
                }
            }
        }
        let total: u64 =
            weight[i] as u64 + near.iter().map(|&k| weight[k as usize] as u64).sum::<u64>();
        group[i] = groups;
        if total >= min_points as u64 {
            for &k in &near {
                group[k as usize] = groups;
            }
        }
        groups += 1;
    }
    (groups as usize, group)
}

/// What a frame shows of the clusters.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ClusterFrame {
    /// False above `clustering.maxZoom`: the other fields are then empty.
    pub active: bool,
    /// Level drawn (1 = finest).
    pub level: u32,
    pub ids: Vec<u32>,
    pub count: Vec<u32>,
    /// x, y, width, height per cluster.
    pub bounds: Vec<f64>,
    /// x, y per cluster: the mean of member centres.
    pub center: Vec<f64>,
    /// Up to three most common member types per cluster (u32::MAX pads).
    pub type_ids: Vec<u32>,
    pub type_counts: Vec<u32>,
    /// Parallel to the frame's `in_view`: the cluster drawn for that node,
    /// or u32::MAX when the node is drawn itself.
    pub in_view_cluster: Vec<u32>,
    /// Nodes inside the clusters listed.
    pub members: u64,
}

impl ClusterFrame {
    pub fn clear(&mut self) {
        self.active = false;
        self.level = 0;
        self.ids.clear();
        self.count.clear();
        self.bounds.clear();
        self.center.clear();
        self.type_ids.clear();
        self.type_counts.clear();
        self.in_view_cluster.clear();
        self.members = 0;
    }
}

/// One cluster's children and members (`expandCluster`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Expansion {
    pub level: u32,
    /// Node slots under the cluster.
    pub members: Vec<u32>,
    /// Ids of the child clusters (empty at level 1, whose children are nodes).
    pub children: Vec<u32>,
    /// The zoom from which the cluster is drawn split (its children, or its nodes).
    pub expansion_zoom: f64,
}

#[derive(Debug, Default)]
pub struct ClusterIndex {
    max_zoom: f64,
    min_points: u32,
    /// Level 1's children: node slots.
    nodes: Links,
    node_type: Vec<u16>,
    levels: Vec<Level>,
    /// Nodes since the last build.
    changes: usize,
    /// Reused by `aggregate` (one allocation per build, not per cluster).
    scratch: Vec<u16>,
    built_nodes: usize,
}

impl ClusterIndex {
    /// Build every level for the shown nodes. With `maxZoom` 0 (off) no level is built.
    pub fn build(wf: &Workflow, cfg: &ClusteringConfig) -> ClusterIndex {
        let mut ix = ClusterIndex {
            max_zoom: cfg.max_zoom,
            min_points: cfg.min_points,
            ..Default::default()
        };
        let slots = wf.slot_count();
        ix.nodes.ensure(slots);
        ix.node_type = (0..slots as u32).map(|i| wf.type_id(i)).collect();
        if cfg.max_zoom <= 0.0 {
            return ix;
        }
        // Items of level 1: the shown nodes in slot order.
        let shown: Vec<u32> = wf.live_slots().filter(|&i| wf.is_shown(i)).collect();
        ix.built_nodes = shown.len();
        let mut items = Items {
            x: Vec::with_capacity(shown.len()),
            y: Vec::with_capacity(shown.len()),
            weight: vec![1; shown.len()],
            bounds: Vec::with_capacity(shown.len()),
        };
        for &i in &shown {
            let b = node_bounds(wf, i);
            items.x.push((b[0] + b[2]) / 2.0);
            items.y.push((b[1] + b[3]) / 2.0);
            items.bounds.push(b);
        }
        let mut item_ids = shown;
        let mut zoom = cfg.max_zoom;
        for j in 1..=MAX_LEVELS {
            zoom /= 2.0;
            let radius = cfg.radius_px / zoom;
            if item_ids.is_empty() || !radius.is_finite() {
                break;
            }
            let is_big: Vec<bool> = items.bounds.iter().map(|b| big(b, radius)).collect();
            let (n_groups, group) = greedy_groups(
                &items.x,
                &items.y,
                &items.weight,
                &is_big,
                radius,
                cfg.min_points,
            );
            let mut level = Level {
                radius,
                ..Default::default()
            };
            for _ in 0..n_groups {
                level.alloc();
            }
            // Link children in reverse so that each list runs in item order.
            for (k, &child) in item_ids.iter().enumerate().rev() {
                let g = group[k];
                if j == 1 {
                    ix.nodes.link(child, g, &mut level.first);
                } else if let Some(below) = ix.levels.last_mut() {
                    below.up.link(child, g, &mut level.first);
                }
            }
            ix.levels.push(level);
            let mut next = Items {
                x: Vec::with_capacity(n_groups),
                y: Vec::with_capacity(n_groups),
                weight: Vec::with_capacity(n_groups),
                bounds: Vec::with_capacity(n_groups),
            };
            for c in 0..n_groups as u32 {
                ix.aggregate(wf, j, c, true);
                let l = &ix.levels[j - 1];
                let (cx, cy) = l.centre(c);
                next.x.push(cx);
                next.y.push(cy);
                next.weight.push(l.count[c as usize]);
                next.bounds.push(l.bounds[c as usize]);
            }
            let l = &mut ix.levels[j - 1];
            l.tree = RTree::bulk_load_with_params(
                (0..n_groups as u32)
                    .map(|c| entry(l.bounds[c as usize], c))
                    .collect(),
            );
            for c in 0..n_groups {
                l.indexed[c] = Some(l.bounds[c]);
            }
            // Done at one cluster, or when nothing merged although every
            // item lies within the radius (only minPoints holds them apart).
            let merged = n_groups < item_ids.len();
            let (mut lo, mut hi) = ([f64::INFINITY; 2], [f64::NEG_INFINITY; 2]);
            for k in 0..next.x.len() {
                lo = [lo[0].min(next.x[k]), lo[1].min(next.y[k])];
                hi = [hi[0].max(next.x[k]), hi[1].max(next.y[k])];
            }
            let spread = (hi[0] - lo[0]).hypot(hi[1] - lo[1]);
            items = next;
            item_ids = (0..n_groups as u32).collect();
            if n_groups <= 1 || (!merged && spread <= radius) {
                break;
            }
        }
        ix
    }

    /// Levels built (0 when clustering is off or nothing is shown).
    pub fn levels(&self) -> usize {
        self.levels.len()
    }

    /// Zoom from which level `j` is drawn (it is drawn up to twice this).
    pub fn level_zoom(&self, j: usize) -> f64 {
        self.max_zoom / (1u64 << j.min(62)) as f64
    }

    /// The level drawn at `zoom` (1 = finest; clamped to the coarsest built).
    pub fn level_for_zoom(&self, zoom: f64) -> usize {
        let mut j = 1;
        while j < self.levels.len() && zoom < self.level_zoom(j) {
            j += 1;
        }
        j
    }

    /// Nodes added, moved or removed since the last build.
    pub fn changes(&self) -> usize {
        self.changes
    }

    pub fn built_nodes(&self) -> usize {
        self.built_nodes
    }

    /// Recompute a cluster's count, centre sums, bounds (and types) from its children.
    fn aggregate(&mut self, wf: &Workflow, j: usize, c: u32, with_types: bool) {
        let (below, rest) = self.levels.split_at_mut(j - 1);
        let Some(level) = rest.first_mut() else {
            return;
        };
        let k = c as usize;
        let (mut count, mut sx, mut sy) = (0u32, 0.0f64, 0.0f64);
        let mut b = [
            f64::INFINITY,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NEG_INFINITY,
        ];
        let mut types = if with_types {
            std::mem::take(&mut level.types[k])
        } else {
            Vec::new()
        };
        types.clear();
        let mut child = level.first[k];
        if j == 1 {
            let scratch = &mut self.scratch;
            scratch.clear();
            while child != NONE {
                let nb = node_bounds(wf, child);
                count += 1;
                sx += (nb[0] + nb[2]) / 2.0;
                sy += (nb[1] + nb[3]) / 2.0;
                union(&mut b, &nb);
                if with_types {
                    scratch.push(self.node_type.get(child as usize).copied().unwrap_or(0));
                }
                child = self.nodes.next[child as usize];
            }
            if with_types {
                scratch.sort_unstable();
                for &t in scratch.iter() {
                    match types.last_mut() {
                        Some(last) if last.0 == t => last.1 += 1,
                        _ => types.push((t, 1)),
                    }
                }
            }
        } else if let Some(prev) = below.last() {
            while child != NONE {
                let ck = child as usize;
                count += prev.count[ck];
                sx += prev.sx[ck];
                sy += prev.sy[ck];
                union(&mut b, &prev.bounds[ck]);
                if with_types {
                    merge_types(&mut types, &prev.types[ck]);
                }
                child = prev.up.next[ck];
            }
        }
        level.count[k] = count;
        level.sx[k] = sx;
        level.sy[k] = sy;
        level.bounds[k] = if count > 0 { b } else { [0.0; 4] };
        if with_types {
            level.top3[k] = top3(&types);
            level.types[k] = types;
        }
    }

    /// Bring the index up to date for node slots that were added, moved,
    /// resized, hidden, shown or removed.
    pub fn sync(&mut self, wf: &Workflow, touched: &[u32]) {
        if self.levels.is_empty() {
            return;
        }
        self.nodes.ensure(wf.slot_count());
        if self.node_type.len() < wf.slot_count() {
            self.node_type.resize(wf.slot_count(), 0);
        }
        for &i in touched {
            let k = i as usize;
            if k >= wf.slot_count() {
                continue;
            }
            self.changes += 1;
            let have = self.nodes.parent[k] != NONE;
            let want = wf.is_shown(i);
            let t = wf.type_id(i);
            if have && (!want || self.node_type[k] != t) {
                let p = self.nodes.parent[k];
                self.nodes.unlink(i, &mut self.levels[0].first);
                self.levels[0].mark(p, MEMBERS);
            } else if have {
                let p = self.nodes.parent[k];
                self.levels[0].mark(p, GEOMETRY);
            }
            self.node_type[k] = t;
            if want && self.nodes.parent[k] == NONE {
                self.attach_node(wf, i);
            }
        }
        self.refresh(wf);
    }

    /// Attach a shown node to the nearest cluster of level 1 within r_1, or
    /// to a new cluster that attaches upwards the same way.
    fn attach_node(&mut self, wf: &Workflow, i: u32) {
        let b = node_bounds(wf, i);
        let (x, y) = ((b[0] + b[2]) / 2.0, (b[1] + b[3]) / 2.0);
        let radius = self.levels[0].radius;
        let target = if big(&b, radius) {
            None
        } else {
            self.nearest(0, x, y)
        };
        let c = match target {
            Some(c) => c,
            None => {
                let c = self.levels[0].alloc();
                self.new_cluster_up(1, c, b, x, y);
                c
            }
        };
        self.nodes.link(i, c, &mut self.levels[0].first);
        self.levels[0].mark(c, MEMBERS);
    }

    /// A fresh cluster `c` of level `j` (holding one item with bounds `b` and
    /// centre x, y) joins level j + 1.
    fn new_cluster_up(&mut self, j: usize, c: u32, b: [f64; 4], x: f64, y: f64) {
        {
            let l = &mut self.levels[j - 1];
            l.bounds[c as usize] = b;
            l.count[c as usize] = 1;
            l.sx[c as usize] = x;
            l.sy[c as usize] = y;
        }
        if j >= self.levels.len() {
            return;
        }
        let radius = self.levels[j].radius;
        let target = if big(&b, radius) {
            None
        } else {
            self.nearest(j, x, y)
        };
        let p = match target {
            Some(p) => p,
            None => {
                let p = self.levels[j].alloc();
                self.new_cluster_up(j + 1, p, b, x, y);
                p
            }
        };
        let (below, above) = self.levels.split_at_mut(j);
        below[j - 1].up.link(c, p, &mut above[0].first);
        above[0].mark(p, MEMBERS);
    }

    /// The live cluster of levels[li] whose centre is nearest to (x, y) and
    /// within its radius, not itself big.
    fn nearest(&self, li: usize, x: f64, y: f64) -> Option<u32> {
        let l = &self.levels[li];
        let r = l.radius;
        let env = AABB::from_corners([x - r, y - r], [x + r, y + r]);
        let mut best: Option<(f64, u32)> = None;
        let _ = l
            .tree
            .locate_in_envelope_intersecting_int(env, |e| -> ControlFlow<()> {
                let c = e.data;
                let k = c as usize;
                if l.alive[k] && l.count[k] > 0 && !big(&l.bounds[k], r) {
                    let (cx, cy) = l.centre(c);
                    let d = (cx - x) * (cx - x) + (cy - y) * (cy - y);
                    if d <= r * r && best.map_or(true, |b| (d, c) < b) {
                        best = Some((d, c));
                    }
                }
                ControlFlow::Continue(())
            });
        best.map(|b| b.1)
    }

    /// Refresh dirty clusters level by level, bottom up.
    fn refresh(&mut self, wf: &Workflow) {
        for j in 1..=self.levels.len() {
            let list = std::mem::take(&mut self.levels[j - 1].dirty_list);
            for &c in &list {
                let k = c as usize;
                let how = self.levels[j - 1].dirty[k];
                self.levels[j - 1].dirty[k] = CLEAN;
                if !self.levels[j - 1].alive[k] {
                    continue;
                }
                let before = (
                    self.levels[j - 1].count[k],
                    self.levels[j - 1].bounds[k],
                    self.levels[j - 1].sx[k],
                    self.levels[j - 1].sy[k],
                );
                self.aggregate(wf, j, c, how == MEMBERS);
                let l = &self.levels[j - 1];
                let parent = l.up.parent[k];
                if l.count[k] == 0 {
                    // Empty: leave the parent and free the slot.
                    let (this, above) = self.levels.split_at_mut(j);
                    let l = &mut this[j - 1];
                    l.alive[k] = false;
                    l.live -= 1;
                    l.free.push(c);
                    l.reindex(c);
                    if let Some(a) = above.first_mut() {
                        l.up.unlink(c, &mut a.first);
                        if parent != NONE {
                            a.mark(parent, MEMBERS);
                        }
                    }
                    continue;
                }
                let after = (l.count[k], l.bounds[k], l.sx[k], l.sy[k]);
                self.levels[j - 1].reindex(c);
                if after != before || how == MEMBERS {
                    if let Some(a) = self.levels.get_mut(j) {
                        if parent != NONE {
                            a.mark(parent, how);
                        }
                    }
                }
            }
        }
    }

    /// Cluster id of level `j` containing node slot `i`, if the node is indexed.
    pub fn cluster_of(&self, i: u32, j: usize) -> Option<u32> {
        let mut c = *self.nodes.parent.get(i as usize)?;
        if c == NONE || j == 0 || j > self.levels.len() {
            return None;
        }
        for l in &self.levels[..j - 1] {
            c = l.up.parent[c as usize];
            if c == NONE {
                return None;
            }
        }
        Some(cluster_id(j, c))
    }

    /// Fill `out` with the clusters of the level for `zoom` that meet `view`
    /// and stand for at least `minPoints` nodes; `in_view` (node slots) gets
    /// its parallel `in_view_cluster`.
    pub fn query(&self, zoom: f64, view: &Rect, in_view: &[u32], out: &mut ClusterFrame) {
        out.clear();
        if self.levels.is_empty() {
            return;
        }
        let j = self.level_for_zoom(zoom);
        out.active = true;
        out.level = j as u32;
        let l = &self.levels[j - 1];
        let env = AABB::from_corners([view.x, view.y], [view.x2(), view.y2()]);
        let min = self.min_points;
        let _ = l
            .tree
            .locate_in_envelope_intersecting_int(env, |e| -> ControlFlow<()> {
                let c = e.data;
                let k = c as usize;
                if l.alive[k] && l.count[k] >= min {
                    out.ids.push(cluster_id(j, c));
                    out.count.push(l.count[k]);
                    out.members += l.count[k] as u64;
                    let b = l.bounds[k];
                    out.bounds.extend([b[0], b[1], b[2] - b[0], b[3] - b[1]]);
                    let (cx, cy) = l.centre(c);
                    out.center.extend([cx, cy]);
                    for (t, n) in l.top3[k] {
                        out.type_ids.push(t);
                        out.type_counts.push(n);
                    }
                }
                ControlFlow::Continue(())
            });
        out.in_view_cluster
            .extend(in_view.iter().map(|&i| match self.cluster_of(i, j) {
                Some(id) if self.info_count(id) >= min => id,
                _ => u32::MAX,
            }));
    }

    fn info_count(&self, id: u32) -> u32 {
        let (j, c) = split_id(id);
        self.levels
            .get(j.wrapping_sub(1))
            .and_then(|l| l.count.get(c as usize))
            .copied()
            .unwrap_or(0)
    }

    /// Is `id` a live cluster?
    pub fn contains(&self, id: u32) -> bool {
        let (j, c) = split_id(id);
        j >= 1
            && self
                .levels
                .get(j - 1)
                .is_some_and(|l| l.alive.get(c as usize).copied().unwrap_or(false))
    }

    /// Node count of a live cluster.
    pub fn count(&self, id: u32) -> Option<u32> {
        self.contains(id).then(|| self.info_count(id))
    }

    /// Children, member nodes and expansion zoom of cluster `id`.
    pub fn expand(&self, id: u32) -> Option<Expansion> {
        if !self.contains(id) {
            return None;
        }
        let (j, c) = split_id(id);
        let mut out = Expansion {
            level: j as u32,
            ..Default::default()
        };
        // Children.
        let l = &self.levels[j - 1];
        let mut child = l.first[c as usize];
        while child != NONE {
            if j == 1 {
                out.members.push(child);
                child = self.nodes.next[child as usize];
            } else {
                out.children.push(cluster_id(j - 1, child));
                child = self.levels[j - 2].up.next[child as usize];
            }
        }
        // Members: walk down to the nodes.
        if j > 1 {
            let mut stack: Vec<(usize, u32)> =
                out.children.iter().map(|&id| split_id(id)).collect();
            while let Some((lj, lc)) = stack.pop() {
                let mut ch = self.levels[lj - 1].first[lc as usize];
                while ch != NONE {
                    if lj == 1 {
                        out.members.push(ch);
                        ch = self.nodes.next[ch as usize];
                    } else {
                        stack.push((lj - 1, ch));
                        ch = self.levels[lj - 2].up.next[ch as usize];
                    }
                }
            }
        }
        // It splits where it first has more than one child (as supercluster's
        // getClusterExpansionZoom).
        let (mut lj, mut lc) = (j, c);
        while lj > 1 {
            let l = &self.levels[lj - 1];
            let first = l.first[lc as usize];
            if first == NONE || self.levels[lj - 2].up.next[first as usize] != NONE {
                break;
            }
            lc = first;
            lj -= 1;
        }
        out.expansion_zoom = self.level_zoom(lj - 1);
        Some(out)
    }

    /// Live clusters of level `j` (for tests and stats).
    pub fn clusters_at(&self, j: usize) -> Vec<u32> {
        self.levels.get(j.wrapping_sub(1)).map_or(Vec::new(), |l| {
            (0..l.alive.len() as u32)
                .filter(|&c| l.alive[c as usize])
                .map(|c| cluster_id(j, c))
                .collect()
        })
    }

    /// Bounds (x1, y1, x2, y2) and centre of a live cluster.
    pub fn geometry(&self, id: u32) -> Option<([f64; 4], (f64, f64))> {
        if !self.contains(id) {
            return None;
        }
        let (j, c) = split_id(id);
        let l = &self.levels[j - 1];
        Some((l.bounds[c as usize], l.centre(c)))
    }

    /// Member type histogram of a live cluster: (type id, nodes), by type id.
    pub fn types(&self, id: u32) -> Option<&[(u16, u32)]> {
        if !self.contains(id) {
            return None;
        }
        let (j, c) = split_id(id);
        Some(&self.levels[j - 1].types[c as usize])
    }
}

/// The optimizer's clusters: built on first use, then kept in step lazily —
/// changed slots are queued and applied (or the index rebuilt, past
/// `rebuild_fraction` of the nodes) only when a frame needs clusters, so
/// drags cost nothing while the view is zoomed in.
#[derive(Debug, Default)]
pub struct ZoomClusters {
    index: Option<ClusterIndex>,
    pending: Vec<u32>,
    queued: Vec<bool>,
}

impl ZoomClusters {
    /// Forget everything (a new workflow or config).
    pub fn reset(&mut self) {
        self.index = None;
        self.pending.clear();
        self.queued.clear();
    }

    /// Note node slots whose rectangle, visibility, type or existence changed.
    pub fn note(&mut self, slots: &[u32]) {
        if self.index.is_none() {
            return;
        }
        for &s in slots {
            let k = s as usize;
            if self.queued.len() <= k {
                self.queued.resize(k + 1, false);
            }
            if !self.queued[k] {
                self.queued[k] = true;
                self.pending.push(s);
            }
        }
    }

    /// The index, up to date with `wf`.
    pub fn ensure(
        &mut self,
        wf: &Workflow,
        cfg: &ClusteringConfig,
        rebuild_fraction: f64,
    ) -> &ClusterIndex {
        let stale = match &self.index {
            None => true,
            Some(ix) => {
                let base = ix.built_nodes().max(64) as f64;
                (ix.changes() + self.pending.len()) as f64 > rebuild_fraction * base
                    || (ix.levels() == 0 && !self.pending.is_empty())
            }
        };
        if stale {
            self.index = Some(ClusterIndex::build(wf, cfg));
        } else if let Some(ix) = self.index.as_mut() {
            if !self.pending.is_empty() {
                ix.sync(wf, &self.pending);
            }
        }
        for &s in &self.pending {
            if let Some(q) = self.queued.get_mut(s as usize) {
                *q = false;
            }
        }
        self.pending.clear();
        self.index.get_or_insert_with(ClusterIndex::default)
    }

    /// The index as last brought up to date (None before first use).
    pub fn current(&self) -> Option<&ClusterIndex> {
        self.index.as_ref()
    }
}
