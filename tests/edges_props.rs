//! Edge simplification against an independent classification of every edge
//! in view: edges between mounted nodes are never dropped or merged; each
//! other edge is accounted for exactly once (sub-pixel, inside a cluster,
//! folded into a bundle between clusters, folded into a parallel bundle, or
//! kept); bundle weights add up.
#![cfg(not(target_arch = "wasm32"))]

use flowscale::config::Config;
use flowscale::edges::simplify::{SOURCE_IS_CLUSTER, TARGET_IS_CLUSTER};
use flowscale::model::{EdgeInput, NodeInput};
use flowscale::optimizer::{Screen, Viewport, WorkflowOptimizer};
use proptest::prelude::*;
use std::collections::{BTreeMap, BTreeSet};

type Nodes = Vec<(f64, f64, f64, f64)>;
type Edges = Vec<(usize, usize)>;

fn case() -> impl Strategy<Value = (Nodes, Edges)> {
    (1usize..60).prop_flat_map(|n| {
        (
            proptest::collection::vec(
                (
                    0.0..5000.0f64,
                    0.0..3000.0f64,
                    20.0..200.0f64,
                    20.0..80.0f64,
                ),
                n,
            ),
            proptest::collection::vec((0..n, 0..n), 0..120),
        )
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 150, ..ProptestConfig::default() })]

    #[test]
    fn every_edge_in_view_is_accounted_for(
        (nodes, edges) in case(),
        zoom in prop_oneof![0.002..0.05f64, 0.05..0.3f64, 0.3..2.0f64],
        min_px in prop_oneof![Just(1.0), 0.0..40.0f64],
        aggregate in any::<bool>(),
        merge in any::<bool>(),
    ) {
        let mut cfg = Config::default();
        cfg.edges.min_length_px = min_px;
        cfg.edges.aggregate_clusters = aggregate;
        cfg.edges.merge_parallel = merge;
        cfg.rendering.max_visible_nodes = 20;
        let mut opt = WorkflowOptimizer::new(cfg.clone()).expect("config");
        let inputs = nodes.iter().enumerate().map(|(i, &(x, y, w, h))| NodeInput::new(format!("n{i}"), x, y).sized(w, h)).collect();
        let einputs = edges.iter().enumerate().map(|(k, &(s, t))| EdgeInput::new(format!("e{k}"), format!("n{s}"), format!("n{t}"))).collect();
        opt.set_workflow(inputs, einputs).expect("workflow");
        let vp = Viewport { x: 100.0, y: 50.0, zoom };
        let f = opt.frame(vp, Screen { width: 1200.0, height: 800.0 }).expect("frame");
        let mounted: BTreeSet<u32> = f.visible.iter().copied().collect();
        let active = f.clusters.active;
        let level = f.clusters.level as usize;
        let in_view: Vec<u32> = opt.frame_detail().expect("detail").edges.clone();
        let simplified = opt.simplify_edges();
        let c = simplified.counts;
        prop_assert_eq!(c.total as usize, in_view.len());
        prop_assert_eq!(c.total, c.kept + c.sub_pixel + c.inside_cluster + c.parallel + c.between_clusters);
        prop_assert_eq!(c.removed, c.total - c.kept);
        prop_assert_eq!(simplified.weight.iter().sum::<u32>(), c.parallel + c.between_clusters);
        prop_assert_eq!(simplified.segment.len(), 4 * simplified.source.len());
        let kept: BTreeSet<u32> = simplified.kept.iter().copied().collect();
        prop_assert_eq!(kept.len(), simplified.kept.len(), "an edge kept twice");

        // Independent classification.
        let slots = opt.workflow().slot_count() as u32;
        let ix = opt.cluster_index();
        let drawn_of: Vec<Option<u32>> = (0..slots).map(|i| {
            if !(active && aggregate) { return None; }
            let id = ix.cluster_of(i, level)?;
            (ix.count(id)? >= cfg.clustering.min_points).then_some(id)
        }).collect();
        let drawn = |i: u32| drawn_of[i as usize];
        let wf = opt.workflow();
        let mut pairs: BTreeMap<(u32, u32), u32> = BTreeMap::new();
        let mut first_of: BTreeMap<(u32, u32), u32> = BTreeMap::new();
        let mut expect_kept = BTreeSet::new();
        let mut cluster_bundles: BTreeMap<(u32, u32, u8), u32> = BTreeMap::new();
        let (mut sub, mut inside) = (0u32, 0u32);
        for &e in &in_view {
            let (s, t) = wf.edge_ends_of(e);
            if mounted.contains(&s) && mounted.contains(&t) {
                prop_assert!(kept.contains(&e), "edge between mounted nodes dropped");
                expect_kept.insert(e);
                continue;
            }
            let (cs, ct) = (drawn(s), drawn(t));
            if cs.is_some() || ct.is_some() {
                if cs == ct { inside += 1; } else {
                    let kind = if cs.is_some() { SOURCE_IS_CLUSTER } else { 0 } | if ct.is_some() { TARGET_IS_CLUSTER } else { 0 };
                    *cluster_bundles.entry((cs.unwrap_or(s), ct.unwrap_or(t), kind)).or_default() += 1;
                }
                continue;
            }
            let (a, b) = (wf.rect(s), wf.rect(t));
            let len = if s == t { (a.width * a.height).sqrt() } else {
                ((a.x + a.width / 2.0) - (b.x + b.width / 2.0)).hypot((a.y + a.height / 2.0) - (b.y + b.height / 2.0))
            };
            if len * zoom < min_px { sub += 1; continue; }
            if !merge { expect_kept.insert(e); continue; }
            *pairs.entry((s, t)).or_default() += 1;
            first_of.entry((s, t)).or_insert(e);
        }
        prop_assert_eq!(c.sub_pixel, sub);
        prop_assert_eq!(c.inside_cluster, inside);
        let mut got_bundles: BTreeMap<(u32, u32, u8), u32> = BTreeMap::new();
        for k in 0..simplified.source.len() {
            got_bundles.insert((simplified.source[k], simplified.target[k], simplified.kind[k]), simplified.weight[k]);
        }
        let mut want_bundles = cluster_bundles;
        for (&(s, t), &n) in &pairs {
            if n > 1 { want_bundles.insert((s, t, 0), n); }
        }
        prop_assert_eq!(got_bundles, want_bundles);
        // The only edge of its pair is kept as it is.
        for (key, &n) in &pairs {
            if n == 1 { expect_kept.insert(first_of[key]); }
        }
        prop_assert_eq!(kept, expect_kept);
    }
}
