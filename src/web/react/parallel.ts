// Parallel edges drawn as one: for a window whose edges run many times
// between the same handles (generated and imported workflows often do),
// React mounts one edge per pair of handles instead of one per edge.
import type { Edge } from '@xyflow/react';

/**
 * The edges with parallel ones (same source, target and handles) merged into
 * the first of them, thicker and labelled with their count (`×3`; the count
 * also in `data.merged`). An edge without a twin stays the same object. For
 * setDocument's `mountEdges`; O(edges).
 */
export function mergeParallelEdges<E extends Edge>(edges: E[]): E[] {
  const at = new Map<string, number>();
  const out: E[] = [];
  const counts: number[] = [];
  for (const e of edges) {
    const key = `${e.source}\u0000${e.sourceHandle ?? ''}\u0000${e.target}\u0000${e.targetHandle ?? ''}`;
    const k = at.get(key);
    if (k === undefined) {
      at.set(key, out.length);
      out.push(e);
      counts.push(1);
    } else counts[k]! += 1;
  }
  return out.map((e, k) => {
    const n = counts[k]!;
    return n === 1 ? e : { ...e, label: `×${n}`, style: { ...e.style, strokeWidth: Math.min(1 + n, 6) }, data: { ...e.data, merged: n } };
  });
}
