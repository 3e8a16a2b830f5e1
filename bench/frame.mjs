// Per-frame culling benchmark. Side by side, interleaved,
// in one Node process: flowscale's `frame()` called from JS (boundary, typed
// arrays and id strings included) against React Flow's `getNodesInside`, a
// linear Float32Array scan, flatbush and rbush, on real n8n workflows tiled
// to 10k, 100k and 1M nodes; index build; drags of 1 and 1,000 nodes; wasm
// memory per node. Writes its tables into docs/benchmarks.md.
//
//   npm run bench                 (all sizes)
//   node bench/frame.mjs --quick  (10k and 100k only)
import { execFileSync } from 'node:child_process';
import Flatbush from 'flatbush';
import RBush from 'rbush';
import { getNodesInside } from '@xyflow/system';
import { WorkflowOptimizer } from '../tests/js/flowscale.mjs';
import { loadN8n, reactFlowLookup, rng, tileN8n } from '../tests/js/workflows.mjs';
import { fmtRatio, fmtTime, interleave, machine, table, writeSection } from './lib.mjs';

const quick = process.argv.includes('--quick');
const SIZES = quick ? [10_000, 100_000] : [10_000, 100_000, 1_000_000];
// 'fit': the whole workflow in the pane (React Flow's fitView, padding 0.1), panned ±1 px.
const ZOOMS = [1, 0.25, 0.05, 'fit'];
const SCREEN = { width: 1920, height: 1080 };
const FRAMES = 64; // frames per timed batch: a pan of 15 × 7 px per frame

if (process.argv.includes('--memory-child')) {
  // Child mode: wasm memory for one size on a fresh module instance.
  const n = Number(process.argv.at(-1));
  const { default: init } = await import('../pkg/web/index.js');
  const { readFileSync } = await import('node:fs');
  const wasm = await init({ module_or_path: readFileSync(new URL('../pkg/web/flowscale_bg.wasm', import.meta.url)) });
  const { WorkflowOptimizer: Opt } = await import('../pkg/web/index.js');
  const wf = tileN8n(n);
  const before = wasm.memory.buffer.byteLength;
  const opt = new Opt();
  opt.setWorkflow(wf);
  opt.frame({ x: 0, y: 0, zoom: 1 }, SCREEN);
  console.log(JSON.stringify({ n, bytes: wasm.memory.buffer.byteLength - before }));
  process.exit(0);
}

if (!loadN8n()) {
  console.error('bench/frame.mjs needs ../shared/data/n8n/workflows.jsonl');
  process.exit(1);
}

/** Pan paths: each starts over a random node and moves 15 × 7 px per frame. */
function panPaths(nodes, zoom, count, seed) {
  const r = rng(seed);
  return Array.from({ length: count }, () => {
    const n = nodes[Math.floor(r() * nodes.length)];
    const x0 = SCREEN.width / 2 - n.position.x * zoom, y0 = SCREEN.height / 2 - n.position.y * zoom;
    return Array.from({ length: FRAMES }, (_, k) => ({ x: x0 - 15 * k, y: y0 - 7 * k, zoom }));
  });
}

/** React Flow's fitView of every node (padding 0.1), and paths that pan it by ±1 px. */
function fitPaths(nodes, count) {
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  for (const n of nodes) {
    x0 = Math.min(x0, n.position.x); y0 = Math.min(y0, n.position.y);
    x1 = Math.max(x1, n.position.x + n.width); y1 = Math.max(y1, n.position.y + n.height);
  }
  const zoom = Math.min(SCREEN.width / (x1 - x0), SCREEN.height / (y1 - y0)) / 1.2;
  const x = SCREEN.width / 2 - ((x0 + x1) / 2) * zoom, y = SCREEN.height / 2 - ((y0 + y1) / 2) * zoom;
  return Array.from({ length: count }, () => Array.from({ length: FRAMES }, (_, k) => ({ x: x + (k % 2 ? 1 : -1), y, zoom })));
}

const worldRect = (vp) => {
  const x = -vp.x / vp.zoom, y = -vp.y / vp.zoom;
  return [x, y, x + SCREEN.width / vp.zoom, y + SCREEN.height / vp.zoom];
};

const frameRows = [], buildRows = [], dragRows = [], memRows = [];
for (const n of SIZES) {
  const wf = tileN8n(n);
  const { nodes } = wf;
  console.error(`${n} nodes, ${wf.edges.length} edges`);

  // ---- index build -------------------------------------------------------
  const xy = new Float32Array(n * 4);
  nodes.forEach((node, i) => {
    xy[4 * i] = node.position.x; xy[4 * i + 1] = node.position.y;
    xy[4 * i + 2] = node.position.x + node.width; xy[4 * i + 3] = node.position.y + node.height;
  });
  const items = nodes.map((node, i) => ({ minX: xy[4 * i], minY: xy[4 * i + 1], maxX: xy[4 * i + 2], maxY: xy[4 * i + 3], i }));
  const buildFlatbush = () => {
    const fb = new Flatbush(n);
    for (let i = 0; i < n; i++) fb.add(xy[4 * i], xy[4 * i + 1], xy[4 * i + 2], xy[4 * i + 3]);
    fb.finish();
    return fb;
  };
  // One optimizer loading the workflow again and again, as an editor switching
  // workflows does: wasm memory has grown in the warm-up round (the growth a
  // fresh page pays once is the memory table below).
  const loader = new WorkflowOptimizer();
  const build = interleave(
    {
      'flowscale setWorkflow': () => { loader.setWorkflow(wf); return 1; },
      flatbush: () => { buildFlatbush(); return 1; },
      rbush: () => { new RBush().load(items); return 1; },
    },
    { rounds: n >= 1e6 ? 3 : 7, warmup: 1 },
  );
  loader.free();
  buildRows.push([n.toLocaleString('en'), fmtTime(build['flowscale setWorkflow']), fmtTime(build.flatbush), fmtTime(build.rbush),
    fmtRatio(build['flowscale setWorkflow'] / build.flatbush)]);

  // ---- per-frame query ---------------------------------------------------
  const opt = new WorkflowOptimizer();
  opt.setWorkflow(wf);
  const fb = buildFlatbush();
  const rb = new RBush().load(items);
  const lookup = reactFlowLookup(nodes);
  const out = new Uint32Array(n);
  for (const zoom of ZOOMS) {
    const paths = zoom === 'fit' ? fitPaths(nodes, 24) : panPaths(nodes, zoom, 24, n + zoom * 1000);
    let inViewTotal = 0, mountedTotal = 0, frames = 0;
    const rfFrames = n >= 1e6 ? 4 : n >= 1e5 ? 16 : FRAMES; // React Flow is slow: fewer frames per batch
    const res = interleave(
      {
        'flowscale frame()': (r) => {
          for (const vp of paths[r % paths.length]) {
            const f = opt.frame(vp, SCREEN);
            inViewTotal += f.stats.inView; mountedTotal += f.visibleIds.length; frames++;
          }
          return FRAMES;
        },
        'React Flow getNodesInside': (r) => {
          const path = paths[r % paths.length];
          for (let k = 0; k < rfFrames; k++) getNodesInside(lookup, { x: 0, y: 0, ...SCREEN }, [path[k].x, path[k].y, path[k].zoom], true);
          return rfFrames;
        },
        'linear Float32Array scan': (r) => {
          for (const vp of paths[r % paths.length]) {
            const [x1, y1, x2, y2] = worldRect(vp);
            let c = 0;
            for (let i = 0; i < n; i++) {
              if (xy[4 * i] < x2 && xy[4 * i + 2] > x1 && xy[4 * i + 1] < y2 && xy[4 * i + 3] > y1) out[c++] = i;
            }
          }
          return FRAMES;
        },
        flatbush: (r) => {
          for (const vp of paths[r % paths.length]) fb.search(...worldRect(vp));
          return FRAMES;
        },
        rbush: (r) => {
          for (const vp of paths[r % paths.length]) {
            const [minX, minY, maxX, maxY] = worldRect(vp);
            rb.search({ minX, minY, maxX, maxY });
          }
          return FRAMES;
        },
      },
      { rounds: 21, warmup: 3 },
    );
    const f = res['flowscale frame()'];
    frameRows.push([
      n.toLocaleString('en'), zoom === 'fit' ? `fit (${paths[0][0].zoom.toPrecision(2)})` : String(zoom), Math.round(inViewTotal / frames).toLocaleString('en'), Math.round(mountedTotal / frames).toLocaleString('en'),
      fmtTime(f), fmtTime(res['React Flow getNodesInside']), fmtTime(res['linear Float32Array scan']), fmtTime(res.flatbush), fmtTime(res.rbush),
      fmtRatio(res['React Flow getNodesInside'] / f), fmtRatio(f / res.flatbush),
    ]);
    console.error(frameRows.at(-1).join('  '));
  }

  // ---- drags ---------------------------------------------------------------
  const r = rng(7);
  const pick = (k) => Array.from({ length: k }, () => Math.floor(r() * n));
  for (const k of [1, 1000]) {
    const idx = Uint32Array.from(pick(k));
    const moved = new Float32Array(2 * k);
    // Each sample is a run of drag steps (a drag is many small moves), alternating ±5 px.
    const steps = k === 1 ? 200 : 4;
    const res = interleave(
      {
        'flowscale updatePositions': () => {
          for (let s = 0; s < steps; s++) {
            idx.forEach((i, j) => { moved[2 * j] = xy[4 * i] + (s % 2 ? 5 : -5); moved[2 * j + 1] = xy[4 * i + 1]; });
            opt.updatePositions(idx, moved);
          }
          return steps;
        },
        'flowscale applyNodeChanges': () => {
          for (let s = 0; s < steps; s++) {
            opt.applyNodeChanges(Array.from(idx, (i) => ({ type: 'position', id: nodes[i].id, position: { x: xy[4 * i] + (s % 2 ? 3 : -3), y: xy[4 * i + 1] }, dragging: true })));
          }
          return steps;
        },
        'flatbush (rebuild)': () => { buildFlatbush(); return 1; },
        'rbush remove + insert': () => {
          for (let s = 0; s < steps; s++) {
            for (const i of idx) {
              rb.remove(items[i]);
              items[i].minX += s % 2 ? 5 : -5; items[i].maxX += s % 2 ? 5 : -5;
              rb.insert(items[i]);
            }
          }
          return steps;
        },
      },
      { rounds: n >= 1e6 ? 5 : 11, warmup: 1 },
    );
    dragRows.push([n.toLocaleString('en'), String(k), fmtTime(res['flowscale updatePositions']), fmtTime(res['flowscale applyNodeChanges']),
      fmtTime(res['flatbush (rebuild)']), fmtTime(res['rbush remove + insert'])]);
  }
  opt.free();

  // ---- memory ------------------------------------------------------------
  const child = execFileSync(process.execPath, ['--max-old-space-size=8192', new URL(import.meta.url).pathname, '--memory-child', String(n)], { encoding: 'utf8' });
  const { bytes } = JSON.parse(child.trim().split('\n').at(-1));
  memRows.push([n.toLocaleString('en'), `${(bytes / 2 ** 20).toFixed(1)} MiB`, `${Math.round(bytes / n)} B`]);
}

const body = `Command: \`npm run bench\` (runs \`node bench/frame.mjs\`). Machine: ${machine()}.
Workflows: the real n8n workflows from \`../shared/data/n8n\` tiled side by side to the size shown; a 1920×1080 pane
panned 15 × 7 px per frame from random starting nodes. Every contender runs in the same process, interleaved
round by round; times are medians per frame (per build, per drag). \`frame()\` is measured end to end from
JavaScript: viewport in, frame object with typed arrays, id strings and stats out, including windowing, edge
culling and, below zoom 0.25 (clustering.maxZoom), the zoom-level cluster glyphs and bundles (there the frame counts
the nodes in view exactly but lists only those drawn alone; \`inView\` is computed when read, which this loop does not);
the others only find the nodes in view. "fit" is the whole workflow in the pane (React Flow's fitView padding),
panned by ±1 px.

${table(['nodes', 'zoom', 'in view', 'mounted', 'flowscale frame()', 'React Flow getNodesInside', 'linear scan', 'flatbush', 'rbush', 'getNodesInside ÷ frame()', 'frame() ÷ flatbush'], frameRows)}

Index build (flowscale: \`setWorkflow\` from React Flow node objects — validation, id map, edge ends resolved,
R-trees for nodes and edges — into an optimizer that held the previous workflow, so wasm memory has grown already;
flatbush and rbush: the rectangles only):

${table(['nodes', 'flowscale setWorkflow', 'flatbush', 'rbush', 'flowscale ÷ flatbush'], buildRows)}

A drag (React Flow has no index, so its drag costs nothing here; flatbush is static and must be rebuilt):

${table(['nodes', 'nodes dragged', 'flowscale updatePositions', 'flowscale applyNodeChanges', 'flatbush rebuild', 'rbush remove + insert'], dragRows)}

Wasm memory after \`setWorkflow\` (growth of the module's linear memory, fresh instance):

${table(['nodes', 'wasm memory', 'per node'], memRows)}`;
writeSection(new URL('../docs/benchmarks.md', import.meta.url).pathname, 'frame', body);
console.log(body);
