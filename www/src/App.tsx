// The demo: a generated audio workflow of a chosen size, rendered by React
// Flow with flowscale deciding which nodes are mounted.
import { ReactFlow, Background, useReactFlow, type Viewport } from '@xyflow/react';
import '@xyflow/react/dist/style.css';
import { useEffect, useMemo, useRef, useState, useSyncExternalStore } from 'react';
import type { FrameStats, PartialConfig, RendererOptions } from 'flowscale';
import { generateAudioWorkflow } from '@/generate';
import { useFlowscale } from '@/useFlowscale';

export const SIZES = [100, 1_000, 10_000, 100_000] as const;
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

// Test and inspection knobs: ?draw=all (GPU draws mounted nodes too), ?lodLow=0
// (mount at any zoom), ?edgeColor=rrggbbaa, ?debug=1 (expose the engine on window).
const config: PartialConfig | undefined = params.has('lodLow')
  ? { rendering: { lodThresholdLow: Number(params.get('lodLow')), lodThresholdMedium: Number(params.get('lodLow')) } }
  : undefined;
const gpuOptions: RendererOptions = {
  draw: params.get('draw') === 'all' ? 'all' : 'low',
  palette: params.has('edgeColor') ? { edge: `#${params.get('edgeColor')}` } : undefined,
};

export function App() {
  const [size, setSize] = useState(sizeFromUrl);
  const workflow = useMemo(() => generateAudioWorkflow(size), [size]);
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const flow = useFlowscale(workflow, INITIAL_VIEWPORT, canvasRef, publish, config, gpuOptions);
  const paneRef = useRef<HTMLDivElement>(null);
  const reactFlow = useReactFlow();
  if (params.has('debug')) {
    (window as unknown as { __flowscale: unknown }).__flowscale = {
      optimizer: flow.optimizer,
      renderer: flow.renderer,
      reactFlow: () => reactFlow,
    };
  }
  const { setPaneSize } = flow;

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
    <div style={{ display: 'flex', flexDirection: 'column', height: '100%' }}>
      <header style={{ display: 'flex', gap: 8, alignItems: 'center', padding: 8, borderBottom: '1px solid #ddd' }}>
        <strong>flowscale</strong>
        <span>workflow size:</span>
        {SIZES.map((n) => (
          <button
            key={n}
            data-size={n}
            onClick={() => {
              setSize(n);
              window.history.replaceState(null, '', `?n=${n}`);
            }}
            style={{ fontWeight: n === size ? 700 : 400 }}
          >
            {n.toLocaleString('en')}
          </button>
        ))}
        <span data-testid="gpu" style={{ color: flow.gpuError ? '#b00' : '#666' }}>
          {flow.gpuError
            ? `GPU layer off: ${flow.gpuError}`
            : flow.renderer
              ? `GPU: ${flow.renderer.backend.startsWith('Gl') ? 'WebGL2' : 'WebGPU'}`
              : 'GPU: starting'}
        </span>
        <StatsPanel mounted={flow.nodes.length} />
      </header>
      <div ref={paneRef} style={{ flex: 1, position: 'relative' }}>
        {/* The GPU layer sits under React Flow's (transparent) pane, same box, same viewport. */}
        <canvas
          ref={canvasRef}
          data-testid="gpu-layer"
          style={{ position: 'absolute', inset: 0, width: '100%', height: '100%', pointerEvents: 'none' }}
        />
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
    </div>
  );
}

function StatsPanel({ mounted }: { mounted: number }) {
  const s = useStats();
  if (!s) return null;
  return (
    <span data-testid="stats" style={{ marginLeft: 'auto', fontVariantNumeric: 'tabular-nums' }}>
      nodes <b data-stat="total">{s.total}</b> · in view <b data-stat="inView">{s.inView}</b> · mounted{' '}
      <b data-stat="mounted">{mounted}</b> · culled {s.culledPercent.toFixed(1)} % · frame{' '}
      {s.timeMs.toFixed(2)} ms
    </span>
  );
}
