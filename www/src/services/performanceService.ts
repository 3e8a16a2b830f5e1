// PerformanceService: the app's one door to performance work.
//
//   import performanceService from '@/services/performanceService';
//   const report = await performanceService.optimizeWorkflow({ nodes, edges, viewport });
//   const stop = performanceService.startRealTimeMonitoring((dashboard) => render(dashboard), 1000);
//   await performanceService.cacheWorkflow('wf-42', { nodes, edges, viewport });
//   const cached = await performanceService.getCachedWorkflow('wf-42');
//   const bench = await performanceService.benchmark({ nodes, edges }, { iterations: 10 });
//   const stopSampling = performanceService.startMonitoring({ interval_seconds: 2 });
//   performanceService.getPerformanceDashboard();  performanceService.getStatus();
//
// Where the numbers come from:
//   - live metrics: a MetricsSource — by default flowscale's own
//     PerformanceMonitor (monitorMetrics.ts: frame times, main-thread busy
//     share from long tasks and long animation frames, JS heap + wasm memory,
//     storage), whose alerts (CPU, memory, leaks, slow or failing operations,
//     cache hit rate) join this service's list and whose report() gives the
//     KPIs, their targets and verdicts; browserMetrics.ts is the package-free
//     alternative (requestIdleCallback for the busy share, no verdicts),
//   - what React and flowscale do per frame: fed in by the app
//     (recordRender from a React <Profiler>, recordFrame from flowscale's frames),
//   - optimize and benchmark: flowscale's optimizeWorkflow, in a Web Worker,
//   - the cache: flowscale's WorkflowCache (memory + IndexedDB) and its stats(),
//     whose disk byte counters give the disk I/O per second,
//   - the dashboard's detail (KpiDetails.tsx): the monitor's latest snapshot
//     (memory, network, interactions, storage), its operation statistics over
//     all it keeps, and the profiler's call tree and hotspots.
// The app's operations are the package's: `track` (the monitor's operation
// statistics, slow-operation alerts and the load KPI) and a flowscale
// Profiler, whose Chrome trace carries the app's own events too (React
// commits, frame() calls, long frames, counters). The app's own rules are
// FPS while the view moves and long frames.
import type { Edge, Node, Viewport } from '@xyflow/react';
import {
  FlowscaleError,
  Profiler,
  WorkflowCache,
  track,
  type Alert as MonitorAlert,
  type AlertThresholds,
  type AppTraceEvent,
  type CacheStats,
  type CachedWorkflow,
  type FlowscaleErrorCode,
  type Kpi,
  type MonitorSnapshot,
  type OperationStats,
  type PartialConfig,
  type PerformanceMonitor,
  type ProfileReport,
  type StageTimings,
} from 'flowscale';
import { type Capabilities, type LongFrame, type MetricsSource } from '@/services/browserMetrics';
import { MonitorMetrics } from '@/services/monitorMetrics';
import { startConfig } from '@/config';
import { engineClient } from '@/workers/engineClient';
import type { BenchmarkIteration, OptimizeSummary } from '@/workers/protocol';

export interface WorkflowData {
  nodes: Node[];
  edges: Edge[];
  viewport?: Viewport;
}

export type Severity = 'info' | 'warning' | 'critical';

export interface Alert {
  id: number;
  /** The rule that fired (one alert per rule per cool-down). */
  rule: string;
  severity: Severity;
  message: string;
  value: number;
  threshold: number;
  /** Date.now() when raised. */
  at: number;
}

/** One sample of everything the dashboard plots; null = not available in this browser (never a made-up number). */
export interface PerformanceSnapshot {
  /** performance.now() at the end of the sample. */
  time: number;
  intervalMs: number;
  fps: number | null;
  /** Frames in which the view moved, per second (flowscale frames). */
  viewUpdatesPerSecond: number;
  frameP95Ms: number | null;
  longestFrameMs: number | null;
  mainThreadBusyPercent: number | null;
  longFrames: number;
  longFrameBlockingMs: number;
  memoryMb: number | null;
  storage: { usageMb: number; quotaMb: number } | null;
  /** Both cache tiers; null until the cache has been asked for something. */
  cacheHitRatePercent: number | null;
  /** Hits + misses so far (a rate over a handful of lookups is not judged). */
  cacheLookups: number;
  /** React commits of the flow (React <Profiler> actualDuration) in the interval. */
  reactCommits: number;
  reactRenderMeanMs: number | null;
  reactRenderMaxMs: number | null;
  /** flowscale frame() time, mean over the interval's frames. */
  flowscaleFrameMs: number | null;
  total: number | null;
  inView: number | null;
  culled: number | null;
  mounted: number | null;
  /** IndexedDB bytes the cache read and wrote per second over the interval (its stats' counters); null before the cache opens. */
  diskReadBytesPerSecond: number | null;
  diskWriteBytesPerSecond: number | null;
  /** Resource Timing bytes per second over the monitor's window; null where the monitor cannot measure them. */
  networkBytesPerSecond: number | null;
}

/** The cache's disk tier: cumulative bytes (its stats) and the latest rates. */
export interface DiskIo {
  status: CacheStats['disk']['status'];
  bytesRead: number;
  bytesWritten: number;
  readBytesPerSecond: number | null;
  writeBytesPerSecond: number | null;
}

/** The latest interaction latency the monitor measured (INP-style, over its window). */
export interface InteractionLatency {
  inpMs: number;
  interactions: number;
  /** performance.now() of the sample that measured it. */
  at: number;
}

/** Load times: the page's own (Navigation Timing) and the app's `load` operations. */
export interface LoadTimes {
  /** Navigation start to the end of the load event; null before it ends or without Navigation Timing. */
  navigationMs: number | null;
  /** The toolbar's first render of the current document (a first paint, not a full load). */
  firstRenderMs: number | null;
  /** The last completed `load` operation: from its start until the document is generated, indexed and on screen. */
  lastLoadMs: number | null;
}

export interface PerformanceDashboard {
  current: PerformanceSnapshot | null;
  history: PerformanceSnapshot[];
  alerts: Alert[];
  /** The package monitor's report over the last KPI_WINDOW_SECONDS: values, targets, verdicts (none without the monitor). */
  kpis: Kpi[];
  lastOptimization: OptimizationReport | null;
  capabilities: Capabilities;
  /** Where the live numbers come from (the MetricsSource's name). */
  source: string;
  /** The package monitor's latest snapshot (memory, network, interactions, storage); null without the monitor. */
  monitor: MonitorSnapshot | null;
  /** The monitor's active leak alerts (`memoryLeak:*`). */
  leakAlerts: MonitorAlert[];
  /** The monitor's operation statistics over the last OPERATIONS_WINDOW_SECONDS, most calls first; empty without the monitor. */
  operations: OperationStats[];
  disk: DiskIo | null;
  interaction: InteractionLatency | null;
  load: LoadTimes;
  /** The profiler's call tree and hotspots (the app's operations and their steps). */
  profile: ProfileReport;
}

export interface OptimizationReport extends OptimizeSummary {
  nodes: number;
  edges: number;
  /** Date.now() when it finished. */
  at: number;
  ranIn: 'worker';
}

export interface BenchmarkReport {
  iterations: BenchmarkIteration[];
  /** Per stage: median and p95 over the iterations, ms. */
  stages: { stage: keyof StageTimings; medianMs: number; p95Ms: number }[];
  nodes: number;
  edges: number;
  last: OptimizeSummary | null;
}

export interface ServiceStatus {
  source: string;
  monitoring: boolean;
  intervalMs: number | null;
  samples: number;
  alerts: Record<Severity, number>;
  cache: { status: CacheStats['disk']['status']; entries: number; hitRate: number | null; name: string } | null;
  worker: 'not started' | 'idle' | 'busy';
  lastOptimization: { at: number; totalMs: number; nodes: number } | null;
  capabilities: Capabilities;
  thresholds: AlertThresholds;
}

export interface FrameFeed {
  total: number;
  inView: number;
  culled: number;
  mounted: number;
  timeMs: number;
}

/** Samples kept: ten minutes at the default one-second interval. */
const HISTORY = 600;
const ALERT_COOL_DOWN_MS = 10_000;
const MIN_CACHE_LOOKUPS = 10;
/** The app's own trace events kept (the most recent ones). */
const TRACE_EVENTS = 50_000;
/** The window the KPIs are judged over (the monitor's report). */
export const KPI_WINDOW_SECONDS = 60;
/** The window of the operation table: all the monitor keeps (monitoring.retainSeconds, 300 by default). */
export const OPERATIONS_WINDOW_SECONDS = startConfig.monitoring.retainSeconds;
const STAGES: (keyof StageTimings)[] = ['extractMs', 'buildMs', 'frameMs', 'edgesMs', 'analysisMs', 'recommendationsMs', 'totalMs'];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length === 0 ? NaN : s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function p95(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.floor(s.length * 0.95))]!;
}

// The class's runtime constructor takes (code, message, path); its declaration only says what callers read.
const flowscaleError = (code: FlowscaleErrorCode, message: string, path: string) =>
  new (FlowscaleError as unknown as new (code: FlowscaleErrorCode, message: string, path: string) => FlowscaleError)(code, message, path);

/**
 * A request's options in either spelling: camelCase, or snake_case as the
 * service's HTTP endpoints write them (`ttl_seconds`, `interval_seconds`).
 * An unknown field, or one given in both spellings, is INVALID_ARGUMENT
 * naming it: never silently ignored.
 */
export function requestFields<K extends string>(options: object | null | undefined, fields: readonly K[], at: string): Partial<Record<K, unknown>> {
  const out: Partial<Record<K, unknown>> = {};
  if (options === null || options === undefined) return out;
  const snake = (k: string) => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
  const byName = new Map<string, K>(fields.flatMap((f): [string, K][] => [[f, f], [snake(f), f]]));
  for (const [key, value] of Object.entries(options)) {
    const field = byName.get(key);
    if (field === undefined) throw flowscaleError('INVALID_ARGUMENT', `unknown field (expected ${fields.map((f) => `${f} or ${snake(f)}`).join(', ')})`, `${at}.${key}`);
    if (field in out) throw flowscaleError('INVALID_ARGUMENT', `given twice (as ${field} and ${snake(field)})`, `${at}.${key}`);
    out[field] = value;
  }
  return out;
}

export class PerformanceService {
  private readonly source: MetricsSource;
  /** The package's monitor behind the source, when it is one: KPIs, thresholds, operation alerts. */
  private readonly monitor: PerformanceMonitor | null;
  /** The app's operations as spans: the base of the exported trace. */
  private readonly profiler = new Profiler();
  /** The app's events measured after the fact, merged into the trace on export. */
  private traceEvents: AppTraceEvent[] = [];
  /** The `load` operation running until the current document is loaded and on screen. */
  private pendingLoad: { settle: (ok: boolean) => void; rendered: boolean; idle: boolean; start: number } | null = null;
  private lastLoadMs: number | null = null;
  private firstRenderMs: number | null = null;
  private lastDisk: { time: number; read: number; written: number } | null = null;
  private diskRates: { read: number; write: number } | null = null;
  private interaction: InteractionLatency | null = null;
  private history: PerformanceSnapshot[] = [];
  private alerts: Alert[] = [];
  private alertSeq = 1;
  private lastFired = new Map<string, number>();
  private alertListeners = new Set<(a: Alert) => void>();
  private monitors = new Map<number, { cb: (d: PerformanceDashboard) => void; intervalMs: number; timer: number }>();
  private monitorSeq = 1;
  private sampler = 0;
  private samplerMs: number | null = null;
  private stopLongFrames: (() => void) | null = null;
  private renderDurations: number[] = [];
  private frameTimes: number[] = [];
  private lastFrame: FrameFeed | null = null;
  private viewUpdates = 0;
  private cachePromise: Promise<WorkflowCache> | null = null;
  private cache: WorkflowCache | null = null;
  private lastOptimization: OptimizationReport | null = null;
  private readonly cacheName: string;

  constructor(options: { source?: MetricsSource; cacheName?: string } = {}) {
    this.source = options.source ?? new MonitorMetrics();
    this.cacheName = options.cacheName ?? 'flowscale-demo';
    this.monitor = this.source instanceof MonitorMetrics ? this.source.monitor : null;
    // The package monitor's own alerts (CPU, memory, leaks, operations, cache hit rate) join the list.
    if (this.source instanceof MonitorMetrics) {
      this.source.onMonitorAlert((a) => {
        if (a.change !== 'resolved') this.raise(`monitor:${a.key}`, a.severity, a.message, a.value, a.threshold);
      });
    }
  }

  /** The alert thresholds in force: the monitor's, else the configuration's defaults. */
  get thresholds(): AlertThresholds {
    return this.monitor?.thresholds() ?? startConfig.alertThresholds;
  }

  // ---- the service's methods ------------------------------------------------------

  /** flowscale's optimizeWorkflow (clusters, simplified edges, analysis, recommendations), run in the engine worker. */
  async optimizeWorkflow(workflowData: WorkflowData, size = { width: 1920, height: 1080 }, config?: PartialConfig): Promise<OptimizationReport> {
    const summary = await this.operation('optimize workflow', () => engineClient.optimize(workflowData, workflowData.viewport ?? null, size, config));
    const report: OptimizationReport = {
      ...summary,
      nodes: workflowData.nodes.length,
      edges: workflowData.edges.length,
      at: Date.now(),
      ranIn: 'worker',
    };
    this.lastOptimization = report;
    return report;
  }

  getPerformanceDashboard(): PerformanceDashboard {
    const current = this.history.at(-1) ?? null;
    const disk = this.cache?.stats().disk ?? null;
    return {
      current,
      history: this.history,
      alerts: this.alerts,
      kpis: this.monitor?.report({ windowSeconds: KPI_WINDOW_SECONDS }).kpis ?? [],
      lastOptimization: this.lastOptimization,
      capabilities: this.source.capabilities,
      source: this.source.name,
      monitor: this.source instanceof MonitorMetrics ? this.source.lastSnapshot : null,
      leakAlerts: this.monitor?.alerts().active.filter((a) => a.key.startsWith('memoryLeak:')) ?? [],
      operations: this.operationStats(),
      disk: disk && {
        status: disk.status,
        bytesRead: disk.bytesRead,
        bytesWritten: disk.bytesWritten,
        readBytesPerSecond: this.diskRates?.read ?? null,
        writeBytesPerSecond: this.diskRates?.write ?? null,
      },
      interaction: this.interaction,
      load: { navigationMs: navigationLoadMs(), firstRenderMs: this.firstRenderMs, lastLoadMs: this.lastLoadMs },
      profile: this.profiler.report(),
    };
  }

  /** The monitor's operation statistics over the last OPERATIONS_WINDOW_SECONDS (the operation table), most calls first. */
  operationStats(): OperationStats[] {
    const ops = this.monitor?.report({ windowSeconds: OPERATIONS_WINDOW_SECONDS }).operations.byName ?? [];
    return [...ops].sort((a, b) => b.calls - a.calls || a.name.localeCompare(b.name));
  }

  /** The cache's stats (both tiers, the disk tier's byte counters); null until the cache is opened. */
  cacheStats(): CacheStats | null {
    return this.cache?.stats() ?? null;
  }

  /** The profiler's call tree and hotspots. */
  profileReport(): ProfileReport {
    return this.profiler.report();
  }

  /**
   * Call `callback` with the dashboard every `intervalMs` (default: the
   * configured monitoringIntervalSeconds). Returns the function that stops it;
   * sampling stops when the last monitor does.
   */
  startRealTimeMonitoring(callback: (dashboard: PerformanceDashboard) => void, intervalMs = startConfig.monitoringIntervalSeconds * 1000): () => void {
    if (!(intervalMs >= 50)) throw new RangeError(`intervalMs must be at least 50, got ${intervalMs}`);
    const id = this.monitorSeq++;
    const timer = window.setInterval(() => callback(this.getPerformanceDashboard()), intervalMs);
    this.monitors.set(id, { cb: callback, intervalMs, timer });
    this.retune();
    return () => {
      const m = this.monitors.get(id);
      if (!m) return;
      clearInterval(m.timer);
      this.monitors.delete(id);
      this.retune();
    };
  }

  /**
   * Sample in the background every `interval_seconds` (or `intervalSeconds`;
   * default: the configured PERFORMANCE_MONITORING_INTERVAL), whether or not
   * a dashboard is open, so history and alerts keep accruing. Returns the
   * function that stops it.
   */
  startMonitoring(options: { intervalSeconds?: number; interval_seconds?: number } = {}): () => void {
    const { intervalSeconds = startConfig.monitoringIntervalSeconds } = requestFields(options, ['intervalSeconds'], 'options');
    if (typeof intervalSeconds !== 'number' || !(intervalSeconds >= 0.05) || !Number.isFinite(intervalSeconds)) {
      throw flowscaleError('INVALID_ARGUMENT', `expected a number of seconds ≥ 0.05, got ${String(intervalSeconds)}`, 'options.intervalSeconds');
    }
    return this.startRealTimeMonitoring(() => {}, intervalSeconds * 1000);
  }

  /** Store a workflow under `id` in flowscale's WorkflowCache (memory + IndexedDB); without a TTL, the configured CACHE_DEFAULT_TTL_SECONDS. */
  async cacheWorkflow(id: string, workflowData: WorkflowData, options: { ttlSeconds?: number; ttl_seconds?: number } = {}): Promise<{ contentHash: string; ms: number }> {
    const { ttlSeconds } = requestFields(options, ['ttlSeconds'], 'options');
    const cache = await this.openCache();
    const t0 = performance.now();
    const entry = ttlSeconds === undefined ? { workflowData } : { workflowData, ttlSeconds: ttlSeconds as number };
    const contentHash = await this.operation('cache workflow', () => cache.cacheWorkflow(id, entry));
    return { contentHash, ms: performance.now() - t0 };
  }

  /** Empty the workflow cache (memory and IndexedDB): a remedy for memory pressure or a full disk tier. */
  async clearCache(): Promise<void> {
    const cache = await this.openCache();
    await this.operation('clear cache', () => cache.clear());
  }

  async getCachedWorkflow(id: string): Promise<CachedWorkflow<WorkflowData> | null> {
    const cache = await this.openCache();
    return this.operation('get cached workflow', () => cache.getCachedWorkflow<WorkflowData>(id));
  }

  /** optimizeWorkflow `iterations` times in the worker; per-stage timings of each run and their medians. */
  async benchmark(
    workflowData: WorkflowData,
    options: { iterations?: number; onProgress?: (fraction: number) => void } = {},
  ): Promise<BenchmarkReport> {
    const { iterations: asked = 10, onProgress } = requestFields(options, ['iterations', 'onProgress'], 'options');
    if (typeof asked !== 'number' || !Number.isFinite(asked)) throw flowscaleError('INVALID_ARGUMENT', `expected a number, got ${String(asked)}`, 'options.iterations');
    const progress = typeof onProgress === 'function' ? (onProgress as (fraction: number) => void) : undefined;
    const iterations = Math.max(1, Math.min(1000, Math.floor(asked)));
    const r = await this.operation('benchmark', () =>
      engineClient.benchmark(
        workflowData,
        workflowData.viewport ?? null,
        { width: 1920, height: 1080 },
        iterations,
        undefined,
        (_stage, f) => progress?.(f),
      ),
    );
    const stages = STAGES.map((stage) => {
      const xs = r.iterations.map((it) => it.timings[stage]);
      return { stage, medianMs: median(xs), p95Ms: p95(xs) };
    });
    return { iterations: r.iterations, stages, nodes: workflowData.nodes.length, edges: workflowData.edges.length, last: r.last };
  }

  getStatus(): ServiceStatus {
    const alerts: Record<Severity, number> = { info: 0, warning: 0, critical: 0 };
    for (const a of this.alerts) alerts[a.severity]++;
    const stats = this.cache?.stats() ?? null;
    return {
      source: this.source.name,
      monitoring: this.samplerMs !== null,
      intervalMs: this.samplerMs,
      samples: this.history.length,
      alerts,
      cache: stats
        ? { status: stats.disk.status, entries: stats.memory.entries + stats.disk.entries, hitRate: stats.hits + stats.misses > 0 ? stats.hitRate : null, name: stats.name }
        : null,
      worker: !engineClient.started ? 'not started' : engineClient.busy > 0 ? 'busy' : 'idle',
      lastOptimization: this.lastOptimization
        ? { at: this.lastOptimization.at, totalMs: this.lastOptimization.timings.totalMs, nodes: this.lastOptimization.nodes }
        : null,
      capabilities: this.source.capabilities,
      thresholds: this.thresholds,
    };
  }

  // ---- feeds from the app ---------------------------------------------------------

  /** A React <Profiler> onRender: the commit's actualDuration (ms). */
  recordRender(id: string, phase: string, actualDuration: number, startTime: number): void {
    this.renderDurations.push(actualDuration);
    if (this.renderDurations.length > 10_000) this.renderDurations.splice(0, 5_000);
    if (this.samplerMs !== null) this.traceEvent({ track: 'react', name: `${id} ${phase}`, start: startTime, duration: actualDuration });
  }

  /** One flowscale frame (a view update): what is on screen and what frame() cost. */
  recordFrame(f: FrameFeed): void {
    this.lastFrame = f;
    this.viewUpdates++;
    this.frameTimes.push(f.timeMs);
    if (this.frameTimes.length > 10_000) this.frameTimes.splice(0, 5_000);
    if (this.samplerMs !== null) {
      this.traceEvent({ track: 'flowscale', name: 'frame()', start: performance.now() - f.timeMs, duration: f.timeMs, args: { inView: f.inView, mounted: f.mounted } });
    }
  }

  /** Counts for plain React Flow (no frames): total and mounted DOM nodes. */
  recordCounts(total: number, mounted: number): void {
    this.lastFrame = { total, inView: mounted, culled: total - mounted, mounted, timeMs: 0 };
  }

  /**
   * A document started loading: the package's `load` operation (the report's
   * load KPI) runs until it is loaded and on screen (`recordFirstRender` and
   * `loadIdle`). A load still pending was superseded: it ends as failed.
   * `startedAt` (performance.now()) is the start the toolbar's first render
   * counts from, so the load's time shown is never less than it.
   */
  startLoad(startedAt = performance.now()): void {
    this.pendingLoad?.settle(false);
    let settle: (ok: boolean) => void = () => undefined;
    const loaded = new Promise<void>((resolve, reject) => {
      settle = (ok) => (ok ? resolve() : reject(new Error('superseded by a newer load')));
    });
    const pending = { settle, rendered: false, idle: false, start: startedAt };
    this.pendingLoad = pending;
    track('load', () => loaded).then(
      () => {
        const ms = (this.lastLoadMs = performance.now() - pending.start);
        this.traceEvent({ track: 'marks', name: 'loaded', start: performance.now(), args: { ms } });
      },
      () => undefined,
    );
  }

  /**
   * The loading document's first render, `ms` after its load started. A
   * first paint, not the end of the load: a big workflow shows its first
   * part while the rest is still generated and indexed (`loadIdle`).
   */
  recordFirstRender(ms: number): void {
    this.firstRenderMs = ms;
    if (this.pendingLoad) this.pendingLoad.rendered = true;
    this.settleLoad();
    this.traceEvent({ track: 'marks', name: 'first render', start: performance.now(), args: { ms } });
  }

  /**
   * Nothing is loading any more (the store's progress is gone): with its
   * first render done, the `load` operation ends. Called on every store
   * change with no progress; cheap when no load is pending.
   */
  loadIdle(): void {
    if (!this.pendingLoad || this.pendingLoad.idle) return;
    this.pendingLoad.idle = true;
    this.settleLoad();
  }

  /** Progress is shown again (a load in stages): the pending load is not over. */
  loadBusy(): void {
    if (this.pendingLoad) this.pendingLoad.idle = false;
  }

  private settleLoad(): void {
    const p = this.pendingLoad;
    if (!p || !p.rendered || !p.idle) return;
    this.pendingLoad = null;
    p.settle(true);
  }

  /** `fn` as a span of the trace (no operation statistics: steps of a load, of a layout). */
  profile<T>(name: string, fn: () => T): T {
    return this.profiler.profile(name, fn);
  }

  /**
   * An operation of the app: the package's `track` (duration and outcome in the
   * monitor's operation statistics, an alert past alertThresholds.operationMs)
   * and a span of the trace.
   */
  operation<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const t0 = performance.now();
    const done = track(name, () => this.profiler.profile(name, fn));
    // Without the package's monitor nothing else judges the operation's time.
    if (this.monitor) return done;
    return done.finally(() => {
      const ms = performance.now() - t0;
      const limit = this.thresholds.operationMs;
      if (ms > limit) this.raise(`operation:${name}`, 'info', `${name} took ${(ms / 1000).toFixed(1)} s (over ${limit} ms)`, ms, limit);
    });
  }

  onAlert(cb: (a: Alert) => void): () => void {
    this.alertListeners.add(cb);
    return () => this.alertListeners.delete(cb);
  }

  clearAlerts(): void {
    this.alerts = [];
    this.lastFired.clear();
  }

  /** Take one alert off the list: its remedy was applied. The rule may fire again if the problem stays. */
  resolveAlert(id: number): void {
    this.alerts = this.alerts.filter((a) => a.id !== id);
  }

  /** The profiler's trace (the app's operations) with the app's own events, as Chrome trace JSON. */
  exportChromeTrace(): string {
    const about: AppTraceEvent = {
      track: 'marks',
      name: 'exported',
      start: performance.now(),
      args: { source: this.source.name, userAgent: navigator.userAgent, timeOrigin: performance.timeOrigin, thresholds: this.thresholds },
    };
    return this.profiler.exportChromeTrace({ events: [...this.traceEvents, about] });
  }

  // ---- internals ---------------------------------------------------------------------

  private traceEvent(e: AppTraceEvent): void {
    this.traceEvents.push(e);
    if (this.traceEvents.length > TRACE_EVENTS) this.traceEvents.splice(0, this.traceEvents.length - TRACE_EVENTS);
  }

  private openCache(): Promise<WorkflowCache> {
    this.cachePromise ??= WorkflowCache.open({
      name: this.cacheName,
      // The configured sizes and TTL (CACHE_* variables).
      memoryMaxEntries: startConfig.cache.memoryMaxEntries,
      memoryMaxMb: startConfig.cache.memoryMaxMb,
      diskMaxMb: startConfig.cache.diskMaxMb,
      defaultTtlSeconds: startConfig.cache.defaultTtlSeconds,
      strategy: startConfig.cache.strategy,
      onError: (e) => this.raise(`cache:${e.code}`, 'warning', `Cache: ${e.message}`, 0, 0),
    }).then((c) => {
      if (this.source instanceof MonitorMetrics) this.source.monitor.watchCache(c);
      return (this.cache = c);
    });
    return this.cachePromise;
  }

  /** Sample at the shortest interval any monitor asked for; stop when none is left. */
  private retune(): void {
    const want = this.monitors.size ? Math.min(...[...this.monitors.values()].map((m) => m.intervalMs)) : null;
    if (want === this.samplerMs) return;
    clearInterval(this.sampler);
    this.samplerMs = want;
    if (want === null) {
      this.source.stop();
      this.stopLongFrames?.();
      this.stopLongFrames = null;
      return;
    }
    this.source.start();
    this.stopLongFrames ??= this.source.onLongFrame((f) => this.onLongFrame(f));
    this.sampler = window.setInterval(() => this.sample(), want);
  }

  private onLongFrame(f: LongFrame): void {
    this.traceEvent({ track: 'long frames', name: f.topScript ?? f.kind, start: f.startTime, duration: f.duration, args: { blockingMs: f.blockingMs, scriptMs: f.scriptMs } });
    const critical = this.thresholds.operationMs;
    if (f.duration >= 200) {
      const severity: Severity = f.duration >= critical ? 'critical' : 'warning';
      const where = f.topScript ? ` (longest script: ${f.topScript})` : '';
      this.raise('long-frame', severity, `A ${Math.round(f.duration)} ms frame blocked the main thread${where}`, f.duration, severity === 'critical' ? critical : 200);
    }
  }

  private sample(): void {
    const raw = this.source.take();
    const renders = this.renderDurations;
    this.renderDurations = [];
    const frames = this.frameTimes;
    this.frameTimes = [];
    const updates = this.viewUpdates;
    this.viewUpdates = 0;
    const stats = this.cache?.stats() ?? null;
    const lf = this.lastFrame;
    if (stats) {
      const d = stats.disk;
      const prev = this.lastDisk;
      const seconds = prev ? (raw.time - prev.time) / 1000 : 0;
      this.diskRates = prev && seconds > 0 ? { read: (d.bytesRead - prev.read) / seconds, write: (d.bytesWritten - prev.written) / seconds } : null;
      this.lastDisk = { time: raw.time, read: d.bytesRead, written: d.bytesWritten };
    }
    const m = this.source instanceof MonitorMetrics ? this.source.lastSnapshot : null;
    if (m?.interactions.available && m.interactions.inpMs !== null && m.interactions.interactions > 0) {
      this.interaction = { inpMs: m.interactions.inpMs, interactions: m.interactions.interactions, at: raw.time };
    }
    const snap: PerformanceSnapshot = {
      time: raw.time,
      intervalMs: raw.intervalMs,
      fps: raw.fps,
      viewUpdatesPerSecond: raw.intervalMs > 0 ? (updates * 1000) / raw.intervalMs : 0,
      frameP95Ms: raw.frameP95Ms,
      longestFrameMs: raw.longestFrameMs,
      mainThreadBusyPercent: raw.busyPercent,
      longFrames: raw.longFrames.length,
      longFrameBlockingMs: raw.longFrames.reduce((s, f) => s + f.blockingMs, 0),
      memoryMb: raw.memoryMb,
      storage: raw.storage,
      cacheHitRatePercent: stats && stats.hits + stats.misses > 0 ? stats.hitRate * 100 : null,
      cacheLookups: stats ? stats.hits + stats.misses : 0,
      reactCommits: renders.length,
      reactRenderMeanMs: renders.length ? renders.reduce((a, b) => a + b, 0) / renders.length : null,
      reactRenderMaxMs: renders.length ? Math.max(...renders) : null,
      flowscaleFrameMs: frames.length ? frames.reduce((a, b) => a + b, 0) / frames.length : null,
      total: lf?.total ?? null,
      inView: lf?.inView ?? null,
      culled: lf?.culled ?? null,
      mounted: lf?.mounted ?? null,
      diskReadBytesPerSecond: this.diskRates?.read ?? null,
      diskWriteBytesPerSecond: this.diskRates?.write ?? null,
      networkBytesPerSecond: m?.network.available ? m.network.bytesPerSecond : null,
    };
    this.history.push(snap);
    if (this.history.length > HISTORY) this.history.splice(0, this.history.length - HISTORY);
    const counter = (name: string, values: Record<string, number>) => this.traceEvent({ track: 'counters', name, start: snap.time, values });
    counter('fps', { fps: snap.fps ?? 0 });
    if (snap.mainThreadBusyPercent !== null) counter('main thread busy %', { busy: snap.mainThreadBusyPercent });
    if (snap.memoryMb !== null) counter('memory MB', { memory: snap.memoryMb });
    if (snap.mounted !== null) counter('nodes', { inView: snap.inView ?? 0, mounted: snap.mounted });
    this.checkThresholds(snap);
  }

  private checkThresholds(s: PerformanceSnapshot): void {
    const t = this.thresholds;
    if (s.fps !== null && s.fps < 30 && s.viewUpdatesPerSecond > 0) {
      this.raise('fps', s.fps < 10 ? 'critical' : 'warning', `${s.fps.toFixed(0)} FPS while the view moves (target 60, 30 acceptable)`, s.fps, 30);
    }
    // The package's monitor judges CPU, memory and the cache hit rate itself (onMonitorAlert).
    if (this.monitor) return;
    if (s.mainThreadBusyPercent !== null && s.mainThreadBusyPercent > t.cpuPercent) {
      this.raise('cpu', s.mainThreadBusyPercent > 95 ? 'critical' : 'warning', `Main thread ${s.mainThreadBusyPercent.toFixed(0)} % busy (threshold ${t.cpuPercent} %)`, s.mainThreadBusyPercent, t.cpuPercent);
    }
    if (s.memoryMb !== null && s.memoryMb > t.memoryMb) {
      this.raise('memory', s.memoryMb > 2 * t.memoryMb ? 'critical' : 'warning', `Memory at ${s.memoryMb.toFixed(0)} MB (threshold ${t.memoryMb} MB)`, s.memoryMb, t.memoryMb);
    }
    const stats = this.cache?.stats();
    if (stats && stats.hits + stats.misses >= MIN_CACHE_LOOKUPS && stats.hitRate * 100 < t.cacheHitRateMinPercent) {
      this.raise('cache-hit-rate', 'warning', `Cache hit rate ${(stats.hitRate * 100).toFixed(0)} % (minimum ${t.cacheHitRateMinPercent} %)`, stats.hitRate * 100, t.cacheHitRateMinPercent);
    }
  }

  private raise(rule: string, severity: Severity, message: string, value: number, threshold: number): void {
    const now = Date.now();
    const last = this.lastFired.get(rule);
    // A rule fires again only after a cool-down, unless it got worse.
    const previous = this.alerts.findLast((a) => a.rule === rule);
    const worse = previous !== undefined && severity === 'critical' && previous.severity !== 'critical';
    if (last !== undefined && now - last < ALERT_COOL_DOWN_MS && !worse) return;
    this.lastFired.set(rule, now);
    const alert: Alert = { id: this.alertSeq++, rule, severity, message, value, threshold, at: now };
    this.alerts = [alert, ...this.alerts].slice(0, 50);
    this.traceEvent({ track: 'marks', name: `alert: ${message}`, start: performance.now(), args: { severity } });
    for (const l of this.alertListeners) l(alert);
  }
}

/** Navigation start to the end of the load event (Navigation Timing); null before it ends. */
function navigationLoadMs(): number | null {
  const nav = performance.getEntriesByType?.('navigation')[0] as PerformanceNavigationTiming | undefined;
  return nav && nav.loadEventEnd > 0 ? nav.loadEventEnd - nav.startTime : null;
}

const performanceService = new PerformanceService();
export default performanceService;
