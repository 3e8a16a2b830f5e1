//! The per-frame core behind the JS `WorkflowOptimizer`: model + R-tree +
//! level of detail + mounted window. Platform-free; `src/web/` wraps it.
//!
//! A frame costs O(log N + k) where k is what the overscanned viewport holds:
//! one R-tree query for nodes, one for edges, and a pass over the (bounded)
//! window. All output buffers are reused from frame to frame.

use crate::cluster::zoom::{ClusterFrame, ClusterIndex, ZoomClusters};
use crate::config::Config;
use crate::edges::simplify::{simplify, DrawnClusters, SimplifiedEdges};
use crate::error::{ErrorCode, FlowscaleError, Result};
use crate::lod::{LodPolicy, LOW, MEDIUM};
use crate::model::{EdgeChange, EdgeInput, NodeChange, NodeInput, Rect, Workflow};
use crate::spatial::window::{Window, SEEN};
use crate::spatial::{edge_overlaps, overlaps, Hit, SpatialIndex};

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
    /// Every shown node overlapping the viewport.
    pub in_view: Vec<u32>,
    /// Level of detail parallel to `in_view`; in-view nodes outside the window are LOW.
    pub lod: Vec<u8>,
    /// The window: nodes React should mount.
    pub visible: Vec<u32>,
    pub entered: Vec<u32>,
    pub left: Vec<u32>,
    /// Ids that left because their node was removed (no slot to name them by).
    pub left_ids: Vec<String>,
    /// Edges whose bounds overlap the viewport (React Flow's `isEdgeVisible`).
    pub edges: Vec<u32>,
    pub stats: FrameStats,
    /// The viewport and pane this frame was computed for.
    pub viewport: Viewport,
    pub screen: Screen,
    /// Frames computed so far (0: none yet).
    pub seq: u64,
    /// Zoom-level clusters, active below `clustering.maxZoom`.
    pub clusters: ClusterFrame,
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
        })
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn workflow(&self) -> &Workflow {
        &self.wf
    }

    /// Replace the workflow. On error the previous one stays in place.
    pub fn set_workflow(&mut self, nodes: Vec<NodeInput>, edges: Vec<EdgeInput>) -> Result<()> {
        let wf = Workflow::build(nodes, edges, &self.config.workflow)?;
        let index = SpatialIndex::build(&wf);
        let old_ids: Vec<String> = self
            .window
            .members()
            .iter()
            .filter_map(|&m| self.wf.id(m).map(str::to_string))
            .collect();
        self.window.reset(old_ids, wf.slot_count());
        self.median = wf.median_node_size();
        self.size_changes = 0;
        self.wf = wf;
        self.index = index;
        self.draw_dirty.all = true;
        self.draw_dirty.slots.clear();
        self.clusters.reset();
        self.last_view = None;
        Ok(())
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
        self.mark_drawn(nodes);
        self.clusters.note(nodes);
        for &i in nodes {
            edges.extend_from_slice(self.wf.incident_edges(i));
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

    /// Cull, pick levels of detail and update the mounted window.
    pub fn frame(&mut self, vp: Viewport, screen: Screen) -> Result<&Frame> {
        let view = view_rect(vp, screen)?;
        self.last_view = Some((vp, screen));
        let r = &self.config.rendering;
        let virtual_scrolling = r.virtual_scrolling;
        let cap = r.max_visible_nodes as usize;
        let overscan = r.overscan_px / vp.zoom;
        let keep_margin = (r.overscan_px + r.hysteresis_px) / vp.zoom;
        let bonus = r.hysteresis_px / vp.zoom;
        let outer = grow(&view, overscan);
        let keep = grow(&view, keep_margin);
        let center = (view.x + view.width / 2.0, view.y + view.height / 2.0);

        let f = &mut self.frame;
        f.in_view.clear();
        f.lod.clear();
        f.edges.clear();
        self.hits.clear();
        self.candidates.clear();
        self.window.ensure_slots(self.wf.slot_count());

        // One query on the overscanned view serves both culling and mounting.
        self.index.query_nodes(
            &self.wf,
            if virtual_scrolling { &outer } else { &view },
            &mut self.hits,
        );
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
            // Members outside the overscan stay while inside the keep margin.
            for &m in self.window.members() {
                if self.window.has(m, SEEN) || !self.wf.is_shown(m) {
                    continue;
                }
                if self.wf.is_dragging(m) {
                    self.candidates.push((f64::NEG_INFINITY, m));
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

        let mut counts = [0u32; 3];
        for (k, &i) in f.in_view.iter().enumerate() {
            if virtual_scrolling && !self.window.is_member(i) {
                f.lod[k] = LOW;
            }
            counts[f.lod[k] as usize] += 1;
        }

        self.hits.clear();
        self.index.query_edges(&self.wf, &view, &mut self.hits);
        for h in &self.hits {
            if edge_overlaps(&view, h.x1, h.y1, h.x2, h.y2) && self.wf.edge_shown(h.slot) {
                f.edges.push(h.slot);
            }
        }

        f.viewport = vp;
        f.screen = screen;
        f.seq += 1;
        let c = &self.config.clustering;
        if c.max_zoom > 0.0 && vp.zoom < c.max_zoom {
            let ix = self
                .clusters
                .ensure(&self.wf, c, self.config.workflow.rebuild_fraction);
            ix.query(vp.zoom, &view, &f.in_view, &mut f.clusters);
        } else {
            f.clusters.clear();
        }

        let total = self.wf.node_count() as u32;
        let in_view = f.in_view.len() as u32;
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

    /// The zoom-level cluster index, brought up to date (built on first use).
    pub fn cluster_index(&mut self) -> &ClusterIndex {
        self.clusters.ensure(
            &self.wf,
            &self.config.clustering,
            self.config.workflow.rebuild_fraction,
        )
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
        ix.query(vp.zoom, &view, &[], out);
        Ok(())
    }

    /// The edges of the last frame, simplified for drawing (src/edges/simplify.rs).
    pub fn simplify_edges(&mut self) -> SimplifiedEdges {
        let Some((vp, _)) = self.last_view else {
            return SimplifiedEdges::default();
        };
        let cfg = &self.config;
        let drawn = if self.frame.clusters.active {
            self.clusters.current().map(|index| DrawnClusters {
                index,
                level: self.frame.clusters.level as usize,
                min_points: cfg.clustering.min_points,
            })
        } else {
            None
        };
        simplify(&self.wf, &self.frame, vp.zoom, drawn, &cfg.edges)
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
