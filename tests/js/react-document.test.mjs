// FlowscaleController driven from a document its owner keeps (setDocument),
// as the demo's store does: no array copied, no id table built; a staged
// load of a big document (from columns too), the owner's edits, the window
// from the mounted objects that stay and the document's, and a trap that
// stops the controller (its owner rebuilds), on the package's web build in Node.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { register } from 'node:module';

const web = new URL('../../pkg/web/index.js', import.meta.url).href;
register(
  'data:text/javascript,' +
    encodeURIComponent(`export async function resolve(s, c, next) { return next(s === 'flowscale' ? ${JSON.stringify(web)} : s, c); }`),
);
const { toColumns, initSync } = await import('./flowscale.mjs');
const { FlowscaleController, STAGE, isTrap } = await import('../../pkg/react/controller.js');
const { mergeParallelEdges } = await import('../../pkg/react/parallel.js');

const box = (id, x, y, extra = {}) => ({ id, position: { x, y }, width: 50, height: 20, data: {}, ...extra });
/** A grid of `n` nodes, 200 a row, each wired to the next. */
function grid(n) {
  const nodes = Array.from({ length: n }, (_, i) => box(`n${i}`, (i % 200) * 60, Math.floor(i / 200) * 30));
  const edges = Array.from({ length: n - 1 }, (_, i) => ({ id: `e${i}`, source: `n${i}`, target: `n${i + 1}` }));
  return { nodes, edges };
}
/** The document's objects by id, counting lookups. */
function lookupOf(doc) {
  const nodes = new Map(doc.nodes.map((n) => [n.id, n]));
  const edges = new Map(doc.edges.map((e) => [e.id, e]));
  const counts = { node: 0, edge: 0 };
  return {
    counts,
    node: (id) => (counts.node++, nodes.get(id)),
    edge: (id) => (counts.edge++, edges.get(id)),
  };
}

test('a small document is indexed at once; the window is the document\'s objects', async () => {
  const doc = grid(400);
  const c = new FlowscaleController();
  c.setDocument(lookupOf(doc));
  const progress = [];
  await c.loadDocument(doc.nodes, doc.edges, { onProgress: (f) => progress.push(f) });
  assert.deepEqual(progress, [1]);
  assert.equal(c.optimizer.nodeCount, 400);
  c.setView({ x: 0, y: 0, zoom: 1 }, 800, 600);
  const { nodes, edges } = c.getMounted();
  assert.ok(nodes.length > 0 && edges.length > 0);
  for (const n of nodes) assert.equal(n, doc.nodes[Number(n.id.slice(1))], 'the document\'s own object');
  assert.ok(c.stats.inView > 0);
  c.destroy();
});

test('a big document: the first STAGE nodes at once, then all of it in slices from its columns', async () => {
  const doc = grid(STAGE + 5000);
  const c = new FlowscaleController();
  c.setDocument(lookupOf(doc));
  c.setView({ x: 0, y: 0, zoom: 1 }, 800, 600);
  const progress = [];
  let atFirstStage = -1;
  const loaded = c.loadDocument(doc.nodes, doc.edges, {
    columns: toColumns(doc),
    inFirstStage: (id) => Number(id.slice(1)) < STAGE,
    onProgress: (f) => {
      progress.push(f);
      if (f === 0) atFirstStage = c.optimizer.nodeCount;
    },
  });
  assert.equal(c.optimizer.nodeCount, STAGE, 'the first stage is indexed before the call returns');
  assert.equal(c.optimizer.edgeCount, STAGE - 1, 'with the edges between its nodes');
  assert.ok(c.getMounted().nodes.length > 0, 'and on screen');
  await loaded;
  assert.equal(atFirstStage, STAGE);
  assert.equal(c.optimizer.nodeCount, doc.nodes.length);
  assert.equal(c.optimizer.edgeCount, doc.edges.length);
  assert.equal(progress[0], 0);
  assert.equal(progress.at(-1), 1);
  c.destroy();
});

test('skipFirstStage indexes a document grown from its preview in slices, the preview on screen meanwhile', async () => {
  const doc = grid(STAGE + 2000);
  const c = new FlowscaleController();
  c.setDocument(lookupOf(doc));
  c.setView({ x: 0, y: 0, zoom: 1 }, 800, 600);
  await c.loadDocument(doc.nodes.slice(0, 500), doc.edges.slice(0, 499));
  const before = c.getMounted().nodes;
  const loaded = c.loadDocument(doc.nodes, doc.edges, { skipFirstStage: true });
  assert.equal(c.optimizer.nodeCount, 500, 'the preview stays until the whole document is indexed');
  assert.equal(c.getMounted().nodes, before);
  await loaded;
  assert.equal(c.optimizer.nodeCount, doc.nodes.length);
  c.destroy();
});

test('an aborted load rejects with the signal\'s reason; a bad document rejects with the optimizer\'s error', async () => {
  const doc = grid(STAGE + 2000);
  const c = new FlowscaleController();
  c.setDocument(lookupOf(doc));
  const abort = new AbortController();
  const loaded = c.loadDocument(doc.nodes, doc.edges, { signal: abort.signal });
  abort.abort(new Error('newer load'));
  await assert.rejects(loaded, /newer load/);
  await assert.rejects(c.loadDocument([box('a', 0, 0)], [{ id: 'x', source: 'a', target: 'nowhere' }]), (e) => e.code === 'DANGLING_EDGE');
  c.destroy();
});

test('a load superseded by destroy() or by a newer load resolves, and the newer one goes in', async () => {
  const doc = grid(STAGE + 2000);
  const c = new FlowscaleController();
  c.setDocument(lookupOf(doc));
  // In slices at once (skipFirstStage): each is aborted mid-setWorkflowAsync.
  const first = c.loadDocument(doc.nodes, doc.edges, { skipFirstStage: true });
  assert.equal(c.loading, true);
  const second = c.loadDocument(doc.nodes.slice(0, 300), doc.edges.slice(0, 299));
  await first;
  await second;
  assert.equal(c.optimizer.nodeCount, 300);
  assert.equal(c.loading, false, 'the small load ended the loading, though the big one it superseded was in slices');
  await c.whenLoaded();
  assert.equal(c.empty, false, 'the document has nodes (the optimizer counts them)');
  const third = c.loadDocument(doc.nodes, doc.edges, { skipFirstStage: true });
  c.destroy();
  await third;
  assert.equal(c.isDestroyed, true);
});

test('mounted objects the owner replaced stay mounted while in the window; new ones come from the document', async () => {
  const doc = grid(400);
  const lookup = lookupOf(doc);
  const c = new FlowscaleController();
  c.setDocument(lookup);
  await c.loadDocument(doc.nodes, doc.edges);
  c.setView({ x: 0, y: 0, zoom: 1 }, 800, 600);
  let calls = 0;
  const off = c.subscribeMounted(() => calls++);
  // A drag: the owner moves the optimizer's node and React's object, not the document.
  const dragged = { ...c.mountedNode('n1'), position: { x: 70, y: 5 }, dragging: true };
  c.optimizer.applyNodeChanges([{ type: 'position', id: 'n1', position: dragged.position }]);
  c.replaceMounted({ nodes: c.getMounted().nodes.map((n) => (n.id === 'n1' ? dragged : n)), edges: c.getMounted().edges });
  assert.equal(calls, 1);
  assert.equal(c.mountedNode('n1'), dragged);
  // The view moves: new nodes enter from the document, the dragged one keeps React's object.
  lookup.counts.node = 0;
  c.setView({ x: -100, y: 0, zoom: 1 }, 800, 600);
  assert.equal(c.mountedNode('n1'), dragged);
  assert.ok(lookup.counts.node > 0 && lookup.counts.node < c.getMounted().nodes.length, `${lookup.counts.node} lookups`);
  off();
  c.destroy();
});

test('pinned nodes stay mounted wherever the view goes', async () => {
  const doc = grid(400);
  const c = new FlowscaleController();
  c.setDocument(lookupOf(doc));
  await c.loadDocument(doc.nodes, doc.edges);
  c.setView({ x: 0, y: 0, zoom: 1 }, 800, 600);
  c.pin(['n0']);
  c.setView({ x: -20_000, y: -20_000, zoom: 1 }, 800, 600);
  assert.deepEqual(c.getMounted().nodes.map((n) => n.id), ['n0']);
  assert.equal(c.mountedNode('n0'), doc.nodes[0]);
  c.unpin(['n0']);
  assert.equal(c.getMounted().nodes.length, 0);
  c.destroy();
});

test('mountEdges makes what React mounts of the window\'s edges', async () => {
  const doc = grid(400);
  const c = new FlowscaleController();
  c.setDocument({ ...lookupOf(doc), mountEdges: (edges) => edges.slice(0, 2) });
  await c.loadDocument(doc.nodes, doc.edges);
  c.setView({ x: 0, y: 0, zoom: 1 }, 800, 600);
  assert.equal(c.getMounted().edges.length, 2);
  c.destroy();
});

test('a trap during a frame stops a controller driven by its owner (no error thrown at it): the owner rebuilds', async () => {
  const doc = grid(50);
  const c = new FlowscaleController({ onError: () => assert.fail('no error reported') });
  c.setDocument(lookupOf(doc));
  await c.loadDocument(doc.nodes, doc.edges);
  c.setView({ x: 0, y: 0, zoom: 1 }, 800, 600);
  const real = performance.now;
  performance.now = function () {
    performance.now = real;
    initSync().__wbindgen_malloc(0xfffffff0, 1);
  };
  c.setView({ x: -10, y: 0, zoom: 1 }, 800, 600);
  assert.equal(c.trapped, true);
  let frames = 0;
  c.subscribeFrames(() => frames++);
  c.setView({ x: -20, y: 0, zoom: 1 }, 800, 600);
  assert.equal(frames, 0, 'it draws nothing more');
  assert.ok(isTrap(new WebAssembly.RuntimeError('x')));
  await new Promise((r) => setTimeout(r, 10));
});

/** A document the test edits as an owner would: by id, in Maps. */
function editableLookup(doc) {
  const nodes = new Map(doc.nodes.map((n) => [n.id, n]));
  const edges = new Map(doc.edges.map((e) => [e.id, e]));
  return { nodeById: nodes, edgeById: edges, node: (id) => nodes.get(id), edge: (id) => edges.get(id) };
}

test('React Flow\'s node changes: a dragged node stays mounted until its drag ends; a removal takes its edges and its pin', async () => {
  const doc = grid(400);
  const lookup = editableLookup(doc);
  const c = new FlowscaleController();
  c.setDocument(lookup);
  await c.loadDocument(doc.nodes, doc.edges);
  c.setView({ x: 0, y: 0, zoom: 1 }, 800, 600);
  // A drag tick: the optimizer and React's object move; the document waits for the drag's end.
  c.applyNodeChanges([{ type: 'position', id: 'n1', position: { x: 70, y: 500 }, dragging: true }]);
  assert.deepEqual(c.mountedNode('n1').position, { x: 70, y: 500 });
  assert.deepEqual(c.nodesInRect({ x: 65, y: 495, width: 60, height: 30 }), ['n1'], 'the index has it where it is dragged');
  const version = c.version;
  // The view goes elsewhere mid-drag: the dragged node stays mounted, and nothing else is.
  c.setView({ x: -20_000, y: -20_000, zoom: 1 }, 800, 600);
  assert.deepEqual(c.getMounted().nodes.map((n) => n.id), ['n1']);
  // The drag ends: the node leaves the window, and the workflow has a new version (the minimap repaints).
  c.applyNodeChanges([{ type: 'position', id: 'n1', dragging: false }]);
  assert.deepEqual(c.getMounted().nodes, []);
  assert.ok(c.version > version);
  // A removal (the owner's document first): its edges leave the window with it, and its pin goes.
  c.setView({ x: 0, y: 0, zoom: 1 }, 800, 600);
  c.pin(['n2']);
  lookup.nodeById.delete('n2');
  lookup.edgeById.delete('e1');
  lookup.edgeById.delete('e2');
  c.applyNodeChanges([{ type: 'remove', id: 'n2' }]);
  assert.equal(c.optimizer.nodeCount, 399);
  assert.equal(c.optimizer.edgeCount, 397, 'the optimizer removes the node\'s edges');
  assert.ok(!c.pinnedIds.has('n2'));
  const { nodes, edges } = c.getMounted();
  assert.ok(nodes.length > 0 && !nodes.some((n) => n.id === 'n2'));
  assert.ok(edges.length > 0 && !edges.some((e) => e.source === 'n2' || e.target === 'n2'));
  c.destroy();
});

test('a bad change throws its FlowscaleError and changes nothing; a controller following arrays refuses change lists', async () => {
  const doc = grid(100);
  const c = new FlowscaleController();
  c.setDocument(editableLookup(doc));
  await c.loadDocument(doc.nodes, doc.edges);
  c.setView({ x: 0, y: 0, zoom: 1 }, 800, 600);
  const before = c.getMounted();
  assert.throws(
    () => c.applyNodeChanges([{ type: 'position', id: 'n3', position: { x: 10, y: 10 } }, { type: 'position', id: 'n4', position: { x: NaN, y: 0 } }]),
    (e) => typeof e.code === 'string' && /position/.test(e.path ?? e.message),
  );
  assert.equal(c.getMounted(), before, 'the window is as it was');
  assert.deepEqual(c.nodesInRect({ x: 175, y: -5, width: 60, height: 30 }), ['n3'], 'n3 did not move either (all or nothing)');
  assert.throws(() => c.applyEdgeChanges([{ type: 'add', item: { id: 'x', source: 'n0', target: 'nope' } }]), (e) => typeof e.code === 'string');
  assert.equal(c.optimizer.edgeCount, 99);
  // An edge added to the document and then to the controller is mounted with its ends.
  const lookup = editableLookup(doc);
  const d = new FlowscaleController();
  d.setDocument(lookup);
  await d.loadDocument(doc.nodes, doc.edges);
  d.setView({ x: 0, y: 0, zoom: 1 }, 800, 600);
  const item = { id: 'x', source: 'n0', target: 'n5' };
  lookup.edgeById.set('x', item);
  d.applyEdgeChanges([{ type: 'add', item }]);
  assert.deepEqual(d.getMounted().edges.find((e) => e.id === 'x'), item, 'mounted (a copy, as React Flow\'s applyEdgeChanges adds)');
  const follower = new FlowscaleController();
  assert.throws(() => follower.applyNodeChanges([{ type: 'remove', id: 'n0' }]), /setDocument/);
  for (const x of [c, d, follower]) x.destroy();
});

test('what reads the whole workflow reads the document as it is now, once its owner replaced the arrays', async () => {
  const doc = grid(100);
  let current = doc;
  const c = new FlowscaleController();
  c.setDocument({ ...editableLookup(doc), nodes: () => current.nodes, edges: () => current.edges });
  await c.loadDocument(doc.nodes, doc.edges);
  // The owner's edit copies the arrays (an added node) and tells the controller.
  const added = box('new', 0, 2000, { selected: true });
  current = { nodes: [...doc.nodes, added], edges: doc.edges };
  c.applyNodeChanges([{ type: 'add', item: added }]);
  assert.equal(c.getNodes(), current.nodes);
  assert.equal(c.getEdges(), current.edges);
  assert.deepEqual(c.deleteSelectedChanges().nodes, [{ type: 'remove', id: 'new' }]);
  assert.equal(c.selectAllChanges().nodes.length, 100, 'the others, not the added one already selected');
  // Without nodes() and edges(): the arrays last loaded.
  const d = new FlowscaleController();
  d.setDocument(editableLookup(doc));
  await d.loadDocument(doc.nodes, doc.edges);
  assert.equal(d.getNodes(), doc.nodes);
  for (const x of [c, d]) x.destroy();
});

test('a big load is loading from its first call, its first stage too, to its end', async () => {
  const doc = grid(STAGE + 2000);
  const c = new FlowscaleController();
  c.setDocument(lookupOf(doc));
  const loaded = c.loadDocument(doc.nodes, doc.edges);
  assert.equal(c.loading, true, 'during the first stage');
  await loaded;
  assert.equal(c.loading, false);
  assert.equal(c.optimizer.nodeCount, STAGE + 2000);
  const e = new FlowscaleController();
  e.setDocument(lookupOf({ nodes: [], edges: [] }));
  await e.loadDocument([], []);
  assert.equal(e.empty, true);
  for (const x of [c, e]) x.destroy();
});

test('parents: a mounted child brings its parent, placed first; a first stage leaves out children whose parent comes later', async () => {
  // A group far right whose child sits in the view (a child's position is relative to its parent).
  const nodes = [box('child', -1900, 10, { parentId: 'group' }), box('free', 100, 10), box('group', 2000, 0, { width: 400, height: 200 })];
  const c = new FlowscaleController();
  c.setDocument(editableLookup({ nodes, edges: [] }));
  await c.loadDocument(nodes, []);
  c.setView({ x: 0, y: 0, zoom: 1 }, 800, 600);
  assert.deepEqual(c.getMounted().nodes.map((n) => n.id), ['group', 'child', 'free']);
  // Above STAGE: the child among the first STAGE nodes, its parent after them.
  const big = grid(STAGE + 10);
  big.nodes[5] = box('n5', 10, 10, { parentId: `n${STAGE + 5}` });
  const d = new FlowscaleController();
  d.setDocument(editableLookup(big));
  const loaded = d.loadDocument(big.nodes, big.edges);
  await new Promise((r) => setTimeout(r, 0));
  assert.equal(d.optimizer.nodeCount, STAGE - 1, 'the first stage, without the orphan');
  await loaded;
  assert.equal(d.optimizer.nodeCount, STAGE + 10);
  for (const x of [c, d]) x.destroy();
});

test('a drag tick moves the window, not the workflow\'s version; merged edges come back unmerged when merging stops', async () => {
  const doc = grid(400);
  const twin = { id: 'twin', source: 'n0', target: 'n1' };
  doc.edges.push(twin);
  let merge = true;
  const c = new FlowscaleController();
  c.setDocument({ ...editableLookup(doc), mountEdges: (edges) => (merge ? mergeParallelEdges(edges) : edges) });
  await c.loadDocument(doc.nodes, doc.edges);
  c.setView({ x: 0, y: 0, zoom: 1 }, 800, 600);
  const pair = () => c.getMounted().edges.filter((e) => e.source === 'n0' && e.target === 'n1');
  assert.deepEqual(pair().map((e) => e.label), ['×2']);
  const version = c.version;
  c.applyNodeChanges([{ type: 'position', id: 'n7', position: { x: 400, y: 40 }, dragging: true }]);
  assert.equal(c.version, version, 'a drag tick repaints no minimap');
  merge = false;
  c.refresh(true);
  const both = pair();
  assert.equal(both.length, 2);
  assert.ok(both.includes(doc.edges[0]) && both.includes(twin), 'the document\'s own edges, not a merged copy');
  c.destroy();
});

test('mergeParallelEdges: parallel edges mounted as one, counted; a single edge stays the same object', async () => {
  const single = { id: 's', source: 'b', target: 'c', sourceHandle: 'out' };
  const edges = [
    { id: 'p1', source: 'a', target: 'b', style: { stroke: 'red' } },
    single,
    { id: 'p2', source: 'a', target: 'b' },
    { id: 'p3', source: 'a', target: 'b' },
    { id: 'h', source: 'b', target: 'c', sourceHandle: 'other' },
  ];
  const merged = mergeParallelEdges(edges);
  assert.deepEqual(merged.map((e) => e.id), ['p1', 's', 'h']);
  assert.equal(merged[0].label, '×3');
  assert.deepEqual(merged[0].data, { merged: 3 });
  assert.deepEqual(merged[0].style, { stroke: 'red', strokeWidth: 4 });
  assert.equal(merged[1], single);
  assert.equal(edges[0].label, undefined, 'the input is not changed');
});
