//! The per-frame core behind the JS `WorkflowOptimizer`: model + R-tree +
//! level of detail + mounted window. Platform-free; `src/web/` wraps it.
//!
//! Above `clustering.maxZoom` a frame costs O(log N + k) where k is what the
//! overscanned viewport holds: one R-tree query for nodes, one for edges, and
//! a pass over the (bounded) window. Below it the frame is cluster-first: the
//! cells of the zoom's cluster level that meet the view give the glyphs, the
//! exact count of nodes in view (splitting only clusters on the boundary) and
//! the few nodes drawn alone; member nodes and their edges are never listed,
//! so a frame costs what it draws whatever the size of the workflow. The
//! complete lists (`inView`, `lod`, visible edges) are then computed on demand
//! (`frame_detail`). All output buffers are reused from frame to frame.

use crate::cluster::zoom::{ClusterFrame, ClusterIndex, ZoomClusters, TARGET_IS_CLUSTER};
use crate::config::Config;
use crate::edges::simplify::{simplify, DrawnClusters, SimplifiedEdges};
use crate::error::{ErrorCode, FlowscaleError, Result};
use crate::load::{LoadJob, Loaded};
use crate::lod::{LodPolicy, LOW, MEDIUM};
use crate::model::{EdgeChange, EdgeInput, NodeChange, NodeInput, Rect, Workflow};
use crate::spatial::window::{Window, ALONE, ENTERED, SEEN};
use crate::spatial::{edge_overlaps, overlaps, rf_inside, zero_area, Hit, SpatialIndex};

/// React Flow's viewport: screen = world × zoom + (x, y).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Viewport {
    pub x: f64,
    pub y: f64,
    pub zoom: f64,
}

/// The pane size in CSS pixels.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Screen {
    pub width: f64,
    pub height: f64,
}

#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct FrameStats {
    pub total: u32,
    pub in_view: u32,
    pub culled: u32,
    pub culled_percent: f64,
    /// Counts of HIGH, MEDIUM, LOW among `in_view`.
    pub lod_counts: [u32; 3],
}

/// One frame's answer. Slots index the model; the web layer maps them to ids.
#[derive(Debug, Default)]
pub struct Frame {
    /// Shown nodes overlapping the viewport: every one when `complete`,
    /// else only those drawn alone (outside cluster glyphs).
    pub in_view: Vec<u32>,
    /// Level of detail parallel to `in_view`; in-view nodes outside the window are LOW.
    pub lod: Vec<u8>,
    /// The window: nodes React should mount.
    pub visible: Vec<u32>,
    /// Level of detail parallel to `visible` (HIGH or MEDIUM).
    pub visible_lod: Vec<u8>,
    /// Edges with both ends in the window: what React Flow draws.
    pub window_edges: Vec<u32>,
    pub entered: Vec<u32>,
    pub left: Vec<u32>,
    /// Ids that left because their node was removed (no slot to name them by).
    pub left_ids: Vec<String>,
    /// Edges whose bounds overlap the viewport (React Flow's `isEdgeVisible`)
    /// when `complete`; else the edges between nodes drawn alone near the view.
    pub edges: Vec<u32>,
    /// Whether `in_view`, `lod` and `edges` list everything in view (above
    /// `clustering.maxZoom`). Below it they hold what is drawn one by one, and
    /// `WorkflowOptimizer::frame_detail` computes the complete lists on demand.
    pub complete: bool,
    pub stats: FrameStats,
    /// The viewport and pane this frame was computed for.
    pub viewport: Viewport,
    pub screen: Screen,
    /// Frames computed so far (0: none yet).
    pub seq: u64,
    /// Zoom-level clusters, active below `clustering.maxZoom`: glyphs and bundles.
    pub clusters: ClusterFrame,
    /// Clusters, nodes and edges the frame visited: its cost in operations
    /// (for scaling tests; independent of the machine).
    pub work: u64,
}

/// The complete lists of a frame computed below `clustering.maxZoom`
/// (`WorkflowOptimizer::frame_detail`), as an eager frame has them.
#[derive(Debug, Default)]
pub struct FrameDetail {
    pub in_view: Vec<u32>,
    pub lod: Vec<u8>,
    pub edges: Vec<u32>,
    /// The frame these lists belong to.
    pub seq: u64,
}

/// Node slots whose drawing data changed since a renderer last took them.
#[derive(Debug, Default)]
pub struct DrawDirty {
    /// Everything changed (a new workflow, or too many slots to list).
    pub all: bool,
    pub slots: Vec<u32>,
}

pub struct WorkflowOptimizer {
    config: Config,
    lod: LodPolicy,
    wf: Workflow,
    index: SpatialIndex,
    window: Window,
    median: f64,
    /// Node size changes since the median was last computed.
    size_changes: usize,
    frame: Frame,
    hits: Vec<Hit>,
    candidates: Vec<(f64, u32)>,
    chosen: Vec<u32>,
    draw_dirty: DrawDirty,
    clusters: ZoomClusters,
    /// Viewport and pane of the last frame.
    last_view: Option<(Viewport, Screen)>,
    /// Nodes drawn alone in a cluster-first frame.
    alone: Vec<u32>,
    /// (node, glyph) → bundle index, per frame.
    node_bundles: hashbrown::HashMap<(u32, u32), usize, foldhash::fast::FixedState>,
    /// Bumped by every edit: a frame's on-demand lists need the state it saw.
    generation: u64,
    frame_generation: u64,
    detail: FrameDetail,
    /// The answer of `nodes_in_rect`, reused from call to call.
    rect_nodes: Vec<u32>,
}

impl WorkflowOptimizer {
    pub fn new(config: Config) -> Result<Self> {
        config.validate()?;
        Ok(WorkflowOptimizer {
            lod: LodPolicy::new(&config.rendering),
            config,
            wf: Workflow::default(),
            index: SpatialIndex::default(),
            window: Window::default(),
            median: 1.0,
            size_changes: 0,
            frame: Frame::default(),
            hits: Vec::new(),
            candidates: Vec::new(),
            chosen: Vec::new(),
            draw_dirty: DrawDirty {
                all: true,
                slots: Vec::new(),
            },
            clusters: ZoomClusters::default(),
            last_view: None,
            alone: Vec::new(),
            node_bundles: Default::default(),
            generation: 0,
            frame_generation: 0,
            detail: FrameDetail::default(),
            rect_nodes: Vec::new(),
        })
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn workflow(&self) -> &Workflow {
        &self.wf
    }

    /// Apply a new configuration to the loaded workflow, without re-indexing
    /// it: rendering (LOD thresholds, the window's cap and overscan) and
    /// edges take effect on the next frame, a changed cluster radius or
    /// minimum rebuilds the cluster index when a frame next needs it. Limits
    /// below the loaded workflow's size are LIMIT_EXCEEDED; default node
    /// sizes were applied when the nodes were loaded, so a change to them
    /// while nodes are loaded is INVALID_CONFIG. On error nothing changes.
    pub fn set_config(&mut self, config: Config) -> Result<()> {
        config.validate()?;
        let w = &config.workflow;
        if self.wf.node_count() > w.max_nodes as usize {
            return Err(FlowscaleError::at(
                ErrorCode::LimitExceeded,
                "workflow.maxNodes",
                format!(
                    "{} nodes are loaded, more than {}",
                    self.wf.node_count(),
                    w.max_nodes
                ),
            ));
        }
        if self.wf.edge_count() > w.max_edges as usize {
            return Err(FlowscaleError::at(
                ErrorCode::LimitExceeded,
                "workflow.maxEdges",
                format!(
                    "{} edges are loaded, more than {}",
                    self.wf.edge_count(),
                    w.max_edges
                ),
            ));
        }
        let old = &self.config.workflow;
        if self.wf.node_count() > 0 {
            for (path, before, after) in [
                (
                    "workflow.defaultNodeWidth",
                    old.default_node_width,
                    w.default_node_width,
                ),
                (
                    "workflow.defaultNodeHeight",
                    old.default_node_height,
                    w.default_node_height,
                ),
            ] {
                if before != after {
                    return Err(FlowscaleError::at(
                        ErrorCode::InvalidConfig,
                        path,
                        "default node sizes apply when nodes are loaded: set it before setWorkflow",
                    ));
                }
            }
        }
        let (c0, c1) = (&self.config.clustering, &config.clustering);
        if c0.radius_px != c1.radius_px
            || c0.min_points != c1.min_points
            || c0.max_zoom != c1.max_zoom
        {
            self.clusters.reset();
        }
        self.lod = LodPolicy::new(&config.rendering);
        self.config = config;
        // The next frame is computed afresh and its on-demand lists follow it.
        self.last_view = None;
        self.generation += 1;
        Ok(())
    }

    /// Replace the workflow. On error the previous one stays in place.
    pub fn set_workflow(&mut self, nodes: Vec<NodeInput>, edges: Vec<EdgeInput>) -> Result<()> {
        let mut job = LoadJob::new(nodes.len(), edges.len(), &self.config)?;
        job.push_nodes(nodes)?;
        job.push_edges(edges)?;
        while !job.step(usize::MAX)? {}
        self.install(job.finish()?);
        Ok(())
    }

    /// Swap in a workflow a `LoadJob` built (possibly in many steps): the
    /// previous window's ids are reported as `left` on the next frame.
    pub fn install(&mut self, loaded: Loaded) {
        let old_ids: Vec<String> = self
            .window
            .members()
            .iter()
            .filter_map(|&m| self.wf.id(m).map(str::to_string))
            .collect();
        self.window.reset(old_ids, loaded.wf.slot_count());
        self.median = loaded.median;
        self.size_changes = 0;
        self.wf = loaded.wf;
        self.index = loaded.index;
        self.draw_dirty.all = true;
        self.draw_dirty.slots.clear();
        // A load started before a setConfig built its clusters for the old configuration.
        match loaded.clusters {
            Some(ix) if ix.built_for(&self.config.clustering) => self.clusters.install(ix),
            _ => self.clusters.reset(),
        }
        self.last_view = None;
        self.generation += 1;
    }

    /// Apply React Flow node changes, all or nothing.
    pub fn apply_node_changes(&mut self, changes: Vec<NodeChange>) -> Result<()> {
        let fx = self
            .wf
            .apply_node_changes(changes, self.config.workflow.max_nodes)?;
        self.window.ensure_slots(self.wf.slot_count());
        for (slot, id) in fx.removed.iter() {
            self.window.forget(*slot, id.clone());
        }
        let mut nodes = fx.touched;
        nodes.extend(fx.removed.iter().map(|(s, _)| *s));
        let mut edges = fx.edges_removed;
        self.sync_index(&nodes, &mut edges);
        self.mark_drawn(&fx.restyled);
        self.note_size_changes(fx.size_changes);
        Ok(())
    }

    /// Apply React Flow edge changes, all or nothing.
    pub fn apply_edge_changes(&mut self, changes: Vec<EdgeChange>) -> Result<()> {
        let fx = self
            .wf
            .apply_edge_changes(changes, self.config.workflow.max_edges)?;
        let mut edges = fx.edges_removed;
        edges.extend(fx.edges_touched);
        self.clusters.note_edges();
        self.sync_index(&[], &mut edges);
        Ok(())
    }

    /// Set `position` (parent-relative, as React Flow) of the given slots:
    /// `xy` holds x0, y0, x1, y1, … All or nothing.
    pub fn update_positions(&mut self, indices: &[u32], xy: &[f32]) -> Result<()> {
        if xy.len() != indices.len() * 2 {
            return Err(FlowscaleError::at(
                ErrorCode::InvalidWorkflow,
                "xy",
                format!(
                    "xy must hold two numbers per index: {} indices, {} numbers",
                    indices.len(),
                    xy.len()
                ),
            ));
        }
        for (k, &i) in indices.iter().enumerate() {
            if !self.wf.is_alive(i) {
                return Err(FlowscaleError::at(
                    ErrorCode::UnknownId,
                    format!("indices[{k}]"),
                    format!("no node has index {i}"),
                ));
            }
        }
        for (k, &v) in xy.iter().enumerate() {
            if !v.is_finite() {
                return Err(FlowscaleError::at(
                    ErrorCode::NonFinite,
                    format!("xy[{k}]"),
                    format!("coordinate must be a finite number, got {v}"),
                ));
            }
        }
        let mut moved = Vec::with_capacity(indices.len());
        for (&i, p) in indices.iter().zip(xy.chunks_exact(2)) {
            self.wf
                .set_position(i, p[0] as f64, p[1] as f64, &mut moved);
        }
        self.sync_index(&moved, &mut Vec::new());
        Ok(())
    }

    /// Update the R-tree for changed node slots and edge slots (incident edges
    /// of the nodes are added here), or rebuild it when the batch is large.
    /// Remember slots whose drawing data changed, for the renderer.
    fn mark_drawn(&mut self, slots: &[u32]) {
        let d = &mut self.draw_dirty;
        if d.all {
            return;
        }
        d.slots.extend_from_slice(slots);
        // Past a quarter of the workflow a full upload is cheaper than a list.
        if d.slots.len() > self.wf.slot_count() / 4 + 64 {
            d.all = true;
            d.slots.clear();
        }
    }

    /// Hand the renderer what changed since it last asked (and forget it).
    pub fn take_draw_dirty(&mut self, out: &mut DrawDirty) {
        out.all = std::mem::take(&mut self.draw_dirty.all);
        out.slots.clear();
        out.slots.append(&mut self.draw_dirty.slots);
    }

    fn sync_index(&mut self, nodes: &[u32], edges: &mut Vec<u32>) {
        self.generation += 1;
        self.mark_drawn(nodes);
        self.clusters.note(nodes);
        for &i in nodes {
            edges.extend(self.wf.incident_edges(i));
        }
        let size = self.wf.node_count() + self.wf.edge_count();
        let limit = (self.config.workflow.rebuild_fraction * size as f64) as usize;
        if nodes.len() + edges.len() > limit.max(64) {
            self.index = SpatialIndex::build(&self.wf);
        } else {
            self.index.update(&self.wf, nodes, edges);
        }
    }

    fn note_size_changes(&mut self, n: usize) {
        self.size_changes += n;
        let limit = self.config.workflow.rebuild_fraction * self.wf.node_count() as f64;
        if self.size_changes > 0 && self.size_changes as f64 >= limit {
            self.median = self.wf.median_node_size();
            self.size_changes = 0;
        }
    }

    /// The median node size that level of detail is relative to.
    pub fn median_node_size(&self) -> f64 {
        self.median
    }

    pub fn index_of(&self, id: &str) -> Option<u32> {
        self.wf.index_of(id)
    }

    /// Is this slot in the mounted window (React renders it)?
    pub fn is_mounted(&self, i: u32) -> bool {
        self.window.is_member(i)
    }

    pub fn id_of(&self, i: u32) -> Option<&str> {
        self.wf.id(i)
    }

    /// The bounding box, in absolute flow coordinates, of every shown node
    /// (children at their absolute positions): React Flow's
    /// `getNodesBounds` over the nodes that are not hidden. `None` when no
    /// node is shown. Read from the spatial index: a few root-to-leaf paths
    /// while most entries are fresh; after most nodes moved (stale entries in
    /// the packed tree, until a rebuild) up to a walk over the stale ones.
    pub fn bounds(&self) -> Option<Rect> {
        self.index.node_bounds(&self.wf)
    }

    /// The shown nodes inside `rect` (absolute flow coordinates), in slot
    /// order, as React Flow's `getNodesInside(nodes, rect, [0, 0, 1],
    /// partially)` selects them: their overlap with `rect`, rounded up, must
    /// reach their area (`partially`: be positive). Touching edges never
    /// count; a node of zero area counts in every rectangle. One R-tree
    /// query: the cost follows the nodes near `rect` (and the zero-area ones).
    pub fn nodes_in_rect(&mut self, rect: Rect, partially: bool) -> Result<&[u32]> {
        check_rect(&rect)?;
        self.hits.clear();
        self.rect_nodes.clear();
        self.index.query_nodes(&self.wf, &rect, &mut self.hits);
        for h in &self.hits {
            let r = self.wf.rect(h.slot);
            // Zero-area nodes come from their own list, once.
            if !zero_area(&r) && rf_inside(&rect, &r, partially) {
                self.rect_nodes.push(h.slot);
            }
        }
        self.rect_nodes.extend(self.index.zero_area_nodes());
        self.rect_nodes.sort_unstable();
        Ok(&self.rect_nodes)
    }

    /// Cull, pick levels of detail and update the mounted window. Below
    /// `clustering.maxZoom` the frame is cluster-first (see the module comment).
    pub fn frame(&mut self, vp: Viewport, screen: Screen) -> Result<&Frame> {
        let view = view_rect(vp, screen)?;
        self.last_view = Some((vp, screen));
        self.frame_generation = self.generation;
        let r = &self.config.rendering;
        let virtual_scrolling = r.virtual_scrolling;
        let cap = r.max_visible_nodes as usize;
        let overscan = r.overscan_px / vp.zoom;
        let keep_margin = (r.overscan_px + r.hysteresis_px) / vp.zoom;
        let bonus = r.hysteresis_px / vp.zoom;
        let outer = grow(&view, overscan);
        let keep = grow(&view, keep_margin);
        let center = (view.x + view.width / 2.0, view.y + view.height / 2.0);
        let scope = if virtual_scrolling { outer } else { view };

        let f = &mut self.frame;
        f.in_view.clear();
        f.lod.clear();
        f.edges.clear();
        f.work = 0;
        self.hits.clear();
        self.candidates.clear();
        self.window.ensure_slots(self.wf.slot_count());

        // The cluster level drawn at this zoom (0: none; nodes one by one).
        let c = &self.config.clustering;
        let mut level = 0;
        let mut glyphs_in_view = 0u64;
        if c.max_zoom > 0.0 && vp.zoom < c.max_zoom {
            let ix = self
                .clusters
                .ensure(&self.wf, c, self.config.workflow.rebuild_fraction);
            // (At the zooms of levels too sparse to build, nodes one by one.)
            if ix.levels() > 0 && ix.level_for_zoom(vp.zoom) >= ix.first_level() {
                level = ix.level_for_zoom(vp.zoom);
                glyphs_in_view = ix.frame(
                    &self.wf,
                    level,
                    (&view, &scope),
                    &mut f.clusters,
                    &mut self.alone,
                    &mut f.work,
                );
                for &i in &self.alone {
                    let r = self.wf.rect(i);
                    self.hits.push(Hit {
                        slot: i,
                        x1: r.x,
                        y1: r.y,
                        x2: r.x2(),
                        y2: r.y2(),
                    });
                }
            }
        }
        if level == 0 {
            f.clusters.clear();
            // One query on the overscanned view serves both culling and mounting.
            self.index.query_nodes(&self.wf, &scope, &mut self.hits);
            f.work += self.hits.len() as u64;
        }
        let glyphs = self.clusters.current().filter(|_| level > 0);

        let key = |cx: f64, cy: f64, member: bool| {
            let dx = cx - center.0;
            let dy = cy - center.1;
            (dx * dx + dy * dy).sqrt() - if member { bonus } else { 0.0 }
        };
        for h in &self.hits {
            let i = h.slot;
            let member = self.window.is_member(i);
            let level = self.lod.level(vp.zoom, h.size(), self.median, member);
            if overlaps(&view, h.x1, h.y1, h.x2, h.y2) {
                f.in_view.push(i);
                f.lod.push(level);
            }
            if virtual_scrolling {
                self.window.set(i, SEEN, true);
                if level <= MEDIUM {
                    self.candidates
                        .push((key((h.x1 + h.x2) / 2.0, (h.y1 + h.y2) / 2.0, member), i));
                } else if self.wf.is_dragging(i) {
                    self.candidates.push((f64::NEG_INFINITY, i));
                }
            }
        }
        if virtual_scrolling {
            // Members outside the overscan stay while inside the keep margin
            // (and not drawn inside a glyph).
            for &m in self.window.members() {
                if self.window.has(m, SEEN) || !self.wf.is_shown(m) {
                    continue;
                }
                f.work += 1;
                if self.wf.is_dragging(m) {
                    self.candidates.push((f64::NEG_INFINITY, m));
                    continue;
                }
                if glyphs.is_some_and(|ix| ix.glyph_of(m, level).is_some()) {
                    continue;
                }
                let r = self.wf.rect(m);
                let level = self
                    .lod
                    .level(vp.zoom, self.wf.node_size(m), self.median, true);
                if level <= MEDIUM && overlaps(&keep, r.x, r.y, r.x2(), r.y2()) {
                    self.candidates
                        .push((key(r.x + r.width / 2.0, r.y + r.height / 2.0, true), m));
                }
            }
            for h in &self.hits {
                self.window.set(h.slot, SEEN, false);
            }
            // Dragged nodes first, whatever their distance.
            for c in self.candidates.iter_mut() {
                if self.wf.is_dragging(c.1) {
                    c.0 = f64::NEG_INFINITY;
                }
            }
            if self.candidates.len() > cap {
                if cap > 0 {
                    self.candidates
                        .select_nth_unstable_by(cap - 1, |a, b| a.0.total_cmp(&b.0));
                }
                self.candidates.truncate(cap);
            }
        } else {
            // Virtual scrolling off: every shown node is mounted, as plain React Flow.
            self.candidates.extend(
                self.wf
                    .live_slots()
                    .filter(|&i| self.wf.is_shown(i))
                    .map(|i| (0.0, i)),
            );
        }
        self.chosen.clear();
        self.chosen.extend(self.candidates.iter().map(|c| c.1));
        self.window
            .commit(&self.chosen, &mut f.entered, &mut f.left);
        self.window.take_gone(&mut f.left_ids);
        f.visible.clear();
        f.visible.extend_from_slice(self.window.members());
        // Level of detail of each mounted node (a newcomer's as computed above).
        for &i in &f.entered {
            self.window.set(i, ENTERED, true);
        }
        f.visible_lod.clear();
        for &m in &f.visible {
            let before = !self.window.has(m, ENTERED);
            let level = self
                .lod
                .level(vp.zoom, self.wf.node_size(m), self.median, before);
            // Mounted below the low threshold only while dragged: shown as a label.
            f.visible_lod.push(level.min(MEDIUM));
        }
        for &i in &f.entered {
            self.window.set(i, ENTERED, false);
        }

        let mut counts = [0u32; 3];
        for (k, &i) in f.in_view.iter().enumerate() {
            if virtual_scrolling && !self.window.is_member(i) {
                f.lod[k] = LOW;
            }
            counts[f.lod[k] as usize] += 1;
        }

        if level == 0 {
            self.hits.clear();
            self.index.query_edges(&self.wf, &view, &mut self.hits);
            f.work += self.hits.len() as u64;
            for h in &self.hits {
                if edge_overlaps(&view, h.x1, h.y1, h.x2, h.y2) && self.wf.edge_shown(h.slot) {
                    f.edges.push(h.slot);
                }
            }
        } else if let Some(ix) = self.clusters.current() {
            // Edges of the nodes drawn alone: to another such node, drawn
            // as they are; into a glyph, folded into a bundle per (node, glyph).
            for &i in &self.alone {
                self.window.set(i, ALONE, true);
            }
            self.node_bundles.clear();
            for &i in &self.alone {
                for e in self.wf.incident_edges(i) {
                    f.work += 1;
                    if !self.wf.edge_shown(e) {
                        continue;
                    }
                    let (s, t) = self.wf.edge_ends_of(e);
                    let o = if s == i { t } else { s };
                    match ix.glyph_of(o, level) {
                        Some(g) => {
                            let n = f.clusters.bundle_weight.len();
                            match self.node_bundles.entry((i, g)) {
                                hashbrown::hash_map::Entry::Occupied(b) => {
                                    f.clusters.bundle_weight[*b.get()] += 1
                                }
                                hashbrown::hash_map::Entry::Vacant(v) => {
                                    v.insert(n);
                                    let a = self.wf.rect(i);
                                    let q = ix.centre(g).unwrap_or((0.0, 0.0));
                                    f.clusters.push_bundle(
                                        i,
                                        g,
                                        TARGET_IS_CLUSTER,
                                        1,
                                        [a.x + a.width / 2.0, a.y + a.height / 2.0, q.0, q.1],
                                    );
                                }
                            }
                        }
                        // Both ends listed: once, from the smaller slot.
                        None if self.window.has(o, ALONE) && o < i => {}
                        None => f.edges.push(e),
                    }
                }
            }
            for &i in &self.alone {
                self.window.set(i, ALONE, false);
            }
        }
        if level > 0 {
            if let Some(ix) = self.clusters.current_mut() {
                ix.glyph_bundles(&self.wf, &mut f.clusters, &mut f.work);
            }
        }
        f.complete = level == 0;
        // Edges with both ends mounted (React Flow draws them), once each.
        f.window_edges.clear();
        for &m in &f.visible {
            for e in self.wf.incident_edges(m) {
                let (s, t) = self.wf.edge_ends_of(e);
                let o = if s == m { t } else { s };
                if m <= o && self.window.is_member(o) && self.wf.edge_shown(e) {
                    f.window_edges.push(e);
                }
            }
        }
        f.work += f.window_edges.len() as u64;

        f.viewport = vp;
        f.screen = screen;
        f.seq += 1;
        let total = self.wf.node_count() as u32;
        let in_view = (f.in_view.len() as u64 + glyphs_in_view).min(total as u64) as u32;
        counts[LOW as usize] += glyphs_in_view as u32;
        f.stats = FrameStats {
            total,
            in_view,
            culled: total - in_view,
            culled_percent: if total == 0 {
                0.0
            } else {
                100.0 * (total - in_view) as f64 / total as f64
            },
            lod_counts: counts,
        };
        Ok(&self.frame)
    }

    /// The complete lists of the last frame — every node in view with its
    /// level of detail, and every visible edge — as a frame above
    /// `clustering.maxZoom` has them. Below it they are computed here, on
    /// demand, at a cost proportional to what is in view. Fails with
    /// STALE_FRAME when the workflow changed since that frame.
    pub fn frame_detail(&mut self) -> Result<&FrameDetail> {
        let f = &self.frame;
        if f.seq == 0 || self.generation != self.frame_generation {
            return Err(FlowscaleError::new(
                ErrorCode::StaleFrame,
                if f.seq == 0 {
                    "no frame yet: call frame(viewport, size) first"
                } else {
                    "the workflow changed since this frame: compute a new frame first"
                },
            ));
        }
        if self.detail.seq == f.seq {
            return Ok(&self.detail);
        }
        let d = &mut self.detail;
        d.in_view.clear();
        d.lod.clear();
        d.edges.clear();
        if f.complete {
            d.in_view.extend_from_slice(&f.in_view);
            d.lod.extend_from_slice(&f.lod);
            d.edges.extend_from_slice(&f.edges);
        } else {
            let view = view_rect(f.viewport, f.screen)?;
            let zoom = f.viewport.zoom;
            let virtual_scrolling = self.config.rendering.virtual_scrolling;
            // A node that entered the window in that frame got its level as a newcomer.
            for &i in &f.entered {
                self.window.set(i, ENTERED, true);
            }
            self.hits.clear();
            self.index.query_nodes(&self.wf, &view, &mut self.hits);
            for h in &self.hits {
                if !overlaps(&view, h.x1, h.y1, h.x2, h.y2) {
                    continue;
                }
                let member = self.window.is_member(h.slot);
                let level = if member || !virtual_scrolling {
                    let before = member && !self.window.has(h.slot, ENTERED);
                    self.lod.level(zoom, h.size(), self.median, before)
                } else {
                    LOW
                };
                d.in_view.push(h.slot);
                d.lod.push(level);
            }
            for &i in &f.entered {
                self.window.set(i, ENTERED, false);
            }
            self.hits.clear();
            self.index.query_edges(&self.wf, &view, &mut self.hits);
            for h in &self.hits {
                if edge_overlaps(&view, h.x1, h.y1, h.x2, h.y2) && self.wf.edge_shown(h.slot) {
                    d.edges.push(h.slot);
                }
            }
        }
        d.seq = f.seq;
        Ok(&self.detail)
    }

    /// The zoom-level cluster index, brought up to date (built on first use).
    pub fn cluster_index(&mut self) -> &ClusterIndex {
        self.clusters.ensure(
            &self.wf,
            &self.config.clustering,
            self.config.workflow.rebuild_fraction,
        )
    }

    /// The workflow and its cluster index (brought up to date), borrowed together.
    pub fn workflow_and_clusters(&mut self) -> (&Workflow, &mut ClusterIndex) {
        let ix = self.clusters.ensure(
            &self.wf,
            &self.config.clustering,
            self.config.workflow.rebuild_fraction,
        );
        (&self.wf, ix)
    }

    /// The clusters drawn at this viewport's zoom (level 1 at or above
    /// `clustering.maxZoom`), whatever `frame()` would show.
    pub fn clusters(&mut self, vp: Viewport, screen: Screen, out: &mut ClusterFrame) -> Result<()> {
        let view = view_rect(vp, screen)?;
        let ix = self.clusters.ensure(
            &self.wf,
            &self.config.clustering,
            self.config.workflow.rebuild_fraction,
        );
        ix.query(vp.zoom, &view, out);
        Ok(())
    }

    /// The edges of the last frame, simplified for drawing (src/edges/simplify.rs).
    pub fn simplify_edges(&mut self) -> SimplifiedEdges {
        let Some((vp, screen)) = self.last_view else {
            return SimplifiedEdges::default();
        };
        // Every edge in view: the frame's list, or (cluster-first frames) a query now.
        let mut edges = Vec::new();
        if self.frame.complete {
            edges.extend_from_slice(&self.frame.edges);
        } else if let Ok(view) = view_rect(vp, screen) {
            self.hits.clear();
            self.index.query_edges(&self.wf, &view, &mut self.hits);
            edges.extend(
                self.hits
                    .iter()
                    .filter(|h| edge_overlaps(&view, h.x1, h.y1, h.x2, h.y2))
                    .map(|h| h.slot),
            );
        }
        let cfg = &self.config;
        let drawn = if self.frame.clusters.active {
            self.clusters.current().map(|index| DrawnClusters {
                index,
                level: self.frame.clusters.level as usize,
            })
        } else {
            None
        };
        simplify(
            &self.wf,
            &self.frame.visible,
            &edges,
            vp.zoom,
            drawn,
            &cfg.edges,
        )
    }

    /// The last frame computed.
    pub fn last_frame(&self) -> &Frame {
        &self.frame
    }
}

/// `r` grown by `m` on every side; `r` itself if that would not be finite
/// (an overscan far larger than the view at an extreme zoom).
fn grow(r: &Rect, m: f64) -> Rect {
    let g = Rect {
        x: r.x - m,
        y: r.y - m,
        width: r.width + 2.0 * m,
        height: r.height + 2.0 * m,
    };
    if g.x.is_finite() && g.y.is_finite() && g.x2().is_finite() && g.y2().is_finite() {
        g
    } else {
        *r
    }
}

/// A query rectangle's numbers: finite, and a size that is not negative.
fn check_rect(r: &Rect) -> Result<()> {
    for (v, field, size) in [
        (r.x, "rect.x", false),
        (r.y, "rect.y", false),
        (r.width, "rect.width", true),
        (r.height, "rect.height", true),
    ] {
        if !v.is_finite() {
            let what = if size { "size" } else { "coordinate" };
            return Err(FlowscaleError::at(
                ErrorCode::NonFinite,
                field,
                format!("{what} must be a finite number, got {v}"),
            ));
        }
        if size && v < 0.0 {
            return Err(FlowscaleError::at(
                ErrorCode::NegativeSize,
                field,
                format!("size must not be negative, got {v}"),
            ));
        }
    }
    Ok(())
}

/// The world rectangle on screen, computed as React Flow's `getNodesInside` does.
pub fn view_rect(vp: Viewport, screen: Screen) -> Result<Rect> {
    let bad =
        |path: &str, msg: String| Err(FlowscaleError::at(ErrorCode::InvalidViewport, path, msg));
    if !vp.x.is_finite() {
        return bad(
            "viewport.x",
            format!("pan must be a finite number, got {}", vp.x),
        );
    }
    if !vp.y.is_finite() {
        return bad(
            "viewport.y",
            format!("pan must be a finite number, got {}", vp.y),
        );
    }
    if !(vp.zoom.is_finite() && vp.zoom > 0.0) {
        return bad(
            "viewport.zoom",
            format!("zoom must be a finite number above 0, got {}", vp.zoom),
        );
    }
    if !(screen.width.is_finite() && screen.width > 0.0) {
        return bad(
            "size.width",
            format!(
                "width must be a finite number above 0, got {}",
                screen.width
            ),
        );
    }
    if !(screen.height.is_finite() && screen.height > 0.0) {
        return bad(
            "size.height",
            format!(
                "height must be a finite number above 0, got {}",
                screen.height
            ),
        );
    }
    let r = Rect {
        x: (0.0 - vp.x) / vp.zoom,
        y: (0.0 - vp.y) / vp.zoom,
        width: screen.width / vp.zoom,
        height: screen.height / vp.zoom,
    };
    if !(r.x.is_finite() && r.y.is_finite() && r.x2().is_finite() && r.y2().is_finite()) {
        return bad(
            "viewport.zoom",
            format!("zoom {} is too small for this pan and size", vp.zoom),
        );
    }
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::tests::{edges, nodes};

    type Answer = (Vec<u32>, Vec<u32>, u32, Vec<u32>, Vec<u32>);

    /// A frame's observable answer, for comparing two optimizers: nodes in
    /// view, mounted, their count, glyph counts and bundle weights.
    fn answer(opt: &mut WorkflowOptimizer, zoom: f64) -> Answer {
        let f = opt
            .frame(
                Viewport {
                    x: 10.0,
                    y: 20.0,
                    zoom,
                },
                Screen {
                    width: 1200.0,
                    height: 800.0,
                },
            )
            .unwrap();
        let (mut visible, glyphs, count) =
            (f.visible.clone(), f.clusters.count.clone(), f.stats.in_view);
        visible.sort();
        let bundles = f.clusters.bundle_weight.clone();
        let d = opt.frame_detail().unwrap();
        let mut in_view = d.in_view.clone();
        in_view.sort();
        (in_view, visible, count, glyphs, bundles)
    }

    #[test]
    fn steps_of_any_size_build_what_one_call_builds() {
        let cfg = Config::default();
        let mut whole = WorkflowOptimizer::new(cfg.clone()).unwrap();
        whole.set_workflow(nodes(3000), edges(3000)).unwrap();
        for budget in [1usize, 7, 1000] {
            let mut job = LoadJob::new(3000, 2999, &cfg).unwrap();
            if budget == 7 {
                // Rows with their ids given apart and types by index (the web's path).
                let names = vec!["a".to_string(), "b".to_string(), "c".to_string()];
                for chunk in nodes(3000).chunks(333) {
                    let ids: Vec<String> = chunk.iter().map(|n| n.id.clone()).collect();
                    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
                    let idx: Vec<u32> = chunk
                        .iter()
                        .map(|n| {
                            names
                                .iter()
                                .position(|t| Some(t) == n.node_type.as_ref())
                                .unwrap() as u32
                        })
                        .collect();
                    let rows = chunk.iter().cloned().map(|mut n| {
                        n.id = String::new();
                        n.node_type = None;
                        n
                    });
                    job.push_node_rows(rows.collect(), &ids, &names, &idx)
                        .unwrap();
                }
                for chunk in edges(3000).chunks(500) {
                    let ids: Vec<String> = chunk.iter().map(|e| e.id.clone()).collect();
                    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
                    job.push_edge_rows(chunk.to_vec(), &ids).unwrap();
                }
            } else {
                for chunk in nodes(3000).chunks(333) {
                    job.push_nodes(chunk.to_vec()).unwrap();
                }
                for chunk in edges(3000).chunks(500) {
                    job.push_edges(chunk.to_vec()).unwrap();
                }
            }
            let mut steps = 0;
            let mut last = 0.0;
            while !job.step(budget).unwrap() {
                steps += 1;
                let p = job.progress();
                assert!(p >= last && p <= 1.0, "progress goes forward");
                last = p;
            }
            assert!(budget > 100 || steps > 100, "{steps} steps of {budget}");
            let mut sliced = WorkflowOptimizer::new(cfg.clone()).unwrap();
            sliced.install(job.finish().unwrap());
            for zoom in [1.0, 0.2, 0.05, 0.004] {
                assert_eq!(
                    answer(&mut sliced, zoom),
                    answer(&mut whole, zoom),
                    "zoom {zoom}"
                );
            }
            assert_eq!(
                sliced.median_node_size().to_bits(),
                whole.median_node_size().to_bits()
            );
        }
    }
}
