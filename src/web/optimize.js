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
