// "Editing at scale": the cost of one edit in the demo, at 1k, 100k and 1M
// nodes, side by side. One page per size stays open; each round makes the
// same edits on every page in turn (interleaved): add a node, connect it,
// change a parameter, duplicate it, move it (a finished drag), delete it
// (with its edge), undo, redo. Each figure is the synchronous cost of the store action (the
// document, its index, flowscale's optimizer and the history; React's render
// of the few mounted nodes follows in the next frame and is not counted),
// median over the rounds. The target: an edit at 1M within 2× of the same
// edit at 1k.
//
//   node bench/edit.mjs            (run by npm run bench; needs a built dist/)
//   EDIT_SIZES=1000,100000 EDIT_ROUNDS=5 node bench/edit.mjs
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS, serve } from '../tests/e2e/serve.mjs';
import { fmtRatio, fmtTime, machine, median, table, writeSection } from './lib.mjs';

const SIZES = (process.env.EDIT_SIZES ?? '1000,100000,1000000').split(',').map(Number);
const ROUNDS = Number(process.env.EDIT_ROUNDS ?? 7);
const EDITS = ['add', 'connect', 'param', 'duplicate', 'move', 'delete', 'undo', 'redo'];

const server = await serve(new URL('../dist/', import.meta.url).pathname);
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });

async function openPage(n) {
  const page = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
  await page.goto(`${server.url}/?n=${n}&debug=1&panel=off`, { timeout: 180_000 });
  await page.waitForFunction(
    (n) => !document.querySelector('[data-testid="progress"]') && window.__flowscale?.optimizer?.nodeCount === n && window.__flowscale.store.getState().nodes.length === n,
    n,
    { timeout: 180_000, polling: 200 },
  );
  await page.waitForTimeout(500);
  return page;
}

/** One round of edits on one page: the synchronous milliseconds of each. */
function round(page) {
  return page.evaluate(async () => {
    const s = () => window.__flowscale.store.getState();
    const frame = () => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
    const time = async (f) => {
      const t0 = performance.now();
      f();
      const ms = performance.now() - t0;
      await frame();
      return ms;
    };
    const out = {};
    let osc = '';
    let gain = '';
    out.add = await time(() => {
      osc = s().addNode('oscillator', { x: 100, y: 100 });
    });
    gain = s().addNode('gain', { x: 500, y: 100 });
    await frame();
    out.connect = await time(() => s().connect({ source: osc, sourceHandle: 'out', target: gain, targetHandle: 'in' }));
    out.param = await time(() => s().updateParam(osc, 'frequency', 300 + Math.random() * 100));
    let copies = [];
    out.duplicate = await time(() => {
      copies = s().duplicateNodes([osc]);
    });
    // A finished drag: React Flow's last position change of it.
    out.move = await time(() => s().applyNodeChanges([{ type: 'position', id: osc, position: { x: 140, y: 160 }, dragging: false }]));
    out.delete = await time(() => s().removeNodes([osc]));
    out.undo = await time(() => s().undo());
    out.redo = await time(() => s().redo());
    s().removeNodes([gain, ...copies]);
    await frame();
    return out;
  });
}

const pages = [];
for (const n of SIZES) pages.push(await openPage(n));
const samples = SIZES.map(() => Object.fromEntries(EDITS.map((e) => [e, []])));
await Promise.all(pages.map((p) => round(p))); // warm-up
for (let r = 0; r < ROUNDS; r++) {
  for (let k = 0; k < pages.length; k++) {
    const ms = await round(pages[k]);
    for (const e of EDITS) samples[k][e].push(ms[e]);
  }
}
await browser.close();
await server.close();

const med = samples.map((s) => Object.fromEntries(EDITS.map((e) => [e, median(s[e])])));
const base = med[0];
const rows = EDITS.map((e) => [e, ...med.flatMap((m, k) => (k === 0 ? [fmtTime(m[e])] : [fmtTime(m[e]), fmtRatio(m[e] / base[e])]))]);
const header = ['edit', ...SIZES.flatMap((n, k) => (k === 0 ? [`${n.toLocaleString('en')} nodes`] : [`${n.toLocaleString('en')} nodes`, `vs ${SIZES[0].toLocaleString('en')}`]))];
const last = med.at(-1);
const worst = Math.max(...EDITS.map((e) => last[e] / base[e]));
const met = EDITS.filter((e) => last[e] / base[e] <= 2);
const body = `### Editing at scale: one edit in the demo

Command: \`node bench/edit.mjs\` (\`npm run bench\` runs it; \`EDIT_SIZES\`, \`EDIT_ROUNDS\` pick a subset).
Machine: ${machine()}; headless Chromium, the demo page at 1920×1080 in flowscale mode, one page per size
kept open, ${ROUNDS} rounds interleaved across the sizes, medians. Each figure is the synchronous cost of the
store action (document, its index, flowscale's optimizer, the undo history); React's render of the mounted
nodes follows in the next frame and is not counted. "move" is a finished drag (the document is written once,
at the end); "delete" removes a node with its edge.

${table(header, rows)}

Target: an edit at ${SIZES.at(-1).toLocaleString('en')} nodes within 2× of the same edit at ${SIZES[0].toLocaleString('en')}: ${met.length === EDITS.length ? 'met' : `not met (${EDITS.length - met.length} of ${EDITS.length} edits over; the worst ${fmtRatio(worst)})`}.`;
writeSection(new URL('../docs/benchmarks.md', import.meta.url).pathname, 'edit', body);
console.log(body);
