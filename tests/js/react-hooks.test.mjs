// useFlowscale (pkg/react/hooks.js) rendered by React in Node: a render that
// never mounts (StrictMode's discarded double render, a mount that suspends,
// a server render) must leave nothing in wasm, since no effect runs to free it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { register } from 'node:module';
import { createElement } from 'react';
import { renderToString } from 'react-dom/server';
import { ReactFlowProvider } from '@xyflow/react';

// The adapter imports the package by its name: here, the web build the tests initialise.
const web = new URL('../../pkg/web/index.js', import.meta.url).href;
register(
  'data:text/javascript,' +
    encodeURIComponent(`export async function resolve(s, c, next) { return next(s === 'flowscale' ? ${JSON.stringify(web)} : s, c); }`),
);
await import('./flowscale.mjs');
const { useFlowscale, useFlowscaleController, useProvideFlowscale } = await import('../../pkg/react/hooks.js');
const { FlowscaleController } = await import('../../pkg/react/controller.js');

test('a render that never mounts allocates no optimizer', () => {
  const nodes = Array.from({ length: 50 }, (_, i) => ({ id: `n${i}`, position: { x: 60 * i, y: 0 }, width: 50, height: 20, data: {} }));
  const edges = [{ id: 'e', source: 'n0', target: 'n1' }];
  const seen = [];
  function Probe() {
    const flow = useFlowscale({ nodes, edges });
    seen.push(flow.controller);
    return null;
  }
  renderToString(createElement(ReactFlowProvider, null, createElement(Probe)));
  assert.ok(seen.length > 0);
  for (const c of seen) {
    assert.equal(c.optimizerGeneration, 0, 'no WorkflowOptimizer before the component mounted');
    // The arrays are noted all the same (the first index is built on mount).
    assert.equal(c.getNodes(), nodes);
    c.retain();
    assert.equal(c.optimizerGeneration, 1);
    assert.equal(c.optimizer.nodeCount, 50);
    assert.ok(c.upToDate);
    c.destroy();
  }
});

test('useProvideFlowscale: the components under the provider find the given controller, and none after null', () => {
  const controller = new FlowscaleController();
  const found = [];
  function Child() {
    found.push(useFlowscaleController());
    return null;
  }
  function Parent({ c }) {
    useProvideFlowscale(c);
    return createElement(Child);
  }
  // One provider: the first view provides the controller, the second (a view without flowscale) none.
  renderToString(createElement(ReactFlowProvider, null, createElement(Parent, { c: controller }), createElement(Parent, { c: null })));
  assert.equal(found.length, 2);
  assert.equal(found[0], controller);
  assert.equal(found[1], null);
  assert.equal(controller.optimizerGeneration, 0, 'providing a controller makes no optimizer');
});
