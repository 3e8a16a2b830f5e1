//! Property tests of the per-frame core against a brute-force oracle: a plain
//! list of React Flow nodes, positions resolved by walking parents, every
//! node tested against the viewport. Random workflows, viewports and edit
//! sequences (drags, resizes, removals, additions, hiding, reloads). The
//! whole-workflow queries (`bounds`, `nodes_in_rect`) are checked the same
//! way, and against a scan of the model's own rectangles.
#![cfg(not(target_arch = "wasm32"))]

use flowscale::config::Config;
use flowscale::load::LoadJob;
use flowscale::model::{EdgeChange, EdgeInput, NodeChange, NodeInput, Rect};
use flowscale::optimizer::{view_rect, Screen, Viewport, WorkflowOptimizer};
use flowscale::ErrorCode;

use proptest::prelude::*;
use std::collections::{BTreeMap, BTreeSet};

/// React Flow's `getOverlappingArea(a, b) > 0`, written out independently.
fn rf_overlap_area(a: &Rect, b: &Rect) -> f64 {
    let x = 0f64.max(a.x2().min(b.x2()) - a.x.max(b.x));
    let y = 0f64.max(a.y2().min(b.y2()) - a.y.max(b.y));
    (x * y).ceil()
}

/// `getNodesInside(partially = true)`: positive overlap. React Flow counts a
/// zero-area node as always visible; flowscale (documented) counts it when it
/// lies inside the closed view.
fn overlaps(view: &Rect, r: &Rect) -> bool {
    if r.width > 0.0 && r.height > 0.0 {
        return rf_overlap_area(view, r) > 0.0;
    }
    let inside = |lo: f64, len: f64, vlo: f64, vlen: f64| {
        if len > 0.0 {
            lo + len > vlo && lo < vlo + vlen
        } else {
            lo >= vlo && lo <= vlo + vlen
        }
    };
    inside(r.x, r.width, view.x, view.width) && inside(r.y, r.height, view.y, view.height)
}

/// `getNodesInside(nodes, rect, [0, 0, 1], partially)` for one node: the
/// rounded-up overlap is positive (`partially`) or reaches the node's area,
/// so a zero-area node is always inside.
fn rf_inside(rect: &Rect, r: &Rect, partially: bool) -> bool {
    let overlap = rf_overlap_area(rect, r);
    (partially && overlap > 0.0) || overlap >= r.width * r.height
}

/// `getNodesBounds`: the union of the nodes' boxes, as x, y, width, height.
fn rf_bounds(rects: impl Iterator<Item = Rect>) -> Option<Rect> {
    let mut b: Option<[f64; 4]> = None;
    for r in rects {
        let [x, y, x2, y2] = b.unwrap_or([
            f64::INFINITY,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NEG_INFINITY,
        ]);
        b = Some([
            x.min(r.x),
            y.min(r.y),
            x2.max(r.x + r.width),
            y2.max(r.y + r.height),
        ]);
    }
    b.map(|[x, y, x2, y2]| Rect {
        x,
        y,
        width: x2 - x,
        height: y2 - y,
    })
}

/// React Flow's `isEdgeVisible`: the union box, grown by 1 where degenerate.
fn edge_overlaps(view: &Rect, r: &Rect) -> bool {
    let mut r = *r;
    if r.width == 0.0 {
        r.width = 1.0;
    }
    if r.height == 0.0 {
        r.height = 1.0;
    }
    rf_overlap_area(view, &r) > 0.0
}

#[derive(Clone, Debug)]
struct RefNode {
    x: f64,
    y: f64,
    w: f64,
    h: f64,
    parent: Option<String>,
    hidden: bool,
}

/// The oracle: React Flow's own view of the workflow.
#[derive(Clone, Debug, Default)]
struct Oracle {
    nodes: BTreeMap<String, RefNode>,
    edges: BTreeMap<String, (String, String)>,
}

impl Oracle {
    fn abs(&self, id: &str) -> Rect {
        let n = &self.nodes[id];
        let (px, py) = match &n.parent {
            Some(p) => {
                let r = self.abs(p);
                (r.x, r.y)
            }
            None => (0.0, 0.0),
        };
        Rect {
            x: px + n.x,
            y: py + n.y,
            width: n.w,
            height: n.h,
        }
    }

    fn in_view(&self, view: &Rect) -> BTreeSet<String> {
        self.nodes
            .iter()
            .filter(|(id, n)| !n.hidden && overlaps(view, &self.abs(id)))
            .map(|(id, _)| id.clone())
            .collect()
    }

    fn bounds(&self) -> Option<Rect> {
        rf_bounds(
            self.nodes
                .iter()
                .filter(|(_, n)| !n.hidden)
                .map(|(id, _)| self.abs(id)),
        )
    }

    fn inside(&self, rect: &Rect, partially: bool) -> BTreeSet<String> {
        self.nodes
            .iter()
            .filter(|(id, n)| !n.hidden && rf_inside(rect, &self.abs(id), partially))
            .map(|(id, _)| id.clone())
            .collect()
    }

    fn edges_in_view(&self, view: &Rect) -> BTreeSet<String> {
        self.edges
            .iter()
            .filter(|(_, (s, t))| {
                if self.nodes[s].hidden || self.nodes[t].hidden {
                    return false;
                }
                let a = self.abs(s);
                let b = self.abs(t);
                let x = a.x.min(b.x);
                let y = a.y.min(b.y);
                let r = Rect {
                    x,
                    y,
                    width: a.x2().max(b.x2()) - x,
                    height: a.y2().max(b.y2()) - y,
                };
                edge_overlaps(view, &r)
            })
            .map(|(id, _)| id.clone())
            .collect()
    }

    fn input(&self, id: &str) -> NodeInput {
        let n = &self.nodes[id];
        let mut i = NodeInput::new(id, n.x, n.y).sized(n.w, n.h);
        i.parent_id = n.parent.clone();
        i.hidden = n.hidden;
        i
    }

    fn descendants_and_self(&self, id: &str) -> Vec<String> {
        let mut out = vec![id.to_string()];
        let mut k = 0;
        while k < out.len() {
            let cur = out[k].clone();
            out.extend(
                self.nodes
                    .iter()
                    .filter(|(_, n)| n.parent.as_deref() == Some(cur.as_str()))
                    .map(|(c, _)| c.clone()),
            );
            k += 1;
        }
        out
    }
}

#[derive(Clone, Debug)]
enum Op {
    Frame(Viewport, Screen),
    Move(usize, f64, f64),
    Resize(usize, f64, f64),
    Remove(usize),
    Add(f64, f64, f64, f64, Option<usize>),
    ToggleHidden(usize),
    BulkMove(Vec<(usize, f32, f32)>),
    AddEdge(usize, usize),
    RemoveEdge(usize),
    /// Load the oracle's workflow again: at once (0), or stepped with this budget.
    Reload(usize),
    /// Move every node (past `workflow.rebuildFraction`: the index is rebuilt).
    ShiftAll(f32, f32),
}

fn coord() -> impl Strategy<Value = f64> {
    prop_oneof![
        (-3000.0..3000.0f64),
        (-3000i32..3000).prop_map(|v| v as f64)
    ]
}

fn size() -> impl Strategy<Value = f64> {
    prop_oneof![1 => Just(0.0), 8 => 1.0..400.0f64, 2 => (10u32..300).prop_map(|v| v as f64)]
}

fn viewport() -> impl Strategy<Value = (Viewport, Screen)> {
    (
        -4000.0..4000.0f64,
        -4000.0..4000.0f64,
        prop_oneof![(0.02..4.0f64), Just(1.0), Just(0.25)],
        100.0..2000.0f64,
        100.0..1200.0f64,
    )
        .prop_map(|(x, y, zoom, width, height)| (Viewport { x, y, zoom }, Screen { width, height }))
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => viewport().prop_map(|(v, s)| Op::Frame(v, s)),
        3 => (any::<usize>(), coord(), coord()).prop_map(|(i, x, y)| Op::Move(i, x, y)),
        1 => (any::<usize>(), size(), size()).prop_map(|(i, w, h)| Op::Resize(i, w, h)),
        1 => any::<usize>().prop_map(Op::Remove),
        1 => (coord(), coord(), size(), size(), proptest::option::of(any::<usize>()))
            .prop_map(|(x, y, w, h, p)| Op::Add(x, y, w, h, p)),
        1 => any::<usize>().prop_map(Op::ToggleHidden),
        1 => proptest::collection::vec((any::<usize>(), -3000.0..3000.0f32, -3000.0..3000.0f32), 1..20)
            .prop_map(Op::BulkMove),
        1 => (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Op::AddEdge(a, b)),
        1 => any::<usize>().prop_map(Op::RemoveEdge),
    ]
}

fn workflow() -> impl Strategy<Value = Oracle> {
    (0usize..120)
        .prop_flat_map(|n| {
            (
                proptest::collection::vec(
                    (
                        coord(),
                        coord(),
                        size(),
                        size(),
                        any::<u8>(),
                        any::<usize>(),
                    ),
                    n,
                ),
                proptest::collection::vec((any::<usize>(), any::<usize>()), 0..(n * 2 + 1)),
            )
        })
        .prop_map(|(nodes, edges)| {
            let mut o = Oracle::default();
            let mut order: Vec<String> = Vec::new();
            for (k, (x, y, w, h, flags, p)) in nodes.into_iter().enumerate() {
                let id = format!("n{k}");
                // A parent among earlier nodes (so no cycles), for about a fifth of the nodes.
                let parent = if flags % 5 == 0 && !order.is_empty() {
                    Some(order[p % order.len()].clone())
                } else {
                    None
                };
                o.nodes.insert(
                    id.clone(),
                    RefNode {
                        x: x / 4.0,
                        y: y / 4.0,
                        w,
                        h,
                        parent,
                        hidden: flags % 11 == 1,
                    },
                );
                order.push(id);
            }
            if !order.is_empty() {
                for (k, (a, b)) in edges.into_iter().enumerate() {
                    o.edges.insert(
                        format!("e{k}"),
                        (
                            order[a % order.len()].clone(),
                            order[b % order.len()].clone(),
                        ),
                    );
                }
            }
            o
        })
}

fn small_config(cap: u32) -> Config {
    let mut c = Config::default();
    c.rendering.max_visible_nodes = cap;
    c
}

fn load(o: &Oracle, cfg: Config) -> WorkflowOptimizer {
    let mut opt = WorkflowOptimizer::new(cfg).unwrap();
    let (nodes, edges) = inputs(o);
    opt.set_workflow(nodes, edges).unwrap();
    opt
}

/// The oracle's workflow as input rows.
fn inputs(o: &Oracle) -> (Vec<NodeInput>, Vec<EdgeInput>) {
    // Hand the nodes over in a scrambled order: children may precede parents.
    let mut ids: Vec<&String> = o.nodes.keys().collect();
    ids.reverse();
    let nodes = ids.iter().map(|id| o.input(id)).collect();
    let edges = o
        .edges
        .iter()
        .map(|(id, (s, t))| EdgeInput::new(id.clone(), s.clone(), t.clone()))
        .collect();
    (nodes, edges)
}

fn pick(o: &Oracle, i: usize) -> Option<String> {
    if o.nodes.is_empty() {
        None
    } else {
        o.nodes.keys().nth(i % o.nodes.len()).cloned()
    }
}

/// A frame's answer by id (the frame borrows the optimizer, so copy it out).
/// `in_view`, `lod` and `edges` are the complete lists: the frame's own above
/// clustering.maxZoom, computed on demand (`frame_detail`) below it.
struct Snapshot {
    in_view: Vec<(String, u8)>,
    visible: Vec<String>,
    entered: Vec<String>,
    left: Vec<String>,
    edges: Vec<String>,
    total: u32,
    in_view_count: u32,
    lod_counts: [u32; 3],
    /// Nodes drawn inside a cluster glyph (cluster-first frames only).
    in_glyph: BTreeSet<String>,
    /// Edges with both ends mounted.
    window_edges: Vec<String>,
}

fn frame(opt: &mut WorkflowOptimizer, vp: Viewport, s: Screen) -> Snapshot {
    opt.frame(vp, s).unwrap();
    let (complete, eager_in_view, level) = {
        let f = opt.last_frame();
        (f.complete, f.in_view.clone(), f.clusters.level as usize)
    };
    let (in_view, lod, edges) = {
        let d = opt.frame_detail().expect("detail of the latest frame");
        (d.in_view.clone(), d.lod.clone(), d.edges.clone())
    };
    let mut in_glyph = BTreeSet::new();
    if !complete {
        let slots: Vec<u32> = in_view.clone();
        let ix = opt.cluster_index();
        let glyph: Vec<u32> = slots
            .into_iter()
            .filter(|&i| ix.glyph_of(i, level).is_some())
            .collect();
        let wf = opt.workflow();
        in_glyph = glyph
            .iter()
            .map(|&i| wf.id(i).unwrap().to_string())
            .collect();
    }
    let f = opt.last_frame();
    let wf = opt.workflow();
    if complete {
        assert_eq!(
            eager_in_view, in_view,
            "detail of a complete frame is the frame"
        );
    } else {
        // The frame itself lists exactly the in-view nodes outside glyphs.
        let alone: BTreeSet<u32> = eager_in_view.iter().copied().collect();
        let want: BTreeSet<u32> = in_view
            .iter()
            .copied()
            .filter(|&i| !in_glyph.contains(wf.id(i).unwrap()))
            .collect();
        assert_eq!(alone, want, "nodes drawn alone");
    }
    let id = |i: &u32| wf.id(*i).expect("frame names live nodes only").to_string();
    let mut left: Vec<String> = f.left.iter().map(id).collect();
    left.extend(f.left_ids.iter().cloned());
    Snapshot {
        in_view: in_view.iter().map(id).zip(lod.iter().copied()).collect(),
        visible: f.visible.iter().map(id).collect(),
        entered: f.entered.iter().map(id).collect(),
        left,
        edges: edges
            .iter()
            .map(|e| wf.edge_id(*e).unwrap().to_string())
            .collect(),
        total: f.stats.total,
        in_view_count: f.stats.in_view,
        lod_counts: f.stats.lod_counts,
        in_glyph,
        window_edges: f
            .window_edges
            .iter()
            .map(|e| wf.edge_id(*e).unwrap().to_string())
            .collect(),
    }
}

/// Check one frame against the oracle and the window invariants; returns the mounted ids.
fn check(
    opt: &mut WorkflowOptimizer,
    o: &Oracle,
    vp: Viewport,
    s: Screen,
    before: &BTreeSet<String>,
) -> BTreeSet<String> {
    let cap = opt.config().rendering.max_visible_nodes as usize;
    let view = view_rect(vp, s).unwrap();
    let snap = frame(opt, vp, s);
    let in_view: BTreeSet<String> = snap.in_view.iter().map(|(i, _)| i.clone()).collect();
    assert_eq!(in_view.len(), snap.in_view.len(), "inView has duplicates");
    assert_eq!(in_view, o.in_view(&view), "inView differs from brute force");
    assert_eq!(
        snap.in_view_count as usize,
        in_view.len(),
        "stats.inView differs from brute force"
    );
    let visible: BTreeSet<String> = snap.visible.iter().cloned().collect();
    assert_eq!(
        visible.len(),
        snap.visible.len(),
        "visibleIds has duplicates"
    );
    assert!(visible.len() <= cap, "window over the cap");
    assert!(
        visible.is_disjoint(&snap.in_glyph),
        "a node drawn inside a glyph is mounted"
    );
    // In view: mounted exactly when high or medium.
    for (id, lod) in &snap.in_view {
        assert_eq!(
            *lod <= 1,
            visible.contains(id),
            "lod {lod} vs mounted for {id}"
        );
    }
    // Mounted nodes are shown and near the view.
    let keep =
        (opt.config().rendering.overscan_px + opt.config().rendering.hysteresis_px) / vp.zoom;
    for id in &visible {
        let n = &o.nodes[id];
        assert!(!n.hidden, "hidden node {id} mounted");
        let r = o.abs(id);
        assert!(
            r.x <= view.x2() + keep
                && r.x2() >= view.x - keep
                && r.y <= view.y2() + keep
                && r.y2() >= view.y - keep,
            "{id} mounted far from the view"
        );
    }
    // mountedEdgeIds: every shown edge between two mounted nodes, once.
    let want_window_edges: BTreeSet<String> = o
        .edges
        .iter()
        .filter(|(_, (s, t))| {
            visible.contains(s) && visible.contains(t) && !o.nodes[s].hidden && !o.nodes[t].hidden
        })
        .map(|(id, _)| id.clone())
        .collect();
    let got_window_edges: BTreeSet<String> = snap.window_edges.iter().cloned().collect();
    assert_eq!(
        got_window_edges.len(),
        snap.window_edges.len(),
        "window edge twice"
    );
    assert_eq!(
        got_window_edges, want_window_edges,
        "edges between mounted nodes"
    );
    // entered/left describe exactly the change of the window.
    let entered: BTreeSet<String> = snap.entered.iter().cloned().collect();
    let left: BTreeSet<String> = snap.left.iter().cloned().collect();
    let expect_entered: BTreeSet<String> = visible.difference(before).cloned().collect();
    let expect_left: BTreeSet<String> = before.difference(&visible).cloned().collect();
    assert_eq!(entered, expect_entered, "entered");
    assert_eq!(left, expect_left, "left");
    assert_eq!(
        snap.edges.iter().cloned().collect::<BTreeSet<_>>(),
        o.edges_in_view(&view),
        "visible edges"
    );
    assert_eq!(snap.total as usize, o.nodes.len());
    assert_eq!(snap.lod_counts.iter().sum::<u32>() as usize, in_view.len());
    visible
}

/// Apply one edit to the optimizer and the oracle alike; a `Frame` op only
/// names the view to check next.
fn apply(
    opt: &mut WorkflowOptimizer,
    o: &mut Oracle,
    op: Op,
    next_id: &mut usize,
) -> Option<(Viewport, Screen)> {
    match op {
        Op::Frame(v, s) => return Some((v, s)),
        Op::Move(i, x, y) => {
            if let Some(id) = pick(o, i) {
                opt.apply_node_changes(vec![NodeChange::Position {
                    id: id.clone(),
                    position: Some((x, y)),
                    dragging: None,
                }])
                .unwrap();
                let n = o.nodes.get_mut(&id).unwrap();
                n.x = x;
                n.y = y;
            }
        }
        Op::Resize(i, w, h) => {
            if let Some(id) = pick(o, i) {
                opt.apply_node_changes(vec![NodeChange::Dimensions {
                    id: id.clone(),
                    dimensions: Some((w, h)),
                }])
                .unwrap();
                let n = o.nodes.get_mut(&id).unwrap();
                n.w = w;
                n.h = h;
            }
        }
        Op::Remove(i) => {
            if let Some(id) = pick(o, i) {
                // React Flow removes a parent together with its descendants.
                let gone = o.descendants_and_self(&id);
                let changes = gone
                    .iter()
                    .map(|g| NodeChange::Remove { id: g.clone() })
                    .collect();
                opt.apply_node_changes(changes).unwrap();
                for g in &gone {
                    o.nodes.remove(g);
                }
                o.edges
                    .retain(|_, (s, t)| !gone.contains(s) && !gone.contains(t));
            }
        }
        Op::Add(x, y, w, h, p) => {
            let id = format!("new{next_id}");
            *next_id += 1;
            let parent = p.and_then(|p| pick(o, p));
            o.nodes.insert(
                id.clone(),
                RefNode {
                    x,
                    y,
                    w,
                    h,
                    parent,
                    hidden: false,
                },
            );
            opt.apply_node_changes(vec![NodeChange::Add { item: o.input(&id) }])
                .unwrap();
        }
        Op::ToggleHidden(i) => {
            if let Some(id) = pick(o, i) {
                let n = o.nodes.get_mut(&id).unwrap();
                n.hidden = !n.hidden;
                opt.apply_node_changes(vec![NodeChange::Replace {
                    id: id.clone(),
                    item: o.input(&id),
                }])
                .unwrap();
            }
        }
        Op::BulkMove(moves) => {
            if !o.nodes.is_empty() {
                let mut seen = BTreeSet::new();
                let mut idx = vec![];
                let mut xy = vec![];
                for (i, x, y) in moves {
                    let id = pick(o, i).unwrap();
                    if !seen.insert(id.clone()) {
                        continue;
                    }
                    idx.push(opt.index_of(&id).unwrap());
                    xy.push(x);
                    xy.push(y);
                    let n = o.nodes.get_mut(&id).unwrap();
                    n.x = x as f64;
                    n.y = y as f64;
                }
                opt.update_positions(&idx, &xy).unwrap();
            }
        }
        Op::AddEdge(a, b) => {
            if let (Some(s), Some(t)) = (pick(o, a), pick(o, b)) {
                let id = format!("ne{next_id}");
                *next_id += 1;
                opt.apply_edge_changes(vec![EdgeChange::Add {
                    item: EdgeInput::new(id.clone(), s.clone(), t.clone()),
                }])
                .unwrap();
                o.edges.insert(id, (s, t));
            }
        }
        Op::RemoveEdge(i) => {
            if !o.edges.is_empty() {
                let id = o.edges.keys().nth(i % o.edges.len()).unwrap().clone();
                opt.apply_edge_changes(vec![EdgeChange::Remove { id: id.clone() }])
                    .unwrap();
                o.edges.remove(&id);
            }
        }
        Op::Reload(budget) => reload(opt, o, budget),
        Op::ShiftAll(dx, dy) => {
            let ids: Vec<String> = o.nodes.keys().cloned().collect();
            let mut idx = vec![];
            let mut xy = vec![];
            for id in ids {
                let n = o.nodes.get_mut(&id).unwrap();
                // Through f32, as updatePositions takes them.
                let (x, y) = ((n.x as f32 + dx), (n.y as f32 + dy));
                n.x = x as f64;
                n.y = y as f64;
                idx.push(opt.index_of(&id).unwrap());
                xy.push(x);
                xy.push(y);
            }
            opt.update_positions(&idx, &xy).unwrap();
        }
    }

    None
}

/// `setWorkflow` (budget 0) or `setWorkflowAsync`'s stepped load of the oracle's workflow.
fn reload(opt: &mut WorkflowOptimizer, o: &Oracle, budget: usize) {
    let (nodes, edges) = inputs(o);
    if budget == 0 {
        opt.set_workflow(nodes, edges).unwrap();
        return;
    }
    let mut job = LoadJob::new(nodes.len(), edges.len(), opt.config()).unwrap();
    for chunk in nodes.chunks(7) {
        job.push_nodes(chunk.to_vec()).unwrap();
    }
    job.push_edges(edges).unwrap();
    while !job.step(budget).unwrap() {}
    opt.install(job.finish().unwrap());
}

/// A query rectangle, resolved against the workflow when it is checked: free,
/// or placed on a node's edges (the boundary cases of `getNodesInside`).
#[derive(Clone, Debug)]
struct RectSpec {
    kind: u8,
    pick: usize,
    x: f64,
    y: f64,
    w: f64,
    h: f64,
}

fn rect_spec() -> impl Strategy<Value = RectSpec> {
    (
        0u8..6,
        any::<usize>(),
        coord(),
        coord(),
        0.0..3000.0f64,
        0.0..3000.0f64,
    )
        .prop_map(|(kind, pick, x, y, w, h)| RectSpec {
            kind,
            pick,
            x,
            y,
            w,
            h,
        })
}

fn resolve(spec: &RectSpec, o: &Oracle) -> Rect {
    let free = Rect {
        x: spec.x,
        y: spec.y,
        width: spec.w,
        height: spec.h,
    };
    let Some(r) = pick(o, spec.pick).map(|id| o.abs(&id)) else {
        return free;
    };
    // A fraction below 1: less overlap than area, by less than a unit.
    let f = spec.w / 3000.0;
    match spec.kind {
        // Exactly the node: every edge touching.
        1 => r,
        // Cut by a fraction on the left: the rounded-up overlap may still reach the area.
        2 => Rect {
            x: r.x + f,
            width: (r.width - f).max(0.0),
            ..r
        },
        // Beside it, sharing its right edge.
        3 => Rect {
            x: r.x2(),
            width: spec.w,
            ..r
        },
        // The whole workflow.
        4 => o.bounds().unwrap_or(free),
        // A line on its left edge: zero area.
        5 => Rect { width: 0.0, ..r },
        _ => free,
    }
}

/// `bounds` and `nodes_in_rect` (both modes) against a scan of the model's
/// absolute rectangles, and against the oracle (React Flow's own view).
fn check_rects(opt: &mut WorkflowOptimizer, o: &Oracle, specs: &[RectSpec]) {
    let wf = opt.workflow();
    let model: Vec<(String, Rect)> = wf
        .live_slots()
        .filter(|&i| wf.is_shown(i))
        .map(|i| (wf.id(i).unwrap().to_string(), wf.rect(i)))
        .collect();
    let want = rf_bounds(model.iter().map(|(_, r)| *r));
    assert_eq!(opt.bounds(), want, "bounds differ from a scan of the model");
    // The model moves a node's descendants by the node's offset, which can
    // be an ulp away from React Flow's parent + position: compare with the
    // oracle only while every rectangle is React Flow's to the bit.
    let exact = model.iter().all(|(id, r)| *r == o.abs(id));
    if exact {
        assert_eq!(opt.bounds(), o.bounds(), "bounds differ from React Flow's");
    }
    for spec in specs {
        let rect = resolve(spec, o);
        for partially in [false, true] {
            let slots = opt.nodes_in_rect(rect, partially).unwrap().to_vec();
            assert!(
                slots.windows(2).all(|w| w[0] < w[1]),
                "slots not in order, or twice"
            );
            let wf = opt.workflow();
            let got: BTreeSet<String> = slots
                .iter()
                .map(|&i| wf.id(i).unwrap().to_string())
                .collect();
            let want: BTreeSet<String> = model
                .iter()
                .filter(|(_, r)| rf_inside(&rect, r, partially))
                .map(|(id, _)| id.clone())
                .collect();
            assert_eq!(
                got, want,
                "nodes in {rect:?} (partially {partially}) differ from a scan of the model"
            );
            if exact {
                assert_eq!(
                    got,
                    o.inside(&rect, partially),
                    "nodes in {rect:?} (partially {partially}) differ from React Flow's"
                );
            }
        }
    }
}

fn rect_op() -> impl Strategy<Value = Op> {
    prop_oneof![
        10 => op(),
        1 => prop_oneof![Just(0usize), 1usize..60].prop_map(Op::Reload),
        1 => (-500.0..500.0f32, -500.0..500.0f32).prop_map(|(x, y)| Op::ShiftAll(x, y)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn frames_match_brute_force_through_edits(
        mut o in workflow(),
        ops in proptest::collection::vec(op(), 1..40),
        cap in prop_oneof![Just(1000u32), 0u32..12],
    ) {
        let mut opt = load(&o, small_config(cap));
        let mut mounted = BTreeSet::new();
        let mut last = (Viewport { x: 0.0, y: 0.0, zoom: 1.0 }, Screen { width: 800.0, height: 600.0 });
        let mut next_id = 0;
        for op in ops {
            if let Some(view) = apply(&mut opt, &mut o, op, &mut next_id) {
                last = view;
            }
            mounted = check(&mut opt, &o, last.0, last.1, &mounted);
        }
        // A rebuilt optimizer agrees with the incrementally edited one.
        let mut fresh = load(&o, small_config(cap));
        check(&mut fresh, &o, last.0, last.1, &BTreeSet::new());
    }

    #[test]
    fn rect_queries_match_brute_force_through_edits(
        mut o in workflow(),
        ops in proptest::collection::vec(rect_op(), 1..40),
        specs in proptest::collection::vec(rect_spec(), 4),
    ) {
        let mut opt = load(&o, Config::default());
        let mut next_id = 0;
        check_rects(&mut opt, &o, &specs);
        for op in ops {
            apply(&mut opt, &mut o, op, &mut next_id);
            check_rects(&mut opt, &o, &specs);
        }
    }

    #[test]
    fn small_pans_do_not_unmount(o in workflow(), (v, s) in viewport(), dx in -100.0..100.0f64, dy in -100.0..100.0f64) {
        let mut opt = load(&o, small_config(100_000));
        let first = check(&mut opt, &o, v, s, &BTreeSet::new());
        // Same view again: nothing changes.
        let again = frame(&mut opt, v, s);
        prop_assert!(again.entered.is_empty() && again.left.is_empty());
        // A pan smaller than the hysteresis margin unmounts nothing.
        let v2 = Viewport { x: v.x + dx, y: v.y + dy, zoom: v.zoom };
        let after = check(&mut opt, &o, v2, s, &first);
        prop_assert!(first.is_subset(&after), "a {dx},{dy} px pan unmounted nodes");
    }

    #[test]
    fn the_cap_keeps_nodes_nearest_the_centre(o in workflow(), (v, s) in viewport(), cap in 1u32..10) {
        let mut opt = load(&o, small_config(cap));
        let view = view_rect(v, s).unwrap();
        let snap = frame(&mut opt, v, s);
        let demoted: Vec<&String> = snap.in_view.iter().filter(|(_, l)| *l == 2).map(|(i, _)| i).collect();
        if snap.visible.len() == cap as usize && !demoted.is_empty() {
            let c = (view.x + view.width / 2.0, view.y + view.height / 2.0);
            let dist = |id: &String| {
                let r = o.abs(id);
                ((r.x + r.width / 2.0 - c.0).powi(2) + (r.y + r.height / 2.0 - c.1).powi(2)).sqrt()
            };
            let far = snap.visible.iter().map(dist).fold(0.0, f64::max);
            let median = opt.median_node_size();
            for d in demoted {
                // Only a node too small for medium detail may be nearer than the farthest mounted one.
                let r = o.abs(d);
                let scale = v.zoom * (r.width * r.height).sqrt() / median;
                // (Zoomed out, a node inside a cluster glyph is drawn by the glyph, not mounted.)
                prop_assert!(dist(d) >= far - 1e-9 || scale < 0.3 || snap.in_glyph.contains(d), "{d} demoted but nearer than a mounted node");
            }
        }
    }
}

#[test]
fn bad_viewports_are_rejected_and_change_nothing() {
    let o = Oracle::default();
    let mut opt = load(&o, Config::default());
    let s = Screen {
        width: 800.0,
        height: 600.0,
    };
    let v = Viewport {
        x: 0.0,
        y: 0.0,
        zoom: 1.0,
    };
    let cases = [
        (Viewport { x: f64::NAN, ..v }, s, "viewport.x"),
        (
            Viewport {
                y: f64::INFINITY,
                ..v
            },
            s,
            "viewport.y",
        ),
        (Viewport { zoom: 0.0, ..v }, s, "viewport.zoom"),
        (Viewport { zoom: -1.0, ..v }, s, "viewport.zoom"),
        (
            Viewport {
                zoom: f64::NAN,
                ..v
            },
            s,
            "viewport.zoom",
        ),
        (Viewport { zoom: 1e-320, ..v }, s, "viewport.zoom"),
        (
            v,
            Screen {
                width: 0.0,
                height: 600.0,
            },
            "size.width",
        ),
        (
            v,
            Screen {
                width: 800.0,
                height: -1.0,
            },
            "size.height",
        ),
    ];
    for (v, s, path) in cases {
        let e = opt.frame(v, s).unwrap_err();
        assert_eq!(e.code, flowscale::ErrorCode::InvalidViewport);
        assert_eq!(e.path.as_deref(), Some(path));
    }
}

#[test]
fn rect_queries_of_empty_and_hidden_workflows() {
    let mut opt = load(&Oracle::default(), Config::default());
    let all = Rect {
        x: -1e300,
        y: -1e300,
        width: f64::MAX,
        height: f64::MAX,
    };
    assert_eq!(opt.bounds(), None);
    assert!(opt.nodes_in_rect(all, true).unwrap().is_empty());
    let hidden = |id: &str, x: f64| NodeInput {
        hidden: true,
        ..NodeInput::new(id, x, 0.0).sized(10.0, 10.0)
    };
    opt.set_workflow(vec![hidden("a", 0.0), hidden("b", 50.0)], vec![])
        .unwrap();
    assert_eq!(opt.bounds(), None);
    assert!(opt.nodes_in_rect(all, true).unwrap().is_empty());
    // Shown again: the bounds follow.
    let b = NodeInput::new("b", 50.0, 0.0).sized(10.0, 10.0);
    opt.apply_node_changes(vec![NodeChange::Replace {
        id: "b".into(),
        item: b,
    }])
    .unwrap();
    let want = Rect {
        x: 50.0,
        y: 0.0,
        width: 10.0,
        height: 10.0,
    };
    assert_eq!(opt.bounds(), Some(want));
    assert_eq!(opt.nodes_in_rect(all, false).unwrap(), &[1]);
    assert_eq!(opt.nodes_in_rect(want, false).unwrap(), &[1]);
}

#[test]
fn bad_rects_are_rejected_and_change_nothing() {
    let mut opt = load(&Oracle::default(), Config::default());
    opt.set_workflow(
        vec![NodeInput::new("a", 0.0, 0.0).sized(10.0, 10.0)],
        vec![],
    )
    .unwrap();
    let r = Rect {
        x: 0.0,
        y: 0.0,
        width: 100.0,
        height: 100.0,
    };
    let cases = [
        (Rect { x: f64::NAN, ..r }, ErrorCode::NonFinite, "rect.x"),
        (
            Rect {
                y: f64::NEG_INFINITY,
                ..r
            },
            ErrorCode::NonFinite,
            "rect.y",
        ),
        (
            Rect {
                width: f64::INFINITY,
                ..r
            },
            ErrorCode::NonFinite,
            "rect.width",
        ),
        (
            Rect {
                height: -f64::INFINITY,
                ..r
            },
            ErrorCode::NonFinite,
            "rect.height",
        ),
        (
            Rect { width: -1.0, ..r },
            ErrorCode::NegativeSize,
            "rect.width",
        ),
        (
            Rect {
                height: -1e-300,
                ..r
            },
            ErrorCode::NegativeSize,
            "rect.height",
        ),
    ];
    for (rect, code, path) in cases {
        for partially in [false, true] {
            let e = opt.nodes_in_rect(rect, partially).unwrap_err();
            assert_eq!((e.code, e.path.as_deref()), (code, Some(path)), "{rect:?}");
        }
    }
    assert_eq!(opt.nodes_in_rect(r, false).unwrap(), &[0]);
    // -0 is a size of zero: nothing overlaps it.
    let line = Rect { width: -0.0, ..r };
    assert!(opt.nodes_in_rect(line, true).unwrap().is_empty());
}

#[test]
fn a_rejected_workflow_keeps_the_previous_one() {
    let mut o = Oracle::default();
    o.nodes.insert(
        "a".into(),
        RefNode {
            x: 10.0,
            y: 10.0,
            w: 50.0,
            h: 50.0,
            parent: None,
            hidden: false,
        },
    );
    let mut opt = load(&o, Config::default());
    let bad = vec![NodeInput::new("x", f64::NAN, 0.0)];
    assert!(opt.set_workflow(bad, vec![]).is_err());
    let v = Viewport {
        x: 0.0,
        y: 0.0,
        zoom: 1.0,
    };
    let s = Screen {
        width: 800.0,
        height: 600.0,
    };
    let snap = frame(&mut opt, v, s);
    assert_eq!(snap.visible, vec!["a".to_string()]);
    assert_eq!(opt.index_of("a"), Some(0));
}

#[test]
fn dragged_nodes_stay_mounted_off_screen() {
    let mut o = Oracle::default();
    o.nodes.insert(
        "a".into(),
        RefNode {
            x: 10.0,
            y: 10.0,
            w: 50.0,
            h: 50.0,
            parent: None,
            hidden: false,
        },
    );
    let mut opt = load(&o, Config::default());
    let v = Viewport {
        x: 0.0,
        y: 0.0,
        zoom: 1.0,
    };
    let s = Screen {
        width: 800.0,
        height: 600.0,
    };
    frame(&mut opt, v, s);
    opt.apply_node_changes(vec![NodeChange::Position {
        id: "a".into(),
        position: Some((5000.0, 0.0)),
        dragging: Some(true),
    }])
    .unwrap();
    assert_eq!(frame(&mut opt, v, s).visible, vec!["a".to_string()]);
    opt.apply_node_changes(vec![NodeChange::Position {
        id: "a".into(),
        position: None,
        dragging: Some(false),
    }])
    .unwrap();
    let snap = frame(&mut opt, v, s);
    assert!(snap.visible.is_empty());
    assert_eq!(snap.left, vec!["a".to_string()]);
}

#[test]
fn removed_and_replaced_workflows_report_left_ids() {
    let mut o = Oracle::default();
    o.nodes.insert(
        "a".into(),
        RefNode {
            x: 10.0,
            y: 10.0,
            w: 50.0,
            h: 50.0,
            parent: None,
            hidden: false,
        },
    );
    o.nodes.insert(
        "b".into(),
        RefNode {
            x: 100.0,
            y: 10.0,
            w: 50.0,
            h: 50.0,
            parent: None,
            hidden: false,
        },
    );
    let mut opt = load(&o, Config::default());
    let v = Viewport {
        x: 0.0,
        y: 0.0,
        zoom: 1.0,
    };
    let s = Screen {
        width: 800.0,
        height: 600.0,
    };
    assert_eq!(frame(&mut opt, v, s).entered.len(), 2);
    opt.apply_node_changes(vec![NodeChange::Remove { id: "a".into() }])
        .unwrap();
    // The freed slot is reused at once: the old id must still leave.
    opt.apply_node_changes(vec![NodeChange::Add {
        item: NodeInput::new("c", 20.0, 20.0).sized(50.0, 50.0),
    }])
    .unwrap();
    let snap = frame(&mut opt, v, s);
    assert_eq!(snap.left, vec!["a".to_string()]);
    assert_eq!(snap.entered, vec!["c".to_string()]);
    opt.set_workflow(vec![NodeInput::new("z", 0.0, 0.0)], vec![])
        .unwrap();
    let snap = frame(&mut opt, v, s);
    assert_eq!(
        snap.left.iter().cloned().collect::<BTreeSet<_>>(),
        ["b".to_string(), "c".to_string()].into()
    );
    assert_eq!(snap.entered, vec!["z".to_string()]);
}
