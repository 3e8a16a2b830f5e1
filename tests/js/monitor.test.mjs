// Monitoring, profiling, operation tracking and the PerformanceManager
// through the package entry in Node (no window, no requestAnimationFrame,
// no IndexedDB: those fields must say so). The browser half is tested in
// Chromium (tests/e2e/monitor.test.mjs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import {
  PerformanceManager, PerformanceMonitor, Profiler, WorkflowOptimizer, activeOperations,
  layoutWorkflow, optimizeWorkflow, track,
} from './flowscale.mjs';
import { generate } from './workflows.mjs';
import { rejects, throwsCode as throwsCodeOf } from './expect.mjs';

const throwsCode = (fn, code, path) => (path === undefined ? throwsCodeOf(fn, code) : throwsCodeOf(fn, code, path));

const busyWait = (ms) => { const end = performance.now() + ms; while (performance.now() < end); };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const byName = (snap, name) => snap.operations.byName.find((o) => o.name === name);

test('profiler: nested spans, self times, hotspots, async spans, memory at edges', async () => {
  const p = new Profiler();
  for (let i = 0; i < 3; i++) {
    p.profile('frame', () => {
      p.begin('layout');
      busyWait(4);
      p.profile('rank', () => busyWait(3));
      p.end('layout');
      p.profile('draw', () => busyWait(2));
    });
  }
  const value = await p.profile('load', async () => {
    p.profile('parse', () => busyWait(2));
    await sleep(20);
    return 42;
  });
  assert.equal(value, 42);
  const r = p.report();
  assert.equal(r.openSpans, 0);
  assert.equal(r.spans, 3 * 4 + 2);
  const frame = r.tree.find((n) => n.name === 'frame');
  assert.equal(frame.count, 3);
  const layout = frame.children.find((n) => n.name === 'layout');
  const rank = layout.children.find((n) => n.name === 'rank');
  assert.ok(layout.totalMs >= 3 * 7, `${layout.totalMs}`);
  assert.ok(Math.abs(layout.selfMs - (layout.totalMs - rank.totalMs)) < 1e-6);
  assert.ok(layout.selfMs >= 3 * 4 - 0.5);
  assert.equal(typeof frame.wasmDeltaBytes, 'number');
  const load = r.tree.find((n) => n.name === 'load');
  assert.ok(load.async);
  assert.ok(load.totalMs >= 19, `async total ${load.totalMs}`);
  assert.ok(load.selfMs < load.totalMs - 15, 'waiting is not self time');
  assert.equal(load.children[0].name, 'parse');
  // Hotspots rank names by self time summed over the call tree (the oracle is the
  // tree itself, so a preempted busy-wait on a loaded machine cannot flip it).
  const selfByName = new Map();
  const walk = (n) => {
    selfByName.set(n.name, (selfByName.get(n.name) ?? 0) + n.selfMs);
    n.children.forEach(walk);
  };
  r.tree.forEach(walk);
  assert.equal(r.hotspots.length, selfByName.size);
  for (let i = 0; i < r.hotspots.length; i++) {
    const h = r.hotspots[i];
    assert.ok(Math.abs(h.selfMs - selfByName.get(h.name)) < 1e-6, h.name);
    if (i > 0) assert.ok(r.hotspots[i - 1].selfMs >= h.selfMs, 'sorted by self time');
  }
  // Errors: unbalanced end, a name that is not the innermost span.
  throwsCode(() => p.end(), 'INVALID_ARGUMENT', 'end');
  p.begin('a');
  throwsCode(() => p.end('b'), 'INVALID_ARGUMENT', 'name');
  p.end('a');
  throwsCode(() => p.begin(5), 'INVALID_ARGUMENT', 'name');
  throwsCode(() => new Profiler({ maxSpan: 1 }), 'INVALID_CONFIG', 'options.maxSpan');
  // A throwing fn still closes its span and rethrows.
  assert.throws(() => p.profile('boom', () => { throw new Error('x'); }), /x/);
  assert.equal(p.depth, 0);
  await assert.rejects(p.profile('reject', () => Promise.reject(new Error('y'))), /y/);
  assert.equal(p.report().openSpans, 0);
});

test('profiler: batches beyond one buffer, Chrome trace parses with ph/ts/dur and nesting', () => {
  const p = new Profiler({ maxSpans: 50_000 });
  const n = 10_000; // several batches of records
  for (let i = 0; i < n; i++) {
    p.begin('outer');
    p.begin('inner');
    p.end();
    p.end();
  }
  const r = p.report();
  assert.equal(r.spans, 2 * n);
  assert.equal(r.tree[0].count, n);
  assert.equal(r.tree[0].children[0].count, n);
  const trace = JSON.parse(p.exportChromeTrace());
  const xs = trace.traceEvents.filter((e) => e.ph === 'X');
  assert.equal(xs.length, 2 * n);
  for (const e of xs.slice(0, 100)) {
    assert.equal(typeof e.ts, 'number');
    assert.ok(e.dur >= 0);
    assert.equal(e.pid, 1);
  }
  // Each inner span lies within the outer one before it.
  for (let i = 0; i < 200; i += 2) {
    const [o, inner] = [xs[i], xs[i + 1]];
    assert.equal(o.name, 'outer');
    assert.equal(inner.name, 'inner');
    assert.ok(inner.ts >= o.ts && inner.ts + inner.dur <= o.ts + o.dur + 1e-3);
  }
  p.reset();
  assert.equal(p.report().spans, 0);
});

test("profiler: the app's own spans, instants and counters join the Chrome trace, a row per track", () => {
  const p = new Profiler();
  p.profile('op', () => busyWait(1));
  const t = performance.now();
  const events = [
    { track: 'react', name: 'flow update', start: t, duration: 2.5, args: { phase: 'update' } },
    { track: 'counters', name: 'fps', start: t + 1, values: { fps: 60 } },
    { track: 'react', name: 'flow mount', start: t + 2, duration: 1 },
    { track: 'marks', name: 'first render', start: t + 3 },
  ];
  const trace = JSON.parse(p.exportChromeTrace({ events }));
  const of = (cat) => trace.traceEvents.filter((e) => e.cat === cat);
  assert.equal(of('flowscale').length, 1, "the profiler's own span");
  const react = of('react');
  assert.deepEqual(react.map((e) => [e.ph, e.name]), [['X', 'flow update'], ['X', 'flow mount']]);
  assert.ok(Math.abs(react[0].ts - t * 1000) < 1e-3, 'microseconds on the same clock');
  assert.equal(react[0].dur, 2500);
  assert.deepEqual(react[0].args, { phase: 'update' });
  assert.deepEqual(of('counters').map((e) => [e.ph, e.args]), [['C', { fps: 60 }]]);
  assert.deepEqual(of('marks').map((e) => [e.ph, e.s]), [['i', 't']]);
  const rows = trace.traceEvents.filter((e) => e.ph === 'M' && e.name === 'thread_name').map((e) => [e.tid, e.args.name]);
  assert.deepEqual(rows, [[1, 'main'], [2, 'react'], [3, 'counters'], [4, 'marks']]);
  assert.equal(react[0].tid, 2);
  // Bad events name their field; nothing is half exported.
  throwsCode(() => p.exportChromeTrace({ events: [events[0], { track: 'a', name: 'b', start: NaN }] }), 'INVALID_ARGUMENT', 'options.events[1].start');
  throwsCode(() => p.exportChromeTrace({ events: [{ track: 'a', name: 'b', start: 1, duration: -1 }] }), 'INVALID_ARGUMENT', 'options.events[0].duration');
  throwsCode(() => p.exportChromeTrace({ events: [{ track: 'a', name: 'b', start: 1, duration: 1, values: { x: 1 } }] }), 'INVALID_ARGUMENT', 'options.events[0].values');
  throwsCode(() => p.exportChromeTrace({ events: [{ track: 'a', start: 1 }] }), 'INVALID_ARGUMENT', 'options.events[0]');
  throwsCode(() => p.exportChromeTrace({ events: {} }), 'INVALID_ARGUMENT', 'options.events');
  throwsCode(() => p.exportChromeTrace({ event: [] }), 'INVALID_ARGUMENT', 'options.event');
  throwsCode(() => p.exportChromeTrace(5), 'INVALID_ARGUMENT', 'options');
  assert.equal(JSON.parse(p.exportChromeTrace({ events: [] })).traceEvents.length, JSON.parse(p.exportChromeTrace()).traceEvents.length);
});

test('profiler and track run in a worker thread (no window)', async () => {
  const src = `
    const { parentPort } = require('node:worker_threads');
    import(${JSON.stringify(new URL('./flowscale.mjs', import.meta.url).href)}).then(({ Profiler, track, PerformanceMonitor }) => {
      const p = new Profiler();
      p.profile('a', () => p.profile('b', () => 1));
      track('worker-op', () => 2);
      const snap = new PerformanceMonitor().snapshot();
      parentPort.postMessage({ tree: p.report().tree[0].children[0].name, trace: JSON.parse(p.exportChromeTrace()).traceEvents.length,
        env: snap.monitoring.environment, op: snap.operations.byName.find((o) => o.name === 'worker-op')?.calls });
    });`;
  const w = new Worker(src, { eval: true });
  const msg = await new Promise((resolve, reject) => { w.once('message', resolve); w.once('error', reject); });
  await w.terminate();
  assert.equal(msg.tree, 'b');
  assert.ok(msg.trace >= 4);
  assert.equal(msg.env, 'node');
  assert.equal(msg.op, 1);
});

test('track: durations, failures, async, in-flight operations; package calls are instrumented', async () => {
  const mon = new PerformanceMonitor();
  assert.equal(track('t.sync', () => { busyWait(3); return 'v'; }), 'v');
  assert.throws(() => track('t.sync', () => { throw new Error('bad'); }), /bad/);
  let seen;
  const p = track('t.async', async () => { seen = activeOperations(); await sleep(5); return 7; });
  assert.equal(await p, 7);
  assert.deepEqual(seen, { count: 1, names: ['t.async'] });
  await assert.rejects(track('t.async', () => Promise.reject(new Error('no'))), /no/);
  throwsCode(() => track('', () => 1), 'INVALID_ARGUMENT', 'name');
  throwsCode(() => track('x', 1), 'INVALID_ARGUMENT', 'fn');
  // The package's own public calls.
  const wf = generate(300, { seed: 3 });
  optimizeWorkflow(wf);
  layoutWorkflow(wf);
  const opt = new WorkflowOptimizer();
  opt.setWorkflow(wf);
  opt.frame({ x: 0, y: 0, zoom: 1 }, { width: 800, height: 600 });
  assert.throws(() => opt.setWorkflow({ nodes: [{ id: 'a' }] }));
  const s = mon.snapshot();
  const sync = byName(s, 't.sync');
  assert.equal(sync.calls, 2);
  assert.equal(sync.errors, 1);
  assert.equal(sync.errorRatePercent, 50);
  assert.ok(sync.maxMs >= 3);
  assert.equal(byName(s, 't.async').calls, 2);
  assert.ok(byName(s, 't.async').meanMs >= 2);
  assert.equal(byName(s, 'optimizeWorkflow').calls, 1);
  assert.equal(byName(s, 'layoutWorkflow').calls, 1);
  const set = byName(s, 'WorkflowOptimizer.setWorkflow');
  assert.equal(set.calls, 2);
  assert.equal(set.errors, 1);
  assert.ok(set.wasmDeltaBytes >= 0);
  assert.equal(set.heapDeltaBytes, null, 'Node has no performance.memory');
  assert.equal(byName(s, 'WorkflowOptimizer.frame'), undefined, 'the per-frame path is not recorded');
  assert.equal(s.operations.active.count, 0);
});

test('monitor in Node: what is unavailable says why; fed frames give FPS; thresholds and reports', () => {
  const mon = new PerformanceMonitor({ monitoringIntervalSeconds: 5 });
  const state = mon.start();
  assert.equal(state.active, true);
  assert.equal(state.intervalSeconds, 5);
  assert.equal(state.environment, 'node');
  let s = mon.snapshot();
  for (const k of ['frames', 'mainThread', 'interactions', 'storage']) {
    assert.equal(s[k].available, false, k);
    assert.ok(s[k].reason.length > 10, `${k}: ${s[k].reason}`);
  }
  assert.equal(s.frames.fps, null);
  assert.equal(s.memory.jsHeap.available, false);
  assert.equal(s.memory.wasm.available, true);
  assert.ok(s.memory.wasm.mb > 0);
  assert.equal(s.memory.source, 'wasm');
  assert.equal(s.memory.partial, true);
  assert.equal(s.memory.gc.available, false);
  // Frames fed by hand (a worker driving its own loop): 30 fps.
  const t0 = performance.now() - 2000;
  for (let i = 0; i <= 60; i++) mon.recordFrame(t0 + i * (1000 / 30));
  s = mon.snapshot();
  assert.ok(Math.abs(s.frames.fps - 30) < 0.01, `${s.frames.fps}`);
  // Thresholds: partial updates, validated.
  assert.equal(mon.setThresholds({ operationMs: 5 }).operationMs, 5);
  assert.equal(mon.thresholds().cpuPercent, 80);
  throwsCode(() => mon.setThresholds({ cpuPercent: 101 }), 'INVALID_CONFIG', 'alertThresholds.cpuPercent');
  throwsCode(() => mon.setThresholds({ cpuPrecent: 1 }), 'INVALID_CONFIG');
  throwsCode(() => mon.start({ intervalSeconds: 0 }), 'INVALID_CONFIG', 'intervalSeconds');
  throwsCode(() => new PerformanceMonitor({ monitoring: { windowSeconds: -1 } }), 'INVALID_CONFIG', 'monitoring.windowSeconds');
  // A slow operation raises one alert (heard by onAlert), de-duplicated, then resolved.
  const heard = [];
  const off = mon.onAlert((a) => heard.push(`${a.change}:${a.key}:${a.severity}`));
  track('slow', () => busyWait(15));
  mon.sample();
  mon.sample();
  assert.deepEqual(heard.filter((h) => h.includes('slow')), ['raised:operation:slow:critical']);
  const active = mon.alerts().active.find((a) => a.key === 'operation:slow');
  assert.ok(active.value >= 15 && active.threshold === 5 && active.occurrences >= 2);
  mon.setThresholds({ operationMs: 10_000 });
  mon.sample();
  assert.deepEqual(heard.filter((h) => h.includes('slow')), ['raised:operation:slow:critical', 'resolved:operation:slow:critical']);
  off();
  // The report: KPIs with verdicts, unavailable ones with reasons.
  const r = mon.report({ windowSeconds: 30 });
  const kpi = Object.fromEntries(r.kpis.map((k) => [k.id, k]));
  assert.equal(kpi.fps.verdict, 'acceptable');
  assert.equal(kpi.fps.lowerBound, false);
  // wasm memory alone is a lower bound of the page's memory: under the target
  // it cannot pass, only say it does not know.
  assert.equal(kpi.memoryMb.verdict, 'inconclusive');
  assert.equal(kpi.memoryMb.lowerBound, true);
  assert.match(kpi.memoryMb.source, /lower bound/);
  assert.match(kpi.memoryMb.reason, /lower bound/);
  assert.equal(kpi.cpuPercent.verdict, 'unavailable');
  assert.ok(kpi.cpuPercent.reason);
  // Nothing fails, but memory cannot pass: the whole is inconclusive, not acceptable.
  assert.equal(r.verdict, 'inconclusive');
  throwsCode(() => mon.report({ windowSeconds: 0 }), 'INVALID_ARGUMENT', 'windowSeconds');
  mon.stop();
  assert.equal(mon.state.active, false);
});

test('PerformanceManager in Node: every endpoint method', async () => {
  const pm = await PerformanceManager.create({ cache: { defaultTtlSeconds: 60 } }, { cacheName: 'node-test' });
  const wf = generate(500, { seed: 5 });
  const opt = await pm.optimizeWorkflow({ ...wf, viewport: { x: 0, y: 0, zoom: 0.5 } });
  assert.equal(opt.analysis.nodes, wf.nodes.filter((n) => !n.hidden).length);
  assert.ok(opt.frame.visibleIds.length > 0);
  assert.ok(opt.timings.totalMs > 0);
  await rejects(pm.optimizeWorkflow({ nodes: [{ id: 'a', position: { x: NaN, y: 0 } }] }), 'NON_FINITE', 'nodes[0].position.x');

  const started = pm.startMonitoring({ intervalSeconds: 0.05 });
  assert.equal(started.active, true);
  assert.equal(started.intervalSeconds, 0.05);
  assert.throws(() => pm.startMonitoring({ intervalSeconds: -1 }), (e) => e.code === 'INVALID_CONFIG');

  // Node has no IndexedDB: memory holds the workflow, the answer says it is not durable.
  const c = await pm.cacheWorkflow('wf-1', { workflowData: wf, ttlSeconds: 120 });
  assert.equal(c.id, 'wf-1');
  assert.match(c.contentHash, /^[0-9a-f]{32}$/);
  assert.equal(c.ttlSeconds, 120);
  assert.equal(c.durable, false);
  assert.match(c.warning, /STORAGE_UNAVAILABLE/);
  const got = await pm.getCachedWorkflow('wf-1');
  assert.equal(got.workflowData, wf);
  assert.equal(got.contentHash, c.contentHash);
  assert.equal(typeof got.cachedAt, 'number');
  assert.equal(await pm.getCachedWorkflow('missing'), null);
  await rejects(pm.cacheWorkflow('wf-2', {}), 'INVALID_ARGUMENT', 'entry.workflowData');
  await rejects(pm.getCachedWorkflow(7), 'INVALID_ARGUMENT', 'id');

  const b = await pm.benchmark({ workflowData: wf, iterations: 3 });
  assert.equal(b.iterations, 3);
  assert.equal(b.nodes, 500);
  assert.deepEqual(b.stages.map((s) => s.stage), ['extract', 'build', 'frame', 'edges', 'analysis', 'recommendations', 'total']);
  for (const s of b.stages) assert.ok(s.minMs <= s.medianMs && s.medianMs <= s.p95Ms && s.p95Ms <= s.maxMs, JSON.stringify(s));
  assert.ok(b.throughput.workflowsPerSecond > 0);
  assert.ok(Math.abs(b.throughput.nodesPerSecond - 500 * b.throughput.workflowsPerSecond) < 1e-6);
  await rejects(pm.benchmark({ workflowData: wf, iterations: 0 }), 'INVALID_ARGUMENT', 'iterations');
  await rejects(pm.benchmark({ iterations: 2 }), 'INVALID_ARGUMENT', 'workflowData');
  await rejects(pm.benchmark({ workflowData: { nodes: [{ id: 1 }] } }), 'INVALID_WORKFLOW');

  await sleep(120);
  const st = pm.status();
  assert.equal(st.monitoring.active, true);
  assert.ok(st.monitoring.samples >= 2);
  assert.equal(st.system.memory.wasm.available, true);
  assert.equal(st.cache.disk.status, 'unavailable');
  assert.ok(st.cache.hits >= 1);
  assert.ok(Array.isArray(st.alerts.active));
  assert.equal(st.thresholds.memoryMb, 1024);
  assert.equal(st.endpoints.length, 6);
  // Every manager call was recorded, failures included.
  const ops = st.system.operations.byName;
  const bench = ops.find((o) => o.name === 'PerformanceManager.benchmark');
  assert.equal(bench.calls, 4);
  assert.equal(bench.errors, 3);
  assert.ok(ops.find((o) => o.name === 'PerformanceManager.optimizeWorkflow').errors === 1);
  assert.ok(pm.monitor instanceof PerformanceMonitor);
  await pm.close();
  assert.equal(pm.status().monitoring.active, false);
  await rejects(PerformanceManager.create({ rendering: { maxVisibleNodes: -1 } }), 'INVALID_CONFIG', 'rendering.maxVisibleNodes');
});

test("PerformanceManager: the service's snake_case request fields, and unknown fields refused", async () => {
  const pm = await PerformanceManager.create({ cache: { defaultTtlSeconds: 60 } }, { cacheName: 'node-snake' });
  const wf = generate(200, { seed: 9 });
  // As the HTTP form writes them: interval_seconds, workflow_data, ttl_seconds.
  assert.equal(pm.startMonitoring({ interval_seconds: 2 }).intervalSeconds, 2);
  const c = await pm.cacheWorkflow('wf', { workflow_data: wf, ttl_seconds: 1 });
  assert.equal(c.ttlSeconds, 1);
  assert.equal((await pm.getCachedWorkflow('wf')).workflowData, wf);
  // ttl_seconds is honoured: gone after a second.
  await sleep(1100);
  assert.equal(await pm.getCachedWorkflow('wf'), null);
  const b = await pm.benchmark({ workflow_data: wf, iterations: 2 });
  assert.equal(b.iterations, 2);
  // A field no endpoint has is an error naming it, never ignored; so is one field spelled twice.
  assert.throws(() => pm.startMonitoring({ interval: 2 }), (e) => e.code === 'INVALID_ARGUMENT' && e.path === 'options.interval');
  await rejects(pm.cacheWorkflow('wf', { workflow_data: wf, ttl: 5 }), 'INVALID_ARGUMENT', 'entry.ttl');
  await rejects(pm.cacheWorkflow('wf', { workflow_data: wf, workflowData: wf }), 'INVALID_ARGUMENT', 'entry.workflowData');
  await rejects(pm.benchmark({ workflow_data: wf, iterations: 2, viewport: {} }), 'INVALID_ARGUMENT', 'viewport');
  await pm.close();
});
