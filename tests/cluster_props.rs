//! Zoom-level clusters against brute force: membership of a fresh build
//! equals an O(n²) greedy grouping written out independently; counts,
//! centres and bounds equal sums over the members; every shown node is in
//! exactly one cluster per level, also after random edits (drags, resizes,
//! additions, removals, hiding) applied incrementally.
#![cfg(not(target_arch = "wasm32"))]

use flowscale::cluster::zoom::{split_id, ClusterFrame, ClusterIndex};
use flowscale::config::Config;
use flowscale::model::{NodeChange, NodeInput};
use flowscale::optimizer::{Screen, Viewport, WorkflowOptimizer};
use proptest::prelude::*;
use std::collections::{BTreeMap, BTreeSet};

const MAX_ZOOM: f64 = 0.25;
const RADIUS_PX: f64 = 60.0;

fn config(min_points: u32) -> Config {
    let mut c = Config::default();
    // Never rebuild: every edit goes through the incremental path.
    c.workflow.rebuild_fraction = 1.0;
    c.clustering.max_zoom = MAX_ZOOM;
    c.clustering.radius_px = RADIUS_PX;
    c.clustering.min_points = min_points;
    c
}

#[derive(Clone, Debug)]
struct Item {
    x: f64,
    y: f64,
    weight: u32,
    bounds: [f64; 4],
    members: BTreeSet<String>,
}

/// The documented rule, by brute force: items in order; an untaken item
/// gathers the untaken, not-big items within `r` of its centre; a group of
/// at least `min_points` nodes becomes one cluster, else the item goes alone.
fn oracle_level(items: &[Item], r: f64, min_points: u32) -> Vec<Item> {
    let big = |it: &Item| (it.bounds[2] - it.bounds[0]).max(it.bounds[3] - it.bounds[1]) > 2.0 * r;
    let mut taken = vec![false; items.len()];
    let mut out = Vec::new();
    for i in 0..items.len() {
        if taken[i] {
            continue;
        }
        let mut group = vec![i];
        if !big(&items[i]) {
            for k in 0..items.len() {
                let d2 = (items[k].x - items[i].x).powi(2) + (items[k].y - items[i].y).powi(2);
                if k != i && !taken[k] && !big(&items[k]) && d2 <= r * r {
                    group.push(k);
                }
            }
        }
        let weight: u32 = group.iter().map(|&k| items[k].weight).sum();
        if weight < min_points {
            group.truncate(1);
        }
        let mut it = Item {
            x: 0.0,
            y: 0.0,
            weight: 0,
            bounds: [
                f64::INFINITY,
                f64::INFINITY,
                f64::NEG_INFINITY,
                f64::NEG_INFINITY,
            ],
            members: BTreeSet::new(),
        };
        for &k in &group {
            taken[k] = true;
            let g = &items[k];
            it.x += g.x * g.weight as f64;
            it.y += g.y * g.weight as f64;
            it.weight += g.weight;
            it.bounds[0] = it.bounds[0].min(g.bounds[0]);
            it.bounds[1] = it.bounds[1].min(g.bounds[1]);
            it.bounds[2] = it.bounds[2].max(g.bounds[2]);
            it.bounds[3] = it.bounds[3].max(g.bounds[3]);
            it.members.extend(g.members.iter().cloned());
        }
        it.x /= it.weight as f64;
        it.y /= it.weight as f64;
        out.push(it);
    }
    out
}

/// Members (node ids) of every live cluster at level j.
fn partition(opt: &mut WorkflowOptimizer, j: usize) -> Vec<BTreeSet<String>> {
    let ids: Vec<u32> = opt.cluster_index().clusters_at(j);
    let ix = opt.cluster_index();
    let mut sets: Vec<Vec<u32>> = ids
        .iter()
        .map(|&id| ix.expand(id).expect("live").members)
        .collect();
    sets.iter_mut().for_each(|s| s.sort());
    let wf = opt.workflow();
    sets.into_iter()
        .map(|s| {
            s.iter()
                .map(|&i| wf.id(i).unwrap_or("?").to_string())
                .collect()
        })
        .collect()
}

/// Invariants of every level: each shown node in exactly one cluster;
/// count, centre and bounds equal those of the members; children's counts
/// add up; `cluster_of` agrees with `expand`.
fn check_invariants(opt: &mut WorkflowOptimizer) -> Result<(), TestCaseError> {
    let shown: BTreeSet<u32> = {
        let wf = opt.workflow();
        wf.live_slots().filter(|&i| wf.is_shown(i)).collect()
    };
    let levels = opt.cluster_index().levels();
    for j in 1..=levels {
        let ix: &ClusterIndex = opt.cluster_index();
        let mut seen = BTreeSet::new();
        let mut total = 0u64;
        for id in ix.clusters_at(j) {
            let ex = ix.expand(id).expect("live cluster");
            let count = ix.count(id).expect("count");
            prop_assert_eq!(
                ex.members.len() as u32,
                count,
                "count of {:?}",
                split_id(id)
            );
            prop_assert!(count > 0, "empty live cluster");
            total += count as u64;
            if j > 1 {
                let sum: u32 = ex.children.iter().map(|&c| ix.count(c).unwrap_or(0)).sum();
                prop_assert_eq!(sum, count);
            }
            for &m in &ex.members {
                prop_assert!(seen.insert(m), "node {} in two clusters at level {}", m, j);
                prop_assert_eq!(ix.cluster_of(m, j), Some(id));
            }
        }
        prop_assert_eq!(&seen, &shown, "level {} covers the shown nodes", j);
        prop_assert_eq!(total, shown.len() as u64);
    }
    // Geometry per cluster against the model's rectangles.
    let rects: BTreeMap<u32, [f64; 4]> = {
        let wf = opt.workflow();
        shown
            .iter()
            .map(|&i| {
                let r = wf.rect(i);
                (i, [r.x, r.y, r.x2(), r.y2()])
            })
            .collect()
    };
    let types: BTreeMap<u32, u16> = {
        let wf = opt.workflow();
        shown.iter().map(|&i| (i, wf.type_id(i))).collect()
    };
    let ix = opt.cluster_index();
    for j in 1..=levels {
        for id in ix.clusters_at(j) {
            let ex = ix.expand(id).expect("live");
            let (b, (cx, cy)) = ix.geometry(id).expect("geometry");
            let n = ex.members.len() as f64;
            let (mut sx, mut sy) = (0.0, 0.0);
            let mut ob = [
                f64::INFINITY,
                f64::INFINITY,
                f64::NEG_INFINITY,
                f64::NEG_INFINITY,
            ];
            for m in &ex.members {
                let r = rects[m];
                sx += (r[0] + r[2]) / 2.0;
                sy += (r[1] + r[3]) / 2.0;
                ob = [
                    ob[0].min(r[0]),
                    ob[1].min(r[1]),
                    ob[2].max(r[2]),
                    ob[3].max(r[3]),
                ];
            }
            // The type histogram counts the members' types.
            let mut want: BTreeMap<u16, u32> = BTreeMap::new();
            for &m in &ex.members {
                *want.entry(types[&m]).or_default() += 1;
            }
            let got: BTreeMap<u16, u32> = ix.types(id).expect("types").iter().copied().collect();
            prop_assert_eq!(got, want, "types of {:?}", split_id(id));
            let close = |a: f64, b: f64| (a - b).abs() <= 1e-6 * (1.0 + a.abs().max(b.abs()));
            prop_assert!(
                close(cx, sx / n) && close(cy, sy / n),
                "centre of {:?}",
                split_id(id)
            );
            prop_assert_eq!(b, ob, "bounds of {:?}", split_id(id));
        }
    }
    Ok(())
}

fn node_strategy() -> impl Strategy<Value = Vec<(f64, f64, f64, f64, bool)>> {
    proptest::collection::vec(
        (
            0.0..6000.0f64,
            0.0..4000.0f64,
            prop_oneof![8 => 10.0..300.0f64, 1 => 1500.0..3000.0f64],
            10.0..200.0f64,
            proptest::bool::weighted(0.1),
        ),
        0..70,
    )
}

fn build(nodes: &[(f64, f64, f64, f64, bool)], min_points: u32) -> WorkflowOptimizer {
    let mut opt = WorkflowOptimizer::new(config(min_points)).expect("config");
    let inputs = nodes
        .iter()
        .enumerate()
        .map(|(i, &(x, y, w, h, hidden))| {
            let mut n = NodeInput::new(format!("n{i}"), x, y).sized(w, h);
            n.hidden = hidden;
            n.node_type = Some(["a", "b", "c", "d", "e"][(x as usize + i) % 5].to_string());
            n
        })
        .collect();
    opt.set_workflow(inputs, Vec::new()).expect("workflow");
    opt
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn fresh_build_matches_brute_force(nodes in node_strategy(), min_points in 2u32..4) {
        let mut opt = build(&nodes, min_points);
        let mut items: Vec<Item> = nodes
            .iter()
            .enumerate()
            .filter(|(_, n)| !n.4)
            .map(|(i, &(x, y, w, h, _))| Item {
                x: x + w / 2.0,
                y: y + h / 2.0,
                weight: 1,
                bounds: [x, y, x + w, y + h],
                members: [format!("n{i}")].into(),
            })
            .collect();
        let levels = opt.cluster_index().levels();
        let mut zoom = MAX_ZOOM;
        for j in 1..=levels.min(4) {
            zoom /= 2.0;
            items = oracle_level(&items, RADIUS_PX / zoom, min_points);
            let mut want: Vec<BTreeSet<String>> = items.iter().map(|i| i.members.clone()).collect();
            let mut got = partition(&mut opt, j);
            want.sort();
            got.sort();
            prop_assert_eq!(got, want, "level {}", j);
        }
        check_invariants(&mut opt)?;
    }

    #[test]
    fn edits_keep_every_node_exactly_once(
        nodes in node_strategy(),
        edits in proptest::collection::vec((0usize..100, 0u8..5, 0.0..6000.0f64, 0.0..4000.0f64), 1..25),
    ) {
        let mut opt = build(&nodes, 2);
        opt.cluster_index();
        let mut next = nodes.len();
        for (pick, kind, x, y) in edits {
            let live: Vec<String> = {
                let wf = opt.workflow();
                wf.live_slots().filter_map(|i| wf.id(i).map(str::to_string)).collect()
            };
            let change = match (kind, live.is_empty()) {
                (0, false) => NodeChange::Position { id: live[pick % live.len()].clone(), position: Some((x, y)), dragging: Some(true) },
                (1, false) => NodeChange::Dimensions { id: live[pick % live.len()].clone(), dimensions: Some((x / 10.0, y / 10.0)) },
                (2, false) => NodeChange::Remove { id: live[pick % live.len()].clone() },
                (3, false) => {
                    let id = live[pick % live.len()].clone();
                    let i = opt.index_of(&id).expect("live");
                    let r = opt.workflow().rect(i);
                    let mut item = NodeInput::new(id.clone(), r.x, r.y).sized(r.width, r.height);
                    item.hidden = !opt.workflow().is_hidden(i);
                    NodeChange::Replace { id, item }
                }
                _ => {
                    next += 1;
                    NodeChange::Add { item: NodeInput::new(format!("a{next}"), x, y).sized(120.0, 40.0) }
                }
            };
            opt.apply_node_changes(vec![change]).expect("change");
            // A frame below maxZoom brings the clusters up to date.
            opt.frame(Viewport { x: 0.0, y: 0.0, zoom: 0.01 }, Screen { width: 800.0, height: 600.0 }).expect("frame");
            check_invariants(&mut opt)?;
        }
    }
}

#[test]
fn frame_lists_clusters_below_max_zoom_only() {
    let nodes: Vec<(f64, f64, f64, f64, bool)> = (0..400)
        .map(|i| {
            (
                ((i % 20) * 200) as f64,
                ((i / 20) * 120) as f64,
                150.0,
                40.0,
                false,
            )
        })
        .collect();
    let mut opt = build(&nodes, 2);
    let screen = Screen {
        width: 1000.0,
        height: 800.0,
    };
    let f = opt
        .frame(
            Viewport {
                x: 0.0,
                y: 0.0,
                zoom: 1.0,
            },
            screen,
        )
        .expect("frame");
    assert!(!f.clusters.active && f.clusters.ids.is_empty());
    let f = opt
        .frame(
            Viewport {
                x: 0.0,
                y: 0.0,
                zoom: 0.1,
            },
            screen,
        )
        .expect("frame");
    let c: &ClusterFrame = &f.clusters;
    assert!(c.active);
    assert_eq!(c.in_view_cluster.len(), f.in_view.len());
    assert_eq!(c.bounds.len(), 4 * c.ids.len());
    assert_eq!(c.type_ids.len(), 3 * c.ids.len());
    assert!(
        c.ids.len() < f.in_view.len() / 2,
        "{} clusters for {} nodes",
        c.ids.len(),
        f.in_view.len()
    );
    // An in-view node drawn as a cluster names a listed one (both meet the view).
    let listed: BTreeSet<u32> = c.ids.iter().copied().collect();
    assert!(c
        .in_view_cluster
        .iter()
        .all(|k| *k == u32::MAX || listed.contains(k)));
    let total: u32 = c.count.iter().sum();
    assert_eq!(total as u64, c.members);
    // Coarser zoom, coarser level, fewer clusters.
    let fine = c.ids.len();
    let f = opt
        .frame(
            Viewport {
                x: 0.0,
                y: 0.0,
                zoom: 0.02,
            },
            screen,
        )
        .expect("frame");
    assert!(f.clusters.level > 1 && f.clusters.ids.len() < fine);
}

#[test]
fn expansion_zoom_splits_the_cluster() {
    let nodes: Vec<(f64, f64, f64, f64, bool)> = (0..200)
        .map(|i| {
            (
                ((i % 10) * 300) as f64,
                ((i / 10) * 200) as f64,
                150.0,
                40.0,
                false,
            )
        })
        .collect();
    let mut opt = build(&nodes, 2);
    let ix = opt.cluster_index();
    let top = ix.levels();
    for id in ix.clusters_at(top) {
        let ex = ix.expand(id).expect("live");
        if ex.members.len() < 2 {
            continue;
        }
        // At the expansion zoom the members are spread over more than one cluster (or are nodes).
        let z = ex.expansion_zoom;
        let j = ix.level_for_zoom(z);
        if z >= MAX_ZOOM {
            continue;
        }
        let parts: BTreeSet<u32> = ex
            .members
            .iter()
            .filter_map(|&m| ix.cluster_of(m, j))
            .collect();
        assert!(
            parts.len() > 1,
            "cluster {:?} still whole at zoom {z} (level {j})",
            split_id(id)
        );
    }
}
