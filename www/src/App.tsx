// The demo: an audio workflow editor on React Flow, with flowscale deciding
// which nodes React mounts and drawing the rest on the GPU — or plain React
// Flow, on the same document, to see the difference. The side panel holds the
// PerformanceDashboard and the WorkflowOptimizer.
import { useEffect, useRef, useState } from 'react';
import { FlowscaleView, PlainView } from '@/flow/FlowViews';
import { PerformanceDashboard } from '@/components/PerformanceDashboard';
import { NoticeBar, ProgressBar, Toolbar } from '@/components/Toolbar';
import { WorkflowOptimizer } from '@/components/WorkflowOptimizer';
import { initialSize, useAudioStore } from '@/store/audioStore';
import performanceService from '@/services/performanceService';

type Tab = 'performance' | 'optimizer';

// One view per controller (a new document or a rebuild after a wasm trap makes a new one): its React key.
const viewKeys = new WeakMap<object, number>();
let lastViewKey = 0;
function viewKey(controller: object): number {
  let key = viewKeys.get(controller);
  if (key === undefined) viewKeys.set(controller, (key = ++lastViewKey));
  return key;
}

export function App() {
  const mode = useAudioStore((s) => s.mode);
  const controller = useAudioStore((s) => s.controller);
  const docId = useAudioStore((s) => s.docId);
  const [tab, setTab] = useState<Tab>('performance');
  const [panelOpen, setPanelOpen] = useState(() => new URLSearchParams(window.location.search).get('panel') !== 'off');
  const gpuCanvas = useRef<HTMLCanvasElement>(null);

  useEffect(() => {
    const { loadScenario, refreshCacheEntry } = useAudioStore.getState();
    void loadScenario(initialSize());
    void refreshCacheEntry();
  }, []);

  // Ctrl/Cmd+Z undoes, Ctrl/Cmd+Shift+Z or Ctrl+Y redoes, Ctrl/Cmd+D duplicates the selection (not while typing in a field).
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (!(e.ctrlKey || e.metaKey) || (e.target instanceof HTMLElement && e.target.closest('input, textarea, select'))) return;
      const key = e.key.toLowerCase();
      if (key !== 'z' && key !== 'y' && key !== 'd') return;
      e.preventDefault();
      const { undo, redo, duplicateNodes } = useAudioStore.getState();
      if (key === 'd') duplicateNodes();
      else if (key === 'y' || e.shiftKey) redo();
      else undo();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  // Sampling at the configured interval for the page's life, so history and alerts accrue with the panel closed.
  useEffect(() => performanceService.startMonitoring(), []);

  return (
    <div className="app">
      <Toolbar />
      <ProgressBar />
      <NoticeBar />
      <main className="workspace">
        <div className="canvas">
          {/* flowscale's GPU layer, under React Flow's transparent pane: same box, same viewport. */}
          <canvas ref={gpuCanvas} className="gpu-layer" data-testid="gpu-layer" style={{ visibility: 'hidden' }} />
          {mode === 'flowscale' ? (
            controller && <FlowscaleView key={`fs-${viewKey(controller)}`} controller={controller} canvas={gpuCanvas} />
          ) : (
            <PlainView key={`${mode}-${docId}`} onlyVisible={mode === 'plain-visible'} />
          )}
        </div>
        <aside className={`side${panelOpen ? '' : ' closed'}`}>
          <nav className="tabs" role="tablist">
            <button type="button" role="tab" aria-selected={tab === 'performance'} data-tab="performance" onClick={() => setTab('performance')}>
              Performance
            </button>
            <button type="button" role="tab" aria-selected={tab === 'optimizer'} data-tab="optimizer" onClick={() => setTab('optimizer')}>
              Optimizer
            </button>
            <button type="button" className="link collapse" onClick={() => setPanelOpen((o) => !o)} aria-label={panelOpen ? 'Hide panel' : 'Show panel'}>
              {panelOpen ? '›' : '‹'}
            </button>
          </nav>
          {panelOpen && (
            // The dashboard keeps sampling while the optimizer tab is shown (hidden, not unmounted).
            <div className="side__body">
              <div hidden={tab !== 'performance'}>
                <PerformanceDashboard />
              </div>
              <div hidden={tab !== 'optimizer'}>
                <WorkflowOptimizer />
              </div>
            </div>
          )}
        </aside>
      </main>
    </div>
  );
}
