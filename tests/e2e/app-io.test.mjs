// Import and export of React Flow JSON: real n8n workflows (read from
// ../shared/data at test time, one by one and all of them tiled), and
// malformed files (a readable error; the current workflow stays).
// Shots go to test-results/. See app-lib.mjs for the set-up (strict CSP, error checks).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { open, waitLoaded, stat, domNodes, settle, shots, N8N, MAX_VISIBLE, env, setup } from './app-lib.mjs';
import { needN8n } from '../js/workflows.mjs';

setup();

test('imports real n8n workflows (one by one, and 2,047 tiled into one) and exports them back', async (t) => {
  if (!needN8n(t)) return;
  const page = await open(t, '?n=100&debug=1');
  const lines = readFileSync(N8N, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const bySize = [...lines].sort((a, b) => b.nodes.length - a.nodes.length);
  const picks = [bySize[0], bySize[1], bySize[Math.floor(bySize.length / 2)], bySize.at(-1)];
  for (const wf of picks) {
    const file = join(env.tmp, `${wf.id}.json`);
    writeFileSync(file, JSON.stringify({ nodes: wf.nodes, edges: wf.edges }));
    await page.setInputFiles('[data-testid="import-input"]', file);
    await page.waitForFunction((name) => document.querySelector('[data-testid="notice"]')?.textContent.includes(`Imported ${name}`), `${wf.id}.json`);
    await waitLoaded(page);
    await settle(page);
    assert.equal(await stat(page, 'total'), wf.nodes.length, wf.id);
    assert.ok((await domNodes(page)) > 0, `${wf.id}: nodes mounted`);
    const out = await page.evaluate(() => JSON.parse(window.__flowscale.store.getState().exportWorkflow()));
    assert.deepEqual(out.nodes.map((n) => n.id), wf.nodes.map((n) => n.id));
    assert.deepEqual(out.edges.map((e) => [e.source, e.target, e.sourceHandle]), wf.edges.map((e) => [e.source, e.target, e.sourceHandle]));
  }
  await page.screenshot({ path: `${shots}app-n8n.png` });
  // Every workflow, tiled side by side in a grid: one import of ~30k real nodes.
  const nodes = [], edges = [];
  const cols = 46;
  lines.forEach((wf, k) => {
    const ox = (k % cols) * 20_000, oy = Math.floor(k / cols) * 16_000;
    for (const n of wf.nodes) nodes.push({ ...n, id: `${k}/${n.id}`, position: { x: n.position.x + ox, y: n.position.y + oy } });
    for (const e of wf.edges) edges.push({ ...e, id: `${k}/${e.id}`, source: `${k}/${e.source}`, target: `${k}/${e.target}` });
  });
  const big = join(env.tmp, 'n8n-tiled.json');
  writeFileSync(big, JSON.stringify({ nodes, edges }));
  await page.setInputFiles('[data-testid="import-input"]', big);
  await page.waitForFunction((n) => document.querySelector('[data-stat="total"]')?.textContent.replace(/\D/g, '') === String(n), nodes.length, { timeout: 60_000 });
  await waitLoaded(page);
  await settle(page);
  assert.ok((await domNodes(page)) <= MAX_VISIBLE);
  await page.screenshot({ path: `${shots}app-n8n-tiled.png` });
});

test('importing malformed JSON shows a readable error and keeps the current workflow', async (t) => {
  const page = await open(t, '?n=1000');
  const cases = [
    ['broken.json', '{"nodes": [ {"id": "a", "position": {"x": 1, "y": 2}} ', /not valid JSON/],
    ['dangling.json', JSON.stringify({ nodes: [{ id: 'a', position: { x: 0, y: 0 } }], edges: [{ id: 'e', source: 'a', target: 'nope' }] }), /edges\[0\]\.target/],
    ['nan.json', '{"nodes": [{"id": "a", "position": {"x": "left", "y": 0}}]}', /nodes\[0\]\.position\.x/],
    ['array.json', '[1, 2, 3]', /expected a React Flow object/],
  ];
  for (const [name, text, message] of cases) {
    const file = join(env.tmp, name);
    writeFileSync(file, text);
    await page.setInputFiles('[data-testid="import-input"]', file);
    const notice = page.locator('[data-testid="notice"][data-kind="error"]');
    await notice.waitFor();
    const msg = await notice.textContent();
    assert.match(msg, new RegExp(`Could not import ${name.replace('.', '\\.')}`));
    assert.match(msg, message);
    assert.equal(await stat(page, 'total'), 1000, 'the current workflow stays');
    assert.ok((await domNodes(page)) > 10);
    await page.click('[data-testid="notice"] button');
  }
  await page.screenshot({ path: `${shots}app-import-error.png` });
});

test('markup in imported labels is rendered as text, never as HTML', async (t) => {
  const page = await open(t, '?n=100&debug=1&panel=off');
  const xss = '<img src=x onerror="window.__pwned=1">';
  const script = '<script>window.__pwned=2</script><b>bold</b>';
  const wf = {
    nodes: [
      // An audio node type and a type this editor does not know (the generic node).
      { id: 'a', type: 'filter', position: { x: 0, y: 0 }, data: { label: xss, kind: 'filter', params: { cutoff: '<i>x</i>' } } },
      { id: 'b', type: 'n8n-nodes-base.code', position: { x: 320, y: 0 }, data: { label: script } },
      // A label that is not a string: the id stands in for it.
      { id: 'c', type: 'gain', position: { x: 0, y: 200 }, data: { label: { __html: '<u>no</u>' } } },
    ],
    edges: [{ id: 'e', source: 'a', target: 'b', label: '<img src=y onerror="window.__pwned=3">' }],
    viewport: { x: 40, y: 40, zoom: 1 },
  };
  const file = join(env.tmp, 'markup.json');
  writeFileSync(file, JSON.stringify(wf));
  await page.setInputFiles('[data-testid="import-input"]', file);
  await page.waitForFunction(() => document.querySelector('[data-testid="notice"]')?.textContent.includes('Imported markup.json'));
  await waitLoaded(page);
  await page.waitForSelector('.react-flow__node[data-id="c"]');
  const seen = await page.evaluate(() => {
    const node = (id) => document.querySelector(`.react-flow__node[data-id="${id}"]`);
    return {
      a: node('a').textContent,
      b: node('b').textContent,
      c: node('c').textContent,
      elements: document.querySelectorAll('.react-flow__nodes img, .react-flow__nodes script, .react-flow__nodes b, .react-flow__edges img, .react-flow__edgelabel-renderer img').length,
      pwned: window.__pwned ?? null,
    };
  });
  assert.ok(seen.a.includes(xss), seen.a);
  assert.ok(seen.b.includes(script), seen.b);
  assert.ok(seen.c.includes('c'), seen.c);
  assert.equal(seen.elements, 0, 'no element was made from a label');
  assert.equal(seen.pwned, null, 'no script ran');
  await page.screenshot({ path: `${shots}app-markup-labels.png` });
});
