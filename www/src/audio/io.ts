// React Flow JSON in and out. The format is what React Flow's `toObject()`
// gives: { nodes, edges, viewport }; `viewport` is optional on import.
// Validation is done before anything replaces the current workflow, with a
// message that names the offending field, as flowscale's own errors do.
import type { Edge, Node, Viewport } from '@xyflow/react';

export interface ImportedWorkflow {
  nodes: Node[];
  edges: Edge[];
  viewport: Viewport | null;
}

export class ImportError extends Error {
  constructor(
    message: string,
    readonly path?: string,
  ) {
    super(path ? `${path}: ${message}` : message);
    this.name = 'ImportError';
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isFiniteNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  return typeof v;
}

/** Where in the text a JSON syntax error is, as "line L, column C" (V8 reports a character position). */
function syntaxLocation(text: string, e: SyntaxError): string {
  const m = /position (\d+)/.exec(e.message);
  if (!m) return '';
  const pos = Number(m[1]);
  const before = text.slice(0, pos);
  const line = before.split('\n').length;
  const column = pos - before.lastIndexOf('\n');
  return ` (line ${line}, column ${column})`;
}

/** Parse and check React Flow JSON. Throws ImportError with a readable message. */
export function parseWorkflowJson(text: string): ImportedWorkflow {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    const where = e instanceof SyntaxError ? syntaxLocation(text, e) : '';
    throw new ImportError(`This file is not valid JSON${where}: ${e instanceof Error ? e.message : String(e)}`);
  }
  return checkWorkflow(value);
}

export function checkWorkflow(value: unknown): ImportedWorkflow {
  if (!isObject(value)) throw new ImportError(`expected a React Flow object { nodes, edges, viewport }, got ${describe(value)}`);
  const { nodes, edges = [], viewport } = value;
  if (!Array.isArray(nodes)) throw new ImportError(`expected an array of nodes, got ${describe(nodes)}`, 'nodes');
  if (!Array.isArray(edges)) throw new ImportError(`expected an array of edges, got ${describe(edges)}`, 'edges');
  const ids = new Set<string>();
  for (let i = 0; i < nodes.length; i++) {
    const n: unknown = nodes[i];
    const at = `nodes[${i}]`;
    if (!isObject(n)) throw new ImportError(`expected a node object, got ${describe(n)}`, at);
    if (typeof n.id !== 'string' || n.id === '') throw new ImportError(`a node needs a non-empty string id, got ${describe(n.id)}`, `${at}.id`);
    if (ids.has(n.id)) throw new ImportError(`two nodes have the id ${JSON.stringify(n.id)}`, `${at}.id`);
    ids.add(n.id);
    const p = n.position;
    if (!isObject(p)) throw new ImportError(`expected a position { x, y }, got ${describe(p)}`, `${at}.position`);
    if (!isFiniteNumber(p.x)) throw new ImportError(`expected a finite number, got ${describe(p.x)}`, `${at}.position.x`);
    if (!isFiniteNumber(p.y)) throw new ImportError(`expected a finite number, got ${describe(p.y)}`, `${at}.position.y`);
    for (const k of ['width', 'height'] as const) {
      const v = n[k];
      if (v !== undefined && v !== null && !(isFiniteNumber(v) && v >= 0)) {
        throw new ImportError(`expected a size of 0 or more, got ${describe(v)}`, `${at}.${k}`);
      }
    }
    if (n.data !== undefined && !isObject(n.data)) throw new ImportError(`expected an object, got ${describe(n.data)}`, `${at}.data`);
  }
  for (let i = 0; i < nodes.length; i++) {
    const parent = (nodes[i] as Record<string, unknown>).parentId;
    if (parent !== undefined && parent !== null && (typeof parent !== 'string' || !ids.has(parent))) {
      throw new ImportError(`the parent ${JSON.stringify(parent)} is not a node of this workflow`, `nodes[${i}].parentId`);
    }
  }
  const edgeIds = new Set<string>();
  for (let i = 0; i < edges.length; i++) {
    const e: unknown = edges[i];
    const at = `edges[${i}]`;
    if (!isObject(e)) throw new ImportError(`expected an edge object, got ${describe(e)}`, at);
    if (typeof e.id !== 'string' || e.id === '') throw new ImportError(`an edge needs a non-empty string id, got ${describe(e.id)}`, `${at}.id`);
    if (edgeIds.has(e.id)) throw new ImportError(`two edges have the id ${JSON.stringify(e.id)}`, `${at}.id`);
    edgeIds.add(e.id);
    for (const end of ['source', 'target'] as const) {
      if (typeof e[end] !== 'string' || !ids.has(e[end])) {
        throw new ImportError(`${describe(e[end])} is not a node of this workflow`, `${at}.${end}`);
      }
    }
  }
  let vp: Viewport | null = null;
  if (isObject(viewport) && isFiniteNumber(viewport.x) && isFiniteNumber(viewport.y) && isFiniteNumber(viewport.zoom) && viewport.zoom > 0) {
    vp = { x: viewport.x, y: viewport.y, zoom: viewport.zoom };
  }
  return { nodes: nodes as Node[], edges: edges as Edge[], viewport: vp };
}

/** React Flow JSON of a workflow (what `toObject()` gives), without React Flow's runtime fields. */
export function workflowToJson(nodes: Node[], edges: Edge[], viewport: Viewport): string {
  const cleanNodes = nodes.map((n) => {
    const { measured: _measured, selected: _selected, dragging: _dragging, ...rest } = n;
    return rest;
  });
  const cleanEdges = edges.map((e) => {
    const { selected: _selected, ...rest } = e;
    return rest;
  });
  return JSON.stringify({ nodes: cleanNodes, edges: cleanEdges, viewport });
}

/**
 * Handles each node needs, from the edges' handle ids: imported workflows
 * (n8n: out0, in1, ai_tool:out0 …) name handles the generic node must draw.
 */
export function handlesFromEdges(edges: Edge[]): Map<string, { inputs: string[]; outputs: string[] }> {
  const out = new Map<string, { inputs: string[]; outputs: string[] }>();
  const entry = (id: string) => {
    let h = out.get(id);
    if (!h) out.set(id, (h = { inputs: [], outputs: [] }));
    return h;
  };
  for (const e of edges) {
    if (e.sourceHandle) {
      const h = entry(e.source);
      if (!h.outputs.includes(e.sourceHandle)) h.outputs.push(e.sourceHandle);
    }
    if (e.targetHandle) {
      const h = entry(e.target);
      if (!h.inputs.includes(e.targetHandle)) h.inputs.push(e.targetHandle);
    }
  }
  return out;
}
