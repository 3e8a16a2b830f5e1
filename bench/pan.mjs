// Panning in headless Chromium: plain React Flow (with and without
// onlyRenderVisibleElements) against React Flow + flowscale (culling +
// window + GPU layer, and without the GPU layer), same page, same pan
// script, interleaved rounds, from a 10-node page (the script's own
// ceiling) to 1M nodes, in both of Chromium's raster modes. Measures view
// updates per second (frames while the view moves), p95 and longest frame,
// long-animation-frame script time and busy share while panning, and time
// to first render. Software GL here (SwiftShader): compare ratios, not
// absolute numbers.
//
//   node bench/pan.mjs                 (run by npm run bench; needs a built dist/)
//   PAN_SIZES=10,20000 PAN_RASTER=cpu node bench/pan.mjs
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS, serve } from '../tests/e2e/serve.mjs';
import { machine, median, table, writeSection } from './lib.mjs';

const SIZES = (process.env.PAN_SIZES ?? '10,1000,20000,100000,1000000').split(',').map(Number);
const RASTERS = (process.env.PAN_RASTER ?? 'default,cpu').split(',');
// 'flowscale fitted': the same pan with the whole workflow fitted to the pane first.
const MODES = ['flowscale', 'flowscale fitted', 'flowscale&gpu=off', 'plain-visible', 'plain'];
const ROUNDS = 2;
const LOAD_LIMIT_MS = 60_000;

// The target: at least 90 % of the ceiling at these sizes.
const TARGET_SIZES = [20_000, 100_000, 1_000_000];
const shares = [];
const server = await serve(new URL('../dist/', import.meta.url).pathname);
let browser;

async function measure(n, mode) {
  const page = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
  const fitted = mode.endsWith(' fitted');
  try {
    await page.goto(`${server.url}/?n=${n}&mode=${mode.replace(' fitted', '')}&debug=1`, { timeout: LOAD_LIMIT_MS });
    // Loaded: no progress bar, and the app's own first-render time is shown.
    await page.waitForFunction(
      () => !document.querySelector('[data-testid="progress"]') && document.querySelector('[data-stat="firstRender"]'),
      null,
      { timeout: LOAD_LIMIT_MS, polling: 200 },
    );
    const firstRender = Number((await page.locator('[data-stat="firstRender"]').textContent()).replace(/\D/g, ''));
    if (fitted) {
      // React Flow's fitView of the whole document (padding 0.1), not only of the mounted nodes.
      await page.evaluate(() => {
        const { reactFlow, store } = window.__flowscale;
        const pane = document.querySelector('[data-testid="flow-pane"]').getBoundingClientRect();
        let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
        for (const n of store.getState().nodes) {
          x0 = Math.min(x0, n.position.x); y0 = Math.min(y0, n.position.y);
          x1 = Math.max(x1, n.position.x + (n.width ?? 150)); y1 = Math.max(y1, n.position.y + (n.height ?? 40));
        }
        const zoom = Math.min(pane.width / (x1 - x0), pane.height / (y1 - y0)) / 1.2;
        reactFlow().setViewport({ x: pane.width / 2 - ((x0 + x1) / 2) * zoom, y: pane.height / 2 - ((y0 + y1) / 2) * zoom, zoom });
      });
    }
    await page.waitForTimeout(500);
    // Pan through React Flow's own store: one viewport step per animation
    // frame (a 15 × 7 px drag per frame), timing the frames it produces and
    // collecting the long animation frames (≥ 50 ms) that happen meanwhile.
    const r = await page.evaluate(async () => {
      const rf = window.__flowscale.reactFlow();
      const start = rf.getViewport();
      const loaf = [];
      const obs = new PerformanceObserver((l) => loaf.push(...l.getEntries()));
      try { obs.observe({ type: 'long-animation-frame' }); } catch { /* not supported */ }
      const gaps = [];
      let last = await new Promise(requestAnimationFrame);
      const t0 = last;
      for (let k = 1; k <= 90; k++) {
        rf.setViewport({ x: start.x - k * 15, y: start.y - k * 7, zoom: start.zoom });
        const t = await new Promise(requestAnimationFrame);
        gaps.push(t - last);
        last = t;
      }
      await new Promise((res) => setTimeout(res, 100));
      obs.disconnect();
      const inPan = loaf.filter((e) => e.startTime >= t0 && e.startTime < last);
      const script = inPan.reduce((a, e) => a + e.scripts.reduce((b, s) => b + s.duration, 0), 0);
      const busy = inPan.reduce((a, e) => a + e.duration, 0);
      return { gaps, scriptPerFrame: script / gaps.length, busyShare: busy / (last - t0) };
    });
    const gaps = r.gaps.sort((a, b) => a - b);
    return {
      firstRender,
      updatesPerSecond: 1000 / gaps[gaps.length >> 1],
      p95: gaps[Math.floor(gaps.length * 0.95)] ?? NaN,
      longest: gaps.at(-1) ?? NaN,
      scriptPerFrame: r.scriptPerFrame,
      busyShare: r.busyShare,
      mounted: await page.locator('.react-flow__node').count(),
    };
  } catch (e) {
    return { failed: `did not load in ${LOAD_LIMIT_MS / 1000} s` };
  } finally {
    await page.close();
  }
}

const rows = [];
for (const raster of RASTERS) {
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: raster === 'cpu' ? [...CHROMIUM_ARGS, '--disable-gpu-rasterization'] : CHROMIUM_ARGS,
  });
  let ceiling = NaN; // plain React Flow on the 10-node page: the pan script's own limit
  for (const n of SIZES) {
    const results = Object.fromEntries(MODES.map((m) => [m, []]));
    for (let r = 0; r < ROUNDS; r++) {
      for (let k = 0; k < MODES.length; k++) {
        const mode = MODES[(r + k) % MODES.length];
        if (mode.startsWith('plain') && n > 100_000) continue; // plain React Flow does not load 100k
        if (mode.startsWith('plain') && n > 20_000 && r > 0) continue; // one try shows it
        const res = await measure(n, mode);
        console.error(raster, n, mode, JSON.stringify(res));
        results[mode].push(res);
      }
    }
    const ok = (mode) => results[mode].filter((x) => !x.failed);
    const m = (mode, k) => median(ok(mode).map((x) => x[k]));
    if (n === SIZES[0]) ceiling = m('plain', 'updatesPerSecond');
    for (const mode of ['flowscale', 'flowscale&gpu=off']) {
      if (TARGET_SIZES.includes(n) && ok(mode).length) shares.push({ raster, n, mode, share: m(mode, 'updatesPerSecond') / ceiling });
    }
    for (const mode of MODES) {
      if (!ok(mode).length) {
        rows.push([raster, n.toLocaleString('en'), mode, results[mode][0]?.failed ?? 'not run (does not load 100k)', '', '', '', '', '', '', '']);
        continue;
      }
      rows.push([
        raster,
        n.toLocaleString('en'),
        mode,
        `${(m(mode, 'firstRender') / 1000).toFixed(1)} s`,
        m(mode, 'updatesPerSecond').toFixed(1),
        `${Math.round((100 * m(mode, 'updatesPerSecond')) / ceiling)} %`,
        `${m(mode, 'p95').toFixed(0)} ms`,
        `${m(mode, 'longest').toFixed(0)} ms`,
        `${m(mode, 'scriptPerFrame').toFixed(1)} ms`,
        `${Math.round(100 * m(mode, 'busyShare'))} %`,
        String(Math.round(m(mode, 'mounted'))),
      ]);
    }
  }
  await browser.close();
}
await server.close();

/** The target's verdict for one mode, from the sizes it covers that were run. */
function verdict(mode) {
  const got = shares.filter((x) => x.mode === mode);
  if (!got.length) return `Target for \`${mode}\` (≥ 90 % of the ceiling at 20k, 100k and 1M): not measured in this run.`;
  const worst = got.reduce((a, b) => (b.share < a.share ? b : a));
  const pct = (x) => `${Math.round(100 * x.share)} %`;
  const met = worst.share >= 0.9;
  return `Target for \`${mode}\` (≥ 90 % of the ceiling at 20k, 100k and 1M): ${met ? 'met' : 'not met'} (worst ${pct(worst)}, ${worst.raster} raster at ${worst.n.toLocaleString('en')} nodes; ${got.filter((x) => x.share >= 0.9).length} of ${got.length} at or above).`;
}

const body = `### Panning in the browser

Command: \`npm run bench\` (runs \`node bench/pan.mjs\` after building \`dist/\`; \`PAN_SIZES\`, \`PAN_RASTER\` pick a
subset). Machine: ${machine()}, headless Chromium with SwiftShader (software GL) in both raster modes: \`default\` (GPU
rasterization on SwiftShader) and \`cpu\` (\`--disable-gpu-rasterization\`). The demo page at 1920×1080 with a generated
audio workflow; a pan of 90 steps (15 × 7 px each) through React Flow's store, one step per animation frame;
${ROUNDS} interleaved rounds, medians (plain React Flow at 100k: one try; at 1M: not run). "View updates/s" is 1000 ÷
the median frame time while panning; "of ceiling" compares it with plain React Flow on a 10-node page in the same
raster mode (the pan script's own limit; the target is ≥ 90 % at 20k, 100k and 1M). "Script/frame" and "busy" come
from Long Animation Frames (frames of 50 ms or more; shorter frames report nothing, so both are lower bounds).
"First render" is the app's own measure (navigation to the first frame with nodes on screen). \`flowscale&gpu=off\` is
flowscale's culling and window without the GPU layer; \`flowscale fitted\` pans with the whole workflow fitted to the
pane first (zoomed out: cluster glyphs and bundles).

${table(['raster', 'nodes', 'mode', 'first render', 'view updates/s', 'of ceiling', 'p95 frame', 'longest frame', 'script/frame', 'busy', 'DOM nodes'], rows)}

${['flowscale', 'flowscale&gpu=off'].map(verdict).join('\n\n')}`;
writeSection(new URL('../docs/benchmarks.md', import.meta.url).pathname, 'pan', body);
console.log(body);
