// What the browser itself can tell about this page, sampled live:
//   - frames: requestAnimationFrame timestamps (FPS, p95 and longest frame),
//   - main-thread busy share: 1 − the idle time requestIdleCallback is offered,
//   - long frames: PerformanceObserver 'long-animation-frame' (with the
//     scripts that ran in them), or 'longtask' where LoAF is missing,
//   - memory: performance.memory (Chromium's JS heap; absent elsewhere),
//   - storage: navigator.storage.estimate().
// Anything the browser does not offer is reported as null, never guessed.
//
// A MetricsSource the PerformanceService takes instead of the package's
// PerformanceMonitor (monitorMetrics.ts, the default, which uses this class
// for long-frame detail). Without the monitor there are no KPI verdicts:
// those are the monitor's report().

export interface LongFrame {
  /** performance.now() at the frame's start. */
  startTime: number;
  duration: number;
  /** The part of the frame no input could be answered in (LoAF blockingDuration; longtask: duration − 50). */
  blockingMs: number;
  /** Script time inside the frame (LoAF scripts; null for longtask entries). */
  scriptMs: number | null;
  /** The longest script: where it came from. */
  topScript: string | null;
  kind: 'long-animation-frame' | 'longtask';
}

export interface RawSample {
  /** performance.now() at the end of the sample. */
  time: number;
  intervalMs: number;
  /** Animation frames per second (requestAnimationFrame callbacks). */
  fps: number | null;
  frameP95Ms: number | null;
  longestFrameMs: number | null;
  /** 0–100: share of the interval the main thread was not idle. */
  busyPercent: number | null;
  longFrames: LongFrame[];
  /** JS heap in use, MB (performance.memory). */
  memoryMb: number | null;
  storage: { usageMb: number; quotaMb: number } | null;
}

export interface Capabilities {
  frames: boolean;
  idle: boolean;
  longAnimationFrame: boolean;
  longTask: boolean;
  memory: boolean;
  storage: boolean;
}

/** A source of live samples: the browser's own measurements, or flowscale's PerformanceMonitor. */
export interface MetricsSource {
  readonly name: string;
  readonly capabilities: Capabilities;
  start(): void;
  stop(): void;
  /** Everything measured since the previous call. */
  take(): RawSample;
  /** Long frames as they are observed (for alerts that should not wait for the next sample). */
  onLongFrame(cb: (f: LongFrame) => void): () => void;
}

interface ChromeMemory {
  usedJSHeapSize: number;
  totalJSHeapSize: number;
  jsHeapSizeLimit: number;
}

interface LoafScript {
  duration: number;
  invoker?: string;
  sourceURL?: string;
  sourceFunctionName?: string;
}

interface LoafEntry extends PerformanceEntry {
  blockingDuration: number;
  scripts: LoafScript[];
}

function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
}

export class BrowserMetrics implements MetricsSource {
  readonly name = 'browser (rAF, requestIdleCallback, PerformanceObserver, performance.memory)';
  readonly capabilities: Capabilities;
  private running = false;
  private raf = 0;
  private idleHandle = 0;
  private lastFrameTime = -1;
  private frameGaps: number[] = [];
  private idleMs = 0;
  private sampleStart = performance.now();
  private longFrames: LongFrame[] = [];
  private observer: PerformanceObserver | null = null;
  private longFrameListeners = new Set<(f: LongFrame) => void>();
  private storage: RawSample['storage'] = null;
  private storageAt = -Infinity;

  constructor() {
    const types = typeof PerformanceObserver !== 'undefined' ? PerformanceObserver.supportedEntryTypes : [];
    this.capabilities = {
      frames: typeof requestAnimationFrame === 'function',
      idle: typeof requestIdleCallback === 'function',
      longAnimationFrame: types.includes('long-animation-frame'),
      longTask: types.includes('longtask'),
      memory: this.memory() !== null,
      storage: typeof navigator !== 'undefined' && typeof navigator.storage?.estimate === 'function',
    };
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.sampleStart = performance.now();
    this.frameGaps = [];
    this.idleMs = 0;
    this.lastFrameTime = -1;
    if (this.capabilities.frames) {
      const tick = (t: number) => {
        if (this.lastFrameTime >= 0) this.frameGaps.push(t - this.lastFrameTime);
        this.lastFrameTime = t;
        this.raf = requestAnimationFrame(tick);
      };
      this.raf = requestAnimationFrame(tick);
    }
    if (this.capabilities.idle) {
      // Each idle period is counted once, at its start: a callback posted
      // inside an idle callback runs in the next idle period.
      const idle = (d: IdleDeadline) => {
        this.idleMs += d.timeRemaining();
        this.idleHandle = requestIdleCallback(idle);
      };
      this.idleHandle = requestIdleCallback(idle);
    }
    const type = this.capabilities.longAnimationFrame ? 'long-animation-frame' : this.capabilities.longTask ? 'longtask' : null;
    if (type) {
      this.observer = new PerformanceObserver((list) => {
        for (const e of list.getEntries()) this.recordLongFrame(e, type);
      });
      this.observer.observe({ type, buffered: false });
    }
    void this.refreshStorage();
  }

  stop(): void {
    if (!this.running) return;
    this.running = false;
    cancelAnimationFrame(this.raf);
    if (this.capabilities.idle) cancelIdleCallback(this.idleHandle);
    this.observer?.disconnect();
    this.observer = null;
  }

  private recordLongFrame(e: PerformanceEntry, kind: LongFrame['kind']): void {
    let f: LongFrame;
    if (kind === 'long-animation-frame') {
      const l = e as LoafEntry;
      let scriptMs = 0;
      let top: LoafScript | null = null;
      for (const s of l.scripts ?? []) {
        scriptMs += s.duration;
        if (!top || s.duration > top.duration) top = s;
      }
      const where = top ? [top.invoker, top.sourceFunctionName].filter(Boolean).join(' · ') : '';
      f = { startTime: l.startTime, duration: l.duration, blockingMs: l.blockingDuration, scriptMs, topScript: where || null, kind };
    } else {
      f = { startTime: e.startTime, duration: e.duration, blockingMs: Math.max(0, e.duration - 50), scriptMs: null, topScript: null, kind };
    }
    this.longFrames.push(f);
    if (this.longFrames.length > 500) this.longFrames.splice(0, this.longFrames.length - 500);
    for (const cb of this.longFrameListeners) cb(f);
  }

  onLongFrame(cb: (f: LongFrame) => void): () => void {
    this.longFrameListeners.add(cb);
    return () => this.longFrameListeners.delete(cb);
  }

  private memory(): number | null {
    const m = (performance as Performance & { memory?: ChromeMemory }).memory;
    return m && m.usedJSHeapSize > 0 ? m.usedJSHeapSize / 2 ** 20 : null;
  }

  private async refreshStorage(): Promise<void> {
    if (!this.capabilities.storage) return;
    this.storageAt = performance.now();
    try {
      const e = await navigator.storage.estimate();
      if (e.usage !== undefined && e.quota !== undefined) this.storage = { usageMb: e.usage / 2 ** 20, quotaMb: e.quota / 2 ** 20 };
    } catch {
      this.storage = null;
    }
  }

  take(): RawSample {
    const now = performance.now();
    const intervalMs = now - this.sampleStart;
    const gaps = this.frameGaps.sort((a, b) => a - b);
    // The frame still being waited for counts too: a page frozen for 2 s has a 2 s frame, not none.
    const pending = this.lastFrameTime >= 0 ? now - this.lastFrameTime : 0;
    const longest = Math.max(gaps.at(-1) ?? 0, pending);
    const sample: RawSample = {
      time: now,
      intervalMs,
      fps: this.capabilities.frames && intervalMs > 0 ? (gaps.length * 1000) / intervalMs : null,
      frameP95Ms: percentile(gaps, 0.95),
      longestFrameMs: this.capabilities.frames && this.lastFrameTime >= 0 ? longest : null,
      busyPercent: this.capabilities.idle && intervalMs > 0 ? Math.min(100, Math.max(0, 100 * (1 - this.idleMs / intervalMs))) : null,
      longFrames: this.longFrames,
      memoryMb: this.memory(),
      storage: this.storage,
    };
    this.frameGaps = [];
    this.idleMs = 0;
    this.longFrames = [];
    this.sampleStart = now;
    if (now - this.storageAt > 5000) void this.refreshStorage();
    return sample;
  }
}
