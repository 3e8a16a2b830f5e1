// The page's URL knobs that the store reads (tests and benchmarks set them)
// and the query it keeps in step with the document.
import { DEFAULT_SETTINGS, type ViewSettings } from '@/config';
import type { Mode } from '@/store/documentSlice';

function params(): URLSearchParams {
  return new URLSearchParams(typeof window === 'undefined' ? '' : window.location.search);
}

/** ?mode=flowscale|plain|plain-visible. */
export function initialMode(): Mode {
  const m = params().get('mode');
  return m === 'plain' || m === 'plain-visible' ? m : 'flowscale';
}

/** ?lod=off (or ?lodLow=0, as the GPU alignment test says it): every node in the window mounted in full. */
export function initialSettings(): ViewSettings {
  const p = params();
  return { ...DEFAULT_SETTINGS, lod: !(p.get('lod') === 'off' || p.get('lodLow') === '0') };
}

/** ?n=<nodes>: the generated workflow's size (1,000 when absent or out of range). */
export function initialSize(): number {
  const n = Number(params().get('n'));
  return Number.isInteger(n) && n > 0 && n <= 1_000_000 ? n : 1_000;
}

export function setUrl(patch: Record<string, string | null>): void {
  const q = new URLSearchParams(window.location.search);
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) q.delete(k);
    else q.set(k, v);
  }
  window.history.replaceState(null, '', `?${q}`);
}
