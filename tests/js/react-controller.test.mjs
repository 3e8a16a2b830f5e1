// FlowscaleController (pkg/react/controller.js, from src/web/react/) on the
// package's web build in Node: random edit sequences of a workflow with
// groups (parentId), good and bad, each version checked against a
// brute-force model of it — validity, bounds, nodes in rectangles, counts —
// and the whole-workflow deletion against @xyflow/system's own.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { register } from 'node:module';
import { getElementsToRemove, getNodesInside } from '@xyflow/system';
import { rng } from './workflows.mjs';

// The adapter imports the package by its name: here, the web build the tests initialise.
const web = new URL('../../pkg/web/index.js', import.meta.url).href;
register(
  'data:text/javascript,' +
    encodeURIComponent(`export async function resolve(s, c, next) { return next(s === 'flowscale' ? ${JSON.stringify(web)} : s, c); }`),
);
const { Config } = await import('./flowscale.mjs');
const { FlowscaleController } = await import('../../pkg/react/controller.js');

const tick = () => new Promise((r) => setTimeout(r, 0));

/** Brute force: is this version a workflow flowscale must accept? */
function valid(nodes, edges) {
  const byId = new Map();
  for (const n of nodes) {
    if (byId.has(n.id)) return false;
    if (![n.position.x, n.position.y, n.width, n.height].every(Number.isFinite)) return false;
    byId.set(n.id, n);
  }
  for (const n of nodes) {
    const seen = new Set();
    for (let p = n; p.parentId != null; p = byId.get(p.parentId)) {
      if (!byId.has(p.parentId) || seen.has(p.id)) return false;
      seen.add(p.id);
    }
  }
  const edgeIds = new Set();
  for (const e of edges) {
    if (edgeIds.has(e.id) || !byId.has(e.source) || !byId.has(e.target)) return false;
    edgeIds.add(e.id);
  }
  return true;
}

/** Absolute rectangles of the shown nodes (React Flow: a child's position is relative to its parent's). */
function rects(nodes) {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const out = new Map();
  for (const n of nodes) {
    if (n.hidden) continue;
    let x = n.position.x, y = n.position.y;
    for (let p = byId.get(n.parentId); p; p = byId.get(p.parentId)) {
      x += p.position.x;
      y += p.position.y;
    }
    out.set(n.id, { x, y, width: n.width, height: n.height });
  }
  return out;
}

function bounds(nodes) {
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  for (const r of rects(nodes).values()) {
    x0 = Math.min(x0, r.x); y0 = Math.min(y0, r.y); x1 = Math.max(x1, r.x + r.width); y1 = Math.max(y1, r.y + r.height);
  }
  return Number.isFinite(x0) ? { x: x0, y: y0, width: x1 - x0, height: y1 - y0 } : null;
}

/** React Flow's own answer: @xyflow/system getNodesInside over the nodes as React Flow holds them internally. */
function inside(nodes, q, partially) {
  const lookup = new Map();
  const abs = rects(nodes);
  for (const n of nodes) {
    const r = abs.get(n.id);
    lookup.set(n.id, { ...n, measured: {}, hidden: r === undefined, internals: { positionAbsolute: r ?? { x: 0, y: 0 }, handleBounds: {} } });
  }
  return getNodesInside(lookup, q, [0, 0, 1], partially).map((n) => n.id).sort();
}

function descendants(nodes, id) {
  const out = new Set([id]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const n of nodes) if (n.parentId != null && out.has(n.parentId) && !out.has(n.id)) (out.add(n.id), (grew = true));
  }
  return out;
}

/** One random edit, immutably; some make the workflow invalid. */
function edit(nodes, edges, random, fresh) {
  let n = nodes.slice(), e = edges.slice();
  const pick = (a) => a[Math.floor(random() * a.length)];
  const at = (id) => n.findIndex((x) => x.id === id);
  const k = random();
  if (k < 0.2 && n.length > 0) {
    const i = Math.floor(random() * n.length);
    n[i] = { ...n[i], position: { x: random() * 2000 - 500, y: random() * 2000 - 500 } };
  } else if (k < 0.3 && n.length > 0) {
    const i = Math.floor(random() * n.length);
    n[i] = { ...n[i], width: 5 + random() * 200, height: 5 + random() * 80, hidden: random() < 0.2 };
  } else if (k < 0.42 && n.length > 1) {
    // Re-parent (sometimes into its own subtree: a cycle), or lift to the top level.
    const i = Math.floor(random() * n.length);
    const p = pick(n);
    n[i] = { ...n[i], parentId: random() < 0.3 ? undefined : p.id === n[i].id ? undefined : p.id };
  } else if (k < 0.55) {
    const parent = n.length > 0 && random() < 0.3 ? pick(n).id : undefined;
    n.splice(Math.floor(random() * (n.length + 1)), 0, { id: `n${fresh()}`, position: { x: random() * 1000, y: random() * 1000 }, width: 20 + random() * 100, height: 10 + random() * 40, parentId: parent, data: {} });
  } else if (k < 0.65 && n.length > 0) {
    // Remove a node with its subtree and edges (valid), or alone (its children dangle).
    const id = pick(n).id;
    const gone = random() < 0.85 ? descendants(n, id) : new Set([id]);
    n = n.filter((x) => !gone.has(x.id));
    e = e.filter((x) => !gone.has(x.source) && !gone.has(x.target));
  } else if (k < 0.77 && n.length > 1) {
    e.push({ id: `e${fresh()}`, source: pick(n).id, target: random() < 0.05 ? 'nowhere' : pick(n).id });
  } else if (k < 0.82 && e.length > 0) {
    e.splice(Math.floor(random() * e.length), 1);
  } else if (k < 0.86 && n.length > 0) {
    const i = Math.floor(random() * n.length);
    n[i] = { ...n[i], position: { x: Number.NaN, y: 1 } };
  } else if (k < 0.88 && n.some((x) => x.parentId != null)) {
    // Swap a child and its parent: valid in the end, a cycle midway when the parent changes first.
    const c = pick(n.filter((x) => x.parentId != null));
    const i = at(c.id), j = at(c.parentId);
    if (j >= 0) {
      const p = n[j];
      n[j] = { ...p, parentId: c.id };
      n[i] = { ...c, parentId: p.parentId };
    }
  } else if (k < 0.9 && n.length > 1) {
    n.reverse();
  } else if (k < 0.94) {
    n = n.map((x) => ({ ...x, position: { x: x.position.x + 10, y: x.position.y } })); // everything changes: a fresh index
  } else if (n.length > 0) {
    const i = at(pick(n).id);
    n[i] = { ...n[i], selected: !n[i].selected };
  }
  return { nodes: n, edges: e };
}

test('the controller follows random edit sequences; bad versions are reported once and the next good one goes in', async () => {
  let checked = 0, rejected = 0;
  for (let seed = 1; seed <= 60; seed++) {
    const random = rng(seed * 7919);
    let counter = 0;
    const fresh = () => counter++;
    const errors = [];
    const c = new FlowscaleController({ onError: (e) => errors.push(e) });
    c.setView({ x: 0, y: 0, zoom: 1 }, 800, 600);
    let nodes = Array.from({ length: 30 }, () => ({ id: `n${fresh()}`, position: { x: random() * 1000, y: random() * 1000 }, width: 50, height: 20, data: {} }));
    let edges = [];
    let good = { nodes, edges };
    c.sync(nodes, edges);
    for (let step = 0; step < 60; step++) {
      const where = `seed ${seed}, step ${step}`;
      const next = edit(nodes, edges, random, fresh);
      const before = errors.length;
      c.sync(next.nodes, next.edges);
      c.sync(next.nodes, next.edges); // the same arrays again: nothing, and no second report
      await tick();
      if (valid(next.nodes, next.edges)) {
        assert.equal(errors.length, before, `${where}: ${errors.at(-1)?.message}`);
        good = next;
      } else {
        assert.equal(errors.length, before + 1, `${where}: a bad version is reported once`);
        rejected++;
      }
      const g = good;
      assert.equal(c.optimizer.nodeCount, g.nodes.length, where);
      assert.equal(c.optimizer.edgeCount, g.edges.length, where);
      assert.deepEqual(c.getBounds(), bounds(g.nodes), where);
      const q = { x: random() * 1200 - 300, y: random() * 1200 - 300, width: random() * 900, height: random() * 900 };
      assert.deepEqual(c.nodesInRect(q).sort(), inside(g.nodes, q, false), `${where}: full`);
      assert.deepEqual(c.nodesInRect(q, true).sort(), inside(g.nodes, q, true), `${where}: partial`);
      // The window holds the last good version's own objects.
      const objects = new Set(g.nodes);
      for (const m of c.getMounted().nodes) assert.ok(objects.has(m), `${where}: mounted ${m.id} is not the good version's object`);
      // A bad version stays in the user's hands: the next edit starts from it (and may fix it).
      nodes = next.nodes;
      edges = next.edges;
      if (!valid(nodes, edges) && random() < 0.5) ({ nodes, edges } = good);
      checked++;
    }
    c.destroy();
  }
  assert.equal(checked, 3600);
  assert.ok(rejected > 100, `only ${rejected} bad versions`);
});

test('deleteSelected removes what React Flow would (no deletable: false child), over the whole workflow', async () => {
  for (let seed = 1; seed <= 200; seed++) {
    const random = rng(seed);
    const nodes = [];
    for (let i = 0; i < 40; i++) {
      nodes.push({
        id: `n${i}`,
        position: { x: 0, y: 0 },
        data: {},
        // Parents before children, as React Flow's own removal expects.
        parentId: i > 0 && random() < 0.4 ? `n${Math.floor(random() * i)}` : undefined,
        selected: random() < 0.3,
        deletable: random() < 0.1 ? false : undefined,
      });
    }
    // React Flow keeps a non-deletable child of a removed parent (it would dangle); flowscale keeps the parent.
    // Compared where both agree: no non-deletable node under a selected one.
    const byId = new Map(nodes.map((n) => [n.id, n]));
    const underSelected = (n) => {
      for (let p = byId.get(n.parentId); p; p = byId.get(p.parentId)) if (p.selected && p.deletable !== false) return true;
      return false;
    };
    for (const n of nodes) if (n.deletable === false && underSelected(n)) n.deletable = undefined;
    const edges = Array.from({ length: 50 }, (_, i) => ({ id: `e${i}`, source: `n${Math.floor(random() * 40)}`, target: `n${Math.floor(random() * 40)}`, selected: random() < 0.2, deletable: random() < 0.1 ? false : undefined }));
    const c = new FlowscaleController();
    c.sync(nodes, edges);
    const got = c.deleteSelectedChanges();
    const want = await getElementsToRemove({ nodesToRemove: nodes.filter((n) => n.selected), edgesToRemove: edges.filter((e) => e.selected), nodes, edges });
    const removedNodes = new Set(want.nodes.map((n) => n.id));
    assert.deepEqual(got.nodes.map((x) => x.id).sort(), [...removedNodes].sort(), `seed ${seed}: nodes`);
    // Edges: React Flow's, plus the non-deletable edges of removed nodes (an edge cannot outlive its end).
    const wantEdges = new Set(want.edges.map((e) => e.id));
    for (const e of edges) if (removedNodes.has(e.source) || removedNodes.has(e.target)) wantEdges.add(e.id);
    assert.deepEqual(got.edges.map((x) => x.id).sort(), [...wantEdges].sort(), `seed ${seed}: edges`);
    assert.ok(got.nodes.every((x) => x.type === 'remove') && got.edges.every((x) => x.type === 'remove'));
    c.destroy();
  }
});

test('deleteSelected keeps a parent whose child is not deletable', () => {
  const nodes = [
    { id: 'g', position: { x: 0, y: 0 }, data: {}, selected: true },
    { id: 'a', position: { x: 1, y: 1 }, data: {}, parentId: 'g', deletable: false },
    { id: 'b', position: { x: 2, y: 2 }, data: {}, parentId: 'g' },
  ];
  const c = new FlowscaleController();
  c.sync(nodes, [{ id: 'e', source: 'b', target: 'a' }]);
  const got = c.deleteSelectedChanges();
  assert.deepEqual(got.nodes.map((x) => x.id), ['b']);
  assert.deepEqual(got.edges.map((x) => x.id), ['e']);
  c.destroy();
});

const box = (id, x, y, extra = {}) => ({ id, position: { x, y }, width: 50, height: 20, data: {}, ...extra });

test('clusterAt hit-tests the glyph drawn (rect), and gives the members\' bounds to zoom to', () => {
  const c = new FlowscaleController();
  const random = rng(99);
  const nodes = Array.from({ length: 3000 }, (_, i) => box(`n${i}`, random() * 20_000, random() * 20_000));
  c.sync(nodes, []);
  const view = { x: 0, y: 0, zoom: 0.02 };
  c.setView(view, 800, 600);
  const clusters = c.optimizer.frame(view, { width: 800, height: 600 }).clusters;
  assert.ok(clusters && clusters.ids.length > 1, 'clusters drawn');
  let hits = 0, outside = 0;
  for (let k = 0; k < 4000; k++) {
    const p = { x: random() * 20_000, y: random() * 20_000 };
    const got = c.clusterAt(p);
    const j = [...clusters.ids.keys()].find((j) => {
      const [x, y, w, h] = clusters.rect.slice(4 * j, 4 * j + 4);
      return p.x >= x && p.x <= x + w && p.y >= y && p.y <= y + h;
    });
    if (j === undefined) {
      assert.equal(got, null, `(${p.x}, ${p.y}) is on no glyph`);
      outside++;
    } else {
      assert.equal(got?.id, clusters.ids[j]);
      assert.deepEqual(Object.values(got.rect), [...clusters.rect.slice(4 * j, 4 * j + 4)]);
      assert.deepEqual(Object.values(got.bounds), [...clusters.bounds.slice(4 * j, 4 * j + 4)]);
      hits++;
    }
  }
  assert.ok(hits > 100 && outside > 0, `${hits} hits, ${outside} outside`);
  c.destroy();
});

test('a node removed while its edge is reconnected by id in the same version: the edge goes in, later versions too', async () => {
  const errors = [];
  const c = new FlowscaleController({ onError: (e) => errors.push(e) });
  c.setView({ x: 0, y: 0, zoom: 1 }, 800, 600);
  const others = Array.from({ length: 20 }, (_, i) => box(`o${i}`, 100 * i, 300));
  const nodes = [box('a', 0, 0), box('n', 100, 0), box('b', 200, 0), ...others];
  const edges = [{ id: 'e', source: 'a', target: 'n' }, { id: 'f', source: 'n', target: 'b' }];
  c.sync(nodes, edges);
  // n goes; e now ends at b (a new object, the same id); f goes with n.
  const v2 = { nodes: nodes.filter((n) => n.id !== 'n'), edges: [{ id: 'e', source: 'a', target: 'b' }] };
  c.sync(v2.nodes, v2.edges);
  await tick();
  assert.deepEqual(errors.map((e) => e.code), []);
  assert.ok(c.upToDate);
  assert.equal(c.optimizer.nodeCount, v2.nodes.length);
  assert.equal(c.optimizer.edgeCount, 1);
  assert.notEqual(c.optimizer.edgeIndexOf('e'), undefined);
  // The editor goes on: the next version is taken as well.
  const v3 = { nodes: v2.nodes.map((n) => (n.id === 'a' ? { ...n, position: { x: 5, y: 5 } } : n)), edges: v2.edges };
  c.sync(v3.nodes, v3.edges);
  await tick();
  assert.deepEqual(errors.map((e) => e.code), []);
  assert.ok(c.upToDate);
  // Refused after such a change (a bad edge beside it): everything goes back, the reconnected edge's old self too.
  const v4 = { nodes: v3.nodes.filter((n) => n.id !== 'b'), edges: [{ id: 'e', source: 'a', target: 'o1' }, { id: 'g', source: 'a', target: 'nowhere' }] };
  c.sync(v4.nodes, v4.edges);
  await tick();
  assert.deepEqual(errors.map((e) => e.code), ['DANGLING_EDGE']);
  assert.equal(c.optimizer.nodeCount, v3.nodes.length);
  assert.equal(c.optimizer.edgeCount, 1);
  assert.deepEqual(c.nodesInRect({ x: 190, y: -10, width: 100, height: 50 }), ['b']);
  c.destroy();
});

test('an edge left in the arrays when its end node is removed is refused (DANGLING_EDGE), as a fresh index would', async () => {
  const errors = [];
  const c = new FlowscaleController({ onError: (e) => errors.push(e) });
  const others = Array.from({ length: 20 }, (_, i) => box(`o${i}`, 100 * i, 300));
  const nodes = [box('a', 0, 0), box('n', 100, 0), ...others];
  const edges = [{ id: 'e', source: 'a', target: 'n' }];
  c.sync(nodes, edges);
  const bad = nodes.filter((n) => n.id !== 'n');
  c.sync(bad, edges);
  await tick();
  assert.deepEqual(errors.map((e) => [e.code, e.path]), [['DANGLING_EDGE', 'edges[0].target']]);
  // The last good version stays, whole.
  assert.equal(c.optimizer.nodeCount, nodes.length);
  assert.equal(c.optimizer.edgeCount, 1);
  assert.equal(c.upToDate, false);
  // The fix (the edge removed too) goes in.
  c.sync(bad, []);
  await tick();
  assert.equal(errors.length, 1);
  assert.ok(c.upToDate);
  assert.equal(c.optimizer.nodeCount, bad.length);
  assert.equal(c.optimizer.edgeCount, 0);
  c.destroy();
});

test('above 20,000 nodes, a version refused after a failed way back leaves later edits incremental', async () => {
  const errors = [];
  const c = new FlowscaleController({ onError: (e) => errors.push(e) });
  // c is p's child, before it in the array; the swap below is valid, the bad edge refuses it, and the way back
  // (c under p again while p is under c) fails: the last good state is indexed afresh, in slices.
  const filler = Array.from({ length: 20_010 }, (_, i) => box(`f${i}`, (i % 200) * 60, Math.floor(i / 200) * 30));
  const nodes = [box('c', 1, 1, { parentId: 'p' }), box('p', 0, 0), ...filler];
  c.sync(nodes, []);
  await c.whenLoaded();
  assert.ok(c.upToDate);
  const swapped = [box('c', 1, 1), box('p', 0, 0, { parentId: 'c' }), ...filler];
  c.sync(swapped, [{ id: 'x', source: 'c', target: 'nowhere' }]);
  await c.whenLoaded();
  await tick();
  assert.deepEqual(errors.map((e) => e.code), ['DANGLING_EDGE']);
  assert.equal(c.optimizer.nodeCount, nodes.length);
  // One node moved: one change, not a fresh index of 20,000 nodes.
  const moved = nodes.slice();
  moved[5] = { ...moved[5], position: { x: -500, y: -500 } };
  c.sync(moved, []);
  assert.equal(c.loading, false, 'an edit after the reload starts no new load');
  assert.ok(c.upToDate);
  assert.equal(errors.length, 1);
  c.destroy();
});

test('a removed node is unpinned', () => {
  const c = new FlowscaleController();
  const nodes = Array.from({ length: 20 }, (_, i) => box(`n${i}`, 60 * i, 0));
  c.sync(nodes, []);
  c.pin(['n3', 'n4']);
  c.sync(nodes.filter((n) => n.id !== 'n3'), []);
  assert.deepEqual([...c.pinnedIds], ['n4']);
  c.destroy();
});

test('a bad config is reported through onError, never thrown; a good config then takes the arrays', async () => {
  const errors = [];
  const c = new FlowscaleController({ config: { rendering: { maxVisibleNodes: -3 } }, onError: (e) => errors.push(e) });
  c.setView({ x: 0, y: 0, zoom: 1 }, 800, 600);
  const nodes = Array.from({ length: 10 }, (_, i) => box(`n${i}`, 60 * i, 0));
  const edges = [];
  assert.doesNotThrow(() => c.sync(nodes, edges));
  assert.doesNotThrow(() => c.sync(nodes, edges));
  await tick();
  assert.deepEqual(errors.map((e) => e.code), ['INVALID_CONFIG']);
  assert.deepEqual(c.getMounted().nodes, []);
  c.setConfig({ rendering: { maxVisibleNodes: 4 } });
  await tick();
  assert.equal(errors.length, 1);
  assert.ok(c.upToDate);
  assert.equal(c.getMounted().nodes.length, 4);
  c.destroy();
});

test('setConfig is declarative: a changed config applies without re-indexing, fields left out go back to defaults', async () => {
  const errors = [];
  const c = new FlowscaleController({ config: { rendering: { maxVisibleNodes: 5 } }, onError: (e) => errors.push(e) });
  c.setView({ x: 0, y: 0, zoom: 1 }, 800, 600);
  const nodes = Array.from({ length: 30 }, (_, i) => box(`n${i}`, 25 * i, 0));
  c.sync(nodes, []);
  assert.equal(c.getMounted().nodes.length, 5);
  const version = c.version;
  c.setConfig({ rendering: { maxVisibleNodes: 12 } });
  assert.equal(c.getMounted().nodes.length, 12);
  assert.equal(c.version, version, 'no re-index');
  c.setConfig({ rendering: { maxVisibleNodes: 12 } }); // the same value: nothing
  c.setConfig({ rendering: { maxVisibleNodes: 0.5 } });
  c.setConfig({ rendering: { maxVisibleNodes: -1 } });
  await tick();
  assert.ok(errors.length >= 1 && errors.every((e) => e.code === 'INVALID_CONFIG'));
  assert.equal(c.getMounted().nodes.length, 12, 'a bad config leaves the previous one');
  c.setConfig(undefined);
  assert.equal(c.optimizer.config().rendering.maxVisibleNodes, Config.defaults().rendering.maxVisibleNodes);
  assert.equal(c.getMounted().nodes.length, 30);
  c.destroy();
});

test('the window holds every mounted child\'s ancestors, parents first, in the order of the user\'s array', () => {
  for (const groupsLast of [false, true]) {
    const c = new FlowscaleController({ config: { rendering: { maxVisibleNodes: 10 } } });
    c.setView({ x: 0, y: 0, zoom: 1 }, 800, 600);
    const children = [];
    // Two groups, one nested in the other, and 200 children at positions relative to their group.
    for (let i = 0; i < 100; i++) children.push(box(`a${i}`, 10 + (i % 10) * 60, 10 + Math.floor(i / 10) * 30, { parentId: 'outer' }));
    for (let i = 0; i < 100; i++) children.push(box(`b${i}`, 5 + (i % 10) * 60, 5 + Math.floor(i / 10) * 30, { parentId: 'inner' }));
    const groups = [
      { id: 'outer', position: { x: 0, y: 0 }, width: 3000, height: 3000, data: {} },
      { id: 'inner', position: { x: 700, y: 0 }, width: 800, height: 400, data: {}, parentId: 'outer' },
    ];
    const nodes = groupsLast ? [...children, groups[1], groups[0]] : [...groups, ...children];
    c.sync(nodes, []);
    for (const view of [{ x: 0, y: 0, zoom: 1 }, { x: -700, y: 0, zoom: 1 }, { x: -300, y: 0, zoom: 2 }]) {
      c.setView(view, 800, 600);
      const mounted = c.getMounted().nodes;
      assert.ok(mounted.some((n) => n.parentId != null), 'children mounted');
      const at = new Map(mounted.map((n, i) => [n.id, i]));
      for (const n of mounted) {
        if (n.parentId == null) continue;
        assert.ok(at.has(n.parentId), `${n.id}: parent ${n.parentId} mounted`);
        assert.ok(at.get(n.parentId) < at.get(n.id), `${n.id}: parent ${n.parentId} earlier`);
      }
      // Stacking as the user's array (but for a parent placed later there, which must come first).
      if (!groupsLast) {
        const order = new Map(nodes.map((n, i) => [n, i]));
        for (let i = 1; i < mounted.length; i++) assert.ok(order.get(mounted[i - 1]) < order.get(mounted[i]), 'the user\'s order');
      }
      for (const n of mounted) assert.ok(nodes.includes(n), 'the user\'s own objects');
    }
    c.destroy();
  }
});

test('a change that only flips `selected` (or only copies objects) goes in without a fresh index', async () => {
  const { applyNodeChanges, applyEdgeChanges } = await import('@xyflow/react');
  const progress = [];
  const c = new FlowscaleController({ onProgress: (p) => progress.push(p) });
  c.setView({ x: 0, y: 0, zoom: 1 }, 800, 600);
  const random = rng(7);
  let nodes = Array.from({ length: 4000 }, (_, i) => box(`n${i}`, (i % 80) * 70, Math.floor(i / 80) * 30));
  let edges = Array.from({ length: 3000 }, (_, i) => ({ id: `e${i}`, source: `n${i}`, target: `n${i + 1}` }));
  c.sync(nodes, edges);
  await tick();
  assert.deepEqual(progress, [1], 'the first sync indexes');
  const selectedIn = () => {
    const s = c.optimizer.snapshot();
    return { nodes: s.nodes.filter((n) => n.selected).map((n) => n.id).sort(), count: s.nodes.length };
  };
  const want = () => nodes.filter((n) => n.selected).map((n) => n.id).sort();
  // Select everything (every object replaced), as the user's reducer does with the adapter's changes.
  const all = c.selectAllChanges();
  nodes = applyNodeChanges(all.nodes, nodes);
  edges = applyEdgeChanges(all.edges, edges);
  c.sync(nodes, edges);
  assert.ok(c.upToDate);
  assert.deepEqual(selectedIn().nodes, want());
  assert.equal(selectedIn().nodes.length, 4000);
  assert.ok(c.getMounted().nodes.length > 0 && c.getMounted().nodes.every((n) => n.selected && nodes.includes(n)), 'the window holds the new objects');
  // A reducer that copies every object without changing it; then a random half deselected.
  nodes = nodes.map((n) => ({ ...n, data: { ...n.data } }));
  edges = edges.map((e) => ({ ...e }));
  c.sync(nodes, edges);
  assert.ok(c.getMounted().nodes.every((n) => nodes.includes(n)));
  nodes = nodes.map((n) => (random() < 0.5 ? { ...n, selected: false } : n));
  c.sync(nodes, edges);
  assert.deepEqual(selectedIn().nodes, want());
  // Selection and a move in one version: both go in.
  nodes = nodes.map((n, i) => (i === 5 ? { ...n, selected: !n.selected, position: { x: 90_000, y: 90_000 } } : { ...n, selected: true }));
  c.sync(nodes, edges);
  assert.deepEqual(selectedIn().nodes, want());
  assert.deepEqual(c.nodesInRect({ x: 89_999, y: 89_999, width: 100, height: 100 }), ['n5']);
  // A bad `selected` is still refused as a fresh index would.
  const errors = [];
  c.setOptions({ onError: (e) => errors.push(e), onProgress: (p) => progress.push(p) });
  const bad = nodes.map((n, i) => (i === 9 ? { ...n, selected: 'yes' } : n));
  c.sync(bad, edges);
  await tick();
  assert.equal(errors.length, 1);
  assert.ok(errors[0].path.endsWith('.selected'), errors[0].path);
  await tick();
  assert.deepEqual(progress, [1], 'no fresh index after the first');
  c.destroy();
});

test('selectInRect selects the edges React Flow\'s selection box would: those of the selected nodes', () => {
  for (let seed = 1; seed <= 30; seed++) {
    const random = rng(seed);
    const nodes = Array.from({ length: 300 }, (_, i) => box(`n${i}`, random() * 3000, random() * 3000, { selectable: random() < 0.1 ? false : undefined, selected: random() < 0.2 }));
    const edges = Array.from({ length: 400 }, (_, i) => ({ id: `e${i}`, source: `n${Math.floor(random() * 300)}`, target: `n${Math.floor(random() * 300)}`, selectable: random() < 0.1 ? false : undefined, selected: random() < 0.2 }));
    const c = new FlowscaleController();
    c.sync(nodes, edges);
    const q = { x: random() * 2000, y: random() * 2000, width: 200 + random() * 1500, height: 200 + random() * 1500 };
    for (const additive of [false, true]) {
      const got = c.selectInRectChanges(q, { partially: seed % 2 === 0, additive });
      // Brute force after React Flow's Pane: the nodes inside (selectable ones), and every selectable edge with an end among them.
      const picked = new Set(inside(nodes, q, seed % 2 === 0).filter((id) => nodes.find((n) => n.id === id).selectable !== false));
      const wantEdges = new Set(edges.filter((e) => e.selectable !== false && (picked.has(e.source) || picked.has(e.target))).map((e) => e.id));
      const after = new Map(edges.map((e) => [e.id, !!e.selected]));
      for (const ch of got.edges) after.set(ch.id, ch.selected);
      for (const e of edges) {
        const expected = wantEdges.has(e.id) || (additive && !!e.selected);
        assert.equal(after.get(e.id), expected, `seed ${seed} additive ${additive}: edge ${e.id}`);
      }
      for (const ch of got.edges) assert.notEqual(ch.selected, !!edges.find((e) => e.id === ch.id).selected, 'only changes');
    }
    c.destroy();
  }
});

test('deleteSelected: onBeforeDelete may cancel or trim; onEdgesDelete, onNodesDelete, onDelete get what was removed', async () => {
  const nodes = Array.from({ length: 50 }, (_, i) => box(`n${i}`, 60 * i, 0, { selected: i % 3 === 0 }));
  const edges = Array.from({ length: 49 }, (_, i) => ({ id: `e${i}`, source: `n${i}`, target: `n${i + 1}`, selected: i === 10 }));
  const calls = [];
  const c = new FlowscaleController({
    onNodesChange: (ch) => calls.push(['nodesChange', ch.map((x) => `${x.type}:${x.id}`)]),
    onEdgesChange: (ch) => calls.push(['edgesChange', ch.map((x) => `${x.type}:${x.id}`)]),
  });
  c.sync(nodes, edges);
  const callbacks = {
    onNodesDelete: (n) => calls.push(['onNodesDelete', n.map((x) => x.id)]),
    onEdgesDelete: (e) => calls.push(['onEdgesDelete', e.map((x) => x.id)]),
    onDelete: ({ nodes, edges }) => calls.push(['onDelete', nodes.map((x) => x.id), edges.map((x) => x.id)]),
  };
  // Cancelled: nothing happens, and onBeforeDelete saw what React Flow would have removed.
  let seen = null;
  const cancelled = await c.deleteSelected({ ...callbacks, onBeforeDelete: async (x) => ((seen = x), false) });
  assert.deepEqual(calls, []);
  assert.deepEqual(cancelled, { deletedNodes: [], deletedEdges: [] });
  const want = await getElementsToRemove({ nodesToRemove: nodes.filter((n) => n.selected), edgesToRemove: edges.filter((e) => e.selected), nodes, edges });
  assert.deepEqual(seen.nodes.map((n) => n.id).sort(), want.nodes.map((n) => n.id).sort());
  assert.deepEqual(seen.edges.map((e) => e.id).sort(), want.edges.map((e) => e.id).sort());
  assert.ok(seen.nodes.every((n) => nodes.includes(n)), 'the user\'s objects');
  // Trimmed to two nodes (and no edge): the edges of those nodes go too (an edge cannot outlive its end).
  const r = await c.deleteSelected({ ...callbacks, onBeforeDelete: ({ nodes }) => Promise.resolve({ nodes: nodes.slice(0, 2), edges: [] }) });
  assert.deepEqual(r.deletedNodes.map((n) => n.id), ['n0', 'n3']);
  assert.deepEqual(r.deletedEdges.map((e) => e.id).sort(), ['e0', 'e2', 'e3']);
  assert.deepEqual(calls, [
    ['onEdgesDelete', ['e0', 'e2', 'e3']],
    ['edgesChange', ['remove:e0', 'remove:e2', 'remove:e3']],
    ['onNodesDelete', ['n0', 'n3']],
    ['nodesChange', ['remove:n0', 'remove:n3']],
    ['onDelete', ['n0', 'n3'], ['e0', 'e2', 'e3']],
  ]);
  // Without onBeforeDelete: everything selected, React Flow's way.
  calls.length = 0;
  const all = await c.deleteSelected(callbacks);
  assert.deepEqual(all.deletedNodes.map((n) => n.id).sort(), want.nodes.map((n) => n.id).sort());
  assert.deepEqual(calls.map((x) => x[0]), ['onEdgesDelete', 'edgesChange', 'onNodesDelete', 'nodesChange', 'onDelete']);
  // Nothing selected: no call at all.
  calls.length = 0;
  c.sync(nodes.map((n) => ({ ...n, selected: false })), edges.map((e) => ({ ...e, selected: false })));
  assert.deepEqual(await c.deleteSelected(callbacks), { deletedNodes: [], deletedEdges: [] });
  assert.deepEqual(calls, []);
  c.destroy();
});

test('nodeOrigin (React Flow\'s, and a node\'s own origin) places nodes where React Flow does, parents included', async () => {
  const { adoptUserNodes } = await import('@xyflow/system');
  for (const [seed, nodeOrigin] of [[1, [0.5, 0.5]], [2, [1, 0]], [3, [0, 0]], [4, [0.25, 1]]]) {
    const random = rng(seed);
    let nodes = [];
    for (let i = 0; i < 300; i++) {
      nodes.push(box(`n${i}`, random() * 4000 - 1000, random() * 4000 - 1000, {
        width: 20 + Math.round(random() * 200),
        height: 10 + Math.round(random() * 80),
        parentId: i > 0 && random() < 0.3 ? `n${Math.floor(random() * i)}` : undefined,
        origin: random() < 0.1 ? [random(), random()] : undefined,
      }));
    }
    const c = new FlowscaleController();
    c.setNodeOrigin(nodeOrigin);
    c.sync(nodes, []);
    const check = (label) => {
      // React Flow's own placement: @xyflow/system's adoptUserNodes, as its store runs it.
      const lookup = new Map();
      adoptUserNodes(nodes, lookup, new Map(), { nodeOrigin });
      const snap = new Map(c.optimizer.snapshot().nodes.map((n) => [n.id, n]));
      for (const [id, n] of lookup) {
        const p = n.internals.positionAbsolute, s = snap.get(id);
        assert.ok(Math.abs(s.x - p.x) < 1e-6 && Math.abs(s.y - p.y) < 1e-6, `${label} ${JSON.stringify(nodeOrigin)}: ${id} at (${s.x}, ${s.y}), React Flow (${p.x}, ${p.y})`);
        n.internals.handleBounds = {};
      }
      const q = { x: random() * 2000 - 500, y: random() * 2000 - 500, width: 1500, height: 1200 };
      for (const partially of [false, true]) {
        const want = getNodesInside(lookup, q, [0, 0, 1], partially).map((n) => n.id).sort();
        assert.deepEqual(c.nodesInRect(q, partially).slice().sort(), want, `${label}: nodes in ${JSON.stringify(q)}`);
      }
    };
    check('loaded');
    // Edits go in shifted too: moves, resizes, a new origin on a node, additions.
    nodes = nodes.map((n, i) => (i % 7 === 0 ? { ...n, position: { x: n.position.x + 33, y: n.position.y - 17 } } : i % 11 === 0 ? { ...n, width: n.width + 40, origin: [1, 1] } : n));
    nodes.push(box('extra', 10, 10, { width: 90, height: 30, parentId: 'n0' }));
    c.sync(nodes, []);
    check('edited');
    // A new nodeOrigin re-places every node.
    const next = [nodeOrigin[1], nodeOrigin[0]];
    c.setNodeOrigin(next);
    nodeOrigin.splice(0, 2, ...next);
    check('origin changed');
    c.destroy();
  }
});
