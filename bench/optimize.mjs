// Workflow optimizer benchmark, side by side in one Node process:
//   layout       layoutWorkflow (wasm, called from JS) vs @dagrejs/dagre and elkjs (layered,
//                without and with port constraints) on layered DAGs of 200, 1k, 3k, 10k nodes,
//                the real n8n workflows and the Node-RED example flows (tests/fixtures/node-red):
//                time and straight-line edge crossings between centres and between handles
//   communities  WorkflowOptimizer.groups() vs graphology-communities-louvain at 10k and 100k:
//                time and modularity (both recomputed here by one function)
//   clusters     zoom-level cluster index build and per-frame cluster query vs supercluster
//                on the node centres, at 100k and 1M nodes
// Writes its tables into docs/benchmarks.md.
//
//   npm run bench                        (everything)
//   node bench/optimize.mjs --quick      (no 1M, no 10k anchors)
//   node bench/optimize.mjs --only=layout|communities|clusters
import dagre from '@dagrejs/dagre';
import ELK from 'elkjs/lib/elk.bundled.js';
import Graph from 'graphology';
import louvain from 'graphology-communities-louvain';
import Supercluster from 'supercluster';
import { WorkflowOptimizer, layoutWorkflow } from '../tests/js/flowscale.mjs';
import { countCrossings, countHandleCrossings, generate, handlePoints, layeredDag, loadN8n, loadNodeRed, portedDag, tileN8n } from '../tests/js/workflows.mjs';
import os from 'node:os';
import { fmtRatio, fmtTime, machine, median, now, table, writeSection } from './lib.mjs';

const quick = process.argv.includes('--quick');
const only = process.argv.find((a) => a.startsWith('--only='))?.slice(7);
const DOC = new URL('../docs/benchmarks.md', import.meta.url).pathname;
const CAP_MS = 40_000; // an anchor is skipped where its predicted single run exceeds this
const fmtInt = (n) => Math.round(n).toLocaleString('en-US');

if (!loadN8n()) {
  console.error('bench/optimize.mjs needs ../shared/data/n8n/workflows.jsonl');
  process.exit(1);
}

// ---- layout --------------------------------------------------------------

const SPACING = { nodeSpacing: 40, layerSpacing: 80, edgeSpacing: 10 };
const sizeOf = (n) => ({ width: n.width ?? 100, height: n.height ?? 100 });

function dagreLayout(wf, ranker) {
  const g = new dagre.graphlib.Graph({ multigraph: true });
  g.setGraph({ rankdir: 'LR', ranker, nodesep: SPACING.nodeSpacing, ranksep: SPACING.layerSpacing, edgesep: SPACING.edgeSpacing });
  g.setDefaultEdgeLabel(() => ({}));
  for (const n of wf.nodes) g.setNode(n.id, sizeOf(n));
  for (const e of wf.edges) g.setEdge(e.source, e.target, {}, e.id);
  dagre.layout(g);
  return wf.nodes.map((n) => { const d = g.node(n.id), s = sizeOf(n); return { x: d.x - s.width / 2, y: d.y - s.height / 2 }; });
}

const elk = new ELK();
/**
 * ELK layered. With `ports`, every edge end is a port of its node, on the
 * east (source) or west (target) side at the point the handle counter uses
 * (`handlePoints`: listed handles, else handle ids spread down the side), with
 * `portConstraints: FIXED_ORDER`.
 */
async function elkLayout(wf, { ports = false } = {}) {
  const children = wf.nodes.map((n) => ({ id: n.id, ...sizeOf(n) }));
  let edges = wf.edges.map((e) => ({ id: e.id, sources: [e.source], targets: [e.target] }));
  if (ports) {
    const origin = wf.nodes.map(() => ({ x: 0, y: 0 }));
    const pts = handlePoints(wf.nodes, wf.edges, (i) => origin[i], (i) => sizeOf(wf.nodes[i]));
    const byNode = children.map(() => new Map());
    edges = wf.edges.map((e, k) => {
      const p = pts[k];
      if (!p) return edges[k];
      const [s, t, a, b] = p;
      const port = (i, side, at) => {
        const id = `${wf.nodes[i].id}\u0001${side}\u0001${at[1]}`;
        if (!byNode[i].has(id)) byNode[i].set(id, { id, x: side === 'source' ? sizeOf(wf.nodes[i]).width : 0, y: at[1], width: 0, height: 0, layoutOptions: { 'elk.port.side': side === 'source' ? 'EAST' : 'WEST' } });
        return id;
      };
      return { id: e.id, sources: [port(a, 'source', s)], targets: [port(b, 'target', t)] };
    });
    children.forEach((c, i) => {
      c.ports = [...byNode[i].values()];
      c.layoutOptions = { 'org.eclipse.elk.portConstraints': 'FIXED_ORDER' };
    });
  }
  const graph = {
    id: 'root',
    layoutOptions: {
      'elk.algorithm': 'layered', 'elk.direction': 'RIGHT',
      'elk.spacing.nodeNode': String(SPACING.nodeSpacing),
      'elk.layered.spacing.nodeNodeBetweenLayers': String(SPACING.layerSpacing),
      'elk.spacing.edgeEdge': String(SPACING.edgeSpacing),
    },
    children,
    edges,
  };
  const r = await elk.layout(graph);
  const at = new Map(r.children.map((c) => [c.id, c]));
  return wf.nodes.map((n) => ({ x: at.get(n.id).x, y: at.get(n.id).y }));
}

function flowscaleLayout(wf) {
  return layoutWorkflow(wf, SPACING).nodes.map((n) => n.position);
}

const crossingsOf = (wf, pos) => countCrossings(wf.nodes, wf.edges, (i) => pos[i], (i) => sizeOf(wf.nodes[i]));
const handleCrossingsOf = (wf, pos) => countHandleCrossings(wf.nodes, wf.edges, (i) => pos[i], (i) => sizeOf(wf.nodes[i]));

async function timed(fn) {
  const t0 = now();
  const out = await fn();
  return [now() - t0, out];
}

const ANCHORS = [
  { name: 'dagre', run: (wf) => dagreLayout(wf, 'network-simplex'), exponent: 3 },
  { name: 'dagre tight-tree', run: (wf) => dagreLayout(wf, 'tight-tree'), exponent: 1.5 },
  { name: 'ELK layered', run: (wf) => elkLayout(wf), exponent: 1.6 },
];

async function benchLayout() {
  const startLoad = os.loadavg()[0].toFixed(1);
  const sizes = quick ? [200, 1000, 3000] : [200, 1000, 3000, 10_000];
  const rows = [];
  const last = new Map(); // anchor → [n, ms]
  const targets = [];
  // Warm the JITs and the wasm module on a small graph.
  const warm = layeredDag(100, { seed: 9 });
  for (let k = 0; k < 3; k++) { flowscaleLayout(warm); dagreLayout(warm, 'tight-tree'); await elkLayout(warm); }
  for (const n of sizes) {
    const wf = layeredDag(n, { seed: 1 });
    console.error(`layout: ${n} nodes, ${wf.edges.length} edges`);
    const runs = n >= 10_000 ? 3 : 7;
    const times = [];
    let pos;
    for (let k = 0; k < runs; k++) { const [ms, p] = await timed(() => flowscaleLayout(wf)); times.push(ms); pos = p; }
    const ours = { ms: median(times), crossings: crossingsOf(wf, pos) };
    const cells = [];
    let best = Infinity;
    for (const a of ANCHORS) {
      const prev = last.get(a.name);
      const predicted = prev ? prev[1] * (n / prev[0]) ** a.exponent : 0;
      if (predicted > CAP_MS) {
        cells.push(`skipped (≈ ${fmtTime(predicted)} predicted)`);
        continue;
      }
      const [ms, p] = await timed(() => a.run(wf));
      last.set(a.name, [n, ms]);
      const c = crossingsOf(wf, p);
      best = Math.min(best, c);
      cells.push(`${fmtTime(ms)} · ${fmtInt(c)}`);
    }
    rows.push([fmtInt(n), fmtInt(wf.edges.length), `${fmtTime(ours.ms)} · ${fmtInt(ours.crossings)}`, ...cells]);
    const timeTarget = n === 1000 ? 100 : n === 10_000 ? 1000 : null;
    targets.push({ n, ms: ours.ms, crossings: ours.crossings, best, timeTarget });
  }

  const targetLines = targets.map((t) => {
    const cross = t.best === Infinity ? 'no anchor ran' : `${fmtInt(t.crossings)} vs best anchor ${fmtInt(t.best)}: ${t.crossings <= t.best ? 'met' : 'missed'}`;
    const time = t.timeTarget ? `; time ${fmtTime(t.ms)} vs < ${fmtTime(t.timeTarget)}: ${t.ms < t.timeTarget ? 'met' : 'missed'}` : '';
    return `- ${fmtInt(t.n)} nodes: crossings ${cross}${time}`;
  });
  return `Command: \`node bench/optimize.mjs --only=layout\` (or \`npm run bench\`). Machine: ${machine()}; load average
${startLoad} on ${os.cpus().length} cores when this section started (other work on the machine slows every contender alike).

Layered layout, LR, spacing 40 / 80 / 10 for all. Cells: time · edge crossings. Crossings are counted the
same way for every layout: straight segments between node centres, per gap between consecutive layer
positions (two segments cross in a gap when their order swaps across it), which is the exact count of
straight-line crossings (\`countCrossings\` in tests/js/workflows.mjs, checked against brute force in the tests).
flowscale: \`layoutWorkflow\` called from JavaScript (extraction, validation, layout and the copied nodes
included), median of ${quick ? 7 : '7 (3 at 10k)'} runs. dagre and ELK: one run each (they take seconds); an anchor whose time
predicted from the previous size exceeds ${CAP_MS / 1000} s is skipped. Graphs: \`layeredDag(n)\` (tests/js/workflows.mjs), layers
of 5–25 nodes, 1.5 edges per node, 30 % of them spanning 2–5 layers, node sizes 60–200 × 30–80.
Figures measured earlier by hand on such DAGs for the skipped cells: 1k nodes dagre 38 s (3,439 crossings),
dagre tight-tree 0.8 s (3,466), ELK 2.5 s (5,097); 10k nodes dagre tight-tree 12 s (38,173), ELK 92 s (34,352).

${table(['graph', 'edges', 'flowscale', ...ANCHORS.map((a) => a.name)], rows)}

Targets (1k < 100 ms and 10k < 1 s in wasm; crossings no more than the better of dagre and ELK):
${targetLines.join('\n')}

${await benchRealLayouts()}`;
}

// The real corpora: every flow laid out once by each contender; totals.
const REAL_ANCHORS = [
  { name: 'dagre', run: (wf) => dagreLayout(wf, 'network-simplex') },
  { name: 'ELK layered', run: (wf) => elkLayout(wf) },
  { name: 'ELK layered, ports', run: (wf) => elkLayout(wf, { ports: true }) },
];

async function benchRealLayouts() {
  const corpora = [
    // Every fourth n8n workflow, to keep the anchors within the run's budget; sticky notes are nodes without edges.
    { name: 'n8n', label: (k) => `n8n: every 4th workflow, ${fmtInt(k)}`, flows: loadN8n().filter((_, i) => i % 4 === 0) },
    { name: 'Node-RED', label: (k) => `Node-RED examples: ${fmtInt(k)} flows`, flows: loadNodeRed() },
    // Not real: typed multi-port graphs with fan-out hubs, as a check of the handle ordering.
    { name: 'generated with ports', label: (k) => `generated, not real: \`portedDag(1…${k})\``, flows: Array.from({ length: 60 }, (_, i) => portedDag(i + 1)), generated: true },
  ];
  const rows = [], lines = [];
  for (const { name, label, flows, generated } of corpora) {
    console.error(`layout: ${flows.length} ${name} flows`);
    const sums = { flowscale: [0, 0, 0], authors: [0, 0, 0] };
    for (const a of REAL_ANCHORS) sums[a.name] = [0, 0, 0];
    const add = (key, ms, wf, p) => {
      sums[key][0] += ms; sums[key][1] += crossingsOf(wf, p); sums[key][2] += handleCrossingsOf(wf, p);
    };
    for (const wf of flows.slice(0, 5)) flowscaleLayout(wf); // warm-up
    for (const wf of flows) {
      add('authors', 0, wf, wf.nodes.map((n) => n.position));
      let [ms, p] = await timed(() => flowscaleLayout(wf));
      add('flowscale', ms, wf, p);
      for (const a of REAL_ANCHORS) {
        [ms, p] = await timed(() => a.run(wf));
        add(a.name, ms, wf, p);
      }
    }
    const nodes = flows.reduce((s, w) => s + w.nodes.length, 0), edges = flows.reduce((s, w) => s + w.edges.length, 0);
    const cell = (k) => `${fmtTime(sums[k][0])} · ${fmtInt(sums[k][1])} / ${fmtInt(sums[k][2])}`;
    rows.push([`${label(flows.length)} (${fmtInt(nodes)} nodes)`, fmtInt(edges), cell('flowscale'), ...REAL_ANCHORS.map((a) => cell(a.name)), generated ? '—' : `${fmtInt(sums.authors[1])} / ${fmtInt(sums.authors[2])}`]);
    const [f, e, ep] = [sums.flowscale, sums['ELK layered'], sums['ELK layered, ports']];
    const verdict = (ok) => (ok ? 'met' : 'missed');
    lines.push(`- ${name}${generated ? ' (generated, not a target)' : ''}: centres ${fmtInt(f[1])} vs ELK ${fmtInt(e[1])}: ${verdict(f[1] <= e[1])}; handles ${fmtInt(f[2])} vs ELK with ports ${fmtInt(ep[2])}: ${verdict(f[2] <= ep[2])}; time ${fmtTime(f[0])} vs ELK ${fmtTime(e[0])} (${fmtRatio(e[0] / f[0])}), ≥ 10× faster: ${verdict(e[0] >= 10 * f[0])}`);
  }
  return `Real workflows, LR, the same spacing: every flow laid out once by each contender. Cells: total time · total
crossings between centres / between handles. Handles: edges drawn straight from the source's handle to the
target's (\`countHandleCrossings\` in tests/js/workflows.mjs): at the centre of the handle a node lists in
\`node.handles\` (Node-RED: its ports), else the handle ids a node's edges use spread evenly down its side in
natural order (n8n: \`out0\`, \`out1\`, …), else the middle of the side. flowscale gets the workflow as React Flow
JSON (handle ids and \`handles\` included); "ELK layered, ports" gets every edge end as a port at that same
point (east side for sources, west for targets) with \`org.eclipse.elk.portConstraints: FIXED_ORDER\`; dagre and
plain ELK see nodes and edges only. The last column is the authors' own drawing.
\`portedDag\` (tests/js/workflows.mjs) is not a real corpus: 8–67 nodes 200–500 wide with
1–3 (a fifth up to 8) typed inputs and 1–3 outputs listed in \`node.handles\`, fan-out hubs, a fifth of the
nodes up to 600 taller, standing in for editors with many typed ports.

${table(['corpus', 'edges', 'flowscale', ...REAL_ANCHORS.map((a) => a.name), 'authors'], rows)}

Targets on every real corpus (crossings at centres no more than ELK layered's, at handles no more than ELK
layered with port constraints, total time at least 10× less than ELK's):
${lines.join('\n')}`;
}

// ---- communities -----------------------------------------------------------

/** Q = Σ_c [L_c / m − (K_c / 2m)²], undirected, parallel edges adding up, a self-loop once in L and twice in K. */
function modularity(wf, groupOfIndex) {
  const index = new Map(wf.nodes.map((n, i) => [n.id, i]));
  const inside = new Map(), degree = new Map();
  const m = wf.edges.length;
  for (const e of wf.edges) {
    const a = groupOfIndex(index.get(e.source)), b = groupOfIndex(index.get(e.target));
    degree.set(a, (degree.get(a) ?? 0) + 1);
    degree.set(b, (degree.get(b) ?? 0) + 1);
    if (a === b) inside.set(a, (inside.get(a) ?? 0) + 1);
  }
  let q = 0;
  for (const [c, k] of degree) q += (inside.get(c) ?? 0) / m - (k / (2 * m)) ** 2;
  return q;
}

function graphologyOf(wf) {
  const g = new Graph({ type: 'undirected', allowSelfLoops: true });
  for (const n of wf.nodes) g.addNode(n.id);
  for (const e of wf.edges) {
    if (g.hasEdge(e.source, e.target)) g.updateEdgeAttribute(e.source, e.target, 'weight', (w) => w + 1);
    else g.addEdge(e.source, e.target, { weight: 1 });
  }
  return g;
}

async function benchCommunities() {
  const rows = [];
  for (const n of [10_000, 100_000]) {
    for (const [label, wf] of [
      ['n8n tiled', tileN8n(n)],
      ['generated (near-neighbour edges)', generate(n, { seed: 2, parents: 0, hidden: 0, edgesPerNode: 2 })],
    ]) {
      console.error(`communities: ${label} ${n}`);
      const opt = new WorkflowOptimizer();
      opt.setWorkflow(wf);
      const g = graphologyOf(wf);
      const ours = [], theirs = [];
      let og, lg;
      for (let k = 0; k < 5; k++) {
        let t0 = now(); og = opt.groups(); ours.push(now() - t0);
        t0 = now(); lg = louvain(g, { getEdgeWeight: 'weight' }); theirs.push(now() - t0);
      }
      const qo = modularity(wf, (i) => og.groupOf[i]);
      const ql = modularity(wf, (i) => lg[wf.nodes[i].id]);
      const tl = median(theirs), to = median(ours);
      rows.push([`${label}`, fmtInt(n), fmtInt(wf.edges.length), fmtTime(to), fmtTime(tl), fmtRatio(tl / to), qo.toFixed(4), ql.toFixed(4), fmtInt(og.count), fmtInt(new Set(Object.values(lg)).size), to < tl && qo >= ql ? 'met' : 'missed']);
    }
  }
  return `Community detection: flowscale \`WorkflowOptimizer.groups()\` (Louvain, communities split into connected
parts, group boxes; the workflow already set) against \`graphology-communities-louvain\` (default options,
edge weights = parallel edges; the graphology graph built beforehand, not timed). Median of 5 runs each,
interleaved. Modularity of both partitions is recomputed here by one function (resolution 1).
Target: faster, and modularity at least theirs.

${table(['graph', 'nodes', 'edges', 'flowscale', 'graphology louvain', 'speed-up', 'modularity flowscale', 'modularity graphology', 'groups flowscale', 'groups graphology', 'target'], rows)}`;
}

// ---- clusters --------------------------------------------------------------

async function benchClusters() {
  const rows = [];
  const queryRows = [];
  const SCREEN = { width: 1920, height: 1080 };
  for (const n of quick ? [100_000] : [100_000, 1_000_000]) {
    console.error(`clusters: ${n}`);
    const wf = tileN8n(n);
    let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
    for (const nd of wf.nodes) {
      const cx = nd.position.x + nd.width / 2, cy = nd.position.y + nd.height / 2;
      minX = Math.min(minX, cx); maxX = Math.max(maxX, cx); minY = Math.min(minY, cy); maxY = Math.max(maxY, cy);
    }
    // supercluster works on longitude/latitude: map the world box linearly onto ±180° × ±80°.
    const span = Math.max(maxX - minX, maxY - minY);
    const toLng = (x) => -180 + (360 * (x - minX)) / span;
    const toLat = (y) => 80 - (160 * (y - minY)) / span;
    const points = wf.nodes.map((nd) => ({ type: 'Feature', properties: {}, geometry: { type: 'Point', coordinates: [toLng(nd.position.x + nd.width / 2), toLat(nd.position.y + nd.height / 2)] } }));
    // The cluster index and its bundles are built with the workflow; a drag
    // of every node (not timed) makes them stale, and the next clusters()
    // call rebuilds them, as the load does (timed).
    const opt = new WorkflowOptimizer();
    opt.setWorkflow(wf);
    const all = Uint32Array.from({ length: n }, (_, i) => i);
    const xy = new Float32Array(2 * n);
    wf.nodes.forEach((nd, i) => { xy[2 * i] = nd.position.x; xy[2 * i + 1] = nd.position.y; });
    const builds = { flowscale: [], supercluster: [] };
    const first = {};
    let sc;
    const rounds = (n >= 1_000_000 ? 3 : 5) + 1; // the first is reported apart: it grows wasm memory
    const fit = Math.min(SCREEN.width, SCREEN.height) / span; // a zoom that shows the whole world
    for (let k = 0; k < rounds; k++) {
      opt.updatePositions(all, xy);
      let t0 = now();
      opt.clusters({ x: 0, y: 0, zoom: fit }, SCREEN);
      const tf = now() - t0;
      t0 = now();
      sc = new Supercluster({ radius: 60, maxZoom: 16, extent: 512 }).load(points);
      const ts = now() - t0;
      if (k === 0) Object.assign(first, { flowscale: tf, supercluster: ts });
      else { builds.flowscale.push(tf); builds.supercluster.push(ts); }
    }
    const bf = median(builds.flowscale), bs = median(builds.supercluster);
    rows.push([fmtInt(n), fmtTime(bf), fmtTime(bs), fmtRatio(bs / bf), `${fmtTime(first.flowscale)} / ${fmtTime(first.supercluster)}`]);
    // Per-frame query at three views: the whole workflow, a quarter of it, a 64th.
    for (const share of [1, 1 / 4, 1 / 64]) {
      const zoom = fit / Math.sqrt(share);
      const w = SCREEN.width / zoom, h = SCREEN.height / zoom;
      const x0 = minX + (span - w) / 2, y0 = minY + (span - h) / 2;
      const vp = { x: -x0 * zoom, y: -y0 * zoom, zoom };
      const fc = opt.clusters(vp, SCREEN);
      // supercluster at the integer zoom whose cluster count is nearest ours.
      const bbox = [toLng(x0), toLat(y0 + h), toLng(x0 + w), toLat(y0)];
      let bestZ = 0, bestCount = -1;
      for (let z = 0; z <= 16; z++) {
        const c = sc.getClusters(bbox, z).length;
        if (bestCount < 0 || Math.abs(c - fc.ids.length) < Math.abs(bestCount - fc.ids.length)) { bestZ = z; bestCount = c; }
      }
      const reps = 50;
      const tq = { flowscale: [], supercluster: [] };
      for (let k = 0; k < 7; k++) {
        let t0 = now();
        for (let r = 0; r < reps; r++) opt.clusters(vp, SCREEN);
        tq.flowscale.push((now() - t0) / reps);
        t0 = now();
        for (let r = 0; r < reps; r++) sc.getClusters(bbox, bestZ);
        tq.supercluster.push((now() - t0) / reps);
      }
      const qf = median(tq.flowscale), qs = median(tq.supercluster);
      queryRows.push([fmtInt(n), share === 1 ? 'all' : `1/${1 / share}`, `${fmtInt(fc.ids.length)} (level ${fc.level})`, fmtTime(qf), `${fmtInt(bestCount)} (zoom ${bestZ})`, fmtTime(qs), fmtRatio(qs / qf)]);
    }
  }
  return `Zoom-level clusters on the n8n workflows tiled to the size shown. Build: flowscale's cluster index with every
level's bundles (as \`setWorkflow\` builds them; timed as the \`clusters()\` call that rebuilds them after a drag
of every node, which is not timed) against supercluster's
\`load\` on the node centres (radius 60, maxZoom 16, extent 512; centres mapped linearly to ±180° × ±80°).
Median of ${quick ? 5 : '5 (3 at 1M)'} builds, interleaved, after a first build of each that is reported apart (last column): for
flowscale the first build also grows the module's memory (fresh pages), for supercluster it grows the JS heap.

${table(['nodes', 'flowscale build', 'supercluster load', 'supercluster ÷ flowscale', 'first build: flowscale / supercluster'], rows)}

Per-frame query: flowscale \`clusters(viewport, size)\` from JavaScript (typed arrays out) against
supercluster \`getClusters(bbox, zoom)\` (GeoJSON objects out) for the same view, at the supercluster zoom whose
cluster count is nearest flowscale's. Views centred on the workflow showing all of it, a quarter, a 64th.
Median per query over 7 batches of 50.

${table(['nodes', 'view', 'flowscale clusters', 'flowscale query', 'supercluster clusters', 'supercluster query', 'supercluster ÷ flowscale'], queryRows)}`;
}

// ---- run -----------------------------------------------------------------

const t0 = now();
const load = os.loadavg()[0].toFixed(1);
if (!only || only === 'layout') writeSection(DOC, 'layout', `${await benchLayout()}`);
if (!only || only === 'communities') writeSection(DOC, 'communities', await benchCommunities());
if (!only || only === 'clusters') writeSection(DOC, 'clusters', await benchClusters());
const intro = `Command: \`npm run bench\` (runs \`node bench/optimize.mjs\` after bench/frame.mjs). Machine: ${machine()}.
Every contender runs in the same Node process. This run took ${fmtTime(now() - t0)}; the load average when it
started was ${load} on ${os.cpus().length} cores (other work on the machine slows every contender alike, but adds noise).`;
if (!only) writeSection(DOC, 'optimize', intro);
console.error(`done in ${fmtTime(now() - t0)}`);
