// The dashboard's detail: every KPI by group (rendering, memory, system, user
// experience), each with its value, where it comes from and whether it is
// measured, estimated (a lower bound or a stand-in) or unavailable here; the
// operation log as a sortable table; the profiler's call tree and hotspots.
import { useMemo, useState } from 'react';
import type { OperationStats, ProfileNode } from 'flowscale';
import { OPERATIONS_WINDOW_SECONDS, type PerformanceDashboard as Dashboard, type PerformanceSnapshot } from '@/services/performanceService';

export type MetricStatus = 'measured' | 'estimated' | 'unavailable';

export interface MetricRow {
  /** `data-kpi-row`: stable, for tests and benchmarks (`data-metric` is the optimizer's). */
  id: string;
  label: string;
  /** The value in words; for 'unavailable', why. */
  value: string;
  status: MetricStatus;
  source: string;
  /** Extra `data-*` attributes (raw numbers for tests). */
  data?: Record<string, string | number>;
}

export interface MetricGroup {
  id: 'rendering' | 'memory' | 'system' | 'ux';
  title: string;
  rows: MetricRow[];
}

const ms = (v: number) => (v >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${v >= 10 ? v.toFixed(0) : v.toFixed(1)} ms`);
const mb = (v: number) => `${v >= 100 ? v.toFixed(0) : v.toFixed(1)} MB`;

export function bytes(v: number): string {
  if (v < 1024) return `${v.toFixed(0)} B`;
  if (v < 1024 ** 2) return `${(v / 1024).toFixed(1)} KB`;
  if (v < 1024 ** 3) return `${(v / 1024 ** 2).toFixed(1)} MB`;
  return `${(v / 1024 ** 3).toFixed(2)} GB`;
}

function unavailable(id: string, label: string, reason: string, source: string): MetricRow {
  return { id, label, value: `unavailable: ${reason}`, status: 'unavailable', source };
}

/** The latest sample in which `pick` has a value (render times: none while nothing renders). */
function latest<T>(history: PerformanceSnapshot[], pick: (s: PerformanceSnapshot) => T | null): { value: T; ago: number } | null {
  const now = history.at(-1)?.time ?? 0;
  for (let i = history.length - 1; i >= 0; i--) {
    const s = history[i]!;
    const v = pick(s);
    if (v !== null) return { value: v, ago: (now - s.time) / 1000 };
  }
  return null;
}

const ago = (s: number) => (s < 1 ? '' : ` (${s.toFixed(0)} s ago)`);

/** Every KPI of the four groups from the dashboard's data. */
export function metricGroups(d: Dashboard): MetricGroup[] {
  const c = d.current;
  const m = d.monitor;
  const h = d.history;
  const win = m ? `${m.windowSeconds} s` : 'the interval';

  // ---- rendering
  const rendering: MetricRow[] = [];
  const rafSource = m ? `requestAnimationFrame intervals over ${win} (PerformanceMonitor)` : 'requestAnimationFrame intervals';
  if (m && !m.frames.available) {
    rendering.push(unavailable('fps', 'FPS', m.frames.reason ?? 'no frames', rafSource));
    rendering.push(unavailable('frameTime', 'Frame time', m.frames.reason ?? 'no frames', rafSource));
  } else {
    rendering.push(c?.fps != null ? { id: 'fps', label: 'FPS', value: `${c.fps.toFixed(0)} FPS`, status: 'measured', source: rafSource } : unavailable('fps', 'FPS', 'no sample yet', rafSource));
    const ft = m?.frames.frameTimeMs;
    rendering.push(
      ft && ft.p50 !== null && ft.p95 !== null && ft.max !== null
        ? { id: 'frameTime', label: 'Frame time', value: `p50 ${ms(ft.p50)} · p95 ${ms(ft.p95)} · max ${ms(ft.max)}`, status: 'measured', source: `${rafSource}; ${m!.frames.slowFrames} over 25 ms` }
        : c?.frameP95Ms != null
          ? { id: 'frameTime', label: 'Frame time', value: `p95 ${ms(c.frameP95Ms)} · max ${ms(c.longestFrameMs ?? c.frameP95Ms)}`, status: 'measured', source: rafSource }
          : unavailable('frameTime', 'Frame time', 'no frames in the window', rafSource),
    );
  }
  const react = latest(h, (s) => s.reactRenderMeanMs);
  const frame = latest(h, (s) => s.flowscaleFrameMs);
  const renderSource = 'React <Profiler> actualDuration (mean per commit) and flowscale frame() (mean per view update)';
  rendering.push(
    react || frame
      ? {
          id: 'renderTime',
          label: 'Render time',
          value: [react && `React ${ms(react.value)}${ago(react.ago)}`, frame && `frame() ${ms(frame.value)}${ago(frame.ago)}`].filter(Boolean).join(' · '),
          status: 'measured',
          source: renderSource,
        }
      : unavailable('renderTime', 'Render time', 'nothing rendered since the dashboard opened', renderSource),
  );
  const countSource = "flowscale frame(): the viewport's culling (plain React Flow modes: the nodes mounted)";
  if (c && c.total !== null && c.inView !== null && c.mounted !== null && c.culled !== null) {
    rendering.push({ id: 'visible', label: 'Visible nodes', value: `${c.inView.toLocaleString('en')} in view · ${c.mounted.toLocaleString('en')} mounted of ${c.total.toLocaleString('en')}`, status: 'measured', source: countSource, data: { inView: c.inView, mounted: c.mounted, total: c.total } });
    rendering.push({ id: 'culled', label: 'Culled nodes', value: c.culled.toLocaleString('en'), status: 'measured', source: countSource, data: { culled: c.culled } });
  } else {
    rendering.push(unavailable('visible', 'Visible nodes', 'no frame yet', countSource));
    rendering.push(unavailable('culled', 'Culled nodes', 'no frame yet', countSource));
  }

  // ---- memory
  const memory: MetricRow[] = [];
  const heapSource = 'performance.memory (JS heap used / jsHeapSizeLimit)';
  const heap = m?.memory.jsHeap;
  if (heap?.available) {
    const pct = (100 * heap.usedMb) / heap.limitMb;
    // Without cross-origin isolation Chromium rounds the heap sizes: an estimate.
    const status: MetricStatus = heap.precise ? 'measured' : 'estimated';
    const note = heap.precise ? '' : '; sizes rounded by the browser';
    memory.push({ id: 'memoryUsed', label: 'Memory used', value: `${mb(heap.usedMb)} (${pct.toFixed(1)} % of the limit)`, status, source: heapSource + note, data: { usedMb: heap.usedMb, percent: pct } });
    memory.push({ id: 'memoryAvailable', label: 'Memory available', value: `${mb(heap.limitMb - heap.usedMb)} of ${mb(heap.limitMb)}`, status, source: heapSource + note, data: { limitMb: heap.limitMb } });
  } else {
    const reason = heap && !heap.available ? heap.reason : 'no performance.memory in this browser';
    memory.push(unavailable('memoryUsed', 'Memory used', reason, heapSource));
    memory.push(unavailable('memoryAvailable', 'Memory available', reason, heapSource));
  }
  if (m && m.memory.source !== 'none') {
    memory.push({ id: 'memoryTotal', label: 'Memory (page)', value: `≥ ${mb(m.memory.totalMb)}`, status: 'estimated', source: `${m.memory.source} (PerformanceMonitor); a lower bound: DOM, canvas and GPU memory are not counted` });
  }
  const cacheSource = `WorkflowCache stats(): hits / lookups, memory and IndexedDB tiers${c ? `, ${c.cacheLookups} lookups` : ''}`;
  memory.push(
    c?.cacheHitRatePercent != null
      ? { id: 'cacheHitRate', label: 'Cache hit rate', value: `${c.cacheHitRatePercent.toFixed(0)} %`, status: 'measured', source: cacheSource }
      : unavailable('cacheHitRate', 'Cache hit rate', d.disk ? 'no lookup yet' : 'the cache is not open yet (Optimizer tab)', cacheSource),
  );
  const leak = m?.memory.leak;
  const leakSource = leak ? `PerformanceMonitor leak alerts: memory growing over ${leak.windowSeconds} s` : 'PerformanceMonitor leak alerts';
  if (leak && (leak.jsHeap.available || leak.wasm.available)) {
    const parts = (
      [
        ['JS heap', leak.jsHeap],
        ['wasm', leak.wasm],
      ] as const
    ).flatMap(([name, l]) => (l.available ? [`${name} ${l.growthMbPerMinute >= 0 ? '+' : ''}${l.growthMbPerMinute.toFixed(1)} MB/min`] : []));
    const suspected = d.leakAlerts.length > 0;
    memory.push({
      id: 'leak',
      label: 'Leak',
      value: `${suspected ? `suspected (${d.leakAlerts.map((a) => a.key.replace('memoryLeak:', '')).join(', ')})` : 'none suspected'} · ${parts.join(' · ')}`,
      status: 'measured',
      source: leakSource,
      data: { leakAlerts: d.leakAlerts.length },
    });
  } else {
    memory.push(unavailable('leak', 'Leak', leak && !leak.jsHeap.available ? leak.jsHeap.reason : 'no memory samples yet', leakSource));
  }
  const gc = m?.memory.gc;
  const gcSource = 'PerformanceMonitor: drops of the JS heap of 1 MB or more between samples (pages get no GC events); a lower bound';
  memory.push(
    gc?.available
      ? { id: 'gc', label: 'GC frequency', value: `≥ ${gc.perMinute.toFixed(1)} /min (${gc.drops} heap drops)`, status: 'estimated', source: gcSource }
      : unavailable('gc', 'GC frequency', gc && !gc.available ? gc.reason : 'no memory samples yet', gcSource),
  );

  // ---- system
  const system: MetricRow[] = [];
  const cpuSource = "main thread busy: long tasks + long animation frames (the browser's stand-in for CPU; pages get no CPU %)";
  const mt = m?.mainThread;
  system.push(
    mt && !mt.available
      ? unavailable('cpu', 'CPU (main thread)', mt.reason ?? 'no long-task observer', cpuSource)
      : c?.mainThreadBusyPercent != null
        ? { id: 'cpu', label: 'CPU (main thread)', value: `≥ ${c.mainThreadBusyPercent.toFixed(0)} % busy`, status: 'estimated', source: cpuSource }
        : unavailable('cpu', 'CPU (main thread)', 'no sample yet', cpuSource),
  );
  // The values' sizes as the cache counts them (its estimate, or sizeBytes): IndexedDB's own encoding is not visible to pages.
  const diskSource = "WorkflowCache stats().disk bytesRead / bytesWritten: IndexedDB values at the cache's estimate of their size";
  if (d.disk && d.disk.status !== 'off' && d.disk.status !== 'unavailable') {
    const rate = (v: number | null) => (v === null ? '…' : `${bytes(v)}/s`);
    system.push({ id: 'diskRead', label: 'Disk read', value: `${rate(d.disk.readBytesPerSecond)} · ${bytes(d.disk.bytesRead)} total`, status: 'estimated', source: diskSource, data: { bytes: d.disk.bytesRead } });
    system.push({ id: 'diskWrite', label: 'Disk write', value: `${rate(d.disk.writeBytesPerSecond)} · ${bytes(d.disk.bytesWritten)} total`, status: 'estimated', source: diskSource, data: { bytes: d.disk.bytesWritten } });
  } else {
    const reason = d.disk ? `the cache's disk tier is ${d.disk.status}` : 'the cache is not open yet (Optimizer tab)';
    system.push(unavailable('diskRead', 'Disk read', reason, diskSource));
    system.push(unavailable('diskWrite', 'Disk write', reason, diskSource));
  }
  const storageSource = 'navigator.storage.estimate() (the origin: IndexedDB, caches; padded by the browser)';
  const st = m?.storage;
  system.push(
    st?.available
      ? { id: 'storage', label: 'Storage', value: `${mb(st.usageMb)} of ${(st.quotaMb / 1024).toFixed(0)} GB (${st.usagePercent.toFixed(2)} %)`, status: 'estimated', source: storageSource }
      : c?.storage
        ? { id: 'storage', label: 'Storage', value: `${mb(c.storage.usageMb)} of ${(c.storage.quotaMb / 1024).toFixed(0)} GB`, status: 'estimated', source: storageSource }
        : unavailable('storage', 'Storage', st && !st.available ? st.reason : 'no estimate yet', storageSource),
  );
  const net = m?.network;
  const netSource = `Resource Timing transfer sizes over ${win} (PerformanceMonitor)`;
  system.push(
    net?.available
      ? {
          id: 'network',
          label: 'Network',
          value: `${bytes(net.bytesPerSecond)}/s · ${net.resources} resources`,
          // Cross-origin resources without Timing-Allow-Origin report 0 bytes: then a lower bound.
          status: net.zeroByteResources > 0 ? 'estimated' : 'measured',
          source: net.zeroByteResources > 0 ? `${netSource}; ${net.zeroByteResources} without a size (cached or cross-origin)` : netSource,
        }
      : unavailable('network', 'Network', net && !net.available ? net.reason : 'without the package monitor', netSource),
  );

  // ---- user experience
  const ux: MetricRow[] = [];
  const inpSource = 'Event Timing: INP-style worst interaction (p98) of the latest window with interactions (PerformanceMonitor)';
  const it = m?.interactions;
  ux.push(
    d.interaction
      ? { id: 'inp', label: 'INP', value: `${ms(d.interaction.inpMs)} (${d.interaction.interactions} interactions${ago((( c?.time ?? d.interaction.at) - d.interaction.at) / 1000)})`, status: 'measured', source: inpSource }
      : unavailable('inp', 'INP', it && !it.available ? it.reason : 'no interaction measured yet', inpSource),
  );
  const loadSource = 'operation "load": from the start of a load until its document is generated, indexed and on screen';
  ux.push(
    d.load.lastLoadMs !== null
      ? { id: 'loadTime', label: 'Load time', value: ms(d.load.lastLoadMs), status: 'measured', source: loadSource, data: { ms: d.load.lastLoadMs } }
      : unavailable('loadTime', 'Load time', 'no load finished yet', loadSource),
  );
  const navSource = 'Navigation Timing: navigation start to the end of the load event (the page, before its workflow)';
  ux.push(d.load.navigationMs !== null ? { id: 'pageLoad', label: 'Page load', value: ms(d.load.navigationMs), status: 'measured', source: navSource } : unavailable('pageLoad', 'Page load', 'the load event has not ended', navSource));
  const firstSource = "the document's first nodes on screen after its load started (a first paint: big workflows show a first part early)";
  ux.push(d.load.firstRenderMs !== null ? { id: 'firstRender', label: 'First render', value: ms(d.load.firstRenderMs), status: 'measured', source: firstSource, data: { ms: d.load.firstRenderMs } } : unavailable('firstRender', 'First render', 'nothing rendered yet', firstSource));

  return [
    { id: 'rendering', title: 'Rendering', rows: rendering },
    { id: 'memory', title: 'Memory', rows: memory },
    { id: 'system', title: 'System', rows: system },
    { id: 'ux', title: 'User experience', rows: ux },
  ];
}

export function KpiGroups({ d }: { d: Dashboard }) {
  const groups = metricGroups(d);
  return (
    <div className="metric-groups" data-testid="kpi-groups">
      {groups.map((g) => (
        <details key={g.id} open className="metric-group" data-group={g.id}>
          <summary>{g.title}</summary>
          <ul>
            {g.rows.map((r) => (
              <li key={r.id} className={`metric status-${r.status}`} data-kpi-row={r.id} data-status={r.status} {...dataAttrs(r.data)}>
                <span className="metric__label">{r.label}</span>
                <span className="metric__value" data-value="">
                  {r.value}
                </span>
                <span className="metric__status">{r.status}</span>
                <span className="metric__source" data-source="">
                  {r.source}
                </span>
              </li>
            ))}
          </ul>
        </details>
      ))}
    </div>
  );
}

function dataAttrs(data: Record<string, string | number> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(data ?? {})) out[`data-${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`] = String(v);
  return out;
}

// ---- operations ------------------------------------------------------------------------

const opsWindow = () => (OPERATIONS_WINDOW_SECONDS >= 120 ? `${(OPERATIONS_WINDOW_SECONDS / 60).toFixed(0)} min` : `${OPERATIONS_WINDOW_SECONDS} s`);

type OpColumn = 'name' | 'calls' | 'errors' | 'p50Ms' | 'p95Ms' | 'maxMs' | 'trend';
const OP_COLUMNS: { key: OpColumn; label: string; title: string }[] = [
  { key: 'name', label: 'operation', title: 'track(name) / PerformanceService.operation' },
  { key: 'calls', label: 'calls', title: `calls in the last ${opsWindow()} (hover a row: since the start)` },
  { key: 'errors', label: 'errors', title: 'failed calls and the error rate' },
  { key: 'p50Ms', label: 'p50', title: 'median duration, ms' },
  { key: 'p95Ms', label: 'p95', title: '95th percentile duration, ms' },
  { key: 'maxMs', label: 'max', title: 'longest call, ms' },
  { key: 'trend', label: 'trend', title: "the monitor's trend of the duration over the window (least-squares slope): ▲ slower, ▼ faster, ▬ flat" },
];
const TREND_ORDER: Record<OperationStats['trend']['direction'], number> = { falling: 0, flat: 1, unknown: 2, rising: 3 };
const TREND_MARK: Record<OperationStats['trend']['direction'], string> = { rising: '▲', falling: '▼', flat: '▬', unknown: '–' };

function opValue(o: OperationStats, key: OpColumn): number | string {
  switch (key) {
    case 'name':
      return o.name;
    case 'errors':
      return o.errors;
    case 'trend':
      return TREND_ORDER[o.trend.direction] * 1e9 + (o.trend.slopeMsPerMinute ?? 0);
    default:
      return o[key];
  }
}

export function sortOperations(ops: OperationStats[], key: OpColumn, descending: boolean): OperationStats[] {
  const sign = descending ? -1 : 1;
  return [...ops].sort((a, b) => {
    const x = opValue(a, key);
    const y = opValue(b, key);
    const c = typeof x === 'string' || typeof y === 'string' ? String(x).localeCompare(String(y)) : x - y;
    return sign * c || a.name.localeCompare(b.name);
  });
}

export function OperationTable({ ops }: { ops: OperationStats[] }) {
  const [sort, setSort] = useState<{ key: OpColumn; descending: boolean }>({ key: 'calls', descending: true });
  const rows = useMemo(() => sortOperations(ops, sort.key, sort.descending), [ops, sort]);
  return (
    <div className="ops" data-testid="operations">
      <h3>Operations (last {opsWindow()})</h3>
      {ops.length === 0 ? (
        <p className="muted">No operation tracked yet (the package monitor's track()).</p>
      ) : (
        <table className="ops__table" data-sort={sort.key} data-order={sort.descending ? 'desc' : 'asc'}>
          <thead>
            <tr>
              {OP_COLUMNS.map((c) => (
                <th key={c.key} title={c.title} aria-sort={sort.key === c.key ? (sort.descending ? 'descending' : 'ascending') : 'none'}>
                  <button
                    type="button"
                    className="link"
                    data-sort-by={c.key}
                    onClick={() => setSort((s) => ({ key: c.key, descending: s.key === c.key ? !s.descending : c.key !== 'name' }))}
                  >
                    {c.label}
                    {sort.key === c.key ? (sort.descending ? ' ↓' : ' ↑') : ''}
                  </button>
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.map((o) => (
              <tr key={o.name} data-op={o.name} data-calls={o.calls} data-errors={o.errors} title={`${o.totalCalls} calls, ${o.totalErrors} errors since the start; mean ${o.meanMs.toFixed(1)} ms, last ${o.lastMs.toFixed(1)} ms`}>
                <td className="ops__name">{o.name}</td>
                <td>{o.calls}</td>
                <td className={o.errors > 0 ? 'ops__errors' : undefined}>{o.errors > 0 ? `${o.errors} (${o.errorRatePercent.toFixed(0)} %)` : '0'}</td>
                <td>{o.p50Ms.toFixed(0)}</td>
                <td>{o.p95Ms.toFixed(0)}</td>
                <td>{o.maxMs.toFixed(0)}</td>
                <td
                  className={`trend-${o.trend.direction}`}
                  data-trend={o.trend.direction}
                  title={o.trend.slopeMsPerMinute === null ? 'too few calls for a trend' : `${o.trend.slopeMsPerMinute >= 0 ? '+' : ''}${o.trend.slopeMsPerMinute.toFixed(1)} ms per minute`}
                >
                  {TREND_MARK[o.trend.direction]}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

// ---- profile -------------------------------------------------------------------------------

function TreeNode({ node, depth }: { node: ProfileNode; depth: number }) {
  const label = (
    <>
      <span className="tree__name">{node.name}</span>
      <span className="tree__nums">
        ×{node.count} · {ms(node.totalMs)} total · {ms(node.selfMs)} self
      </span>
    </>
  );
  if (node.children.length === 0) {
    return (
      <li data-span={node.name} data-depth={depth} className="tree__leaf">
        {label}
      </li>
    );
  }
  return (
    <li data-span={node.name} data-depth={depth}>
      <details open={depth === 0}>
        <summary>{label}</summary>
        <ul>
          {node.children.map((c) => (
            <TreeNode key={c.name} node={c} depth={depth + 1} />
          ))}
        </ul>
      </details>
    </li>
  );
}

export function ProfilePanel({ d }: { d: Dashboard }) {
  const p = d.profile;
  return (
    <details className="profile" data-testid="profile">
      <summary>
        Profiler: {p.spans} spans{p.openSpans ? `, ${p.openSpans} open` : ''} — call tree and hotspots
      </summary>
      {p.tree.length === 0 ? (
        <p className="muted">No span recorded yet (operations and their steps: generate, index, optimize, cache…).</p>
      ) : (
        <>
          <ul className="tree" data-testid="profile-tree">
            {p.tree.map((n) => (
              <TreeNode key={n.name} node={n} depth={0} />
            ))}
          </ul>
          <table className="hotspots" data-testid="hotspots">
            <thead>
              <tr>
                <th>hotspot (self time)</th>
                <th>self</th>
                <th>%</th>
                <th>calls</th>
              </tr>
            </thead>
            <tbody>
              {p.hotspots.slice(0, 8).map((s) => (
                <tr key={s.name} data-hotspot={s.name}>
                  <td>{s.name}</td>
                  <td>{ms(s.selfMs)}</td>
                  <td>{s.selfPercent.toFixed(0)}</td>
                  <td>{s.count}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </details>
  );
}
