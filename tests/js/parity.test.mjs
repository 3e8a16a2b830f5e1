// Parity with React Flow: flowscale's `inView` is exactly the set React Flow's
// own `getNodesInside(..., partially = true)` returns, and `visibleEdgeIds` the
// edges `isEdgeVisible` accepts (less hidden ones, which React Flow never
// draws), for generated workflows and for the real n8n workflows tiled to
// 20k nodes, over many random viewports, after drags too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getNodesInside, isEdgeVisible } from '@xyflow/system';
import { WorkflowOptimizer } from './flowscale.mjs';
import { bounds, generate, loadN8n, reactFlowLookup, rng, tileN8n } from './workflows.mjs';

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

test('inView equals React Flow on n8n workflows tiled to 20k nodes', { skip: !loadN8n() && 'n8n data not found' }, () => {
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
