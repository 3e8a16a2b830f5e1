// The demo app in headless Chromium: it loads, mounts only the window,
// follows pans and zooms, drags a node, switches sizes. Screenshots go to
// test-results/.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS, serve } from './serve.mjs';

const dist = new URL('../../dist/', import.meta.url).pathname;
const shots = new URL('../../test-results/', import.meta.url).pathname;
let server, browser, page;

before(async () => {
  mkdirSync(shots, { recursive: true });
  server = await serve(dist);
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.on('pageerror', (e) => { throw e; });
});

after(async () => {
  await browser?.close();
  await server?.close();
});

async function stats() {
  const read = (k) => page.locator(`[data-stat="${k}"]`).textContent().then(Number);
  return { total: await read('total'), inView: await read('inView'), mounted: await read('mounted') };
}
const domNodes = () => page.locator('.react-flow__node').count();

test('10k nodes: only the window is mounted, and it follows the view', async () => {
  await page.goto(`${server.url}/?n=10000`);
  await page.waitForSelector('[data-testid="stats"]');
  await page.waitForSelector('.react-flow__node');
  let s = await stats();
  assert.equal(s.total, 10000);
  assert.ok(s.inView > 10 && s.inView < 500, `in view ${s.inView}`);
  assert.ok(s.mounted >= s.inView && s.mounted <= 1000, `mounted ${s.mounted}`);
  assert.equal(await domNodes(), s.mounted);
  await page.screenshot({ path: `${shots}demo-10k.png` });

  // Pan with a mouse drag on the pane: other nodes are mounted, the count stays bounded.
  const firstIds = await page.locator('.react-flow__node').evaluateAll((els) => els.map((e) => e.dataset.id));
  const pane = page.locator('.react-flow__pane');
  const box = await pane.boundingBox();
  await page.mouse.move(box.x + box.width - 50, box.y + box.height - 50);
  await page.mouse.down();
  await page.mouse.move(box.x + 50, box.y + 50, { steps: 20 });
  await page.mouse.up();
  await page.waitForTimeout(200);
  s = await stats();
  const ids = await page.locator('.react-flow__node').evaluateAll((els) => els.map((e) => e.dataset.id));
  assert.equal(ids.length, s.mounted);
  assert.ok(ids.some((id) => !firstIds.includes(id)), 'panning mounted new nodes');

  // Zoom far out with the wheel: every node is tiny, nothing is mounted.
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  for (let i = 0; i < 30; i++) await page.mouse.wheel(0, 400);
  await page.waitForTimeout(300);
  s = await stats();
  assert.ok(s.inView > 1000, `zoomed out, in view ${s.inView}`);
  assert.equal(s.mounted, 0);
  assert.equal(await domNodes(), 0);
});

test('dragging a mounted node moves it', async () => {
  await page.goto(`${server.url}/?n=100`);
  await page.waitForSelector('.react-flow__node');
  // The first voice's oscillator sits at the top left of the initial view.
  const id = 's0-v0-oscillator';
  const node = page.locator(`.react-flow__node[data-id="${id}"]`);
  const before = await node.boundingBox();
  await page.mouse.move(before.x + 20, before.y + 10);
  await page.mouse.down();
  // React Flow starts the drag on the first move past its threshold; measure from there.
  await page.mouse.move(before.x + 22, before.y + 12);
  await page.mouse.move(before.x + 142, before.y + 92, { steps: 10 });
  await page.mouse.up();
  const after = await page.locator(`.react-flow__node[data-id="${id}"]`).boundingBox();
  assert.ok(Math.abs(after.x - before.x - 120) <= 3 && Math.abs(after.y - before.y - 80) <= 3, JSON.stringify({ before, after }));
});

test('size buttons switch workflows', async () => {
  await page.goto(`${server.url}/?n=1000`);
  await page.waitForSelector('[data-testid="stats"]');
  assert.equal((await stats()).total, 1000);
  await page.click('button[data-size="100000"]');
  await page.waitForFunction(() => document.querySelector('[data-stat="total"]')?.textContent === '100000', null, { timeout: 30000 });
  const s = await stats();
  assert.ok(s.mounted <= 1000);
  assert.equal(await domNodes(), s.mounted);
  await page.screenshot({ path: `${shots}demo-100k.png` });
});
