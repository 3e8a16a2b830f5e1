//! Build time, memory and query time of the spatial index at a million
//! nodes, against a bulk-loaded `rstar` tree with a rectangle per slot (the
//! layout the packed index replaced). A measurement, not a check: run with
//! `cargo test --release --no-default-features --test spatial_size -- --ignored --nocapture`.
#![cfg(not(target_arch = "wasm32"))]

use flowscale::model::{NodeInput, Rect, Workflow, WorkflowConfig};
use flowscale::spatial::{FlowParams, Hit, SpatialBuild, SpatialIndex};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{RTree, AABB};
use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::ops::ControlFlow;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Counts live heap bytes and their peak.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(l) };
        if !p.is_null() {
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

/// Live bytes a value adds, and the peak above the start while making it.
fn measured<T>(make: impl FnOnce() -> T) -> (T, usize, usize, Duration) {
    let before = LIVE.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    let t = Instant::now();
    let v = make();
    let took = t.elapsed();
    let live = LIVE.load(Ordering::Relaxed) - before;
    let peak = PEAK.load(Ordering::Relaxed) - before;
    (v, live, peak, took)
}

type Entry = GeomWithData<Rectangle<[f64; 2]>, u32>;

/// The layout before the packed index: a bulk-loaded tree and a rectangle per slot.
fn rstar_index(wf: &Workflow) -> (RTree<Entry, FlowParams>, Vec<Option<Rect>>) {
    let mut rects = vec![None; wf.slot_count()];
    let mut entries = Vec::with_capacity(wf.node_count());
    for i in wf.live_slots() {
        let r = wf.rect(i);
        rects[i as usize] = Some(r);
        entries.push(GeomWithData::new(
            Rectangle::from_corners([r.x, r.y], [r.x2(), r.y2()]),
            i,
        ));
    }
    (RTree::bulk_load_with_params(entries), rects)
}

#[test]
#[ignore]
fn million_node_grid() {
    const SIDE: usize = 1000;
    let nodes: Vec<NodeInput> = (0..SIDE * SIDE)
        .map(|i| {
            let (x, y) = ((i % SIDE) as f64 * 200.0, (i / SIDE) as f64 * 200.0);
            NodeInput::new(format!("n{i}"), x, y).sized(100.0, 100.0)
        })
        .collect();
    let cfg = WorkflowConfig::default();
    let wf = Workflow::build(nodes, Vec::new(), &cfg).expect("valid grid");
    let n = wf.node_count();

    let (packed, live, peak, took) = measured(|| SpatialIndex::build(&wf));
    println!(
        "packed: build {took:.2?}, {:.1} B/entry live ({:.1} static), peak {:.1} B/entry",
        live as f64 / n as f64,
        packed.static_heap_bytes() as f64 / n as f64,
        peak as f64 / n as f64
    );
    let (old, live, peak, took) = measured(|| rstar_index(&wf));
    println!(
        "rstar:  build {took:.2?}, {:.1} B/entry live, peak {:.1} B/entry",
        live as f64 / n as f64,
        peak as f64 / n as f64
    );

    // Step times when the build is cut into budgeted steps (the longest can
    // include a preemption by another process; the 99th percentile cannot, much).
    for budget in [10_000, 100_000] {
        let mut b = SpatialBuild::new(&wf);
        let mut times = Vec::new();
        loop {
            let t = Instant::now();
            let done = b.step(&wf, budget);
            times.push(t.elapsed());
            if done {
                break;
            }
        }
        black_box(b.finish());
        times.sort();
        let at = |q: f64| times[((times.len() - 1) as f64 * q) as usize];
        println!(
            "stepped build, budget {budget}: {} steps, median {:.2?}, p99 {:.2?}, longest {:.2?}",
            times.len(),
            at(0.5),
            at(0.99),
            at(1.0)
        );
    }

    // A 1920×1080 view at zoom 1, at spread-out positions over the grid.
    let views: Vec<Rect> = (0..1000)
        .map(|k| Rect {
            x: ((k * 7919) % 190_000) as f64 + 13.0,
            y: ((k * 104_729) % 190_000) as f64 + 29.0,
            width: 1920.0,
            height: 1080.0,
        })
        .collect();
    let mut hits: Vec<Hit> = Vec::new();
    let (mut total, rounds) = (0usize, 20);
    let t = Instant::now();
    for _ in 0..rounds {
        for v in &views {
            hits.clear();
            packed.query_nodes(&wf, v, &mut hits);
            total += hits.len();
        }
    }
    let per = t.elapsed() / (rounds * views.len()) as u32;
    println!(
        "packed: query {per:.2?}, {:.1} hits",
        total as f64 / (rounds * views.len()) as f64
    );

    // After 10,000 scattered moves, as many drag batches would leave it.
    let mut wf = wf;
    let mut packed = packed;
    let mut moved = Vec::new();
    for k in 0..10_000u32 {
        let i = (k * 7919) % n as u32;
        let r = wf.rect(i);
        wf.set_position(i, r.x + 50.0, r.y + 50.0, &mut moved);
    }
    packed.update(&wf, &moved, &[]);
    let (mut total_moved, t) = (0usize, Instant::now());
    for _ in 0..rounds {
        for v in &views {
            hits.clear();
            packed.query_nodes(&wf, v, &mut hits);
            total_moved += hits.len();
        }
    }
    let per = t.elapsed() / (rounds * views.len()) as u32;
    println!(
        "packed: query {per:.2?} with {} overlay entries",
        packed.overlay_entries()
    );
    black_box(total_moved);

    let tree = &old.0;
    let (mut total_old, t) = (0usize, Instant::now());
    for _ in 0..rounds {
        for v in &views {
            hits.clear();
            let env = AABB::from_corners([v.x, v.y], [v.x2(), v.y2()]);
            let _ = tree.locate_in_envelope_intersecting_int(env, |e| -> ControlFlow<()> {
                hits.push(Hit {
                    slot: e.data,
                    x1: e.geom().lower()[0],
                    y1: e.geom().lower()[1],
                    x2: e.geom().upper()[0],
                    y2: e.geom().upper()[1],
                });
                ControlFlow::Continue(())
            });
            total_old += hits.len();
        }
    }
    let per = t.elapsed() / (rounds * views.len()) as u32;
    println!("rstar:  query {per:.2?}");
    assert_eq!(total, total_old);
}
