//! The GPU layer: what React does not mount, drawn by wgpu in at most four
//! instanced draw calls (bundles, edges, nodes, cluster glyphs). The same code
//! runs natively (tests, GPU measurements) and in the browser (WebGL2 or WebGPU).
//!
//! What to draw is a `Scene` (platform-free: texels, lists, uniform); the
//! `Renderer` here owns the GPU objects, uploads the scene and encodes the draws.

#[cfg(feature = "render")]
pub mod offscreen;
pub mod scene;

pub use scene::{
    DrawMode, NodeStyle, Palette, RenderOptions, RenderStats, Scene, TexelRun, LIST_STRIDES,
    VIEW_BYTES,
};

#[cfg(feature = "render")]
pub use gpu::{GpuLayer, Renderer};

#[cfg(feature = "render")]
mod gpu {
    use super::scene::{RenderOptions, RenderStats, Scene, TexelRun, ViewUniform};
    use crate::error::Result;
    use crate::model::Workflow;
    use crate::optimizer::WorkflowOptimizer;
    use wgpu::util::DeviceExt;

    const SEGMENTS: u32 = 24;
    const MAX_TEX_WIDTH: u32 = 4096;

    /// The GPU objects: pipelines, the node texture and the list buffers. It
    /// uploads what a `Scene` built (possibly in another wasm module, handed
    /// over as plain arrays) and encodes the draws.
    pub struct GpuLayer {
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
        node_list: wgpu::Buffer,
        edge_list: wgpu::Buffer,
        cluster_list: wgpu::Buffer,
        bundle_list: wgpu::Buffer,
        max_rows: u32,
        /// Instances uploaded: nodes, edges, clusters, bundles.
        counts: [u32; 4],
    }

    impl GpuLayer {
        /// Build pipelines for render targets of `format`.
        pub fn new(device: wgpu::Device, queue: wgpu::Queue, format: wgpu::TextureFormat) -> Self {
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
            let max_rows = device.limits().max_texture_dimension_2d;
            let tex_width = max_rows.min(MAX_TEX_WIDTH);
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
            GpuLayer {
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
                node_list,
                edge_list,
                cluster_list,
                bundle_list,
                max_rows,
                counts: [0; 4],
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

        /// Texels per row of the node texture, and the most rows it may have: what a `Scene` is made for.
        pub fn texture_shape(&self) -> (u32, u32) {
            (self.tex_width, self.max_rows)
        }

        /// Rows the node texture has now.
        pub fn rows(&self) -> u32 {
            self.node_tex.height()
        }

        /// A new node texture of `rows` rows (its old content is dropped).
        pub fn grow(&mut self, rows: u32) {
            self.node_tex = Self::node_texture(&self.device, self.tex_width, rows);
            self.bind_group = Self::bind(&self.device, &self.layout, &self.uniform, &self.node_tex);
        }

        /// Write `texels` (four u32 each) at `run`.
        pub fn write_texels(&self, run: TexelRun, texels: &[u32]) {
            self.queue.write_texture(
                wgpu::TexelCopyTextureInfo {
                    texture: &self.node_tex,
                    mip_level: 0,
                    origin: wgpu::Origin3d {
                        x: run.first % self.tex_width,
                        y: run.first / self.tex_width,
                        z: 0,
                    },
                    aspect: wgpu::TextureAspect::All,
                },
                bytemuck::cast_slice(texels),
                wgpu::TexelCopyBufferLayout {
                    offset: 0,
                    bytes_per_row: Some(run.len * 16),
                    rows_per_image: None,
                },
                wgpu::Extent3d {
                    width: run.len,
                    height: 1,
                    depth_or_array_layers: 1,
                },
            );
        }

        /// Upload the view uniform and the lists (bytes, instance count) of
        /// nodes, edges, clusters and bundles, as a `Scene` lays them out.
        pub fn upload(&mut self, view: &[u8], lists: [(&[u8], u32); 4]) {
            self.queue.write_buffer(&self.uniform, 0, view);
            let bufs = [
                &mut self.node_list,
                &mut self.edge_list,
                &mut self.cluster_list,
                &mut self.bundle_list,
            ];
            for (k, (buf, (data, count))) in bufs.into_iter().zip(lists).enumerate() {
                Self::upload_list(&self.device, &self.queue, buf, data);
                self.counts[k] = count;
            }
        }

        /// Encode and submit the uploaded frame into `target`, cleared to
        /// `clear` (premultiplied RGBA, 0–1). Returns the draw calls made.
        pub fn encode(&mut self, target: &wgpu::TextureView, clear: [f64; 4]) -> u32 {
            let mut encoder = self
                .device
                .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                    label: Some("flowscale"),
                });
            let [r, g, b, a] = clear;
            let [nodes, edges, clusters, bundles] = self.counts;
            let mut draw_calls = 0;
            {
                let mut pass = encoder.begin_render_pass(&wgpu::RenderPassDescriptor {
                    label: Some("flowscale"),
                    color_attachments: &[Some(wgpu::RenderPassColorAttachment {
                        view: target,
                        depth_slice: None,
                        resolve_target: None,
                        ops: wgpu::Operations {
                            load: wgpu::LoadOp::Clear(wgpu::Color { r, g, b, a }),
                            store: wgpu::StoreOp::Store,
                        },
                    })],
                    depth_stencil_attachment: None,
                    timestamp_writes: None,
                    occlusion_query_set: None,
                    multiview_mask: None,
                });
                pass.set_bind_group(0, &self.bind_group, &[]);
                // Back to front: bundles, edges, nodes, glyphs (instances, pipeline, list, stride, vertices).
                let draws = [
                    (bundles, &self.bundle_pipeline, &self.bundle_list, 20, 4),
                    (
                        edges,
                        &self.edge_pipeline,
                        &self.edge_list,
                        12,
                        2 * (SEGMENTS + 1),
                    ),
                    (nodes, &self.node_pipeline, &self.node_list, 4, 4),
                    (clusters, &self.cluster_pipeline, &self.cluster_list, 40, 4),
                ];
                for (count, pipeline, list, stride, vertices) in draws {
                    if count == 0 {
                        continue;
                    }
                    pass.set_pipeline(pipeline);
                    pass.set_vertex_buffer(0, list.slice(..count as u64 * stride));
                    pass.draw(0..vertices, 0..count);
                    draw_calls += 1;
                }
            }
            self.queue.submit([encoder.finish()]);
            draw_calls
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
    /// A `GpuLayer` drawing its own `Scene`: the GPU layer in one module
    /// (native code, tests, the GPU benchmark).
    pub struct Renderer {
        layer: GpuLayer,
        scene: Scene,
    }

    impl Renderer {
        /// Build pipelines for render targets of `format`.
        pub fn new(
            device: wgpu::Device,
            queue: wgpu::Queue,
            format: wgpu::TextureFormat,
            options: RenderOptions,
        ) -> Self {
            let layer = GpuLayer::new(device, queue, format);
            let (tex_width, max_rows) = layer.texture_shape();
            Renderer {
                layer,
                scene: Scene::new(options, tex_width, max_rows),
            }
        }

        pub fn device(&self) -> &wgpu::Device {
            self.layer.device()
        }

        pub fn queue(&self) -> &wgpu::Queue {
            self.layer.queue()
        }

        pub fn stats(&self) -> RenderStats {
            self.scene.stats()
        }

        pub fn options(&self) -> &RenderOptions {
            self.scene.options()
        }

        /// After a lost context: upload everything and draw on the next frame.
        pub fn invalidate(&mut self) {
            self.scene.invalidate();
        }

        /// The target was cleared or replaced (a resize): draw on the next frame.
        pub fn force_redraw(&mut self) {
            self.scene.force_redraw();
        }

        /// Did the last `prepare` find nothing to draw?
        pub fn is_empty(&self) -> bool {
            self.scene.is_empty()
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
            self.scene.stats_mut().encode_ms = now() - started;
            Ok(())
        }

        /// Build this frame's scene and upload it. Returns false when the
        /// target already shows this frame (nothing need be drawn or presented).
        pub fn prepare(
            &mut self,
            opt: &mut WorkflowOptimizer,
            size: (u32, u32),
            dpr: f64,
        ) -> Result<bool> {
            let needed = self.scene.prepare(opt, size, dpr)?;
            upload(&mut self.scene, &mut self.layer, opt.workflow(), needed);
            Ok(needed)
        }

        /// Encode and submit the prepared frame into `target`.
        pub fn encode(&mut self, target: &wgpu::TextureView) {
            let calls = self.layer.encode(target, self.scene.clear_color());
            let stats = self.scene.stats_mut();
            stats.draw_calls = calls;
            stats.frames += 1;
        }
    }

    /// Hand what `scene.prepare` built to `layer`: texture growth and texels
    /// always, the uniform and lists when the frame is `needed`.
    fn upload(scene: &mut Scene, layer: &mut GpuLayer, wf: &Workflow, needed: bool) {
        if let Some(rows) = scene.take_grow() {
            layer.grow(rows);
        }
        // A texture row at a time: no buffer holds a whole workflow's texels.
        let (mut runs, mut texels) = (Vec::new(), Vec::new());
        while scene.has_texels() {
            scene.take_texels(wf, layer.texture_shape().0 as usize, &mut runs, &mut texels);
            let mut at = 0;
            for &run in &runs {
                let n = run.len as usize * 4;
                layer.write_texels(run, &texels[at..at + n]);
                at += n;
            }
        }
        if needed {
            layer.upload(
                scene.view_bytes(),
                [
                    scene.node_list(),
                    scene.edge_list(),
                    scene.cluster_list(),
                    scene.bundle_list(),
                ],
            );
        }
    }
}
