// Edges that follow the lanes layoutWorkflow reserved for them. A long edge
// of a layered layout passes through the layers between its ends; the layout
// keeps a lane free for it there (its dummy nodes) and returns the bend
// points as `routes`. Drawn as React Flow's default bezier, such an edge cuts
// straight across the nodes of every layer in between; drawn through its
// bends it stays in its lane.
import { BaseEdge, getBezierPath, type Edge, type EdgeProps } from '@xyflow/react';
import type { LayoutResult } from 'flowscale';

/** The `type` withRoutes gives routed edges; register FlowscaleRoutedEdge under it in `edgeTypes`. */
export const ROUTED_EDGE_TYPE = 'flowscale-routed';

/** A routed edge's data: its bend points, absolute flow coordinates, x0, y0, x1, y1, … */
export interface RoutedEdgeData extends Record<string, unknown> {
  route?: number[];
}

/**
 * The edges with their layout routes: an edge that bends (it spans more than
 * one layer gap) gets `type: ROUTED_EDGE_TYPE` and its interior bend points
 * in `data.route`; the others come back as they were (the same objects).
 * `edges` must be the array given to layoutWorkflow (routes are per edge, in
 * order). The route's ends are the nodes' sides as the layout placed them:
 * React Flow's own handle positions replace them when drawn.
 */
export function withRoutes<E extends Edge>(edges: E[], routes: LayoutResult['routes'], options: { type?: string } = {}): E[] {
  const type = options.type ?? ROUTED_EDGE_TYPE;
  const { offsets, points } = routes;
  return edges.map((e, i) => {
    // Point k of edge i is points[2k], points[2k + 1] for k in offsets[i] .. offsets[i + 1].
    const from = (offsets[i] ?? 0) + 1;
    const to = (offsets[i + 1] ?? 0) - 1;
    if (to <= from) return e;
    const route: number[] = [];
    for (let k = from; k < to; k++) route.push(points[2 * k]!, points[2 * k + 1]!);
    return { ...e, type, data: { ...e.data, route } };
  });
}

/** An SVG path from the source handle through the bends to the target handle, rounding each bend. */
export function routedPath(sx: number, sy: number, route: readonly number[], tx: number, ty: number, radius = 12): string {
  const pts: [number, number][] = [[sx, sy]];
  for (let k = 0; k + 1 < route.length; k += 2) pts.push([route[k]!, route[k + 1]!]);
  pts.push([tx, ty]);
  let d = `M ${sx},${sy}`;
  for (let k = 1; k < pts.length - 1; k++) {
    const [px, py] = pts[k - 1]!;
    const [x, y] = pts[k]!;
    const [nx, ny] = pts[k + 1]!;
    // Cut the corner by at most half of each adjoining segment.
    const r1 = Math.min(radius, Math.hypot(x - px, y - py) / 2);
    const r2 = Math.min(radius, Math.hypot(nx - x, ny - y) / 2);
    const a = toward(x, y, px, py, r1);
    const b = toward(x, y, nx, ny, r2);
    d += ` L ${a[0]},${a[1]} Q ${x},${y} ${b[0]},${b[1]}`;
  }
  return `${d} L ${tx},${ty}`;
}

function toward(x: number, y: number, ox: number, oy: number, r: number): [number, number] {
  const len = Math.hypot(ox - x, oy - y);
  return len === 0 ? [x, y] : [x + ((ox - x) / len) * r, y + ((oy - y) / len) * r];
}

/** React Flow edge component for routed edges (no route: React Flow's default bezier). */
export function FlowscaleRoutedEdge(props: EdgeProps<Edge<RoutedEdgeData>>) {
  const { sourceX, sourceY, targetX, targetY, sourcePosition, targetPosition, data, markerEnd, markerStart, style, label, interactionWidth } = props;
  const route = data?.route;
  const path =
    route && route.length >= 2
      ? routedPath(sourceX, sourceY, route, targetX, targetY)
      : getBezierPath({ sourceX, sourceY, targetX, targetY, sourcePosition, targetPosition })[0];
  return <BaseEdge path={path} markerEnd={markerEnd} markerStart={markerStart} style={style} label={label} interactionWidth={interactionWidth} />;
}
