//! A coarse scaling guard, not a timing target: a frame of the whole
//! workflow fitted to the pane must cost about the same at 1M nodes as at
//! 10k. The cost is counted in operations (`Frame::work`: clusters, nodes
//! and edges visited), which no machine load can disturb; a regression to
//! work proportional to the workflow (listing every node in view) would be
//! 100 times more at 1M and fails here.
#![cfg(not(target_arch = "wasm32"))]

use flowscale::config::Config;
use flowscale::model::{EdgeInput, NodeInput};
use flowscale::optimizer::{Screen, Viewport, WorkflowOptimizer};

const SCREEN: Screen = Screen {
    width: 1920.0,
    height: 1080.0,
};

/// A square grid of `n` nodes 200 apart, chained by edges, and the viewport
/// React Flow's fitView (padding 0.1) gives it.
fn grid(n: usize) -> (WorkflowOptimizer, Viewport) {
    let side = (n as f64).sqrt().ceil() as usize;
    let nodes = (0..n)
        .map(|i| {
            let mut node = NodeInput::new(
                format!("n{i}"),
                (i % side) as f64 * 200.0,
                (i / side) as f64 * 200.0,
            )
            .sized(100.0, 100.0);
            node.node_type = Some(["a", "b", "c", "d"][i % 4].to_string());
            node
        })
        .collect();
    let edges = (1..n)
        .map(|i| EdgeInput::new(format!("e{i}"), format!("n{}", i - 1), format!("n{i}")))
        .collect();
    let mut opt = WorkflowOptimizer::new(Config::default()).unwrap();
    opt.set_workflow(nodes, edges).unwrap();
    let extent = side as f64 * 200.0;
    let zoom = (SCREEN.height / extent) / 1.2;
    let vp = Viewport {
        x: SCREEN.width / 2.0 - extent / 2.0 * zoom,
        y: SCREEN.height / 2.0 - extent / 2.0 * zoom,
        zoom,
    };
    (opt, vp)
}

/// Work of a fitted frame after a first one (which brings clusters up to date).
fn fitted_work(n: usize) -> (u64, u32, usize, usize) {
    let (mut opt, vp) = grid(n);
    opt.frame(vp, SCREEN).unwrap();
    let f = opt
        .frame(
            Viewport {
                x: vp.x + 1.0,
                ..vp
            },
            SCREEN,
        )
        .unwrap();
    (
        f.work,
        f.stats.in_view,
        f.clusters.ids.len(),
        f.clusters.bundle_weight.len(),
    )
}

#[test]
fn a_fitted_frame_costs_the_same_at_a_million_nodes_as_at_ten_thousand() {
    let (small, in_small, glyphs_small, _) = fitted_work(10_000);
    let (big, in_big, glyphs_big, bundles_big) = fitted_work(1_000_000);
    assert_eq!(in_small, 10_000, "every node in view");
    assert_eq!(in_big, 1_000_000, "every node in view");
    assert!(
        glyphs_big > 10 && bundles_big > 10,
        "glyphs and bundles drawn"
    );
    eprintln!("fitted frame work: {small} at 10k ({glyphs_small} glyphs), {big} at 1M ({glyphs_big} glyphs, {bundles_big} bundles)");
    // Generous slack: the grid's glyph counts differ by level; O(N) would be 100×.
    assert!(
        big <= 4 * small.max(200),
        "fitted frame work: {small} at 10k ({glyphs_small} glyphs), {big} at 1M ({glyphs_big} glyphs)"
    );
}
