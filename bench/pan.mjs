// Panning in headless Chromium: plain React Flow (with and without
// onlyRenderVisibleElements) against React Flow + flowscale (culling +
// window + GPU layer), same page, same pan script, interleaved rounds.
// Measures view updates per second (frames while the view moves), p95
// and longest frame while panning, and time to first render. Software GL
// here (SwiftShader): compare ratios, not absolute numbers.
//
//   node bench/pan.mjs            (run by npm run bench; needs a built dist/)
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS, serve } from '../tests/e2e/serve.mjs';
import { machine, median, table, writeSection } from './lib.mjs';

const SIZES = [20_000, 100_000];
const MODES = ['flowscale', 'flowscale&gpu=off', 'plain-visible', 'plain'];
const ROUNDS = 2;
const LOAD_LIMIT_MS = 30_000;

const server = await serve(new URL('../dist/', import.meta.url).pathname);
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });

async function measure(n, mode) {
  const page = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
  try {
    const t0 = Date.now();
    await page.goto(`${server.url}/?n=${n}&mode=${mode}&debug=1`, { timeout: LOAD_LIMIT_MS });
    await page.waitForSelector('.react-flow__node', { timeout: LOAD_LIMIT_MS });
    const firstRender = Date.now() - t0;
    await page.waitForTimeout(500);
    // Pan through React Flow's own store: one viewport step per animation
    // frame (a 15 × 7 px drag per frame), timing the frames it produces.
    const gaps = await page.evaluate(async () => {
      const rf = window.__flowscale.reactFlow();
      const start = rf.getViewport();
      const out = [];
      let last = await new Promise(requestAnimationFrame);
      for (let k = 1; k <= 90; k++) {
        rf.setViewport({ x: start.x - k * 15, y: start.y - k * 7, zoom: start.zoom });
        const t = await new Promise(requestAnimationFrame);
        out.push(t - last);
        last = t;
      }
      return out;
    });
    gaps.sort((a, b) => a - b);
    const med = gaps[gaps.length >> 1];
    return {
      firstRender,
      updatesPerSecond: 1000 / med,
      p95: gaps[Math.floor(gaps.length * 0.95)] ?? NaN,
      longest: gaps.at(-1) ?? NaN,
      mounted: await page.locator('.react-flow__node').count(),
    };
  } catch (e) {
    return { failed: `did not load in ${LOAD_LIMIT_MS / 1000} s` };
  } finally {
    await page.close();
  }
}

const rows = [];
for (const n of SIZES) {
  const results = Object.fromEntries(MODES.map((m) => [m, []]));
  for (let r = 0; r < ROUNDS; r++) {
    for (let k = 0; k < MODES.length; k++) {
      const mode = MODES[(r + k) % MODES.length];
      if (mode.startsWith('plain') && n > 20_000 && r > 0) continue; // one try is enough to see it fail to load
      const res = await measure(n, mode);
      console.error(n, mode, JSON.stringify(res));
      results[mode].push(res);
    }
  }
  const base = median(results.flowscale.filter((x) => !x.failed).map((x) => x.updatesPerSecond));
  for (const mode of MODES) {
    const ok = results[mode].filter((x) => !x.failed);
    if (!ok.length) {
      rows.push([n.toLocaleString('en'), mode, results[mode][0]?.failed ?? 'not run', '', '', '', '', '']);
      continue;
    }
    const m = (k) => median(ok.map((x) => x[k]));
    rows.push([
      n.toLocaleString('en'),
      mode,
      `${(m('firstRender') / 1000).toFixed(1)} s`,
      m('updatesPerSecond').toFixed(1),
      `${m('p95').toFixed(0)} ms`,
      `${m('longest').toFixed(0)} ms`,
      String(Math.round(m('mounted'))),
      mode === 'flowscale' ? '1×' : `${(base / m('updatesPerSecond')).toFixed(1)}×`,
    ]);
  }
}
await browser.close();
await server.close();

const body = `### Panning in the browser (issue: renderer)

Command: \`npm run bench\` (runs \`node bench/pan.mjs\` after building \`dist/\`). Machine: ${machine()}, headless Chromium
with SwiftShader (software GL, default raster mode). The demo page at 1920×1080 with a generated audio workflow;
a pan of 90 steps (15 × 7 px each) through React Flow's store, one step per animation frame; ${ROUNDS} interleaved
rounds, medians. "View updates/s" is 1000 ÷ the median frame time while panning; "flowscale ÷ this" is how many
times more updates React Flow + flowscale (with its GPU layer) delivered. \`flowscale&gpu=off\` is flowscale's
culling and window without the GPU layer.

${table(['nodes', 'mode', 'first render', 'view updates/s', 'p95 frame', 'longest frame', 'DOM nodes', 'flowscale ÷ this'], rows)}`;
writeSection(new URL('../docs/benchmarks.md', import.meta.url).pathname, 'pan', body);
console.log(body);
