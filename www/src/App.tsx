// The demo: a generated audio workflow of a chosen size, rendered by React
// Flow with flowscale deciding which nodes are mounted and drawing the rest
// on the GPU — or by plain React Flow, to see the difference.
import { ReactFlow, Background, applyNodeChanges, useReactFlow, type Node, type NodeChange, type Viewport } from '@xyflow/react';
import '@xyflow/react/dist/style.css';
import { useCallback, useEffect, useMemo, useRef, useState, useSyncExternalStore } from 'react';
import type { FrameStats, PartialConfig, RendererOptions } from 'flowscale';
import { generateAudioWorkflow, type AudioWorkflow } from '@/generate';
import { useFlowscale } from '@/useFlowscale';

export const SIZES = [100, 1_000, 10_000, 100_000] as const;
export type Mode = 'flowscale' | 'plain' | 'plain-visible';
const MODES: { mode: Mode; label: string }[] = [
  { mode: 'flowscale', label: 'React Flow + flowscale' },
  { mode: 'plain-visible', label: 'React Flow (onlyRenderVisibleElements)' },
  { mode: 'plain', label: 'React Flow' },
];
const INITIAL_VIEWPORT: Viewport = { x: 40, y: 40, zoom: 1 };

// Frame statistics live outside React state so that a frame re-renders only the stats panel.
let latest: FrameStats | null = null;
const listeners = new Set<() => void>();
function publish(s: FrameStats) {
  latest = s;
  for (const l of listeners) l();
}
function useStats() {
  return useSyncExternalStore(
    (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    () => latest,
  );
}

const params = new URLSearchParams(window.location.search);

function sizeFromUrl(): number {
  const n = Number(params.get('n'));
  return Number.isInteger(n) && n > 0 && n <= 1_000_000 ? n : 1_000;
}

function modeFromUrl(): Mode {
  const m = params.get('mode');
  return m === 'plain' || m === 'plain-visible' ? m : 'flowscale';
}

// Test and inspection knobs: ?draw=all (GPU draws mounted nodes too), ?lodLow=0
// (mount at any zoom), ?clusters=off, ?edgeColor=rrggbbaa, ?gpu=off (no GPU layer), ?debug=1 (expose the engine on window).
const config: PartialConfig = {
  ...(params.has('lodLow') && {
    rendering: { lodThresholdLow: Number(params.get('lodLow')), lodThresholdMedium: Number(params.get('lodLow')) },
  }),
  ...(params.get('clusters') === 'off' && { clustering: { maxZoom: 0 } }),
};
const gpuOptions: RendererOptions | null =
  params.get('gpu') === 'off'
    ? null
    : {
        draw: params.get('draw') === 'all' ? 'all' : 'low',
        palette: params.has('edgeColor') ? { edge: `#${params.get('edgeColor')}` } : undefined,
      };

function setUrl(size: number, mode: Mode) {
  const q = new URLSearchParams(window.location.search);
  q.set('n', String(size));
  q.set('mode', mode);
  window.history.replaceState(null, '', `?${q}`);
}

export function App() {
  const [size, setSize] = useState(sizeFromUrl);
  const [mode, setMode] = useState(modeFromUrl);
  const workflow = useMemo(() => generateAudioWorkflow(size), [size]);
  const [mounted, setMounted] = useState(0);

  return (
    <div style={{ display: 'flex', flexDirection: 'column', height: '100%' }}>
      <header style={{ display: 'flex', flexWrap: 'wrap', gap: 8, alignItems: 'center', padding: 8, borderBottom: '1px solid #ddd' }}>
        <strong>flowscale</strong>
        <span>nodes:</span>
        {SIZES.map((n) => (
          <button
            key={n}
            data-size={n}
            onClick={() => {
              setSize(n);
              setUrl(n, mode);
            }}
            style={{ fontWeight: n === size ? 700 : 400 }}
          >
            {n.toLocaleString('en')}
          </button>
        ))}
        <select
          data-testid="mode"
          value={mode}
          onChange={(e) => {
            const m = e.target.value as Mode;
            setMode(m);
            setUrl(size, m);
          }}
        >
          {MODES.map((m) => (
            <option key={m.mode} value={m.mode}>
              {m.label}
            </option>
          ))}
        </select>
        <StatsPanel mode={mode} total={workflow.nodes.length} mounted={mounted} />
      </header>
      <div style={{ flex: 1, position: 'relative' }}>
        {mode === 'flowscale' ? (
          <FlowscaleFlow key={size} workflow={workflow} onMounted={setMounted} />
        ) : (
          <PlainFlow key={`${size}-${mode}`} workflow={workflow} onlyVisible={mode === 'plain-visible'} onMounted={setMounted} />
        )}
      </div>
    </div>
  );
}

function FlowscaleFlow({ workflow, onMounted }: { workflow: AudioWorkflow; onMounted: (n: number) => void }) {
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const paneRef = useRef<HTMLDivElement>(null);
  const flow = useFlowscale(workflow, INITIAL_VIEWPORT, canvasRef, publish, config, gpuOptions);
  const reactFlow = useReactFlow();
  const { setPaneSize } = flow;
  if (params.has('debug')) {
    (window as unknown as { __flowscale: unknown }).__flowscale = {
      optimizer: flow.optimizer,
      renderer: flow.renderer,
      reactFlow: () => reactFlow,
    };
  }
  useEffect(() => onMounted(flow.nodes.length), [flow.nodes.length, onMounted]);

  useEffect(() => {
    const el = paneRef.current;
    if (!el) return;
    const ro = new ResizeObserver(([entry]) => {
      if (entry) setPaneSize(entry.contentRect.width, entry.contentRect.height);
    });
    ro.observe(el);
    return () => ro.disconnect();
  }, [setPaneSize]);

  return (
    <div ref={paneRef} style={{ position: 'absolute', inset: 0 }}>
      {/* The GPU layer sits under React Flow's (transparent) pane, same box, same viewport. */}
      <canvas
        ref={canvasRef}
        data-testid="gpu-layer"
        style={{ position: 'absolute', inset: 0, width: '100%', height: '100%', pointerEvents: 'none' }}
      />
      <span data-testid="gpu" style={{ position: 'absolute', right: 8, bottom: 20, zIndex: 5, color: flow.gpuError ? '#b00' : '#666' }}>
        {flow.gpuError
          ? `GPU layer off: ${flow.gpuError}`
          : flow.renderer
            ? `GPU: ${flow.renderer.backend.startsWith('Gl') ? 'WebGL2' : 'WebGPU'}`
            : 'GPU: starting'}
      </span>
      <ReactFlow
        nodes={flow.nodes}
        edges={flow.edges}
        onNodesChange={flow.onNodesChange}
        onEdgesChange={flow.onEdgesChange}
        defaultViewport={INITIAL_VIEWPORT}
        minZoom={0.02}
        maxZoom={4}
      >
        <Background />
      </ReactFlow>
    </div>
  );
}

/** Plain React Flow with every node, for comparison. */
function PlainFlow({
  workflow,
  onlyVisible,
  onMounted,
}: {
  workflow: AudioWorkflow;
  onlyVisible: boolean;
  onMounted: (n: number) => void;
}) {
  const [nodes, setNodes] = useState<Node[]>(workflow.nodes);
  const onNodesChange = useCallback((changes: NodeChange[]) => setNodes((n) => applyNodeChanges(changes, n)), []);
  const reactFlow = useReactFlow();
  if (params.has('debug')) {
    (window as unknown as { __flowscale: unknown }).__flowscale = { reactFlow: () => reactFlow };
  }
  useEffect(() => {
    // Count what React Flow actually mounted, after it rendered.
    const id = setInterval(() => onMounted(document.querySelectorAll('.react-flow__node').length), 500);
    return () => clearInterval(id);
  }, [onMounted]);
  return (
    <div style={{ position: 'absolute', inset: 0 }}>
      <ReactFlow
        nodes={nodes}
        edges={workflow.edges}
        onNodesChange={onNodesChange}
        onlyRenderVisibleElements={onlyVisible}
        defaultViewport={INITIAL_VIEWPORT}
        minZoom={0.02}
        maxZoom={4}
      >
        <Background />
      </ReactFlow>
    </div>
  );
}

function StatsPanel({ mode, total, mounted }: { mode: Mode; total: number; mounted: number }) {
  const s = useStats();
  if (mode !== 'flowscale' || !s) {
    return (
      <span data-testid="stats" style={{ marginLeft: 'auto', fontVariantNumeric: 'tabular-nums' }}>
        nodes <b data-stat="total">{total}</b> · mounted <b data-stat="mounted">{mounted}</b>
      </span>
    );
  }
  return (
    <span data-testid="stats" style={{ marginLeft: 'auto', fontVariantNumeric: 'tabular-nums' }}>
      nodes <b data-stat="total">{s.total}</b> · in view <b data-stat="inView">{s.inView}</b> · mounted{' '}
      <b data-stat="mounted">{mounted}</b> · culled {s.culledPercent.toFixed(1)} % · frame {s.timeMs.toFixed(2)} ms
    </span>
  );
}
