//! Layered (Sugiyama) layout for workflows: cycles broken by reversing the
//! back edges of a depth-first search from the sources; layers by longest
//! path improved by network simplex (`rank.rs`); dummy nodes on long edges;
//! crossings minimised by barycenter and median sweeps with transpositions,
//! sifting and seeded restarts, as many as the graph's size allows
//! (`order.rs`), with edges leaving and entering at their handles when those
//! are known; cross-axis coordinates by Brandes–Köpf with each node's real
//! size, lining up the handles of aligned edges (`position.rs`); layers
//! placed by their thickest node.
//! Connected components are laid out one by one and packed in shelves.
//!
//! `layout_graph` works on plain sizes and edges; `layout_workflow` adapts a
//! `Workflow`: the top-level shown nodes are laid out, a `parentId` group
//! moves as one block (its children keep their relative positions) and edges
//! to children count as edges of their top-level ancestor.

mod order;
mod position;
mod rank;

use crate::edges::polyline::simplify_polyline;
use crate::error::{ErrorCode, FlowscaleError, Result};
use crate::graph::{break_cycles, components, Rng};
use crate::model::Workflow;
/// Fixed-seed hashing: lookups only, but nothing may depend on a random seed.
pub(crate) type Map<K, V> = hashbrown::HashMap<K, V, foldhash::fast::FixedState>;
use rank::{DagEdge, Incidence};
use serde::{Deserialize, Serialize};

/// Which way edges point: left to right (React Flow's default handles) or top to bottom.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Direction {
    LR,
    TB,
}

/// How layers are assigned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Ranker {
    /// Longest path, then network simplex (shortest total edge span).
    NetworkSimplex,
    /// Longest path only (fastest; long edges where branches differ in length).
    LongestPath,
}

/// `layoutWorkflow(workflow, options)` options (all optional).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct LayoutOptions {
    pub direction: Direction,
    /// Gap between neighbouring nodes of a layer.
    pub node_spacing: f64,
    /// Gap between layers.
    pub layer_spacing: f64,
    /// Gap between long edges running side by side (and between them and nodes, halved).
    pub edge_spacing: f64,
    /// Gap between connected components.
    pub component_spacing: f64,
    pub ranker: Ranker,
    /// Seed of the random restarts of crossing minimisation: the same seed gives the same layout.
    pub seed: u32,
    /// Most barycenter sweeps per restart (each stops after 4 without improvement).
    pub max_sweeps: u32,
    /// Extra crossing-minimisation runs from shuffled orders; `null`: by size (more for small graphs).
    pub restarts: Option<u32>,
    /// Douglas–Peucker tolerance for the routes of long edges, in world units (0 keeps every bend).
    pub route_tolerance: f64,
    /// Width ÷ height that component packing aims at.
    pub aspect_ratio: f64,
}

impl Default for LayoutOptions {
    fn default() -> Self {
        LayoutOptions {
            direction: Direction::LR,
            node_spacing: 40.0,
            layer_spacing: 80.0,
            edge_spacing: 10.0,
            component_spacing: 80.0,
            ranker: Ranker::NetworkSimplex,
            seed: 1,
            max_sweeps: 24,
            restarts: None,
            route_tolerance: 1.0,
            aspect_ratio: 1.6,
        }
    }
}

impl LayoutOptions {
    /// Parse options from JSON text (missing keys take their defaults).
    pub fn from_json(text: &str) -> Result<LayoutOptions> {
        let mut de = serde_json::Deserializer::from_str(text);
        let o: LayoutOptions = serde_path_to_error::deserialize(&mut de).map_err(|e| {
            FlowscaleError::at(
                ErrorCode::InvalidConfig,
                format!("options.{}", e.path()),
                e.inner().to_string(),
            )
        })?;
        o.validate()?;
        Ok(o)
    }

    pub fn validate(&self) -> Result<()> {
        let spacing = |v: f64, key: &str| -> Result<()> {
            if v.is_finite() && (0.0..=1e6).contains(&v) {
                Ok(())
            } else {
                Err(FlowscaleError::at(
                    ErrorCode::InvalidConfig,
                    format!("options.{key}"),
                    format!("{key} must be a number in [0, 1e6], got {v}"),
                ))
            }
        };
        spacing(self.node_spacing, "nodeSpacing")?;
        spacing(self.layer_spacing, "layerSpacing")?;
        spacing(self.edge_spacing, "edgeSpacing")?;
        spacing(self.component_spacing, "componentSpacing")?;
        spacing(self.route_tolerance, "routeTolerance")?;
        if self.max_sweeps > 1000 {
            return Err(FlowscaleError::at(
                ErrorCode::InvalidConfig,
                "options.maxSweeps",
                "maxSweeps must be at most 1000",
            ));
        }
        if self.restarts.is_some_and(|r| r > 100) {
            return Err(FlowscaleError::at(
                ErrorCode::InvalidConfig,
                "options.restarts",
                "restarts must be at most 100",
            ));
        }
        if !(self.aspect_ratio.is_finite() && self.aspect_ratio > 0.01 && self.aspect_ratio < 100.0)
        {
            return Err(FlowscaleError::at(
                ErrorCode::InvalidConfig,
                "options.aspectRatio",
                "aspectRatio must be a number in (0.01, 100)",
            ));
        }
        Ok(())
    }
}

/// The input of `layout_graph`: node sizes and directed edges by node index.
#[derive(Clone, Debug, Default)]
pub struct LayoutGraph {
    pub width: Vec<f64>,
    pub height: Vec<f64>,
    pub edges: Vec<(u32, u32)>,
    /// Empty, or per edge where it leaves its source and enters its target
    /// (its handles): the distance along the node's cross side (from the top
    /// in LR, from the left in TB), clamped to the node; NaN for the middle.
    pub ports: Vec<(f64, f64)>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LayoutStats {
    pub components: u32,
    /// Layers of the deepest component.
    pub layers: u32,
    pub dummies: u32,
    /// Crossings of the layered drawing (segments through dummy nodes, weighted by duplicates).
    pub crossings: u64,
    pub reversed_edges: u32,
    pub self_loops: u32,
    pub simplex_pivots: u64,
    pub sweeps: u64,
    pub width: f64,
    pub height: f64,
}

/// Positions are top-left corners, as React Flow's `position`.
#[derive(Clone, Debug, Default)]
pub struct Layout {
    pub x: Vec<f64>,
    pub y: Vec<f64>,
    /// Layer of each node within its component.
    pub layer: Vec<u32>,
    /// Index of each node within its layer (dummies included).
    pub order: Vec<u32>,
    pub component: Vec<u32>,
    /// Per input edge: reversed to break a cycle.
    pub reversed: Vec<bool>,
    /// Per input edge, the range of its route in `route_points` (in points):
    /// `route_offsets[e]..route_offsets[e + 1]`. Self-loops have none.
    pub route_offsets: Vec<u32>,
    /// x, y pairs from the source's side to the target's, simplified.
    pub route_points: Vec<f64>,
    pub stats: LayoutStats,
}

/// Progress: a stage name and the overall fraction done (0..=1). Returning
/// an error stops the layout with that error.
pub type Progress<'a> = &'a mut dyn FnMut(&str, f64) -> Result<()>;

/// Crossing-minimisation runs by graph size: a run costs about its sweeps
/// times the layered nodes (dummies included) plus their segments, so the
/// extra seeded runs (alternately by barycenter and by median) share a
/// budget of 600 such units: 32 for a graph of a dozen nodes, 2 for 100
/// layered nodes with 200 segments, one from 300 units (none past 2,000
/// layered nodes). Measured on small
/// typed-port graphs, twice that budget lowered the layered count by 0.1 %
/// for twice the time; this keeps small real workflows at a small fraction of
/// ELK's time while the smallest get many runs.
fn default_restarts(layered_nodes: usize, segments: usize) -> u32 {
    let by_budget = (RESTART_BUDGET / (layered_nodes + segments).max(1)).min(32) as u32;
    // One restart at least up to 2,000 layered nodes: a single run's result
    // varies a lot (on the 200-node benchmark DAG, 563 crossings from one
    // run, 425 from the better of two).
    if layered_nodes <= 2_000 {
        by_budget.max(1)
    } else {
        by_budget
    }
}

const RESTART_BUDGET: usize = 600;

/// Sifting costs O(layer size × degree) per node: up to 8 passes on graphs
/// of up to 1,000 layered nodes (dummies included), one pass up to this
/// many (the first pass gains most), none above.
const SIFT_LIMIT: usize = 3_000;

/// Candidate orders are compared by their drawn crossings up to this many
/// DAG edges (each comparison places the nodes and counts pairs of edges).
const DRAWN_LIMIT: usize = 400;

/// Crossings of straight edges drawn between real nodes (from the far side
/// of the tail to the near side of the head at their ports, or between
/// centres when no edge has ports), weighted by multiplicity. Local
/// (main, cross) coordinates; `msize`/`mcentre` per real node.
fn drawn_crossings(
    edges: &[DagEdge],
    ports: &[order::PortEdge],
    mcentre: &[f64],
    msize: &[f64],
    cx: &[f64],
    csize: &[f64],
) -> u64 {
    // (main0, cross0, main1, cross1, weight, tail, head)
    let mut segs: Vec<(f64, f64, f64, f64, u64, u32, u32)> = Vec::with_capacity(edges.len());
    if ports.is_empty() {
        for e in edges {
            let (u, v) = (e.u as usize, e.v as usize);
            segs.push((mcentre[u], cx[u], mcentre[v], cx[v], e.w as u64, e.u, e.v));
        }
    } else {
        for p in ports {
            let e = edges[p.edge as usize];
            let (u, v) = (e.u as usize, e.v as usize);
            segs.push((
                mcentre[u] + msize[u] / 2.0,
                cx[u] + (p.tail as f64 - 0.5) * csize[u],
                mcentre[v] - msize[v] / 2.0,
                cx[v] + (p.head as f64 - 0.5) * csize[v],
                p.w as u64,
                e.u,
                e.v,
            ));
        }
    }
    segs.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
    let orient = |ax: f64, ay: f64, bx: f64, by: f64, cx: f64, cy: f64| {
        let d = (bx - ax) * (cy - ay) - (by - ay) * (cx - ax);
        if d > 1e-9 {
            1
        } else if d < -1e-9 {
            -1
        } else {
            0
        }
    };
    let mut total = 0u64;
    for i in 0..segs.len() {
        let a = segs[i];
        for b in &segs[i + 1..] {
            if b.0 >= a.2 {
                break;
            }
            if a.5 == b.5 && a.6 == b.6 {
                continue;
            }
            let o1 = orient(a.0, a.1, a.2, a.3, b.0, b.1);
            let o2 = orient(a.0, a.1, a.2, a.3, b.2, b.3);
            let o3 = orient(b.0, b.1, b.2, b.3, a.0, a.1);
            let o4 = orient(b.0, b.1, b.2, b.3, a.2, a.3);
            if o1 * o2 < 0 && o3 * o4 < 0 {
                total += a.4 * b.4;
            }
        }
    }
    total
}

/// Lay out a graph. Edges may form cycles, repeat, or loop on one node.
pub fn layout_graph(g: &LayoutGraph, opts: &LayoutOptions, progress: Progress) -> Result<Layout> {
    opts.validate()?;
    let n = g.width.len();
    if g.height.len() != n {
        return Err(FlowscaleError::new(
            ErrorCode::InvalidWorkflow,
            "width and height must have one entry per node",
        ));
    }
    for (k, &(s, t)) in g.edges.iter().enumerate() {
        if s as usize >= n || t as usize >= n {
            return Err(FlowscaleError::at(
                ErrorCode::DanglingEdge,
                format!("edges[{k}]"),
                "edge end is not a node index",
            ));
        }
    }
    if !g.ports.is_empty() && g.ports.len() != g.edges.len() {
        return Err(FlowscaleError::new(
            ErrorCode::InvalidWorkflow,
            "ports must be empty or have one entry per edge",
        ));
    }
    for (k, &(a, b)) in g.ports.iter().enumerate() {
        for (v, end) in [(a, "sourceHandle"), (b, "targetHandle")] {
            if v.is_infinite() {
                return Err(FlowscaleError::at(
                    ErrorCode::NonFinite,
                    format!("edges[{k}].{end}"),
                    "handle offsets must be finite",
                ));
            }
        }
    }
    for i in 0..n {
        for v in [g.width[i], g.height[i]] {
            if !(v.is_finite() && v >= 0.0) {
                return Err(FlowscaleError::at(
                    ErrorCode::NonFinite,
                    format!("nodes[{i}]"),
                    "sizes must be finite and not negative",
                ));
            }
        }
    }
    let lr = opts.direction == Direction::LR;
    // Main axis: along the edges; cross axis: along a layer.
    let (main, cross): (&[f64], &[f64]) = if lr {
        (&g.width, &g.height)
    } else {
        (&g.height, &g.width)
    };
    let mut out = Layout {
        x: vec![0.0; n],
        y: vec![0.0; n],
        layer: vec![0; n],
        order: vec![0; n],
        component: vec![0; n],
        reversed: vec![false; g.edges.len()],
        ..Default::default()
    };
    progress("cycles", 0.0)?;
    let reversed = break_cycles(n, &g.edges);
    out.stats.reversed_edges = reversed.iter().filter(|&&r| r).count() as u32;
    out.stats.self_loops = g.edges.iter().filter(|e| e.0 == e.1).count() as u32;
    out.reversed = reversed;

    // Components (ignoring direction), in order of their first node.
    let comp = components(n, &g.edges);
    let n_comp = comp.iter().map(|&c| c as usize + 1).max().unwrap_or(0);
    let mut members: Vec<Vec<u32>> = vec![Vec::new(); n_comp];
    let mut local = vec![0u32; n];
    for v in 0..n {
        let c = comp[v] as usize;
        local[v] = members[c].len() as u32;
        members[c].push(v as u32);
        out.component[v] = c as u32;
    }
    // DAG edges per component, duplicates merged; input edge → (component, DAG edge).
    let mut dag: Vec<Vec<DagEdge>> = vec![Vec::new(); n_comp];
    let mut dag_index: Vec<Map<(u32, u32), u32>> = vec![Map::default(); n_comp];
    let mut edge_ref: Vec<Option<u32>> = vec![None; g.edges.len()];
    let mut ports: Vec<Vec<order::PortEdge>> = vec![Vec::new(); n_comp];
    for (k, &(s, t)) in g.edges.iter().enumerate() {
        if s == t {
            continue;
        }
        let (u, v) = if out.reversed[k] { (t, s) } else { (s, t) };
        let c = comp[u as usize] as usize;
        let key = (local[u as usize], local[v as usize]);
        let idx = *dag_index[c].entry(key).or_insert_with(|| {
            dag[c].push(DagEdge {
                u: key.0,
                v: key.1,
                w: 0,
            });
            dag[c].len() as u32 - 1
        });
        dag[c][idx as usize].w += 1;
        edge_ref[k] = Some(idx);
        if let Some(&(ps, pt)) = g.ports.get(k) {
            // Place along the cross side, as a fraction of the node's size.
            let frac = |p: f64, node: u32| -> f32 {
                let size = cross[node as usize];
                if p.is_nan() || size <= 0.0 {
                    0.5
                } else {
                    (p / size).clamp(0.0, 1.0) as f32
                }
            };
            let (fs, ft) = (frac(ps, s), frac(pt, t));
            let (tail, head) = if out.reversed[k] { (ft, fs) } else { (fs, ft) };
            ports[c].push(order::PortEdge {
                edge: idx,
                w: 1,
                tail,
                head,
            });
        }
    }
    drop(dag_index);
    // Ports grouped by DAG edge, one entry per distinct pair of places.
    for p in ports.iter_mut() {
        if p.iter().all(|e| e.tail == 0.5 && e.head == 0.5) {
            p.clear();
            continue;
        }
        p.sort_unstable_by(|a, b| {
            a.edge
                .cmp(&b.edge)
                .then(a.tail.total_cmp(&b.tail))
                .then(a.head.total_cmp(&b.head))
        });
        p.dedup_by(|b, a| {
            let same = a.edge == b.edge && a.tail == b.tail && a.head == b.head;
            if same {
                a.w += b.w;
            }
            same
        });
    }

    // Lay out each component in local (main, cross) coordinates.
    struct Placed {
        main: Vec<f64>,
        cross: Vec<f64>,
        extent: (f64, f64),
        /// Route of each DAG edge in (main, cross), tail side first.
        routes: Vec<Vec<f64>>,
    }
    let mut placed: Vec<Placed> = Vec::with_capacity(n_comp);
    let total = n.max(1) as f64;
    let mut done = 0usize;
    let mut last_report = 0.0f64;
    // Components take the fraction to 0.98; packing and done follow.
    let mut report = |stage: &str, f: f64, force: bool| -> Result<()> {
        let f = 0.98 * f.min(1.0);
        if force || f - last_report >= 0.01 {
            last_report = f;
            progress(stage, f)?;
        }
        Ok(())
    };
    let mut scratch = order::Scratch::default();
    for c in 0..n_comp {
        let nodes = &members[c];
        let k = nodes.len();
        let edges = &dag[c];
        let share = k as f64 / total;
        let base = done as f64 / total;
        if edges.is_empty() {
            // A single node (edges only ever join nodes of one component).
            let mut main_c = vec![0.0; k];
            let mut cross_c = vec![0.0; k];
            let mut off = 0.0;
            for (i, &v) in nodes.iter().enumerate() {
                main_c[i] = main[v as usize] / 2.0;
                cross_c[i] = off + cross[v as usize] / 2.0;
                off += cross[v as usize] + opts.node_spacing;
            }
            let ext_main = nodes.iter().map(|&v| main[v as usize]).fold(0.0, f64::max);
            placed.push(Placed {
                main: main_c,
                cross: cross_c,
                extent: (ext_main, (off - opts.node_spacing).max(0.0)),
                routes: Vec::new(),
            });
            done += k;
            continue;
        }
        let big = k >= 200;
        if big {
            report("rank", base, true)?;
        }
        let inc = Incidence::new(k, edges);
        let mut rank = rank::longest_path(k, edges, &inc);
        if opts.ranker == Ranker::NetworkSimplex {
            // Bounded so a pathological graph cannot stall the page; any
            // intermediate ranking is valid.
            let cap = 50 * k + 1000;
            out.stats.simplex_pivots +=
                rank::network_simplex(k, edges, &inc, &mut rank, cap) as u64;
        }
        let mut lg = order::Layered::build(k, &rank, edges, &ports[c]);
        out.stats.dummies += (lg.len() - k) as u32;
        out.stats.layers = out.stats.layers.max(lg.layers.len() as u32);
        if big {
            report("order", base + share * 0.2, true)?;
        }
        let restarts = opts
            .restarts
            .unwrap_or_else(|| default_restarts(lg.len(), lg.segments()));
        let mut rng = Rng::new(opts.seed as u64 ^ (c as u64).wrapping_mul(0x2545_f491_4f6c_dd1d));
        lg.init_order(None);
        let runs = restarts as usize + 1;
        let mut sweeps_cb = |run: usize, f: f64| {
            if big {
                let frac = base + share * (0.2 + 0.7 * (run as f64 + f) / runs as f64);
                report("order", frac, false)
            } else {
                Ok(())
            }
        };
        let mut err = None;
        let sift = match lg.len() {
            0..=1_000 => 8,
            1_001..=SIFT_LIMIT => 1,
            _ => 0,
        };
        let sweeps = opts.max_sweeps as usize;
        let (mut best, s0) = lg.minimise(sweeps, false, sift, &mut scratch, &mut |f| {
            if err.is_none() {
                err = sweeps_cb(0, f).err();
            }
        });
        out.stats.sweeps += s0 as u64;
        // Every run's result is a candidate; on small graphs the one drawn
        // with the fewest crossings wins (straight edges between the handles
        // or centres, as React Flow draws them), the layered count breaking ties.
        let mut candidates: Vec<(u64, Vec<Vec<u32>>)> = vec![(best, lg.take_layers())];
        for run in 1..runs {
            if best == 0 {
                break;
            }
            if let Some(e) = err.take() {
                return Err(e);
            }
            lg.init_order(Some(&mut rng));
            let median = run % 2 == 1;
            let (c2, s) = lg.minimise(sweeps, median, sift, &mut scratch, &mut |f| {
                if err.is_none() {
                    err = sweeps_cb(run, f).err();
                }
            });
            out.stats.sweeps += s as u64;
            best = best.min(c2);
            if !candidates.iter().any(|c| c.1 == lg.layers) {
                candidates.push((c2, lg.take_layers()));
            }
        }
        if let Some(e) = err {
            return Err(e);
        }
        // Cross axis: Brandes–Köpf with real sizes (dummies are lines: size 0).
        let mut csize = vec![0.0f64; lg.len()];
        for (i, &v) in nodes.iter().enumerate() {
            csize[i] = cross[v as usize];
        }
        let sp = position::Spacing {
            node: opts.node_spacing,
            edge: opts.edge_spacing,
        };
        // Main axis: each layer as thick as its thickest node, nodes centred in it.
        let depth = lg.layers.len();
        let mut thick = vec![0.0f64; depth];
        for (i, &v) in nodes.iter().enumerate() {
            let l = lg.layer_of[i] as usize;
            thick[l] = thick[l].max(main[v as usize]);
        }
        let mut start = vec![0.0f64; depth];
        let mut acc = 0.0;
        for l in 0..depth {
            start[l] = acc;
            acc += thick[l] + opts.layer_spacing;
        }
        let ext_main = (acc - opts.layer_spacing).max(0.0);
        let layer_of = lg.layer_of.clone();
        let centre = |v: usize| {
            let l = layer_of[v] as usize;
            start[l] + thick[l] / 2.0
        };
        // (candidate, its cross coordinates when already chosen among the
        // balanced one and the four alignments).
        let (chosen, picked_cx) = if edges.len() <= DRAWN_LIMIT {
            let msize: Vec<f64> = nodes.iter().map(|&v| main[v as usize]).collect();
            let mcentre: Vec<f64> = (0..k).map(centre).collect();
            let mut best_key = (u64::MAX, u64::MAX, usize::MAX);
            let (mut chosen, mut picked) = (0, None);
            for (ci, (layered, layers)) in candidates.iter().enumerate() {
                lg.restore_layers(layers.clone());
                for (ai, cx) in position::cross_candidates(&lg, &csize, &sp)
                    .into_iter()
                    .enumerate()
                {
                    let drawn = drawn_crossings(edges, &ports[c], &mcentre, &msize, &cx, &csize);
                    if (drawn, *layered, ai) < best_key {
                        best_key = (drawn, *layered, ai);
                        chosen = ci;
                        picked = Some(cx);
                    }
                }
            }
            (chosen, picked)
        } else {
            let best = (0..candidates.len())
                .min_by_key(|&i| candidates[i].0)
                .unwrap_or(0);
            (best, None)
        };
        let (layered, layers) = candidates.swap_remove(chosen);
        lg.restore_layers(layers);
        out.stats.crossings += layered;
        if big {
            report("position", base + share * 0.9, true)?;
        }
        let mut cx = picked_cx.unwrap_or_else(|| position::cross_coordinates(&lg, &csize, &sp));
        let lo = (0..lg.len())
            .map(|v| cx[v] - csize[v] / 2.0)
            .fold(f64::INFINITY, f64::min);
        let hi = (0..lg.len())
            .map(|v| cx[v] + csize[v] / 2.0)
            .fold(f64::NEG_INFINITY, f64::max);
        for x in cx.iter_mut() {
            *x -= lo;
        }
        let mut main_c = vec![0.0; k];
        let mut cross_c = vec![0.0; k];
        for (i, &v) in nodes.iter().enumerate() {
            main_c[i] = centre(i);
            cross_c[i] = cx[i];
            out.layer[v as usize] = lg.layer_of[i];
            out.order[v as usize] = lg.pos[i];
        }
        // Routes through the dummies, from the tail's far side to the head's near side.
        let mut routes = Vec::with_capacity(edges.len());
        for (ei, e) in edges.iter().enumerate() {
            let (u, v) = (e.u as usize, e.v as usize);
            let mut pts = Vec::with_capacity(4 + 2 * lg.chain(ei).len());
            pts.extend([main_c[u] + main[nodes[u] as usize] / 2.0, cross_c[u]]);
            for &d in lg.chain(ei) {
                pts.extend([centre(d as usize), cx[d as usize]]);
            }
            pts.extend([main_c[v] - main[nodes[v] as usize] / 2.0, cross_c[v]]);
            routes.push(simplify_polyline(&pts, opts.route_tolerance));
        }
        placed.push(Placed {
            main: main_c,
            cross: cross_c,
            extent: (ext_main, (hi - lo).max(0.0)),
            routes,
        });
        done += k;
        report("position", done as f64 / total, false)?;
    }
    out.stats.components = n_comp as u32;

    // Pack components in shelves (rows for LR, after mapping main/cross to x/y).
    progress("pack", 0.99)?;
    let to_xy = |m: f64, c: f64| if lr { (m, c) } else { (c, m) };
    let sp = opts.component_spacing;
    let boxes: Vec<(f64, f64)> = placed
        .iter()
        .map(|p| to_xy(p.extent.0, p.extent.1))
        .collect();
    let mut by_size: Vec<usize> = (0..n_comp).collect();
    by_size.sort_by_key(|&c| std::cmp::Reverse(members[c].len()));
    let area: f64 = boxes.iter().map(|b| (b.0 + sp) * (b.1 + sp)).sum();
    let widest = boxes.iter().map(|b| b.0).fold(0.0, f64::max);
    let row_width = widest.max((area * opts.aspect_ratio).sqrt());
    let mut origin = vec![(0.0, 0.0); n_comp];
    let (mut x, mut y, mut row_h) = (0.0f64, 0.0f64, 0.0f64);
    for &c in &by_size {
        let (w, h) = boxes[c];
        if x > 0.0 && x + w > row_width {
            x = 0.0;
            y += row_h + sp;
            row_h = 0.0;
        }
        origin[c] = (x, y);
        x += w + sp;
        row_h = row_h.max(h);
    }
    let (mut max_x, mut max_y) = (0.0f64, 0.0f64);
    for c in 0..n_comp {
        let p = &placed[c];
        let (ox, oy) = origin[c];
        for (i, &v) in members[c].iter().enumerate() {
            let (cxw, cyw) = to_xy(p.main[i], p.cross[i]);
            let v = v as usize;
            out.x[v] = ox + cxw - g.width[v] / 2.0;
            out.y[v] = oy + cyw - g.height[v] / 2.0;
            max_x = max_x.max(out.x[v] + g.width[v]);
            max_y = max_y.max(out.y[v] + g.height[v]);
        }
    }
    out.stats.width = max_x;
    out.stats.height = max_y;
    out.route_offsets.push(0);
    for (k, &(s, _)) in g.edges.iter().enumerate() {
        if let Some(idx) = edge_ref[k] {
            let c = comp[s as usize] as usize;
            let (ox, oy) = origin[c];
            let pts = &placed[c].routes[idx as usize];
            let mut pairs: Vec<(f64, f64)> = pts
                .chunks_exact(2)
                .map(|q| {
                    let (a, b) = to_xy(q[0], q[1]);
                    (ox + a, oy + b)
                })
                .collect();
            if out.reversed[k] {
                pairs.reverse();
            }
            for (a, b) in pairs {
                out.route_points.extend([a, b]);
            }
        }
        out.route_offsets.push((out.route_points.len() / 2) as u32);
    }
    progress("done", 1.0)?;
    Ok(out)
}

/// A workflow's layout: new absolute positions for the laid-out slots.
#[derive(Clone, Debug, Default)]
pub struct WorkflowLayout {
    /// Per node slot: the new top-left corner, or None when the node keeps
    /// its position (hidden, or a child that moves with its group).
    pub position: Vec<Option<(f64, f64)>>,
    /// Per edge slot, its route's range in `route_points` (in points).
    pub route_offsets: Vec<u32>,
    pub route_points: Vec<f64>,
    /// Per edge slot: reversed to break a cycle.
    pub reversed: Vec<bool>,
    pub stats: LayoutStats,
}

/// Where an edge end sits on its node (its handle), for
/// `layout_workflow_with_handles`.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub enum HandleAt {
    /// No handle known: the middle of the node's side.
    #[default]
    Middle,
    /// The `index`-th of `count` handles spread evenly along the node's side
    /// (the `index + 1`-th of `count + 1` equal steps).
    Rank { index: u32, count: u32 },
    /// A point relative to the node's top-left corner (a handle's centre).
    Point { x: f64, y: f64 },
}

/// The top-level ancestor of a slot.
fn top_of(wf: &Workflow, mut i: u32) -> u32 {
    while let Some(p) = wf.parent(i) {
        i = p;
    }
    i
}

/// Lay out a workflow's top-level shown nodes (see the module comment).
pub fn layout_workflow(
    wf: &Workflow,
    opts: &LayoutOptions,
    progress: Progress,
) -> Result<WorkflowLayout> {
    layout_workflow_with_handles(wf, opts, &[], progress)
}

/// `layout_workflow` with where each edge leaves its source and enters its
/// target (`handles[e]` for edge slot `e`: source end, target end; empty for
/// none), so that edges are ordered in the order of their handles. An edge
/// lifted to a group (an end inside it) counts from the group's middle.
pub fn layout_workflow_with_handles(
    wf: &Workflow,
    opts: &LayoutOptions,
    handles: &[(HandleAt, HandleAt)],
    progress: Progress,
) -> Result<WorkflowLayout> {
    if !handles.is_empty() && handles.len() != wf.edge_slot_count() {
        return Err(FlowscaleError::new(
            ErrorCode::InvalidWorkflow,
            "handles must be empty or have one entry per edge",
        ));
    }
    for (k, &(a, b)) in handles.iter().enumerate() {
        for (h, end) in [(a, "sourceHandle"), (b, "targetHandle")] {
            match h {
                HandleAt::Rank { index, count } if index >= count => {
                    return Err(FlowscaleError::at(
                        ErrorCode::OutOfRange,
                        format!("edges[{k}].{end}"),
                        format!("handle {index} of {count}"),
                    ));
                }
                HandleAt::Point { x, y } if !(x.is_finite() && y.is_finite()) => {
                    return Err(FlowscaleError::at(
                        ErrorCode::NonFinite,
                        format!("edges[{k}].{end}"),
                        "handle coordinates must be finite",
                    ));
                }
                _ => {}
            }
        }
    }
    let lr = opts.direction == Direction::LR;
    let slots = wf.slot_count();
    let mut node_of = vec![u32::MAX; slots];
    let mut slot_of = Vec::new();
    let mut g = LayoutGraph::default();
    for i in wf.live_slots() {
        if wf.parent(i).is_none() && wf.is_shown(i) {
            node_of[i as usize] = slot_of.len() as u32;
            slot_of.push(i);
            let r = wf.rect(i);
            g.width.push(r.width);
            g.height.push(r.height);
        }
    }
    let mut edge_slot = Vec::new();
    for e in wf.live_edge_slots() {
        if !wf.edge_shown(e) {
            continue;
        }
        let (s, t) = wf.edge_ends_of(e);
        let (a, b) = (top_of(wf, s), top_of(wf, t));
        let (Some(&a), Some(&b)) = (node_of.get(a as usize), node_of.get(b as usize)) else {
            continue;
        };
        // Both ends inside one group: nothing to lay out.
        if a == u32::MAX || b == u32::MAX || (a == b && s != t) {
            continue;
        }
        g.edges.push((a, b));
        edge_slot.push(e);
        if let Some(&(hs, ht)) = handles.get(e as usize) {
            // Distance along the cross side from the node's top (LR) or left (TB).
            let place = |h: HandleAt, slot: u32, top: u32| -> f64 {
                if slot != slot_of[top as usize] {
                    return f64::NAN;
                }
                let r = wf.rect(slot);
                let size = if lr { r.height } else { r.width };
                match h {
                    HandleAt::Middle => f64::NAN,
                    HandleAt::Rank { index, count } => {
                        size * (index as f64 + 1.0) / (count as f64 + 1.0)
                    }
                    HandleAt::Point { x, y } => {
                        if lr {
                            y
                        } else {
                            x
                        }
                    }
                }
            };
            g.ports.push((place(hs, s, a), place(ht, t, b)));
        } else if !handles.is_empty() {
            g.ports.push((f64::NAN, f64::NAN));
        }
    }
    let l = layout_graph(&g, opts, progress)?;
    let mut out = WorkflowLayout {
        position: vec![None; slots],
        route_offsets: Vec::with_capacity(wf.edge_slot_count() + 1),
        reversed: vec![false; wf.edge_slot_count()],
        stats: l.stats.clone(),
        ..Default::default()
    };
    for (k, &i) in slot_of.iter().enumerate() {
        out.position[i as usize] = Some((l.x[k], l.y[k]));
    }
    let mut laid = vec![u32::MAX; wf.edge_slot_count()];
    for (k, &e) in edge_slot.iter().enumerate() {
        laid[e as usize] = k as u32;
        out.reversed[e as usize] = l.reversed[k];
    }
    out.route_offsets.push(0);
    for &k in &laid {
        if k != u32::MAX {
            let (a, b) = (
                l.route_offsets[k as usize] as usize,
                l.route_offsets[k as usize + 1] as usize,
            );
            out.route_points
                .extend_from_slice(&l.route_points[2 * a..2 * b]);
        }
        out.route_offsets.push((out.route_points.len() / 2) as u32);
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
