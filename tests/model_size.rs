//! Heap bytes per node and build time of the workflow model at a million
//! nodes shaped like the n8n sample tiled (ids such as
//! "123/When clicking ‘Test workflow’", 0.73 edges per node, ends resolved
//! by slot as the web layer's load passes them). A measurement, not a
//! check: run with
//! `cargo test --release --no-default-features --test model_size -- --ignored --nocapture`.
#![cfg(not(target_arch = "wasm32"))]

use flowscale::model::{EdgeInput, NodeInput, Workflow, WorkflowBuilder, WorkflowConfig};
use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

/// Counts live heap bytes, their peak and the number of allocations.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);
static ALLOCS: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(l) };
        if !p.is_null() {
            ALLOCS.fetch_add(1, Ordering::Relaxed);
            let now = LIVE.fetch_add(l.size(), Ordering::Relaxed) + l.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        unsafe { System.dealloc(p, l) };
        LIVE.fetch_sub(l.size(), Ordering::Relaxed);
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// Node names of an n8n workflow (the sample's ids average 17 bytes).
const NAMES: [&str; 15] = [
    "When clicking ‘Test workflow’",
    "Get HTML",
    "Gmail Themes",
    "Get HTML Report",
    "#damus Themes List",
    "gemini-2.0-flash-lite-preview",
    "Schedule Trigger",
    "HTTP Request",
    "Edit Fields",
    "If",
    "Merge",
    "Code",
    "Sticky Note",
    "OpenAI Chat Model",
    "Send a message",
];

/// Edges per 15-node tile: a chain with a branch, 11 edges (0.73 per node).
const TILE_EDGES: [(u32, u32); 11] = [
    (0, 1),
    (1, 2),
    (2, 3),
    (3, 4),
    (4, 5),
    (5, 6),
    (6, 7),
    (7, 8),
    (8, 9),
    (9, 10),
    (3, 11),
];

const N: usize = 1_000_000;

/// The n8n-like nodes, made one at a time as a load's slices bring them.
fn nodes() -> impl Iterator<Item = NodeInput> {
    (0..N).map(|i| {
        let (tile, k) = (i / NAMES.len(), i % NAMES.len());
        NodeInput::new(
            format!("{tile}/{}", NAMES[k]),
            (tile % 300) as f64 * 2000.0 + k as f64 * 120.0,
            (tile / 300) as f64 * 400.0,
        )
        .sized(100.0, 100.0)
    })
}

fn edges() -> impl Iterator<Item = EdgeInput> {
    (0..N.div_ceil(NAMES.len())).flat_map(|tile| {
        let base = (tile * NAMES.len()) as u32;
        TILE_EDGES
            .iter()
            .enumerate()
            .filter(move |&(_, &(s, t))| ((base + s.max(t)) as usize) < N)
            .map(move |(k, &(s, t))| EdgeInput {
                id: format!("{tile}/e{k}"),
                ends: Some((base + s, base + t)),
                ..Default::default()
            })
    })
}

fn build(
    nodes: impl Iterator<Item = NodeInput>,
    edges: impl Iterator<Item = EdgeInput>,
    m: usize,
) -> Workflow {
    let mut b = WorkflowBuilder::new(N, m, &WorkflowConfig::default()).expect("limits");
    for node in nodes {
        b.push_node(node).expect("valid node");
    }
    b.finish_nodes().expect("parents");
    for e in edges {
        b.push_edge(e).expect("valid edge");
    }
    b.finish().expect("workflow")
}

#[test]
#[ignore]
fn million_node_model() {
    let m = edges().count();
    let id_bytes: usize =
        nodes().map(|n| n.id.len()).sum::<usize>() + edges().map(|e| e.id.len()).sum::<usize>();
    println!(
        "{N} nodes, {m} edges, ids {:.1} B/node in all",
        id_bytes as f64 / N as f64
    );

    // Time, with the inputs made beforehand (their strings are freed or
    // kept by the build: both count).
    for _ in 0..3 {
        let (ns, es): (Vec<NodeInput>, Vec<EdgeInput>) = (nodes().collect(), edges().collect());
        let allocs = ALLOCS.load(Ordering::Relaxed);
        let t = Instant::now();
        let wf = build(ns.into_iter(), es.into_iter(), m);
        let took = t.elapsed();
        let allocs = ALLOCS.load(Ordering::Relaxed) - allocs;
        black_box(&wf);
        // Freeing counts too: ids kept as strings are freed here.
        let t = Instant::now();
        drop(wf);
        let dropped = t.elapsed();
        println!("build {took:.2?} ({allocs} allocations), drop {dropped:.2?}");
    }

    // Memory, with the inputs made as they are pushed: what is live after
    // is the model; the peak is the most the build held at once.
    let base = LIVE.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let wf = build(nodes(), edges(), m);
    let live = LIVE.load(Ordering::Relaxed) - base;
    let peak = PEAK.load(Ordering::Relaxed) - base;
    black_box(&wf);
    println!(
        "model: {:.1} B/node live, peak while building {:.1} B/node",
        live as f64 / N as f64,
        peak as f64 / N as f64
    );
}

/// The whole load as `setWorkflowAsync` runs it (rows in slices, the index
/// in steps): live bytes per node of each part once built, and the peak.
#[test]
#[ignore]
fn million_node_load() {
    use flowscale::cluster::zoom::ClusterBuild;
    use flowscale::config::Config;
    use flowscale::spatial::SpatialBuild;
    let m = edges().count();
    let cfg = Config::default();
    let per = |b: usize| b as f64 / N as f64;
    let base = LIVE.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let t = Instant::now();
    let wf = build(nodes(), edges(), m);
    let model = LIVE.load(Ordering::Relaxed) - base;
    let peak_model = PEAK.load(Ordering::Relaxed) - base;
    let mut s = SpatialBuild::new(&wf);
    while !s.step(&wf, 4096) {}
    let index = s.finish();
    let spatial = LIVE.load(Ordering::Relaxed) - base - model;
    let peak_spatial = PEAK.load(Ordering::Relaxed) - base;
    let mut c = ClusterBuild::new(&wf, &cfg.clustering);
    while !c.step(&wf, 4096) {}
    let clusters = c.finish();
    let cluster_bytes = LIVE.load(Ordering::Relaxed) - base - model - spatial;
    let peak = PEAK.load(Ordering::Relaxed) - base;
    black_box((&wf, &index, &clusters));
    println!(
        "load {:.2?}: model {:.1} B/node (peak {:.1}), spatial index {:.1} (peak so far {:.1}), clusters and bundles {:.1} (levels {}..={}); all {:.1} B/node live, peak {:.1}",
        t.elapsed(),
        per(model),
        per(peak_model),
        per(spatial),
        per(peak_spatial),
        per(cluster_bytes),
        clusters.first_level(),
        clusters.levels(),
        per(model + spatial + cluster_bytes),
        per(peak)
    );
}
