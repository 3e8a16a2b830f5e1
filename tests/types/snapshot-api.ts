// Type-checks optimizer.snapshot() (src/web/mod.rs), the stored workflow read back whole.
import { WorkflowOptimizer, type WorkflowSnapshot } from 'flowscale';

const opt = new WorkflowOptimizer({});
const s: WorkflowSnapshot = opt.snapshot();
const first: { id: string; x: number; width: number; parentId: string | null; hidden: boolean } | undefined = s.nodes[0];
const ends: [string, string] = [s.edges[0].source, s.edges[0].target];
// @ts-expect-error parentId is null, never undefined, for a node without a parent
const p: string | undefined = s.nodes[0].parentId;
void first; void ends; void p;
