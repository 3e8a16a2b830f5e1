// The Performance tab's detail: every KPI of the four groups with a value
// (or an explicit 'unavailable'), a source and a status; the disk tier's
// bytes as the cache counts them; the operation table and its sorting; the
// profiler's call tree. See app-lib.mjs for the set-up (strict CSP, error checks).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { open, waitLoaded, settle, shots, setup } from './app-lib.mjs';

setup();

/** Every KPI the tab must show, by group (`data-group` → `data-kpi-row`). */
const KPIS = {
  rendering: ['fps', 'frameTime', 'renderTime', 'visible', 'culled'],
  memory: ['memoryUsed', 'memoryAvailable', 'cacheHitRate', 'leak', 'gc'],
  system: ['cpu', 'diskRead', 'diskWrite', 'storage', 'network'],
  ux: ['inp', 'loadTime', 'pageLoad', 'firstRender'],
};
const STATUSES = ['measured', 'estimated', 'unavailable'];

/** `{ status, value, source, data }` of every metric row on the page, by id. */
function metrics(page) {
  return page.evaluate(() =>
    Object.fromEntries(
      [...document.querySelectorAll('[data-kpi-row]')].map((el) => [
        el.dataset.kpiRow,
        {
          group: el.closest('[data-group]')?.dataset.group,
          status: el.dataset.status,
          value: el.querySelector('[data-value]')?.textContent ?? '',
          source: el.querySelector('[data-source]')?.textContent ?? '',
          data: { ...el.dataset },
        },
      ]),
    ),
  );
}

const samples = (page) => page.locator('[data-live="samples"]').textContent().then(Number);
/** Wait for `n` more dashboard samples (the tab re-renders once per sample). */
async function nextSamples(page, n = 2) {
  const s0 = await samples(page);
  await page.waitForFunction((s) => Number(document.querySelector('[data-live="samples"]')?.textContent) >= s, s0 + n);
}

/** The operation table's rows in order: [name, calls]. */
const opRows = (page) =>
  page.locator('[data-testid="operations"] tbody tr').evaluateAll((trs) => trs.map((tr) => [tr.dataset.op, Number(tr.dataset.calls), Number(tr.dataset.errors)]));

test('the Performance tab shows every KPI with a value or "unavailable", its source and its status', async (t) => {
  const page = await open(t, '?n=1000');
  await nextSamples(page, 3);
  // The cache opens at start to look for a saved workflow (IndexedDB may take a while on a busy machine).
  await page.waitForSelector('[data-kpi-row="diskWrite"][data-status="estimated"]', { timeout: 60_000 });
  const m = await metrics(page);
  for (const [group, ids] of Object.entries(KPIS)) {
    for (const id of ids) {
      const k = m[id];
      assert.ok(k, `KPI ${id} is shown`);
      assert.equal(k.group, group, `${id} is in the ${group} group`);
      assert.ok(STATUSES.includes(k.status), `${id}: status ${k.status}`);
      assert.ok(k.source.trim().length > 10, `${id} names its source: ${k.source}`);
      assert.ok(k.value.trim().length > 0, `${id} has a value`);
      if (k.status === 'unavailable') assert.match(k.value, /^unavailable: .+/, `${id} says why it is unavailable`);
      else assert.doesNotMatch(k.value, /unavailable/, `${id}: ${k.value}`);
    }
  }
  // What Chromium measures, and what only has a stand-in or a lower bound.
  assert.equal(m.fps.status, 'measured');
  assert.match(m.fps.value, /^\d+ FPS$/);
  assert.match(m.frameTime.value, /p95 .* max /);
  assert.equal(m.visible.status, 'measured');
  assert.ok(Number(m.visible.data.total) === 1000 && Number(m.visible.data.inView) > 0, JSON.stringify(m.visible.data));
  assert.equal(m.culled.status, 'measured');
  assert.ok(['measured', 'estimated'].includes(m.memoryUsed.status), 'Chromium has performance.memory');
  assert.match(m.memoryUsed.value, /MB \(\d+(\.\d)? % of the limit\)/);
  assert.ok(Number(m.memoryAvailable.data.limitMb) > 0);
  assert.equal(m.cpu.status, 'estimated', 'main-thread busy is a stand-in for CPU');
  assert.match(m.cpu.source, /stand-in for CPU/);
  assert.match(m.gc.source, /no GC events/);
  assert.match(m.network.source, /Resource Timing/);
  assert.match(m.inp.source, /Event Timing/);
  // The cache opened at start (to look for a saved workflow): nothing written yet, a lookup that missed read nothing.
  assert.equal(m.diskWrite.status, 'estimated');
  assert.equal(Number(m.diskWrite.data.bytes), 0);
  assert.equal(Number(m.diskRead.data.bytes), 0);
  // The load that ran: from its start until the workflow is indexed and on screen, not its first paint.
  assert.equal(m.loadTime.status, 'measured');
  assert.ok(Number(m.loadTime.data.ms) > 0);
  assert.match(m.loadTime.source, /indexed and on screen/);
  assert.equal(m.firstRender.status, 'measured');
  assert.ok(Number(m.loadTime.data.ms) >= Number(m.firstRender.data.ms), 'the load ends at or after its first render');
  assert.equal(m.pageLoad.status, 'measured');
  await page.locator('[data-testid="dashboard"]').screenshot({ path: `${shots}app-dashboard-kpis.png` });
});

test('the disk bytes written and read match the cache, the operation table counts and sorts, the profiler shows the spans', async (t) => {
  const page = await open(t, '?n=1000&debug=1');
  const cacheStats = () => page.evaluate(() => window.__flowscale.service.cacheStats()?.disk ?? null);
  const diskBytes = (id) => page.locator(`[data-kpi-row="${id}"]`).getAttribute('data-bytes').then(Number);

  await page.click('[data-tab="optimizer"]');
  await page.click('[data-testid="cache-save"]');
  await page.waitForFunction(() => /Cached: 1,000 nodes/.test(document.querySelector('[data-testid="cache-entry"]')?.textContent ?? ''));
  const first = await cacheStats();
  assert.ok(first.bytesWritten > 0, `the save wrote bytes: ${JSON.stringify(first)}`);
  assert.equal(first.writes, 1);
  // The same workflow again: written again, the same size.
  await page.click('[data-testid="cache-save"]');
  await page.waitForFunction((w) => window.__flowscale.service.cacheStats().disk.writes === w, 2);
  const second = await cacheStats();
  assert.equal(second.bytesWritten, 2 * first.bytesWritten, 'two saves of one workflow write twice its size');

  await page.click('[data-tab="performance"]');
  await nextSamples(page);
  // Sizes as the cache counts them (IndexedDB's encoding is not visible): an estimate.
  assert.equal(await page.locator('[data-kpi-row="diskWrite"]').getAttribute('data-status'), 'estimated');
  assert.equal(await diskBytes('diskWrite'), second.bytesWritten, "the dashboard shows the cache's bytes written");
  assert.equal(await diskBytes('diskRead'), second.bytesRead);

  // The operations the page ran: one load of the generated workflow, one lookup of a saved one at start, two saves.
  const ops = new Map((await opRows(page)).map(([name, calls, errors]) => [name, { calls, errors }]));
  assert.deepEqual(ops.get('load'), { calls: 1, errors: 0 }, JSON.stringify([...ops]));
  assert.deepEqual(ops.get('cache workflow'), { calls: 2, errors: 0 });
  assert.deepEqual(ops.get('get cached workflow'), { calls: 1, errors: 0 });
  // Sorted by calls (descending) at first; by name on a click, then reversed on another.
  const names = async () => (await opRows(page)).map(([n]) => n);
  const byCalls = await opRows(page);
  assert.deepEqual(byCalls.map(([, c]) => c), [...byCalls.map(([, c]) => c)].sort((a, b) => b - a));
  await page.click('[data-sort-by="name"]');
  const asc = await names();
  assert.deepEqual(asc, [...asc].sort((a, b) => a.localeCompare(b)), 'sorted by name');
  assert.equal(await page.locator('[data-testid="operations"] table').getAttribute('data-sort'), 'name');
  await page.click('[data-sort-by="name"]');
  assert.deepEqual(await names(), [...asc].reverse(), 'a second click reverses');
  assert.notDeepEqual(await names(), asc);
  // By calls: descending, then ascending — the saves (2 calls) move from the top to the bottom.
  await page.click('[data-sort-by="calls"]');
  const desc = await opRows(page);
  assert.deepEqual(desc.map(([, c]) => c), [...desc.map(([, c]) => c)].sort((a, b) => b - a));
  assert.equal(desc[0][1], 2);
  await page.click('[data-sort-by="calls"]');
  const up = await opRows(page);
  assert.deepEqual(up.map(([, c]) => c), [...up.map(([, c]) => c)].sort((a, b) => a - b));
  assert.equal(up.at(-1)[1], 2);
  for (const col of ['errors', 'p50Ms', 'p95Ms', 'maxMs', 'trend']) {
    await page.click(`[data-sort-by="${col}"]`);
    assert.equal(await page.locator('[data-testid="operations"] table').getAttribute('data-sort'), col);
  }
  assert.equal(await page.locator('[data-testid="operations"] [data-trend]').count(), (await opRows(page)).length, 'every operation has a trend');

  // The profiler's call tree: the load's steps and the cache's operations, and its hotspots.
  await page.click('[data-testid="profile"] > summary');
  for (const span of ['generate workflow', 'index workflow', 'cache workflow', 'get cached workflow']) {
    assert.equal(await page.locator(`[data-testid="profile-tree"] [data-span="${span}"]`).count(), 1, `the tree has ${span}`);
  }
  assert.ok((await page.locator('[data-testid="hotspots"] [data-hotspot]').count()) >= 3);
  await page.locator('[data-testid="dashboard"]').screenshot({ path: `${shots}app-dashboard-ops.png` });

  // A fresh page looks the saved workflow up at start, from IndexedDB: the bytes it read are the bytes one save wrote.
  await page.reload();
  await waitLoaded(page);
  await page.click('[data-tab="optimizer"]');
  await page.waitForFunction(() => /Cached: 1,000 nodes/.test(document.querySelector('[data-testid="cache-entry"]')?.textContent ?? ''));
  const reread = await cacheStats();
  assert.equal(reread.bytesRead, first.bytesWritten);
  assert.equal(reread.bytesWritten, 0);
  await page.click('[data-tab="performance"]');
  await nextSamples(page);
  assert.equal(await diskBytes('diskRead'), first.bytesWritten);
  await settle(page);
});

test("a big workflow's load time runs past its first render, to the end of its indexing", async (t) => {
  // 100,000 nodes: the first part is indexed and shown while the rest is generated (a first paint), then all is indexed.
  const page = await open(t, '?n=100000&debug=1');
  await page.waitForSelector('[data-kpi-row="loadTime"][data-status="measured"]', { timeout: 60_000 });
  const trace = JSON.parse(await page.evaluate(() => window.__flowscale.service.exportChromeTrace()));
  const at = (name) => trace.traceEvents.filter((e) => e.name === name);
  const [firstRender] = at('first render');
  const [loaded] = at('loaded');
  // Async spans: a begin and an end event each.
  const indexEnds = at('index workflow').filter((e) => e.ph === 'e');
  assert.ok(firstRender && loaded, 'the trace marks the first render and the end of the load');
  assert.ok(indexEnds.length >= 2, `the preview and the whole workflow were indexed: ${indexEnds.length}`);
  const lastIndexEnd = Math.max(...indexEnds.map((e) => e.ts));
  // The first render usually comes while the rest is still indexed (how soon depends on the machine): the load
  // must not end there, but after the last indexing.
  assert.ok(loaded.ts >= lastIndexEnd, `the load ended after the last indexing (first render at ${firstRender.ts} µs, last indexing ${lastIndexEnd} µs, loaded ${loaded.ts} µs)`);
  const ms = (id) => page.locator(`[data-kpi-row="${id}"]`).getAttribute('data-ms').then(Number);
  assert.ok((await ms('loadTime')) > (await ms('firstRender')), 'the load time is longer than the first render');
});
