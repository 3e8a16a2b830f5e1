// Type-checks toColumns (scripts/build-pkg.mjs) and the column forms of layoutWorkflow and optimizeWorkflow
// (src/web/optimize.rs) as a user would use them: objects in, objects out; columns in, columns out.
import { layoutWorkflow, optimizeWorkflow, toColumns, WorkflowOptimizer, type FlowNode, type WorkflowColumns } from 'flowscale';
const nodes: FlowNode[] = [{ id: 'a', position: { x: 0, y: 0 } }];
const cols: WorkflowColumns = toColumns({ nodes, edges: [] });
const x: Float64Array | Float32Array = layoutWorkflow(cols).nodes.x;
const p: { x: number; y: number } | undefined = layoutWorkflow({ nodes }).nodes[0]?.position;
const r = optimizeWorkflow({ ...cols, viewport: { x: 0, y: 0, zoom: 1 }, size: { width: 800, height: 600 } });
new WorkflowOptimizer({}).setWorkflow(cols);
console.log(x.length, p, r.analysis);
