// Frame statistics for the stats bar, at a rate people can read. (Each
// node's level of detail comes from flowscale/react's useFlowscaleDetail.)
import { useSyncExternalStore } from 'react';
import type { FrameInfo } from '@/flow/engine';

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
