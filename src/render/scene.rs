//! What the GPU layer draws, as plain data: node texels by slot, this
//! frame's instance lists and the view uniform. No GPU API here, so the same
//! scene is built next to the optimizer wherever the GPU code runs; the
//! renderer only uploads it and encodes the draws.
//!
//! Node data lives on the GPU in a texture indexed by slot (see
//! `common.wgsl`), refreshed only for slots the optimizer reports as changed;
//! a frame uploads just the lists to draw. Zoomed out (below
//! `clustering.maxZoom`) the lists come straight from the frame's cluster
//! level — glyphs, bundles, and the few nodes and edges drawn alone — so their
//! length does not grow with the workflow. A frame that would draw exactly
//! what the target already shows is not drawn at all (`prepare` says so).

use crate::cluster::zoom::NO_TYPE;
use crate::error::{ErrorCode, FlowscaleError, Result};
use crate::lod::LOW;
use crate::model::Workflow;
use crate::optimizer::{DrawDirty, WorkflowOptimizer};
use std::collections::HashMap;

/// Fill and border of a node, straight (not premultiplied) RGBA8.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NodeStyle {
    pub fill: [u8; 4],
    pub border: [u8; 4],
    /// Colour of this type's band in cluster glyphs; None: the border when
    /// the type sets its own, else a categorical colour.
    pub glyph: Option<[u8; 4]>,
}

/// Colours: per node `type`, edges and the background. The defaults are
/// React Flow's own look (white nodes with a #1a192b border, #b1b1b7 edges).
#[derive(Clone, Debug, PartialEq)]
pub struct Palette {
    pub node: NodeStyle,
    pub by_type: HashMap<String, NodeStyle>,
    pub edge: [u8; 4],
    pub edge_selected: [u8; 4],
    pub background: [u8; 4],
}

impl Default for Palette {
    fn default() -> Self {
        let node = NodeStyle {
            fill: [255, 255, 255, 255],
            border: [0x1a, 0x19, 0x2b, 255],
            glyph: None,
        };
        let mut by_type = HashMap::new();
        // React Flow's group nodes: rgba(240, 240, 240, 0.25).
        by_type.insert(
            "group".to_string(),
            NodeStyle {
                fill: [240, 240, 240, 64],
                border: [0x1a, 0x19, 0x2b, 255],
                glyph: None,
            },
        );
        Palette {
            node,
            by_type,
            edge: [0xb1, 0xb1, 0xb7, 255],
            edge_selected: [0x55, 0x55, 0x55, 255],
            background: [0, 0, 0, 0],
        }
    }
}

/// Which nodes the GPU draws.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum DrawMode {
    /// In-view nodes at low detail, and edges React does not draw (the layer under React Flow).
    #[default]
    Low,
    /// Every in-view node and edge (an overview, or checking alignment with the DOM).
    All,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct RenderOptions {
    pub palette: Palette,
    pub draw: DrawMode,
}

impl RenderOptions {
    /// The background to clear to, premultiplied RGBA in 0–1 (as the pipelines blend).
    pub fn clear_color(&self) -> [f64; 4] {
        let bg = unit(self.palette.background);
        [
            (bg[0] * bg[3]) as f64,
            (bg[1] * bg[3]) as f64,
            (bg[2] * bg[3]) as f64,
            bg[3] as f64,
        ]
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct RenderStats {
    pub draw_calls: u32,
    pub nodes: u32,
    pub edges: u32,
    pub clusters: u32,
    /// Bundles drawn (each stands for one or more edges into a cluster).
    pub bundles: u32,
    /// Frames not drawn because they would show what the target shows already.
    pub frames_skipped: u64,
    /// Edges left out because they span less than a pixel.
    pub edges_subpixel: u32,
    /// Node texels rewritten this frame (two per changed node).
    pub texels_uploaded: u32,
    /// CPU time to build lists, upload and encode, in ms.
    pub encode_ms: f64,
    pub frames: u64,
}

/// Edge instance: source slot, target slot, style (kind | selected << 2).
type EdgeInstance = [u32; 3];

/// Cluster glyph instance: rectangle (relative to the origin), the fills of
/// its three most common types, their shares (u8 each, of 255), border, count.
#[repr(C)]
#[derive(Clone, Copy, Debug, bytemuck::Pod, bytemuck::Zeroable)]
struct ClusterInstance {
    rect: [f32; 4],
    fills: [u32; 3],
    shares: u32,
    border: u32,
    count: u32,
}

/// Bundle instance: segment (relative to the origin) and edges folded.
#[repr(C)]
#[derive(Clone, Copy, Debug, bytemuck::Pod, bytemuck::Zeroable)]
struct BundleInstance {
    seg: [f32; 4],
    weight: u32,
}

/// Glyph colours for types the palette does not name (Tableau 10), so the
/// dominant types of a cluster show apart.
const CATEGORICAL: [[u8; 4]; 10] = [
    [0x4e, 0x79, 0xa7, 255],
    [0xf2, 0x8e, 0x2b, 255],
    [0xe1, 0x57, 0x59, 255],
    [0x76, 0xb7, 0xb2, 255],
    [0x59, 0xa1, 0x4f, 255],
    [0xed, 0xc9, 0x48, 255],
    [0xb0, 0x7a, 0xa1, 255],
    [0xff, 0x9d, 0xa7, 255],
    [0x9c, 0x75, 0x5f, 255],
    [0xba, 0xb0, 0xac, 255],
];

#[repr(C)]
#[derive(Clone, Copy, Debug, Default, bytemuck::Pod, bytemuck::Zeroable)]
pub(crate) struct ViewUniform {
    scale: f32,
    dpr: f32,
    offset: [f32; 2],
    target_size: [f32; 2],
    _pad: [f32; 2],
    edge_color: [f32; 4],
    edge_selected: [f32; 4],
}

/// Bytes of the view uniform, and of one instance in each list (nodes,
/// edges, clusters, bundles): the layout a GPU module must share.
pub const VIEW_BYTES: usize = std::mem::size_of::<ViewUniform>();
pub const LIST_STRIDES: [usize; 4] = [
    std::mem::size_of::<u32>(),
    std::mem::size_of::<EdgeInstance>(),
    std::mem::size_of::<ClusterInstance>(),
    std::mem::size_of::<BundleInstance>(),
];

fn pack(c: [u8; 4]) -> u32 {
    u32::from_le_bytes(c)
}

fn unit(c: [u8; 4]) -> [f32; 4] {
    c.map(|v| v as f32 / 255.0)
}

/// Texels to write into the node texture: `len` texels from texel index
/// `first` (row-major, `tex_width` per row), never across a row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TexelRun {
    pub first: u32,
    pub len: u32,
}

pub struct Scene {
    options: RenderOptions,
    /// Texels per row of the node texture (two per slot), and the most rows it may have.
    tex_width: u32,
    max_rows: u32,
    /// Slots the texture holds (its rows × slots per row).
    capacity: u32,
    /// Rows the texture must be reallocated with before this frame's texels go up.
    grow: Option<u32>,
    /// World point subtracted before converting to f32, so precision stays at the workflow.
    origin: (f64, f64),
    /// Fill and border per type id, resolved from the palette.
    styles: Vec<[u32; 2]>,
    /// Glyph band colour per type id (the palette's fill, else categorical).
    glyph_fills: Vec<u32>,
    dirty: DrawDirty,
    /// Slot ranges (each within one texture row) whose texels are still to go
    /// up, oldest first; encoded only when taken, a bounded batch at a time.
    pending: std::collections::VecDeque<(u32, u32)>,
    view: ViewUniform,
    nodes: Vec<u32>,
    edges: Vec<EdgeInstance>,
    clusters: Vec<ClusterInstance>,
    bundles: Vec<BundleInstance>,
    stats: RenderStats,
    /// Hash of what the target shows (uniform and lists), None when unknown.
    shown: Option<u64>,
}

impl Scene {
    /// A scene for a node texture `tex_width` texels wide (even) holding at
    /// most `max_rows` rows; the texture starts with one row.
    pub fn new(options: RenderOptions, tex_width: u32, max_rows: u32) -> Scene {
        Scene {
            options,
            tex_width,
            max_rows,
            capacity: tex_width / 2,
            grow: None,
            origin: (0.0, 0.0),
            styles: Vec::new(),
            glyph_fills: Vec::new(),
            dirty: DrawDirty {
                all: true,
                slots: Vec::new(),
            },
            pending: Default::default(),
            view: ViewUniform::default(),
            nodes: Vec::new(),
            edges: Vec::new(),
            clusters: Vec::new(),
            bundles: Vec::new(),
            stats: RenderStats::default(),
            shown: None,
        }
    }

    pub fn options(&self) -> &RenderOptions {
        &self.options
    }

    pub fn stats(&self) -> RenderStats {
        self.stats
    }

    pub fn stats_mut(&mut self) -> &mut RenderStats {
        &mut self.stats
    }

    /// After a lost context: upload everything and draw on the next frame.
    pub fn invalidate(&mut self) {
        self.dirty.all = true;
        self.shown = None;
    }

    /// The target was cleared or replaced (a resize): draw on the next frame.
    pub fn force_redraw(&mut self) {
        self.shown = None;
    }

    /// Did the last `prepare` find nothing to draw?
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
            && self.edges.is_empty()
            && self.clusters.is_empty()
            && self.bundles.is_empty()
    }

    /// Rows to reallocate the node texture with (its old content is dropped:
    /// every slot is in this frame's runs), once per growth.
    pub fn take_grow(&mut self) -> Option<u32> {
        self.grow.take()
    }

    /// Whether texels wait to go up (taken with `take_texels`).
    pub fn has_texels(&self) -> bool {
        !self.pending.is_empty()
    }

    /// The oldest waiting texel writes, at least one run and about
    /// `max_texels` at most: `runs` say where, `texels` (four u32 each) hold
    /// them in order. `wf` is the workflow `prepare` saw. A whole workflow
    /// goes up in such batches, so no buffer holds all of its texels at once.
    pub fn take_texels(
        &mut self,
        wf: &Workflow,
        max_texels: usize,
        runs: &mut Vec<TexelRun>,
        texels: &mut Vec<u32>,
    ) {
        runs.clear();
        texels.clear();
        let mut taken = 0usize;
        while let Some(&(start, end)) = self.pending.front() {
            let len = ((end - start) * 2) as usize;
            if taken > 0 && taken + len > max_texels {
                break;
            }
            self.pending.pop_front();
            for i in start..end {
                self.encode_slot(wf, i, texels);
            }
            runs.push(TexelRun {
                first: start * 2,
                len: len as u32,
            });
            taken += len;
        }
    }

    pub fn view_bytes(&self) -> &[u8] {
        bytemuck::bytes_of(&self.view)
    }

    /// The lists, as the vertex buffers hold them, and their instance counts.
    pub fn node_list(&self) -> (&[u8], u32) {
        (bytemuck::cast_slice(&self.nodes), self.nodes.len() as u32)
    }

    pub fn edge_list(&self) -> (&[u8], u32) {
        (bytemuck::cast_slice(&self.edges), self.edges.len() as u32)
    }

    pub fn cluster_list(&self) -> (&[u8], u32) {
        (
            bytemuck::cast_slice(&self.clusters),
            self.clusters.len() as u32,
        )
    }

    pub fn bundle_list(&self) -> (&[u8], u32) {
        (
            bytemuck::cast_slice(&self.bundles),
            self.bundles.len() as u32,
        )
    }

    /// Background to clear to, premultiplied RGBA in 0–1 (as the pipelines blend).
    pub fn clear_color(&self) -> [f64; 4] {
        self.options.clear_color()
    }

    /// Bring the node texture up to date with the optimizer's changes.
    fn sync(&mut self, opt: &mut WorkflowOptimizer) -> Result<u32> {
        let mut taken = DrawDirty::default();
        opt.take_draw_dirty(&mut taken);
        self.dirty.all |= taken.all;
        self.dirty.slots.extend_from_slice(&taken.slots);
        let wf = opt.workflow();
        let slots = wf.slot_count() as u32;
        if slots > self.capacity {
            self.dirty.all = true;
        }
        if self.dirty.all {
            self.upload_all(wf)?;
            self.dirty.all = false;
            self.dirty.slots.clear();
            return Ok(slots * 2);
        }
        let mut changed = std::mem::take(&mut self.dirty.slots);
        changed.sort_unstable();
        changed.dedup();
        self.resolve_styles(wf);
        // Contiguous runs of slots in one texture row go up in one write.
        let per_row = self.tex_width / 2;
        let mut k = 0;
        while k < changed.len() {
            let start = changed[k];
            let mut end = start + 1;
            while k + 1 < changed.len() && changed[k + 1] == end && end % per_row != 0 {
                end += 1;
                k += 1;
            }
            k += 1;
            self.write_slots(start, end);
        }
        Ok(changed.len() as u32 * 2)
    }

    fn resolve_styles(&mut self, wf: &Workflow) {
        let types = wf.types();
        if self.styles.len() == types.len() {
            return;
        }
        let p = &self.options.palette;
        self.styles = (0..types.len() as u16)
            .map(|t| {
                let s = p.by_type.get(types.name(t)).copied().unwrap_or(p.node);
                [pack(s.fill), pack(s.border)]
            })
            .collect();
        self.glyph_fills = (0..types.len() as u16)
            .map(|t| match p.by_type.get(types.name(t)) {
                Some(NodeStyle { glyph: Some(g), .. }) => pack(*g),
                Some(s) if s.border != p.node.border && s.border[3] == 255 => pack(s.border),
                _ => pack(CATEGORICAL[t as usize % CATEGORICAL.len()]),
            })
            .collect();
    }

    fn encode_slot(&self, wf: &Workflow, i: u32, out: &mut Vec<u32>) {
        if !wf.is_shown(i) {
            out.extend_from_slice(&[0; 8]);
            return;
        }
        let r = wf.rect(i);
        let x = (r.x - self.origin.0) as f32;
        let y = (r.y - self.origin.1) as f32;
        let style = self.styles.get(wf.type_id(i) as usize).copied().unwrap_or([
            pack(self.options.palette.node.fill),
            pack(self.options.palette.node.border),
        ]);
        let flags = wf.is_selected(i) as u32 | (wf.handles(i).bits() as u32) << 8;
        out.extend_from_slice(&[
            x.to_bits(),
            y.to_bits(),
            (r.width as f32).to_bits(),
            (r.height as f32).to_bits(),
            style[0],
            style[1],
            flags,
            0,
        ]);
    }

    /// Slots `start..end` (within one texture row) to go up.
    fn write_slots(&mut self, start: u32, end: u32) {
        self.pending.push_back((start, end));
    }

    fn upload_all(&mut self, wf: &Workflow) -> Result<()> {
        let slots = (wf.slot_count() as u32).max(1);
        let rows = (slots * 2).div_ceil(self.tex_width);
        let max = self.max_rows;
        if rows > max {
            return Err(FlowscaleError::new(
                ErrorCode::LimitExceeded,
                format!(
                    "{slots} nodes exceed what this GPU can hold ({} nodes)",
                    max as u64 * self.tex_width as u64 / 2
                ),
            ));
        }
        if slots > self.capacity {
            // Grow by doubling rows, so growing workflows do not reallocate every time.
            let rows = rows.next_power_of_two().min(max);
            self.grow = Some(rows);
            self.capacity = rows * self.tex_width / 2;
        }
        // Precision: coordinates go to f32 relative to the workflow's first shown node.
        self.origin = wf
            .live_slots()
            .find(|&i| wf.is_shown(i))
            .map(|i| (wf.rect(i).x, wf.rect(i).y))
            .unwrap_or((0.0, 0.0));
        self.styles.clear();
        self.resolve_styles(wf);
        // Every slot goes up: earlier writes not yet taken are superseded.
        self.pending.clear();
        let per_row = self.tex_width / 2;
        let n = wf.slot_count() as u32;
        let mut start = 0;
        while start < n {
            let end = (start + per_row).min(n);
            self.write_slots(start, end);
            start = end;
        }
        Ok(())
    }

    /// Build this frame's lists and uniform, and the texel writes of any
    /// changed node data. Returns false when the target already shows
    /// exactly this frame (the same lists at the same viewport, or nothing at
    /// all): such a frame costs the GPU nothing and need not be presented.
    pub fn prepare(
        &mut self,
        opt: &mut WorkflowOptimizer,
        size: (u32, u32),
        dpr: f64,
    ) -> Result<bool> {
        if opt.last_frame().seq == 0 {
            return Err(FlowscaleError::new(
                ErrorCode::InvalidViewport,
                "render() needs a frame: call optimizer.frame(viewport, size) first",
            ));
        }
        let texels = self.sync(opt)?;
        let wf = opt.workflow();
        let f = opt.last_frame();
        let vp = f.viewport;
        let all = self.options.draw == DrawMode::All;
        self.resolve_styles(wf);

        // Nodes drawn one by one: every in-view node React does not mount.
        // (Zoomed out, the frame lists only the nodes outside glyphs.)
        self.nodes.clear();
        for (k, &i) in f.in_view.iter().enumerate() {
            if all || f.lod.get(k).copied() == Some(LOW) {
                self.nodes.push(i);
            }
        }
        self.edges.clear();
        let mut subpixel = 0;
        for &e in &f.edges {
            let (s, t) = wf.edge_ends_of(e);
            if !all && opt.is_mounted(s) && opt.is_mounted(t) {
                continue; // React Flow draws it.
            }
            let r = wf.edge_rect(e);
            if r.width.max(r.height) * vp.zoom < 1.0 {
                subpixel += 1;
                continue;
            }
            let style = wf.edge_kind(e) as u32 | (wf.edge_selected(e) as u32) << 2;
            self.edges.push([s, t, style]);
        }
        // Glyphs and bundles of the cluster level.
        self.clusters.clear();
        self.bundles.clear();
        let c = &f.clusters;
        if c.active {
            let border = pack(self.options.palette.node.border);
            for (j, &count) in c.count.iter().enumerate() {
                let b = c.rect.get(4 * j..4 * j + 4).unwrap_or(&[0.0; 4]);
                let mut fills = [0u32; 3];
                let mut shares = 0u32;
                let mut given = 0u32;
                for (t, fill) in fills.iter_mut().enumerate() {
                    let ty = c.type_ids.get(3 * j + t).copied().unwrap_or(u32::MAX);
                    let n = c.type_counts.get(3 * j + t).copied().unwrap_or(0);
                    if ty == u32::MAX || ty == NO_TYPE as u32 || count == 0 {
                        continue;
                    }
                    *fill = self.glyph_fills.get(ty as usize).copied().unwrap_or(0);
                    let share =
                        ((n as u64 * 255 / count as u64) as u32).min(255u32.saturating_sub(given));
                    given += share;
                    shares |= share << (8 * t);
                }
                self.clusters.push(ClusterInstance {
                    rect: [
                        (b[0] - self.origin.0) as f32,
                        (b[1] - self.origin.1) as f32,
                        b[2] as f32,
                        b[3] as f32,
                    ],
                    fills,
                    shares,
                    border,
                    count,
                });
            }
            for (k, &w) in c.bundle_weight.iter().enumerate() {
                let s = c.bundle_segment.get(4 * k..4 * k + 4).unwrap_or(&[0.0; 4]);
                self.bundles.push(BundleInstance {
                    seg: [
                        (s[0] - self.origin.0) as f32,
                        (s[1] - self.origin.1) as f32,
                        (s[2] - self.origin.0) as f32,
                        (s[3] - self.origin.1) as f32,
                    ],
                    weight: w,
                });
            }
        }

        let scale = vp.zoom * dpr;
        let view = ViewUniform {
            scale: scale as f32,
            dpr: dpr as f32,
            offset: [
                ((self.origin.0 * vp.zoom + vp.x) * dpr) as f32,
                ((self.origin.1 * vp.zoom + vp.y) * dpr) as f32,
            ],
            target_size: [size.0 as f32, size.1 as f32],
            _pad: [0.0; 2],
            edge_color: unit(self.options.palette.edge),
            edge_selected: unit(self.options.palette.edge_selected),
        };
        // What the target will show: an empty frame needs no uniform, and a
        // frame equal to the last one drawn needs no draw at all.
        let mut h = xxhash_rust::xxh3::Xxh3::new();
        if !self.is_empty() {
            h.update(bytemuck::bytes_of(&view));
        }
        h.update(bytemuck::cast_slice(&self.nodes));
        h.update(&[0xff]);
        h.update(bytemuck::cast_slice(&self.edges));
        h.update(&[0xfe]);
        h.update(bytemuck::cast_slice(&self.clusters));
        h.update(&[0xfd]);
        h.update(bytemuck::cast_slice(&self.bundles));
        let shows = h.digest();
        self.view = view;
        let needed = texels > 0 || self.shown != Some(shows);
        self.shown = Some(shows);
        self.stats.nodes = self.nodes.len() as u32;
        self.stats.edges = self.edges.len() as u32;
        self.stats.clusters = self.clusters.len() as u32;
        self.stats.bundles = self.bundles.len() as u32;
        self.stats.edges_subpixel = subpixel;
        self.stats.texels_uploaded = texels;
        self.stats.draw_calls = 0;
        self.stats.encode_ms = 0.0;
        if !needed {
            self.stats.frames_skipped += 1;
            return Ok(false);
        }
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::model::{NodeChange, NodeInput};
    use crate::optimizer::{Screen, Viewport};

    fn optimizer(n: usize) -> WorkflowOptimizer {
        let mut c = Config::default();
        c.clustering.max_zoom = 0.0;
        let mut opt = WorkflowOptimizer::new(c).unwrap();
        let nodes = (0..n)
            .map(|k| {
                NodeInput::new(
                    format!("n{k}"),
                    (k % 100) as f64 * 200.0,
                    (k / 100) as f64 * 80.0,
                )
                .sized(150.0, 40.0)
            })
            .collect();
        opt.set_workflow(nodes, vec![]).unwrap();
        let vp = Viewport {
            x: 0.0,
            y: 0.0,
            zoom: 0.5,
        };
        opt.frame(
            vp,
            Screen {
                width: 800.0,
                height: 600.0,
            },
        )
        .unwrap();
        opt
    }

    /// Take every waiting texel in batches of at most `batch` (or one run),
    /// laid out as the texture holds them; returns the runs taken.
    fn written(
        scene: &mut Scene,
        wf: &Workflow,
        batch: usize,
        texture: &mut Vec<u32>,
    ) -> Vec<TexelRun> {
        let (mut runs, mut texels, mut all) = (Vec::new(), Vec::new(), Vec::new());
        while scene.has_texels() {
            scene.take_texels(wf, batch, &mut runs, &mut texels);
            assert!(texels.len() <= (batch.max(64)) * 4, "a batch stays bounded");
            let mut at_data = 0;
            for run in &runs {
                assert!(run.first % 64 + run.len <= 64, "a run stays in its row");
                let n = run.len as usize * 4;
                let at = run.first as usize * 4;
                if texture.len() < at + n {
                    texture.resize(at + n, 0);
                }
                texture[at..at + n].copy_from_slice(&texels[at_data..at_data + n]);
                at_data += n;
            }
            assert_eq!(at_data, texels.len());
            all.extend_from_slice(&runs);
        }
        all
    }

    #[test]
    fn texels_cover_every_node_then_only_what_moved() {
        let mut opt = optimizer(5000);
        let mut scene = Scene::new(RenderOptions::default(), 64, 4096);
        assert!(scene.prepare(&mut opt, (800, 600), 1.0).unwrap());
        // 5,000 slots × 2 texels in rows of 64: 157 rows, grown to 256.
        assert_eq!(scene.take_grow(), Some(256));
        let mut texture = Vec::new();
        written(&mut scene, opt.workflow(), 300, &mut texture);
        assert_eq!(texture.len(), 5000 * 2 * 4);
        // Oracle: each slot's first texel is its rectangle relative to the origin (node n0).
        let wf = opt.workflow();
        for i in wf.live_slots() {
            let r = wf.rect(i);
            let t = &texture[i as usize * 8..i as usize * 8 + 4];
            assert_eq!(
                t,
                [
                    (r.x as f32).to_bits(),
                    (r.y as f32).to_bits(),
                    150f32.to_bits(),
                    40f32.to_bits()
                ]
            );
        }

        opt.apply_node_changes(vec![NodeChange::Position {
            id: "n4321".into(),
            position: Some((7.0, 9.0)),
            dragging: Some(true),
        }])
        .unwrap();
        opt.frame(
            Viewport {
                x: 0.0,
                y: 0.0,
                zoom: 0.5,
            },
            Screen {
                width: 800.0,
                height: 600.0,
            },
        )
        .unwrap();
        assert!(scene.prepare(&mut opt, (800, 600), 1.0).unwrap());
        assert_eq!(scene.take_grow(), None);
        let slot = opt
            .workflow()
            .live_slots()
            .find(|&i| opt.workflow().rect(i).x == 7.0)
            .unwrap();
        let mut texture = vec![0; 5000 * 8];
        let runs = written(&mut scene, opt.workflow(), 300, &mut texture);
        assert_eq!(
            runs,
            [TexelRun {
                first: slot * 2,
                len: 2
            }]
        );
        let at = slot as usize * 8;
        assert_eq!(texture[at..at + 2], [7f32.to_bits(), 9f32.to_bits()]);
        assert_eq!(scene.stats().texels_uploaded, 2);
    }

    #[test]
    fn more_nodes_than_the_texture_can_hold_is_limit_exceeded() {
        let mut opt = optimizer(300);
        let mut scene = Scene::new(RenderOptions::default(), 64, 4);
        let e = scene.prepare(&mut opt, (800, 600), 1.0).unwrap_err();
        assert_eq!(e.code, ErrorCode::LimitExceeded);
        assert!(e.message.contains("128 nodes"), "{}", e.message);
    }
}
