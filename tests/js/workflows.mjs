// Workflows for tests and benchmarks: seeded random graphs, and the real n8n
// workflows from ../shared/data tiled side by side to any size. (The data is
// read from there at run time, never copied into this repository.)
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// ../shared/data beside the checkout (DESIGN.md); FLOWSCALE_DATA_DIR overrides it, and
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

/**
 * Tile real n8n workflows side by side on a grid until `target` nodes.
 * Ids become `<tile>/<id>`; each workflow keeps its authors' layout.
 */
export function tileN8n(target, { gap = 400 } = {}) {
  const all = loadN8n();
  if (!all) throw new Error(`n8n data not found at ${N8N_PATH}`);
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
