// Editing a 100,000-node workflow through the UI: add, move, connect,
// duplicate, delete, then undo every step and redo them. The oracle is the workflow
// before: after undoing everything, the optimizer's snapshot (every node's
// rectangle, parent and hidden flag, every edge) and the document are
// exactly what they were; after redoing, exactly what they were after.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { open, drag, settle, setup, shots } from './app-lib.mjs';

setup();

/** The optimizer's whole state and the document, as one comparable value (counts + digest). */
const state = (page) =>
  page.evaluate(() => {
    const s = window.__flowscale.optimizer.snapshot();
    const doc = window.__flowscale.store.getState();
    let h = 2166136261;
    const mix = (str) => {
      for (let i = 0; i < str.length; i++) h = Math.imul(h ^ str.charCodeAt(i), 16777619);
    };
    const nodes = [...s.nodes].sort((a, b) => (a.id < b.id ? -1 : 1));
    for (const n of nodes) mix(`${n.id}|${n.x}|${n.y}|${n.width}|${n.height}|${n.parentId ?? ''}|${n.hidden}`);
    const edges = [...s.edges].sort((a, b) => (a.id < b.id ? -1 : 1));
    for (const e of edges) mix(`${e.id}|${e.source}|${e.target}|${e.hidden}`);
    const docNodes = doc.nodes.map((n) => `${n.id}@${n.position.x},${n.position.y}`).sort();
    for (const n of docNodes) mix(n);
    const docEdges = doc.edges.map((e) => `${e.id}:${e.source}>${e.target}`).sort();
    for (const e of docEdges) mix(e);
    return { nodes: s.nodes.length, edges: s.edges.length, docNodes: doc.nodes.length, docEdges: doc.edges.length, digest: h >>> 0 };
  });

const nodeBox = (page, id) => page.locator(`.react-flow__node[data-id="${id}"]`).boundingBox();

test('at 100k nodes: add, move, connect, duplicate and delete through the UI, then undo all and redo all', async (t) => {
  const page = await open(t, '?n=100000&debug=1');
  await page.waitForFunction(() => window.__flowscale.optimizer.snapshot().nodes.length === 100000, null, { timeout: 120_000, polling: 1000 });
  await settle(page, 500);
  const start = await state(page);
  const steps = [start];
  const newest = () => page.evaluate(() => window.__flowscale.store.getState().nodes.at(-1).id);

  // Add an oscillator from the toolbar, drag it 320 px right, add a gain where it was.
  await page.selectOption('[data-testid="add-node"]', 'oscillator');
  const osc = await newest();
  await page.locator(`.react-flow__node[data-id="${osc}"]`).waitFor();
  steps.push(await state(page));
  const b = await nodeBox(page, osc);
  await drag(page, { x: b.x + b.width / 2, y: b.y + 8 }, { x: b.x + b.width / 2 + 320, y: b.y + 8 });
  await settle(page);
  steps.push(await state(page));
  await page.selectOption('[data-testid="add-node"]', 'gain');
  const gain = await newest();
  await page.locator(`.react-flow__node[data-id="${gain}"]`).waitFor();
  steps.push(await state(page));

  // Connect the gain's audio out to ... the oscillator has no audio input: connect oscillator out → gain in.
  const from = await page.locator(`.react-flow__node[data-id="${osc}"] .react-flow__handle.source.signal-audio`).boundingBox();
  const to = await page.locator(`.react-flow__node[data-id="${gain}"] .react-flow__handle.target.signal-audio`).boundingBox();
  await drag(page, { x: from.x + from.width / 2, y: from.y + from.height / 2 }, { x: to.x + to.width / 2, y: to.y + to.height / 2 }, 20);
  await page.waitForFunction(([o, g]) => window.__flowscale.store.getState().edges.some((e) => e.source === o && e.target === g), [osc, gain]);
  steps.push(await state(page));
  assert.equal(steps.at(-1).edges, start.edges + 1);

  // Duplicate the gain: select it, Ctrl+D.
  await page.locator(`.react-flow__node[data-id="${gain}"] .audio-node__header`).click();
  await page.keyboard.press('Control+d');
  await page.waitForFunction((g) => window.__flowscale.store.getState().nodes.some((n) => n.id.startsWith(`${g}-copy-`)), gain);
  steps.push(await state(page));
  assert.equal(steps.at(-1).nodes, start.nodes + 3);

  // Delete the oscillator (and so its new edge) with the keyboard.
  await page.locator(`.react-flow__node[data-id="${osc}"] .audio-node__header`).click();
  await page.keyboard.press('Delete');
  await page.waitForFunction((o) => !window.__flowscale.store.getState().nodes.some((n) => n.id === o), osc);
  steps.push(await state(page));
  assert.deepEqual([steps.at(-1).nodes, steps.at(-1).edges], [start.nodes + 2, start.edges]);
  await page.screenshot({ path: `${shots}app-edit.png` });

  // Undo each step (button and keyboard, alternately): back through every state, exactly.
  for (let k = steps.length - 2; k >= 0; k--) {
    if (k % 2) await page.click('[data-testid="undo"]');
    else {
      await page.locator('.react-flow__pane').click({ position: { x: 5, y: 5 } });
      await page.keyboard.press('Control+z');
    }
    await settle(page, 150);
    assert.deepEqual(await state(page), steps[k], `after undoing back to step ${k}`);
  }
  assert.equal(await page.locator('[data-testid="undo"]').isDisabled(), true);
  // Redo each: forward through every state, exactly.
  for (let k = 1; k < steps.length; k++) {
    await page.click('[data-testid="redo"]');
    await settle(page, 150);
    assert.deepEqual(await state(page), steps[k], `after redoing step ${k}`);
  }
  assert.equal(await page.locator('[data-testid="redo"]').isDisabled(), true);
});

test('a small workflow\'s minimap follows edits: it draws the store\'s current nodes', async (t) => {
  const page = await open(t, '?n=1000&debug=1');
  await page.waitForFunction(() => window.__flowscale?.engine && document.querySelector('.flowscale-minimap canvas'));
  const picture = () => page.locator('.flowscale-minimap canvas').evaluate((c) => c.toDataURL());
  await settle(page);
  const before = await picture();
  // The first edit after a load copies the store's arrays: the minimap must read the new ones.
  const id = await page.evaluate(() => window.__flowscale.store.getState().addNode('oscillator', { x: -4000, y: -3000 }));
  const reads = await page.evaluate((id) => {
    const { engine, store } = window.__flowscale;
    return { same: engine.getNodes() === store.getState().nodes, has: engine.getNodes().some((n) => n.id === id) };
  }, id);
  assert.deepEqual(reads, { same: true, has: true });
  await page.waitForFunction((b) => document.querySelector('.flowscale-minimap canvas').toDataURL() !== b, before);
  // The minimap's documented fit (the brute-force bounds of the store's nodes, 5 % padding, 200 × 150 CSS px):
  // the new node's centre is inked, and the pane's background shows between it and the rest.
  const probe = await page.evaluate((id) => {
    const nodes = window.__flowscale.store.getState().nodes;
    let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
    for (const n of nodes) {
      x0 = Math.min(x0, n.position.x);
      y0 = Math.min(y0, n.position.y);
      x1 = Math.max(x1, n.position.x + (n.width ?? 0));
      y1 = Math.max(y1, n.position.y + (n.height ?? 0));
    }
    const pad = 0.05, W = 200, H = 150;
    const scale = Math.min(W / ((x1 - x0) * (1 + 2 * pad)), H / ((y1 - y0) * (1 + 2 * pad)));
    const tx = W / 2 - ((x0 + x1) / 2) * scale, ty = H / 2 - ((y0 + y1) / 2) * scale;
    const canvas = document.querySelector('.flowscale-minimap canvas');
    const dpr = canvas.width / W;
    const px = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    const red = (fx, fy) => px[(Math.floor((fy * scale + ty) * dpr) * canvas.width + Math.floor((fx * scale + tx) * dpr)) * 4];
    const n = nodes.find((m) => m.id === id);
    return { node: red(n.position.x + n.width / 2, n.position.y + n.height / 2), between: red(-2000, -1500) };
  }, id);
  assert.ok(probe.node < 200, `the added node is drawn on the minimap (red ${probe.node})`);
  assert.ok(probe.between >= 250, `and nothing where there is no node (red ${probe.between})`);
});
