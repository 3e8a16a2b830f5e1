// Recovery from a wasm trap, on the package's web build in Node. The traps
// are real: the module executes `unreachable` (wasm-bindgen's allocator
// export aborts on an impossible size, as a release build does) while one of
// its exports is on the stack, through the clock the module reads at the
// start of every frame. Nothing in the shipped module exists for the test.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { register } from 'node:module';

// The React adapter imports the package by its name: here, the web build the tests initialise.
const web = new URL('../../pkg/web/index.js', import.meta.url).href;
register(
  'data:text/javascript,' +
    encodeURIComponent(`export async function resolve(s, c, next) { return next(s === 'flowscale' ? ${JSON.stringify(web)} : s, c); }`),
);
const flowscale = await import('./flowscale.mjs');
const { WorkflowOptimizer, Renderer, WorkflowCache, PerformanceMonitor, FlowscaleError, onTrap, initSync, activeOperations } = flowscale;
const { FlowscaleController } = await import('../../pkg/react/controller.js');

/**
 * The next `performance.now()` traps the module: the wasm-bindgen allocator of
 * the instance in use now, asked for 4 GiB − 16 bytes, aborts (`unreachable`).
 */
function trapOnNextClockRead() {
  const real = performance.now;
  performance.now = function () {
    performance.now = real;
    initSync().__wbindgen_malloc(0xfffffff0, 1);
  };
}

const isTrap = (e) => e instanceof WebAssembly.RuntimeError;
const isReset = (e) => e instanceof FlowscaleError && e.code === 'MODULE_RESET';

const workflow = {
  nodes: [
    { id: 'a', position: { x: 10, y: 10 }, width: 100, height: 50, data: {} },
    { id: 'b', position: { x: 300, y: 10 }, width: 100, height: 50, data: {} },
    { id: 'far', position: { x: 9000, y: 9000 }, width: 100, height: 50, data: {} },
  ],
  edges: [{ id: 'e', source: 'a', target: 'b' }],
};
const view = { x: 0, y: 0, zoom: 1 };
const pane = { width: 800, height: 600 };
/** What a frame shows, as plain data. */
const shown = (f) => ({ visibleIds: f.visibleIds, lod: [...f.lod], edges: f.visibleEdgeIds, stats: { inView: f.stats.inView, mounted: f.stats.mounted } });

test('a trap mid-frame: reported once, the module replaced, old objects MODULE_RESET, a new optimizer draws the same frame', () => {
  const traps = [];
  const off = onTrap((t) => traps.push(t));
  const opt = new WorkflowOptimizer();
  opt.setWorkflow(workflow);
  const before = shown(opt.frame(view, pane));
  const lazy = opt.frame(view, pane); // its inView, lod and visibleEdgeIds are read on demand
  const raw = initSync();

  trapOnNextClockRead();
  assert.throws(() => opt.frame(view, pane), isTrap, 'the trap reaches the caller');
  assert.equal(traps.length, 1, 'reported once');
  assert.equal(traps[0].operation, 'WorkflowOptimizer.frame');
  assert.ok(isTrap(traps[0].error));
  assert.equal(traps[0].reset, true);
  assert.notEqual(initSync(), raw, 'a new instance');

  // Everything made before the trap fails cleanly, without touching the new instance's memory.
  assert.throws(() => opt.frame(view, pane), isReset);
  assert.throws(() => opt.setWorkflow(workflow), isReset);
  assert.throws(() => opt.bounds(), isReset);
  assert.throws(() => lazy.inView, isReset);
  opt.free(); // a no-op: its pointer means nothing in the new memory
  assert.equal(traps.length, 1, 'stale objects are not traps');

  const fresh = new WorkflowOptimizer();
  fresh.setWorkflow(workflow);
  assert.deepEqual(shown(fresh.frame(view, pane)), before, 'the same frame as before the trap');
  // A stale argument: MODULE_RESET, not a use of the old pointer.
  assert.throws(() => Renderer.create(undefined, opt), isReset);
  fresh.free();
  off();
});

test('a trap that rejects a returned promise (setWorkflowAsync) is reported once and recovered from', async () => {
  const traps = [];
  const off = onTrap((t) => traps.push(t));
  const opt = new WorkflowOptimizer();
  const big = {
    nodes: Array.from({ length: 5000 }, (_, i) => ({ id: `n${i}`, position: { x: (i % 100) * 200, y: Math.floor(i / 100) * 100 }, width: 150, height: 40, data: {} })),
    edges: [],
  };
  const loading = opt.setWorkflowAsync(big, { sliceMs: 1 });
  trapOnNextClockRead();
  await assert.rejects(loading, isTrap);
  assert.equal(traps.length, 1);
  assert.match(traps[0].operation, /^WorkflowOptimizer\./);
  assert.equal(traps[0].reset, true);
  assert.throws(() => opt.frame(view, pane), isReset);
  const fresh = new WorkflowOptimizer();
  await fresh.setWorkflowAsync(big);
  assert.ok(fresh.frame(view, pane).stats.inView > 0);
  fresh.free();
  off();
});

test('after a trap the cache re-opens, the monitor raises a wasmTrap alert and keeps sampling, tracking goes on', async () => {
  const cache = await WorkflowCache.open({ diskMaxMb: 0, name: 'trap-test' });
  await cache.set('kept', { v: 1 });
  const monitor = new PerformanceMonitor();
  monitor.setThresholds({ cpuPercent: 70 });
  monitor.start({ intervalSeconds: 60 });
  const alerts = [];
  monitor.onAlert((a) => alerts.push(a));
  const opt = new WorkflowOptimizer();
  opt.setWorkflow(workflow);

  trapOnNextClockRead();
  assert.throws(() => opt.frame(view, pane), isTrap);
  const trapAlerts = alerts.filter((a) => a.key === 'wasmTrap');
  assert.equal(trapAlerts.length, 1, 'one alert per trap');
  assert.equal(trapAlerts[0].severity, 'critical');
  assert.match(trapAlerts[0].message, /WorkflowOptimizer\.frame/);
  assert.ok(monitor.alerts().history.some((a) => a.key === 'wasmTrap'));
  // A fresh core: same thresholds, still sampling.
  assert.equal(monitor.thresholds().cpuPercent, 70);
  assert.equal(monitor.state.active, true);
  const samples = monitor.state.samples;
  monitor.sample();
  assert.equal(monitor.state.samples, samples + 1, 'the new core samples');

  // The cache's core was in the old instance: it re-opens (Node has no IndexedDB, so its memory tier starts empty).
  await cache.ready();
  assert.equal(await cache.get('kept'), undefined);
  await cache.set('after', 2);
  assert.equal(cache.getSync('after'), 2);
  assert.equal(cache.stats().memory.entries, 1);

  // Operation tracking registers its names again in the new instance.
  const fresh = new WorkflowOptimizer();
  fresh.setWorkflow(workflow);
  assert.equal(activeOperations().count, 0);
  monitor.sample();
  const ops = monitor.snapshot().operations.byName;
  assert.ok(ops.some((o) => o.name === 'WorkflowOptimizer.setWorkflow' && o.calls > 0), ops.map((o) => o.name).join(', '));
  monitor.stop();
  await cache.close();
  fresh.free();
});

test('FlowscaleController rebuilds its optimizer from the arrays after a trap: the next frame mounts the same nodes', async () => {
  const errors = [];
  const c = new FlowscaleController({ onError: (e) => errors.push(e) });
  c.follow(workflow.nodes, workflow.edges);
  c.retain();
  c.setView(view, pane.width, pane.height);
  const mountedBefore = c.getMounted().nodes.map((n) => n.id);
  assert.deepEqual(mountedBefore, ['a', 'b']);
  const generation = c.optimizerGeneration;

  trapOnNextClockRead();
  c.setView({ ...view, x: -1 }, pane.width, pane.height); // its frame traps
  await new Promise((r) => setTimeout(r, 0));
  assert.equal(c.optimizerGeneration, generation + 1, 'a new optimizer');
  assert.deepEqual(c.getMounted().nodes.map((n) => n.id), mountedBefore);
  assert.equal(c.upToDate, true);
  c.setView(view, pane.width, pane.height);
  assert.deepEqual(c.getMounted().nodes.map((n) => n.id), mountedBefore, 'the next frame works');
  assert.deepEqual(errors, [], 'a trap is not the arrays\' fault');
  c.release();
});
