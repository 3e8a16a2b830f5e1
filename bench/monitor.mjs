// Monitor and profiler overhead, in Node and in headless Chromium
// (a cross-origin isolated page: tests/e2e/monitor.html), written into
// docs/benchmarks.md:
//
// - Profiler: begin+end per span (flat, and four deep), profile(name, fn)
//   per call, including the batch hand-over to wasm and the call tree built
//   there (report() is inside the timed region). Goal: < 1 µs per span.
// - track(name, fn) per call (what every instrumented public call pays).
// - Monitor: per frame, what a running monitor adds — recordFrame (what its
//   requestAnimationFrame callback does) plus one sample() per 60 frames (a
//   1 s interval at 60 Hz), with a full 300 s of retained frames; in
//   Chromium also the cost of re-arming requestAnimationFrame. Goal: < 0.1 ms.
//
//   node bench/monitor.mjs      (needs pkg/ built: npm run build:pkg)
import { chromium } from 'playwright-core';
import * as flowscale from '../tests/js/flowscale.mjs';
import { CHROMIUM_ARGS, serve } from '../tests/e2e/serve.mjs';
import { fmtTime, machine, table, writeSection } from './lib.mjs';

const DOC = new URL('../docs/benchmarks.md', import.meta.url).pathname;

/** Runs in Node and, as source text, in the page: `fs` is the package namespace. Returns ms figures. */
async function measure(fs) {
  const now = () => performance.now();
  const med = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
  const ROUNDS = 9, N = 200_000;
  let sink = 0;
  const f = () => { sink++; };
  const out = { flat: [], nested: [], profile: [], track: [], frame: [], sample: [], snapshot: [], raf: [] };
  // The monitor first, while the operation log holds only what a page would (the track loop below adds 180,000 records).
  // A monitor with 300 s of frames retained (18,000 at 60 Hz) and a sample per 60 frames.
  const mon = new fs.PerformanceMonitor({ monitoringIntervalSeconds: 3600 });
  mon.start();
  // 300 s of frames at 60 Hz before the measured rounds, whose frames then
  // continue 16.7 ms apart up to the present: every window holds what it would on a page.
  const FRAMES = 18_000, DT = 1000 / 60;
  let tf = now() - (FRAMES + ROUNDS * 600) * DT;
  for (let i = 0; i < FRAMES; i++) mon.recordFrame((tf += DT));
  mon.sample();
  for (let r = 0; r < ROUNDS; r++) {
    const t = now();
    for (let i = 0; i < 600; i++) {
      mon.recordFrame((tf += DT));
      if (i % 60 === 59) mon.sample();
    }
    out.frame.push((now() - t) / 600);
    let s = now();
    for (let k = 0; k < 20; k++) mon.sample();
    out.sample.push((now() - s) / 20);
    s = now();
    for (let k = 0; k < 20; k++) mon.snapshot();
    out.snapshot.push((now() - s) / 20);
    if (typeof requestAnimationFrame === 'function') {
      s = now();
      for (let k = 0; k < 10_000; k++) cancelAnimationFrame(requestAnimationFrame(f));
      out.raf.push((now() - s) / 10_000);
    }
  }
  mon.stop();
  const p = new fs.Profiler();
  for (let r = 0; r < ROUNDS; r++) {
    p.reset();
    let t = now();
    for (let i = 0; i < N; i++) { p.begin('span'); p.end(); }
    p.report();
    out.flat.push((now() - t) / N);
    p.reset();
    t = now();
    for (let i = 0; i < N / 4; i++) {
      p.begin('a'); p.begin('b'); p.begin('c'); p.begin('d');
      p.end(); p.end(); p.end(); p.end();
    }
    p.report();
    out.nested.push((now() - t) / N);
    p.reset();
    t = now();
    for (let i = 0; i < N; i++) p.profile('span', f);
    p.report();
    out.profile.push((now() - t) / N);
    t = now();
    for (let i = 0; i < N / 10; i++) fs.track('bench-op', f);
    out.track.push((now() - t) / (N / 10));
  }
  const res = Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.length ? med(v) : null]));
  res.sink = sink;
  return res;
}

const node = await measure(flowscale);

const server = await serve(new URL('..', import.meta.url).pathname);
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
let web;
try {
  const page = await browser.newPage();
  await page.goto(`${server.url}/tests/e2e/monitor.html`);
  await page.waitForFunction(() => window.ready === true);
  web = await page.evaluate(async (src) => (0, eval)(`(${src})`)(window.flowscale), measure.toString());
} finally {
  await browser.close();
  await server.close();
}

const us = (ms) => (ms === null ? '—' : fmtTime(ms));
const verdict = (ms, goal) => (ms === null ? '' : ms < goal ? 'met' : 'missed');
const perFrame = (r) => r.frame + (r.raf ?? 0);
const rows = [
  ['profiler: `begin` + `end`, flat, per span', us(node.flat), us(web.flat), '< 1 µs', `${verdict(node.flat, 1e-3)} / ${verdict(web.flat, 1e-3)}`],
  ['profiler: `begin` + `end`, 4 deep, per span', us(node.nested), us(web.nested), '< 1 µs', `${verdict(node.nested, 1e-3)} / ${verdict(web.nested, 1e-3)}`],
  ['profiler: `profile(name, fn)`, per call', us(node.profile), us(web.profile), '< 1 µs', `${verdict(node.profile, 1e-3)} / ${verdict(web.profile, 1e-3)}`],
  ['`track(name, fn)`, per call', us(node.track), us(web.track), '', ''],
  ['monitor: per frame (recordFrame + a sample() per 60 frames)', us(node.frame), us(web.frame), '', ''],
  ['monitor: per frame, with re-arming requestAnimationFrame', '—', us(perFrame(web)), '< 0.1 ms', verdict(perFrame(web), 0.1)],
  ['monitor: one `sample()` (flush, memory, alerts)', us(node.sample), us(web.sample), '', ''],
  ['monitor: one `snapshot()` (every metric, 300 s of frames kept)', us(node.snapshot), us(web.snapshot), '', ''],
];
const body = `## Monitor and profiler overhead

\`node bench/monitor.mjs\` (part of \`npm run bench\`) — ${machine()}; Chromium headless, cross-origin isolated page.
Medians of 9 rounds; a profiler round is 200,000 spans with the batches handed to wasm and the call tree built
(\`report()\` is inside the timed region). A span record is five floats written into a \`Float64Array\`; wasm sees
one call per 4,096 records.

${table(['what', 'Node', 'Chromium', 'goal', 'goal met (Node / Chromium)'], rows)}

\`track\` (and every instrumented public call of the package) reads the clock and wasm memory at both edges and
makes one call into wasm; \`configureTracking({ heapDelta: true })\` adds \`performance.memory\`, which costs
about 40 µs in Chromium. It is meant for calls of a millisecond and more, which is why the per-frame path
(\`frame\`, \`updatePositions\`, \`render\`) is not instrumented. \`sample()\` runs once per interval (1 s by
default); \`snapshot()\` only when asked.
`;
writeSection(DOC, 'monitor', body);
console.log(body);
