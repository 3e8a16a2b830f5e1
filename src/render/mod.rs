//! The GPU layer: what React does not mount, drawn by wgpu in at most four
//! instanced draw calls (bundles, edges, nodes, cluster glyphs). The same code
//! runs natively (tests, GPU measurements) and in the browser (WebGL2 or WebGPU).
//!
//! Node data lives on the GPU in a texture indexed by slot (see
//! `common.wgsl`), refreshed only for slots the optimizer reports as changed;
//! a frame uploads just the lists to draw. Zoomed out (below
//! `clustering.maxZoom`) the lists come straight from the frame's cluster
//! level — glyphs, bundles, and the few nodes and edges drawn alone — so their
//! length does not grow with the workflow. A frame that would draw exactly
//! what the target already shows is not drawn at all (`prepare` says so).

pub mod offscreen;

use crate::cluster::zoom::NO_TYPE;
use crate::error::{ErrorCode, FlowscaleError, Result};
use crate::lod::LOW;
use crate::model::Workflow;
use crate::optimizer::{DrawDirty, WorkflowOptimizer};
use std::collections::HashMap;
use wgpu::util::DeviceExt;

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

const SEGMENTS: u32 = 24;
const MAX_TEX_WIDTH: u32 = 4096;
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
struct ViewUniform {
    scale: f32,
    dpr: f32,
    offset: [f32; 2],
    target_size: [f32; 2],
    _pad: [f32; 2],
    edge_color: [f32; 4],
    edge_selected: [f32; 4],
}

fn pack(c: [u8; 4]) -> u32 {
    u32::from_le_bytes(c)
}

fn unit(c: [u8; 4]) -> [f32; 4] {
    c.map(|v| v as f32 / 255.0)
}

pub struct Renderer {
    device: wgpu::Device,
    queue: wgpu::Queue,
    node_pipeline: wgpu::RenderPipeline,
    edge_pipeline: wgpu::RenderPipeline,
    cluster_pipeline: wgpu::RenderPipeline,
    bundle_pipeline: wgpu::RenderPipeline,
    layout: wgpu::BindGroupLayout,
    uniform: wgpu::Buffer,
    node_tex: wgpu::Texture,
    bind_group: wgpu::BindGroup,
    tex_width: u32,
    /// Slots the texture has room for.
    capacity: u32,
    node_list: wgpu::Buffer,
    edge_list: wgpu::Buffer,
    cluster_list: wgpu::Buffer,
    bundle_list: wgpu::Buffer,
    /// World point subtracted before converting to f32, so precision stays at the workflow.
    origin: (f64, f64),
    options: RenderOptions,
    /// Fill and border per type id, resolved from the palette.
    styles: Vec<[u32; 2]>,
    /// Glyph band colour per type id (the palette's fill, else categorical).
    glyph_fills: Vec<u32>,
    dirty: DrawDirty,
    nodes: Vec<u32>,
    edges: Vec<EdgeInstance>,
    texels: Vec<u32>,
    stats: RenderStats,
    /// Hash of what the target shows (uniform and lists), None when unknown.
    shown: Option<u64>,
    clusters: Vec<ClusterInstance>,
    bundles: Vec<BundleInstance>,
}

impl Renderer {
    /// Build pipelines for render targets of `format`.
    pub fn new(
        device: wgpu::Device,
        queue: wgpu::Queue,
        format: wgpu::TextureFormat,
        options: RenderOptions,
    ) -> Self {
        let common = include_str!("common.wgsl");
        let module = |label: &str, body: &str| {
            device.create_shader_module(wgpu::ShaderModuleDescriptor {
                label: Some(label),
                source: wgpu::ShaderSource::Wgsl(format!("{common}\n{body}").into()),
            })
        };
        let nodes_wgsl = module("flowscale nodes", include_str!("nodes.wgsl"));
        let edges_wgsl = module("flowscale edges", include_str!("edges.wgsl"));
        let clusters_wgsl = module("flowscale clusters", include_str!("clusters.wgsl"));
        let bundles_wgsl = module("flowscale bundles", include_str!("bundles.wgsl"));
        let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("flowscale view"),
            entries: &[
                wgpu::BindGroupLayoutEntry {
                    binding: 0,
                    visibility: wgpu::ShaderStages::VERTEX | wgpu::ShaderStages::FRAGMENT,
                    ty: wgpu::BindingType::Buffer {
                        ty: wgpu::BufferBindingType::Uniform,
                        has_dynamic_offset: false,
                        min_binding_size: None,
                    },
                    count: None,
                },
                wgpu::BindGroupLayoutEntry {
                    binding: 1,
                    visibility: wgpu::ShaderStages::VERTEX,
                    ty: wgpu::BindingType::Texture {
                        sample_type: wgpu::TextureSampleType::Uint,
                        view_dimension: wgpu::TextureViewDimension::D2,
                        multisampled: false,
                    },
                    count: None,
                },
            ],
        });
        let pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("flowscale"),
            bind_group_layouts: &[Some(&layout)],
            immediate_size: 0,
        });
        let blend = Some(wgpu::BlendState::PREMULTIPLIED_ALPHA_BLENDING);
        let pipeline = |label: &str,
                        module: &wgpu::ShaderModule,
                        vs: &str,
                        fs: &str,
                        attrs: &[wgpu::VertexAttribute],
                        stride: u64| {
            device.create_render_pipeline(&wgpu::RenderPipelineDescriptor {
                label: Some(label),
                layout: Some(&pipeline_layout),
                vertex: wgpu::VertexState {
                    module,
                    entry_point: Some(vs),
                    compilation_options: Default::default(),
                    buffers: &[Some(wgpu::VertexBufferLayout {
                        array_stride: stride,
                        step_mode: wgpu::VertexStepMode::Instance,
                        attributes: attrs,
                    })],
                },
                primitive: wgpu::PrimitiveState {
                    topology: wgpu::PrimitiveTopology::TriangleStrip,
                    ..Default::default()
                },
                depth_stencil: None,
                multisample: wgpu::MultisampleState::default(),
                fragment: Some(wgpu::FragmentState {
                    module,
                    entry_point: Some(fs),
                    compilation_options: Default::default(),
                    targets: &[Some(wgpu::ColorTargetState {
                        format,
                        blend,
                        write_mask: wgpu::ColorWrites::ALL,
                    })],
                }),
                multiview_mask: None,
                cache: None,
            })
        };
        let node_pipeline = pipeline(
            "flowscale nodes",
            &nodes_wgsl,
            "vs_node",
            "fs_node",
            &wgpu::vertex_attr_array![0 => Uint32],
            4,
        );
        let edge_pipeline = pipeline(
            "flowscale edges",
            &edges_wgsl,
            "vs_edge",
            "fs_edge",
            &wgpu::vertex_attr_array![0 => Uint32x2, 1 => Uint32],
            12,
        );
        let cluster_pipeline = pipeline(
            "flowscale clusters",
            &clusters_wgsl,
            "vs_cluster",
            "fs_cluster",
            &wgpu::vertex_attr_array![0 => Float32x4, 1 => Uint32x3, 2 => Uint32, 3 => Uint32, 4 => Uint32],
            40,
        );
        let bundle_pipeline = pipeline(
            "flowscale bundles",
            &bundles_wgsl,
            "vs_bundle",
            "fs_bundle",
            &wgpu::vertex_attr_array![0 => Float32x4, 1 => Uint32],
            20,
        );
        let uniform = device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some("flowscale view"),
            contents: bytemuck::bytes_of(&ViewUniform::default()),
            usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
        });
        let tex_width = device.limits().max_texture_dimension_2d.min(MAX_TEX_WIDTH);
        let node_tex = Self::node_texture(&device, tex_width, 1);
        let bind_group = Self::bind(&device, &layout, &uniform, &node_tex);
        let list = |label: &str, size: u64| {
            device.create_buffer(&wgpu::BufferDescriptor {
                label: Some(label),
                size,
                usage: wgpu::BufferUsages::VERTEX | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            })
        };
        let node_list = list("flowscale node list", 4 * 1024);
        let edge_list = list("flowscale edge list", 12 * 1024);
        let cluster_list = list("flowscale cluster list", 40 * 256);
        let bundle_list = list("flowscale bundle list", 20 * 256);
        Renderer {
            device,
            queue,
            node_pipeline,
            edge_pipeline,
            cluster_pipeline,
            bundle_pipeline,
            layout,
            uniform,
            node_tex,
            bind_group,
            tex_width,
            capacity: tex_width / 2,
            node_list,
            edge_list,
            cluster_list,
            bundle_list,
            origin: (0.0, 0.0),
            options,
            styles: Vec::new(),
            glyph_fills: Vec::new(),
            dirty: DrawDirty {
                all: true,
                slots: Vec::new(),
            },
            nodes: Vec::new(),
            edges: Vec::new(),
            texels: Vec::new(),
            stats: RenderStats::default(),
            shown: None,
            clusters: Vec::new(),
            bundles: Vec::new(),
        }
    }

    fn node_texture(device: &wgpu::Device, width: u32, rows: u32) -> wgpu::Texture {
        device.create_texture(&wgpu::TextureDescriptor {
            label: Some("flowscale node data"),
            size: wgpu::Extent3d {
                width,
                height: rows,
                depth_or_array_layers: 1,
            },
            mip_level_count: 1,
            sample_count: 1,
            dimension: wgpu::TextureDimension::D2,
            format: wgpu::TextureFormat::Rgba32Uint,
            usage: wgpu::TextureUsages::TEXTURE_BINDING | wgpu::TextureUsages::COPY_DST,
            view_formats: &[],
        })
    }

    fn bind(
        device: &wgpu::Device,
        layout: &wgpu::BindGroupLayout,
        uniform: &wgpu::Buffer,
        tex: &wgpu::Texture,
    ) -> wgpu::BindGroup {
        let view = tex.create_view(&wgpu::TextureViewDescriptor::default());
        device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("flowscale view"),
            layout,
            entries: &[
                wgpu::BindGroupEntry {
                    binding: 0,
                    resource: uniform.as_entire_binding(),
                },
                wgpu::BindGroupEntry {
                    binding: 1,
                    resource: wgpu::BindingResource::TextureView(&view),
                },
            ],
        })
    }

    pub fn device(&self) -> &wgpu::Device {
        &self.device
    }

    pub fn queue(&self) -> &wgpu::Queue {
        &self.queue
    }

    pub fn stats(&self) -> RenderStats {
        self.stats
    }

    pub fn stats_mut(&mut self) -> &mut RenderStats {
        &mut self.stats
    }

    pub fn options(&self) -> &RenderOptions {
        &self.options
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
            self.write_slots(wf, start, end);
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

    fn write_slots(&mut self, wf: &Workflow, start: u32, end: u32) {
        let mut texels = std::mem::take(&mut self.texels);
        texels.clear();
        for i in start..end {
            self.encode_slot(wf, i, &mut texels);
        }
        let first = start * 2;
        self.queue.write_texture(
            wgpu::TexelCopyTextureInfo {
                texture: &self.node_tex,
                mip_level: 0,
                origin: wgpu::Origin3d {
                    x: first % self.tex_width,
                    y: first / self.tex_width,
                    z: 0,
                },
                aspect: wgpu::TextureAspect::All,
            },
            bytemuck::cast_slice(&texels),
            wgpu::TexelCopyBufferLayout {
                offset: 0,
                bytes_per_row: Some((end - start) * 2 * 16),
                rows_per_image: None,
            },
            wgpu::Extent3d {
                width: (end - start) * 2,
                height: 1,
                depth_or_array_layers: 1,
            },
        );
        self.texels = texels;
    }

    fn upload_all(&mut self, wf: &Workflow) -> Result<()> {
        let slots = (wf.slot_count() as u32).max(1);
        let rows = (slots * 2).div_ceil(self.tex_width);
        let max = self.device.limits().max_texture_dimension_2d;
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
            self.node_tex = Self::node_texture(&self.device, self.tex_width, rows);
            self.bind_group = Self::bind(&self.device, &self.layout, &self.uniform, &self.node_tex);
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
        let per_row = self.tex_width / 2;
        let n = wf.slot_count() as u32;
        let mut start = 0;
        while start < n {
            let end = (start + per_row).min(n);
            self.write_slots(wf, start, end);
            start = end;
        }
        Ok(())
    }

    /// Draw the optimizer's last frame into `target` (`size` in device pixels,
    /// `dpr` device pixels per CSS pixel), submitting the work. `now` is a
    /// millisecond clock for the encode time.
    pub fn draw(
        &mut self,
        opt: &mut WorkflowOptimizer,
        target: &wgpu::TextureView,
        size: (u32, u32),
        dpr: f64,
        now: &dyn Fn() -> f64,
    ) -> Result<()> {
        let started = now();
        self.prepare(opt, size, dpr)?;
        self.encode(target);
        self.stats.encode_ms = now() - started;
        Ok(())
    }

    /// Build this frame's lists and upload them and any changed node data.
    /// Returns false when the target already shows exactly this frame (the
    /// same lists at the same viewport, or nothing at all): such a frame
    /// costs the GPU nothing and need not be presented.
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
        self.queue
            .write_buffer(&self.uniform, 0, bytemuck::bytes_of(&view));
        Self::upload_list(
            &self.device,
            &self.queue,
            &mut self.node_list,
            bytemuck::cast_slice(&self.nodes),
        );
        Self::upload_list(
            &self.device,
            &self.queue,
            &mut self.edge_list,
            bytemuck::cast_slice(&self.edges),
        );
        Self::upload_list(
            &self.device,
            &self.queue,
            &mut self.cluster_list,
            bytemuck::cast_slice(&self.clusters),
        );
        Self::upload_list(
            &self.device,
            &self.queue,
            &mut self.bundle_list,
            bytemuck::cast_slice(&self.bundles),
        );
        Ok(true)
    }

    /// Encode and submit the prepared frame into `target`.
    pub fn encode(&mut self, target: &wgpu::TextureView) {
        let mut encoder = self
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("flowscale"),
            });
        let bg = unit(self.options.palette.background);
        let mut draw_calls = 0;
        {
            let mut pass = encoder.begin_render_pass(&wgpu::RenderPassDescriptor {
                label: Some("flowscale"),
                color_attachments: &[Some(wgpu::RenderPassColorAttachment {
                    view: target,
                    depth_slice: None,
                    resolve_target: None,
                    ops: wgpu::Operations {
                        // Premultiplied, as the pipelines blend.
                        load: wgpu::LoadOp::Clear(wgpu::Color {
                            r: (bg[0] * bg[3]) as f64,
                            g: (bg[1] * bg[3]) as f64,
                            b: (bg[2] * bg[3]) as f64,
                            a: bg[3] as f64,
                        }),
                        store: wgpu::StoreOp::Store,
                    },
                })],
                depth_stencil_attachment: None,
                timestamp_writes: None,
                occlusion_query_set: None,
                multiview_mask: None,
            });
            pass.set_bind_group(0, &self.bind_group, &[]);
            if !self.bundles.is_empty() {
                pass.set_pipeline(&self.bundle_pipeline);
                pass.set_vertex_buffer(
                    0,
                    self.bundle_list.slice(..(self.bundles.len() * 20) as u64),
                );
                pass.draw(0..4, 0..self.bundles.len() as u32);
                draw_calls += 1;
            }
            if !self.edges.is_empty() {
                pass.set_pipeline(&self.edge_pipeline);
                pass.set_vertex_buffer(0, self.edge_list.slice(..(self.edges.len() * 12) as u64));
                pass.draw(0..2 * (SEGMENTS + 1), 0..self.edges.len() as u32);
                draw_calls += 1;
            }
            if !self.nodes.is_empty() {
                pass.set_pipeline(&self.node_pipeline);
                pass.set_vertex_buffer(0, self.node_list.slice(..(self.nodes.len() * 4) as u64));
                pass.draw(0..4, 0..self.nodes.len() as u32);
                draw_calls += 1;
            }
            if !self.clusters.is_empty() {
                pass.set_pipeline(&self.cluster_pipeline);
                pass.set_vertex_buffer(
                    0,
                    self.cluster_list.slice(..(self.clusters.len() * 40) as u64),
                );
                pass.draw(0..4, 0..self.clusters.len() as u32);
                draw_calls += 1;
            }
        }
        self.queue.submit([encoder.finish()]);
        self.stats.draw_calls = draw_calls;
        self.stats.frames += 1;
    }

    /// Write `data` to a list buffer, growing it (doubling) when it is too small.
    fn upload_list(
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        buf: &mut wgpu::Buffer,
        data: &[u8],
    ) {
        if data.is_empty() {
            return;
        }
        if (data.len() as u64) > buf.size() {
            *buf = device.create_buffer(&wgpu::BufferDescriptor {
                label: Some("flowscale list"),
                size: (data.len() as u64).next_power_of_two(),
                usage: wgpu::BufferUsages::VERTEX | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            });
        }
        queue.write_buffer(buf, 0, data);
    }
}
