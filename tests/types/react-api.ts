// Type-checks flowscale/react (src/web/react/) as a React Flow app uses it: a
// custom node union goes through useFlowscale into <ReactFlow>'s props without
// a cast, and edges given as nodes are refused; an app driving a controller
// from its own document hands it React Flow's change lists as they are.
import { createElement } from 'react';
import { ReactFlow, useEdgesState, useNodesState, type Edge, type EdgeChange, type Node, type NodeChange, type ReactFlowProps } from '@xyflow/react';
import {
  FlowscaleController,
  FlowscaleLayer,
  FlowscaleMiniMap,
  mergeParallelEdges,
  useFlowscale,
  useFlowscaleActions,
  useFlowscaleDetail,
  useFlowscaleView,
  useProvideFlowscale,
  type Detail,
  type GpuState,
} from 'flowscale/react';

type TextNode = Node<{ label: string }, 'text'>;
type NumberNode = Node<{ value: number }, 'number'>;
type AppNode = TextNode | NumberNode;
type AppEdge = Edge<{ weight: number }, 'weighted'>;

const initialNodes: AppNode[] = [
  { id: 'a', type: 'text', position: { x: 0, y: 0 }, data: { label: 'A' } },
  { id: 'b', type: 'number', position: { x: 200, y: 0 }, data: { value: 2 } },
];
const initialEdges: AppEdge[] = [{ id: 'a-b', source: 'a', target: 'b', type: 'weighted', data: { weight: 1 } }];

export function Editor() {
  const [nodes, , onNodesChange] = useNodesState(initialNodes);
  const [edges, , onEdgesChange] = useEdgesState(initialEdges);
  const flow = useFlowscale({
    nodes,
    edges,
    onNodesChange,
    onEdgesChange,
    onError: (e) => console.warn(e.code, e.path),
    // React Flow's deletion callbacks, typed by the app's node and edge types.
    onBeforeDelete: async ({ nodes, edges }) => ({ nodes: nodes.filter((n) => n.type === 'text'), edges }),
    onNodesDelete: (deleted: AppNode[]) => console.log(deleted.length),
    onDelete: ({ nodes, edges }: { nodes: AppNode[]; edges: AppEdge[] }) => console.log(nodes.length, edges.length),
  });
  void flow.deleteSelected().then(({ deletedNodes, deletedEdges }) => {
    const removed: AppNode[] = deletedNodes;
    const removedEdges: AppEdge[] = deletedEdges;
    console.log(removed.length, removedEdges.length);
  });

  // The union survives: narrowing on `type` reaches each member's data.
  const first = flow.nodes[0];
  if (first?.type === 'number') {
    const value: number = first.data.value;
    console.log(value);
  }
  const all: AppNode[] = flow.getNodes();
  const change: NodeChange<AppNode>[] = [{ type: 'add', item: { id: 'c', type: 'text', position: { x: 0, y: 0 }, data: { label: 'C' } } }];
  flow.onNodesChange(change);
  const gpu: GpuState = flow.gpu;
  const bounds: { x: number; y: number; width: number; height: number } | null = flow.getBounds();
  flow.selectInRect({ x: 0, y: 0, width: 100, height: 100 }, { partially: true, additive: false });
  flow.pin(['a']);
  void flow.fitView({ padding: 0.2, duration: 0 });
  console.log(all.length, gpu.status, bounds, flow.stats.inView, flow.optimizer.nodeCount);

  const props: ReactFlowProps<AppNode, AppEdge> = {
    nodes: flow.nodes,
    edges: flow.edges,
    onNodesChange: flow.onNodesChange,
    onEdgesChange: flow.onEdgesChange,
    deleteKeyCode: null,
  };
  return createElement(ReactFlow<AppNode, AppEdge>, props, createElement(FlowscaleLayer), createElement(FlowscaleMiniMap, { width: 240 }));
}

export function WrongArrays() {
  const [nodes] = useNodesState(initialNodes);
  const [edges] = useEdgesState(initialEdges);
  // @ts-expect-error edges are not nodes (no position)
  useFlowscale({ nodes: edges, edges });
  return null;
}

export function NodeView({ id }: { id: string }) {
  const detail: Detail = useFlowscaleDetail(id);
  return detail === 'full' ? 'controls' : 'label';
}

/** An app that keeps its document (by id) and drives the controller with React Flow's own change lists. */
export function DocumentEditor({ doc }: { doc: Map<string, AppNode> }) {
  const controller = new FlowscaleController<AppNode, AppEdge>();
  controller.setDocument({ node: (id) => doc.get(id), edge: () => undefined, mountEdges: mergeParallelEdges });
  useProvideFlowscale(controller);
  useFlowscaleView(controller);
  const { fitView, selectAll } = useFlowscaleActions(controller);
  const onNodesChange = (changes: NodeChange<AppNode>[]) => controller.applyNodeChanges(changes);
  const onEdgesChange = (changes: EdgeChange<AppEdge>[]) => controller.applyEdgeChanges(changes);
  // The actions from handlers, as an app calls them (not during render).
  const onPaneClick = () => void fitView({ padding: 0.1 });
  const onPaneContextMenu = () => selectAll();
  const props: ReactFlowProps<AppNode, AppEdge> = { ...controller.getMounted(), onNodesChange, onEdgesChange, onPaneClick, onPaneContextMenu };
  return createElement(ReactFlow<AppNode, AppEdge>, props);
}
