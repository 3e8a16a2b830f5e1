// The bad-input matrix (tests/js/bad-input-matrix.mjs) through the package in
// Node; tests/e2e/matrix.test.mjs runs the same rows in Chromium.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as api from './flowscale.mjs';
import { MATRIX, runMatrix } from './bad-input-matrix.mjs';

test('bad-input matrix in Node: documented code and path, or documented acceptance; state intact', () => {
  const results = runMatrix(api);
  assert.equal(results.length, MATRIX.length);
  const failed = results.filter((r) => !r.ok).map((r) => `${r.group}/${r.input}: expected ${r.expected}, got ${r.got} (${r.why})`);
  assert.deepEqual(failed, []);
  assert.equal({}.polluted, undefined, 'Object.prototype untouched');
});
