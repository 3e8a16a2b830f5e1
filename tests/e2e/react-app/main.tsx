// The test app of tests/e2e/react.test.mjs: a plain React Flow editor whose
// state is the user's own (useNodesState / useEdgesState), with flowscale/react
// in between, under StrictMode. ?n= sets the number of generated nodes, ?cols= the
// nodes per row, ?origin= React Flow's nodeOrigin (the same on both axes, given to
// <ReactFlow> only).
// The test drives it through window.__app.
import { Handle, Position, ReactFlow, ReactFlowProvider, useEdgesState, useNodesState, useReactFlow, useStoreApi, type Edge, type Node, type NodeProps, type OnBeforeDelete, type ReactFlowInstance } from '@xyflow/react';
import '@xyflow/react/dist/style.css';
import { StrictMode, useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import init, { onTrap, WorkflowCache, type FlowscaleError, type TrapInfo } from 'flowscale';
import { FlowscaleLayer, FlowscaleMiniMap, useFlowscale, useFlowscaleDetail, type UseFlowscaleResult } from 'flowscale/react';

export const MAX_VISIBLE = 400;
const params = new URLSearchParams(location.search);
const COLUMNS = Number(params.get('cols') ?? 400);
const ORIGIN = params.has('origin') ? Number(params.get('origin')) : null;
const nodeOrigin: [number, number] | undefined = ORIGIN === null ? undefined : [ORIGIN, ORIGIN];

type LabelNode = Node<{ label: string }, 'detail'>;

/** Renders per node id, for the test: a node re-renders only when its own detail changes. */
const renders = new Map<string, number>();

/** Full detail: label and handles; 'label': the label only. */
function DetailNode({ id, data }: NodeProps<LabelNode>) {
  const detail = useFlowscaleDetail(id);
  renders.set(id, (renders.get(id) ?? 0) + 1);
  return (
    <div data-detail={detail} style={{ width: '100%', height: '100%', boxSizing: 'border-box', border: '1px solid #667', background: '#fff', fontSize: 12 }}>
      {/* Handles stay at every detail (hidden when small): React Flow draws an edge only between handles. */}
      <Handle type="target" position={Position.Left} style={detail === 'full' ? undefined : { visibility: 'hidden' }} />
      {data.label}
      <Handle type="source" position={Position.Right} style={detail === 'full' ? undefined : { visibility: 'hidden' }} />
    </div>
  );
}
const nodeTypes = { detail: DetailNode };

/** A grid of n nodes (rows of COLUMNS), jittered, of a few sizes; an edge between neighbours in a row, every other node. */
function generate(n: number): { nodes: LabelNode[]; edges: Edge[] } {
  let s = 12345;
  const random = () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const nodes: LabelNode[] = [];
  const edges: Edge[] = [];
  for (let i = 0; i < n; i++) {
    const col = i % COLUMNS, row = Math.floor(i / COLUMNS);
    nodes.push({
      id: `n${i}`,
      type: 'detail',
      position: { x: col * 220 + Math.round(random() * 40), y: row * 120 + Math.round(random() * 30) },
      width: 120 + 40 * (i % 3),
      height: 40,
      data: { label: `Node ${i}` },
    });
    if (col % 2 === 0 && col + 1 < COLUMNS && i + 1 < n) edges.push({ id: `e${i}`, source: `n${i}`, target: `n${i + 1}` });
  }
  return { nodes, edges };
}

const initial = generate(Number(params.get('n') ?? 100_000));
const config = { rendering: { maxVisibleNodes: MAX_VISIBLE } };

interface TestHooks {
  flow: UseFlowscaleResult<LabelNode> | null;
  reactFlow: ReactFlowInstance | null;
  /** React Flow's store (its own placement of the mounted nodes: nodeLookup). */
  store: ReturnType<typeof useStoreApi> | null;
  /** The nodeOrigin given to <ReactFlow> ([0, 0] when none). */
  nodeOrigin: [number, number];
  nodes: LabelNode[];
  edges: Edge[];
  renders: Map<string, number>;
  setNodes: (f: (nodes: LabelNode[]) => LabelNode[]) => void;
  setEdges: (f: (edges: Edge[]) => Edge[]) => void;
  errors: { code: string; path: string | undefined; message: string }[];
  progress: number[];
  maxVisible: number;
  /** Unmounts the editor for real (not StrictMode's rehearsal). */
  unmount: () => void;
  /** Wasm traps reported by the package (onTrap). */
  traps: { operation: string; reset: boolean; message: string }[];
  /** The package's calls the test makes itself: `init()` gives the raw wasm exports of the instance in use. */
  lib: { init: typeof init; WorkflowCache: typeof WorkflowCache };
  /** React Flow's onBeforeDelete, given to <ReactFlow> only (null: none); the deletion callbacks' calls, in order. */
  beforeDelete: OnBeforeDelete<LabelNode, Edge> | null;
  deleteCalls: [string, ...string[][]][];
}
const app: TestHooks = {
  flow: null, reactFlow: null, store: null, nodeOrigin: nodeOrigin ?? [0, 0], nodes: [], edges: [], setNodes: () => undefined, setEdges: () => undefined, errors: [], progress: [], maxVisible: MAX_VISIBLE, renders, unmount: () => undefined,
  traps: [], lib: { init, WorkflowCache }, beforeDelete: null, deleteCalls: [],
};
const ids = (items: { id: string }[]) => items.map((x) => x.id);
onTrap((t: TrapInfo) => app.traps.push({ operation: t.operation, reset: t.reset, message: t.error.message }));
(window as unknown as { __app: TestHooks }).__app = app;

function Editor() {
  const [nodes, setNodes, onNodesChange] = useNodesState(initial.nodes);
  const [edges, setEdges, onEdgesChange] = useEdgesState(initial.edges);
  const flow = useFlowscale({
    nodes,
    edges,
    onNodesChange,
    onEdgesChange,
    config,
    onError: (e: FlowscaleError) => app.errors.push({ code: e.code, path: e.path, message: e.message }),
    onProgress: (p) => app.progress.push(p),
  });
  const reactFlow = useReactFlow();
  const store = useStoreApi();
  useEffect(() => {
    Object.assign(app, { flow, reactFlow, store, nodes, edges, setNodes, setEdges });
  });
  return (
    <div style={{ width: '100vw', height: '100vh' }}>
      <ReactFlow
        nodes={flow.nodes}
        edges={flow.edges}
        onNodesChange={flow.onNodesChange}
        onEdgesChange={flow.onEdgesChange}
        nodeTypes={nodeTypes}
        minZoom={0.001}
        maxZoom={4}
        deleteKeyCode={null}
        onlyRenderVisibleElements={false}
        nodeOrigin={nodeOrigin}
        // React Flow's deletion callbacks, on <ReactFlow> only: flow.deleteSelected() reads them from its store.
        onBeforeDelete={(x) => (app.beforeDelete ? app.beforeDelete(x) : Promise.resolve(true))}
        onNodesDelete={(n) => app.deleteCalls.push(['onNodesDelete', ids(n)])}
        onEdgesDelete={(e) => app.deleteCalls.push(['onEdgesDelete', ids(e)])}
        onDelete={({ nodes, edges }) => app.deleteCalls.push(['onDelete', ids(nodes), ids(edges)])}
      >
        <FlowscaleLayer />
        <FlowscaleMiniMap />
      </ReactFlow>
    </div>
  );
}

function Root() {
  const [shown, setShown] = useState(true);
  useEffect(() => {
    app.unmount = () => setShown(false);
  }, []);
  return shown ? (
    <ReactFlowProvider>
      <Editor />
    </ReactFlowProvider>
  ) : null;
}

const root = document.getElementById('root');
if (!root) throw new Error('#root missing');
createRoot(root).render(
  <StrictMode>
    <Root />
  </StrictMode>,
);
