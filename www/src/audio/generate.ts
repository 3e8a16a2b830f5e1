// Generated audio workflows: voices (oscillator or sampler → filter → effect →
// gain) feeding a mixer and a bus per strip; each strip's bus feeds the
// previous strip's bus (a chain of submixes) and the first one the output.
// Laid out in rows, so every edge is local, as in a real patch. Deterministic
// for a given size, so every run of the demo and its tests sees the same graph.
import type { Edge } from '@xyflow/react';
import type { WorkflowColumns } from 'flowscale';
import { AUDIO_KINDS, makeAudioNode, NODE_HEIGHT, NODE_WIDTH, type AudioKind, type AudioNode } from '@/audio/model';

export interface AudioWorkflow {
  nodes: AudioNode[];
  edges: Edge[];
}

const VOICE: AudioKind[] = ['oscillator', 'filter', 'effect', 'gain'];
const DX = NODE_WIDTH + 70;
const DY = NODE_HEIGHT + 36;
/** One strip = 8 voices of 4 nodes + a mixer + a bus = 34 nodes; strips tile a square. */
const PER_STRIP = 34;

function edge(source: string, target: string): Edge {
  return { id: `${source}->${target}`, source, target, sourceHandle: 'out', targetHandle: 'in' };
}

/** Strips [from, to) of a workflow of `n` nodes, appended to `out`. */
function strips(n: number, from: number, to: number, out: AudioWorkflow): void {
  const { nodes, edges } = out;
  const total = Math.max(1, Math.ceil(n / PER_STRIP));
  const cols = Math.max(1, Math.ceil(Math.sqrt(total / 2)));
  for (let s = from; s < to && nodes.length < n; s++) {
    const ox = (s % cols) * DX * 7;
    const oy = Math.floor(s / cols) * DY * 9;
    const mixer = `s${s}-mixer`;
    const bus = `s${s}-bus`;
    for (let v = 0; v < 8 && nodes.length < n; v++) {
      let prev: string | null = null;
      for (let k = 0; k < VOICE.length && nodes.length < n; k++) {
        const kind: AudioKind = k === 0 && v % 3 === 2 ? 'sampler' : (VOICE[k] ?? 'gain');
        const id = `s${s}-v${v}-${kind}`;
        nodes.push(makeAudioNode(id, kind, ox + k * DX, oy + v * DY, `${kind} ${s}.${v + 1}`));
        if (prev) edges.push(edge(prev, id));
        prev = id;
      }
      if (prev && nodes.length < n) edges.push(edge(prev, mixer));
    }
    if (nodes.length < n) nodes.push(makeAudioNode(mixer, 'mixer', ox + 4 * DX, oy + 3.5 * DY, `mixer ${s}`));
    if (nodes.length < n) {
      nodes.push(makeAudioNode(bus, 'bus', ox + 5 * DX, oy + 3.5 * DY, `bus ${s}`));
      edges.push(edge(mixer, bus));
      if (s > 0) edges.push(edge(bus, `s${s - 1}-bus`));
    }
    if (s === 0 && nodes.length < n) {
      nodes.push(makeAudioNode('output', 'output', ox + 6 * DX, oy + 3.5 * DY, 'master out'));
      edges.push(edge(bus, 'output'));
    }
  }
}

/**
 * Edges whose ends were cut off by the size limit go too. Only the last
 * strip can be cut, and its edges are the last ones pushed (earlier edges
 * point at nodes of complete strips), so only those are checked.
 */
function trim(w: AudioWorkflow): AudioWorkflow {
  const tail = Math.min(w.edges.length, 2 * PER_STRIP);
  const ids = new Set<string>();
  for (let i = Math.max(0, w.nodes.length - 2 * PER_STRIP); i < w.nodes.length; i++) ids.add(w.nodes[i]!.id);
  const head = w.edges.length - tail;
  const kept = w.edges.slice(head).filter((e) => {
    // Ends outside the last two strips exist (their strips are complete).
    const known = (id: string) => ids.has(id) || !isRecent(id, w);
    return known(e.source) && known(e.target);
  });
  w.edges.length = head;
  for (const e of kept) w.edges.push(e);
  return w;
}

/** Whether a node id belongs to the last two strips generated (or would have). */
function isRecent(id: string, w: AudioWorkflow): boolean {
  const last = w.nodes.at(-1)?.id ?? '';
  const strip = (x: string) => (x === 'output' ? 0 : Number(x.slice(1, x.indexOf('-'))));
  return strip(id) >= strip(last) - 1;
}

/** A workflow of exactly `n` nodes, at once. */
export function generateAudioWorkflow(n: number): AudioWorkflow {
  const out: AudioWorkflow = { nodes: [], edges: [] };
  strips(n, 0, Math.ceil(n / PER_STRIP), out);
  return trim(out);
}

/** Yield to the browser so input and painting go on between chunks of work. */
export function yieldToBrowser(): Promise<void> {
  const s = (globalThis as { scheduler?: { yield?: () => Promise<void> } }).scheduler;
  if (s?.yield) return s.yield();
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/**
 * The same workflow, generated in chunks of about `chunk` nodes with a yield
 * between chunks (no long task). `onChunk` hears the fraction done and the
 * workflow so far (its last edges may point at nodes not generated yet); a
 * promise it returns is awaited before the next chunk.
 */
export async function generateAudioWorkflowInChunks(
  n: number,
  onChunk: (fraction: number, sofar: AudioWorkflow) => void | Promise<void>,
  signal?: AbortSignal,
  chunk = 10_000,
): Promise<AudioWorkflow> {
  const out: AudioWorkflow = { nodes: [], edges: [] };
  const total = Math.ceil(n / PER_STRIP);
  const step = Math.max(1, Math.floor(chunk / PER_STRIP));
  for (let s = 0; s < total; s += step) {
    strips(n, s, Math.min(total, s + step), out);
    await onChunk(out.nodes.length / n, out);
    await yieldToBrowser();
    signal?.throwIfAborted();
  }
  return trim(out);
}

/** A copy of a partly generated workflow with only the edges whose ends both exist. */
export function closedPart(w: AudioWorkflow): AudioWorkflow {
  const ids = new Set<string>();
  for (const n of w.nodes) ids.add(n.id);
  return { nodes: w.nodes.slice(), edges: w.edges.filter((e) => ids.has(e.source) && ids.has(e.target)) };
}

/** The first index of strip `s` (strip 0 is followed by the output node). */
function stripStart(s: number): number {
  return s === 0 ? 0 : PER_STRIP + 1 + (s - 1) * PER_STRIP;
}

/** Where a generated node sits, from its id alone (-1: not a generated id). */
function generatedIndex(id: string): number {
  if (id === 'output') return PER_STRIP;
  const dash = id.indexOf('-');
  if (id[0] !== 's' || dash < 0) return -1;
  const s = Number(id.slice(1, dash));
  const rest = id.slice(dash + 1);
  if (rest === 'mixer') return stripStart(s) + 32;
  if (rest === 'bus') return stripStart(s) + 33;
  const v = Number(rest.slice(1, rest.indexOf('-')));
  const kind = rest.slice(rest.indexOf('-') + 1);
  const k = kind === 'sampler' ? 0 : VOICE.indexOf(kind as AudioKind);
  return Number.isInteger(s) && Number.isInteger(v) && k >= 0 ? stripStart(s) + v * VOICE.length + k : -1;
}

/**
 * The workflow as columns for flowscale (`setWorkflowAsync` takes them with
 * no walk over the node objects and no id table). Edge ends are found from
 * the generated ids' structure and checked against the nodes; null when one
 * does not match (the caller then hands over the objects).
 */
export async function workflowColumns(w: AudioWorkflow, signal?: AbortSignal, chunk = 100_000): Promise<WorkflowColumns | null> {
  const n = w.nodes.length;
  const ids = new Array<string>(n);
  const x = new Float64Array(n), y = new Float64Array(n);
  const type = new Uint8Array(n);
  const kindIndex = new Map<string, number>(AUDIO_KINDS.map((k, i) => [k, i]));
  for (let i = 0; i < n; i++) {
    const node = w.nodes[i]!;
    ids[i] = node.id;
    x[i] = node.position.x;
    y[i] = node.position.y;
    type[i] = kindIndex.get(node.type ?? '') ?? 0;
    if (i % chunk === chunk - 1) {
      await yieldToBrowser();
      signal?.throwIfAborted();
    }
  }
  const m = w.edges.length;
  const source = new Uint32Array(m), target = new Uint32Array(m);
  const edgeIds = new Array<string>(m);
  for (let k = 0; k < m; k++) {
    const e = w.edges[k]!;
    const s = generatedIndex(e.source), t = generatedIndex(e.target);
    if (s < 0 || t < 0 || w.nodes[s]?.id !== e.source || w.nodes[t]?.id !== e.target) return null;
    source[k] = s;
    target[k] = t;
    edgeIds[k] = e.id;
    if (k % chunk === chunk - 1) {
      await yieldToBrowser();
      signal?.throwIfAborted();
    }
  }
  return {
    nodes: {
      ids,
      x,
      y,
      width: new Float64Array(n).fill(NODE_WIDTH),
      height: new Float64Array(n).fill(NODE_HEIGHT),
      types: [...AUDIO_KINDS],
      type,
      // Handles on the right (outputs) and left (inputs), as makeAudioNode.
      sourcePosition: new Uint8Array(n).fill(1),
      targetPosition: new Uint8Array(n).fill(3),
    },
    edges: { ids: edgeIds, source, target },
  };
}
