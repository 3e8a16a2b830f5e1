// The JavaScript half of PerformanceMonitor (src/web/monitor.rs:
// MonitorCore) and of operation tracking.
//
// This file only collects: requestAnimationFrame timestamps, PerformanceObserver
// entries (longtask, long-animation-frame, event, resource), performance.memory,
// measureUserAgentSpecificMemory, navigator.storage.estimate and cache counters.
// They are buffered in typed arrays and plain arrays and handed to Rust once
// per interval; Rust computes every metric, alert and report. Nothing here
// reads `window`: `globalThis` serves pages, Web Workers and Node.
import { FlowscaleError, wasmMemoryBytes, moduleEpoch, onModuleReset } from './glue.js';

const g = globalThis;
const perf = g.performance;
const now = perf && typeof perf.now === 'function' ? perf.now.bind(perf) : Date.now;
function heapUsed() {
  const m = perf?.memory;
  return m ? m.usedJSHeapSize : NaN;
}

let Core = null;
/** Called once by the package entry with the wasm-bindgen class `MonitorCore`. */
export function bindMonitorCore(core) {
  Core = core;
}

/** Report a user callback's exception without letting it break the monitor. */
function callUser(fn, arg) {
  try {
    fn(arg);
  } catch (e) {
    setTimeout(() => { throw e; });
  }
}

const isThenable = (r) => r !== null && (typeof r === 'object' || typeof r === 'function') && typeof r.then === 'function';

// ---- operation tracking (package-wide: every monitor reads the same log) ----

const opIds = new Map();
const inFlight = new Map(); // name → count
let inFlightCount = 0;

function opId(name) {
  let id = opIds.get(name);
  if (id === undefined) {
    if (!Core) throw new Error('flowscale: track() used before the package entry bound its core');
    id = Core.opName(name);
    opIds.set(name, id);
  }
  return id;
}

function enter(name) {
  inFlightCount++;
  inFlight.set(name, (inFlight.get(name) ?? 0) + 1);
}

function leave(name) {
  inFlightCount--;
  const c = inFlight.get(name) - 1;
  if (c > 0) inFlight.set(name, c);
  else inFlight.delete(name);
}

// Reading performance.memory costs about 40 µs in Chromium (it gathers heap
// statistics), 50× the rest of a record: JS heap deltas are opt-in.
let heapDeltas = false;
const noHeap = () => NaN;
let opHeap = noHeap;

/**
 * Options of operation tracking (package-wide): `{ heapDelta: true }` also
 * records the JS heap's change per call where performance.memory exists
 * (Chromium; about 40 µs per call). Returns the options in force.
 */
export function configureTracking(options) {
  if (options !== undefined && options !== null) {
    if (typeof options !== 'object') throw new FlowscaleError('INVALID_CONFIG', 'expected { heapDelta }', 'options');
    for (const k of Object.keys(options)) {
      if (k !== 'heapDelta') throw new FlowscaleError('INVALID_CONFIG', `unknown option ${k} (heapDelta)`, `options.${k}`);
    }
    if (options.heapDelta !== undefined) {
      if (typeof options.heapDelta !== 'boolean') throw new FlowscaleError('INVALID_CONFIG', 'heapDelta must be a boolean', 'options.heapDelta');
      heapDeltas = options.heapDelta;
      opHeap = heapDeltas ? heapUsed : noHeap;
    }
  }
  return { heapDelta: heapDeltas };
}

/** Run `fn` as the operation `name`: duration, memory delta and outcome are recorded. */
function run(name, fn, self, args) {
  const id = opId(name);
  const heap = opHeap;
  const t0 = now(), w0 = wasmMemoryBytes(), h0 = heap(), e0 = moduleEpoch();
  enter(name);
  const done = (ok) => {
    leave(name);
    // After a wasm trap the log (and `id`) went with the old instance: record it again in the new one.
    if (moduleEpoch() !== e0) {
      Core.opRecord(opId(name), t0, now() - t0, 0, heap() - h0, ok);
      return;
    }
    Core.opRecord(id, t0, now() - t0, wasmMemoryBytes() - w0, heap() - h0, ok);
  };
  let r;
  try {
    r = fn.apply(self, args);
  } catch (e) {
    done(false);
    throw e;
  }
  if (!isThenable(r)) {
    done(true);
    return r;
  }
  return Promise.resolve(r).then(
    (v) => { done(true); return v; },
    (e) => { done(false); throw e; },
  );
}

/**
 * Track the app's own call: `track('save', () => api.save(doc))`. Returns
 * what `fn` returns (a promise settles as `fn`'s does). Recorded: duration,
 * memory delta (wasm, and the JS heap where observable), success or failure.
 */
export function track(name, fn) {
  if (typeof name !== 'string' || name.length === 0) throw new FlowscaleError('INVALID_ARGUMENT', 'name must be a non-empty string', 'name');
  if (typeof fn !== 'function') throw new FlowscaleError('INVALID_ARGUMENT', 'fn must be a function', 'fn');
  return run(name, fn, undefined, []);
}

/** Operations in flight: `{ count, names }`. */
export function activeOperations() {
  return { count: inFlightCount, names: [...inFlight.keys()] };
}

function wrap(name, fn) {
  const w = function (...args) {
    return run(name, fn, this, args);
  };
  Object.defineProperty(w, 'name', { value: fn.name });
  return w;
}

function wrapMethods(target, prefix, names) {
  if (!target) return;
  for (const m of names) {
    const f = target[m];
    if (typeof f === 'function') target[m] = wrap(`${prefix}.${m}`, f);
  }
}

// What the package entry instruments: the public calls that do work. The
// per-frame path (`frame`, `updatePositions`, `render`) is left alone: its
// cost is in `frame().stats.timeMs` and in the monitor's frame times, and a
// record per frame would flood the log. Cache reads answered from memory
// never reach CacheCore, so only calls that touch IndexedDB (or could) are
// recorded; the cache counts its own hits and misses.
const INSTRUMENTED = {
  WorkflowOptimizer: ['setWorkflow', 'applyNodeChanges', 'applyEdgeChanges', 'clusters', 'expandCluster', 'simplifyEdges', 'groups', 'analyze'],
  CacheCore: ['getFromDisk', 'get', 'set', 'getOrLoad', 'invalidate', 'invalidateTag', 'invalidatePrefix', 'clear', 'flush', 'close', 'cacheWorkflow', 'getCachedWorkflow'],
  PerformanceManager: ['optimizeWorkflow', 'status', 'startMonitoring', 'stopMonitoring', 'cacheWorkflow', 'getCachedWorkflow', 'benchmark'],
};
const INSTRUMENTED_STATIC = { CacheCore: ['open'], PerformanceManager: ['create'], Renderer: ['create'] };
const INSTRUMENTED_FUNCTIONS = ['optimizeWorkflow', 'layoutWorkflow', 'simplifyPolyline', 'workflowContentHash'];
const PUBLIC_NAME = { CacheCore: 'cache' };

/**
 * Wrap the package's public calls (once, by the package entry). Classes are
 * patched in place; free functions come back wrapped, for the entry to
 * export under their own names.
 */
export function instrument(exports) {
  for (const [cls, methods] of Object.entries(INSTRUMENTED)) {
    wrapMethods(exports[cls]?.prototype, PUBLIC_NAME[cls] ?? cls, methods);
  }
  for (const [cls, methods] of Object.entries(INSTRUMENTED_STATIC)) {
    wrapMethods(exports[cls], PUBLIC_NAME[cls] ?? cls, methods);
  }
  const out = {};
  for (const f of INSTRUMENTED_FUNCTIONS) {
    if (typeof exports[f] === 'function') out[f] = wrap(f, exports[f]);
  }
  return out;
}

// ---- the monitor ----

function environment() {
  if (typeof g.document !== 'undefined' && typeof g.window !== 'undefined') return 'window';
  if (typeof g.WorkerGlobalScope !== 'undefined' && g instanceof g.WorkerGlobalScope) return 'worker';
  if (typeof g.process !== 'undefined' && g.process.versions?.node) return 'node';
  return 'unknown';
}

function supports() {
  const types = g.PerformanceObserver?.supportedEntryTypes ?? [];
  const isolated = g.crossOriginIsolated === true;
  return {
    environment: environment(),
    animationFrames: typeof g.requestAnimationFrame === 'function',
    longTasks: types.includes('longtask'),
    longAnimationFrames: types.includes('long-animation-frame'),
    eventTiming: types.includes('event'),
    resourceTiming: types.includes('resource'),
    jsHeap: typeof perf?.memory === 'object' && perf.memory !== null,
    userAgentMemory: isolated && typeof perf?.measureUserAgentSpecificMemory === 'function',
    crossOriginIsolated: isolated,
    storageEstimate: typeof g.navigator?.storage?.estimate === 'function',
  };
}

// After a wasm trap (see glue.js, guardExports): the operation log lived in the
// old instance, so names are registered again; each monitor gets a fresh core
// and hears the trap as a critical alert.
const monitors = new Set();
const profilers = new Set();
/** Weakly held (pruned as they grow): a monitor or profiler the app dropped is not kept alive. */
function hold(set, v) {
  if (set.size >= 64) for (const r of set) if (r.deref() === undefined) set.delete(r);
  set.add(new WeakRef(v));
}
onModuleReset((info) => {
  if (info.reset) opIds.clear();
  for (const ref of [...monitors]) {
    const m = ref.deref();
    if (m) m._trapped(info, ref);
    else monitors.delete(ref);
  }
  if (!info.reset) return;
  for (const ref of [...profilers]) {
    const p = ref.deref();
    if (p) callUser((q) => q._trapped(), p);
    else profilers.delete(ref);
  }
});
let trapAlertId = 0;

/** measureUserAgentSpecificMemory and storage estimates: at most this often (they are not free). */
const SLOW_SAMPLE_MS = 10_000;
const TOKEN = Symbol('PerformanceMonitor');

/**
 * The performance monitor: `new PerformanceMonitor(config?)` with a partial
 * flowscale config (`monitoringIntervalSeconds`, `alertThresholds`,
 * `monitoring`). See docs/monitoring.md.
 */
export class PerformanceMonitor {
  #core;
  #sup;
  #listeners = new Set();
  #timer = null;
  #raf = 0;
  #observers = [];
  #offVisibility = null;
  #frames = new Float64Array(1024);
  #nf = 0;
  #busy = [];
  #events = [];
  #resources = [];
  #caches = new Set();
  #uaAt = -Infinity;
  #uaPending = false;
  #storageAt = -Infinity;
  #storagePending = false;
  #onFrame = null;

  #config;
  #thresholdChanges = null;
  #traps = [];

  constructor(config, token, core) {
    if (!Core && !core) throw new Error('flowscale: PerformanceMonitor used before the package entry bound its core');
    // The PerformanceManager hands over a core it built from its own config.
    this.#core = token === TOKEN && core ? core : new Core(config);
    this.#config = token === TOKEN ? undefined : config;
    this.#sup = supports();
    this.#core.setSupports(JSON.stringify(this.#sup));
    hold(monitors, this);
    this.#onFrame = (t) => {
      this.recordFrame(t);
      this.#raf = g.requestAnimationFrame(this.#onFrame);
    };
  }

  /** Start sampling every `intervalSeconds` (default: the config's monitoringIntervalSeconds). */
  start(options) {
    let interval;
    if (options !== undefined && options !== null) {
      if (typeof options !== 'object') throw new FlowscaleError('INVALID_CONFIG', 'expected { intervalSeconds }', 'options');
      interval = options.intervalSeconds;
      if (interval !== undefined && typeof interval !== 'number') throw new FlowscaleError('INVALID_CONFIG', 'intervalSeconds must be a number', 'intervalSeconds');
    }
    const state = this.#core.state();
    interval ??= state.intervalSeconds;
    this.#core.start(now(), interval); // validates
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = setInterval(() => this.sample(), interval * 1000);
    this.#timer?.unref?.(); // Node: a monitor must not keep the process alive
    if (!state.active) this.#attach();
    this.sample();
    return this.#core.state();
  }

  #attach() {
    const s = this.#sup;
    if (s.animationFrames) this.#raf = g.requestAnimationFrame(this.#onFrame);
    const observe = (type, fn, extra) => {
      try {
        const o = new g.PerformanceObserver((list) => { for (const e of list.getEntries()) fn(e); });
        o.observe({ type, buffered: true, ...extra });
        this.#observers.push(o);
      } catch { /* an entry type the browser lists but refuses: stays unavailable */ }
    };
    if (s.longTasks) observe('longtask', (e) => this.#busy.push(0, e.startTime, e.duration));
    if (s.longAnimationFrames) observe('long-animation-frame', (e) => this.#busy.push(1, e.startTime, e.duration));
    // durationThreshold 16: the lowest the API allows; interactions below it are not slow.
    if (s.eventTiming) observe('event', (e) => this.#events.push(e.startTime, e.duration, e.processingStart - e.startTime, e.interactionId ?? 0), { durationThreshold: 16 });
    if (s.resourceTiming) observe('resource', (e) => this.#resources.push(e.responseEnd, e.transferSize ?? 0));
    const doc = g.document;
    if (doc?.addEventListener) {
      const onVis = () => {
        if (doc.visibilityState === 'hidden') {
          this.#flushFrames();
          this.#core.frameBreak();
        }
      };
      doc.addEventListener('visibilitychange', onVis);
      this.#offVisibility = () => doc.removeEventListener('visibilitychange', onVis);
    }
  }

  /** Stop sampling (samples and alerts are kept). */
  stop() {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
    if (this.#raf) g.cancelAnimationFrame?.(this.#raf);
    this.#raf = 0;
    for (const o of this.#observers) o.disconnect();
    this.#observers.length = 0;
    this.#offVisibility?.();
    this.#offVisibility = null;
    this.#flush();
    this.#core.stop(now());
  }

  /** A frame's timestamp (what requestAnimationFrame passes), for frames you drive yourself. */
  recordFrame(t) {
    if (this.#nf === this.#frames.length) this.#flushFrames();
    this.#frames[this.#nf++] = t;
  }

  #flushFrames() {
    if (this.#nf === 0) return;
    this.#core.frames(this.#frames.subarray(0, this.#nf));
    this.#nf = 0;
  }

  #flush() {
    this.#flushFrames();
    if (this.#busy.length) { this.#core.busy(new Float64Array(this.#busy)); this.#busy.length = 0; }
    if (this.#events.length) { this.#core.events(new Float64Array(this.#events)); this.#events.length = 0; }
    if (this.#resources.length) { this.#core.resources(new Float64Array(this.#resources)); this.#resources.length = 0; }
  }

  #sampleMemory(t) {
    const m = this.#sup.jsHeap ? perf.memory : null;
    this.#core.memory(t, m ? m.usedJSHeapSize : NaN, m ? m.totalJSHeapSize : NaN, m ? m.jsHeapSizeLimit : NaN, wasmMemoryBytes());
  }

  #sampleSlow(t) {
    if (this.#sup.userAgentMemory && !this.#uaPending && t - this.#uaAt >= SLOW_SAMPLE_MS) {
      this.#uaPending = true;
      this.#uaAt = t;
      perf.measureUserAgentSpecificMemory().then(
        (r) => { this.#uaPending = false; this.#core.userAgentMemory(now(), r.bytes); },
        () => { this.#uaPending = false; },
      );
    }
    if (!this.#storagePending && t - this.#storageAt >= SLOW_SAMPLE_MS) {
      this.#storageAt = t;
      if (!this.#sup.storageEstimate) return;
      this.#storagePending = true;
      g.navigator.storage.estimate().then(
        (e) => { this.#storagePending = false; this.#core.storage(now(), e.usage ?? 0, e.quota ?? 0); },
        (e) => { this.#storagePending = false; this.#core.storageUnavailable(`navigator.storage.estimate() rejected: ${e?.name ?? e}`); },
      );
    }
  }

  /**
   * Take a sample now and evaluate the alerts (the interval timer calls
   * this). Returns the alerts that changed; `onAlert` listeners hear each.
   */
  sample() {
    const t = now();
    this.#flush();
    this.#sampleMemory(t);
    this.#sampleSlow(t);
    for (const c of this.#caches) {
      try {
        const s = c.stats();
        this.#core.cacheCounters(t, s.hits, s.misses);
      } catch { /* a closed cache: nothing to count */ }
    }
    if (!this.#core.hasNavigationLoad) {
      const nav = perf?.getEntriesByType?.('navigation')?.[0];
      if (nav && nav.loadEventEnd > 0) this.#core.navigationLoad(nav.loadEventEnd - nav.startTime);
    }
    const changed = this.#core.evaluate(t);
    for (const a of changed) for (const cb of this.#listeners) callUser(cb, a);
    return changed;
  }

  /** Every metric over the last `monitoring.windowSeconds`; unavailable ones say why. */
  snapshot() {
    const t = now();
    this.#flush();
    this.#sampleMemory(t);
    return this.#core.snapshot(t, JSON.stringify(activeOperations()));
  }

  /** `{ active, history }`: alerts still on, and the last `monitoring.alertHistory` of all (wasm traps included). */
  alerts() {
    const a = this.#core.alerts();
    if (this.#traps.length) a.history = [...this.#traps, ...a.history];
    return a;
  }

  /**
   * After a wasm trap (called by the package, not the app): samples and
   * alerts went with the old instance. A fresh core from the same config and
   * thresholds, sampling again if it was, and a critical `wasmTrap` alert
   * (kept in `alerts().history`) for the listeners.
   */
  _trapped({ operation, error, reset }, ref) {
    if (reset) {
      let active = false, interval;
      try {
        this.#core = new Core(this.#config);
        this.#core.setSupports(JSON.stringify(this.#sup));
        if (this.#thresholdChanges) this.#core.setThresholds(this.#thresholdChanges);
        active = this.#timer !== null;
        if (active) {
          interval = this.#core.state().intervalSeconds;
          this.#core.start(now(), interval);
        }
      } catch (e) {
        monitors.delete(ref);
        setTimeout(() => { throw e; });
      }
    }
    const t = now();
    const alert = {
      id: -(++trapAlertId), key: 'wasmTrap', metric: 'wasmTrap', severity: 'critical', state: 'resolved', change: 'raised',
      message: `wasm trap in ${operation}: ${error?.message ?? error}${reset ? '; the module was re-instantiated' : ''}`,
      value: 1, peak: 1, threshold: 0, raisedAt: t, updatedAt: t, resolvedAt: reset ? t : null, occurrences: 1,
    };
    this.#traps.unshift(alert);
    if (this.#traps.length > 16) this.#traps.length = 16;
    for (const cb of this.#listeners) callUser(cb, alert);
  }

  /** `cb(alert)` on every raised, escalated and resolved alert (`alert.change`); returns the unsubscribe function. */
  onAlert(cb) {
    if (typeof cb !== 'function') throw new FlowscaleError('INVALID_ARGUMENT', 'onAlert needs a function', 'cb');
    this.#listeners.add(cb);
    return () => this.#listeners.delete(cb);
  }

  /** KPIs against the targets over the last `windowSeconds` (default 60). */
  report(options) {
    let w = 60;
    if (options !== undefined && options !== null) {
      if (typeof options !== 'object') throw new FlowscaleError('INVALID_ARGUMENT', 'expected { windowSeconds }', 'options');
      if (options.windowSeconds !== undefined) w = options.windowSeconds;
      if (typeof w !== 'number') throw new FlowscaleError('INVALID_ARGUMENT', 'windowSeconds must be a number', 'windowSeconds');
    }
    const t = now();
    this.#flush();
    this.#sampleMemory(t);
    return this.#core.report(t, w);
  }

  /** Change some thresholds (`{ cpuPercent: 70 }`); returns all of them. */
  setThresholds(t) {
    const all = this.#core.setThresholds(t);
    this.#thresholdChanges = { ...this.#thresholdChanges, ...t };
    return all;
  }

  thresholds() {
    return this.#core.thresholds();
  }

  /** The package-wide `track(name, fn)`. */
  track(name, fn) {
    return track(name, fn);
  }

  /** Count this cache's hits and misses (anything with `stats(): { hits, misses }`); returns the unwatch function. */
  watchCache(cache) {
    if (!cache || typeof cache.stats !== 'function') throw new FlowscaleError('INVALID_ARGUMENT', 'expected a cache with stats()', 'cache');
    this.#caches.add(cache);
    return () => this.#caches.delete(cache);
  }

  /** `{ active, intervalSeconds, windowSeconds, startedAt, stoppedAt, samples, environment }`. */
  get state() {
    return this.#core.state();
  }
}

/** The PerformanceManager's monitor, around a core it configured. */
export function managedMonitor(core, cache) {
  Core ??= core.constructor; // the manager may come before the package entry bound the class
  const m = new PerformanceMonitor(undefined, TOKEN, core);
  if (cache) m.watchCache(cache);
  return m;
}

/** A promise that resolves on the next task (benchmarks yield between iterations). */
export function nextTask() {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

// ---- the profiler (src/web/monitor.rs: ProfilerCore) ----
//
// A span costs no call into wasm: begin/end write five numbers into a
// Float64Array (code, name id or async token, time, wasm memory, JS heap);
// the whole array goes to Rust in one call when it fills, or when a report
// or trace is asked for. Rust builds the call tree from the batch.
// (One file with the monitor: each JS module of the package is one more
// request before the wasm module can start.)

const STRIDE = 5;
const BEGIN = 1, END = 2, DETACH = 3, FINISH = 4;
/** Records per batch: 4096 × 5 floats = 160 KB, copied into wasm once per 2048 spans. */
const BATCH = 4096;

/** Checked by ProfilerCore's constructor: both sides must agree on the layout. */
export function recordStride() {
  return STRIDE;
}


let ProfilerCore = null;
/** Called once by the package entry with the wasm-bindgen class `ProfilerCore`. */
export function bindProfilerCore(core) {
  ProfilerCore = core;
}

/**
 * Spans, a call tree, hotspots and Chrome traces. Options:
 * `{ maxSpans?: number (200000), heap?: boolean (false), marks?: boolean (false) }`.
 * `heap` adds the JS heap (performance.memory, Chromium) at span edges;
 * `marks` adds a performance.measure per span so spans show in DevTools
 * (that one is a JS call per span, hence off by default).
 */
export class Profiler {
  #core;
  #buf = new Float64Array(BATCH * STRIDE);
  #n = 0;
  #ids = new Map();
  #stack = [];
  #starts = [];
  #token = 0;
  #heap = false;
  #marks = false;

  constructor(options) {
    if (!ProfilerCore) throw new Error('flowscale: Profiler used before the package entry bound its core');
    let maxSpans;
    if (options !== undefined && options !== null) {
      if (typeof options !== 'object') throw new FlowscaleError('INVALID_CONFIG', 'options must be an object { maxSpans?, heap?, marks? }', 'options');
      for (const k of Object.keys(options)) {
        if (k !== 'maxSpans' && k !== 'heap' && k !== 'marks') throw new FlowscaleError('INVALID_CONFIG', `unknown option ${k} (maxSpans, heap, marks)`, `options.${k}`);
      }
      for (const k of ['heap', 'marks']) {
        if (options[k] !== undefined && typeof options[k] !== 'boolean') throw new FlowscaleError('INVALID_CONFIG', `${k} must be a boolean`, `options.${k}`);
      }
      maxSpans = options.maxSpans;
      if (maxSpans !== undefined && typeof maxSpans !== 'number') throw new FlowscaleError('INVALID_CONFIG', 'maxSpans must be a number', 'options.maxSpans');
      this.#heap = options.heap === true && typeof perf?.memory === 'object';
      this.#marks = options.marks === true && typeof perf?.measure === 'function';
    }
    this.#core = new ProfilerCore(maxSpans);
    this.#maxSpans = maxSpans;
    hold(profilers, this);
  }

  #maxSpans;

  /** After a wasm trap (called by the package): the spans went with the old instance; profiling starts over. */
  _trapped() {
    this.#core = new ProfilerCore(this.#maxSpans);
    this.#ids.clear();
    this.#n = 0;
    this.#stack.length = 0;
    this.#starts.length = 0;
  }

  #id(name) {
    if (typeof name !== 'string') throw new FlowscaleError('INVALID_ARGUMENT', `a span name must be a string, got ${typeof name}`, 'name');
    const id = this.#core.name(name);
    this.#ids.set(name, id);
    return id;
  }

  #write(code, a, t) {
    if (this.#n === BATCH) this.#flush();
    const b = this.#buf, k = this.#n++ * STRIDE;
    b[k] = code; b[k + 1] = a; b[k + 2] = t; b[k + 3] = wasmMemoryBytes(); b[k + 4] = this.#heap ? heapUsed() : NaN;
  }

  #flush() {
    if (this.#n === 0) return;
    this.#core.ingest(this.#buf.subarray(0, this.#n * STRIDE));
    this.#n = 0;
  }

  /** Open a span (nested inside the open one). */
  begin(name) {
    const id = this.#ids.get(name) ?? this.#id(name);
    this.#stack.push(id);
    const t = now();
    if (this.#marks) this.#starts.push(t);
    this.#write(BEGIN, id, t);
  }

  /** Close the innermost open span; with `name`, check that it is the one. */
  end(name) {
    const n = this.#stack.length;
    if (n === 0) throw new FlowscaleError('INVALID_ARGUMENT', 'end() without an open span (begin(name) first)', 'end');
    if (name !== undefined && this.#ids.get(name) !== this.#stack[n - 1]) {
      throw new FlowscaleError('INVALID_ARGUMENT', `end(${JSON.stringify(name)}) does not match the innermost open span`, 'name');
    }
    const id = this.#stack.pop();
    const t = now();
    this.#write(END, 0, t);
    if (this.#marks) this.#measure(id, this.#starts.pop(), t);
  }

  #measure(id, start, end) {
    for (const [name, v] of this.#ids) {
      if (v === id) {
        try { perf.measure(name, { start, end }); } catch { /* a measure is optional */ }
        return;
      }
    }
  }

  /**
   * `fn()` inside a span named `name`; returns what `fn` returns. A promise
   * ends the span when it settles (its synchronous part is its self time).
   */
  profile(name, fn) {
    if (typeof fn !== 'function') throw new FlowscaleError('INVALID_ARGUMENT', 'fn must be a function', 'fn');
    this.begin(name);
    let r;
    try {
      r = fn();
    } catch (e) {
      this.end();
      throw e;
    }
    if (!isThenable(r)) {
      this.end();
      return r;
    }
    const token = ++this.#token;
    const id = this.#stack.pop();
    const start = this.#marks ? this.#starts.pop() : 0;
    this.#write(DETACH, token, now());
    const done = () => {
      const t = now();
      this.#write(FINISH, token, t);
      if (this.#marks) this.#measure(id, start, t);
    };
    return Promise.resolve(r).then(
      (v) => { done(); return v; },
      (e) => { done(); throw e; },
    );
  }

  /** `{ spans, droppedSpans, openSpans, wallMs, tree, hotspots }`. */
  report() {
    this.#flush();
    return this.#core.report();
  }

  /**
   * Chrome Trace Event JSON (a string): open it in Perfetto or DevTools
   * (Performance → Load profile). `{ events }`: the app's own spans,
   * instants and counter samples, merged in (a row per track).
   */
  exportChromeTrace(options) {
    let events;
    if (options !== undefined && options !== null) {
      if (typeof options !== 'object') throw new FlowscaleError('INVALID_ARGUMENT', 'expected { events }', 'options');
      for (const k of Object.keys(options)) {
        if (k !== 'events') throw new FlowscaleError('INVALID_ARGUMENT', `unknown option ${k} (events)`, `options.${k}`);
      }
      if (options.events !== undefined) {
        if (!Array.isArray(options.events)) throw new FlowscaleError('INVALID_ARGUMENT', 'expected an array of events', 'options.events');
        // Checked in Rust, field by field (NaN and Infinity arrive as null and are refused there).
        events = JSON.stringify(options.events);
      }
    }
    this.#flush();
    return this.#core.trace(events);
  }

  /** Forget every span recorded so far (open spans too). */
  reset() {
    this.#n = 0;
    this.#stack.length = 0;
    this.#starts.length = 0;
    this.#core.reset();
  }

  /** Spans open right now (begun and not ended). */
  get depth() {
    return this.#stack.length;
  }
}
