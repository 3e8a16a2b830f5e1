// The JS API as a user meets it through the package entry: errors, windowing,
// React Flow change objects, config, and running without `window`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { Config, WorkflowOptimizer } from './flowscale.mjs';
import { generate, rng } from './workflows.mjs';
import { throwsCode as throwsCodeOf } from './expect.mjs';

/** Every error here also explains itself in a sentence. */
const throwsCode = (fn, code, path) => assert.ok(throwsCodeOf(fn, code, path).message.length > 10);

const size = { width: 1000, height: 800 };
const node = (id, x, y, extra = {}) => ({ id, position: { x, y }, width: 100, height: 40, ...extra });

// The bad-input matrix (codes, paths, previous state kept) is tests/js/matrix.test.mjs.

test('accepted edge cases: empty, one node, -0, self-loops, cycles, odd ids', () => {
  const opt = new WorkflowOptimizer();
  opt.setWorkflow({ nodes: [] });
  const empty = opt.frame({ x: 0, y: 0, zoom: 1 }, size);
  assert.equal(empty.inView.length, 0);
  assert.equal(empty.stats.culledPercent, 0);
  const ids = ['__proto__', 'constructor', '<img src=x onerror=alert(1)>', 'x'.repeat(10000), '😀', '', 'nul\u0000inside', '[json'];
  opt.setWorkflow({
    nodes: ids.map((id, i) => node(id, i * 120, -0)),
    edges: [
      { id: 'loop', source: '😀', target: '😀' },
      { id: 'c1', source: '__proto__', target: 'constructor' },
      { id: 'c2', source: 'constructor', target: '__proto__' },
    ],
  });
  const f = opt.frame({ x: 0, y: 0, zoom: 1 }, size);
  assert.deepEqual(new Set(f.visibleIds), new Set(ids));
  assert.deepEqual(new Set(f.visibleEdgeIds), new Set(['loop', 'c1', 'c2']));
  assert.equal(opt.indexOf('__proto__'), 0);
  assert.equal(opt.indexOf('toString'), undefined);
  assert.equal(opt.indexOf(12), undefined);
});

test('input whose getters throw is rejected and the optimizer stays usable', () => {
  const opt = new WorkflowOptimizer();
  opt.setWorkflow({ nodes: [node('a', 0, 0)] });
  const trap = { id: 'x', get position() { throw new Error('boom'); } };
  throwsCode(() => opt.setWorkflow({ nodes: [trap] }), 'INVALID_WORKFLOW', 'workflow');
  const viewport = new Proxy({}, { get() { throw new Error('no'); } });
  throwsCode(() => opt.frame(viewport, size), 'INVALID_VIEWPORT', 'viewport');
  throwsCode(() => opt.applyNodeChanges([{ type: 'add', item: trap }]), 'INVALID_WORKFLOW', 'changes');
  // Not left borrowed or half-updated: the next calls work.
  assert.deepEqual(opt.frame({ x: 0, y: 0, zoom: 1 }, size).visibleIds, ['a']);
  opt.setWorkflow({ nodes: [node('b', 0, 0)] });
  assert.equal(opt.nodeCount, 1);
});

test('the node cap is enforced (LIMIT_EXCEEDED) on set and on add', () => {
  const opt = new WorkflowOptimizer({ workflow: { maxNodes: 3 } });
  throwsCode(() => opt.setWorkflow({ nodes: [0, 1, 2, 3].map((i) => node(`n${i}`, i, 0)) }), 'LIMIT_EXCEEDED', 'nodes');
  opt.setWorkflow({ nodes: [0, 1, 2].map((i) => node(`n${i}`, i, 0)) });
  throwsCode(() => opt.applyNodeChanges([{ type: 'add', item: node('n3', 0, 0) }]), 'LIMIT_EXCEEDED', 'changes[0]');
  opt.applyNodeChanges([{ type: 'remove', id: 'n0' }, { type: 'add', item: node('n3', 0, 0) }]);
  assert.equal(opt.nodeCount, 3);
});

test('windowing: at most maxVisibleNodes, entered/left as the view pans', () => {
  const wf = generate(5000, { seed: 5, parents: 0, hidden: 0 });
  const opt = new WorkflowOptimizer({ rendering: { maxVisibleNodes: 50 } });
  opt.setWorkflow(wf);
  let mounted = new Set();
  for (let step = 0; step < 60; step++) {
    const vp = { x: -step * 137, y: -step * 41, zoom: 1 };
    const f = opt.frame(vp, size);
    assert.ok(f.visibleIds.length <= 50);
    for (const id of f.left) assert.ok(mounted.has(id), `left ${id} was not mounted`);
    for (const id of f.entered) assert.ok(!mounted.has(id), `entered ${id} was mounted`);
    for (const id of f.left) mounted.delete(id);
    for (const id of f.entered) mounted.add(id);
    assert.deepEqual(mounted, new Set(f.visibleIds));
    // LOD and mounting agree for every node in view.
    const visible = new Set(f.visibleIds);
    f.inView.forEach((i, k) => assert.equal(f.lod[k] <= 1, visible.has(opt.idOf(i))));
  }
  // Zoomed far out every node is low detail: nothing is mounted.
  const far = opt.frame({ x: 0, y: 0, zoom: 0.02 }, size);
  assert.equal(far.visibleIds.length, 0);
  assert.equal(far.stats.lodCounts.low, far.inView.length);
});

test('setConfig: a live config change without re-indexing; entered/left stay exact; refusals change nothing', () => {
  const wf = generate(5000, { seed: 7, parents: 0, hidden: 0 });
  const opt = new WorkflowOptimizer({ rendering: { maxVisibleNodes: 400 } });
  opt.setWorkflow(wf);
  const vp = { x: -2000, y: -1000, zoom: 1 };
  const before = opt.frame(vp, size);
  let mounted = new Set(before.visibleIds);
  assert.ok(mounted.size > 20, `${mounted.size} mounted`);
  // Shrinking the window: the next frame mounts at most 20, and reports the rest as left.
  const resolved = opt.setConfig({ rendering: { maxVisibleNodes: 20 } });
  assert.equal(resolved.rendering.maxVisibleNodes, 20);
  assert.equal(resolved.rendering.lodThresholdLow, Config.defaults().rendering.lodThresholdLow, 'the rest kept');
  assert.deepEqual(opt.config(), resolved);
  const after = opt.frame(vp, size);
  assert.ok(after.visibleIds.length <= 20);
  for (const id of after.left) mounted.delete(id);
  for (const id of after.entered) mounted.add(id);
  assert.deepEqual(mounted, new Set(after.visibleIds), 'entered/left across the change');
  // The same frames as an optimizer built with that config (after a view that mounts nothing).
  const fresh = new WorkflowOptimizer(resolved);
  fresh.setWorkflow(wf);
  for (const o of [opt, fresh]) o.frame({ x: 1e9, y: 1e9, zoom: 1 }, size);
  for (const v of [vp, { x: 0, y: 0, zoom: 0.05 }, { x: -500, y: -300, zoom: 0.4 }]) {
    const [a, b] = [opt.frame(v, size), fresh.frame(v, size)];
    assert.deepEqual([...a.visibleIds].sort(), [...b.visibleIds].sort());
    assert.deepEqual(a.stats.lodCounts, b.stats.lodCounts);
    assert.deepEqual(a.clusters?.count, b.clusters?.count);
    // Zoomed out, both draw glyphs: the comparison above sees clusters, not two undefineds.
    if (v.zoom < 0.25) assert.ok(a.clusters?.count.length > 0 && b.clusters?.count.length > 0, 'glyphs at zoom 0.05');
  }
  // Refused: a bad value, an unknown key, a limit under the workflow, not an object.
  const cfg = opt.config();
  throwsCode(() => opt.setConfig({ rendering: { maxVisibleNodes: -1 } }), 'INVALID_CONFIG', 'rendering.maxVisibleNodes');
  throwsCode(() => opt.setConfig({ rendering: { lodTresholdLow: 0.2 } }), 'INVALID_CONFIG', 'rendering.lodTresholdLow');
  throwsCode(() => opt.setConfig({ workflow: { maxNodes: 10 } }), 'LIMIT_EXCEEDED', 'workflow.maxNodes');
  throwsCode(() => opt.setConfig(null), 'INVALID_CONFIG');
  throwsCode(() => opt.setConfig([1]), 'INVALID_CONFIG');
  assert.deepEqual(opt.config(), cfg);
});

test('setConfig while setWorkflowAsync runs: the workflow section waits for the load, the rest applies', async () => {
  const wf = generate(5000, { seed: 8, parents: 0, hidden: 0 });
  const opt = new WorkflowOptimizer();
  const load = opt.setWorkflowAsync(wf, { sliceMs: 1 });
  // The load fixed its limits and default sizes when it started: a smaller maxNodes now would be skipped.
  throwsCode(() => opt.setConfig({ workflow: { maxNodes: 100 } }), 'INVALID_CONFIG', 'workflow');
  assert.equal(opt.setConfig({ rendering: { maxVisibleNodes: 30 } }).rendering.maxVisibleNodes, 30);
  await load;
  assert.equal(opt.nodeCount, 5000);
  assert.ok(opt.frame({ x: 0, y: 0, zoom: 1 }, size).visibleIds.length <= 30);
  throwsCode(() => opt.setConfig({ workflow: { maxNodes: 100 } }), 'LIMIT_EXCEEDED', 'workflow.maxNodes');
});

test('React Flow NodeChange objects: drag, select, dimensions, replace, add/remove', () => {
  const opt = new WorkflowOptimizer();
  opt.setWorkflow({ nodes: [node('a', 0, 0), node('b', 200, 0), node('child', 10, 10, { parentId: 'b' })] });
  opt.frame({ x: 0, y: 0, zoom: 1 }, size);
  opt.applyNodeChanges([
    { type: 'position', id: 'b', position: { x: 5000, y: 0 }, positionAbsolute: { x: 5000, y: 0 }, dragging: true },
    { type: 'select', id: 'a', selected: true },
    { type: 'dimensions', id: 'a', dimensions: { width: 120, height: 50 }, resizing: false, setAttributes: true },
  ]);
  // b is being dragged off screen: it stays mounted; its child moved with it and leaves.
  let f = opt.frame({ x: 0, y: 0, zoom: 1 }, size);
  assert.deepEqual(new Set(f.visibleIds), new Set(['a', 'b']));
  assert.deepEqual(f.left, ['child']);
  opt.applyNodeChanges([{ type: 'position', id: 'b', dragging: false }]);
  f = opt.frame({ x: 0, y: 0, zoom: 1 }, size);
  assert.deepEqual(f.left, ['b']);
  opt.applyNodeChanges([{ type: 'replace', id: 'a', item: node('a', 0, 0, { hidden: true }) }]);
  assert.deepEqual(opt.frame({ x: 0, y: 0, zoom: 1 }, size).left, ['a']);
  // Removing a parent without its child is refused; with it, fine.
  throwsCode(() => opt.applyNodeChanges([{ type: 'remove', id: 'b' }]), 'DANGLING_PARENT', 'changes[0]');
  opt.applyNodeChanges([{ type: 'remove', id: 'b' }, { type: 'remove', id: 'child' }]);
  assert.equal(opt.nodeCount, 1);
  throwsCode(() => opt.applyNodeChanges([{ type: 'position', id: 'a', position: { x: 'left', y: 0 } }]), 'INVALID_WORKFLOW', 'changes[0].position');
  throwsCode(() => opt.applyNodeChanges('nope'), 'INVALID_WORKFLOW', 'changes');
});

test('edge changes keep visibleEdgeIds current', () => {
  const opt = new WorkflowOptimizer();
  opt.setWorkflow({ nodes: [node('a', 0, 0), node('b', 300, 0)], edges: [] });
  opt.applyEdgeChanges([{ type: 'add', item: { id: 'e1', source: 'a', target: 'b' } }]);
  assert.deepEqual(opt.frame({ x: 0, y: 0, zoom: 1 }, size).visibleEdgeIds, ['e1']);
  throwsCode(() => opt.applyEdgeChanges([{ type: 'add', item: { id: 'e2', source: 'a', target: 'zz' } }]), 'DANGLING_EDGE', 'changes[0].item.target');
  opt.applyEdgeChanges([{ type: 'remove', id: 'e1' }]);
  assert.deepEqual(opt.frame({ x: 0, y: 0, zoom: 1 }, size).visibleEdgeIds, []);
});

test('bad viewports throw INVALID_VIEWPORT with the field', () => {
  const opt = new WorkflowOptimizer();
  opt.setWorkflow({ nodes: [node('a', 0, 0)] });
  throwsCode(() => opt.frame({ x: NaN, y: 0, zoom: 1 }, size), 'INVALID_VIEWPORT', 'viewport.x');
  throwsCode(() => opt.frame({ x: 0, y: 0, zoom: -2 }, size), 'INVALID_VIEWPORT', 'viewport.zoom');
  throwsCode(() => opt.frame({ x: 0, y: 0, zoom: Infinity }, size), 'INVALID_VIEWPORT', 'viewport.zoom');
  throwsCode(() => opt.frame({ x: 0, y: 0, zoom: 1 }, { width: 100, height: 0 }), 'INVALID_VIEWPORT', 'size.height');
  throwsCode(() => opt.frame({ x: 0, y: 0, zoom: 1 }), 'INVALID_VIEWPORT', 'size');
  throwsCode(() => opt.updatePositions([0], new Float32Array([1, 2])), 'INVALID_WORKFLOW', 'indices');
  throwsCode(() => opt.updatePositions(new Uint32Array([0]), new Float32Array([NaN, 2])), 'NON_FINITE', 'xy[0]');
  throwsCode(() => opt.updatePositions(new Uint32Array([0]), new Float32Array([1])), 'INVALID_WORKFLOW', 'xy');
});

test('Config: defaults, fromEnv, unknown keys', () => {
  const d = Config.defaults();
  assert.equal(d.rendering.maxVisibleNodes, 1000);
  assert.equal(d.cache.defaultTtlSeconds, 300);
  const c = Config.fromEnv({ ...process.env, RENDERING_LOD_THRESHOLD_LOW: '0.2', CACHE_MEMORY_MAX_SIZE: '10' });
  assert.equal(c.rendering.lodThresholdLow, 0.2);
  assert.equal(c.cache.memoryMaxEntries, 10);
  throwsCode(() => Config.fromEnv({ CACHE_TYPO: '1' }), 'INVALID_CONFIG', 'CACHE_TYPO');
  throwsCode(() => new WorkflowOptimizer({ renderin: {} }), 'INVALID_CONFIG', 'renderin');
  throwsCode(() => new WorkflowOptimizer({ rendering: { maxVisibleNodes: -1 } }), 'INVALID_CONFIG', 'rendering.maxVisibleNodes');
  assert.equal(Config.resolve({ rendering: { overscanPx: 0 } }).rendering.overscanPx, 0);
});

test('runs in a worker thread (no window, no DOM)', async () => {
  const src = `
    const { parentPort } = require('node:worker_threads');
    import(${JSON.stringify(new URL('./flowscale.mjs', import.meta.url).href)}).then(({ WorkflowOptimizer }) => {
      const opt = new WorkflowOptimizer();
      opt.setWorkflow({ nodes: [{ id: 'a', position: { x: 0, y: 0 } }] });
      parentPort.postMessage(opt.frame({ x: 0, y: 0, zoom: 1 }, { width: 10, height: 10 }).visibleIds);
    });`;
  const w = new Worker(src, { eval: true });
  const msg = await new Promise((resolve, reject) => { w.once('message', resolve); w.once('error', reject); });
  assert.deepEqual(msg, ['a']);
  await w.terminate();
});

test('edgesOf: a node\'s edges as a scan of the edges finds them, through adds and removals', () => {
  const random = rng(11);
  const nodes = Array.from({ length: 60 }, (_, i) => node(`n${i}`, (i % 10) * 150, Math.floor(i / 10) * 80));
  let edges = Array.from({ length: 150 }, (_, k) => ({ id: `e${k}`, source: `n${Math.floor(random() * 60)}`, target: `n${Math.floor(random() * 60)}` }));
  const opt = new WorkflowOptimizer();
  opt.setWorkflow({ nodes, edges });
  const brute = (id) => edges.filter((e) => e.source === id || e.target === id).map((e) => e.id).sort();
  let next = 150;
  let loops = 0;
  for (let step = 0; step < 40; step++) {
    // Remove a few edges, add a few (self-loops and parallels among them).
    const gone = new Set(edges.filter(() => random() < 0.05).map((e) => e.id));
    const added = Array.from({ length: 4 }, () => ({ id: `e${next++}`, source: `n${Math.floor(random() * 60)}`, target: `n${Math.floor(random() * 60)}` }));
    opt.applyEdgeChanges([...[...gone].map((id) => ({ type: 'remove', id })), ...added.map((item) => ({ type: 'add', item }))]);
    edges = [...edges.filter((e) => !gone.has(e.id)), ...added];
    loops += added.filter((e) => e.source === e.target).length;
    for (const n of nodes) assert.deepEqual([...opt.edgesOf(n.id)].sort(), brute(n.id), `${n.id} after step ${step}`);
  }
  assert.ok(loops > 0 && edges.length > new Set(edges.map((e) => `${e.source}>${e.target}`)).size, 'self-loops and parallel edges were among them');
  assert.deepEqual(opt.edgesOf('no such node'), []);
  assert.deepEqual(opt.edgesOf(42), []);
});
