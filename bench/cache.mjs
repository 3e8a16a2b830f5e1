// Cache benchmark. Two parts, written into docs/benchmarks.md:
//
// 1. Memory tier, in Node: a Zipf(1.0) trace over 100,000 keys against a
//    capacity of 10,000 — get, and set on a miss — for WorkflowCache (LRU and
//    TinyLFU admission) and lru-cache, interleaved round by round. Hit rate,
//    throughput, and the hit path alone (every key resident).
// 2. IndexedDB tier, in headless Chromium: put and get of 1,000 workflows of
//    100 nodes and of one 10,000-node workflow (real n8n workflows), against
//    idb-keyval in the same browser run.
//
//   node bench/cache.mjs            (both; needs pkg/ built: npm run build:pkg)
//   node bench/cache.mjs --memory   (part 1 only)
//   node bench/cache.mjs --idb      (part 2 only)
import { LRUCache } from 'lru-cache';
import { chromium } from 'playwright-core';
import { WorkflowCache } from '../tests/js/flowscale.mjs';
import { generate, loadN8n, rng, tileN8n } from '../tests/js/workflows.mjs';
import { CHROMIUM_ARGS, serve } from '../tests/e2e/serve.mjs';
import { fmtRatio, fmtTime, interleave, machine, median, table, writeSection } from './lib.mjs';

const DOC = new URL('../docs/benchmarks.md', import.meta.url).pathname;
const KEYS = 100_000;
const CAPACITY = 10_000;
const TRACE = 2_000_000;
const WARMUP = 200_000; // ops before the hit rate is counted

/** A Zipf(s) trace over `n` keys (rank 0 most popular), as indices. */
function zipfTrace(n, s, length, seed) {
  const cdf = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) cdf[i] = sum += 1 / Math.pow(i + 1, s);
  const r = rng(seed);
  const out = new Uint32Array(length);
  for (let j = 0; j < length; j++) {
    const x = r() * sum;
    let lo = 0, hi = n - 1;
    while (lo < hi) {
      const m = (lo + hi) >> 1;
      if (cdf[m] < x) lo = m + 1;
      else hi = m;
    }
    out[j] = lo;
  }
  return out;
}

const fmtOps = (msPerOp) => `${(1 / msPerOp / 1000).toFixed(2)} M ops/s`;

async function memoryPart() {
  // Keys are strings, made once: hashing, not string building, is measured.
  // Ranks are shuffled onto key names so popularity does not follow insertion order.
  const names = Array.from({ length: KEYS }, (_, i) => `workflow:${(i * 48271) % KEYS}`);
  const trace = Array.from(zipfTrace(KEYS, 1.0, TRACE, 7), (i) => names[i]);
  const hot = Array.from(zipfTrace(CAPACITY, 1.0, 1 << 20, 11), (i) => names[i]);

  const open = (admission) => WorkflowCache.open({
    name: `bench-${admission}`, memoryMaxEntries: CAPACITY, memoryMaxMb: 1024, diskMaxMb: 0, broadcast: false, admission,
  });
  const caches = {
    'lru-cache': new LRUCache({ max: CAPACITY }),
    'lru-cache (ttl 300 s)': new LRUCache({ max: CAPACITY, ttl: 300_000 }),
    'flowscale (LRU)': await open('lru'),
    'flowscale (TinyLFU)': await open('tinylfu'),
  };
  const lru = (c) => (k) => { if (c.get(k) === undefined) c.set(k, 1); };
  const fs = (c) => (k) => { if (c.getSync(k) === undefined) c.set(k, 1); };
  const step = Object.fromEntries(Object.entries(caches).map(([n, c]) => [n, n.startsWith('lru') ? lru(c) : fs(c)]));

  // Hit rate: one pass from empty, counted after the warm-up.
  const hitRate = {};
  for (const [name, c] of Object.entries(caches)) {
    const get = name.startsWith('lru') ? (k) => c.get(k) : (k) => c.getSync(k);
    let hits = 0;
    for (let j = 0; j < TRACE; j++) {
      const k = trace[j];
      const hit = get(k) !== undefined;
      if (!hit) c.set(k, 1);
      if (j >= WARMUP && hit) hits++;
    }
    hitRate[name] = hits / (TRACE - WARMUP);
  }

  // Throughput on the warm caches: the whole trace per round, interleaved.
  const CHUNK = 500_000;
  const throughput = interleave(
    Object.fromEntries(Object.entries(step).map(([n, f]) => [n, (round) => {
      const start = (round * CHUNK) % TRACE;
      for (let j = start; j < start + CHUNK; j++) f(trace[j]);
      return CHUNK;
    }])),
    { rounds: 9, warmup: 2 },
  );

  // The hit path alone: the 10,000 hottest keys resident, Zipf over them.
  const hitCaches = {
    'lru-cache': new LRUCache({ max: CAPACITY }),
    'lru-cache (ttl 300 s)': new LRUCache({ max: CAPACITY, ttl: 300_000 }),
    'flowscale (LRU)': await open('lru'),
    'flowscale (TinyLFU)': await open('tinylfu'),
  };
  for (const c of Object.values(hitCaches)) for (let i = 0; i < CAPACITY; i++) c.set(names[i], { i });
  const hits = interleave(
    Object.fromEntries(Object.entries(hitCaches).map(([n, c]) => [n, n.startsWith('lru')
      ? () => { let m = 0; for (let j = 0; j < hot.length; j++) if (c.get(hot[j]) === undefined) m++; if (m) throw new Error(`${n}: ${m} misses`); return hot.length; }
      : () => { let m = 0; for (let j = 0; j < hot.length; j++) if (c.getSync(hot[j]) === undefined) m++; if (m) throw new Error(`${n}: ${m} misses`); return hot.length; }])),
    { rounds: 9, warmup: 2 },
  );
  // `await cache.get(key)` (a promise per hit) for scale.
  const fsCache = hitCaches['flowscale (LRU)'];
  const asyncMs = [];
  for (let r = 0; r < 5; r++) {
    const t0 = performance.now();
    for (let j = 0; j < 200_000; j++) await fsCache.get(hot[j]);
    asyncMs.push((performance.now() - t0) / 200_000);
  }
  const asyncHit = median(asyncMs);

  const base = 'lru-cache';
  const rows = Object.keys(caches).map((n) => [
    n,
    hitRate[n].toFixed(3),
    fmtOps(throughput[n]),
    fmtTime(throughput[n]),
    fmtTime(hits[n]),
    n === base ? '1' : fmtRatio(hits[n] / hits[base]),
  ]);
  const fsLru = hits['flowscale (LRU)'] / hits[base];
  const body = `Command: \`npm run bench\` (runs \`node bench/cache.mjs\` after the frame benchmark). Machine: ${machine()}.
A Zipf(1.0) trace of ${TRACE.toLocaleString('en')} requests over ${KEYS.toLocaleString('en')} keys, capacity ${CAPACITY.toLocaleString('en')} entries: \`get\`, and \`set\` on a miss
(WorkflowCache: \`getSync\`, the memory tier, opened with \`diskMaxMb: 0, broadcast: false\`). Hit rate counted after
the first ${WARMUP.toLocaleString('en')} requests of one pass from empty; throughput on warm caches, median of interleaved rounds of
${(500_000).toLocaleString('en')} requests. Hit path: the ${CAPACITY.toLocaleString('en')} hottest keys resident, a Zipf(1.0) trace over them (every request a hit).
WorkflowCache checks a TTL on every hit (default 300 s), so lru-cache with a TTL is shown too.

| cache | hit rate | throughput | per request | hit path | hit path ÷ lru-cache |
| --- | --- | --- | --- | --- | --- |
${rows.map((r) => `| ${r.join(' | ')} |`).join('\n')}

Targets: hit rate ≥ lru-cache's — LRU ${hitRate['flowscale (LRU)'] >= hitRate[base] ? 'met' : 'missed'} (${hitRate['flowscale (LRU)'].toFixed(3)} vs ${hitRate[base].toFixed(3)}; the same policy),
TinyLFU ${hitRate['flowscale (TinyLFU)'] > hitRate[base] ? 'raises it' : 'does not raise it'} to ${hitRate['flowscale (TinyLFU)'].toFixed(3)}; memory-tier hit path within 2× of lru-cache's — ${fsLru <= 2 ? 'met' : 'missed'} (${fmtRatio(fsLru)}).
\`await cache.get(key)\` on a memory hit (a promise per call): ${fmtTime(asyncHit)}. A miss costs more than lru-cache's: \`set\`
crosses the boundary with the key string, estimates the value's size and updates the JS mirror from Rust, so the
whole workload runs at a fraction of lru-cache's throughput (the table's "throughput" column).
`;
  writeSection(DOC, 'cache-memory', body);
  console.log(body);
  await Promise.all([...Object.values(caches), ...Object.values(hitCaches)].map((c) => c.close?.()));
}

/** 1,000 workflows of 100 nodes (consecutive slices of the tiled n8n workflows) and one of 10,000. */
function workflows() {
  const real = loadN8n() !== null;
  const all = real ? tileN8n(100_000) : generate(100_000);
  const small = [];
  for (let i = 0; i < 1000; i++) {
    const nodes = all.nodes.slice(i * 100, (i + 1) * 100);
    const ids = new Set(nodes.map((n) => n.id));
    small.push({ nodes, edges: all.edges.filter((e) => ids.has(e.source) && ids.has(e.target)) });
  }
  const big = real ? tileN8n(10_000) : generate(10_000);
  return { small, big, real };
}

async function idbPart() {
  const { small, big, real } = workflows();
  const server = await serve(new URL('..', import.meta.url).pathname);
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  try {
    const page = await browser.newPage();
    page.on('pageerror', (e) => console.error(e));
    await page.goto(`${server.url}/bench/cache.html`);
    await page.waitForFunction(() => window.ready === true);
    const json = (v) => JSON.stringify(v).length;
    const bytes = { small: small.reduce((s, w) => s + json(w), 0), big: json(big) };
    await page.evaluate(([small, big]) => { window.small = small; window.big = big; }, [small, big]);
    const results = await page.evaluate((rounds) => window.runBench(rounds), 7);
    const ops = [
      ['1,000 × 100 nodes: put, one batch', 'putBatch', 'set × 1000 in one turn (one transaction)', 'setMany'],
      ['1,000 × 100 nodes: put, one by one', 'putSeq', 'await set, 1000 times', 'await set, 1000 times'],
      ['1,000 × 100 nodes: get, one batch', 'getBatch', 'get × 1000 in one turn', 'getMany'],
      ['1,000 × 100 nodes: get, one by one', 'getSeq', 'await get, 1000 times', 'await get, 1000 times'],
      ['10,000 nodes: put', 'putBig', 'await set', 'await set'],
      ['10,000 nodes: get', 'getBig', 'await get', 'await get'],
    ];
    const rows = ops.map(([what, k, fsHow, kvHow]) => [
      what, fmtTime(results.flowscale[k]), fmtTime(results.idbKeyval[k]), fmtRatio(results.flowscale[k] / results.idbKeyval[k]), `${fsHow} / ${kvHow}`,
    ]);
    const body = `Command: \`npm run bench\` (\`node bench/cache.mjs\`). Machine: ${machine()}; Chromium ${browser.version()} headless, one page,
real IndexedDB. Data: ${real ? 'the real n8n workflows of `../shared/data/n8n`, tiled and cut into' : 'generated'} 1,000 workflows of 100 nodes
(${(bytes.small / 1e6).toFixed(1)} MB as JSON) and one of 10,000 nodes (${(bytes.big / 1e6).toFixed(1)} MB). WorkflowCache write-through (a put resolves once the
transaction committed), gets from a freshly opened cache (memory tier empty, so every get reads IndexedDB);
idb-keyval ${results.idbKeyvalVersion} with its own store. Medians of ${results.rounds} interleaved rounds (after one warm-up round each), each on
fresh databases.

| operation | flowscale | idb-keyval | flowscale ÷ idb-keyval | how |
| --- | --- | --- | --- | --- |
${rows.map((r) => `| ${r.join(' | ')} |`).join('\n')}

What flowscale adds per value: a size estimate (a walk of the value), a second small record (expiry, size, tags,
access time) in the same transaction, and on a get the promotion into the memory tier.
`;
    writeSection(DOC, 'cache-idb', body);
    console.log(body);
  } finally {
    await browser.close();
    await server.close();
  }
}

if (!process.argv.includes('--idb')) await memoryPart();
if (!process.argv.includes('--memory')) await idbPart();
