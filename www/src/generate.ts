// Generated audio workflows: voices (oscillator or sampler → filter → effect →
// gain) feeding a mixer and a bus per strip; each strip's bus feeds the
// previous strip's bus (a chain of submixes) and the first one the output.
// Laid out in rows, so every edge is local, as in a real patch. Deterministic
// for a given size, so every run of the demo and its tests sees the same graph.
import { Position, type Edge, type Node } from '@xyflow/react';

export type AudioKind = 'oscillator' | 'sampler' | 'filter' | 'effect' | 'gain' | 'mixer' | 'bus' | 'output';

export interface AudioNodeData extends Record<string, unknown> {
  label: string;
  kind: AudioKind;
}

export type AudioNode = Node<AudioNodeData>;

export interface AudioWorkflow {
  nodes: AudioNode[];
  edges: Edge[];
}

const VOICE: AudioKind[] = ['oscillator', 'filter', 'effect', 'gain'];
const W = 150;
const H = 40;
const DX = 200;
const DY = 80;

/** A workflow of exactly `n` nodes. */
export function generateAudioWorkflow(n: number): AudioWorkflow {
  const nodes: AudioNode[] = [];
  const edges: Edge[] = [];
  // One "strip" = 8 voices of 4 nodes + a mixer + a bus = 34 nodes; strips tile a square.
  const perStrip = 34;
  const strips = Math.max(1, Math.ceil(n / perStrip));
  const cols = Math.max(1, Math.ceil(Math.sqrt(strips / 2)));
  for (let s = 0; s < strips && nodes.length < n; s++) {
    const ox = (s % cols) * DX * 7;
    const oy = Math.floor(s / cols) * DY * 9;
    const mixer = `s${s}-mixer`;
    const bus = `s${s}-bus`;
    for (let v = 0; v < 8 && nodes.length < n; v++) {
      let prev: string | null = null;
      for (let k = 0; k < VOICE.length && nodes.length < n; k++) {
        const kind: AudioKind = k === 0 && v % 3 === 2 ? 'sampler' : (VOICE[k] ?? 'gain');
        const id = `s${s}-v${v}-${kind}`;
        nodes.push(audioNode(id, kind, ox + k * DX, oy + v * DY));
        if (prev) edges.push({ id: `${prev}->${id}`, source: prev, target: id });
        prev = id;
      }
      if (prev && nodes.length < n) edges.push({ id: `${prev}->${mixer}`, source: prev, target: mixer });
    }
    if (nodes.length < n) nodes.push(audioNode(mixer, 'mixer', ox + 4 * DX, oy + 3.5 * DY));
    if (nodes.length < n) {
      nodes.push(audioNode(bus, 'bus', ox + 5 * DX, oy + 3.5 * DY));
      edges.push({ id: `${mixer}->${bus}`, source: mixer, target: bus });
      if (s > 0) edges.push({ id: `${bus}->s${s - 1}-bus`, source: bus, target: `s${s - 1}-bus` });
    }
    if (s === 0 && nodes.length < n) {
      nodes.push(audioNode('output', 'output', ox + 6 * DX, oy + 3.5 * DY));
      edges.push({ id: `${bus}->output`, source: bus, target: 'output' });
    }
  }
  // Edges whose ends were cut off by the size limit go too.
  const ids = new Set(nodes.map((x) => x.id));
  return { nodes, edges: edges.filter((e) => ids.has(e.source) && ids.has(e.target)) };
}

function audioNode(id: string, kind: AudioKind, x: number, y: number): AudioNode {
  return {
    id,
    type: 'default',
    position: { x, y },
    sourcePosition: Position.Right,
    targetPosition: Position.Left,
    width: W,
    height: H,
    data: { label: `${kind} ${id.slice(0, id.indexOf('-'))}`, kind },
  };
}
