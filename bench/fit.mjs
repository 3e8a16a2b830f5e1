// "Size stops mattering": the demo page in headless Chromium at 1920×1080,
// from 10k to 1M nodes. Per size, in a fresh page:
//   - load: navigation to every node indexed (the scenario is generated, then
//     indexed in slices), the longest main-thread task meanwhile (a
//     `longtask` PerformanceObserver) and how many went over 100 ms;
//   - the synchronous cost of one viewport change (React Flow's store update
//     → flowscale frame() → GPU layer encode), one change per animation
//     frame, with the whole workflow fitted to the pane and at zoom 1;
//   - memory once loaded: wasm linear memory, and JS heap + wasm from
//     measureUserAgentSpecificMemory (the page is cross-origin isolated).
// Plain React Flow is measured at 10k for the memory column (it does not
// load 100k in a minute: see the pan benchmark).
//
//   node bench/fit.mjs            (run by npm run bench; needs a built dist/)
//   FIT_SIZES=10000,100000 node bench/fit.mjs
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS, serve } from '../tests/e2e/serve.mjs';
import { machine, median, table, writeSection } from './lib.mjs';

const SIZES = (process.env.FIT_SIZES ?? '10000,100000,1000000').split(',').map(Number);
const ROUNDS = Number(process.env.FIT_ROUNDS ?? 2);
const CHANGES = 120;

const server = await serve(new URL('../dist/', import.meta.url).pathname);
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });

async function measure(n, mode = 'flowscale') {
  const page = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
  try {
    await page.addInitScript(() => {
      window.__tasks = [];
      new PerformanceObserver((l) => {
        for (const e of l.getEntries()) window.__tasks.push([e.startTime, e.duration]);
      }).observe({ type: 'longtask', buffered: true });
    });
    await page.goto(`${server.url}/?n=${n}&mode=${mode}&debug=1&panel=off`, { timeout: 120_000 });
    // Indexed: no progress bar and every node counted (polled from inside the page).
    const loadedAt = await page.evaluate(
      (n) =>
        new Promise((resolve) => {
          const poll = () => {
            const total = Number(document.querySelector('[data-stat="total"]')?.textContent.replace(/\D/g, '') ?? 0);
            const busy = document.querySelector('[data-testid="progress"]');
            const opt = window.__flowscale?.optimizer;
            if (!busy && total === n && (!opt || opt.nodeCount === n)) resolve(performance.now());
            else setTimeout(poll, 10);
          };
          poll();
        }),
      n,
    );
    const tasks = await page.evaluate((end) => window.__tasks.filter(([s]) => s < end), loadedAt);
    const load = { ms: loadedAt, longest: Math.max(0, ...tasks.map((t) => t[1])), over100: tasks.filter((t) => t[1] > 100).length };
    if (mode !== 'flowscale') return { load };
    await page.waitForFunction(() => window.__flowscale?.renderer, null, { timeout: 30_000 });
    await page.waitForTimeout(300);
    const cost = await page.evaluate(async (changes) => {
      const { reactFlow, store, renderer } = window.__flowscale;
      const rf = reactFlow();
      const pane = document.querySelector('[data-testid="flow-pane"]').getBoundingClientRect();
      let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
      for (const n of store.getState().nodes) {
        x0 = Math.min(x0, n.position.x);
        y0 = Math.min(y0, n.position.y);
        x1 = Math.max(x1, n.position.x + (n.width ?? 150));
        y1 = Math.max(y1, n.position.y + (n.height ?? 40));
      }
      // React Flow's fitView with its default padding (0.1).
      const zoom = Math.min(pane.width / (x1 - x0), pane.height / (y1 - y0)) / 1.2;
      const fit = { x: pane.width / 2 - ((x0 + x1) / 2) * zoom, y: pane.height / 2 - ((y0 + y1) / 2) * zoom, zoom };
      const near = { x: pane.width / 2 - x0 - 400, y: pane.height / 2 - y0 - 300, zoom: 1 };
      const frame = () => new Promise(requestAnimationFrame);
      const run = async (vp) => {
        rf.setViewport(vp);
        for (let k = 0; k < 10; k++) await frame();
        const times = [];
        for (let k = 0; k < changes; k++) {
          const t0 = performance.now();
          rf.setViewport({ ...vp, x: vp.x + (k % 2 ? 1 : -1) });
          times.push(performance.now() - t0);
          await frame();
        }
        times.sort((a, b) => a - b);
        const s = renderer.stats();
        return { median: times[times.length >> 1], p95: times[Math.floor(times.length * 0.95)], glyphs: s.clusters, bundles: s.bundles, nodes: s.nodes };
      };
      return { fit: await run(fit), zoom1: await run(near), fitZoom: zoom };
    }, CHANGES);
    const memory = await page.evaluate(async () => {
      const wasm = window.__flowscale.optimizer ? performance.memory?.usedJSHeapSize : 0;
      let total = null;
      try {
        total = (await performance.measureUserAgentSpecificMemory()).bytes;
      } catch { /* not isolated */ }
      return { total, jsHeap: wasm };
    });
    return { load, cost, memory };
  } finally {
    await page.close();
  }
}

/** Wasm linear memory of the page's module (the optimizer's bytes live there). */
async function plainMemory(n) {
  const page = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
  try {
    await page.goto(`${server.url}/?n=${n}&mode=plain&debug=1&panel=off`, { timeout: 120_000 });
    await page.waitForFunction(() => document.querySelectorAll('.react-flow__node').length > 0 && !document.querySelector('[data-testid="progress"]'), null, { timeout: 120_000, polling: 200 });
    await page.waitForTimeout(500);
    return await page.evaluate(async () => (await performance.measureUserAgentSpecificMemory()).bytes);
  } catch {
    return null;
  } finally {
    await page.close();
  }
}

const results = new Map(SIZES.map((n) => [n, []]));
for (let r = 0; r < ROUNDS; r++) {
  for (const n of SIZES) {
    const m = await measure(n);
    results.get(n).push(m);
    console.log(`round ${r + 1}, ${n.toLocaleString('en')} nodes: load ${m.load.ms.toFixed(0)} ms (longest task ${m.load.longest.toFixed(0)} ms), fit ${m.cost.fit.median.toFixed(2)} ms, zoom 1 ${m.cost.zoom1.median.toFixed(2)} ms`);
  }
}
const plain10k = await plainMemory(10_000);
await browser.close();
await server.close();

const ms = (v) => (v >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${v.toFixed(v < 10 ? 2 : 0)} ms`);
const mib = (b) => (b == null ? '—' : `${(b / 2 ** 20).toFixed(0)} MiB`);
const med = (n, f) => median(results.get(n).map(f));
const base = SIZES[0];
const rows = SIZES.map((n) => [
  n.toLocaleString('en'),
  ms(med(n, (m) => m.cost.fit.median)),
  `${(med(n, (m) => m.cost.fit.median) / med(base, (m) => m.cost.fit.median)).toFixed(2)}×`,
  ms(med(n, (m) => m.cost.fit.p95)),
  `${med(n, (m) => m.cost.fit.glyphs)} / ${med(n, (m) => m.cost.fit.bundles)}`,
  ms(med(n, (m) => m.cost.zoom1.median)),
  ms(med(n, (m) => m.load.ms)),
  ms(med(n, (m) => m.load.longest)),
  String(med(n, (m) => m.load.over100)),
  mib(med(n, (m) => m.memory.total)),
]);
const body = `### Size stops mattering: fitted views and loads in the browser

Command: \`npm run bench\` (runs \`node bench/fit.mjs\` after building \`dist/\`; \`FIT_SIZES\`, \`FIT_ROUNDS\` pick a
subset). Machine: ${machine()}; headless Chromium, SwiftShader WebGL2, the demo page at 1920×1080, ${ROUNDS} rounds,
medians. "Viewport change" is the synchronous cost of one \`setViewport\` through React Flow's store (its subscriber
calls flowscale's \`frame()\` and the GPU layer's encode), one per animation frame, ${CHANGES} changes of ±1 px: "fitted"
with the whole workflow in the pane (React Flow's fitView padding), "zoom 1" zoomed in. "Load" is navigation to
every node indexed (the scenario generated in chunks, the first 10k nodes shown, then \`setWorkflowAsync\`);
"longest task" and "> 100 ms" come from a \`longtask\` PerformanceObserver over the same span. "Memory" is
\`measureUserAgentSpecificMemory\` (JS heap + wasm) once loaded; plain React Flow at 10k: ${mib(plain10k)}.

${table(['nodes', 'viewport change, fitted', 'vs 10k', 'p95', 'glyphs / bundles drawn', 'viewport change, zoom 1', 'load', 'longest task', 'tasks > 100 ms', 'memory'], rows)}
`;
writeSection(new URL('../docs/benchmarks.md', import.meta.url).pathname, 'fit', body);
console.log(body);
