// The demo's configuration from the build's environment: a build made with
// RENDERING_MAX_VISIBLE_NODES, PERFORMANCE_MONITORING_INTERVAL and
// CACHE_DEFAULT_TTL_SECONDS set must mount, sample and expire by them, and
// the Performance tab must say where each value came from.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { open, stat, domNodes, settle, setup, raiseLongFrameAlert } from './app-lib.mjs';

const root = new URL('../../', import.meta.url).pathname;
const out = mkdtempSync(join(tmpdir(), 'flowscale-env-build-'));
const BUILD_ENV = {
  RENDERING_MAX_VISIBLE_NODES: '200',
  PERFORMANCE_MONITORING_INTERVAL: '2',
  CACHE_DEFAULT_TTL_SECONDS: '1',
  // The rest but virtual scrolling (off, it would mount every node): each must reach the page too.
  PERFORMANCE_ALERT_THRESHOLDS_CPU: '70',
  PERFORMANCE_ALERT_THRESHOLDS_MEMORY: '2048',
  CACHE_MEMORY_MAX_SIZE: '500',
  CACHE_DISK_MAX_SIZE_MB: '50',
  RENDERING_LOD_THRESHOLD_LOW: '0.2',
  RENDERING_LOD_THRESHOLD_MEDIUM: '0.6',
};

before(() => {
  execFileSync(join(root, 'node_modules/.bin/webpack'), ['--config', 'webpack.config.js', '--mode', 'production', '--no-stats', '--output-path', out], {
    cwd: root,
    env: { ...process.env, ...BUILD_ENV },
    stdio: 'inherit',
  });
});
after(() => rmSync(out, { recursive: true, force: true }));
setup(out);

test('RENDERING_MAX_VISIBLE_NODES=200: at most 200 nodes mounted while more are in view', async (t) => {
  // lodLow=0 and clusters=off: nodes stay mounted at any zoom, so zoomed out every node in view would be, but for the limit.
  const page = await open(t, '?n=10000&debug=1&lodLow=0&clusters=off');
  await page.evaluate(() => window.__flowscale.reactFlow().setViewport({ x: 0, y: 0, zoom: 0.2 }));
  await settle(page, 500);
  const inView = await stat(page, 'inView');
  assert.ok(inView > 200, `the test needs more than 200 nodes in view, got ${inView}`);
  const mounted = await domNodes(page);
  assert.ok(mounted > 0 && mounted <= 200, `mounted ${mounted}`);
  assert.equal(await page.evaluate(() => window.__flowscale.optimizer.config().rendering.maxVisibleNodes), 200);
  // Noted to tell the same controller from a rebuilt one.
  await page.evaluate(() => (window.__before = window.__flowscale.engine));
  // The Performance tab names the variable that set it.
  const row = page.locator('[data-config="rendering.maxVisibleNodes"]');
  assert.equal(await row.getAttribute('data-source'), 'env');
  assert.match(await row.textContent(), /200.*env: RENDERING_MAX_VISIBLE_NODES/);
  assert.equal(await page.locator('[data-config="rendering.overscanPx"]').getAttribute('data-source'), 'default');
  // The panel's choice overrides it, without re-indexing, and says so.
  await page.click('[data-tab="optimizer"]');
  await page.selectOption('[data-setting="maxVisibleNodes"]', '500');
  await page.waitForFunction(() => document.querySelectorAll('.react-flow__node').length > 200);
  assert.ok((await domNodes(page)) <= 500);
  await page.click('[data-tab="performance"]');
  assert.match(await row.textContent(), /500.*panel/);
  assert.deepEqual(await page.evaluate(() => [window.__flowscale.engine === window.__before, window.__flowscale.optimizer.config().rendering.maxVisibleNodes]), [true, 500], 'the same controller, not a rebuilt one');
});

test('the alert thresholds, the cache sizes and the LOD thresholds of the build reach the monitor, the cache and the optimizer', async (t) => {
  const page = await open(t, '?n=100&debug=1');
  const r = await page.evaluate(async () => {
    const { service, optimizer } = window.__flowscale;
    await service.getCachedWorkflow('none'); // opens the cache
    const stats = service.cache.stats();
    const { lodThresholdLow, lodThresholdMedium } = optimizer.config().rendering;
    const { cpuPercent, memoryMb } = service.thresholds;
    const sources = Object.fromEntries([...document.querySelectorAll('[data-config]')].map((r) => [r.dataset.config, r.dataset.source]));
    return { lod: [lodThresholdLow, lodThresholdMedium], thresholds: [cpuPercent, memoryMb], cache: [stats.memory.maxEntries, stats.disk.maxBytes], sources };
  });
  assert.deepEqual(r.lod, [0.2, 0.6]);
  assert.deepEqual(r.thresholds, [70, 2048]);
  assert.deepEqual(r.cache, [500, 50 * 1024 * 1024]);
  for (const key of ['alertThresholds.cpuPercent', 'alertThresholds.memoryMb', 'cache.memoryMaxEntries', 'cache.diskMaxMb', 'cache.defaultTtlSeconds', 'monitoringIntervalSeconds', 'rendering.lodThresholdLow', 'rendering.lodThresholdMedium', 'rendering.maxVisibleNodes']) {
    assert.equal(r.sources[key], 'env', key);
  }
});

test('PERFORMANCE_MONITORING_INTERVAL=2: the service samples every 2 s, with the panel closed too', async (t) => {
  const page = await open(t, '?n=1000&debug=1&panel=off');
  await page.waitForFunction(() => window.__flowscale.service.getPerformanceDashboard().history.length >= 4, null, { timeout: 20_000, polling: 200 });
  const times = await page.evaluate(() => window.__flowscale.service.getPerformanceDashboard().history.map((s) => s.time));
  const gaps = times.slice(1).map((x, i) => x - times[i]);
  for (const g of gaps) assert.ok(g > 1500 && g < 3500, `gaps between samples: ${gaps.map(Math.round).join(', ')} ms`);
});

test('CACHE_DEFAULT_TTL_SECONDS=1: a cached workflow without its own TTL expires after a second', async (t) => {
  const page = await open(t, '?n=100&debug=1');
  const r = await page.evaluate(async () => {
    const s = window.__flowscale.service;
    await s.cacheWorkflow('ttl-check', { nodes: [{ id: 'a', position: { x: 0, y: 0 }, data: {} }], edges: [] });
    const fresh = await s.getCachedWorkflow('ttl-check');
    await new Promise((r) => setTimeout(r, 1300));
    const stale = await s.getCachedWorkflow('ttl-check');
    return { fresh: fresh !== null, stale };
  });
  assert.deepEqual(r, { fresh: true, stale: null });
});

test("the service's requests take the endpoints' snake_case fields and refuse unknown ones", async (t) => {
  const page = await open(t, '?n=100&debug=1');
  const r = await page.evaluate(async () => {
    const s = window.__flowscale.service;
    const wf = { nodes: [{ id: 'a', position: { x: 0, y: 0 }, data: {} }], edges: [] };
    await s.cacheWorkflow('snake', wf, { ttl_seconds: 60 });
    const kept = (await s.getCachedWorkflow('snake')) !== null;
    const refused = [];
    for (const call of [
      () => s.cacheWorkflow('x', wf, { ttl: 5 }),
      () => s.cacheWorkflow('x', wf, { ttl_seconds: 5, ttlSeconds: 5 }),
      () => s.startMonitoring({ interval: 2 }),
      () => s.startMonitoring({ interval_seconds: -1 }),
      () => s.benchmark(wf, { iteration: 3 }),
    ]) {
      try {
        await call();
        refused.push('accepted');
      } catch (e) {
        refused.push(`${e.name} ${e.code} ${e.path}`);
      }
    }
    const stop = s.startMonitoring({ interval_seconds: 0.5 });
    stop();
    return { kept, refused };
  });
  assert.deepEqual(r, {
    kept: true,
    refused: [
      'FlowscaleError INVALID_ARGUMENT options.ttl',
      'FlowscaleError INVALID_ARGUMENT options.ttlSeconds',
      'FlowscaleError INVALID_ARGUMENT options.interval',
      'FlowscaleError INVALID_ARGUMENT options.intervalSeconds',
      'FlowscaleError INVALID_ARGUMENT options.iteration',
    ],
  });
});

test('an alert offers remedies that read the settings, and one click applies one', async (t) => {
  // This build mounts at most 200 nodes; LOD off, so both frame remedies apply.
  const page = await open(t, '?n=10000&debug=1&lod=off');
  const { id: alertId, alert } = await raiseLongFrameAlert(page);
  const offered = await alert.locator('[data-remedy]').evaluateAll((els) => els.map((e) => e.dataset.remedy));
  assert.deepEqual(offered, ['lod-on']);
  await alert.locator('[data-remedy="lod-on"]').click();
  await page.waitForFunction(() => window.__flowscale.optimizer.config().rendering.lodThresholdLow > 0);
  assert.equal(await page.evaluate(() => window.__flowscale.store.getState().settings.lod), true);
  // Applied: the alert is resolved (it leaves the list).
  await page.waitForFunction((id) => !document.querySelector(`[data-alert="${id}"]`), alertId);
});
