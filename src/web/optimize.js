// The JavaScript half of the optimizer exports (src/web/optimize.rs):
// small helpers that are cheaper on this side of the boundary.

/**
 * `workflow.nodes` with new positions: nodes whose `moved[i]` is set become
 * shallow copies with `position` from `xy` (x0, y0, x1, y1, …); the others
 * are returned as they are (children of groups, hidden nodes).
 */
export function withPositions(workflow, xy, moved) {
  const nodes = workflow.nodes;
  const out = new Array(nodes.length);
  for (let i = 0; i < nodes.length; i++) {
    out[i] = moved[i] ? { ...nodes[i], position: { x: xy[2 * i], y: xy[2 * i + 1] } } : nodes[i];
  }
  return out;
}

/** The caller's id strings for a list of indices (undefined where none). */
export function idsOf(ids, indices) {
  const out = new Array(indices.length);
  for (let i = 0; i < indices.length; i++) out[i] = ids[indices[i]];
  return out;
}

/** Options as JSON text for serde (functions such as onProgress drop out), and the callback. */
export function readOptions(options) {
  if (options === undefined || options === null) return { json: '{}', onProgress: null };
  if (typeof options !== 'object' || Array.isArray(options)) return { error: 'options must be an object' };
  const onProgress = options.onProgress;
  if (onProgress !== undefined && onProgress !== null && typeof onProgress !== 'function') {
    return { error: 'onProgress must be a function' };
  }
  // Only plain data goes on to serde; a function elsewhere would silently vanish.
  const { onProgress: _, ...rest } = options;
  return { json: JSON.stringify(rest), onProgress: onProgress ?? null };
}

let buffer = null, u32 = null, f64 = null;
function views(memory) {
  if (buffer !== memory.buffer) {
    buffer = memory.buffer;
    u32 = new Uint32Array(buffer);
    f64 = new Float64Array(buffer);
  }
}

/**
 * Clusters from the header Rust wrote at `h` (u32s: level, count of clusters,
 * pointers to ids, count, bounds (f64 × 4), center (f64 × 2), typeIds (× 3),
 * typeCounts (× 3), inViewCluster pointer and length, members as two u32
 * halves). One call across the boundary; the arrays are copied out.
 */
export function makeClusters(memory, h) {
  views(memory);
  const H = h >>> 2;
  const n = u32[H + 1];
  const a32 = (p, len) => u32.slice(p >>> 2, (p >>> 2) + len);
  const a64 = (p, len) => f64.slice(p >>> 3, (p >>> 3) + len);
  return {
    level: u32[H],
    ids: a32(u32[H + 2], n),
    count: a32(u32[H + 3], n),
    bounds: a64(u32[H + 4], 4 * n),
    center: a64(u32[H + 5], 2 * n),
    typeIds: a32(u32[H + 6], 3 * n),
    typeCounts: a32(u32[H + 7], 3 * n),
    inViewCluster: a32(u32[H + 8], u32[H + 9]),
    members: u32[H + 10] + u32[H + 11] * 4294967296,
  };
}
