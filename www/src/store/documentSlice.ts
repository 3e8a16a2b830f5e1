// The document slice: the workflow document (nodes, edges, viewport), how it
// is shown (mode, view settings, flowscale's controller), how its load goes
// (progress, notices, first render), and the actions that replace it.
import type { Edge, Node, Viewport } from '@xyflow/react';
import { handlesFromEdges, parseWorkflowJson, workflowToJson } from '@/audio/io';
import { isAudioKind } from '@/audio/model';
import { onTrap } from 'flowscale';
import { FlowscaleController, STAGE, mergeParallelEdges } from 'flowscale/react';
import { effectiveConfig, type ViewSettings } from '@/config';
import performanceService, { type WorkflowData } from '@/services/performanceService';
import { DocIndex } from '@/store/docIndex';
import { message, type GetState, type SetState, type SliceCreator, type StoreSession } from '@/store/session';
import { initialMode, initialSettings, setUrl } from '@/store/url';

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

export interface LoadOptions {
  /** Keep the current viewport instead of the workflow's own. */
  keepViewport?: boolean;
  /** The first part of a document still being generated: shown, but the load goes on. */
  preview?: boolean;
  /** Index into the current controller (the document grew from a preview): the view stays as it is. */
  reuseController?: boolean;
}

export const INITIAL_VIEWPORT: Viewport = { x: 40, y: 40, zoom: 1 };

export interface DocumentSlice {
  nodes: Node[];
  edges: Edge[];
  viewport: Viewport;
  /** Bumped whenever a new document replaces the workflow (scenario, import, layout, cache, grouping). */
  docId: number;
  source: Source;
  mode: Mode;
  settings: ViewSettings;
  /** flowscale's controller for this document (flowscale mode only). */
  controller: FlowscaleController<Node, Edge> | null;
  loading: Progress | null;
  /** Load start → first nodes on screen, ms, for the current document. */
  firstRenderMs: number | null;
  notice: Notice | null;
  /** Handles of imported nodes of unknown types, by node id (from the edges' handle ids). */
  genericHandles: Map<string, { inputs: string[]; outputs: string[] }>;

  /** Replace the document; resolves false (and keeps the previous one) when flowscale rejects it. */
  loadWorkflow(workflow: WorkflowData, source: Source, options?: LoadOptions): Promise<boolean>;
  importWorkflow(text: string, name: string): Promise<boolean>;
  exportWorkflow(): string;
  setMode(mode: Mode): void;
  setViewport(viewport: Viewport): void;
  dismissNotice(): void;
  /** The first nodes of a document are on screen (called by the flow views). */
  markFirstRender(): void;
  /** Whether the view should fit the new document to the pane (imports without a viewport, layouts); asking clears it. */
  takeFitRequest(): boolean;
}

/**
 * flowscale/react's controller for the store's document: it indexes the
 * store's arrays (which the store edits in place) without copying them, finds
 * the objects it mounts through the document index, and merges parallel
 * edges when the panel asks. Its whole-workflow actions go through the
 * store's change handlers, as React Flow's own changes do.
 */
function documentController(session: StoreSession, get: GetState): FlowscaleController<Node, Edge> {
  const controller = new FlowscaleController<Node, Edge>({
    config: effectiveConfig(get().settings).config,
    onNodesChange: (changes) => get().applyNodeChanges(changes),
    onEdgesChange: (changes) => get().applyEdgeChanges(changes),
  });
  controller.setDocument({ ...session.lookup(get), mountEdges: (edges) => (get().settings.simplifyEdges ? mergeParallelEdges(edges) : edges) });
  return controller;
}

/**
 * Index the current document (flowscale mode) into a new controller, in
 * stages, reporting progress from `from` over `span` of the bar; `reuse`:
 * into the current controller (the document grew from a preview).
 */
export async function indexDocument(session: StoreSession, set: SetState, get: GetState, signal: AbortSignal, from: number, span: number, reuse = false): Promise<void> {
  const { nodes, edges } = get();
  const current = get().controller;
  const controller = reuse && current ? current : documentController(session, get);
  if (controller !== current) {
    set({ controller });
    current?.destroy();
  }
  const docIndex = session.useController(controller);
  // The first stage's nodes (and about as many edges), to pick the first stage's edges.
  docIndex.indexUpTo(STAGE, STAGE * 1.25);
  await performanceService.profile('index workflow', () =>
    controller.loadDocument(nodes, edges, {
      columns: session.columnsOf.get(nodes) ?? null,
      inFirstStage: (id) => (session.index.peekNode(id) ?? Infinity) < STAGE,
      skipFirstStage: reuse,
      onProgress: (fraction) =>
        set({
          loading:
            fraction < 1
              ? { label: `Indexing ${nodes.length.toLocaleString('en')} nodes (${Math.floor(fraction * 100)} %)`, fraction: from + span * fraction }
              : { label: `Indexed ${nodes.length.toLocaleString('en')} nodes`, fraction: from + span },
        }),
      signal,
    }),
  );
  // The optimizer now holds exactly this document.
  if (!signal.aborted && docIndex === session.index) docIndex.trustSource();
}

/**
 * After a wasm trap the module is a fresh instance and the controller's optimizer went with the old one: a new controller
 * indexes the store's document (the truth), as a load would, and the view draws it from the next frame.
 */
function rebuildAfterTraps(session: StoreSession, set: SetState, get: GetState): void {
  let pending = false;
  onTrap(({ operation, reset }) => {
    if (!reset || pending) return;
    pending = true;
    // Once the failing call has unwound (it may be the controller's own frame).
    queueMicrotask(() => {
      pending = false;
      if (get().mode !== 'flowscale' || !get().controller) return;
      session.loadController?.abort();
      const c = (session.loadController = new AbortController());
      set({ notice: { kind: 'error', message: `flowscale trapped in ${operation}; flowscale was rebuilt from the document` } });
      void indexDocument(session, set, get, c.signal, 0, 1).then(
        () => set({ loading: null }),
        (e: unknown) => set({ loading: null, notice: { kind: 'error', message: `flowscale could not be rebuilt: ${message(e)}` } }),
      );
    });
  });
}

export const createDocumentSlice: SliceCreator<DocumentSlice> = (session) => (set, get) => {
  rebuildAfterTraps(session, set, get);
  return {
    nodes: [],
    edges: [],
    viewport: INITIAL_VIEWPORT,
    docId: 0,
    source: { kind: 'scenario', size: 0 },
    mode: initialMode(),
    settings: initialSettings(),
    controller: null,
    loading: null,
    firstRenderMs: null,
    notice: null,
    genericHandles: new Map(),

    async loadWorkflow(workflow, source, options = {}) {
      // A load started by loadScenario keeps its start time and controller.
      if (source.kind !== 'scenario' || !session.loadController || session.loadController.signal.aborted) {
        session.loadController?.abort();
        session.loadController = new AbortController();
        session.loadStartedAt = performance.now();
      }
      const controller = session.loadController ?? (session.loadController = new AbortController());
      const previous = { nodes: get().nodes, edges: get().edges, viewport: get().viewport, source: get().source, genericHandles: get().genericHandles };
      const viewport = options.keepViewport ? get().viewport : (workflow.viewport ?? INITIAL_VIEWPORT);
      // Only imported workflows have nodes of other types (drawn by the generic node, with the handles their edges name).
      const genericHandles = workflow.nodes.some((n) => !isAudioKind(n.type)) ? handlesFromEdges(workflow.edges) : new Map<string, { inputs: string[]; outputs: string[] }>();
      session.index = new DocIndex(workflow.nodes, workflow.edges);
      session.dragging.clear();
      session.dragStart.clear();
      const reuse = options.reuseController === true && get().controller !== null && get().mode === 'flowscale';
      if (!reuse) {
        session.history.clear();
        set({ canUndo: false, canRedo: false });
      }
      if (!reuse && !options.preview && source.kind !== 'scenario') session.awaitFirstRender();
      set((s) => ({
        nodes: workflow.nodes,
        edges: workflow.edges,
        viewport,
        source,
        genericHandles,
        // A preview and the full document it grows into are one document to the views.
        docId: reuse ? s.docId : s.docId + 1,
        firstRenderMs: reuse ? s.firstRenderMs : session.firstRenderPending ? null : s.firstRenderMs,
        optimizer: { ...s.optimizer, result: null, applied: [], error: null },
        loading: { label: `Indexing ${workflow.nodes.length.toLocaleString('en')} nodes`, fraction: 0.3 },
      }));
      try {
        if (get().mode === 'flowscale') await indexDocument(session, set, get, controller.signal, 0.3, 0.7, reuse);
        else {
          session.index.useSource(null);
          get().controller?.destroy();
          set({ controller: null });
        }
        if (controller.signal.aborted) return false;
        if (!options.preview) set({ loading: null });
        return true;
      } catch (e) {
        if (controller.signal.aborted) return false;
        // Keep the document that was there: flowscale rejected this one.
        session.reindex(previous.nodes, previous.edges);
        set((s) => ({ ...previous, docId: s.docId + 1, loading: null, notice: { kind: 'error', message: `This workflow was not loaded: ${message(e)}` } }));
        if (get().mode === 'flowscale') {
          const c = (session.loadController = new AbortController());
          await indexDocument(session, set, get, c.signal, 0, 1).catch(() => undefined);
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
      if (!wf.viewport) session.fitRequested = true;
      const ok = await get().loadWorkflow({ nodes: wf.nodes, edges: wf.edges, viewport: wf.viewport ?? undefined }, { kind: 'import', name });
      if (ok) {
        setUrl({ n: null });
        set({ notice: { kind: 'info', message: `Imported ${name}: ${wf.nodes.length.toLocaleString('en')} nodes, ${wf.edges.length.toLocaleString('en')} edges` } });
      } else session.fitRequested = false;
      return ok;
    },

    exportWorkflow() {
      const { nodes, edges, controller } = get();
      const viewport = controller?.getViewport() ?? get().viewport;
      return workflowToJson(nodes, edges, viewport);
    },

    setMode(mode) {
      if (mode === get().mode) return;
      setUrl({ mode });
      set({ mode });
      if (mode === 'flowscale') {
        const c = (session.loadController = new AbortController());
        session.loadStartedAt = performance.now();
        session.awaitFirstRender();
        set({ loading: { label: 'Indexing', fraction: 0 }, firstRenderMs: null });
        void indexDocument(session, set, get, c.signal, 0, 1)
          .then(() => set({ loading: null }))
          .catch((e: unknown) => {
            if (!c.signal.aborted) set({ loading: null, notice: { kind: 'error', message: message(e) } });
          });
      } else {
        // Plain React Flow: the document index holds its own Maps again.
        session.index.useSource(null);
        get().controller?.destroy();
        session.loadStartedAt = performance.now();
        session.awaitFirstRender();
        set({ controller: null, firstRenderMs: null });
      }
    },

    setViewport(viewport) {
      set({ viewport });
    },

    dismissNotice() {
      set({ notice: null });
    },

    markFirstRender() {
      if (!session.firstRenderPending) return;
      session.firstRenderPending = false;
      const ms = performance.now() - session.loadStartedAt;
      performanceService.recordFirstRender(ms);
      set({ firstRenderMs: ms });
    },

    takeFitRequest() {
      const r = session.fitRequested;
      session.fitRequested = false;
      return r;
    },
  };
};
