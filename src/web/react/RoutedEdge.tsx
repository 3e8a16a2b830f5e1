// Edges that follow the lanes layoutWorkflow reserved for them. A long edge
// of a layered layout passes through the layers between its ends; the layout
// keeps a lane free for it there (its dummy nodes) and returns the bend
// points as `routes`. Drawn as React Flow's default bezier, such an edge cuts
// straight across the nodes of every layer in between; drawn through its
// bends it stays in its lane.
import { BaseEdge, getBezierPath, type Edge, type EdgeProps } from '@xyflow/react';
import * as React from 'react';
import type { LayoutResult } from 'flowscale';

/** The `type` withRoutes gives routed edges; register FlowscaleRoutedEdge under it in `edgeTypes`. */
export const ROUTED_EDGE_TYPE = 'flowscale-routed';

/** A routed edge's data: its bend points, absolute flow coordinates, x0, y0, x1, y1, …, and the type it had. */
export interface RoutedEdgeData extends Record<string, unknown> {
  route?: number[];
  /** The edge's own `type` before withRoutes gave it the routed one (undefined: it had none). */
  routedFrom?: string;
}

/**
 * The edges with their layout routes: an edge that bends (it spans more than
 * one layer gap) gets `type: ROUTED_EDGE_TYPE` and its interior bend points
 * in `data.route` (its own type kept in `data.routedFrom`); an edge that a
 * previous layout routed and this one does not gets its own type back and
 * loses `data.route`; the others come back as they were (the same objects).
 * `edges` must be the array given to layoutWorkflow (routes are per edge, in
 * order). The route's ends are the nodes' sides as the layout placed them:
 * React Flow's own handle positions replace them when drawn.
 */
export function withRoutes<E extends Edge>(edges: E[], routes: LayoutResult['routes'], options: { type?: string } = {}): E[] {
  const type = options.type ?? ROUTED_EDGE_TYPE;
  const { offsets, points } = routes;
  return edges.map((e, i) => {
    const data = e.data as RoutedEdgeData | undefined;
    const routed = data !== undefined && data.route !== undefined;
    // Point k of edge i is points[2k], points[2k + 1] for k in offsets[i] .. offsets[i + 1].
    const from = (offsets[i] ?? 0) + 1;
    const to = (offsets[i + 1] ?? 0) - 1;
    if (to <= from) {
      if (!routed) return e;
      // Straight now: the stale route goes, and the edge's own type comes back.
      const { route: _route, routedFrom, ...rest } = data;
      const { type: _type, ...edge } = e;
      return (routedFrom === undefined ? { ...edge, data: rest } : { ...edge, type: routedFrom, data: rest }) as unknown as E;
    }
    const route: number[] = [];
    for (let k = from; k < to; k++) route.push(points[2 * k]!, points[2 * k + 1]!);
    const routedFrom = routed ? data.routedFrom : e.type;
    const nextData: RoutedEdgeData = { ...e.data, route };
    if (routedFrom === undefined) delete nextData.routedFrom;
    else nextData.routedFrom = routedFrom;
    return { ...e, type, data: nextData };
  });
}

/** The point halfway along a polyline (x0, y0, x1, y1, …): where a routed edge's label goes. */
export function polylineMidpoint(pts: readonly number[]): [number, number] {
  let total = 0;
  for (let k = 2; k + 1 < pts.length; k += 2) total += Math.hypot(pts[k]! - pts[k - 2]!, pts[k + 1]! - pts[k - 1]!);
  let left = total / 2;
  for (let k = 2; k + 1 < pts.length; k += 2) {
    const len = Math.hypot(pts[k]! - pts[k - 2]!, pts[k + 1]! - pts[k - 1]!);
    if (len >= left && len > 0) {
      const t = left / len;
      return [pts[k - 2]! + (pts[k]! - pts[k - 2]!) * t, pts[k - 1]! + (pts[k + 1]! - pts[k - 1]!) * t];
    }
    left -= len;
  }
  return [pts[0] ?? 0, pts[1] ?? 0];
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

/** React Flow edge component for routed edges (no route: React Flow's default bezier), label and all. */
export function FlowscaleRoutedEdge(props: EdgeProps<Edge<RoutedEdgeData>>) {
  const { id, sourceX, sourceY, targetX, targetY, sourcePosition, targetPosition, data, markerEnd, markerStart, style, interactionWidth } = props;
  const { label, labelStyle, labelShowBg, labelBgStyle, labelBgPadding, labelBgBorderRadius } = props;
  const route = data?.route;
  let path: string, labelX: number, labelY: number;
  if (route && route.length >= 2) {
    path = routedPath(sourceX, sourceY, route, targetX, targetY);
    [labelX, labelY] = polylineMidpoint([sourceX, sourceY, ...route, targetX, targetY]);
  } else {
    [path, labelX, labelY] = getBezierPath({ sourceX, sourceY, targetX, targetY, sourcePosition, targetPosition });
  }
  return (
    <BaseEdge
      id={id}
      path={path}
      labelX={labelX}
      labelY={labelY}
      markerEnd={markerEnd}
      markerStart={markerStart}
      style={style}
      label={label}
      labelStyle={labelStyle}
      labelShowBg={labelShowBg}
      labelBgStyle={labelBgStyle}
      labelBgPadding={labelBgPadding}
      labelBgBorderRadius={labelBgBorderRadius}
      interactionWidth={interactionWidth}
    />
  );
}
