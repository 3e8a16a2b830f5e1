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

// The matrix checks what it claims: each mutant below is the package with one
// promise broken, and the rows that state that promise must catch it (the
// earlier check, one frame's visibleIds, missed all but the last).
function mutant(kind) {
  const wrap = (opt) => {
    const own = {
      // Applies the valid prefix of a batch before the bad change throws.
      half: {
        applyNodeChanges(changes) {
          if (!Array.isArray(changes)) return opt.applyNodeChanges(changes);
          try {
            for (const c of changes) opt.applyNodeChanges([c]);
          } catch {
            opt.applyNodeChanges(changes); // throws the batch's own error
          }
        },
      },
      // A rejected workflow resizes a node and drops an edge on its way out.
      dirtyReject: {
        setWorkflow(w) {
          try {
            opt.setWorkflow(w);
          } catch (err) {
            if (opt.indexOf('c') !== undefined) opt.applyNodeChanges([{ type: 'dimensions', id: 'c', dimensions: { width: 60, height: 40 } }]);
            if (opt.edgeIndexOf('ab') !== undefined) opt.applyEdgeChanges([{ type: 'remove', id: 'ab' }]);
            throw err;
          }
        },
      },
      // Nodes without a size get 100 × 100; everything lands one unit off.
      sloppy: {
        setWorkflow(w) {
          const fix = (n) => (n && typeof n === 'object' && n.position && typeof n.position.x === 'number'
            ? { ...n, position: { x: n.position.x + 1, y: n.position.y }, width: n.width ?? 100, height: n.height ?? 100 }
            : n);
          return opt.setWorkflow(w && Array.isArray(w.nodes) ? { ...w, nodes: w.nodes.map(fix) } : w);
        },
      },
      // An empty workflow is ignored; the previous one stays.
      stale: {
        setWorkflow(w) {
          if (w && Array.isArray(w.nodes) && w.nodes.length === 0) return;
          return opt.setWorkflow(w);
        },
      },
      // Queries that move a node.
      meddling: {
        nodesInRect(...a) {
          opt.applyNodeChanges([{ type: 'position', id: 'a', position: { x: 1, y: 0 } }]);
          return opt.nodesInRect(...a);
        },
      },
    }[kind];
    return new Proxy(opt, {
      get(target, key) {
        if (Object.hasOwn(own, key)) return own[key];
        const v = Reflect.get(target, key);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
  };
  return { ...api, WorkflowOptimizer: function WorkflowOptimizer(config) { return wrap(new api.WorkflowOptimizer(config)); } };
}

test('bad-input matrix catches a broken optimizer: each mutant fails the rows stating its promise', () => {
  const must = {
    half: ['changes/valid change then a bad one'],
    dirtyReject: ['numbers/position.x NaN', 'ids/duplicate edge id', 'types/workflow null', 'graph/over the node cap (maxNodes 3)'],
    sloppy: ['numbers/position -0', 'numbers/width 0, height 0', 'numbers/no width/height', 'graph/1 node', 'graph/self-loop'],
    stale: ['graph/0 nodes'],
    meddling: ['rect/rect touching two nodes\' edges', 'rect/rect exactly a node'],
  };
  for (const [kind, rows] of Object.entries(must)) {
    const failed = new Set(runMatrix(mutant(kind)).filter((r) => !r.ok).map((r) => `${r.group}/${r.input}`));
    for (const row of rows) assert.ok(failed.has(row), `${kind}: row ${row} did not catch it (failed: ${[...failed].join('; ')})`);
  }
});
