// What the user can do about an alert, in one click. Each remedy reads the
// settings in force and is offered only when it would change something (no
// "turn LOD on" while it is on); applying it changes the view and the
// numbers the alert watched (mounted nodes, memory).
import performanceService from '@/services/performanceService';
import type { AudioState } from '@/store/audioStore';

export interface Remedy {
  id: 'use-flowscale' | 'lod-on' | 'fewer-mounted' | 'clear-cache';
  label: string;
  apply(): Promise<void>;
}

/** The smallest window the panel offers. */
const MIN_MOUNTED = 250;

function frameRemedies(s: AudioState): Remedy[] {
  if (s.mode !== 'flowscale') return [{ id: 'use-flowscale', label: 'Use flowscale', apply: async () => s.setMode('flowscale') }];
  const out: Remedy[] = [];
  if (!s.settings.lod) out.push({ id: 'lod-on', label: 'Turn level of detail on', apply: () => s.updateSettings({ lod: true }) });
  const fewer = Math.max(MIN_MOUNTED, Math.floor(s.settings.maxVisibleNodes / 2));
  if (fewer < s.settings.maxVisibleNodes) {
    out.push({ id: 'fewer-mounted', label: `Mount at most ${fewer} nodes`, apply: () => s.updateSettings({ maxVisibleNodes: fewer }) });
  }
  return out;
}

/** Remedies for an alert's rule (the service's and the monitor's rule names). */
export function remediesFor(rule: string, s: AudioState): Remedy[] {
  const clearCache: Remedy = { id: 'clear-cache', label: 'Clear the workflow cache', apply: () => performanceService.clearCache() };
  if (rule === 'fps' || rule === 'long-frame' || rule === 'cpu' || rule === 'monitor:cpu') return frameRemedies(s);
  if (rule === 'memory' || rule === 'monitor:memory' || rule.startsWith('monitor:memoryLeak')) {
    return [...frameRemedies(s).filter((r) => r.id === 'fewer-mounted'), clearCache];
  }
  if (rule === 'cache:QUOTA_EXCEEDED') return [clearCache];
  return [];
}
