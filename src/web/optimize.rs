//! Exports of the workflow optimizer: `layoutWorkflow` and `optimizeWorkflow`
//! (free functions), and the `WorkflowOptimizer` methods `clusters`,
//! `expandCluster`, `typeNames`, `simplifyEdges`, `groups` and `analyze`.
//! Columns cross the boundary as typed arrays; small summaries as JSON.

use super::headers::{ptr, ClusterHeader};
use super::monitor::to_plain;
use super::{
    config_from_js, frame_to_js, get, invalid, now, read_workflow, to_js, FrameHeader,
    JsWorkflowOptimizer, Lists, ReadWorkflow,
};
use crate::analysis::metrics::analyze;
use crate::analysis::rules::recommend;
use crate::cluster::groups::detect;
use crate::cluster::zoom::ClusterFrame;
use crate::config::Config;
use crate::edges::polyline::simplify_polyline;
use crate::edges::simplify::SimplifiedEdges;
use crate::error::{ErrorCode, FlowscaleError};
use crate::layout::{layout_workflow_with_handles, HandleAt, LayoutOptions};
use crate::model::Workflow;
use crate::optimize::optimize_workflow;
use crate::optimizer::{FrameDetail, Screen, Viewport};
use js_sys::{Array, Float64Array, Object, Reflect, Uint32Array, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

#[wasm_bindgen(module = "/src/web/glue.js")]
extern "C" {
    #[wasm_bindgen(js_name = withPositions, catch)]
    fn with_positions(
        workflow: &JsValue,
        xy: &Float64Array,
        moved: &Uint8Array,
    ) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_name = idsOf)]
    pub(super) fn ids_of(ids: &Array, indices: &Uint32Array) -> JsValue;
    #[wasm_bindgen(js_name = layoutHandles, catch)]
    fn layout_handles(workflow: &JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_name = readOptions, catch)]
    fn read_options(options: &JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_name = makeClusters)]
    fn make_clusters(memory: &JsValue, header: u32) -> JsValue;
}

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &str = r#"
export interface LayoutOptions {
  /** 'LR' (default): edges point right; 'TB': down. */
  direction?: 'LR' | 'TB';
  /** Gap between neighbours in a layer (40), between layers (80), between parallel long edges (10), between components (80). */
  nodeSpacing?: number; layerSpacing?: number; edgeSpacing?: number; componentSpacing?: number;
  /** 'network-simplex' (default: shortest edges) or 'longest-path' (fastest). */
  ranker?: 'network-simplex' | 'longest-path';
  /** The same seed gives the same layout (1). */
  seed?: number;
  /** Barycenter sweeps per run (24) and extra seeded runs (by size when null). */
  maxSweeps?: number; restarts?: number | null;
  /** Douglas–Peucker tolerance of the routes, in world units (1). */
  routeTolerance?: number;
  /** Width ÷ height that component packing aims at (1.6). */
  aspectRatio?: number;
  /** Called with the stage ('cycles', 'rank', 'order', 'position', 'pack', 'done') and the fraction done. */
  onProgress?: (stage: string, fraction: number) => void;
}
export interface LayoutStats {
  components: number; layers: number; dummies: number; crossings: number;
  reversedEdges: number; selfLoops: number; simplexPivots: number; sweeps: number;
  width: number; height: number;
}
export interface LayoutResult<N = FlowNode[]> {
  /**
   * The input nodes, top-level shown ones with a new `position` (children move with their group);
   * from columns, the node columns with new `x` and `y`.
   */
  nodes: N;
  /** Per input edge: route points (x, y pairs) from `routes.offsets[e]` to `routes.offsets[e + 1]` (in points). */
  routes: { offsets: Uint32Array; points: Float64Array };
  /** Per input edge: 1 where the edge was reversed to break a cycle. */
  reversed: Uint8Array;
  stats: LayoutStats;
}
/**
 * Lay out a workflow in layers: the nodes with new positions (see `LayoutResult`).
 * Edges leave and enter their nodes in the order of their handles: at the
 * handle a node lists in `node.handles` (React Flow 12: `{ id, type, x, y,
 * width, height }`), else by their `sourceHandle` / `targetHandle` ids in
 * natural order (`out-2` before `out-10`) spread along the side; an id that a
 * node's `handles` lack throws `UNKNOWN_ID` at `edges[i].sourceHandle`.
 * Throws `FlowscaleError` on bad input or options; an exception thrown by
 * `onProgress` stops the layout and is reported as `INVALID_CONFIG` at
 * `options.onProgress`.
 */
export function layoutWorkflow(workflow: Workflow, options?: LayoutOptions): LayoutResult;
export function layoutWorkflow(workflow: WorkflowColumns, options?: LayoutOptions): LayoutResult<WorkflowColumns['nodes']>;
/** Zoom-level clusters, column-wise: entry k of every array is cluster k. */
export interface Clusters {
  /** Level drawn: 1 is the finest. */
  level: number;
  ids: Uint32Array;
  count: Uint32Array;
  /** x, y, width, height per cluster: the union of its members' rectangles. */
  bounds: Float64Array;
  /** x, y, width, height per cluster: the glyph (`bounds` cut to the cluster's grid cell; glyphs never overlap). */
  rect: Float64Array;
  /** x, y per cluster (mean of member centres, inside `rect`). */
  center: Float64Array;
  /** Three most common member types per cluster, most common first (indices into typeNames(); 0xFFFFFFFF pads). Exact at level 1; above, merged from the children's three. */
  typeIds: Uint32Array;
  typeCounts: Uint32Array;
  /**
   * In frames: the edges into the glyphs, one weighted bundle per pair of ends
   * (a cluster, or a node drawn alone: `kind` bit 1 = source is a cluster id,
   * bit 2 = target is; otherwise a node index). `segment` is x1, y1, x2, y2
   * between the ends' centres.
   */
  bundles: { source: Uint32Array; target: Uint32Array; kind: Uint8Array; weight: Uint32Array; segment: Float64Array };
  /** Nodes inside the clusters listed. */
  members: number;
}
export interface Frame {
  /** Below clustering.maxZoom: the clusters to draw instead of their nodes. */
  clusters?: Clusters;
}
export interface ClusterExpansion {
  level: number;
  /** Member nodes: indices and the caller's ids. */
  indices: Uint32Array; ids: string[];
  /** Child clusters (empty at level 1). */
  children: Uint32Array;
  /** Zoom from which the cluster is drawn split. */
  expansionZoom: number;
}
export interface EdgeCounts {
  total: number; kept: number; removed: number; subPixel: number; insideCluster: number;
  parallel: number; betweenClusters: number; bundles: number;
}
export interface SimplifiedEdges {
  /** Edges drawn as they are. */
  kept: Uint32Array; keptIds: string[];
  /** Weighted edges drawn instead of several: ends are node indices, or cluster ids where kind has bit 1 (source) / 2 (target). */
  bundles: { source: Uint32Array; target: Uint32Array; kind: Uint8Array; weight: Uint32Array; edgeIds: string[]; segment: Float64Array };
  counts: EdgeCounts;
}
export interface Groups {
  /** Per node index: its group, or 0xFFFFFFFF (removed or hidden). */
  groupOf: Uint32Array;
  count: number; sizes: Uint32Array;
  /** Suggested box per group: x, y, width, height. */
  boxes: Float64Array;
  modularity: number; parentGroups: number;
}
export interface Analysis {
  nodes: number; edges: number; density: number; depth: number; maxFanIn: number; maxFanOut: number;
  components: number; isolatedNodes: number; backEdges: number; selfLoops: number;
  parallelEdges: number; parallelEdgeShare: number;
  crossings: number; crossingsExact: boolean; crossingsPerEdge: number;
  longEdges: number; longEdgeShare: number;
  overlaps: number; overlappingNodes: number; overlapShare: number;
  communities: number; modularity: number; medianNodeSize: number;
  domElements: number; domElementsWindowed: number;
}
/**
 * From an explicit rule (not a learned model): `metric` compared with `threshold`. A rule whose remedy is a
 * setting fires only while that setting is off in the configuration the analysis ran with.
 */
export interface Recommendation {
  id: 'virtual-scrolling' | 'level-of-detail' | 'zoom-clustering' | 'group-communities' | 're-layout' | 'resolve-overlaps' | 'simplify-edges';
  severity: 'info' | 'warning' | 'critical';
  message: string; metric: string; value: number; threshold: number;
  /** The one step that applies it: a partial config for `setConfig`, or the call that does it. */
  remedy: { kind: 'config'; patch: PartialConfig } | { kind: 'call'; call: 'layoutWorkflow' | 'groups' };
}
export interface AnalysisReport { analysis: Analysis; recommendations: Recommendation[]; }
export interface OptimizeInput extends Workflow {
  /** React Flow's viewport; fitted to the workflow when absent. */
  viewport?: Viewport;
  /** The pane (1920 × 1080 when absent). */
  size?: PaneSize;
}
export interface StageTimings {
  extractMs: number; buildMs: number; frameMs: number; edgesMs: number;
  analysisMs: number; recommendationsMs: number; totalMs: number;
}
export interface OptimizeResult {
  viewport: Viewport;
  frame: Frame;
  clusters: Clusters | null;
  edges: SimplifiedEdges;
  analysis: Analysis;
  recommendations: Recommendation[];
  timings: StageTimings;
}
export interface FlowscaleConfig {
  clustering: { maxZoom: number; radiusPx: number; minPoints: number };
  grouping: { resolution: number; padding: number; seed: number };
  edges: { minLengthPx: number; mergeParallel: boolean; aggregateClusters: boolean };
  analysis: {
    virtualScrollingNodes: number; lodNodes: number; clusteringNodes: number;
    groupingModularity: number; groupingNodes: number;
    relayoutCrossingsPerEdge: number; relayoutOverlapShare: number;
    parallelEdgeShare: number; longEdgeShare: number; longEdgeFactor: number; maxCrossingEdges: number;
  };
}
"#;

/// Set a property on an object we created (cannot throw).
pub(super) fn set(obj: &JsValue, key: &str, value: &JsValue) {
    let _ = Reflect::set(obj, &JsValue::from_str(key), value);
}

fn obj() -> JsValue {
    Object::new().into()
}

fn u32s(v: &[u32]) -> JsValue {
    Uint32Array::from(v).into()
}

fn f64s(v: &[f64]) -> JsValue {
    Float64Array::from(v).into()
}

/// Clusters as a JS object, assembled by `makeClusters` from a header of
/// pointers into wasm memory (one call across the boundary).
pub(super) fn clusters_to_js(c: &ClusterFrame) -> JsValue {
    let header = ClusterHeader {
        level: c.level,
        len: c.ids.len() as u32,
        ids: ptr(&c.ids),
        count: ptr(&c.count),
        bounds: ptr(&c.bounds),
        rect: ptr(&c.rect),
        center: ptr(&c.center),
        type_ids: ptr(&c.type_ids),
        type_counts: ptr(&c.type_counts),
        bundles_len: c.bundle_weight.len() as u32,
        bundle_source: ptr(&c.bundle_source),
        bundle_target: ptr(&c.bundle_target),
        bundle_kind: ptr(&c.bundle_kind),
        bundle_weight: ptr(&c.bundle_weight),
        bundle_segment: ptr(&c.bundle_segment),
        members: c.members as f64,
    };
    make_clusters(
        &wasm_bindgen::memory(),
        &header as *const ClusterHeader as u32,
    )
}

fn simplified_to_js(s: &SimplifiedEdges, edge_ids: &Array) -> JsValue {
    let o = obj();
    let kept = Uint32Array::from(&s.kept[..]);
    set(&o, "keptIds", &ids_of(edge_ids, &kept));
    set(&o, "kept", &kept.into());
    let b = obj();
    set(&b, "source", &u32s(&s.source));
    set(&b, "target", &u32s(&s.target));
    set(&b, "kind", &Uint8Array::from(&s.kind[..]).into());
    set(&b, "weight", &u32s(&s.weight));
    set(
        &b,
        "edgeIds",
        &ids_of(edge_ids, &Uint32Array::from(&s.edge[..])),
    );
    set(&b, "segment", &f64s(&s.segment));
    set(&o, "bundles", &b);
    let c = &s.counts;
    let counts = obj();
    for (k, v) in [
        ("total", c.total),
        ("kept", c.kept),
        ("removed", c.removed),
        ("subPixel", c.sub_pixel),
        ("insideCluster", c.inside_cluster),
        ("parallel", c.parallel),
        ("betweenClusters", c.between_clusters),
        ("bundles", c.bundles),
    ] {
        set(&counts, k, &v.into());
    }
    set(&o, "counts", &counts);
    o
}

/// Read `{ x, y, zoom }` or `{ width, height }` fields as finite-or-not numbers
/// (ranges are checked by the core); `None` when the object is absent.
fn numbers(v: &JsValue, path: &str, keys: [&str; 3]) -> Result<Option<[f64; 3]>, JsValue> {
    if v.is_undefined() || v.is_null() {
        return Ok(None);
    }
    if !v.is_object() {
        return Err(invalid(
            ErrorCode::InvalidViewport,
            path,
            "expected an object",
        ));
    }
    let mut out = [0.0; 3];
    for (k, key) in keys.iter().enumerate() {
        if key.is_empty() {
            continue;
        }
        let x = Reflect::get(v, &JsValue::from_str(key)).map_err(|_| {
            invalid(
                ErrorCode::InvalidViewport,
                &format!("{path}.{key}"),
                "reading it threw",
            )
        })?;
        out[k] = x.as_f64().ok_or_else(|| {
            invalid(
                ErrorCode::InvalidViewport,
                &format!("{path}.{key}"),
                "expected a number",
            )
        })?;
    }
    Ok(Some(out))
}

/// Default pane of `optimizeWorkflow` when the input has no `size`.
const DEFAULT_PANE: Screen = Screen {
    width: 1920.0,
    height: 1080.0,
};

/// Lay out a workflow in layers: `layoutWorkflow({ nodes, edges }, options?)`
/// returns the nodes with new positions (see `LayoutResult`); columns come
/// back as columns. Throws `FlowscaleError` on bad input or options; an
/// exception thrown by `onProgress` stops the layout and is reported as
/// `INVALID_CONFIG` at `options.onProgress`. (Its TypeScript overloads are
/// in `TS_TYPES`: objects in, objects out; columns in, columns out.)
#[wasm_bindgen(js_name = layoutWorkflow, skip_typescript)]
pub fn layout_workflow_js(workflow: JsValue, options: Option<JsValue>) -> Result<JsValue, JsValue> {
    super::init_once();
    let options = options.unwrap_or(JsValue::UNDEFINED);
    let read = read_options(&options).map_err(|_| {
        invalid(
            ErrorCode::InvalidConfig,
            "options",
            "reading the options threw",
        )
    })?;
    if let Some(msg) = get(&read, "error").as_string() {
        let path = if msg.starts_with("onProgress") {
            "options.onProgress"
        } else {
            "options"
        };
        return Err(invalid(ErrorCode::InvalidConfig, path, msg));
    }
    let opts = LayoutOptions::from_json(&get(&read, "json").as_string().unwrap_or_default())
        .map_err(to_js)?;
    let callback = get(&read, "onProgress").dyn_into::<js_sys::Function>().ok();
    let ReadWorkflow { nodes, edges, .. } = read_workflow(&workflow)?;
    let n = nodes.len();
    let m = edges.len();
    // Handles: read after the workflow, so its shape is known to be sound.
    let read = super::check_glue(
        layout_handles(&workflow),
        ErrorCode::InvalidWorkflow,
        "workflow",
    )?;
    let mut handles: Vec<(HandleAt, HandleAt)> = Vec::new();
    if !read.is_null() && !read.is_undefined() {
        let kind = super::u8s(&read, "kind");
        let value = super::f64s(&read, "value");
        let at = |k: usize| {
            let (a, b) = (value[2 * k], value[2 * k + 1]);
            match kind[k] {
                1 => HandleAt::Rank {
                    index: a as u32,
                    count: b as u32,
                },
                2 => HandleAt::Point { x: a, y: b },
                _ => HandleAt::Middle,
            }
        };
        if kind.len() == 2 * m && value.len() == 4 * m {
            handles = (0..m).map(|e| (at(2 * e), at(2 * e + 1))).collect();
        }
    }
    let wf = Workflow::build(nodes, edges, &Config::default().workflow).map_err(to_js)?;
    let mut progress = |stage: &str, fraction: f64| -> crate::error::Result<()> {
        let Some(f) = &callback else {
            return Ok(());
        };
        f.call2(&JsValue::NULL, &stage.into(), &fraction.into())
            .map(|_| ())
            .map_err(|e| {
                let why = Reflect::get(&e, &JsValue::from_str("message"))
                    .ok()
                    .and_then(|m| m.as_string())
                    .unwrap_or_else(|| "an exception".into());
                FlowscaleError::at(
                    ErrorCode::InvalidConfig,
                    "options.onProgress",
                    format!("onProgress threw: {why}"),
                )
            })
    };
    let l = layout_workflow_with_handles(&wf, &opts, &handles, &mut progress).map_err(to_js)?;
    // Slots are input indices: the workflow was built from scratch.
    let mut xy = vec![0.0f64; 2 * n];
    let mut moved = vec![0u8; n];
    for (i, p) in l.position.iter().enumerate().take(n) {
        if let Some((x, y)) = p {
            xy[2 * i] = *x;
            xy[2 * i + 1] = *y;
            moved[i] = 1;
        }
    }
    let out_nodes = with_positions(
        &workflow,
        &Float64Array::from(&xy[..]),
        &Uint8Array::from(&moved[..]),
    )
    .map_err(|_| {
        invalid(
            ErrorCode::InvalidWorkflow,
            "workflow.nodes",
            "copying the nodes threw",
        )
    })?;
    let out = obj();
    set(&out, "nodes", &out_nodes);
    let routes = obj();
    set(
        &routes,
        "offsets",
        &u32s(&l.route_offsets[..(m + 1).min(l.route_offsets.len())]),
    );
    set(&routes, "points", &f64s(&l.route_points));
    set(&out, "routes", &routes);
    let reversed: Vec<u8> = l.reversed.iter().take(m).map(|&r| r as u8).collect();
    set(&out, "reversed", &Uint8Array::from(&reversed[..]).into());
    set(&out, "stats", &to_plain(&l.stats)?);
    Ok(out)
}

/// Douglas–Peucker: `simplifyPolyline(points, tolerance)` keeps the points of
/// `points` (x0, y0, x1, y1, …) that stand more than `tolerance` off the line
/// through the points kept around them.
#[wasm_bindgen(js_name = simplifyPolyline)]
pub fn simplify_polyline_js(
    #[wasm_bindgen(unchecked_param_type = "Float64Array | number[]")] points: JsValue,
    tolerance: f64,
) -> Result<Float64Array, JsValue> {
    super::init_once();
    let pts: Vec<f64> = if let Some(a) = points.dyn_ref::<Float64Array>() {
        a.to_vec()
    } else if Array::is_array(&points) {
        let a: &Array = points.unchecked_ref();
        let mut v = Vec::with_capacity(a.length() as usize);
        for (k, x) in a.iter().enumerate() {
            v.push(x.as_f64().ok_or_else(|| {
                invalid(
                    ErrorCode::InvalidWorkflow,
                    &format!("points[{k}]"),
                    "expected a number",
                )
            })?);
        }
        v
    } else {
        return Err(invalid(
            ErrorCode::InvalidWorkflow,
            "points",
            "expected a Float64Array or an array of numbers",
        ));
    };
    if let Some(k) = pts.iter().position(|v| !v.is_finite()) {
        return Err(invalid(
            ErrorCode::NonFinite,
            &format!("points[{k}]"),
            "coordinates must be finite",
        ));
    }
    if !(tolerance.is_finite() && tolerance >= 0.0) {
        return Err(invalid(
            ErrorCode::InvalidConfig,
            "tolerance",
            "tolerance must be a finite number ≥ 0",
        ));
    }
    Ok(Float64Array::from(&simplify_polyline(&pts, tolerance)[..]))
}

/// The one-shot pipeline (what `PerformanceManager.optimizeWorkflow` serves):
/// `optimizeWorkflow({ nodes, edges, viewport?, size? }, config?)`, the
/// workflow as React Flow objects or as columns.
#[wasm_bindgen(js_name = optimizeWorkflow, unchecked_return_type = "OptimizeResult")]
pub fn optimize_workflow_js(
    #[wasm_bindgen(
        unchecked_param_type = "OptimizeInput | (WorkflowColumns & Pick<OptimizeInput, 'viewport' | 'size'>)"
    )]
    input: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "PartialConfig")] config: Option<JsValue>,
) -> Result<JsValue, JsValue> {
    super::init_once();
    let started = now();
    let cfg = config_from_js(&config.unwrap_or(JsValue::UNDEFINED))?;
    Ok(optimize_with(&input, cfg, started)?.0)
}

/// The stages of `optimizeWorkflow`'s `timings` in pipeline order: the
/// benchmark's stage name and the key in `timings`.
pub(super) const STAGES: [(&str, &str); 7] = [
    ("extract", "extractMs"),
    ("build", "buildMs"),
    ("frame", "frameMs"),
    ("edges", "edgesMs"),
    ("analysis", "analysisMs"),
    ("recommendations", "recommendationsMs"),
    ("total", "totalMs"),
];

/// `optimizeWorkflow` with a Rust config, timed from `started`: the result
/// object and its stage times (ms, in `STAGES` order) for Rust callers.
pub(super) fn optimize_with(
    input: &JsValue,
    cfg: Config,
    started: f64,
) -> Result<(JsValue, [f64; STAGES.len()]), JsValue> {
    let ReadWorkflow {
        nodes,
        edges,
        node_ids: ids,
        edge_ids,
    } = read_workflow(input)?;
    let field = |key: &str| {
        Reflect::get(input, &JsValue::from_str(key))
            .map_err(|_| invalid(ErrorCode::InvalidViewport, key, "reading it threw"))
    };
    let vp = numbers(&field("viewport")?, "viewport", ["x", "y", "zoom"])?
        .map(|[x, y, zoom]| Viewport { x, y, zoom });
    let screen = numbers(&field("size")?, "size", ["width", "height", ""])?
        .map_or(DEFAULT_PANE, |[width, height, _]| Screen { width, height });
    let extracted = now();
    let mut r = optimize_workflow(nodes, edges, vp, screen, cfg, &|| now()).map_err(to_js)?;
    // The optimizer goes with this call: the frame gets its complete lists now.
    let detail = r.optimizer.frame_detail().map_err(to_js)?;
    let detail = FrameDetail {
        in_view: detail.in_view.clone(),
        lod: detail.lod.clone(),
        edges: detail.edges.clone(),
        seq: detail.seq,
    };
    let mut header = Box::<FrameHeader>::default();
    let frame = frame_to_js(
        r.optimizer.last_frame(),
        &mut header,
        (&ids, &edge_ids),
        extracted + r.timings.build_ms,
        Lists::Now(&detail, &edge_ids),
    );
    let out = obj();
    let v = obj();
    set(&v, "x", &r.viewport.x.into());
    set(&v, "y", &r.viewport.y.into());
    set(&v, "zoom", &r.viewport.zoom.into());
    set(&out, "viewport", &v);
    let c = &r.optimizer.last_frame().clusters;
    set(
        &out,
        "clusters",
        &if c.active {
            clusters_to_js(c)
        } else {
            JsValue::NULL
        },
    );
    set(&out, "frame", &frame);
    set(&out, "edges", &simplified_to_js(&r.edges, &edge_ids));
    set(&out, "analysis", &to_plain(&r.analysis)?);
    set(&out, "recommendations", &to_plain(&r.recommendations)?);
    let t = &r.timings;
    let times = [
        extracted - started,
        t.build_ms,
        t.frame_ms,
        t.edges_ms,
        t.analysis_ms,
        t.recommendations_ms,
        now() - started,
    ];
    let timings = obj();
    for ((_, key), ms) in STAGES.iter().zip(times) {
        set(&timings, key, &ms.into());
    }
    set(&out, "timings", &timings);
    Ok((out, times))
}

#[wasm_bindgen(js_class = WorkflowOptimizer)]
impl JsWorkflowOptimizer {
    /// The zoom-level clusters drawn at this viewport's zoom (level 1 at or
    /// above clustering.maxZoom), meeting the view.
    #[wasm_bindgen(unchecked_return_type = "Clusters")]
    pub fn clusters(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "Viewport")] viewport: JsValue,
        #[wasm_bindgen(unchecked_param_type = "PaneSize")] size: JsValue,
    ) -> Result<JsValue, JsValue> {
        let (vp, screen) = self.read_view(&viewport, &size)?;
        let out = &mut self.clusters_out;
        self.core
            .try_borrow_mut()
            .map_err(|_| super::busy())?
            .clusters(vp, screen, out)
            .map_err(to_js)?;
        Ok(clusters_to_js(out))
    }

    /// A cluster's member nodes and child clusters, and the zoom from which it
    /// is drawn split. Ids are valid until the workflow changes.
    #[wasm_bindgen(js_name = expandCluster, unchecked_return_type = "ClusterExpansion")]
    pub fn expand_cluster(&mut self, id: f64) -> Result<JsValue, JsValue> {
        let unknown = || {
            invalid(
                ErrorCode::UnknownId,
                "id",
                format!("no cluster has id {id} (ids change when the workflow does)"),
            )
        };
        if !(id.is_finite() && id >= 0.0 && id <= u32::MAX as f64 && id.fract() == 0.0) {
            return Err(unknown());
        }
        let id = id as u32;
        let ex = self
            .core()?
            .cluster_index()
            .expand(id)
            .ok_or_else(unknown)?;
        let o = obj();
        set(&o, "level", &ex.level.into());
        let indices = Uint32Array::from(&ex.members[..]);
        let names = self.names.try_borrow().map_err(|_| super::busy())?;
        set(&o, "ids", &ids_of(&names.nodes, &indices));
        set(&o, "indices", &indices.into());
        set(&o, "children", &u32s(&ex.children));
        set(&o, "expansionZoom", &ex.expansion_zoom.into());
        Ok(o)
    }

    /// Node type names by type id (the `typeIds` of clusters index this).
    #[wasm_bindgen(js_name = typeNames, unchecked_return_type = "string[]")]
    pub fn type_names(&self) -> Result<JsValue, JsValue> {
        let core = self.core()?;
        let t = core.workflow().types();
        Ok((0..t.len() as u16)
            .map(|i| JsValue::from_str(t.name(i)))
            .collect::<Array>()
            .into())
    }

    /// The last frame's edges simplified for drawing (call after `frame`).
    #[wasm_bindgen(js_name = simplifyEdges, unchecked_return_type = "SimplifiedEdges")]
    pub fn simplify_edges(&mut self) -> Result<JsValue, JsValue> {
        let s = self.core()?.simplify_edges();
        let names = self.names.try_borrow().map_err(|_| super::busy())?;
        Ok(simplified_to_js(&s, &names.edges))
    }

    /// Community detection (Louvain, connected communities, React Flow groups kept whole).
    #[wasm_bindgen(unchecked_return_type = "Groups")]
    pub fn groups(&self) -> Result<JsValue, JsValue> {
        let core = self.core()?;
        let g = detect(core.workflow(), &core.config().grouping);
        let o = obj();
        set(&o, "groupOf", &u32s(&g.group_of));
        set(&o, "count", &(g.count() as u32).into());
        set(&o, "sizes", &u32s(&g.sizes));
        let boxes: Vec<f64> = g.boxes.iter().flatten().copied().collect();
        set(&o, "boxes", &f64s(&boxes));
        set(&o, "modularity", &g.modularity.into());
        set(&o, "parentGroups", &g.parent_groups.into());
        Ok(o)
    }

    /// Complexity metrics and rule-based recommendations.
    #[wasm_bindgen(unchecked_return_type = "AnalysisReport")]
    pub fn analyze(&self) -> Result<JsValue, JsValue> {
        let core = self.core()?;
        let cfg = core.config();
        let a = analyze(
            core.workflow(),
            &cfg.analysis,
            &cfg.grouping,
            &cfg.rendering,
        );
        let r = recommend(&a, cfg.in_force());
        let o = obj();
        set(&o, "analysis", &to_plain(&a)?);
        set(&o, "recommendations", &to_plain(&r)?);
        Ok(o)
    }
}
