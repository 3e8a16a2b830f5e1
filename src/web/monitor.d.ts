import type {
  Alert, AlertThresholds, MonitoringState, MonitorSnapshot, PartialConfig, PerformanceReport, ProfileReport,
} from './flowscale';
/** The performance monitor: frames, main-thread busy time, memory, storage, network, interactions, operations, alerts. */
export declare class PerformanceMonitor {
  /** A partial flowscale config: `monitoringIntervalSeconds`, `alertThresholds`, `monitoring`. */
  constructor(config?: PartialConfig);
  /** Start sampling every `intervalSeconds` (default: monitoringIntervalSeconds); returns the state. */
  start(options?: { intervalSeconds?: number }): MonitoringState;
  stop(): void;
  /** Every metric over the last `monitoring.windowSeconds`; unavailable ones carry `available: false` and a `reason`. */
  snapshot(): MonitorSnapshot;
  alerts(): { active: Alert[]; history: Alert[] };
  /** Called on every raised, escalated and resolved alert; returns the unsubscribe function. */
  onAlert(cb: (alert: Alert) => void): () => void;
  /** The KPIs with pass / acceptable / fail over the last `windowSeconds` (60). */
  report(options?: { windowSeconds?: number }): PerformanceReport;
  /** Change some thresholds; returns all of them. */
  setThresholds(thresholds: Partial<AlertThresholds>): AlertThresholds;
  thresholds(): AlertThresholds;
  /** The package-wide operation tracker. */
  track<T>(name: string, fn: () => T): T;
  /** Count a cache's hits and misses for the hit-rate alert and KPI; returns the unwatch function. */
  watchCache(cache: { stats(): { hits: number; misses: number } }): () => void;
  /** Feed a frame timestamp yourself (where there is no requestAnimationFrame, e.g. a worker). */
  recordFrame(timestamp: number): void;
  /** Sample and evaluate now (the interval timer calls this); returns the alerts that changed. */
  sample(): Alert[];
  readonly state: MonitoringState;
}
/** Record `fn` as the operation `name` (duration, memory delta, success or failure); returns what `fn` returns. */
export declare function track<T>(name: string, fn: () => T): T;
/**
 * Options of operation tracking (package-wide). `heapDelta: true` also records each call's change of the
 * JS heap where performance.memory exists (Chromium), at about 40 µs per call. Returns the options in force.
 */
export declare function configureTracking(options?: { heapDelta?: boolean }): { heapDelta: boolean };
/** Operations in flight right now. */
export declare function activeOperations(): { count: number; names: string[] };
export interface ProfilerOptions {
  /** Completed spans kept for the trace (200000); the tree keeps counting past it. */
  maxSpans?: number;
  /** Also record the JS heap at span edges (performance.memory, Chromium; about 40 µs per edge there). */
  heap?: boolean;
  /** Also add a performance.measure per span, so spans show in DevTools (a JS call per span). */
  marks?: boolean;
}
/**
 * One of the app's own events for `Profiler.exportChromeTrace({ events })`: a span (with `duration`), a counter
 * sample (with `values`, drawn as a chart) or an instant (neither). Times are ms on performance.now()'s clock.
 */
export interface AppTraceEvent {
  /** Its row in the viewer (a thread named so) and its category. */
  track: string;
  name: string;
  start: number;
  duration?: number;
  values?: Record<string, number>;
  args?: Record<string, unknown>;
}
/** Spans into a call tree, hotspots by self time, Chrome Trace Event export. Works in pages, workers and Node. */
export declare class Profiler {
  constructor(options?: ProfilerOptions);
  begin(name: string): void;
  /** Close the innermost span; with `name`, check it is that one. */
  end(name?: string): void;
  /** `fn()` inside a span; a returned promise ends the span when it settles. */
  profile<T>(name: string, fn: () => T): T;
  report(): ProfileReport;
  /** Chrome Trace Event JSON text (Perfetto, DevTools → Performance → Load profile), with the app's own `events` merged in. */
  exportChromeTrace(options?: { events?: AppTraceEvent[] }): string;
  reset(): void;
  /** Spans open right now. */
  readonly depth: number;
}
