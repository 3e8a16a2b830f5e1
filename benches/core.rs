//! Native benchmarks of the platform-free core (`cargo bench`): a frame at
//! three zooms, the workflow build and its R-tree bulk load, and drags.
//! The JS-side comparison with React Flow, flatbush and rbush is
//! `npm run bench` (bench/frame.mjs); see docs/benchmarks.md.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use flowscale::config::Config;
use flowscale::model::{EdgeInput, NodeInput, Workflow};
use flowscale::optimizer::{Screen, Viewport, WorkflowOptimizer};
use flowscale::spatial::SpatialIndex;
use std::hint::black_box;

/// A grid of 100 × 100 nodes 200 apart (the spacing of n8n's layouts), chained by edges.
fn grid(n: usize) -> (Vec<NodeInput>, Vec<EdgeInput>) {
    let side = (n as f64).sqrt().ceil() as usize;
    let nodes = (0..n)
        .map(|i| {
            NodeInput::new(
                format!("n{i}"),
                (i % side) as f64 * 200.0,
                (i / side) as f64 * 200.0,
            )
            .sized(100.0, 100.0)
        })
        .collect();
    let edges = (1..n)
        .map(|i| EdgeInput::new(format!("e{i}"), format!("n{}", i - 1), format!("n{i}")))
        .collect();
    (nodes, edges)
}

const SCREEN: Screen = Screen {
    width: 1920.0,
    height: 1080.0,
};

/// Room for the 4M-node grid (the default caps at 2M nodes).
fn config() -> Config {
    let mut cfg = Config::default();
    cfg.workflow.max_nodes = 5_000_000;
    cfg.workflow.max_edges = 5_000_000;
    cfg
}

fn frames(c: &mut Criterion) {
    let mut g = c.benchmark_group("frame");
    for n in [10_000usize, 100_000, 1_000_000, 4_000_000] {
        let (nodes, edges) = grid(n);
        let mut opt = WorkflowOptimizer::new(config()).unwrap();
        opt.set_workflow(nodes, edges).unwrap();
        let centre = (n as f64).sqrt() * 100.0;
        // The whole grid in view with React Flow's fitView padding (10 %).
        let fit = 1080.0 / (centre * 2.0 + 200.0) / 1.2;
        // The three zooms of bench/frame.mjs at 100k and 1M; zoomed in and
        // fitted at every size.
        let zooms: &[f64] = if n == 100_000 || n == 1_000_000 {
            &[1.0, 0.25, 0.05, fit]
        } else {
            &[1.0, fit]
        };
        for &zoom in zooms {
            let mut k = 0.0;
            let label = if zoom == fit {
                "zoomed to fit".to_string()
            } else {
                format!("zoom {zoom}")
            };
            g.bench_with_input(
                BenchmarkId::new(format!("{n} nodes"), label),
                &zoom,
                |b, &zoom| {
                    b.iter(|| {
                        k = (k + 1.0) % 64.0;
                        let vp = if zoom == fit {
                            // A pan of 1 px back and forth: the grid stays in view.
                            Viewport {
                                x: 960.0 - centre * zoom + (k % 2.0),
                                y: 540.0 - centre * zoom,
                                zoom,
                            }
                        } else {
                            // A pan of 15 × 7 px per frame, restarting every 64 frames.
                            Viewport {
                                x: 960.0 - centre * zoom - 15.0 * k,
                                y: 540.0 - centre * zoom - 7.0 * k,
                                zoom,
                            }
                        };
                        black_box(opt.frame(vp, SCREEN).unwrap().stats.in_view)
                    })
                },
            );
        }
    }
    g.finish();
}

fn build(c: &mut Criterion) {
    let mut g = c.benchmark_group("build");
    g.sample_size(10);
    let cfg = Config::default();
    let (nodes, edges) = grid(100_000);
    g.bench_function("model 100k", |b| {
        b.iter_batched(
            || (nodes.clone(), edges.clone()),
            |(n, e)| Workflow::build(n, e, &cfg.workflow).unwrap(),
            criterion::BatchSize::LargeInput,
        )
    });
    let wf = Workflow::build(nodes.clone(), edges.clone(), &cfg.workflow).unwrap();
    g.bench_function("r-trees 100k", |b| b.iter(|| SpatialIndex::build(&wf)));
    g.finish();
}

fn drags(c: &mut Criterion) {
    let mut g = c.benchmark_group("drag");
    let (nodes, edges) = grid(100_000);
    let mut opt = WorkflowOptimizer::new(Config::default()).unwrap();
    opt.set_workflow(nodes, edges).unwrap();
    for k in [1usize, 1000] {
        let idx: Vec<u32> = (0..k as u32).map(|i| i * 97 % 100_000).collect();
        let mut flip = 1.0f32;
        g.bench_function(format!("updatePositions {k} of 100k"), |b| {
            b.iter(|| {
                flip = -flip;
                let xy: Vec<f32> = idx
                    .iter()
                    .flat_map(|&i| [(i % 316) as f32 * 200.0 + flip, (i / 316) as f32 * 200.0])
                    .collect();
                opt.update_positions(&idx, &xy).unwrap()
            })
        });
    }
    g.finish();
}

criterion_group!(benches, frames, build, drags);
criterion_main!(benches);
