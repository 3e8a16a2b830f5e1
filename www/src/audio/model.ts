// The audio graph: node kinds, their typed handles and parameters. A node's
// React Flow `type` is its kind, so the GPU layer can colour nodes by kind
// (palette.types) and zoom-level clusters can name their members' kinds.
import { Position, type Edge, type Node } from '@xyflow/react';

export const AUDIO_KINDS = ['oscillator', 'sampler', 'filter', 'effect', 'gain', 'mixer', 'bus', 'output'] as const;
export type AudioKind = (typeof AUDIO_KINDS)[number];

/** What flows through a handle: audio signal, or a control (modulation) signal. */
export type SignalType = 'audio' | 'control';

export interface HandleSpec {
  id: string;
  signal: SignalType;
  side: Position;
  label: string;
}

export interface ParamSpec {
  key: string;
  label: string;
  min: number;
  max: number;
  step: number;
  unit: string;
}

export interface KindSpec {
  label: string;
  /** Node fill and accent (also the GPU layer's palette). */
  fill: string;
  accent: string;
  inputs: HandleSpec[];
  outputs: HandleSpec[];
  params: ParamSpec[];
}

const audioIn: HandleSpec = { id: 'in', signal: 'audio', side: Position.Left, label: 'audio in' };
const audioOut: HandleSpec = { id: 'out', signal: 'audio', side: Position.Right, label: 'audio out' };
const control = (id: string, label: string): HandleSpec => ({ id, signal: 'control', side: Position.Top, label });

export const KINDS: Record<AudioKind, KindSpec> = {
  oscillator: {
    label: 'Oscillator',
    fill: '#eef4ff',
    accent: '#3b6fd8',
    inputs: [control('fm', 'frequency mod')],
    outputs: [audioOut],
    params: [{ key: 'frequency', label: 'freq', min: 20, max: 2000, step: 1, unit: 'Hz' }],
  },
  sampler: {
    label: 'Sampler',
    fill: '#f1ecff',
    accent: '#7048c8',
    inputs: [control('trigger', 'trigger')],
    outputs: [audioOut],
    params: [{ key: 'pitch', label: 'pitch', min: -24, max: 24, step: 1, unit: 'st' }],
  },
  filter: {
    label: 'Filter',
    fill: '#e9f8f1',
    accent: '#1e8a5a',
    inputs: [audioIn, control('cutoffMod', 'cutoff mod')],
    outputs: [audioOut],
    params: [{ key: 'cutoff', label: 'cutoff', min: 20, max: 20000, step: 10, unit: 'Hz' }],
  },
  effect: {
    label: 'Effect',
    fill: '#fff4e6',
    accent: '#c7700f',
    inputs: [audioIn],
    outputs: [audioOut],
    params: [{ key: 'mix', label: 'mix', min: 0, max: 100, step: 1, unit: '%' }],
  },
  gain: {
    label: 'Gain',
    fill: '#fdecee',
    accent: '#c43a4f',
    inputs: [audioIn, control('gainMod', 'gain mod')],
    outputs: [audioOut],
    params: [{ key: 'gain', label: 'gain', min: -60, max: 12, step: 0.5, unit: 'dB' }],
  },
  mixer: {
    label: 'Mixer',
    fill: '#eaf6fb',
    accent: '#1b7ea6',
    inputs: [audioIn],
    outputs: [audioOut],
    params: [{ key: 'level', label: 'level', min: -60, max: 12, step: 0.5, unit: 'dB' }],
  },
  bus: {
    label: 'Bus',
    fill: '#f3f3f1',
    accent: '#59584f',
    inputs: [audioIn],
    outputs: [audioOut],
    params: [{ key: 'level', label: 'level', min: -60, max: 12, step: 0.5, unit: 'dB' }],
  },
  output: {
    label: 'Output',
    fill: '#272a33',
    accent: '#f0b429',
    inputs: [audioIn],
    outputs: [],
    params: [{ key: 'volume', label: 'volume', min: -60, max: 0, step: 0.5, unit: 'dB' }],
  },
};

export interface AudioNodeData extends Record<string, unknown> {
  label: string;
  kind: AudioKind;
  /** Parameter values by ParamSpec.key. */
  params: Record<string, number>;
}

export type AudioNode = Node<AudioNodeData, AudioKind>;

/** A workflow as the editor holds it. Imported workflows may carry other node types (drawn as generic nodes). */
export interface Workflow {
  nodes: Node[];
  edges: Edge[];
}

/** Every node the app creates has this box: React Flow sizes the node's element to it, the GPU draws the same box. */
export const NODE_WIDTH = 180;
export const NODE_HEIGHT = 64;

export function isAudioKind(v: unknown): v is AudioKind {
  return typeof v === 'string' && (AUDIO_KINDS as readonly string[]).includes(v);
}

export function defaultParams(kind: AudioKind): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of KINDS[kind].params) out[p.key] = defaultValue(kind, p);
  return out;
}

function defaultValue(kind: AudioKind, p: ParamSpec): number {
  if (kind === 'oscillator') return 440;
  if (kind === 'filter') return 1200;
  if (p.key === 'mix') return 35;
  if (p.min < 0 && p.max > 0) return 0;
  return p.min;
}

export function makeAudioNode(id: string, kind: AudioKind, x: number, y: number, label?: string): AudioNode {
  return {
    id,
    type: kind,
    position: { x, y },
    sourcePosition: Position.Right,
    targetPosition: Position.Left,
    width: NODE_WIDTH,
    height: NODE_HEIGHT,
    data: { label: label ?? KINDS[kind].label, kind, params: defaultParams(kind) },
  };
}

/** The signal type of a handle of a node of `kind`, or null when the kind has no such handle. */
export function handleSignal(kind: AudioKind, handleId: string | null | undefined, direction: 'source' | 'target'): SignalType | null {
  const list = direction === 'source' ? KINDS[kind].outputs : KINDS[kind].inputs;
  const h = handleId == null ? list[0] : list.find((x) => x.id === handleId);
  return h?.signal ?? null;
}

/** GPU palette: each kind's colours, so the GPU layer looks like the DOM nodes it stands in for. */
export function gpuPalette(): Record<string, { fill: string; border: string }> {
  const out: Record<string, { fill: string; border: string }> = {};
  for (const k of AUDIO_KINDS) out[k] = { fill: KINDS[k].fill, border: KINDS[k].accent };
  return out;
}
