//! Native GPU timing of the renderer (`bench/gpu.sh` runs it on a machine with
//! a GPU; it also runs on lavapipe, slowly). For each size: a grid of nodes
//! (150 × 60, n8n-like spacing) chained by as many edges, rendered offscreen
//! at 1920×1080 fitted (React Flow's fitView padding) and zoomed in (zoom 1),
//! panned by ±1 px per frame. Per frame: the CPU
//! `frame()` (culling, LOD), the renderer's CPU encode (lists + upload +
//! commands), and the wall time of draw + GPU completion.
//!
//!   cargo run --release --example gpu_bench -- 100000 1000000 4000000

use flowscale::config::Config;
use flowscale::model::{EdgeInput, Handles, NodeInput, Side};
use flowscale::optimizer::{Screen, Viewport, WorkflowOptimizer};
use flowscale::render::offscreen::{native_device, Offscreen};
use flowscale::render::{DrawMode, RenderOptions, Renderer};
use std::time::Instant;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let sizes: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let sizes = if sizes.is_empty() {
        vec![100_000, 1_000_000]
    } else {
        sizes
    };
    let (device, queue, name) = native_device().expect("a GPU adapter");
    println!("adapter: {name}");
    println!("| nodes + edges | view | in view | nodes drawn | edges drawn | cluster glyphs | bundles | sub-pixel edges skipped | draw calls | frame() CPU | encode CPU | draw + GPU wall |");
    println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    let (w, h) = (1920u32, 1080u32);
    let target = Offscreen::new(&device, w, h).expect("target");
    let view = target.view();
    for n in sizes {
        let side = (n as f64).sqrt().ceil() as usize;
        let handles = Handles {
            source: Side::Right,
            target: Side::Left,
        };
        let nodes: Vec<NodeInput> = (0..n)
            .map(|i| {
                let mut node = NodeInput::new(
                    format!("n{i}"),
                    (i % side) as f64 * 200.0,
                    (i / side) as f64 * 120.0,
                )
                .sized(150.0, 60.0);
                node.handles = handles;
                node
            })
            .collect();
        let edges: Vec<EdgeInput> = (1..n)
            .map(|i| EdgeInput::new(format!("e{i}"), format!("n{}", i - 1), format!("n{i}")))
            .collect();
        let mut cfg = Config::default();
        cfg.workflow.max_nodes = (n as u32).max(1) + 1;
        let mut opt = WorkflowOptimizer::new(cfg).unwrap();
        let t = Instant::now();
        opt.set_workflow(nodes, edges).unwrap();
        eprintln!(
            "{n}: setWorkflow {:.0} ms",
            t.elapsed().as_secs_f64() * 1000.0
        );
        let mut r = Renderer::new(
            device.clone(),
            queue.clone(),
            flowscale::render::offscreen::FORMAT,
            RenderOptions {
                draw: DrawMode::All,
                ..Default::default()
            },
        );
        let world_w = side as f64 * 200.0;
        let world_h = (n.div_ceil(side)) as f64 * 120.0;
        // React Flow's fitView (padding 0.1): the whole grid in view.
        let fit = (w as f64 / world_w).min(h as f64 / world_h) / 1.2;
        let views = [
            (
                "zoomed to fit",
                Viewport {
                    x: w as f64 / 2.0 - world_w / 2.0 * fit,
                    y: h as f64 / 2.0 - world_h / 2.0 * fit,
                    zoom: fit,
                },
            ),
            (
                "zoom 1",
                Viewport {
                    x: -world_w / 2.0,
                    y: -world_h / 2.0,
                    zoom: 1.0,
                },
            ),
        ];
        let clock = {
            let t0 = Instant::now();
            move || t0.elapsed().as_secs_f64() * 1000.0
        };
        for (label, vp) in views {
            let screen = Screen {
                width: w as f64,
                height: h as f64,
            };
            let mut frame_ms = Vec::new();
            let mut encode = Vec::new();
            let mut wall = Vec::new();
            for k in 0..40 {
                // A 1 px pan back and forth each frame.
                let vp = Viewport {
                    x: vp.x + if k % 2 == 0 { 1.0 } else { -1.0 },
                    ..vp
                };
                let t = Instant::now();
                opt.frame(vp, screen).unwrap();
                let f_ms = t.elapsed().as_secs_f64() * 1000.0;
                let t = Instant::now();
                r.draw(&mut opt, &view, (w, h), 1.0, &clock).unwrap();
                device.poll(wgpu::PollType::wait_indefinitely()).unwrap();
                let wall_ms = t.elapsed().as_secs_f64() * 1000.0;
                if k >= 5 {
                    frame_ms.push(f_ms);
                    encode.push(r.stats().encode_ms);
                    wall.push(wall_ms);
                }
            }
            let s = r.stats();
            println!(
                "| {} | {label} | {} | {} | {} | {} | {} | {} | {} | {:.2} ms | {:.2} ms | {:.2} ms |",
                n,
                opt.last_frame().stats.in_view,
                s.nodes,
                s.edges,
                s.clusters,
                s.bundles,
                s.edges_subpixel,
                s.draw_calls,
                median(frame_ms),
                median(encode),
                median(wall)
            );
        }
    }
}
