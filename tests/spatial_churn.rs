//! Drags without end do not grow memory without end. A drag moves a node's
//! entry from the packed R-tree into the `rstar` overlay; once every node has
//! moved, further drags only remove and re-insert overlay entries, and the
//! overlay's node storage stays level (it is less densely packed than the
//! bulk-loaded tree, so it settles above the loaded footprint, then stops).
//! Live heap bytes are counted by a wrapping allocator while 2,000 nodes
//! are dragged 200,000 times (100 times each) in batches of 8, each within
//! ±50 of its place, with frames in between. The run is deterministic.
//! `cargo test --test spatial_churn -- --nocapture` prints the samples.
#![cfg(not(target_arch = "wasm32"))]

use flowscale::config::Config;
use flowscale::model::{EdgeInput, NodeInput};
use flowscale::{Screen, Viewport, WorkflowOptimizer};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Counts live heap bytes.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(l) };
        if !p.is_null() {
            LIVE.fetch_add(l.size(), Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        unsafe { System.dealloc(p, l) };
        LIVE.fetch_sub(l.size(), Ordering::Relaxed);
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        let q = unsafe { System.realloc(p, l, new) };
        if !q.is_null() {
            LIVE.fetch_add(new, Ordering::Relaxed);
            LIVE.fetch_sub(l.size(), Ordering::Relaxed);
        }
        q
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// xorshift: the same drags on every run.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

#[test]
fn drag_churn_memory_levels_off() {
    const N: u32 = 2_000;
    const SIDE: u32 = 45; // about √N: a square grid
    const BATCH: usize = 8;
    const MOVES: usize = 200_000;
    let nodes: Vec<NodeInput> = (0..N)
        .map(|i| {
            NodeInput::new(
                format!("n{i}"),
                (i % SIDE) as f64 * 260.0,
                (i / SIDE) as f64 * 260.0,
            )
            .sized(150.0, 40.0)
        })
        .collect();
    let edges: Vec<EdgeInput> = (1..N)
        .map(|i| EdgeInput::new(format!("e{i}"), format!("n{}", i - 1), format!("n{i}")))
        .collect();
    // Each drag puts a node within ±50 of its place in the grid, so the
    // workflow's extent and density stay what they were: only the index churns.
    let home: Vec<(f32, f32)> = (0..N)
        .map(|i| ((i % SIDE) as f32 * 260.0, (i / SIDE) as f32 * 260.0))
        .collect();
    let mut opt = WorkflowOptimizer::new(Config::default()).unwrap();
    opt.set_workflow(nodes, edges).unwrap();
    let screen = Screen {
        width: 1920.0,
        height: 1080.0,
    };
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut idx = [0u32; BATCH];
    let mut xy = [0f32; 2 * BATCH];
    let mut drag =
        |opt: &mut WorkflowOptimizer, rng: &mut Rng, pick: &mut dyn FnMut(usize) -> u32| {
            for k in 0..BATCH {
                let i = pick(k);
                let (x, y) = home[i as usize];
                idx[k] = i;
                xy[2 * k] = x + rng.below(101) as f32 - 50.0;
                xy[2 * k + 1] = y + rng.below(101) as f32 - 50.0;
            }
            opt.update_positions(&idx, &xy).unwrap();
        };
    let frame = |opt: &mut WorkflowOptimizer, rng: &mut Rng, zoom: f64| {
        let vp = Viewport {
            x: -(rng.below(SIDE as u64 * 260) as f64) * zoom,
            y: -(rng.below(SIDE as u64 * 260) as f64) * zoom,
            zoom,
        };
        opt.frame(vp, screen).unwrap();
    };
    let loaded = LIVE.load(Ordering::Relaxed);
    // Warm-up: every node dragged once, so every node lives in the overlay.
    let mut next = 0u32;
    for _ in 0..(N as usize).div_ceil(BATCH) {
        drag(&mut opt, &mut rng, &mut |_| {
            next = (next + 1) % N;
            next
        });
    }
    frame(&mut opt, &mut rng, 1.0);
    frame(&mut opt, &mut rng, 0.02);
    let warm = LIVE.load(Ordering::Relaxed);
    // Churn: random nodes dragged in batches, frames zoomed in every 50
    // batches and zoomed out (clusters brought up to date) every 1,000.
    let batches = MOVES / BATCH;
    let mut samples = Vec::new();
    // A second stream picks the nodes, so drags and views are independent.
    let mut picks = Rng(0x2545_f491_4f6c_dd1d);
    for b in 1..=batches {
        drag(&mut opt, &mut rng, &mut |_| picks.below(N as u64) as u32);
        if b % 50 == 0 {
            frame(&mut opt, &mut rng, 1.0);
        }
        if b % 1000 == 0 {
            frame(&mut opt, &mut rng, 0.02);
        }
        if b % (batches / 20) == 0 {
            samples.push(LIVE.load(Ordering::Relaxed));
        }
    }
    let mb = |b: usize| b as f64 / 1048576.0;
    println!(
        "loaded {:.3} MB, after every node moved once {:.3} MB, then per {}k moves: {}",
        mb(loaded),
        mb(warm),
        MOVES / 20_000,
        samples
            .iter()
            .map(|&s| format!("{:.3}", mb(s)))
            .collect::<Vec<_>>()
            .join(" ")
    );
    // The plateau: the overlay's node storage rises and falls as its nodes
    // split and merge (about ±1.5 % here), but the high-water mark of the
    // second half does not pass the first half's by more than 2 %.
    let (first, second) = samples.split_at(samples.len() / 2);
    let (top1, top2) = (*first.iter().max().unwrap(), *second.iter().max().unwrap());
    assert!(
        top2 <= top1 + top1 / 50,
        "memory still grows: peak {:.3} MB in the first half, {:.3} MB in the second",
        mb(top1),
        mb(top2)
    );
    // And the churn costs a bounded share over the footprint with every node moved once.
    assert!(
        top2 <= warm + warm / 5,
        "the churn grew memory by {:.3} MB over {:.3} MB",
        mb(top2 - warm),
        mb(warm)
    );
}
