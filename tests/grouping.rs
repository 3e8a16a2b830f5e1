//! Community detection: modularity recomputed independently (the pairwise
//! definition), planted communities recovered, React Flow groups kept whole,
//! every community connected, and never below the trivial partitions or
//! above the brute-force optimum on small graphs.
#![cfg(not(target_arch = "wasm32"))]

use flowscale::cluster::groups::{connected_parts, detect, louvain, WGraph};
use flowscale::cluster::GroupingConfig;
use flowscale::model::{EdgeInput, NodeInput, Workflow, WorkflowConfig};
use proptest::prelude::*;
use std::collections::{BTreeMap, BTreeSet};

/// Q = 1/2m Σ_ij [A_ij − γ k_i k_j / 2m] δ(c_i, c_j), with A_ii = 2 × loop weight.
fn pairwise_modularity(n: usize, edges: &[(u32, u32, f64)], c: &[u32], gamma: f64) -> f64 {
    let mut a = vec![vec![0.0; n]; n];
    let mut m = 0.0;
    for &(s, t, w) in edges {
        m += w;
        if s == t {
            a[s as usize][s as usize] += 2.0 * w;
        } else {
            a[s as usize][t as usize] += w;
            a[t as usize][s as usize] += w;
        }
    }
    if m == 0.0 {
        return 0.0;
    }
    let k: Vec<f64> = a.iter().map(|row| row.iter().sum()).collect();
    let mut q = 0.0;
    for i in 0..n {
        for j in 0..n {
            if c[i] == c[j] {
                q += a[i][j] - gamma * k[i] * k[j] / (2.0 * m);
            }
        }
    }
    q / (2.0 * m)
}

fn edges_strategy() -> impl Strategy<Value = (usize, Vec<(u32, u32, f64)>)> {
    (1usize..24).prop_flat_map(|n| {
        let e = proptest::collection::vec((0..n as u32, 0..n as u32, 1u8..4), 0..60);
        (
            Just(n),
            e.prop_map(|v| v.into_iter().map(|(a, b, w)| (a, b, w as f64)).collect()),
        )
    })
}

fn connected_within(g_edges: &[(u32, u32, f64)], c: &[u32]) -> bool {
    let n = c.len();
    let mut parent: Vec<usize> = (0..n).collect();
    fn find(p: &mut [usize], x: usize) -> usize {
        if p[x] != x {
            let r = find(p, p[x]);
            p[x] = r;
        }
        p[x]
    }
    for &(a, b, _) in g_edges {
        if c[a as usize] == c[b as usize] {
            let (ra, rb) = (find(&mut parent, a as usize), find(&mut parent, b as usize));
            parent[ra] = rb;
        }
    }
    let mut root_of: BTreeMap<u32, usize> = BTreeMap::new();
    (0..n).all(|v| {
        let r = find(&mut parent, v);
        *root_of.entry(c[v]).or_insert(r) == r
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn modularity_and_connectivity((n, edges) in edges_strategy(), gamma in prop_oneof![Just(1.0), 0.5..2.0f64]) {
        let g = WGraph::new(n, &edges);
        let c = connected_parts(&g, &louvain(&g, gamma, 1));
        let q = g.modularity(&c, gamma);
        let q_ref = pairwise_modularity(n, &edges, &c, gamma);
        prop_assert!((q - q_ref).abs() < 1e-9, "modularity {} vs {}", q, q_ref);
        prop_assert!(connected_within(&edges, &c), "a community is not connected");
        let singletons: Vec<u32> = (0..n as u32).collect();
        prop_assert!(q >= pairwise_modularity(n, &edges, &singletons, gamma) - 1e-9);
        // Deterministic for a seed.
        prop_assert_eq!(c, connected_parts(&g, &louvain(&g, gamma, 1)));
    }
}

/// Brute force over every partition of up to 7 nodes (Bell(7) = 877).
fn best_partition_q(n: usize, edges: &[(u32, u32, f64)]) -> f64 {
    fn rec(
        i: usize,
        n: usize,
        c: &mut Vec<u32>,
        k: u32,
        edges: &[(u32, u32, f64)],
        best: &mut f64,
    ) {
        if i == n {
            *best = best.max(pairwise_modularity(n, edges, c, 1.0));
            return;
        }
        for x in 0..=k {
            c[i] = x;
            rec(i + 1, n, c, k.max(x + 1), edges, best);
        }
    }
    let mut best = f64::NEG_INFINITY;
    rec(0, n, &mut vec![0; n], 0, edges, &mut best);
    best
}

#[test]
fn never_above_the_optimum_and_close_to_it_on_small_graphs() {
    let mut s = 99u64;
    let mut next = || {
        s = s
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (s >> 33) as u32
    };
    let (mut ours, mut best) = (0.0, 0.0);
    for _ in 0..60 {
        let n = 3 + (next() % 5) as usize;
        let edges: Vec<(u32, u32, f64)> = (0..n * 2)
            .map(|_| (next() % n as u32, next() % n as u32, 1.0))
            .collect();
        let g = WGraph::new(n, &edges);
        let q = g.modularity(&connected_parts(&g, &louvain(&g, 1.0, 3)), 1.0);
        let opt = best_partition_q(n, &edges);
        assert!(q <= opt + 1e-9, "{q} above the optimum {opt}");
        ours += q;
        best += opt;
    }
    assert!(ours >= 0.95 * best, "total {ours} vs optimum {best}");
}

#[test]
fn planted_cliques_are_found() {
    // Six cliques of 8 joined in a ring by single edges.
    let mut edges = Vec::new();
    for c in 0..6u32 {
        for i in 0..8 {
            for j in i + 1..8 {
                edges.push((c * 8 + i, c * 8 + j, 1.0));
            }
        }
        edges.push((c * 8, ((c + 1) % 6) * 8 + 1, 1.0));
    }
    let g = WGraph::new(48, &edges);
    let c = connected_parts(&g, &louvain(&g, 1.0, 7));
    for k in 0..6u32 {
        let ids: BTreeSet<u32> = (0..8).map(|i| c[(k * 8 + i) as usize]).collect();
        assert_eq!(ids.len(), 1, "clique {k} split: {c:?}");
    }
    assert_eq!(c.iter().collect::<BTreeSet<_>>().len(), 6);
}

#[test]
fn react_flow_groups_stay_whole_and_boxes_cover_members() {
    // Two chains; a React Flow group whose children sit in different chains.
    let mut nodes = vec![NodeInput::new("g", 0.0, 0.0).sized(500.0, 300.0)];
    for i in 0..20 {
        nodes.push(NodeInput::new(format!("a{i}"), i as f64 * 200.0, 1000.0).sized(100.0, 40.0));
        nodes.push(NodeInput::new(format!("b{i}"), i as f64 * 200.0, 3000.0).sized(100.0, 40.0));
    }
    nodes.push(
        NodeInput::new("ga", 10.0, 10.0)
            .sized(50.0, 50.0)
            .child_of("g"),
    );
    nodes.push(
        NodeInput::new("gb", 100.0, 10.0)
            .sized(50.0, 50.0)
            .child_of("g"),
    );
    let mut edges = Vec::new();
    for i in 0..19 {
        edges.push(EdgeInput::new(
            format!("ea{i}"),
            format!("a{i}"),
            format!("a{}", i + 1),
        ));
        edges.push(EdgeInput::new(
            format!("eb{i}"),
            format!("b{i}"),
            format!("b{}", i + 1),
        ));
    }
    edges.push(EdgeInput::new("x1", "ga", "a0"));
    edges.push(EdgeInput::new("x2", "gb", "b19"));
    let wf = Workflow::build(nodes, edges, &WorkflowConfig::default()).expect("workflow");
    let cfg = GroupingConfig::default();
    let gr = detect(&wf, &cfg);
    let of = |id: &str| gr.group_of[wf.index_of(id).expect("id") as usize];
    assert_eq!(of("g"), of("ga"));
    assert_eq!(of("g"), of("gb"));
    assert_ne!(of("a5"), of("b5"));
    assert_eq!(gr.parent_groups, 1);
    assert_eq!(gr.sizes.iter().sum::<u32>() as usize, wf.node_count());
    for i in wf.live_slots() {
        let r = wf.rect(i);
        let b = gr.boxes[gr.group_of[i as usize] as usize];
        assert!(r.x >= b[0] + cfg.padding - 1e-9 && r.x2() <= b[0] + b[2] - cfg.padding + 1e-9);
        assert!(r.y >= b[1] + cfg.padding - 1e-9 && r.y2() <= b[1] + b[3] - cfg.padding + 1e-9);
    }
    assert!(gr.modularity > 0.3, "modularity {}", gr.modularity);
}

#[test]
fn empty_single_and_edgeless_workflows() {
    let cfg = GroupingConfig::default();
    let wf = Workflow::build(vec![], vec![], &WorkflowConfig::default()).expect("empty");
    let g = detect(&wf, &cfg);
    assert_eq!((g.count(), g.modularity), (0, 0.0));
    let wf = Workflow::build(
        vec![NodeInput::new("a", 0.0, 0.0), NodeInput::new("b", 9.0, 9.0)],
        vec![EdgeInput::new("l", "a", "a")],
        &WorkflowConfig::default(),
    )
    .expect("loop");
    let g = detect(&wf, &cfg);
    assert_eq!(g.count(), 2);
    assert!(g.modularity.is_finite());
}
