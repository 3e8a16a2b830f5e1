// React glue for the engine: which engine the flow uses (context), each
// node's level of detail, and frame statistics at a rate people can read.
import { createContext, useCallback, useContext, useSyncExternalStore } from 'react';
import type { Detail, FlowEngine, FrameInfo } from '@/flow/engine';

/** The engine of the flowscale view; null in plain React Flow (nodes always in full detail there). */
export const EngineContext = createContext<FlowEngine | null>(null);

const noop = () => () => undefined;

/** This node's level of detail from the frame; re-renders only when it changes. */
export function useDetail(id: string): Detail {
  const engine = useContext(EngineContext);
  const subscribe = useCallback((l: () => void) => (engine ? engine.subscribeDetail(id, l) : () => undefined), [engine, id]);
  return useSyncExternalStore(engine ? subscribe : noop, () => (engine ? engine.detailOf(id) : 'full'));
}

// ---- frame statistics, coalesced to at most 10 updates a second ----

export interface ViewStats {
  total: number;
  inView: number | null;
  mounted: number;
  culledPercent: number | null;
  frameMs: number | null;
  clusters: number;
  zoom: number;
}

let stats: ViewStats | null = null;
let pending: ViewStats | null = null;
let timer = 0;
let lastPublish = 0;
const listeners = new Set<() => void>();

function flush(): void {
  timer = 0;
  if (!pending) return;
  stats = pending;
  pending = null;
  lastPublish = performance.now();
  for (const l of listeners) l();
}

export function publishStats(s: ViewStats): void {
  pending = s;
  if (timer) return;
  const wait = Math.max(0, 100 - (performance.now() - lastPublish));
  timer = window.setTimeout(flush, wait);
}

export function statsFromFrame(info: FrameInfo): ViewStats {
  return {
    total: info.stats.total,
    inView: info.stats.inView,
    mounted: info.mounted,
    culledPercent: info.stats.culledPercent,
    frameMs: info.stats.timeMs,
    clusters: info.clusters,
    zoom: info.zoom,
  };
}

export function useViewStats(): ViewStats | null {
  return useSyncExternalStore(
    (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    () => stats,
  );
}
