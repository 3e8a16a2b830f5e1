// Opening the demo over a throttled link: time to first render (React Flow's
// first node on screen) and to the GPU layer being ready, and the bytes fetched
// before the first render, for the package as shipped (two wasm modules: the
// core, then the GPU module fetched in the background) against one module
// (the same bytes, all of them before anything runs).
//
// "One module" is emulated, as there is no such build any more: the core's
// .wasm is served with a custom section as large as the GPU module
// (incompressible bytes, so it weighs the same on a compressed wire), and
// the GPU module's own request is answered at once. That charges the one
// module its download, not its larger compile (about 2 MB more code), so it
// favours the one module. The link: every response gzip -9 and sent through
// one shared pipe at LINK_MBPS with LINK_RTT_MS before each response.
//
//   node bench/startup.mjs     (run by npm run bench; needs a built dist/)
//   LINK_MBPS=50 STARTUP_SIZES=1000 node bench/startup.mjs
import { createServer } from 'node:http';
import { randomBytes } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { extname, join, normalize } from 'node:path';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS } from '../tests/e2e/serve.mjs';
import { machine, median, table, writeSection } from './lib.mjs';

const MBPS = Number(process.env.LINK_MBPS ?? 20);
const RTT_MS = Number(process.env.LINK_RTT_MS ?? 40);
const SIZES = (process.env.STARTUP_SIZES ?? '1000,100000').split(',').map(Number);
const ROUNDS = Number(process.env.STARTUP_ROUNDS ?? 5);
const dist = new URL('../dist/', import.meta.url).pathname;
const pkg = new URL('../pkg/', import.meta.url).pathname;

// Which of dist's hashed .wasm files is which: byte-equal to the package's.
const same = (a, b) => a.length === b.length && a.equals(b);
const coreWasm = readFileSync(join(pkg, 'web/flowscale_bg.wasm'));
const gpuWasm = readFileSync(join(pkg, 'gpu/flowscale_gpu_bg.wasm'));
const wasmFiles = readdirSync(dist).filter((f) => f.endsWith('.wasm'));
const coreName = wasmFiles.find((f) => same(readFileSync(join(dist, f)), coreWasm));
const gpuName = wasmFiles.find((f) => same(readFileSync(join(dist, f)), gpuWasm));
if (!coreName || !gpuName) throw new Error(`dist/ does not hold pkg/'s two modules (${wasmFiles}): rebuild it`);

/** A wasm custom section named `pad` holding `bytes` (valid anywhere after the header). */
function customSection(bytes) {
  const name = Buffer.from('pad');
  const leb = (n) => {
    const out = [];
    do {
      let b = n & 0x7f;
      n >>>= 7;
      if (n) b |= 0x80;
      out.push(b);
    } while (n);
    return Buffer.from(out);
  };
  const content = Buffer.concat([leb(name.length), name, bytes]);
  return Buffer.concat([Buffer.from([0]), leb(content.length), content]);
}

const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm', '.css': 'text/css' };
const gz = new Map();
function gzipped(file, body) {
  if (!gz.has(file)) gz.set(file, gzipSync(body, { level: 9 }));
  return gz.get(file);
}
// The one module's core: the GPU module's compressed size in random bytes, compressed once.
const oneModuleCore = gzipSync(Buffer.concat([coreWasm, customSection(randomBytes(gzipSync(gpuWasm, { level: 9 }).length))]), { level: 9 });

// One link for every response: bytes leave at MBPS, in order of writing.
const bytesPerMs = (MBPS * 1e6) / 8 / 1000;
let linkFree = 0;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function send(res, body) {
  await sleep(RTT_MS);
  for (let at = 0; at < body.length; at += 16384) {
    const chunk = body.subarray(at, at + 16384);
    const t = Math.max(performance.now(), linkFree) + chunk.length / bytesPerMs;
    linkFree = t;
    await sleep(t - performance.now());
    res.write(chunk);
  }
  res.end();
}

let variant = 'split';
const server = createServer(async (req, res) => {
  const rel = normalize(decodeURIComponent(new URL(req.url, 'http://x').pathname)).replace(/^(\.\.[/\\])+/, '');
  const file = join(dist, rel === '/' ? 'index.html' : rel);
  let body;
  try {
    body = readFileSync(file);
  } catch {
    res.writeHead(404).end();
    return;
  }
  const headers = {
    'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
    'content-encoding': 'gzip',
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-embedder-policy': 'require-corp',
  };
  const name = rel.split('/').pop();
  if (variant === 'one module' && name === gpuName) {
    res.writeHead(200, headers).end(gzipped(file, body)); // already part of the one module
    return;
  }
  res.writeHead(200, headers);
  await send(res, variant === 'one module' && name === coreName ? oneModuleCore : gzipped(file, body));
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const url = `http://127.0.0.1:${server.address().port}`;

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });

async function open(n) {
  const page = await browser.newPage({ viewport: { width: 1400, height: 860 } });
  await page.addInitScript(() => {
    // First node in the DOM, and the GPU layer ready (its renderer created), in ms since navigation.
    window.__startup = {};
    new MutationObserver((_, obs) => {
      if (document.querySelector('.react-flow__node')) {
        window.__startup.firstNode = performance.now();
        obs.disconnect();
      }
    }).observe(document, { childList: true, subtree: true });
    const poll = setInterval(() => {
      const r = window.__flowscale?.renderer;
      if (r) {
        window.__startup.gpu = performance.now();
        clearInterval(poll);
      }
    }, 5);
  });
  try {
    linkFree = 0;
    await page.goto(`${url}/?n=${n}&debug=1`, { timeout: 120_000 });
    await page.waitForFunction(() => window.__startup.firstNode && window.__startup.gpu, null, { timeout: 120_000, polling: 20 });
    return await page.evaluate(() => {
      const { firstNode, gpu } = window.__startup;
      const before = performance
        .getEntriesByType('resource')
        .concat(performance.getEntriesByType('navigation'))
        .filter((e) => e.responseEnd <= firstNode)
        .reduce((sum, e) => sum + e.encodedBodySize, 0);
      return { firstNode, gpu, before };
    });
  } finally {
    await page.close();
  }
}

const VARIANTS = ['split', 'one module'];
const results = {};
for (const n of SIZES) {
  for (let r = 0; r < ROUNDS + 1; r++) {
    for (let k = 0; k < VARIANTS.length; k++) {
      variant = VARIANTS[(r + k) % VARIANTS.length];
      const m = await open(n);
      if (r === 0) continue; // warm-up: the browser's own start
      ((results[n] ??= {})[variant] ??= []).push(m);
      console.error(`${n} ${variant}: first render ${m.firstNode.toFixed(0)} ms, GPU layer ${m.gpu.toFixed(0)} ms, ${(m.before / 1024).toFixed(0)} KiB before`);
    }
  }
}
await browser.close();
server.close();

const med = (n, v, key) => median(results[n][v].map((m) => m[key]));
const rows = [];
for (const n of SIZES) {
  for (const v of VARIANTS) {
    rows.push([
      n.toLocaleString('en'),
      v,
      `${Math.round(med(n, v, 'firstNode'))} ms`,
      `${Math.round(med(n, v, 'gpu'))} ms`,
      `${Math.round(med(n, v, 'before') / 1024)} KiB`,
    ]);
  }
  const ratio = med(n, 'split', 'firstNode') / med(n, 'one module', 'firstNode');
  rows.push([n.toLocaleString('en'), '**split ÷ one module**', `**${ratio.toFixed(2)}×**`, `${(med(n, 'split', 'gpu') / med(n, 'one module', 'gpu')).toFixed(2)}×`, '']);
}
const body = `### Opening the demo: one wasm module or two

Command: \`npm run bench\` (runs \`node bench/startup.mjs\`; \`LINK_MBPS\`, \`LINK_RTT_MS\`, \`STARTUP_SIZES\` change it).
Machine: ${machine()}. The production demo (\`dist/\`) in headless Chromium, every response gzip -9 through one
${MBPS} Mbit/s link with ${RTT_MS} ms before each response; ${ROUNDS} interleaved rounds after a warm-up, medians.
First render: the first React Flow node in the DOM, in ms since navigation. GPU layer: its renderer created
(the GPU module fetched and instantiated, the device made). Bytes: compressed bytes of the responses complete before the first render (HTML, JS, wasm).
"One module" is the same app with the GPU module's bytes moved into the core's download (a custom section of
incompressible bytes), so everything arrives before anything runs; it is not charged the larger compile, which
favours it.

${table(['nodes', 'package', 'first render', 'GPU layer ready', 'bytes before first render'], rows)}`;
writeSection(new URL('../docs/benchmarks.md', import.meta.url).pathname, 'startup', body);
console.log(body);
