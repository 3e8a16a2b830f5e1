// Type-checks the hand-written WorkflowCache types (src/web/cache.d.ts) as a user would use them.
import { WorkflowCache, FlowscaleError, type CacheStats } from 'flowscale';
async function main() {
  const c = await WorkflowCache.open({ name: 'x', strategy: 'write-behind', onError: (e: FlowscaleError) => console.log(e.code) });
  await c.set('k', { a: 1 }, { ttlSeconds: 5, tags: ['t'] });
  const v = c.getSync<{ a: number }>('k');
  const n: number = await c.invalidateTag('t');
  const s: CacheStats = c.stats();
  c.addEventListener('error', (ev) => console.log(ev.error.code));
  const w = await c.getCachedWorkflow<{ nodes: unknown[] }>('id');
  console.log(v?.a, n, s.disk.status, w?.workflowData.nodes.length, await c.getOrLoad('q', async () => 5));
}
main();
