// flowscale/react in a real React Flow app (tests/e2e/react-app/, built into
// dist-react/): 100,000 generated nodes under <StrictMode>, the app's state
// held by useNodesState/useEdgesState. Every answer is checked against the
// app's own arrays searched by brute force in the page.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS, serveAndLaunch } from './serve.mjs';

const dist = new URL('../../dist-react/', import.meta.url).pathname;
const env = serveAndLaunch(dist);
const N = 100_000;

/** In-page helpers: React Flow's node geometry read from the app's arrays (no parents in the test app). */
const HELPERS = `
  window.__t = {
    rect(n) {
      // React Flow's getNodePositionWithOrigin: the position is that point of the node (nodeOrigin), of its known size.
      const [ox, oy] = n.origin ?? window.__app.nodeOrigin;
      const x = n.position.x - ox * (n.measured?.width ?? n.width ?? n.initialWidth ?? 0);
      const y = n.position.y - oy * (n.measured?.height ?? n.height ?? n.initialHeight ?? 0);
      return { x, y, width: n.measured?.width ?? n.width ?? n.initialWidth ?? 150, height: n.measured?.height ?? n.height ?? n.initialHeight ?? 40 };
    },
    /**
     * React Flow's getNodesInside for a rectangle of flow coordinates: in Full mode the overlap's area, rounded up,
     * covers the node's; partially, any overlap. Hidden nodes never.
     */
    inRect(n, rect, partially = false) {
      if (n.hidden) return false;
      const b = this.rect(n);
      if (partially) return b.x < rect.x + rect.width && b.x + b.width > rect.x && b.y < rect.y + rect.height && b.y + b.height > rect.y;
      const overlap = Math.ceil(Math.max(0, Math.min(rect.x + rect.width, b.x + b.width) - Math.max(rect.x, b.x)) * Math.max(0, Math.min(rect.y + rect.height, b.y + b.height) - Math.max(rect.y, b.y)));
      return overlap >= b.width * b.height;
    },
    bounds(nodes) {
      let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
      for (const n of nodes) {
        if (n.hidden) continue;
        const r = this.rect(n);
        x0 = Math.min(x0, r.x); y0 = Math.min(y0, r.y); x1 = Math.max(x1, r.x + r.width); y1 = Math.max(y1, r.y + r.height);
      }
      return Number.isFinite(x0) ? { x: x0, y: y0, width: x1 - x0, height: y1 - y0 } : null;
    },
    pane() {
      const el = document.querySelector('.react-flow');
      return { width: el.clientWidth, height: el.clientHeight };
    },
    /** The flow rectangle the pane shows. */
    view() {
      const { x, y, zoom } = window.__app.reactFlow.getViewport();
      const p = this.pane();
      return { x: -x / zoom, y: -y / zoom, width: p.width / zoom, height: p.height / zoom, zoom };
    },
    /**
     * The minimap's pixels and its documented fit (the brute-force bounds, 5 % padding, 200 × 150 CSS px), and the
     * sampled nodes (every 97th) whose centre is not inked.
     */
    minimap() {
      const canvas = document.querySelector('.flowscale-minimap canvas');
      const px = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
      const brute = this.bounds(window.__app.nodes);
      const pad = 0.05, W = 200, H = 150;
      const scale = Math.min(W / (brute.width * (1 + 2 * pad)), H / (brute.height * (1 + 2 * pad)));
      const tx = W / 2 - (brute.x + brute.width / 2) * scale, ty = H / 2 - (brute.y + brute.height / 2) * scale;
      const dpr = canvas.width / W;
      const missing = [];
      for (let i = 3; i < 3000; i += 97) {
        const r = this.rect(window.__app.nodes[i]);
        const x = Math.floor(((r.x + r.width / 2) * scale + tx) * dpr), y = Math.floor(((r.y + r.height / 2) * scale + ty) * dpr);
        if (px[(y * canvas.width + x) * 4] >= 250) missing.push(window.__app.nodes[i].id);
      }
      return { canvas, px, brute, scale, tx, ty, dpr, missing };
    },
    settled() {
      const a = window.__app;
      return a.flow && a.flow.controller.upToDate && a.flow.controller.getNodes() === a.nodes;
    },
    domIds() {
      return [...document.querySelectorAll('.react-flow__node')].map((e) => e.dataset.id);
    },
  };
`;

async function settle(page, extra = 'true') {
  await page.waitForFunction(`window.__t.settled() && (${extra})`, null, { timeout: 120_000, polling: 100 });
  // React mounts, React Flow measures, the measurements come back as changes: let them land.
  await page.waitForTimeout(300);
  await page.waitForFunction('window.__t.settled()', null, { timeout: 60_000, polling: 100 });
}

test('flowscale/react: 100k nodes in React Flow under StrictMode', async (t) => {
  const page = await env.browser.newPage({ viewport: { width: 1280, height: 800 } });
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(e));
  // React's development build reports misuse on the console as errors (setState during render, a tearing
  // store, a missing key…); flowscale logs its own warnings. (The browser's GPU stack warns too: not ours.)
  const consoleProblems = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || (m.type() === 'warning' && /flowscale|React/.test(m.text()))) consoleProblems.push(`${m.type()}: ${m.text()}`);
  });
  await page.goto(`${env.server.url}/?n=${N}`);
  await page.waitForFunction('window.__app && window.__app.flow');
  await page.evaluate(HELPERS);
  await settle(page, `window.__app.flow.optimizer.nodeCount === ${N}`);

  await t.test('every node is indexed; the DOM holds at most maxVisibleNodes', async () => {
    const r = await page.evaluate(() => ({
      count: window.__app.flow.optimizer.nodeCount,
      edges: window.__app.flow.optimizer.edgeCount,
      appEdges: window.__app.edges.length,
      dom: document.querySelectorAll('.react-flow__node').length,
      max: window.__app.maxVisible,
      progress: window.__app.progress,
    }));
    assert.equal(r.count, N);
    assert.equal(r.edges, r.appEdges);
    assert.ok(r.dom > 0, 'some nodes are mounted at the start');
    assert.ok(r.dom <= r.max, `${r.dom} DOM nodes > maxVisibleNodes ${r.max}`);
    // A big workflow loads in slices: 0 after the first stage, 1 at the end.
    assert.equal(r.progress[0], 0);
    assert.equal(r.progress.at(-1), 1);
  });

  await t.test('fitView() shows the bounds of every node, mounted or not', async () => {
    await page.evaluate(() => window.__app.flow.fitView());
    await page.waitForTimeout(200);
    const r = await page.evaluate(() => ({
      brute: window.__t.bounds(window.__app.nodes),
      bounds: window.__app.flow.getBounds(),
      view: window.__t.view(),
      pane: window.__t.pane(),
      dom: document.querySelectorAll('.react-flow__node').length,
    }));
    for (const k of ['x', 'y', 'width', 'height']) assert.ok(Math.abs(r.bounds[k] - r.brute[k]) < 1e-6, `getBounds().${k} ${r.bounds[k]} vs ${r.brute[k]}`);
    const eps = 1e-6 * r.brute.width;
    assert.ok(r.view.x <= r.brute.x + eps && r.view.y <= r.brute.y + eps, 'view starts before the bounds');
    assert.ok(r.view.x + r.view.width >= r.brute.x + r.brute.width - eps, 'view ends after the bounds (x)');
    assert.ok(r.view.y + r.view.height >= r.brute.y + r.brute.height - eps, 'view ends after the bounds (y)');
    // React Flow's padding 0.1 (@xyflow/system parsePadding: floor((size - size / 1.1) / 2) px on each side).
    const pad = (size) => Math.floor((size - size / 1.1) * 0.5);
    const zoom = Math.min((r.pane.width - 2 * pad(r.pane.width)) / r.brute.width, (r.pane.height - 2 * pad(r.pane.height)) / r.brute.height);
    assert.ok(Math.abs(r.view.zoom / zoom - 1) < 1e-9, `zoom ${r.view.zoom} vs ${zoom}`);
    assert.ok(r.dom <= (await page.evaluate(() => window.__app.maxVisible)));
  });

  await t.test('the GPU layer is on (WebGL2) and draws what React does not mount', async () => {
    await page.waitForFunction(() => window.__app.flow.gpu.status !== 'starting', null, { timeout: 60_000 });
    const gpu = await page.evaluate(() => window.__app.flow.gpu);
    assert.equal(gpu.status, 'on', JSON.stringify(gpu));
    assert.match(gpu.backend, /^Gl/);
    await page.waitForFunction(() => {
      const r = window.__app.flow.controller.currentRenderer;
      const s = r?.stats();
      return s && s.frames > 0 && s.drawCalls > 0 && s.nodes + s.clusters > 0;
    }, null, { timeout: 30_000 });
    const drawn = await page.evaluate(async () => {
      const canvas = document.querySelector('canvas.flowscale-layer');
      const px = await window.__app.flow.controller.currentRenderer.readPixels();
      let covered = 0;
      for (let i = 3; i < px.length; i += 4) if (px[i] > 0) covered++;
      const box = canvas.getBoundingClientRect();
      const pane = window.__t.pane();
      return { covered, visibility: getComputedStyle(canvas).visibility, zIndex: getComputedStyle(canvas).zIndex, w: box.width, h: box.height, pane };
    });
    assert.ok(drawn.covered > 1000, `only ${drawn.covered} pixels drawn`);
    assert.equal(drawn.visibility, 'visible');
    assert.equal(drawn.zIndex, '-1');
    assert.equal(drawn.w, drawn.pane.width);
    assert.equal(drawn.h, drawn.pane.height);
  });

  await t.test('the GPU layer keeps its renderer when the view pans to an empty area and back', async () => {
    await page.evaluate(() => {
      window.__renderer = window.__app.flow.controller.currentRenderer;
      window.__app.reactFlow.setViewport({ x: 10_000_000, y: 10_000_000, zoom: 1 });
    });
    // Nothing in view: the frame says so, and the layer has had time to react.
    await page.waitForFunction(() => !window.__app.flow.controller.hasContent, null, { timeout: 10_000 });
    await page.waitForTimeout(500);
    const away = await page.evaluate(() => window.__app.flow.controller.currentRenderer === window.__renderer);
    assert.ok(away, 'the renderer was destroyed when the view went empty');
    await page.evaluate(() => window.__app.flow.fitView());
    await page.waitForTimeout(500);
    const back = await page.evaluate(() => ({ same: window.__app.flow.controller.currentRenderer === window.__renderer, gpu: window.__app.flow.gpu }));
    assert.ok(back.same, 'a second renderer was created');
    assert.equal(back.gpu.status, 'on');
  });

  await t.test('clusterAt names the cluster drawn at a point; zoomToCluster zooms into it', async () => {
    const r = await page.evaluate(async () => {
      const { flow } = window.__app;
      const b = flow.getBounds();
      const point = { x: b.x + b.width * 0.3, y: b.y + b.height * 0.6 };
      const c = flow.clusterAt(point);
      if (!c) return { c };
      const q = c.bounds;
      const within = window.__app.nodes.filter((n) => {
        const r = window.__t.rect(n);
        return r.x >= q.x && r.y >= q.y && r.x + r.width <= q.x + q.width && r.y + r.height <= q.y + q.height;
      }).length;
      const zoomBefore = window.__t.view().zoom;
      const zoomed = await flow.zoomToCluster(point, { duration: 0 });
      return { c, point, within, zoomBefore, zoomed, view: window.__t.view() };
    });
    assert.ok(r.c, 'a cluster is drawn there when the whole workflow is in view');
    const { bounds, rect } = r.c;
    // Hit-tested on the glyph drawn, which lies inside the members' bounds.
    assert.ok(r.point.x >= rect.x && r.point.x <= rect.x + rect.width && r.point.y >= rect.y && r.point.y <= rect.y + rect.height);
    assert.ok(rect.x >= bounds.x && rect.y >= bounds.y && rect.x + rect.width <= bounds.x + bounds.width && rect.y + rect.height <= bounds.y + bounds.height);
    assert.ok(r.point.x >= bounds.x && r.point.x <= bounds.x + bounds.width && r.point.y >= bounds.y && r.point.y <= bounds.y + bounds.height);
    assert.ok(r.c.count > 1 && r.c.count <= r.within, `count ${r.c.count}, nodes within its bounds ${r.within}`);
    assert.equal(r.zoomed, true);
    assert.ok(r.view.zoom > r.zoomBefore);
    const centre = { x: r.view.x + r.view.width / 2, y: r.view.y + r.view.height / 2 };
    assert.ok(Math.abs(centre.x - (bounds.x + bounds.width / 2)) < 1e-6 * bounds.width + 1e-3 && Math.abs(centre.y - (bounds.y + bounds.height / 2)) < 1e-6 * bounds.height + 1e-3, JSON.stringify({ centre, bounds }));
  });

  await t.test('a click on the minimap centres the view on that point', async () => {
    const canvas = page.locator('.flowscale-minimap canvas');
    const box = await canvas.boundingBox();
    // Above 5,000 nodes the minimap draws the clusters: the workflow's band is inked, the margins are not.
    const ink = await page.evaluate(() => {
      const c = document.querySelector('.flowscale-minimap canvas');
      const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let inked = 0;
      for (let i = 0; i < px.length; i += 4) if (px[i] < 250) inked++;
      return inked / (c.width * c.height);
    });
    assert.ok(ink > 0.1 && ink < 0.95, `${(ink * 100).toFixed(1)}% of the minimap inked`);
    // Off-centre, in whole CSS pixels of the minimap's content box (inside its 1 px border).
    for (const [mx, my] of [[100, 75], [40, 30], [170, 120]]) {
      await page.mouse.click(box.x + 1 + mx, box.y + 1 + my);
      await page.waitForTimeout(150);
      const r = await page.evaluate(() => ({ view: window.__t.view(), brute: window.__t.bounds(window.__app.nodes) }));
      // The minimap's fit (its documented transform), recomputed from the brute-force bounds.
      const pad = 0.05, W = 200, H = 150;
      const scale = Math.min(W / (r.brute.width * (1 + 2 * pad)), H / (r.brute.height * (1 + 2 * pad)));
      const want = { x: (mx - (W / 2 - (r.brute.x + r.brute.width / 2) * scale)) / scale, y: (my - (H / 2 - (r.brute.y + r.brute.height / 2) * scale)) / scale };
      const centre = { x: r.view.x + r.view.width / 2, y: r.view.y + r.view.height / 2 };
      const tolerance = 1 / scale; // one minimap pixel
      assert.ok(Math.abs(centre.x - want.x) <= tolerance && Math.abs(centre.y - want.y) <= tolerance, `click (${mx}, ${my}): centre ${JSON.stringify(centre)} vs ${JSON.stringify(want)} ± ${tolerance}`);
    }
  });

  await t.test('selectInRect selects exactly the nodes inside, mounted or not', async () => {
    const rect = { x: 3333.3, y: 1777.7, width: 20000.5, height: 6000.25 };
    await page.evaluate((rect) => window.__app.flow.selectInRect(rect), rect);
    await settle(page);
    const r = await page.evaluate((rect) => {
      const inside = (n) => window.__t.inRect(n, rect);
      const want = window.__app.nodes.filter(inside).map((n) => n.id).sort();
      const got = window.__app.nodes.filter((n) => n.selected).map((n) => n.id).sort();
      // React Flow's selection box selects the edges of the nodes it selects (either end).
      const picked = new Set(want);
      const wantEdges = window.__app.edges.filter((e) => picked.has(e.source) || picked.has(e.target)).map((e) => e.id).sort();
      const gotEdges = window.__app.edges.filter((e) => e.selected).map((e) => e.id).sort();
      return { want, got, wantEdges, gotEdges, mounted: document.querySelectorAll('.react-flow__node').length };
    }, rect);
    assert.ok(r.want.length > 1000, `the rectangle holds ${r.want.length} nodes`);
    assert.ok(r.want.length > r.mounted, 'more nodes selected than mounted');
    assert.deepEqual(r.got, r.want);
    assert.ok(r.wantEdges.length > 500);
    assert.deepEqual(r.gotEdges, r.wantEdges);
    // Partially: nodes that only overlap it count too; not additive: the others are deselected.
    const partial = { x: 1000.5, y: 1000.5, width: 3000, height: 2000 };
    await page.evaluate((rect) => window.__app.flow.selectInRect(rect, { partially: true }), partial);
    await settle(page);
    const p = await page.evaluate((rect) => {
      const overlaps = (n) => window.__t.inRect(n, rect, true);
      return {
        want: window.__app.nodes.filter(overlaps).map((n) => n.id).sort(),
        got: window.__app.nodes.filter((n) => n.selected).map((n) => n.id).sort(),
      };
    }, partial);
    assert.ok(p.want.length > 50);
    assert.deepEqual(p.got, p.want);
  });

  await t.test('a pinned node stays mounted 40,000 px away and leaves once unpinned', async () => {
    await page.evaluate(() => window.__app.reactFlow.setViewport({ x: -1000, y: -500, zoom: 1 }));
    await page.waitForFunction(() => document.querySelectorAll('.react-flow__node').length > 5);
    const id = await page.evaluate(() => window.__t.domIds()[0]);
    await page.evaluate((id) => window.__app.flow.pin([id]), id);
    await page.evaluate(() => window.__app.reactFlow.setViewport({ x: -1000 - 40_000, y: -500, zoom: 1 }));
    await page.waitForTimeout(300);
    const away = await page.evaluate(() => window.__t.domIds());
    assert.ok(away.includes(id), `${id} was unmounted`);
    assert.ok(away.length > 5, 'the new place is mounted too');
    await page.evaluate((id) => window.__app.flow.unpin([id]), id);
    await page.waitForFunction((id) => !window.__t.domIds().includes(id), id, { timeout: 10_000 });
  });

  await t.test('a node being dragged stays mounted however far the view goes', async () => {
    await page.evaluate(() => window.__app.reactFlow.setViewport({ x: -1000, y: -500, zoom: 1 }));
    await page.waitForFunction(() => document.querySelectorAll('.react-flow__node').length > 5);
    const id = await page.evaluate(() => window.__t.domIds()[1]);
    const setDragging = (dragging) =>
      page.evaluate(({ id, dragging }) => window.__app.setNodes((nodes) => nodes.map((n) => (n.id === id ? { ...n, dragging } : n))), { id, dragging });
    await setDragging(true);
    await settle(page);
    await page.evaluate(() => window.__app.reactFlow.setViewport({ x: -1000 - 40_000, y: -500, zoom: 1 }));
    await page.waitForTimeout(300);
    assert.ok((await page.evaluate(() => window.__t.domIds())).includes(id), `${id} was unmounted mid-drag`);
    await setDragging(false);
    await page.waitForFunction((id) => !window.__t.domIds().includes(id), id, { timeout: 10_000 });
  });

  await t.test('useFlowscaleDetail: nodes show full detail zoomed in, the label at medium zoom; only changes re-render', async () => {
    const details = () => page.evaluate(() => [...document.querySelectorAll('[data-detail]')].map((e) => e.dataset.detail));
    await page.evaluate(() => window.__app.reactFlow.setViewport({ x: -2000, y: -1000, zoom: 1 }));
    await page.waitForTimeout(300);
    const full = await details();
    assert.ok(full.length > 5 && full.every((d) => d === 'full'), JSON.stringify(full));
    // A zoom within the same band (and a pan) leaves every node's detail as it was: no node re-renders.
    const before = await page.evaluate(() => Object.fromEntries(window.__t.domIds().map((id) => [id, window.__app.renders.get(id)])));
    await page.evaluate(() => window.__app.reactFlow.setViewport({ x: -2010, y: -1005, zoom: 1.05 }));
    await page.waitForTimeout(300);
    const after = await page.evaluate((ids) => Object.fromEntries(ids.map((id) => [id, window.__app.renders.get(id)])), Object.keys(before));
    assert.deepEqual(after, before);
    await page.evaluate(() => window.__app.reactFlow.setViewport({ x: -1000, y: -500, zoom: 0.5 }));
    await page.waitForTimeout(300);
    const label = await details();
    assert.ok(label.length > 5 && label.every((d) => d === 'label'), JSON.stringify(label));
  });

  await t.test('a NaN position is reported once (NON_FINITE), the previous state stays, the fix goes in', async () => {
    // One edit moves two nodes, one of them to NaN: the batch is refused whole. The fixing edit then
    // touches only the NaN node; the other node's move goes in with it (diffed from the last good state).
    const [bad, other] = ['n777', 'n778'];
    const rects = await page.evaluate((ids) => ids.map((id) => window.__t.rect(window.__app.nodes.find((n) => n.id === id))), [bad, other]);
    const moved = { x: 98_765, y: 43_210 };
    const fixed = { x: 123_456, y: 65_432 };
    const errorsBefore = await page.evaluate(() => window.__app.errors.length);
    await page.evaluate(
      ({ bad, other, moved }) =>
        window.__app.setNodes((nodes) =>
          nodes.map((n) => (n.id === bad ? { ...n, position: { x: Number.NaN, y: 5 } } : n.id === other ? { ...n, position: moved } : n)),
        ),
      { bad, other, moved },
    );
    await page.waitForFunction((k) => window.__app.errors.length > k, errorsBefore);
    // Re-renders with the same bad arrays (the window moving) report nothing more.
    await page.evaluate(() => window.__app.reactFlow.setViewport({ x: 500, y: 300, zoom: 1 }));
    await page.waitForTimeout(300);
    const at = (r, p = r) => ({ x: p.x - 1, y: p.y - 1, width: r.width + 2, height: r.height + 2 });
    const where = (id, r, p) => page.evaluate(({ id, rect }) => window.__app.flow.optimizer.nodesInRect(rect).includes(id), { id, rect: at(r, p) });
    const state = await page.evaluate(() => ({ errors: window.__app.errors.slice(), count: window.__app.flow.optimizer.nodeCount }));
    assert.equal(state.errors.length, errorsBefore + 1, JSON.stringify(state.errors));
    assert.equal(state.errors.at(-1).code, 'NON_FINITE');
    assert.equal(state.count, N);
    assert.ok(await where(bad, rects[0]), 'the NaN node is still where it was');
    assert.ok(await where(other, rects[1]), 'the other node of the refused edit is still where it was');
    await page.evaluate(({ bad, fixed }) => window.__app.setNodes((nodes) => nodes.map((n) => (n.id === bad ? { ...n, position: fixed } : n))), { bad, fixed });
    await settle(page);
    assert.equal(await page.evaluate(() => window.__app.errors.length), errorsBefore + 1);
    assert.ok(await where(bad, rects[0], fixed), 'the fixed node moved');
    assert.ok(!(await where(bad, rects[0])), 'the fixed node left its old place');
    assert.ok(await where(other, rects[1], moved), 'the other node moved with the fix');
    assert.ok(!(await where(other, rects[1])), 'the other node left its old place');
  });

  await t.test('selectAll() then deleteSelected() empties the arrays, the optimizer and the DOM', async () => {
    await page.evaluate(() => window.__app.flow.fitView());
    // Every object changes, but only its selection: the flags flip in the index, never a fresh index (no load in
    // slices, no progress reported), and the whole workflow stays on screen throughout.
    const during = await page.evaluate(async () => {
      const { flow, nodes } = window.__app;
      const counts = [];
      let loading = false;
      const progress = window.__app.progress.length;
      const off = flow.controller.subscribeWorkflow(() => counts.push(flow.optimizer.nodeCount));
      flow.selectAll();
      for (let k = 0; k < 1000 && (window.__app.nodes === nodes || !window.__t.settled()); k++) {
        loading ||= flow.controller.loading;
        await new Promise((r) => setTimeout(r, 10));
      }
      off();
      return { counts, loading, progress: window.__app.progress.length - progress };
    });
    assert.ok(during.counts.length > 0 && during.counts.every((c) => c === N), `node counts: ${during.counts}`);
    assert.equal(during.loading, false, 'selectAll() re-indexed the workflow');
    assert.equal(during.progress, 0, 'selectAll() re-indexed the workflow');
    await settle(page, 'window.__app.nodes.every((n) => n.selected)');
    const selected = await page.evaluate(() => ({
      nodes: window.__app.nodes.filter((n) => n.selected).length,
      edges: window.__app.edges.filter((e) => e.selected).length,
      all: window.__app.edges.length,
      // What the index (and the GPU layer) holds.
      indexed: window.__app.flow.optimizer.snapshot().nodes.filter((n) => n.selected).length,
    }));
    assert.equal(selected.nodes, N);
    assert.equal(selected.indexed, N);
    assert.equal(selected.edges, selected.all);
    await page.evaluate(() => window.__app.reactFlow.setViewport({ x: 0, y: 0, zoom: 1 }));
    await page.waitForFunction(() => document.querySelectorAll('.react-flow__node').length > 0);
    await page.evaluate(() => window.__app.flow.deleteSelected());
    await settle(page, 'window.__app.nodes.length === 0');
    await page.waitForFunction(() => document.querySelectorAll('.react-flow__node').length === 0, null, { timeout: 10_000 });
    const r = await page.evaluate(() => ({
      nodes: window.__app.nodes.length,
      edges: window.__app.edges.length,
      count: window.__app.flow.optimizer.nodeCount,
      edgeCount: window.__app.flow.optimizer.edgeCount,
      bounds: window.__app.flow.getBounds(),
    }));
    assert.deepEqual(r, { nodes: 0, edges: 0, count: 0, edgeCount: 0, bounds: null });
  });

  assert.deepEqual(pageErrors.map(String), []);
  assert.deepEqual(consoleProblems, []);
  await page.close();
});

/** The app at 3,000 nodes in 60 columns, indexed, with its page errors collected. */
async function openSmall(query = '') {
  const page = await env.browser.newPage({ viewport: { width: 1000, height: 700 } });
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(e));
  await page.goto(`${env.server.url}/?n=3000&cols=60${query}`);
  await page.waitForFunction('window.__app && window.__app.flow');
  await page.evaluate(HELPERS);
  await settle(page, 'window.__app.flow.optimizer.nodeCount === 3000');
  return { page, pageErrors };
}

test('flowscale/react: a small workflow loads at once, the minimap draws every node, unmounting frees once', async () => {
  const { page, pageErrors } = await openSmall();
  await page.evaluate(() => window.__app.flow.fitView());
  await page.waitForTimeout(300);
  const r = await page.evaluate(() => {
    // Each sampled node's centre must be inked.
    const { canvas, px, brute, missing } = window.__t.minimap();
    let inked = 0;
    for (let i = 0; i < px.length; i += 4) if (px[i] < 250) inked++;
    return { progress: window.__app.progress, missing, inked, size: canvas.width * canvas.height, bounds: window.__app.flow.getBounds(), brute };
  });
  // At once: no slices, one progress report.
  assert.deepEqual(r.progress, [1]);
  assert.deepEqual(r.bounds, r.brute);
  assert.deepEqual(r.missing, [], 'nodes not drawn on the minimap');
  assert.ok(r.inked < r.size * 0.9, 'the minimap is not simply filled');

  // StrictMode's rehearsal unmount did not free the optimizer (it would have been replaced: generation 2);
  // a real unmount frees it exactly once.
  assert.equal(await page.evaluate(() => window.__app.flow.controller.optimizerGeneration), 1);
  await page.evaluate(() => {
    const { controller } = window.__app.flow;
    const opt = controller.optimizer;
    const free = opt.free.bind(opt);
    window.__frees = 0;
    opt.free = () => {
      window.__frees++;
      free();
    };
    window.__app.unmount();
  });
  await page.waitForFunction(() => window.__app.flow.controller.isDestroyed);
  await page.waitForTimeout(200);
  const gone = await page.evaluate(() => ({ frees: window.__frees, dom: document.querySelectorAll('.react-flow').length }));
  assert.deepEqual(gone, { frees: 1, dom: 0 });
  assert.deepEqual(pageErrors.map(String), []);
  await page.close();
});

test('flowscale/react: React Flow\'s own deselection (pane click, plain click on a node or an edge) reaches unmounted nodes and edges', async () => {
  const { page, pageErrors } = await openSmall();
  const state = () =>
    page.evaluate(() => ({
      nodes: window.__app.nodes.filter((n) => n.selected).map((n) => n.id),
      edges: window.__app.edges.filter((e) => e.selected).length,
      allEdges: window.__app.edges.length,
      progress: window.__app.progress.slice(),
      mounted: window.__t.domIds().length,
      indexed: window.__app.flow.optimizer.snapshot().nodes.filter((n) => n.selected).length,
    }));
  const selectAll = async () => {
    await page.evaluate(() => window.__app.flow.selectAll());
    await settle(page, 'window.__app.nodes.every((n) => n.selected)');
    const s = await state();
    assert.equal(s.nodes.length, 3000);
    assert.equal(s.edges, s.allEdges);
    assert.ok(s.mounted > 0 && s.mounted < 3000, `${s.mounted} mounted`);
  };
  // The flow's origin at (600, 400) on screen: the pane above and left of it is empty.
  await page.evaluate(() => window.__app.reactFlow.setViewport({ x: 600, y: 400, zoom: 1 }));
  await settle(page);

  await selectAll();
  await page.mouse.click(200, 150);
  await settle(page, 'window.__app.nodes.every((n) => !n.selected)');
  let s = await state();
  assert.deepEqual(s.nodes, [], 'a pane click deselects every node');
  assert.equal(s.edges, 0, 'and every edge');
  assert.equal(s.indexed, 0);

  // A plain click on a node that is not selected selects it alone, over the whole workflow (a click on a selected
  // node keeps the selection, in React Flow: it may start dragging them all).
  await selectAll();
  await page.evaluate(() => window.__app.setNodes((nodes) => nodes.map((n) => (n.id === 'n1' ? { ...n, selected: false } : n))));
  await settle(page, '!window.__app.nodes.find((n) => n.id === "n1").selected');
  await page.locator('.react-flow__node[data-id="n1"]').click();
  await settle(page, 'window.__app.nodes.filter((n) => n.selected).length === 1');
  s = await state();
  assert.deepEqual(s.nodes, ['n1']);
  assert.equal(s.edges, 0);
  assert.equal(s.indexed, 1);

  // With the multi-selection key, a click on a selected node deselects that node only (React Flow's rule).
  await selectAll();
  await page.keyboard.down('Control');
  await page.locator('.react-flow__node[data-id="n1"]').click();
  await page.keyboard.up('Control');
  await settle(page, '!window.__app.nodes.find((n) => n.id === "n1").selected');
  await page.waitForTimeout(200);
  s = await state();
  assert.equal(s.nodes.length, 2999);
  assert.ok(!s.nodes.includes('n1'));
  assert.equal(s.edges, s.allEdges);

  // A plain click on an edge that is not selected selects it alone: every node, and every other edge, deselected.
  await selectAll();
  await page.evaluate(() => window.__app.setEdges((edges) => edges.map((e) => (e.id === 'e0' ? { ...e, selected: false } : e))));
  await settle(page, '!window.__app.edges.find((e) => e.id === "e0").selected');
  await page.locator('.react-flow__edge[data-id="e0"] .react-flow__edge-interaction').click();
  await settle(page, 'window.__app.nodes.every((n) => !n.selected)');
  s = await page.evaluate(() => ({ nodes: window.__app.nodes.filter((n) => n.selected).length, edges: window.__app.edges.filter((e) => e.selected).map((e) => e.id) }));
  assert.deepEqual(s, { nodes: 0, edges: ['e0'] });
  s = await state();

  // Escape on a focused edge deselects that edge and every node (React Flow's unselectNodesAndEdges without nodes).
  await selectAll();
  await page.locator('.react-flow__edge[data-id="e0"]').focus();
  await page.keyboard.press('Escape');
  await settle(page, 'window.__app.nodes.every((n) => !n.selected)');
  s = await page.evaluate(() => ({ nodes: window.__app.nodes.filter((n) => n.selected).length, edges: window.__app.edges.filter((e) => !e.selected).map((e) => e.id) }));
  assert.deepEqual(s, { nodes: 0, edges: ['e0'] }, 'every node deselected, and that edge only');
  s = await state();

  // None of this re-indexed the workflow: one progress report, the first load's.
  assert.deepEqual(s.progress, [1]);
  assert.deepEqual(pageErrors.map(String), []);
  await page.close();
});

test('flowscale/react: deleteSelected() calls React Flow\'s onBeforeDelete, onEdgesDelete, onNodesDelete, onDelete from <ReactFlow>', async () => {
  const { page, pageErrors } = await openSmall();
  await page.evaluate(() => window.__app.reactFlow.setViewport({ x: 0, y: 0, zoom: 1 }));
  await settle(page);
  // Every other row selected (most of them unmounted), and one edge whose ends stay.
  await page.evaluate(() => {
    window.__app.setNodes((nodes) => nodes.map((n, i) => (Math.floor(i / 60) % 2 === 0 ? { ...n, selected: true } : n)));
    window.__app.setEdges((edges) => edges.map((e) => (e.id === 'e61' ? { ...e, selected: true } : e)));
  });
  await settle(page, 'window.__app.nodes.filter((n) => n.selected).length === 1500');
  // Cancelled: nothing removed, no callback but onBeforeDelete, which saw React Flow's choice.
  const cancelled = await page.evaluate(async () => {
    let seen = null;
    window.__app.beforeDelete = async (x) => ((seen = { nodes: x.nodes.map((n) => n.id), edges: x.edges.map((e) => e.id) }), false);
    const r = await window.__app.flow.deleteSelected();
    return { r, seen, calls: window.__app.deleteCalls.slice(), count: window.__app.nodes.length };
  });
  const want = await page.evaluate(() => {
    const nodes = window.__app.nodes.filter((n) => n.selected).map((n) => n.id);
    const gone = new Set(nodes);
    const edges = window.__app.edges.filter((e) => e.selected || gone.has(e.source) || gone.has(e.target)).map((e) => e.id);
    return { nodes, edges };
  });
  assert.deepEqual(cancelled.r, { deletedNodes: [], deletedEdges: [] });
  assert.deepEqual(cancelled.calls, []);
  assert.equal(cancelled.count, 3000);
  assert.deepEqual(cancelled.seen.nodes.sort(), want.nodes.sort());
  assert.deepEqual(cancelled.seen.edges.sort(), want.edges.sort());
  // Trimmed to the selected nodes of the last selected row (unmounted at this view), and no edge: their edges go too.
  const wantNodes = Array.from({ length: 60 }, (_, i) => `n${2880 + i}`);
  const r = await page.evaluate(async (wantNodes) => {
    window.__app.beforeDelete = async ({ nodes }) => ({ nodes: nodes.filter((n) => Number(n.id.slice(1)) >= 2880), edges: [] });
    const mounted = new Set(window.__t.domIds());
    // The edges of those nodes, from the app's arrays before the deletion.
    const gone = new Set(wantNodes);
    const wantEdges = window.__app.edges.filter((e) => gone.has(e.source) || gone.has(e.target)).map((e) => e.id);
    const r = await window.__app.flow.deleteSelected();
    return { nodes: r.deletedNodes.map((n) => n.id), edges: r.deletedEdges.map((e) => e.id), calls: window.__app.deleteCalls.slice(), mounted: r.deletedNodes.filter((n) => mounted.has(n.id)).length, wantEdges };
  }, wantNodes);
  assert.deepEqual(r.nodes, wantNodes);
  assert.equal(r.mounted, 0, 'the nodes removed are not mounted');
  const { wantEdges } = r;
  assert.ok(wantEdges.length > 0);
  assert.deepEqual(r.edges, wantEdges);
  assert.deepEqual(r.calls, [['onEdgesDelete', wantEdges], ['onNodesDelete', wantNodes], ['onDelete', wantNodes, wantEdges]]);
  await settle(page, 'window.__app.nodes.length === 2940');
  const after = await page.evaluate((ids) => ({ left: window.__app.nodes.filter((n) => ids.includes(n.id)).length, count: window.__app.flow.optimizer.nodeCount }), wantNodes);
  assert.deepEqual(after, { left: 0, count: 2940 });
  assert.deepEqual(pageErrors.map(String), []);
  await page.close();
});

test('flowscale/react: an empty workflow settles the GPU layer\'s state', async () => {
  const page = await env.browser.newPage({ viewport: { width: 1000, height: 700 } });
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(e));
  await page.goto(`${env.server.url}/?n=0`);
  await page.waitForFunction('window.__app && window.__app.flow');
  await page.evaluate(HELPERS);
  await settle(page);
  await page.waitForFunction(() => window.__app.flow.gpu.status !== 'starting', null, { timeout: 30_000 });
  const gpu = await page.evaluate(() => window.__app.flow.gpu);
  assert.equal(gpu.status, 'on', JSON.stringify(gpu));
  // Nodes added later are drawn by that renderer.
  await page.evaluate(() =>
    window.__app.setNodes(() => Array.from({ length: 2000 }, (_, i) => ({ id: `m${i}`, position: { x: (i % 50) * 200, y: Math.floor(i / 50) * 100 }, width: 150, height: 40, data: { label: `m${i}` } }))),
  );
  await settle(page, 'window.__app.flow.optimizer.nodeCount === 2000');
  await page.evaluate(() => window.__app.reactFlow.setViewport({ x: 20, y: 20, zoom: 0.1 }));
  await page.waitForFunction(() => {
    const s = window.__app.flow.controller.currentRenderer?.stats();
    return s && s.nodes + s.clusters > 0;
  }, null, { timeout: 30_000 });
  assert.deepEqual(pageErrors.map(String), []);
  await page.close();
});

test('flowscale/react: a device pixel ratio change resizes the GPU layer and the minimap', async () => {
  const { page, pageErrors } = await openSmall();
  const ZOOMED_OUT = { x: 20, y: 20, zoom: 0.15 };
  await page.evaluate((v) => window.__app.reactFlow.setViewport(v), ZOOMED_OUT);
  await settle(page);
  await page.waitForFunction(() => window.__app.flow.gpu.status === 'on' && window.__app.flow.controller.currentRenderer?.stats().frames > 0, null, { timeout: 60_000 });
  const sizes = () =>
    page.evaluate(() => {
      const layer = document.querySelector('canvas.flowscale-layer');
      const mini = document.querySelector('.flowscale-minimap canvas');
      return { dpr: devicePixelRatio, layer: [layer.width, layer.height, layer.clientWidth, layer.clientHeight], mini: [mini.width, mini.height] };
    });
  const before = await sizes();
  assert.equal(before.dpr, 1);
  assert.deepEqual(before.layer.slice(0, 2), before.layer.slice(2));
  assert.deepEqual(before.mini, [200, 150]);
  // The window moves to a screen of twice the density (as browser zoom or another monitor changes it); the pane's
  // size in CSS pixels stays. (Headless Chromium evaluates media queries again, and fires their change events, only
  // when something else makes it: an emulated media type set and cleared.)
  const cdp = await page.context().newCDPSession(page);
  const setRatio = async (deviceScaleFactor) => {
    await cdp.send('Emulation.setDeviceMetricsOverride', { width: 1000, height: 700, deviceScaleFactor, mobile: false });
    await cdp.send('Emulation.setEmulatedMedia', { media: 'print' });
    await cdp.send('Emulation.setEmulatedMedia', { media: '' });
  };
  await setRatio(2);
  await page.waitForFunction(() => devicePixelRatio === 2);
  await page.waitForFunction(() => {
    const layer = document.querySelector('canvas.flowscale-layer');
    const mini = document.querySelector('.flowscale-minimap canvas');
    return layer.width === 2 * layer.clientWidth && mini.width === 400;
  }, null, { timeout: 10_000 }).catch(() => undefined);
  const after = await sizes();
  assert.deepEqual(after.layer.slice(2), before.layer.slice(2), 'the pane kept its size');
  assert.deepEqual(after.layer.slice(0, 2), after.layer.slice(2).map((x) => 2 * x), 'the GPU layer at the new ratio');
  assert.deepEqual(after.mini, [400, 300], 'the minimap at the new ratio');
  // And back, once more (the listener is re-armed for each ratio).
  await setRatio(1.5);
  await page.waitForFunction(() => {
    const layer = document.querySelector('canvas.flowscale-layer');
    const mini = document.querySelector('.flowscale-minimap canvas');
    return layer.width === Math.round(1.5 * layer.clientWidth) && mini.width === 300;
  }, null, { timeout: 10_000 });
  // The renderer draws at that size.
  await page.evaluate((v) => window.__app.reactFlow.setViewport({ ...v, x: v.x + 5 }), ZOOMED_OUT);
  const covered = await page.evaluate(async () => {
    await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
    const px = await window.__app.flow.controller.currentRenderer.readPixels();
    let covered = 0;
    for (let i = 3; i < px.length; i += 4) if (px[i] > 0) covered++;
    return { covered, size: px.length / 4, canvas: document.querySelector('canvas.flowscale-layer').width * document.querySelector('canvas.flowscale-layer').height };
  });
  assert.equal(covered.size, covered.canvas);
  assert.ok(covered.covered > 1000, `only ${covered.covered} pixels drawn`);
  assert.deepEqual(pageErrors.map(String), []);
  await page.close();
});

test('flowscale/react: per viewport change the minimap copies its picture of the workflow and draws the view\'s frame', async () => {
  const { page, pageErrors } = await openSmall();
  // Per viewport change the minimap fills no rectangle per node: the workflow is drawn once per version and copied.
  const fills = await page.evaluate(async () => {
    // Every 2D canvas counts: the minimap's offscreen picture as much as the visible one (the page has no other).
    const proto = CanvasRenderingContext2D.prototype;
    const real = proto.fillRect;
    let n = 0;
    proto.fillRect = function (...a) {
      n++;
      return real.apply(this, a);
    };
    const frame = () => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
    const counts = [];
    for (let k = 1; k <= 5; k++) {
      n = 0;
      await window.__app.reactFlow.setViewport({ x: 20 - 300 * k, y: 20 - 100 * k, zoom: 0.15 });
      await frame();
      counts.push(n);
    }
    proto.fillRect = real;
    return counts;
  });
  assert.ok(fills.every((n) => n <= 1), `fillRect calls on any canvas per viewport change: ${fills}`);
  // What it shows: every sampled node inked, and the viewport's frame where the view is.
  const check = async () => {
    const shown = await page.evaluate(() => {
      const { canvas, px, scale, tx, ty, dpr, missing } = window.__t.minimap();
      // The viewport's frame: the bounding box of the viewport colour (#2563eb), in minimap CSS pixels.
      let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
      for (let y = 0; y < canvas.height; y++) {
        for (let x = 0; x < canvas.width; x++) {
          const i = (y * canvas.width + x) * 4;
          if (px[i + 2] > 180 && px[i] < 120 && px[i + 1] < 160) (x0 = Math.min(x0, x)), (y0 = Math.min(y0, y)), (x1 = Math.max(x1, x)), (y1 = Math.max(y1, y));
        }
      }
      const v = window.__t.view();
      const want = { x0: v.x * scale + tx, y0: v.y * scale + ty, x1: (v.x + v.width) * scale + tx, y1: (v.y + v.height) * scale + ty };
      return { missing, frame: { x0: x0 / dpr, y0: y0 / dpr, x1: (x1 + 1) / dpr, y1: (y1 + 1) / dpr }, want };
    });
    assert.deepEqual(shown.missing, [], 'nodes not drawn on the minimap');
    // Where the frame lies inside the minimap (the view may reach past it), within a couple of pixels (its stroke).
    const near = (a, b) => Math.abs(a - b) <= 2;
    assert.ok(near(shown.frame.x0, Math.max(0, shown.want.x0)) && near(shown.frame.y0, Math.max(0, shown.want.y0)), JSON.stringify(shown));
    assert.ok(near(shown.frame.x1, Math.min(200, shown.want.x1)) && near(shown.frame.y1, Math.min(150, shown.want.y1)), JSON.stringify(shown));
  };
  await check();
  // A new version of the workflow (a node moved far out: new bounds, a new fit) is painted again.
  await page.evaluate(() => window.__app.setNodes((nodes) => nodes.map((n) => (n.id === 'n3' ? { ...n, position: { x: -30_000, y: -20_000 } } : n))));
  await settle(page);
  await page.evaluate(() => window.__app.reactFlow.setViewport({ x: 3000, y: 2000, zoom: 0.1 }));
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  await check();
  assert.deepEqual(pageErrors.map(String), []);
  await page.close();
});

test('flowscale/react: React Flow\'s nodeOrigin (given to <ReactFlow> only) places the index, fitView, selectInRect and the minimap', async () => {
  const { page, pageErrors } = await openSmall('&origin=0.5');
  await page.evaluate(() => window.__app.reactFlow.setViewport({ x: 300, y: 200, zoom: 0.8 }));
  await settle(page);
  const r = await page.evaluate(() => {
    const { flow, store } = window.__app;
    // Where React Flow itself put the mounted nodes, against the index.
    const snap = new Map(flow.optimizer.snapshot().nodes.map((n) => [n.id, n]));
    const off = [];
    let mounted = 0;
    for (const [id, n] of store.getState().nodeLookup) {
      mounted++;
      const p = n.internals.positionAbsolute, s = snap.get(id);
      if (Math.abs(p.x - s.x) > 1e-9 || Math.abs(p.y - s.y) > 1e-9) off.push({ id, rf: p, index: { x: s.x, y: s.y } });
    }
    return { off, mounted, bounds: flow.getBounds(), brute: window.__t.bounds(window.__app.nodes), origin: store.getState().nodeOrigin };
  });
  assert.deepEqual(r.origin, [0.5, 0.5]);
  assert.ok(r.mounted > 10);
  assert.deepEqual(r.off, [], 'nodes placed apart from React Flow');
  for (const k of ['x', 'y', 'width', 'height']) assert.ok(Math.abs(r.bounds[k] - r.brute[k]) < 1e-6, `getBounds().${k} ${r.bounds[k]} vs ${r.brute[k]}`);

  // fitView shows the bounds, with React Flow's padding.
  await page.evaluate(() => window.__app.flow.fitView());
  await page.waitForTimeout(200);
  const v = await page.evaluate(() => window.__t.view());
  const eps = 1e-6 * r.brute.width;
  assert.ok(v.x <= r.brute.x + eps && v.y <= r.brute.y + eps && v.x + v.width >= r.brute.x + r.brute.width - eps && v.y + v.height >= r.brute.y + r.brute.height - eps, JSON.stringify({ v, b: r.brute }));

  // selectInRect over the nodes as React Flow places them.
  const rect = { x: 1000.5, y: 500.25, width: 5000, height: 2000 };
  await page.evaluate((rect) => window.__app.flow.selectInRect(rect), rect);
  await settle(page);
  const sel = await page.evaluate((rect) => {
    const inside = (n) => window.__t.inRect(n, rect);
    return { want: window.__app.nodes.filter(inside).map((n) => n.id).sort(), got: window.__app.nodes.filter((n) => n.selected).map((n) => n.id).sort() };
  }, rect);
  assert.ok(sel.want.length > 100);
  assert.deepEqual(sel.got, sel.want);

  // The minimap, on a workflow of three nodes (big on the minimap: half a node is tens of pixels there): the
  // nodes' ink covers their rectangles as React Flow places them.
  await page.evaluate(() => {
    window.__app.setEdges(() => []);
    window.__app.setNodes((nodes) => nodes.slice(0, 3));
  });
  await settle(page, 'window.__app.flow.optimizer.nodeCount === 3');
  await page.evaluate(() => window.__app.reactFlow.setViewport({ x: 5000, y: 5000, zoom: 1 })); // the view's frame off the minimap
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  const ink = await page.evaluate(() => {
    const canvas = document.querySelector('.flowscale-minimap canvas');
    const px = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    const rects = window.__app.nodes.map((n) => window.__t.rect(n));
    const brute = window.__t.bounds(window.__app.nodes);
    const pad = 0.05, W = 200, H = 150;
    const scale = Math.min(W / (brute.width * (1 + 2 * pad)), H / (brute.height * (1 + 2 * pad)));
    const tx = W / 2 - (brute.x + brute.width / 2) * scale, ty = H / 2 - (brute.y + brute.height / 2) * scale;
    const dpr = canvas.width / W;
    let inked = 0, outside = 0;
    for (let y = 0; y < canvas.height; y++) {
      for (let x = 0; x < canvas.width; x++) {
        if (px[(y * canvas.width + x) * 4] >= 250) continue;
        inked++;
        // Flow coordinates of the pixel's centre; a pixel more than one minimap pixel from every rectangle is misplaced ink.
        const fx = ((x + 0.5) / dpr - tx) / scale, fy = ((y + 0.5) / dpr - ty) / scale, m = 1 / scale;
        if (!rects.some((r) => fx >= r.x - m && fx <= r.x + r.width + m && fy >= r.y - m && fy <= r.y + r.height + m)) outside++;
      }
    }
    const area = rects.reduce((a, r) => a + r.width * r.height * scale * scale * dpr * dpr, 0);
    return { inked, outside, area };
  });
  assert.ok(ink.inked > 0.8 * ink.area, JSON.stringify(ink));
  assert.equal(ink.outside, 0, JSON.stringify(ink));
  assert.deepEqual(pageErrors.map(String), []);
  await page.close();
});

test('flowscale/react: without WebGL the flow stays DOM-only, with a reason', async () => {
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: [...CHROMIUM_ARGS, '--disable-3d-apis'] });
  try {
    const page = await browser.newPage({ viewport: { width: 1000, height: 700 } });
    const pageErrors = [];
    page.on('pageerror', (e) => pageErrors.push(e));
    await page.goto(`${env.server.url}/?n=3000&cols=60`);
    await page.waitForFunction(() => window.__app?.flow && window.__app.flow.gpu.status === 'off' && document.querySelector('.react-flow__node'), null, { timeout: 60_000 });
    const r = await page.evaluate(() => ({ gpu: window.__app.flow.gpu, dom: document.querySelectorAll('.react-flow__node').length, count: window.__app.flow.optimizer.nodeCount }));
    assert.equal(r.gpu.status, 'off');
    assert.ok(r.gpu.reason.length > 0, 'a reason is given');
    assert.notEqual(r.gpu.reason, 'no FlowscaleLayer is mounted');
    assert.ok(r.dom > 0);
    assert.equal(r.count, 3000);
    assert.deepEqual(pageErrors.map(String), []);
  } finally {
    await browser.close();
  }
});

test('flowscale/react: a wasm trap mid-session: the optimizer, the GPU layer and the cache come back', async () => {
  const { page, pageErrors } = await openSmall();
  const ZOOMED_OUT = { x: 20, y: 20, zoom: 0.15 }; // more in view than React mounts: the GPU layer draws the rest
  const zoomOutAndDraw = async () => {
    await page.evaluate((v) => window.__app.reactFlow.setViewport(v), ZOOMED_OUT);
    await settle(page);
    await page.waitForFunction(() => window.__app.flow.gpu.status === 'on' && window.__app.flow.controller.currentRenderer?.stats().frames > 0, null, { timeout: 60_000 });
    return page.evaluate(async () => {
      const px = await window.__app.flow.controller.currentRenderer.readPixels();
      let covered = 0;
      for (let i = 3; i < px.length; i += 4) if (px[i] > 0) covered++;
      return covered;
    });
  };
  const view = await page.evaluate(() => window.__app.reactFlow.getViewport());
  const drawnBefore = await zoomOutAndDraw();
  assert.ok(drawnBefore > 1000, `only ${drawnBefore} pixels drawn before the trap`);
  await page.evaluate((v) => window.__app.reactFlow.setViewport(v), view);
  await settle(page);
  const before = await page.evaluate(async () => {
    const cache = await window.__app.lib.WorkflowCache.open({ name: 'trap-e2e' });
    await cache.set('wf', { ids: window.__app.nodes.slice(0, 5).map((n) => n.id), at: 42 });
    await cache.flush();
    window.__cache = cache;
    window.__renderer = window.__app.flow.controller.currentRenderer;
    return { dom: window.__t.domIds().sort(), generation: window.__app.flow.controller.optimizerGeneration };
  });
  assert.ok(before.dom.length > 0);

  // A real trap inside the controller's own frame: the module's allocator export, asked for 4 GiB − 16 bytes,
  // aborts (`unreachable`) while frame() is on the stack (it reads the clock first).
  await page.evaluate(async () => {
    const raw = await window.__app.lib.init();
    const real = performance.now;
    performance.now = function () {
      performance.now = real;
      raw.__wbindgen_malloc(0xfffffff0, 1);
    };
    window.__app.flow.controller.refresh(true);
  });
  await page.waitForFunction(
    (g) => window.__app.flow.controller.optimizerGeneration > g && window.__t.settled() && window.__app.flow.gpu.status === 'on' && window.__app.flow.controller.currentRenderer !== window.__renderer,
    before.generation,
    { timeout: 60_000, polling: 100 },
  );
  const after = await page.evaluate(async () => {
    let oldRenderer;
    try {
      window.__renderer.stats();
      oldRenderer = 'worked';
    } catch (e) {
      oldRenderer = e.code;
    }
    await window.__cache.ready();
    return {
      traps: window.__app.traps,
      dom: window.__t.domIds().sort(),
      count: window.__app.flow.optimizer.nodeCount,
      oldRenderer,
      cached: await window.__cache.get('wf'),
      want: { ids: window.__app.nodes.slice(0, 5).map((n) => n.id), at: 42 },
      errors: window.__app.errors,
    };
  });
  assert.deepEqual(after.traps.map((t) => [t.operation, t.reset, t.message]), [['WorkflowOptimizer.frame', true, 'unreachable']]);
  assert.equal(after.count, 3000);
  assert.deepEqual(after.dom, before.dom, 'the same nodes mounted');
  assert.equal(after.oldRenderer, 'MODULE_RESET');
  assert.deepEqual(after.cached, after.want, 'the cache re-opened with its IndexedDB entry');
  assert.deepEqual(after.errors, []);

  // The next frames work, and the new renderer draws what React does not mount.
  const drawnAfter = await zoomOutAndDraw();
  assert.ok(drawnAfter > 1000, `only ${drawnAfter} pixels drawn after the trap`);
  assert.ok(await page.evaluate(() => window.__app.flow.controller.stats.inView > window.__app.maxVisible));
  await page.evaluate((v) => window.__app.reactFlow.setViewport(v), view);
  await settle(page);
  assert.deepEqual(await page.evaluate(() => window.__t.domIds().sort()), before.dom, 'back where it was: the same nodes mounted');
  assert.deepEqual(pageErrors.map(String), []);
  await page.close();
});
