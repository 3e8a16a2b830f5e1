// The bad-input matrix (tests/js/bad-input-matrix.mjs) in headless Chromium:
// the same rows and outcomes as in Node, through the package's web build.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serveAndLaunch } from './serve.mjs';
import { MATRIX } from '../js/bad-input-matrix.mjs';

const root = new URL('../../', import.meta.url).pathname;
const env = serveAndLaunch(root);

test('bad-input matrix in Chromium: documented code and path, or documented acceptance; state intact', async () => {
  const page = await env.browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e));
  await page.goto(`${env.server.url}/tests/e2e/matrix.html`);
  await page.waitForFunction(() => window.ready === true);
  const { results, polluted } = await page.evaluate(() => ({ results: window.results, polluted: window.polluted }));
  assert.equal(results.length, MATRIX.length);
  const failed = results.filter((r) => !r.ok).map((r) => `${r.group}/${r.input}: expected ${r.expected}, got ${r.got} (${r.why})`);
  assert.deepEqual(failed, []);
  assert.equal(polluted, undefined);
  assert.deepEqual(errors, [], 'no uncaught errors (a wasm panic would show here)');
});
