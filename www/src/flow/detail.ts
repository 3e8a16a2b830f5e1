// Frame statistics for the stats bar, at a rate people can read. (Each
// node's level of detail comes from flowscale/react's useFlowscaleDetail.)
import { useSyncExternalStore } from 'react';
import type { Edge, Node } from '@xyflow/react';
import type { FlowscaleController } from 'flowscale/react';

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

/** The controller's last frame, for the stats bar. */
export function statsFromFrame(controller: FlowscaleController<Node, Edge>): ViewStats {
  const { stats } = controller;
  return {
    total: stats.total,
    inView: stats.inView,
    mounted: controller.getMounted().nodes.length,
    culledPercent: stats.culledPercent,
    frameMs: stats.timeMs,
    clusters: controller.clusterCount,
    zoom: controller.getViewport().zoom,
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
