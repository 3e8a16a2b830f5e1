// The bad-input matrix: one table, run through the JS API in Node
// (tests/js/matrix.test.mjs) and in Chromium (tests/e2e/matrix.test.mjs).
// Each row is an input a user could send and its documented outcome: a
// FlowscaleError with this code and path, or acceptance with a stated
// result. After every row the optimizer must still hold its previous
// workflow (rejections) and answer frames (both). docs/reliability.md prints
// this table. The module imports nothing, so a page can load it as is.

const n = (id, x = 0, y = 0, extra = {}) => ({ id, position: { x, y }, width: 100, height: 40, ...extra });
const e = (id, source, target) => ({ id, source, target });
const wf = (nodes, edges = []) => ({ nodes, edges });
const set = (w) => (api, opt) => opt.setWorkflow(w);
const changes = (c) => (api, opt) => opt.applyNodeChanges(c);
const edgeChanges = (c) => (api, opt) => opt.applyEdgeChanges(c);
const frame = (vp, size = { width: 800, height: 600 }) => (api, opt) => opt.frame(vp, size);
const inRect = (rect, partially) => (api, opt) => opt.nodesInRect(rect, partially);
const R = { x: 0, y: 0, width: 100, height: 100 };

/**
 * Everything stored, through the public API: `snapshot()` gives every node's
 * absolute rectangle, parent and flags and every edge's ends. Sorted by id,
 * so only content counts (slot order is not a promise).
 */
export function state(opt) {
  const s = opt.snapshot();
  const byId = (a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  return { nodeCount: opt.nodeCount, edgeCount: opt.edgeCount, nodes: s.nodes.slice().sort(byId), edges: s.edges.slice().sort(byId) };
}

/** The first difference between two states (numbers by Object.is, so -0 ≠ 0), or '' when equal. */
export function diff(a, b, at = 'state') {
  if (typeof a === 'number' && typeof b === 'number') return Object.is(a, b) ? '' : `${at}: ${a} → ${b}`;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return a === b ? '' : `${at}: ${JSON.stringify(a)} → ${JSON.stringify(b)}`;
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const k of keys) {
    const d = diff(a[k], b[k], Array.isArray(a) ? `${at}[${k}]` : `${at}.${k}`);
    if (d) return d;
  }
  return '';
}

/** The one node of a one-node workflow, as stored. */
const only = (opt) => {
  const s = opt.snapshot();
  return s.nodes.length === 1 ? s.nodes[0] : undefined;
};
/** Whether the stored nodes are exactly these (id, rectangle, parent, hidden), in any order. */
const nodesAre = (opt, want) => !diff(state(opt).nodes.map(({ id, x, y, width, height, parentId, hidden }) => ({ id, x, y, width, height, parentId, hidden })), want.slice().sort((a, b) => (a.id < b.id ? -1 : 1)));
const node = (id, x, y, width = 100, height = 40, parentId = null, hidden = false) => ({ id, x, y, width, height, parentId, hidden });
const edgesAre = (opt, want) => !diff(state(opt).edges.map(({ id, source, target }) => ({ id, source, target })), want.slice().sort((a, b) => (a.id < b.id ? -1 : 1)));
/** The frame's complete in-view list as ids. */
const inViewIds = (opt, vp, size) => Array.from(opt.frame(vp, size).inView, (i) => opt.idOf(i)).sort();

/** A workflow built from JSON text, as a user's import would arrive (keys like __proto__ stay own keys). */
const json = (text) => JSON.parse(text);

export const MATRIX = [
  // ---- numbers ------------------------------------------------------------
  { group: 'numbers', input: 'position.x NaN', call: set(wf([n('x', NaN)])), code: 'NON_FINITE', path: 'nodes[0].position.x' },
  { group: 'numbers', input: 'position.y +Infinity', call: set(wf([n('x', 0, Infinity)])), code: 'NON_FINITE', path: 'nodes[0].position.y' },
  { group: 'numbers', input: 'position.x -Infinity', call: set(wf([n('x', -Infinity)])), code: 'NON_FINITE', path: 'nodes[0].position.x' },
  { group: 'numbers', input: 'position -0', call: set(wf([n('x', -0, -0)])), accepts: (opt) => { const x = only(opt); return x !== undefined && x.x === 0 && x.y === 0 && x.width === 100 && x.height === 40 && sameAsZero(opt); }, outcome: 'accepted as 0 (stored as given, −0, which equals 0 in every test)' },
  { group: 'numbers', input: 'position.x 1e30', call: set(wf([n('x', 1e30)])), code: 'OUT_OF_RANGE', path: 'nodes[0].position.x' },
  { group: 'numbers', input: 'width 1e30', call: set(wf([n('x', 0, 0, { width: 1e30 })])), code: 'OUT_OF_RANGE', path: 'nodes[0].width' },
  { group: 'numbers', input: 'width NaN', call: set(wf([n('x', 0, 0, { width: NaN })])), code: 'NON_FINITE', path: 'nodes[0].width' },
  { group: 'numbers', input: 'width -1', call: set(wf([n('x', 0, 0, { width: -1 })])), code: 'NEGATIVE_SIZE', path: 'nodes[0].width' },
  { group: 'numbers', input: 'measured.height -5', call: set(wf([n('x', 0, 0, { width: undefined, height: undefined, measured: { width: 10, height: -5 } })])), code: 'NEGATIVE_SIZE', path: 'nodes[0].measured.height' },
  { group: 'numbers', input: 'width 0, height 0', call: set(wf([n('x', 5, 5, { width: 0, height: 0 })])), accepts: (opt) => nodesAre(opt, [node('x', 5, 5, 0, 0)]) && zeroAreaSeen(opt), outcome: 'accepted: a zero-area node, in view when inside the closed view' },
  { group: 'numbers', input: 'no width/height', call: set(wf([{ id: 'x', position: { x: 0, y: 0 } }])), accepts: (opt) => nodesAre(opt, [node('x', 0, 0, 150, 40)]), outcome: 'accepted with the default size (150 × 40)' },
  // ---- ids ----------------------------------------------------------------
  { group: 'ids', input: 'duplicate node id', call: set(wf([n('x'), n('x', 1, 1)])), code: 'DUPLICATE_ID', path: 'nodes[1].id' },
  { group: 'ids', input: 'duplicate edge id', call: set(wf([n('x')], [e('e', 'x', 'x'), e('e', 'x', 'x')])), code: 'DUPLICATE_ID', path: 'edges[1].id' },
  { group: 'ids', input: 'edge to a missing node', call: set(wf([n('x')], [e('e', 'x', 'nope')])), code: 'DANGLING_EDGE', path: 'edges[0].target' },
  { group: 'ids', input: 'edge from a missing node', call: set(wf([n('x')], [e('e', 'nope', 'x')])), code: 'DANGLING_EDGE', path: 'edges[0].source' },
  { group: 'ids', input: 'parent missing', call: set(wf([n('x', 0, 0, { parentId: 'ghost' })])), code: 'DANGLING_PARENT', path: 'nodes[0].parentId' },
  { group: 'ids', input: 'parent cycle', call: set(wf([n('x', 0, 0, { parentId: 'y' }), n('y', 0, 0, { parentId: 'x' })])), code: 'PARENT_CYCLE', path: 'nodes[0].parentId' },
  { group: 'ids', input: 'node its own parent', call: set(wf([n('x', 0, 0, { parentId: 'x' })])), code: 'PARENT_CYCLE', path: 'nodes[0].parentId' },
  { group: 'ids', input: 'lone surrogate id', call: set(wf([n('\ud800')])), code: 'INVALID_WORKFLOW', path: 'nodes[0].id' },
  { group: 'ids', input: 'empty id', call: set(wf([n('')])), accepts: (opt) => opt.indexOf('') === 0, outcome: 'accepted: React Flow allows any string' },
  { group: 'ids', input: 'id of 100,000 characters', call: set(wf([n('a'.repeat(100000))])), accepts: (opt) => opt.idOf(0).length === 100000, outcome: 'accepted, kept whole' },
  { group: 'ids', input: 'ids with U+0000, markup, emoji', call: set(wf([n('a\u0000b'), n('<script>alert(1)</script>', 200), n('😀', 400)])), accepts: (opt) => opt.indexOf('a\u0000b') >= 0 && opt.indexOf('😀') >= 0, outcome: 'accepted as data' },
  { group: 'ids', input: 'ids __proto__, constructor, hasOwnProperty', call: set(wf([n('__proto__'), n('constructor', 200), n('hasOwnProperty', 400)], [e('__proto__', '__proto__', 'constructor')])), accepts: (opt) => opt.indexOf('__proto__') >= 0 && opt.edgeCount === 1 && ({}).polluted === undefined, outcome: 'accepted as data; no prototype touched' },
  { group: 'ids', input: '__proto__ key in node data (from JSON)', call: set(json('{"nodes":[{"id":"x","position":{"x":0,"y":0},"data":{"__proto__":{"polluted":1}}}],"edges":[]}')), accepts: (opt) => opt.nodeCount === 1 && ({}).polluted === undefined, outcome: 'accepted; data is not read' },
  { group: 'ids', input: 'number as id', call: set(wf([{ id: 7, position: { x: 0, y: 0 } }])), code: 'INVALID_WORKFLOW', path: 'nodes[0].id' },
  // ---- graph shape ----------------------------------------------------------
  { group: 'graph', input: '0 nodes', call: set(wf([])), accepts: (opt) => opt.nodeCount === 0 && opt.edgeCount === 0 && emptyFrames(opt), outcome: 'accepted: empty frames' },
  { group: 'graph', input: '1 node', call: set(wf([n('solo')])), accepts: (opt) => nodesAre(opt, [node('solo', 0, 0)]) && edgesAre(opt, []), outcome: 'accepted' },
  { group: 'graph', input: 'self-loop', call: set(wf([n('x')], [e('e', 'x', 'x')])), accepts: (opt) => nodesAre(opt, [node('x', 0, 0)]) && edgesAre(opt, [e('e', 'x', 'x')]), outcome: 'accepted' },
  { group: 'graph', input: 'directed cycle', call: set(wf([n('a'), n('b', 200)], [e('ab', 'a', 'b'), e('ba', 'b', 'a')])), accepts: (opt) => edgesAre(opt, [e('ab', 'a', 'b'), e('ba', 'b', 'a')]), outcome: 'accepted (layout breaks cycles)' },
  { group: 'graph', input: 'parallel edges', call: set(wf([n('a'), n('b', 200)], [e('1', 'a', 'b'), e('2', 'a', 'b')])), accepts: (opt) => edgesAre(opt, [e('1', 'a', 'b'), e('2', 'a', 'b')]), outcome: 'accepted (simplifyEdges bundles them)' },
  { group: 'graph', input: 'over the node cap (maxNodes 3)', capped: true, call: set(wf([n('a'), n('b'), n('c'), n('d')])), code: 'LIMIT_EXCEEDED', path: 'nodes' },
  { group: 'graph', input: 'add past the node cap', capped: true, call: changes([{ type: 'add', item: n('p') }, { type: 'add', item: n('q') }]), code: 'LIMIT_EXCEEDED', path: 'changes[0]' },
  // ---- types ----------------------------------------------------------------
  { group: 'types', input: 'position.x "12" (string)', call: set(wf([{ id: 'x', position: { x: '12', y: 0 } }])), code: 'INVALID_WORKFLOW', path: 'nodes[0].position.x' },
  { group: 'types', input: 'width "100" (string)', call: set(wf([n('x', 0, 0, { width: '100' })])), code: 'INVALID_WORKFLOW', path: 'nodes[0].width' },
  { group: 'types', input: 'position null', call: set(wf([{ id: 'x', position: null }])), code: 'INVALID_WORKFLOW', path: 'nodes[0].position' },
  { group: 'types', input: 'position missing', call: set(wf([{ id: 'x' }])), code: 'INVALID_WORKFLOW', path: 'nodes[0].position' },
  { group: 'types', input: 'position [x, y] (array)', call: set(wf([{ id: 'x', position: [0, 0] }])), code: 'INVALID_WORKFLOW', path: 'nodes[0].position.x' },
  { group: 'types', input: 'id null', call: set(wf([{ id: null, position: { x: 0, y: 0 } }])), code: 'INVALID_WORKFLOW', path: 'nodes[0].id' },
  { group: 'types', input: 'hidden "yes"', call: set(wf([n('x', 0, 0, { hidden: 'yes' })])), code: 'INVALID_WORKFLOW', path: 'nodes[0].hidden' },
  { group: 'types', input: 'node null', call: set(wf([null])), code: 'INVALID_WORKFLOW', path: 'nodes[0]' },
  { group: 'types', input: 'nodes "many"', call: set({ nodes: 'many', edges: [] }), code: 'INVALID_WORKFLOW', path: 'nodes' },
  { group: 'types', input: 'edges {} (object)', call: set({ nodes: [], edges: {} }), code: 'INVALID_WORKFLOW', path: 'edges' },
  { group: 'types', input: 'workflow []', call: set([]), code: 'INVALID_WORKFLOW', path: 'nodes' },
  { group: 'types', input: 'workflow null', call: set(null), code: 'INVALID_WORKFLOW' },
  { group: 'types', input: 'workflow 42', call: set(42), code: 'INVALID_WORKFLOW' },
  { group: 'types', input: 'edge source 3 (number)', call: set(wf([n('x')], [{ id: 'e', source: 3, target: 'x' }])), code: 'INVALID_WORKFLOW', path: 'edges[0].source' },
  { group: 'types', input: 'a getter that throws', call: set(wf([Object.defineProperty({ id: 'x' }, 'position', { get() { throw new Error('boom'); } })])), code: 'INVALID_WORKFLOW' },
  // ---- changes --------------------------------------------------------------
  { group: 'changes', input: 'drag to NaN', call: changes([{ type: 'position', id: 'a', position: { x: NaN, y: 0 } }]), code: 'NON_FINITE', path: 'changes[0].position.x' },
  { group: 'changes', input: 'resize to -10', call: changes([{ type: 'dimensions', id: 'a', dimensions: { width: -10, height: 5 } }]), code: 'NEGATIVE_SIZE', path: 'changes[0].dimensions.width' },
  { group: 'changes', input: 'drag an unknown id', call: changes([{ type: 'position', id: 'ghost', position: { x: 1, y: 1 } }]), code: 'UNKNOWN_ID', path: 'changes[0].id' },
  { group: 'changes', input: 'remove an unknown id', call: changes([{ type: 'remove', id: 'ghost' }]), unchanged: true, accepts: () => true, outcome: 'accepted: a no-op, as in React Flow' },
  { group: 'changes', input: 'add a duplicate id', call: changes([{ type: 'add', item: n('a') }]), code: 'DUPLICATE_ID', path: 'changes[0].item.id' },
  { group: 'changes', input: 'valid change then a bad one', call: changes([{ type: 'position', id: 'a', position: { x: 9, y: 9 } }, { type: 'position', id: 'b', position: { x: Infinity, y: 0 } }]), code: 'NON_FINITE', path: 'changes[1].position.x' },
  { group: 'changes', input: 'unknown change type', call: changes([{ type: 'teleport', id: 'a' }]), code: 'INVALID_WORKFLOW', path: 'changes[0].type' },
  { group: 'changes', input: 'changes not an array', call: changes({ type: 'remove', id: 'a' }), code: 'INVALID_WORKFLOW', path: 'changes' },
  { group: 'changes', input: 'edge to a missing node', call: edgeChanges([{ type: 'add', item: e('new', 'a', 'ghost') }]), code: 'DANGLING_EDGE', path: 'changes[0].item.target' },
  { group: 'changes', input: 'updatePositions index out of range', call: (api, opt) => opt.updatePositions(new Uint32Array([99]), new Float32Array([0, 0])), code: 'UNKNOWN_ID' },
  { group: 'changes', input: 'updatePositions lengths differ', call: (api, opt) => opt.updatePositions(new Uint32Array([0]), new Float32Array([0])), code: 'INVALID_WORKFLOW', path: 'xy' },
  { group: 'changes', input: 'updatePositions NaN', call: (api, opt) => opt.updatePositions(new Uint32Array([0]), new Float32Array([NaN, 0])), code: 'NON_FINITE' },
  // ---- viewports ------------------------------------------------------------
  { group: 'viewport', input: 'pan NaN', call: frame({ x: NaN, y: 0, zoom: 1 }), code: 'INVALID_VIEWPORT', path: 'viewport.x' },
  { group: 'viewport', input: 'zoom 0', call: frame({ x: 0, y: 0, zoom: 0 }), code: 'INVALID_VIEWPORT', path: 'viewport.zoom' },
  { group: 'viewport', input: 'zoom -1', call: frame({ x: 0, y: 0, zoom: -1 }), code: 'INVALID_VIEWPORT', path: 'viewport.zoom' },
  { group: 'viewport', input: 'zoom Infinity', call: frame({ x: 0, y: 0, zoom: Infinity }), code: 'INVALID_VIEWPORT', path: 'viewport.zoom' },
  { group: 'viewport', input: 'width 0', call: frame({ x: 0, y: 0, zoom: 1 }, { width: 0, height: 600 }), code: 'INVALID_VIEWPORT', path: 'size.width' },
  { group: 'viewport', input: 'height "600" (string)', call: frame({ x: 0, y: 0, zoom: 1 }, { width: 800, height: '600' }), code: 'INVALID_VIEWPORT', path: 'size.height' },
  { group: 'viewport', input: 'viewport null', call: frame(null), code: 'INVALID_VIEWPORT' },
  { group: 'viewport', input: 'zoom 1e-12, pan 1e15', call: frame({ x: 1e15, y: -1e15, zoom: 1e-12 }), unchanged: true, accepts: (opt, f) => f.stats.total === 3 && f.stats.inView === 0 && f.visibleIds.length === 0, outcome: 'accepted: a valid, far view' },
  // ---- rectangles (bounds, nodesInRect) ---------------------------------------
  { group: 'rect', input: 'nodesInRect() without a rect', call: (api, opt) => opt.nodesInRect(), code: 'INVALID_ARGUMENT', path: 'rect' },
  { group: 'rect', input: 'rect null', call: inRect(null), code: 'INVALID_ARGUMENT', path: 'rect' },
  { group: 'rect', input: 'rect.width missing', call: inRect({ x: 0, y: 0, height: 10 }), code: 'INVALID_ARGUMENT', path: 'rect.width' },
  { group: 'rect', input: 'rect.x "0" (string)', call: inRect({ ...R, x: '0' }), code: 'INVALID_ARGUMENT', path: 'rect.x' },
  { group: 'rect', input: 'rect.y a getter that throws', call: inRect(Object.defineProperty({ ...R }, 'y', { get() { throw new Error('boom'); } })), code: 'INVALID_ARGUMENT', path: 'rect.y' },
  { group: 'rect', input: 'rect.y NaN', call: inRect({ ...R, y: NaN }), code: 'NON_FINITE', path: 'rect.y' },
  { group: 'rect', input: 'rect.x -Infinity', call: inRect({ ...R, x: -Infinity }), code: 'NON_FINITE', path: 'rect.x' },
  { group: 'rect', input: 'rect.width Infinity', call: inRect({ ...R, width: Infinity }), code: 'NON_FINITE', path: 'rect.width' },
  { group: 'rect', input: 'rect.height -1', call: inRect({ ...R, height: -1 }), code: 'NEGATIVE_SIZE', path: 'rect.height' },
  { group: 'rect', input: 'rect.width -0.5 (partially)', call: inRect({ ...R, width: -0.5 }, true), code: 'NEGATIVE_SIZE', path: 'rect.width' },
  { group: 'rect', input: 'partially "yes" (string)', call: inRect(R, 'yes'), code: 'INVALID_ARGUMENT', path: 'partially' },
  { group: 'rect', input: 'rect touching two nodes\' edges', call: inRect({ x: 100, y: 0, width: 100, height: 40 }, true), accepts: (opt, r) => Array.isArray(r) && r.length === 0, outcome: 'accepted: [] (touching edges do not count, as in getNodesInside)', unchanged: true },
  { group: 'rect', input: 'rect exactly a node', call: inRect({ x: 200, y: 0, width: 100, height: 40 }), accepts: (opt, r) => JSON.stringify(r) === '["b"]', outcome: 'accepted: ["b"] (fully inside)', unchanged: true },
  { group: 'rect', input: 'bounds()', call: (api, opt) => opt.bounds(), accepts: (opt, r) => JSON.stringify(r) === '{"x":0,"y":0,"width":500,"height":40}', outcome: 'accepted: { x: 0, y: 0, width: 500, height: 40 }', unchanged: true },
  // ---- configuration ----------------------------------------------------------
  { group: 'config', input: 'maxVisibleNodes -1', call: (api) => new api.WorkflowOptimizer({ rendering: { maxVisibleNodes: -1 } }), code: 'INVALID_CONFIG', path: 'rendering.maxVisibleNodes' },
  { group: 'config', input: 'unknown key', call: (api) => new api.WorkflowOptimizer({ rendering: { maxVisible: 5 } }), code: 'INVALID_CONFIG', path: 'rendering.maxVisible' },
  { group: 'config', input: 'lodThresholdLow "0.3" (string)', call: (api) => new api.WorkflowOptimizer({ rendering: { lodThresholdLow: '0.3' } }), code: 'INVALID_CONFIG', path: 'rendering.lodThresholdLow' },
  { group: 'config', input: '__proto__ key in config (from JSON)', call: (api) => new api.WorkflowOptimizer(json('{"__proto__":{"polluted":1}}')), code: 'INVALID_CONFIG', path: '__proto__' },
  // ---- the pure functions -----------------------------------------------------
  { group: 'functions', input: 'layoutWorkflow with direction "up"', call: (api) => api.layoutWorkflow(wf([n('a')]), { direction: 'up' }), code: 'INVALID_CONFIG', path: 'options.direction' },
  { group: 'functions', input: 'layoutWorkflow: sourceHandle the node\'s handles lack', call: (api) => api.layoutWorkflow(wf([n('a', 0, 0, { handles: [{ id: 'out-0', type: 'source', x: 95, y: 15, width: 10, height: 10 }] }), n('b')], [{ ...e('1', 'a', 'b'), sourceHandle: 'out-1' }])), code: 'UNKNOWN_ID', path: 'edges[0].sourceHandle' },
  { group: 'functions', input: 'layoutWorkflow: node.handles not an array', call: (api) => api.layoutWorkflow(wf([n('a', 0, 0, { handles: {} })])), code: 'INVALID_WORKFLOW', path: 'nodes[0].handles' },
  { group: 'functions', input: 'layoutWorkflow: handle y NaN', call: (api) => api.layoutWorkflow(wf([n('a', 0, 0, { handles: [{ id: 'h', type: 'target', x: 0, y: NaN }] })])), code: 'NON_FINITE', path: 'nodes[0].handles[0].y' },
  { group: 'functions', input: 'layoutWorkflow: handle ids without node.handles', call: (api) => api.layoutWorkflow(wf([n('a'), n('b')], [{ ...e('1', 'a', 'b'), sourceHandle: 'anything', targetHandle: 'in' }])), accepts: (opt, r) => r.nodes.length === 2, outcome: 'accepted: ids ordered by name along the side', unchanged: true },
  { group: 'functions', input: 'layoutWorkflow of a cycle', call: (api) => api.layoutWorkflow(wf([n('a'), n('b')], [e('1', 'a', 'b'), e('2', 'b', 'a')])), accepts: (opt, r) => r.nodes.length === 2 && r.nodes.every((x) => Number.isFinite(x.position.x)), outcome: 'accepted: cycle broken, finite positions', unchanged: true },
  { group: 'functions', input: 'optimizeWorkflow with NaN', call: (api) => api.optimizeWorkflow(wf([n('a', NaN)])), code: 'NON_FINITE', path: 'nodes[0].position.x' },
];

const BASE = wf([n('a', 0, 0), n('b', 200, 0), n('c', 400, 0)], [e('ab', 'a', 'b')]);

/**
 * The zero-area node of its row (at 5, 5) is in view when the view's closed
 * rectangle holds it — here on the view's corner — and not when it lies
 * outside, even by one unit.
 */
function zeroAreaSeen(opt) {
  const size = { width: 100, height: 100 };
  const corner = inViewIds(opt, { x: -5, y: -5, zoom: 1 }, size); // view [5, 105]²
  const past = inViewIds(opt, { x: -6, y: -6, zoom: 1 }, size); // view [6, 106]²
  return corner.join() === 'x' && past.length === 0;
}

/** The −0 node of its row is where a node at 0 is: its exact rectangle holds it, bounds and frames agree. */
function sameAsZero(opt) {
  const b = opt.bounds();
  const atOrigin = inViewIds(opt, { x: 0, y: 0, zoom: 1 }, { width: 100, height: 40 });
  const left = inViewIds(opt, { x: 100, y: 0, zoom: 1 }, { width: 100, height: 40 }); // view [-100, 0]: touches only
  return b.x === 0 && b.y === 0 && b.width === 100 && b.height === 40 && opt.nodesInRect({ x: 0, y: 0, width: 100, height: 40 }).join() === 'x' && atOrigin.join() === 'x' && left.length === 0;
}

/** An empty workflow: frames with nothing in them at any zoom, no bounds. */
function emptyFrames(opt) {
  const size = { width: 800, height: 600 };
  return [1, 0.05].every((zoom) => {
    const f = opt.frame({ x: 0, y: 0, zoom }, size);
    return f.visibleIds.length === 0 && f.inView.length === 0 && f.visibleEdgeIds.length === 0 && f.mountedEdgeIds.length === 0 && f.stats.total === 0 && !(f.clusters?.glyphs?.length);
  }) && opt.bounds() === null && opt.nodesInRect({ x: -1e6, y: -1e6, width: 2e6, height: 2e6 }, true).length === 0;
}

/**
 * Run every row against `api` (the package entry). Returns one result per
 * row: `{ group, input, expected, got, ok, why }`; the caller asserts.
 */
export function runMatrix(api) {
  return MATRIX.map((row) => {
    const opt = new api.WorkflowOptimizer(row.capped ? { workflow: { maxNodes: 3 } } : undefined);
    opt.setWorkflow(BASE);
    const before = state(opt);
    const expected = row.code ? `${row.code}${row.path !== undefined ? ` at ${row.path}` : ''}` : row.outcome;
    let result, error;
    try {
      result = row.call(api, opt);
    } catch (err) {
      error = err;
    }
    const out = { group: row.group, input: row.input, expected, ok: false, why: '' };
    let d;
    try {
      if (row.code) {
        if (!(error instanceof api.FlowscaleError)) {
          out.got = error ? `${error.name}: ${error.message}` : 'no error';
          out.why = 'expected a FlowscaleError';
          return out;
        }
        out.got = `${error.code}${error.path !== undefined ? ` at ${error.path}` : ''}`;
        if (error.code !== row.code) out.why = 'wrong code';
        else if (row.path !== undefined && error.path !== row.path) out.why = 'wrong path';
        else if (!(error instanceof Error) || !error.message) out.why = 'not an Error with a message';
        else if ((d = diff(before, state(opt)))) out.why = `previous state not intact (${d})`;
        else out.ok = stillFrames(opt);
      } else {
        out.got = error ? `${error.code ?? error.name} ${error.message}` : 'accepted';
        if (error) out.why = 'expected acceptance';
        else if (!row.accepts(opt, result)) out.why = 'accepted, but not as documented';
        else if (row.unchanged && (d = diff(before, state(opt)))) out.why = `accepted, but the workflow changed (${d})`;
        else out.ok = stillFrames(opt);
      }
    } catch (err) {
      out.why = `the optimizer broke afterwards: ${err}`;
    }
    return out;
  });
}

/** Frames still answer, over the whole workflow, and list every shown node. */
function stillFrames(opt) {
  const b = opt.bounds();
  const shown = opt.snapshot().nodes.filter((x) => !x.hidden).length;
  if (!b) return shown === 0;
  const zoom = Math.min(1, 3000 / Math.max(b.width, b.height, 1));
  const f = opt.frame({ x: -b.x * zoom + 10, y: -b.y * zoom + 10, zoom }, { width: b.width * zoom + 20, height: b.height * zoom + 20 });
  return f.stats.total === shown && opt.frameDetail().inView.length === shown;
}

/** The matrix as a Markdown table (docs/reliability.md). */
export function matrixTable(results) {
  const rows = results.map((r) => `| ${r.group} | ${r.input.replace(/\|/g, '\\|')} | ${r.expected} | ${r.ok ? 'yes' : `NO: ${r.why}`} |`);
  return ['| group | input | outcome | holds |', '|---|---|---|---|', ...rows].join('\n');
}
