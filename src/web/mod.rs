//! Every `#[wasm_bindgen]` export. Thin: decode JS input (through the
//! columns `glue.js` builds), call the platform-free core, encode the answer.
//! Every export returns `Result`; errors become `FlowscaleError` objects.

mod headers;
mod optimize;

use headers::{ptr, DetailHeader, FrameHeader};
pub use headers::{CLUSTER_LAYOUT, DETAIL_LAYOUT, FRAME_LAYOUT};

use crate::config::Config;
use crate::error::{ErrorCode, FlowscaleError};
use crate::load::LoadJob;
use crate::model::{
    EdgeChange, EdgeInput, EdgeKind, Handles, NodeChange, NodeInput, Rect, SizeSource, SizeValue,
};
use crate::optimizer::{Frame, FrameDetail, Screen, Viewport, WorkflowOptimizer};
use js_sys::{Array, Float64Array, Uint32Array};
use serde::de::DeserializeOwned;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

mod scene;
pub use scene::JsSceneCore;
pub mod cache;
mod manager;
mod monitor;
pub use manager::JsPerformanceManager;
pub use monitor::{JsMonitorCore, JsProfilerCore};

#[wasm_bindgen(module = "/src/web/glue.js")]
extern "C" {
    #[wasm_bindgen(js_name = makeError)]
    fn make_error(code: &str, message: &str, path: Option<String>) -> JsValue;
    #[wasm_bindgen(js_name = setMemory)]
    fn set_memory(memory: JsValue);
    // `catch`: user objects may have getters that throw (or be Proxies). An
    // exception unwinding through an export would leave the object borrowed
    // for good, so every call that reads user input catches.
    #[wasm_bindgen(js_name = extractWorkflow, catch)]
    fn extract_workflow(workflow: &JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_name = extractNodeChanges, catch)]
    fn extract_node_changes(changes: &JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_name = extractEdgeChanges, catch)]
    fn extract_edge_changes(changes: &JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_name = readView, catch)]
    fn read_view(viewport: &JsValue, size: &JsValue, ptr: u32) -> Result<u32, JsValue>;
    #[wasm_bindgen(js_name = makeFrame)]
    fn make_frame(
        ids: &Array,
        edge_ids: &Array,
        header: u32,
        seq: f64,
        started: f64,
        gone_json: &str,
        detail: &JsValue,
    ) -> JsValue;
    #[wasm_bindgen(js_name = makeDetail)]
    fn make_detail(edge_ids: &Array, header: u32) -> JsValue;
    pub(crate) fn now() -> f64;
}

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &str = r#"
/** A rectangle in flow coordinates, as React Flow's `Rect`. */
export interface Rect { x: number; y: number; width: number; height: number; }
/** React Flow's viewport: screen = world × zoom + (x, y). */
export interface Viewport { x: number; y: number; zoom: number; }
/** The pane size in CSS pixels. */
export interface PaneSize { width: number; height: number; }
/** The fields of a React Flow node that flowscale reads (others are ignored). */
export interface FlowNode {
  id: string;
  position: { x: number; y: number };
  width?: number | null; height?: number | null;
  measured?: { width?: number | null; height?: number | null } | null;
  initialWidth?: number | null; initialHeight?: number | null;
  parentId?: string | null; hidden?: boolean | null; selected?: boolean | null; type?: string | null;
  [key: string]: unknown;
}
export interface FlowEdge {
  id: string; source: string; target: string;
  hidden?: boolean | null; selected?: boolean | null;
  [key: string]: unknown;
}
export interface Workflow { nodes: FlowNode[]; edges?: FlowEdge[]; }
/**
 * A workflow as columns: no object per node on the way in. Node i is
 * `ids[i]` at (`x[i]`, `y[i]`) (absolute unless `parent[i]` ≥ 0, as React
 * Flow's `position`), `width[i]` × `height[i]` (else the configured default
 * size), of type `types[type[i]]`. Edges name their ends by node index.
 */
export interface WorkflowColumns {
  nodes: {
    ids: string[];
    x: Float64Array | Float32Array; y: Float64Array | Float32Array;
    width?: Float64Array | Float32Array; height?: Float64Array | Float32Array;
    /**
     * Where each size came from (React Flow's order), as error paths name it: 0 none (the configured
     * default size applies), 1 measured, 2 width/height (all of them when absent), 3 initialWidth/initialHeight.
     */
    widthSource?: Uint8Array; heightSource?: Uint8Array;
    types?: string[]; type?: Uint8Array | Uint16Array | Uint32Array;
    hidden?: Uint8Array; selected?: Uint8Array;
    /** Handle sides (React Flow's sourcePosition / targetPosition): 0 top, 1 right, 2 bottom (source default), 3 left; target default top. */
    sourcePosition?: Uint8Array; targetPosition?: Uint8Array;
    /** Index of the parent node (React Flow's parentId), -1 for none. */
    parent?: Int32Array;
  };
  edges?: { ids: string[]; source: Uint32Array; target: Uint32Array; hidden?: Uint8Array; selected?: Uint8Array };
}
export interface LoadProgress {
  /** 'nodes' and 'edges' while they are read, 'index' while they are indexed, then 'done'. */
  phase: 'nodes' | 'edges' | 'index' | 'done';
  /** 0 to 1. */
  fraction: number;
}
export interface LoadOptions {
  /** Aborting rejects with ABORTED and keeps the previous workflow. */
  signal?: AbortSignal;
  onProgress?: (p: LoadProgress) => void;
  /** Milliseconds of work between two yields to the browser (8). */
  sliceMs?: number;
}
export interface WorkflowOptimizer {
  /**
   * `setWorkflow` spread over many short tasks (each about `sliceMs`), with
   * progress, cancellable. The previous workflow stays in place (frames keep
   * working on it) until the new one is complete; a newer load on the same
   * optimizer aborts this one.
   */
  setWorkflowAsync(workflow: Workflow | WorkflowColumns, options?: LoadOptions): Promise<void>;
}
/** React Flow's NodeChange. */
export type NodeChange =
  | { type: 'position'; id: string; position?: { x: number; y: number }; dragging?: boolean; [key: string]: unknown }
  | { type: 'dimensions'; id: string; dimensions?: { width: number; height: number }; [key: string]: unknown }
  | { type: 'select'; id: string; selected: boolean }
  | { type: 'remove'; id: string }
  | { type: 'add'; item: FlowNode; [key: string]: unknown }
  | { type: 'replace'; id: string; item: FlowNode };
/** React Flow's EdgeChange. */
export type EdgeChange =
  | { type: 'add'; item: FlowEdge; [key: string]: unknown }
  | { type: 'remove'; id: string }
  | { type: 'replace'; id: string; item: FlowEdge }
  | { type: 'select'; id: string; selected: boolean };
/** Level of detail: 0 high (mounted, full), 1 medium (mounted, label only), 2 low (GPU only). */
export type Lod = 0 | 1 | 2;
export interface FrameStats {
  /** Shown nodes, and those overlapping the viewport (exact at every zoom). */
  total: number; inView: number; culled: number; culledPercent: number;
  lodCounts: { high: number; medium: number; low: number };
  timeMs: number;
}
export interface Frame {
  /**
   * Indices of every shown node overlapping the viewport (any level of detail).
   * Computed on first read: zoomed out (below `clustering.maxZoom`) the frame
   * itself never lists member nodes, so reading this costs time proportional
   * to what is in view. Read it before the next `frame()` or edit; after one
   * it throws STALE_FRAME.
   */
  readonly inView: Uint32Array;
  /** Level of detail per entry of `inView` (computed with it). */
  readonly lod: Uint8Array;
  /** Ids React should mount: high and medium detail near the view, at most maxVisibleNodes. */
  visibleIds: string[];
  /** Level of detail per entry of `visibleIds`: 0 high (full), 1 medium (label). */
  visibleLod: Uint8Array;
  /** Ids that entered / left `visibleIds` since the previous frame. */
  entered: string[];
  left: string[];
  /** Edges whose bounds overlap the viewport (React Flow's isEdgeVisible), hidden ones excluded. Computed on first read, as `inView`. */
  readonly visibleEdgeIds: string[];
  /** Edges with both ends in `visibleIds`: the edges React Flow draws (cheap at any zoom). */
  mountedEdgeIds: string[];
  /** Whether the frame listed everything in view itself (above `clustering.maxZoom`); `inView` and friends are then free to read. */
  complete: boolean;
  /** Frames computed by this optimizer so far, this one included. */
  seq: number;
  /** Zoom-level cluster glyphs and bundles, below `clustering.maxZoom`. */
  clusters?: Clusters;
  stats: FrameStats;
}
/** What `optimizer.snapshot()` returns: the stored workflow, nodes and edges in slot order. */
export interface WorkflowSnapshot {
  /** Absolute positions (children resolved); sizes as resolved (attribute, measured or the default). */
  nodes: { id: string; x: number; y: number; width: number; height: number; parentId: string | null; hidden: boolean; selected: boolean }[];
  /** `hidden` is the edge's own flag. */
  edges: { id: string; source: string; target: string; hidden: boolean }[];
}
/** A frame's complete lists (`optimizer.frameDetail()`). */
export interface FrameDetail { inView: Uint32Array; lod: Uint8Array; visibleEdgeIds: string[]; }
type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? DeepPartial<T[K]> : T[K] };
export interface FlowscaleConfig {
  monitoringIntervalSeconds: number;
  alertThresholds: { cpuPercent: number; memoryMb: number; operationMs: number; errorRatePercent: number; cacheHitRateMinPercent: number };
  cache: {
    memoryMaxEntries: number; memoryMaxMb: number; diskMaxMb: number; defaultTtlSeconds: number;
    strategy: 'write-through' | 'write-behind' | 'cache-aside';
  };
  rendering: {
    virtualScrolling: boolean; lodThresholdLow: number; lodThresholdMedium: number; maxVisibleNodes: number;
    overscanPx: number; hysteresisPx: number; lodHysteresis: number;
  };
  workflow: { maxNodes: number; maxEdges: number; defaultNodeWidth: number; defaultNodeHeight: number; rebuildFraction: number };
}
export type PartialConfig = DeepPartial<FlowscaleConfig>;
"#;

/// Once per module instance, before any other work: the panic hook (a panic
/// must at least explain itself) and glue.js's view of wasm memory.
/// Called from every constructor and static method rather than a start
/// function, which test harnesses do not run.
pub(crate) fn init_once() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        console_error_panic_hook::set_once();
        set_memory(wasm_bindgen::memory());
    });
}

pub(crate) fn to_js(e: FlowscaleError) -> JsValue {
    make_error(e.code.as_str(), &e.message, e.path)
}

pub(crate) fn invalid(code: ErrorCode, path: &str, message: impl Into<String>) -> JsValue {
    to_js(FlowscaleError::at(code, path, message))
}

/// Read a property that glue.js is known to have set.
/// An optional number option: `None` for undefined or null; `"{name} must be
/// a number"` at `path` for anything else that is not a number.
pub(crate) fn optional_number(v: &JsValue, path: &str, name: &str) -> Result<Option<f64>, JsValue> {
    if v.is_undefined() || v.is_null() {
        return Ok(None);
    }
    v.as_f64().map(Some).ok_or_else(|| {
        invalid(
            ErrorCode::InvalidArgument,
            path,
            format!("{name} must be a number"),
        )
    })
}

fn get(obj: &JsValue, key: &str) -> JsValue {
    js_sys::Reflect::get(obj, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

/// Glue results carry `error` (a FlowscaleError) when the shape was wrong; a
/// JS exception while reading the input becomes an error of `code` too.
fn check_glue(
    result: Result<JsValue, JsValue>,
    code: ErrorCode,
    what: &str,
) -> Result<JsValue, JsValue> {
    let result = result.map_err(|e| {
        let why = js_sys::Reflect::get(&e, &JsValue::from_str("message"))
            .ok()
            .and_then(|m| m.as_string())
            .unwrap_or_else(|| "an exception".to_string());
        invalid(code, what, format!("reading {what} threw: {why}"))
    })?;
    let err = get(&result, "error");
    if err.is_undefined() {
        Ok(result)
    } else {
        Err(err)
    }
}

fn f64s(obj: &JsValue, key: &str) -> Vec<f64> {
    get(obj, key).unchecked_into::<Float64Array>().to_vec()
}

fn u8s(obj: &JsValue, key: &str) -> Vec<u8> {
    get(obj, key)
        .unchecked_into::<js_sys::Uint8Array>()
        .to_vec()
}

fn u32s(obj: &JsValue, key: &str) -> Vec<u32> {
    get(obj, key).unchecked_into::<Uint32Array>().to_vec()
}

/// Strings packed by glue.js `pack`: empty, U+0000-prefixed and -joined, or a JSON array.
fn packed(obj: &JsValue, key: &str, n: usize) -> Result<Vec<String>, JsValue> {
    let p = Packed::read(obj, key, n)?;
    Ok(p.strs().into_iter().map(str::to_string).collect())
}

/// Strings packed by glue.js `pack`: one U+0000-joined string (read without
/// a `String` per item) or a JSON array (when an item contains U+0000).
pub(crate) struct Packed {
    text: String,
    list: Option<Vec<String>>,
}

impl Packed {
    fn read(obj: &JsValue, key: &str, n: usize) -> Result<Packed, JsValue> {
        let text = get(obj, key).as_string().unwrap_or_default();
        let list = if text.is_empty() || text.starts_with('\0') {
            None
        } else {
            Some(serde_json::from_str(&text).map_err(|e| {
                invalid(
                    ErrorCode::InvalidWorkflow,
                    "",
                    format!("internal decode of {key}: {e}"),
                )
            })?)
        };
        let p = Packed { text, list };
        let got = p.strs().len();
        if got != n {
            return Err(invalid(
                ErrorCode::InvalidWorkflow,
                "",
                format!("internal: {key} holds {got} of {n} strings"),
            ));
        }
        Ok(p)
    }

    fn strs(&self) -> Vec<&str> {
        match &self.list {
            Some(list) => list.iter().map(String::as_str).collect(),
            None if self.text.is_empty() => Vec::new(),
            None => self.text[1..].split('\0').collect(),
        }
    }
}

fn json<T: DeserializeOwned>(obj: &JsValue, key: &str) -> Result<T, JsValue> {
    let text = get(obj, key).as_string().unwrap_or_default();
    serde_json::from_str(&text).map_err(|e| {
        invalid(
            ErrorCode::InvalidWorkflow,
            "",
            format!("internal decode of {key}: {e}"),
        )
    })
}

fn size(value: f64, src: u8) -> Option<SizeValue> {
    let source = match src {
        1 => SizeSource::Measured,
        2 => SizeSource::Attribute,
        3 => SizeSource::Initial,
        _ => return None,
    };
    Some(SizeValue { value, source })
}

/// Node columns (from glue.js) → inputs for the core. `null`: no nodes.
/// A React Flow `{ nodes, edges }` read across the boundary (glue.js makes
/// columns, Rust decodes them), with the caller's id strings kept as JS arrays.
pub(crate) struct ReadWorkflow {
    pub nodes: Vec<NodeInput>,
    pub edges: Vec<EdgeInput>,
    pub node_ids: Array,
    pub edge_ids: Array,
}

pub(crate) fn read_workflow(workflow: &JsValue) -> Result<ReadWorkflow, JsValue> {
    let cols = check_glue(
        extract_workflow(workflow),
        ErrorCode::InvalidWorkflow,
        "workflow",
    )?;
    let node_cols = get(&cols, "nodes");
    let edge_cols = get(&cols, "edges");
    Ok(ReadWorkflow {
        nodes: decode_nodes(&node_cols)?,
        edges: decode_edges(&edge_cols)?,
        node_ids: get(&node_cols, "ids").unchecked_into(),
        edge_ids: get(&edge_cols, "ids").unchecked_into(),
    })
}

fn decode_nodes(cols: &JsValue) -> Result<Vec<NodeInput>, JsValue> {
    let (mut nodes, ids) = decode_nodes_untyped(cols)?;
    if nodes.is_empty() {
        return Ok(nodes);
    }
    for (n, id) in nodes.iter_mut().zip(ids.strs()) {
        n.id = id.to_string();
    }
    let type_names: Vec<String> = json(cols, "typeNamesJson")?;
    let type_idx = u32s(cols, "typeIdx");
    for (n, &t) in nodes.iter_mut().zip(&type_idx) {
        n.node_type = type_names.get(t as usize).cloned();
    }
    Ok(nodes)
}

/// Node columns (from glue.js) → inputs for the core, without their ids
/// (the `Packed` ids beside them) and types (`typeNamesJson` and `typeIdx`
/// name them). `null`: no nodes.
fn decode_nodes_untyped(cols: &JsValue) -> Result<(Vec<NodeInput>, Packed), JsValue> {
    let flags = if cols.is_null() {
        Vec::new()
    } else {
        u8s(cols, "flags")
    };
    let ids = if cols.is_null() {
        Packed {
            text: String::new(),
            list: None,
        }
    } else {
        Packed::read(cols, "idsPacked", flags.len())?
    };
    if cols.is_null() {
        return Ok((Vec::new(), ids));
    }
    let parents_json = get(cols, "parentsJson").as_string().unwrap_or_default();
    let parents: Vec<Option<String>> = if parents_json.is_empty() {
        Vec::new()
    } else {
        json(cols, "parentsJson")?
    };
    let (x, y, w, h) = (
        f64s(cols, "x"),
        f64s(cols, "y"),
        f64s(cols, "w"),
        f64s(cols, "h"),
    );
    let (w_src, h_src) = (u8s(cols, "wSrc"), u8s(cols, "hSrc"));
    let type_idx = u32s(cols, "typeIdx");
    let handles = u8s(cols, "handles");
    let n = flags.len();
    if [
        x.len(),
        y.len(),
        w.len(),
        h.len(),
        w_src.len(),
        h_src.len(),
        flags.len(),
        type_idx.len(),
    ]
    .iter()
    .any(|&l| l != n)
    {
        return Err(invalid(
            ErrorCode::InvalidWorkflow,
            "nodes",
            "internal: column lengths differ",
        ));
    }
    let mut parents = parents.into_iter();
    let nodes = (0..n)
        .map(|i| NodeInput {
            id: String::new(),
            x: x[i],
            y: y[i],
            width: size(w[i], w_src[i]),
            height: size(h[i], h_src[i]),
            parent_id: parents.next().flatten(),
            hidden: flags[i] & 1 != 0,
            selected: flags[i] & 2 != 0,
            node_type: None,
            handles: Handles::from_bits(handles.get(i).copied().unwrap_or(2)),
        })
        .collect();
    Ok((nodes, ids))
}

fn decode_edges(cols: &JsValue) -> Result<Vec<EdgeInput>, JsValue> {
    let (mut edges, ids) = decode_edges_unnamed(cols)?;
    for (e, id) in edges.iter_mut().zip(ids.strs()) {
        e.id = id.to_string();
    }
    Ok(edges)
}

/// Edge columns (from glue.js) → inputs for the core, without their ids
/// (the `Packed` ids beside them). `null`: no edges.
fn decode_edges_unnamed(cols: &JsValue) -> Result<(Vec<EdgeInput>, Packed), JsValue> {
    if cols.is_null() {
        return Ok((
            Vec::new(),
            Packed {
                text: String::new(),
                list: None,
            },
        ));
    }
    let flags = u8s(cols, "flags");
    let kinds = u8s(cols, "kinds");
    let n = flags.len();
    let ids = Packed::read(cols, "idsPacked", n)?;
    let mut edges: Vec<EdgeInput> = flags
        .into_iter()
        .enumerate()
        .map(|(k, f)| EdgeInput {
            hidden: f & 1 != 0,
            selected: f & 2 != 0,
            kind: EdgeKind::from_bits(kinds.get(k).copied().unwrap_or(0)),
            ..Default::default()
        })
        .collect();
    let ends = get(cols, "ends");
    if ends.is_undefined() {
        // Ends by id (change items: resolved against the current workflow).
        let sources = packed(cols, "sourcesPacked", n)?;
        let targets = packed(cols, "targetsPacked", n)?;
        for ((e, s), t) in edges.iter_mut().zip(sources).zip(targets) {
            e.source = s;
            e.target = t;
        }
    } else {
        // Ends resolved in JS against the nodes given with them; the ids of
        // ends that name no node come along for the error message.
        let ends = u32s(cols, "ends");
        if ends.len() != 2 * n {
            return Err(invalid(
                ErrorCode::InvalidWorkflow,
                "edges",
                "internal: column lengths differ",
            ));
        }
        for (k, e) in edges.iter_mut().enumerate() {
            e.ends = Some((ends[2 * k], ends[2 * k + 1]));
        }
        let dangling: Vec<(usize, String, String)> = json(cols, "danglingJson")?;
        for (k, s, t) in dangling {
            if let Some(e) = edges.get_mut(k) {
                e.source = s;
                e.target = t;
            }
        }
    }
    Ok((edges, ids))
}

/// A JS config object (partial, or undefined) → a validated `Config`.
pub(crate) fn config_from_js(value: &JsValue) -> Result<Config, JsValue> {
    if value.is_undefined() || value.is_null() {
        return Ok(Config::default());
    }
    Config::from_json(&config_text(value)?).map_err(to_js)
}

/// A config as JSON text: the config is small, and serde_json sees every key
/// (so unknown ones are rejected), which walking the object would not.
fn config_text(value: &JsValue) -> Result<String, JsValue> {
    js_sys::JSON::stringify(value)
        .ok()
        .and_then(|t| t.as_string())
        .ok_or_else(|| {
            invalid(
                ErrorCode::InvalidConfig,
                "",
                "config must be a plain JSON-like object",
            )
        })
}

pub(crate) fn config_to_js(cfg: &Config) -> Result<JsValue, JsValue> {
    let text = serde_json::to_string(cfg)
        .map_err(|e| invalid(ErrorCode::InvalidConfig, "", e.to_string()))?;
    js_sys::JSON::parse(&text)
        .map_err(|_| invalid(ErrorCode::InvalidConfig, "", "internal: config encoding"))
}

fn busy() -> JsValue {
    invalid(
        ErrorCode::InvalidWorkflow,
        "optimizer",
        "the optimizer is busy (re-entrant call)",
    )
}

/// Fields `readView` in glue.js checks, in its order.
const VIEW_FIELDS: [&str; 7] = [
    "viewport",
    "size",
    "viewport.x",
    "viewport.y",
    "viewport.zoom",
    "size.width",
    "size.height",
];

/// Configuration helpers: `Config.defaults()`, `Config.resolve(partial)`, `Config.fromEnv(env)`.
#[wasm_bindgen(js_name = Config)]
pub struct JsConfig;

#[wasm_bindgen(js_class = Config)]
impl JsConfig {
    /// The full default configuration.
    #[wasm_bindgen(unchecked_return_type = "FlowscaleConfig")]
    pub fn defaults() -> Result<JsValue, JsValue> {
        init_once();
        config_to_js(&Config::default())
    }

    /// A partial configuration completed with defaults and validated.
    #[wasm_bindgen(unchecked_return_type = "FlowscaleConfig")]
    pub fn resolve(
        #[wasm_bindgen(unchecked_param_type = "PartialConfig")] partial: JsValue,
    ) -> Result<JsValue, JsValue> {
        init_once();
        config_to_js(&config_from_js(&partial)?)
    }

    /// A configuration from environment variables (`process.env` or a plain
    /// object of strings), by the names in the configuration table of docs/reference.md.
    #[wasm_bindgen(js_name = fromEnv, unchecked_return_type = "FlowscaleConfig")]
    pub fn from_env(
        #[wasm_bindgen(unchecked_param_type = "Record<string, string | undefined>")] env: JsValue,
    ) -> Result<JsValue, JsValue> {
        init_once();
        // Through JSON text, which also catches throwing getters; values that
        // are not strings (undefined, numbers) are ignored.
        let text = if env.is_object() {
            js_sys::JSON::stringify(&env)
                .ok()
                .and_then(|t| t.as_string())
        } else {
            None
        };
        let map: serde_json::Map<String, serde_json::Value> = text
            .and_then(|t| serde_json::from_str(&t).ok())
            .ok_or_else(|| {
                invalid(
                    ErrorCode::InvalidConfig,
                    "env",
                    "expected an object of strings",
                )
            })?;
        let vars: Vec<(String, String)> = map
            .into_iter()
            .filter_map(|(k, v)| v.as_str().map(|v| (k, v.to_string())))
            .collect();
        let cfg =
            Config::from_env(vars.iter().map(|(k, v)| (k.as_str(), v.as_str()))).map_err(to_js)?;
        config_to_js(&cfg)
    }
}

/// The per-frame core: culling, level of detail and the mounted window.
/// The caller's id strings by slot, so frames name nodes and edges without
/// decoding text. Shared with the closure that answers `frame.inView` & co.
#[derive(Default)]
pub(crate) struct Names {
    pub nodes: Array,
    pub edges: Array,
}

type DetailFn = Closure<dyn FnMut(f64) -> Result<JsValue, JsValue>>;

/// The per-frame core: culling, level of detail and the mounted window.
#[wasm_bindgen(js_name = WorkflowOptimizer)]
pub struct JsWorkflowOptimizer {
    /// Shared with renderers drawing this optimizer's frames.
    core: Rc<RefCell<WorkflowOptimizer>>,
    names: Rc<RefCell<Names>>,
    /// Where `makeFrame` finds the frame's buffers (see glue.js).
    header: Box<FrameHeader>,
    /// Where `readView` writes viewport and size.
    view: Box<[f64; 5]>,
    /// Buffers of `clusters()`, reused from call to call.
    clusters_out: crate::cluster::zoom::ClusterFrame,
    /// Answers a frame's on-demand lists (`frame.inView` calls it with the frame's seq).
    detail: DetailFn,
    /// A load in progress (`setWorkflowAsync`), and the token of the latest.
    load: Option<(u32, LoadJob)>,
    load_token: u32,
}

/// The complete lists of the latest frame as a JS object, if it is frame `seq`.
fn detail_js(
    core: &RefCell<WorkflowOptimizer>,
    names: &RefCell<Names>,
    seq: Option<f64>,
) -> Result<JsValue, JsValue> {
    let mut core = core.try_borrow_mut().map_err(|_| busy())?;
    if seq.is_some_and(|s| s != core.last_frame().seq as f64) {
        return Err(to_js(FlowscaleError::new(
            ErrorCode::StaleFrame,
            "a newer frame was computed since: read inView, lod and visibleEdgeIds before the next frame()",
        )));
    }
    let d = core.frame_detail().map_err(to_js)?;
    let names = names.try_borrow().map_err(|_| busy())?;
    Ok(detail_to_js(d, &names.edges))
}

fn detail_to_js(d: &FrameDetail, edge_ids: &Array) -> JsValue {
    let header = DetailHeader {
        in_view: ptr(&d.in_view),
        in_view_len: d.in_view.len() as u32,
        lod: ptr(&d.lod),
        edges: ptr(&d.edges),
        edges_len: d.edges.len() as u32,
    };
    make_detail(edge_ids, &header as *const DetailHeader as u32)
}

#[wasm_bindgen(js_class = WorkflowOptimizer)]
impl JsWorkflowOptimizer {
    /// `new WorkflowOptimizer(config?)` with a partial `Config`.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "PartialConfig | undefined")] config: JsValue,
    ) -> Result<JsWorkflowOptimizer, JsValue> {
        init_once();
        let cfg = config_from_js(&config)?;
        let core = Rc::new(RefCell::new(WorkflowOptimizer::new(cfg).map_err(to_js)?));
        let names = Rc::new(RefCell::new(Names::default()));
        let (c, n) = (core.clone(), names.clone());
        let detail: DetailFn = Closure::new(move |seq: f64| detail_js(&c, &n, Some(seq)));
        Ok(JsWorkflowOptimizer {
            core,
            names,
            header: Box::default(),
            view: Box::new([0.0; 5]),
            clusters_out: Default::default(),
            detail,
            load: None,
            load_token: 0,
        })
    }

    /// Replace the workflow with `{ nodes, edges }` (React Flow shapes). On
    /// error the previous workflow stays.
    #[wasm_bindgen(js_name = setWorkflow)]
    pub fn set_workflow(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "Workflow | WorkflowColumns")] workflow: JsValue,
    ) -> Result<(), JsValue> {
        let cols = check_glue(
            extract_workflow(&workflow),
            ErrorCode::InvalidWorkflow,
            "workflow",
        )?;
        let (node_cols, edge_cols) = (get(&cols, "nodes"), get(&cols, "edges"));
        // The load's own path, at once: ids as one string each, types by index.
        let (nodes, ids) = decode_nodes_untyped(&node_cols)?;
        let (type_names, type_idx): (Vec<String>, Vec<u32>) = if nodes.is_empty() {
            (Vec::new(), Vec::new())
        } else {
            (
                json(&node_cols, "typeNamesJson")?,
                u32s(&node_cols, "typeIdx"),
            )
        };
        let (edges, edge_ids) = decode_edges_unnamed(&edge_cols)?;
        let mut core = self.core()?;
        let mut job = LoadJob::new(nodes.len(), edges.len(), core.config()).map_err(to_js)?;
        job.push_node_rows(nodes, &ids.strs(), &type_names, &type_idx)
            .map_err(to_js)?;
        job.push_edge_rows(edges, &edge_ids.strs()).map_err(to_js)?;
        while !job.step(usize::MAX).map_err(to_js)? {}
        core.install(job.finish().map_err(to_js)?);
        let mut names = self.names.try_borrow_mut().map_err(|_| busy())?;
        let list = |c: &JsValue| {
            if c.is_null() || c.is_undefined() {
                Array::new()
            } else {
                get(c, "ids").unchecked_into()
            }
        };
        names.nodes = list(&node_cols);
        names.edges = list(&edge_cols);
        Ok(())
    }

    /// Start a load of `nodes` nodes and `edges` edges (glue.js
    /// `setWorkflowAsync`); a load already in progress is abandoned.
    #[wasm_bindgen(js_name = _loadBegin, skip_typescript)]
    pub fn load_begin(&mut self, nodes: u32, edges: u32) -> Result<u32, JsValue> {
        let job = {
            let core = self.core()?;
            LoadJob::new(nodes as usize, edges as usize, core.config()).map_err(to_js)?
        };
        self.load_token = self.load_token.wrapping_add(1);
        self.load = Some((self.load_token, job));
        Ok(self.load_token)
    }

    fn job(&mut self, token: u32) -> Result<&mut LoadJob, JsValue> {
        match &mut self.load {
            Some((t, job)) if *t == token => Ok(job),
            _ => Err(to_js(FlowscaleError::new(
                ErrorCode::Aborted,
                "the load was aborted by a newer one; the previous workflow is unchanged",
            ))),
        }
    }

    #[wasm_bindgen(js_name = _loadNodes, skip_typescript)]
    pub fn load_nodes(&mut self, token: u32, cols: JsValue) -> Result<(), JsValue> {
        // Types by index (each name interned once per slice), ids as one string.
        let (nodes, ids) = decode_nodes_untyped(&cols)?;
        let names: Vec<String> = json(&cols, "typeNamesJson")?;
        let idx = u32s(&cols, "typeIdx");
        let r = self
            .job(token)?
            .push_node_rows(nodes, &ids.strs(), &names, &idx)
            .map_err(to_js);
        self.drop_load_on_error(r)
    }

    #[wasm_bindgen(js_name = _loadEdges, skip_typescript)]
    pub fn load_edges(&mut self, token: u32, cols: JsValue) -> Result<(), JsValue> {
        let (edges, ids) = decode_edges_unnamed(&cols)?;
        let r = self
            .job(token)?
            .push_edge_rows(edges, &ids.strs())
            .map_err(to_js);
        self.drop_load_on_error(r)
    }

    /// Index for about `ms` milliseconds (small steps until the clock says
    /// so: work per item differs too much between phases to size one step
    /// ahead); returns the progress, 1 when done.
    #[wasm_bindgen(js_name = _loadStep, skip_typescript)]
    pub fn load_step(&mut self, token: u32, ms: f64) -> Result<f64, JsValue> {
        let started = now();
        let job = self.job(token)?;
        let r = loop {
            match job.step(4096) {
                Ok(false) if now() - started < ms => continue,
                other => break other.map_err(to_js),
            }
        };
        let p = job.progress();
        let done = self.drop_load_on_error(r)?;
        Ok(if done { 1.0 } else { p.min(0.999) })
    }

    /// Swap the loaded workflow in, with the caller's id strings.
    #[wasm_bindgen(js_name = _loadCommit, skip_typescript)]
    pub fn load_commit(
        &mut self,
        token: u32,
        node_ids: Array,
        edge_ids: Array,
    ) -> Result<(), JsValue> {
        self.job(token)?;
        let Some((_, job)) = self.load.take() else {
            return Err(invalid(ErrorCode::Aborted, "", "no load in progress"));
        };
        let loaded = job.finish().map_err(to_js)?;
        self.core()?.install(loaded);
        let mut names = self.names.try_borrow_mut().map_err(|_| busy())?;
        names.nodes = node_ids;
        names.edges = edge_ids;
        Ok(())
    }

    /// Abandon the load (if it is still the latest).
    #[wasm_bindgen(js_name = _loadCancel, skip_typescript)]
    pub fn load_cancel(&mut self, token: u32) {
        if self.load.as_ref().is_some_and(|(t, _)| *t == token) {
            self.load = None;
        }
    }

    fn drop_load_on_error<T>(&mut self, r: Result<T, JsValue>) -> Result<T, JsValue> {
        if r.is_err() {
            self.load = None;
        }
        r
    }

    /// Apply React Flow `NodeChange[]` (position, dimensions, select, remove,
    /// add, replace), all or nothing.
    #[wasm_bindgen(js_name = applyNodeChanges)]
    pub fn apply_node_changes(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "NodeChange[]")] changes: JsValue,
    ) -> Result<(), JsValue> {
        let cols = check_glue(
            extract_node_changes(&changes),
            ErrorCode::InvalidWorkflow,
            "changes",
        )?;
        let kinds = u8s(&cols, "kinds");
        let bits = u8s(&cols, "bits");
        let nums = f64s(&cols, "nums");
        let ids: Vec<Option<String>> = json(&cols, "idsJson")?;
        let mut items = decode_nodes(&get(&cols, "items"))?.into_iter();
        let mut out = Vec::with_capacity(kinds.len());
        let mut ids = ids.into_iter();
        for (i, &kind) in kinds.iter().enumerate() {
            let id = ids.next().flatten().unwrap_or_default();
            let b = bits.get(i).copied().unwrap_or(0);
            let pair = (
                nums.get(2 * i).copied().unwrap_or(0.0),
                nums.get(2 * i + 1).copied().unwrap_or(0.0),
            );
            let change = match kind {
                0 => NodeChange::Position {
                    id,
                    position: (b & 1 != 0).then_some(pair),
                    dragging: (b & 2 != 0).then_some(b & 4 != 0),
                },
                1 => NodeChange::Dimensions {
                    id,
                    dimensions: (b & 1 != 0).then_some(pair),
                },
                2 => NodeChange::Select {
                    id,
                    selected: b & 8 != 0,
                },
                3 => NodeChange::Remove { id },
                4 | 5 => {
                    let Some(item) = items.next() else {
                        return Err(invalid(
                            ErrorCode::InvalidWorkflow,
                            "changes",
                            "internal: missing item",
                        ));
                    };
                    if kind == 4 {
                        NodeChange::Add { item }
                    } else {
                        NodeChange::Replace { id, item }
                    }
                }
                _ => {
                    return Err(invalid(
                        ErrorCode::InvalidWorkflow,
                        "changes",
                        "internal: unknown kind",
                    ))
                }
            };
            out.push(change);
        }
        let structural: Vec<String> = out
            .iter()
            .filter_map(|c| match c {
                NodeChange::Add { item } => Some(item.id.clone()),
                NodeChange::Remove { id } => Some(id.clone()),
                _ => None,
            })
            .collect();
        let slots_before: Vec<Option<u32>> =
            structural.iter().map(|id| self.index_of_str(id)).collect();
        self.core()?.apply_node_changes(out).map_err(to_js)?;
        // Mirror slot ↔ id in the JS id table for slots that were freed or filled.
        for (id, before) in structural.iter().zip(slots_before) {
            if let Some(s) = before {
                self.sync_id(s);
            }
            if let Some(s) = self.index_of_str(id) {
                self.sync_id(s);
            }
        }
        Ok(())
    }

    fn sync_id(&self, slot: u32) {
        let v = self
            .id_of(slot)
            .map_or(JsValue::UNDEFINED, |id| JsValue::from_str(&id));
        if let Ok(names) = self.names.try_borrow() {
            names.nodes.set(slot, v);
        }
    }

    /// The core, or an error if it is in use (a call from inside a call).
    fn core(&self) -> Result<std::cell::RefMut<'_, WorkflowOptimizer>, JsValue> {
        self.core.try_borrow_mut().map_err(|_| {
            invalid(
                ErrorCode::InvalidWorkflow,
                "optimizer",
                "the optimizer is busy (re-entrant call)",
            )
        })
    }

    /// Viewport and pane size from JS, read in one call into wasm memory.
    fn read_view(
        &mut self,
        viewport: &JsValue,
        size: &JsValue,
    ) -> Result<(Viewport, Screen), JsValue> {
        let bad = read_view(viewport, size, self.view.as_ptr() as u32).map_err(|_| {
            invalid(
                ErrorCode::InvalidViewport,
                "viewport",
                "reading the viewport threw",
            )
        })?;
        if bad != 0 {
            return Err(invalid(
                ErrorCode::InvalidViewport,
                VIEW_FIELDS
                    .get(bad as usize - 1)
                    .copied()
                    .unwrap_or("viewport"),
                "expected a number here (viewport {x, y, zoom}, size {width, height})",
            ));
        }
        let [x, y, zoom, width, height] = *self.view;
        Ok((Viewport { x, y, zoom }, Screen { width, height }))
    }

    fn index_of_str(&self, id: &str) -> Option<u32> {
        self.core.try_borrow().ok()?.index_of(id)
    }

    /// For renderers: the same optimizer, shared.
    pub(crate) fn shared(&self) -> Rc<RefCell<WorkflowOptimizer>> {
        self.core.clone()
    }

    /// Apply React Flow `EdgeChange[]` (add, remove, replace, select), all or nothing.
    #[wasm_bindgen(js_name = applyEdgeChanges)]
    pub fn apply_edge_changes(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "EdgeChange[]")] changes: JsValue,
    ) -> Result<(), JsValue> {
        let cols = check_glue(
            extract_edge_changes(&changes),
            ErrorCode::InvalidWorkflow,
            "changes",
        )?;
        let kinds = u8s(&cols, "kinds");
        let bits = u8s(&cols, "bits");
        let ids: Vec<Option<String>> = json(&cols, "idsJson")?;
        let mut items = decode_edges(&get(&cols, "items"))?.into_iter();
        let mut out = Vec::with_capacity(kinds.len());
        let mut touched = Vec::new();
        for (i, (&kind, id)) in kinds.iter().zip(ids).enumerate() {
            let id = id.unwrap_or_default();
            let change = match kind {
                0 | 2 => {
                    let Some(item) = items.next() else {
                        return Err(invalid(
                            ErrorCode::InvalidWorkflow,
                            "changes",
                            "internal: missing item",
                        ));
                    };
                    touched.push(item.id.clone());
                    if kind == 0 {
                        EdgeChange::Add { item }
                    } else {
                        EdgeChange::Replace { id, item }
                    }
                }
                1 => {
                    touched.push(id.clone());
                    EdgeChange::Remove { id }
                }
                3 => EdgeChange::Select {
                    id,
                    selected: bits.get(i).is_some_and(|b| b & 1 != 0),
                },
                _ => {
                    return Err(invalid(
                        ErrorCode::InvalidWorkflow,
                        "changes",
                        "internal: unknown kind",
                    ))
                }
            };
            out.push(change);
        }
        let mut core = self.core()?;
        let before: Vec<Option<u32>> = touched
            .iter()
            .map(|id| core.workflow().edge_index_of(id))
            .collect();
        core.apply_edge_changes(out).map_err(to_js)?;
        let wf = core.workflow();
        let names = self.names.try_borrow().map_err(|_| busy())?;
        for (id, b) in touched.iter().zip(before) {
            for e in [b, wf.edge_index_of(id)].into_iter().flatten() {
                let v = wf.edge_id(e).map_or(JsValue::UNDEFINED, JsValue::from_str);
                names.edges.set(e, v);
            }
        }
        Ok(())
    }

    /// Set the `position` (parent-relative, as React Flow's) of nodes by index:
    /// `xy` holds x0, y0, x1, y1, … All or nothing.
    #[wasm_bindgen(js_name = updatePositions)]
    pub fn update_positions(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "Uint32Array")] indices: JsValue,
        #[wasm_bindgen(unchecked_param_type = "Float32Array")] xy: JsValue,
    ) -> Result<(), JsValue> {
        let Some(indices) = indices.dyn_ref::<Uint32Array>() else {
            return Err(invalid(
                ErrorCode::InvalidWorkflow,
                "indices",
                "expected a Uint32Array",
            ));
        };
        let Some(xy) = xy.dyn_ref::<js_sys::Float32Array>() else {
            return Err(invalid(
                ErrorCode::InvalidWorkflow,
                "xy",
                "expected a Float32Array",
            ));
        };
        self.core()?
            .update_positions(&indices.to_vec(), &xy.to_vec())
            .map_err(to_js)
    }

    /// Cull, choose levels of detail and update the mounted window for the
    /// React Flow `viewport` and the pane `size` (`{ width, height }`).
    #[wasm_bindgen(unchecked_return_type = "Frame")]
    pub fn frame(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "Viewport")] viewport: JsValue,
        #[wasm_bindgen(unchecked_param_type = "PaneSize")] size: JsValue,
    ) -> Result<JsValue, JsValue> {
        let started = now();
        let (vp, screen) = self.read_view(&viewport, &size)?;
        // Borrow the field alone: the header below is written while the frame is borrowed.
        let mut core = self.core.try_borrow_mut().map_err(|_| busy())?;
        let f = core.frame(vp, screen).map_err(to_js)?;
        let names = self.names.try_borrow().map_err(|_| busy())?;
        Ok(frame_to_js(
            f,
            &mut self.header,
            (&names.nodes, &names.edges),
            started,
            Lists::Later(self.detail.as_ref()),
        ))
    }

    /// The latest frame's complete lists — `inView`, `lod`, `visibleEdgeIds` —
    /// as `frame.inView` & co. compute them on first read. Throws STALE_FRAME
    /// after an edit.
    #[wasm_bindgen(js_name = frameDetail, unchecked_return_type = "FrameDetail")]
    pub fn frame_detail(&self) -> Result<JsValue, JsValue> {
        detail_js(&self.core, &self.names, None)
    }

    /// The id of the node at `index`, or undefined.
    #[wasm_bindgen(js_name = idOf)]
    pub fn id_of(&self, index: u32) -> Option<String> {
        self.core
            .try_borrow()
            .ok()?
            .id_of(index)
            .map(str::to_string)
    }

    /// The index of the node with `id`, or undefined.
    #[wasm_bindgen(js_name = indexOf)]
    pub fn index_of(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue,
    ) -> Option<u32> {
        id.as_string().and_then(|s| self.index_of_str(&s))
    }

    /// The index of the edge with `id`, or undefined.
    #[wasm_bindgen(js_name = edgeIndexOf)]
    pub fn edge_index_of(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue,
    ) -> Option<u32> {
        let id = id.as_string()?;
        self.core.try_borrow().ok()?.workflow().edge_index_of(&id)
    }

    /// The ids of the edges with an end at the node `id`, each once (a
    /// self-loop too): O(its degree), where a scan of the edges is O(all of
    /// them). Empty for an id not in the workflow, as `indexOf` is undefined.
    #[wasm_bindgen(js_name = edgesOf, unchecked_return_type = "string[]")]
    pub fn edges_of(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue,
    ) -> Result<JsValue, JsValue> {
        let core = self.core.try_borrow().map_err(|_| busy())?;
        let wf = core.workflow();
        let slots: Vec<u32> = match id.as_string().and_then(|s| core.index_of(&s)) {
            Some(i) => wf.incident_edges(i).filter(|&e| wf.edge_alive(e)).collect(),
            None => Vec::new(),
        };
        // The caller's own id strings, by slot (as nodesInRect gives node ids).
        let names = self.names.try_borrow().map_err(|_| busy())?;
        Ok(optimize::ids_of(
            &names.edges,
            &Uint32Array::from(&slots[..]),
        ))
    }

    #[wasm_bindgen(getter, js_name = nodeCount)]
    pub fn node_count(&self) -> u32 {
        self.core
            .try_borrow()
            .map_or(0, |c| c.workflow().node_count() as u32)
    }

    #[wasm_bindgen(getter, js_name = edgeCount)]
    pub fn edge_count(&self) -> u32 {
        self.core
            .try_borrow()
            .map_or(0, |c| c.workflow().edge_count() as u32)
    }

    /// Every node (absolute rectangle, parent, flags) and edge (ends, hidden)
    /// as stored, in slot order. Allocates in proportion to the workflow: for
    /// tests and diagnostics (a rejected call must leave it unchanged), not
    /// per frame.
    #[wasm_bindgen(unchecked_return_type = "WorkflowSnapshot")]
    pub fn snapshot(&self) -> Result<JsValue, JsValue> {
        let snap = self
            .core
            .try_borrow()
            .map_err(|_| busy())?
            .workflow()
            .snapshot();
        // Through JSON text, which keeps every f64 exactly (shortest round trip, -0 included).
        monitor::to_plain(&snap)
    }

    /// The resolved configuration.
    #[wasm_bindgen(unchecked_return_type = "FlowscaleConfig")]
    pub fn config(&self) -> Result<JsValue, JsValue> {
        config_to_js(self.core()?.config())
    }

    /// Lay a partial config over the current one and apply it to the loaded
    /// workflow without re-indexing it (rendering, LOD, window, clusters,
    /// edges take effect on the next frame). Returns the resolved config. On
    /// error (INVALID_CONFIG with the key's path, LIMIT_EXCEEDED) nothing
    /// changes.
    #[wasm_bindgen(js_name = setConfig, unchecked_return_type = "FlowscaleConfig")]
    pub fn set_config(
        &self,
        #[wasm_bindgen(unchecked_param_type = "PartialConfig")] partial: JsValue,
    ) -> Result<JsValue, JsValue> {
        let text = config_text(&partial)?;
        let mut core = self.core()?;
        let cfg = core.config().merged(&text).map_err(to_js)?;
        // A load in progress fixed its limits and default sizes when it started.
        if self.load.is_some() && cfg.workflow != core.config().workflow {
            return Err(invalid(
                ErrorCode::InvalidConfig,
                "workflow",
                "a setWorkflowAsync load is in progress: change the workflow section after it ends",
            ));
        }
        core.set_config(cfg).map_err(to_js)?;
        config_to_js(core.config())
    }

    /// The bounding box of every node that is not hidden, children at their
    /// absolute positions (React Flow's `getNodesBounds` over them), or null
    /// when there is none. For `fitView` when React Flow mounts only a window.
    #[wasm_bindgen(unchecked_return_type = "Rect | null")]
    pub fn bounds(&self) -> Result<JsValue, JsValue> {
        let Some(r) = self.core()?.bounds() else {
            return Ok(JsValue::NULL);
        };
        let o: JsValue = js_sys::Object::new().into();
        for (key, v) in [
            ("x", r.x),
            ("y", r.y),
            ("width", r.width),
            ("height", r.height),
        ] {
            optimize::set(&o, key, &JsValue::from_f64(v));
        }
        Ok(o)
    }

    /// Ids of the nodes that are not hidden inside `rect` (flow coordinates),
    /// as React Flow's `getNodesInside(nodes, rect, [0, 0, 1], partially)`
    /// selects them: fully inside (`partially` false, the default: React
    /// Flow's `SelectionMode.Full`) or overlapping with positive area. For a
    /// selection box when React Flow mounts only a window.
    #[wasm_bindgen(js_name = nodesInRect, unchecked_return_type = "string[]")]
    pub fn nodes_in_rect(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Rect")] rect: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "boolean")] partially: Option<JsValue>,
    ) -> Result<JsValue, JsValue> {
        let rect = read_rect(&rect)?;
        let partially = match partially {
            None => false,
            Some(p) if p.is_undefined() || p.is_null() => false,
            Some(p) => p.as_bool().ok_or_else(|| {
                invalid(
                    ErrorCode::InvalidArgument,
                    "partially",
                    "expected a boolean",
                )
            })?,
        };
        let mut core = self.core()?;
        let slots = core.nodes_in_rect(rect, partially).map_err(to_js)?;
        let names = self.names.try_borrow().map_err(|_| busy())?;
        Ok(optimize::ids_of(&names.nodes, &Uint32Array::from(slots)))
    }
}

/// `{ x, y, width, height }` as numbers (finite and not negative is the
/// core's check); INVALID_ARGUMENT at the field that is missing or not a number.
fn read_rect(v: &JsValue) -> Result<Rect, JsValue> {
    if !v.is_object() {
        return Err(invalid(
            ErrorCode::InvalidArgument,
            "rect",
            "expected an object { x, y, width, height }",
        ));
    }
    let mut out = [0.0; 4];
    for (slot, key) in out.iter_mut().zip(["x", "y", "width", "height"]) {
        let path = format!("rect.{key}");
        let value = js_sys::Reflect::get(v, &JsValue::from_str(key))
            .map_err(|_| invalid(ErrorCode::InvalidArgument, &path, "reading it threw"))?;
        *slot = value
            .as_f64()
            .ok_or_else(|| invalid(ErrorCode::InvalidArgument, &path, "expected a number"))?;
    }
    let [x, y, width, height] = out;
    Ok(Rect {
        x,
        y,
        width,
        height,
    })
}

/// How a frame object gets its complete lists: on first read through the
/// optimizer's detail function, or now (a one-shot optimizer about to go).
pub(crate) enum Lists<'a> {
    Later(&'a JsValue),
    Now(&'a FrameDetail, &'a Array),
}

/// A frame as the JS object glue.js `makeFrame` assembles from a header of
/// pointers and lengths into wasm memory (`header` must outlive the call),
/// plus the zoom-level clusters when they are active.
pub(crate) fn frame_to_js(
    f: &Frame,
    header: &mut FrameHeader,
    (ids, edge_ids): (&Array, &Array),
    started: f64,
    lists: Lists,
) -> JsValue {
    let stats = &f.stats;
    *header = FrameHeader {
        visible: ptr(&f.visible),
        visible_len: f.visible.len() as u32,
        visible_lod: ptr(&f.visible_lod),
        entered: ptr(&f.entered),
        entered_len: f.entered.len() as u32,
        left: ptr(&f.left),
        left_len: f.left.len() as u32,
        window_edges: ptr(&f.window_edges),
        window_edges_len: f.window_edges.len() as u32,
        total: stats.total,
        in_view: stats.in_view,
        culled: stats.culled,
        high: stats.lod_counts[0],
        medium: stats.lod_counts[1],
        low: stats.lod_counts[2],
        complete: f.complete as u32,
        culled_percent: stats.culled_percent,
    };
    let gone = if f.left_ids.is_empty() {
        String::new()
    } else {
        serde_json::to_string(&f.left_ids).unwrap_or_default()
    };
    let detail = match &lists {
        Lists::Later(detail) => (*detail).clone(),
        Lists::Now(..) => JsValue::NULL,
    };
    let h = header as *const FrameHeader as u32;
    let frame = make_frame(ids, edge_ids, h, f.seq as f64, started, &gone, &detail);
    if let Lists::Now(d, edge_ids) = lists {
        let lists = detail_to_js(d, edge_ids);
        for key in ["inView", "lod", "visibleEdgeIds"] {
            optimize::set(&frame, key, &get(&lists, key));
        }
    }
    if f.clusters.active {
        optimize::set(&frame, "clusters", &optimize::clusters_to_js(&f.clusters));
    }
    frame
}
