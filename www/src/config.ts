// The demo's configuration, built as an app that installed flowscale would:
// the package's defaults, then the build's environment through
// Config.fromEnv (webpack passes the PERFORMANCE_, CACHE_ and RENDERING_
// variables as __FLOWSCALE_ENV__, e.g. `RENDERING_MAX_VISIBLE_NODES=200 npm
// start`), then the page's URL knobs, then the panel's toggles. The
// optimizer, the monitor and the cache all take it from here, and the
// Performance tab lists each value with where it came from.
import { Config, type FlowscaleConfig, type PartialConfig } from 'flowscale';

declare const __FLOWSCALE_ENV__: Record<string, string> | undefined;

export type ConfigSource = 'default' | 'env' | 'url' | 'panel';

export interface ConfigValue {
  /** Dotted key, e.g. `rendering.maxVisibleNodes`. */
  key: string;
  value: string;
  source: ConfigSource;
  /** The environment variable or URL knob that set it. */
  origin?: string;
}

interface Layer {
  source: ConfigSource;
  origin: string;
  partial: PartialConfig;
}

/** The panel's settings that are part of the optimizer's config. */
export interface PanelSettings {
  /** Level of detail on: small nodes are drawn by the GPU, medium ones as labels. Off: every node in the window is mounted in full. */
  lod: boolean;
  maxVisibleNodes: number;
}

/** The view settings of the optimizer panel. */
export interface ViewSettings extends PanelSettings {
  /** Simplified edges: parallel mounted edges drawn as one (mergeParallelEdges), and what simplifyEdges folds counted when the view settles (the GPU layer draws the bundles between clusters either way). */
  simplifyEdges: boolean;
}

type Tree = { [k: string]: unknown };

function leaves(obj: unknown, prefix = ''): [string, unknown][] {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) return [[prefix, obj]];
  return Object.entries(obj as Tree).flatMap(([k, v]) => leaves(v, prefix ? `${prefix}.${k}` : k));
}

function merge(a: Tree, b: Tree): Tree {
  const out: Tree = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const prev = out[k];
    out[k] = v && typeof v === 'object' && !Array.isArray(v) && prev && typeof prev === 'object' ? merge(prev as Tree, v as Tree) : v;
  }
  return out;
}

function differences(base: FlowscaleConfig, other: FlowscaleConfig): PartialConfig {
  const was = new Map(leaves(base));
  let out: Tree = {};
  for (const [key, v] of leaves(other)) {
    if (Object.is(was.get(key), v)) continue;
    const path = key.split('.');
    const leaf: Tree = {};
    let at = leaf;
    path.slice(0, -1).forEach((p) => (at = at[p] = {}));
    at[path.at(-1)!] = v;
    out = merge(out, leaf);
  }
  return out as PartialConfig;
}

/** The build's flowscale variables (none when the bundle was built without them, e.g. in Node). */
export function buildEnv(): Record<string, string> {
  return typeof __FLOWSCALE_ENV__ === 'undefined' ? {} : __FLOWSCALE_ENV__;
}

/** One layer per environment variable, so each value can name the variable that set it; a bad variable is reported, not applied. */
function envLayers(env: Record<string, string>, errors: string[]): Layer[] {
  const defaults = Config.defaults();
  const layers: Layer[] = [];
  for (const name of Object.keys(env).sort()) {
    try {
      layers.push({ source: 'env', origin: name, partial: differences(defaults, Config.fromEnv({ [name]: env[name] })) });
    } catch (e) {
      errors.push(`${name}=${JSON.stringify(env[name])}: ${(e as Error).message}`);
    }
  }
  return layers;
}

/** ?lodLow=<zoom> (both LOD thresholds) and ?clusters=off: knobs the tests and benchmarks set. */
function urlLayers(search: string): Layer[] {
  const params = new URLSearchParams(search);
  const layers: Layer[] = [];
  const low = params.has('lodLow') ? Number(params.get('lodLow')) : NaN;
  if (Number.isFinite(low) && low >= 0) layers.push({ source: 'url', origin: 'lodLow', partial: { rendering: { lodThresholdLow: low, lodThresholdMedium: low } } });
  if (params.get('clusters') === 'off') layers.push({ source: 'url', origin: 'clusters', partial: { clustering: { maxZoom: 0 } } });
  return layers;
}

function panelLayers(panel: PanelSettings | null): Layer[] {
  if (!panel) return [];
  const layers: Layer[] = [{ source: 'panel', origin: 'Max mounted nodes', partial: { rendering: { maxVisibleNodes: panel.maxVisibleNodes } } }];
  // LOD off: everything in the window is "high", mounted with full controls.
  if (!panel.lod) layers.push({ source: 'panel', origin: 'Level of detail', partial: { rendering: { lodThresholdLow: 0, lodThresholdMedium: 0 } } });
  return layers;
}

export interface EffectiveConfig {
  config: FlowscaleConfig;
  values: ConfigValue[];
  /** Environment variables refused by Config.fromEnv (the defaults stand for them). */
  errors: string[];
}

/**
 * The configuration in force: defaults < environment < URL < panel. With
 * `panel` null, what the page starts from (the panel's own defaults come
 * from it).
 */
export function effectiveConfig(
  panel: PanelSettings | null = null,
  env: Record<string, string> = buildEnv(),
  search: string = typeof window === 'undefined' ? '' : window.location.search,
): EffectiveConfig {
  const errors: string[] = [];
  const layers = [...envLayers(env, errors), ...urlLayers(search), ...panelLayers(panel)];
  const origin = new Map<string, Layer>();
  let partial: Tree = {};
  for (const layer of layers) {
    // A value equal to what the layers below give is not an override (the panel's defaults come from them).
    const below = new Map(leaves(Config.resolve(partial as PartialConfig)));
    const changed = leaves(layer.partial).filter(([k, v]) => !Object.is(below.get(k), v));
    if (changed.length === 0) continue;
    partial = merge(partial, layer.partial as Tree);
    for (const [k] of changed) origin.set(k, layer);
  }
  const config = Config.resolve(partial as PartialConfig);
  const values = leaves(config).map(([key, v]): ConfigValue => {
    const layer = origin.get(key);
    return { key, value: typeof v === 'string' ? v : JSON.stringify(v), source: layer?.source ?? 'default', ...(layer ? { origin: layer.origin } : {}) };
  });
  return { config, values, errors };
}

/** The configuration the page starts with (no panel changes yet). */
export const startConfig: FlowscaleConfig = effectiveConfig().config;

/** The panel's starting values: max mounted nodes from the configuration (RENDERING_MAX_VISIBLE_NODES). */
export const DEFAULT_SETTINGS: ViewSettings = { lod: true, simplifyEdges: false, maxVisibleNodes: startConfig.rendering.maxVisibleNodes };

/**
 * The configuration that describes what a renderer does, for the analysis:
 * flowscale's own; plain React Flow has no window, level of detail, clusters
 * or merged edges (`plain-visible`, with onlyRenderVisibleElements, has a
 * window), so the rules for them may fire there and only there.
 */
export function rendererConfig(mode: 'flowscale' | 'plain' | 'plain-visible', panel: PanelSettings): FlowscaleConfig {
  const config = effectiveConfig(panel).config;
  if (mode === 'flowscale') return config;
  return Config.resolve({
    ...config,
    rendering: { ...config.rendering, virtualScrolling: mode === 'plain-visible', lodThresholdLow: 0, lodThresholdMedium: 0 },
    clustering: { ...config.clustering, maxZoom: 0 },
    edges: { ...config.edges, mergeParallel: false, aggregateClusters: false },
  });
}
