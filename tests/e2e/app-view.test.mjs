// The editor's view: scenarios, panning and zooming 100k nodes with the mouse
// (the window stays bounded, the GPU layer draws the rest: pixels read back),
// drags in both layers, the plain / flowscale toggle, level of detail, clusters
// and bundles.
// Shots go to test-results/. See app-lib.mjs for the set-up (strict CSP, error checks).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { open, waitLoaded, stat, domNodes, settle, paneBox, drag, coveredPixels, shots, MAX_VISIBLE, setup } from './app-lib.mjs';

setup();

test('loads, switches scenarios, and mounts only the window while panning and zooming 100k nodes', async (t) => {
  const page = await open(t, '?n=1000&debug=1');
  await settle(page);
  assert.equal(await stat(page, 'total'), 1000);
  const inView = await stat(page, 'inView');
  const mounted = await stat(page, 'mounted');
  assert.ok(inView > 10 && inView < 500, `in view ${inView}`);
  // The window is what is in view plus an overscan margin, bounded.
  assert.ok(mounted >= inView && mounted <= MAX_VISIBLE, `mounted ${mounted}`);
  assert.equal(await domNodes(page), mounted, 'the stats count what is mounted');
  assert.ok((await stat(page, 'firstRender')) > 0, 'first render is reported');
  await page.screenshot({ path: `${shots}app-1k.png` });

  await page.click('button[data-size="100"]');
  await waitLoaded(page);
  await settle(page);
  assert.equal(await stat(page, 'total'), 100);

  await page.click('button[data-size="100000"]');
  await waitLoaded(page, 90_000);
  await page.waitForFunction(() => window.__flowscale?.renderer, null, { timeout: 30_000 });
  await settle(page);
  assert.equal(await stat(page, 'total'), 100_000);
  await page.screenshot({ path: `${shots}app-100k.png` });

  const box = await paneBox(page);
  const centre = { x: box.x + box.width / 2, y: box.y + box.height / 2 };
  let most = 0;
  const check = async (what) => {
    await settle(page);
    const dom = await domNodes(page);
    most = Math.max(most, dom);
    assert.ok(dom <= MAX_VISIBLE, `${what}: ${dom} nodes mounted`);
    assert.equal(dom, await stat(page, 'mounted'), `${what}: the stats count what is mounted`);
  };
  const ids = () => page.locator('.react-flow__node').evaluateAll((els) => els.map((e) => e.dataset.id));
  const firstIds = await ids();
  // Pan with drags on the pane (from the gap between the first two columns: the minimap holds the bottom right):
  // other nodes are mounted.
  await drag(page, { x: box.x + 255, y: box.y + box.height - 60 }, { x: box.x + 20, y: box.y + 20 });
  await check('after a drag');
  assert.ok((await ids()).some((id) => !firstIds.includes(id)), 'panning mounted new nodes');
  await drag(page, { x: box.x + 80, y: centre.y }, { x: box.x + box.width - 80, y: centre.y - 100 });
  await check('after a second drag');
  // Zoom out with the wheel, step by step: the window stays bounded at every step, then empties.
  await page.mouse.move(centre.x, centre.y);
  for (let i = 0; i < 12; i++) {
    await page.mouse.wheel(0, 240);
    if (i % 3 === 2) await check(`zoom step ${i}`);
  }
  for (let i = 0; i < 12; i++) await page.mouse.wheel(0, 400);
  await check('zoomed far out');
  assert.ok((await stat(page, 'inView')) > 5000, 'zoomed out, thousands of nodes are in view');
  assert.equal(await domNodes(page), 0, 'every node is tiny: React mounts none');
  // …and the GPU canvas shows them: pixels read back from the GPU.
  const covered = await coveredPixels(page);
  assert.ok(covered > 20_000, `the GPU layer drew ${covered} pixels`);
  await page.screenshot({ path: `${shots}app-100k-zoomed-out.png` });
  // Zoom back in with the wheel: nodes are mounted again, still bounded.
  for (let i = 0; i < 20; i++) await page.mouse.wheel(0, -400);
  await check('zoomed back in');
  assert.ok(most > 0, 'nodes were mounted at some point');
});

test('dragging a node moves it in React Flow and on the GPU layer', async (t) => {
  // draw=all: the GPU draws mounted nodes too, so both layers can be compared at zoom 1.
  const page = await open(t, '?n=100&debug=1&draw=all&edgeColor=00000000&panel=off', { viewport: { width: 1500, height: 700 } });
  await page.waitForFunction(() => window.__flowscale?.renderer, null, { timeout: 30_000 });
  const id = 's0-v0-oscillator';
  const node = page.locator(`.react-flow__node[data-id="${id}"]`);
  const before = await node.boundingBox();
  const gpuAt = (x, y) =>
    page.evaluate(
      async ({ x, y }) => {
        const { renderer } = window.__flowscale;
        const px = await renderer.readPixels();
        const c = document.querySelector('[data-testid="gpu-layer"]');
        const r = c.getBoundingClientRect();
        const dpr = c.width / r.width;
        const cx = Math.round((x - r.left) * dpr), cy = Math.round((y - r.top) * dpr);
        return px[(cy * c.width + cx) * 4 + 3];
      },
      { x, y },
    );
  const oldCentre = { x: before.x + before.width / 2, y: before.y + before.height * 0.15 };
  assert.ok((await gpuAt(oldCentre.x, oldCentre.y)) > 128, 'the GPU draws the node where React Flow has it');
  // Grab the header (the sliders are nodrag) and move by (+950, +100): into free space right of the voices.
  await page.mouse.move(before.x + 30, before.y + 8);
  await page.mouse.down();
  await page.mouse.move(before.x + 32, before.y + 10);
  await page.mouse.move(before.x + 980, before.y + 108, { steps: 10 });
  await page.mouse.up();
  await settle(page, 300);
  const afterBox = await node.boundingBox();
  assert.ok(Math.abs(afterBox.x - before.x - 950) <= 3 && Math.abs(afterBox.y - before.y - 100) <= 3, JSON.stringify({ before, afterBox }));
  assert.ok((await gpuAt(afterBox.x + afterBox.width / 2, afterBox.y + afterBox.height / 2)) > 128, 'the GPU layer drew the node at its new place');
  assert.equal(await gpuAt(oldCentre.x, oldCentre.y), 0, 'and nothing where it was');
  // The store got the final position when the drag ended (what export writes).
  const exported = await page.evaluate((id) => JSON.parse(window.__flowscale.store.getState().exportWorkflow()).nodes.find((n) => n.id === id).position, id);
  assert.ok(Math.abs(exported.x - 950) <= 3 && Math.abs(exported.y - 100) <= 3, JSON.stringify(exported));
  await page.screenshot({ path: `${shots}app-drag.png` });
});

test('the plain React Flow / flowscale toggle renders the same workflow', async (t) => {
  const page = await open(t, '?n=1000');
  await settle(page);
  const windowed = await domNodes(page);
  assert.ok(windowed > 10 && windowed < 500, `flowscale mounts the window: ${windowed}`);
  await page.selectOption('[data-testid="mode"]', 'plain');
  await page.waitForFunction(() => document.querySelectorAll('.react-flow__node').length === 1000, null, { timeout: 60_000 });
  await page.screenshot({ path: `${shots}app-plain-1k.png` });
  await page.selectOption('[data-testid="mode"]', 'plain-visible');
  await waitLoaded(page);
  await page.waitForFunction(() => {
    const n = document.querySelectorAll('.react-flow__node').length;
    return n > 10 && n < 1000;
  });
  await page.selectOption('[data-testid="mode"]', 'flowscale');
  await waitLoaded(page);
  await settle(page);
  assert.equal(await domNodes(page), windowed);
});

test('level of detail: mounted nodes show their label only when zoomed out, controls when zoomed in; plain React Flow always in full', async (t) => {
  const page = await open(t, '?n=1000&debug=1');
  const details = () =>
    page.evaluate(() => {
      const out = { full: 0, label: 0 };
      for (const el of document.querySelectorAll('.react-flow__node [data-detail]')) out[el.getAttribute('data-detail')]++;
      return out;
    });
  const zoomTo = async (zoom) => {
    await page.evaluate((zoom) => window.__flowscale.reactFlow().setViewport({ x: 20, y: 20, zoom }), zoom);
    await settle(page, 400);
  };
  await zoomTo(1);
  let d = await details();
  assert.ok(d.full > 0 && d.label === 0, `zoom 1: ${JSON.stringify(d)}`);
  // Between the thresholds (medium 0.7 by default, low below it): labels only.
  await zoomTo(0.55);
  d = await details();
  assert.ok(d.label > 0 && d.full === 0, `zoom 0.55: ${JSON.stringify(d)}`);
  await zoomTo(1);
  d = await details();
  assert.ok(d.full > 0 && d.label === 0, `zoom 1 again: ${JSON.stringify(d)}`);
  // Plain React Flow has no level of detail, whatever the last flowscale frame said.
  await page.evaluate(() => window.__flowscale.store.getState().setMode('plain'));
  await page.waitForSelector('[data-mode="plain"]');
  await zoomTo(0.55);
  d = await details();
  assert.ok(d.full > 0 && d.label === 0, `plain: ${JSON.stringify(d)}`);
});

test('the GPU badge names the backend the layer drew with; with ?gpu=off the layer stays off and the first render is reported', async (t) => {
  const page = await open(t, '?n=1000&debug=1');
  await page.waitForFunction(() => window.__flowscale?.renderer, null, { timeout: 30_000 });
  await page.waitForFunction(() => /^GPU: (WebGL2|WebGPU)$/.test(document.querySelector('[data-testid="gpu"]')?.textContent ?? ''), null, { timeout: 10_000 });
  const off = await open(t, '?n=1000&gpu=off&debug=1');
  assert.ok((await stat(off, 'firstRender')) > 0, 'first render is reported');
  await settle(off, 500);
  assert.equal(await off.locator('[data-testid="gpu"]').textContent(), 'GPU layer off');
  assert.equal(await off.evaluate(() => window.__flowscale.renderer), null);
  assert.equal(await off.evaluate(() => getComputedStyle(document.querySelector('[data-testid="gpu-layer"]')).visibility), 'hidden');
});

test('clusters are drawn at low zoom and a click expands one; edges fold into bundles', async (t) => {
  const page = await open(t, '?n=10000&debug=1');
  await page.waitForFunction(() => window.__flowscale?.renderer, null, { timeout: 30_000 });
  await page.evaluate(() => window.__flowscale.reactFlow().setViewport({ x: 20, y: 20, zoom: 0.05 }));
  await page.waitForTimeout(600);
  const clusters = await stat(page, 'clusters');
  assert.ok(clusters > 10, `clusters drawn: ${clusters}`);
  assert.equal(await domNodes(page), 0);
  // The GPU layer draws the glyphs and the bundles between them (by default), in at most four draw calls.
  const stats = await page.evaluate(() => window.__flowscale.renderer.stats());
  assert.ok(stats.clusters > 10 && stats.bundles > 10 && stats.drawCalls <= 4, JSON.stringify(stats));
  // Hover a cluster: what it holds; click: zoom in until it splits.
  const target = await page.evaluate(() => {
    const { engine, reactFlow } = window.__flowscale;
    const pane = document.querySelector('.react-flow__pane').getBoundingClientRect();
    for (let y = pane.top + 100; y < pane.bottom - 50; y += 20) {
      for (let x = pane.left + 100; x < pane.right - 50; x += 20) {
        const p = reactFlow().screenToFlowPosition({ x, y });
        const c = engine.clusterAt(p);
        if (c && c.count > 20) return { x, y, count: c.count };
      }
    }
    return null;
  });
  assert.ok(target, 'a cluster under the pointer');
  await page.mouse.move(target.x, target.y);
  await page.waitForSelector('[data-testid="cluster-tip"]');
  assert.match(await page.locator('[data-testid="cluster-tip"]').textContent(), new RegExp(`${target.count.toLocaleString('en')} nodes`));
  await page.screenshot({ path: `${shots}app-clusters.png` });
  const zoomBefore = await page.evaluate(() => window.__flowscale.reactFlow().getZoom());
  await page.mouse.click(target.x, target.y);
  await page.waitForTimeout(700);
  const zoomAfter = await page.evaluate(() => window.__flowscale.reactFlow().getZoom());
  assert.ok(zoomAfter > zoomBefore * 1.2, `zoom ${zoomBefore} → ${zoomAfter}`);
});

test('a production build under a strict Content-Security-Policy runs wasm, the GPU layer and the worker', async (t) => {
  // open() fails the test on any CSP report in the console; the policy is also watched from inside the page.
  const wasm = [];
  const page = await open(t, '?n=1000&debug=1', { beforeGoto: (p) => {
    p.on('response', (r) => r.url().endsWith('.wasm') && wasm.push(new URL(r.url()).pathname));
    return p.addInitScript(() => {
      window.__violations = [];
      document.addEventListener('securitypolicyviolation', (e) => window.__violations.push(`${e.violatedDirective} ${e.blockedURI}`));
    });
  } });
  const csp = await page.evaluate(() => fetch(location.href).then((r) => r.headers.get('content-security-policy')));
  // No eval, no inline script: only this origin's scripts, and compiling WebAssembly.
  const scriptSrc = csp.split(';').map((d) => d.trim()).find((d) => d.startsWith('script-src'));
  assert.equal(scriptSrc, "script-src 'self' 'wasm-unsafe-eval'");
  await page.waitForFunction(() => window.__flowscale?.renderer, null, { timeout: 30_000 });
  // The engine worker instantiates its own copy of the wasm: an analysis round trip proves it runs.
  await page.click('[data-tab="optimizer"]');
  await page.click('[data-testid="run-optimize"]');
  await page.waitForSelector('[data-testid="metrics"]', { timeout: 30_000 });
  assert.deepEqual(await page.evaluate(() => window.__violations), []);
  // The worker's instance comes from the main thread's file (one download, the HTTP cache), not a second copy:
  // two .wasm files in all, the core and the GPU module.
  assert.equal(new Set(wasm).size, 2, `the .wasm files fetched: ${wasm.join(', ')}`);
});

test('the 1M-node scenario loads progressively, never freezing the page: nodes on screen while the progress bar moves', async (t) => {
  const page = await open(t, '?n=100&debug=1');
  await page.evaluate(() => {
    window.__seen = { labels: new Set(), values: new Set(), nodesWhileLoading: false, longest: 0 };
    new MutationObserver(() => {
      const p = document.querySelector('[data-testid="progress"]');
      if (!p) return;
      window.__seen.labels.add(p.getAttribute('aria-label').replace(/[\d,]+/g, 'N'));
      window.__seen.values.add(p.getAttribute('aria-valuenow'));
      if (document.querySelector('.react-flow__node')) window.__seen.nodesWhileLoading = true;
    }).observe(document.body, { subtree: true, childList: true, attributes: true });
    // Long tasks from the click on: the load must never hold the main thread for long.
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) window.__seen.longest = Math.max(window.__seen.longest, e.duration);
    }).observe({ type: 'longtask' });
  });
  await page.click('button[data-size="1000000"]');
  // Polled on a timer: while the load runs, animation frames (Playwright's default polling) can be rare.
  await page.waitForFunction(
    () => document.querySelector('[data-stat="total"]')?.textContent.replace(/\D/g, '') === '1000000' && !document.querySelector('[data-testid="progress"]'),
    null,
    { timeout: 150_000, polling: 250 },
  );
  await waitLoaded(page, 60_000);
  await settle(page);
  const seen = await page.evaluate(() => ({ labels: [...window.__seen.labels], values: window.__seen.values.size, nodesWhileLoading: window.__seen.nodesWhileLoading, longest: window.__seen.longest }));
  assert.ok(seen.nodesWhileLoading, 'the first part was on screen before the load ended');
  assert.ok(seen.labels.some((l) => /^Generating/.test(l)) && seen.labels.some((l) => /^Index/.test(l)), seen.labels.join(' / '));
  assert.ok(seen.values > 20, `the progress bar moved in ${seen.values} steps`);
  // A freeze, not a speed goal: a load in one piece held the page 2–2.5 s; sliced, the longest task
  // here is page start-up and GC, 160–420 ms on a busy 2-core machine. The 100 ms target is measured
  // by bench/fit.mjs (docs/benchmarks.md), where speed goals belong.
  assert.ok(seen.longest < 1000, `longest task during the load: ${seen.longest} ms`);
  assert.equal(await stat(page, 'total'), 1_000_000);
  // Indexed from columns: every slot is the document's position, for nodes and edges alike.
  const slots = await page.evaluate(() => {
    const { optimizer, store } = window.__flowscale;
    const { nodes, edges } = store.getState();
    let bad = 0;
    for (let k = 0; k < 200; k++) {
      const i = Math.floor((k * nodes.length) / 200), e = Math.floor((k * edges.length) / 200);
      if (optimizer.indexOf(nodes[i].id) !== i || optimizer.edgeIndexOf(edges[e].id) !== e) bad++;
    }
    return { bad, edges: optimizer.edgeCount, docEdges: edges.length };
  });
  assert.deepEqual(slots, { bad: 0, edges: slots.docEdges, docEdges: slots.docEdges });
  const dom = await domNodes(page);
  assert.ok(dom > 10 && dom <= MAX_VISIBLE, `${dom} nodes mounted`);
  await page.screenshot({ path: `${shots}app-1m.png` });
});

test('a wasm trap mid-session: the engine is rebuilt from the store, the same nodes mounted, the GPU layer drawing', async (t) => {
  const page = await open(t, '?n=100&debug=1&draw=all&panel=off', { viewport: { width: 1500, height: 700 } });
  await page.waitForFunction(() => window.__flowscale?.renderer?.stats().frames > 0, null, { timeout: 30_000 });
  const ids = () => page.evaluate(() => [...document.querySelectorAll('.react-flow__node')].map((e) => e.dataset.id).sort());
  const before = await ids();
  const count = await page.evaluate(() => {
    window.__old = { optimizer: window.__flowscale.optimizer, renderer: window.__flowscale.renderer };
    return window.__flowscale.optimizer.nodeCount;
  });
  // A real trap inside the engine's frame: the allocator export, asked for 4 GiB − 16 bytes, aborts (`unreachable`)
  // while frame() is on the stack (it reads the clock first).
  await page.evaluate(async () => {
    const raw = await window.__flowscale.wasm();
    const real = performance.now;
    performance.now = function () {
      performance.now = real;
      raw.__wbindgen_malloc(0xfffffff0, 1);
    };
    window.__flowscale.engine.refresh(true);
  });
  await page.waitForFunction(
    () => window.__flowscale.optimizer !== window.__old.optimizer && window.__flowscale.renderer && window.__flowscale.renderer !== window.__old.renderer && window.__flowscale.renderer.stats().frames > 0,
    null,
    { timeout: 30_000 },
  );
  await settle(page, 300);
  const after = await page.evaluate(() => {
    let old;
    try {
      window.__old.optimizer.nodeCount;
      old = 'worked';
    } catch (e) {
      old = e.code;
    }
    return { count: window.__flowscale.optimizer.nodeCount, old };
  });
  assert.deepEqual(after, { count, old: 'MODULE_RESET' });
  assert.deepEqual(await ids(), before, 'the same nodes mounted');
  assert.ok((await coveredPixels(page)) > 1000, 'the new renderer draws');
  // The next frames follow the view: a pan is drawn by the new renderer.
  const frames = () => page.evaluate(() => ({ frames: window.__flowscale.renderer.stats().frames, x: window.__flowscale.engine.getViewport().x }));
  const f0 = await frames();
  const box = await paneBox(page);
  await drag(page, { x: box.x + box.width / 2, y: box.y + box.height / 2 }, { x: box.x + box.width / 2 - 400, y: box.y + box.height / 2 });
  await settle(page, 300);
  const f1 = await frames();
  assert.ok(f1.frames > f0.frames && Math.abs(f1.x - f0.x + 400) <= 3, JSON.stringify({ f0, f1 }));
});

test('the fit-view button fits every node of 100k, mounted or not; the minimap shows the workflow and a click there moves the view', async (t) => {
  const page = await open(t, '?n=100000&debug=1');
  await page.waitForFunction(
    () => window.__flowscale?.engine && !window.__flowscale.engine.loading && window.__flowscale.store.getState().nodes.length === 100_000,
    null,
    { timeout: 90_000 },
  );
  // Brute force over the store's document: the bounds of every node.
  const bounds = await page.evaluate(() => {
    let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
    for (const n of window.__flowscale.store.getState().nodes) {
      x0 = Math.min(x0, n.position.x);
      y0 = Math.min(y0, n.position.y);
      x1 = Math.max(x1, n.position.x + (n.width ?? 0));
      y1 = Math.max(y1, n.position.y + (n.height ?? 0));
    }
    return { x0, y0, x1, y1 };
  });
  const view = () =>
    page.evaluate(() => {
      const { engine, reactFlow } = window.__flowscale;
      return { vp: reactFlow().getViewport(), pane: engine.getPane() };
    });
  const before = await view();
  await page.click('.react-flow__controls-fitview');
  await page.waitForFunction((z) => window.__flowscale.reactFlow().getViewport().zoom < z, before.vp.zoom);
  await settle(page);
  const { vp, pane } = await view();
  const left = bounds.x0 * vp.zoom + vp.x, right = bounds.x1 * vp.zoom + vp.x;
  const top = bounds.y0 * vp.zoom + vp.y, bottom = bounds.y1 * vp.zoom + vp.y;
  const inPane = left >= -1 && top >= -1 && right <= pane.width + 1 && bottom <= pane.height + 1;
  assert.ok(inPane, `the whole workflow in the pane: ${JSON.stringify({ left, top, right, bottom, pane })}`);
  const fill = Math.max((right - left) / pane.width, (bottom - top) / pane.height);
  assert.ok(fill > 0.75, `fitted, not just inside: it fills ${(fill * 100).toFixed(0)} % of the pane`);
  assert.ok((await domNodes(page)) <= MAX_VISIBLE, 'fitted, the window stays bounded');

  // The minimap draws the workflow; a click at three quarters of it centres the view about there.
  const mini = page.locator('.flowscale-minimap canvas');
  const ink = await mini.evaluate((c) => {
    const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let inked = 0;
    for (let i = 3; i < px.length; i += 4) if (px[i] > 0) inked++;
    return inked / (c.width * c.height);
  });
  assert.ok(ink > 0.05, `${(ink * 100).toFixed(1)} % of the minimap inked`);
  await page.evaluate(() => window.__flowscale.reactFlow().setViewport({ x: 0, y: 0, zoom: 1 }));
  const box = await mini.boundingBox();
  await page.mouse.click(box.x + box.width * 0.75, box.y + box.height * 0.75);
  await page.waitForFunction(() => window.__flowscale.reactFlow().getViewport().x !== 0);
  const after = await view();
  const cx = (after.pane.width / 2 - after.vp.x) / after.vp.zoom;
  const cy = (after.pane.height / 2 - after.vp.y) / after.vp.zoom;
  const spanX = bounds.x1 - bounds.x0, spanY = bounds.y1 - bounds.y0;
  // The minimap fits the workflow with a margin, keeping its aspect: about, not exactly, three quarters.
  assert.ok(cx > bounds.x0 + 0.5 * spanX && cx < bounds.x1, `centre x ${cx} in the workflow's right half`);
  assert.ok(cy > bounds.y0 && cy < bounds.y1 + 0.1 * spanY, `centre y ${cy} within the workflow`);
  assert.equal(after.vp.zoom, 1, 'the zoom stays');
});
