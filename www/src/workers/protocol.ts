// Messages between the page and the engine worker. Workflows cross as
// flowscale's WorkflowColumns (toColumns), their typed arrays transferred.
import type {
  Analysis,
  EdgeCounts,
  FrameStats,
  LayoutOptions,
  LayoutResult,
  LayoutStats,
  PaneSize,
  PartialConfig,
  Recommendation,
  StageTimings,
  Viewport,
  WorkflowColumns,
} from 'flowscale';

export type WorkerRequest =
  | { id: number; op: 'layout'; workflow: WorkflowColumns; options: Omit<LayoutOptions, 'onProgress'> }
  | { id: number; op: 'optimize'; workflow: WorkflowColumns; viewport: Viewport | null; size: PaneSize; config?: PartialConfig }
  | { id: number; op: 'benchmark'; workflow: WorkflowColumns; viewport: Viewport | null; size: PaneSize; config?: PartialConfig; iterations: number };

/** What `optimizeWorkflow` found, without the per-node arrays (those stay in the worker). */
export interface OptimizeSummary {
  analysis: Analysis;
  recommendations: Recommendation[];
  timings: StageTimings;
  viewport: Viewport;
  frameStats: FrameStats;
  clusters: number;
  clusterLevel: number | null;
  edgeCounts: EdgeCounts;
  /** Measured around the call in the worker. */
  wallMs: number;
}

export interface BenchmarkIteration {
  timings: StageTimings;
  wallMs: number;
}

/** Node positions from layoutWorkflow (React Flow `position`: parent-relative), per node in document order. */
export interface LaidOut {
  x: Float64Array | Float32Array;
  y: Float64Array | Float32Array;
  /** Per edge, in document order, the polyline through its bends (layoutWorkflow's `routes`). */
  routes: LayoutResult['routes'];
  stats: LayoutStats;
  wallMs: number;
}

export type WorkerResponse =
  /** Posted once, when flowscale's wasm is instantiated and requests can be taken (id 0). */
  | { id: number; type: 'ready' }
  | { id: number; type: 'progress'; stage: string; fraction: number }
  | ({ id: number; type: 'layout' } & LaidOut)
  | { id: number; type: 'optimize'; summary: OptimizeSummary }
  | { id: number; type: 'benchmark'; iterations: BenchmarkIteration[]; last: OptimizeSummary | null }
  | { id: number; type: 'error'; message: string; code: string | null };
