// WorkflowCache in headless Chromium with real IndexedDB and BroadcastChannel:
// both tiers, the three strategies, reloads, two tabs, and every storage
// fault injected for real (IndexedDB missing, open failing, a small quota,
// a blocked upgrade, an aborted transaction, corrupted records, a newer
// version in another tab). Each test gets a fresh browser context (its own
// storage); a reload or a second page keeps it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serveAndLaunch } from './serve.mjs';

const root = new URL('../../', import.meta.url).pathname;
const env = serveAndLaunch(root);

const URL_ = () => `${env.server.url}/tests/e2e/cache.html`;

async function load(page) {
  await page.goto(URL_());
  await page.waitForFunction(() => window.ready === true);
}

/** A fresh context (empty storage) and a loaded page in it. */
async function fresh(t, { init } = {}) {
  const context = await env.browser.newContext();
  if (init) await context.addInitScript(init);
  t.after(() => context.close());
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e));
  t.after(() => assert.deepEqual(errors, [], 'uncaught errors in the page'));
  await load(page);
  return { context, page };
}

/** Open a cache in the page as `window.cache`, collecting its error events in `window.events`. */
async function openCache(page, options) {
  return page.evaluate(async (options) => {
    window.events = [];
    window.cache = await window.flowscale.WorkflowCache.open({
      ...options,
      onError: (e) => window.events.push({ code: e.code, message: e.message, path: e.path, isError: e instanceof window.flowscale.FlowscaleError }),
    });
    window.cache.addEventListener('error', (ev) => (window.eventCount = (window.eventCount ?? 0) + 1) && ev.error);
    return window.cache.stats();
  }, options);
}

const codes = (page) => page.evaluate(() => window.events.map((e) => e.code));
const rejection = (page, fn, arg) =>
  page.evaluate(
    ([src, arg]) => (0, eval)(src)(arg).then(() => null, (e) => ({ code: e.code, name: e.name, message: e.message, path: e.path })),
    [fn.toString(), arg],
  );

test('round trip: the memory tier hands back the same object; IndexedDB a structured clone', async (t) => {
  const { page } = await fresh(t);
  const stats = await openCache(page, { name: 'rt' });
  assert.equal(stats.disk.status, 'ok');
  const r = await page.evaluate(async () => {
    const value = { nodes: [{ id: 'a', position: { x: 1, y: 2 } }], when: new Date(5), bytes: new Uint8Array([1, 2, 3]) };
    await cache.set('wf:1', value, { tags: ['wf'] });
    const same = cache.getSync('wf:1') === value && (await cache.get('wf:1')) === value;
    const stored = await raw.get('rt', 'values', 'wf:1');
    const meta = await raw.get('rt', 'meta', 'wf:1');
    return { same, stored: stored.v, meta, stats: cache.stats() };
  });
  assert.ok(r.same);
  assert.equal(r.stored.nodes[0].position.y, 2);
  assert.deepEqual([...Object.values(r.stored.bytes)], [1, 2, 3]);
  assert.deepEqual(r.meta.t, ['wf']);
  assert.ok(r.meta.s > 0 && r.meta.e > Date.now());
  assert.equal(r.stats.memory.hits, 2);
  assert.equal(r.stats.disk.writes, 1);
  assert.ok(r.stats.disk.estimate && r.stats.disk.estimate.quota > 0, 'navigator.storage.estimate() in stats');
});

test('write-through: the value survives a reload', async (t) => {
  const { page } = await fresh(t);
  await openCache(page, { name: 'wt', strategy: 'write-through' });
  await page.evaluate(() => cache.set('k', { n: 1, s: 'é✓' }));
  await page.reload();
  await page.waitForFunction(() => window.ready === true);
  await openCache(page, { name: 'wt' });
  const r = await page.evaluate(async () => ({ mem: cache.getSync('k'), disk: await cache.get('k'), again: cache.getSync('k'), stats: cache.stats() }));
  assert.equal(r.mem, undefined);
  assert.deepEqual(r.disk, { n: 1, s: 'é✓' });
  assert.deepEqual(r.again, r.disk, 'promoted into memory');
  assert.equal(r.stats.disk.hits, 1);
  assert.equal(r.stats.hits, 2);
});

test('write-behind: set resolves before IndexedDB holds it; flush() then reload keeps it; pagehide flushes', async (t) => {
  const { page } = await fresh(t);
  await openCache(page, { name: 'wb', strategy: 'write-behind', flushIntervalMs: 60000 });
  const r = await page.evaluate(async () => {
    await cache.set('a', 1);
    const before = await raw.keys('wb', 'values');
    const pending = cache.stats().disk.pendingWrites;
    await cache.flush();
    const afterFlush = await raw.keys('wb', 'values');
    await cache.set('b', 2);
    window.dispatchEvent(new Event('pagehide'));
    const journal = Object.entries(localStorage).map(([k, v]) => [k.split(':journal:')[0], JSON.parse(v).ops.map((op) => op.slice(0, 2))]);
    await sleep(100);
    return { before, pending, afterFlush, journal, afterHide: await raw.keys('wb', 'values') };
  });
  assert.deepEqual(r.journal, [['flowscale-cache:wb', [['b', 2]]]], 'pagehide journals what is not on disk yet');
  assert.deepEqual(r.before, []);
  assert.equal(r.pending, 1);
  assert.deepEqual(r.afterFlush, ['a']);
  assert.deepEqual(r.afterHide, ['a', 'b']);
  await page.evaluate(() => cache.set('c', 3).then(() => cache.flush()));
  await page.reload();
  await page.waitForFunction(() => window.ready === true);
  await openCache(page, { name: 'wb', strategy: 'write-behind' });
  assert.deepEqual(await page.evaluate(async () => [await cache.get('a'), await cache.get('b'), await cache.get('c')]), [1, 2, 3]);
});

test('fault: reload in the middle of writing: write-through values survive; write-behind comes back from the unload journal', async (t) => {
  const { page } = await fresh(t);
  // Chromium aborts the IndexedDB transactions of a page being unloaded (a
  // raw put issued inside pagehide is lost too), so write-behind's pagehide
  // flush cannot finish on a reload. What it had acknowledged goes to the
  // journal (localStorage, written synchronously on pagehide) and the next
  // open writes it back. Write-through acknowledges only what is on disk.
  await openCache(page, { name: 'wt-reload', strategy: 'write-through' });
  await page.evaluate(async () => {
    for (let i = 0; i < 50; i++) await cache.set(`k${i}`, { i });
    window.wb = await flowscale.WorkflowCache.open({ name: 'wb-reload', strategy: 'write-behind', flushIntervalMs: 60000 });
    for (let i = 0; i < 20; i++) await wb.set(`k${i}`, { i });
    await wb.flush();
    for (let i = 20; i < 50; i++) await wb.set(`k${i}`, { i }, { tags: ['late'], ttlSeconds: Infinity }); // in memory only
    await wb.set('when', new Date(5)); // JSON would not give a Date back: not journaled
  });
  await page.reload();
  await page.waitForFunction(() => window.ready === true);
  const back = await page.evaluate(async () => {
    const wt = await flowscale.WorkflowCache.open({ name: 'wt-reload', strategy: 'write-through' });
    const wb = await flowscale.WorkflowCache.open({ name: 'wb-reload', strategy: 'write-behind' });
    const read = async (c) => { const out = []; for (let i = 0; i < 50; i++) out.push((await c.get(`k${i}`))?.i ?? null); return out; };
    const out = { wt: await read(wt), wb: await read(wb), when: (await wb.get('when')) ?? null, journals: Object.keys(localStorage) };
    const late = await raw.get('wb-reload', 'meta', 'k30');
    out.lateMeta = { tags: late?.t, never: late?.e === null || late?.e === Infinity || late?.e > Date.now() + 1e9 };
    await wb.invalidateTag('late');
    out.afterTag = await read(wb);
    return out;
  });
  assert.deepEqual(back.wt, [...Array(50).keys()], 'every write-through value survives the reload');
  assert.deepEqual(back.wb, [...Array(50).keys()], 'every acknowledged write-behind value survives the reload');
  assert.equal(back.when, null, 'a value JSON cannot keep is not journaled (absent, never corrupt)');
  assert.deepEqual(back.journals, [], 'the journal is removed once written back');
  assert.deepEqual(back.lateMeta, { tags: ['late'], never: true }, 'tags and expiry come back with the values');
  assert.deepEqual(back.afterTag, [...Array(20).keys(), ...Array(30).fill(null)]);
});

test('unload journal: the newest write of a key wins; invalidations reach journals; a foreign item is removed with CORRUPT_RECORD', async (t) => {
  const { page } = await fresh(t);
  await openCache(page, { name: 'jr', strategy: 'write-behind' });
  const r = await page.evaluate(async () => {
    await cache.set('a', 'on disk');
    await cache.flush();
    await cache.close();
    const at = Date.now() - 60_000; // a page that died a minute ago
    const ops = [['a', 'older', null, [], at], ['b', 'kept', null, [], at], ['gone', 1, null, [], at], ['tagged', 2, null, ['t1'], at], ['pre:x', 3, null, [], at]];
    localStorage.setItem('flowscale-cache:jr:journal:old', JSON.stringify({ v: 1, at, ops }));
    // An earlier page's journal with an older write of b: the newer write wins, in whatever order they are read.
    localStorage.setItem('flowscale-cache:jr:journal:older', JSON.stringify({ v: 1, at: at - 30_000, ops: [['b', 'stale', null, [], at - 30_000]] }));
    localStorage.setItem('flowscale-cache:jr:journal:bad', '{not json');
    localStorage.setItem('flowscale-cache:jr:journal:worse', JSON.stringify({ v: 1, at, ops: [[5, 'x', null, [], at]] }));
    localStorage.setItem('unrelated', 'stays');
    const codes = [];
    // Without a disk tier the journal waits for an open that has one.
    const memoryOnly = await flowscale.WorkflowCache.open({ name: 'jr', diskMaxMb: 0, onError: (e) => codes.push(e.code) });
    const waiting = Object.keys(localStorage).sort();
    const noDisk = memoryOnly.getSync('b') ?? null;
    // Invalidations reach the journals too: these must not come back.
    await memoryOnly.invalidate('gone');
    await memoryOnly.invalidateTag('t1');
    await memoryOnly.invalidatePrefix('pre:');
    const c = await flowscale.WorkflowCache.open({ name: 'jr', strategy: 'write-behind', onError: (e) => codes.push(e.code) });
    const get = async (k) => (await c.get(k)) ?? null;
    return { a: await get('a'), b: await get('b'), dropped: [await get('gone'), await get('tagged'), await get('pre:x')], noDisk, waiting, codes, left: Object.keys(localStorage).sort() };
  });
  assert.deepEqual(r.dropped, [null, null, null], 'invalidated after the page left: not written back');
  assert.equal(r.a, 'on disk', 'written after the journal was: the disk wins');
  assert.equal(r.b, 'kept');
  assert.equal(r.noDisk, null);
  // (its entries are checked when written back: `worse` waits too)
  assert.deepEqual(r.waiting, ['flowscale-cache:jr:journal:old', 'flowscale-cache:jr:journal:older', 'flowscale-cache:jr:journal:worse', 'unrelated']);
  assert.deepEqual(r.codes, ['CORRUPT_RECORD', 'CORRUPT_RECORD']);
  assert.deepEqual(r.left, ['unrelated']);
});

test('TTL: expired entries are never returned, from memory or disk, and are swept on open', async (t) => {
  const { page } = await fresh(t);
  await openCache(page, { name: 'ttl' });
  const r = await page.evaluate(async () => {
    await cache.set('short', 1, { ttlSeconds: 0.3 });
    await cache.set('long', 2, { ttlSeconds: 60 });
    const fresh = cache.getSync('short');
    await sleep(400);
    return { fresh, mem: cache.getSync('short'), get: await cache.get('short'), long: cache.getSync('long'), stats: cache.stats() };
  });
  assert.equal(r.fresh, 1);
  assert.equal(r.mem, undefined);
  assert.equal(r.get, undefined);
  assert.equal(r.long, 2);
  assert.equal(r.stats.memory.expirations, 1);

  // Disk tier: write, reload (memory empty), let it expire, read.
  await page.evaluate(() => cache.set('d', 3, { ttlSeconds: 0.3 }));
  await page.reload();
  await page.waitForFunction(() => window.ready === true);
  await openCache(page, { name: 'ttl' });
  const d = await page.evaluate(async () => {
    await sleep(400);
    const v = await cache.get('d');
    await sleep(50);
    return { v, stats: cache.stats(), keys: await raw.keys('ttl', 'values') };
  });
  assert.equal(d.v, undefined);
  assert.equal(d.stats.disk.expirations, 1);
  assert.ok(!d.keys.includes('d'), 'the expired record was deleted');

  // Swept on open: expired records are gone before anyone asks.
  await page.evaluate(() => cache.set('e', 4, { ttlSeconds: 0.2 }));
  await page.reload();
  await page.waitForFunction(() => window.ready === true);
  await page.evaluate(() => sleep(300));
  const s = await openCache(page, { name: 'ttl' });
  assert.ok(!(await page.evaluate(() => raw.keys('ttl', 'values'))).includes('e'));
  assert.ok(s.disk.expirations >= 1);
});

test('tag and prefix invalidation reach both tiers', async (t) => {
  const { page } = await fresh(t);
  await openCache(page, { name: 'inv', memoryMaxEntries: 2 });
  const r = await page.evaluate(async () => {
    await cache.set('wf:1:layout', 1, { tags: ['wf:1'] });
    await cache.set('wf:1:stats', 2, { tags: ['wf:1', 'stats'] });
    await cache.set('wf:2:layout', 3, { tags: ['wf:2'] });
    await cache.set('other', 4, { tags: ['stats'] });
    // memoryMaxEntries 2: the first two live on disk only now.
    const n = await cache.invalidateTag('wf:1');
    const afterTag = [await cache.get('wf:1:layout'), await cache.get('wf:1:stats'), await cache.get('wf:2:layout')];
    const p = await cache.invalidatePrefix('wf:');
    return { n, afterTag, p, left: await raw.keys('inv', 'values'), other: await cache.get('other') };
  });
  assert.equal(r.n, 2);
  assert.deepEqual(r.afterTag, [undefined, undefined, 3]);
  assert.equal(r.p, 1);
  assert.deepEqual(r.left, ['other']);
  assert.equal(r.other, 4);
});

test('LRU order: the least recently used entry leaves memory first (and stays on disk)', async (t) => {
  const { page } = await fresh(t);
  await openCache(page, { name: 'lru', memoryMaxEntries: 3 });
  const r = await page.evaluate(async () => {
    for (const k of ['a', 'b', 'c']) await cache.set(k, k);
    cache.getSync('a');
    await cache.set('d', 'd');
    return { mem: ['a', 'b', 'c', 'd'].map((k) => cache.getSync(k) ?? null), disk: await cache.get('b'), stats: cache.stats().memory };
  });
  assert.deepEqual(r.mem, ['a', null, 'c', 'd']);
  assert.equal(r.disk, 'b');
  assert.equal(r.stats.evictions, 2, 'b, then the promotion of b evicted a');
});

test('diskMaxMb is enforced by evicting the least recently used records', async (t) => {
  const { page } = await fresh(t);
  // 0.01 MB = 10485 bytes; each value is counted as 1000.
  await openCache(page, { name: 'size', diskMaxMb: 0.01, memoryMaxEntries: 2 });
  const r = await page.evaluate(async () => {
    for (let i = 0; i < 20; i++) await cache.set(`k${i}`, 'x'.repeat(100), { sizeBytes: 1000 });
    await cache.get('k12'); // a disk read makes k12 recent
    await cache.set('k20', 'x', { sizeBytes: 1000 });
    const keys = await raw.keys('size', 'values');
    return { keys, stats: cache.stats().disk };
  });
  assert.ok(r.stats.bytes <= 10485, `disk bytes ${r.stats.bytes}`);
  assert.equal(r.keys.length, 10);
  assert.ok(r.keys.includes('k12') && r.keys.includes('k20') && r.keys.includes('k19'));
  assert.ok(!r.keys.includes('k0') && !r.keys.includes('k10'));
  assert.equal(r.stats.evictions, 11);
  const big = await rejection(page, (v) => cache.set('huge', v, { sizeBytes: 20000 }), 'y');
  assert.equal(big.code, 'LIMIT_EXCEEDED');
  assert.equal(await page.evaluate(() => cache.getSync('huge')), 'y', 'held in memory');
});

test('two tabs: writes and invalidations reach the other tab’s memory tier', async (t) => {
  const { context, page: a } = await fresh(t);
  const b = await context.newPage();
  await load(b);
  await openCache(a, { name: 'tabs' });
  await openCache(b, { name: 'tabs' });
  await a.evaluate(() => Promise.all([cache.set('k', 1), cache.set('t1', 1, { tags: ['T'] }), cache.set('p:x', 1), cache.set('z', 1)]));
  await b.evaluate(() => Promise.all(['k', 't1', 'p:x', 'z'].map((k) => cache.get(k))));
  assert.deepEqual(await b.evaluate(() => ['k', 't1', 'p:x', 'z'].map((k) => cache.getSync(k))), [1, 1, 1, 1]);
  await a.evaluate(() => cache.set('k', 2));
  await b.waitForFunction(() => cache.getSync('k') === 2);
  await a.evaluate(() => cache.invalidate('k'));
  await b.waitForFunction(() => cache.getSync('k') === undefined);
  await b.evaluate(() => cache.invalidateTag('T'));
  await a.waitForFunction(() => cache.getSync('t1') === undefined);
  await a.evaluate(() => cache.invalidatePrefix('p:'));
  await b.waitForFunction(() => cache.getSync('p:x') === undefined);
  await b.evaluate(() => cache.clear());
  await a.waitForFunction(() => cache.getSync('z') === undefined);
  assert.equal(await a.evaluate(() => cache.get('z')), undefined);
});

test('fault: IndexedDB missing → memory keeps serving, STORAGE_UNAVAILABLE, write-through sets reject', async (t) => {
  const { page } = await fresh(t, { init: () => Object.defineProperty(window, 'indexedDB', { get: () => undefined }) });
  const s = await openCache(page, { name: 'none' });
  assert.equal(s.disk.status, 'unavailable');
  assert.deepEqual(await codes(page), ['STORAGE_UNAVAILABLE']);
  const e = await rejection(page, () => cache.set('k', 1));
  assert.equal(e.code, 'STORAGE_UNAVAILABLE');
  assert.equal(e.name, 'FlowscaleError');
  assert.equal(await page.evaluate(() => cache.getSync('k')), 1);
  assert.equal(await page.evaluate(() => window.eventCount), 1, 'dispatched as an error event too');
  // Write-behind acknowledges at once; flush() says the data is not durable.
  await openCache(page, { name: 'none2', strategy: 'write-behind' });
  assert.equal(await page.evaluate(() => cache.set('k', 1).then(() => cache.get('k'))), 1);
  assert.equal((await rejection(page, () => cache.flush())).code, 'STORAGE_UNAVAILABLE');
});

test('fault: indexedDB.open throws, or its request fails → STORAGE_UNAVAILABLE', async (t) => {
  const { page } = await fresh(t, {
    init: () => {
      IDBFactory.prototype.open = function () {
        throw new DOMException('The user denied permission to access the database.', 'SecurityError');
      };
    },
  });
  const s = await openCache(page, { name: 'deny' });
  assert.equal(s.disk.status, 'unavailable');
  const ev = await page.evaluate(() => window.events[0]);
  assert.equal(ev.code, 'STORAGE_UNAVAILABLE');
  assert.ok(ev.isError);
  assert.match(ev.message, /SecurityError/);

  // A request that fires `error`: a version lower than the existing database's.
  const { page: p2 } = await fresh(t);
  await openCache(p2, { name: 'ver' });
  await p2.evaluate(() => cache.close());
  await p2.evaluate(() => {
    const open = IDBFactory.prototype.open;
    IDBFactory.prototype.open = function (name) { return open.call(this, name, 1); };
  });
  const s2 = await openCache(p2, { name: 'ver' });
  assert.equal(s2.disk.status, 'unavailable');
  const ev2 = await p2.evaluate(() => window.events[0]);
  assert.equal(ev2.code, 'STORAGE_UNAVAILABLE');
  assert.match(ev2.message, /VersionError/);
});

test('fault: QuotaExceededError → QUOTA_EXCEEDED, the value stays in memory, later writes work', async (t) => {
  const { context, page } = await fresh(t);
  const cdp = await context.newCDPSession(page);
  await cdp.send('Storage.overrideQuotaForOrigin', { origin: env.server.url, quotaSize: 512 * 1024 });
  await openCache(page, { name: 'quota' });
  const r = await page.evaluate(async () => {
    const big = crypto.getRandomValues(new Uint8Array(65536));
    const parts = Array.from({ length: 24 }, () => crypto.getRandomValues(new Uint8Array(65536)));
    const err = await cache.set('big', { big, parts }).then(() => null, (e) => ({ code: e.code, message: e.message }));
    const mem = cache.getSync('big') !== undefined;
    const small = await cache.set('small', 1).then(() => 'ok', (e) => e.code);
    return { err, mem, small, keys: await raw.keys('quota', 'values'), stats: cache.stats().disk };
  });
  await cdp.send('Storage.overrideQuotaForOrigin', { origin: env.server.url });
  assert.equal(r.err?.code, 'QUOTA_EXCEEDED', JSON.stringify(r.err));
  assert.ok(r.mem, 'still served from memory');
  assert.equal(r.small, 'ok');
  assert.deepEqual(r.keys, ['small']);
  assert.ok(r.stats.failedWrites >= 1);
  assert.ok((await codes(page)).includes('QUOTA_EXCEEDED'));
});

test('fault: an upgrade blocked by another connection → STORAGE_BLOCKED, memory serves, disk comes online when released', async (t) => {
  const { page } = await fresh(t);
  // An older version of the database held open (as by a tab running an older page).
  await page.evaluate(async () => { window.old = await raw.openRaw('flowscale-cache:blk', 1); });
  const s = await openCache(page, { name: 'blk', strategy: 'write-behind' });
  assert.equal(s.disk.status, 'blocked');
  assert.deepEqual(await codes(page), ['STORAGE_BLOCKED']);
  assert.equal(await page.evaluate(() => cache.set('k', 'v').then(() => cache.getSync('k'))), 'v');
  assert.equal((await rejection(page, () => cache.flush())).code, 'STORAGE_BLOCKED');
  await page.evaluate(() => window.old.close());
  await page.waitForFunction(() => cache.stats().disk.status === 'ok');
  await page.evaluate(() => cache.flush());
  assert.deepEqual(await page.evaluate(() => raw.get('blk', 'values', 'k')), { v: 'v' });
});

test('fault: aborted transactions → TRANSACTION_ABORTED; write-behind keeps the write and retries', async (t) => {
  const { page } = await fresh(t, {
    init: () => {
      const tx = IDBDatabase.prototype.transaction;
      IDBDatabase.prototype.transaction = function (stores, mode, ...rest) {
        const t = tx.call(this, stores, mode, ...rest);
        if (window.abortWrites && mode === 'readwrite') queueMicrotask(() => t.abort());
        return t;
      };
    },
  });
  await openCache(page, { name: 'abort' });
  await page.evaluate(() => (window.abortWrites = true));
  const e = await rejection(page, () => cache.set('k', 1));
  assert.equal(e.code, 'TRANSACTION_ABORTED');
  assert.equal(await page.evaluate(() => cache.getSync('k')), 1);
  assert.ok((await codes(page)).includes('TRANSACTION_ABORTED'));

  await openCache(page, { name: 'abort2', strategy: 'write-behind', flushIntervalMs: 60000 });
  await page.evaluate(() => cache.set('w', 'kept'));
  assert.equal((await rejection(page, () => cache.flush())).code, 'TRANSACTION_ABORTED');
  await page.evaluate(() => (window.abortWrites = false));
  await page.evaluate(() => cache.flush());
  assert.deepEqual(await page.evaluate(() => raw.get('abort2', 'values', 'w')), { v: 'kept' });
});

test('fault: corrupted or foreign-shaped records → CORRUPT_RECORD, deleted, treated as misses', async (t) => {
  const { page } = await fresh(t);
  await openCache(page, { name: 'bad' });
  await page.evaluate(() => cache.close());
  // Planted while no cache is open: found by the sweep on open.
  await page.evaluate(async () => {
    await raw.put('bad', 'meta', 'wrong', 'not a meta record');
    await raw.put('bad', 'values', 'wrong', 42);
    await raw.put('bad', 'values', 'orphan', { v: 1 });
  });
  const s = await openCache(page, { name: 'bad' });
  assert.deepEqual(await codes(page), ['CORRUPT_RECORD']);
  assert.equal(s.disk.corruptRecords, 2);
  assert.deepEqual(await page.evaluate(() => raw.keys('bad', 'values')), []);
  // Planted while open: found when read.
  const r = await page.evaluate(async () => {
    await raw.put('bad', 'values', 'k', { notV: 1 });
    await raw.put('bad', 'meta', 'k', { s: 1, e: Infinity, a: 1, t: [] });
    const v = await cache.get('k');
    await sleep(50);
    return { v, ev: window.events.at(-1), keys: await raw.keys('bad', 'values') };
  });
  assert.equal(r.v, undefined);
  assert.equal(r.ev.code, 'CORRUPT_RECORD');
  assert.equal(r.ev.path, 'k');
  assert.deepEqual(r.keys, []);
});

test('fault: another tab opens a newer version → this tab lets go and serves from memory', async (t) => {
  const { context, page: a } = await fresh(t);
  await openCache(a, { name: 'newer' });
  await a.evaluate(() => cache.set('k', 1));
  const b = await context.newPage();
  await load(b);
  const opened = await b.evaluate(async () => { const db = await raw.openRaw('flowscale-cache:newer', 3); db.close(); return db.version; });
  assert.equal(opened, 3, 'the newer version was not blocked by this tab');
  await a.waitForFunction(() => cache.stats().disk.status === 'closed');
  assert.deepEqual(await codes(a), ['STORAGE_UNAVAILABLE']);
  assert.equal(await a.evaluate(() => cache.getSync('k')), 1);
});

test('cache-aside and workflows: getOrLoad reads disk before loading; a new content hash drops derived entries', async (t) => {
  const { page } = await fresh(t);
  await openCache(page, { name: 'aside', strategy: 'cache-aside' });
  await page.evaluate(() => cache.getOrLoad('x', async () => 'loaded').then(() => cache.flush()));
  await page.reload();
  await page.waitForFunction(() => window.ready === true);
  await openCache(page, { name: 'aside', strategy: 'cache-aside' });
  const r = await page.evaluate(async () => {
    let calls = 0;
    const loader = async () => { calls++; return 'again'; };
    const [a, b] = await Promise.all([cache.getOrLoad('x', loader), cache.getOrLoad('x', loader)]);
    const wf = { nodes: [{ id: 'n', position: { x: 0, y: 0 } }], edges: [] };
    const h1 = await cache.cacheWorkflow('w1', { workflowData: wf, ttlSeconds: 60 });
    await cache.set('w1:layout', 'derived', { tags: ['workflow:w1'] });
    const same = await cache.cacheWorkflow('w1', { workflowData: { edges: [], nodes: wf.nodes } });
    const keptDerived = await cache.get('w1:layout');
    const h2 = await cache.cacheWorkflow('w1', { workflowData: { ...wf, edges: [{ id: 'e', source: 'n', target: 'n' }] } });
    const got = await cache.getCachedWorkflow('w1');
    return { a, b, calls, h1, same, keptDerived, h2, derived: await cache.get('w1:layout') ?? null, got: { hash: got.contentHash, edges: got.workflowData.edges.length }, stale: await cache.getCachedWorkflow('w1', { contentHash: h1 }) };
  });
  assert.deepEqual([r.a, r.b, r.calls], ['loaded', 'loaded', 0]);
  assert.equal(r.h1, r.same, 'key order does not change the hash');
  assert.equal(r.keptDerived, 'derived');
  assert.notEqual(r.h2, r.h1);
  assert.equal(r.derived, null, 'derived entries went with the old content');
  assert.deepEqual(r.got, { hash: r.h2, edges: 1 });
  assert.equal(r.stale, null);
});
