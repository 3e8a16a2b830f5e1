// The optimizer slice: what the Optimizer panel runs through the
// PerformanceService and the engine worker — optimizeWorkflow and its
// recommendations, the view settings they change, the layered layout,
// the benchmark and the workflow cache — and the state the panel shows.
import type { Edge, Node } from '@xyflow/react';
import { withRoutes, type FlowscaleController } from 'flowscale/react';
import { yieldToBrowser } from '@/audio/generate';
import { effectiveConfig, rendererConfig, type ViewSettings } from '@/config';
import performanceService, { type BenchmarkReport, type OptimizationReport, type ServiceStatus, type WorkflowData } from '@/services/performanceService';
import { type Mode, type Progress } from '@/store/documentSlice';
import { message, type SliceCreator } from '@/store/session';
import { setUrl } from '@/store/url';
import { CancelledError, engineClient } from '@/workers/engineClient';

export interface CacheEntryInfo {
  id: string;
  nodes: number;
  edges: number;
  cachedAt: number;
  contentHash: string;
}

export const CACHE_ID = 'current-workflow';

export interface OptimizerSlice {
  /** The last optimizeWorkflow result and its recommendations. */
  optimizer: { running: boolean; result: OptimizationReport | null; applied: string[]; error: string | null };
  layout: (Progress & { running: boolean; stats: string | null }) | null;
  benchmark: { running: boolean; fraction: number; report: BenchmarkReport | null; error: string | null };
  cache: { busy: boolean; entry: CacheEntryInfo | null; lastMs: number | null; error: string | null };

  optimizeWorkflow(workflowData?: WorkflowData): Promise<OptimizationReport | null>;
  getPerformanceStatus(): ServiceStatus & { nodes: number; edges: number; mode: Mode; settings: ViewSettings; firstRenderMs: number | null };
  applyRecommendation(id: string): Promise<void>;
  updateSettings(patch: Partial<ViewSettings>): Promise<void>;
  runLayout(direction?: 'LR' | 'TB'): Promise<void>;
  cancelLayout(): void;
  runBenchmark(iterations: number): Promise<void>;
  cacheWorkflow(): Promise<void>;
  loadCachedWorkflow(): Promise<boolean>;
  refreshCacheEntry(): Promise<void>;
}

/**
 * Edges of the last frame, simplified (bundles between clusters, short and
 * parallel edges folded), for the counts the optimizer panel shows. Called
 * when the view settles, not per frame (the GPU layer draws the bundles
 * between clusters itself).
 */
export function simplifyEdges(controller: FlowscaleController<Node, Edge>): void {
  if (controller.isDestroyed || controller.trapped || controller.getPane().width <= 0) return;
  controller.optimizer.simplifyEdges();
}

export const createOptimizerSlice: SliceCreator<OptimizerSlice> = (session) => (set, get) => {
  /** Group communities: flowscale's groups() become React Flow group nodes (parents), members keep their place on screen. */
  async function groupCommunities(): Promise<void> {
    const controller = get().controller;
    if (!controller) {
      set({ notice: { kind: 'info', message: 'Grouping needs flowscale mode' } });
      return;
    }
    const g = controller.optimizer.groups();
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
      const idx = controller.optimizer.indexOf(n.id);
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

  return {
    optimizer: { running: false, result: null, applied: [], error: null },
    layout: null,
    benchmark: { running: false, fraction: 0, report: null, error: null },
    cache: { busy: false, entry: null, lastMs: null, error: null },

    async optimizeWorkflow(workflowData) {
      const data = workflowData ?? { nodes: get().nodes, edges: get().edges, viewport: get().controller?.getViewport() ?? get().viewport };
      set((s) => ({ optimizer: { ...s.optimizer, running: true, error: null } }));
      try {
        // The rules read what the current renderer already does, so they never recommend it.
        const result = await performanceService.optimizeWorkflow(data, undefined, rendererConfig(get().mode, get().settings));
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
      // Applied, then analysed again: the rule reads the new settings and the list shows what is left.
      const mark = () => {
        set((s) => ({ optimizer: { ...s.optimizer, applied: [...new Set([...s.optimizer.applied, id])] } }));
        void get().optimizeWorkflow();
      };
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
          // Merged parallel edges and bundles between clusters are what flowscale mode draws.
          if (get().mode !== 'flowscale') get().setMode('flowscale');
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
      set({ settings });
      if (get().mode !== 'flowscale') return;
      const controller = get().controller;
      if (!controller) return;
      // LOD thresholds and max mounted nodes: a live config change, no re-indexing.
      controller.setConfig(effectiveConfig(settings).config);
      // A new window even when the config is the same: simplified edges change what React mounts.
      controller.refresh(true);
      if (patch.simplifyEdges !== undefined) simplifyEdges(controller);
    },

    async runLayout(direction = 'LR') {
      if (get().layout?.running) return;
      const { nodes, edges } = get();
      // The result is written onto these arrays by position: edits meanwhile must not change them.
      session.share();
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
          session.fitRequested = true;
          // Long edges follow the lanes the layout kept for them (FlowscaleRoutedEdge draws them).
          await get().loadWorkflow({ nodes: next, edges: withRoutes(edges, r.routes) }, { kind: 'layout' }, { keepViewport: true });
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
      const viewport = get().controller?.getViewport() ?? get().viewport;
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
      // The cache keeps these arrays: later edits copy them first.
      session.share();
      const viewport = get().controller?.getViewport() ?? get().viewport;
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
};
