// Loading from columns in Node (no React Flow objects on the way in):
// setWorkflowAsync of a generated grid (tiles of 15 nodes chained by 11
// edges, 0.73 edges per node), the whole load's time, the longest gap
// between two progress reports (one step of the load, a task in a browser),
// and the growth of wasm memory; then one fitted frame. Not part of
// `npm run bench` (10M nodes need a Node heap of about 16 GB):
//
//   node --max-old-space-size=16000 bench/load.mjs 1000000 10000000
import { readFileSync } from 'node:fs';
import { machine, table, writeSection } from './lib.mjs';

const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0);
const { default: init } = await import('../pkg/web/index.js');
const wasm = await init({ module_or_path: readFileSync(new URL('../pkg/web/flowscale_bg.wasm', import.meta.url)) });
const { WorkflowOptimizer } = await import('../pkg/web/index.js');

function grid(n) {
  const side = Math.ceil(Math.sqrt(n));
  const ids = new Array(n);
  const x = new Float64Array(n), y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    ids[i] = `${(i / 15) | 0}/n${i % 15}`;
    x[i] = (i % side) * 200;
    y[i] = ((i / side) | 0) * 200;
  }
  const src = [], dst = [], eids = [];
  for (let t = 0; t * 15 < n; t++) {
    for (let k = 0; k < 11 && t * 15 + k + 1 < n; k++) {
      src.push(t * 15 + k);
      dst.push(t * 15 + k + 1);
      eids.push(`${t}/e${k}`);
    }
  }
  const cols = {
    nodes: { ids, x, y, width: new Float64Array(n).fill(100), height: new Float64Array(n).fill(100) },
    edges: { ids: eids, source: Uint32Array.from(src), target: Uint32Array.from(dst) },
  };
  return { cols, side, edges: eids.length };
}

const rows = [];
for (const n of sizes.length ? sizes : [1_000_000]) {
  const { cols, side, edges } = grid(n);
  const opt = new WorkflowOptimizer({ workflow: { maxNodes: n, maxEdges: n } });
  const before = wasm.memory.buffer.byteLength;
  let longest = 0, last = performance.now();
  const t0 = performance.now();
  await opt.setWorkflowAsync(cols, {
    onProgress: () => {
      const now = performance.now();
      longest = Math.max(longest, now - last);
      last = now;
    },
  });
  const ms = performance.now() - t0;
  const grown = wasm.memory.buffer.byteLength - before;
  const zoom = 1080 / (side * 200) / 1.2;
  const t1 = performance.now();
  const f = opt.frame({ x: 960 - (side * 100) * zoom, y: 540 - (side * 100) * zoom, zoom }, { width: 1920, height: 1080 });
  const frameMs = performance.now() - t1;
  rows.push([n.toLocaleString('en'), edges.toLocaleString('en'), `${(ms / 1000).toFixed(1)} s`, `${Math.round(longest)} ms`,
    `${Math.round(grown / 2 ** 20)} MiB`, `${Math.round(grown / n)} B`, f.stats.inView.toLocaleString('en'), `${frameMs.toFixed(2)} ms`]);
  console.error(rows.at(-1).join('  '));
  opt.free();
}
const body = `### Loading from columns, up to 10M nodes (Node)

Command: \`node --max-old-space-size=16000 bench/load.mjs ${sizes.join(' ')}\` (not part of \`npm run bench\`). Machine:
${machine()}. \`setWorkflowAsync\` of a generated grid given as columns (no object per node), each node size once, in
a fresh optimizer; "longest step" is the longest gap between two progress reports (a main-thread task in a browser);
"wasm memory" the growth of the module's linear memory (the load's peak: linear memory never shrinks); the
last columns one frame of the whole grid fitted (the first frame).

${table(['nodes', 'edges', 'load', 'longest step', 'wasm memory', 'per node', 'fitted frame: in view', 'fitted frame'], rows)}`;
writeSection(new URL('../docs/benchmarks.md', import.meta.url).pathname, 'load', body);
console.log(body);
