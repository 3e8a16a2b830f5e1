// WorkflowCache's JS API in Node (memory tier; Node has no IndexedDB, so the
// disk tier is off or reports STORAGE_UNAVAILABLE): values by reference,
// LRU, TTL, tags, cache-aside load sharing, TinyLFU, bad input, stats.
// The disk tier is tested in Chromium (tests/e2e/cache.test.mjs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WorkflowCache, FlowscaleError, workflowContentHash } from './flowscale.mjs';
import { rejects } from './expect.mjs';

const open = (o = {}) => WorkflowCache.open({ diskMaxMb: 0, ...o });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

test('values come back by reference; LRU by entries and by bytes', async () => {
  const c = await open({ memoryMaxEntries: 3 });
  const v = { nodes: [] };
  await c.set('a', v);
  assert.equal(c.getSync('a'), v);
  assert.equal(await c.get('a'), v);
  for (const k of ['b', 'c']) await c.set(k, k);
  c.getSync('a');
  await c.set('d', 'd');
  assert.equal(c.getSync('b'), undefined);
  assert.deepEqual(['a', 'c', 'd'].map((k) => c.getSync(k) !== undefined), [true, true, true]);
  const b = await open({ memoryMaxMb: 1 });
  for (let i = 0; i < 5; i++) await b.set(`k${i}`, i, { sizeBytes: 300_000 });
  const s = b.stats().memory;
  assert.equal(s.entries, 3);
  assert.ok(s.bytes <= s.maxBytes);
  assert.equal(s.evictions, 2);
  // Bigger than the whole memory tier: not held, the rest untouched.
  await b.set('huge', 1, { sizeBytes: 2 << 20 });
  assert.equal(b.getSync('huge'), undefined);
  assert.equal(b.stats().memory.entries, 3);
});

test('TTL, tags, prefixes, clear', async () => {
  const c = await open();
  await c.set('short', 1, { ttlSeconds: 0.05 });
  await c.set('never', 2, { ttlSeconds: Infinity, tags: ['x'] });
  await c.set('wf:1', 3, { tags: ['x', 'y'] });
  await c.set('wf:2', 4);
  await sleep(80);
  assert.equal(c.getSync('short'), undefined);
  assert.equal(c.stats().memory.expirations, 1);
  assert.equal(await c.invalidateTag('y'), 1);
  assert.equal(await c.invalidatePrefix('wf:'), 1);
  assert.equal(c.getSync('never'), 2);
  await c.invalidate('never');
  assert.equal(c.getSync('never'), undefined);
  await c.set('z', 1);
  await c.clear();
  assert.equal(c.stats().memory.entries, 0);
});

test('getOrLoad: concurrent calls share one load; failures and invalidations are not cached', async () => {
  const c = await open();
  let calls = 0;
  const slow = async (k) => { calls++; await sleep(20); return `${k}!`; };
  const all = await Promise.all([c.getOrLoad('a', slow), c.getOrLoad('a', slow), c.getOrLoad('a', slow)]);
  assert.deepEqual(all, ['a!', 'a!', 'a!']);
  assert.equal(calls, 1);
  assert.equal(c.getSync('a'), 'a!');
  assert.equal(await c.getOrLoad('a', slow), 'a!');
  assert.equal(calls, 1);

  const boom = new Error('backend down');
  const failing = [c.getOrLoad('b', async () => { await sleep(5); throw boom; }), c.getOrLoad('b', () => 'unused')];
  for (const p of failing) assert.equal(await p.catch((e) => e), boom);
  assert.equal(c.getSync('b'), undefined);
  assert.equal(await c.getOrLoad('b', () => { throw boom; }).catch((e) => e), boom);
  assert.equal(await c.getOrLoad('b', () => 7), 7, 'a sync loader');

  // Invalidated while loading: the caller gets the value, the cache does not keep it.
  const p = c.getOrLoad('c', async () => { await sleep(20); return 'stale'; });
  await sleep(5);
  await c.invalidate('c');
  assert.equal(await p, 'stale');
  assert.equal(c.getSync('c'), undefined);
  assert.equal(await c.getOrLoad('u', () => undefined), undefined);
  assert.equal(c.getSync('u'), undefined);
  await rejects(c.getOrLoad('d', 'not a function'), 'INVALID_ARGUMENT', 'loader');
});

test('TinyLFU admission keeps frequent keys that plain LRU would evict', async () => {
  const c = await open({ memoryMaxEntries: 10, admission: 'tinylfu' });
  for (let round = 0; round < 5; round++) {
    for (let i = 0; i < 10; i++) {
      if (c.getSync(`hot${i}`) === undefined) await c.set(`hot${i}`, i);
    }
  }
  for (let i = 0; i < 50; i++) {
    if (c.getSync(`scan${i}`) === undefined) await c.set(`scan${i}`, i);
  }
  const hot = Array.from({ length: 10 }, (_, i) => c.getSync(`hot${i}`)).filter((v) => v !== undefined).length;
  assert.equal(hot, 10, 'a one-off scan did not flush the hot set');
  assert.ok(c.stats().memory.rejections >= 40);
  assert.equal(c.stats().admission, 'tinylfu');
});

test('stats add up', async () => {
  const c = await open({ memoryMaxEntries: 5 });
  let gets = 0;
  for (let i = 0; i < 200; i++) {
    const k = `k${(i * 7919) % 13}`;
    gets++;
    if ((await c.get(k)) === undefined) await c.set(k, i);
  }
  const s = c.stats();
  assert.equal(s.hits + s.misses, gets);
  assert.equal(s.memory.hits + s.memory.misses, gets);
  assert.ok(Math.abs(s.hitRate - s.hits / gets) < 1e-12);
  assert.ok(s.memory.entries <= 5);
});

test('bad input is a FlowscaleError with code and path; nothing changes', async () => {
  const c = await open();
  assert.throws(() => c.getSync(5), (e) => e instanceof FlowscaleError && e.code === 'INVALID_ARGUMENT' && e.path === 'key');
  await rejects(c.get(null), 'INVALID_ARGUMENT', 'key');
  await rejects(c.set('\uD800x', 1), 'INVALID_ARGUMENT', 'key');
  await rejects(c.set('k'.repeat(4097), 1), 'INVALID_ARGUMENT', 'key');
  await rejects(c.set('k', undefined), 'INVALID_ARGUMENT', 'value');
  await rejects(c.set('k', 1, { ttlSeconds: 0 }), 'INVALID_ARGUMENT', 'options.ttlSeconds');
  await rejects(c.set('k', 1, { ttlSeconds: '5' }), 'INVALID_ARGUMENT', 'options.ttlSeconds');
  await rejects(c.set('k', 1, { tags: 'x' }), 'INVALID_ARGUMENT', 'options.tags');
  await rejects(c.set('k', 1, { tags: ['ok', 3] }), 'INVALID_ARGUMENT', 'options.tags[1]');
  await rejects(c.set('k', 1, { ttl: 5 }), 'INVALID_ARGUMENT', 'options.ttl');
  await rejects(c.set('k', 1, { sizeBytes: -1 }), 'INVALID_ARGUMENT', 'options.sizeBytes');
  const throwing = { get ttlSeconds() { throw new Error('getter'); } };
  await rejects(c.set('k', 1, throwing), 'INVALID_ARGUMENT', 'options');
  const value = { get boom() { throw new Error('getter'); } };
  await rejects(c.set('k', value), 'INVALID_ARGUMENT', 'value');
  assert.equal(c.stats().memory.entries, 0);
  // Keys that are data, not code.
  for (const k of ['__proto__', 'constructor', '', '<b>x</b>', '😀']) {
    await c.set(k, k);
    assert.equal(c.getSync(k), k);
  }
  await rejects(WorkflowCache.open({ strategy: 'eventually' }), 'INVALID_CONFIG', 'strategy');
  await rejects(WorkflowCache.open({ memoryMaxEntries: 0 }), 'INVALID_CONFIG', 'memoryMaxEntries');
  await rejects(WorkflowCache.open({ diskMaxMb: -1 }), 'INVALID_CONFIG', 'diskMaxMb');
  await rejects(WorkflowCache.open({ colour: 'blue' }), 'INVALID_CONFIG');
  await rejects(WorkflowCache.open({ onError: 5 }), 'INVALID_CONFIG', 'onError');
  assert.throws(() => new WorkflowCache(), TypeError);
});

test('without IndexedDB: STORAGE_UNAVAILABLE; write-through rejects, write-behind acknowledges, flush tells', async () => {
  const seen = [];
  const wt = await WorkflowCache.open({ onError: (e) => seen.push(e.code) });
  assert.deepEqual(seen, ['STORAGE_UNAVAILABLE']);
  assert.equal(wt.stats().disk.status, 'unavailable');
  await rejects(wt.set('k', 1), 'STORAGE_UNAVAILABLE', 'k');
  assert.equal(wt.getSync('k'), 1, 'memory still holds it');
  const wb = await WorkflowCache.open({ strategy: 'write-behind' });
  await wb.set('k', 1);
  await rejects(wb.flush(), 'STORAGE_UNAVAILABLE');
  const off = await open();
  await off.set('k', 1);
  await off.flush();
  assert.equal(off.stats().disk.status, 'off');
  await Promise.all([wt.close(), wb.close(), off.close()]);
  await rejects(off.set('k', 2), 'CACHE_CLOSED');
});

test('workflows: content hash ignores key order; cacheWorkflow / getCachedWorkflow', async () => {
  assert.equal(workflowContentHash({ nodes: [{ id: 'a', position: { x: 1, y: 2 } }] }), workflowContentHash({ nodes: [{ position: { y: 2, x: 1 }, id: 'a' }] }));
  assert.notEqual(workflowContentHash({ a: 1 }), workflowContentHash({ a: 2 }));
  assert.match(workflowContentHash({}), /^[0-9a-f]{32}$/);
  const c = await open();
  const wf = { nodes: [], edges: [] };
  const h = await c.cacheWorkflow('w', { workflowData: wf });
  const got = await c.getCachedWorkflow('w');
  assert.equal(got.workflowData, wf);
  assert.equal(got.contentHash, h);
  assert.equal(await c.getCachedWorkflow('missing'), null);
  await rejects(c.cacheWorkflow('w', {}), 'INVALID_ARGUMENT', 'entry.workflowData');
  const cyclic = { nodes: [] };
  cyclic.self = cyclic;
  await rejects(c.cacheWorkflow('w', { workflowData: cyclic }), 'INVALID_WORKFLOW', 'workflowData');
});
