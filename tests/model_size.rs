//! Heap bytes per node and build time of the workflow model at a million
//! nodes shaped like the n8n sample tiled (ids such as
//! "123/When clicking ‘Test workflow’", 0.73 edges per node, ends resolved
//! by slot as the web layer's load passes them). A measurement, not a
//! check: run with
//! `cargo test --release --no-default-features --test model_size -- --ignored --nocapture`.
#![cfg(not(target_arch = "wasm32"))]

use flowscale::config::WorkflowConfig;
use flowscale::model::{EdgeInput, NodeInput, WorkflowBuilder};
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

#[test]
#[ignore]
fn million_node_model() {
    const N: usize = 1_000_000;
    let tiles = N.div_ceil(NAMES.len());
    let nodes: Vec<NodeInput> = (0..N)
        .map(|i| {
            let (tile, k) = (i / NAMES.len(), i % NAMES.len());
            NodeInput::new(
                format!("{tile}/{}", NAMES[k]),
                (tile % 300) as f64 * 2000.0 + k as f64 * 120.0,
                (tile / 300) as f64 * 400.0,
            )
            .sized(100.0, 100.0)
        })
        .collect();
    let edges: Vec<EdgeInput> = (0..tiles)
        .flat_map(|tile| {
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
        .collect();
    let (n, m) = (nodes.len(), edges.len());
    let id_bytes: usize = nodes.iter().map(|n| n.id.len()).sum::<usize>()
        + edges.iter().map(|e| e.id.len()).sum::<usize>();

    let base = LIVE.load(Ordering::Relaxed);
    let inputs = base;
    PEAK.store(base, Ordering::Relaxed);
    let allocs = ALLOCS.load(Ordering::Relaxed);
    let t = Instant::now();
    let mut b = WorkflowBuilder::new(n, m, &WorkflowConfig::default()).expect("limits");
    for node in nodes {
        b.push_node(node).expect("valid node");
    }
    b.finish_nodes().expect("parents");
    for e in edges {
        b.push_edge(e).expect("valid edge");
    }
    let wf = b.finish().expect("workflow");
    let took = t.elapsed();
    let allocs = ALLOCS.load(Ordering::Relaxed) - allocs;
    // The inputs are consumed: what is live now beyond the start is the model.
    let before_inputs = LIVE.load(Ordering::Relaxed);
    let peak = PEAK.load(Ordering::Relaxed);
    println!(
        "{n} nodes, {m} edges, ids {:.1} B/node in all",
        id_bytes as f64 / n as f64
    );
    println!("build {took:.2?}, {allocs} allocations during the build");
    black_box(&wf);
    drop(wf);
    let model = before_inputs - LIVE.load(Ordering::Relaxed);
    println!(
        "model: {:.1} B/node live; peak while building {:.1} B/node above the inputs",
        model as f64 / n as f64,
        (peak - inputs) as f64 / n as f64
    );
}
