// useAudioStore: the editor's state (zustand).
//
// It holds the workflow document (nodes, edges, viewport), the audio-graph
// actions that edit it, and the optimizer state the panels show. Edits are
// React Flow NodeChange/EdgeChange lists, applied in the same order to the
// document here and to the FlowEngine (flowscale's index, the GPU layer and
// the mounted nodes), so every layer sees one workflow.
//
// Per-frame work never goes through this store: the flow reads frames from
// the engine; a drag updates the engine on every move and this document once,
// when the drag ends; the viewport is stored when a pan or zoom ends.
// Components select small slices (counts, flags), never the node array.
import {
  applyEdgeChanges as rfApplyEdgeChanges,
  applyNodeChanges as rfApplyNodeChanges,
  type Connection,
  type Edge,
  type EdgeChange,
  type Node,
  type NodeChange,
  type Viewport,
} from '@xyflow/react';
import { create } from 'zustand';
import type { WorkflowColumns } from 'flowscale';
import { closedPart, generateAudioWorkflowInChunks, workflowColumns, yieldToBrowser } from '@/audio/generate';
import { parseWorkflowJson, workflowToJson, handlesFromEdges } from '@/audio/io';
import { handleSignal, isAudioKind, makeAudioNode, NODE_HEIGHT, NODE_WIDTH, type AudioKind, type AudioNodeData } from '@/audio/model';
import { DEFAULT_SETTINGS, FlowEngine, STAGE, type EngineSettings, type WorkflowLookup } from '@/flow/engine';
import { DocIndex, type SlotSource } from '@/store/docIndex';
import performanceService, {
  type BenchmarkReport,
  type OptimizationReport,
  type ServiceStatus,
  type WorkflowData,
} from '@/services/performanceService';
import { CancelledError, engineClient } from '@/workers/engineClient';

export const SCENARIOS = [100, 1_000, 10_000, 100_000, 1_000_000] as const;

export type Mode = 'flowscale' | 'plain' | 'plain-visible';

export type Source =
  | { kind: 'scenario'; size: number }
  | { kind: 'import'; name: string }
  | { kind: 'cache'; id: string }
  | { kind: 'layout' }
  | { kind: 'grouped' };

export interface Progress {
  /** What is happening, for people ("Generating 1,000,000 nodes"). */
  label: string;
  /** 0–1. */
  fraction: number;
}

export interface Notice {
  kind: 'error' | 'info';
  message: string;
}

export interface CacheEntryInfo {
  id: string;
  nodes: number;
  edges: number;
  cachedAt: number;
  contentHash: string;
}

export const CACHE_ID = 'current-workflow';

export interface LoadOptions {
  /** Keep the current viewport instead of the workflow's own. */
  keepViewport?: boolean;
  /** The first part of a document still being generated: shown, but the load goes on. */
  preview?: boolean;
  /** Index into the current engine (the document grew from a preview): the view stays as it is. */
  reuseEngine?: boolean;
}

export interface AudioState {
  nodes: Node[];
  edges: Edge[];
  viewport: Viewport;
  /** Bumped whenever a new document replaces the workflow (scenario, import, layout, cache, grouping). */
  docId: number;
  source: Source;
  mode: Mode;
  settings: EngineSettings;
  /** flowscale's engine for this document (flowscale mode only). */
  engine: FlowEngine | null;
  loading: Progress | null;
  /** Load start → first nodes on screen, ms, for the current document. */
  firstRenderMs: number | null;
  notice: Notice | null;
  /** Handles of imported nodes of unknown types, by node id (from the edges' handle ids). */
  genericHandles: Map<string, { inputs: string[]; outputs: string[] }>;
  /** The last optimizeWorkflow result and its recommendations. */
  optimizer: { running: boolean; result: OptimizationReport | null; applied: string[]; error: string | null };
  layout: (Progress & { running: boolean; stats: string | null }) | null;
  benchmark: { running: boolean; fraction: number; report: BenchmarkReport | null; error: string | null };
  cache: { busy: boolean; entry: CacheEntryInfo | null; lastMs: number | null; error: string | null };

  // ---- documents ----
  loadScenario(size: number): Promise<void>;
  /** Replace the document; resolves false (and keeps the previous one) when flowscale rejects it. */
  loadWorkflow(workflow: WorkflowData, source: Source, options?: LoadOptions): Promise<boolean>;
  importWorkflow(text: string, name: string): Promise<boolean>;
  exportWorkflow(): string;
  setMode(mode: Mode): void;
  setViewport(viewport: Viewport): void;
  dismissNotice(): void;
  /** The first nodes of a document are on screen (called by the flow views). */
  markFirstRender(): void;

  // ---- audio-graph actions ----
  applyNodeChanges(changes: NodeChange[]): void;
  applyEdgeChanges(changes: EdgeChange[]): void;
  isValidConnection(c: Connection | Edge): boolean;
  connect(c: Connection): boolean;
  addNode(kind: AudioKind, position?: { x: number; y: number }): string;
  updateParam(id: string, key: string, value: number): void;
  removeNodes(ids: string[]): void;

  // ---- optimizer (PerformanceService) ----
  optimizeWorkflow(workflowData?: WorkflowData): Promise<OptimizationReport | null>;
  getPerformanceStatus(): ServiceStatus & { nodes: number; edges: number; mode: Mode; settings: EngineSettings; firstRenderMs: number | null };
  applyRecommendation(id: string): Promise<void>;
  updateSettings(patch: Partial<EngineSettings>): Promise<void>;
  runLayout(direction?: 'LR' | 'TB'): Promise<void>;
  cancelLayout(): void;
  runBenchmark(iterations: number): Promise<void>;
  cacheWorkflow(): Promise<void>;
  loadCachedWorkflow(): Promise<boolean>;
  refreshCacheEntry(): Promise<void>;
}

// Outside React state: where each node and edge sits in `nodes` / `edges`.
// In flowscale mode it asks the engine's optimizer (no second id table of
// the document); otherwise it holds Maps built in chunks (see DocIndex).
let index = new DocIndex([], []);
function reindex(nodes: Node[], edges: Edge[]): void {
  const { source, trusted } = index.sourceState;
  index = new DocIndex(nodes, edges);
  if (!source) {
    index.indexUpTo(Infinity, Infinity);
    return;
  }
  index.useSource(source);
  if (trusted) index.trustSource();
}

/** The engine's optimizer as the document index's source of slots. */
function slotSource(engine: FlowEngine): SlotSource {
  const opt = engine.optimizer;
  return { nodeSlot: (id) => opt.indexOf(id), edgeSlot: (id) => opt.edgeIndexOf(id) };
}

/** A document's columns for flowscale, when known (generated scenarios): loaded without walking the node objects. */
const columnsOf = new WeakMap<Node[], WorkflowColumns>();

/** Drags in progress (flowscale mode): committed to the document when they end. */
const dragging = new Set<string>();
/** The load in progress; a newer load aborts it. */
let loadController: AbortController | null = null;
let loadStartedAt = 0;
let firstRenderPending = false;
let nodeSeq = 1;

const params = new URLSearchParams(typeof window === 'undefined' ? '' : window.location.search);

export function initialMode(): Mode {
  const m = params.get('mode');
  return m === 'plain' || m === 'plain-visible' ? m : 'flowscale';
}

/** ?lod=off (or ?lodLow=0, as the GPU alignment test says it): every node in the window mounted in full. */
function initialSettings(): EngineSettings {
  return { ...DEFAULT_SETTINGS, lod: !(params.get('lod') === 'off' || params.get('lodLow') === '0') };
}

export function initialSize(): number {
  const n = Number(params.get('n'));
  return Number.isInteger(n) && n > 0 && n <= 1_000_000 ? n : 1_000;
}

function setUrl(patch: Record<string, string | null>): void {
  const q = new URLSearchParams(window.location.search);
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) q.delete(k);
    else q.set(k, v);
  }
  window.history.replaceState(null, '', `?${q}`);
}

const INITIAL_VIEWPORT: Viewport = { x: 40, y: 40, zoom: 1 };

function message(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}

export const useAudioStore = create<AudioState>()((set, get) => {
  const lookup: WorkflowLookup = {
    node: (id) => {
      const i = index.node(id);
      return i === undefined ? undefined : get().nodes[i];
    },
    edge: (id) => {
      const i = index.edge(id);
      return i === undefined ? undefined : get().edges[i];
    },
  };

  /** Build the engine of the current document (flowscale mode), in stages; `reuse`: index it into the current engine (it grew from a preview). */
  async function buildEngine(signal: AbortSignal, from: number, span: number, reuse = false): Promise<void> {
    const { nodes, edges, settings } = get();
    const current = get().engine;
    const engine = reuse && current ? current : new FlowEngine(lookup, settings);
    if (engine !== current) {
      set({ engine });
      current?.destroy();
    }
    // Lookups go to the engine's optimizer (its slots are the document's positions).
    const docIndex = index;
    docIndex.useSource(slotSource(engine));
    // The first stage's nodes (and about as many edges), to pick the first stage's edges.
    docIndex.indexUpTo(STAGE, STAGE * 1.25);
    await performanceService.profile('index workflow', () =>
      engine.build(
        nodes,
        edges,
        columnsOf.get(nodes) ?? null,
        (id) => (index.peekNode(id) ?? Infinity) < STAGE,
        reuse,
        (fraction) =>
          set({
            loading:
              fraction < 1
                ? { label: `Indexing ${nodes.length.toLocaleString('en')} nodes (${Math.floor(fraction * 100)} %)`, fraction: from + span * fraction }
                : { label: `Indexed ${nodes.length.toLocaleString('en')} nodes`, fraction: from + span },
          }),
        signal,
      ),
    );
    // The optimizer now holds exactly this document.
    if (!signal.aborted && docIndex === index) docIndex.trustSource();
  }

  /** Write committed node changes into the document (adds/removes rebuild the index; others replace objects). */
  function commitNodes(changes: NodeChange[]): void {
    if (changes.length === 0) return;
    if (changes.some((c) => c.type === 'add' || c.type === 'remove')) {
      const next = rfApplyNodeChanges(changes, get().nodes);
      reindex(next, get().edges);
      set({ nodes: next });
      return;
    }
    const nodes = get().nodes.slice();
    const engine = get().engine;
    for (const c of changes) {
      if (c.type !== 'position' && c.type !== 'replace') continue;
      const i = index.node(c.id);
      if (i === undefined) continue;
      if (c.type === 'replace') nodes[i] = c.item;
      else {
        // The end of a drag: the node as React Flow has it now.
        const live = engine?.mountedNode(c.id);
        const base = nodes[i]!;
        const position = live?.position ?? c.position ?? base.position;
        nodes[i] = { ...base, position };
      }
    }
    set({ nodes });
  }

  return {
    nodes: [],
    edges: [],
    viewport: INITIAL_VIEWPORT,
    docId: 0,
    source: { kind: 'scenario', size: 0 },
    mode: initialMode(),
    settings: initialSettings(),
    engine: null,
    loading: null,
    firstRenderMs: null,
    notice: null,
    genericHandles: new Map(),
    optimizer: { running: false, result: null, applied: [], error: null },
    layout: null,
    benchmark: { running: false, fraction: 0, report: null, error: null },
    cache: { busy: false, entry: null, lastMs: null, error: null },

    async loadScenario(size) {
      loadController?.abort();
      const controller = (loadController = new AbortController());
      loadStartedAt = performance.now();
      firstRenderPending = true;
      performanceService.startLoad();
      const label = `Generating ${size.toLocaleString('en')} nodes`;
      const source: Source = { kind: 'scenario', size };
      set({ loading: { label, fraction: 0 }, notice: null, firstRenderMs: null });
      setUrl({ n: String(size) });
      let previewed = false;
      try {
        const wf = await performanceService.profile('generate workflow', () =>
          generateAudioWorkflowInChunks(
            size,
            async (f, sofar) => {
              set({ loading: { label, fraction: 0.3 * f } });
              // Big workflows: the first part is indexed and shown while the rest is generated.
              if (!previewed && f < 1 && sofar.nodes.length >= STAGE && get().mode === 'flowscale') {
                previewed = true;
                await get().loadWorkflow({ ...closedPart(sofar), viewport: INITIAL_VIEWPORT }, source, { preview: true });
                set({ loading: { label, fraction: 0.3 * f } });
              }
            },
            controller.signal,
          ),
        );
        if (controller.signal.aborted) return;
        // The same workflow as columns: flowscale indexes them without walking a million objects.
        if (size > STAGE && get().mode === 'flowscale') {
          const cols = await workflowColumns(wf, controller.signal);
          if (cols) columnsOf.set(wf.nodes, cols);
        }
        await get().loadWorkflow({ ...wf, viewport: INITIAL_VIEWPORT }, source, { reuseEngine: previewed, keepViewport: previewed });
      } catch (e) {
        if (controller.signal.aborted) return;
        set({ loading: null, notice: { kind: 'error', message: `Could not load the scenario: ${message(e)}` } });
      }
    },

    async loadWorkflow(workflow, source, options = {}) {
      // A load started by loadScenario keeps its start time and controller.
      if (source.kind !== 'scenario' || !loadController || loadController.signal.aborted) {
        loadController?.abort();
        loadController = new AbortController();
        loadStartedAt = performance.now();
      }
      const controller = loadController ?? (loadController = new AbortController());
      const previous = { nodes: get().nodes, edges: get().edges, viewport: get().viewport, source: get().source, genericHandles: get().genericHandles };
      const viewport = options.keepViewport ? get().viewport : (workflow.viewport ?? INITIAL_VIEWPORT);
      // Only imported workflows have nodes of other types (drawn by the generic node, with the handles their edges name).
      const genericHandles = workflow.nodes.some((n) => !isAudioKind(n.type)) ? handlesFromEdges(workflow.edges) : new Map<string, { inputs: string[]; outputs: string[] }>();
      index = new DocIndex(workflow.nodes, workflow.edges);
      dragging.clear();
      const reuse = options.reuseEngine === true && get().engine !== null && get().mode === 'flowscale';
      if (!reuse && !options.preview && source.kind !== 'scenario') {
        firstRenderPending = true;
        performanceService.startLoad();
      }
      set((s) => ({
        nodes: workflow.nodes,
        edges: workflow.edges,
        viewport,
        source,
        genericHandles,
        // A preview and the full document it grows into are one document to the views.
        docId: reuse ? s.docId : s.docId + 1,
        firstRenderMs: reuse ? s.firstRenderMs : firstRenderPending ? null : s.firstRenderMs,
        optimizer: { ...s.optimizer, result: null, applied: [], error: null },
        loading: { label: `Indexing ${workflow.nodes.length.toLocaleString('en')} nodes`, fraction: 0.3 },
      }));
      try {
        if (get().mode === 'flowscale') await buildEngine(controller.signal, 0.3, 0.7, reuse);
        else {
          index.useSource(null);
          get().engine?.destroy();
          set({ engine: null });
        }
        if (controller.signal.aborted) return false;
        if (!options.preview) set({ loading: null });
        return true;
      } catch (e) {
        if (controller.signal.aborted) return false;
        // Keep the document that was there: flowscale rejected this one.
        reindex(previous.nodes, previous.edges);
        set((s) => ({ ...previous, docId: s.docId + 1, loading: null, notice: { kind: 'error', message: `This workflow was not loaded: ${message(e)}` } }));
        if (get().mode === 'flowscale') {
          const c = (loadController = new AbortController());
          await buildEngine(c.signal, 0, 1).catch(() => undefined);
          set({ loading: null });
        }
        return false;
      }
    },

    async importWorkflow(text, name) {
      let wf;
      try {
        wf = parseWorkflowJson(text);
      } catch (e) {
        set({ notice: { kind: 'error', message: `Could not import ${name}: ${message(e)}` } });
        return false;
      }
      if (!wf.viewport) fitRequested = true;
      const ok = await get().loadWorkflow({ nodes: wf.nodes, edges: wf.edges, viewport: wf.viewport ?? undefined }, { kind: 'import', name });
      if (ok) {
        setUrl({ n: null });
        set({ notice: { kind: 'info', message: `Imported ${name}: ${wf.nodes.length.toLocaleString('en')} nodes, ${wf.edges.length.toLocaleString('en')} edges` } });
      } else fitRequested = false;
      return ok;
    },

    exportWorkflow() {
      const { nodes, edges, engine } = get();
      const viewport = engine?.getViewport() ?? get().viewport;
      return workflowToJson(nodes, edges, viewport);
    },

    setMode(mode) {
      if (mode === get().mode) return;
      setUrl({ mode });
      set({ mode });
      if (mode === 'flowscale') {
        const c = (loadController = new AbortController());
        loadStartedAt = performance.now();
        firstRenderPending = true;
        performanceService.startLoad();
        set({ loading: { label: 'Indexing', fraction: 0 }, firstRenderMs: null });
        void buildEngine(c.signal, 0, 1)
          .then(() => set({ loading: null }))
          .catch((e: unknown) => {
            if (!c.signal.aborted) set({ loading: null, notice: { kind: 'error', message: message(e) } });
          });
      } else {
        // Plain React Flow: the document index holds its own Maps again.
        index.useSource(null);
        get().engine?.destroy();
        loadStartedAt = performance.now();
        firstRenderPending = true;
        performanceService.startLoad();
        set({ engine: null, firstRenderMs: null });
      }
    },

    setViewport(viewport) {
      set({ viewport });
    },

    dismissNotice() {
      set({ notice: null });
    },

    markFirstRender() {
      if (!firstRenderPending) return;
      firstRenderPending = false;
      const ms = performance.now() - loadStartedAt;
      performanceService.recordFirstRender(ms);
      set({ firstRenderMs: ms });
    },

    // ---- audio-graph actions ------------------------------------------------------

    applyNodeChanges(changes) {
      if (changes.length === 0) return;
      const { mode, engine, edges } = get();
      // Removing a node removes its edges, including those React Flow never saw (their other end was not mounted).
      const removed = new Set(changes.filter((c) => c.type === 'remove').map((c) => c.id));
      if (removed.size) {
        const attached = edges.filter((e) => removed.has(e.source) || removed.has(e.target)).map((e): EdgeChange => ({ type: 'remove', id: e.id }));
        if (attached.length) get().applyEdgeChanges(attached);
      }
      if (mode !== 'flowscale' || !engine) {
        // Plain React Flow: the document is what React Flow renders; every change applies at once.
        const next = rfApplyNodeChanges(changes, get().nodes);
        if (removed.size || changes.some((c) => c.type === 'add')) reindex(next, get().edges);
        set({ nodes: next });
        return;
      }
      // The document first for adds, removes and replacements (the engine mounts new nodes from it) …
      commitNodes(changes.filter((c) => c.type === 'add' || c.type === 'remove' || c.type === 'replace'));
      engine.applyNodeChanges(changes);
      // … and moves once the drag ends (during it, only the engine and the GPU layer follow the pointer).
      const ended: NodeChange[] = [];
      for (const c of changes) {
        if (c.type !== 'position') continue;
        if (c.dragging) dragging.add(c.id);
        else {
          dragging.delete(c.id);
          ended.push(c);
        }
      }
      commitNodes(ended);
    },

    applyEdgeChanges(changes) {
      if (changes.length === 0) return;
      const { mode, engine } = get();
      // Selection lives in React Flow (and the engine); the document keeps adds, removes and replacements.
      const keep = mode === 'flowscale' ? changes.filter((c) => c.type !== 'select') : changes;
      if (keep.length) {
        const edges = rfApplyEdgeChanges(keep, get().edges);
        const adds = keep.filter((c) => c.type === 'add');
        const only = adds[0];
        const removes = keep.some((c) => c.type === 'remove');
        if (adds.length || removes) {
          if (!(adds.length === 1 && only && !removes && index.appendEdge(only.item.id, edges.length - 1))) reindex(get().nodes, edges);
        }
        set({ edges });
      }
      if (mode === 'flowscale' && engine) engine.applyEdgeChanges(changes);
    },

    isValidConnection(c) {
      if (!c.source || !c.target || c.source === c.target) return false;
      const nodes = get().nodes;
      const s = nodes[index.node(c.source) ?? -1];
      const t = nodes[index.node(c.target) ?? -1];
      if (!s || !t) return false;
      // Typed handles: audio to audio, control to control. Other node types accept anything.
      if (!isAudioKind(s.type) || !isAudioKind(t.type)) return true;
      const from = handleSignal(s.type, c.sourceHandle, 'source');
      const to = handleSignal(t.type, c.targetHandle, 'target');
      return from !== null && from === to;
    },

    connect(c) {
      if (!get().isValidConnection(c)) return false;
      const id = `${c.source}:${c.sourceHandle ?? ''}->${c.target}:${c.targetHandle ?? ''}`;
      if (get().edges.some((e) => e.id === id)) return false;
      const s = get().nodes[index.node(c.source) ?? -1];
      const signal = s && isAudioKind(s.type) ? handleSignal(s.type, c.sourceHandle, 'source') : null;
      const edge: Edge = {
        id,
        source: c.source,
        target: c.target,
        sourceHandle: c.sourceHandle,
        targetHandle: c.targetHandle,
        ...(signal === 'control' ? { className: 'signal-control' } : {}),
      };
      get().applyEdgeChanges([{ type: 'add', item: edge }]);
      return true;
    },

    addNode(kind, position) {
      const engine = get().engine;
      const vp = engine?.getViewport() ?? get().viewport;
      const at = position ?? { x: (-vp.x + 320) / vp.zoom, y: (-vp.y + 200) / vp.zoom };
      let id = `${kind}-${nodeSeq++}`;
      while (index.has(id)) id = `${kind}-${nodeSeq++}`;
      const node = makeAudioNode(id, kind, at.x - NODE_WIDTH / 2, at.y - NODE_HEIGHT / 2, `${kind} ${nodeSeq - 1}`);
      get().applyNodeChanges([{ type: 'add', item: node }]);
      return id;
    },

    updateParam(id, key, value) {
      const engine = get().engine;
      const current = engine?.mountedNode(id) ?? get().nodes[index.node(id) ?? -1];
      if (!current) return;
      // An imported node's params may be anything: start from an empty object unless it is one.
      const data: Partial<AudioNodeData> = current.data;
      const params = typeof data.params === 'object' && data.params !== null && !Array.isArray(data.params) ? data.params : {};
      const item: Node = { ...current, data: { ...data, params: { ...params, [key]: value } } };
      get().applyNodeChanges([{ type: 'replace', id, item }]);
    },

    removeNodes(ids) {
      get().applyNodeChanges(ids.map((id): NodeChange => ({ type: 'remove', id })));
    },

    // ---- optimizer ---------------------------------------------------------------------

    async optimizeWorkflow(workflowData) {
      const data = workflowData ?? { nodes: get().nodes, edges: get().edges, viewport: get().engine?.getViewport() ?? get().viewport };
      set((s) => ({ optimizer: { ...s.optimizer, running: true, error: null } }));
      try {
        const result = await performanceService.optimizeWorkflow(data);
        set((s) => ({ optimizer: { ...s.optimizer, running: false, result } }));
        return result;
      } catch (e) {
        set((s) => ({ optimizer: { ...s.optimizer, running: false, error: message(e) } }));
        return null;
      }
    },

    getPerformanceStatus() {
      const { nodes, edges, mode, settings, firstRenderMs } = get();
      return { ...performanceService.getStatus(), nodes: nodes.length, edges: edges.length, mode, settings, firstRenderMs };
    },

    async applyRecommendation(id) {
      const mark = () => set((s) => ({ optimizer: { ...s.optimizer, applied: [...new Set([...s.optimizer.applied, id])] } }));
      switch (id) {
        case 'virtual-scrolling':
        case 'zoom-clustering':
          // Both are what flowscale mode does: a window of mounted nodes, clusters below clustering.maxZoom.
          if (get().mode !== 'flowscale') get().setMode('flowscale');
          mark();
          return;
        case 'level-of-detail':
          if (get().mode !== 'flowscale') get().setMode('flowscale');
          await get().updateSettings({ lod: true });
          mark();
          return;
        case 'simplify-edges':
          await get().updateSettings({ simplifyEdges: true });
          mark();
          return;
        case 're-layout':
        case 'resolve-overlaps':
          await get().runLayout();
          mark();
          return;
        case 'group-communities':
          await groupCommunities();
          mark();
          return;
        default:
          set({ notice: { kind: 'info', message: `No action for recommendation ${id}` } });
      }
    },

    async updateSettings(patch) {
      const settings = { ...get().settings, ...patch };
      const needsRebuild = settings.lod !== get().settings.lod || settings.maxVisibleNodes !== get().settings.maxVisibleNodes;
      set({ settings });
      if (get().mode !== 'flowscale') return;
      if (needsRebuild) {
        // Thresholds are part of the optimizer's config: a new engine for the same document, same view.
        const viewport = get().engine?.getViewport() ?? get().viewport;
        set({ viewport });
        const c = (loadController = new AbortController());
        set({ loading: { label: 'Re-indexing with the new settings', fraction: 0 } });
        await buildEngine(c.signal, 0, 1);
        set({ loading: null });
      } else {
        const engine = get().engine;
        if (engine) {
          engine.settings.simplifyEdges = settings.simplifyEdges;
          engine.simplify();
        }
      }
    },

    async runLayout(direction = 'LR') {
      if (get().layout?.running) return;
      const { nodes, edges } = get();
      set({ layout: { running: true, label: 'Starting the layout worker', fraction: 0, stats: null } });
      try {
        const r = await performanceService.operation('layout', () =>
          engineClient.layout({ nodes, edges }, { direction }, (stage, fraction) => set({ layout: { running: true, label: `Layout: ${stage}`, fraction, stats: null } })),
        );
        await performanceService.profile('apply layout', async () => {
          // New positions, in chunks so a big workflow does not block input.
          const next = new Array<Node>(nodes.length);
          for (let i = 0; i < nodes.length; i++) {
            const n = nodes[i]!;
            const x = r.x[i]!, y = r.y[i]!;
            next[i] = x === n.position.x && y === n.position.y ? n : { ...n, position: { x, y } };
            if (i % 100_000 === 99_999) await yieldToBrowser();
          }
          const stats = `${r.stats.layers} layers, ${r.stats.crossings.toLocaleString('en')} crossings, ${(r.wallMs / 1000).toFixed(2)} s`;
          set({ layout: { running: false, label: 'Layout done', fraction: 1, stats } });
          fitRequested = true;
          await get().loadWorkflow({ nodes: next, edges }, { kind: 'layout' }, { keepViewport: true });
        });
      } catch (e) {
        if (e instanceof CancelledError) set({ layout: { running: false, label: 'Layout cancelled', fraction: 0, stats: null } });
        else set({ layout: { running: false, label: `Layout failed: ${message(e)}`, fraction: 0, stats: null } });
      }
    },

    cancelLayout() {
      engineClient.cancel();
    },

    async runBenchmark(iterations) {
      if (get().benchmark.running) return;
      const { nodes, edges } = get();
      const viewport = get().engine?.getViewport() ?? get().viewport;
      set((s) => ({ benchmark: { ...s.benchmark, running: true, fraction: 0, error: null } }));
      try {
        const report = await performanceService.benchmark({ nodes, edges, viewport }, { iterations, onProgress: (fraction) => set((s) => ({ benchmark: { ...s.benchmark, fraction } })) });
        set({ benchmark: { running: false, fraction: 1, report, error: null } });
      } catch (e) {
        set((s) => ({ benchmark: { ...s.benchmark, running: false, error: message(e) } }));
      }
    },

    async cacheWorkflow() {
      const { nodes, edges } = get();
      const viewport = get().engine?.getViewport() ?? get().viewport;
      set((s) => ({ cache: { ...s.cache, busy: true, error: null } }));
      try {
        const r = await performanceService.cacheWorkflow(CACHE_ID, { nodes, edges, viewport });
        set({ cache: { busy: false, lastMs: r.ms, error: null, entry: { id: CACHE_ID, nodes: nodes.length, edges: edges.length, cachedAt: Date.now(), contentHash: r.contentHash } } });
      } catch (e) {
        set((s) => ({ cache: { ...s.cache, busy: false, error: message(e) } }));
      }
    },

    async loadCachedWorkflow() {
      set((s) => ({ cache: { ...s.cache, busy: true, error: null } }));
      try {
        const t0 = performance.now();
        const hit = await performanceService.getCachedWorkflow(CACHE_ID);
        const ms = performance.now() - t0;
        if (!hit) {
          set((s) => ({ cache: { ...s.cache, busy: false, lastMs: ms, entry: null, error: 'Nothing cached yet (or it expired)' } }));
          return false;
        }
        set((s) => ({ cache: { ...s.cache, busy: false, lastMs: ms } }));
        await get().loadWorkflow(hit.workflowData, { kind: 'cache', id: CACHE_ID });
        setUrl({ n: null });
        return true;
      } catch (e) {
        set((s) => ({ cache: { ...s.cache, busy: false, error: message(e) } }));
        return false;
      }
    },

    async refreshCacheEntry() {
      try {
        const hit = await performanceService.getCachedWorkflow(CACHE_ID);
        set((s) => ({
          cache: {
            ...s.cache,
            entry: hit ? { id: CACHE_ID, nodes: hit.workflowData.nodes.length, edges: hit.workflowData.edges.length, cachedAt: hit.cachedAt, contentHash: hit.contentHash } : null,
          },
        }));
      } catch (e) {
        set((s) => ({ cache: { ...s.cache, error: message(e) } }));
      }
    },
  };

  /** Group communities: flowscale's groups() become React Flow group nodes (parents), members keep their place on screen. */
  async function groupCommunities(): Promise<void> {
    const engine = get().engine;
    if (!engine) {
      set({ notice: { kind: 'info', message: 'Grouping needs flowscale mode' } });
      return;
    }
    const g = engine.optimizer.groups();
    const { nodes, edges } = get();
    const groupNodes: Node[] = [];
    const groupIdOf = new Map<number, string>();
    for (let k = 0; k < g.count; k++) {
      if ((g.sizes[k] ?? 0) < 2) continue;
      const id = `group-${k}`;
      groupIdOf.set(k, id);
      groupNodes.push({
        id,
        type: 'group',
        position: { x: g.boxes[4 * k]!, y: g.boxes[4 * k + 1]! },
        width: g.boxes[4 * k + 2]!,
        height: g.boxes[4 * k + 3]!,
        data: { label: `group ${k + 1} · ${g.sizes[k]} nodes` },
        selectable: true,
      });
    }
    const members = nodes.map((n) => {
      if (n.parentId || n.type === 'group') return n;
      const idx = engine.optimizer.indexOf(n.id);
      const grp = idx === undefined ? undefined : g.groupOf[idx];
      const gid = grp === undefined ? undefined : groupIdOf.get(grp);
      if (!gid || grp === undefined) return n;
      return { ...n, parentId: gid, position: { x: n.position.x - g.boxes[4 * grp]!, y: n.position.y - g.boxes[4 * grp + 1]! } };
    });
    await yieldToBrowser();
    // React Flow wants parents before their children.
    await get().loadWorkflow({ nodes: [...groupNodes, ...members], edges }, { kind: 'grouped' }, { keepViewport: true });
    set({ notice: { kind: 'info', message: `Grouped into ${groupNodes.length.toLocaleString('en')} communities (modularity ${g.modularity.toFixed(2)})` } });
  }
});

/** Set when a new document should be fitted to the pane once the view has it (imports without a viewport, layouts). */
export let fitRequested = false;
export function takeFitRequest(): boolean {
  const r = fitRequested;
  fitRequested = false;
  return r;
}
