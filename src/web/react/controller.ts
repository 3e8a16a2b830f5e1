// FlowscaleController: the user's React Flow arrays inside flowscale, without
// React. It owns a WorkflowOptimizer (created on first use, freed by
// destroy(); a later use creates a fresh one) and follows the user's arrays by
// object identity: each sync() costs a pointer comparison per node plus one
// optimizer change per changed node, or a fresh index when most of the
// workflow changed. Viewport and pane changes run one frame() each; the
// controller publishes what React mounts (the user's own objects for the
// frame's ids), each mounted node's level of detail, the frame statistics and
// the GPU layer's state, and hands each frame to the Renderer when one is
// attached. Bad input is reported through onError, never thrown: the
// optimizer keeps the last good state and the next sync diffs from it. After a
// wasm trap (onTrap) the optimizer is rebuilt from the user's arrays, which
// are the truth, and the GPU layer makes a renderer for it. Driven from an
// app's own document instead (setDocument), it follows the app's calls, not
// arrays: loadDocument and the change lists throw their errors to the caller,
// and after a trap it stops drawing (`trapped`) until the app, which has the
// document, makes a new one.
import {
  applyEdgeChanges,
  applyNodeChanges,
  type Edge,
  type EdgeChange,
  type Node,
  type NodeChange,
  type NodeOrigin,
  type OnBeforeDelete,
  type OnDelete,
  type OnEdgesDelete,
  type OnNodesDelete,
  type Viewport,
} from '@xyflow/react';
import {
  FlowscaleError,
  WorkflowOptimizer,
  onTrap,
  type ClusterExpansion,
  type Clusters,
  type EdgeChange as FlowscaleEdgeChange,
  type FlowEdge,
  type FlowNode,
  type Frame,
  type FrameStats,
  type NodeChange as FlowscaleNodeChange,
  type PartialConfig,
  type Renderer,
  type WorkflowColumns,
  Config,
} from 'flowscale';
import { devicePixelRatioNow } from './dpr.js';
import { diffById, diffSize, parentsFirst } from './sync.js';

/** Workflows above this many nodes are indexed in slices (setWorkflowAsync), the first STAGE nodes at once. */
export const ASYNC_ABOVE = 20_000;
/** Nodes indexed at once before the rest of a big workflow's first load: enough to cover the first view of most workflows. */
export const STAGE = 10_000;

/** A node component's level of detail: 'full' (controls) or 'label' (label only). Low detail is not mounted: the GPU draws it. */
export type Detail = 'full' | 'label';

/** The GPU layer: starting, drawing (with its backend), or off (DOM only) with the reason. */
export type GpuState = { status: 'starting' } | { status: 'on'; backend: string } | { status: 'off'; reason: string };

/** A rectangle in flow coordinates. */
export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface XYPoint {
  x: number;
  y: number;
}

/** What React mounts: the user's own node and edge objects. */
export interface MountedWindow<N extends Node = Node, E extends Edge = Edge> {
  nodes: N[];
  edges: E[];
}

/** A zoom-level cluster drawn at a point (`clusterAt`). */
export interface ClusterInfo {
  id: number;
  /** Nodes it stands for. */
  count: number;
  /** Its most common node types, most common first. */
  types: string[];
  /** The glyph drawn for it (what `clusterAt` hit-tests; glyphs never overlap). */
  rect: Rect;
  /** The union of its members' rectangles (what to zoom to; may overlap other clusters'). */
  bounds: Rect;
}

export interface ControllerOptions<N extends Node = Node, E extends Edge = Edge> {
  /** Where the controller's own changes go (whole-workflow selection and deletion): the user's handlers. */
  onNodesChange?: (changes: NodeChange<N>[]) => void;
  onEdgesChange?: (changes: EdgeChange<E>[]) => void;
  /** The optimizer's configuration at the start (a later one through setConfig, which useFlowscale calls when its `config` changes). */
  config?: PartialConfig;
  /** Bad input (a FlowscaleError from the optimizer): reported once per rejected version of the arrays. */
  onError?: (error: FlowscaleError) => void;
  /** Share of a big workflow indexed, 0–1, while it loads in slices. */
  onProgress?: (fraction: number) => void;
}

export interface SelectionChanges<N extends Node, E extends Edge> {
  nodes: NodeChange<N>[];
  edges: EdgeChange<E>[];
}

/** React Flow's deletion callbacks (the props of the same names on <ReactFlow>). */
export interface DeleteCallbacks<N extends Node = Node, E extends Edge = Edge> {
  onBeforeDelete?: OnBeforeDelete<N, E>;
  onNodesDelete?: OnNodesDelete<N>;
  onEdgesDelete?: OnEdgesDelete<E>;
  onDelete?: OnDelete<N, E>;
}

/** What a deletion removed (as React Flow's deleteElements answers). */
export interface Deleted<N extends Node = Node, E extends Edge = Edge> {
  deletedNodes: N[];
  deletedEdges: E[];
}

/**
 * A document the caller keeps and edits itself (`setDocument`): the controller finds its objects by id, and never
 * copies the arrays nor builds an id table of them (a million-node document costs nothing more).
 */
export interface DocumentLookup<N extends Node = Node, E extends Edge = Edge> {
  node(id: string): N | undefined;
  edge(id: string): E | undefined;
  /**
   * The document's arrays as they are now, for what reads the whole workflow (getNodes and getEdges, the minimap of
   * a small workflow, the selection and deletion actions); the arrays last given to loadDocument when absent.
   */
  nodes?(): N[];
  edges?(): E[];
  /** What React mounts of the window's edges (e.g. parallel edges merged into one); the window's edges as they are when absent. */
  mountEdges?(edges: E[]): E[];
}

/** How `loadDocument` indexes a big document. */
export interface StagedLoadOptions {
  /** The same workflow as columns, when the caller has them: indexed without a walk over the objects. */
  columns?: WorkflowColumns | null;
  /** Whether a node is among the first STAGE nodes (the caller's index may answer without building a set). */
  inFirstStage?: (id: string) => boolean;
  /** The first stage is already indexed (the document grew from a preview of it): index everything in slices. */
  skipFirstStage?: boolean;
  /** Share of the document indexed, 0–1 (called synchronously, unlike the option of the same name). */
  onProgress?: (fraction: number) => void;
  signal?: AbortSignal;
}

/** A wasm trap, or a call on an object of the instance it replaced. */
export function isTrap(e: unknown): boolean {
  return e instanceof WebAssembly.RuntimeError || (e instanceof FlowscaleError && e.code === 'MODULE_RESET');
}

/** Resolves on the next animation frame (or after 50 ms when frames are not running: a hidden tab, Node). */
function nextFrame(): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, 50);
    if (typeof requestAnimationFrame === 'function') {
      requestAnimationFrame(() => {
        clearTimeout(t);
        resolve();
      });
    }
  });
}

type Listener = () => void;

/** What the optimizer holds: the arrays and their objects by id. */
interface Indexed<N extends Node, E extends Edge> {
  nodes: readonly N[];
  edges: readonly E[];
  nodeById: Map<string, N>;
  edgeById: Map<string, E>;
}

function indexed<N extends Node, E extends Edge>(nodes: readonly N[], edges: readonly E[]): Indexed<N, E> {
  const nodeById = new Map<string, N>();
  for (const n of nodes) nodeById.set(n.id, n);
  const edgeById = new Map<string, E>();
  for (const e of edges) edgeById.set(e.id, e);
  return { nodes, edges, nodeById, edgeById };
}

// React Flow's Node and Edge are the shapes flowscale reads (FlowNode and
// FlowEdge name only the fields it uses): one conversion point each.
const flowNode = (n: Node): FlowNode => n as unknown as FlowNode;
const flowEdge = (e: Edge): FlowEdge => e as unknown as FlowEdge;
const flowNodes = (a: readonly Node[]): FlowNode[] => a as unknown as FlowNode[];
const flowEdges = (a: readonly Edge[]): FlowEdge[] => a as unknown as FlowEdge[];

/** Errors whose cause may be only the order of a change batch (checked change by change): a fresh index checks the whole. */
const ORDER_CODES = new Set(['PARENT_CYCLE', 'DANGLING_PARENT', 'UNKNOWN_ID']);

const EMPTY_STATS: FrameStats = { total: 0, inView: 0, culled: 0, culledPercent: 0, lodCounts: { high: 0, medium: 0, low: 0 }, timeMs: 0 };

/** The error a fresh index gives an edge whose end names no node. */
function danglingEdge(e: Edge, end: 'source' | 'target', j: number): FlowscaleError {
  const Make = FlowscaleError as unknown as new (code: string, message: string, path: string) => FlowscaleError;
  return new Make('DANGLING_EDGE', `edge ${JSON.stringify(e.id)} points to node ${JSON.stringify(e[end])}, which does not exist`, `edges[${j}].${end}`);
}

function draggingIds(nodes: readonly Node[]): Set<string> {
  const out = new Set<string>();
  for (const n of nodes) if (n.dragging) out.add(n.id);
  return out;
}

function sameItems<T>(a: readonly T[], b: readonly T[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

/** Whether two versions of a node agree on every field flowscale reads but `selected` (values, not objects). */
function sameNodeShape(a: Node, b: Node): boolean {
  const pa: unknown = a.position, pb: unknown = b.position;
  if (!isObject(pa) || !isObject(pb) || pa.x !== pb.x || pa.y !== pb.y) return false;
  const ma: unknown = a.measured, mb: unknown = b.measured;
  if (ma !== mb && !(isObject(ma) && isObject(mb) && ma.width === mb.width && ma.height === mb.height)) return false;
  return (
    a.width === b.width &&
    a.height === b.height &&
    a.initialWidth === b.initialWidth &&
    a.initialHeight === b.initialHeight &&
    a.parentId === b.parentId &&
    a.hidden === b.hidden &&
    a.sourcePosition === b.sourcePosition &&
    a.targetPosition === b.targetPosition &&
    a.type === b.type &&
    a.origin === b.origin
  );
}

function sameEdgeShape(a: Edge, b: Edge): boolean {
  return a.source === b.source && a.target === b.target && a.type === b.type && a.hidden === b.hidden;
}

type Flip = { type: 'select'; id: string; selected: boolean };

/**
 * Whether `next` replaces `prev` with at most its selection changed; a flip of the flag is pushed on `out`. A
 * `selected` that is not a boolean (nor absent) goes through a replacement, which checks it.
 */
function selectOnly<T extends { id: string; selected?: boolean }>(
  prev: T | undefined,
  next: T,
  same: (a: T, b: T) => boolean,
  out: Flip[],
): boolean {
  if (!prev || !same(prev, next)) return false;
  const s: unknown = next.selected;
  if (s !== undefined && s !== null && typeof s !== 'boolean') return false;
  if (!!prev.selected !== !!s) out.push({ type: 'select', id: next.id, selected: !!s });
  return true;
}

const isOrigin = (o: unknown): o is NodeOrigin => Array.isArray(o) && o.length === 2 && Number.isFinite(o[0]) && Number.isFinite(o[1]);

/**
 * The node as flowscale indexes it: its position moved by its origin (`node.origin`, else `nodeOrigin`) times its
 * size, as React Flow places it (@xyflow/system's getNodePositionWithOrigin: a node without a size is not moved).
 * The node itself when there is nothing to move, or when its fields are bad (the optimizer reports them).
 */
export function withOrigin<N extends Node>(n: N, nodeOrigin: NodeOrigin): N {
  const o: unknown = n.origin ?? nodeOrigin;
  if (!isOrigin(o) || (o[0] === 0 && o[1] === 0)) return n;
  const p: unknown = n.position;
  if (!isObject(p) || typeof p.x !== 'number' || typeof p.y !== 'number') return n;
  const m: unknown = n.measured;
  const mw: unknown = isObject(m) ? m.width : undefined, mh: unknown = isObject(m) ? m.height : undefined;
  const w: unknown = mw ?? n.width ?? n.initialWidth ?? 0, h: unknown = mh ?? n.height ?? n.initialHeight ?? 0;
  if (typeof w !== 'number' || typeof h !== 'number') return n;
  if (w * o[0] === 0 && h * o[1] === 0) return n;
  return { ...n, position: { x: p.x - w * o[0], y: p.y - h * o[1] } };
}

/** A node's size as React Flow takes it: measured, then width/height, then initialWidth/initialHeight, else the default. */
export function nodeSize(n: Node, defaultWidth: number, defaultHeight: number): { width: number; height: number } {
  return {
    width: n.measured?.width ?? n.width ?? n.initialWidth ?? defaultWidth,
    height: n.measured?.height ?? n.height ?? n.initialHeight ?? defaultHeight,
  };
}

/**
 * The first STAGE nodes of a document and the edges between them, less the children whose parent comes later (and
 * their own children): the optimizer places a child by its parent, which must be indexed with it.
 */
function firstStage<N extends Node, E extends Edge>(nodes: N[], edges: E[], inFirstStage?: (id: string) => boolean): { first: N[]; firstEdges: E[] } {
  let first = nodes.slice(0, STAGE);
  const staged = first.length;
  if (first.some((n) => n.parentId != null)) {
    for (let count = -1; count !== first.length; ) {
      count = first.length;
      const ids = new Set(first.map((n) => n.id));
      first = first.filter((n) => n.parentId == null || ids.has(n.parentId));
    }
  }
  // The caller's test holds for the first STAGE nodes; once some were left out, only a set of the rest does.
  const ids = first.length < staged || !inFirstStage ? new Set(first.map((n) => n.id)) : null;
  const inFirst = ids ? (id: string) => ids.has(id) : inFirstStage!;
  return { first, firstEdges: edges.filter((e) => inFirst(e.source) && inFirst(e.target)) };
}

export class FlowscaleController<N extends Node = Node, E extends Edge = Edge> {
  private options: ControllerOptions<N, E>;
  private opt: WorkflowOptimizer | null = null;
  private generation = 0;
  private good: Indexed<N, E> = indexed<N, E>([], []);
  /** Whether `good` was ever indexed (the first sync is always a fresh index). */
  private loaded = false;
  private latest: { nodes: N[]; edges: E[] } = { nodes: [], edges: [] };
  /** The arrays of the last rejected sync: not retried (nor reported) until they change. */
  private rejected: { nodes: readonly N[]; edges: readonly E[] } | null = null;
  private loadToken = 0;
  private loadAbort: AbortController | null = null;
  private loadPromise: Promise<void> | null = null;
  private renderer: Renderer | null = null;
  private viewport: Viewport = { x: 0, y: 0, zoom: 1 };
  private pane = { width: 0, height: 0 };
  private mounted: MountedWindow<N, E> = { nodes: [], edges: [] };
  /** The window's edges before the document's mountEdges (document mode): React's objects for the edges that stay. */
  private windowEdges: E[] = [];
  private lastVisible: string[] = [];
  private lastEdgeIds: string[] = [];
  private lastStats: FrameStats = EMPTY_STATS;
  private lastClusters: Clusters | null = null;
  private detail = new Map<string, Detail>();
  private detailZoom = NaN;
  private pinned = new Set<string>();
  /** React Flow's nodeOrigin: where a node's position lies on it (indexed positions are moved by it). */
  private origin: NodeOrigin = [0, 0];
  /** Nodes being dragged (`dragging: true`): kept mounted like pins, so a drag never loses its node. */
  private dragging = new Set<string>();
  private gpu: GpuState = { status: 'off', reason: 'no FlowscaleLayer is mounted' };
  private workflowVersion = 0;
  private mountedListeners = new Set<Listener>();
  private frameListeners = new Set<Listener>();
  private detailListeners = new Map<string, Set<Listener>>();
  private gpuListeners = new Set<Listener>();
  private workflowListeners = new Set<Listener>();
  /** Listeners to call at the end of the current task (set while a sync runs inside a React render). */
  private deferred: Set<Listener> | null = null;
  private refs = 0;
  private destroyed = false;
  private typeNamesCache: string[] | null = null;
  /** Each node's place in the indexed array by id (for the window's order), built when a window holds a child. */
  private orderCache: Map<string, number> | null = null;
  /** The configuration a new optimizer gets (the last one accepted), and its JSON to compare a new one by value. */
  private config: PartialConfig | undefined;
  private configKey: string;
  /** Unsubscribes from onTrap (subscribed while retained). */
  private offTrap: (() => void) | null = null;
  /** A trap replaced the module: the optimizer is rebuilt once the failing call has unwound. */
  private recovering = false;
  /** The caller's own document (setDocument): the controller does not follow arrays, the caller drives it. */
  private doc: DocumentLookup<N, E> | null = null;
  /** A trap took the optimizer of a controller driven through setDocument: it draws nothing more (its owner rebuilds). */
  private trappedDoc = false;

  constructor(options: ControllerOptions<N, E> = {}) {
    // Nothing of wasm here: React may construct a controller it then discards.
    this.options = options;
    this.config = options.config;
    this.configKey = JSON.stringify(options.config ?? {});
  }

  /** New callbacks (the config changes through setConfig). */
  setOptions(options: ControllerOptions<N, E>): void {
    this.options = options;
  }

  /**
   * React Flow's `nodeOrigin` (useFlowscale reads it from React Flow's store): each node's position is taken at
   * that point of the node, unless the node has an `origin` of its own. A new value re-indexes the workflow.
   */
  setNodeOrigin(origin: NodeOrigin | undefined): void {
    const next: NodeOrigin = isOrigin(origin) ? [origin[0], origin[1]] : [0, 0];
    if (next[0] === this.origin[0] && next[1] === this.origin[1]) return;
    this.origin = next;
    if (this.loaded && this.opt && !this.destroyed) {
      this.rejected = null;
      this.load(this.latest.nodes, this.latest.edges);
    }
  }

  get nodeOrigin(): NodeOrigin {
    return this.origin;
  }

  /** A node as the optimizer takes it (moved by its origin). */
  private placed(n: N): FlowNode {
    return flowNode(withOrigin(n, this.origin));
  }

  private placedAll(nodes: readonly N[]): FlowNode[] {
    const zero = this.origin[0] === 0 && this.origin[1] === 0;
    if (zero && !nodes.some((n) => n.origin != null)) return flowNodes(nodes);
    return nodes.map((n) => this.placed(n));
  }

  /**
   * A new configuration, declarative: the defaults completed by `config` replace the whole current configuration
   * (a field left out goes back to its default) without re-indexing. The same config again (by value) costs nothing.
   * A bad config is reported through onError and the previous one stays.
   */
  setConfig(config: PartialConfig | undefined): void {
    const key = JSON.stringify(config ?? {});
    if (key === this.configKey) return;
    if (!this.opt) {
      this.config = config;
      this.configKey = key;
      // The optimizer could not be created with the previous config: try again with this one.
      if (this.rejected && !this.destroyed) {
        this.rejected = null;
        this.sync(this.latest.nodes, this.latest.edges);
      }
      return;
    }
    try {
      this.opt.setConfig(Config.resolve(config ?? {}));
    } catch (e) {
      this.report(e);
      return;
    }
    this.config = config;
    this.configKey = key;
    this.typeNamesCache = null;
    this.refresh(true);
  }

  /** Hand changes to the user's onNodesChange. */
  emitNodeChanges(changes: NodeChange<N>[]): void {
    this.options.onNodesChange?.(changes);
  }

  emitEdgeChanges(changes: EdgeChange<E>[]): void {
    this.options.onEdgesChange?.(changes);
  }

  /** The optimizer holding the workflow (a fresh one after destroy()). Throws the FlowscaleError of a bad config. */
  get optimizer(): WorkflowOptimizer {
    if (!this.opt) {
      this.opt = new WorkflowOptimizer(this.config);
      this.generation++;
      this.typeNamesCache = null;
    }
    return this.opt;
  }

  /** The optimizer, or null (the version rejected, the error reported) when the config does not make one. */
  private optimizerFor(nodes: readonly N[], edges: readonly E[]): WorkflowOptimizer | null {
    try {
      return this.optimizer;
    } catch (e) {
      this.reject(nodes, edges, e);
      return null;
    }
  }

  /** Bumped each time a new optimizer is created (a renderer must be made for the new one). */
  get optimizerGeneration(): number {
    return this.generation;
  }

  // ---- the user's arrays ----------------------------------------------------------

  /**
   * Follow the user's arrays: the changed nodes and edges go to the optimizer
   * (or a fresh index when more than half changed, or on the first call), then
   * the window is recomputed. The same arrays again cost nothing. Safe to call
   * during a React render: listeners are called after it.
   */
  sync(nodes: N[], edges: E[]): void {
    this.latest = { nodes, edges };
    if (this.destroyed || this.loadPromise) return; // a load in flight takes the latest arrays when it ends
    if (this.loaded && nodes === this.good.nodes && edges === this.good.edges) return;
    if (this.rejected && this.rejected.nodes === nodes && this.rejected.edges === edges) return;
    const nd = diffById(this.good.nodes, nodes);
    const ed = diffById(this.good.edges, edges);
    // Replaced objects that differ from the indexed ones in nothing flowscale reads but `selected` (selectAll, a
    // click, the user's reducer copying objects): a flag to flip, or nothing, instead of a replacement.
    const { nodeById: oldNodes, edgeById: oldEdges } = this.good;
    const nodeSelects: Flip[] = [];
    const nodeReplaced = this.loaded ? nd.replaced.filter((n) => !selectOnly(oldNodes.get(n.id), n, sameNodeShape, nodeSelects)) : nd.replaced;
    const edgeSelects: Flip[] = [];
    const edgeFlips = new Set<string>();
    const edgeReplaced = this.loaded
      ? ed.replaced.filter((e) => (selectOnly(oldEdges.get(e.id), e, sameEdgeShape, edgeSelects) ? (edgeFlips.add(e.id), false) : true))
      : ed.replaced;
    const before = this.good.nodes.length + this.good.edges.length;
    const after = nodes.length + edges.length;
    const heavy = diffSize({ ...nd, replaced: nodeReplaced }) + diffSize({ ...ed, replaced: edgeReplaced });
    if (!this.loaded || 2 * heavy > Math.max(before, after)) {
      this.load(nodes, edges);
      return;
    }
    const opt = this.optimizerFor(nodes, edges);
    if (!opt) return;
    const nodeChanges: FlowscaleNodeChange[] = [];
    for (const n of parentsFirst(nd.added)) nodeChanges.push({ type: 'add', item: this.placed(n) });
    for (const n of nodeReplaced) nodeChanges.push({ type: 'replace', id: n.id, item: this.placed(n) });
    for (const c of nodeSelects) nodeChanges.push(c);
    for (const id of nd.removed) nodeChanges.push({ type: 'remove', id });
    try {
      if (nodeChanges.length > 0) opt.applyNodeChanges(nodeChanges);
    } catch (e) {
      if (e instanceof FlowscaleError && ORDER_CODES.has(e.code)) this.load(nodes, edges);
      else this.reject(nodes, edges, e);
      return;
    }
    // Removing a node removed its edges in the optimizer. One the arrays still hold unchanged now points nowhere:
    // the version is refused as a fresh index would refuse it.
    if (nd.removed.length > 0) {
      const gone = new Set(nd.removed);
      const { edgeById } = this.good;
      for (let j = 0; j < edges.length; j++) {
        const e = edges[j]!;
        if (edgeById.get(e.id) !== e) continue; // added or replaced: the edge batch checks it
        const end = gone.has(e.source) ? 'source' : gone.has(e.target) ? 'target' : null;
        if (end === null) continue;
        this.undoNodeChanges(nd.added, nd.replaced, nd.removed);
        this.reject(nodes, edges, danglingEdge(e, end, j));
        return;
      }
    }
    const edgeChanges: FlowscaleEdgeChange[] = [];
    for (const id of ed.removed) edgeChanges.push({ type: 'remove', id });
    // A replaced edge of a removed node went with it: it comes back as an addition.
    for (const e of ed.replaced) {
      if (nd.removed.length > 0 && opt.edgeIndexOf(e.id) === undefined) edgeChanges.push({ type: 'add', item: flowEdge(e) });
      else if (!edgeFlips.has(e.id)) edgeChanges.push({ type: 'replace', id: e.id, item: flowEdge(e) });
    }
    // (A flip of an edge that went with its node is in the addition above.)
    for (const c of edgeSelects) if (opt.edgeIndexOf(c.id) !== undefined) edgeChanges.push(c);
    for (const e of ed.added) edgeChanges.push({ type: 'add', item: flowEdge(e) });
    try {
      if (edgeChanges.length > 0) opt.applyEdgeChanges(edgeChanges);
    } catch (e) {
      // All or nothing: the nodes go back to the last good state too (with the edges their removal took).
      this.undoNodeChanges(nd.added, nd.replaced, nd.removed);
      this.reject(nodes, edges, e);
      return;
    }
    const { nodeById, edgeById } = this.good;
    for (const n of nd.added) nodeById.set(n.id, n);
    for (const n of nd.replaced) {
      nodeById.set(n.id, n);
      if (n.dragging) this.dragging.add(n.id);
      else this.dragging.delete(n.id);
    }
    for (const n of nd.added) if (n.dragging) this.dragging.add(n.id);
    for (const id of nd.removed) {
      nodeById.delete(id);
      this.dragging.delete(id);
    }
    for (const id of ed.removed) edgeById.delete(id);
    for (const e of ed.replaced) edgeById.set(e.id, e);
    for (const e of ed.added) edgeById.set(e.id, e);
    this.commit({ nodes, edges, nodeById, edgeById }, this.dragging);
  }

  /**
   * Accept a version: the optimizer holds exactly `good` (every path that takes a version ends here). `done`: the
   * share of a load in slices to report (1 when a load ends).
   */
  private commit(good: Indexed<N, E>, dragging: Set<string>, done?: number, partial = false): void {
    this.good = good;
    // A removed node is unpinned (a node of the same id added later is not pinned by it).
    if (!partial) for (const id of this.pinned) if (!good.nodeById.has(id)) this.pinned.delete(id);
    this.loaded = true;
    // A refused version stays refused while it is still the latest (a load of an older version ended meanwhile).
    const r = this.rejected;
    if (r && (r.nodes !== this.latest.nodes || r.edges !== this.latest.edges)) this.rejected = null;
    this.dragging = dragging;
    this.changed();
    if (done !== undefined) this.progress(done);
  }

  /** Take back an applied node batch (its edge batch was refused): the optimizer returns to `good`. */
  private undoNodeChanges(added: readonly N[], replaced: readonly N[], removed: readonly string[]): void {
    const opt = this.optimizer;
    const { nodeById, edges } = this.good;
    const back: FlowscaleNodeChange[] = [];
    const removedNodes = removed.map((id) => nodeById.get(id)).filter((n): n is N => n !== undefined);
    for (const n of parentsFirst(removedNodes)) back.push({ type: 'add', item: this.placed(n) });
    for (const n of replaced) {
      const old = nodeById.get(n.id);
      if (old) back.push({ type: 'replace', id: n.id, item: this.placed(old) });
    }
    for (const n of added) back.push({ type: 'remove', id: n.id });
    // Removing a node removed its edges (the last good version's objects, whatever the refused version made of
    // them): they come back with it.
    const gone = new Set(removed);
    const edgesBack: FlowscaleEdgeChange[] = [];
    if (gone.size > 0) for (const e of edges) if (gone.has(e.source) || gone.has(e.target)) edgesBack.push({ type: 'add', item: flowEdge(e) });
    try {
      if (back.length > 0) opt.applyNodeChanges(back);
      if (edgesBack.length > 0) opt.applyEdgeChanges(edgesBack);
    } catch {
      // The order of the way back can matter (parents): index the last good state afresh.
      const { nodes: n, edges: e } = this.good;
      this.loaded = false;
      this.load(n as N[], e as E[]);
    }
  }

  /** A fresh index of the arrays: at once up to ASYNC_ABOVE nodes, else the first STAGE at once and the rest in slices. */
  private load(nodes: N[], edges: E[]): void {
    const token = ++this.loadToken;
    this.loadAbort?.abort();
    this.loadAbort = null;
    const opt = this.optimizerFor(nodes, edges);
    if (!opt) return;
    if (nodes.length <= ASYNC_ABOVE) {
      try {
        opt.setWorkflow({ nodes: this.placedAll(nodes), edges: flowEdges(edges) });
      } catch (e) {
        this.reject(nodes, edges, e);
        return;
      }
      this.commit(indexed(nodes, edges), draggingIds(nodes), 1);
      return;
    }
    // Little on screen yet (a first load): the first stage at once, so nodes show while the rest loads. Otherwise
    // the workflow already indexed stays on screen (setWorkflowAsync swaps at the end), rather than a tenth of it.
    if (this.good.nodes.length < STAGE) {
      // The first stage: nodes whose parents are in it too, and the edges between them.
      const first: N[] = [];
      const inFirst = new Set<string>();
      for (let i = 0; i < nodes.length && first.length < STAGE; i++) {
        const n = nodes[i]!;
        if (n.parentId == null || inFirst.has(n.parentId)) {
          first.push(n);
          inFirst.add(n.id);
        }
      }
      const firstEdges = edges.filter((e) => inFirst.has(e.source) && inFirst.has(e.target));
      try {
        opt.setWorkflow({ nodes: this.placedAll(first), edges: flowEdges(firstEdges) });
      } catch (e) {
        this.reject(nodes, edges, e);
        return;
      }
      this.commit(indexed(first, firstEdges), draggingIds(first), undefined, true);
    }
    this.progress(0);
    const abort = new AbortController();
    this.loadAbort = abort;
    const done = (error: unknown) => {
      if (token !== this.loadToken) return; // superseded
      this.loadPromise = null;
      this.loadAbort = null;
      if (this.destroyed) return;
      if (error === null) {
        this.commit(indexed(nodes, edges), draggingIds(nodes), 1);
      } else {
        // The optimizer still holds what it held (the first stage, or the previous workflow): the next sync diffs from it.
        this.reject(nodes, edges, error);
      }
      const { nodes: n, edges: e } = this.latest;
      if (n !== nodes || e !== edges) this.sync(n, e);
    };
    this.loadPromise = opt
      .setWorkflowAsync({ nodes: this.placedAll(nodes), edges: flowEdges(edges) }, {
        signal: abort.signal,
        onProgress: (p) => {
          if (token === this.loadToken) this.progress(p.fraction);
        },
      })
      .then(
        () => done(null),
        (e: unknown) => done(e),
      );
  }

  private reject(nodes: readonly N[], edges: readonly E[], error: unknown): void {
    // A trap, or an object of the instance it replaced: not the arrays' fault; recover() rebuilds from them.
    if ((this.recovering && error instanceof WebAssembly.RuntimeError) || (error instanceof FlowscaleError && error.code === 'MODULE_RESET')) return;
    this.rejected = { nodes, edges };
    this.report(error);
  }

  /** An error to onError (a FlowscaleError; anything else is rethrown), never from inside a render. */
  reportError(error: unknown): void {
    this.report(error);
  }

  private report(error: unknown): void {
    const { onError } = this.options;
    // Never from inside a render: the user's handler may set state.
    queueMicrotask(() => {
      if (error instanceof FlowscaleError && onError) onError(error);
      else if (error instanceof FlowscaleError) console.error('flowscale:', error);
      else throw error;
    });
  }

  private progress(fraction: number): void {
    const { onProgress } = this.options;
    if (onProgress) queueMicrotask(() => onProgress(fraction));
  }

  /** The workflow changed: a new version for its listeners, and a frame. */
  private changed(): void {
    this.workflowVersion++;
    this.typeNamesCache = null;
    this.emit(this.workflowListeners);
    this.refresh(true);
  }

  /** Resolves when no load is in flight (a big workflow is indexed in slices). */
  async whenLoaded(): Promise<void> {
    while (this.loadPromise) await this.loadPromise;
  }

  get loading(): boolean {
    return this.loadPromise !== null;
  }

  /** Whether the optimizer holds exactly the arrays last given to sync() (no load in flight, nothing rejected). */
  get upToDate(): boolean {
    return !this.loadPromise && this.loaded && this.good.nodes === this.latest.nodes && this.good.edges === this.latest.edges;
  }

  /** The arrays last given to sync(): the user's whole workflow. */
  getNodes(): N[] {
    return this.doc?.nodes?.() ?? this.latest.nodes;
  }

  getEdges(): E[] {
    return this.doc?.edges?.() ?? this.latest.edges;
  }

  /** Bumped whenever the indexed workflow changes. */
  get version(): number {
    return this.workflowVersion;
  }

  // ---- view ---------------------------------------------------------------------

  /** React Flow's viewport and the pane's size in CSS pixels. */
  setView(viewport: Viewport, width: number, height: number): void {
    const paneChanged = width !== this.pane.width || height !== this.pane.height;
    this.viewport = viewport;
    this.pane = { width, height };
    if (paneChanged && width > 0 && height > 0) this.resizeRenderer();
    this.refresh(paneChanged);
  }

  getViewport(): Viewport {
    return this.viewport;
  }

  getPane(): { width: number; height: number } {
    return this.pane;
  }

  /** One frame: culling, level of detail and the window; the GPU draw; React's share when it changed. */
  refresh(force = false): void {
    const { width, height } = this.pane;
    if (this.destroyed || this.trappedDoc || !this.opt || width <= 0 || height <= 0) return;
    let f: Frame;
    try {
      f = this.opt.frame(this.viewport, this.pane);
    } catch (e) {
      if (this.trapOfDocument(e)) return;
      this.reject(this.good.nodes, this.good.edges, e);
      return;
    }
    if (this.renderer) {
      try {
        this.renderer.render(f);
      } catch (e) {
        if (this.trapOfDocument(e)) return;
        this.renderer = null;
        this.setGpu({ status: 'off', reason: e instanceof Error ? e.message : String(e) });
      }
    }
    this.lastClusters = f.clusters ?? null;
    this.lastStats = f.stats;
    const windowChanged = force || f.entered.length > 0 || f.left.length > 0;
    if (windowChanged) this.remount(f.visibleIds, f.mountedEdgeIds);
    if (windowChanged || this.viewport.zoom !== this.detailZoom) this.updateDetail(f);
    this.emit(this.frameListeners);
  }

  private remount(visibleIds: string[], edgeIds: string[]): void {
    this.lastVisible = visibleIds;
    this.lastEdgeIds = edgeIds;
    if (this.doc) {
      this.remountDocument(this.doc, visibleIds, edgeIds);
      return;
    }
    const { nodeById, edgeById } = this.good;
    let nodes: N[] = [];
    const kept = new Set<string>();
    const keep = (n: N | undefined) => {
      if (n && !kept.has(n.id)) {
        kept.add(n.id);
        nodes.push(n);
      }
    };
    for (const id of visibleIds) keep(nodeById.get(id));
    for (const ids of [this.pinned, this.dragging]) for (const id of ids) keep(nodeById.get(id));
    // React Flow places a child relative to its parent, which it must hold too (and earlier in the array): bring in
    // every missing ancestor, then put the window in the order of the user's array (parents first, the user's stacking).
    let parented = false;
    for (let i = 0, len = nodes.length; i < len; i++) {
      for (let p = nodes[i]!.parentId, steps = 0; p != null && steps <= nodeById.size; steps++) {
        parented = true;
        const parent = nodeById.get(p);
        if (!parent || kept.has(p)) break;
        keep(parent);
        p = parent.parentId;
      }
    }
    if (parented) nodes = this.inUserOrder(nodes);
    const edges: E[] = [];
    for (const id of edgeIds) {
      const e = edgeById.get(id);
      if (e) edges.push(e);
    }
    // React re-renders only when what it mounts changed.
    const prev = this.mounted;
    const sameNodes = sameItems(prev.nodes, nodes);
    const sameEdges = sameItems(prev.edges, edges);
    if (sameNodes && sameEdges) return;
    this.mounted = { nodes: sameNodes ? prev.nodes : nodes, edges: sameEdges ? prev.edges : edges };
    this.emit(this.mountedListeners);
  }

  /** The nodes in the order of the indexed arrays, where a parent comes before its children. */
  private inUserOrder(nodes: N[]): N[] {
    // Each id's place in the user's array, rebuilt only when a node to sort is no longer at its place. Compared by
    // id: a drag replaces node objects every tick but keeps the order, so it costs one check per mounted node.
    const all = this.good.nodes;
    let at = this.orderCache;
    if (!at || !nodes.every((n) => all[at!.get(n.id) ?? -1]?.id === n.id)) {
      at = new Map<string, number>();
      for (let i = 0; i < all.length; i++) at.set(all[i]!.id, i);
      this.orderCache = at;
    }
    const place = at;
    const sorted = nodes.slice().sort((a, b) => (place.get(a.id) ?? 0) - (place.get(b.id) ?? 0));
    // A parent later in the user's array than its child (React Flow wants it first): move it up, ancestors first.
    const out: N[] = [];
    const placed = new Set<string>();
    const byId = new Map<string, N>();
    for (const n of sorted) byId.set(n.id, n);
    const put = (n: N, depth: number) => {
      if (placed.has(n.id)) return;
      placed.add(n.id);
      const parent = n.parentId != null ? byId.get(n.parentId) : undefined;
      if (parent && depth < sorted.length) put(parent, depth + 1);
      out.push(n);
    };
    for (const n of sorted) put(n, 0);
    return out;
  }

  /** Level of detail of mounted nodes from the frame; notifies only nodes whose detail changed. */
  private updateDetail(f: Frame): void {
    this.detailZoom = this.viewport.zoom;
    const next = new Map<string, Detail>();
    const { visibleIds, visibleLod } = f;
    for (let k = 0; k < visibleIds.length; k++) next.set(visibleIds[k]!, visibleLod[k] === 0 ? 'full' : 'label');
    const previous = this.detail;
    this.detail = next;
    for (const [id, listeners] of this.detailListeners) {
      if ((previous.get(id) ?? 'full') !== (next.get(id) ?? 'full')) for (const l of listeners) this.call(l);
    }
  }

  // ---- a document the caller keeps (setDocument) -----------------------------------

  /**
   * Drive the controller from a document the caller keeps and edits itself, instead of sync(): the caller indexes
   * it with loadDocument and hands React Flow's changes, once applied to the document, to applyNodeChanges and
   * applyEdgeChanges (other edits: to the optimizer, and the mounted objects they changed to replaceMounted), and
   * the window is made of the mounted objects that stay and the document's (through `lookup`) for the rest. No
   * array is copied and no id table built. The node origin is not applied (positions are taken as they are), and
   * after a trap the controller stops drawing (`trapped`) instead of rebuilding: the caller, who has the document,
   * makes a new controller.
   */
  setDocument(lookup: DocumentLookup<N, E>): void {
    this.doc = lookup;
  }

  /**
   * Index the document (setDocument): at once up to STAGE nodes; above, the first STAGE nodes at once (a first view
   * on screen and usable within a frame or two) and then the whole document in slices (setWorkflowAsync), from
   * `columns` when given. Rejects with the optimizer's error (the optimizer keeps what it held) or the signal's;
   * resolves as it is when a newer load or destroy() supersedes it.
   */
  async loadDocument(nodes: N[], edges: E[], options: StagedLoadOptions = {}): Promise<void> {
    const { columns, inFirstStage, skipFirstStage = false, onProgress, signal } = options;
    if (this.destroyed) return;
    const opt = this.optimizer;
    const token = ++this.loadToken;
    this.loadAbort?.abort();
    this.loadAbort = null;
    this.latest = { nodes, edges };
    const live = () => token === this.loadToken && !this.destroyed;
    // `loading` from the first call to the end, whichever way it ends; a newer load takes it over. destroy() frees
    // the optimizer once this settles (a load in slices is still calling it as it winds down).
    let settle!: () => void;
    const pending = new Promise<void>((resolve) => (settle = resolve));
    this.loadPromise = pending;
    const finish = () => {
      if (this.loadPromise === pending) this.loadPromise = null;
      settle();
    };
    try {
      if (nodes.length <= STAGE) {
        opt.setWorkflow({ nodes: flowNodes(nodes), edges: flowEdges(edges) });
        this.loaded = true;
        finish();
        onProgress?.(1);
        this.changed();
        return;
      }
      if (!skipFirstStage) {
        const { first, firstEdges } = firstStage(nodes, edges, inFirstStage);
        opt.setWorkflow({ nodes: flowNodes(first), edges: flowEdges(firstEdges) });
        this.loaded = true;
        onProgress?.(0);
        this.changed();
        // Two frames: React mounts the first nodes and the browser paints them before the rest.
        await nextFrame();
        await nextFrame();
      }
      if (!live()) return;
      signal?.throwIfAborted();
      const abort = new AbortController();
      this.loadAbort = abort;
      const onAbort = () => abort.abort(signal?.reason);
      signal?.addEventListener('abort', onAbort);
      try {
        await opt.setWorkflowAsync(columns ?? { nodes: flowNodes(nodes), edges: flowEdges(edges) }, {
          signal: abort.signal,
          onProgress: (p) => {
            if (live()) onProgress?.(p.fraction);
          },
        });
      } catch (e) {
        // Superseded by a newer load or by destroy(): nothing failed, the load is just no longer wanted.
        if (!live() && !signal?.aborted) return;
        throw e;
      } finally {
        signal?.removeEventListener('abort', onAbort);
        if (this.loadAbort === abort) this.loadAbort = null;
      }
      if (!live()) return;
      this.loaded = true;
      finish();
      this.changed();
    } finally {
      finish();
    }
  }


  /**
   * The caller changed mounted objects (React Flow's changes to them: a drag, a selection) or removed some: React
   * mounts these from now on; a node keeps its mounted object while it stays in the window.
   */
  replaceMounted(next: MountedWindow<N, E>): void {
    this.windowEdges = next.edges;
    const mountEdges = this.doc?.mountEdges;
    this.mounted = { nodes: next.nodes, edges: mountEdges ? mountEdges(next.edges) : next.edges };
    this.emit(this.mountedListeners);
  }

  /**
   * React Flow's node changes to a document the caller keeps (setDocument), once the caller has applied them to its
   * document (an added or replaced node is mounted from there): to the optimizer, all or nothing (a bad change
   * throws its FlowscaleError and nothing changes), then to the mounted objects. A node being dragged stays mounted
   * until its drag ends; a removed node is unpinned and its mounted edges go with it.
   */
  applyNodeChanges(changes: NodeChange<N>[]): void {
    this.documentOnly('applyNodeChanges');
    if (changes.length === 0) return;
    this.optimizer.applyNodeChanges(changes as unknown as FlowscaleNodeChange[]);
    const removed = new Set<string>();
    let structural = false;
    for (const c of changes) {
      if (c.type === 'position') {
        if (c.dragging) this.dragging.add(c.id);
        // A drag's end, or a move outside any drag: the minimap follows (not the moves React Flow adds mid-drag,
        // such as a parent expanding, which carry no `dragging`).
        else if (c.dragging === false || this.dragging.size === 0) {
          structural = true;
          this.dragging.delete(c.id);
        }
      } else if (c.type === 'remove') {
        removed.add(c.id);
        this.pinned.delete(c.id);
        this.dragging.delete(c.id);
        structural = true;
      } else if (c.type === 'add' || c.type === 'replace') structural = true;
    }
    const edges = this.windowEdges;
    this.replaceMounted({
      nodes: applyNodeChanges(changes, this.mounted.nodes),
      edges: removed.size > 0 ? edges.filter((e) => !removed.has(e.source) && !removed.has(e.target)) : edges,
    });
    if (structural) this.changed();
    else this.refresh();
  }

  /** React Flow's edge changes to a document the caller keeps (setDocument), as applyNodeChanges. */
  applyEdgeChanges(changes: EdgeChange<E>[]): void {
    this.documentOnly('applyEdgeChanges');
    if (changes.length === 0) return;
    this.optimizer.applyEdgeChanges(changes as unknown as FlowscaleEdgeChange[]);
    this.replaceMounted({ nodes: this.mounted.nodes, edges: applyEdgeChanges(changes, this.windowEdges) });
    if (changes.some((c) => c.type === 'add' || c.type === 'remove' || c.type === 'replace')) this.changed();
    else this.refresh();
  }

  private documentOnly(method: string): void {
    if (!this.doc) throw new Error(`${method} is for a controller driven from the app's document (setDocument); otherwise sync() follows the arrays`);
  }

  /** A mounted node as React has it (its position during a drag, its selection), if mounted. */
  mountedNode(id: string): N | undefined {
    return this.mounted.nodes.find((n) => n.id === id);
  }

  /** A trap took the optimizer of a controller driven through setDocument: it draws nothing more. */
  get trapped(): boolean {
    return this.trappedDoc;
  }

  /** Zoom-level clusters drawn in the last frame. */
  get clusterCount(): number {
    return this.lastClusters?.count.length ?? 0;
  }

  private trapOfDocument(e: unknown): boolean {
    if (!this.doc || !isTrap(e)) return false;
    // The owner builds a new controller from its document; until then this one shows what it showed.
    this.trappedDoc = true;
    return true;
  }

  private remountDocument(doc: DocumentLookup<N, E>, visibleIds: string[], edgeIds: string[]): void {
    // React's own objects for nodes that stay (selection, measurements, a drag), the document's for new ones.
    const current = new Map(this.mounted.nodes.map((n) => [n.id, n]));
    let nodes: N[] = [];
    const held = new Set<string>();
    const hold = (id: string) => {
      const n = held.has(id) ? undefined : (current.get(id) ?? doc.node(id));
      if (n) {
        held.add(id);
        nodes.push(n);
      }
      return n;
    };
    for (const id of visibleIds) hold(id);
    for (const ids of [this.pinned, this.dragging]) for (const id of ids) hold(id);
    // React Flow places a child relative to its parent, which it must hold too (and earlier in the array).
    let parented = false;
    for (let i = 0; i < nodes.length; i++) {
      for (let p = nodes[i]!.parentId, steps = 0; p != null && !held.has(p) && steps < nodes.length; steps++) {
        p = hold(p)?.parentId;
      }
      if (nodes[i]!.parentId != null) parented = true;
    }
    if (parented) nodes = parentsFirst(nodes);
    const currentEdges = new Map(this.windowEdges.map((e) => [e.id, e]));
    const edges: E[] = [];
    for (const id of edgeIds) {
      const e = currentEdges.get(id) ?? doc.edge(id);
      if (e) edges.push(e);
    }
    // React re-renders only when what it mounts changed (merged edges are new copies: it does then).
    const mounted = doc.mountEdges ? doc.mountEdges(edges) : edges;
    const prev = this.mounted;
    this.windowEdges = edges;
    if (sameItems(nodes, prev.nodes) && sameItems(mounted, prev.edges)) return;
    this.mounted = { nodes: sameItems(nodes, prev.nodes) ? prev.nodes : nodes, edges: mounted };
    this.emit(this.mountedListeners);
  }


  // ---- subscriptions (for useSyncExternalStore) ------------------------------------

  /** Run `fn` with listener calls held until it returns (React must not be notified from inside its render). */
  batch<T>(fn: () => T): T {
    if (this.deferred) return fn();
    const held = new Set<Listener>();
    this.deferred = held;
    try {
      return fn();
    } finally {
      this.deferred = null;
      if (held.size > 0) queueMicrotask(() => held.forEach((l) => l()));
    }
  }

  private call(l: Listener): void {
    if (this.deferred) this.deferred.add(l);
    else l();
  }

  private emit(listeners: Set<Listener>): void {
    for (const l of listeners) this.call(l);
  }

  private static add(set: Set<Listener>, l: Listener): () => void {
    set.add(l);
    return () => {
      set.delete(l);
    };
  }

  subscribeMounted = (l: Listener): (() => void) => FlowscaleController.add(this.mountedListeners, l);
  getMounted = (): MountedWindow<N, E> => this.mounted;
  /** Called after every frame. */
  subscribeFrames = (l: Listener): (() => void) => FlowscaleController.add(this.frameListeners, l);
  subscribeGpu = (l: Listener): (() => void) => FlowscaleController.add(this.gpuListeners, l);
  getGpu = (): GpuState => this.gpu;
  /** Called whenever the indexed workflow changes. */
  subscribeWorkflow = (l: Listener): (() => void) => FlowscaleController.add(this.workflowListeners, l);

  /** The last frame's statistics. */
  get stats(): FrameStats {
    return this.lastStats;
  }

  /** Whether the workflow is indexed and holds no node (nothing will come into view until one is added). */
  get empty(): boolean {
    // A document's arrays are not indexed here: its optimizer knows the count.
    return this.loaded && !this.loadPromise && (this.doc ? (this.opt?.nodeCount ?? 0) : this.good.nodes.length) === 0;
  }

  /** Whether anything is on screen (mounted, or in view for the GPU to draw). */
  get hasContent(): boolean {
    return this.mounted.nodes.length > 0 || this.lastStats.inView > 0;
  }

  subscribeDetail(id: string, l: Listener): () => void {
    let set = this.detailListeners.get(id);
    if (!set) this.detailListeners.set(id, (set = new Set()));
    set.add(l);
    return () => {
      set.delete(l);
      if (set.size === 0) this.detailListeners.delete(id);
    };
  }

  detailOf(id: string): Detail {
    return this.detail.get(id) ?? 'full';
  }

  // ---- the GPU layer --------------------------------------------------------------

  setGpu(state: GpuState): void {
    this.gpu = state;
    this.emit(this.gpuListeners);
  }

  /** The renderer drawing each frame (null: none). */
  attachRenderer(r: Renderer | null, canvas?: HTMLCanvasElement): void {
    this.renderer = r;
    if (r) {
      // Resizing reallocates the canvas's buffers even when nothing changes: skipped when `canvas` already fits. Not
      // above a ratio of 1, which a new renderer learns only from a resize.
      const { width, height } = this.pane;
      const fits = canvas !== undefined && devicePixelRatioNow() === 1 && canvas.width === Math.round(width) && canvas.height === Math.round(height);
      if (!fits) this.resizeRenderer();
      this.setGpu({ status: 'on', backend: r.backend });
      this.refresh(true);
    }
  }

  get currentRenderer(): Renderer | null {
    return this.renderer;
  }

  /** The device pixel ratio changed (another screen, the browser's zoom): the renderer's canvas follows, and redraws. */
  pixelRatioChanged(): void {
    if (!this.renderer) return;
    this.resizeRenderer();
    this.refresh(true);
  }

  private resizeRenderer(): void {
    const { width, height } = this.pane;
    if (!this.renderer || width <= 0 || height <= 0) return;
    try {
      this.renderer.resize(width, height, devicePixelRatioNow());
    } catch (e) {
      this.renderer = null;
      this.setGpu({ status: 'off', reason: e instanceof Error ? e.message : String(e) });
    }
  }

  // ---- pins -------------------------------------------------------------------------

  /** Keep these nodes mounted wherever the view goes (until unpinned, or removed from the workflow). */
  pin(ids: Iterable<string>): void {
    for (const id of ids) this.pinned.add(id);
    this.remount(this.lastVisible, this.lastEdgeIds);
  }

  unpin(ids: Iterable<string>): void {
    for (const id of ids) this.pinned.delete(id);
    this.remount(this.lastVisible, this.lastEdgeIds);
  }

  get pinnedIds(): ReadonlySet<string> {
    return this.pinned;
  }

  // ---- whole-workflow queries and actions -----------------------------------------------

  /** Bounds of every shown node (absolute, as React Flow's getNodesBounds), mounted or not; null when there is none. */
  getBounds(): Rect | null {
    if (!this.opt) return null;
    return this.opt.bounds();
  }

  /** Ids of the nodes inside `rect` (flow coordinates): wholly, or overlapping it when `partially`. */
  nodesInRect(rect: Rect, partially = false): string[] {
    if (!this.opt) return [];
    return this.opt.nodesInRect(rect, partially);
  }

  /** Select every selectable node and edge of the workflow. */
  selectAllChanges(): SelectionChanges<N, E> {
    const nodes: NodeChange<N>[] = [];
    for (const n of this.getNodes()) if (!n.selected && n.selectable !== false) nodes.push({ type: 'select', id: n.id, selected: true });
    const edges: EdgeChange<E>[] = [];
    for (const e of this.getEdges()) if (!e.selected && e.selectable !== false) edges.push({ type: 'select', id: e.id, selected: true });
    return { nodes, edges };
  }

  /**
   * Select the selectable nodes in `rect` (flow coordinates) and, as React Flow's selection box does, every
   * selectable edge with an end among them (`edge.selectable`, else `edgesSelectable`); unless `additive`, deselect
   * every other node and edge.
   */
  selectInRectChanges(rect: Rect, options: { partially?: boolean; additive?: boolean; edgesSelectable?: boolean } = {}): SelectionChanges<N, E> {
    const inside = new Set(this.nodesInRect(rect, options.partially ?? false));
    const picked = new Set<string>();
    const nodes: NodeChange<N>[] = [];
    for (const n of this.getNodes()) {
      const want = inside.has(n.id) && n.selectable !== false;
      if (want) picked.add(n.id);
      if (want && !n.selected) nodes.push({ type: 'select', id: n.id, selected: true });
      else if (!want && n.selected && !options.additive) nodes.push({ type: 'select', id: n.id, selected: false });
    }
    const edgesSelectable = options.edgesSelectable ?? true;
    const edges: EdgeChange<E>[] = [];
    for (const e of this.getEdges()) {
      const want = (e.selectable ?? edgesSelectable) && (picked.has(e.source) || picked.has(e.target));
      if (want && !e.selected) edges.push({ type: 'select', id: e.id, selected: true });
      else if (!want && e.selected && !options.additive) edges.push({ type: 'select', id: e.id, selected: false });
    }
    return { nodes, edges };
  }

  /**
   * Deselect the selected nodes and edges React Flow does not hold (`mountedNodes`, `mountedEdges`: its lookups),
   * but those in `keep`: what React Flow's own deselection (a pane click, a plain click on a node or an edge)
   * leaves out, as it deselects only what it holds. `only` limits it to the nodes or to the edges.
   */
  deselectUnmountedChanges(
    mountedNodes: { has(id: string): boolean },
    mountedEdges: { has(id: string): boolean },
    keep: { nodes?: ReadonlySet<string>; edges?: ReadonlySet<string> } = {},
    only?: 'nodes' | 'edges',
  ): SelectionChanges<N, E> {
    const nodes: NodeChange<N>[] = [];
    if (only !== 'edges') {
      for (const n of this.getNodes()) {
        if (n.selected && !mountedNodes.has(n.id) && !keep.nodes?.has(n.id)) nodes.push({ type: 'select', id: n.id, selected: false });
      }
    }
    const edges: EdgeChange<E>[] = [];
    if (only !== 'nodes') {
      for (const e of this.getEdges()) {
        if (e.selected && !mountedEdges.has(e.id) && !keep.edges?.has(e.id)) edges.push({ type: 'select', id: e.id, selected: false });
      }
    }
    return { nodes, edges };
  }

  /**
   * Remove the selected nodes and edges as React Flow's Delete key does, over
   * the whole workflow: `deletable: false` nodes and edges stay (and so do the
   * parents of such nodes, which cannot be removed from under them), children
   * of a removed parent go with it, and so do the edges of every removed node.
   */
  deleteSelectedChanges(): SelectionChanges<N, E> {
    const all = this.getNodes();
    const allEdges = this.getEdges();
    const gone = new Set<string>();
    const children = new Map<string, N[]>();
    const byId = new Map<string, N>();
    for (const n of all) {
      if (n.selected && n.deletable !== false) gone.add(n.id);
      if (n.parentId != null) {
        byId.set(n.id, n);
        let list = children.get(n.parentId);
        if (!list) children.set(n.parentId, (list = []));
        list.push(n);
      }
    }
    if (children.size > 0) {
      const kept: N[] = [];
      const stack = [...gone];
      for (let id = stack.pop(); id !== undefined; id = stack.pop()) {
        for (const c of children.get(id) ?? []) {
          if (c.deletable === false) kept.push(c);
          else if (!gone.has(c.id)) {
            gone.add(c.id);
            stack.push(c.id);
          }
        }
      }
      // A node that stays keeps its ancestors.
      for (const c of kept) {
        for (let p = c.parentId, steps = 0; p != null && steps <= all.length; p = byId.get(p)?.parentId, steps++) gone.delete(p);
      }
    }
    const nodes: NodeChange<N>[] = [];
    for (const n of all) if (gone.has(n.id)) nodes.push({ type: 'remove', id: n.id });
    const edges: EdgeChange<E>[] = [];
    for (const e of allEdges) {
      // An edge cannot outlive either end, deletable or not.
      if ((e.selected && e.deletable !== false) || gone.has(e.source) || gone.has(e.target)) edges.push({ type: 'remove', id: e.id });
    }
    return { nodes, edges };
  }

  /**
   * Remove the selected nodes and edges as React Flow's Delete key does for the user (deleteSelectedChanges'
   * choice): `onBeforeDelete` sees the user's objects to remove and may cancel (false) or trim them (what it returns
   * is removed, with the edges of the nodes it keeps, which cannot outlive them); then, for what is removed,
   * `onEdgesDelete` and the edges' remove changes, `onNodesDelete` and the nodes' remove changes, then `onDelete`.
   */
  async deleteSelected(callbacks: DeleteCallbacks<N, E> = {}): Promise<Deleted<N, E>> {
    const chosen = this.deleteSelectedChanges();
    const nodeById = new Map<string, N>();
    for (const n of this.getNodes()) nodeById.set(n.id, n);
    const edgeById = new Map<string, E>();
    for (const e of this.getEdges()) edgeById.set(e.id, e);
    let nodes = chosen.nodes.map((c) => nodeById.get((c as { id: string }).id)).filter((n): n is N => n !== undefined);
    let edges = chosen.edges.map((c) => edgeById.get((c as { id: string }).id)).filter((e): e is E => e !== undefined);
    if (nodes.length === 0 && edges.length === 0) return { deletedNodes: [], deletedEdges: [] };
    const { onBeforeDelete, onNodesDelete, onEdgesDelete, onDelete } = callbacks;
    if (onBeforeDelete) {
      const answer = await onBeforeDelete({ nodes, edges });
      if (answer === false) return { deletedNodes: [], deletedEdges: [] };
      if (answer !== true) {
        nodes = answer.nodes;
        // The edges of a removed node go with it (the user's arrays as they are now).
        const gone = new Set(nodes.map((n) => n.id));
        const ids = new Set(answer.edges.map((e) => e.id));
        edges = answer.edges.slice();
        for (const e of this.getEdges()) if (!ids.has(e.id) && (gone.has(e.source) || gone.has(e.target))) edges.push(e);
      }
    }
    if (edges.length > 0) {
      onEdgesDelete?.(edges);
      this.emitEdgeChanges(edges.map((e) => ({ type: 'remove', id: e.id })));
    }
    if (nodes.length > 0) {
      onNodesDelete?.(nodes);
      this.emitNodeChanges(nodes.map((n) => ({ type: 'remove', id: n.id })));
    }
    if (nodes.length > 0 || edges.length > 0) onDelete?.({ nodes, edges });
    return { deletedNodes: nodes, deletedEdges: edges };
  }

  /** The zoom-level cluster drawn under a point of the flow in the last frame, if any. */
  clusterAt(point: XYPoint): ClusterInfo | null {
    const c = this.lastClusters;
    if (!c || !this.opt) return null;
    for (let j = 0; j < c.ids.length; j++) {
      // The glyph (glyphs never overlap), not the members' union (clusters' unions do).
      const x = c.rect[4 * j]!, y = c.rect[4 * j + 1]!, width = c.rect[4 * j + 2]!, height = c.rect[4 * j + 3]!;
      if (point.x >= x && point.x <= x + width && point.y >= y && point.y <= y + height) {
        this.typeNamesCache ??= this.opt.typeNames();
        const types: string[] = [];
        for (let t = 0; t < 3; t++) {
          const name = this.typeNamesCache[c.typeIds[3 * j + t]!];
          if (name !== undefined) types.push(name);
        }
        const b = c.bounds;
        return { id: c.ids[j]!, count: c.count[j]!, types, rect: { x, y, width, height }, bounds: { x: b[4 * j]!, y: b[4 * j + 1]!, width: b[4 * j + 2]!, height: b[4 * j + 3]! } };
      }
    }
    return null;
  }

  /** A cluster's members and the zoom from which it is drawn split. */
  expandCluster(id: number): ClusterExpansion {
    return this.optimizer.expandCluster(id);
  }

  // ---- lifetime --------------------------------------------------------------------------

  /** One more owner (a mounted hook): the arrays noted by follow() are indexed now. */
  retain(): void {
    this.refs++;
    this.offTrap ??= onTrap(({ reset }) => {
      if (!reset || this.recovering) return;
      this.recovering = true;
      // After the failing call has unwound (it may be this controller's own frame or load).
      queueMicrotask(() => this.recover());
    });
    // Mounted again after a real unmount (e.g. a hidden Activity shown again): start over with a fresh optimizer.
    this.destroyed = false;
    const { nodes, edges } = this.latest;
    this.sync(nodes, edges);
  }

  /** Whether an owner holds the controller (useFlowscale syncs in render only then). */
  get retained(): boolean {
    return this.refs > 0;
  }

  /** Note the arrays without touching the optimizer (before the first retain(), which indexes them). */
  follow(nodes: N[], edges: E[]): void {
    this.latest = { nodes, edges };
  }

  /** One owner fewer; the last one frees the optimizer unless someone retains it again right away (StrictMode remounts). */
  release(): void {
    this.refs--;
    setTimeout(() => {
      if (this.refs <= 0 && !this.destroyed) this.destroy();
    }, 0);
  }

  /**
   * After a wasm trap: the optimizer and the renderer went with the old instance. A fresh optimizer indexes the
   * latest arrays (a new generation, for which the GPU layer makes a renderer) and the next frame goes on from there.
   */
  private recover(): void {
    this.recovering = false;
    if (this.destroyed) return;
    this.loadToken++;
    this.loadAbort?.abort();
    this.loadAbort = null;
    this.loadPromise = null;
    this.opt = null; // nothing to free: its memory went with the old instance
    if (this.renderer) {
      this.renderer = null;
      this.setGpu({ status: 'starting' });
    }
    this.good = indexed<N, E>([], []);
    this.loaded = false;
    this.rejected = null;
    this.lastClusters = null;
    this.orderCache = null;
    this.typeNamesCache = null;
    const { nodes, edges } = this.latest;
    this.sync(nodes, edges);
  }

  /** Free the optimizer (exactly once; a later use creates a new one). */
  destroy(): void {
    this.offTrap?.();
    this.offTrap = null;
    this.destroyed = true;
    this.loadToken++;
    this.loadAbort?.abort();
    this.loadAbort = null;
    const load = this.loadPromise;
    this.loadPromise = null;
    this.renderer = null;
    const opt = this.opt;
    this.opt = null;
    this.good = indexed<N, E>([], []);
    this.loaded = false;
    this.rejected = null;
    this.lastClusters = null;
    this.orderCache = null;
    // A load in flight still calls the optimizer as it winds down: free it once the load has settled.
    if (load) void load.then(() => opt?.free());
    else opt?.free();
  }

  get isDestroyed(): boolean {
    return this.destroyed;
  }
}
