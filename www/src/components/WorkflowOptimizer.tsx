// WorkflowOptimizer: analyze the workflow with flowscale (in a worker), show
// its complexity metrics and rule-based recommendations with one-click apply,
// benchmark optimizeWorkflow stage by stage, and cache the workflow.
import { useMemo, useState } from 'react';
import type { Recommendation, StageTimings } from 'flowscale';
import { Chart, type ChartSeries } from '@/components/Chart';
import { useAudioStore } from '@/store/audioStore';
import { startConfig } from '@/config';

const STAGE_SERIES: { key: keyof StageTimings; label: string; color: string }[] = [
  { key: 'extractMs', label: 'extract', color: '#3b6fd8' },
  { key: 'buildMs', label: 'build', color: '#1e8a5a' },
  { key: 'frameMs', label: 'frame', color: '#c7700f' },
  { key: 'edgesMs', label: 'edges', color: '#7048c8' },
  { key: 'analysisMs', label: 'analysis', color: '#c43a4f' },
  { key: 'recommendationsMs', label: 'recommendations', color: '#59584f' },
];

const APPLY_LABEL: Record<Recommendation['id'], string> = {
  'virtual-scrolling': 'Use flowscale',
  'level-of-detail': 'Enable LOD',
  'zoom-clustering': 'Use clusters',
  'group-communities': 'Group',
  're-layout': 'Re-layout',
  'resolve-overlaps': 'Re-layout',
  'simplify-edges': 'Simplify edges',
};

/** The panel's choices, with the configured value (RENDERING_MAX_VISIBLE_NODES) among them. */
const MAX_MOUNTED_CHOICES = [...new Set([250, 500, 1000, 2000, startConfig.rendering.maxVisibleNodes])].sort((a, b) => a - b);

const ms = (v: number) => (v >= 1000 ? `${(v / 1000).toFixed(2)} s` : v >= 10 ? `${v.toFixed(0)} ms` : `${v.toFixed(2)} ms`);
const num = (v: number) => v.toLocaleString('en', { maximumFractionDigits: 2 });

function OptimizeSection() {
  const optimizer = useAudioStore((s) => s.optimizer);
  const optimizeWorkflow = useAudioStore((s) => s.optimizeWorkflow);
  const applyRecommendation = useAudioStore((s) => s.applyRecommendation);
  const busy = useAudioStore((s) => s.loading !== null || (s.layout?.running ?? false));
  const r = optimizer.result;
  const [applying, setApplying] = useState<string | null>(null);
  const a = r?.analysis;
  return (
    <div className="section" data-testid="optimize">
      <div className="section__head">
        <h3>Analysis</h3>
        <button type="button" className="primary" data-testid="run-optimize" disabled={optimizer.running || busy} onClick={() => void optimizeWorkflow()}>
          {optimizer.running ? 'Analyzing…' : r ? 'Analyze again' : 'Analyze & optimize'}
        </button>
      </div>
      {optimizer.error && <p className="error">{optimizer.error}</p>}
      {!r && !optimizer.running && <p className="muted">Runs flowscale's optimizeWorkflow in a Web Worker: clusters, simplified edges, complexity metrics and recommendations.</p>}
      {r && a && (
        <>
          <dl className="metrics" data-testid="metrics">
            <dt>nodes</dt>
            <dd data-metric="nodes">{num(a.nodes)}</dd>
            <dt>edges</dt>
            <dd data-metric="edges">{num(a.edges)}</dd>
            <dt>density</dt>
            <dd>{a.density.toExponential(2)}</dd>
            <dt>depth</dt>
            <dd>{num(a.depth)}</dd>
            <dt>max fan-in / out</dt>
            <dd>
              {a.maxFanIn} / {a.maxFanOut}
            </dd>
            <dt>components</dt>
            <dd>{num(a.components)}</dd>
            <dt>crossings</dt>
            <dd>
              {num(a.crossings)}
              {a.crossingsExact ? '' : ' (sampled)'} · {a.crossingsPerEdge.toFixed(2)}/edge
            </dd>
            <dt>long edges</dt>
            <dd>{(a.longEdgeShare * 100).toFixed(1)} %</dd>
            <dt>overlapping</dt>
            <dd>{(a.overlapShare * 100).toFixed(1)} %</dd>
            <dt>communities</dt>
            <dd>
              {num(a.communities)} (modularity {a.modularity.toFixed(2)})
            </dd>
            <dt>DOM, plain / windowed</dt>
            <dd title="An estimate: 4 elements per node, 3 per edge">
              {num(a.domElements)} / {num(a.domElementsWindowed)}
            </dd>
            <dt>clusters at fit</dt>
            <dd>{num(r.clusters)}</dd>
            <dt>optimize took</dt>
            <dd data-metric="totalMs">{ms(r.timings.totalMs)}</dd>
          </dl>
          <h4>Recommendations</h4>
          {r.recommendations.length === 0 ? (
            <p className="muted" data-testid="no-recommendations">
              None: this workflow is within every rule's threshold, or the remedy is already on.
            </p>
          ) : (
            <ul className="recommendations" data-testid="recommendations">
              {r.recommendations.map((rec) => {
                const done = optimizer.applied.includes(rec.id);
                return (
                  <li key={rec.id} className={`rec severity-${rec.severity}`} data-rec={rec.id}>
                    <span className="rec__severity">{rec.severity}</span>
                    <span className="rec__message" title={`${rec.metric} = ${num(rec.value)} (threshold ${num(rec.threshold)})`}>
                      {rec.message}
                    </span>
                    <button
                      type="button"
                      data-apply={rec.id}
                      disabled={done || applying !== null || busy}
                      onClick={() => {
                        setApplying(rec.id);
                        void applyRecommendation(rec.id).finally(() => setApplying(null));
                      }}
                    >
                      {done ? 'Applied ✓' : applying === rec.id ? 'Applying…' : APPLY_LABEL[rec.id]}
                    </button>
                  </li>
                );
              })}
            </ul>
          )}
          {optimizer.applied.length > 0 && (
            <p className="muted" data-testid="applied">
              Applied: {optimizer.applied.map((id) => APPLY_LABEL[id as Recommendation['id']] ?? id).join(', ')}
            </p>
          )}
        </>
      )}
    </div>
  );
}

function SettingsSection() {
  const settings = useAudioStore((s) => s.settings);
  const mode = useAudioStore((s) => s.mode);
  const updateSettings = useAudioStore((s) => s.updateSettings);
  const disabled = mode !== 'flowscale';
  return (
    <div className="section" data-testid="settings">
      <h3>Rendering</h3>
      <label className="toggle">
        <input type="checkbox" data-setting="lod" checked={settings.lod} disabled={disabled} onChange={(e) => void updateSettings({ lod: e.target.checked })} />
        Level of detail (small nodes on the GPU, labels at medium zoom)
      </label>
      <label className="toggle">
        <input
          type="checkbox"
          data-setting="simplifyEdges"
          checked={settings.simplifyEdges}
          disabled={disabled}
          onChange={(e) => void updateSettings({ simplifyEdges: e.target.checked })}
        />
        Simplify edges: parallel ones drawn as one (×N), counted when the view settles
      </label>
      <label className="field">
        Max mounted nodes
        <select data-setting="maxVisibleNodes" value={settings.maxVisibleNodes} disabled={disabled} onChange={(e) => void updateSettings({ maxVisibleNodes: Number(e.target.value) })}>
          {MAX_MOUNTED_CHOICES.map((n) => (
            <option key={n} value={n}>
              {n}
            </option>
          ))}
        </select>
      </label>
    </div>
  );
}

function BenchmarkSection() {
  const bench = useAudioStore((s) => s.benchmark);
  const runBenchmark = useAudioStore((s) => s.runBenchmark);
  const busy = useAudioStore((s) => s.loading !== null);
  const [iterations, setIterations] = useState(10);
  const report = bench.report;
  const series: ChartSeries[] = useMemo(() => STAGE_SERIES.map((s) => ({ label: s.label, color: s.color })), []);
  const data = useMemo(() => {
    if (!report) return null;
    const xs = report.iterations.map((_, i) => i + 1);
    return [xs, ...STAGE_SERIES.map((s) => report.iterations.map((it) => it.timings[s.key]))];
  }, [report]);
  return (
    <div className="section" data-testid="benchmark">
      <div className="section__head">
        <h3>Benchmark</h3>
        <label className="field inline">
          iterations
          <input
            type="number"
            min={1}
            max={200}
            value={iterations}
            data-testid="bench-iterations"
            onChange={(e) => setIterations(Math.max(1, Math.min(200, Number(e.target.value) || 1)))}
          />
        </label>
        <button type="button" data-testid="run-benchmark" disabled={bench.running || busy} onClick={() => void runBenchmark(iterations)}>
          {bench.running ? `Running ${Math.round(bench.fraction * 100)} %` : 'Run'}
        </button>
      </div>
      {bench.error && <p className="error">{bench.error}</p>}
      {report && data && (
        <>
          <Chart title={`optimizeWorkflow per stage, ${report.nodes.toLocaleString('en')} nodes`} series={series} data={data} unit="ms" x="index" height={120} testId="bench-chart" />
          <table className="bench-table" data-testid="bench-table">
            <thead>
              <tr>
                <th>stage</th>
                <th>median</th>
                <th>p95</th>
              </tr>
            </thead>
            <tbody>
              {report.stages.map((s) => (
                <tr key={s.stage} data-stage={s.stage}>
                  <td>{s.stage.replace(/Ms$/, '')}</td>
                  <td>{ms(s.medianMs)}</td>
                  <td>{ms(s.p95Ms)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </div>
  );
}

function CacheSection() {
  const cache = useAudioStore((s) => s.cache);
  const cacheWorkflow = useAudioStore((s) => s.cacheWorkflow);
  const loadCachedWorkflow = useAudioStore((s) => s.loadCachedWorkflow);
  const busy = useAudioStore((s) => s.loading !== null);
  const e = cache.entry;
  return (
    <div className="section" data-testid="cache">
      <div className="section__head">
        <h3>Cache</h3>
        <button type="button" data-testid="cache-save" disabled={cache.busy || busy} onClick={() => void cacheWorkflow()}>
          Cache workflow
        </button>
        <button type="button" data-testid="cache-load" disabled={cache.busy || busy || !e} onClick={() => void loadCachedWorkflow()}>
          Load from cache
        </button>
      </div>
      <p className="muted" data-testid="cache-entry">
        {e
          ? `Cached: ${e.nodes.toLocaleString('en')} nodes, ${e.edges.toLocaleString('en')} edges, ${new Date(e.cachedAt).toLocaleString()} (hash ${e.contentHash.slice(0, 8)})`
          : 'Nothing cached. flowscale WorkflowCache: memory, then IndexedDB — it survives a reload.'}
        {cache.lastMs !== null && ` · last operation ${ms(cache.lastMs)}`}
      </p>
      {cache.error && <p className="error">{cache.error}</p>}
    </div>
  );
}

export function WorkflowOptimizer() {
  return (
    <section className="panel optimizer" data-testid="optimizer" aria-label="Workflow optimizer">
      <div className="panel__head">
        <h2>Optimizer</h2>
      </div>
      <OptimizeSection />
      <SettingsSection />
      <BenchmarkSection />
      <CacheSection />
    </section>
  );
}
