//! Analysis against brute force (every pair of segments and of boxes,
//! components by a separate search, depth by exhaustive paths on small DAGs)
//! and the recommendation rules at their thresholds.
#![cfg(not(target_arch = "wasm32"))]

use flowscale::analysis::metrics::analyze;
use flowscale::analysis::rules::{recommend, Remedy, Severity};
use flowscale::config::Config;
use flowscale::model::{EdgeInput, NodeInput, Workflow, WorkflowConfig};
use proptest::prelude::*;

fn workflow(nodes: &[(f64, f64, f64, f64)], edges: &[(usize, usize)]) -> Workflow {
    let n = nodes
        .iter()
        .enumerate()
        .map(|(i, &(x, y, w, h))| NodeInput::new(format!("n{i}"), x, y).sized(w, h))
        .collect();
    let e = edges
        .iter()
        .enumerate()
        .map(|(k, &(s, t))| EdgeInput::new(format!("e{k}"), format!("n{s}"), format!("n{t}")))
        .collect();
    Workflow::build(n, e, &WorkflowConfig::default()).expect("workflow")
}

/// Proper intersection by solving p + t r = q + u s for t, u strictly inside (0, 1).
fn cross_param(p: (f64, f64), p2: (f64, f64), q: (f64, f64), q2: (f64, f64)) -> bool {
    let r = (p2.0 - p.0, p2.1 - p.1);
    let s = (q2.0 - q.0, q2.1 - q.1);
    let den = r.0 * s.1 - r.1 * s.0;
    if den == 0.0 {
        return false;
    }
    let t = ((q.0 - p.0) * s.1 - (q.1 - p.1) * s.0) / den;
    let u = ((q.0 - p.0) * r.1 - (q.1 - p.1) * r.0) / den;
    t > 1e-12 && t < 1.0 - 1e-12 && u > 1e-12 && u < 1.0 - 1e-12
}

type Case = (Vec<(f64, f64, f64, f64)>, Vec<(usize, usize)>);

fn case() -> impl Strategy<Value = Case> {
    (1usize..30).prop_flat_map(|n| {
        (
            proptest::collection::vec(
                (
                    0.0..2000.0f64,
                    0.0..1500.0f64,
                    10.0..300.0f64,
                    10.0..200.0f64,
                ),
                n,
            ),
            proptest::collection::vec((0..n, 0..n), 0..60),
        )
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 150, ..ProptestConfig::default() })]

    #[test]
    fn metrics_match_brute_force((nodes, edges) in case()) {
        let wf = workflow(&nodes, &edges);
        let cfg = Config::default();
        let a = analyze(&wf, &cfg.analysis, &cfg.grouping, &cfg.rendering);
        let n = nodes.len();
        let c = |i: usize| (nodes[i].0 + nodes[i].2 / 2.0, nodes[i].1 + nodes[i].3 / 2.0);
        // Crossings: every pair of non-loop edges that share no node.
        let mut crossings = 0u64;
        for i in 0..edges.len() {
            for j in i + 1..edges.len() {
                let (a1, b1) = edges[i];
                let (a2, b2) = edges[j];
                if a1 == b1 || a2 == b2 || a1 == a2 || a1 == b2 || b1 == a2 || b1 == b2 {
                    continue;
                }
                if cross_param(c(a1), c(b1), c(a2), c(b2)) {
                    crossings += 1;
                }
            }
        }
        prop_assert_eq!(a.crossings, crossings);
        prop_assert!(a.crossings_exact);
        // Overlaps: every pair of boxes with positive overlap.
        let mut overlaps = 0u64;
        for i in 0..n {
            for j in i + 1..n {
                let (p, q) = (nodes[i], nodes[j]);
                let ox = (p.0 + p.2).min(q.0 + q.2) - p.0.max(q.0);
                let oy = (p.1 + p.3).min(q.1 + q.3) - p.1.max(q.1);
                if ox > 0.0 && oy > 0.0 { overlaps += 1; }
            }
        }
        prop_assert_eq!(a.overlaps, overlaps);
        // Components by repeated flooding.
        let mut comp = vec![usize::MAX; n];
        let mut k = 0;
        for s in 0..n {
            if comp[s] != usize::MAX { continue; }
            comp[s] = k;
            let mut changed = true;
            while changed {
                changed = false;
                for &(x, y) in &edges {
                    if comp[x] == k && comp[y] == usize::MAX { comp[y] = k; changed = true; }
                    if comp[y] == k && comp[x] == usize::MAX { comp[x] = k; changed = true; }
                }
            }
            k += 1;
        }
        prop_assert_eq!(a.components as usize, k);
        let fan_out = (0..n).map(|v| edges.iter().filter(|e| e.0 == v).count()).max().unwrap_or(0);
        let fan_in = (0..n).map(|v| edges.iter().filter(|e| e.1 == v).count()).max().unwrap_or(0);
        prop_assert_eq!((a.max_fan_out as usize, a.max_fan_in as usize), (fan_out, fan_in));
        prop_assert_eq!(a.self_loops as usize, edges.iter().filter(|e| e.0 == e.1).count());
        let distinct: std::collections::BTreeSet<_> = edges.iter().collect();
        prop_assert_eq!(a.parallel_edges as usize, edges.len() - distinct.len());
    }

    #[test]
    fn depth_of_a_dag_is_its_longest_path(n in 1usize..9, raw in proptest::collection::vec((0usize..9, 0usize..9), 0..20)) {
        // Only forward edges: a DAG, so no edge is reversed.
        let edges: Vec<(usize, usize)> = raw.into_iter().filter(|&(a, b)| a < b && b < n).collect();
        let nodes: Vec<_> = (0..n).map(|i| (i as f64 * 200.0, 0.0, 100.0, 40.0)).collect();
        let cfg = Config::default();
        let a = analyze(&workflow(&nodes, &edges), &cfg.analysis, &cfg.grouping, &cfg.rendering);
        prop_assert_eq!(a.back_edges, 0);
        fn longest(v: usize, edges: &[(usize, usize)]) -> u32 {
            1 + edges.iter().filter(|e| e.0 == v).map(|e| longest(e.1, edges)).max().unwrap_or(0)
        }
        let want = (0..n).map(|v| longest(v, &edges)).max().unwrap_or(0);
        prop_assert_eq!(a.depth, want);
    }
}

#[test]
fn edge_cases_have_results() {
    let cfg = Config::default();
    let a = analyze(
        &workflow(&[], &[]),
        &cfg.analysis,
        &cfg.grouping,
        &cfg.rendering,
    );
    assert_eq!((a.nodes, a.depth, a.components, a.crossings), (0, 0, 0, 0));
    assert!(recommend(&a, cfg.in_force()).is_empty());
    let a = analyze(
        &workflow(&[(0.0, 0.0, 10.0, 10.0)], &[(0, 0), (0, 0)]),
        &cfg.analysis,
        &cfg.grouping,
        &cfg.rendering,
    );
    assert_eq!(
        (a.nodes, a.self_loops, a.parallel_edges, a.depth),
        (1, 2, 1, 1)
    );
    let cyc = analyze(
        &workflow(
            &[
                (0.0, 0.0, 10.0, 10.0),
                (100.0, 0.0, 10.0, 10.0),
                (50.0, 80.0, 10.0, 10.0),
            ],
            &[(0, 1), (1, 2), (2, 0)],
        ),
        &cfg.analysis,
        &cfg.grouping,
        &cfg.rendering,
    );
    assert_eq!((cyc.back_edges, cyc.depth), (1, 3));
}

/// Plain React Flow: no window, no level of detail, no clusters, no edge merging.
fn nothing_on() -> Config {
    let mut cfg = Config::default();
    cfg.rendering.virtual_scrolling = false;
    cfg.rendering.lod_threshold_low = 0.0;
    cfg.rendering.lod_threshold_medium = 0.0;
    cfg.clustering.max_zoom = 0.0;
    cfg.edges.merge_parallel = false;
    cfg.edges.aggregate_clusters = false;
    cfg
}

#[test]
fn rules_fire_at_their_thresholds() {
    let cfg = nothing_on();
    let grid = |n: usize| -> Vec<(f64, f64, f64, f64)> {
        (0..n)
            .map(|i| {
                (
                    (i % 50) as f64 * 300.0,
                    (i / 50) as f64 * 200.0,
                    100.0,
                    40.0,
                )
            })
            .collect()
    };
    let ids = |n: usize| -> Vec<&'static str> {
        let a = analyze(
            &workflow(&grid(n), &[]),
            &cfg.analysis,
            &cfg.grouping,
            &cfg.rendering,
        );
        recommend(&a, cfg.in_force()).iter().map(|r| r.id).collect()
    };
    assert!(!ids(499).contains(&"level-of-detail"));
    assert!(ids(500).contains(&"level-of-detail"));
    assert!(!ids(999).contains(&"virtual-scrolling"));
    let at = analyze(
        &workflow(&grid(1000), &[]),
        &cfg.analysis,
        &cfg.grouping,
        &cfg.rendering,
    );
    let recs = recommend(&at, cfg.in_force());
    let vs = recs
        .iter()
        .find(|r| r.id == "virtual-scrolling")
        .expect("virtual scrolling at 1000");
    assert_eq!(
        (vs.metric, vs.value, vs.threshold, vs.severity),
        ("nodes", 1000.0, 1000.0, Severity::Warning)
    );
    // Sorted by severity.
    assert!(recs.windows(2).all(|w| w[0].severity >= w[1].severity));

    // A tangle: a complete bipartite graph drawn with crossings; parallel edges.
    let nodes: Vec<_> = (0..10)
        .map(|i| ((i % 2) as f64 * 1000.0, (i / 2) as f64 * 100.0, 50.0, 30.0))
        .collect();
    let mut edges = Vec::new();
    for a in (0..10).step_by(2) {
        for b in (1..10).step_by(2) {
            edges.push((a, b));
        }
    }
    edges.extend([(0, 1), (0, 1), (0, 1), (2, 3), (2, 3), (2, 3)]);
    let a = analyze(
        &workflow(&nodes, &edges),
        &cfg.analysis,
        &cfg.grouping,
        &cfg.rendering,
    );
    let recs = recommend(&a, cfg.in_force());
    let ids: Vec<_> = recs.iter().map(|r| r.id).collect();
    assert!(ids.contains(&"re-layout"), "{ids:?} {a:?}");
    assert!(ids.contains(&"simplify-edges"), "{ids:?}");
    // Two clear communities.
    let mut nodes = Vec::new();
    let mut edges = Vec::new();
    for c in 0..3 {
        for i in 0..20 {
            nodes.push((
                c as f64 * 5000.0 + (i % 5) as f64 * 200.0,
                (i / 5) as f64 * 100.0,
                100.0,
                40.0,
            ));
        }
        for i in 0..20 {
            for j in [1, 2, 5] {
                if i + j < 20 {
                    edges.push((c * 20 + i, c * 20 + i + j));
                }
            }
        }
    }
    edges.push((0, 20));
    edges.push((20, 40));
    let a = analyze(
        &workflow(&nodes, &edges),
        &cfg.analysis,
        &cfg.grouping,
        &cfg.rendering,
    );
    let ids: Vec<_> = recommend(&a, cfg.in_force()).iter().map(|r| r.id).collect();
    assert!(
        ids.contains(&"group-communities"),
        "{ids:?} modularity {}",
        a.modularity
    );
}

/// A big workflow with parallel edges: every setting rule fires under `nothing_on`.
fn big_with_parallel_edges() -> Workflow {
    let nodes: Vec<_> = (0..6000)
        .map(|i| {
            (
                (i % 80) as f64 * 300.0,
                (i / 80) as f64 * 200.0,
                100.0,
                40.0,
            )
        })
        .collect();
    let edges: Vec<_> = (1..6000).flat_map(|i| [(i - 1, i), (i - 1, i)]).collect();
    workflow(&nodes, &edges)
}

#[test]
fn a_rule_whose_remedy_is_on_stays_quiet() {
    let w = big_with_parallel_edges();
    let ids = |cfg: &Config| -> Vec<&'static str> {
        let a = analyze(&w, &cfg.analysis, &cfg.grouping, &cfg.rendering);
        recommend(&a, cfg.in_force()).iter().map(|r| r.id).collect()
    };
    let settings = [
        "virtual-scrolling",
        "level-of-detail",
        "zoom-clustering",
        "simplify-edges",
    ];
    let off = ids(&nothing_on());
    for id in settings {
        assert!(off.contains(&id), "{id} must fire with nothing on: {off:?}");
    }
    // The defaults have every one of them on: none is recommended.
    let on = ids(&Config::default());
    for id in settings {
        assert!(!on.contains(&id), "{id} recommended while on: {on:?}");
    }
}

#[test]
fn applying_a_remedy_silences_its_rule() {
    let w = big_with_parallel_edges();
    let cfg = nothing_on();
    let a = analyze(&w, &cfg.analysis, &cfg.grouping, &cfg.rendering);
    let recs = recommend(&a, cfg.in_force());
    let mut patched = 0;
    for r in &recs {
        let Remedy::Config { patch } = &r.remedy else {
            continue;
        };
        let after = cfg
            .merged(&patch.to_string())
            .expect("a remedy is a valid config");
        let a2 = analyze(&w, &after.analysis, &after.grouping, &after.rendering);
        let ids: Vec<_> = recommend(&a2, after.in_force())
            .iter()
            .map(|x| x.id)
            .collect();
        assert!(
            !ids.contains(&r.id),
            "{} still recommended after {patch}",
            r.id
        );
        patched += 1;
    }
    assert_eq!(patched, 4, "{recs:?}");
}
