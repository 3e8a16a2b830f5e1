// Messages between the page and the engine worker.
import type {
  Analysis,
  EdgeCounts,
  FrameStats,
  LayoutOptions,
  LayoutStats,
  PaneSize,
  PartialConfig,
  Recommendation,
  StageTimings,
  Viewport,
} from 'flowscale';
import type { PackedWorkflow } from '@/workers/packed';

export type WorkerRequest =
  | { id: number; op: 'layout'; workflow: PackedWorkflow; options: Omit<LayoutOptions, 'onProgress'> }
  | { id: number; op: 'optimize'; workflow: PackedWorkflow; size: PaneSize; config?: PartialConfig }
  | { id: number; op: 'benchmark'; workflow: PackedWorkflow; size: PaneSize; config?: PartialConfig; iterations: number };

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

export type WorkerResponse =
  /** Posted once, when flowscale's wasm is instantiated and requests can be taken (id 0). */
  | { id: number; type: 'ready' }
  | { id: number; type: 'progress'; stage: string; fraction: number }
  | { id: number; type: 'layout'; xy: Float64Array; stats: LayoutStats; wallMs: number }
  | { id: number; type: 'optimize'; summary: OptimizeSummary }
  | { id: number; type: 'benchmark'; iterations: BenchmarkIteration[]; last: OptimizeSummary | null }
  | { id: number; type: 'error'; message: string; code: string | null };
