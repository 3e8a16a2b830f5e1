// FlowEngine: one workflow inside flowscale, as the demo's store drives it.
// The frames, the mounted window, each mounted node's level of detail, the
// GPU renderer and the cluster lookup are flowscale/react's
// FlowscaleController, driven from the store's document (useDocument: the
// store keeps and edits its arrays in place, so the controller never copies
// them nor builds an id table of them). What stays here is the demo's own:
// its settings panel (LOD, max mounted, simplified edges), the staged load's
// knobs, React Flow change lists from the store (so the optimizer, the GPU
// layer and React always see the same workflow) and the frame info the stats
// bar and the PerformanceService read. After a wasm trap the store replaces
// the engine with one built from its document (documentSlice.ts); this one
// stops drawing.
import { applyEdgeChanges, applyNodeChanges, type Edge, type EdgeChange, type Node, type NodeChange, type Viewport } from '@xyflow/react';
import {
  type ClusterExpansion,
  type EdgeChange as FlowscaleEdgeChange,
  type FrameStats,
  type NodeChange as FlowscaleNodeChange,
  type Renderer,
  type SimplifiedEdges,
  type WorkflowColumns,
  type WorkflowOptimizer,
} from 'flowscale';
import { FlowscaleController, STAGE, type MountedWindow } from 'flowscale/react';
import { effectiveConfig, startConfig } from '@/config';

export { STAGE };

export interface EngineSettings {
  /** Level of detail on: small nodes are drawn by the GPU, medium ones as labels. Off: every node in the window is mounted in full. */
  lod: boolean;
  /** Simplified edges: parallel mounted edges drawn as one (mergeParallel), and what simplifyEdges folds counted when the view settles (the GPU layer draws the bundles between clusters either way). */
  simplifyEdges: boolean;
  maxVisibleNodes: number;
}

/** The panel's starting values: max mounted nodes from the configuration (RENDERING_MAX_VISIBLE_NODES). */
export const DEFAULT_SETTINGS: EngineSettings = { lod: true, simplifyEdges: false, maxVisibleNodes: startConfig.rendering.maxVisibleNodes };

export type Mounted = MountedWindow<Node, Edge>;

export interface FrameInfo {
  stats: FrameStats;
  mounted: number;
  clusters: number;
  zoom: number;
}

/** Finds the document's node and edge objects by id (kept by the store, not copied here). */
export interface WorkflowLookup {
  node(id: string): Node | undefined;
  edge(id: string): Edge | undefined;
}

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

export class FlowEngine {
  /** Unique per engine (a React key for the view that draws it). */
  readonly id = ++engineSeq;
  readonly settings: EngineSettings;
  /** Frames, window, detail, renderer and clusters: driven from the store's document. */
  readonly controller: FlowscaleController<Node, Edge>;
  /** The controller's optimizer, made once: a driven controller never replaces it (a trap replaces the engine). */
  readonly optimizer: WorkflowOptimizer;
  private frameListeners = new Set<(info: FrameInfo) => void>();
  private lastFrameInfo: FrameInfo | null = null;

  constructor(lookup: WorkflowLookup, settings: EngineSettings = DEFAULT_SETTINGS) {
    this.settings = { ...settings };
    const c = (this.controller = new FlowscaleController<Node, Edge>({ config: effectiveConfig(settings).config }));
    c.useDocument({
      node: (id) => lookup.node(id),
      edge: (id) => lookup.edge(id),
      mountEdges: (edges) => (this.settings.simplifyEdges ? mergeParallel(edges) : edges),
    });
    this.optimizer = c.optimizer;
    c.subscribeFrames(() => {
      const info: FrameInfo = { stats: c.stats, mounted: c.getMounted().nodes.length, clusters: c.clusterCount, zoom: c.getViewport().zoom };
      this.lastFrameInfo = info;
      for (const l of this.frameListeners) l(info);
    });
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
    await this.controller.loadDocument(nodes, edges, { columns, inFirstStage, skipFirstStage, onProgress, signal });
  }

  destroy(): void {
    this.controller.destroy();
  }

  /** The GPU renderer drawing this engine's frames, once one is attached. */
  get currentRenderer(): Renderer | null {
    return this.controller.currentRenderer;
  }

  get isDestroyed(): boolean {
    return this.controller.isDestroyed;
  }

  /** A wasm trap took this engine's optimizer: it draws nothing more (the store replaces it). */
  get trapped(): boolean {
    return this.controller.trapped;
  }

  // ---- the view's inputs ----------------------------------------------------

  /** The pane's size in CSS pixels (tests read it). */
  get pane(): { width: number; height: number } {
    return this.controller.getPane();
  }

  getViewport(): Viewport {
    return this.controller.getViewport();
  }

  /**
   * The panel's LOD and max-mounted settings, applied to the loaded workflow
   * with setConfig (no re-indexing), then a frame with the new window.
   */
  applySettings(settings: EngineSettings): void {
    Object.assign(this.settings, settings);
    this.controller.setConfig(effectiveConfig(settings).config);
    // A new window even when the config is the same: simplified edges change what React mounts.
    this.controller.refresh(true);
  }

  /** One frame: culling, level of detail, window; GPU drawing; React's share when it changed. */
  refresh(force: boolean): void {
    this.controller.refresh(force);
  }

  // ---- subscriptions (useSyncExternalStore) -------------------------------------

  subscribeMounted = (l: () => void): (() => void) => this.controller.subscribeMounted(l);

  getMounted = (): Mounted => this.controller.getMounted();

  subscribeFrames(l: (info: FrameInfo) => void): () => void {
    this.frameListeners.add(l);
    return () => this.frameListeners.delete(l);
  }

  lastFrame(): FrameInfo | null {
    return this.lastFrameInfo;
  }

  // ---- edits -------------------------------------------------------------------

  /**
   * React Flow node changes: to the optimizer (all or nothing), then to the
   * objects React mounts. Adds and replacements must already be in the
   * document (the store commits them first): new nodes are mounted from it.
   */
  applyNodeChanges(changes: NodeChange[]): void {
    if (changes.length === 0) return;
    const c = this.controller;
    c.optimizer.applyNodeChanges(changes as unknown as FlowscaleNodeChange[]);
    const mounted = c.getMounted();
    const nodes = applyNodeChanges(changes, mounted.nodes);
    const removed = new Set(changes.filter((ch) => ch.type === 'remove').map((ch) => ch.id));
    const edges = removed.size ? mounted.edges.filter((e) => !removed.has(e.source) && !removed.has(e.target)) : mounted.edges;
    c.replaceMounted({ nodes, edges });
    // Adds can enter the window; the GPU layer follows drags.
    c.refresh(changes.some((ch) => ch.type === 'add'));
  }

  applyEdgeChanges(changes: EdgeChange[]): void {
    if (changes.length === 0) return;
    const c = this.controller;
    c.optimizer.applyEdgeChanges(changes as unknown as FlowscaleEdgeChange[]);
    const mounted = c.getMounted();
    c.replaceMounted({ nodes: mounted.nodes, edges: applyEdgeChanges(changes, mounted.edges) });
    c.refresh(changes.some((ch) => ch.type === 'add'));
  }

  /** A mounted node as React Flow has it (position during a drag, selection), if mounted. */
  mountedNode(id: string): Node | undefined {
    return this.controller.mountedNode(id);
  }

  // ---- clusters and simplified edges ------------------------------------------------

  /** The zoom-level cluster drawn under a point of the flow (world coordinates), if any; `bounds`: its members' union, to zoom to. */
  clusterAt(x: number, y: number): { id: number; count: number; types: string[]; bounds: [number, number, number, number] } | null {
    const c = this.controller.clusterAt({ x, y });
    if (!c) return null;
    const b = c.bounds;
    return { id: c.id, count: c.count, types: c.types, bounds: [b.x, b.y, b.width, b.height] };
  }

  expandCluster(id: number): ClusterExpansion {
    return this.controller.expandCluster(id);
  }

  /**
   * Edges of the last frame, simplified (bundles between clusters, short and
   * parallel edges folded), for the counts the optimizer panel shows. Called
   * when the view settles, not per frame. (The GPU layer draws the bundles
   * between clusters itself.)
   */
  simplify(): SimplifiedEdges | null {
    if (this.isDestroyed || this.trapped || this.pane.width <= 0) return null;
    return this.optimizer.simplifyEdges();
  }
}
