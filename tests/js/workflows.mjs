// Workflows for tests and benchmarks: seeded random graphs, and the real n8n
// workflows from ../shared/data tiled side by side to any size. (The data is
// read from there at run time, never copied into this repository.)
import { existsSync, readFileSync } from 'node:fs';
import { adoptUserNodes } from '@xyflow/system';
import { fileURLToPath } from 'node:url';

// ../shared/data beside the checkout; FLOWSCALE_DATA_DIR overrides it, and
// /work/shared/data is tried for checkouts made elsewhere (such as a CI clone in /tmp).
const DATA_DIRS = [
  process.env.FLOWSCALE_DATA_DIR,
  fileURLToPath(new URL('../../../shared/data', import.meta.url)),
  '/work/shared/data',
].filter(Boolean);
export const N8N_PATH =
  DATA_DIRS.map((d) => `${d}/n8n/workflows.jsonl`).find((p) => existsSync(p)) ?? `${DATA_DIRS[1]}/n8n/workflows.jsonl`;

/** Small fast seeded PRNG (mulberry32): the same seed gives the same workflow. */
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A random workflow: `n` nodes on a jittered grid (about `spacing` apart),
 * sizes between 40 and 300, a share of them children of an earlier node
 * (positions relative, parents first as React Flow expects), some hidden,
 * and about `edgesPerNode` edges per node between near neighbours.
 */
export function generate(n, { seed = 1, spacing = 260, parents = 0.1, hidden = 0.02, edgesPerNode = 1.2, fractional = true } = {}) {
  const r = rng(seed);
  const side = Math.ceil(Math.sqrt(n));
  const nodes = new Array(n);
  const abs = new Array(n);
  for (let i = 0; i < n; i++) {
    const gx = (i % side) * spacing, gy = Math.floor(i / side) * spacing;
    const jitter = () => (fractional ? (r() - 0.5) * spacing * 0.6 : Math.round((r() - 0.5) * spacing * 0.6));
    const x = gx + jitter(), y = gy + jitter();
    const width = fractional ? 40 + r() * 260 : 40 + Math.floor(r() * 260);
    const height = fractional ? 20 + r() * 120 : 20 + Math.floor(r() * 120);
    const node = { id: `n${i}`, type: ['default', 'input', 'output', 'group'][i % 4], position: { x, y }, width, height, data: { label: `Node ${i}` } };
    if (i > 0 && r() < parents) {
      const p = Math.floor(r() * i);
      node.parentId = `n${p}`;
      node.position = { x: x - abs[p].x, y: y - abs[p].y };
    }
    if (r() < hidden) node.hidden = true;
    abs[i] = { x, y };
    nodes[i] = node;
  }
  const edges = [];
  const m = Math.floor(n * edgesPerNode);
  for (let k = 0; k < m && n > 1; k++) {
    const s = Math.floor(r() * n);
    const t = Math.min(n - 1, Math.max(0, s + Math.floor((r() - 0.5) * side * 4)));
    edges.push({ id: `e${k}`, source: `n${s}`, target: `n${t}` });
  }
  return { nodes, edges };
}

/**
 * Tests that need the n8n data fail when it is missing, unless
 * FLOWSCALE_ALLOW_MISSING_DATA=1 (then they skip, and say so).
 */
export const ALLOW_MISSING_DATA = process.env.FLOWSCALE_ALLOW_MISSING_DATA === '1';
export const MISSING_DATA =
  `the n8n workflows are not at ${N8N_PATH}: put the data folder at ../shared/data beside the checkout ` +
  'or set FLOWSCALE_DATA_DIR (FLOWSCALE_ALLOW_MISSING_DATA=1 skips the tests that need it instead)';

/**
 * For a node:test test `t` that needs the n8n workflows: them, or — when the
 * data is missing — null after `t.skip()` under FLOWSCALE_ALLOW_MISSING_DATA=1,
 * else an error that fails the test.
 */
export function needN8n(t) {
  const all = loadN8n();
  if (all) return all;
  if (!ALLOW_MISSING_DATA) throw new Error(MISSING_DATA);
  t.skip(`n8n data missing (FLOWSCALE_ALLOW_MISSING_DATA=1): ${MISSING_DATA}`);
  return null;
}

let n8nCache = null;
/** The n8n workflows (2,047 graphs), or null when the data folder is absent. */
export function loadN8n() {
  if (n8nCache) return n8nCache;
  if (!existsSync(N8N_PATH)) return null;
  n8nCache = readFileSync(N8N_PATH, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l));
  return n8nCache;
}

let nodeRedCache = null;
/**
 * The Node-RED example flows of tests/fixtures/node-red/flows.jsonl (React
 * Flow JSON with `handles` and handle ids; see the README there).
 */
export function loadNodeRed() {
  nodeRedCache ??= readFileSync(new URL('../fixtures/node-red/flows.jsonl', import.meta.url), 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l));
  return nodeRedCache;
}

/**
 * Tile real n8n workflows side by side on a grid until `target` nodes.
 * Ids become `<tile>/<id>`; each workflow keeps its authors' layout.
 */
export function tileN8n(target, { gap = 400 } = {}) {
  const all = loadN8n();
  if (!all) throw new Error(MISSING_DATA);
  const nodes = [], edges = [];
  // A few workflows span more than this; letting them overlap a neighbour is harmless here.
  const cell = 12000;
  let tile = 0;
  let col = 0, rowY = 0, rowH = 0, x = 0;
  const perRow = Math.ceil(Math.sqrt(target / 15));
  while (nodes.length < target) {
    const wf = all[tile % all.length];
    let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
    for (const n of wf.nodes) {
      minX = Math.min(minX, n.position.x); minY = Math.min(minY, n.position.y);
      maxX = Math.max(maxX, n.position.x + (n.width ?? 0)); maxY = Math.max(maxY, n.position.y + (n.height ?? 0));
    }
    if (!wf.nodes.length) { tile++; continue; }
    for (const n of wf.nodes) {
      if (nodes.length >= target) break;
      nodes.push({
        id: `${tile}/${n.id}`,
        type: n.type,
        position: { x: x + n.position.x - minX, y: rowY + n.position.y - minY },
        width: n.width,
        height: n.height,
        data: n.data,
      });
    }
    const have = new Set();
    for (let i = nodes.length - 1; i >= 0 && nodes[i].id.startsWith(`${tile}/`); i--) have.add(nodes[i].id);
    for (const e of wf.edges) {
      const s = `${tile}/${e.source}`, t = `${tile}/${e.target}`;
      if (have.has(s) && have.has(t)) edges.push({ id: `${tile}/${e.id}`, source: s, target: t });
    }
    x += Math.min(maxX - minX, cell) + gap;
    rowH = Math.max(rowH, Math.min(maxY - minY, cell));
    if (++col >= perRow) { col = 0; x = 0; rowY += rowH + gap; rowH = 0; }
    tile++;
  }
  return { nodes, edges };
}

/** Bounds of a workflow's absolute rectangles (top-level nodes only). */
export function bounds(nodes) {
  let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
  for (const n of nodes) {
    if (n.parentId) continue;
    minX = Math.min(minX, n.position.x); minY = Math.min(minY, n.position.y);
    maxX = Math.max(maxX, n.position.x + (n.width ?? 0)); maxY = Math.max(maxY, n.position.y + (n.height ?? 0));
  }
  return { minX, minY, maxX, maxY };
}

/**
 * A layered DAG as workflows grow (the layout benchmark's graph): layers of
 * 5 to 25 nodes; each node has one or two edges forward, 70 % to the next
 * layer, 20 % two layers on, 10 % three to five on, aimed near its own
 * relative place in the target layer; sizes 60–200 × 30–80.
 */
export function layeredDag(n, { seed = 1 } = {}) {
  const r = rng(seed);
  const layers = [];
  let k = 0;
  while (k < n) {
    const w = 5 + Math.floor(r() * 20);
    const l = [];
    for (let i = 0; i < w && k < n; i++) l.push(k++);
    layers.push(l);
  }
  const nodes = new Array(n);
  for (let i = 0; i < n; i++) {
    nodes[i] = { id: `n${i}`, position: { x: 0, y: 0 }, width: 60 + Math.round(r() * 140), height: 30 + Math.round(r() * 50), data: { label: `n${i}` } };
  }
  const edges = [];
  for (let li = 0; li + 1 < layers.length; li++) {
    const layer = layers[li];
    layer.forEach((v, i) => {
      const outs = r() < 0.5 ? 2 : 1;
      for (let o = 0; o < outs; o++) {
        const u = r();
        const step = u < 0.7 ? 1 : u < 0.9 ? 2 : 3 + Math.floor(r() * 3);
        const t = layers[Math.min(li + step, layers.length - 1)];
        const rel = i / layer.length + (r() - 0.5) * 0.5;
        const j = Math.min(t.length - 1, Math.max(0, Math.floor(rel * t.length)));
        edges.push({ id: `e${edges.length}`, source: `n${v}`, target: `n${t[j]}` });
      }
    });
  }
  return { nodes, edges };
}

/**
 * A small workflow with typed ports (the layout benchmark's stand-in for
 * editors like ComfyUI; generated, not real): 8 to 67 nodes 200–500 wide,
 * 1–3 outputs and 1–3 inputs (a fifth of nodes up to 8) listed in
 * `node.handles` 22 apart, heights from the ports (a fifth 0–600 taller);
 * each input takes an edge (after the first, 70 % of them), 40 % of them from
 * one of the first four nodes (fan-out hubs), from a random output.
 */
export function portedDag(seed) {
  const r = rng(seed);
  const n = 8 + Math.floor(r() * 60);
  const nodes = [];
  for (let i = 0; i < n; i++) {
    const ins = i === 0 ? 0 : 1 + Math.floor(r() * (r() < 0.2 ? 8 : 3));
    const outs = 1 + Math.floor(r() * 3);
    const width = 200 + Math.floor(r() * 300);
    const height = Math.max(60, 30 + 22 * Math.max(ins, outs) + (r() < 0.2 ? Math.floor(r() * 600) : 0));
    const handles = [];
    for (let k = 0; k < ins; k++) handles.push({ id: `in${k}`, type: 'target', position: 'left', x: -5, y: 30 + 22 * k, width: 10, height: 10 });
    for (let k = 0; k < outs; k++) handles.push({ id: `out${k}`, type: 'source', position: 'right', x: width - 5, y: 30 + 22 * k, width: 10, height: 10 });
    nodes.push({ id: `n${i}`, position: { x: 0, y: 0 }, width, height, handles, data: { label: `n${i}` } });
  }
  const edges = [];
  for (let i = 1; i < n; i++) {
    const ins = nodes[i].handles.filter((h) => h.type === 'target').length;
    for (let k = 0; k < ins; k++) {
      if (k > 0 && r() < 0.3) continue;
      const hub = r() < 0.4 ? Math.floor(r() * Math.min(i, 4)) : Math.floor(r() * i);
      const s = nodes[Math.min(hub, i - 1)];
      const outs = s.handles.filter((h) => h.type === 'source').length;
      edges.push({ id: `e${edges.length}`, source: s.id, target: nodes[i].id, sourceHandle: `out${Math.floor(r() * outs)}`, targetHandle: `in${k}` });
    }
  }
  return { nodes, edges };
}

/**
 * Edge crossings of a drawing, as the benchmark counts them: straight
 * segments between node centres, counted per gap between consecutive
 * distinct centre positions along the layer axis (x for LR): two segments
 * spanning a gap cross in it when their order swaps across it. Every proper
 * crossing of two segments falls in exactly one gap, so this is the exact
 * count of straight-line crossings, in O(gaps × segments log segments).
 * Segments with both ends at one position along the axis (inside a layer)
 * cross no gap and are not counted. `pos(i)` → {x, y} top-left;
 * `size(i)` → {width, height}.
 */
export function countCrossings(nodes, edges, pos, size, { axis = 'x' } = {}) {
  const index = new Map(nodes.map((n, i) => [n.id, i]));
  const other = axis === 'x' ? 'y' : 'x';
  const dim = axis === 'x' ? 'width' : 'height', odim = axis === 'x' ? 'height' : 'width';
  const c = nodes.map((_, i) => { const p = pos(i), s = size(i); return [p[axis] + s[dim] / 2, p[other] + s[odim] / 2]; });
  const segs = [];
  for (const e of edges) {
    const a = index.get(e.source), b = index.get(e.target);
    if (a === undefined || b === undefined || a === b) continue;
    segs.push([c[a], c[b], a, b]);
  }
  return countSegmentCrossings(segs, c.map((p) => p[0]));
}

/**
 * Where an edge leaves its source and enters its target in an LR drawing: at
 * the handle's centre when the node lists its `handles` (React Flow 12:
 * `{ id, type, x, y, width, height }`, relative to the node); else for a
 * handle id, spread evenly down the node's side in the (natural) order of
 * the ids its edges use; else the middle of the right (source) or left
 * (target) side. → per edge `[[sx, sy], [tx, ty]]` in world coordinates
 * (null for an edge whose ends are not both nodes).
 */
export function handlePoints(nodes, edges, pos, size) {
  const index = new Map(nodes.map((n, i) => [n.id, i]));
  const collator = new Intl.Collator('en', { numeric: true });
  // Handle ids used per node side, when the node does not list its handles.
  const used = nodes.map(() => [new Set(), new Set()]);
  for (const e of edges) {
    const a = index.get(e.source), b = index.get(e.target);
    if (a !== undefined && e.sourceHandle != null) used[a][0].add(e.sourceHandle);
    if (b !== undefined && e.targetHandle != null) used[b][1].add(e.targetHandle);
  }
  const rank = used.map(([s, t]) => [s, t].map((set) => { const ids = [...set].sort(collator.compare); return new Map(ids.map((id, k) => [id, [k, ids.length]])); }));
  const at = (i, id, side) => {
    const n = nodes[i], p = pos(i), s = size(i);
    const h = id != null && Array.isArray(n.handles) ? n.handles.find((h) => h.id === id && h.type === (side === 0 ? 'source' : 'target')) : null;
    if (h) return [p.x + h.x + (h.width ?? 0) / 2, p.y + h.y + (h.height ?? 0) / 2];
    const r = id != null ? rank[i][side].get(id) : null;
    const y = r ? ((r[0] + 1) / (r[1] + 1)) * s.height : s.height / 2;
    return [p.x + (side === 0 ? s.width : 0), p.y + y];
  };
  return edges.map((e) => {
    const a = index.get(e.source), b = index.get(e.target);
    if (a === undefined || b === undefined) return null;
    return [at(a, e.sourceHandle, 0), at(b, e.targetHandle, 1), a, b];
  });
}

/**
 * Edge crossings of an LR drawing with edges drawn straight between their
 * handles (`handlePoints`), counted as `countCrossings` counts them between
 * centres. Self-loops are left out.
 */
export function countHandleCrossings(nodes, edges, pos, size) {
  const segs = handlePoints(nodes, edges, pos, size).filter((s) => s && s[2] !== s[3]);
  return countSegmentCrossings(segs, segs.flatMap((s) => [s[0][0], s[1][0]]));
}

/**
 * Proper crossings of straight segments `[[x0, y0], [x1, y1], endA, endB]`:
 * per gap between consecutive `stops` along x, the pairs whose order swaps
 * across it. Segments meeting at a point (a shared end) tie there and never
 * count; vertical segments cross no gap.
 */
function countSegmentCrossings(list, stops) {
  const segs = [];
  for (let [p, q] of list) {
    if (p[0] === q[0]) continue; // parallel to the gaps: crosses none of them
    if (p[0] > q[0]) [p, q] = [q, p];
    segs.push([p[0], p[1], q[0], q[1]]);
  }
  const xs = [...new Set(stops)].sort((a, b) => a - b);
  // Segments by start, to sweep the gaps left to right.
  segs.sort((s, t) => s[0] - t[0]);
  let total = 0, next = 0;
  let active = [];
  for (let g = 0; g + 1 < xs.length; g++) {
    const x0 = xs[g], x1 = xs[g + 1];
    while (next < segs.length && segs[next][0] <= x0) active.push(segs[next++]);
    active = active.filter((s) => s[2] >= x1);
    const ends = active.map((s) => {
      // Exact at the ends, so that segments meeting at a node tie there.
      const f = (x) => (x === s[0] ? s[1] : x === s[2] ? s[3] : s[1] + ((s[3] - s[1]) * (x - s[0])) / (s[2] - s[0]));
      return [f(x0), f(x1)];
    });
    ends.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    total += inversions(ends);
  }
  return total;
}

/**
 * Pairs i < j with a[i][1] > a[j][1], for `a` sorted by start then end: the
 * segments that swap order across a gap. Equal starts are sorted by end, so
 * they never count (they meet at a node). Merge sort, O(n log n).
 */
function inversions(a) {
  let ys = a.map((p) => p[1]);
  let buf = new Array(ys.length);
  let count = 0;
  for (let width = 1; width < ys.length; width *= 2) {
    for (let lo = 0; lo < ys.length; lo += 2 * width) {
      const mid = Math.min(lo + width, ys.length), hi = Math.min(lo + 2 * width, ys.length);
      let i = lo, j = mid, k = lo;
      while (i < mid && j < hi) {
        if (ys[i] <= ys[j]) buf[k++] = ys[i++];
        else { count += mid - i; buf[k++] = ys[j++]; }
      }
      while (i < mid) buf[k++] = ys[i++];
      while (j < hi) buf[k++] = ys[j++];
    }
    [ys, buf] = [buf, ys];
  }
  return count;
}

/**
 * React Flow's internal node lookup for `nodes`, with absolute positions
 * resolved by React Flow itself, measured as after its first render (else
 * getNodesInside returns every node to force that render).
 */
export function reactFlowLookup(nodes) {
  const lookup = new Map();
  adoptUserNodes(nodes, lookup, new Map());
  for (const n of lookup.values()) {
    n.measured = { width: n.width, height: n.height };
    n.internals.handleBounds = { source: [], target: [] };
  }
  return lookup;
}
