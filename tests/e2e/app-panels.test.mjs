// The side panels and services: the live dashboard and its alerts and trace
// export, the cache across a reload, the layout worker, the optimizer.
// Shots go to test-results/. See app-lib.mjs for the set-up (strict CSP, error checks).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { open, waitLoaded, digits, stat, domNodes, settle, paneBox, drag, shots, MAX_VISIBLE, env, setup, raiseLongFrameAlert } from './app-lib.mjs';

setup();

test('the dashboard updates live and raises an alert when a long task is forced', async (t) => {
  const page = await open(t, '?n=1000');
  const samples = () => page.locator('[data-live="samples"]').textContent().then(Number);
  await page.waitForFunction(() => Number(document.querySelector('[data-live="samples"]')?.textContent) >= 2);
  const s0 = await samples();
  // Pan a little so frames and view updates are recorded.
  const box = await paneBox(page);
  await drag(page, { x: box.x + 400, y: box.y + 300 }, { x: box.x + 250, y: box.y + 200 }, 20);
  await page.waitForFunction((s0) => Number(document.querySelector('[data-live="samples"]')?.textContent) >= s0 + 2, s0);
  const fps = await page.locator('[data-kpi="fps"] .kpi__value').textContent();
  assert.match(fps, /^\d+ FPS$/, `FPS is measured: ${fps}`);
  assert.match(await page.locator('[data-kpi="load"] .kpi__value').textContent(), /\d+ (ms|s)/);
  // Chromium reports the JS heap, but no browser counts GPU memory: a lower bound, so inconclusive, shown as one.
  assert.equal(await page.locator('[data-kpi="memory"]').getAttribute('data-verdict'), 'inconclusive');
  assert.match(await page.locator('[data-kpi="memory"] .kpi__value').textContent(), /^≥ \d+ MB$/);
  assert.match(await page.locator('[data-live="source"]').textContent(), /flowscale PerformanceMonitor/, "the package's own monitor feeds the dashboard");
  assert.ok((await page.locator('.chart canvas').count()) >= 6, 'uPlot charts are drawn');
  // Start from an empty list (loading itself may have had long frames on a slow machine).
  if (await page.locator('[data-testid="alerts"] button.link').count()) await page.click('[data-testid="alerts"] button.link');
  await page.waitForFunction(() => document.querySelectorAll('.alert[data-rule="long-frame"]').length === 0);
  // Block the main thread for 700 ms.
  await page.evaluate(() => {
    const t = performance.now();
    while (performance.now() - t < 700);
  });
  await page.waitForSelector('.alert[data-rule="long-frame"]', { timeout: 10_000 });
  const alert = page.locator('.alert[data-rule="long-frame"]').first();
  assert.equal(await alert.getAttribute('data-severity'), 'warning');
  assert.match(await alert.textContent(), /\d+ ms frame blocked the main thread/);
  await page.screenshot({ path: `${shots}app-dashboard-alert.png` });
  // The profile export is Chrome trace JSON with frames, React commits and the long frame.
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid="export-trace"]')]);
  const trace = JSON.parse(readFileSync(await download.path(), 'utf8'));
  const names = new Set(trace.traceEvents.map((e) => e.cat));
  for (const cat of ['long frames', 'flowscale', 'counters']) assert.ok(names.has(cat), `trace has ${cat} events`);
  assert.ok(trace.traceEvents.some((e) => e.cat === 'long frames' && e.dur >= 600_000), 'the forced long frame is in the trace');
});

test('a cached workflow comes back after a reload', async (t) => {
  const page = await open(t, '?n=1000&debug=1');
  // Make it distinguishable from the generated one: one node more.
  await page.selectOption('[data-testid="add-node"]', 'filter');
  await settle(page);
  assert.equal(await stat(page, 'total'), 1001);
  await page.click('[data-tab="optimizer"]');
  await page.click('[data-testid="cache-save"]');
  await page.waitForFunction(() => /Cached: 1,001 nodes/.test(document.querySelector('[data-testid="cache-entry"]')?.textContent ?? ''));
  await page.reload();
  await waitLoaded(page);
  assert.equal(await stat(page, 'total'), 1000);
  await page.click('[data-tab="optimizer"]');
  await page.waitForFunction(() => /Cached: 1,001 nodes/.test(document.querySelector('[data-testid="cache-entry"]')?.textContent ?? ''));
  await page.click('[data-testid="cache-load"]');
  await page.waitForFunction(() => document.querySelector('[data-stat="total"]')?.textContent.replace(/\D/g, '') === '1001');
  await waitLoaded(page);
  await page.screenshot({ path: `${shots}app-cache.png` });
});

test('layout runs in a worker with progress and finishes', async (t) => {
  const page = await open(t, '?n=10000&debug=1');
  const before = await page.evaluate(() => window.__flowscale.store.getState().nodes[500].position);
  // Record every progress label the page shows.
  await page.evaluate(() => {
    window.__labels = new Set();
    new MutationObserver(() => {
      const p = document.querySelector('[data-testid="progress"]');
      if (p) window.__labels.add(p.getAttribute('aria-label'));
    }).observe(document.body, { subtree: true, childList: true, attributes: true });
  });
  await page.click('[data-testid="layout"]');
  await page.waitForSelector('[data-testid="layout-done"]', { timeout: 60_000 });
  await waitLoaded(page);
  const labels = await page.evaluate(() => [...window.__labels]);
  assert.ok(labels.some((l) => /^Layout: /.test(l)), `layout progress was shown: ${labels.join(' / ')}`);
  assert.match(await page.locator('[data-testid="layout-done"]').textContent(), /layers, [\d,]+ crossings/);
  const after = await page.evaluate(() => window.__flowscale.store.getState().nodes[500].position);
  assert.notDeepEqual(after, before, 'positions changed');
  assert.equal(await stat(page, 'total'), 10000);
  assert.ok((await domNodes(page)) <= MAX_VISIBLE);
  await page.screenshot({ path: `${shots}app-layout.png` });
});

test('after a layout, long edges follow the lanes the layout kept for them', async (t) => {
  const page = await open(t, '?n=100&debug=1');
  // Two chains and two edges that skip layers: a straight line from a to d or s would cross the nodes between.
  const ids = ['a', 'b', 'c', 'd', 'p', 'q', 'r', 's'];
  const nodes = ids.map((id, i) => ({ id, type: 'default', position: { x: i * 40, y: i * 30 }, data: { label: id }, width: 150, height: 40 }));
  const pairs = ['ab', 'bc', 'cd', 'ad', 'pq', 'qr', 'rs', 'as'];
  const edges = pairs.map((p) => ({ id: p, source: p[0], target: p[1] }));
  const file = join(env.tmp, 'skips.json');
  writeFileSync(file, JSON.stringify({ nodes, edges }));
  await page.setInputFiles('[data-testid="import-input"]', file);
  await page.waitForFunction(() => document.querySelector('[data-testid="notice"]')?.textContent.includes('Imported skips.json'));
  await waitLoaded(page);
  await page.click('[data-testid="layout"]');
  await page.waitForSelector('[data-testid="layout-done"]', { timeout: 60_000 });
  await waitLoaded(page);
  const { routed, skipping } = await page.evaluate(() => {
    const { nodes, edges } = window.__flowscale.store.getState();
    // Left to right: a node's layer is its column among the laid-out x positions.
    const xs = [...new Set(nodes.map((n) => n.position.x))].sort((a, b) => a - b);
    const layer = new Map(nodes.map((n) => [n.id, xs.indexOf(n.position.x)]));
    return {
      routed: edges.filter((e) => e.type === 'flowscale-routed').map((e) => e.id).sort(),
      skipping: edges.filter((e) => Math.abs(layer.get(e.target) - layer.get(e.source)) > 1).map((e) => e.id).sort(),
    };
  });
  assert.ok(skipping.length > 0, 'the workflow has edges that skip layers');
  assert.deepEqual(routed, skipping, 'exactly the edges that skip layers got their routes');
  // Drawn through their bends (rounded corners: Q commands in the path), not as React Flow's bezier.
  await page.evaluate(() => window.__flowscale.reactFlow().fitView());
  await page.waitForFunction(
    (ids) => ids.every((id) => document.querySelector(`.react-flow__edge[data-id="${CSS.escape(id)}"] path`)?.getAttribute('d')?.includes('Q')),
    routed,
    { timeout: 15_000 },
  );
  await page.screenshot({ path: `${shots}app-routes.png` });
});

test('the optimizer analyzes, applies a recommendation and benchmarks stage by stage', async (t) => {
  // LOD off: the rules read the settings in force, so LOD is recommended and virtual scrolling (on) is not.
  const page = await open(t, '?n=10000&lod=off&debug=1');
  await page.click('[data-tab="optimizer"]');
  await page.click('[data-testid="run-optimize"]');
  await page.waitForSelector('[data-testid="metrics"]', { timeout: 30_000 });
  assert.equal(digits(await page.locator('[data-metric="nodes"]').textContent()), 10000);
  const recs = await page.locator('[data-rec]').evaluateAll((els) => els.map((e) => e.dataset.rec));
  assert.ok(recs.includes('level-of-detail') && !recs.includes('virtual-scrolling') && !recs.includes('zoom-clustering'), recs.join(', '));
  await page.click('[data-apply="level-of-detail"]');
  // Applied to the loaded workflow, and gone from the list once the analysis reruns with it.
  await page.waitForFunction(() => /Enable LOD/.test(document.querySelector('[data-testid="applied"]')?.textContent ?? '') && !document.querySelector('[data-rec="level-of-detail"]') && document.querySelector('[data-testid="metrics"]'), null, { timeout: 30_000 });
  assert.equal(await page.evaluate(() => window.__flowscale.optimizer.config().rendering.lodThresholdLow), 0.3);
  await page.fill('[data-testid="bench-iterations"]', '3');
  await page.click('[data-testid="run-benchmark"]');
  await page.waitForSelector('[data-testid="bench-table"]', { timeout: 60_000 });
  assert.equal(await page.locator('[data-testid="bench-table"] tbody tr').count(), 7);
  assert.equal(await page.locator('[data-testid="bench-chart"] canvas').count(), 1);
  await page.screenshot({ path: `${shots}app-optimizer.png` });
});

test('a long frame raises an alert whose remedy mounts fewer nodes, in the view and the numbers', async (t) => {
  const page = await open(t, '?n=10000&debug=1&lodLow=0&clusters=off');
  await page.evaluate(() => window.__flowscale.reactFlow().setViewport({ x: 0, y: 0, zoom: 0.2 }));
  await page.waitForFunction(() => document.querySelectorAll('.react-flow__node').length > 500);
  const { id: alertId, alert } = await raiseLongFrameAlert(page);
  // LOD is off here (lodLow=0), so both remedies apply; mounting fewer is the one tried.
  const offered = await alert.locator('[data-remedy]').evaluateAll((els) => els.map((e) => e.dataset.remedy));
  assert.deepEqual(offered, ['lod-on', 'fewer-mounted']);
  await alert.locator('[data-remedy="fewer-mounted"]').click();
  await page.waitForFunction(() => document.querySelectorAll('.react-flow__node').length <= 500);
  assert.equal(await page.evaluate(() => window.__flowscale.optimizer.config().rendering.maxVisibleNodes), 500);
  await settle(page, 400);
  assert.ok((await stat(page, 'mounted')) <= 500);
  assert.equal(await page.locator(`[data-alert="${alertId}"]`).count(), 0, 'the alert is resolved');
});
