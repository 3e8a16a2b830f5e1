// The dashboard's live numbers from flowscale's own PerformanceMonitor (the
// package's monitor: rAF frame times, long tasks and long animation frames,
// JS heap + wasm memory, storage), so the demo shows what a user of the
// package gets. The monitor's alerts (CPU, memory, leaks, slow or failing
// operations) reach the PerformanceService through `onMonitorAlert`.
//
// The monitor reports aggregates over its window, not individual long
// frames; for the trace's per-frame detail (which script ran) this source
// also listens to long animation frames itself, as BrowserMetrics does.
import { PerformanceMonitor, type Alert as MonitorAlert, type MonitorSnapshot } from 'flowscale';
import { startConfig } from '@/config';
import { BrowserMetrics, type Capabilities, type LongFrame, type MetricsSource, type RawSample } from '@/services/browserMetrics';

/** Seconds of history each sample summarises: short, so the charts follow the page. */
const WINDOW_SECONDS = 2;

export class MonitorMetrics implements MetricsSource {
  readonly name = "flowscale PerformanceMonitor (rAF, long tasks + long animation frames, JS heap + wasm memory, storage)";
  readonly capabilities: Capabilities;
  // The configured interval and alert thresholds (PERFORMANCE_* variables); a short window of its own.
  readonly monitor = new PerformanceMonitor({
    monitoringIntervalSeconds: startConfig.monitoringIntervalSeconds,
    alertThresholds: startConfig.alertThresholds,
    monitoring: { ...startConfig.monitoring, windowSeconds: WINDOW_SECONDS },
  });
  /** Long-frame detail for the trace (the monitor keeps aggregates only). */
  private readonly detail = new BrowserMetrics();
  /** The monitor's snapshot at the last take(): the dashboard's detail (memory, network, interactions). */
  lastSnapshot: MonitorSnapshot | null = null;
  private last = performance.now();
  private alertListeners = new Set<(a: MonitorAlert) => void>();
  private stopAlerts: (() => void) | null = null;

  constructor() {
    this.capabilities = this.detail.capabilities;
  }

  start(): void {
    this.monitor.start({ intervalSeconds: startConfig.monitoringIntervalSeconds });
    this.stopAlerts ??= this.monitor.onAlert((a) => {
      for (const cb of this.alertListeners) cb(a);
    });
    this.detail.start();
    this.last = performance.now();
  }

  stop(): void {
    this.monitor.stop();
    this.detail.stop();
  }

  /** The monitor's own alerts as they are raised, escalated and resolved. */
  onMonitorAlert(cb: (a: MonitorAlert) => void): () => void {
    this.alertListeners.add(cb);
    return () => this.alertListeners.delete(cb);
  }

  take(): RawSample {
    const now = performance.now();
    this.monitor.sample();
    const s: MonitorSnapshot = this.monitor.snapshot();
    this.lastSnapshot = s;
    const detail = this.detail.take();
    const storage = s.storage.available ? { usageMb: s.storage.usageMb, quotaMb: s.storage.quotaMb } : null;
    const sample: RawSample = {
      time: now,
      intervalMs: now - this.last,
      fps: s.frames.available ? s.frames.fps : null,
      frameP95Ms: s.frames.available ? s.frames.frameTimeMs.p95 : null,
      longestFrameMs: s.frames.available ? s.frames.frameTimeMs.max : null,
      busyPercent: s.mainThread.available ? s.mainThread.busyPercent : null,
      longFrames: detail.longFrames,
      memoryMb: s.memory.source === 'none' ? null : s.memory.totalMb,
      storage: storage ?? detail.storage,
    };
    this.last = now;
    return sample;
  }

  onLongFrame(cb: (f: LongFrame) => void): () => void {
    return this.detail.onLongFrame(cb);
  }
}
