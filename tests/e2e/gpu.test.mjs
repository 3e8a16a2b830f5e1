// The GPU layer under React Flow: at zoom 0.1, 0.5, 1 and 2 and at device
// pixel ratio 1 and 2, the GPU rectangle of every mounted node lies within
// 1 CSS px of its DOM element's box. The demo runs with ?draw=all (the GPU
// draws mounted nodes too), ?lodLow=0 (nodes stay mounted when small), ?clusters=off and
// transparent edges; pixels are read back from the GPU in the page.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { serveAndLaunch } from './serve.mjs';

const dist = new URL('../../dist/', import.meta.url).pathname;
const shots = new URL('../../test-results/', import.meta.url).pathname;
mkdirSync(shots, { recursive: true });
const env = serveAndLaunch(dist);

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

for (const dpr of [1, 2]) {
  test(`GPU rectangles match React Flow's DOM nodes within 1 px at DPR ${dpr}`, async () => {
    const context = await env.browser.newContext({ viewport: { width: 1200, height: 800 }, deviceScaleFactor: dpr });
    const page = await context.newPage();
    page.on('pageerror', (e) => { throw e; });
    await page.goto(`${env.server.url}/?n=200&debug=1&draw=all&lodLow=0&clusters=off&edgeColor=00000000`);
    await page.waitForFunction(() => window.__flowscale?.renderer && document.querySelector('.react-flow__node'));
    for (const zoom of [0.1, 0.5, 1, 2]) {
      await page.evaluate((zoom) => window.__flowscale.reactFlow().setViewport({ x: 37.3, y: 21.6, zoom }), zoom);
      // Let React mount, measure and re-render, and the frame reach the GPU.
      await page.waitForTimeout(400);
      const worst = await misalignment(page);
      assert.ok(worst.checked >= 3, `zoom ${zoom}: only ${worst.checked} nodes on screen to check`);
      assert.ok(worst.dx <= 1, `zoom ${zoom}, dpr ${dpr}: node ${worst.node} is ${worst.dx.toFixed(2)} px off its DOM box`);
      if (zoom === 1) await page.screenshot({ path: `${shots}gpu-aligned-dpr${dpr}.png` });
    }
    await context.close();
  });
}

test('zoomed out, the GPU canvas shows the nodes React no longer mounts, as cluster glyphs', async () => {
  const page = await env.browser.newPage({ viewport: { width: 1200, height: 800 } });
  await page.goto(`${env.server.url}/?n=10000&debug=1`);
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
  await page.screenshot({ path: `${shots}gpu-zoomed-out.png` });
  await page.close();
});
