// React Flow + flowscale: the optimizer keeps the whole workflow; React
// mounts only the nodes of the frame's window (`visibleIds`). On every
// viewport change one `frame()` call decides what to mount; React state
// changes only when nodes entered or left the window.
import { applyEdgeChanges, applyNodeChanges, type Edge, type EdgeChange, type Node, type NodeChange, type Viewport } from '@xyflow/react';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import {
  WorkflowOptimizer,
  type EdgeChange as FlowscaleEdgeChange,
  type FrameStats,
  type NodeChange as FlowscaleNodeChange,
  type PartialConfig,
} from 'flowscale';

export interface Flowscale<N extends Node> {
  nodes: N[];
  edges: Edge[];
  onMove: (event: unknown, viewport: Viewport) => void;
  onNodesChange: (changes: NodeChange<N>[]) => void;
  onEdgesChange: (changes: EdgeChange[]) => void;
  /** Call with the pane's size in CSS pixels (e.g. from a ResizeObserver). */
  setPaneSize: (width: number, height: number) => void;
}

type StatsListener = (stats: FrameStats) => void;

export function useFlowscale<N extends Node>(
  workflow: { nodes: N[]; edges: Edge[] },
  initialViewport: Viewport,
  onStats?: StatsListener,
  config?: PartialConfig,
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

  const onMove = useCallback(
    (_: unknown, vp: Viewport) => {
      viewport.current = vp;
      refresh(false);
    },
    [refresh],
  );

  const onNodesChange = useCallback(
    (changes: NodeChange<N>[]) => {
      optimizer.applyNodeChanges(changes as unknown as FlowscaleNodeChange[]);
      setNodes((current) => {
        const next = applyNodeChanges(changes, current);
        for (const n of next) byId.set(n.id, n);
        for (const c of changes) if (c.type === 'remove') byId.delete(c.id);
        return next;
      });
    },
    [optimizer, byId],
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
      refresh(true);
    },
    [refresh],
  );

  return { nodes, edges, onMove, onNodesChange, onEdgesChange, setPaneSize };
}
