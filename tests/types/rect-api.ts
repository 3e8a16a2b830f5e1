// Type-checks the whole-workflow queries (src/web/mod.rs) as an adapter would call them.
import { WorkflowOptimizer, type Rect } from 'flowscale';
const opt = new WorkflowOptimizer({});
const b: { x: number; y: number; width: number; height: number } | null = opt.bounds();
const rect: Rect = b ?? { x: 0, y: 0, width: 100, height: 100 };
const full: string[] = opt.nodesInRect(rect);
const partial: string[] = opt.nodesInRect({ x: 0, y: 0, width: 10, height: 10 }, true);
// @ts-expect-error partially is a boolean
opt.nodesInRect(rect, 'yes');
// @ts-expect-error a rect needs all four numbers
opt.nodesInRect({ x: 0, y: 0 });
console.log(full.length, partial.length);
