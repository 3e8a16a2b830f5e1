// The smoke test's page (tests/e2e/package.test.mjs): what a new user writes
// first, the same for every bundler. Without ?draw it uses the core alone (no
// GPU module is fetched); bench/startup.mjs weighs that page on the wire.
export const APP = `import init, * as flowscale from 'flowscale';
import { WorkflowOptimizer, Renderer, toColumns } from 'flowscale';
import { WorkflowCache } from 'flowscale/cache';
import { PerformanceMonitor } from 'flowscale/monitor';

async function main() {
  await init();
  const nodes = [];
  for (let i = 0; i < 10000; i++) nodes.push({ id: 'n' + i, position: { x: (i % 100) * 200, y: Math.floor(i / 100) * 100 }, data: {}, width: 150, height: 40 });
  const edges = nodes.slice(1).map((n, i) => ({ id: 'e' + i, source: 'n' + i, target: n.id }));
  const optimizer = new WorkflowOptimizer();
  optimizer.setWorkflow(toColumns({ nodes, edges }));
  const frame = optimizer.frame({ x: 0, y: 0, zoom: 1 }, { width: 1190, height: 790 });
  const fitted = optimizer.frame({ x: 0, y: 0, zoom: 0.05 }, { width: 1200, height: 800 });
  const cache = await WorkflowCache.open({ name: 'smoke', strategy: 'write-through' });
  await cache.set('w', { nodes: 1 });
  const cached = await cache.get('w');
  cache.close();
  const monitor = new PerformanceMonitor();
  const snapshot = monitor.snapshot();
  let error = null;
  try { optimizer.setWorkflow({ nodes: [{ id: 'a', position: { x: NaN, y: 0 }, data: {} }], edges: [] }); } catch (e) { error = { name: e.name, code: e.code, path: e.path, isFlowscaleError: e instanceof flowscale.FlowscaleError }; }
  // ?draw: the GPU layer too (its module is fetched by this first create), the first nodes drawn and read back.
  let drew;
  if (location.search.includes('draw')) {
    const canvas = document.createElement('canvas');
    canvas.width = 64; canvas.height = 64;
    document.body.append(canvas);
    const renderer = await Renderer.create(canvas, optimizer, { backend: 'webgl2', draw: 'all', palette: { background: '#ffffff', node: { fill: '#dc2828' } } });
    renderer.render(optimizer.frame({ x: 0, y: 0, zoom: 1 }, { width: 64, height: 64 }));
    const px = await renderer.readPixels();
    drew = { backend: renderer.backend, drawCalls: renderer.stats().drawCalls, centre: Array.from(px.subarray((20 * 64 + 20) * 4, (20 * 64 + 20) * 4 + 4)) };
    renderer.free();
  }
  window.result = {
    drew,
    nodeCount: optimizer.nodeCount,
    inView: frame.stats.inView,
    mounted: frame.visibleIds.length,
    inViewFitted: fitted.stats.inView,
    cached,
    snapshot: typeof snapshot === 'object' && snapshot !== null,
    sameCache: WorkflowCache === flowscale.WorkflowCache,
    sameMonitor: PerformanceMonitor === flowscale.PerformanceMonitor,
    internals: ['CacheCore', 'MonitorCore', 'ProfilerCore'].filter((n) => n in flowscale),
    error,
  };
}
main().catch((e) => { window.result = { failed: String(e && e.stack || e) }; });
`;

export const HTML = (src) => `<!doctype html><meta charset="utf-8"><title>flowscale smoke</title><script type="module" src="${src}"></script>\n`;
