// Grouping a workflow into communities makes React Flow group nodes
// (parentId) that keep every member where it was, move as one and collapse.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { open, setup, shots } from './app-lib.mjs';

setup();

/** Absolute rectangles by id from the optimizer (the index React Flow's parents resolve into). */
const rects = (page) =>
  page.evaluate(() => {
    const s = window.__flowscale.optimizer.snapshot();
    return Object.fromEntries(s.nodes.map((n) => [n.id, [n.x, n.y, n.hidden]]));
  });

test('grouping: members keep their place, a group moves and collapses as one', async (t) => {
  const page = await open(t, '?n=1000&debug=1');
  const before = await rects(page);
  await page.evaluate(() => window.__flowscale.store.getState().applyRecommendation('group-communities'));
  await page.waitForFunction(() => window.__flowscale.store.getState().nodes.some((n) => n.type === 'group'), null, { timeout: 30_000 });
  const doc = await page.evaluate(() => window.__flowscale.store.getState().nodes.map((n) => ({ id: n.id, type: n.type, parentId: n.parentId, x: n.position.x, y: n.position.y })));
  const groups = doc.filter((n) => n.type === 'group');
  assert.ok(groups.length >= 2, `${groups.length} groups`);
  const byId = new Map(doc.map((n) => [n.id, n]));
  const after = await rects(page);
  let members = 0;
  for (const n of doc) {
    if (n.type === 'group') continue;
    // Oracle: the parent's position plus the relative one is where the node was before.
    const p = n.parentId ? byId.get(n.parentId) : null;
    if (n.parentId) {
      assert.ok(p, `${n.id}'s parent exists`);
      members++;
    }
    const abs = [n.x + (p?.x ?? 0), n.y + (p?.y ?? 0)];
    assert.ok(Math.abs(abs[0] - before[n.id][0]) < 1e-6 && Math.abs(abs[1] - before[n.id][1]) < 1e-6, `${n.id} moved`);
    assert.deepEqual(after[n.id].slice(0, 2).map((v, k) => Math.abs(v - abs[k]) < 1e-6), [true, true], `the optimizer has ${n.id} at its absolute place`);
  }
  assert.ok(members > 0);

  // Move a group: its members move with it, in the optimizer too.
  const g = groups[0].id;
  const kids = doc.filter((n) => n.parentId === g).map((n) => n.id);
  assert.ok(kids.length > 0, `${g} has members`);
  await page.evaluate((g) => {
    const s = window.__flowscale.store.getState();
    const n = s.nodes.find((x) => x.id === g);
    s.applyNodeChanges([{ type: 'position', id: g, position: { x: n.position.x + 500, y: n.position.y + 300 }, dragging: false }]);
  }, g);
  const moved = await rects(page);
  for (const k of kids) assert.deepEqual([moved[k][0] - after[k][0], moved[k][1] - after[k][1]], [500, 300], `${k} followed its group`);

  // Collapse it from its own button: members hidden (store, optimizer, DOM), the group a bar; expand: back as they were.
  await page.evaluate((g) => window.__flowscale.reactFlow().fitView({ nodes: [{ id: g }] }), g);
  const size = await page.evaluate((g) => window.__flowscale.store.getState().nodes.find((n) => n.id === g), g).then((n) => [n.width, n.height]);
  const toggle = page.locator(`.react-flow__node-toolbar[data-id="${g}"] [data-testid="group-toggle"]`);
  await toggle.click();
  await page.waitForFunction((kids) => kids.every((k) => !document.querySelector(`.react-flow__node[data-id="${CSS.escape(k)}"]`)), kids);
  const hidden = await rects(page);
  assert.ok(kids.every((k) => hidden[k][2] === true), 'members hidden in the optimizer');
  const bar = await page.evaluate((g) => window.__flowscale.store.getState().nodes.find((n) => n.id === g), g);
  assert.deepEqual([bar.width, bar.height, bar.data.collapsed], [220, 36, true]);
  await page.screenshot({ path: `${shots}app-group-collapsed.png` });
  await toggle.click();
  await page.waitForFunction((kids) => kids.some((k) => document.querySelector(`.react-flow__node[data-id="${CSS.escape(k)}"]`)), kids);
  const shown = await rects(page);
  assert.ok(kids.every((k) => shown[k][2] === false && shown[k][0] === moved[k][0] && shown[k][1] === moved[k][1]), 'members back where they were');
  const box = await page.evaluate((g) => window.__flowscale.store.getState().nodes.find((n) => n.id === g), g);
  assert.deepEqual([box.width, box.height, box.data.collapsed], [...size, false], 'the size it had before the collapse');
});

/** Waits until React Flow draws `count` edges; a timeout says what was drawn, mounted and loaded instead. */
async function edgesDrawn(page, count) {
  try {
    await page.waitForFunction((n) => document.querySelectorAll('.react-flow__edge').length === n, count);
  } catch (e) {
    const seen = await page.evaluate(() => {
      const s = window.__flowscale.store.getState();
      const m = window.__flowscale.engine.getMounted();
      const ids = (sel) => [...document.querySelectorAll(sel)].map((el) => el.getAttribute('data-id'));
      return { drawnEdges: ids('.react-flow__edge'), drawnNodes: ids('.react-flow__node'), mountedEdges: m.edges.map((x) => x.id), mountedNodes: m.nodes.map((x) => x.id), storeNodes: s.nodes.length, storeEdges: s.edges.length, mode: s.mode, loading: s.loading, notice: s.notice, viewport: window.__flowscale.engine.getViewport(), pane: window.__flowscale.engine.getPane() };
    });
    throw new Error(`expected ${count} edges drawn: ${JSON.stringify(seen)}`, { cause: e });
  }
}

test('simplified edges: parallel edges are drawn as one, labelled with their count, and back when turned off', async (t) => {
  const page = await open(t, '?n=100&debug=1');
  const loaded = await page.evaluate(() => {
    const node = (id, x) => ({ id, type: 'default', position: { x, y: 100 }, width: 150, height: 40, data: { label: id } });
    const edge = (id, s, t) => ({ id, source: s, target: t });
    return window.__flowscale.store.getState().loadWorkflow(
      { nodes: [node('a', 0), node('b', 300), node('c', 600)], edges: [edge('e1', 'a', 'b'), edge('e2', 'a', 'b'), edge('e3', 'a', 'b'), edge('e4', 'b', 'c')], viewport: { x: 50, y: 50, zoom: 1 } },
      { kind: 'import', name: 'parallel' },
    );
  });
  assert.equal(loaded, true, 'loadWorkflow took the workflow');
  const drawn = () => page.locator('.react-flow__edge').evaluateAll((els) => els.map((e) => e.getAttribute('data-id')).sort());
  await edgesDrawn(page, 4);
  await page.click('[data-tab="optimizer"]');
  await page.check('[data-setting="simplifyEdges"]');
  await edgesDrawn(page, 2);
  // One of a→b's three stands for them (which one is the window's order), labelled ×3; b→c as it is.
  const [ab, bc] = await drawn();
  assert.ok(['e1', 'e2', 'e3'].includes(ab) && bc === 'e4', `${ab}, ${bc}`);
  assert.equal((await page.locator(`.react-flow__edge[data-id="${ab}"] .react-flow__edge-textwrapper`).textContent()).trim(), '×3');
  await page.uncheck('[data-setting="simplifyEdges"]');
  await edgesDrawn(page, 4);
  assert.deepEqual(await drawn(), ['e1', 'e2', 'e3', 'e4']);
});
