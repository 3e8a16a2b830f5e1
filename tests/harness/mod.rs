//! Fuzz harnesses: each takes raw bytes, drives one public entry point of the
//! core with whatever they decode to, and asserts what a user relies on —
//! no panic, a rejected call changes nothing, an accepted one agrees with a
//! brute-force oracle. The cargo-fuzz targets (`fuzz/`) and the proptest
//! mirrors (`tests/fuzz_mirror.rs`) include this one file, so CI runs every
//! target on every run and the fuzzer explores the same code.
#![allow(dead_code)]

use arbitrary::{Result as ArbResult, Unstructured};
use flowscale::config::Config;
use flowscale::edges::polyline::simplify_polyline;
use flowscale::layout::{layout_graph, LayoutGraph, LayoutOptions};
use flowscale::model::{EdgeChange, NodeChange};
use flowscale::model::{EdgeInput, NodeInput, Rect, SizeValue};
use flowscale::{Screen, Viewport, WorkflowOptimizer};
use std::collections::BTreeSet;

/// A number a user (or an attacker) could send: ordinary values, and the
/// ones that break arithmetic.
fn number(u: &mut Unstructured) -> ArbResult<f64> {
    Ok(match u.int_in_range(0..=15u8)? {
        0 => f64::NAN,
        1 => f64::INFINITY,
        2 => f64::NEG_INFINITY,
        3 => -0.0,
        4 => 1e30,
        5 => -1e30,
        6 => f64::MIN_POSITIVE,
        7 => f64::from_bits(u.arbitrary()?),
        _ => u.int_in_range(-2000i32..=2000)? as f64 + u.int_in_range(0..=3u8)? as f64 * 0.25,
    })
}

/// Sizes: mostly sane, sometimes zero, negative or non-finite.
fn size(u: &mut Unstructured) -> ArbResult<f64> {
    Ok(if u.ratio(1, 4)? {
        number(u)?
    } else {
        u.int_in_range(0..=300u16)? as f64
    })
}

/// Ids from a small alphabet, so duplicates, dangling references and parent
/// cycles are common; sometimes odd strings.
fn id(u: &mut Unstructured) -> ArbResult<String> {
    Ok(match u.int_in_range(0..=11u8)? {
        0 => "__proto__".into(),
        1 => "constructor".into(),
        2 => "<img src=x onerror=alert(1)>".into(),
        3 => u.arbitrary::<String>()?,
        n => format!("n{}", n as u32 + u.int_in_range(0..=6u32)?),
    })
}

fn node(u: &mut Unstructured) -> ArbResult<NodeInput> {
    let mut n = NodeInput::new(id(u)?, number(u)?, number(u)?);
    if u.ratio(2, 3)? {
        n.width = Some(SizeValue::attribute(size(u)?));
        n.height = Some(SizeValue::attribute(size(u)?));
    }
    if u.ratio(1, 5)? {
        n.parent_id = Some(id(u)?);
    }
    n.hidden = u.ratio(1, 10)?;
    n.selected = u.ratio(1, 10)?;
    if u.ratio(1, 2)? {
        n.node_type = Some(["oscillator", "filter", "gain", "output"][u.choose_index(4)?].into());
    }
    Ok(n)
}

fn edge(u: &mut Unstructured) -> ArbResult<EdgeInput> {
    let mut e = EdgeInput::new(format!("e{}", u.int_in_range(0..=40u8)?), id(u)?, id(u)?);
    e.hidden = u.ratio(1, 10)?;
    Ok(e)
}

fn workflow(u: &mut Unstructured) -> ArbResult<(Vec<NodeInput>, Vec<EdgeInput>)> {
    let n = u.int_in_range(0..=40usize)?;
    let nodes = (0..n).map(|_| node(u)).collect::<ArbResult<Vec<_>>>()?;
    let m = u.int_in_range(0..=60usize)?;
    let edges = (0..m).map(|_| edge(u)).collect::<ArbResult<Vec<_>>>()?;
    Ok((nodes, edges))
}

fn viewport(u: &mut Unstructured) -> ArbResult<(Viewport, Screen)> {
    let vp = if u.ratio(1, 4)? {
        Viewport {
            x: number(u)?,
            y: number(u)?,
            zoom: number(u)?,
        }
    } else {
        Viewport {
            x: u.int_in_range(-3000i32..=3000)? as f64,
            y: u.int_in_range(-3000i32..=3000)? as f64,
            zoom: [0.02, 0.1, 0.3, 0.5, 1.0, 2.0][u.choose_index(6)?],
        }
    };
    let screen = if u.ratio(1, 4)? {
        Screen {
            width: number(u)?,
            height: number(u)?,
        }
    } else {
        Screen {
            width: 800.0,
            height: 600.0,
        }
    };
    Ok((vp, screen))
}

/// Everything observable about the stored workflow, to compare before and
/// after a rejected call. Bits, so NaN-free equality is exact.
/// id, rectangle bits, hidden, selected, parent id.
type NodeState = (String, [u64; 4], bool, bool, Option<String>);

#[derive(Debug, PartialEq)]
struct State {
    nodes: Vec<NodeState>,
    edges: Vec<(String, String, String, bool)>,
}

fn state(opt: &WorkflowOptimizer) -> State {
    let wf = opt.workflow();
    let bits = |r: Rect| {
        [
            r.x.to_bits(),
            r.y.to_bits(),
            r.width.to_bits(),
            r.height.to_bits(),
        ]
    };
    let mut nodes: Vec<_> = wf
        .live_slots()
        .map(|i| {
            let parent = wf.parent(i).and_then(|p| wf.id(p)).map(str::to_string);
            (
                wf.id(i).unwrap().to_string(),
                bits(wf.rect(i)),
                wf.is_hidden(i),
                wf.is_selected(i),
                parent,
            )
        })
        .collect();
    nodes.sort_by(|a, b| a.0.cmp(&b.0));
    let mut edges: Vec<_> = wf
        .live_edge_slots()
        .map(|e| {
            let (s, t) = wf.edge_ends_of(e);
            let name = |i| wf.id(i).unwrap().to_string();
            (
                wf.edge_id(e).unwrap().to_string(),
                name(s),
                name(t),
                wf.edge_shown(e),
            )
        })
        .collect();
    edges.sort();
    State { nodes, edges }
}

/// The visibility rule, brute force over every node: React Flow's positive
/// overlap on each axis where the node has extent, and (documented) a closed
/// test on an axis where it has none. Overlap is a length, so a view whose
/// extent rounds to zero in world units overlaps nothing with extent.
fn brute_in_view(opt: &WorkflowOptimizer, vp: Viewport, s: Screen) -> BTreeSet<String> {
    let wf = opt.workflow();
    let (x0, y0) = (-vp.x / vp.zoom, -vp.y / vp.zoom);
    let (x1, y1) = (x0 + s.width / vp.zoom, y0 + s.height / vp.zoom);
    let axis = |lo: f64, hi: f64, vlo: f64, vhi: f64| {
        let overlap = hi.min(vhi) - lo.max(vlo);
        if hi > lo {
            overlap > 0.0
        } else {
            overlap >= 0.0
        }
    };
    wf.live_slots()
        .filter(|&i| wf.is_shown(i))
        .filter(|&i| {
            let r = wf.rect(i);
            axis(r.x, r.x2(), x0, x1) && axis(r.y, r.y2(), y0, y1)
        })
        .map(|i| wf.id(i).unwrap().to_string())
        .collect()
}

/// A frame: rejected viewports change nothing; an accepted frame shows
/// exactly what the brute force shows, with a LOD per node.
fn check_frame(opt: &mut WorkflowOptimizer, vp: Viewport, s: Screen) {
    let before = state(opt);
    if let Err(e) = opt.frame(vp, s) {
        assert_eq!(e.code.as_str(), "INVALID_VIEWPORT", "{e:?}");
        assert_eq!(state(opt), before);
        return;
    }
    let count = opt.last_frame().stats.in_view as usize;
    let (in_view, lod) = {
        let d = opt.frame_detail().expect("detail of the latest frame");
        (d.in_view.clone(), d.lod.clone())
    };
    let f = opt.last_frame();
    let wf = opt.workflow();
    assert_eq!(in_view.len(), lod.len());
    assert_eq!(in_view.len(), count, "stats.inView");
    assert!(lod.iter().all(|&l| l <= 2));
    assert!(f.visible.iter().all(|&i| wf.is_alive(i)));
    assert!(f.visible.len() <= opt.config().rendering.max_visible_nodes as usize);
    let got: BTreeSet<String> = in_view
        .iter()
        .map(|&i| wf.id(i).unwrap().to_string())
        .collect();
    let want = brute_in_view(opt, vp, s);
    if got != want {
        let rects: Vec<_> = got
            .symmetric_difference(&want)
            .map(|id| (id, wf.rect(wf.index_of(id).unwrap())))
            .collect();
        panic!("inView differs from the brute force at {vp:?} {s:?}: {rects:?}");
    }
}

/// A config with a small window and node cap (at least `min_nodes`), so both are reached.
fn small_config(u: &mut Unstructured, min_nodes: u32) -> ArbResult<Config> {
    let mut c = Config::default();
    c.rendering.max_visible_nodes = u.int_in_range(1..=50u32)?;
    c.workflow.max_nodes = u.int_in_range(min_nodes.max(1)..=60u32)?;
    Ok(c)
}

/// `setWorkflow` validation: anything accepted holds exactly the nodes
/// given; anything rejected leaves the previous workflow in place.
pub fn set_workflow(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let Ok(cfg) = small_config(&mut u, 1) else {
        return;
    };
    let mut opt = WorkflowOptimizer::new(cfg).unwrap();
    for _ in 0..3 {
        let Ok((nodes, edges)) = workflow(&mut u) else {
            return;
        };
        let before = state(&opt);
        let n = nodes.len();
        match opt.set_workflow(nodes, edges) {
            Ok(()) => assert_eq!(opt.workflow().node_count(), n),
            Err(e) => {
                assert!(!e.message.is_empty());
                assert_eq!(
                    state(&opt),
                    before,
                    "rejected with {e:?} but changed the workflow"
                );
            }
        }
        if let Ok((vp, s)) = viewport(&mut u) {
            check_frame(&mut opt, vp, s);
        }
    }
}

/// The same through JSON text shaped as React Flow's `{nodes, edges}`
/// (the n8n seed corpus arrives this way): a lenient reader maps what it
/// finds, wrong types become NaN so that validation sees them.
pub fn workflow_json(data: &[u8]) {
    let Some((nodes, edges)) = read_workflow_json(data) else {
        return;
    };
    let mut opt = WorkflowOptimizer::new(Config::default()).unwrap();
    opt.set_workflow(vec![NodeInput::new("keep", 0.0, 0.0)], vec![])
        .unwrap();
    let before = state(&opt);
    let n = nodes.len();
    match opt.set_workflow(nodes, edges) {
        Ok(()) => {
            assert_eq!(opt.workflow().node_count(), n);
            let vp = Viewport {
                x: 0.0,
                y: 0.0,
                zoom: 0.05,
            };
            check_frame(
                &mut opt,
                vp,
                Screen {
                    width: 1920.0,
                    height: 1080.0,
                },
            );
        }
        Err(_) => assert_eq!(state(&opt), before),
    }
}

/// The lenient reader of `workflow_json`: None when the text is not JSON.
pub fn read_workflow_json(data: &[u8]) -> Option<(Vec<NodeInput>, Vec<EdgeInput>)> {
    let v = serde_json::from_slice::<serde_json::Value>(data).ok()?;
    let num = |v: Option<&serde_json::Value>| match v {
        None | Some(serde_json::Value::Null) => None,
        Some(x) => Some(x.as_f64().unwrap_or(f64::NAN)),
    };
    let text = |v: Option<&serde_json::Value>| {
        v.map(|x| {
            x.as_str()
                .map(str::to_string)
                .unwrap_or_else(|| x.to_string())
        })
    };
    let empty = vec![];
    let nodes: Vec<NodeInput> = v["nodes"]
        .as_array()
        .unwrap_or(&empty)
        .iter()
        .map(|n| {
            let p = &n["position"];
            let mut out = NodeInput::new(
                text(n.get("id")).unwrap_or_default(),
                num(p.get("x")).unwrap_or(f64::NAN),
                num(p.get("y")).unwrap_or(f64::NAN),
            );
            let m = n.get("measured");
            out.width = num(n.get("width"))
                .or_else(|| num(m.and_then(|m| m.get("width"))))
                .map(SizeValue::attribute);
            out.height = num(n.get("height"))
                .or_else(|| num(m.and_then(|m| m.get("height"))))
                .map(SizeValue::attribute);
            out.parent_id = text(n.get("parentId"));
            out.hidden = n["hidden"].as_bool().unwrap_or(false);
            out.node_type = text(n.get("type"));
            out
        })
        .collect();
    let edges: Vec<EdgeInput> = v["edges"]
        .as_array()
        .unwrap_or(&empty)
        .iter()
        .map(|e| {
            EdgeInput::new(
                text(e.get("id")).unwrap_or_default(),
                text(e.get("source")).unwrap_or_default(),
                text(e.get("target")).unwrap_or_default(),
            )
        })
        .collect();
    Some((nodes, edges))
}

fn node_change(u: &mut Unstructured) -> ArbResult<NodeChange> {
    Ok(match u.int_in_range(0..=5u8)? {
        0 => NodeChange::Position {
            id: id(u)?,
            position: if u.ratio(9, 10)? {
                Some((number(u)?, number(u)?))
            } else {
                None
            },
            dragging: u.arbitrary()?,
        },
        1 => NodeChange::Dimensions {
            id: id(u)?,
            dimensions: Some((size(u)?, size(u)?)),
        },
        2 => NodeChange::Select {
            id: id(u)?,
            selected: u.arbitrary()?,
        },
        3 => NodeChange::Remove { id: id(u)? },
        4 => NodeChange::Add { item: node(u)? },
        _ => NodeChange::Replace {
            id: id(u)?,
            item: node(u)?,
        },
    })
}

fn edge_change(u: &mut Unstructured) -> ArbResult<EdgeChange> {
    Ok(match u.int_in_range(0..=3u8)? {
        0 => EdgeChange::Add { item: edge(u)? },
        1 => EdgeChange::Remove {
            id: format!("e{}", u.int_in_range(0..=40u8)?),
        },
        2 => EdgeChange::Replace {
            id: format!("e{}", u.int_in_range(0..=40u8)?),
            item: edge(u)?,
        },
        _ => EdgeChange::Select {
            id: format!("e{}", u.int_in_range(0..=40u8)?),
            selected: u.arbitrary()?,
        },
    })
}

/// Sequences of `applyNodeChanges`, `applyEdgeChanges` and `updatePositions`:
/// every batch is all-or-nothing, and frames keep matching the brute force.
pub fn changes(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let Ok(cfg) = small_config(&mut u, 8) else {
        return;
    };
    let mut opt = WorkflowOptimizer::new(cfg).unwrap();
    let nodes: Vec<NodeInput> = (0..8)
        .map(|i| NodeInput::new(format!("n{i}"), i as f64 * 120.0, 0.0))
        .collect();
    let edges: Vec<EdgeInput> = (0..7)
        .map(|i| EdgeInput::new(format!("e{i}"), format!("n{i}"), format!("n{}", i + 1)))
        .collect();
    opt.set_workflow(nodes, edges).unwrap();
    for _ in 0..24 {
        let Ok(kind) = u.int_in_range(0..=3u8) else {
            return;
        };
        let before = state(&opt);
        let result = match kind {
            0 => {
                let Ok(batch) = (0..u.int_in_range(1..=4usize).unwrap_or(1))
                    .map(|_| node_change(&mut u))
                    .collect::<ArbResult<Vec<_>>>()
                else {
                    return;
                };
                opt.apply_node_changes(batch)
            }
            1 => {
                let Ok(batch) = (0..u.int_in_range(1..=4usize).unwrap_or(1))
                    .map(|_| edge_change(&mut u))
                    .collect::<ArbResult<Vec<_>>>()
                else {
                    return;
                };
                opt.apply_edge_changes(batch)
            }
            2 => {
                let k = u.int_in_range(0..=3usize).unwrap_or(0);
                let idx: Vec<u32> = (0..k)
                    .map(|_| u.int_in_range(0..=12u32).unwrap_or(0))
                    .collect();
                // Sometimes a length mismatch: must be rejected, not read past.
                let m = if u.ratio(1, 8).unwrap_or(false) {
                    k * 2 + 1
                } else {
                    k * 2
                };
                let xy: Vec<f32> = (0..m)
                    .map(|_| number(&mut u).unwrap_or(0.0) as f32)
                    .collect();
                opt.update_positions(&idx, &xy)
            }
            _ => {
                let Ok((vp, s)) = viewport(&mut u) else {
                    return;
                };
                check_frame(&mut opt, vp, s);
                continue;
            }
        };
        if let Err(e) = result {
            assert_eq!(state(&opt), before, "{e:?} changed the workflow");
        }
    }
    check_frame(
        &mut opt,
        Viewport {
            x: 0.0,
            y: 0.0,
            zoom: 0.1,
        },
        Screen {
            width: 1000.0,
            height: 800.0,
        },
    );
}

/// `frame()` with arbitrary viewports and screens over a fixed workflow.
pub fn frame(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let mut opt = WorkflowOptimizer::new(Config::default()).unwrap();
    let Ok((nodes, _)) = workflow(&mut u) else {
        return;
    };
    let nodes: Vec<NodeInput> = nodes
        .into_iter()
        .enumerate()
        .map(|(i, mut n)| {
            n.id = format!("n{i}");
            n.parent_id = None;
            n.x = if n.x.is_finite() {
                n.x.clamp(-1e6, 1e6)
            } else {
                0.0
            };
            n.y = if n.y.is_finite() {
                n.y.clamp(-1e6, 1e6)
            } else {
                0.0
            };
            n.width = Some(SizeValue::attribute((i % 7) as f64 * 30.0));
            n.height = Some(SizeValue::attribute((i % 5) as f64 * 20.0));
            n
        })
        .collect();
    opt.set_workflow(nodes, vec![]).unwrap();
    while let Ok((vp, s)) = viewport(&mut u) {
        if u.is_empty() {
            break;
        }
        check_frame(&mut opt, vp, s);
    }
}

/// Zoom-level clustering: every in-view node is drawn once — as itself or
/// inside exactly one listed cluster — and clusters count their members.
pub fn clustering(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let mut cfg = Config::default();
    cfg.clustering.min_points = u.int_in_range(2..=5u32).unwrap_or(2);
    let mut opt = WorkflowOptimizer::new(cfg).unwrap();
    let n = u.int_in_range(0..=200usize).unwrap_or(0);
    let nodes: Vec<NodeInput> = (0..n)
        .map(|i| {
            let x = u.int_in_range(-5000i32..=5000).unwrap_or(0) as f64;
            let y = u.int_in_range(-5000i32..=5000).unwrap_or(0) as f64;
            NodeInput::new(format!("n{i}"), x, y)
        })
        .collect();
    opt.set_workflow(nodes, vec![]).unwrap();
    for _ in 0..4 {
        let Ok(zoom) = u.int_in_range(1..=100u8).map(|z| z as f64 / 200.0) else {
            return;
        };
        let vp = Viewport {
            x: 400.0,
            y: 300.0,
            zoom,
        };
        let s = Screen {
            width: 800.0,
            height: 600.0,
        };
        let f = opt.frame(vp, s).unwrap();
        let c = &f.clusters;
        if !c.active {
            continue;
        }
        let listed: BTreeSet<u32> = c.ids.iter().copied().collect();
        assert_eq!(listed.len(), c.ids.len(), "a cluster listed twice");
        // Nodes in view: inside listed glyphs, or drawn alone (listed in the frame).
        assert!(f.stats.in_view as u64 <= c.members + f.in_view.len() as u64);
        let counted: u64 = c.count.iter().map(|&k| k as u64).sum();
        assert_eq!(counted, c.members);
        assert!(c
            .bounds
            .iter()
            .chain(&c.center)
            .chain(&c.rect)
            .chain(&c.bundle_segment)
            .all(|v| v.is_finite()));
    }
}

/// Edge simplification: the counts add up, kept edges are in view; and
/// polyline simplification keeps the end points and never adds points.
pub fn edges(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let mut opt = WorkflowOptimizer::new(Config::default()).unwrap();
    let n = u.int_in_range(1..=60usize).unwrap_or(1);
    let nodes: Vec<NodeInput> = (0..n)
        .map(|i| {
            NodeInput::new(
                format!("n{i}"),
                u.int_in_range(-3000i32..=3000).unwrap_or(0) as f64,
                u.int_in_range(-3000i32..=3000).unwrap_or(0) as f64,
            )
        })
        .collect();
    let m = u.int_in_range(0..=150usize).unwrap_or(0);
    let edges: Vec<EdgeInput> = (0..m)
        .map(|k| {
            let a = u.int_in_range(0..=n - 1).unwrap_or(0);
            let b = u.int_in_range(0..=n - 1).unwrap_or(0);
            EdgeInput::new(format!("e{k}"), format!("n{a}"), format!("n{b}"))
        })
        .collect();
    opt.set_workflow(nodes, edges).unwrap();
    let zoom = u
        .int_in_range(1..=200u8)
        .map(|z| z as f64 / 100.0)
        .unwrap_or(1.0);
    opt.frame(
        Viewport {
            x: 500.0,
            y: 400.0,
            zoom,
        },
        Screen {
            width: 1000.0,
            height: 800.0,
        },
    )
    .unwrap();
    let in_view: BTreeSet<u32> = opt.frame_detail().unwrap().edges.iter().copied().collect();
    let s = opt.simplify_edges();
    let c = &s.counts;
    assert_eq!(c.total as usize, in_view.len());
    assert_eq!(c.kept + c.removed, c.total);
    assert!(s.kept.iter().all(|e| in_view.contains(e)));
    assert_eq!(s.source.len(), s.target.len());
    assert_eq!(s.source.len(), s.weight.len());

    let k = u.int_in_range(0..=40usize).unwrap_or(0);
    let points: Vec<f64> = (0..k * 2).map(|_| number(&mut u).unwrap_or(0.0)).collect();
    let tol = number(&mut u).unwrap_or(1.0);
    let out = simplify_polyline(&points, tol);
    assert!(out.len() <= points.len().max(4) && out.len() % 2 == 0);
    if points.len() >= 4
        && !out.is_empty()
        && points.iter().all(|v| v.is_finite())
        && tol.is_finite()
        && tol >= 0.0
    {
        assert_eq!(&out[..2], &points[..2]);
        assert_eq!(&out[out.len() - 2..], &points[points.len() - 2..]);
    }
}

/// Layered layout on arbitrary graphs (cycles, self-loops, duplicates) with
/// arbitrary options: options are validated; an accepted layout places every
/// node at a finite position, deterministically.
pub fn layout(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let n = u.int_in_range(0..=40usize).unwrap_or(0);
    let mut g = LayoutGraph::default();
    for _ in 0..n {
        g.width.push(size(&mut u).unwrap_or(10.0));
        g.height.push(size(&mut u).unwrap_or(10.0));
    }
    let m = if n == 0 {
        0
    } else {
        u.int_in_range(0..=80usize).unwrap_or(0)
    };
    for _ in 0..m {
        let a = u.int_in_range(0..=n as u32 - 1).unwrap_or(0);
        let b = u.int_in_range(0..=n as u32 - 1).unwrap_or(0);
        g.edges.push((a, b));
    }
    // Handle places: in the node, outside it, the middle (NaN), infinite (an error).
    if u.ratio(1, 2).unwrap_or(false) {
        let place = |u: &mut Unstructured| -> f64 {
            match u.int_in_range(0..=5u8).unwrap_or(0) {
                0 => f64::NAN,
                1 => f64::INFINITY,
                2 => -50.0,
                _ => u.int_in_range(0..=200u16).unwrap_or(0) as f64,
            }
        };
        for _ in 0..m {
            let p = (place(&mut u), place(&mut u));
            g.ports.push(p);
        }
    }
    let opts_text: String = if u.ratio(1, 3).unwrap_or(false) {
        u.arbitrary().unwrap_or_default()
    } else {
        let dir = ["LR", "TB", "RL", "BT"][u.choose_index(4).unwrap_or(0)];
        format!(
            r#"{{"direction":"{dir}","seed":{}}}"#,
            u.int_in_range(0..=9u8).unwrap_or(0)
        )
    };
    let Ok(opts) = LayoutOptions::from_json(&opts_text) else {
        return;
    };
    let run = || layout_graph(&g, &opts, &mut |_, _| Ok(()));
    match run() {
        Ok(l) => {
            assert_eq!(l.x.len(), n);
            assert!(l.x.iter().chain(&l.y).all(|v| v.is_finite()));
            let again = run().unwrap();
            assert_eq!(l.x, again.x, "layout is not deterministic");
            assert_eq!(l.y, again.y);
        }
        Err(e) => assert!(!e.message.is_empty()),
    }
}

/// Config parsing: anything accepted survives a round trip unchanged.
pub fn config(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(c) = Config::from_json(text) {
        let back = serde_json::to_string(&c).unwrap();
        let again = Config::from_json(&back).expect("a config we wrote must parse");
        assert_eq!(serde_json::to_string(&again).unwrap(), back);
    }
}
