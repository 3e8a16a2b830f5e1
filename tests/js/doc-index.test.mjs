// The demo's document index (www/src/store/docIndex.ts) against a brute-force
// oracle: after random edits (removals anywhere, order kept, and appends),
// every id's position is exactly where it is in the array, and a removed id
// is not found.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rng } from './workflows.mjs';
import { importTs } from './ts-module.mjs';

const { DocIndex } = await importTs(new URL('../../www/src/store/docIndex.ts', import.meta.url));

test('document index: positions stay exact through removals and appends', () => {
  const random = rng(7);
  for (let trial = 0; trial < 100; trial++) {
    let nodes = Array.from({ length: 1 + Math.floor(random() * 3000) }, (_, i) => ({ id: `n${i}` }));
    const edges = nodes.slice(1).map((n, i) => ({ id: `e${i}`, source: `n${i}`, target: n.id }));
    const index = new DocIndex(nodes, edges);
    // Half the trials start from a partly built index (the lazy chunks), half from none.
    if (trial % 2) index.indexUpTo(Math.floor(nodes.length / 2), 0);
    let serial = nodes.length;
    for (let step = 0; step < 30; step++) {
      const removed = [...new Set(Array.from({ length: Math.floor(random() * 40) }, () => nodes[Math.floor(random() * nodes.length)]?.id).filter(Boolean))];
      const added = Array.from({ length: Math.floor(random() * 20) }, () => ({ id: `n${serial++}` }));
      const gone = new Set(removed);
      nodes = [...nodes.filter((n) => !gone.has(n.id)), ...added];
      index.nodesEdited(nodes, removed, added);
      for (let i = 0; i < nodes.length; i += 1 + Math.floor(random() * 50)) assert.equal(index.node(nodes[i].id), i, `trial ${trial}, step ${step}`);
      for (const id of removed) assert.equal(index.node(id), undefined);
    }
    if (edges.length) assert.equal(index.edge('e0'), 0, 'edges untouched');
  }
});
