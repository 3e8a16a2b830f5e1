// The two views of the same document:
//   FlowscaleView — React Flow mounts only the frame's window; flowscale's GPU
//                   layer draws everything else on a canvas under the pane;
//                   clusters are drawn at low zoom and expand on click,
//                   with bundles for the edges between them.
//   PlainView     — React Flow with every node (optionally with
//                   onlyRenderVisibleElements), for comparison.
import {
  Background,
  ControlButton,
  Controls,
  ReactFlow,
  useReactFlow,
  type Edge,
  type Node,
  type OnMove,
  type ReactFlowProps,
  type Viewport,
} from '@xyflow/react';
import { Profiler, useCallback, useEffect, useMemo, useRef, useState, useSyncExternalStore, type ProfilerOnRenderCallback } from 'react';
import init, { type RendererOptions } from 'flowscale';
import {
  FlowscaleLayer,
  FlowscaleMiniMap,
  FlowscaleRoutedEdge,
  ROUTED_EDGE_TYPE,
  useFlowscaleActions,
  useFlowscaleView,
  useProvideFlowscale,
  type FlowscaleController,
} from 'flowscale/react';
import { gpuPalette } from '@/audio/model';
import { publishStats, statsFromFrame } from '@/flow/detail';
import { nodeTypes } from '@/flow/nodes';
import performanceService from '@/services/performanceService';
import { useAudioStore } from '@/store/audioStore';
import { simplifyEdges } from '@/store/optimizerSlice';

const MIN_ZOOM = 0.005;
const MAX_ZOOM = 4;
const proOptions = { hideAttribution: false };

const params = new URLSearchParams(window.location.search);
// Test and inspection knobs: ?draw=all (GPU draws mounted nodes too), ?edgeColor=rrggbbaa, ?gpu=off (no GPU layer),
// ?gpu=webgpu or ?gpu=webgl2 (that backend only, no fallback), ?debug=1 (the controller on window, as `engine`).
const gpuKnob = params.get('gpu');
const gpuOptions: RendererOptions | null =
  gpuKnob === 'off'
    ? null
    : {
        draw: params.get('draw') === 'all' ? 'all' : 'low',
        backend: gpuKnob === 'webgpu' || gpuKnob === 'webgl2' ? gpuKnob : 'auto',
        palette: {
          types: gpuPalette(),
          ...(params.has('edgeColor') ? { edge: `#${params.get('edgeColor')}` } : {}),
        },
      };
const debug = params.has('debug');

const onRender: ProfilerOnRenderCallback = (id, phase, actualDuration, _base, startTime) => {
  performanceService.recordRender(id, phase, actualDuration, startTime);
};

/** The viewport that shows every node of the document in the pane. */
function fitViewport(nodes: Node[], width: number, height: number): Viewport | null {
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  for (const n of nodes) {
    if (n.parentId || n.hidden) continue;
    const w = n.measured?.width ?? n.width ?? 150, h = n.measured?.height ?? n.height ?? 40;
    x0 = Math.min(x0, n.position.x);
    y0 = Math.min(y0, n.position.y);
    x1 = Math.max(x1, n.position.x + w);
    y1 = Math.max(y1, n.position.y + h);
  }
  if (!Number.isFinite(x0) || width <= 0 || height <= 0) return null;
  const pad = 0.08;
  const zoom = Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, Math.min((width * (1 - 2 * pad)) / (x1 - x0 || 1), (height * (1 - 2 * pad)) / (y1 - y0 || 1), 1.5)));
  return { zoom, x: width / 2 - ((x0 + x1) / 2) * zoom, y: height / 2 - ((y0 + y1) / 2) * zoom };
}

function useStoreActions() {
  const applyNodeChanges = useAudioStore((s) => s.applyNodeChanges);
  const applyEdgeChanges = useAudioStore((s) => s.applyEdgeChanges);
  const connect = useAudioStore((s) => s.connect);
  const isValidConnection = useAudioStore((s) => s.isValidConnection);
  const setViewport = useAudioStore((s) => s.setViewport);
  const markFirstRender = useAudioStore((s) => s.markFirstRender);
  return { applyNodeChanges, applyEdgeChanges, connect, isValidConnection, setViewport, markFirstRender };
}

/** React Flow reports unknown node types (imported workflows) through onError '003': they use the generic node on purpose. */
function onFlowError(code: string, message: string): void {
  if (code !== '003') console.warn(`React Flow ${code}: ${message}`);
}

const DELETE_KEYS = ['Delete', 'Backspace'];

/** Edges a layout routed through their lanes (withRoutes after layoutWorkflow). */
const edgeTypes = { [ROUTED_EDGE_TYPE]: FlowscaleRoutedEdge };

/** What both views give React Flow: the editing actions, the node types and the zoom range. */
function editorProps(actions: ReturnType<typeof useStoreActions>): ReactFlowProps {
  return {
    nodeTypes,
    edgeTypes,
    onNodesChange: actions.applyNodeChanges,
    onEdgesChange: actions.applyEdgeChanges,
    onConnect: actions.connect,
    isValidConnection: actions.isValidConnection,
    onError: onFlowError,
    minZoom: MIN_ZOOM,
    maxZoom: MAX_ZOOM,
    proOptions,
    deleteKeyCode: DELETE_KEYS,
  };
}

/** React Flow's fit-view glyph (its own icon is not exported). */
function FitIcon() {
  return (
    <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 30" aria-hidden="true">
      <path d="M3.692 4.63c0-.53.4-.938.939-.938h5.215V0H4.708C2.13 0 0 2.054 0 4.63v5.216h3.692V4.631zM27.354 0h-5.2v3.692h5.17c.53 0 .984.4.984.939v5.215H32V4.631A4.624 4.624 0 0027.354 0zm.954 24.83c0 .532-.4.94-.939.94h-5.215v3.768h5.215c2.577 0 4.631-2.13 4.631-4.707v-5.139h-3.692v5.139zm-23.677.94c-.531 0-.939-.4-.939-.94v-5.138H0v5.139c0 2.577 2.13 4.707 4.708 4.707h5.138V25.77H4.631z" />
    </svg>
  );
}

interface HoveredCluster {
  x: number;
  y: number;
  count: number;
  types: string[];
}

/**
 * `canvas` is the GPU layer's canvas. It outlives this view (one per controller):
 * a WebGL context is expensive to create on a software rasterizer, and the
 * browser hands the same context back for the same canvas.
 */
export function FlowscaleView({ controller, canvas: canvasRef }: { controller: FlowscaleController<Node, Edge>; canvas: React.RefObject<HTMLCanvasElement | null> }) {
  const paneRef = useRef<HTMLDivElement>(null);
  const { nodes, edges } = useSyncExternalStore(controller.subscribeMounted, controller.getMounted);
  const actions = useStoreActions();
  const initialViewport = useMemo(() => useAudioStore.getState().viewport, [controller]); // eslint-disable-line react-hooks/exhaustive-deps
  const reactFlow = useReactFlow();
  const [hovered, setHovered] = useState<HoveredCluster | null>(null);
  // The nodes' level of detail (useFlowscaleDetail), the GPU layer and the minimap find this controller.
  useProvideFlowscale(controller);
  // The fit-view button fits every node, mounted or not (React Flow's own fits the window); a click on a cluster
  // zooms in until it splits.
  const { fitView, zoomToCluster } = useFlowscaleActions(controller);

  useEffect(() => {
    if (!debug) return;
    // Tests and inspection: the controller (as `engine`), its optimizer and GPU renderer, React Flow, the store.
    (window as unknown as { __flowscale: unknown }).__flowscale = {
      engine: controller,
      optimizer: controller.optimizer,
      get renderer() {
        return controller.currentRenderer;
      },
      reactFlow: () => reactFlow,
      store: useAudioStore,
      service: performanceService,
      /** The raw wasm exports of the instance in use (a test traps it for real through them). */
      wasm: () => init(),
    };
  }, [controller, reactFlow]);

  // Every viewport change (pans, zooms, fitView, setViewport, read from React Flow's store) and pane resize is a frame.
  useFlowscaleView(controller);

  // A new document to fit to the pane, once the pane has its size.
  useEffect(() => {
    const el = paneRef.current;
    if (!el) return;
    const ro = new ResizeObserver(([entry]) => {
      if (!entry) return;
      const { width, height } = entry.contentRect;
      if (useAudioStore.getState().takeFitRequest()) {
        const vp = fitViewport(useAudioStore.getState().nodes, width, height);
        if (vp) void reactFlow.setViewport(vp);
      }
    });
    ro.observe(el);
    return () => ro.disconnect();
  }, [controller, reactFlow]);

  // Something to show: nodes mounted, or nodes in view that only the GPU draws
  // (a big workflow fitted to the pane mounts none).
  const hasNodes = nodes.length > 0;
  const [inView, setInView] = useState(() => controller.stats.inView > 0);
  useEffect(() => {
    if (inView) return;
    return controller.subscribeFrames(() => {
      if (controller.stats.inView > 0) setInView(true);
    });
  }, [controller, inView]);
  const hasContent = hasNodes || inView;

  // The GPU layer: flowscale/react's FlowscaleLayer makes one renderer per controller on the page's canvas once there
  // is something on screen (creating it costs hundreds of ms on a software rasterizer; at the start React covers the
  // view). The canvas outlives the view: the browser hands the same WebGL context back for it.
  const { markFirstRender } = actions;
  const gpu = useSyncExternalStore(controller.subscribeGpu, controller.getGpu);
  // The controller's state until the layer says anything (it is mounted in this commit): not a failure.
  const gpuBefore = useMemo(() => controller.getGpu(), [controller]);
  const gpuState =
    gpuOptions === null
      ? 'GPU layer off'
      : gpu === gpuBefore || gpu.status === 'starting'
        ? 'GPU: starting'
        : gpu.status === 'on'
          ? `GPU: ${gpu.backend.startsWith('Gl') ? 'WebGL2' : 'WebGPU'}`
          : `GPU layer off: ${gpu.reason}`;
  useEffect(() => {
    if (gpuOptions === null || gpu === gpuBefore) return;
    // With no node mounted, the GPU's first frame is the first render (a no-op if React's came first).
    if (gpu.status === 'on') requestAnimationFrame(() => markFirstRender());
    else if (gpu.status === 'off') markFirstRender();
  }, [gpu, gpuBefore, markFirstRender]);
  // Without the GPU layer (?gpu=off), what is in view but not mounted is the first render, once idle.
  useEffect(() => {
    if (gpuOptions !== null || !hasContent) return;
    const id = requestIdleCallback(() => markFirstRender(), { timeout: 300 });
    return () => cancelIdleCallback(id);
  }, [hasContent, markFirstRender]);

  // Frames → the stats bar and the PerformanceService.
  useEffect(
    () =>
      controller.subscribeFrames(() => {
        const { stats } = controller;
        publishStats(statsFromFrame(controller));
        performanceService.recordFrame({ total: stats.total, inView: stats.inView, culled: stats.culled, mounted: controller.getMounted().nodes.length, timeMs: stats.timeMs });
      }),
    [controller],
  );

  // First nodes on screen: the load's first render (after the browser painted them).
  useEffect(() => {
    if (!hasNodes) return;
    const raf = requestAnimationFrame(() => markFirstRender());
    return () => cancelAnimationFrame(raf);
  }, [hasNodes, markFirstRender]);

  const { setViewport } = actions;
  const onMoveEnd: OnMove = useCallback(
    (_e, vp) => {
      setViewport(vp);
      if (useAudioStore.getState().settings.simplifyEdges) simplifyEdges(controller);
    },
    [setViewport, controller],
  );

  // Clusters: click one to zoom in until it splits; hover one to see what it holds.
  const onPaneClick = useCallback(
    (e: React.MouseEvent) => {
      void zoomToCluster(reactFlow.screenToFlowPosition({ x: e.clientX, y: e.clientY }), { duration: 350 });
      setHovered(null);
    },
    [reactFlow, zoomToCluster],
  );
  const hoverFrame = useRef(0);
  const onPaneMouseMove = useCallback(
    (e: React.MouseEvent) => {
      const { clientX, clientY } = e;
      cancelAnimationFrame(hoverFrame.current);
      hoverFrame.current = requestAnimationFrame(() => {
        const p = reactFlow.screenToFlowPosition({ x: clientX, y: clientY });
        const c = controller.clusterAt(p);
        const box = paneRef.current?.getBoundingClientRect();
        setHovered((h) => {
          if (!c || !box) return h ? null : h;
          if (h && h.count === c.count && Math.abs(h.x - (clientX - box.left)) < 2 && Math.abs(h.y - (clientY - box.top)) < 2) return h;
          return { x: clientX - box.left, y: clientY - box.top, count: c.count, types: c.types };
        });
      });
    },
    [reactFlow, controller],
  );
  useEffect(() => () => cancelAnimationFrame(hoverFrame.current), []);

  return (
    <div ref={paneRef} className="flow-pane" data-testid="flow-pane" data-mode="flowscale">
      <Profiler id="flow" onRender={onRender}>
        <ReactFlow
          {...editorProps(actions)}
          nodes={nodes}
          edges={edges}
          defaultViewport={initialViewport}
          onMoveEnd={onMoveEnd}
          onPaneClick={onPaneClick}
          onPaneMouseMove={onPaneMouseMove}
          onPaneMouseLeave={() => setHovered(null)}
        >
          <Background gap={24} size={1} color="#d5d9e0" />
          <Controls showInteractive={false} showFitView={false} position="bottom-left">
            <ControlButton className="react-flow__controls-fitview" onClick={() => void fitView()} title="Fit view" aria-label="Fit view">
              <FitIcon />
            </ControlButton>
          </Controls>
          {gpuOptions !== null && <FlowscaleLayer canvas={canvasRef} options={gpuOptions} />}
          <FlowscaleMiniMap />
        </ReactFlow>
      </Profiler>
      {hovered && (
        <div className="cluster-tip" style={{ left: hovered.x + 14, top: hovered.y + 14 }} data-testid="cluster-tip">
          <b>{hovered.count.toLocaleString('en')} nodes</b>
          {hovered.types.length > 0 && <span> · mostly {hovered.types.join(', ')}</span>}
          <div className="cluster-tip__hint">click to expand</div>
        </div>
      )}
      <span className="gpu-badge" data-testid="gpu">
        {gpuState}
      </span>
    </div>
  );
}

/** Plain React Flow with every node of the document: what flowscale is compared against. */
export function PlainView({ onlyVisible }: { onlyVisible: boolean }) {
  const nodes = useAudioStore((s) => s.nodes);
  const edges = useAudioStore((s) => s.edges);
  const initialViewport = useMemo(() => useAudioStore.getState().viewport, []);
  const actions = useStoreActions();
  const reactFlow = useReactFlow();
  // No flowscale here: nodes are drawn in full detail.
  useProvideFlowscale(null);
  useEffect(() => {
    if (debug) (window as unknown as { __flowscale: unknown }).__flowscale = { reactFlow: () => reactFlow, store: useAudioStore, renderer: null, service: performanceService };
  }, [reactFlow]);

  // Count what React Flow actually mounted, after it rendered.
  useEffect(() => {
    const count = () => {
      const mounted = document.querySelectorAll('.react-flow__node').length;
      const total = useAudioStore.getState().nodes.length;
      publishStats({ total, inView: null, mounted, culledPercent: null, frameMs: null, clusters: 0, zoom: reactFlow.getZoom() });
      performanceService.recordCounts(total, mounted);
    };
    count();
    const id = setInterval(count, 500);
    return () => clearInterval(id);
  }, [reactFlow]);

  const hasNodes = nodes.length > 0;
  const { markFirstRender } = actions;
  useEffect(() => {
    if (!hasNodes) return;
    let raf = 0;
    // React Flow shows a node once it has measured it: wait for one in the DOM, then a frame.
    const poll = () => {
      if (document.querySelector('.react-flow__node')) raf = requestAnimationFrame(() => markFirstRender());
      else raf = requestAnimationFrame(poll);
    };
    raf = requestAnimationFrame(poll);
    return () => cancelAnimationFrame(raf);
  }, [hasNodes, markFirstRender]);

  useEffect(() => {
    if (!useAudioStore.getState().takeFitRequest()) return;
    const el = document.querySelector('.react-flow');
    const vp = el ? fitViewport(nodes, el.clientWidth, el.clientHeight) : null;
    if (vp) void reactFlow.setViewport(vp);
  }, [nodes, reactFlow]);

  return (
    <div className="flow-pane" data-testid="flow-pane" data-mode={onlyVisible ? 'plain-visible' : 'plain'}>
      <Profiler id="flow" onRender={onRender}>
        <ReactFlow
          {...editorProps(actions)}
          nodes={nodes}
          edges={edges}
          onlyRenderVisibleElements={onlyVisible}
          defaultViewport={initialViewport}
          onMoveEnd={(_e, vp) => actions.setViewport(vp)}
        >
          <Background gap={24} size={1} color="#d5d9e0" />
          <Controls showInteractive={false} position="bottom-left" />
        </ReactFlow>
      </Profiler>
    </div>
  );
}
