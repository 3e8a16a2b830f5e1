// The GPU layer under React Flow: at zoom 0.1, 0.5, 1 and 2 and at device
// pixel ratio 1 and 2, the GPU rectangle of every mounted node lies within
// 1 CSS px of its DOM element's box. The demo runs with ?draw=all (the GPU
// draws mounted nodes too), ?lodLow=0 (nodes stay mounted when small), ?clusters=off and
// transparent edges; pixels are read back from the GPU in the page.
// Every test runs on both backends, each in its own Chromium: WebGL2 (ANGLE
// on SwiftShader) and WebGPU (Dawn on SwiftShader), chosen with ?gpu=webgl2 or
// ?gpu=webgpu (no fallback) and checked through renderer.stats().backend.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { serveAndLaunch, WEBGPU_ARGS } from './serve.mjs';
import { watchWebGpu, webGpuReport } from './webgpu-lib.mjs';

const dist = new URL('../../dist/', import.meta.url).pathname;
const shots = new URL('../../test-results/', import.meta.url).pathname;
mkdirSync(shots, { recursive: true });
const BACKENDS = [
  { name: 'WebGL2', knob: 'webgl2', reported: /^Gl /, env: serveAndLaunch(dist) },
  { name: 'WebGPU', knob: 'webgpu', reported: /^BrowserWebGpu /, env: serveAndLaunch(dist, { args: WEBGPU_ARGS }) },
];

/** A page of the demo on `backend`, once its renderer exists; asserts which backend draws. */
async function openDemo(backend, query, pageOptions) {
  const context = await backend.env.browser.newContext(pageOptions);
  const page = await context.newPage();
  await watchWebGpu(page);
  const errors = [];
  page.on('pageerror', (e) => errors.push(e));
  await page.goto(`${backend.env.server.url}/?${query}&gpu=${backend.knob}`);
  return { page, context, errors };
}

/** The renderer drew on the backend asked for; on WebGPU, no error and no lost device. */
async function assertBackend(backend, page, errors) {
  const stats = await page.evaluate(() => window.__flowscale.renderer.stats());
  assert.match(stats.backend, backend.reported, `asked for ${backend.knob}, drawn by ${stats.backend}`);
  assert.equal(stats.lost, false);
  const seen = await webGpuReport(page);
  assert.deepEqual(seen.errors, [], 'no WebGPU validation or internal error');
  assert.deepEqual(seen.lost, [], 'no WebGPU device lost');
  assert.equal(seen.devices, backend.knob === 'webgpu' ? 1 : 0);
  assert.deepEqual(errors, []);
}

/** In the page: for each mounted node fully on the canvas, how far (CSS px) the GPU edges are from the DOM box. */
async function misalignment(page) {
  return page.evaluate(async () => {
    const { renderer } = window.__flowscale;
    const px = await renderer.readPixels();
    const canvas = document.querySelector('[data-testid="gpu-layer"]');
    const c = canvas.getBoundingClientRect();
    const dpr = canvas.width / c.width;
    const W = canvas.width, H = canvas.height;
    const covered = (x, y) => x >= 0 && y >= 0 && x < W && y < H && px[(y * W + x) * 4 + 3] >= 128;
    const worst = { dx: 0, node: null, checked: 0 };
    for (const el of document.querySelectorAll('.react-flow__node')) {
      const r = el.getBoundingClientRect();
      const L = (r.left - c.left) * dpr, R = (r.right - c.left) * dpr, T = (r.top - c.top) * dpr, B = (r.bottom - c.top) * dpr;
      if (L < 8 || T < 8 || R > W - 8 || B > H - 8) continue;
      const row = Math.floor(T + (B - T) * 0.25), col = Math.floor(L + (R - L) * 0.25);
      // Look 2 px either side: enough to judge 1 px, and short of neighbours 4 px away at zoom 0.1.
      const reach = Math.ceil(2 * dpr);
      // Pixel centres at x + 0.5: the first covered pixel from outside marks the edge.
      let x = Math.floor(L) - reach; while (x < L + reach && !covered(x, row)) x++;
      let x2 = Math.ceil(R) + reach; while (x2 > R - reach && !covered(x2, row)) x2--;
      let y = Math.floor(T) - reach; while (y < T + reach && !covered(col, y)) y++;
      let y2 = Math.ceil(B) + reach; while (y2 > B - reach && !covered(col, y2)) y2--;
      const d = Math.max(Math.abs(x + 0.5 - L), Math.abs(x2 + 0.5 - R), Math.abs(y + 0.5 - T), Math.abs(y2 + 0.5 - B)) / dpr;
      worst.checked++;
      if (d > worst.dx) Object.assign(worst, { dx: d, node: el.dataset.id });
    }
    return worst;
  });
}

for (const backend of BACKENDS) for (const dpr of [1, 2]) {
  test(`${backend.name}: GPU rectangles match React Flow's DOM nodes within 1 px at DPR ${dpr}`, async () => {
    const { page, context, errors } = await openDemo(backend, 'n=200&debug=1&draw=all&lodLow=0&clusters=off&edgeColor=00000000', { viewport: { width: 1200, height: 800 }, deviceScaleFactor: dpr });
    await page.waitForFunction(() => window.__flowscale?.renderer && document.querySelector('.react-flow__node'));
    for (const zoom of [0.1, 0.5, 1, 2]) {
      await page.evaluate((zoom) => window.__flowscale.reactFlow().setViewport({ x: 37.3, y: 21.6, zoom }), zoom);
      // Let React mount, measure and re-render, and the frame reach the GPU.
      await page.waitForTimeout(400);
      const worst = await misalignment(page);
      assert.ok(worst.checked >= 3, `zoom ${zoom}: only ${worst.checked} nodes on screen to check`);
      assert.ok(worst.dx <= 1, `zoom ${zoom}, dpr ${dpr}: node ${worst.node} is ${worst.dx.toFixed(2)} px off its DOM box`);
      if (zoom === 1) await page.screenshot({ path: `${shots}gpu-aligned-${backend.knob}-dpr${dpr}.png` });
    }
    await assertBackend(backend, page, errors);
    await context.close();
  });
}

for (const backend of BACKENDS) test(`${backend.name}: zoomed out, the GPU canvas shows the nodes React no longer mounts, as cluster glyphs`, async () => {
  const { page, context, errors } = await openDemo(backend, 'n=10000&debug=1', { viewport: { width: 1200, height: 800 } });
  await page.waitForFunction(() => window.__flowscale?.renderer && document.querySelector('.react-flow__node'));
  await page.evaluate(() => window.__flowscale.reactFlow().setViewport({ x: 20, y: 20, zoom: 0.05 }));
  await page.waitForTimeout(400);
  assert.equal(await page.locator('.react-flow__node').count(), 0);
  const drawn = await page.evaluate(async () => {
    const stats = window.__flowscale.renderer.stats();
    const px = await window.__flowscale.renderer.readPixels();
    let covered = 0;
    for (let i = 3; i < px.length; i += 4) if (px[i] > 0) covered++;
    return { stats, covered };
  });
  // Far out, zoom-level clusters stand in for most nodes: glyphs plus the nodes left over.
  assert.ok(drawn.stats.clusters > 10, JSON.stringify(drawn.stats));
  assert.ok(drawn.stats.drawCalls <= 4);
  assert.ok(drawn.covered > 10000, `only ${drawn.covered} pixels drawn`);
  await page.screenshot({ path: `${shots}gpu-zoomed-out-${backend.knob}.png` });
  await assertBackend(backend, page, errors);
  await context.close();
});

for (const backend of BACKENDS) test(`${backend.name}: zoomed out, the wires show: bundle pixels between glyphs, and glyphs never overlap`, async () => {
  const { page, context, errors } = await openDemo(backend, 'n=100000&debug=1', { viewport: { width: 1200, height: 800 } });
  await page.waitForFunction(() => window.__flowscale?.renderer && document.querySelector('[data-stat="total"]')?.textContent.replace(/\D/g, '') === '100000' && !document.querySelector('[data-testid="progress"]'), null, { timeout: 120_000, polling: 250 });
  for (const zoom of [0.05, 0.02]) {
    await page.evaluate((zoom) => window.__flowscale.reactFlow().setViewport({ x: 10, y: 10, zoom }), zoom);
    await page.waitForTimeout(400);
    const seen = await page.evaluate(async () => {
      const { optimizer, renderer, reactFlow } = window.__flowscale;
      const [x, y, zoom] = [reactFlow().getViewport().x, reactFlow().getViewport().y, reactFlow().getViewport().zoom];
      const canvas = document.querySelector('[data-testid="gpu-layer"]');
      const f = optimizer.frame({ x, y, zoom }, { width: canvas.clientWidth, height: canvas.clientHeight });
      const px = await renderer.readPixels();
      const dpr = canvas.width / canvas.clientWidth;
      const W = canvas.width;
      const c = f.clusters;
      const rects = [];
      for (let k = 0; k < c.ids.length; k++) rects.push([c.rect[4 * k], c.rect[4 * k + 1], c.rect[4 * k] + c.rect[4 * k + 2], c.rect[4 * k + 1] + c.rect[4 * k + 3]]);
      let overlaps = 0;
      for (let a = 0; a < rects.length; a++) for (let b = a + 1; b < rects.length; b++) {
        const [p, q] = [rects[a], rects[b]];
        if (Math.min(p[2], q[2]) - Math.max(p[0], q[0]) > 1e-6 && Math.min(p[3], q[3]) - Math.max(p[1], q[1]) > 1e-6) overlaps++;
      }
      // Midpoints of bundles between two glyphs, outside every glyph: covered pixels are wires.
      const inGlyph = (wx, wy) => rects.some((r) => wx >= r[0] && wx <= r[2] && wy >= r[1] && wy <= r[3]);
      let checked = 0, wired = 0;
      const b = c.bundles;
      for (let k = 0; k < b.weight.length; k++) {
        if (b.kind[k] !== 3) continue;
        const mx = (b.segment[4 * k] + b.segment[4 * k + 2]) / 2, my = (b.segment[4 * k + 1] + b.segment[4 * k + 3]) / 2;
        if (inGlyph(mx, my)) continue;
        const sx = Math.round((mx * zoom + x) * dpr), sy = Math.round((my * zoom + y) * dpr);
        if (sx < 2 || sy < 2 || sx >= W - 2 || sy >= canvas.height - 2) continue;
        checked++;
        let hit = false;
        for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) if (px[((sy + dy) * W + sx + dx) * 4 + 3] > 0) hit = true;
        if (hit) wired++;
      }
      return { glyphs: rects.length, overlaps, bundles: renderer.stats().bundles, checked, wired };
    });
    assert.equal(seen.overlaps, 0, `zoom ${zoom}: glyphs overlap: ${JSON.stringify(seen)}`);
    assert.ok(seen.bundles > 10 && seen.checked > 5, `zoom ${zoom}: ${JSON.stringify(seen)}`);
    assert.ok(seen.wired >= seen.checked * 0.9, `zoom ${zoom}: bundle pixels between glyphs: ${JSON.stringify(seen)}`);
    await page.screenshot({ path: `${shots}gpu-bundles-${backend.knob}-${zoom}.png` });
  }
  await assertBackend(backend, page, errors);
  await context.close();
});
