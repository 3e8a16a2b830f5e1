// The engine worker: layout, analysis and benchmarks off the main thread, on
// flowscale's own wasm (a second instance of the module, in this worker).
// Requests arrive as flowscale's WorkflowColumns, which layoutWorkflow and
// optimizeWorkflow take as they are (no node objects here); progress is
// posted while work runs; results go back with their typed arrays transferred.
/// <reference lib="webworker" />
import { layoutWorkflow, optimizeWorkflow, type StageTimings } from 'flowscale';
import type { BenchmarkIteration, OptimizeSummary, WorkerRequest, WorkerResponse } from '@/workers/protocol';

declare const self: DedicatedWorkerGlobalScope;

function post(msg: WorkerResponse, transfer: Transferable[] = []): void {
  self.postMessage(msg, transfer);
}

function summarize(result: ReturnType<typeof optimizeWorkflow>, wallMs: number): OptimizeSummary {
  return {
    analysis: result.analysis,
    recommendations: result.recommendations,
    timings: result.timings,
    viewport: result.viewport,
    frameStats: result.frame.stats,
    clusters: result.clusters ? result.clusters.count.length : 0,
    clusterLevel: result.clusters?.level ?? null,
    edgeCounts: result.edges.counts,
    wallMs,
  };
}

self.onmessage = (ev: MessageEvent<WorkerRequest>) => {
  const req = ev.data;
  try {
    if (req.op === 'layout') {
      const t0 = performance.now();
      let lastPost = 0;
      const laid = layoutWorkflow(
        req.workflow,
        {
          ...req.options,
          onProgress: (stage, fraction) => {
            // At most ~30 messages a second: progress, not a flood.
            const t = performance.now();
            if (t - lastPost > 33 || fraction >= 1) {
              lastPost = t;
              post({ id: req.id, type: 'progress', stage, fraction });
            }
          },
        },
      );
      // New columns, not the request's: they can go back transferred.
      const { x, y } = laid.nodes;
      const { routes } = laid;
      post({ id: req.id, type: 'layout', x, y, routes, stats: laid.stats, wallMs: performance.now() - t0 }, [
        x.buffer as ArrayBuffer,
        y.buffer as ArrayBuffer,
        routes.offsets.buffer as ArrayBuffer,
        routes.points.buffer as ArrayBuffer,
      ]);
    } else if (req.op === 'optimize') {
      post({ id: req.id, type: 'progress', stage: 'optimize', fraction: 0 });
      const t0 = performance.now();
      const r = optimizeWorkflow({ ...req.workflow, viewport: req.viewport ?? undefined, size: req.size }, req.config);
      post({ id: req.id, type: 'optimize', summary: summarize(r, performance.now() - t0) });
    } else {
      const iterations: BenchmarkIteration[] = [];
      let last: OptimizeSummary | null = null;
      for (let i = 0; i < req.iterations; i++) {
        const t0 = performance.now();
        const r = optimizeWorkflow({ ...req.workflow, viewport: req.viewport ?? undefined, size: req.size }, req.config);
        const wallMs = performance.now() - t0;
        const timings: StageTimings = r.timings;
        iterations.push({ timings, wallMs });
        last = summarize(r, wallMs);
        post({ id: req.id, type: 'progress', stage: 'benchmark', fraction: (i + 1) / req.iterations });
      }
      post({ id: req.id, type: 'benchmark', iterations, last });
    }
  } catch (e) {
    const err = e as { name?: string; message?: string; code?: string };
    post({ id: req.id, type: 'error', message: err.message ?? String(e), code: err.code ?? null });
  }
};

// The bundle's wasm loads asynchronously before this module runs, and a
// message that arrives before `onmessage` is set is dropped: say when ready.
post({ id: 0, type: 'ready' });
