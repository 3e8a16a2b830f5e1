// toColumns: React Flow objects as the WorkflowColumns every load takes. The
// columns give the frames, the layout and the analysis the objects give;
// their typed arrays transfer; bad input fails as it fails as objects.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as api from './flowscale.mjs';
import { WorkflowOptimizer, layoutWorkflow, optimizeWorkflow, toColumns } from './flowscale.mjs';
import { MATRIX } from './bad-input-matrix.mjs';
import { generate } from './workflows.mjs';
import { throwsCode } from './expect.mjs';

const size = { width: 1920, height: 1080 };
const views = [
  { x: 0, y: 0, zoom: 1 },
  { x: -3000, y: -1500, zoom: 0.4 },
  { x: 100, y: 50, zoom: 0.03 },
];

/** Mounted ids, counts, every node and edge in view, glyphs and bundles, at each view. */
function answers(opt) {
  return views.map((v) => {
    const f = opt.frame(v, size);
    return {
      visible: [...f.visibleIds].sort(),
      lod: [...f.visibleLod],
      stats: { ...f.stats, timeMs: 0 },
      inView: [...f.inView],
      edges: [...f.visibleEdgeIds].sort(),
      mounted: [...f.mountedEdgeIds].sort(),
      glyphs: f.clusters ? [...f.clusters.count] : [],
      bundles: f.clusters ? [...f.clusters.bundles.weight] : [],
    };
  });
}

/** Parents, hidden nodes and types from `generate`, plus every other field toColumns carries. */
function varied(n) {
  const wf = generate(n, { parents: 0.1, hidden: 0.05 });
  wf.nodes.forEach((node, i) => {
    if (i % 7 === 1) node.measured = { width: node.width + 10, height: node.height + 5 };
    if (i % 11 === 2) {
      delete node.width;
      delete node.height;
    }
    if (i % 13 === 3) {
      node.initialWidth = node.width ?? 80;
      delete node.width;
    }
    if (i % 5 === 4) node.selected = true;
    if (i % 9 === 5) Object.assign(node, { sourcePosition: 'right', targetPosition: 'left' });
    if (i % 17 === 6) delete node.type;
  });
  wf.edges.forEach((e, k) => {
    if (k % 6 === 1) e.hidden = true;
    if (k % 8 === 2) e.selected = true;
  });
  return wf;
}

function loaded(workflow) {
  const opt = new WorkflowOptimizer();
  opt.setWorkflow(workflow);
  return opt;
}

test('toColumns: the columns give the frames the objects give, loaded at once or in slices, after a transfer', async () => {
  const wf = varied(8000);
  const want = answers(loaded(wf));
  const cols = toColumns(wf);
  assert.equal(cols.nodes.ids.length, 8000);
  assert.ok(cols.nodes.parent, 'parents are carried');
  assert.deepEqual(answers(loaded(cols)), want);
  const sliced = new WorkflowOptimizer();
  await sliced.setWorkflowAsync(cols, { sliceMs: 2 });
  assert.deepEqual(answers(sliced), want);
  // Every typed array owns its buffer, so all of them can be transferred.
  const arrays = [...Object.values(cols.nodes), ...Object.values(cols.edges)].filter((v) => ArrayBuffer.isView(v));
  assert.ok(arrays.length >= 12);
  for (const a of arrays) assert.equal(a.byteLength, a.buffer.byteLength);
  const moved = structuredClone(cols, { transfer: arrays.map((a) => a.buffer) });
  assert.equal(cols.nodes.x.length, 0, 'transferred, not copied');
  assert.deepEqual(answers(loaded(moved)), want);
  // Ids are the caller's strings; changes find them.
  const opt = loaded(toColumns(wf));
  assert.equal(opt.indexOf(wf.nodes[123].id), 123);
  opt.applyNodeChanges([{ type: 'remove', id: wf.nodes.at(-1).id }]); // (parents come before their children)
  assert.equal(opt.nodeCount, 7999);
});

test('toColumns: layoutWorkflow and optimizeWorkflow take the columns (columns in, columns out)', () => {
  const wf = varied(3000);
  const cols = toColumns(wf);
  const fromObjects = layoutWorkflow(wf, { seed: 3 });
  const fromColumns = layoutWorkflow(cols, { seed: 3 });
  assert.deepEqual(fromColumns.stats, fromObjects.stats);
  assert.deepEqual([...fromColumns.routes.points], [...fromObjects.routes.points]);
  assert.deepEqual([...fromColumns.nodes.x], fromObjects.nodes.map((n) => n.position.x));
  assert.deepEqual([...fromColumns.nodes.y], fromObjects.nodes.map((n) => n.position.y));
  assert.equal(fromColumns.nodes.ids, cols.nodes.ids, 'the other columns come back as they were');
  assert.notEqual(fromColumns.nodes.x, cols.nodes.x, "the caller's x is not written");
  const viewport = { x: -200, y: -100, zoom: 0.5 };
  const a = optimizeWorkflow({ ...wf, viewport, size });
  const b = optimizeWorkflow({ ...cols, viewport, size });
  assert.deepEqual(b.analysis, a.analysis);
  assert.deepEqual(b.recommendations, a.recommendations);
  assert.deepEqual(b.frame.stats.inView, a.frame.stats.inView);
  assert.deepEqual([...b.frame.visibleIds], [...a.frame.visibleIds]);
});

test('toColumns: every bad workflow of the matrix fails as columns as it fails as objects', () => {
  const outcome = (load) => {
    try {
      const opt = new WorkflowOptimizer();
      load(opt);
      return { accepted: opt.nodeCount };
    } catch (e) {
      assert.ok(e instanceof api.FlowscaleError, String(e));
      return { code: e.code, path: e.path };
    }
  };
  let rows = 0;
  for (const row of MATRIX) {
    if (row.capped) continue;
    // The rows that load a workflow: catch it on its way to setWorkflow.
    let workflow, caught = false;
    try {
      row.call(api, { setWorkflow: (w) => { workflow = w; caught = true; } });
    } catch { /* a row about changes, viewports or config */ }
    if (!caught) continue;
    rows++;
    const objects = outcome((opt) => opt.setWorkflow(workflow));
    const columns = outcome((opt) => opt.setWorkflow(toColumns(workflow)));
    assert.deepEqual(columns, objects, row.input);
  }
  assert.ok(rows >= 35, `${rows} rows`);
  // A field that only columns have, checked where they are loaded.
  const cols = toColumns(generate(10));
  throwsCode(() => loaded({ nodes: { ...cols.nodes, widthSource: new Uint8Array(10).fill(7) } }), 'INVALID_WORKFLOW', 'nodes.widthSource');
  throwsCode(() => loaded({ nodes: { ...cols.nodes, width: undefined } }), 'INVALID_WORKFLOW', 'nodes.widthSource');
});
