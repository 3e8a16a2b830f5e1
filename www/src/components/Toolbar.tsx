// The header: scenarios, the plain / flowscale toggle, import and export,
// adding nodes, the layout button, live view statistics, and the progress
// bar of whatever is loading or laying out.
import { useRef } from 'react';
import { AUDIO_KINDS, KINDS, type AudioKind } from '@/audio/model';
import { useViewStats } from '@/flow/detail';
import { SCENARIOS, useAudioStore, type Mode } from '@/store/audioStore';
import { download } from '@/components/download';

const MODES: { mode: Mode; label: string }[] = [
  { mode: 'flowscale', label: 'React Flow + flowscale' },
  { mode: 'plain-visible', label: 'React Flow (onlyRenderVisibleElements)' },
  { mode: 'plain', label: 'React Flow' },
];

const short = (n: number) => (n >= 1_000_000 ? `${n / 1_000_000}M` : n >= 1000 ? `${n / 1000}k` : String(n));

export function Toolbar() {
  const source = useAudioStore((s) => s.source);
  const mode = useAudioStore((s) => s.mode);
  const loading = useAudioStore((s) => s.loading !== null);
  const layoutRunning = useAudioStore((s) => s.layout?.running ?? false);
  const { loadScenario, setMode, importWorkflow, exportWorkflow, runLayout, cancelLayout, addNode, undo, redo } = useAudioStore.getState();
  const canUndo = useAudioStore((s) => s.canUndo);
  const canRedo = useAudioStore((s) => s.canRedo);
  const fileRef = useRef<HTMLInputElement>(null);
  const size = source.kind === 'scenario' ? source.size : null;

  return (
    <header className="toolbar">
      <div className="brand">
        <strong>flowscale</strong>
        <span>audio workflow editor</span>
      </div>
      <div className="group" role="group" aria-label="Scenario">
        {SCENARIOS.map((n) => (
          <button key={n} type="button" data-size={n} className={n === size ? 'active' : ''} disabled={loading} onClick={() => void loadScenario(n)} title={`${n.toLocaleString('en')} generated nodes`}>
            {short(n)}
          </button>
        ))}
      </div>
      <select data-testid="mode" value={mode} onChange={(e) => setMode(e.target.value as Mode)} aria-label="Renderer">
        {MODES.map((m) => (
          <option key={m.mode} value={m.mode}>
            {m.label}
          </option>
        ))}
      </select>
      <div className="group">
        <select
          aria-label="Add node"
          data-testid="add-node"
          value=""
          onChange={(e) => {
            if (e.target.value) addNode(e.target.value as AudioKind);
          }}
        >
          <option value="">+ node</option>
          {AUDIO_KINDS.map((k) => (
            <option key={k} value={k}>
              {KINDS[k].label}
            </option>
          ))}
        </select>
        <button type="button" data-testid="undo" disabled={!canUndo} onClick={undo} title="Undo (Ctrl+Z)">
          Undo
        </button>
        <button type="button" data-testid="redo" disabled={!canRedo} onClick={redo} title="Redo (Ctrl+Shift+Z)">
          Redo
        </button>
        {layoutRunning ? (
          <button type="button" data-testid="layout-cancel" onClick={cancelLayout}>
            Cancel layout
          </button>
        ) : (
          <button type="button" data-testid="layout" disabled={loading} onClick={() => void runLayout()} title="Layered layout (flowscale layoutWorkflow) in a Web Worker">
            Layout
          </button>
        )}
      </div>
      <div className="group">
        <button type="button" data-testid="import" disabled={loading} onClick={() => fileRef.current?.click()}>
          Import
        </button>
        <input
          ref={fileRef}
          type="file"
          accept=".json,application/json"
          data-testid="import-input"
          hidden
          onChange={async (e) => {
            const file = e.target.files?.[0];
            e.target.value = '';
            if (file) await importWorkflow(await file.text(), file.name);
          }}
        />
        <button type="button" data-testid="export" onClick={() => download('workflow.json', exportWorkflow())}>
          Export
        </button>
      </div>
      <Stats />
    </header>
  );
}

function Stats() {
  const s = useViewStats();
  const mode = useAudioStore((st) => st.mode);
  const total = useAudioStore((st) => st.nodes.length);
  const firstRenderMs = useAudioStore((st) => st.firstRenderMs);
  return (
    <div className="stats" data-testid="stats">
      <span>
        nodes <b data-stat="total">{(s?.total ?? total).toLocaleString('en').replace(/,/g, '\u202f')}</b>
      </span>
      {mode === 'flowscale' && s?.inView != null && (
        <span>
          in view <b data-stat="inView">{s.inView}</b>
        </span>
      )}
      <span>
        mounted <b data-stat="mounted">{s?.mounted ?? 0}</b>
      </span>
      {mode === 'flowscale' && s?.culledPercent != null && <span>culled {s.culledPercent.toFixed(1)} %</span>}
      {mode === 'flowscale' && s && s.clusters > 0 && (
        <span>
          clusters <b data-stat="clusters">{s.clusters}</b>
        </span>
      )}
      {mode === 'flowscale' && s?.frameMs != null && <span>frame() {s.frameMs.toFixed(2)} ms</span>}
      {firstRenderMs !== null && (
        <span>
          first render <b data-stat="firstRender">{Math.round(firstRenderMs)}</b> ms
        </span>
      )}
    </div>
  );
}

export function ProgressBar() {
  const loading = useAudioStore((s) => s.loading);
  const layout = useAudioStore((s) => s.layout);
  const p = loading ?? (layout?.running ? layout : null);
  if (!p) return <div className="progress idle" />;
  return (
    <div className="progress" data-testid="progress" role="progressbar" aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(p.fraction * 100)} aria-label={p.label}>
      <div className="progress__bar" style={{ width: `${Math.max(2, p.fraction * 100)}%` }} />
      <span className="progress__label">
        {p.label} · {Math.round(p.fraction * 100)} %
      </span>
    </div>
  );
}

export function NoticeBar() {
  const notice = useAudioStore((s) => s.notice);
  const layout = useAudioStore((s) => s.layout);
  const dismiss = useAudioStore((s) => s.dismissNotice);
  const mode = useAudioStore((s) => s.mode);
  const total = useAudioStore((s) => s.nodes.length);
  return (
    <>
      {notice && (
        <div className={`notice notice-${notice.kind}`} data-testid="notice" data-kind={notice.kind} role={notice.kind === 'error' ? 'alert' : 'status'}>
          <span>{notice.message}</span>
          <button type="button" className="link" onClick={dismiss} aria-label="Dismiss">
            ×
          </button>
        </div>
      )}
      {layout && !layout.running && layout.stats && (
        <div className="notice notice-info" data-testid="layout-done">
          Layout: {layout.stats}
        </div>
      )}
      {mode !== 'flowscale' && total >= 20_000 && (
        <div className="notice notice-warn">Plain React Flow renders all {total.toLocaleString('en')} nodes: expect the page to be slow, or not to load.</div>
      )}
    </>
  );
}
