// Assertions on the package's errors, shared by the Node tests.
import assert from 'node:assert/strict';
import { FlowscaleError } from './flowscale.mjs';

/**
 * `fn()` throws a FlowscaleError (an Error) with `code`, and with `path`
 * when one is given (pass `undefined` explicitly to require none). Returns it.
 */
export function throwsCode(fn, code, ...path) {
  let caught;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof FlowscaleError, `expected ${code}, got ${caught}`);
  assert.ok(caught instanceof Error);
  assert.equal(caught.code, code, caught.message);
  if (path.length) assert.equal(caught.path, path[0], caught.message);
  return caught;
}

/** The promise rejects with a FlowscaleError with `code` (and `path`, when given). Returns it. */
export async function rejects(p, code, path) {
  const e = await p.then(() => assert.fail(`expected ${code}`), (e) => e);
  assert.ok(e instanceof FlowscaleError, String(e));
  assert.equal(e.code, code, e.message);
  if (path !== undefined) assert.equal(e.path, path, e.message);
  return e;
}
