//! Layered layout: properties on random graphs (cycles, self-loops,
//! duplicates, disconnected pieces), the real n8n workflows from
//! ../shared/data (laid out without overlap; straight-line crossings compared
//! with the authors' own positions), and bad input.
#![cfg(not(target_arch = "wasm32"))]

use flowscale::analysis::metrics::{count_crossings, Segment};
use flowscale::error::ErrorCode;
use flowscale::layout::{
    layout_graph, layout_workflow, Direction, Layout, LayoutGraph, LayoutOptions, Ranker,
};
use flowscale::model::{EdgeInput, NodeInput, Workflow, WorkflowConfig};
use proptest::prelude::*;
use std::path::PathBuf;

fn run(g: &LayoutGraph, o: &LayoutOptions) -> Layout {
    layout_graph(g, o, &mut |_, _| Ok(())).expect("layout")
}

fn overlapping(x: &[f64], y: &[f64], w: &[f64], h: &[f64]) -> Option<(usize, usize)> {
    let n = x.len();
    for a in 0..n {
        for b in a + 1..n {
            let ox = (x[a] + w[a]).min(x[b] + w[b]) - x[a].max(x[b]);
            let oy = (y[a] + h[a]).min(y[b] + h[b]) - y[a].max(y[b]);
            if ox > 1e-6 && oy > 1e-6 {
                return Some((a, b));
            }
        }
    }
    None
}

fn graph_strategy() -> impl Strategy<Value = LayoutGraph> {
    (1usize..40).prop_flat_map(|n| {
        (
            proptest::collection::vec((1.0..300.0f64, 1.0..150.0f64), n),
            proptest::collection::vec((0..n as u32, 0..n as u32), 0..90),
        )
            .prop_map(|(sizes, edges)| LayoutGraph {
                width: sizes.iter().map(|s| s.0).collect(),
                height: sizes.iter().map(|s| s.1).collect(),
                edges,
            })
    })
}

fn options_strategy() -> impl Strategy<Value = LayoutOptions> {
    (
        prop_oneof![Just(Direction::LR), Just(Direction::TB)],
        prop_oneof![Just(Ranker::NetworkSimplex), Just(Ranker::LongestPath)],
        0.0..100.0f64,
        0.0..200.0f64,
        any::<u32>(),
    )
        .prop_map(
            |(direction, ranker, node_spacing, layer_spacing, seed)| LayoutOptions {
                direction,
                ranker,
                node_spacing,
                layer_spacing,
                seed,
                ..Default::default()
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn layout_properties(g in graph_strategy(), o in options_strategy()) {
        let l = run(&g, &o);
        let n = g.width.len();
        prop_assert!(l.x.iter().chain(&l.y).all(|v| v.is_finite()));
        prop_assert_eq!(overlapping(&l.x, &l.y, &g.width, &g.height), None, "nodes overlap");
        let lr = o.direction == Direction::LR;
        for (k, &(s, t)) in g.edges.iter().enumerate() {
            let (s, t) = (s as usize, t as usize);
            if s == t {
                prop_assert!(!l.reversed[k], "a self-loop is never reversed");
                continue;
            }
            prop_assert_eq!(l.component[s], l.component[t]);
            let (from, to) = if l.reversed[k] { (t, s) } else { (s, t) };
            prop_assert!(l.layer[to] > l.layer[from], "edge {} does not point forward", k);
            // Geometrically too: the head's layer starts after the tail's node ends.
            if lr {
                prop_assert!(l.x[to] >= l.x[from] + g.width[from] - 1e-6);
            } else {
                prop_assert!(l.y[to] >= l.y[from] + g.height[from] - 1e-6);
            }
        }
        // Within a layer of a component, order follows the cross axis.
        for a in 0..n {
            for b in 0..n {
                if a != b && l.component[a] == l.component[b] && l.layer[a] == l.layer[b] && l.order[a] < l.order[b] {
                    let (ca, cb) = if lr { (l.y[a], l.y[b]) } else { (l.x[a], l.x[b]) };
                    prop_assert!(ca < cb + 1e-6, "order {} < {} but placed after", a, b);
                }
            }
        }
        // Identical output for the same seed.
        let again = run(&g, &o);
        prop_assert_eq!(&l.x, &again.x);
        prop_assert_eq!(&l.y, &again.y);
        prop_assert_eq!(&l.route_points, &again.route_points);
    }

    #[test]
    fn trees_are_drawn_without_crossings(parents in proptest::collection::vec(any::<prop::sample::Index>(), 1..60)) {
        // Node i + 1 hangs from an earlier node: a tree has a crossing-free layered drawing.
        let n = parents.len() + 1;
        let edges: Vec<(u32, u32)> = parents.iter().enumerate().map(|(i, p)| (p.index(i + 1) as u32, i as u32 + 1)).collect();
        let g = LayoutGraph { width: vec![80.0; n], height: vec![30.0; n], edges };
        let l = run(&g, &LayoutOptions::default());
        prop_assert_eq!(l.stats.crossings, 0);
        prop_assert_eq!(l.stats.reversed_edges, 0);
    }
}

#[test]
fn bad_graphs_are_errors_not_panics() {
    let o = LayoutOptions::default();
    let g = LayoutGraph {
        width: vec![10.0],
        height: vec![10.0],
        edges: vec![(0, 3)],
    };
    let e = layout_graph(&g, &o, &mut |_, _| Ok(())).unwrap_err();
    assert_eq!(e.code, ErrorCode::DanglingEdge);
    let g = LayoutGraph {
        width: vec![f64::NAN],
        height: vec![10.0],
        edges: vec![],
    };
    assert_eq!(
        layout_graph(&g, &o, &mut |_, _| Ok(())).unwrap_err().code,
        ErrorCode::NonFinite
    );
    let bad = LayoutOptions {
        node_spacing: f64::INFINITY,
        ..Default::default()
    };
    let g = LayoutGraph::default();
    assert_eq!(
        layout_graph(&g, &bad, &mut |_, _| Ok(())).unwrap_err().code,
        ErrorCode::InvalidConfig
    );
}

#[test]
fn groups_move_as_one_block_and_hidden_nodes_stay() {
    let nodes = vec![
        NodeInput::new("a", 0.0, 0.0).sized(100.0, 40.0),
        NodeInput::new("g", 0.0, 0.0).sized(400.0, 300.0),
        NodeInput::new("c1", 10.0, 10.0)
            .sized(50.0, 50.0)
            .child_of("g"),
        NodeInput::new("c2", 200.0, 100.0)
            .sized(50.0, 50.0)
            .child_of("g"),
        NodeInput::new("b", 0.0, 0.0).sized(100.0, 40.0),
        {
            let mut h = NodeInput::new("h", 7.0, 7.0).sized(10.0, 10.0);
            h.hidden = true;
            h
        },
    ];
    let edges = vec![
        EdgeInput::new("e1", "a", "c1"),
        EdgeInput::new("e2", "c2", "b"),
        EdgeInput::new("e3", "c1", "c2"),
        EdgeInput::new("e4", "h", "a"),
    ];
    let wf = Workflow::build(nodes, edges, &WorkflowConfig::default()).unwrap();
    let l = layout_workflow(&wf, &LayoutOptions::default(), &mut |_, _| Ok(())).unwrap();
    let pos = |id: &str| l.position[wf.index_of(id).unwrap() as usize];
    let (a, g, b) = (pos("a").unwrap(), pos("g").unwrap(), pos("b").unwrap());
    assert!(
        a.0 + 100.0 <= g.0 && g.0 + 400.0 <= b.0,
        "a → group → b left to right"
    );
    assert_eq!(pos("c1"), None, "children keep their relative position");
    assert_eq!(pos("h"), None, "hidden nodes keep theirs");
    assert_eq!(l.stats.components, 1);
}

// ---- the real n8n workflows ------------------------------------------------

fn n8n_path() -> Option<PathBuf> {
    let here = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    [
        std::env::var("FLOWSCALE_DATA_DIR").ok().map(PathBuf::from),
        Some(here.join("../shared/data")),
        Some(PathBuf::from("/work/shared/data")),
    ]
    .into_iter()
    .flatten()
    .map(|d| d.join("n8n/workflows.jsonl"))
    .find(|p| p.exists())
}

struct N8n {
    nodes: Vec<NodeInput>,
    edges: Vec<EdgeInput>,
    sticky: Vec<bool>,
}

fn load_n8n() -> Option<Vec<N8n>> {
    let text = std::fs::read_to_string(n8n_path()?).ok()?;
    let mut out = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let v: serde_json::Value = serde_json::from_str(line).expect("json line");
        let mut w = N8n {
            nodes: Vec::new(),
            edges: Vec::new(),
            sticky: Vec::new(),
        };
        for n in v["nodes"].as_array().expect("nodes") {
            let p = &n["position"];
            w.nodes.push(
                NodeInput::new(
                    n["id"].as_str().expect("id"),
                    p["x"].as_f64().expect("x"),
                    p["y"].as_f64().expect("y"),
                )
                .sized(
                    n["width"].as_f64().unwrap_or(100.0),
                    n["height"].as_f64().unwrap_or(100.0),
                ),
            );
            w.sticky
                .push(n["data"]["sticky"].as_bool().unwrap_or(false));
        }
        for e in v["edges"].as_array().expect("edges") {
            w.edges.push(EdgeInput::new(
                e["id"].as_str().expect("id"),
                e["source"].as_str().expect("source"),
                e["target"].as_str().expect("target"),
            ));
        }
        out.push(w);
    }
    Some(out)
}

/// Straight centre-to-centre crossings among the non-sticky nodes.
fn crossings(wf: &Workflow, x: &[f64], y: &[f64]) -> u64 {
    let mut segs: Vec<Segment> = Vec::new();
    for e in wf.live_edge_slots() {
        let (s, t) = wf.edge_ends_of(e);
        if s == t {
            continue;
        }
        let c = |i: u32| {
            let r = wf.rect(i);
            (
                x[i as usize] + r.width / 2.0,
                y[i as usize] + r.height / 2.0,
            )
        };
        segs.push((s, t, c(s), c(t)));
    }
    count_crossings(&segs)
}

#[test]
fn n8n_workflows_are_laid_out_without_overlap_and_with_fewer_crossings() {
    let Some(all) = load_n8n() else {
        let missing = "the n8n workflows (n8n/workflows.jsonl) are not in FLOWSCALE_DATA_DIR or ../shared/data beside the checkout";
        // Missing data fails the test unless the run says it may be missing.
        if std::env::var("FLOWSCALE_ALLOW_MISSING_DATA").as_deref() == Ok("1") {
            eprintln!("SKIPPED (FLOWSCALE_ALLOW_MISSING_DATA=1): {missing}");
            return;
        }
        panic!("{missing}; set FLOWSCALE_ALLOW_MISSING_DATA=1 to skip this test instead");
    };
    assert!(all.len() > 2000);
    let (mut theirs, mut ours, mut better, mut worse) = (0u64, 0u64, 0, 0);
    for w in &all {
        let wf = Workflow::build(w.nodes.clone(), w.edges.clone(), &WorkflowConfig::default())
            .expect("n8n workflow");
        let l =
            layout_workflow(&wf, &LayoutOptions::default(), &mut |_, _| Ok(())).expect("layout");
        let n = wf.slot_count();
        let (mut x, mut y, mut wd, mut ht) =
            (vec![0.0; n], vec![0.0; n], vec![0.0; n], vec![0.0; n]);
        let (mut ax, mut ay) = (vec![0.0; n], vec![0.0; n]);
        for i in 0..n as u32 {
            let r = wf.rect(i);
            let p = l.position[i as usize].expect("every n8n node is top-level and shown");
            (x[i as usize], y[i as usize]) = p;
            (wd[i as usize], ht[i as usize]) = (r.width, r.height);
            (ax[i as usize], ay[i as usize]) = (r.x, r.y);
        }
        // No overlap at all (sticky notes included: they are packed apart).
        assert_eq!(
            overlapping(&x, &y, &wd, &ht),
            None,
            "overlap in a workflow of {n} nodes"
        );
        let (t, o) = (crossings(&wf, &ax, &ay), crossings(&wf, &x, &y));
        theirs += t;
        ours += o;
        better += (o < t) as u32;
        worse += (o > t) as u32;
    }
    eprintln!(
        "n8n: {} workflows; straight-line crossings: authors {theirs}, flowscale {ours}; \
         fewer in {better}, more in {worse}",
        all.len()
    );
    assert!(ours <= theirs, "flowscale {ours} vs authors {theirs}");
}
