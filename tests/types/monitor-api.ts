// Type-checks the monitor, profiler and PerformanceManager types (src/web/monitor.d.ts and the
// typescript_custom_section of src/web/monitor.rs and src/web/manager.rs) as a user would use them.
import {
  PerformanceManager, PerformanceMonitor, Profiler, track, type Alert, type AppTraceEvent, type MonitorSnapshot, type PerformanceReport,
} from 'flowscale';
async function main() {
  const mon = new PerformanceMonitor({ alertThresholds: { cpuPercent: 70 }, monitoring: { windowSeconds: 5 } });
  mon.start({ intervalSeconds: 1 });
  const off = mon.onAlert((a: Alert) => console.log(a.key, a.severity, a.change));
  const s: MonitorSnapshot = mon.snapshot();
  const fps: number | null = s.frames.fps;
  const heap = s.memory.jsHeap.available ? s.memory.jsHeap.usedMb : s.memory.jsHeap.reason;
  const r: PerformanceReport = mon.report({ windowSeconds: 30 });
  const n: number = track('save', () => 5);
  const p = new Profiler({ heap: true });
  const v: Promise<number> = p.profile('load', async () => 1);
  console.log(fps, heap, r.kpis[0].verdict, n, await v, p.report().hotspots[0]?.selfMs, p.exportChromeTrace().length);
  const events: AppTraceEvent[] = [
    { track: 'react', name: 'commit', start: 1, duration: 2, args: { phase: 'update' } },
    { track: 'counters', name: 'fps', start: 3, values: { fps: 60 } },
  ];
  console.log(p.exportChromeTrace({ events }).length);
  mon.setThresholds({ memoryMb: 2048 });
  off();
  const pm = await PerformanceManager.create({ cache: { defaultTtlSeconds: 60 } }, { cacheName: 'x' });
  const o = await pm.optimizeWorkflow({ nodes: [], edges: [], viewport: { x: 0, y: 0, zoom: 1 } });
  const st = pm.status();
  const c = await pm.cacheWorkflow('id', { workflowData: { nodes: [] }, ttlSeconds: 10 });
  const got = await pm.getCachedWorkflow('id');
  const b = await pm.benchmark({ workflowData: { nodes: [] }, iterations: 3 });
  console.log(o.timings.totalMs, st.cache.disk.status, st.alerts.active.length, c.durable, got?.contentHash, b.stages[0].p95Ms);
  pm.startMonitoring({ intervalSeconds: 2 });
  pm.monitor.stop();
}
main();
