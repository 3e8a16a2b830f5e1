// The optimizer's JS API: layoutWorkflow, optimizeWorkflow, simplifyPolyline
// and the WorkflowOptimizer methods clusters, expandCluster, simplifyEdges,
// groups and analyze — shapes, errors, oracles (brute-force crossings,
// modularity recomputed here, dagre's crossings), real n8n workflows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import dagre from '@dagrejs/dagre';
import { WorkflowOptimizer, layoutWorkflow, optimizeWorkflow, simplifyPolyline } from './flowscale.mjs';
import { countCrossings, countHandleCrossings, generate, handlePoints, layeredDag, loadNodeRed, needN8n, rng, tileN8n } from './workflows.mjs';
import { throwsCode as throwsCodeOf } from './expect.mjs';

// The path is always compared here (undefined included).
const throwsCode = (fn, code, path) => throwsCodeOf(fn, code, path);

const node = (id, x = 0, y = 0, extra = {}) => ({ id, position: { x, y }, width: 100, height: 40, ...extra });
const edge = (id, source, target) => ({ id, source, target });

const sizeOf = (n) => ({ width: n.width ?? 150, height: n.height ?? 40 });
function overlaps(nodes) {
  for (let a = 0; a < nodes.length; a++) {
    for (let b = a + 1; b < nodes.length; b++) {
      const p = nodes[a], q = nodes[b], sp = sizeOf(p), sq = sizeOf(q);
      const ox = Math.min(p.position.x + sp.width, q.position.x + sq.width) - Math.max(p.position.x, q.position.x);
      const oy = Math.min(p.position.y + sp.height, q.position.y + sq.height) - Math.max(p.position.y, q.position.y);
      if (ox > 1e-6 && oy > 1e-6) return [p.id, q.id];
    }
  }
  return null;
}

/** Every pair of straight centre-to-centre segments sharing no node, by orientation tests. */
function bruteCrossings(nodes, edges) {
  const at = new Map(nodes.map((n) => [n.id, [n.position.x + sizeOf(n).width / 2, n.position.y + sizeOf(n).height / 2]]));
  const o = (a, b, c) => Math.sign((b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]));
  const segs = edges.filter((e) => e.source !== e.target && at.get(e.source)[0] !== at.get(e.target)[0]);
  let n = 0;
  for (let i = 0; i < segs.length; i++) {
    for (let j = i + 1; j < segs.length; j++) {
      const s = segs[i], t = segs[j];
      if (s.source === t.source || s.source === t.target || s.target === t.source || s.target === t.target) continue;
      const [p1, p2, q1, q2] = [at.get(s.source), at.get(s.target), at.get(t.source), at.get(t.target)];
      if (o(q1, q2, p1) * o(q1, q2, p2) < 0 && o(p1, p2, q1) * o(p1, p2, q2) < 0) n++;
    }
  }
  return n;
}

test('layoutWorkflow: React Flow nodes in, the same nodes with new positions out', () => {
  const child = node('c', 5, 5, { parentId: 'g' });
  const wf = {
    nodes: [node('a'), node('g', 0, 0, { width: 300, height: 200, type: 'group' }), child, node('b'), node('h', 1, 2, { hidden: true })],
    edges: [edge('e1', 'a', 'c'), edge('e2', 'c', 'b'), edge('e3', 'b', 'a'), edge('loop', 'a', 'a'), edge('dup', 'a', 'c')],
  };
  const r = layoutWorkflow(wf);
  assert.equal(r.nodes.length, 5);
  assert.deepEqual(r.nodes.map((n) => n.id), ['a', 'g', 'c', 'b', 'h']);
  assert.equal(r.nodes[2], child, 'a child keeps its object and relative position');
  assert.equal(r.nodes[4], wf.nodes[4], 'a hidden node stays');
  assert.notEqual(r.nodes[0], wf.nodes[0], 'moved nodes are copies');
  assert.equal(wf.nodes[0].position.x, 0, 'the input is not mutated');
  assert.equal(r.nodes[1].type, 'group');
  assert.equal(overlaps(r.nodes.filter((n) => !n.parentId && !n.hidden)), null);
  const x = (id) => r.nodes.find((n) => n.id === id).position.x;
  assert.ok(x('a') + 100 <= x('g') && x('g') + 300 <= x('b'), 'left to right along the edges');
  assert.equal(r.routes.offsets.length, 6);
  assert.ok(r.routes.points instanceof Float64Array);
  assert.equal(r.routes.offsets[4], r.routes.offsets[3], 'a self-loop has no route');
  assert.deepEqual([...r.reversed], [0, 0, 1, 0, 0]);
  assert.equal(r.stats.reversedEdges, 1);
  assert.equal(r.stats.selfLoops, 1);
  // TB puts targets below.
  const tb = layoutWorkflow({ nodes: [node('a'), node('b')], edges: [edge('e', 'a', 'b')] }, { direction: 'TB' });
  assert.ok(tb.nodes[0].position.y + 40 <= tb.nodes[1].position.y);
  assert.equal(tb.nodes[0].position.x, tb.nodes[1].position.x);
});

test('layoutWorkflow: edge cases give results, bad input and options throw', () => {
  assert.deepEqual(layoutWorkflow({ nodes: [] }).nodes, []);
  assert.deepEqual(layoutWorkflow({ nodes: [node('a', 7, 7)] }).nodes[0].position, { x: 0, y: 0 });
  const pieces = layoutWorkflow({ nodes: ['a', 'b', 'c', 'd'].map((id) => node(id)), edges: [edge('1', 'a', 'b'), edge('2', 'c', 'd'), edge('3', 'c', 'd')] });
  assert.equal(pieces.stats.components, 2);
  assert.equal(overlaps(pieces.nodes), null);
  throwsCode(() => layoutWorkflow({ nodes: [node('a', NaN)] }), 'NON_FINITE', 'nodes[0].position.x');
  throwsCode(() => layoutWorkflow({ nodes: [node('a')], edges: [edge('e', 'a', 'z')] }), 'DANGLING_EDGE', 'edges[0].target');
  throwsCode(() => layoutWorkflow({ nodes: [node('a'), node('a')] }), 'DUPLICATE_ID', 'nodes[1].id');
  throwsCode(() => layoutWorkflow(null), 'INVALID_WORKFLOW', undefined);
  throwsCode(() => layoutWorkflow({ nodes: [] }, { direction: 'XY' }), 'INVALID_CONFIG', 'options.direction');
  throwsCode(() => layoutWorkflow({ nodes: [] }, { nodeSpacing: -1 }), 'INVALID_CONFIG', 'options.nodeSpacing');
  throwsCode(() => layoutWorkflow({ nodes: [] }, { colour: 'red' }), 'INVALID_CONFIG', 'options.colour');
  throwsCode(() => layoutWorkflow({ nodes: [] }, { onProgress: 3 }), 'INVALID_CONFIG', 'options.onProgress');
  throwsCode(() => layoutWorkflow({ nodes: [] }, 'LR'), 'INVALID_CONFIG', 'options');
  throwsCode(() => layoutWorkflow({ nodes: [node('a')] }, { onProgress: () => { throw new Error('stop'); } }), 'INVALID_CONFIG', 'options.onProgress');
  const tricky = { nodes: [node('a')], get edges() { throw new Error('getter'); } };
  throwsCode(() => layoutWorkflow(tricky), 'INVALID_WORKFLOW', 'workflow');
});

test('layoutWorkflow: progress reaches done, the same seed gives the same layout', () => {
  const wf = layeredDag(600, { seed: 3 });
  const events = [];
  const a = layoutWorkflow(wf, { onProgress: (stage, f) => events.push([stage, f]) });
  assert.ok(events.length >= 3);
  assert.deepEqual(events.at(-1), ['done', 1]);
  assert.ok(events.every(([, f], i) => i === 0 || f >= events[i - 1][1]), 'fractions never go back');
  const b = layoutWorkflow(wf);
  assert.deepEqual(a.nodes.map((n) => n.position), b.nodes.map((n) => n.position));
  assert.equal(overlaps(a.nodes), null);
  for (const e of wf.edges) {
    const s = a.nodes[Number(e.source.slice(1))], t = a.nodes[Number(e.target.slice(1))];
    assert.ok(t.position.x >= s.position.x + s.width, `${e.id} points right`);
  }
});

test('crossings: the counter equals brute force; flowscale crosses no more than dagre', () => {
  const r = rng(11);
  for (let k = 0; k < 40; k++) {
    const n = 3 + Math.floor(r() * 25);
    const nodes = Array.from({ length: n }, (_, i) => node(`n${i}`, r() * 900, r() * 600));
    const edges = Array.from({ length: Math.floor(r() * 50) }, (_, j) => edge(`e${j}`, `n${Math.floor(r() * n)}`, `n${Math.floor(r() * n)}`));
    assert.equal(countCrossings(nodes, edges, (i) => nodes[i].position, (i) => sizeOf(nodes[i])), bruteCrossings(nodes, edges));
  }
  let ours = 0, theirs = 0;
  for (let seed = 1; seed <= 6; seed++) {
    const wf = layeredDag(120, { seed });
    const laid = layoutWorkflow(wf).nodes;
    ours += bruteCrossings(laid, wf.edges);
    const g = new dagre.graphlib.Graph({ multigraph: true });
    g.setGraph({ rankdir: 'LR', nodesep: 40, ranksep: 80, edgesep: 10 });
    g.setDefaultEdgeLabel(() => ({}));
    for (const n of wf.nodes) g.setNode(n.id, { width: n.width, height: n.height });
    for (const e of wf.edges) g.setEdge(e.source, e.target, {}, e.id);
    dagre.layout(g);
    theirs += bruteCrossings(wf.nodes.map((n) => { const d = g.node(n.id); return { ...n, position: { x: d.x - n.width / 2, y: d.y - n.height / 2 } }; }), wf.edges);
  }
  assert.ok(ours <= theirs, `flowscale ${ours} vs dagre ${theirs}`);
});

test('real n8n workflows: laid out without overlap', (t) => {
  const all = needN8n(t);
  if (!all) return;
  for (const wf of all.slice(0, 300)) {
    const laid = layoutWorkflow(wf).nodes;
    assert.equal(overlaps(laid), null, wf.id);
  }
});

test('real Node-RED flows: laid out without overlap, fewer crossings than their authors at centres and handles', () => {
  const all = loadNodeRed();
  assert.ok(all.length >= 50);
  const count = { ours: [0, 0], authors: [0, 0] };
  for (const wf of all) {
    const laid = layoutWorkflow(wf).nodes;
    assert.equal(overlaps(laid), null, wf.id);
    for (const [k, ns] of [['ours', laid], ['authors', wf.nodes]]) {
      count[k][0] += countCrossings(wf.nodes, wf.edges, (i) => ns[i].position, (i) => sizeOf(wf.nodes[i]));
      count[k][1] += countHandleCrossings(wf.nodes, wf.edges, (i) => ns[i].position, (i) => sizeOf(wf.nodes[i]));
    }
  }
  assert.ok(count.ours[0] <= count.authors[0], `centres: ${count.ours[0]} vs ${count.authors[0]}`);
  assert.ok(count.ours[1] <= count.authors[1], `handles: ${count.ours[1]} vs ${count.authors[1]}`);
});

test('layoutWorkflow: edges leave in the order of their handles; bad handles throw', () => {
  // a's edges are listed to b, c, d but leave from out-2, out-0, out-1 (natural order: out-10 after out-2).
  const nodes = ['a', 'b', 'c', 'd'].map((id) => node(id));
  const edges = [
    { ...edge('ab', 'a', 'b'), sourceHandle: 'out-10' },
    { ...edge('ac', 'a', 'c'), sourceHandle: 'out-0' },
    { ...edge('ad', 'a', 'd'), sourceHandle: 'out-2' },
  ];
  const y = (r) => Object.fromEntries(r.nodes.map((n) => [n.id, n.position.y]));
  let at = y(layoutWorkflow({ nodes, edges }));
  assert.ok(at.c < at.d && at.d < at.b, JSON.stringify(at));
  // Without handle ids, the listed order.
  at = y(layoutWorkflow({ nodes, edges: edges.map(({ sourceHandle, ...e }) => e) }));
  assert.ok(at.b < at.c && at.c < at.d, JSON.stringify(at));
  // React Flow 12 `handles` (positions relative to the node) win over the ids' order.
  const handles = [['out-10', 2], ['out-0', 30], ['out-2', 20]].map(([id, hy]) => ({ id, type: 'source', position: 'right', x: 95, y: hy, width: 10, height: 10 }));
  at = y(layoutWorkflow({ nodes: [{ ...nodes[0], handles }, ...nodes.slice(1)], edges }));
  assert.ok(at.b < at.d && at.d < at.c, JSON.stringify(at));
  // The benchmark's handle points: listed handles' centres, else ids spread down the side.
  const pts = handlePoints(nodes, edges, (i) => nodes[i].position, (i) => sizeOf(nodes[i]));
  assert.deepEqual(pts.map((p) => p[0][1]), [30, 10, 20]);
  const bad = (h, e = edges) => ({ nodes: [{ ...nodes[0], handles: h }, ...nodes.slice(1)], edges: e });
  throwsCode(() => layoutWorkflow(bad(handles.slice(1))), 'UNKNOWN_ID', 'edges[0].sourceHandle');
  throwsCode(() => layoutWorkflow(bad('left')), 'INVALID_WORKFLOW', 'nodes[0].handles');
  throwsCode(() => layoutWorkflow(bad([{ ...handles[0], type: 'in' }])), 'INVALID_WORKFLOW', 'nodes[0].handles[0].type');
  throwsCode(() => layoutWorkflow(bad([{ ...handles[0], x: '1' }])), 'INVALID_WORKFLOW', 'nodes[0].handles[0].x');
  throwsCode(() => layoutWorkflow(bad([{ ...handles[0], y: NaN }])), 'NON_FINITE', 'nodes[0].handles[0].y');
  throwsCode(() => layoutWorkflow(bad([{ ...handles[0], id: 3 }])), 'INVALID_WORKFLOW', 'nodes[0].handles[0].id');
  throwsCode(() => layoutWorkflow({ nodes, edges: [{ ...edges[0], targetHandle: 7 }] }), 'INVALID_WORKFLOW', 'edges[0].targetHandle');
  // A null handle id takes the node's first handle of that type; a dangling edge is still DANGLING_EDGE.
  assert.equal(overlaps(layoutWorkflow(bad(handles, [edge('e', 'a', 'b')])).nodes), null);
  throwsCode(() => layoutWorkflow(bad(handles, [{ ...edges[0], target: 'zz' }])), 'DANGLING_EDGE', 'edges[0].target');
});

test('layoutWorkflow runs in a worker thread', async () => {
  const src = `
    const { parentPort } = require('node:worker_threads');
    import(${JSON.stringify(new URL('./flowscale.mjs', import.meta.url).href)}).then(({ layoutWorkflow }) => {
      const r = layoutWorkflow({ nodes: [{ id: 'a', position: { x: 0, y: 0 } }, { id: 'b', position: { x: 0, y: 0 } }], edges: [{ id: 'e', source: 'a', target: 'b' }] });
      parentPort.postMessage(r.nodes.map((n) => n.position.x));
    });`;
  const w = new Worker(src, { eval: true });
  const msg = await new Promise((resolve, reject) => { w.once('message', resolve); w.once('error', reject); });
  assert.deepEqual(msg, [0, 230]);
  await w.terminate();
});

test('frame clusters below clustering.maxZoom, as typed arrays; expandCluster', (t) => {
  if (!needN8n(t)) return;
  const wf = tileN8n(5000);
  const opt = new WorkflowOptimizer();
  opt.setWorkflow(wf);
  const size = { width: 1920, height: 1080 };
  assert.equal(opt.frame({ x: 0, y: 0, zoom: 1 }, size).clusters, undefined);
  const f = opt.frame({ x: 0, y: 0, zoom: 0.02 }, size);
  const c = f.clusters;
  assert.ok(c.ids instanceof Uint32Array && c.bounds instanceof Float64Array && c.rect instanceof Float64Array);
  assert.equal(c.bounds.length, 4 * c.ids.length);
  assert.equal(c.rect.length, 4 * c.ids.length);
  assert.equal(c.center.length, 2 * c.ids.length);
  assert.equal(c.typeIds.length, 3 * c.ids.length);
  assert.equal(c.count.reduce((a, b) => a + b, 0), c.members);
  assert.equal(f.complete, false, 'zoomed out, the frame does not list members');
  assert.equal(f.inView.length, f.stats.inView, 'inView (computed on read) has every node in view');
  assert.ok(c.ids.length > 0 && c.ids.length < f.inView.length / 3);
  // Bundles: typed arrays, weights are edge counts.
  const b = c.bundles;
  assert.ok(b.weight instanceof Uint32Array && b.kind instanceof Uint8Array && b.segment instanceof Float64Array);
  assert.equal(b.segment.length, 4 * b.weight.length);
  assert.ok(b.weight.length > 0 && b.weight.every((w) => w >= 1));
  const names = opt.typeNames();
  assert.equal(names[0], 'default');
  assert.ok(c.typeIds[0] < names.length);
  // Expanding gives the members: their ids are the caller's, their count the cluster's.
  const ex = opt.expandCluster(c.ids[0]);
  assert.equal(ex.ids.length, c.count[0]);
  assert.deepEqual(ex.ids, [...ex.indices].map((i) => opt.idOf(i)));
  assert.ok(ex.expansionZoom > 0.02 && ex.expansionZoom <= 0.25);
  // A glyph's members are not mounted: the glyph stands for them.
  const mounted = new Set(f.visibleIds);
  assert.ok(ex.ids.every((id) => !mounted.has(id)));
  throwsCode(() => opt.expandCluster(123456789), 'UNKNOWN_ID', 'id');
  throwsCode(() => opt.expandCluster(-1), 'UNKNOWN_ID', 'id');
  throwsCode(() => opt.expandCluster(NaN), 'UNKNOWN_ID', 'id');
  // clusters() answers at any zoom; a drag reaches them.
  const at = opt.clusters({ x: 0, y: 0, zoom: 0.02 }, size);
  assert.deepEqual([...at.ids].sort(), [...c.ids].sort());
  throwsCode(() => opt.clusters({ x: 0, y: 0 }, size), 'INVALID_VIEWPORT', 'viewport.zoom');
  const moved = ex.indices[0];
  opt.updatePositions(new Uint32Array([moved]), new Float32Array([-5e6, -5e6]));
  const after = opt.frame({ x: 0, y: 0, zoom: 0.02 }, size).clusters;
  assert.equal(after.count.reduce((a, b) => a + b, 0), after.members);
  const off = new WorkflowOptimizer({ clustering: { maxZoom: 0 } });
  off.setWorkflow(wf);
  assert.equal(off.frame({ x: 0, y: 0, zoom: 0.02 }, size).clusters, undefined);
  throwsCode(() => new WorkflowOptimizer({ clustering: { radiusPx: 0 } }), 'INVALID_CONFIG', 'clustering.radiusPx');
});

test('simplifyEdges: edges between mounted nodes kept, the rest accounted for', () => {
  const wf = generate(3000, { seed: 4, edgesPerNode: 2 });
  wf.edges.push(edge('p1', 'n1', 'n2'), edge('p2', 'n1', 'n2'), edge('p3', 'n1', 'n2'));
  const opt = new WorkflowOptimizer();
  opt.setWorkflow(wf);
  assert.equal(opt.simplifyEdges().counts.total, 0, 'no frame yet');
  for (const zoom of [1, 0.2, 0.01]) {
    const f = opt.frame({ x: 0, y: 0, zoom }, { width: 1600, height: 900 });
    const s = opt.simplifyEdges();
    const c = s.counts;
    assert.equal(c.total, f.visibleEdgeIds.length);
    assert.equal(c.total, c.kept + c.subPixel + c.insideCluster + c.parallel + c.betweenClusters);
    assert.equal(s.bundles.weight.reduce((a, b) => a + b, 0), c.parallel + c.betweenClusters);
    const mounted = new Set(f.visibleIds);
    const kept = new Set(s.keptIds);
    const byId = new Map(wf.edges.map((e) => [e.id, e]));
    for (const id of f.visibleEdgeIds) {
      const e = byId.get(id);
      if (mounted.has(e.source) && mounted.has(e.target)) assert.ok(kept.has(id), `${id} between mounted nodes`);
    }
    assert.ok(s.keptIds.every((id) => f.visibleEdgeIds.includes(id)));
    assert.equal(s.bundles.segment.length, 4 * s.bundles.source.length);
  }
});

test('groups: modularity recomputed here matches, boxes cover their members', (t) => {
  if (!needN8n(t)) return;
  const wf = tileN8n(2000);
  const opt = new WorkflowOptimizer();
  opt.setWorkflow(wf);
  const g = opt.groups();
  assert.equal(g.groupOf.length, wf.nodes.length);
  assert.equal(g.boxes.length, 4 * g.count);
  assert.equal(g.sizes.reduce((a, b) => a + b, 0), wf.nodes.length);
  // Q = Σ_c [L_c / m − (K_c / 2m)²] over undirected edges, parallel ones adding up.
  const index = new Map(wf.nodes.map((n, i) => [n.id, i]));
  const m = wf.edges.length;
  const inside = new Float64Array(g.count), degree = new Float64Array(g.count);
  for (const e of wf.edges) {
    const a = g.groupOf[index.get(e.source)], b = g.groupOf[index.get(e.target)];
    degree[a] += 1;
    degree[b] += 1;
    if (a === b) inside[a] += 1;
  }
  let q = 0;
  for (let c = 0; c < g.count; c++) q += inside[c] / m - (degree[c] / (2 * m)) ** 2;
  assert.ok(Math.abs(q - g.modularity) < 1e-9, `${q} vs ${g.modularity}`);
  for (let i = 0; i < wf.nodes.length; i++) {
    const n = wf.nodes[i], k = g.groupOf[i];
    assert.ok(n.position.x >= g.boxes[4 * k] && n.position.x + n.width <= g.boxes[4 * k] + g.boxes[4 * k + 2]);
  }
});

// Plain React Flow's settings: every rule whose remedy is a setting can fire.
const NOTHING_ON = {
  rendering: { virtualScrolling: false, lodThresholdLow: 0, lodThresholdMedium: 0 },
  clustering: { maxZoom: 0 },
  edges: { mergeParallel: false, aggregateClusters: false },
};

test('analyze: metrics and rule-based recommendations at the thresholds', () => {
  const grid = (n) => ({ nodes: Array.from({ length: n }, (_, i) => node(`n${i}`, (i % 40) * 200, Math.floor(i / 40) * 100)), edges: [] });
  const ids = (n) => { const o = new WorkflowOptimizer(NOTHING_ON); o.setWorkflow(grid(n)); return o.analyze().recommendations.map((r) => r.id); };
  assert.ok(!ids(499).includes('level-of-detail'));
  assert.ok(ids(500).includes('level-of-detail'));
  assert.ok(!ids(999).includes('virtual-scrolling'));
  const o = new WorkflowOptimizer(NOTHING_ON);
  o.setWorkflow(grid(1000));
  const { analysis, recommendations } = o.analyze();
  assert.equal(analysis.nodes, 1000);
  const vs = recommendations.find((r) => r.id === 'virtual-scrolling');
  assert.deepEqual([vs.metric, vs.value, vs.threshold, vs.severity], ['nodes', 1000, 1000, 'warning']);
  assert.ok(vs.message.length > 20);
  assert.deepEqual(vs.remedy, { kind: 'config', patch: { rendering: { virtualScrolling: true } } });
  // Its remedy applied, the rule is quiet; with the defaults (everything on) it never fires.
  o.setConfig(vs.remedy.patch);
  assert.ok(!o.analyze().recommendations.some((r) => r.id === 'virtual-scrolling'));
  const defaults = new WorkflowOptimizer();
  defaults.setWorkflow(grid(1000));
  assert.deepEqual(defaults.analyze().recommendations.filter((r) => r.remedy.kind === 'config'), []);
  const custom = new WorkflowOptimizer({ ...NOTHING_ON, analysis: { virtualScrollingNodes: 2000 } });
  custom.setWorkflow(grid(1000));
  assert.ok(!custom.analyze().recommendations.some((r) => r.id === 'virtual-scrolling'));
  // Crossings as counted here.
  const tangle = { nodes: [node('a', 0, 0), node('b', 400, 300), node('c', 0, 300), node('d', 400, 0)], edges: [edge('1', 'a', 'b'), edge('2', 'c', 'd')] };
  o.setWorkflow(tangle);
  assert.equal(o.analyze().analysis.crossings, bruteCrossings(tangle.nodes, tangle.edges));
});

test('optimizeWorkflow: frame, clusters, simplified edges, analysis, recommendations, timings', (t) => {
  if (!needN8n(t)) return;
  const wf = tileN8n(3000);
  const r = optimizeWorkflow(wf, NOTHING_ON);
  assert.ok(r.viewport.zoom > 0, 'the view is fitted');
  assert.equal(r.frame.inView.length, 3000, 'the fitted view shows every node');
  assert.ok(r.clusters === null || r.clusters.ids instanceof Uint32Array);
  assert.equal(r.analysis.nodes, 3000);
  assert.ok(r.recommendations.some((x) => x.id === 'virtual-scrolling'));
  assert.ok(!optimizeWorkflow(wf).recommendations.some((x) => x.id === 'virtual-scrolling'), 'on by default: not recommended');
  assert.equal(r.edges.counts.total, r.frame.visibleEdgeIds.length);
  for (const k of ['extractMs', 'buildMs', 'frameMs', 'edgesMs', 'analysisMs', 'recommendationsMs', 'totalMs']) assert.ok(r.timings[k] >= 0, k);
  const at = optimizeWorkflow({ ...wf, viewport: { x: 0, y: 0, zoom: 1 }, size: { width: 800, height: 600 } });
  assert.deepEqual(at.viewport, { x: 0, y: 0, zoom: 1 });
  assert.equal(at.clusters, null);
  assert.ok(at.frame.inView.length < 3000);
  throwsCode(() => optimizeWorkflow({ ...wf, viewport: { x: 0, y: 0, zoom: 0 } }), 'INVALID_VIEWPORT', 'viewport.zoom');
  throwsCode(() => optimizeWorkflow({ ...wf, viewport: { x: 0, y: 0, zoom: 'far' } }), 'INVALID_VIEWPORT', 'viewport.zoom');
  throwsCode(() => optimizeWorkflow({ ...wf, size: { width: 0, height: 10 } }), 'INVALID_VIEWPORT', 'size.width');
  throwsCode(() => optimizeWorkflow({ nodes: [node('a'), node('a')] }), 'DUPLICATE_ID', 'nodes[1].id');
  throwsCode(() => optimizeWorkflow({ nodes: [] }, { edges: { minLengthPx: -1 } }), 'INVALID_CONFIG', 'edges.minLengthPx');
  const empty = optimizeWorkflow({ nodes: [] });
  assert.equal(empty.analysis.nodes, 0);
  assert.deepEqual(empty.recommendations, []);
});

test('simplifyPolyline: Douglas–Peucker with checked input', () => {
  assert.deepEqual([...simplifyPolyline([0, 0, 1, 0.01, 2, 0, 2, 3], 0.1)], [0, 0, 2, 0, 2, 3]);
  assert.deepEqual([...simplifyPolyline(new Float64Array([0, 0, 5, 5]), 1)], [0, 0, 5, 5]);
  throwsCode(() => simplifyPolyline([0, 'x'], 1), 'INVALID_WORKFLOW', 'points[1]');
  throwsCode(() => simplifyPolyline([0, Infinity], 1), 'NON_FINITE', 'points[1]');
  throwsCode(() => simplifyPolyline([0, 0], -1), 'INVALID_CONFIG', 'tolerance');
  throwsCode(() => simplifyPolyline('0,0', 1), 'INVALID_WORKFLOW', 'points');
});
