// The scenarios slice: generated audio workflows of 100 to 1,000,000 nodes.
// Big ones load in stages: the first part is indexed and shown while the
// rest is generated, then the whole document is indexed from its columns.
import { closedPart, generateAudioWorkflowInChunks, workflowColumns } from '@/audio/generate';
import { STAGE } from 'flowscale/react';
import performanceService from '@/services/performanceService';
import { INITIAL_VIEWPORT, type Source } from '@/store/documentSlice';
import { message, type SliceCreator } from '@/store/session';
import { setUrl } from '@/store/url';

export const SCENARIOS = [100, 1_000, 10_000, 100_000, 1_000_000] as const;

export interface ScenariosSlice {
  loadScenario(size: number): Promise<void>;
}

export const createScenariosSlice: SliceCreator<ScenariosSlice> = (session) => (set, get) => ({
  async loadScenario(size) {
    session.loadController?.abort();
    const controller = (session.loadController = new AbortController());
    session.loadStartedAt = performance.now();
    session.awaitFirstRender();
    const label = `Generating ${size.toLocaleString('en')} nodes`;
    const source: Source = { kind: 'scenario', size };
    set({ loading: { label, fraction: 0 }, notice: null, firstRenderMs: null });
    setUrl({ n: String(size) });
    let previewed = false;
    try {
      const wf = await performanceService.profile('generate workflow', () =>
        generateAudioWorkflowInChunks(
          size,
          async (f, sofar) => {
            set({ loading: { label, fraction: 0.3 * f } });
            // Big workflows: the first part is indexed and shown while the rest is generated.
            if (!previewed && f < 1 && sofar.nodes.length >= STAGE && get().mode === 'flowscale') {
              previewed = true;
              await get().loadWorkflow({ ...closedPart(sofar), viewport: INITIAL_VIEWPORT }, source, { preview: true });
              set({ loading: { label, fraction: 0.3 * f } });
            }
          },
          controller.signal,
        ),
      );
      if (controller.signal.aborted) return;
      // The same workflow as columns: flowscale indexes them without walking a million objects.
      if (size > STAGE && get().mode === 'flowscale') {
        const cols = await workflowColumns(wf, controller.signal);
        if (cols) session.columnsOf.set(wf.nodes, cols);
      }
      await get().loadWorkflow({ ...wf, viewport: INITIAL_VIEWPORT }, source, { reuseController: previewed, keepViewport: previewed });
    } catch (e) {
      if (controller.signal.aborted) return;
      set({ loading: null, notice: { kind: 'error', message: `Could not load the scenario: ${message(e)}` } });
    }
  },
});
