//! Zoom-level clusters against brute force: membership of a fresh build
//! equals an O(n²) greedy grouping written out independently; counts,
//! centres and bounds equal sums over the members; every shown node is in
//! exactly one cluster per level, also after random edits (drags, resizes,
//! additions, removals, hiding) applied incrementally.
#![cfg(not(target_arch = "wasm32"))]

use flowscale::cluster::zoom::{split_id, ClusterFrame, ClusterIndex};
use flowscale::config::Config;
use flowscale::model::{EdgeChange, EdgeInput, NodeChange, NodeInput};
use flowscale::optimizer::{view_rect, Screen, Viewport, WorkflowOptimizer};
use flowscale::spatial::overlaps;
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

/// The documented rule, by brute force: at level j a shown node whose larger
/// side is at most 2 s_j (s_j = radiusPx × 2^j / maxZoom) belongs to the
/// cluster of the grid cell of side s_j holding its centre, the cell taken as
/// the level-1 cell halved j − 1 times. Returns the members of each cluster.
fn oracle_level(nodes: &[(f64, f64, f64, f64, bool)], j: usize) -> Vec<BTreeSet<String>> {
    let s1 = RADIUS_PX * 2.0 / MAX_ZOOM;
    let sj = s1 * (1u64 << (j - 1)) as f64;
    let mut cells: BTreeMap<(i64, i64), BTreeSet<String>> = BTreeMap::new();
    for (i, &(x, y, w, h, hidden)) in nodes.iter().enumerate() {
        if hidden || w.max(h) > 2.0 * sj {
            continue;
        }
        let (cx, cy) = (x + w / 2.0, y + h / 2.0);
        let cell = (
            ((cx / s1).floor() as i64) >> (j - 1),
            ((cy / s1).floor() as i64) >> (j - 1),
        );
        cells.entry(cell).or_default().insert(format!("n{i}"));
    }
    cells.into_values().collect()
}

/// Members (node ids) of every live cluster at level j.
fn partition(opt: &mut WorkflowOptimizer, j: usize) -> Vec<BTreeSet<String>> {
    let ids: Vec<u32> = opt.cluster_index().clusters_at(j);
    let ix = opt.cluster_index();
    let sets: Vec<Vec<u32>> = ids
        .iter()
        .map(|&id| ix.expand(id).expect("live").members)
        .collect();
    let wf = opt.workflow();
    sets.into_iter()
        .map(|s| {
            s.iter()
                .map(|&i| wf.id(i).unwrap_or("?").to_string())
                .collect()
        })
        .collect()
}

/// Invariants of every level: each shown node in exactly one cluster unless
/// it is big there (wider or taller than two cells), then in none; count,
/// centre and bounds equal those of the members; the glyph lies in the cell
/// and the bounds; the top three types are exact at level 1 and never more
/// than the true counts above; `cluster_of` agrees with `expand`.
fn check_invariants(opt: &mut WorkflowOptimizer) -> Result<(), TestCaseError> {
    let levels = opt.cluster_index().levels();
    let s1 = RADIUS_PX * 2.0 / MAX_ZOOM;
    let (rects, types): (BTreeMap<u32, [f64; 4]>, BTreeMap<u32, u16>) = {
        let wf = opt.workflow();
        let shown: Vec<u32> = wf.live_slots().filter(|&i| wf.is_shown(i)).collect();
        (
            shown
                .iter()
                .map(|&i| {
                    let r = wf.rect(i);
                    (i, [r.x, r.y, r.x2(), r.y2()])
                })
                .collect(),
            shown.iter().map(|&i| (i, wf.type_id(i))).collect(),
        )
    };
    let first = opt.cluster_index().first_level();
    for j in 1..=levels {
        let sj = s1 * (1u64 << (j - 1)) as f64;
        // Below the first level built, no clusters: frames there list nodes.
        let expected: BTreeSet<u32> = rects
            .iter()
            .filter(|(_, r)| j >= first && (r[2] - r[0]).max(r[3] - r[1]) <= 2.0 * sj)
            .map(|(&i, _)| i)
            .collect();
        let ix: &ClusterIndex = opt.cluster_index();
        let mut seen = BTreeSet::new();
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
            if j > 1 {
                let sum: u32 = ex.children.iter().map(|&c| ix.count(c).unwrap_or(0)).sum();
                prop_assert!(sum <= count);
            }
            for &m in &ex.members {
                prop_assert!(seen.insert(m), "node {} in two clusters at level {}", m, j);
                prop_assert_eq!(ix.cluster_of(m, j), Some(id));
            }
            // Geometry against the model's rectangles.
            let (b, (cx, cy)) = ix.geometry(id).expect("geometry");
            let n = ex.members.len() as f64;
            let (mut sx, mut sy) = (0.0, 0.0);
            let mut ob = [
                f64::INFINITY,
                f64::INFINITY,
                f64::NEG_INFINITY,
                f64::NEG_INFINITY,
            ];
            let mut want: BTreeMap<u16, u32> = BTreeMap::new();
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
                *want.entry(types[m]).or_default() += 1;
            }
            let close = |a: f64, b: f64| (a - b).abs() <= 1e-6 * (1.0 + a.abs().max(b.abs()));
            prop_assert!(
                close(cx, sx / n) && close(cy, sy / n),
                "centre of {:?}",
                split_id(id)
            );
            // Bounds: the members' union rounded outward to f32.
            let tight = |a: f64, e: f64| (a - e).abs() <= 1e-6 * (1.0 + e.abs());
            prop_assert!(
                b[0] <= ob[0]
                    && b[1] <= ob[1]
                    && b[2] >= ob[2]
                    && b[3] >= ob[3]
                    && (0..4).all(|k| tight(b[k], ob[k])),
                "bounds of {:?}: {:?} for {:?}",
                split_id(id),
                b,
                ob
            );
            let cell = ix.cell(id).expect("cell");
            prop_assert!(
                cx >= cell[0] - 1e-6 * sj
                    && cx <= cell[2] + 1e-6 * sj
                    && cy >= cell[1] - 1e-6 * sj
                    && cy <= cell[3] + 1e-6 * sj,
                "centre of {:?} outside its cell",
                split_id(id)
            );
            // The three most common types: exact at level 1, bounded above.
            let top = ix.types(id).expect("types");
            let mut exact: Vec<(u16, u32)> = want.iter().map(|(&t, &c)| (t, c)).collect();
            exact.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            let got: Vec<(u16, u32)> = top.iter().copied().filter(|t| t.0 != u16::MAX).collect();
            if j == 1 {
                let head: Vec<(u16, u32)> = exact.iter().copied().take(3).collect();
                prop_assert_eq!(got, head, "types of {:?}", split_id(id));
            } else {
                for (t, c) in &got {
                    prop_assert!(
                        *c <= want.get(t).copied().unwrap_or(0),
                        "type {} over-counted",
                        t
                    );
                }
                prop_assert!(got.windows(2).all(|w| w[0].1 >= w[1].1), "types not sorted");
            }
        }
        prop_assert_eq!(
            &seen,
            &expected,
            "level {} covers the nodes that are not big",
            j
        );
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
        let levels = opt.cluster_index().levels();
        let first = opt.cluster_index().first_level();
        // The first level built: the finest whose cells average 3 shown nodes (else the top).
        let shown = nodes.iter().filter(|n| !n.4).count();
        if levels > 0 {
            let cells = |j: usize| {
                let s1 = RADIUS_PX * 2.0 / MAX_ZOOM;
                nodes
                    .iter()
                    .filter(|n| !n.4)
                    .map(|&(x, y, w, h, _)| {
                        (
                            ((x + w / 2.0) / s1).floor() as i64 >> (j - 1),
                            ((y + h / 2.0) / s1).floor() as i64 >> (j - 1),
                        )
                    })
                    .collect::<BTreeSet<_>>()
                    .len()
            };
            let want = (1..=levels).find(|&j| shown as f64 / cells(j) as f64 >= 3.0).unwrap_or(levels);
            prop_assert_eq!(first, want, "first level");
        }
        for j in 1..=levels {
            if j < first {
                prop_assert!(partition(&mut opt, j).is_empty());
                continue;
            }
            let mut want = oracle_level(&nodes, j);
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
    assert!(!f.clusters.active && f.clusters.ids.is_empty() && f.complete);
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
    assert!(c.active && !f.complete);
    assert_eq!(c.bounds.len(), 4 * c.ids.len());
    assert_eq!(c.rect.len(), 4 * c.ids.len());
    assert_eq!(c.type_ids.len(), 3 * c.ids.len());
    assert!(
        (c.ids.len() as u32) < f.stats.in_view / 2,
        "{} clusters for {} nodes",
        c.ids.len(),
        f.stats.in_view
    );
    let total: u32 = c.count.iter().sum();
    assert_eq!(total as u64, c.members);
    // Every node in view is in a listed glyph or drawn alone.
    assert!(f.stats.in_view as u64 <= c.members + f.in_view.len() as u64);
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

/// Glyphs of one frame never overlap, lie in their cell and in their
/// members' bounds, and a frame's exact in-view count matches brute force.
fn check_glyphs(
    opt: &mut WorkflowOptimizer,
    vp: Viewport,
    screen: Screen,
) -> Result<(), TestCaseError> {
    opt.frame(vp, screen).expect("frame");
    let f = opt.last_frame();
    let c = f.clusters.clone();
    let count = f.stats.in_view;
    let rects: Vec<[f64; 4]> = c
        .rect
        .chunks(4)
        .map(|r| [r[0], r[1], r[0] + r[2], r[1] + r[3]])
        .collect();
    for a in 0..rects.len() {
        for b in a + 1..rects.len() {
            let (p, q) = (rects[a], rects[b]);
            let ox = p[2].min(q[2]) - p[0].max(q[0]);
            let oy = p[3].min(q[3]) - p[1].max(q[1]);
            prop_assert!(
                ox <= 1e-9 * (1.0 + p[2].abs()) || oy <= 1e-9 * (1.0 + p[3].abs()),
                "glyphs {} and {} overlap",
                a,
                b
            );
        }
    }
    let ix = opt.cluster_index();
    for (k, &id) in c.ids.iter().enumerate() {
        let cell = ix.cell(id).expect("cell");
        let (b, _) = ix.geometry(id).expect("geometry");
        let r = rects[k];
        // (x + width can exceed the corner it came from by a rounding step.)
        let le = |a: f64, b: f64| a <= b + 1e-9 * (1.0 + b.abs());
        prop_assert!(
            le(cell[0], r[0]) && le(r[2], cell[2]) && le(cell[1], r[1]) && le(r[3], cell[3]),
            "glyph outside its cell"
        );
        prop_assert!(
            le(b[0], r[0]) && le(r[2], b[2]) && le(b[1], r[1]) && le(r[3], b[3]),
            "glyph outside its bounds"
        );
        prop_assert!(ix.count(id).expect("count") >= ix.min_points());
    }
    // Brute force: shown nodes overlapping the view.
    let view = view_rect(vp, screen).expect("view");
    let wf = opt.workflow();
    let want = wf
        .live_slots()
        .filter(|&i| wf.is_shown(i))
        .filter(|&i| {
            let r = wf.rect(i);
            overlaps(&view, r.x, r.y, r.x2(), r.y2())
        })
        .count();
    prop_assert_eq!(count as usize, want, "stats.inView at {:?}", vp);
    Ok(())
}

/// Bundles conserve edges: at every level the weights add up to the shown
/// edges whose ends lie in two different clusters, pair by pair.
fn check_bundles(opt: &mut WorkflowOptimizer) -> Result<(), TestCaseError> {
    let levels = opt.cluster_index().levels();
    for j in 1..=levels {
        let mut want: BTreeMap<(u32, u32), u32> = BTreeMap::new();
        {
            let (wf, ix) = opt.workflow_and_clusters();
            for e in wf.live_edge_slots().filter(|&e| wf.edge_shown(e)) {
                let (s, t) = wf.edge_ends_of(e);
                if let (Some(a), Some(b)) = (ix.cluster_of(s, j), ix.cluster_of(t, j)) {
                    if a != b {
                        let (a, b) = (split_id(a.min(b)).1, split_id(a.max(b)).1);
                        *want.entry((a, b)).or_default() += 1;
                    }
                }
            }
        }
        let (wf, ix) = opt.workflow_and_clusters();
        let bundles = ix.bundles_at(wf, j).expect("level");
        let mut got: BTreeMap<(u32, u32), u32> = BTreeMap::new();
        for k in 0..bundles.len() {
            prop_assert!(bundles.a[k] < bundles.b[k]);
            prop_assert!(
                got.insert((bundles.a[k], bundles.b[k]), bundles.weight[k])
                    .is_none(),
                "pair twice"
            );
            prop_assert!(
                bundles.of(bundles.a[k]).contains(&(k as u32))
                    && bundles.of(bundles.b[k]).contains(&(k as u32))
            );
        }
        prop_assert_eq!(got, want, "bundles of level {}", j);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn glyphs_never_overlap_and_counts_are_exact(
        nodes in node_strategy(),
        min_points in 2u32..5,
        views in proptest::collection::vec((-3000.0..3000.0f64, -3000.0..3000.0f64, 0.001..0.3f64), 1..6),
    ) {
        let mut opt = build(&nodes, min_points);
        for (x, y, zoom) in views {
            check_glyphs(&mut opt, Viewport { x, y, zoom }, Screen { width: 1200.0, height: 800.0 })?;
        }
    }

    #[test]
    fn bundles_conserve_edges_through_edits(
        nodes in node_strategy(),
        edges in proptest::collection::vec((0usize..70, 0usize..70, any::<bool>()), 0..120),
        edits in proptest::collection::vec((0usize..100, 0u8..4, 0.0..6000.0f64, 0.0..4000.0f64), 0..12),
    ) {
        let mut opt = build(&nodes, 2);
        let n = nodes.len();
        if n > 0 {
            let changes = edges
                .iter()
                .enumerate()
                .map(|(k, &(s, t, hidden))| {
                    let mut e = EdgeInput::new(format!("e{k}"), format!("n{}", s % n), format!("n{}", t % n));
                    e.hidden = hidden;
                    EdgeChange::Add { item: e }
                })
                .collect();
            opt.apply_edge_changes(changes).expect("edges");
        }
        opt.cluster_index();
        check_bundles(&mut opt)?;
        for (pick, kind, x, y) in edits {
            let live: Vec<String> = {
                let wf = opt.workflow();
                wf.live_slots().filter_map(|i| wf.id(i).map(str::to_string)).collect()
            };
            let edge_ids: Vec<String> = {
                let wf = opt.workflow();
                wf.live_edge_slots().filter_map(|e| wf.edge_id(e).map(str::to_string)).collect()
            };
            match kind {
                0 if !live.is_empty() => opt.apply_node_changes(vec![NodeChange::Position { id: live[pick % live.len()].clone(), position: Some((x, y)), dragging: None }]).expect("move"),
                1 if !live.is_empty() => opt.apply_node_changes(vec![NodeChange::Remove { id: live[pick % live.len()].clone() }]).expect("remove"),
                2 if !edge_ids.is_empty() => opt.apply_edge_changes(vec![EdgeChange::Remove { id: edge_ids[pick % edge_ids.len()].clone() }]).expect("edge"),
                _ if live.len() >= 2 => {
                    let (s, t) = (live[pick % live.len()].clone(), live[(pick / 2) % live.len()].clone());
                    opt.apply_edge_changes(vec![EdgeChange::Add { item: EdgeInput::new(format!("x{pick}-{x}"), s, t) }]).expect("add edge");
                }
                _ => {}
            }
            opt.frame(Viewport { x: 0.0, y: 0.0, zoom: 0.01 }, Screen { width: 800.0, height: 600.0 }).expect("frame");
            check_bundles(&mut opt)?;
        }
    }
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

/// Found by proptest: a glyph whose cell cuts its bounds by a hair.
#[test]
fn a_glyph_stays_inside_its_bounds() {
    let mut opt = build(
        &[
            (1199.64, 414.93, 10.0, 19.40, false),
            (1175.81, 134.13, 10.0, 10.0, false),
        ],
        2,
    );
    let r = check_glyphs(
        &mut opt,
        Viewport {
            x: 0.0,
            y: 0.0,
            zoom: 0.001,
        },
        Screen {
            width: 1200.0,
            height: 800.0,
        },
    );
    assert!(r.is_ok(), "{r:?}");
}
