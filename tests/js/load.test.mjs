// setWorkflowAsync and columns: a load spread over many short tasks builds
// exactly what setWorkflow builds, from React Flow objects or from columns;
// an abort, a newer load or a bad node leaves the previous workflow in place.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WorkflowOptimizer } from './flowscale.mjs';
import { needN8n, tileN8n } from './workflows.mjs';
import { rejects, throwsCode } from './expect.mjs';

const size = { width: 1920, height: 1080 };
const SIDES = { top: 0, right: 1, bottom: 2, left: 3 };
const views = [
  { x: 0, y: 0, zoom: 1 },
  { x: -2000, y: -500, zoom: 0.3 },
  { x: 100, y: 50, zoom: 0.05 },
  { x: 400, y: 300, zoom: 0.004 },
];

/** What a user sees of frames at the views: mounted ids, counts, glyphs, bundles, and every node in view. */
function answers(opt) {
  return views.map((v) => {
    const f = opt.frame(v, size);
    return {
      visible: [...f.visibleIds].sort(),
      stats: { ...f.stats, timeMs: 0 },
      inView: [...f.inView].sort((a, b) => a - b),
      edges: [...f.visibleEdgeIds].sort(),
      glyphs: f.clusters ? [...f.clusters.count] : [],
      bundles: f.clusters ? [...f.clusters.bundles.weight] : [],
    };
  });
}

/** The n8n workflows tiled to `n` nodes, as columns. */
function columns(wf) {
  const types = [...new Set(wf.nodes.map((n) => n.type ?? 'default'))];
  const typeOf = new Map(types.map((t, i) => [t, i]));
  const index = new Map(wf.nodes.map((n, i) => [n.id, i]));
  const nodes = {
    ids: wf.nodes.map((n) => n.id),
    x: Float64Array.from(wf.nodes, (n) => n.position.x),
    y: Float64Array.from(wf.nodes, (n) => n.position.y),
    width: Float64Array.from(wf.nodes, (n) => n.width ?? 150),
    height: Float64Array.from(wf.nodes, (n) => n.height ?? 40),
    types,
    type: Uint32Array.from(wf.nodes, (n) => typeOf.get(n.type ?? 'default')),
    sourcePosition: Uint8Array.from(wf.nodes, (n) => SIDES[n.sourcePosition ?? 'bottom']),
    targetPosition: Uint8Array.from(wf.nodes, (n) => SIDES[n.targetPosition ?? 'top']),
  };
  const edges = {
    ids: wf.edges.map((e) => e.id),
    source: Uint32Array.from(wf.edges, (e) => index.get(e.source)),
    target: Uint32Array.from(wf.edges, (e) => index.get(e.target)),
  };
  return { nodes, edges };
}

test('setWorkflowAsync builds what setWorkflow builds, in many slices, with progress', async (t) => {
  if (!needN8n(t)) return;
  const wf = tileN8n(20000);
  const whole = new WorkflowOptimizer();
  whole.setWorkflow(wf);
  const sliced = new WorkflowOptimizer();
  const progress = [];
  await sliced.setWorkflowAsync(wf, { sliceMs: 1, onProgress: (p) => progress.push(p) });
  assert.deepEqual(answers(sliced), answers(whole));
  assert.ok(progress.length > 20, `${progress.length} progress reports`);
  for (let i = 1; i < progress.length; i++) assert.ok(progress[i].fraction >= progress[i - 1].fraction, 'progress goes forward');
  assert.deepEqual(progress.at(-1), { phase: 'done', fraction: 1 });
  assert.ok(progress.some((p) => p.phase === 'index'));
  // Ids are the caller's, and changes find them.
  assert.equal(sliced.indexOf(wf.nodes[123].id), 123);
  sliced.applyNodeChanges([{ type: 'remove', id: wf.nodes[5].id }]);
  assert.equal(sliced.nodeCount, 19999);
});

test('columns load like React Flow objects, sync and async', async (t) => {
  if (!needN8n(t)) return;
  const wf = tileN8n(5000);
  const objects = new WorkflowOptimizer();
  objects.setWorkflow(wf);
  const cols = columns(wf);
  const sync = new WorkflowOptimizer();
  sync.setWorkflow(cols);
  const async_ = new WorkflowOptimizer();
  await async_.setWorkflowAsync(cols, { sliceMs: 2 });
  const want = answers(objects);
  assert.deepEqual(answers(sync), want);
  assert.deepEqual(answers(async_), want);
  // The caller's id array is not changed by later edits.
  sync.applyNodeChanges([{ type: 'remove', id: cols.nodes.ids[0] }]);
  assert.equal(cols.nodes.ids[0], wf.nodes[0].id);
  // Bad columns: a clear error at the field, the previous workflow kept.
  throwsCode(() => sync.setWorkflow({ nodes: { ...cols.nodes, x: [1, 2] } }), 'INVALID_WORKFLOW', 'nodes.x');
  throwsCode(() => sync.setWorkflow({ nodes: { ...cols.nodes, x: cols.nodes.x.subarray(1) } }), 'INVALID_WORKFLOW', 'nodes.x');
  throwsCode(() => sync.setWorkflow({ nodes: { ...cols.nodes, sourcePosition: new Uint8Array(cols.nodes.ids.length).fill(7) } }), 'INVALID_WORKFLOW', 'nodes.sourcePosition');
  throwsCode(() => sync.setWorkflow({ nodes: { ...cols.nodes, type: new Uint32Array(cols.nodes.ids.length).fill(9999) } }), 'INVALID_WORKFLOW', 'nodes.type[0]');
  const nan = Float64Array.from(cols.nodes.x);
  nan[42] = NaN;
  throwsCode(() => sync.setWorkflow({ nodes: { ...cols.nodes, x: nan } }), 'NON_FINITE', 'nodes[42].position.x');
  const far = Uint32Array.from(cols.edges.target);
  far[3] = 1e9;
  throwsCode(() => sync.setWorkflow({ nodes: cols.nodes, edges: { ...cols.edges, target: far } }), 'DANGLING_EDGE', 'edges[3].target');
  throwsCode(() => sync.setWorkflow({ nodes: { ...cols.nodes, ids: cols.nodes.ids.map((_, i) => (i === 9 ? cols.nodes.ids[1] : cols.nodes.ids[i])) } }), 'DUPLICATE_ID', 'nodes[9].id');
  assert.equal(sync.nodeCount, 4999);
});

test('an abort, a newer load or a bad node leaves the previous workflow in place', async (t) => {
  if (!needN8n(t)) return;
  const before = tileN8n(2000);
  const next = tileN8n(30000);
  const opt = new WorkflowOptimizer();
  opt.setWorkflow(before);
  const want = answers(opt);

  // Aborted half way (frames keep working on the previous workflow meanwhile).
  const ctrl = new AbortController();
  let reports = 0;
  const p = opt.setWorkflowAsync(next, {
    signal: ctrl.signal,
    sliceMs: 1,
    onProgress: () => {
      if (++reports === 10) ctrl.abort();
    },
  });
  assert.equal(opt.frame(views[0], size).stats.total, 2000, 'the previous workflow serves frames during the load');
  await rejects(p, 'ABORTED');
  assert.deepEqual(answers(opt), want);
  await rejects(opt.setWorkflowAsync(next, { signal: AbortSignal.abort() }), 'ABORTED');

  // A newer load on the same optimizer wins.
  const first = opt.setWorkflowAsync(next, { sliceMs: 1 });
  const second = opt.setWorkflowAsync(before, { sliceMs: 1 });
  await rejects(first, 'ABORTED');
  await second;
  assert.deepEqual(answers(opt), want);

  // A bad node far into the input: its error, its path, nothing changed.
  const bad = tileN8n(30000);
  bad.nodes[25000] = { ...bad.nodes[25000], position: { x: Infinity, y: 0 } };
  await rejects(opt.setWorkflowAsync(bad, { sliceMs: 1 }), 'NON_FINITE', 'nodes[25000].position.x');
  const dup = tileN8n(30000);
  dup.edges.push({ ...dup.edges[0] });
  await rejects(opt.setWorkflowAsync(dup, { sliceMs: 1 }), 'DUPLICATE_ID', `edges[${dup.edges.length - 1}].id`);
  assert.deepEqual(answers(opt), want);

  // Bad options.
  await rejects(opt.setWorkflowAsync(before, { sliceMs: -1 }), 'INVALID_ARGUMENT', 'options.sliceMs');
  await rejects(opt.setWorkflowAsync(before, { onProgress: 3 }), 'INVALID_ARGUMENT', 'options.onProgress');
  await rejects(opt.setWorkflowAsync(before, { signal: {} }), 'INVALID_ARGUMENT', 'options.signal');
  await rejects(opt.setWorkflowAsync(null), 'INVALID_WORKFLOW');
});

test('frame lists on demand: lazy inView equals the eager list; stale after an edit', (t) => {
  if (!needN8n(t)) return;
  const wf = tileN8n(20000);
  const opt = new WorkflowOptimizer();
  const eager = new WorkflowOptimizer({ clustering: { maxZoom: 0 } });
  opt.setWorkflow(wf);
  eager.setWorkflow(wf);
  for (const v of views) {
    const f = opt.frame(v, size);
    const e = eager.frame(v, size);
    assert.equal(e.complete, true);
    assert.equal(f.complete, v.zoom >= 0.25);
    assert.deepEqual(new Set(f.inView), new Set(e.inView), `inView at zoom ${v.zoom}`);
    assert.deepEqual(new Set(f.visibleEdgeIds), new Set(e.visibleEdgeIds), `edges at zoom ${v.zoom}`);
    assert.equal(f.stats.inView, f.inView.length);
    assert.equal(f.visibleLod.length, f.visibleIds.length);
    const mounted = new Set(f.visibleIds);
    f.inView.forEach((i, k) => assert.equal(f.lod[k] <= 1, mounted.has(opt.idOf(i))));
    assert.deepEqual(opt.frameDetail().inView, f.inView);
  }
  const f = opt.frame(views[3], size);
  opt.frame(views[2], size);
  throwsCode(() => f.inView, 'STALE_FRAME');
  const g = opt.frame(views[3], size);
  opt.updatePositions(new Uint32Array([0]), new Float32Array([5, 5]));
  throwsCode(() => g.inView, 'STALE_FRAME');
  throwsCode(() => opt.frameDetail(), 'STALE_FRAME');
});
