// Routed edges (pkg/react/RoutedEdge.js, from src/web/react/RoutedEdge.tsx):
// after layoutWorkflow, an edge that spans several layers is drawn through
// the lane the layout kept for it. Oracle: geometry — the drawn polyline
// meets no node but its own two ends, while the straight line between the
// same handles cuts through the nodes in between.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { layoutWorkflow } from './flowscale.mjs';
import { withRoutes, routedPath, polylineMidpoint, FlowscaleRoutedEdge, ROUTED_EDGE_TYPE } from '../../pkg/react/RoutedEdge.js';
import { getBezierPath, Position } from '@xyflow/react';

const W = 150;
const H = 40;
const node = (id) => ({ id, position: { x: 0, y: 0 }, data: {}, width: W, height: H });

/** Does the segment (x0, y0)–(x1, y1) meet the rectangle's interior (Liang–Barsky clipping)? */
function segmentHitsRect(x0, y0, x1, y1, r) {
  let t0 = 0;
  let t1 = 1;
  const dx = x1 - x0;
  const dy = y1 - y0;
  for (const [p, q] of [[-dx, x0 - r.x], [dx, r.x + r.w - x0], [-dy, y0 - r.y], [dy, r.y + r.h - y0]]) {
    if (p === 0) {
      if (q <= 0) return false;
      continue;
    }
    const t = q / p;
    if (p < 0) t0 = Math.max(t0, t);
    else t1 = Math.min(t1, t);
    if (t0 >= t1) return false;
  }
  return true;
}

/** The points a path string visits (M, L and Q control and end points). */
function pathPoints(d) {
  const nums = d.match(/-?\d+(\.\d+)?(e-?\d+)?/g).map(Number);
  const pts = [];
  for (let k = 0; k + 1 < nums.length; k += 2) pts.push([nums[k], nums[k + 1]]);
  return pts;
}

test('a long edge is routed through its lane, around the nodes in between', () => {
  // a → b → c → d, and a → d past b and c; a second chain beside it so layers are shared.
  const nodes = ['a', 'b', 'c', 'd', 'p', 'q', 'r', 's'].map(node);
  const edges = [
    { id: 'ab', source: 'a', target: 'b' },
    { id: 'bc', source: 'b', target: 'c' },
    { id: 'cd', source: 'c', target: 'd' },
    { id: 'ad', source: 'a', target: 'd' },
    { id: 'pq', source: 'p', target: 'q' },
    { id: 'qr', source: 'q', target: 'r' },
    { id: 'rs', source: 'r', target: 's' },
    { id: 'as', source: 'a', target: 's' },
  ];
  const laid = layoutWorkflow({ nodes, edges }, { direction: 'LR' });
  const rect = Object.fromEntries(laid.nodes.map((n) => [n.id, { x: n.position.x, y: n.position.y, w: W, h: H }]));
  const routed = withRoutes(edges, laid.routes);

  // Edges between neighbouring layers keep their objects; long ones get the type and their bends.
  for (const id of ['ab', 'bc', 'cd', 'pq', 'qr', 'rs']) assert.equal(routed[edges.findIndex((e) => e.id === id)], edges.find((e) => e.id === id));
  const long = routed.filter((e) => e.type === ROUTED_EDGE_TYPE);
  assert.ok(long.length >= 1, 'at least one long edge bends');

  for (const e of long) {
    const s = rect[e.source];
    const t = rect[e.target];
    // React Flow's LR handles: the source's right side, the target's left side, at mid height.
    const [sx, sy, tx, ty] = [s.x + W, s.y + H / 2, t.x, t.y + H / 2];
    const pts = pathPoints(routedPath(sx, sy, e.data.route, tx, ty));
    const others = Object.entries(rect).filter(([id]) => id !== e.source && id !== e.target);
    for (let k = 0; k + 1 < pts.length; k++) {
      for (const [id, r] of others) {
        assert.equal(segmentHitsRect(pts[k][0], pts[k][1], pts[k + 1][0], pts[k + 1][1], r), false, `${e.id} crosses ${id}`);
      }
    }
  }
  // The oracle has teeth: drawn straight between the same handles, some long edge cuts through a node in between.
  const straightHits = long.some((e) => {
    const [s, t] = [rect[e.source], rect[e.target]];
    return Object.entries(rect).some(([id, r]) => id !== e.source && id !== e.target && segmentHitsRect(s.x + W, s.y + H / 2, t.x, t.y + H / 2, r));
  });
  assert.ok(straightHits, 'a straight line would cross a node: the routes matter here');
});

test('routedPath: through each bend, corners rounded, ends at the handles', () => {
  const d = routedPath(0, 0, [100, 0, 100, 100], 200, 100, 10);
  assert.match(d, /^M 0,0 L 90,0 Q 100,0 100,10 L 100,90 Q 100,100 110,100 L 200,100$/);
  // A bend closer than the radius rounds by half the segment, never past the next point.
  assert.match(routedPath(0, 0, [4, 0], 4, 100, 10), /^M 0,0 L 2,0 Q 4,0 4,10 L 4,100$/);
});

test('withRoutes keeps the edges it is given in order and their data', () => {
  const edges = [{ id: 'x', source: 'a', target: 'b', data: { weight: 3 } }, { id: 'y', source: 'a', target: 'c' }];
  const routes = { offsets: new Uint32Array([0, 2, 6]), points: new Float64Array([0, 0, 10, 0, 0, 0, 5, 5, 9, 9, 20, 20]) };
  const out = withRoutes(edges, routes);
  assert.equal(out[0], edges[0]);
  assert.deepEqual(out[1], { id: 'y', source: 'a', target: 'c', type: ROUTED_EDGE_TYPE, data: { route: [5, 5, 9, 9] } });
  assert.deepEqual(withRoutes([{ ...edges[0] }], { offsets: new Uint32Array([0, 3]), points: new Float64Array([0, 0, 1, 1, 2, 2]) }, { type: 'lane' })[0], { id: 'x', source: 'a', target: 'b', type: 'lane', data: { weight: 3, route: [1, 1] } });
});

test('withRoutes after a new layout: an edge that no longer bends loses its route and gets its own type back', () => {
  const edges = [
    { id: 'x', source: 'a', target: 'b', type: 'smoothstep', data: { weight: 3 } },
    { id: 'y', source: 'a', target: 'c' },
  ];
  const bent = { offsets: new Uint32Array([0, 3, 6]), points: new Float64Array([0, 0, 5, 5, 10, 0, 0, 0, 5, 5, 9, 9]) };
  const first = withRoutes(edges, bent);
  assert.deepEqual(first[0], { id: 'x', source: 'a', target: 'b', type: ROUTED_EDGE_TYPE, data: { weight: 3, route: [5, 5], routedFrom: 'smoothstep' } });
  assert.deepEqual(first[1], { id: 'y', source: 'a', target: 'c', type: ROUTED_EDGE_TYPE, data: { route: [5, 5] } });
  // Routed again: the original type stays the one kept, not the routed type.
  assert.equal(withRoutes(first, bent)[0].data.routedFrom, 'smoothstep');
  const straight = { offsets: new Uint32Array([0, 2, 4]), points: new Float64Array([0, 0, 10, 0, 0, 0, 9, 9]) };
  const second = withRoutes(withRoutes(first, bent), straight);
  assert.deepEqual(second[0], edges[0]);
  assert.deepEqual(second[1], { id: 'y', source: 'a', target: 'c', data: {} });
  assert.equal(second[1].type, undefined);
  // An edge never routed stays the same object.
  assert.equal(withRoutes(edges, straight)[0], edges[0]);
});

test('polylineMidpoint: halfway along the length', () => {
  assert.deepEqual(polylineMidpoint([0, 0, 10, 0]), [5, 0]);
  assert.deepEqual(polylineMidpoint([0, 0, 100, 0, 100, 100, 200, 100]), [100, 50]);
  assert.deepEqual(polylineMidpoint([0, 0, 30, 0, 30, 10]), [20, 0]);
  assert.deepEqual(polylineMidpoint([3, 4, 3, 4]), [3, 4]);
});

test('FlowscaleRoutedEdge gives BaseEdge the label, its place and its styling', () => {
  const props = {
    id: 'e1', source: 'a', target: 'b', sourceX: 0, sourceY: 0, targetX: 200, targetY: 100,
    sourcePosition: Position.Right, targetPosition: Position.Left,
    label: 'L', labelStyle: { fill: 'red' }, labelShowBg: false, labelBgStyle: { fill: 'blue' }, labelBgPadding: [4, 2], labelBgBorderRadius: 3,
    style: { stroke: 'green' }, interactionWidth: 11,
  };
  const routed = FlowscaleRoutedEdge({ ...props, data: { route: [100, 0, 100, 100] } }).props;
  assert.equal(routed.id, 'e1');
  assert.deepEqual([routed.labelX, routed.labelY], [100, 50]);
  for (const k of ['label', 'labelStyle', 'labelShowBg', 'labelBgStyle', 'labelBgPadding', 'labelBgBorderRadius', 'style', 'interactionWidth']) assert.equal(routed[k], props[k], k);
  const plain = FlowscaleRoutedEdge({ ...props, data: {} }).props;
  const [path, lx, ly] = getBezierPath(props);
  assert.deepEqual([plain.path, plain.labelX, plain.labelY], [path, lx, ly]);
  assert.equal(plain.labelBgPadding, props.labelBgPadding);
});
