// useAudioStore: the editor's state (zustand), one store of four slices:
//   document  — the workflow document (nodes, edges, viewport), its mode,
//               controller and load, and the actions that replace it;
//   scenarios — generated workflows, loaded in stages;
//   editing   — the audio-graph actions (React Flow changes, connections);
//   optimizer — what the Optimizer panel runs and shows.
// What is not React state (the document index, the load in progress, drags)
// lives in the StoreSession the store owns, shared by its slices.
//
// Per-frame work never goes through this store: the flow reads frames from
// the controller; a drag updates the controller on every move and this document once,
// when the drag ends; the viewport is stored when a pan or zoom ends.
// Components select small slices (counts, flags), never the node array.
import { create } from 'zustand';
import { createDocumentSlice, type DocumentSlice } from '@/store/documentSlice';
import { createEditingSlice, type EditingSlice } from '@/store/editingSlice';
import { createOptimizerSlice, type OptimizerSlice } from '@/store/optimizerSlice';
import { createScenariosSlice, type ScenariosSlice } from '@/store/scenariosSlice';
import { StoreSession } from '@/store/session';
import performanceService from '@/services/performanceService';

export type { LoadOptions, Mode, Notice, Progress, Source } from '@/store/documentSlice';
export { CACHE_ID, type CacheEntryInfo } from '@/store/optimizerSlice';
export { SCENARIOS } from '@/store/scenariosSlice';
export { initialMode, initialSize } from '@/store/url';

export type AudioState = DocumentSlice & ScenariosSlice & EditingSlice & OptimizerSlice;

export const useAudioStore = create<AudioState>()((...api) => {
  const session = new StoreSession();
  return {
    ...createDocumentSlice(session)(...api),
    ...createScenariosSlice(session)(...api),
    ...createEditingSlice(session)(...api),
    ...createOptimizerSlice(session)(...api),
  };
});

// A load (the monitor's `load` operation) ends once its document is on screen
// and nothing is loading any more: a big workflow's first part is shown while
// the rest is still generated and indexed, and that is not the end of it.
useAudioStore.subscribe((s) => (s.loading === null ? performanceService.loadIdle() : performanceService.loadBusy()));
