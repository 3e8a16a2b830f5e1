// React Flow + flowscale: the optimizer keeps the whole workflow; React
// mounts only the nodes of the frame's window (`visibleIds`). On every
// viewport change (the user's pans and zooms, and programmatic ones such as
// fitView or setViewport) one `frame()` call decides what to mount and the
// GPU layer draws the rest; React state changes only when nodes entered or
// left the window. Use it below a <ReactFlowProvider>.
import {
  applyEdgeChanges,
  applyNodeChanges,
  useStoreApi,
  type Edge,
  type EdgeChange,
  type Node,
  type NodeChange,
  type Viewport,
} from '@xyflow/react';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import {
  Renderer,
  WorkflowOptimizer,
  type EdgeChange as FlowscaleEdgeChange,
  type FrameStats,
  type NodeChange as FlowscaleNodeChange,
  type PartialConfig,
  type RendererOptions,
} from 'flowscale';

export interface Flowscale<N extends Node> {
  optimizer: WorkflowOptimizer;
  /** The GPU layer once it is up; null before, or when no GPU could be used (see gpuError). */
  renderer: Renderer | null;
  gpuError: string | null;
  nodes: N[];
  edges: Edge[];
  onNodesChange: (changes: NodeChange<N>[]) => void;
  onEdgesChange: (changes: EdgeChange[]) => void;
  /** Call with the pane's size in CSS pixels (e.g. from a ResizeObserver). */
  setPaneSize: (width: number, height: number) => void;
}

type StatsListener = (stats: FrameStats) => void;

export function useFlowscale<N extends Node>(
  workflow: { nodes: N[]; edges: Edge[] },
  initialViewport: Viewport,
  canvas: React.RefObject<HTMLCanvasElement | null>,
  onStats?: StatsListener,
  config?: PartialConfig,
  /** null: no GPU layer (React Flow's DOM only). */
  gpuOptions?: RendererOptions | null,
): Flowscale<N> {
  // The whole workflow, by id; React only ever sees the mounted part.
  const byId = useMemo(() => new Map(workflow.nodes.map((n) => [n.id, n])), [workflow]);
  const edgeById = useMemo(() => new Map(workflow.edges.map((e) => [e.id, e])), [workflow]);
  const optimizer = useMemo(() => {
    const opt = new WorkflowOptimizer(config);
    opt.setWorkflow(workflow);
    return opt;
    // The config is read once per workflow.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [workflow]);
  useEffect(() => () => optimizer.free(), [optimizer]);

  const [nodes, setNodes] = useState<N[]>([]);
  const [edges, setEdges] = useState<Edge[]>([]);
  const [renderer, setRenderer] = useState<Renderer | null>(null);
  const [gpuError, setGpuError] = useState<string | null>(null);
  const rendererRef = useRef<Renderer | null>(null);
  const pane = useRef({ width: 0, height: 0 });
  const viewport = useRef(initialViewport);
  const statsRef = useRef(onStats);
  statsRef.current = onStats;

  const refresh = useCallback(
    (force: boolean) => {
      const { width, height } = pane.current;
      if (width <= 0 || height <= 0) return;
      const f = optimizer.frame(viewport.current, pane.current);
      statsRef.current?.(f.stats);
      // The GPU draws every frame: what React does not mount moves with the view.
      rendererRef.current?.render(f);
      if (!force && f.entered.length === 0 && f.left.length === 0) return;
      const mounted = new Set(f.visibleIds);
      setNodes(f.visibleIds.map((id) => byId.get(id)).filter((n): n is N => n !== undefined));
      // React Flow draws an edge only when both of its nodes are mounted.
      setEdges(
        f.visibleEdgeIds
          .map((id) => edgeById.get(id))
          .filter((e): e is Edge => e !== undefined && mounted.has(e.source) && mounted.has(e.target)),
      );
    },
    [optimizer, byId, edgeById],
  );

  useEffect(() => refresh(true), [refresh]);

  // The GPU layer: one renderer per optimizer, on the canvas under the pane.
  useEffect(() => {
    const el = canvas.current;
    if (!el || gpuOptions === null) return;
    let alive = true;
    let created: Renderer | null = null;
    el.width = Math.max(1, Math.round(el.clientWidth * devicePixelRatio));
    el.height = Math.max(1, Math.round(el.clientHeight * devicePixelRatio));
    Renderer.create(el, optimizer, gpuOptions ?? undefined)
      .then((r) => {
        if (!alive) return r.free();
        created = r;
        rendererRef.current = r;
        const { width, height } = pane.current;
        if (width > 0 && height > 0) r.resize(width, height, devicePixelRatio);
        setRenderer(r);
        setGpuError(null);
        refresh(true);
      })
      .catch((e: unknown) => setGpuError(e instanceof Error ? e.message : String(e)));
    return () => {
      alive = false;
      rendererRef.current = null;
      setRenderer(null);
      created?.destroy();
      created?.free();
    };
    // Options are read when the renderer is created.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [optimizer, canvas, refresh]);

  // Follow React Flow's viewport at the source, so programmatic changes count too.
  const store = useStoreApi();
  useEffect(
    () =>
      store.subscribe((state, previous) => {
        if (state.transform === previous.transform) return;
        const [x, y, zoom] = state.transform;
        viewport.current = { x, y, zoom };
        refresh(false);
      }),
    [store, refresh],
  );

  const onNodesChange = useCallback(
    (changes: NodeChange<N>[]) => {
      optimizer.applyNodeChanges(changes as unknown as FlowscaleNodeChange[]);
      refresh(false); // the GPU layer follows drags too
      setNodes((current) => {
        const next = applyNodeChanges(changes, current);
        for (const n of next) byId.set(n.id, n);
        for (const c of changes) if (c.type === 'remove') byId.delete(c.id);
        return next;
      });
    },
    [optimizer, byId, refresh],
  );

  const onEdgesChange = useCallback(
    (changes: EdgeChange[]) => {
      optimizer.applyEdgeChanges(changes as unknown as FlowscaleEdgeChange[]);
      setEdges((current) => applyEdgeChanges(changes, current));
      for (const c of changes) if (c.type === 'remove') edgeById.delete(c.id);
    },
    [optimizer, edgeById],
  );

  const setPaneSize = useCallback(
    (width: number, height: number) => {
      pane.current = { width, height };
      rendererRef.current?.resize(width, height, devicePixelRatio);
      refresh(true);
    },
    [refresh],
  );

  return { optimizer, renderer, gpuError, nodes, edges, onNodesChange, onEdgesChange, setPaneSize };
}
