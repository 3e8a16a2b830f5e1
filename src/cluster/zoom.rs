//! Zoom-level clusters on a grid of cells per level, for far-out views.
//!
//! Level j (1, 2, …) is drawn for zooms in [maxZoom / 2^j, maxZoom / 2^(j-1)).
//! Its cells are squares of side s_j = radiusPx × 2^j / maxZoom world units,
//! so at the zooms of its level a cell is radiusPx to 2 × radiusPx wide on
//! screen. Cells are aligned to a grid through the origin and nest: a cell of
//! level j + 1 is 2 × 2 cells of level j. (A node's cell at level j is its
//! level-1 cell with the coordinates halved j − 1 times, never recomputed by
//! division, so rounding cannot break the nesting.)
//!
//! A cluster is the set of shown nodes whose centre lies in one cell, except
//! nodes wider or taller than 2 s_j: those are big enough to be seen for
//! themselves, so a node joins the clusters of the first level at which it is
//! no longer big (its *join level*) and of every coarser level.
//!
//! Why a grid (supercluster's greedy radius search was used before): a glyph
//! is drawn inside its cell, so the glyphs of a level never overlap at any
//! zoom; membership is a function of the node alone, so edits keep it exact;
//! and a frame finds the clusters of the view by walking the cells in view,
//! about (width / radiusPx) × (height / radiusPx) of them whatever the size of
//! the workflow.
//!
//! A cluster keeps its count, the sum of its members' centres, the union of
//! their rectangles (`bounds`) and its three most common node types. Counting
//! the nodes in a view needs no member: a cluster whose bounds lie in the view
//! adds its count, one that misses it adds nothing, and only clusters on the
//! view's boundary are split into their children (flatbush's idea of
//! collecting contained subtrees: work proportional to the boundary).
//!
//! A cell holding fewer than `minPoints` nodes draws no glyph: its nodes are
//! drawn (and may be mounted) one by one, as are big nodes.
//!
//! Bundles: for each level, the edges between different clusters are folded
//! into one weighted bundle per pair of clusters. They are computed when a
//! level is first drawn after a change of membership or edges (never per
//! frame) and found from the clusters in view through an adjacency list.

use crate::cluster::radix::RadixSort;
use crate::cluster::ClusteringConfig;
use crate::model::{Rect, Workflow, NONE};
use crate::spatial::packed::{f32_down, f32_up};
use crate::spatial::{overlaps, FlowParams};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{RTree, AABB};
use std::ops::ControlFlow;

type Map<K, V> = hashbrown::HashMap<K, V, foldhash::fast::FixedState>;
type Entry = GeomWithData<Rectangle<[f64; 2]>, u32>;

/// Most levels built (a cell's side doubles per level); ids keep 5 bits for it.
pub const MAX_LEVELS: usize = 31;
const LEVEL_SHIFT: u32 = 27;
const INDEX_MASK: u32 = (1 << LEVEL_SHIFT) - 1;
/// Level-1 cell coordinates are i32 (clamped: beyond ±2^31 cells, about
/// ±1e12 world units at the default radius, far cells share their edge cells).
const CELL_LIMIT: f64 = i32::MAX as f64;
/// The finest level built is the first whose cells hold this many nodes on
/// average: finer levels would be mostly clusters of one or two nodes, which
/// cost memory and draw nothing a node-by-node frame would not.
const DENSE_ENOUGH: f64 = 3.0;

/// A cluster's id: its level in the top 5 bits, its index in the rest. Valid
/// until the index is rebuilt.
pub fn cluster_id(level: usize, index: u32) -> u32 {
    (level as u32) << LEVEL_SHIFT | index
}

/// (level, index) of a cluster id.
pub fn split_id(id: u32) -> (usize, u32) {
    ((id >> LEVEL_SHIFT) as usize, id & INDEX_MASK)
}

/// Three most common types as (type id, nodes); `NO_TYPE` pads.
pub type Top3 = [(u16, u32); 3];
pub const NO_TYPE: u16 = u16::MAX;
const NO_TOP: Top3 = [(NO_TYPE, 0); 3];

#[derive(Debug, Default)]
struct Level {
    /// World side of a cell.
    cell: f64,
    cells: Map<(i32, i32), u32>,
    cx: Vec<i32>,
    cy: Vec<i32>,
    count: Vec<u32>,
    /// Sums of member centres.
    sx: Vec<f64>,
    sy: Vec<f64>,
    /// Union of member rectangles (x1, y1, x2, y2), rounded outward to f32:
    /// tests against it only ever split a cluster that need not be.
    bounds: Vec<[f32; 4]>,
    top: Vec<Top3>,
    /// Parent at the next level and the next sibling under it (a cell has
    /// at most four child cells, so a sibling list needs no back links).
    parent: Vec<u32>,
    next: Vec<u32>,
    /// First child cluster (level j − 1) and first node joined at this level.
    first_child: Vec<u32>,
    first_node: Vec<u32>,
    alive: Vec<bool>,
    free: Vec<u32>,
    live: usize,
    dirty: Vec<bool>,
    dirty_list: Vec<u32>,
    /// Cells that held a cluster since the build: x1, y1, x2, y2 (inclusive).
    span: [i32; 4],
}

impl Level {
    fn new(cell: f64) -> Self {
        Level {
            cell,
            span: [i32::MAX, i32::MAX, i32::MIN, i32::MIN],
            ..Default::default()
        }
    }

    fn alloc(&mut self, cell: (i32, i32)) -> u32 {
        let c = match self.free.pop() {
            Some(c) => c,
            None => {
                self.cx.push(0);
                self.cy.push(0);
                self.count.push(0);
                self.sx.push(0.0);
                self.sy.push(0.0);
                self.bounds.push([0.0; 4]);
                self.top.push(NO_TOP);
                self.parent.push(NONE);
                self.next.push(NONE);
                self.first_child.push(NONE);
                self.first_node.push(NONE);
                self.alive.push(false);
                self.dirty.push(false);
                (self.count.len() - 1) as u32
            }
        };
        let k = c as usize;
        self.cx[k] = cell.0;
        self.cy[k] = cell.1;
        self.count[k] = 0;
        self.sx[k] = 0.0;
        self.sy[k] = 0.0;
        self.bounds[k] = [0.0; 4];
        self.top[k] = NO_TOP;
        self.parent[k] = NONE;
        self.next[k] = NONE;
        self.first_child[k] = NONE;
        self.first_node[k] = NONE;
        self.alive[k] = true;
        self.live += 1;
        self.cells.insert(cell, c);
        self.span = [
            self.span[0].min(cell.0),
            self.span[1].min(cell.1),
            self.span[2].max(cell.0),
            self.span[3].max(cell.1),
        ];
        c
    }

    fn mark(&mut self, c: u32) {
        let k = c as usize;
        if !self.dirty[k] {
            self.dirty[k] = true;
            self.dirty_list.push(c);
        }
    }

    fn centre(&self, c: u32) -> (f64, f64) {
        let k = c as usize;
        let n = self.count[k].max(1) as f64;
        (self.sx[k] / n, self.sy[k] / n)
    }

    fn bounds64(&self, c: u32) -> [f64; 4] {
        self.bounds[c as usize].map(|v| v as f64)
    }

    /// The cell's square: x1, y1, x2, y2.
    fn cell_rect(&self, c: u32) -> [f64; 4] {
        let k = c as usize;
        let (x, y) = (self.cx[k] as f64 * self.cell, self.cy[k] as f64 * self.cell);
        [x, y, x + self.cell, y + self.cell]
    }
}

/// Sibling lists: `head` holds the first, `next` links the rest. Unlinking
/// walks the list: a cell has at most four child cells, and the nodes of a
/// cell are few (a cell is a couple of hundred screen pixels at its zoom).
fn link(i: u32, head: &mut u32, next: &mut [u32]) {
    next[i as usize] = *head;
    *head = i;
}

fn unlink(i: u32, head: &mut u32, next: &mut [u32]) {
    if *head == i {
        *head = next[i as usize];
    } else {
        let mut k = *head;
        while k != NONE {
            let after = next[k as usize];
            if after == i {
                next[k as usize] = next[i as usize];
                break;
            }
            k = after;
        }
    }
    next[i as usize] = NONE;
}

fn entry(b: [f64; 4], id: u32) -> Entry {
    GeomWithData::new(Rectangle::from_corners([b[0], b[1]], [b[2], b[3]]), id)
}

fn union(a: &mut [f64; 4], b: &[f64; 4]) {
    a[0] = a[0].min(b[0]);
    a[1] = a[1].min(b[1]);
    a[2] = a[2].max(b[2]);
    a[3] = a[3].max(b[3]);
}

/// The cell of side `side` holding (x, y), clamped to i32 coordinates.
fn cell_of(side: f64, x: f64, y: f64) -> (i32, i32) {
    let c = |v: f64| (v / side).floor().clamp(-CELL_LIMIT, CELL_LIMIT) as i32;
    (c(x), c(y))
}

fn meets32(r: &Rect, b: &[f32; 4]) -> bool {
    meets(r, &b.map(|v| v as f64))
}

/// A box rounded outward to f32 (it contains the exact one).
fn outward(b: &[f64; 4]) -> [f32; 4] {
    [f32_down(b[0]), f32_down(b[1]), f32_up(b[2]), f32_up(b[3])]
}

fn node_bounds(wf: &Workflow, i: u32) -> [f64; 4] {
    let r = wf.rect(i);
    [r.x, r.y, r.x2(), r.y2()]
}

/// Does the closed box `b` meet the closed rectangle `r`?
fn meets(r: &Rect, b: &[f64; 4]) -> bool {
    b[0] <= r.x2() && b[2] >= r.x && b[1] <= r.y2() && b[3] >= r.y
}

/// Does `r` contain the box `b` (closed)? Then every member overlaps `r`.
fn contains(r: &Rect, b: &[f64; 4]) -> bool {
    b[0] >= r.x && b[2] <= r.x2() && b[1] >= r.y && b[3] <= r.y2()
}

/// The three most common types of (type, nodes) pairs sorted by type, most
/// common first (ties: lower type id).
fn top3_of(sorted: &[(u16, u32)]) -> Top3 {
    let mut top = NO_TOP;
    let mut i = 0;
    while i < sorted.len() {
        let t = sorted[i].0;
        let mut n = 0;
        while i < sorted.len() && sorted[i].0 == t {
            n += sorted[i].1;
            i += 1;
        }
        // Insert (t, n) keeping the order: count down, then type up.
        let better = |a: (u16, u32), b: (u16, u32)| a.1 > b.1 || (a.1 == b.1 && a.0 < b.0);
        let mut item = (t, n);
        for slot in top.iter_mut() {
            if slot.0 == NO_TYPE || better(item, *slot) {
                std::mem::swap(slot, &mut item);
                if item.0 == NO_TYPE {
                    break;
                }
            }
        }
    }
    top
}

/// What a frame shows of the clusters: the glyphs meeting the view and the
/// bundles between what is drawn.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ClusterFrame {
    /// False above `clustering.maxZoom`: the other fields are then empty.
    pub active: bool,
    /// Level drawn (1 = finest).
    pub level: u32,
    pub ids: Vec<u32>,
    pub count: Vec<u32>,
    /// x, y, width, height per cluster: the union of its members' rectangles.
    pub bounds: Vec<f64>,
    /// x, y, width, height per cluster: the glyph, `bounds` cut to the cell,
    /// so glyphs of one level never overlap.
    pub rect: Vec<f64>,
    /// x, y per cluster: the mean of member centres (inside `rect`).
    pub center: Vec<f64>,
    /// Up to three most common member types per cluster (u32::MAX pads):
    /// exact at level 1, merged from the children's above.
    pub type_ids: Vec<u32>,
    pub type_counts: Vec<u32>,
    /// Nodes inside the clusters listed.
    pub members: u64,
    /// Bundles drawn: ends (a node slot, or a cluster id where `bundle_kind`
    /// has SOURCE_IS_CLUSTER / TARGET_IS_CLUSTER), edges folded, and the
    /// segment between the ends' centres (x1, y1, x2, y2).
    pub bundle_source: Vec<u32>,
    pub bundle_target: Vec<u32>,
    pub bundle_kind: Vec<u8>,
    pub bundle_weight: Vec<u32>,
    pub bundle_segment: Vec<f64>,
}

/// Bits of `bundle_kind`.
pub const SOURCE_IS_CLUSTER: u8 = 1;
pub const TARGET_IS_CLUSTER: u8 = 2;

impl ClusterFrame {
    pub fn clear(&mut self) {
        self.active = false;
        self.level = 0;
        self.ids.clear();
        self.count.clear();
        self.bounds.clear();
        self.rect.clear();
        self.center.clear();
        self.type_ids.clear();
        self.type_counts.clear();
        self.members = 0;
        self.clear_bundles();
    }

    pub fn clear_bundles(&mut self) {
        self.bundle_source.clear();
        self.bundle_target.clear();
        self.bundle_kind.clear();
        self.bundle_weight.clear();
        self.bundle_segment.clear();
    }

    pub fn push_bundle(&mut self, source: u32, target: u32, kind: u8, weight: u32, seg: [f64; 4]) {
        self.bundle_source.push(source);
        self.bundle_target.push(target);
        self.bundle_kind.push(kind);
        self.bundle_weight.push(weight);
        self.bundle_segment.extend(seg);
    }

    /// Edges folded into the bundles listed.
    pub fn bundled_edges(&self) -> u64 {
        self.bundle_weight.iter().map(|&w| w as u64).sum()
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

/// The bundles of one level: one per pair of clusters joined by edges.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LevelBundles {
    /// Cluster indices (not ids) of the ends, a < b.
    pub a: Vec<u32>,
    pub b: Vec<u32>,
    pub weight: Vec<u32>,
    /// Bundles of cluster c: `adj[offsets[c]..offsets[c + 1]]`.
    offsets: Vec<u32>,
    adj: Vec<u32>,
}

impl LevelBundles {
    /// Bundles touching cluster index `c`.
    pub fn of(&self, c: u32) -> &[u32] {
        let k = c as usize;
        match (self.offsets.get(k), self.offsets.get(k + 1)) {
            (Some(&s), Some(&e)) => &self.adj[s as usize..e as usize],
            _ => &[],
        }
    }

    pub fn len(&self) -> usize {
        self.weight.len()
    }

    pub fn is_empty(&self) -> bool {
        self.weight.is_empty()
    }
}

#[derive(Debug, Default)]
pub struct ClusterIndex {
    max_zoom: f64,
    min_points: u32,
    radius_px: f64,
    levels: Vec<Level>,
    /// Per node slot: the cluster it joined (at level `node_join`), its next sibling there.
    node_parent: Vec<u32>,
    node_next: Vec<u32>,
    /// Join level; 0 when the node is in no cluster (not shown, or big at every level).
    node_join: Vec<u8>,
    /// Nodes big at level 1 (drawn alone at some level), with the box each was indexed with.
    bigs: RTree<Entry, FlowParams>,
    big_box: Map<u32, [f64; 4]>,
    /// Nodes added, moved or removed since the build.
    changes: usize,
    built_nodes: usize,
    /// Per level: bundles, computed when first needed after a change.
    bundles: Vec<Option<LevelBundles>>,
    /// The finest level with clusters (finer ones would hold one or two
    /// nodes per cell: frames at their zooms list nodes instead).
    first: usize,
    scratch: Vec<(u16, u32)>,
    /// Per-frame buffers, reused.
    found: Vec<u32>,
    stack: Vec<(usize, u32)>,
}

impl ClusterIndex {
    /// Build every level for the shown nodes, and every level's bundles.
    /// With `maxZoom` 0 (off) no level is built.
    pub fn build(wf: &Workflow, cfg: &ClusteringConfig) -> ClusterIndex {
        let mut b = ClusterBuild::new(wf, cfg);
        while !b.step(wf, usize::MAX) {}
        b.finish()
    }

    fn ensure_nodes(&mut self, n: usize) {
        if self.node_parent.len() < n {
            self.node_parent.resize(n, NONE);
            self.node_next.resize(n, NONE);
            self.node_join.resize(n, 0);
        }
    }

    /// The finest level with clusters (1 unless the nodes are sparse; 0 when
    /// no level is built). At the zooms of finer levels frames list nodes.
    pub fn first_level(&self) -> usize {
        if self.levels.is_empty() {
            0
        } else {
            self.first.max(1)
        }
    }

    /// Levels built (0 when clustering is off or nothing was shown).
    pub fn levels(&self) -> usize {
        self.levels.len()
    }

    pub fn min_points(&self) -> u32 {
        self.min_points
    }

    /// Whether this index was built with `cfg` (its levels and cells follow from it).
    pub fn built_for(&self, cfg: &ClusteringConfig) -> bool {
        self.max_zoom == cfg.max_zoom
            && self.min_points == cfg.min_points
            && self.radius_px == cfg.radius_px
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

    /// The level-1 cell of a point.
    fn cell1(&self, x: f64, y: f64) -> (i32, i32) {
        cell_of(self.levels[0].cell, x, y)
    }

    /// The first level (from the first built) at which a node of this size
    /// is not big (0: none).
    fn join_level(&self, b: &[f64; 4]) -> u8 {
        let size = (b[2] - b[0]).max(b[3] - b[1]);
        for (j, l) in self.levels.iter().enumerate().skip(self.first_level() - 1) {
            if size <= 2.0 * l.cell {
                return j as u8 + 1;
            }
        }
        0
    }

    /// The cluster of `cell` at level `j`, created (with its ancestors) when missing.
    fn cluster_at(&mut self, j: usize, cell: (i32, i32)) -> u32 {
        if let Some(&c) = self.levels[j - 1].cells.get(&cell) {
            return c;
        }
        let c = self.levels[j - 1].alloc(cell);
        self.levels[j - 1].mark(c);
        if j < self.levels.len() {
            let p = self.cluster_at(j + 1, (cell.0 >> 1, cell.1 >> 1));
            let (below, above) = self.levels.split_at_mut(j);
            let (l, u) = (&mut below[j - 1], &mut above[0]);
            l.parent[c as usize] = p;
            link(c, &mut u.first_child[p as usize], &mut l.next);
            u.mark(p);
        }
        c
    }

    /// Put a shown node into its clusters.
    fn attach(&mut self, wf: &Workflow, i: u32) {
        let k = i as usize;
        let b = node_bounds(wf, i);
        let join = self.join_level(&b);
        self.node_join[k] = join;
        if join as usize != self.first_level() {
            self.bigs.insert(entry(b, i));
            self.big_box.insert(i, b);
        }
        if join == 0 {
            return;
        }
        let c1 = self.cell1((b[0] + b[2]) / 2.0, (b[1] + b[3]) / 2.0);
        let shift = join as u32 - 1;
        let c = self.cluster_at(join as usize, (c1.0 >> shift, c1.1 >> shift));
        let l = &mut self.levels[join as usize - 1];
        link(i, &mut l.first_node[c as usize], &mut self.node_next);
        self.node_parent[k] = c;
        l.mark(c);
    }

    /// Take a node out of its clusters.
    fn detach(&mut self, i: u32) {
        let k = i as usize;
        if let Some(b) = self.big_box.remove(&i) {
            self.bigs.remove(&entry(b, i));
        }
        let c = self.node_parent[k];
        let join = self.node_join[k] as usize;
        if c != NONE && join >= 1 {
            let l = &mut self.levels[join - 1];
            unlink(i, &mut l.first_node[c as usize], &mut self.node_next);
            l.mark(c);
        }
        self.node_parent[k] = NONE;
        self.node_join[k] = 0;
    }

    /// Does the node sit where its position and size put it now?
    fn in_place(&self, wf: &Workflow, i: u32) -> bool {
        let k = i as usize;
        let b = node_bounds(wf, i);
        let join = self.join_level(&b);
        if join != self.node_join[k] {
            return false;
        }
        if join == 0 {
            return self.big_box.contains_key(&i);
        }
        let c = self.node_parent[k];
        if c == NONE {
            return false;
        }
        let c1 = self.cell1((b[0] + b[2]) / 2.0, (b[1] + b[3]) / 2.0);
        let shift = join as u32 - 1;
        let l = &self.levels[join as usize - 1];
        (l.cx[c as usize], l.cy[c as usize]) == (c1.0 >> shift, c1.1 >> shift)
    }

    /// Bring the index up to date for node slots that were added, moved,
    /// resized, re-typed, hidden, shown or removed.
    pub fn sync(&mut self, wf: &Workflow, touched: &[u32]) {
        if self.levels.is_empty() {
            return;
        }
        self.ensure_nodes(wf.slot_count());
        for &i in touched {
            let k = i as usize;
            if k >= wf.slot_count() {
                continue;
            }
            self.changes += 1;
            let indexed = self.node_parent[k] != NONE || self.big_box.contains_key(&i);
            if wf.is_shown(i) && indexed && self.in_place(wf, i) {
                // Same clusters: their geometry (and types) are refreshed below.
                if let Some(b) = self.big_box.get(&i).copied() {
                    let nb = node_bounds(wf, i);
                    if nb != b {
                        self.bigs.remove(&entry(b, i));
                        self.bigs.insert(entry(nb, i));
                        self.big_box.insert(i, nb);
                    }
                }
                let (c, join) = (self.node_parent[k], self.node_join[k] as usize);
                if c != NONE {
                    self.levels[join - 1].mark(c);
                }
                continue;
            }
            if indexed {
                self.detach(i);
            }
            if wf.is_shown(i) {
                self.attach(wf, i);
            }
            self.invalidate_bundles();
        }
        self.refresh(wf);
    }

    /// Edges changed: bundles are recomputed when next drawn.
    pub fn invalidate_bundles(&mut self) {
        for b in self.bundles.iter_mut() {
            *b = None;
        }
    }

    /// Recompute dirty clusters level by level, bottom up; free empty ones.
    fn refresh(&mut self, wf: &Workflow) {
        let mut level = 1;
        while !self.refresh_step(wf, &mut level, usize::MAX) {}
    }

    /// Up to `budget` clusters of `refresh`, from `level` on; true when done.
    fn refresh_step(&mut self, wf: &Workflow, level: &mut usize, mut budget: usize) -> bool {
        while *level <= self.levels.len() {
            let j = *level;
            while let Some(c) = self.levels[j - 1].dirty_list.pop() {
                if budget == 0 {
                    self.levels[j - 1].dirty_list.push(c);
                    return false;
                }
                // Charged by what it reads: a cluster's nodes and children.
                let cost = self.refresh_one(wf, j, c);
                budget = budget.saturating_sub(cost.max(1));
            }
            *level += 1;
        }
        true
    }

    /// Refresh one dirty cluster; returns the items it read.
    fn refresh_one(&mut self, wf: &Workflow, j: usize, c: u32) -> usize {
        let k = c as usize;
        self.levels[j - 1].dirty[k] = false;
        if !self.levels[j - 1].alive[k] {
            return 1;
        }
        let l = &self.levels[j - 1];
        let before = (l.count[k], l.bounds[k], l.sx[k], l.sy[k], l.top[k]);
        let read = self.aggregate(wf, j, c);
        let (this, above) = self.levels.split_at_mut(j);
        let l = &mut this[j - 1];
        let parent = l.parent[k];
        if l.count[k] == 0 {
            // Empty: leave the parent and free the cell.
            l.alive[k] = false;
            l.live -= 1;
            l.free.push(c);
            let cell = (l.cx[k], l.cy[k]);
            l.cells.remove(&cell);
            if let Some(u) = above.first_mut() {
                if parent != NONE {
                    unlink(c, &mut u.first_child[parent as usize], &mut l.next);
                    u.mark(parent);
                }
            }
            l.parent[k] = NONE;
            return read;
        }
        let after = (l.count[k], l.bounds[k], l.sx[k], l.sy[k], l.top[k]);
        if after != before && parent != NONE {
            if let Some(u) = above.first_mut() {
                u.mark(parent);
            }
        }
        read
    }

    /// Recompute a cluster's count, centre sums, bounds and types from its
    /// child clusters and the nodes that joined at its level.
    fn aggregate(&mut self, wf: &Workflow, j: usize, c: u32) -> usize {
        let k = c as usize;
        let (mut count, mut sx, mut sy) = (0u32, 0.0f64, 0.0f64);
        let mut b = [
            f64::INFINITY,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NEG_INFINITY,
        ];
        let scratch = &mut self.scratch;
        scratch.clear();
        let mut n = self.levels[j - 1].first_node[k];
        while n != NONE {
            let nb = node_bounds(wf, n);
            count += 1;
            sx += (nb[0] + nb[2]) / 2.0;
            sy += (nb[1] + nb[3]) / 2.0;
            union(&mut b, &nb);
            scratch.push((wf.type_id(n), 1));
            n = self.node_next[n as usize];
        }
        if j > 1 {
            let (below, rest) = self.levels.split_at(j - 1);
            let prev = &below[j - 2];
            let mut child = rest[0].first_child[k];
            while child != NONE {
                let ck = child as usize;
                count += prev.count[ck];
                sx += prev.sx[ck];
                sy += prev.sy[ck];
                union(&mut b, &prev.bounds64(child));
                scratch.extend(prev.top[ck].iter().filter(|t| t.0 != NO_TYPE));
                child = prev.next[ck];
            }
        }
        scratch.sort_unstable_by_key(|t| t.0);
        let top = top3_of(scratch);
        let scratch_len = scratch.len();
        let l = &mut self.levels[j - 1];
        l.count[k] = count;
        l.sx[k] = sx;
        l.sy[k] = sy;
        l.bounds[k] = if count > 0 { outward(&b) } else { [0.0; 4] };
        l.top[k] = top;
        1 + scratch_len
    }

    /// Index (within level `j`) of the cluster containing node slot `i`, if the
    /// node is in a cluster at that level (not big there, and shown).
    fn cluster_index_of(&self, i: u32, j: usize) -> Option<u32> {
        let k = i as usize;
        let mut c = *self.node_parent.get(k)?;
        let join = self.node_join[k] as usize;
        if c == NONE || join == 0 || j < join || j > self.levels.len() {
            return None;
        }
        for l in &self.levels[join - 1..j - 1] {
            c = l.parent[c as usize];
            if c == NONE {
                return None;
            }
        }
        Some(c)
    }

    /// Cluster id of level `j` containing node slot `i`, if any.
    pub fn cluster_of(&self, i: u32, j: usize) -> Option<u32> {
        self.cluster_index_of(i, j).map(|c| cluster_id(j, c))
    }

    /// The glyph drawn for node `i` at level `j`: its cluster when that
    /// stands for at least `minPoints` nodes, else None (the node is drawn alone).
    pub fn glyph_of(&self, i: u32, j: usize) -> Option<u32> {
        let c = self.cluster_index_of(i, j)?;
        (self.levels[j - 1].count[c as usize] >= self.min_points).then_some(cluster_id(j, c))
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
        if !self.contains(id) {
            return None;
        }
        let (j, c) = split_id(id);
        Some(self.levels[j - 1].count[c as usize])
    }

    /// Every node under cluster (j, c), pushed to `out`.
    fn members_into(&self, j: usize, c: u32, out: &mut Vec<u32>) {
        let mut stack = vec![(j, c)];
        while let Some((lj, lc)) = stack.pop() {
            let l = &self.levels[lj - 1];
            let mut n = l.first_node[lc as usize];
            while n != NONE {
                out.push(n);
                n = self.node_next[n as usize];
            }
            if lj > 1 {
                let mut ch = l.first_child[lc as usize];
                while ch != NONE {
                    stack.push((lj - 1, ch));
                    ch = self.levels[lj - 2].next[ch as usize];
                }
            }
        }
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
        if j > 1 {
            let mut ch = self.levels[j - 1].first_child[c as usize];
            while ch != NONE {
                out.children.push(cluster_id(j - 1, ch));
                ch = self.levels[j - 2].next[ch as usize];
            }
        }
        self.members_into(j, c, &mut out.members);
        // It splits where it first has more than one child (a cluster or a
        // node), as supercluster's getClusterExpansionZoom.
        let (mut lj, mut lc) = (j, c);
        while lj > 1 {
            let l = &self.levels[lj - 1];
            let first = l.first_child[lc as usize];
            let alone = l.first_node[lc as usize] == NONE
                && first != NONE
                && self.levels[lj - 2].next[first as usize] == NONE;
            if !alone {
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
        Some((l.bounds64(c), l.centre(c)))
    }

    /// The cell of a live cluster (x1, y1, x2, y2): its glyph stays inside.
    pub fn cell(&self, id: u32) -> Option<[f64; 4]> {
        if !self.contains(id) {
            return None;
        }
        let (j, c) = split_id(id);
        Some(self.levels[j - 1].cell_rect(c))
    }

    /// The three most common member types of a live cluster, most common
    /// first (exact at level 1; above, merged from the children's three).
    pub fn types(&self, id: u32) -> Option<Top3> {
        if !self.contains(id) {
            return None;
        }
        let (j, c) = split_id(id);
        Some(self.levels[j - 1].top[c as usize])
    }

    /// Shown nodes of cluster (j, c) overlapping `view` (React Flow's rule),
    /// splitting only the clusters on the view's boundary.
    fn count_in_view(
        &self,
        wf: &Workflow,
        (j, c): (usize, u32),
        view: &Rect,
        stack: &mut Vec<(usize, u32)>,
        work: &mut u64,
    ) -> u64 {
        let mut total = 0;
        stack.clear();
        stack.push((j, c));
        while let Some((lj, lc)) = stack.pop() {
            *work += 1;
            let l = &self.levels[lj - 1];
            let k = lc as usize;
            let b = &l.bounds64(lc);
            if contains(view, b) {
                total += l.count[k] as u64;
                continue;
            }
            if !meets(view, b) {
                continue;
            }
            let mut n = l.first_node[k];
            while n != NONE {
                *work += 1;
                let r = wf.rect(n);
                if overlaps(view, r.x, r.y, r.x2(), r.y2()) {
                    total += 1;
                }
                n = self.node_next[n as usize];
            }
            if lj > 1 {
                let mut ch = l.first_child[k];
                while ch != NONE {
                    stack.push((lj - 1, ch));
                    ch = self.levels[lj - 2].next[ch as usize];
                }
            }
        }
        total
    }

    /// Visit the live clusters of level `j` whose bounds may meet `r`: the
    /// cells around `r` (a member's rectangle reaches at most one cell past
    /// its own), or every cluster when that is fewer.
    fn visit_level(&self, j: usize, r: &Rect, mut f: impl FnMut(u32)) {
        let l = &self.levels[j - 1];
        // Cells of level j are level-1 cells halved j − 1 times.
        let shift = (j - 1) as u32;
        let (a, b) = (self.cell1(r.x, r.y), self.cell1(r.x2(), r.y2()));
        let x0 = (a.0 >> shift).saturating_sub(2).max(l.span[0]);
        let y0 = (a.1 >> shift).saturating_sub(2).max(l.span[1]);
        let x1 = (b.0 >> shift).saturating_add(2).min(l.span[2]);
        let y1 = (b.1 >> shift).saturating_add(2).min(l.span[3]);
        if x0 > x1 || y0 > y1 {
            return;
        }
        let cells = (x1 as f64 - x0 as f64 + 1.0) * (y1 as f64 - y0 as f64 + 1.0);
        if cells > l.live as f64 {
            for (k, &alive) in l.alive.iter().enumerate() {
                if alive && meets32(r, &l.bounds[k]) {
                    f(k as u32);
                }
            }
            return;
        }
        for y in y0..=y1 {
            for x in x0..=x1 {
                if let Some(&k) = l.cells.get(&(x, y)) {
                    if meets32(r, &l.bounds[k as usize]) {
                        f(k);
                    }
                }
            }
        }
    }

    /// A frame at level `j` for `(view, outer)`: the glyphs (clusters of at
    /// least `minPoints` nodes) meeting `view` go to `out`; nodes drawn alone
    /// (big ones, and the members of smaller clusters) meeting `outer` (the
    /// view grown by the overscan) go to `alone`. Returns the
    /// number of glyph members overlapping `view`, counted exactly. `work`
    /// counts clusters and nodes visited (the cost, for scaling tests).
    pub fn frame(
        &mut self,
        wf: &Workflow,
        j: usize,
        (view, outer): (&Rect, &Rect),
        out: &mut ClusterFrame,
        alone: &mut Vec<u32>,
        work: &mut u64,
    ) -> u64 {
        out.clear();
        alone.clear();
        if self.levels.is_empty() {
            return 0;
        }
        let j = j.clamp(1, self.levels.len());
        out.active = true;
        out.level = j as u32;
        let min = self.min_points;
        let mut found = std::mem::take(&mut self.found);
        let mut stack = std::mem::take(&mut self.stack);
        found.clear();
        self.visit_level(j, outer, |c| found.push(c));
        let mut in_view = 0u64;
        for &c in &found {
            *work += 1;
            let k = c as usize;
            let l = &self.levels[j - 1];
            if l.count[k] >= min {
                if meets32(view, &l.bounds[k]) {
                    self.push_glyph(j, c, out);
                    in_view += self.count_in_view(wf, (j, c), view, &mut stack, work);
                }
            } else {
                let from = alone.len();
                self.members_into(j, c, alone);
                *work += (alone.len() - from) as u64;
                let mut keep = from;
                for m in from..alone.len() {
                    let n = alone[m];
                    if meets(outer, &node_bounds(wf, n)) {
                        alone[keep] = n;
                        keep += 1;
                    }
                }
                alone.truncate(keep);
            }
        }
        // Big nodes: drawn alone at the levels where they are not in a cluster.
        let env = AABB::from_corners([outer.x, outer.y], [outer.x2(), outer.y2()]);
        let joins = &self.node_join;
        let _ = self
            .bigs
            .locate_in_envelope_intersecting_int(env, |e| -> ControlFlow<()> {
                *work += 1;
                let jn = joins.get(e.data as usize).copied().unwrap_or(0) as usize;
                if jn == 0 || jn > j {
                    alone.push(e.data);
                }
                ControlFlow::Continue(())
            });
        self.found = found;
        self.stack = stack;
        in_view
    }

    fn push_glyph(&self, j: usize, c: u32, out: &mut ClusterFrame) {
        let l = &self.levels[j - 1];
        let k = c as usize;
        let b = l.bounds64(c);
        let cell = l.cell_rect(c);
        let (x1, y1) = (b[0].max(cell[0]), b[1].max(cell[1]));
        let (x2, y2) = (b[2].min(cell[2]), b[3].min(cell[3]));
        let (cx, cy) = l.centre(c);
        let glyph = if x1 <= x2 && y1 <= y2 {
            [x1, y1, x2 - x1, y2 - y1]
        } else {
            [cx, cy, 0.0, 0.0]
        };
        out.ids.push(cluster_id(j, c));
        out.count.push(l.count[k]);
        out.members += l.count[k] as u64;
        out.bounds.extend([b[0], b[1], b[2] - b[0], b[3] - b[1]]);
        out.rect.extend(glyph);
        out.center.extend([cx, cy]);
        for (t, n) in l.top[k] {
            out.type_ids
                .push(if t == NO_TYPE { u32::MAX } else { t as u32 });
            out.type_counts.push(n);
        }
    }

    /// The glyphs of the level for `zoom` that meet `view` (for `clusters()`;
    /// no count of the nodes in view, no nodes drawn alone, no bundles).
    pub fn query(&mut self, zoom: f64, view: &Rect, out: &mut ClusterFrame) {
        out.clear();
        if self.levels.is_empty() {
            return;
        }
        let j = self.level_for_zoom(zoom);
        out.active = true;
        out.level = j as u32;
        let mut found = std::mem::take(&mut self.found);
        found.clear();
        self.visit_level(j, view, |c| found.push(c));
        for &c in &found {
            if self.levels[j - 1].count[c as usize] >= self.min_points {
                self.push_glyph(j, c, out);
            }
        }
        self.found = found;
    }

    /// Add to `out` the bundles between the glyphs it lists, from the level's
    /// bundles (computed now if a change made them stale).
    pub fn glyph_bundles(&mut self, wf: &Workflow, out: &mut ClusterFrame, work: &mut u64) {
        if !out.active {
            return;
        }
        let j = out.level as usize;
        if self.bundles.get(j - 1).is_some_and(|b| b.is_none()) {
            let b = self.compute_bundles(wf, j);
            self.bundles[j - 1] = Some(b);
        }
        let Some(Some(bundles)) = self.bundles.get(j - 1) else {
            return;
        };
        let l = &self.levels[j - 1];
        let min = self.min_points;
        // The glyphs listed, to draw a bundle between two of them once.
        let mut listed: Vec<u32> = out.ids.iter().map(|&id| split_id(id).1).collect();
        listed.sort_unstable();
        for g in 0..out.ids.len() {
            let (_, c) = split_id(out.ids[g]);
            for &k in bundles.of(c) {
                *work += 1;
                let k = k as usize;
                let (a, b) = (bundles.a[k], bundles.b[k]);
                let other = if a == c { b } else { a };
                let ok = l.alive.get(other as usize).copied().unwrap_or(false)
                    && l.count[other as usize] >= min;
                // Once per bundle: from its smaller end when both are listed.
                if !ok || (other < c && listed.binary_search(&other).is_ok()) {
                    continue;
                }
                let (p, q) = (l.centre(c), l.centre(other));
                out.push_bundle(
                    cluster_id(j, c),
                    cluster_id(j, other),
                    SOURCE_IS_CLUSTER | TARGET_IS_CLUSTER,
                    bundles.weight[k],
                    [p.0, p.1, q.0, q.1],
                );
            }
        }
    }

    /// Centre of a live cluster by id.
    pub fn centre(&self, id: u32) -> Option<(f64, f64)> {
        self.geometry(id).map(|g| g.1)
    }

    /// The bundles of level `j` (computed now if stale), for tests and stats.
    pub fn bundles_at(&mut self, wf: &Workflow, j: usize) -> Option<&LevelBundles> {
        if j == 0 || j > self.levels.len() {
            return None;
        }
        if self.bundles[j - 1].is_none() {
            let b = self.compute_bundles(wf, j);
            self.bundles[j - 1] = Some(b);
        }
        self.bundles[j - 1].as_ref()
    }

    /// Fold the shown edges between different clusters of level `j` into
    /// one bundle per pair: O(edges × j) and a sort.
    fn compute_bundles(&self, wf: &Workflow, j: usize) -> LevelBundles {
        let mut keys: Vec<u64> = Vec::new();
        for e in wf.live_edge_slots() {
            if !wf.edge_shown(e) {
                continue;
            }
            let (s, t) = wf.edge_ends_of(e);
            if let (Some(a), Some(b)) = (self.cluster_index_of(s, j), self.cluster_index_of(t, j)) {
                push_key(&mut keys, a, b);
            }
        }
        self.pack_bundles(j, keys)
    }

    /// Bundles of level `j` from one key per edge between clusters.
    fn pack_bundles(&self, j: usize, mut keys: Vec<u64>) -> LevelBundles {
        keys.sort_unstable();
        self.pack_sorted(j, &keys)
    }

    /// Bundles of level `j` from the sorted keys.
    fn pack_sorted(&self, j: usize, keys: &[u64]) -> LevelBundles {
        let mut out = LevelBundles::default();
        let mut i = 0;
        while i < keys.len() {
            let k = keys[i];
            let mut w = 0;
            while i < keys.len() && keys[i] == k {
                w += 1;
                i += 1;
            }
            out.a.push((k >> 32) as u32);
            out.b.push(k as u32);
            out.weight.push(w);
        }
        // Adjacency (both ends), counting sort by cluster.
        let n = self.levels[j - 1].count.len();
        let mut offsets = vec![0u32; n + 1];
        for (&a, &b) in out.a.iter().zip(&out.b) {
            offsets[a as usize + 1] += 1;
            offsets[b as usize + 1] += 1;
        }
        for c in 0..n {
            offsets[c + 1] += offsets[c];
        }
        let mut fill = offsets.clone();
        let mut adj = vec![0u32; 2 * out.a.len()];
        for (k, (&a, &b)) in out.a.iter().zip(&out.b).enumerate() {
            for end in [a, b] {
                adj[fill[end as usize] as usize] = k as u32;
                fill[end as usize] += 1;
            }
        }
        out.offsets = offsets;
        out.adj = adj;
        out
    }
}

/// A level-1 cell as a Morton (Z-order) code: the cell of level j is the
/// code without its low 2 (j − 1) bits, so a sorted list of codes lists
/// every cell of every level as one run.
fn morton(c: (i32, i32)) -> u64 {
    fn spread(v: u32) -> u64 {
        let mut x = v as u64;
        x = (x | x << 16) & 0x0000_ffff_0000_ffff;
        x = (x | x << 8) & 0x00ff_00ff_00ff_00ff;
        x = (x | x << 4) & 0x0f0f_0f0f_0f0f_0f0f;
        x = (x | x << 2) & 0x3333_3333_3333_3333;
        x = (x | x << 1) & 0x5555_5555_5555_5555;
        x
    }
    // Biased to unsigned, so the order of codes is the order of cells.
    let (x, y) = ((c.0 as u32) ^ 0x8000_0000, (c.1 as u32) ^ 0x8000_0000);
    spread(x) | spread(y) << 1
}

/// The finest of `levels` levels whose cells hold `DENSE_ENOUGH` nodes on
/// average, from the nodes' sorted level-1 Morton codes (the top level if
/// none): two neighbours in the list share the cells of every level above
/// the one where their codes first differ.
fn first_dense_level(sorted: &[u64], levels: usize) -> usize {
    if sorted.is_empty() || levels == 0 {
        return 1;
    }
    // split[k]: neighbours in different cells up to level k + 1.
    let mut split = [0usize; 33];
    for w in sorted.windows(2) {
        let d = w[0] ^ w[1];
        if d != 0 {
            let h = 63 - d.leading_zeros() as usize;
            split[h / 2] += 1;
        }
    }
    // cells(j) = 1 + neighbours split at level j or coarser.
    let mut coarser = 0usize;
    let mut cells = [1usize; 34];
    for k in (0..33).rev() {
        coarser += split[k];
        cells[k + 1] = 1 + coarser;
    }
    let n = sorted.len() as f64;
    (1..=levels)
        .find(|&j| n / cells[j.min(33)] as f64 >= DENSE_ENOUGH)
        .unwrap_or(levels)
}

/// The key of an edge between clusters a and b of one level (unordered).
fn push_key(keys: &mut Vec<u64>, a: u32, b: u32) {
    if a != b {
        let (a, b) = (a.min(b), a.max(b));
        keys.push((a as u64) << 32 | b as u64);
    }
}

/// `ClusterIndex::build` in steps of bounded work (a load spread over many
/// short tasks): the nodes' extent, then each node into its clusters, then
/// the aggregates level by level, then every level's bundles.
#[derive(Debug)]
pub struct ClusterBuild {
    ix: ClusterIndex,
    phase: BuildPhase,
    cursor: usize,
    lo: [f64; 2],
    hi: [f64; 2],
    shown: usize,
    level: usize,
    /// Per node: its cluster index at the level whose bundles are collected.
    at: Vec<u32>,
    keys: Vec<u64>,
    sort: Option<Box<RadixSort>>,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum BuildPhase {
    Extent,
    Density,
    Attach,
    Refresh,
    Bundles,
    Done,
}

impl ClusterBuild {
    pub fn new(wf: &Workflow, cfg: &ClusteringConfig) -> ClusterBuild {
        let mut ix = ClusterIndex {
            max_zoom: cfg.max_zoom,
            min_points: cfg.min_points,
            radius_px: cfg.radius_px,
            ..Default::default()
        };
        ix.ensure_nodes(wf.slot_count());
        let cell1 = cfg.radius_px * 2.0 / cfg.max_zoom;
        let on = cfg.max_zoom > 0.0 && cell1.is_finite() && cell1 > 0.0;
        if on {
            // Level 1 now (its cell sizes the rest once the extent is known).
            ix.levels.push(Level::new(cell1));
        }
        ClusterBuild {
            ix,
            phase: if on {
                BuildPhase::Extent
            } else {
                BuildPhase::Done
            },
            cursor: 0,
            lo: [f64::INFINITY; 2],
            hi: [f64::NEG_INFINITY; 2],
            shown: 0,
            level: 1,
            at: Vec::new(),
            keys: Vec::new(),
            sort: None,
        }
    }

    /// Work `budget` nodes, clusters or edges further; true when done.
    pub fn step(&mut self, wf: &Workflow, mut budget: usize) -> bool {
        let slots = wf.slot_count();
        // A phase that ends leaves the rest of the budget to the next step:
        // a unit of one phase costs far more than a unit of another.
        let unlimited = budget == usize::MAX;
        loop {
            match self.phase {
                BuildPhase::Done => return true,
                BuildPhase::Extent => {
                    while self.cursor < slots {
                        if budget == 0 {
                            return false;
                        }
                        budget -= 1;
                        let i = self.cursor as u32;
                        self.cursor += 1;
                        if !wf.is_shown(i) {
                            continue;
                        }
                        let b = node_bounds(wf, i);
                        let (x, y) = ((b[0] + b[2]) / 2.0, (b[1] + b[3]) / 2.0);
                        self.lo = [self.lo[0].min(x), self.lo[1].min(y)];
                        self.hi = [self.hi[0].max(x), self.hi[1].max(y)];
                        self.shown += 1;
                        let c = self.ix.cell1(x, y);
                        self.keys.push(morton(c));
                    }
                    if self.shown == 0 {
                        self.ix.levels.clear();
                        self.phase = BuildPhase::Done;
                        continue;
                    }
                    // Levels until one cell is as wide as the spread of the centres.
                    let extent = (self.hi[0] - self.lo[0]).max(self.hi[1] - self.lo[1]);
                    let mut cell = self.ix.levels[0].cell;
                    while self.ix.levels.len() < MAX_LEVELS
                        && cell < extent
                        && (cell * 2.0).is_finite()
                    {
                        cell *= 2.0;
                        self.ix.levels.push(Level::new(cell));
                    }
                    self.ix.bundles = vec![None; self.ix.levels.len()];
                    self.ix.built_nodes = self.shown;
                    self.phase = BuildPhase::Density;
                    if unlimited {
                        continue;
                    }
                    return false;
                }
                BuildPhase::Density => {
                    // A sort in steps, then the cells per level in one pass.
                    let sort = self.sort.get_or_insert_with(|| {
                        Box::new(RadixSort::new(std::mem::take(&mut self.keys)))
                    });
                    if !sort.step(budget) {
                        return false;
                    }
                    let keys = self.sort.take().map(|s| s.finish()).unwrap_or_default();
                    self.ix.first = first_dense_level(&keys, self.ix.levels.len());
                    self.cursor = 0;
                    self.phase = BuildPhase::Attach;
                    if !unlimited {
                        return false;
                    }
                }
                BuildPhase::Attach => {
                    while self.cursor < slots {
                        if budget == 0 {
                            return false;
                        }
                        budget -= 1;
                        let i = self.cursor as u32;
                        self.cursor += 1;
                        if wf.is_shown(i) {
                            self.ix.attach(wf, i);
                        }
                    }
                    self.level = 1;
                    self.phase = BuildPhase::Refresh;
                    if !unlimited {
                        return false;
                    }
                }
                BuildPhase::Refresh => {
                    if !self.ix.refresh_step(wf, &mut self.level, budget) {
                        return false;
                    }
                    self.level = 0;
                    self.cursor = 0;
                    self.at = Vec::new();
                    self.phase = BuildPhase::Bundles;
                    if !unlimited {
                        return false;
                    }
                }
                BuildPhase::Bundles => {
                    // Level by level: each node's cluster at the level (its
                    // cluster one level down, moved up; or where it joins),
                    // then one key per edge, then the bundles.
                    let levels = self.ix.levels.len();
                    if self.level == 0 {
                        self.level = self.ix.first_level();
                        self.cursor = 0;
                        self.at = vec![NONE; slots];
                    }
                    while self.level <= levels {
                        let j = self.level;
                        // Pass 1 (cursor < slots): nodes; pass 2: edges.
                        while self.cursor < slots {
                            if budget == 0 {
                                return false;
                            }
                            budget -= 1;
                            let k = self.cursor;
                            self.cursor += 1;
                            let join = self.ix.node_join[k] as usize;
                            let cur = self.at[k];
                            self.at[k] = if join == 0 || j < join {
                                NONE
                            } else if j == join {
                                self.ix.node_parent[k]
                            } else if cur == NONE {
                                NONE
                            } else {
                                self.ix.levels[j - 2].parent[cur as usize]
                            };
                        }
                        let edges = wf.edge_slot_count();
                        while self.cursor < slots + edges {
                            if budget == 0 {
                                return false;
                            }
                            budget -= 1;
                            let e = (self.cursor - slots) as u32;
                            self.cursor += 1;
                            if !wf.edge_shown(e) {
                                continue;
                            }
                            let (s, t) = wf.edge_ends_of(e);
                            let (a, b) = (self.at[s as usize], self.at[t as usize]);
                            if a != NONE && b != NONE {
                                push_key(&mut self.keys, a, b);
                            }
                        }
                        // The sort in steps, then the bundles in one pass.
                        let sort = self.sort.get_or_insert_with(|| {
                            Box::new(RadixSort::new(std::mem::take(&mut self.keys)))
                        });
                        if !sort.step(budget) {
                            return false;
                        }
                        let keys = self.sort.take().map(|s| s.finish()).unwrap_or_default();
                        self.ix.bundles[j - 1] = Some(self.ix.pack_sorted(j, &keys));
                        self.level += 1;
                        self.cursor = 0;
                        if !unlimited {
                            return self.level > levels && self.finish_bundles();
                        }
                    }
                    self.at = Vec::new();
                    self.phase = BuildPhase::Done;
                }
            }
        }
    }

    /// The last level's bundles are in: the build is done.
    fn finish_bundles(&mut self) -> bool {
        self.at = Vec::new();
        self.phase = BuildPhase::Done;
        true
    }

    /// How far the build is, from 0 to 1 (for progress reports).
    pub fn progress(&self, wf: &Workflow) -> f64 {
        let n = wf.slot_count().max(1) as f64;
        let e = wf.edge_slot_count() as f64;
        let levels = self.ix.levels.len().max(1) as f64;
        let level = self.level.saturating_sub(1).min(self.ix.levels.len()) as f64;
        let p = match self.phase {
            BuildPhase::Extent => 0.1 * self.cursor as f64 / n,
            BuildPhase::Density => 0.1,
            BuildPhase::Attach => 0.1 + 0.4 * self.cursor as f64 / n,
            BuildPhase::Refresh => 0.5 + 0.1 * level / levels,
            BuildPhase::Bundles => 0.6 + 0.4 * (level + self.cursor as f64 / (n + e)) / levels,
            BuildPhase::Done => 1.0,
        };
        p.clamp(0.0, 1.0)
    }

    /// The index (step until `step` returns true first).
    pub fn finish(self) -> ClusterIndex {
        debug_assert!(
            self.phase == BuildPhase::Done,
            "finish before the last step"
        );
        self.ix
    }

    pub fn is_done(&self) -> bool {
        self.phase == BuildPhase::Done
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
    edges_changed: bool,
}

impl ZoomClusters {
    /// Forget everything (a new workflow or config).
    pub fn reset(&mut self) {
        self.index = None;
        self.pending.clear();
        self.queued.clear();
        self.edges_changed = false;
    }

    /// Take a built index (a new workflow whose clusters were built with it).
    pub fn install(&mut self, index: ClusterIndex) {
        self.reset();
        self.index = Some(index);
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

    /// Note that edges were added, removed or hidden (bundles change).
    pub fn note_edges(&mut self) {
        self.edges_changed = true;
    }

    /// The index, up to date with `wf`.
    pub fn ensure(
        &mut self,
        wf: &Workflow,
        cfg: &ClusteringConfig,
        rebuild_fraction: f64,
    ) -> &mut ClusterIndex {
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
            if self.edges_changed {
                ix.invalidate_bundles();
            }
        }
        self.edges_changed = false;
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

    pub fn current_mut(&mut self) -> Option<&mut ClusterIndex> {
        self.index.as_mut()
    }
}
