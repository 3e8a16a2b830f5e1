// flowscale/react follows the user's arrays by object identity (pkg/react/sync.js,
// from src/web/react/sync.ts): checked here against a brute-force oracle that
// compares the two versions through maps by id, over random edit sequences.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { diffById, parentsFirst } from '../../pkg/react/sync.js';
import { rng } from './workflows.mjs';

/** What changed, by brute force: both versions as maps by id. */
function oracle(prev, next) {
  const before = new Map(prev.map((n) => [n.id, n]));
  const after = new Map(next.map((n) => [n.id, n]));
  const added = [], replaced = [], removed = [];
  for (const [id, n] of after) {
    if (!before.has(id)) added.push(id);
    else if (before.get(id) !== n) replaced.push(id);
  }
  for (const id of before.keys()) if (!after.has(id)) removed.push(id);
  return { added: added.sort(), replaced: replaced.sort(), removed: removed.sort() };
}

const ids = (list) => list.map((n) => (typeof n === 'string' ? n : n.id)).sort();

/** One random edit of the kinds a React Flow app makes, immutably (untouched objects are kept). */
function edit(nodes, random, fresh) {
  const next = nodes.slice();
  const pick = () => Math.floor(random() * next.length);
  const kind = random();
  const count = 1 + Math.floor(random() * (random() < 0.2 ? next.length : 4));
  for (let k = 0; k < count; k++) {
    if (kind < 0.3 && next.length > 0) {
      const i = pick();
      next[i] = { ...next[i], position: { x: random() * 1000, y: random() * 1000 } }; // replace
    } else if (kind < 0.5 && next.length > 0) {
      next.splice(pick(), 1); // remove
    } else if (kind < 0.7) {
      next.splice(Math.floor(random() * (next.length + 1)), 0, { id: `n${fresh()}`, position: { x: 0, y: 0 } }); // add anywhere
    } else if (kind < 0.85 && next.length > 1) {
      const [n] = next.splice(pick(), 1); // move (reorder)
      next.splice(pick(), 0, n);
    } else if (next.length > 1) {
      const i = pick(), j = pick(); // swap, one of them replaced too sometimes
      [next[i], next[j]] = [next[j], random() < 0.5 ? next[i] : { ...next[i] }];
    }
  }
  if (random() < 0.05) next.reverse();
  if (random() < 0.05) return next.map((n) => ({ ...n })); // a copy of everything (e.g. a load)
  return next;
}

test('the identity diff matches a brute-force id-map diff over random edit sequences', () => {
  let sequences = 0, steps = 0;
  for (let seed = 1; seed <= 300; seed++) {
    const random = rng(seed * 2654435761);
    let counter = 0;
    const fresh = () => counter++;
    let nodes = Array.from({ length: Math.floor(random() * 60) }, () => ({ id: `n${fresh()}`, position: { x: 0, y: 0 } }));
    for (let step = 0; step < 40; step++) {
      const next = edit(nodes, random, fresh);
      const got = diffById(nodes, next);
      const want = oracle(nodes, next);
      const where = `seed ${seed}, step ${step}`;
      assert.deepEqual(ids(got.added), want.added, `added, ${where}`);
      assert.deepEqual(ids(got.replaced), want.replaced, `replaced, ${where}`);
      assert.deepEqual(ids(got.removed), want.removed, `removed, ${where}`);
      // The items handed back are next's own objects.
      const after = new Map(next.map((n) => [n.id, n]));
      for (const n of [...got.added, ...got.replaced]) assert.equal(after.get(n.id), n, where);
      nodes = next;
      steps++;
    }
    sequences++;
  }
  assert.equal(sequences, 300);
  assert.equal(steps, 12000);
});

test('the same array, and arrays of the same objects, are no change', () => {
  const a = [{ id: 'a' }, { id: 'b' }];
  assert.deepEqual(diffById(a, a), { added: [], replaced: [], removed: [] });
  assert.deepEqual(diffById(a, [...a]), { added: [], replaced: [], removed: [] });
  assert.deepEqual(diffById(a, [a[1], a[0]]), { added: [], replaced: [], removed: [] });
});

test('a duplicated id in the new array comes back as an add (for the optimizer to reject)', () => {
  const a = { id: 'a' };
  const d = diffById([a], [a, { id: 'a' }]);
  assert.equal(d.added.length, 1);
});

test('parentsFirst puts every added parent before its added children', () => {
  for (let seed = 1; seed <= 100; seed++) {
    const random = rng(seed);
    const n = 1 + Math.floor(random() * 30);
    // A random forest: node i's parent is an earlier node (or an existing one), then shuffled.
    const nodes = Array.from({ length: n }, (_, i) => ({ id: `n${i}`, parentId: i > 0 && random() < 0.7 ? `n${Math.floor(random() * i)}` : random() < 0.5 ? 'old' : undefined }));
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [nodes[i], nodes[j]] = [nodes[j], nodes[i]];
    }
    const out = parentsFirst(nodes);
    assert.deepEqual(ids(out), ids(nodes));
    const at = new Map(out.map((x, i) => [x.id, i]));
    for (const x of out) if (at.has(x.parentId)) assert.ok(at.get(x.parentId) < at.get(x.id), `seed ${seed}: ${x.parentId} before ${x.id}`);
  }
});
