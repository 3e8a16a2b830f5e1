// Custom node components. Detail comes from the frame (flowscale/react's
// useFlowscaleDetail; always full in plain React Flow):
//   full  — header, typed handles and the node's controls,
//   label — header and handles only,
//   (low) — not mounted at all: the GPU layer draws the node's box.
// Every node has a fixed box (width/height), so React Flow's element and the
// GPU rectangle are the same size at any detail.
import { Handle, NodeToolbar, Position, type Node, type NodeProps } from '@xyflow/react';
import { memo, useCallback, type CSSProperties } from 'react';
import { useFlowscaleDetail } from 'flowscale/react';
import { defaultParams, isAudioKind, KINDS, type AudioKind, type HandleSpec, type ParamSpec } from '@/audio/model';
import { useAudioStore } from '@/store/audioStore';

function handleStyle(h: HandleSpec, k: number, count: number): CSSProperties | undefined {
  if (h.side !== Position.Top) return undefined;
  // Control inputs spread along the top edge.
  return { left: `${((k + 1) * 100) / (count + 1)}%` };
}

function Param({ nodeId, spec, value }: { nodeId: string; spec: ParamSpec; value: number }) {
  const updateParam = useAudioStore((s) => s.updateParam);
  const onChange = useCallback((e: React.ChangeEvent<HTMLInputElement>) => updateParam(nodeId, spec.key, Number(e.target.value)), [updateParam, nodeId, spec.key]);
  return (
    <label className="param nodrag">
      <span className="param__name">{spec.label}</span>
      <input
        className="nodrag nopan"
        type="range"
        min={spec.min}
        max={spec.max}
        step={spec.step}
        value={value}
        onChange={onChange}
        aria-label={`${spec.label} of ${nodeId}`}
      />
      <span className="param__value">
        {value}
        {spec.unit}
      </span>
    </label>
  );
}

/** A parameter's value as imported: a finite number, or the default (an imported file may hold anything). */
function paramValue(params: unknown, key: string, fallback: number): number {
  const v = typeof params === 'object' && params !== null ? (params as Record<string, unknown>)[key] : undefined;
  return typeof v === 'number' && Number.isFinite(v) ? v : fallback;
}

// Props are typed as any node's: imported files put anything in `data`, so every field is checked here.
function AudioNodeView({ id, type, data, selected }: NodeProps<Node>) {
  const detail = useFlowscaleDetail(id);
  const kind: AudioKind = isAudioKind(type) ? type : isAudioKind(data.kind) ? data.kind : 'effect';
  const spec = KINDS[kind];
  const defaults = defaultParams(kind);
  // Labels are rendered as text (React escapes them): markup in an imported label stays text.
  const label = typeof data.label === 'string' ? data.label : id;
  const topInputs = spec.inputs.filter((h) => h.side === Position.Top);
  const style = { '--accent': spec.accent, '--fill': spec.fill } as CSSProperties;
  return (
    <div className={`audio-node detail-${detail}${selected ? ' is-selected' : ''}${kind === 'output' ? ' is-dark' : ''}`} style={style} data-detail={detail}>
      {spec.inputs.map((h) => (
        <Handle
          key={h.id}
          id={h.id}
          type="target"
          position={h.side}
          className={`handle signal-${h.signal}`}
          style={handleStyle(h, topInputs.indexOf(h), topInputs.length)}
          title={`${h.label} (${h.signal})`}
        />
      ))}
      <div className="audio-node__header">
        <span className="audio-node__kind">{spec.label}</span>
        <span className="audio-node__label">{label}</span>
      </div>
      {detail === 'full' &&
        spec.params.map((p) => <Param key={p.key} nodeId={id} spec={p} value={paramValue(data.params, p.key, defaults[p.key] ?? p.min)} />)}
      {spec.outputs.map((h) => (
        <Handle key={h.id} id={h.id} type="source" position={h.side} className={`handle signal-${h.signal}`} title={`${h.label} (${h.signal})`} />
      ))}
    </div>
  );
}

/** Nodes of types this editor does not know (imported workflows): label, kind, and the handles their edges use. */
function GenericNodeView({ id, data, type, selected }: NodeProps<Node>) {
  const detail = useFlowscaleDetail(id);
  const handles = useAudioStore((s) => s.genericHandles.get(id));
  const inputs = handles?.inputs.length ? handles.inputs : [null];
  const outputs = handles?.outputs.length ? handles.outputs : [null];
  const label = typeof data.label === 'string' ? data.label : id;
  return (
    <div className={`generic-node detail-${detail}${selected ? ' is-selected' : ''}`} data-detail={detail}>
      {inputs.map((h, k) => (
        <Handle key={h ?? 'in'} id={h} type="target" position={Position.Left} style={{ top: `${((k + 1) * 100) / (inputs.length + 1)}%` }} />
      ))}
      <div className="generic-node__label">{label}</div>
      {detail === 'full' && type && <div className="generic-node__type">{type}</div>}
      {outputs.map((h, k) => (
        <Handle key={h ?? 'out'} id={h} type="source" position={Position.Right} style={{ top: `${((k + 1) * 100) / (outputs.length + 1)}%` }} />
      ))}
    </div>
  );
}

/** A group (React Flow parent): moved as one; collapsed, its members are hidden and it shrinks to a title bar. */
function GroupNodeView({ id, data }: NodeProps<Node>) {
  const toggleGroup = useAudioStore((s) => s.toggleGroup);
  const collapsed = data.collapsed === true;
  // In a toolbar: it is drawn above the edges that members' wires lay over the group.
  return (
    <NodeToolbar isVisible position={Position.Top} align="start" offset={4} className="group-node__label">
      <button type="button" className="group-node__toggle" data-testid="group-toggle" aria-expanded={!collapsed} onClick={() => toggleGroup(id)}>
        {collapsed ? '▸' : '▾'}
      </button>
      {typeof data.label === 'string' ? data.label : ''}
    </NodeToolbar>
  );
}

const AudioNodeMemo = memo(AudioNodeView);

/** Defined once, outside render (React Flow warns when nodeTypes change identity). */
export const nodeTypes = {
  oscillator: AudioNodeMemo,
  sampler: AudioNodeMemo,
  filter: AudioNodeMemo,
  effect: AudioNodeMemo,
  gain: AudioNodeMemo,
  mixer: AudioNodeMemo,
  bus: AudioNodeMemo,
  output: AudioNodeMemo,
  group: memo(GroupNodeView),
  // React Flow falls back to `default` for unknown types: imported nodes land here.
  default: memo(GenericNodeView),
};
