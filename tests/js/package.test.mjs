// The package's manifest and entries as Node resolves them: every export
// target exists, `import 'flowscale'` works in Node with nothing to set up
// (the `node` condition), the subpaths give the root's own classes, and the
// wasm classes the JS classes wrap are not exported.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';

const pkg = new URL('../../pkg/', import.meta.url);
const meta = JSON.parse(readFileSync(new URL('package.json', pkg), 'utf8'));
const INTERNAL = ['CacheCore', 'MonitorCore', 'ProfilerCore', '__wbg_reset_state'];

/** Every file a condition of `exports` names. */
function targets(entry) {
  return typeof entry === 'string' ? [entry] : Object.values(entry).flatMap(targets);
}

test('every export target, main and types exist', () => {
  const files = [meta.main, meta.module, meta.types, ...Object.values(meta.exports).flatMap(targets)];
  for (const f of files) assert.ok(existsSync(new URL(f, pkg)), `${f} is missing`);
  assert.equal(meta.name, 'flowscale');
  assert.ok(meta.exports['.'].webpack && meta.exports['.'].node && meta.exports['.'].import, 'root conditions');
  for (const sub of ['./web', './cache', './monitor', './flowscale_bg.wasm']) assert.ok(meta.exports[sub], sub);
});

test("Node: import 'flowscale' runs a frame with no init call", async () => {
  // The `node` condition, imported by path (the repository does not install the package by name).
  const flowscale = await import(new URL('node.js', pkg));
  const opt = new flowscale.WorkflowOptimizer();
  opt.setWorkflow({ nodes: [{ id: 'a', position: { x: 10, y: 10 }, data: {}, width: 100, height: 50 }], edges: [] });
  assert.equal(opt.frame({ x: 0, y: 0, zoom: 1 }, { width: 800, height: 600 }).stats.inView, 1);
  assert.throws(() => opt.setWorkflow({ nodes: [{ id: 'a', position: { x: Infinity, y: 0 }, data: {} }], edges: [] }), (e) => e instanceof flowscale.FlowscaleError && e.code === 'NON_FINITE');
  for (const name of INTERNAL) assert.equal(name in flowscale, false, `${name} is internal`);
  for (const name of ['WorkflowCache', 'PerformanceMonitor', 'Profiler', 'toColumns', 'layoutWorkflow', 'optimizeWorkflow', 'Renderer', 'Config']) assert.ok(name in flowscale, `${name} exported`);
});

test('the subpaths give the root entry\'s classes (one wasm instance)', async () => {
  const root = await import(new URL('node.js', pkg));
  // cache.js and monitor.js import 'flowscale' by name: Node resolves the package's own name from inside it.
  const cache = await import(new URL('cache.js', pkg));
  const monitor = await import(new URL('monitor.js', pkg));
  assert.equal(cache.WorkflowCache, root.WorkflowCache);
  assert.equal(monitor.PerformanceMonitor, root.PerformanceMonitor);
  assert.equal(monitor.Profiler, root.Profiler);
  assert.equal(monitor.track, root.track);
});

test('neither build\'s entry re-exports the internal wasm classes', () => {
  for (const entry of ['index.js', 'web/index.js']) {
    const js = readFileSync(new URL(entry, pkg), 'utf8');
    // Re-exported as they are, or guarded against wasm traps (`export const { … } = guarded`).
    const exported = [...js.matchAll(/export (?:const )?\{([^}]*)\} (?:from '\.\/flowscale\.js'|= guarded)/g)].flatMap((m) => m[1].split(',').map((s) => s.trim()));
    assert.ok(exported.includes('WorkflowOptimizer'), `${entry} exports WorkflowOptimizer`);
    for (const name of INTERNAL) assert.equal(exported.includes(name), false, `${entry} exports ${name}`);
    assert.doesNotMatch(js, /export \* from/, `${entry} re-exports everything`);
  }
});
