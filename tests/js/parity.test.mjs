// Parity with React Flow: flowscale's `inView` is exactly the set React Flow's
// own `getNodesInside(..., partially = true)` returns, and `visibleEdgeIds` the
// edges `isEdgeVisible` accepts (less hidden ones, which React Flow never
// draws), for generated workflows and for the real n8n workflows tiled to
// 20k nodes, over many random viewports, after drags too. The same for the
// whole-workflow queries: `bounds()` is `getNodesBounds` over the nodes that
// are not hidden, `nodesInRect(rect, partially)` is `getNodesInside(nodes,
// rect, [0, 0, 1], partially)`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getNodesBounds, getNodesInside, isEdgeVisible } from '@xyflow/system';
import { WorkflowOptimizer } from './flowscale.mjs';
import { bounds, generate, needN8n, reactFlowLookup, rng, tileN8n } from './workflows.mjs';

function reactFlowView(lookup, edges, vp, size) {
  const transform = [vp.x, vp.y, vp.zoom];
  const nodes = new Set(
    getNodesInside(lookup, { x: 0, y: 0, ...size }, transform, true).map((n) => n.id),
  );
  const visibleEdges = new Set();
  for (const e of edges) {
    const s = lookup.get(e.source), t = lookup.get(e.target);
    if (e.hidden || s.hidden || t.hidden) continue;
    if (isEdgeVisible({ sourceNode: s, targetNode: t, width: size.width, height: size.height, transform })) visibleEdges.add(e.id);
  }
  return { nodes, visibleEdges };
}

function randomViewport(r, b, nodes) {
  const zoom = [0.05, 0.1, 0.25, 0.5, 1, 2][Math.floor(r() * 6)] * (0.8 + r() * 0.4);
  const size = { width: 300 + Math.floor(r() * 1700), height: 200 + Math.floor(r() * 900) };
  // Centre on a node most of the time, else anywhere over (and a little beyond) the workflow.
  let cx = b.minX + (b.maxX - b.minX) * (r() * 1.2 - 0.1);
  let cy = b.minY + (b.maxY - b.minY) * (r() * 1.2 - 0.1);
  const n = nodes[Math.floor(r() * nodes.length)];
  if (r() < 0.7 && n && !n.parentId) {
    cx = n.position.x + (r() - 0.5) * 500;
    cy = n.position.y + (r() - 0.5) * 500;
  }
  return { vp: { x: size.width / 2 - cx * zoom, y: size.height / 2 - cy * zoom, zoom }, size };
}

function checkParity(workflow, { viewports, seed }) {
  const opt = new WorkflowOptimizer();
  opt.setWorkflow(workflow);
  const lookup = reactFlowLookup(workflow.nodes);
  const b = bounds(workflow.nodes);
  const r = rng(seed);
  let compared = 0, nonEmpty = 0;
  for (let k = 0; k < viewports; k++) {
    const { vp, size } = randomViewport(r, b, workflow.nodes);
    const f = opt.frame(vp, size);
    const ours = new Set(Array.from(f.inView, (i) => opt.idOf(i)));
    const theirs = reactFlowView(lookup, workflow.edges, vp, size);
    assert.equal(ours.size, f.inView.length, 'inView has no duplicates');
    assert.deepEqual(ours, theirs.nodes, `inView differs at viewport ${JSON.stringify(vp)} ${JSON.stringify(size)}`);
    assert.deepEqual(new Set(f.visibleEdgeIds), theirs.visibleEdges, `visibleEdgeIds differ at ${JSON.stringify(vp)}`);
    compared++;
    if (ours.size) nonEmpty++;
  }
  return { compared, nonEmpty };
}

test('inView and visibleEdgeIds equal React Flow on generated workflows (parents, hidden, fractional)', () => {
  for (const seed of [1, 2, 3]) {
    const wf = generate(3000, { seed });
    const { nonEmpty } = checkParity(wf, { viewports: 150, seed });
    assert.ok(nonEmpty > 50, 'most viewports see some nodes');
  }
});

test('inView equals React Flow on n8n workflows tiled to 20k nodes', (t) => {
  if (!needN8n(t)) return;
  const wf = tileN8n(20000);
  assert.equal(wf.nodes.length, 20000);
  const { nonEmpty } = checkParity(wf, { viewports: 300, seed: 42 });
  assert.ok(nonEmpty > 200);
});

test('parity holds after drags, resizes, additions and removals', () => {
  const wf = generate(2000, { seed: 9, parents: 0 });
  const opt = new WorkflowOptimizer();
  opt.setWorkflow(wf);
  const r = rng(99);
  const nodes = new Map(wf.nodes.map((n) => [n.id, { ...n, position: { ...n.position } }]));
  let edges = wf.edges;
  let added = 0;
  for (let round = 0; round < 40; round++) {
    const changes = [];
    const ids = [...nodes.keys()];
    for (let k = 0; k < 20; k++) {
      const id = ids[Math.floor(r() * ids.length)];
      const n = nodes.get(id);
      if (!n || changes.some((c) => c.id === id)) continue;
      const roll = r();
      if (roll < 0.6) {
        n.position = { x: n.position.x + (r() - 0.5) * 3000, y: n.position.y + (r() - 0.5) * 3000 };
        changes.push({ type: 'position', id, position: n.position, dragging: true });
      } else if (roll < 0.8) {
        n.width = 1 + r() * 400; n.height = 1 + r() * 200;
        changes.push({ type: 'dimensions', id, dimensions: { width: n.width, height: n.height } });
      } else if (roll < 0.9) {
        nodes.delete(id);
        changes.push({ type: 'remove', id });
      } else {
        const item = { id: `added${added++}`, position: { x: r() * 12000, y: r() * 12000 }, width: 120, height: 60 };
        nodes.set(item.id, item);
        changes.push({ type: 'add', item });
      }
    }
    opt.applyNodeChanges(changes);
    // Bulk moves through the typed-array path.
    const some = [...nodes.keys()].slice(0, 50);
    const xy = new Float32Array(some.length * 2);
    some.forEach((id, k) => {
      const n = nodes.get(id);
      n.position = { x: Math.fround(n.position.x + 7.5), y: Math.fround(n.position.y - 3.25) };
      xy[2 * k] = n.position.x; xy[2 * k + 1] = n.position.y;
    });
    opt.updatePositions(Uint32Array.from(some, (id) => opt.indexOf(id)), xy);
    edges = edges.filter((e) => nodes.has(e.source) && nodes.has(e.target));
    const list = [...nodes.values()];
    const lookup = reactFlowLookup(list);
    for (let v = 0; v < 10; v++) {
      const { vp, size } = randomViewport(r, bounds(list), list);
      const f = opt.frame(vp, size);
      const ours = new Set(Array.from(f.inView, (i) => opt.idOf(i)));
      const theirs = reactFlowView(lookup, edges, vp, size);
      assert.deepEqual(ours, theirs.nodes, `round ${round}`);
      assert.deepEqual(new Set(f.visibleEdgeIds), theirs.visibleEdges, `edges, round ${round}`);
    }
  }
});

/** React Flow's answers to `bounds()` (null where it has no node) and `nodesInRect`. */
function reactFlowBounds(lookup) {
  const shown = [...lookup.values()].filter((n) => !n.hidden);
  return shown.length ? getNodesBounds(shown, { nodeOrigin: [0, 0], nodeLookup: lookup }) : null;
}
const reactFlowInside = (lookup, rect, partially) =>
  new Set(getNodesInside(lookup, rect, [0, 0, 1], partially).map((n) => n.id));

/**
 * Query rectangles over a workflow: free ones, and ones on a node's edges
 * (exactly the node, cut by a fraction of a unit, beside it, a line on its
 * edge) where touching edges and the rounded-up overlap decide.
 */
function randomRect(r, lookup, b) {
  const nodes = [...lookup.values()];
  const n = nodes[Math.floor(r() * nodes.length)];
  const { x, y } = n.internals.positionAbsolute;
  const { width, height } = n.measured;
  const f = r();
  switch (Math.floor(r() * 7)) {
    case 0: return { x, y, width, height };
    case 1: return { x: x + f, y, width: Math.max(0, width - f), height };
    case 2: return { x: x + width, y, width: 1 + r() * 500, height };
    case 3: return { x, y, width: 0, height };
    case 4: return { x: b.x, y: b.y, width: b.width, height: b.height };
    default: {
      const w = (b.width + 1) * r() * 0.3, h = (b.height + 1) * r() * 0.3;
      return { x: b.x - w / 2 + (b.width + w) * r(), y: b.y - h / 2 + (b.height + h) * r(), width: w, height: h };
    }
  }
}

function checkRects(opt, lookup, { rects, seed }) {
  const b = reactFlowBounds(lookup);
  assert.deepEqual(opt.bounds(), b, 'bounds() differs from getNodesBounds');
  if (!b) return 0;
  const r = rng(seed);
  let nonEmpty = 0;
  for (let k = 0; k < rects; k++) {
    const rect = randomRect(r, lookup, b);
    for (const partially of [false, true]) {
      const ours = opt.nodesInRect(rect, partially);
      assert.equal(new Set(ours).size, ours.length, 'nodesInRect has no duplicates');
      assert.deepEqual(new Set(ours), reactFlowInside(lookup, rect, partially), `nodesInRect(${JSON.stringify(rect)}, ${partially})`);
      if (ours.length) nonEmpty++;
    }
    assert.deepEqual(opt.nodesInRect(rect), opt.nodesInRect(rect, false), 'partially defaults to false');
  }
  return nonEmpty;
}

test('bounds() and nodesInRect() equal getNodesBounds and getNodesInside on generated workflows (parents, hidden, zero area)', () => {
  for (const seed of [4, 5, 6]) {
    const wf = generate(3000, { seed });
    // Some nodes of zero area: getNodesInside counts them in every rectangle.
    wf.nodes.forEach((n, i) => {
      if (i % 211 === 5) n.width = 0;
      if (i % 307 === 9) n.height = 0;
    });
    // A hidden group far out, with a shown child: the child alone stretches the bounds.
    wf.nodes.push(
      { id: 'far', position: { x: -50000, y: 90000 }, width: 300, height: 300, hidden: true },
      { id: 'far-child', parentId: 'far', position: { x: 20.5, y: 40.25 }, width: 100, height: 50 },
    );
    const opt = new WorkflowOptimizer();
    opt.setWorkflow(wf);
    const nonEmpty = checkRects(opt, reactFlowLookup(wf.nodes), { rects: 150, seed });
    assert.ok(nonEmpty > 150, `${nonEmpty} non-empty answers`);
  }
});

test('bounds() and nodesInRect() equal React Flow on n8n workflows tiled to 20k nodes', (t) => {
  if (!needN8n(t)) return;
  const wf = tileN8n(20000);
  const opt = new WorkflowOptimizer();
  opt.setWorkflow(wf);
  assert.ok(checkRects(opt, reactFlowLookup(wf.nodes), { rects: 200, seed: 43 }) > 200);
});

test('bounds() and nodesInRect() follow moves, resizes, hiding, additions, removals and reloads', async () => {
  // No parents: a moved parent's children are an ulp away from React Flow's sum (see the Rust tests).
  const wf = generate(1500, { seed: 10, parents: 0 });
  const opt = new WorkflowOptimizer();
  opt.setWorkflow(wf);
  const r = rng(100);
  const nodes = new Map(wf.nodes.map((n) => [n.id, { ...n, position: { ...n.position } }]));
  let added = 0;
  for (let round = 0; round < 30; round++) {
    const changes = [];
    const ids = [...nodes.keys()];
    for (let k = 0; k < 15; k++) {
      const id = ids[Math.floor(r() * ids.length)];
      const n = nodes.get(id);
      if (!n || changes.some((c) => c.id === id)) continue;
      const roll = r();
      if (roll < 0.4) {
        // Far out now and then: the bounds grow, and shrink when it comes back.
        const far = r() < 0.2 ? 40000 : 3000;
        n.position = { x: n.position.x + (r() - 0.5) * far, y: n.position.y + (r() - 0.5) * far };
        changes.push({ type: 'position', id, position: n.position });
      } else if (roll < 0.55) {
        n.width = r() < 0.1 ? 0 : 1 + r() * 400; n.height = 1 + r() * 200;
        changes.push({ type: 'dimensions', id, dimensions: { width: n.width, height: n.height } });
      } else if (roll < 0.7) {
        const item = { ...n, hidden: !n.hidden };
        nodes.set(id, item);
        changes.push({ type: 'replace', id, item });
      } else if (roll < 0.85) {
        nodes.delete(id);
        changes.push({ type: 'remove', id });
      } else {
        const item = { id: `added${added++}`, position: { x: r() * 12000 - 2000, y: r() * 12000 - 2000 }, width: 120, height: 60 };
        nodes.set(item.id, item);
        changes.push({ type: 'add', item });
      }
    }
    opt.applyNodeChanges(changes);
    // A drag of many nodes through the typed-array path.
    const some = [...nodes.keys()].slice(round * 10, round * 10 + 40);
    const xy = new Float32Array(some.length * 2);
    some.forEach((id, k) => {
      const n = nodes.get(id);
      n.position = { x: Math.fround(n.position.x - 11.5), y: Math.fround(n.position.y + 4.25) };
      xy[2 * k] = n.position.x; xy[2 * k + 1] = n.position.y;
    });
    opt.updatePositions(Uint32Array.from(some, (id) => opt.indexOf(id)), xy);
    checkRects(opt, reactFlowLookup([...nodes.values()]), { rects: 20, seed: round });
  }
  // The node that makes a side of the bounds moves out, hides, shows, goes.
  const id = [...nodes.keys()][7];
  const far = { ...nodes.get(id), position: { x: 1e6, y: -1e6 }, hidden: false };
  for (const change of [
    { type: 'position', id, position: far.position },
    { type: 'replace', id, item: { ...far, hidden: true } },
    { type: 'replace', id, item: far },
    { type: 'remove', id },
  ]) {
    if (change.type === 'remove') nodes.delete(id);
    else nodes.set(id, change.item ?? { ...nodes.get(id), position: change.position });
    opt.applyNodeChanges([change]);
    checkRects(opt, reactFlowLookup([...nodes.values()]), { rects: 5, seed: 1 });
  }
  // Reloads: at once and in slices.
  const list = [...nodes.values()];
  opt.setWorkflow({ nodes: list, edges: [] });
  checkRects(opt, reactFlowLookup(list), { rects: 20, seed: 77 });
  const next = generate(2500, { seed: 11 });
  await opt.setWorkflowAsync(next, { sliceMs: 1 });
  checkRects(opt, reactFlowLookup(next.nodes), { rects: 40, seed: 78 });
  // Everything hidden: no bounds, no nodes.
  const hidden = next.nodes.map((n) => ({ ...n, hidden: true }));
  opt.setWorkflow({ nodes: hidden, edges: [] });
  assert.equal(opt.bounds(), null);
  assert.deepEqual(opt.nodesInRect({ x: -1e9, y: -1e9, width: 2e9, height: 2e9 }, true), []);
  opt.setWorkflow({ nodes: [], edges: [] });
  assert.equal(opt.bounds(), null);
});
