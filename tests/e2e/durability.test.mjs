// Crash durability of WorkflowCache: acknowledged writes survive the browser
// being killed. Chromium runs on a persistent profile (a temporary
// directory, IndexedDB on disk, unlike `newContext()`), started by this file
// in its own process group so that one SIGKILL to the group kills the
// browser process and every child (renderers, utility processes) at the same
// instant: nothing gets to finish a write after the kill. Playwright attaches
// over CDP. The page server stays up for the whole file: the origin (and so
// the IndexedDB database) includes its port.
//
// Acknowledged: a write-through (or cache-aside) `set` resolved; a
// write-behind (or a loaded cache-aside) value after a `flush()` that
// started after it resolved. A read after the crash returns an
// acknowledged value exactly (or a later write of the key, exactly), with
// its tags and expiry; an unacknowledged write comes back exact or not at
// all; CORRUPT_RECORD never.
//
// One loss is the browser's, not the cache's: after some kills Chromium
// finds LevelDB damaged on reopening and deletes the origin's whole
// IndexedDB (WIPED below). That is recognised, reported and counted; any
// other loss fails.
//
// FLOWSCALE_DURABILITY_SEED=<n> replays a run of the random-kill test;
// FLOWSCALE_DURABILITY_DEBUG=1 logs each step (and copies the profile to
// /tmp when a write is lost), =snapshot also copies the profile's IndexedDB
// to /tmp after every kill.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { serve, CHROMIUM_ARGS } from './serve.mjs';
import { rng } from '../js/workflows.mjs';

const root = new URL('../../', import.meta.url).pathname;
let server;
before(async () => (server = await serve(root)));
after(() => server?.close());

/** A deterministic workflow for (key, version): what a read of that write must give back, exactly. */
function makeWorkflow(key, version) {
  let h = 2166136261;
  for (const ch of `${key}#${version}`) h = Math.imul(h ^ ch.codePointAt(0), 16777619);
  const rand = () => ((h = Math.imul(h ^ (h >>> 15), 2246822507) ^ Math.imul(h ^ (h >>> 13), 3266489909)) >>> 0) / 4294967296;
  const n = 5 + Math.floor(rand() * 36);
  const nodes = [];
  for (let i = 0; i < n; i++) {
    nodes.push({
      id: `n${i}`,
      type: ['trigger', 'http', 'code', 'if'][i % 4],
      position: { x: Math.round(rand() * 4000) - 2000, y: rand() * 3000 },
      data: { label: `Nœud ${i} ✓`, params: { retries: i % 3, url: `https://example.com/${key}/${i}`, enabled: rand() < 0.5, note: null } },
      width: 150,
      height: 40 + (i % 5) * 8,
    });
  }
  const edges = nodes.slice(1).map((nd, i) => ({ id: `e${i}`, source: nodes[Math.floor(rand() * (i + 1))].id, target: nd.id }));
  return { key, version, name: `workflow ${key}`, nodes, edges, settings: { timezone: 'Europe/Paris', saveManual: true } };
}

/** Recorded in the page: how many readwrite transactions on the cache's databases had each durability. */
const RECORD_DURABILITY = `(() => {
  const transaction = IDBDatabase.prototype.transaction;
  window.durabilities = {};
  IDBDatabase.prototype.transaction = function (...args) {
    const tx = transaction.apply(this, args);
    if (tx.mode === 'readwrite' && this.name.startsWith('flowscale-cache:')) {
      durabilities[tx.durability] = (durabilities[tx.durability] ?? 0) + 1;
    }
    return tx;
  };
  window.makeWorkflow = ${makeWorkflow.toString()};
})();`;

const debug = process.env.FLOWSCALE_DURABILITY_DEBUG ? (...a) => console.error(new Date().toISOString(), ...a) : () => {};
debug.log = process.env.FLOWSCALE_DURABILITY_DEBUG ? [] : null;
// Browsers still running when this process exits (a test timed out) are killed with it.
const running = new Set();
const killRunning = () => {
  for (const pid of running) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {}
  }
};
process.on('exit', killRunning);
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(1));

/** Chromium on `profile`, in its own process group; Playwright over CDP; a page with the cache loaded. */
async function launch(profile, { onAck } = {}) {
  const child = spawn('/usr/bin/chromium', [...CHROMIUM_ARGS, '--headless', `--user-data-dir=${profile}`, '--remote-debugging-port=0', 'about:blank'], {
    detached: true, // its own process group: see crash()
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  running.add(child.pid);
  const exited = new Promise((resolve) => child.once('exit', resolve)).then(() => running.delete(child.pid));
  let text = '';
  const ws = await new Promise((resolve, reject) => {
    child.stderr.on('data', (d) => {
      if (debug.log) debug.log.push(String(d));
      text += d;
      const m = /DevTools listening on (ws:\/\/\S+)/.exec(text);
      if (m) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`chromium exited (${code}) before listening:\n${text}`)));
  });
  const browser = await chromium.connectOverCDP(ws);
  const context = browser.contexts()[0];
  const page = context.pages()[0] ?? (await context.newPage());
  const errors = [];
  page.on('pageerror', (e) => errors.push(e));
  await page.addInitScript(RECORD_DURABILITY);
  if (onAck) await page.exposeFunction('ack', onAck);
  await page.goto(`${server.url}/tests/e2e/cache.html`);
  await page.waitForFunction(() => window.ready === true);
  return { child, exited, browser, page, errors, stderr: () => text };
}

/**
 * What Chromium 156 logs when, reopening after a kill, LevelDB reports
 * corruption ("checksum mismatch") and Chromium deletes the origin's whole
 * IndexedDB (every database, every record) and starts empty. The page is
 * not told. See docs/reliability.md, "Crash durability".
 */
const WIPED = /IndexedDB recovering from a corrupted \(and deleted\) database/;
/** Whether Chromium logged WIPED (its stderr reaches this process a little after the page saw the empty database). */
async function wasWiped(b) {
  for (let i = 0; i < 50 && !WIPED.test(b.stderr()); i++) await new Promise((r) => setTimeout(r, 100));
  return WIPED.test(b.stderr());
}
const wipeLines = (b) => b.stderr().split('\n').filter((l) => /indexed_db/.test(l)).map((l) => l.replace(/^\[[^\]]*\]\s*/, '')).join(' | ');

/** SIGKILL to the browser's process group: the browser and all its children die at once. */
async function crash(b) {
  process.kill(-b.child.pid, 'SIGKILL');
  await b.exited;
  await b.browser.close().catch(() => {});
}

/** A clean shutdown (Browser.close), for the end of a test. */
async function shutdown(b) {
  if (b.child.exitCode !== null || b.child.signalCode !== null) return;
  const session = await b.browser.newBrowserCDPSession().catch(() => null);
  await session?.send('Browser.close').catch(() => {});
  await b.exited;
}

function tempProfile(t) {
  const dir = mkdtempSync(join(tmpdir(), 'flowscale-durability-'));
  let current = null;
  t.after(async () => {
    if (current) {
      try {
        process.kill(-current.child.pid, 'SIGKILL');
      } catch {}
      await current.exited;
    }
    rmSync(dir, { recursive: true, force: true });
  });
  return { dir, track: (b) => (current = b) };
}

/** In the page: open caches as window[name], their error codes in window.codes[name]. */
const openCaches = (page, specs) =>
  page.evaluate(async (specs) => {
    window.codes ??= {};
    for (const [name, options] of Object.entries(specs)) {
      window.codes[name] = [];
      window[name] = await flowscale.WorkflowCache.open({ name, ...options, onError: (e) => window.codes[name].push(e.code) });
      if (window[name].stats().disk.status !== 'ok') throw new Error(`${name}: disk ${window[name].stats().disk.status}`);
    }
  }, specs);

/**
 * In the page: every record on disk of cache `name`, read back through the
 * cache (`get`) and compared there with makeWorkflow(key, its version)
 * (`intact`); the raw meta gives its tags and expiry. `values: true` also
 * returns the values.
 */
const readBack = (page, name, { values: withValues = false } = {}) =>
  page.evaluate(
    async ([name, withValues]) => {
      const same = (a, b) => {
        if (Object.is(a, b)) return true;
        if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
        if (Array.isArray(a) !== Array.isArray(b) || Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
        const ka = Object.keys(a), kb = Object.keys(b);
        return ka.length === kb.length && ka.every((k, i) => k === kb[i] && same(a[k], b[k]));
      };
      const db = await raw.openRaw(`flowscale-cache:${name}`);
      const all = (store, what) => new Promise((res, rej) => {
        const r = db.transaction(store).objectStore(store)[what]();
        r.onsuccess = () => res(r.result);
        r.onerror = () => rej(r.error);
      });
      const [keys, vkeys, metas] = [await all('meta', 'getAllKeys'), await all('values', 'getAllKeys'), await all('meta', 'getAll')];
      db.close();
      const cache = window[name];
      const values = await Promise.all(keys.map((k) => cache.get(k)));
      const s = cache.stats().disk;
      return {
        records: keys.map((k, i) => ({
          key: k,
          version: values[i]?.version ?? null,
          intact: values[i] !== undefined && same(values[i], makeWorkflow(k, values[i].version)),
          value: withValues ? values[i] ?? null : undefined,
          tags: metas[i].t,
          expiresAt: metas[i].e,
        })),
        valueKeys: vkeys,
        codes: window.codes[name],
        corruptRecords: s.corruptRecords,
      };
    },
    [name, withValues],
  );

test('acknowledged writes survive a SIGKILL of the browser: write-through after set, write-behind after flush(), cache-aside', async (t) => {
  // A whole-origin wipe by Chromium (WIPED) is reported and the scenario run
  // again on a new profile; any other loss fails.
  for (let attempt = 1; ; attempt++) {
    const wiped = await oneKill(t);
    if (!wiped) break;
    t.diagnostic(`attempt ${attempt}: Chromium deleted the origin's IndexedDB on reopen: ${wiped}`);
    console.log(`durability: attempt ${attempt}: Chromium deleted the origin's IndexedDB on reopen: ${wiped}`);
    assert.ok(attempt < 3, 'Chromium deleted the database after three kills in a row');
  }
});

/** Test 1's scenario on a new profile: a Chromium wipe's log lines when that happened, else null (all asserted). */
async function oneKill(t) {
  const profile = tempProfile(t);
  const N = 40;
  let b = profile.track(await launch(profile.dir));
  await openCaches(b.page, {
    wt: { strategy: 'write-through' },
    wb: { strategy: 'write-behind', flushIntervalMs: 600000 },
    ca: { strategy: 'cache-aside' },
  });
  const before = await b.page.evaluate(async (N) => {
    const ttl = (i) => (i % 3 === 0 ? Infinity : 86400 * (1 + i));
    const opts = (i, s) => ({ ttlSeconds: ttl(i), tags: [s, `wf:${i}`] });
    const t0 = Date.now();
    for (let i = 0; i < N; i++) await wt.set(`wf:${i}`, makeWorkflow(`wf:${i}`, 1), opts(i, 'wt')); // acknowledged one by one
    for (let i = 0; i < N; i++) await wb.set(`wf:${i}`, makeWorkflow(`wf:${i}`, 1), opts(i, 'wb'));
    await wb.flush(); // acknowledges the N write-behind sets
    for (let i = 0; i < N / 2; i++) await ca.set(`wf:${i}`, makeWorkflow(`wf:${i}`, 1), opts(i, 'ca'));
    for (let i = N / 2; i < N; i++) await ca.getOrLoad(`wf:${i}`, (k) => makeWorkflow(k, 1), opts(i, 'ca'));
    await ca.flush(); // acknowledges the loaded values
    const t1 = Date.now();
    // Not acknowledged: write-behind sets never flushed (exact or absent after the crash).
    for (let i = 0; i < N; i++) wb.set(`late:${i}`, makeWorkflow(`late:${i}`, 1), opts(i, 'wb'));
    return { t0, t1, durabilities };
  }, N);
  await crash(b);

  b = profile.track(await launch(profile.dir));
  await openCaches(b.page, { wt: { strategy: 'write-through' }, wb: { strategy: 'write-behind' }, ca: { strategy: 'cache-aside' } });
  const empty = (await Promise.all(['wt', 'wb', 'ca'].map((name) => readBack(b.page, name)))).every((r) => r.records.length === 0);
  if (empty && (await wasWiped(b))) {
    await shutdown(b);
    return wipeLines(b);
  }
  for (const name of ['wt', 'wb', 'ca']) {
    const r = await readBack(b.page, name, { values: true });
    const byKey = new Map(r.records.map((rec) => [rec.key, rec]));
    for (let i = 0; i < N; i++) {
      const rec = byKey.get(`wf:${i}`);
      assert.ok(rec, `${name}: acknowledged wf:${i} lost`);
      assert.deepEqual(rec.value, makeWorkflow(`wf:${i}`, 1), `${name}: wf:${i} intact`);
      assert.deepEqual([...rec.tags].sort(), [name, `wf:${i}`].sort(), `${name}: wf:${i} tags`);
      const ttl = i % 3 === 0 ? Infinity : 86400 * (1 + i) * 1000;
      if (ttl === Infinity) assert.equal(rec.expiresAt, Infinity, `${name}: wf:${i} never expires`);
      else assert.ok(rec.expiresAt >= before.t0 + ttl && rec.expiresAt <= before.t1 + ttl, `${name}: wf:${i} expiry ${rec.expiresAt}`);
    }
    for (const rec of r.records.filter((rec) => rec.key.startsWith('late:'))) {
      assert.deepEqual(rec.value, makeWorkflow(rec.key, 1), `${name}: unacknowledged ${rec.key} came back, but not intact`);
    }
    assert.deepEqual(r.codes, [], `${name}: no storage fault, CORRUPT_RECORD above all`);
    assert.equal(r.corruptRecords, 0);
    assert.deepEqual([...r.valueKeys].sort(), r.records.map((rec) => rec.key).sort(), `${name}: every value has its meta and the reverse`);
  }
  assert.deepEqual(Object.keys(before.durabilities), ['strict'], `every cache write transaction is strict: ${JSON.stringify(before.durabilities)}`);
  assert.deepEqual(b.errors, []);
  t.diagnostic(`acknowledged ${3 * N} writes (write-through ${N}, write-behind ${N} + flush, cache-aside ${N / 2} set + ${N / 2} loaded + flush), 1 SIGKILL: 0 lost`);
  await shutdown(b);
  return null;
}


test('random SIGKILLs during a stream of writes: zero acknowledged writes lost, zero corrupt records served', async (t) => {
  const ROUNDS = 20;
  const seed = Number(process.env.FLOWSCALE_DURABILITY_SEED ?? Math.floor(Math.random() * 2 ** 31));
  t.diagnostic(`seed ${seed} (FLOWSCALE_DURABILITY_SEED=${seed} replays it)`);
  console.log(`durability: seed ${seed}`);
  const rand = rng(seed);
  const profile = tempProfile(t);
  // key → { version, at, round, t0 } of the newest acknowledged write, per cache.
  const acked = { wt: new Map(), wb: new Map() };
  let acknowledged = 0;
  const onAck = (name, key, version, t0, at) => {
    acknowledged++;
    const prev = acked[name].get(key);
    if (!prev || prev.version < version) acked[name].set(key, { version, t0, at });
  };
  const specs = { wt: { strategy: 'write-through' }, wb: { strategy: 'write-behind', flushIntervalMs: 600000 } };
  let kills = 0;
  let wipes = 0;
  let lostToWipes = 0;
  let checked = 0;
  let unacknowledgedBack = 0;
  const durabilities = {};
  for (let round = 0; round <= ROUNDS; round++) {
    debug('round', round, 'launch');
    debug.log?.push(`\n==== round ${round}\n`);
    const b = profile.track(await launch(profile.dir, { onAck }));
    debug('open');
    await openCaches(b.page, specs);
    debug('check');
    // Chromium deleted the origin's IndexedDB (nothing of either cache is
    // left; a partial loss is the cache's and fails below): counted and
    // reported, and the rounds go on from empty.
    const left = (await Promise.all(['wt', 'wb'].map((name) => readBack(b.page, name)))).reduce((n, r) => n + r.records.length, 0);
    if (round > 0 && left === 0 && (await wasWiped(b))) {
      if (process.env.FLOWSCALE_DURABILITY_DEBUG === 'snapshot') {
        cpSync(`/tmp/flowscale-durability-killed-${seed}/round-${round - 1}`, `/tmp/flowscale-durability-wiped-${seed}-${round}`, { recursive: true });
      }
      wipes++;
      lostToWipes += acked.wt.size + acked.wb.size;
      const note = `round ${round}: Chromium deleted the origin's IndexedDB on reopen (${acked.wt.size + acked.wb.size} acknowledged keys gone): ${wipeLines(b)}`;
      t.diagnostic(note);
      console.log(`durability: ${note}`);
      acked.wt.clear();
      acked.wb.clear();
    }
    // Everything acknowledged before the earlier kills is back, exactly.
    for (const name of ['wt', 'wb']) {
      const r = await readBack(b.page, name);
      const byKey = new Map(r.records.map((rec) => [rec.key, rec]));
      const missing = [...acked[name].keys()].filter((k) => !byKey.has(k));
      if (missing.length) {
        const dbs = await b.page.evaluate(async () => (await indexedDB.databases()).map((d) => `${d.name} v${d.version}`));
        if (process.env.FLOWSCALE_DURABILITY_DEBUG) {
          const out = `/tmp/flowscale-durability-lost-${seed}-${round}`;
          cpSync(profile.dir, out, { recursive: true });
          writeFileSync(`${out}/chromium-stderr.txt`, debug.log.join(''));
          debug(`profile copied to ${out}`);
        }
        debug(`round ${round}: ${name} lost ${missing.length} of ${acked[name].size} acknowledged keys (${r.records.length} records on disk; databases ${dbs.join(', ')}): ${missing.slice(0, 20).join(' ')}`);
      }
      for (const [key, a] of acked[name]) {
        const rec = byKey.get(key);
        assert.ok(rec, `round ${round}, seed ${seed}: ${name} lost acknowledged ${key} v${a.version} (${missing.length} of ${acked[name].size} acknowledged keys missing, ${r.records.length} records on disk)`);
        assert.ok(rec.version >= a.version, `round ${round}, seed ${seed}: ${name} ${key} went back to v${rec.version} after v${a.version} was acknowledged`);
        checked++;
      }
      for (const rec of r.records) {
        assert.ok(rec.intact, `round ${round}, seed ${seed}: ${name} ${rec.key} (v${rec.version}) not intact`);
        const idx = Number(rec.key.split(':')[2]);
        assert.deepEqual([...rec.tags].sort(), [`k:${idx}`, rec.key.split(":")[0], "stream"].sort(), `${name} ${rec.key}: tags`);
        const a = acked[name].get(rec.key);
        if (idx % 2 === 0) assert.equal(rec.expiresAt, Infinity);
        else if (a && a.version === rec.version) {
          assert.ok(rec.expiresAt >= a.t0 + 1e9 && rec.expiresAt <= a.at + 1e9, `${name} ${rec.key}: expiry ${rec.expiresAt}`);
        }
        if (rec.key.startsWith(`r${round - 1}:`) && (!a || a.version < rec.version)) unacknowledgedBack++;
      }
      assert.deepEqual(r.codes, [], `round ${round}, seed ${seed}: ${name} storage faults (CORRUPT_RECORD above all)`);
      assert.equal(r.corruptRecords, 0);
      assert.deepEqual([...r.valueKeys].sort(), r.records.map((rec) => rec.key).sort(), `${name}: every value has its meta and the reverse`);
    }
    if (round === ROUNDS) {
      assert.deepEqual(b.errors, []);
      await shutdown(b);
      break;
    }
    // A stream of writes to both caches, overwriting keys (versions rise),
    // each acknowledgement reported to this process as it happens; the
    // browser is killed at a random moment in it.
    const streamSeed = Math.floor(rand() * 2 ** 31);
    b.page
      .evaluate(
        async ([round, streamSeed]) => {
          let s = streamSeed;
          const rnd = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 4294967296);
          const K = 24;
          const opts = (r, i) => ({ ttlSeconds: i % 2 === 0 ? Infinity : 1e6, tags: ['stream', r, `k:${i}`] });
          const t0 = Date.now();
          const writeThrough = async () => {
            for (let n = 0; ; n++) {
              const i = n % K, key = `r${round}:wt:${i}`, version = Math.floor(n / K) + 1;
              await wt.set(key, makeWorkflow(key, version), opts(`r${round}`, i));
              ack('wt', key, version, t0, Date.now());
            }
          };
          const writeBehind = async () => {
            for (let n = 0; ; ) {
              const batch = [];
              for (let j = 1 + Math.floor(rnd() * 6); j > 0; j--, n++) {
                const i = n % K, key = `r${round}:wb:${i}`, version = Math.floor(n / K) + 1;
                wb.set(key, makeWorkflow(key, version), opts(`r${round}`, i));
                batch.push([key, version]);
              }
              await wb.flush();
              const at = Date.now();
              for (const [key, version] of batch) ack('wb', key, version, t0, at);
            }
          };
          window.streaming = Promise.all([writeThrough(), writeBehind()]);
        },
        [round, streamSeed],
      )
      .catch(() => {});
    debug('stream');
    await new Promise((r) => setTimeout(r, 100 + Math.floor(rand() * 900)));
    debug('kill');
    Object.entries(await b.page.evaluate(() => durabilities)).forEach(([k, v]) => (durabilities[k] = (durabilities[k] ?? 0) + v));
    await crash(b);
    kills++;
    if (process.env.FLOWSCALE_DURABILITY_DEBUG === 'snapshot') {
      // The profile's IndexedDB as the kill left it, before Chromium reopens it.
      const out = `/tmp/flowscale-durability-killed-${seed}`;
      cpSync(join(profile.dir, 'Default/IndexedDB'), `${out}/round-${round}`, { recursive: true });
      rmSync(`${out}/round-${round - 2}`, { recursive: true, force: true });
    }
  }
  assert.ok(acknowledged > 0);
  // A wipe empties what the next rounds check: a run of wipes would leave nothing proved.
  assert.ok(checked > 0 && wipes <= 2, `${checked} acknowledged keys read back after kills, ${wipes} wipes by Chromium`);
  assert.deepEqual(Object.keys(durabilities), ['strict'], `every cache write transaction is strict: ${JSON.stringify(durabilities)}`);
  const summary = `seed ${seed}: ${kills} SIGKILLs, ${acknowledged} writes acknowledged, ${checked} acknowledged keys read back after kills: 0 lost by the cache, 0 corrupt; ${unacknowledgedBack} writes not yet acknowledged at a kill came back, intact; Chromium deleted the whole database ${wipes} times (${lostToWipes} acknowledged keys with it)`;
  t.diagnostic(summary);
  console.log(`durability: ${summary}`);
});
