// FlowEngine: one workflow inside flowscale. It owns the WorkflowOptimizer
// (every node's geometry in wasm memory), the GPU Renderer once the view
// attaches one, and the small part of the workflow React mounts. The view
// feeds it viewport and pane size; it answers each viewport change with one
// `frame()` call, draws the frame on the GPU and publishes
//   - the mounted nodes and edges (an external store: React re-renders only
//     when nodes entered or left the window),
//   - each mounted node's level of detail (per-id subscriptions: a zoom that
//     crosses a threshold re-renders only the nodes whose detail changed),
//   - frame statistics (for the stats bar and the PerformanceService).
// Edits arrive as React Flow NodeChange/EdgeChange lists from the store, so
// the optimizer, the GPU layer and React always see the same workflow. After
// a wasm trap the store replaces the engine with one built from its document
// (documentSlice.ts); this one stops drawing.
import { applyEdgeChanges, applyNodeChanges, type Edge, type EdgeChange, type Node, type NodeChange, type Viewport } from '@xyflow/react';
import {
  FlowscaleError,
  WorkflowOptimizer,
  type ClusterExpansion,
  type Clusters,
  type EdgeChange as FlowscaleEdgeChange,
  type Frame,
  type FrameStats,
  type NodeChange as FlowscaleNodeChange,
  type Renderer,
  type SimplifiedEdges,
  type WorkflowColumns,
} from 'flowscale';
import { effectiveConfig, startConfig } from '@/config';

/** Resolves on the next animation frame (or after 50 ms when frames are not running, e.g. in a hidden tab). */
function nextFrame(): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, 50);
    requestAnimationFrame(() => {
      clearTimeout(t);
      resolve();
    });
  });
}

/** 'full': controls; 'label': label only. (Low detail is not mounted: the GPU draws it.) */
export type Detail = 'full' | 'label';

export interface EngineSettings {
  /** Level of detail on: small nodes are drawn by the GPU, medium ones as labels. Off: every node in the window is mounted in full. */
  lod: boolean;
  /** Simplified edges: parallel mounted edges drawn as one (mergeParallel), and what simplifyEdges folds counted when the view settles (the GPU layer draws the bundles between clusters either way). */
  simplifyEdges: boolean;
  maxVisibleNodes: number;
}

/** The panel's starting values: max mounted nodes from the configuration (RENDERING_MAX_VISIBLE_NODES). */
export const DEFAULT_SETTINGS: EngineSettings = { lod: true, simplifyEdges: false, maxVisibleNodes: startConfig.rendering.maxVisibleNodes };

export interface Mounted {
  nodes: Node[];
  edges: Edge[];
}

export interface FrameInfo {
  stats: FrameStats;
  mounted: number;
  clusters: number;
  zoom: number;
}

type Listener = () => void;

/** Finds the document's node and edge objects by id (kept by the store, not copied here). */
export interface WorkflowLookup {
  node(id: string): Node | undefined;
  edge(id: string): Edge | undefined;
}

/**
 * Nodes in the first stage of a big workflow: indexed and drawn first. A
 * generated workflow's first 10,000 nodes cover its top rows, where the view
 * starts, many times over; indexing them takes tens of milliseconds.
 */
export const STAGE = 10_000;

/**
 * Test and inspection knobs (gpu.test.mjs and the benchmarks use them):
 * ?lodLow=z sets both LOD thresholds to z (0: mounted at any zoom), ?clusters=off
 * turns zoom-level clustering off (no cluster stands in for nodes, at any zoom).
 */
/**
 * Simplified edges in React Flow's share of the view: parallel edges (same
 * ends and handles) drawn as one, thicker, labelled with their count
 * (edges.mergeParallel's rule; the GPU layer bundles the rest). O(mounted).
 */
export function mergeParallel(edges: Edge[]): Edge[] {
  const at = new Map<string, number>();
  const out: Edge[] = [];
  const counts: number[] = [];
  for (const e of edges) {
    const key = `${e.source}\u0000${e.sourceHandle ?? ''}\u0000${e.target}\u0000${e.targetHandle ?? ''}`;
    const k = at.get(key);
    if (k === undefined) {
      at.set(key, out.length);
      out.push(e);
      counts.push(1);
    } else counts[k]! += 1;
  }
  return out.map((e, k) => {
    const n = counts[k]!;
    return n === 1 ? e : { ...e, label: `×${n}`, style: { ...e.style, strokeWidth: Math.min(1 + n, 6) }, data: { ...e.data, merged: n } };
  });
}

let engineSeq = 0;

/** A wasm trap, or a call on an object of the instance it replaced: the store rebuilds the engine. */
export function isTrap(e: unknown): boolean {
  return e instanceof WebAssembly.RuntimeError || (e instanceof FlowscaleError && e.code === 'MODULE_RESET');
}

export class FlowEngine {
  /** Unique per engine (a React key for the view that draws it). */
  readonly id = ++engineSeq;
  readonly optimizer: WorkflowOptimizer;
  readonly settings: EngineSettings;
  /** The whole workflow by id: the document's objects (the store keeps the index). */
  private readonly lookup: WorkflowLookup;
  private renderer: Renderer | null = null;
  private pane = { width: 0, height: 0 };
  private viewport: Viewport = { x: 0, y: 0, zoom: 1 };
  private mounted: Mounted = { nodes: [], edges: [] };
  private mountedListeners = new Set<Listener>();
  private frameListeners = new Set<(info: FrameInfo) => void>();
  private detail = new Map<string, Detail>();
  private detailListeners = new Map<string, Set<Listener>>();
  private detailZoom = NaN;
  private lastClusters: Clusters | null = null;
  private lastFrameInfo: FrameInfo | null = null;
  private destroyed = false;
  /** Set while a stage of a progressive build is being indexed. */
  building = false;
  /** A wasm trap took this engine's optimizer: it draws nothing more (the store replaces it). */
  trapped = false;

  constructor(lookup: WorkflowLookup, settings: EngineSettings = DEFAULT_SETTINGS) {
    this.lookup = lookup;
    this.settings = { ...settings };
    this.optimizer = new WorkflowOptimizer(effectiveConfig(settings).config);
  }

  /**
   * Index a workflow. Up to STAGE nodes in one call. Bigger ones: the first
   * STAGE nodes (a generated workflow's first rows, where the view starts)
   * are indexed and drawn at once, then the whole workflow is indexed in
   * slices (setWorkflowAsync) that never hold the main thread for long;
   * meanwhile the first part stays on screen and interactive.
   */
  async build(
    nodes: Node[],
    edges: Edge[],
    /** The same workflow as columns, when the caller has them (no walk over the objects). */
    columns: WorkflowColumns | null,
    /** Whether a node is among the first STAGE nodes (the caller's index answers without building a set). */
    inFirstStage: (id: string) => boolean,
    /** The first stage is already indexed (a preview of this document): index everything at once. */
    skipFirstStage: boolean,
    /** Share of the whole workflow indexed, 0–1. */
    onProgress: (fraction: number) => void,
    signal?: AbortSignal,
  ): Promise<void> {
    if (nodes.length <= STAGE) {
      if (this.destroyed) return;
      this.optimizer.setWorkflow({ nodes, edges });
      onProgress(1);
      this.refresh(true);
      return;
    }
    this.building = true;
    try {
      if (!skipFirstStage) {
        const first = nodes.slice(0, STAGE);
        const firstEdges = edges.filter((e) => inFirstStage(e.source) && inFirstStage(e.target));
        this.optimizer.setWorkflow({ nodes: first, edges: firstEdges });
        onProgress(0);
        this.refresh(true);
        // Two frames: React mounts the first nodes and the browser paints them before the rest.
        await nextFrame();
        await nextFrame();
      }
      if (this.destroyed) return;
      signal?.throwIfAborted();
      await this.optimizer.setWorkflowAsync(columns ?? { nodes, edges }, { signal, onProgress: (p) => onProgress(p.fraction) });
      if (this.destroyed) return;
      this.refresh(true);
    } finally {
      this.building = false;
    }
  }

  destroy(): void {
    this.destroyed = true;
    this.renderer = null;
    this.optimizer.free();
  }

  /** The GPU renderer drawing this engine's frames, once one is attached. */
  get currentRenderer(): Renderer | null {
    return this.renderer;
  }

  get isDestroyed(): boolean {
    return this.destroyed;
  }

  // ---- the view's inputs ----------------------------------------------------

  /** The GPU layer drawing this engine's frames (null: none). `canvas` is its canvas, to skip a resize that changes nothing. */
  attachRenderer(r: Renderer | null, canvas?: HTMLCanvasElement): void {
    this.renderer = r;
    const { width, height } = this.pane;
    if (r && width > 0 && height > 0) {
      const same = canvas && canvas.width === Math.round(width * devicePixelRatio) && canvas.height === Math.round(height * devicePixelRatio);
      if (!same) r.resize(width, height, devicePixelRatio);
    }
    this.refresh(true);
  }

  setPane(width: number, height: number): void {
    const changed = width !== this.pane.width || height !== this.pane.height;
    this.pane = { width, height };
    if (changed && width > 0 && height > 0) this.renderer?.resize(width, height, devicePixelRatio);
    this.refresh(true);
  }

  setViewport(v: Viewport): void {
    this.viewport = v;
    this.refresh(false);
  }

  getViewport(): Viewport {
    return this.viewport;
  }

  /**
   * The panel's LOD and max-mounted settings, applied to the loaded workflow
   * with setConfig (no re-indexing), then a frame with the new window.
   */
  applySettings(settings: EngineSettings): void {
    this.optimizer.setConfig({ rendering: effectiveConfig(settings).config.rendering });
    Object.assign(this.settings, settings);
    this.detailZoom = NaN;
    this.refresh(true);
  }

  // ---- the frame --------------------------------------------------------------

  /** One frame: culling, level of detail, window; GPU drawing; React's share when it changed. */
  refresh(force: boolean): void {
    if (this.destroyed || this.trapped) return;
    const { width, height } = this.pane;
    if (width <= 0 || height <= 0) return;
    let f: Frame;
    try {
      f = this.optimizer.frame(this.viewport, this.pane);
      // The GPU draws every frame: what React does not mount moves with the view.
      this.renderer?.render(f);
    } catch (e) {
      if (!isTrap(e)) throw e;
      // The store builds a new engine from its document (onTrap); until then this one shows what it showed.
      this.trapped = true;
      return;
    }
    this.lastClusters = f.clusters ?? null;
    const windowChanged = force || f.entered.length > 0 || f.left.length > 0;
    if (windowChanged) this.remount(f);
    if (windowChanged || this.viewport.zoom !== this.detailZoom) this.updateDetail(f);
    const info: FrameInfo = {
      stats: f.stats,
      mounted: this.mounted.nodes.length,
      clusters: f.clusters?.count.length ?? 0,
      zoom: this.viewport.zoom,
    };
    this.lastFrameInfo = info;
    for (const l of this.frameListeners) l(info);
  }

  private remount(f: Frame): void {
    const nodes: Node[] = [];
    // Keep React's own objects for nodes that stay (selection, measurements), the workflow's for new ones.
    const current = new Map(this.mounted.nodes.map((n) => [n.id, n]));
    for (const id of f.visibleIds) {
      const n = current.get(id) ?? this.lookup.node(id);
      if (n) nodes.push(n);
    }
    // React Flow draws the edges between mounted nodes; the GPU draws the rest.
    const edges: Edge[] = [];
    const currentEdges = new Map(this.mounted.edges.map((e) => [e.id, e]));
    for (const id of f.mountedEdgeIds) {
      const e = currentEdges.get(id) ?? this.lookup.edge(id);
      if (e) edges.push(e);
    }
    this.setMounted({ nodes, edges: this.settings.simplifyEdges ? mergeParallel(edges) : edges });
  }

  private setMounted(m: Mounted): void {
    this.mounted = m;
    for (const l of this.mountedListeners) l();
  }

  /** Level of detail of mounted nodes, from the frame (visibleIds × visibleLod); notifies only nodes whose detail changed. */
  private updateDetail(f: Frame): void {
    this.detailZoom = this.viewport.zoom;
    const next = new Map<string, Detail>();
    const { visibleIds, visibleLod } = f;
    for (let k = 0; k < visibleIds.length; k++) next.set(visibleIds[k]!, visibleLod[k] === 0 ? 'full' : 'label');
    const previous = this.detail;
    this.detail = next;
    for (const [id, listeners] of this.detailListeners) {
      if ((previous.get(id) ?? 'full') !== (next.get(id) ?? 'full')) for (const l of listeners) l();
    }
  }

  // ---- subscriptions (useSyncExternalStore) -------------------------------------

  subscribeMounted = (l: Listener): (() => void) => {
    this.mountedListeners.add(l);
    return () => this.mountedListeners.delete(l);
  };

  getMounted = (): Mounted => this.mounted;

  subscribeFrames(l: (info: FrameInfo) => void): () => void {
    this.frameListeners.add(l);
    return () => this.frameListeners.delete(l);
  }

  lastFrame(): FrameInfo | null {
    return this.lastFrameInfo;
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

  // ---- edits -------------------------------------------------------------------

  /**
   * React Flow node changes: to the optimizer (all or nothing), then to the
   * objects React mounts. Adds and replacements must already be in the
   * document (the store commits them first): new nodes are mounted from it.
   */
  applyNodeChanges(changes: NodeChange[]): void {
    if (changes.length === 0) return;
    this.optimizer.applyNodeChanges(changes as unknown as FlowscaleNodeChange[]);
    const nodes = applyNodeChanges(changes, this.mounted.nodes);
    const removed = new Set(changes.filter((c) => c.type === 'remove').map((c) => c.id));
    const edges = removed.size ? this.mounted.edges.filter((e) => !removed.has(e.source) && !removed.has(e.target)) : this.mounted.edges;
    this.setMounted({ nodes, edges });
    // Adds can enter the window; the GPU layer follows drags.
    this.refresh(changes.some((c) => c.type === 'add'));
  }

  applyEdgeChanges(changes: EdgeChange[]): void {
    if (changes.length === 0) return;
    this.optimizer.applyEdgeChanges(changes as unknown as FlowscaleEdgeChange[]);
    this.setMounted({ nodes: this.mounted.nodes, edges: applyEdgeChanges(changes, this.mounted.edges) });
    this.refresh(changes.some((c) => c.type === 'add'));
  }

  /** A mounted node as React Flow has it (position during a drag, selection), if mounted. */
  mountedNode(id: string): Node | undefined {
    return this.mounted.nodes.find((n) => n.id === id);
  }

  // ---- clusters and simplified edges ------------------------------------------------

  /** The zoom-level cluster drawn under a point of the flow (world coordinates), if any. */
  clusterAt(x: number, y: number): { id: number; count: number; types: string[]; bounds: [number, number, number, number] } | null {
    const c = this.lastClusters;
    if (!c) return null;
    const names = this.typeNames();
    for (let j = 0; j < c.ids.length; j++) {
      const bx = c.bounds[4 * j]!, by = c.bounds[4 * j + 1]!, bw = c.bounds[4 * j + 2]!, bh = c.bounds[4 * j + 3]!;
      if (x >= bx && x <= bx + bw && y >= by && y <= by + bh) {
        const types: string[] = [];
        for (let t = 0; t < 3; t++) {
          const ti = c.typeIds[3 * j + t]!;
          if (ti !== 0xffffffff && names[ti]) types.push(names[ti]);
        }
        return { id: c.ids[j]!, count: c.count[j]!, types, bounds: [bx, by, bw, bh] };
      }
    }
    return null;
  }

  expandCluster(id: number): ClusterExpansion {
    return this.optimizer.expandCluster(id);
  }

  private typeNamesCache: string[] | null = null;
  private typeNames(): string[] {
    this.typeNamesCache ??= this.optimizer.typeNames();
    return this.typeNamesCache;
  }

  /**
   * Edges of the last frame, simplified (bundles between clusters, short and
   * parallel edges folded), for the counts the optimizer panel shows. Called
   * when the view settles, not per frame. (The GPU layer draws the bundles
   * between clusters itself.)
   */
  simplify(): SimplifiedEdges | null {
    if (this.destroyed || this.pane.width <= 0) return null;
    return this.optimizer.simplifyEdges();
  }
}
