// PerformanceDashboard: live numbers from the PerformanceService, once a
// second — the package monitor's KPIs with their targets and verdicts, every
// KPI by group with its source and status (KpiDetails.tsx), small time-series
// charts (uPlot), the operation table, the profiler's call tree and hotspots
// beside a Chrome trace export of what was recorded, and the alerts list.
import { useCallback, useEffect, useMemo, useState } from 'react';
import type { Kpi, Verdict } from 'flowscale';
import { Chart, type ChartSeries } from '@/components/Chart';
import performanceService, { KPI_WINDOW_SECONDS, type PerformanceDashboard as Dashboard, type PerformanceSnapshot } from '@/services/performanceService';
import { download } from '@/components/download';
import { AlertRemedies } from '@/components/AlertRemedies';
import { KpiGroups, OperationTable, ProfilePanel } from '@/components/KpiDetails';
import { effectiveConfig, startConfig } from '@/config';
import { useAudioStore } from '@/store/audioStore';

/** The page's names of the package's KPIs (`data-kpi`: tests and benchmarks select them). */
const KPI_KEY: Record<Kpi['id'], string> = { fps: 'fps', memoryMb: 'memory', cpuPercent: 'cpu', cacheHitRatePercent: 'cacheHitRate', loadSeconds: 'load' };
/** The package's verdicts in the page's words (`data-verdict` and the colour classes). */
/** `inconclusive`: a lower bound (memory without GPU memory, CPU from long tasks) under the fail target, neither good nor poor. */
const VERDICT_WORD: Record<Verdict, string> = { pass: 'good', acceptable: 'acceptable', inconclusive: 'inconclusive', fail: 'poor', unavailable: 'unavailable' };
const UNIT: Record<Kpi['id'], string> = { fps: 'FPS', memoryMb: 'MB', cpuPercent: '%', cacheHitRatePercent: '%', loadSeconds: 's' };

const S = {
  fps: [
    { label: 'FPS', color: '#3b6fd8' },
    { label: 'view updates/s', color: '#1e8a5a' },
  ],
  frame: [
    { label: 'p95', color: '#c7700f' },
    { label: 'longest', color: '#c43a4f' },
  ],
  busy: [{ label: 'busy', color: '#7048c8' }],
  memory: [{ label: 'memory (JS heap + wasm)', color: '#1b7ea6' }],
  render: [
    { label: 'React commit (mean)', color: '#3b6fd8' },
    { label: 'flowscale frame()', color: '#1e8a5a' },
  ],
  nodes: [
    { label: 'in view', color: '#3b6fd8' },
    { label: 'mounted', color: '#1e8a5a' },
    { label: 'culled', color: '#9aa1ad' },
  ],
  cache: [{ label: 'hit rate', color: '#c7700f' }],
  io: [
    { label: 'disk read', color: '#1e8a5a' },
    { label: 'disk write', color: '#c43a4f' },
    { label: 'network', color: '#3b6fd8' },
  ],
} satisfies Record<string, ChartSeries[]>;

function column(history: PerformanceSnapshot[], pick: (s: PerformanceSnapshot) => number | null): (number | null)[] {
  return history.map(pick);
}

const kb = (v: number | null) => (v === null ? null : v / 1024);

function useDashboard(intervalMs = startConfig.monitoringIntervalSeconds * 1000): [Dashboard, () => void] {
  const [d, setD] = useState<Dashboard>(() => performanceService.getPerformanceDashboard());
  useEffect(() => performanceService.startRealTimeMonitoring(setD, intervalMs), [intervalMs]);
  const refresh = useCallback(() => setD(performanceService.getPerformanceDashboard()), []);
  return [d, refresh];
}

function formatKpi(k: Kpi): string {
  if (k.value === null) return 'unavailable';
  if (k.id === 'loadSeconds') return k.value >= 1 ? `${k.value.toFixed(2)} s` : `${(k.value * 1000).toFixed(0)} ms`;
  // A lower bound reads as one: "≥ 120 MB".
  return `${k.lowerBound ? '≥ ' : ''}${k.value.toFixed(0)} ${UNIT[k.id]}`;
}

/** The package's target in words: "≥ 60 FPS (≥ 30)", "< 2 s (< 5)". */
function formatTarget(k: Kpi): string {
  const { pass, acceptable, better, inclusive } = k.target;
  const op = better === 'higher' ? (inclusive ? '≥' : '>') : inclusive ? '≤' : '<';
  return `${op} ${pass} ${UNIT[k.id]} (${op} ${acceptable})`;
}

export function PerformanceDashboard() {
  const [d, refresh] = useDashboard();
  const h = d.history;
  const now = h.at(-1)?.time ?? 0;
  // One data set per chart, recomputed once a second when a sample arrives.
  const data = useMemo(() => {
    const xs = h.map((s) => (s.time - now) / 1000);
    return {
      fps: [xs, column(h, (s) => s.fps), column(h, (s) => s.viewUpdatesPerSecond)],
      frame: [xs, column(h, (s) => s.frameP95Ms), column(h, (s) => s.longestFrameMs)],
      busy: [xs, column(h, (s) => s.mainThreadBusyPercent)],
      memory: [xs, column(h, (s) => s.memoryMb)],
      render: [xs, column(h, (s) => s.reactRenderMeanMs), column(h, (s) => s.flowscaleFrameMs)],
      nodes: [xs, column(h, (s) => s.inView), column(h, (s) => s.mounted), column(h, (s) => s.culled)],
      cache: [xs, column(h, (s) => s.cacheHitRatePercent)],
      io: [xs, column(h, (s) => kb(s.diskReadBytesPerSecond)), column(h, (s) => kb(s.diskWriteBytesPerSecond)), column(h, (s) => kb(s.networkBytesPerSecond))],
    };
  }, [h, now]);
  const c = d.current;
  const caps = d.capabilities;

  return (
    <section className="panel dashboard" data-testid="dashboard" aria-label="Performance dashboard">
      <div className="panel__head">
        <h2>Performance</h2>
        <button
          type="button"
          data-testid="export-trace"
          onClick={() => download(`flowscale-profile-${new Date().toISOString().replace(/[:.]/g, '-')}.json`, performanceService.exportChromeTrace())}
          title="Chrome trace JSON: open in chrome://tracing or ui.perfetto.dev"
        >
          Export profile
        </button>
      </div>
      <ProfilePanel d={d} />

      <div className="kpis" data-testid="kpis" title={`Judged by flowscale's PerformanceMonitor over the last ${KPI_WINDOW_SECONDS} s`}>
        {d.kpis.map((k) => (
          <div
            key={k.id}
            className={`kpi verdict-${VERDICT_WORD[k.verdict]}`}
            data-kpi={KPI_KEY[k.id]}
            data-verdict={VERDICT_WORD[k.verdict]}
            title={`${k.label}, last ${KPI_WINDOW_SECONDS} s: ${[k.source, k.reason].filter(Boolean).join('; ')}`}
          >
            <span className="kpi__label">{k.label}</span>
            <span className="kpi__value">{formatKpi(k)}</span>
            <span className="kpi__target">{formatTarget(k)}</span>
          </div>
        ))}
        {d.kpis.length === 0 && <p className="muted">KPI verdicts come from flowscale's PerformanceMonitor (not the source measuring here).</p>}
      </div>

      <KpiGroups d={d} />

      <div className="charts">
        <Chart title="Frame rate" series={S.fps} data={data.fps} testId="chart-fps" />
        <Chart title="Frame time" series={S.frame} data={data.frame} unit="ms" testId="chart-frame" />
        <Chart title="Main thread busy" series={S.busy} data={data.busy} unit="%" yMax={100} testId="chart-busy" />
        {caps.memory ? (
          <Chart title="Memory" series={S.memory} data={data.memory} unit="MB" testId="chart-memory" />
        ) : (
          <p className="unavailable">Memory: unavailable in this browser (no performance.memory)</p>
        )}
        <Chart title="Render time" series={S.render} data={data.render} unit="ms" testId="chart-render" />
        <Chart title="Nodes" series={S.nodes} data={data.nodes} testId="chart-nodes" />
        <Chart title="Cache hit rate" series={S.cache} data={data.cache} unit="%" yMax={100} testId="chart-cache" />
        <Chart title="Disk and network" series={S.io} data={data.io} unit="KB/s" testId="chart-io" />
      </div>

      <OperationTable ops={d.operations} />

      <dl className="facts" data-testid="live">
        <dt>samples</dt>
        <dd data-live="samples">{h.length}</dd>
        <dt>long frames</dt>
        <dd data-live="longFrames">{c ? `${c.longFrames} (${c.longFrameBlockingMs.toFixed(0)} ms blocking)` : '—'}</dd>
        <dt>React commits</dt>
        <dd data-live="commits">{c ? `${c.reactCommits}, max ${c.reactRenderMaxMs?.toFixed(1) ?? '—'} ms` : '—'}</dd>
        <dt>storage</dt>
        <dd>{c?.storage ? `${c.storage.usageMb.toFixed(1)} MB of ${(c.storage.quotaMb / 1024).toFixed(0)} GB` : 'unavailable'}</dd>
        <dt>measured by</dt>
        <dd data-live="source">{d.source}</dd>
        <dt>long frames from</dt>
        <dd>{caps.longAnimationFrame ? 'Long Animation Frames' : caps.longTask ? 'Long Tasks' : 'unavailable'}</dd>
      </dl>

      <div className="alerts" data-testid="alerts">
        <div className="alerts__head">
          <h3>Alerts</h3>
          {d.alerts.length > 0 && (
            <button type="button" className="link" onClick={() => {
                performanceService.clearAlerts();
                refresh();
              }}>
              clear
            </button>
          )}
        </div>
        {d.alerts.length === 0 ? (
          <p className="muted">No alerts. Thresholds: main thread {performanceService.thresholds.cpuPercent} %, heap {performanceService.thresholds.memoryMb} MB, frames ≥ 200 ms.</p>
        ) : (
          <ul>
            {d.alerts.slice(0, 12).map((a) => (
              <li key={a.id} className={`alert severity-${a.severity}`} data-severity={a.severity} data-rule={a.rule} data-alert={a.id}>
                <span className="alert__severity">{a.severity}</span>
                <span className="alert__message">{a.message}</span>
                <AlertRemedies
                  rule={a.rule}
                  onApplied={() => {
                    performanceService.resolveAlert(a.id);
                    refresh();
                  }}
                />
                <time>{new Date(a.at).toLocaleTimeString()}</time>
              </li>
            ))}
          </ul>
        )}
      </div>

      <ConfigTable />
    </section>
  );
}

/** The configuration in force, each value with where it came from: default, env (the build's variables), url (a knob) or panel. */
function ConfigTable() {
  const lod = useAudioStore((s) => s.settings.lod);
  const maxVisibleNodes = useAudioStore((s) => s.settings.maxVisibleNodes);
  const { values, errors } = useMemo(() => effectiveConfig({ lod, maxVisibleNodes }), [lod, maxVisibleNodes]);
  const overridden = values.filter((v) => v.source !== 'default').length;
  return (
    <details className="config" data-testid="config">
      <summary>
        Configuration ({overridden} of {values.length} values set by env, URL or panel)
      </summary>
      {errors.map((e) => (
        <p key={e} className="alert severity-warning" data-testid="config-error">
          Ignored: {e}
        </p>
      ))}
      <table>
        <thead>
          <tr>
            <th>key</th>
            <th>value</th>
            <th>from</th>
          </tr>
        </thead>
        <tbody>
          {values.map((v) => (
            <tr key={v.key} data-config={v.key} data-source={v.source}>
              <td>{v.key}</td>
              <td>{v.value}</td>
              <td>{v.origin ? `${v.source}: ${v.origin}` : v.source}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </details>
  );
}
