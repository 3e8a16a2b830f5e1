// The demo's configuration (www/src/config.ts) against the package's own
// Config.fromEnv as the oracle: every one of the environment variables the
// reference lists lands in its key with its value and names itself as the
// source; URL knobs and the panel override in that order; a bad variable is
// reported and the default stands (the module's `flowscale` import pointed at
// the package).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Config } from './flowscale.mjs';
import { importTs } from './ts-module.mjs';

const flowscale = new URL('./flowscale.mjs', import.meta.url).href;
const { effectiveConfig } = await importTs(new URL('../../www/src/config.ts', import.meta.url), [["from 'flowscale';", `from '${flowscale}';`]]);

// Every variable, each with a value other than its default.
const ENV = {
  PERFORMANCE_MONITORING_INTERVAL: '2.5',
  PERFORMANCE_ALERT_THRESHOLDS_CPU: '70',
  PERFORMANCE_ALERT_THRESHOLDS_MEMORY: '2048',
  CACHE_MEMORY_MAX_SIZE: '500',
  CACHE_DISK_MAX_SIZE_MB: '50',
  CACHE_DEFAULT_TTL_SECONDS: '60',
  RENDERING_VIRTUAL_SCROLLING_ENABLED: 'false',
  RENDERING_LOD_THRESHOLD_LOW: '0.2',
  RENDERING_LOD_THRESHOLD_MEDIUM: '0.6',
  RENDERING_MAX_VISIBLE_NODES: '200',
};
const get = (obj, key) => key.split('.').reduce((o, k) => o[k], obj);
/** A value as the configuration view shows it. */
const shown = (v) => (typeof v === 'string' ? v : JSON.stringify(v));

test('the demo config: each variable in its key, with its value and its name as the source', () => {
  const oracle = Config.fromEnv(ENV);
  const { config, values, errors } = effectiveConfig(null, ENV, '');
  assert.deepEqual(errors, []);
  assert.deepEqual(config, oracle);
  const fromEnv = values.filter((v) => v.source === 'env');
  assert.equal(fromEnv.length, Object.keys(ENV).length, fromEnv.map((v) => v.key).join(', '));
  for (const v of fromEnv) {
    // The variable named as the origin sets this key, alone.
    assert.equal(shown(get(Config.fromEnv({ [v.origin]: ENV[v.origin] }), v.key)), v.value, v.key);
    assert.notEqual(shown(get(Config.defaults(), v.key)), v.value, `${v.key} differs from its default`);
  }
  assert.deepEqual(new Set(fromEnv.map((v) => v.origin)), new Set(Object.keys(ENV)));
  const defaults = values.filter((v) => v.source === 'default');
  assert.ok(defaults.length > 0);
  for (const v of defaults) assert.equal(v.value, shown(get(Config.defaults(), v.key)), v.key);
});

test('the demo config: URL knobs over the environment, the panel over both; a bad variable is reported', () => {
  const url = effectiveConfig(null, ENV, '?lodLow=0.5&clusters=off');
  assert.equal(url.config.rendering.lodThresholdLow, 0.5);
  assert.equal(url.values.find((v) => v.key === 'rendering.lodThresholdLow').source, 'url');
  assert.equal(url.config.clustering.maxZoom, 0);
  const panel = effectiveConfig({ lod: false, maxVisibleNodes: 500 }, ENV, '');
  assert.deepEqual([panel.config.rendering.maxVisibleNodes, panel.config.rendering.lodThresholdLow], [500, 0]);
  assert.deepEqual(panel.values.find((v) => v.key === 'rendering.maxVisibleNodes'), { key: 'rendering.maxVisibleNodes', value: '500', source: 'panel', origin: 'Max mounted nodes' });
  // The panel at what the environment already says is no override.
  assert.equal(effectiveConfig({ lod: true, maxVisibleNodes: 200 }, ENV, '').values.find((v) => v.key === 'rendering.maxVisibleNodes').source, 'env');
  const bad = effectiveConfig(null, { ...ENV, RENDERING_MAX_VISIBLE_NODES: 'many' }, '');
  assert.equal(bad.errors.length, 1);
  assert.match(bad.errors[0], /RENDERING_MAX_VISIBLE_NODES="many"/);
  assert.equal(bad.config.rendering.maxVisibleNodes, Config.defaults().rendering.maxVisibleNodes);
  assert.equal(bad.config.cache.memoryMaxEntries, 500, 'the other variables still apply');
});
