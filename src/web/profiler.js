// The JavaScript half of Profiler (src/web/monitor.rs: ProfilerCore).
//
// A span costs no call into wasm: begin/end write five numbers into a
// Float64Array (code, name id or async token, time, wasm memory, JS heap);
// the whole array goes to Rust in one call when it fills, or when a report
// or trace is asked for. Rust builds the call tree from the batch.
//
// `performance` is reached through globalThis, so this works in pages,
// Web Workers and Node alike.
import { FlowscaleError, wasmMemoryBytes } from './glue.js';

const STRIDE = 5;
const BEGIN = 1, END = 2, DETACH = 3, FINISH = 4;
/** Records per batch: 4096 × 5 floats = 160 KB, copied into wasm once per 2048 spans. */
const BATCH = 4096;

/** Checked by ProfilerCore's constructor: both sides must agree on the layout. */
export function recordStride() {
  return STRIDE;
}

const perf = globalThis.performance;
const now = perf && typeof perf.now === 'function' ? perf.now.bind(perf) : Date.now;
function heapUsed() {
  const m = perf?.memory;
  return m ? m.usedJSHeapSize : NaN;
}

let Core = null;
/** Called once by the package entry with the wasm-bindgen class `ProfilerCore`. */
export function bindProfilerCore(core) {
  Core = core;
}

const isThenable = (r) => r !== null && (typeof r === 'object' || typeof r === 'function') && typeof r.then === 'function';

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
    if (!Core) throw new Error('flowscale: Profiler used before the package entry bound its core');
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
    this.#core = new Core(maxSpans);
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

  /** Chrome Trace Event JSON (a string): open it in Perfetto or DevTools (Performance → Load profile). */
  exportChromeTrace() {
    this.#flush();
    return this.#core.trace();
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
