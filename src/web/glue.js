// The JavaScript half of the boundary. Rust imports these functions; they do
// the work that is cheap in JS and costly across the boundary: walking React
// Flow objects into typed columns once, and turning index arrays into id
// strings (kept here as the caller's own string objects, never re-decoded).

/** The error every flowscale call throws: `code` is stable, `path` names the bad field. */
export class FlowscaleError extends Error {
  constructor(code, message, path) {
    super(path ? `${path}: ${message}` : message);
    this.name = 'FlowscaleError';
    this.code = code;
    this.path = path || undefined;
  }
}

export function makeError(code, message, path) {
  return new FlowscaleError(code, message, path || undefined);
}

let memory = null;
let u8 = new Uint8Array(0);
let u32 = new Uint32Array(0);
let f64 = new Float64Array(0);

export function setMemory(m) {
  memory = m;
}

/** Bytes of wasm linear memory (0 before the first flowscale call set it up). */
export function wasmMemoryBytes() {
  return memory ? memory.buffer.byteLength : 0;
}

// Views over wasm memory, rebuilt only when memory has grown.
function views() {
  if (u8.buffer !== memory.buffer) {
    u8 = new Uint8Array(memory.buffer);
    u32 = new Uint32Array(memory.buffer);
    f64 = new Float64Array(memory.buffer);
  }
}

function invalid(path, message) {
  return { error: new FlowscaleError('INVALID_WORKFLOW', message, path) };
}

const isObj = (v) => v !== null && typeof v === 'object';
const isNum = (v) => typeof v === 'number';
const absent = (v) => v === undefined || v === null;
function describe(v) {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'string' ? `the string ${JSON.stringify(v.slice(0, 40))}` : `${typeof v}`;
}

// Size source codes, as SizeSource in src/model/input.rs.
const NO_SIZE = 0, MEASURED = 1, ATTRIBUTE = 2, INITIAL = 3;

// React Flow's Position values, as Side in src/model/input.rs.
const SIDES = { top: 0, right: 1, bottom: 2, left: 3 };
function side(v, fallback) {
  if (absent(v)) return fallback;
  return typeof v === 'string' && Object.hasOwn(SIDES, v) ? SIDES[v] : -1;
}

// React Flow's built-in edge types, as EdgeKind in src/model/input.rs; others draw as bezier.
const EDGE_TYPES = { default: 0, simplebezier: 0, straight: 1, step: 2, smoothstep: 3 };

/**
 * A list of strings as one string for Rust: joined by U+0000 when no string
 * contains it (a native join, much cheaper than JSON for a million ids),
 * else JSON. Rust tells them apart by the first character: U+0000 or '['.
 */
function pack(strings) {
  for (let i = 0; i < strings.length; i++) {
    if (strings[i].includes('\0')) return JSON.stringify(strings);
  }
  return strings.length ? '\0' + strings.join('\0') : '';
}

let badValue;
// One size axis: writes value and source; returns the bad field's name, or ''.
function readSize(node, m, axis, initial, out, src, i) {
  const mv = m ? m[axis] : undefined;
  if (!absent(mv)) {
    if (!isNum(mv)) { badValue = mv; return `measured.${axis}`; }
    out[i] = mv; src[i] = MEASURED;
    return '';
  }
  const av = node[axis];
  if (!absent(av)) {
    if (!isNum(av)) { badValue = av; return axis; }
    out[i] = av; src[i] = ATTRIBUTE;
    return '';
  }
  const iv = node[initial];
  if (!absent(iv)) {
    if (!isNum(iv)) { badValue = iv; return initial; }
    out[i] = iv; src[i] = INITIAL;
    return '';
  }
  src[i] = NO_SIZE;
  return '';
}

/**
 * React Flow nodes → columns. `pathOf(i)` names node i in error paths.
 * Type errors are caught here (the shape); values are checked in Rust.
 */
function nodeColumns(nodes, pathOf, from = 0, to = nodes.length) {
  const n = to - from;
  const ids = new Array(n);
  const parents = new Array(n);
  const x = new Float64Array(n), y = new Float64Array(n);
  const w = new Float64Array(n), h = new Float64Array(n);
  const wSrc = new Uint8Array(n), hSrc = new Uint8Array(n);
  const flags = new Uint8Array(n);
  const typeIdx = new Uint32Array(n);
  const handles = new Uint8Array(n);
  const typeNames = [];
  const typeMap = new Map();
  let hasParents = false;
  for (let i = 0; i < n; i++) {
    const node = nodes[from + i];
    if (!isObj(node)) return invalid(pathOf(from + i), `expected a node object, got ${describe(node)}`);
    const id = node.id;
    if (typeof id !== 'string') return invalid(`${pathOf(from + i)}.id`, `node id must be a string, got ${describe(id)}`);
    if (!id.isWellFormed()) return invalid(`${pathOf(from + i)}.id`, 'node id contains a lone surrogate (not valid Unicode)');
    ids[i] = id;
    const p = node.position;
    if (!isObj(p)) return invalid(`${pathOf(from + i)}.position`, `expected {x, y}, got ${describe(p)}`);
    if (!isNum(p.x)) return invalid(`${pathOf(from + i)}.position.x`, `expected a number, got ${describe(p.x)}`);
    if (!isNum(p.y)) return invalid(`${pathOf(from + i)}.position.y`, `expected a number, got ${describe(p.y)}`);
    x[i] = p.x;
    y[i] = p.y;
    // React Flow's order: measured, then the width/height attributes, then initialWidth/initialHeight.
    const m = node.measured;
    if (!absent(m) && !isObj(m)) return invalid(`${pathOf(from + i)}.measured`, `expected {width, height}, got ${describe(m)}`);
    let bad = readSize(node, m, 'width', 'initialWidth', w, wSrc, i) || readSize(node, m, 'height', 'initialHeight', h, hSrc, i);
    if (bad) return invalid(`${pathOf(from + i)}.${bad}`, `expected a number, got ${describe(badValue)}`);
    const parent = node.parentId;
    if (absent(parent)) parents[i] = null;
    else if (typeof parent !== 'string') return invalid(`${pathOf(from + i)}.parentId`, `expected a string, got ${describe(parent)}`);
    else { parents[i] = parent; hasParents = true; }
    const hidden = node.hidden, selected = node.selected;
    if (!absent(hidden) && typeof hidden !== 'boolean') return invalid(`${pathOf(from + i)}.hidden`, `expected a boolean, got ${describe(hidden)}`);
    if (!absent(selected) && typeof selected !== 'boolean') return invalid(`${pathOf(from + i)}.selected`, `expected a boolean, got ${describe(selected)}`);
    flags[i] = (hidden ? 1 : 0) | (selected ? 2 : 0);
    const src = side(node.sourcePosition, 2), dst = side(node.targetPosition, 0);
    if (src < 0) return invalid(`${pathOf(from + i)}.sourcePosition`, `expected top, right, bottom or left, got ${describe(node.sourcePosition)}`);
    if (dst < 0) return invalid(`${pathOf(from + i)}.targetPosition`, `expected top, right, bottom or left, got ${describe(node.targetPosition)}`);
    handles[i] = src | (dst << 2);
    const type = node.type;
    if (absent(type)) typeIdx[i] = 0xffffffff;
    else if (typeof type !== 'string') return invalid(`${pathOf(from + i)}.type`, `expected a string, got ${describe(type)}`);
    else {
      let t = typeMap.get(type);
      if (t === undefined) { t = typeNames.length; typeNames.push(type); typeMap.set(type, t); }
      typeIdx[i] = t;
    }
  }
  return {
    ids,
    idsPacked: pack(ids),
    parentsJson: hasParents ? JSON.stringify(parents) : '',
    typeNamesJson: JSON.stringify(typeNames),
    x, y, w, h, wSrc, hSrc, flags, typeIdx, handles,
  };
}

const NO_SLOT = 0xffffffff; // NONE in src/model/mod.rs

/**
 * React Flow edges → columns. With `nodeIndex` (id → position in the nodes
 * given alongside), ends are resolved here as `ends` (pairs of node indices,
 * NO_SLOT for an id that names no node, whose ids then go in `danglingJson`
 * for the error); without it (change items, resolved against the current
 * workflow in Rust) they cross as packed strings.
 */
function edgeColumns(edges, pathOf, nodeIndex, from = 0, to = edges.length) {
  const n = to - from;
  const ids = new Array(n);
  const sources = nodeIndex ? null : new Array(n), targets = nodeIndex ? null : new Array(n);
  const ends = nodeIndex ? new Uint32Array(2 * n) : null;
  const dangling = [];
  const flags = new Uint8Array(n);
  const kinds = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const e = edges[from + i];
    if (!isObj(e)) return invalid(pathOf(from + i), `expected an edge object, got ${describe(e)}`);
    const id = e.id, source = e.source, target = e.target;
    const badField = typeof id !== 'string' ? 'id' : typeof source !== 'string' ? 'source' : typeof target !== 'string' ? 'target' : '';
    if (badField) return invalid(`${pathOf(from + i)}.${badField}`, `expected a string, got ${describe(e[badField])}`);
    const malformed = !id.isWellFormed() ? 'id' : !source.isWellFormed() ? 'source' : !target.isWellFormed() ? 'target' : '';
    if (malformed) return invalid(`${pathOf(from + i)}.${malformed}`, 'contains a lone surrogate (not valid Unicode)');
    ids[i] = id;
    if (ends) {
      const s = nodeIndex.get(source), t = nodeIndex.get(target);
      ends[2 * i] = s ?? NO_SLOT;
      ends[2 * i + 1] = t ?? NO_SLOT;
      if (s === undefined || t === undefined) dangling.push([i, source, target]);
    } else {
      sources[i] = source; targets[i] = target;
    }
    const type = e.type;
    if (!absent(type) && typeof type !== 'string') return invalid(`${pathOf(from + i)}.type`, `expected a string, got ${describe(type)}`);
    kinds[i] = typeof type === 'string' && Object.hasOwn(EDGE_TYPES, type) ? EDGE_TYPES[type] : 0;
    const hidden = e.hidden, selected = e.selected;
    if (!absent(hidden) && typeof hidden !== 'boolean') return invalid(`${pathOf(from + i)}.hidden`, `expected a boolean, got ${describe(hidden)}`);
    if (!absent(selected) && typeof selected !== 'boolean') return invalid(`${pathOf(from + i)}.selected`, `expected a boolean, got ${describe(selected)}`);
    flags[i] = (hidden ? 1 : 0) | (selected ? 2 : 0);
  }
  const cols = { ids, idsPacked: pack(ids), flags, kinds };
  if (ends) return { ...cols, ends, danglingJson: JSON.stringify(dangling) };
  return { ...cols, sourcesPacked: pack(sources), targetsPacked: pack(targets) };
}

/** `{ nodes, edges }` (React Flow objects or columns) → `{ nodes: columns, edges: columns }` or `{ error }`. */
export function extractWorkflow(workflow) {
  const src = workflowSource(workflow);
  if (src.error) return src;
  const nc = src.nodes(0, src.nodeCount);
  if (nc.error) return nc;
  const ec = src.edges(0, src.edgeCount);
  if (ec.error) return ec;
  return { nodes: nc, edges: ec };
}

const isTyped = (v, ...types) => types.some((T) => v instanceof T);

/**
 * React Flow `{ nodes, edges }` → WorkflowColumns, which `setWorkflow`,
 * `setWorkflowAsync`, `layoutWorkflow` and `optimizeWorkflow` take as they
 * are: a workflow for a Web Worker without cloning an object per node (every
 * typed array has a buffer of its own, to list in postMessage's transfer).
 * Throws the FlowscaleError `setWorkflow` would (same code and path) for a
 * bad shape or an end that names no node; values (finite numbers, unique ids)
 * are checked where the columns are loaded. An edge's `type` (how the GPU
 * layer draws it) is not carried.
 */
export function toColumns(workflow) {
  try {
    return objectColumns(workflow);
  } catch (e) {
    if (e instanceof FlowscaleError) throw e;
    // A getter that throws, a proxy: what setWorkflow reports for them.
    const why = typeof e?.message === 'string' ? e.message : 'an exception';
    throw new FlowscaleError('INVALID_WORKFLOW', `reading workflow threw: ${why}`, 'workflow');
  }
}

function objectColumns(workflow) {
  if (isObj(workflow) && !Array.isArray(workflow.nodes)) throw new FlowscaleError('INVALID_WORKFLOW', `expected an array of nodes, got ${describe(workflow.nodes)}`, 'nodes');
  const src = workflowSource(workflow);
  if (src.error) throw src.error;
  const nc = src.nodes(0, src.nodeCount);
  if (nc.error) throw nc.error;
  const ec = src.edges(0, src.edgeCount);
  if (ec.error) throw ec.error;
  const n = nc.ids.length;
  const hidden = new Uint8Array(n), selected = new Uint8Array(n);
  const sourcePosition = new Uint8Array(n), targetPosition = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    hidden[i] = nc.flags[i] & 1;
    selected[i] = (nc.flags[i] >> 1) & 1;
    sourcePosition[i] = nc.handles[i] & 3;
    targetPosition[i] = nc.handles[i] >> 2;
  }
  const nodes = {
    ids: nc.ids, x: nc.x, y: nc.y,
    width: nc.w, height: nc.h, widthSource: nc.wSrc, heightSource: nc.hSrc,
    types: JSON.parse(nc.typeNamesJson), type: nc.typeIdx,
    hidden, selected, sourcePosition, targetPosition,
  };
  if (nc.parentsJson) {
    const parent = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const p = workflow.nodes[i].parentId;
      const k = absent(p) ? -1 : src.nodeIndex.get(p);
      if (k === undefined) throw new FlowscaleError('DANGLING_PARENT', `parent node ${JSON.stringify(p)} does not exist`, `nodes[${i}].parentId`);
      parent[i] = k;
    }
    nodes.parent = parent;
  }
  const m = ec.ids.length;
  const [dangling] = JSON.parse(ec.danglingJson);
  if (dangling) {
    const [i, s, t] = dangling;
    const end = src.nodeIndex.has(s) ? 'target' : 'source';
    throw new FlowscaleError('DANGLING_EDGE', `edge ${JSON.stringify(ec.ids[i])} points to node ${JSON.stringify(end === 'source' ? s : t)}, which does not exist`, `edges[${i}].${end}`);
  }
  const source = new Uint32Array(m), target = new Uint32Array(m);
  const edgeHidden = new Uint8Array(m), edgeSelected = new Uint8Array(m);
  for (let k = 0; k < m; k++) {
    source[k] = ec.ends[2 * k];
    target[k] = ec.ends[2 * k + 1];
    edgeHidden[k] = ec.flags[k] & 1;
    edgeSelected[k] = (ec.flags[k] >> 1) & 1;
  }
  return { nodes, edges: { ids: ec.ids, source, target, hidden: edgeHidden, selected: edgeSelected } };
}

/**
 * Where a workflow's columns come from, a range at a time: `nodes(from, to)`
 * and `edges(from, to)` (edges after every node, whose ids resolve their
 * ends). React Flow objects are walked here; columns are checked and sliced.
 */
function workflowSource(workflow) {
  if (!isObj(workflow)) return invalid('', `expected { nodes, edges }, got ${describe(workflow)}`);
  const { nodes, edges = [] } = workflow;
  if (Array.isArray(nodes)) {
    if (!Array.isArray(edges)) return invalid('edges', `expected an array of edges, got ${describe(edges)}`);
    // id → index, the first node with an id winning (Rust rejects the duplicate).
    const nodeIndex = new Map();
    return {
      nodeIndex,
      nodeCount: nodes.length,
      edgeCount: edges.length,
      ids: [],
      edgeIds: [],
      nodes(from, to) {
        const c = nodeColumns(nodes, (i) => `nodes[${i}]`, from, to);
        if (c.error) return c;
        for (let i = 0; i < c.ids.length; i++) if (!nodeIndex.has(c.ids[i])) nodeIndex.set(c.ids[i], from + i);
        for (const id of c.ids) this.ids.push(id);
        return c;
      },
      edges(from, to) {
        const c = edgeColumns(edges, (i) => `edges[${i}]`, nodeIndex, from, to);
        if (c.error) return c;
        for (const id of c.ids) this.edgeIds.push(id);
        return c;
      },
    };
  }
  return columnSource(nodes, edges);
}

/** Columns: `{ nodes: { ids, x, y, width?, height?, widthSource?, heightSource?, types?, type?, hidden?, selected?, sourcePosition?, targetPosition?, parent? }, edges?: { ids, source, target, hidden?, selected? } }`. */
function columnSource(nc, ec) {
  if (!isObj(nc) || nc.ids === undefined) return invalid('nodes', `expected an array of nodes (or node columns { ids, x, y, … }), got ${describe(nc)}`);
  if (!Array.isArray(nc.ids)) return invalid('nodes.ids', `expected an array of id strings, got ${describe(nc.ids)}`);
  const n = nc.ids.length;
  const numbers = (v, path, optional) => {
    if (optional && absent(v)) return '';
    if (!isTyped(v, Float64Array, Float32Array)) return invalid(path, `expected a Float64Array or Float32Array of ${n} numbers, got ${describe(v)}`);
    return v.length === n ? '' : invalid(path, `expected ${n} numbers, got ${v.length}`);
  };
  const bytes = (v, path, len) => (absent(v) || (isTyped(v, Uint8Array) && v.length === len) ? '' : invalid(path, `expected a Uint8Array of ${len} flags`));
  // Codes 0 to 3 per node: handle sides, size sources.
  const codes = (v, path, what) => (absent(v) || (isTyped(v, Uint8Array) && v.length === n && v.every((k) => k < 4)) ? '' : invalid(path, `expected a Uint8Array of ${n} ${what}`));
  const SIDE_CODES = 'sides (0 top, 1 right, 2 bottom, 3 left)';
  const SIZE_CODES = 'size sources (0 none, 1 measured, 2 width/height, 3 initialWidth/initialHeight)';
  const sourceOf = (v, sizes, path) => (absent(v) || !absent(sizes) ? codes(v, path, SIZE_CODES) : invalid(path, `needs ${path.replace('Source', '')}`));
  const bad =
    numbers(nc.x, 'nodes.x') || numbers(nc.y, 'nodes.y') || numbers(nc.width, 'nodes.width', true) || numbers(nc.height, 'nodes.height', true) ||
    sourceOf(nc.widthSource, nc.width, 'nodes.widthSource') || sourceOf(nc.heightSource, nc.height, 'nodes.heightSource') ||
    bytes(nc.hidden, 'nodes.hidden', n) || bytes(nc.selected, 'nodes.selected', n) ||
    codes(nc.sourcePosition, 'nodes.sourcePosition', SIDE_CODES) || codes(nc.targetPosition, 'nodes.targetPosition', SIDE_CODES);
  if (bad) return bad;
  if (!absent(nc.type) && !(isTyped(nc.type, Uint8Array, Uint16Array, Uint32Array) && nc.type.length === n)) return invalid('nodes.type', `expected a Uint8Array, Uint16Array or Uint32Array of ${n} indices into nodes.types`);
  const types = nc.types ?? [];
  if (!Array.isArray(types) || !types.every((t) => typeof t === 'string')) return invalid('nodes.types', 'expected an array of type names');
  if (!absent(nc.parent) && !(isTyped(nc.parent, Int32Array) && nc.parent.length === n)) return invalid('nodes.parent', `expected an Int32Array of ${n} node indices (-1: none)`);
  const none = absent(ec) || (Array.isArray(ec) && ec.length === 0);
  const edges = none ? { ids: [], source: new Uint32Array(0), target: new Uint32Array(0) } : ec;
  if (!isObj(edges) || !Array.isArray(edges.ids)) return invalid('edges.ids', 'expected an array of id strings');
  const m = edges.ids.length;
  for (const k of ['source', 'target']) {
    if (!(isTyped(edges[k], Uint32Array) && edges[k].length === m)) return invalid(`edges.${k}`, `expected a Uint32Array of ${m} node indices`);
  }
  const eb = bytes(edges.hidden, 'edges.hidden', m) || bytes(edges.selected, 'edges.selected', m);
  if (eb) return eb;
  const typeNamesJson = JSON.stringify(types);
  return {
    nodeCount: n,
    edgeCount: m,
    // Copies: the optimizer keeps its id tables in step with later changes.
    ids: nc.ids.slice(),
    edgeIds: edges.ids.slice(),
    nodes(from, to) {
      const k = to - from;
      const ids = nc.ids.slice(from, to);
      for (let i = 0; i < k; i++) {
        const id = ids[i];
        if (typeof id !== 'string') return invalid(`nodes.ids[${from + i}]`, `node id must be a string, got ${describe(id)}`);
        if (!id.isWellFormed()) return invalid(`nodes.ids[${from + i}]`, 'node id contains a lone surrogate (not valid Unicode)');
      }
      const sized = (v) => (v ? Float64Array.from(v.subarray(from, to)) : new Float64Array(k));
      // Without a source column, every given size is an attribute (width/height).
      const src = (v, source) => (source ? source.slice(from, to) : new Uint8Array(k).fill(v ? ATTRIBUTE : NO_SIZE));
      const flags = new Uint8Array(k);
      for (let i = 0; i < k; i++) flags[i] = (nc.hidden?.[from + i] ? 1 : 0) | (nc.selected?.[from + i] ? 2 : 0);
      const typeIdx = new Uint32Array(k);
      for (let i = 0; i < k; i++) {
        const t = nc.type ? nc.type[from + i] : 0xffffffff;
        if (t !== 0xffffffff && t >= types.length) return invalid(`nodes.type[${from + i}]`, `type index ${t} is not in nodes.types (${types.length} names)`);
        typeIdx[i] = t;
      }
      // React Flow's defaults: source handle at the bottom, target at the top.
      const handles = new Uint8Array(k);
      const sp = nc.sourcePosition, tp = nc.targetPosition;
      for (let i = 0; i < k; i++) handles[i] = (sp ? sp[from + i] : 2) | ((tp ? tp[from + i] : 0) << 2);
      let parentsJson = '';
      if (nc.parent) {
        const parents = new Array(k);
        let any = false;
        for (let i = 0; i < k; i++) {
          const p = nc.parent[from + i];
          if (p < 0) parents[i] = null;
          else {
            parents[i] = p < n ? nc.ids[p] : `#${p}`;
            any = true;
          }
        }
        if (any) parentsJson = JSON.stringify(parents);
      }
      return {
        ids,
        idsPacked: pack(ids),
        parentsJson,
        typeNamesJson,
        x: Float64Array.from(nc.x.subarray(from, to)),
        y: Float64Array.from(nc.y.subarray(from, to)),
        w: sized(nc.width),
        h: sized(nc.height),
        wSrc: src(nc.width, nc.widthSource),
        hSrc: src(nc.height, nc.heightSource),
        flags,
        typeIdx,
        handles,
      };
    },
    edges(from, to) {
      const k = to - from;
      const ids = edges.ids.slice(from, to);
      const ends = new Uint32Array(2 * k);
      const dangling = [];
      const flags = new Uint8Array(k);
      const name = (i) => (i < n ? nc.ids[i] : `#${i}`);
      for (let i = 0; i < k; i++) {
        const id = ids[i];
        if (typeof id !== 'string' || !id.isWellFormed()) return invalid(`edges.ids[${from + i}]`, `edge id must be a well-formed string, got ${describe(id)}`);
        const s = edges.source[from + i], t = edges.target[from + i];
        ends[2 * i] = s < n ? s : NO_SLOT;
        ends[2 * i + 1] = t < n ? t : NO_SLOT;
        if (s >= n || t >= n) dangling.push([i, name(s), name(t)]);
        flags[i] = (edges.hidden?.[from + i] ? 1 : 0) | (edges.selected?.[from + i] ? 2 : 0);
      }
      return { ids, idsPacked: pack(ids), flags, kinds: new Uint8Array(k), ends, danglingJson: JSON.stringify(dangling) };
    },
  };
}

let channel = null;
const waiting = [];

/** Resolves in a new task, so the browser can paint and handle input in between. */
function yieldTask() {
  const s = globalThis.scheduler;
  if (s && typeof s.yield === 'function') return s.yield();
  if (typeof MessageChannel === 'function') {
    // One channel for every yield: creating one per yield costs milliseconds in Node.
    if (!channel) {
      channel = new MessageChannel();
      channel.port1.onmessage = () => {
        waiting.shift()?.();
        // Node: an idle channel must not keep the process alive.
        if (!waiting.length) channel.port1.unref?.();
      };
    }
    return new Promise((resolve) => {
      waiting.push(resolve);
      channel.port1.ref?.();
      channel.port2.postMessage(null);
    });
  }
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/**
 * `optimizer.setWorkflowAsync(workflow, { signal, onProgress, sliceMs })`:
 * `setWorkflow` in slices of about `sliceMs` (default 8) milliseconds with a
 * yield to the browser between them, so no task is long. The previous
 * workflow stays until the new one is complete; an abort (the signal, or a
 * newer load on the same optimizer) or an error leaves it in place and
 * rejects (FlowscaleError ABORTED, or the error of the first problem).
 */
export async function setWorkflowAsync(opt, workflow, options) {
  if (!absent(options) && !isObj(options)) throw new FlowscaleError('INVALID_ARGUMENT', `expected an options object, got ${describe(options)}`, 'options');
  const { signal, onProgress, sliceMs = 8 } = options ?? {};
  if (!absent(signal) && !(isObj(signal) && typeof signal.aborted === 'boolean')) throw new FlowscaleError('INVALID_ARGUMENT', 'expected an AbortSignal', 'options.signal');
  if (!absent(onProgress) && typeof onProgress !== 'function') throw new FlowscaleError('INVALID_ARGUMENT', 'expected a function', 'options.onProgress');
  if (!(isNum(sliceMs) && sliceMs > 0 && sliceMs <= 1000)) throw new FlowscaleError('INVALID_ARGUMENT', 'expected a number of milliseconds in (0, 1000]', 'options.sliceMs');
  const aborted = () => new FlowscaleError('ABORTED', 'the load was aborted; the previous workflow is unchanged');
  if (signal?.aborted) throw aborted();
  const src = workflowSource(workflow);
  if (src.error) throw src.error;
  const token = opt._loadBegin(src.nodeCount, src.edgeCount);
  const total = src.nodeCount + src.edgeCount;
  // Rows per slice, adapted to take about sliceMs (the index steps time themselves).
  let rows = 2000;
  // Grows slowly (×2 at most): a step that ended a cheap phase early says little about the next one.
  const fit = (n, ms) => Math.max(256, Math.min(n * 2, Math.round((n * sliceMs) / Math.max(ms, 0.05))));
  const report = (phase, fraction) => {
    if (onProgress) onProgress({ phase, fraction: Math.min(1, fraction) });
  };
  try {
    let done = 0;
    for (const [kind, count] of [['nodes', src.nodeCount], ['edges', src.edgeCount]]) {
      for (let from = 0; from < count; ) {
        const to = Math.min(count, from + rows);
        const t0 = now();
        const cols = kind === 'nodes' ? src.nodes(from, to) : src.edges(from, to);
        if (cols.error) throw cols.error;
        if (kind === 'nodes') opt._loadNodes(token, cols);
        else opt._loadEdges(token, cols);
        done += to - from;
        from = to;
        rows = fit(rows, now() - t0);
        report(kind, (0.45 * done) / Math.max(total, 1));
        await yieldTask();
        if (signal?.aborted) throw aborted();
      }
    }
    for (;;) {
      const p = opt._loadStep(token, sliceMs);
      if (p >= 1) break;
      report('index', p);
      await yieldTask();
      if (signal?.aborted) throw aborted();
    }
    opt._loadCommit(token, src.ids, src.edgeIds);
    report('done', 1);
  } catch (e) {
    // (A newer load on this optimizer makes the calls above throw ABORTED.)
    // After a trap the optimizer is gone with its instance: the trap is the error to report.
    if (!(e instanceof WebAssembly.RuntimeError) && e?.code !== 'MODULE_RESET') opt._loadCancel(token);
    throw e;
  }
}

// Change kinds, as decoded in src/web/mod.rs.
const KIND = { position: 0, dimensions: 1, select: 2, remove: 3, add: 4, replace: 5 };

/**
 * NodeChange[] → columns. Per change: kind, id, four numbers and a bit set
 * (1: has position/dimensions, 2: has dragging, 4: dragging, 8: selected).
 * Items of `add`/`replace` become node columns, in change order.
 */
export function extractNodeChanges(changes) {
  if (!Array.isArray(changes)) return invalid('changes', `expected an array of changes, got ${describe(changes)}`);
  const n = changes.length;
  const kinds = new Uint8Array(n), bits = new Uint8Array(n), nums = new Float64Array(2 * n);
  const ids = new Array(n);
  const items = [], itemAt = [];
  for (let i = 0; i < n; i++) {
    const c = changes[i];
    if (!isObj(c)) return invalid(`changes[${i}]`, `expected a change object, got ${describe(c)}`);
    const kind = KIND[c.type];
    if (kind === undefined || !Object.hasOwn(KIND, c.type)) {
      return invalid(`changes[${i}].type`, `expected one of ${Object.keys(KIND).join(', ')}, got ${describe(c.type)}`);
    }
    kinds[i] = kind;
    if (kind === KIND.add) {
      ids[i] = null;
    } else {
      if (typeof c.id !== 'string') return invalid(`changes[${i}].id`, `expected a string, got ${describe(c.id)}`);
      ids[i] = c.id;
    }
    if (kind === KIND.position) {
      if (!absent(c.position)) {
        const p = c.position;
        if (!isObj(p) || !isNum(p.x) || !isNum(p.y)) return invalid(`changes[${i}].position`, 'expected {x, y} with numbers');
        nums[2 * i] = p.x; nums[2 * i + 1] = p.y; bits[i] |= 1;
      }
      if (!absent(c.dragging)) {
        if (typeof c.dragging !== 'boolean') return invalid(`changes[${i}].dragging`, `expected a boolean, got ${describe(c.dragging)}`);
        bits[i] |= 2 | (c.dragging ? 4 : 0);
      }
    } else if (kind === KIND.dimensions) {
      if (!absent(c.dimensions)) {
        const d = c.dimensions;
        if (!isObj(d) || !isNum(d.width) || !isNum(d.height)) return invalid(`changes[${i}].dimensions`, 'expected {width, height} with numbers');
        nums[2 * i] = d.width; nums[2 * i + 1] = d.height; bits[i] |= 1;
      }
    } else if (kind === KIND.select) {
      if (typeof c.selected !== 'boolean') return invalid(`changes[${i}].selected`, `expected a boolean, got ${describe(c.selected)}`);
      bits[i] |= c.selected ? 8 : 0;
    } else if (kind === KIND.add || kind === KIND.replace) {
      items.push(c.item);
      itemAt.push(i);
    }
  }
  // Drags (the common case) carry no items: skip building empty columns.
  const itemCols = items.length ? nodeColumns(items, (k) => `changes[${itemAt[k]}].item`) : null;
  if (itemCols?.error) return itemCols;
  return { kinds, bits, nums, idsJson: JSON.stringify(ids), items: itemCols };
}

const EDGE_KIND = { add: 0, remove: 1, replace: 2, select: 3 };

/** EdgeChange[] → columns, as above. */
export function extractEdgeChanges(changes) {
  if (!Array.isArray(changes)) return invalid('changes', `expected an array of changes, got ${describe(changes)}`);
  const n = changes.length;
  const kinds = new Uint8Array(n), bits = new Uint8Array(n);
  const ids = new Array(n);
  const items = [], itemAt = [];
  for (let i = 0; i < n; i++) {
    const c = changes[i];
    if (!isObj(c)) return invalid(`changes[${i}]`, `expected a change object, got ${describe(c)}`);
    const kind = EDGE_KIND[c.type];
    if (kind === undefined || !Object.hasOwn(EDGE_KIND, c.type)) {
      return invalid(`changes[${i}].type`, `expected one of ${Object.keys(EDGE_KIND).join(', ')}, got ${describe(c.type)}`);
    }
    kinds[i] = kind;
    if (kind === EDGE_KIND.add) ids[i] = null;
    else if (typeof c.id !== 'string') return invalid(`changes[${i}].id`, `expected a string, got ${describe(c.id)}`);
    else ids[i] = c.id;
    if (kind === EDGE_KIND.select) {
      if (typeof c.selected !== 'boolean') return invalid(`changes[${i}].selected`, `expected a boolean, got ${describe(c.selected)}`);
      bits[i] = c.selected ? 1 : 0;
    }
    if (kind === EDGE_KIND.add || kind === EDGE_KIND.replace) {
      items.push(c.item);
      itemAt.push(i);
    }
  }
  const itemCols = items.length ? edgeColumns(items, (k) => `changes[${itemAt[k]}].item`) : null;
  if (itemCols?.error) return itemCols;
  return { kinds, bits, idsJson: JSON.stringify(ids), items: itemCols };
}

/**
 * Read `viewport` and `size` into wasm memory at `ptr` (5 f64s). Returns 0,
 * or 1 + the index of the first field of the wrong type in VIEW_FIELDS
 * (src/web/mod.rs).
 */
export function readView(viewport, size, ptr) {
  if (!isObj(viewport)) return 1;
  if (!isObj(size)) return 2;
  const x = viewport.x, y = viewport.y, zoom = viewport.zoom, width = size.width, height = size.height;
  if (!isNum(x)) return 3;
  if (!isNum(y)) return 4;
  if (!isNum(zoom)) return 5;
  if (!isNum(width)) return 6;
  if (!isNum(height)) return 7;
  views();
  const k = ptr >>> 3;
  f64[k] = x; f64[k + 1] = y; f64[k + 2] = zoom; f64[k + 3] = width; f64[k + 4] = height;
  return 0;
}

function pick(ids, ptr, len) {
  const out = new Array(len);
  const k = ptr >>> 2;
  for (let i = 0; i < len; i++) out[i] = ids[u32[k + i]];
  return out;
}

// Byte offsets of the fields of the headers Rust writes (src/web/headers.rs;
// tests/web.rs checks these tables against the Rust structs).
const FRAME_HEADER = {
  visible: 0, visibleLen: 4, visibleLod: 8, entered: 12, enteredLen: 16, left: 20, leftLen: 24,
  windowEdges: 28, windowEdgesLen: 32, total: 36, inView: 40, culled: 44, high: 48, medium: 52, low: 56,
  complete: 60, culledPercent: 64,
};
const DETAIL_HEADER = { inView: 0, inViewLen: 4, lod: 8, edges: 12, edgesLen: 16 };
const CLUSTER_HEADER = {
  level: 0, len: 4, ids: 8, count: 12, bounds: 16, rect: 20, center: 24, typeIds: 28, typeCounts: 32,
  bundlesLen: 36, bundleSource: 40, bundleTarget: 44, bundleKind: 48, bundleWeight: 52, bundleSegment: 56,
  members: 64,
};

/** The u32 field at byte offset `o` of the header at `h`. */
const at = (h, o) => u32[(h + o) >>> 2];

/**
 * Assemble the frame object from the header Rust wrote at `h`. Typed arrays
 * are copied out of wasm memory; ids are the caller's own strings. `inView`,
 * `lod` and `visibleEdgeIds` are computed on first read by `detail(seq)`
 * (zoomed out, the frame never lists them itself).
 */
export function makeFrame(ids, edgeIds, h, seq, started, goneJson, detail) {
  views();
  const F = FRAME_HEADER;
  const left = pick(ids, at(h, F.left), at(h, F.leftLen));
  if (goneJson) for (const id of JSON.parse(goneJson)) left.push(id);
  const visibleLod = at(h, F.visibleLod);
  const frame = {
    visibleIds: pick(ids, at(h, F.visible), at(h, F.visibleLen)),
    visibleLod: u8.slice(visibleLod, visibleLod + at(h, F.visibleLen)),
    entered: pick(ids, at(h, F.entered), at(h, F.enteredLen)),
    left,
    mountedEdgeIds: pick(edgeIds, at(h, F.windowEdges), at(h, F.windowEdgesLen)),
    complete: at(h, F.complete) === 1,
    seq,
    stats: {
      total: at(h, F.total),
      inView: at(h, F.inView),
      culled: at(h, F.culled),
      culledPercent: f64[(h + F.culledPercent) >>> 3],
      lodCounts: { high: at(h, F.high), medium: at(h, F.medium), low: at(h, F.low) },
      timeMs: 0,
    },
  };
  if (detail) {
    let lists = null;
    const born = epoch;
    // After a wasm trap the lists went with the old instance (its closure cannot be called).
    const get = () => (lists ??= born === epoch ? detail(seq) : throwReset('frame.inView'));
    Object.defineProperties(frame, {
      inView: { get: () => get().inView, enumerable: true, configurable: true },
      lod: { get: () => get().lod, enumerable: true, configurable: true },
      visibleEdgeIds: { get: () => get().visibleEdgeIds, enumerable: true, configurable: true },
    });
  }
  frame.stats.timeMs = now() - started;
  return frame;
}

/** A frame's complete lists from the header at `h`. */
export function makeDetail(edgeIds, h) {
  views();
  const D = DETAIL_HEADER;
  const p = at(h, D.inView) >>> 2, n = at(h, D.inViewLen), lod = at(h, D.lod);
  return {
    inView: u32.slice(p, p + n),
    lod: u8.slice(lod, lod + n),
    visibleEdgeIds: pick(edgeIds, at(h, D.edges), at(h, D.edgesLen)),
  };
}

const perf = globalThis.performance;
export function now() {
  return perf ? perf.now() : Date.now();
}

// ---- the optimizer exports (src/web/optimize.rs): small helpers that are
// cheaper on this side of the boundary. (In this file rather than their own:
// each JS module of the package is one more request before the wasm module
// can start.)

/**
 * `workflow.nodes` with new positions: nodes whose `moved[i]` is set become
 * shallow copies with `position` from `xy` (x0, y0, x1, y1, …); the others
 * are returned as they are (children of groups, hidden nodes). Node columns
 * come back as columns with new `x` and `y` (the caller's stay as they were).
 */
export function withPositions(workflow, xy, moved) {
  const nodes = workflow.nodes;
  if (!Array.isArray(nodes)) {
    const x = Float64Array.from(nodes.x), y = Float64Array.from(nodes.y);
    for (let i = 0; i < x.length; i++) {
      if (moved[i]) { x[i] = xy[2 * i]; y[i] = xy[2 * i + 1]; }
    }
    return { ...nodes, x, y };
  }
  const out = new Array(nodes.length);
  for (let i = 0; i < nodes.length; i++) {
    out[i] = moved[i] ? { ...nodes[i], position: { x: xy[2 * i], y: xy[2 * i + 1] } } : nodes[i];
  }
  return out;
}

/** The caller's id strings for a list of indices (undefined where none). */
export function idsOf(ids, indices) {
  const out = new Array(indices.length);
  for (let i = 0; i < indices.length; i++) out[i] = ids[indices[i]];
  return out;
}

/**
 * Where each edge leaves and enters its nodes, for `layoutWorkflow` (React
 * Flow objects only; columns carry no handles): per edge end a kind in
 * `kind` (0: no handle, the node's middle; 1: the `a`-th of `b` handle ids
 * the node's edges use on that side, in natural order; 2: the point `a`, `b`
 * relative to the node, the centre of the handle the node lists in
 * `node.handles`) and two numbers in `value` (source end first). A null
 * handle id takes the node's first listed handle of that type, as React Flow
 * does. `null` when no edge names a handle and no node lists handles; or
 * `{ error }` for a bad shape or an id the node's `handles` lack.
 */
export function layoutHandles(workflow) {
  const { nodes, edges } = workflow;
  if (!Array.isArray(nodes) || !Array.isArray(edges)) return null;
  const index = new Map();
  let listed = false;
  for (let i = 0; i < nodes.length; i++) {
    if (!index.has(nodes[i].id)) index.set(nodes[i].id, i);
    if (!absent(nodes[i].handles)) listed = true;
  }
  let named = false;
  for (let k = 0; k < edges.length && !named; k++) named = !absent(edges[k].sourceHandle) || !absent(edges[k].targetHandle);
  if (!listed && !named) return null;
  // Listed handles per node: [source Map id → [x, y], target Map], checked.
  const lists = new Array(nodes.length);
  for (let i = 0; i < nodes.length; i++) {
    const hs = nodes[i].handles;
    if (absent(hs)) continue;
    if (!Array.isArray(hs)) return invalid(`nodes[${i}].handles`, `expected an array of handles, got ${describe(hs)}`);
    const both = [new Map(), new Map()];
    for (let j = 0; j < hs.length; j++) {
      const h = hs[j], path = `nodes[${i}].handles[${j}]`;
      if (!isObj(h)) return invalid(path, `expected a handle object, got ${describe(h)}`);
      if (h.type !== 'source' && h.type !== 'target') return invalid(`${path}.type`, `expected 'source' or 'target', got ${describe(h.type)}`);
      if (!absent(h.id) && typeof h.id !== 'string') return invalid(`${path}.id`, `expected a string or null, got ${describe(h.id)}`);
      const xy = [0, 0];
      for (const [k, f] of [[0, 'x'], [1, 'y']]) {
        const v = h[f], d = h[f === 'x' ? 'width' : 'height'];
        if (!isNum(v)) return invalid(`${path}.${f}`, `expected a number, got ${describe(v)}`);
        if (!absent(d) && !isNum(d)) return invalid(`${path}.${f === 'x' ? 'width' : 'height'}`, `expected a number, got ${describe(d)}`);
        if (!Number.isFinite(v) || (isNum(d) && !Number.isFinite(d))) return { error: new FlowscaleError('NON_FINITE', 'handle coordinates must be finite', `${path}.${Number.isFinite(v) ? (f === 'x' ? 'width' : 'height') : f}`) };
        xy[k] = v + (isNum(d) ? d / 2 : 0);
      }
      const side = both[h.type === 'source' ? 0 : 1];
      const id = absent(h.id) ? null : h.id;
      if (!side.has(id)) side.set(id, xy);
      if (!side.has(undefined)) side.set(undefined, xy); // the first: what a null id takes
    }
    lists[i] = both;
  }
  // Handle ids used per unlisted node side, in natural order.
  const collator = new Intl.Collator('en', { numeric: true });
  const used = new Map();
  const use = (i, side, id) => {
    const key = 2 * i + side;
    if (!used.has(key)) used.set(key, new Set());
    used.get(key).add(id);
  };
  for (let k = 0; k < edges.length; k++) {
    const e = edges[k];
    for (const [side, f, end] of [[0, 'sourceHandle', 'source'], [1, 'targetHandle', 'target']]) {
      const id = e[f];
      if (!absent(id) && typeof id !== 'string') return invalid(`edges[${k}].${f}`, `expected a string or null, got ${describe(id)}`);
      const i = index.get(e[end]);
      if (i !== undefined && !lists[i] && !absent(id)) use(i, side, id);
    }
  }
  const rank = new Map();
  for (const [key, ids] of used) {
    const sorted = [...ids].sort(collator.compare);
    rank.set(key, new Map(sorted.map((id, r) => [id, [r, sorted.length]])));
  }
  const kind = new Uint8Array(2 * edges.length), value = new Float64Array(4 * edges.length);
  for (let k = 0; k < edges.length; k++) {
    const e = edges[k];
    for (const [side, f, end] of [[0, 'sourceHandle', 'source'], [1, 'targetHandle', 'target']]) {
      const i = index.get(e[end]);
      if (i === undefined) continue; // a dangling edge: reported where the workflow is read
      const id = absent(e[f]) ? null : e[f];
      let at = null;
      if (lists[i]) {
        const hs = lists[i][side];
        at = id === null ? hs.get(undefined) : hs.get(id);
        if (id !== null && !at) {
          return { error: new FlowscaleError('UNKNOWN_ID', `node ${JSON.stringify(e[end])} has no ${end} handle ${JSON.stringify(id)}`, `edges[${k}].${f}`) };
        }
        if (at) kind[2 * k + side] = 2;
      } else if (id !== null) {
        at = rank.get(2 * i + side).get(id);
        kind[2 * k + side] = 1;
      }
      if (at) { value[4 * k + 2 * side] = at[0]; value[4 * k + 2 * side + 1] = at[1]; }
    }
  }
  return { kind, value };
}

/** Options as JSON text for serde (functions such as onProgress drop out), and the callback. */
export function readOptions(options) {
  if (options === undefined || options === null) return { json: '{}', onProgress: null };
  if (typeof options !== 'object' || Array.isArray(options)) return { error: 'options must be an object' };
  const onProgress = options.onProgress;
  if (onProgress !== undefined && onProgress !== null && typeof onProgress !== 'function') {
    return { error: 'onProgress must be a function' };
  }
  // Only plain data goes on to serde; a function elsewhere would silently vanish.
  const { onProgress: _, ...rest } = options;
  return { json: JSON.stringify(rest), onProgress: onProgress ?? null };
}

/**
 * Clusters from the header Rust wrote at `h` (CLUSTER_HEADER: the level, the
 * number of glyphs and pointers to their arrays, members, the number of
 * bundles and pointers to theirs). One call across the boundary; the arrays
 * are copied out.
 */
export function makeClusters(m, h) {
  memory = m;
  views();
  const C = CLUSTER_HEADER;
  const n = at(h, C.len), nb = at(h, C.bundlesLen);
  const a32 = (o, len) => u32.slice(at(h, o) >>> 2, (at(h, o) >>> 2) + len);
  const a64 = (o, len) => f64.slice(at(h, o) >>> 3, (at(h, o) >>> 3) + len);
  const kind = at(h, C.bundleKind);
  return {
    level: at(h, C.level),
    ids: a32(C.ids, n),
    count: a32(C.count, n),
    bounds: a64(C.bounds, 4 * n),
    rect: a64(C.rect, 4 * n),
    center: a64(C.center, 2 * n),
    typeIds: a32(C.typeIds, 3 * n),
    typeCounts: a32(C.typeCounts, 3 * n),
    members: f64[(h + C.members) >>> 3],
    bundles: {
      source: a32(C.bundleSource, nb),
      target: a32(C.bundleTarget, nb),
      kind: u8.slice(kind, kind + nb),
      weight: a32(C.bundleWeight, nb),
      segment: a64(C.bundleSegment, 4 * nb),
    },
  };
}

// ---- wasm traps ----
//
// A trap (`WebAssembly.RuntimeError`: an `unreachable` from an abort, an
// out-of-memory on grow) can leave the instance anywhere: a value borrowed
// for good, an allocator half-updated. The package entry wraps every export
// (`guardExports`); the first wrapper that sees a trap reports it once,
// replaces the instance with a fresh one of the same module (the web build's
// `__wbg_reset_state`) and rethrows the trap. Objects made before it belong
// to the old instance: every call on them throws MODULE_RESET, and freeing
// them is a no-op (their pointers mean nothing in the new memory).

/** Instances replaced so far: the instance id wasm-bindgen stamps on each object as `__wbg_inst`. */
let epoch = 0;
const trapListeners = new Set();
const resetHooks = new Set();
const reported = new WeakSet();

/** `listener({ operation, error, reset })` once per trap; returns the unsubscribe function. */
export function onTrap(listener) {
  if (typeof listener !== 'function') throw new FlowscaleError('INVALID_ARGUMENT', 'listener must be a function', 'listener');
  trapListeners.add(listener);
  return () => { trapListeners.delete(listener); };
}

/** Instances replaced after traps so far (0 until the first). */
export function moduleEpoch() {
  return epoch;
}

/** For the package's own JS classes: `hook(info)` after each reset, before the app's listeners. Returns the unsubscribe function. */
export function onModuleReset(hook) {
  resetHooks.add(hook);
  return () => { resetHooks.delete(hook); };
}

function throwReset(operation) {
  throw moduleReset(operation);
}

function moduleReset(operation) {
  return new FlowscaleError('MODULE_RESET', `${operation}: this object belongs to a wasm instance replaced after a trap; make a new one`);
}

const isTrap = (e) => typeof WebAssembly !== 'undefined' && e instanceof WebAssembly.RuntimeError;
const stale = (v) => v !== null && typeof v === 'object' && v.__wbg_inst !== undefined && v.__wbg_inst !== epoch;
/** An argument from the old instance (a user's Proxy that throws on every read is not one: the call reports it). */
function staleArg(v) {
  try {
    return stale(v);
  } catch {
    return false;
  }
}

let replace = null;
function trapped(operation, error) {
  if (reported.has(error)) return;
  reported.add(error);
  let reset = false;
  if (replace) {
    try {
      replace();
      epoch++;
      reset = true;
    } catch (e) {
      setTimeout(() => { throw e; });
    }
  }
  const info = { operation, error, reset };
  for (const h of [...resetHooks]) callHook(h, info);
  for (const l of [...trapListeners]) callHook(l, info);
}

function callHook(fn, info) {
  try {
    fn(info);
  } catch (e) {
    setTimeout(() => { throw e; });
  }
}

function guarded(operation, fn, dispose) {
  const w = function (...args) {
    if (stale(this)) {
      if (dispose) { this.__wbg_ptr = 0; return undefined; }
      throw moduleReset(operation);
    }
    for (const a of args) if (staleArg(a)) throw moduleReset(operation);
    let r;
    try {
      r = fn.apply(this, args);
    } catch (e) {
      if (isTrap(e)) trapped(operation, e);
      throw e;
    }
    if (r !== null && typeof r === 'object' && typeof r.then === 'function') {
      return r.then(undefined, (e) => {
        if (isTrap(e)) trapped(operation, e);
        throw e;
      });
    }
    return r;
  };
  Object.defineProperty(w, 'name', { value: fn.name });
  return w;
}

const SKIP = new Set(['constructor', 'length', 'name', 'prototype', '__wrap', '__destroy_into_raw']);
function guardMembers(target, prefix) {
  for (const key of Reflect.ownKeys(target)) {
    if (SKIP.has(key)) continue;
    const d = Object.getOwnPropertyDescriptor(target, key);
    const label = `${prefix}.${typeof key === 'symbol' ? key.description : key}`;
    const dispose = key === 'free' || key === Symbol.dispose;
    if (typeof d.value === 'function') {
      d.value = guarded(label, d.value, dispose);
    } else if (d.get || d.set) {
      if (d.get) d.get = guarded(label, d.get, false);
      if (d.set) d.set = guarded(label, d.set, false);
    } else continue;
    Object.defineProperty(target, key, d);
  }
}

/**
 * Guard the wasm-bindgen module `exports` (once, by the package entry):
 * class methods, accessors and statics are patched in place; constructors
 * and free functions come back guarded, for the entry to export. `reset`
 * replaces the instance (absent where the build cannot: the bundler build
 * reports traps without recovering); `exportsOf()` gives the current raw
 * wasm exports, whose memory glue.js reads.
 */
export function guardExports(exports, reset, exportsOf) {
  if (reset) {
    replace = () => {
      reset();
      setMemory(exportsOf().memory);
    };
  }
  const out = {};
  for (const [name, v] of Object.entries(exports)) {
    if (typeof v !== 'function' || name.startsWith('__') || name === 'default' || name === 'initSync') continue;
    if (/^[A-Z]/.test(name) && v.prototype) {
      guardMembers(v.prototype, name);
      guardMembers(v, name);
      out[name] = new Proxy(v, {
        construct(target, args, newTarget) {
          for (const a of args) if (staleArg(a)) throw moduleReset(`new ${name}`);
          try {
            return Reflect.construct(target, args, newTarget);
          } catch (e) {
            if (isTrap(e)) trapped(`new ${name}`, e);
            throw e;
          }
        },
      });
    } else {
      out[name] = guarded(name, v, false);
    }
  }
  return out;
}
