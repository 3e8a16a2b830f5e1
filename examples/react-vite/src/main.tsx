// A React Flow editor over a generated 100,000-node workflow: the user's own
// state (useNodesState), React Flow mounts only the nodes on screen, the GPU
// layer draws the rest, the minimap shows everything.
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { ControlButton, Controls, ReactFlow, ReactFlowProvider, useEdgesState, useNodesState, type Edge, type Node } from '@xyflow/react';
import { FlowscaleLayer, FlowscaleMiniMap, useFlowscale } from 'flowscale/react';
import '@xyflow/react/dist/style.css';

const count = Number(new URLSearchParams(location.search).get('n') ?? 100_000);
const COLUMNS = Math.ceil(Math.sqrt(count));
const initialNodes: Node[] = Array.from({ length: count }, (_, i) => ({
  id: `n${i}`,
  position: { x: (i % COLUMNS) * 220, y: Math.floor(i / COLUMNS) * 120 },
  data: { label: `Node ${i}` },
  width: 150,
  height: 40,
}));
const initialEdges: Edge[] = initialNodes.slice(1).map((n, i) => ({ id: `e${i}`, source: i % COLUMNS === COLUMNS - 1 ? `n${i + 1 - COLUMNS}` : `n${i}`, target: n.id }));

function Editor() {
  const [nodes, , onNodesChange] = useNodesState(initialNodes);
  const [edges, , onEdgesChange] = useEdgesState(initialEdges);
  const flow = useFlowscale({ nodes, edges, onNodesChange, onEdgesChange });
  return (
    <ReactFlow nodes={flow.nodes} edges={flow.edges} onNodesChange={flow.onNodesChange} onEdgesChange={flow.onEdgesChange} minZoom={0.01} deleteKeyCode={null}>
      <FlowscaleLayer />
      <FlowscaleMiniMap />
      {/* React Flow's own fit button sees only the mounted nodes: fit every node instead. */}
      <Controls showFitView={false}>
        <ControlButton onClick={() => void flow.fitView()} title="fit view" aria-label="fit view">⤢</ControlButton>
      </Controls>
      <div style={{ position: 'absolute', top: 8, left: 8, zIndex: 5, font: '12px sans-serif' }} data-testid="stats">
        {nodes.length.toLocaleString('en')} nodes · {flow.nodes.length} mounted · GPU {flow.gpu.status}
      </div>
    </ReactFlow>
  );
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <ReactFlowProvider>
      <Editor />
    </ReactFlowProvider>
  </StrictMode>,
);
