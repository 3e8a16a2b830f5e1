// The JavaScript half of WorkflowCache.
//
// Rust (src/web/cache/browser.rs) owns every decision. This file holds what is
// cheaper on this side of the boundary:
// - the mirror: key → slot (a Map) and the values by slot, which Rust keeps
//   in step. A memory hit is `index.get(key)` + one wasm call with the slot
//   number + `values[slot]`: no string crosses the boundary and the value is
//   the caller's own object (no serialize/parse round trip). V8 caches a
//   string's hash, so the Map lookup costs less than encoding the key for Rust.
// - reading user input (options, the size estimate of a value), timers,
//   page-lifecycle listeners and storage estimates;
// - `WorkflowCache`, the public class: the hit path above, everything else
//   forwarded to its Rust core (`CacheCore`).
import { FlowscaleError, moduleEpoch, onModuleReset } from './glue.js';

// ---- mirror (written by Rust only) ----

export function newMirror() {
  return { index: new Map(), values: [], keys: [] };
}
export function mirrorPut(m, slot, key, value) {
  m.index.set(key, slot);
  m.values[slot] = value;
  m.keys[slot] = key;
}
export function mirrorDrop(m, slot) {
  const k = m.keys[slot];
  if (k !== undefined) m.index.delete(k);
  m.values[slot] = undefined;
  m.keys[slot] = undefined;
}
export function mirrorClear(m) {
  m.index.clear();
  m.values.length = 0;
  m.keys.length = 0;
}
export function mirrorValue(m, slot) {
  return m.values[slot];
}

// ---- user input ----

/** A key must be a well-formed string (a lone surrogate would not survive UTF-8); undefined when it is. */
export function keyProblem(key) {
  if (typeof key !== 'string') return `expected a string key, got ${key === null ? 'null' : typeof key}`;
  if (typeof key.isWellFormed === 'function' ? !key.isWellFormed() : /[\uD800-\uDFFF]/.test(key.replace(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g, ''))) {
    return 'the key contains a lone surrogate';
  }
  return undefined;
}

/**
 * `{ ttlSeconds?, tags?, sizeBytes? }` → `[ttlSeconds, sizeBytes, tags, error]`
 * (an array, which Rust reads by index without building key strings).
 */
export function readSetOptions(o) {
  const bad = (path, message) => [undefined, undefined, [], new FlowscaleError('INVALID_ARGUMENT', message, path)];
  if (o === undefined || o === null) return [undefined, undefined, [], undefined];
  if (typeof o !== 'object') return bad('options', 'expected an options object { ttlSeconds?, tags?, sizeBytes? }');
  for (const k of Object.keys(o)) {
    if (k !== 'ttlSeconds' && k !== 'tags' && k !== 'sizeBytes') return bad(`options.${k}`, `unknown option ${k} (ttlSeconds, tags, sizeBytes)`);
  }
  let ttl = o.ttlSeconds;
  if (ttl === null) ttl = undefined;
  if (ttl !== undefined && typeof ttl !== 'number') return bad('options.ttlSeconds', 'ttlSeconds must be a number');
  let size = o.sizeBytes;
  if (size === null) size = undefined;
  if (size !== undefined && typeof size !== 'number') return bad('options.sizeBytes', 'sizeBytes must be a number');
  let tags = o.tags;
  if (tags === undefined || tags === null) tags = [];
  else {
    if (!Array.isArray(tags)) return bad('options.tags', 'tags must be an array of strings');
    for (let i = 0; i < tags.length; i++) {
      const p = keyProblem(tags[i]);
      if (p) return bad(`options.tags[${i}]`, p.replace('key', 'tag'));
    }
    tags = tags.slice();
  }
  return [ttl, size, tags, undefined];
}

/**
 * Estimated bytes a value holds, for the memory and disk limits: UTF-16
 * strings at 2 bytes a character, 8 per number, 16 per object plus 8 per
 * property or element, typed arrays and blobs by their byte length. Shared
 * objects count once (structured clone stores them once too). Getters run,
 * as they do when the value is cloned.
 */
export function estimateBytes(value) {
  let total = 0;
  const seen = new Set();
  const stack = [value];
  while (stack.length) {
    const v = stack.pop();
    switch (typeof v) {
      case 'string': total += 16 + 2 * v.length; continue;
      case 'number': total += 8; continue;
      case 'boolean': total += 4; continue;
      case 'bigint': total += 16; continue;
      case 'undefined': total += 1; continue;
      case 'symbol': case 'function': total += 8; continue;
    }
    if (v === null) { total += 1; continue; }
    if (seen.has(v)) continue;
    seen.add(v);
    if (ArrayBuffer.isView(v)) { total += 32 + v.byteLength; continue; }
    if (v instanceof ArrayBuffer) { total += 32 + v.byteLength; continue; }
    if (typeof Blob !== 'undefined' && v instanceof Blob) { total += 64 + v.size; continue; }
    if (v instanceof Date || v instanceof RegExp) { total += 32; continue; }
    if (Array.isArray(v)) {
      total += 16 + 8 * v.length;
      for (let i = v.length - 1; i >= 0; i--) stack.push(v[i]);
      continue;
    }
    if (v instanceof Map) {
      total += 32;
      for (const [k, x] of v) { total += 16; stack.push(k, x); }
      continue;
    }
    if (v instanceof Set) {
      total += 32;
      for (const x of v) { total += 8; stack.push(x); }
      continue;
    }
    total += 16;
    for (const k in v) {
      if (!Object.prototype.hasOwnProperty.call(v, k)) continue;
      total += 8 + 2 * k.length;
      stack.push(v[k]);
    }
  }
  return total;
}

/** Call a cache-aside loader; a throw or a non-promise result becomes a promise. */
export function callLoader(loader, key) {
  try {
    return Promise.resolve(loader(key));
  } catch (e) {
    return Promise.reject(e);
  }
}

/** Call a user callback; its exceptions are reported, never propagated into the cache. */
export function callUser(fn, arg) {
  try {
    fn(arg);
  } catch (e) {
    setTimeout(() => { throw e; });
  }
}

// ---- platform ----

const NO_TAGS = [];
/** The two records of a put (see src/web/cache/idb.rs for the layout). */
export function putRecord(values, meta, key, value, s, e, a, tags) {
  values.put({ v: value }, key);
  meta.put({ s, e, a, t: tags ?? NO_TAGS }, key);
}
export function putMeta(meta, key, s, e, a, tags) {
  meta.put({ s, e, a, t: tags ?? NO_TAGS }, key);
}

const BOTH_STORES = ['values', 'meta'];
const STRICT = { durability: 'strict' };
/**
 * The readwrite transaction of every cache write, on both stores, with
 * `durability: 'strict'`: its `complete` fires only once the browser has
 * flushed the commit to disk. Chromium's default ('relaxed' since 121) fires
 * it before. Browsers without the option ignore it. (web-sys has this
 * overload only behind its unstable-API cfg flag, hence JS.)
 */
export function writeTransaction(db) {
  return db.transaction(BOTH_STORES, 'readwrite', STRICT);
}

export function idbFactory() {
  try {
    return globalThis.indexedDB;
  } catch {
    return undefined;
  }
}

/** `navigator.storage.estimate()` → `{ usage, quota }`, or null where missing or failing. */
export async function storageEstimate() {
  try {
    const e = await globalThis.navigator?.storage?.estimate?.();
    return e ? { usage: e.usage ?? 0, quota: e.quota ?? 0 } : null;
  } catch {
    return null;
  }
}

// What the Rust half registers with the platform calls closures of the wasm
// instance that made it. After a wasm trap that instance is gone (calling one
// of its closures throws): its timers and page-hide listeners end themselves,
// its channels and database connections are closed.
// (Weakly held: a cache closed normally lets go of both.)
const channels = new Set();
const databases = new Set();
function hold(set, v) {
  if (set.size >= 64) for (const r of set) if (r.deref() === undefined) set.delete(r);
  set.add(new WeakRef(v));
}
onModuleReset(() => {
  for (const r of channels) r.deref()?.close();
  channels.clear();
  for (const r of databases) {
    const db = r.deref();
    if (!db) continue;
    db.onclose = null;
    db.onversionchange = null;
    db.close();
  }
  databases.clear();
});

/** A connection the cache opened: closed after a wasm trap (the new core opens its own). */
export function trackDatabase(db) {
  hold(databases, db);
}

/** A timer that never keeps Node alive, and ends when the instance that set it is replaced. */
export function startTimer(fn, ms, repeat) {
  const epoch = moduleEpoch();
  const t = (repeat ? setInterval : setTimeout)(() => {
    if (moduleEpoch() === epoch) fn();
    else stopTimer(t);
  }, ms);
  t?.unref?.();
  return t;
}
export function stopTimer(t) {
  clearTimeout(t);
  clearInterval(t);
}

/** Call `fn` when the page is hidden or being left; returns the unsubscribe function. */
export function onPageHide(fn) {
  const g = globalThis;
  const doc = g.document;
  const epoch = moduleEpoch();
  const off = () => {
    g.removeEventListener?.('pagehide', hide);
    doc?.removeEventListener?.('visibilitychange', onVis);
  };
  const hide = (e) => {
    if (moduleEpoch() === epoch) fn(e);
    else off();
  };
  const onVis = (e) => { if (doc.visibilityState === 'hidden') hide(e); };
  g.addEventListener?.('pagehide', hide);
  doc?.addEventListener?.('visibilitychange', onVis);
  return off;
}

export function newChannel(name) {
  try {
    if (typeof BroadcastChannel !== 'function') return undefined;
    const ch = new BroadcastChannel(name);
    ch.unref?.(); // Node: an open cache must not keep the process alive
    hold(channels, ch);
    return ch;
  } catch {
    return undefined;
  }
}

// ---- the unload journal ----
// Chromium aborts the IndexedDB transactions of a page being unloaded, so the
// writes write-behind has acknowledged but not yet put on disk would die with
// a reload. On pagehide they go to localStorage (synchronous: it survives the
// unload), and the next open of the same cache writes them back (Rust:
// `Cache::replay`, which keeps the disk's version of any key written or read
// since). Only values JSON keeps exactly are journaled.

const JOURNAL_VERSION = 1;

function storage() {
  try {
    return globalThis.localStorage ?? null;
  } catch {
    return null; // a sandboxed frame throws on access
  }
}

/**
 * Does JSON give back this value (plain objects and arrays of finite numbers,
 * strings, booleans, null; no cycles)? False, never a throw, for anything
 * else (a throwing getter, a revoked Proxy).
 */
function isPlainJson(value) {
  const checked = new Set();
  const path = new Set();
  const ok = (v, depth) => {
    if (v === null || typeof v === 'string' || typeof v === 'boolean') return true;
    if (typeof v === 'number') return Number.isFinite(v) && !Object.is(v, -0);
    if (typeof v !== 'object' || depth > 256 || path.has(v)) return false;
    if (checked.has(v)) return true; // shared, not a cycle: checked once
    path.add(v);
    let good;
    if (Array.isArray(v)) {
      good = true;
      for (let i = 0; good && i < v.length; i++) good = i in v && ok(v[i], depth + 1);
    } else {
      const proto = Object.getPrototypeOf(v);
      good = (proto === Object.prototype || proto === null) && Object.keys(v).every((k) => ok(v[k], depth + 1));
    }
    path.delete(v);
    checked.add(v);
    return good;
  };
  try {
    return ok(value, 0);
  } catch {
    return false;
  }
}

const journalError = (code, message) => new FlowscaleError(code, message, 'journal');

/** On pagehide: the writes an unload would lose, into localStorage under `key`. */
function writeJournal(core, key, emit) {
  const ls = storage();
  if (!ls) return;
  let ops;
  try {
    ops = core.journal();
  } catch {
    return;
  }
  const keep = [];
  let skipped = 0;
  for (const op of ops ?? []) {
    if (op.length === 1) keep.push(op);
    else if (isPlainJson(op[1])) keep.push([op[0], op[1], Number.isFinite(op[2]) ? op[2] : null, op[3], op[4]]);
    else skipped++;
  }
  try {
    if (keep.length === 0) ls.removeItem(key);
    else ls.setItem(key, JSON.stringify({ v: JOURNAL_VERSION, at: Date.now(), ops: keep }));
  } catch {
    emit(journalError('QUOTA_EXCEEDED', `localStorage refused the unload journal of ${keep.length} pending write(s): an unload now loses them (flush() first)`));
    return;
  }
  if (skipped) emit(journalError('NOT_CLONEABLE', `${skipped} pending write(s) hold values JSON cannot keep exactly: an unload now loses them (flush() first)`));
}

/**
 * An invalidation or clear() here also reaches the journals pages left: a
 * journaled write of a key invalidated since must not come back on the next
 * open. `drop(op)` picks the entries to remove; null removes every journal.
 */
function purgeJournals(db, drop) {
  const ls = storage();
  if (!ls) return;
  const prefix = `${db}:journal:`;
  try {
    const keys = [];
    for (let i = 0; i < ls.length; i++) {
      const k = ls.key(i);
      if (k !== null && k.startsWith(prefix)) keys.push(k);
    }
    for (const k of keys) {
      if (drop === null) {
        ls.removeItem(k);
        continue;
      }
      const j = JSON.parse(ls.getItem(k));
      if (!j || !Array.isArray(j.ops)) continue; // the next open reports it
      const ops = j.ops.filter((op) => !(Array.isArray(op) && typeof op[0] === 'string' && drop(op)));
      if (ops.length === j.ops.length) continue;
      if (ops.length) ls.setItem(k, JSON.stringify({ ...j, ops }));
      else ls.removeItem(k);
    }
  } catch {
    // A journal that cannot be read or rewritten: the next open checks it.
  }
}

/** On open: write back the journals pages of this cache left, oldest first; each is removed once on disk. */
async function replayJournals(core, emit) {
  const ls = storage();
  if (!ls) return;
  const prefix = `${core.databaseName}:journal:`;
  const found = [];
  try {
    for (let i = 0; i < ls.length; i++) {
      const k = ls.key(i);
      if (k !== null && k.startsWith(prefix)) found.push(k);
    }
  } catch {
    return;
  }
  const journals = [];
  for (const k of found) {
    let j = null;
    try {
      j = JSON.parse(ls.getItem(k));
    } catch {
      j = null;
    }
    if (j && typeof j === 'object' && j.v === JOURNAL_VERSION && Number.isFinite(j.at) && Array.isArray(j.ops)) {
      journals.push({ k, j });
    } else {
      emit(journalError('CORRUPT_RECORD', `localStorage item ${JSON.stringify(k)} is not a journal flowscale wrote; removed`));
      ls.removeItem(k);
    }
  }
  journals.sort((a, b) => a.j.at - b.j.at);
  for (const { k, j } of journals) {
    const ops = j.ops.map((op) => (Array.isArray(op) && op.length === 5 && op[2] === null ? [op[0], op[1], Infinity, op[3], op[4]] : op));
    let written;
    try {
      written = core.replay(ops, j.at);
    } catch (e) {
      if (e?.code === 'STORAGE_UNAVAILABLE') return; // no disk tier now: kept for a later open
      emit(journalError('CORRUPT_RECORD', `localStorage item ${JSON.stringify(k)}: ${e?.message ?? e}; removed`));
      ls.removeItem(k);
      continue;
    }
    try {
      await written;
      ls.removeItem(k);
    } catch (e) {
      emit(e); // kept for the next open
    }
  }
}

// ---- the public class ----

let Core = null;
/** Called once by the package entry with the wasm-bindgen class `CacheCore`. */
export function bindCore(core) {
  Core = core;
}

// A clock read once per turn of the event loop: Date.now() costs more than
// the rest of a hit. Expiry is therefore checked against the time at which
// the current task (or microtask run) started.
let clock = 0;
const resetClock = () => { clock = 0; };
function now() {
  if (clock === 0) {
    clock = Date.now();
    queueMicrotask(resetClock);
  }
  return clock;
}

const RESOLVED = Promise.resolve();
const TOKEN = Symbol('WorkflowCache');

// Open caches, for re-opening after a wasm trap: the instance that held their
// cores is gone (memory tier included); IndexedDB still holds the disk tier.
const openCaches = new Set();
onModuleReset(({ reset }) => {
  if (!reset) return;
  for (const ref of [...openCaches]) {
    const cache = ref.deref();
    if (cache) cache._reopen(ref);
    else openCaches.delete(ref);
  }
});

function badKey(key) {
  return new FlowscaleError('INVALID_ARGUMENT', keyProblem(key) || 'bad key', 'key');
}

/**
 * The two-tier workflow cache. `await WorkflowCache.open(options)`; every
 * other method is documented in docs/cache.md.
 * Fires `error` events (`event.error` is a FlowscaleError) when the disk tier
 * fails; the cache goes on serving from memory.
 */
export class WorkflowCache extends EventTarget {
  #core = null;
  #index = null;
  #values = null;
  #keyed = false;
  #opened = false;

  constructor(token) {
    if (token !== TOKEN) throw new TypeError('use `await WorkflowCache.open(options)`');
    super();
  }

  /** Open (or create) the cache named `options.name`. */
  static async open(options) {
    if (!Core) throw new Error('flowscale: WorkflowCache used before the package entry bound its core');
    const cache = new WorkflowCache(TOKEN);
    let onError = null;
    let rest = options;
    if (options && typeof options === 'object' && 'onError' in options) {
      ({ onError, ...rest } = options);
      if (onError !== undefined && typeof onError !== 'function') {
        throw new FlowscaleError('INVALID_CONFIG', 'onError must be a function', 'onError');
      }
    }
    const emit = (err) => cache.#emit(err, onError);
    cache.#open = () => Core.open(rest, emit);
    await cache.#bind(await cache.#open(), emit);
    openCaches.add(cache.#ref);
    setTimeout(() => { cache.#opened = true; });
    return cache;
  }

  #open = null;
  #db = '';
  #ref = new WeakRef(this);
  /** While the cache re-opens after a wasm trap: settles once it has. */
  #reopening = null;
  #closed = false;

  async #bind(core, emit) {
    const m = core.mirror();
    this.#core = core;
    this.#db = core.databaseName;
    this.#index = m.index;
    this.#values = m.values;
    this.#keyed = core.recordsMissKeys;
    await replayJournals(core, emit);
    if (core.journal() !== null) this.#keepJournal(core, emit);
  }

  /**
   * After a wasm trap (called by the package, not the app): open a fresh core
   * with the same options. The memory tier went with the old instance; the
   * disk tier is read from IndexedDB again. Calls made meanwhile wait for it.
   */
  _reopen(ref) {
    if (this.#closed) {
      openCaches.delete(ref);
      return;
    }
    this.#unhookJournal?.();
    this.#unhookJournal = null;
    this.#index = new Map();
    this.#values = [];
    const emit = (err) => this.#emit(err, null);
    const p = (async () => {
      try {
        await this.#bind(await this.#open(), emit);
      } catch (e) {
        this.#emit(e, null);
      } finally {
        if (this.#reopening === p) this.#reopening = null;
      }
    })();
    this.#reopening = p;
  }

  /** Resolves once the cache is usable: at once, or after it re-opened following a wasm trap. */
  ready() {
    return this.#reopening ?? RESOLVED;
  }

  #unhookJournal = null;

  /** Journal on pagehide; a page back from the back/forward cache drops its journal (it flushes itself). */
  #keepJournal(core, emit) {
    const g = globalThis;
    if (!storage() || typeof g.addEventListener !== 'function') return;
    const rand = g.crypto?.randomUUID?.() ?? `${Date.now()}-${Math.random().toString(36).slice(2)}`;
    const key = `${core.databaseName}:journal:${rand}`;
    const hide = () => writeJournal(core, key, emit);
    const show = (e) => {
      if (e.persisted) storage()?.removeItem(key);
    };
    g.addEventListener('pagehide', hide);
    g.addEventListener('pageshow', show);
    this.#unhookJournal = () => {
      g.removeEventListener('pagehide', hide);
      g.removeEventListener('pageshow', show);
      storage()?.removeItem(key);
    };
  }

  #emit(err, onError) {
    if (onError) callUser(onError, err);
    const fire = () => {
      const ev = new Event('error');
      ev.error = err;
      this.dispatchEvent(ev);
    };
    // Faults found while opening wait a task, so listeners added right after
    // `await open()` hear them.
    if (this.#opened) fire();
    else setTimeout(fire);
  }

  /** The memory tier only: the value, or undefined. Never touches IndexedDB. */
  getSync(key) {
    if (this.#reopening) return undefined;
    const s = this.#index.get(key);
    if (s !== undefined) {
      if (this.#core.hit(s, now())) return this.#values[s];
      return undefined;
    }
    if (typeof key !== 'string') throw badKey(key);
    if (this.#keyed) this.#core.missKey(key);
    else this.#core.miss();
    return undefined;
  }

  /** The value from memory, else from IndexedDB (promoted to memory), else undefined. */
  get(key) {
    if (this.#reopening) return this.#reopening.then(() => this.get(key));
    try {
      const v = this.getSync(key);
      if (v !== undefined) return Promise.resolve(v);
      return this.#core.getFromDisk(key);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** Store a value; resolves per the strategy (write-through: once IndexedDB holds it). */
  set(key, value, options) {
    if (this.#reopening) return this.#reopening.then(() => this.set(key, value, options));
    try {
      if (keyProblem(key)) throw badKey(key);
      // The common case (no options) estimates here: one boundary crossing fewer.
      let size;
      if (options === undefined && value !== undefined) {
        try {
          size = estimateBytes(value);
        } catch (e) {
          throw new FlowscaleError('INVALID_ARGUMENT', `reading the value threw: ${e?.message ?? e}`, 'value');
        }
      }
      return this.#core.set(key, value, options, size, now()) ?? RESOLVED;
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** Cache-aside: the cached value, else `await loader(key)` stored and returned; concurrent calls share one load. */
  getOrLoad(key, loader, options) {
    if (this.#reopening) return this.#reopening.then(() => this.getOrLoad(key, loader, options));
    try {
      const v = this.getSync(key);
      if (v !== undefined) return Promise.resolve(v);
      return this.#core.getOrLoad(key, loader, options);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  #call(name, ...args) {
    if (this.#reopening) return this.#reopening.then(() => this.#call(name, ...args));
    try {
      return this.#core[name](...args);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  invalidate(key) {
    if (typeof key === 'string') purgeJournals(this.#db, (op) => op[0] === key);
    return this.#call('invalidate', key);
  }
  invalidateTag(tag) {
    if (typeof tag === 'string') purgeJournals(this.#db, (op) => op.length > 1 && Array.isArray(op[3]) && op[3].includes(tag));
    return this.#call('invalidateTag', tag);
  }
  invalidatePrefix(prefix) {
    if (typeof prefix === 'string') purgeJournals(this.#db, (op) => op[0].startsWith(prefix));
    return this.#call('invalidatePrefix', prefix);
  }
  clear() {
    purgeJournals(this.#db, null);
    return this.#call('clear');
  }
  flush() { return this.#call('flush'); }
  close() {
    this.#closed = true;
    openCaches.delete(this.#ref);
    const p = this.#call('close');
    // close() flushes: once it has, nothing is left to journal.
    const unhook = this.#unhookJournal;
    this.#unhookJournal = null;
    return unhook ? p.finally(unhook) : p;
  }
  cacheWorkflow(id, entry) { return this.#call('cacheWorkflow', id, entry); }
  getCachedWorkflow(id, options) { return this.#call('getCachedWorkflow', id, options); }
  stats() { return this.#core.stats(); }
  /** The `CacheCore` (Rust) behind this cache, for other flowscale classes. */
  get core() { return this.#core; }
}
