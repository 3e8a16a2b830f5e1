// A workflow as columns, to cross into a Web Worker cheaply: structured
// clone of a million node objects costs seconds on the sending thread, a
// few typed arrays (transferred, not copied) and two strings cost
// milliseconds. Only what layout and analysis read travels: ids, types,
// positions, sizes, parents, hidden flags and the edges' ends.
import type { Edge, Node, Viewport } from '@xyflow/react';

export interface PackedWorkflow {
  /** Node ids joined by U+0000, or a JSON array when an id contains U+0000. */
  ids: string;
  types: string[];
  /** Per node: index into `types`, or 0xFFFF_FFFF for none. */
  typeOf: Uint32Array;
  /** x0, y0, x1, y1, … (React Flow `position`, parent-relative). */
  xy: Float64Array;
  /** width, height per node; NaN where absent. */
  size: Float64Array;
  /** Per node: index of its parent, or -1. */
  parent: Int32Array;
  hidden: Uint8Array;
  edgeIds: string;
  source: Uint32Array;
  target: Uint32Array;
  edgeHidden: Uint8Array;
  viewport: Viewport | null;
}

/** U+0000 then the ids joined by U+0000 (a native join: cheap for a million ids), or JSON when an id contains U+0000. */
function joinIds(ids: string[]): string {
  if (ids.length === 0) return '';
  for (const id of ids) if (id.includes('\0')) return JSON.stringify(ids);
  return '\0' + ids.join('\0');
}

export function splitIds(s: string): string[] {
  if (s === '') return [];
  return s[0] === '\0' ? s.slice(1).split('\0') : (JSON.parse(s) as string[]);
}

const NONE = 0xffffffff;

export function packWorkflow(nodes: Node[], edges: Edge[], viewport: Viewport | null = null): PackedWorkflow {
  const n = nodes.length;
  const ids = new Array<string>(n);
  const index = new Map<string, number>();
  const types: string[] = [];
  const typeIndex = new Map<string, number>();
  const typeOf = new Uint32Array(n);
  const xy = new Float64Array(2 * n);
  const size = new Float64Array(2 * n);
  const parent = new Int32Array(n);
  const hidden = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const node = nodes[i]!;
    ids[i] = node.id;
    index.set(node.id, i);
    const t = node.type;
    if (t === undefined) typeOf[i] = NONE;
    else {
      let k = typeIndex.get(t);
      if (k === undefined) {
        k = types.length;
        types.push(t);
        typeIndex.set(t, k);
      }
      typeOf[i] = k;
    }
    xy[2 * i] = node.position.x;
    xy[2 * i + 1] = node.position.y;
    size[2 * i] = node.measured?.width ?? node.width ?? node.initialWidth ?? NaN;
    size[2 * i + 1] = node.measured?.height ?? node.height ?? node.initialHeight ?? NaN;
    hidden[i] = node.hidden ? 1 : 0;
  }
  for (let i = 0; i < n; i++) {
    const p = nodes[i]!.parentId;
    parent[i] = p === undefined ? -1 : (index.get(p) ?? -1);
  }
  const m = edges.length;
  const edgeIds = new Array<string>(m);
  const source = new Uint32Array(m);
  const target = new Uint32Array(m);
  const edgeHidden = new Uint8Array(m);
  let k = 0;
  for (const e of edges) {
    const s = index.get(e.source);
    const t = index.get(e.target);
    if (s === undefined || t === undefined) continue;
    edgeIds[k] = e.id;
    source[k] = s;
    target[k] = t;
    edgeHidden[k] = e.hidden ? 1 : 0;
    k++;
  }
  edgeIds.length = k;
  return {
    ids: joinIds(ids),
    types,
    typeOf,
    xy,
    size,
    parent,
    hidden,
    edgeIds: joinIds(edgeIds),
    source: source.subarray(0, k),
    target: target.subarray(0, k),
    edgeHidden: edgeHidden.subarray(0, k),
    viewport,
  };
}

/** The buffers to transfer with a PackedWorkflow. */
export function transferables(p: PackedWorkflow): ArrayBuffer[] {
  const bufs = [p.typeOf, p.xy, p.size, p.parent, p.hidden, p.source, p.target, p.edgeHidden].map((a) => a.buffer as ArrayBuffer);
  return [...new Set(bufs)];
}

/** Minimal React Flow nodes and edges (what flowscale reads) from a PackedWorkflow. */
export function unpackWorkflow(p: PackedWorkflow): { nodes: Node[]; edges: Edge[] } {
  const n = p.typeOf.length;
  const ids = splitIds(p.ids);
  const nodes = new Array<Node>(n);
  for (let i = 0; i < n; i++) {
    const t = p.typeOf[i]!;
    const node: Node = { id: ids[i]!, position: { x: p.xy[2 * i]!, y: p.xy[2 * i + 1]! }, data: {} };
    if (t !== NONE) node.type = p.types[t];
    const w = p.size[2 * i]!, h = p.size[2 * i + 1]!;
    if (!Number.isNaN(w)) node.width = w;
    if (!Number.isNaN(h)) node.height = h;
    const par = p.parent[i]!;
    if (par >= 0) node.parentId = ids[par];
    if (p.hidden[i]) node.hidden = true;
    nodes[i] = node;
  }
  const m = p.source.length;
  const edgeIds = splitIds(p.edgeIds);
  const edges = new Array<Edge>(m);
  for (let k = 0; k < m; k++) {
    const e: Edge = { id: edgeIds[k]!, source: ids[p.source[k]!]!, target: ids[p.target[k]!]! };
    if (p.edgeHidden[k]) e.hidden = true;
    edges[k] = e;
  }
  return { nodes, edges };
}
