// Opening the demo, and the React example (examples/react-vite), over a
// throttled link: time to first render (React Flow's first node on screen) and
// to the GPU layer being ready, and the bytes fetched before the first render,
// for the package as shipped (two wasm modules: the core, then the GPU module
// fetched in the background) against one module (the same bytes, all of them
// before anything runs). Then the bytes of a page that uses the core alone
// (the package smoke test's page, built by Vite): what a page without the GPU
// layer downloads.
//
// "One module" is emulated, as there is no such build any more: the core's
// .wasm is served with a custom section as large as the GPU module
// (incompressible bytes, so it weighs the same on a compressed wire), and
// the GPU module's own request is answered at once. That charges the one
// module its download, not its larger compile (about 2 MB more code), so it
// favours the one module. The link: every response gzip -9 and sent through
// one shared pipe at LINK_MBPS with LINK_RTT_MS before each response.
//
//   node bench/startup.mjs     (run by npm run bench; needs a built dist/ and the example's node_modules)
//   LINK_MBPS=50 STARTUP_SIZES=1000 STARTUP_ROUNDS=2 node bench/startup.mjs
import { createServer } from 'node:http';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { basename, extname, join, normalize } from 'node:path';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { build } from 'vite';
import { APP, HTML } from '../tests/e2e/package-app.mjs';
import { CHROMIUM_ARGS } from '../tests/e2e/serve.mjs';
import { machine, median, table, writeSection } from './lib.mjs';

const MBPS = Number(process.env.LINK_MBPS ?? 20);
const RTT_MS = Number(process.env.LINK_RTT_MS ?? 40);
const SIZES = (process.env.STARTUP_SIZES ?? '1000,100000').split(',').map(Number);
const ROUNDS = Number(process.env.STARTUP_ROUNDS ?? 5);
const root = new URL('../', import.meta.url).pathname;
const loadAtStart = loadavg()[0];
const coreWasm = readFileSync(join(root, 'pkg/web/flowscale_bg.wasm'));
const gpuWasm = readFileSync(join(root, 'pkg/gpu/flowscale_gpu_bg.wasm'));

// The example and the core-only page are built here by Vite, into a temporary folder. As from an installed copy
// of the package, flowscale's imports of React resolve in the app's node_modules: its flowscale symlink (a `file:`
// dependency) is kept as the path, not followed to pkg/, where the workspace's own React would be a second copy.
const work = mkdtempSync(join(tmpdir(), 'flowscale-startup-'));
process.on('exit', () => rmSync(work, { recursive: true, force: true }));
async function viteBuild(dir, name) {
  const outDir = join(work, name);
  await build({ root: dir, logLevel: 'error', build: { outDir }, resolve: { preserveSymlinks: true } });
  return outDir;
}
const exampleDir = join(root, 'examples/react-vite');
if (!existsSync(join(exampleDir, 'node_modules'))) throw new Error('examples/react-vite has no node_modules: npm install --prefix examples/react-vite');
// The core-only page: the package smoke test's page (without ?draw it makes no Renderer), pkg/ as its flowscale.
const coreOnlyDir = join(work, 'core-only-src');
mkdirSync(join(coreOnlyDir, 'src'), { recursive: true });
mkdirSync(join(coreOnlyDir, 'node_modules'));
symlinkSync(join(root, 'pkg'), join(coreOnlyDir, 'node_modules/flowscale'));
writeFileSync(join(coreOnlyDir, 'src/main.js'), APP);
writeFileSync(join(coreOnlyDir, 'index.html'), HTML('/src/main.js'));
const coreOnlyPage = { dir: await viteBuild(coreOnlyDir, 'core-only') };

// The apps. GPU layer ready: in the demo, its debug hook has the renderer; in the example, its own status line
// (useFlowscale().gpu.status, 'on' once the FlowscaleLayer's renderer is attached) ends in "GPU on".
const APPS = [
  { name: 'demo', dir: join(root, 'dist'), query: '&debug=1', gpuReady: () => Boolean(window.__flowscale?.renderer) },
  {
    name: 'example',
    dir: await viteBuild(exampleDir, 'example'),
    query: '',
    gpuReady: () => / GPU on$/.test(document.querySelector('[data-testid="stats"]')?.textContent ?? ''),
  },
];

// Which of a build's hashed .wasm files is which: byte-equal to the package's.
const same = (a, b) => a.length === b.length && a.equals(b);
for (const app of APPS) {
  const files = existsSync(app.dir) ? readdirSync(app.dir, { recursive: true }).filter((f) => f.endsWith('.wasm')) : [];
  const find = (bytes) => files.find((f) => same(readFileSync(join(app.dir, f)), bytes));
  const [core, gpu] = [find(coreWasm), find(gpuWasm)];
  if (!core || !gpu) throw new Error(`${app.dir} does not hold pkg/'s two modules (${files}): rebuild it`);
  Object.assign(app, { coreName: basename(core), gpuName: basename(gpu) });
}

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

// One link for every response: bytes leave at MBPS, in order of writing; `wire` counts them.
const bytesPerMs = (MBPS * 1e6) / 8 / 1000;
let linkFree = 0;
let wire = 0;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function send(res, body) {
  await sleep(RTT_MS);
  for (let at = 0; at < body.length; at += 16384) {
    const chunk = body.subarray(at, at + 16384);
    const t = Math.max(performance.now(), linkFree) + chunk.length / bytesPerMs;
    linkFree = t;
    wire += chunk.length;
    await sleep(t - performance.now());
    res.write(chunk);
  }
  res.end();
}

// What is served now: a build (dir, and coreName and gpuName for "one module") as one variant.
let serving;
const server = createServer(async (req, res) => {
  const { dir, coreName, gpuName, variant } = serving;
  const rel = normalize(decodeURIComponent(new URL(req.url, 'http://x').pathname)).replace(/^(\.\.[/\\])+/, '');
  const file = join(dir, rel === '/' ? 'index.html' : rel);
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
    res.writeHead(200, headers).end(gzipped(file, body)); // already part of the one module: not on the link
    return;
  }
  res.writeHead(200, headers);
  await send(res, variant === 'one module' && name === coreName ? oneModuleCore : gzipped(file, body));
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const url = `http://127.0.0.1:${server.address().port}`;

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });

/** Open `build` as `variant` on an idle link; once `ready` holds in the page, `measure`'s result there and the link's bytes. */
async function visit(build, variant, search, init, ready, measure) {
  serving = { ...build, variant };
  linkFree = 0;
  wire = 0;
  const page = await browser.newPage({ viewport: { width: 1400, height: 860 } });
  try {
    if (init) await page.addInitScript(init);
    await page.goto(`${url}/${search}`, { timeout: 120_000 });
    await page.waitForFunction(ready, null, { timeout: 120_000, polling: 20 });
    return { ...(await page.evaluate(measure)), wire };
  } finally {
    await page.close();
  }
}

/** In the page from navigation on: the first node in the DOM, and the GPU layer ready (`gpuReady()`), in ms. */
function watch(gpuReady) {
  window.__startup = {};
  new MutationObserver((_, obs) => {
    if (document.querySelector('.react-flow__node')) {
      window.__startup.firstNode = performance.now();
      obs.disconnect();
    }
  }).observe(document, { childList: true, subtree: true });
  const poll = setInterval(() => {
    if (gpuReady()) {
      window.__startup.gpu = performance.now();
      clearInterval(poll);
    }
  }, 5);
}

/** One opening of `app` at `n` nodes: first render, GPU layer ready, bytes before the first render, and `wire`. */
const open = (app, n, variant) =>
  visit(
    app,
    variant,
    `?n=${n}${app.query}`,
    `(${watch})(${app.gpuReady});`,
    () => window.__startup.firstNode && window.__startup.gpu,
    () => {
      const { firstNode, gpu } = window.__startup;
      const before = performance
        .getEntriesByType('resource')
        .concat(performance.getEntriesByType('navigation'))
        .filter((e) => e.responseEnd <= firstNode)
        .reduce((sum, e) => sum + e.encodedBodySize, 0);
      return { firstNode, gpu, before };
    },
  );

// Every app in both variants, interleaved: each round opens each once, in a rotated order.
const VARIANTS = ['split', 'one module'];
const contenders = APPS.flatMap((app) => VARIANTS.map((variant) => ({ app, variant })));
const results = {};
for (const n of SIZES) {
  for (let r = 0; r < ROUNDS + 1; r++) {
    for (let k = 0; k < contenders.length; k++) {
      const { app, variant } = contenders[(r + k) % contenders.length];
      const m = await open(app, n, variant);
      if (r === 0) continue; // warm-up: the browser's own start
      (((results[app.name] ??= {})[n] ??= {})[variant] ??= []).push(m);
      const kib = (bytes) => (bytes / 1024).toFixed(0);
      console.error(`${app.name} ${n} ${variant}: first render ${m.firstNode.toFixed(0)} ms, GPU layer ${m.gpu.toFixed(0)} ms, ${kib(m.before)} KiB before, ${kib(m.wire)} KiB in all`);
    }
  }
}
// The core-only page's bytes (the same on every load): it fetches the core's .wasm, and no other.
const coreOnly = await visit(
  coreOnlyPage,
  'split',
  '',
  null,
  () => window.result !== undefined,
  () => ({ failed: window.result.failed, wasm: performance.getEntriesByType('resource').filter((e) => e.name.endsWith('.wasm')).length }),
);
if (coreOnly.failed || coreOnly.wasm !== 1) throw new Error(`the core-only page: ${coreOnly.failed ?? `${coreOnly.wasm} .wasm fetched`}`);
await browser.close();
server.close();

const kib = (bytes) => `${Math.round(bytes / 1024)} KiB`;
const rows = [];
for (const app of APPS) {
  for (const n of SIZES) {
    const med = (v, key) => median(results[app.name][n][v].map((m) => m[key]));
    for (const v of VARIANTS) {
      rows.push([app.name, n.toLocaleString('en'), v, `${Math.round(med(v, 'firstNode'))} ms`, `${Math.round(med(v, 'gpu'))} ms`, kib(med(v, 'before')), kib(med(v, 'wire'))]);
    }
    const ratio = (key) => (med('split', key) / med('one module', key)).toFixed(2);
    rows.push([app.name, n.toLocaleString('en'), '**split ÷ one module**', `**${ratio('firstNode')}×**`, `${ratio('gpu')}×`, '', '']);
  }
}
const full = median(results.example[SIZES.at(-1)].split.map((m) => m.wire));
rows.push(['core-only page', '10,000', 'split, core only', '', 'no GPU layer', '', `${kib(coreOnly.wire)}: **${(coreOnly.wire / full).toFixed(2)}×** the example's`]);
const body = `### Opening the demo and the example: one wasm module or two

Command: \`npm run bench\` (runs \`node bench/startup.mjs\`; \`LINK_MBPS\`, \`LINK_RTT_MS\`, \`STARTUP_SIZES\`, \`STARTUP_ROUNDS\` change it).
Machine: ${machine()}. Production builds in headless Chromium, every response gzip -9 through one
${MBPS} Mbit/s link with ${RTT_MS} ms before each response; ${ROUNDS} interleaved rounds after a warm-up, medians
(load average over a minute: ${loadAtStart.toFixed(1)} at the start, ${loadavg()[0].toFixed(1)} at the end).
The demo is \`dist/\` (webpack); the example is \`examples/react-vite\` built by Vite (a generated workflow in
React Flow's \`useNodesState\`, with \`FlowscaleLayer\` and \`FlowscaleMiniMap\` from \`flowscale/react\`).
First render: the first React Flow node in the DOM, in ms since navigation. GPU layer: its renderer created
(the GPU module fetched and instantiated, the device made): in the demo its debug hook has the renderer, in the
example its status line (\`useFlowscale().gpu.status\`) says \`on\`. Bytes before first render: compressed bytes
of the responses complete before the first render (HTML, JS, CSS, wasm); in all: the bytes through the link until
the GPU layer is ready.
"One module" is the same app with the GPU module's bytes moved into the core's download (a custom section of
incompressible bytes), so everything arrives before anything runs; it is not charged the larger compile, which
favours it.
The core-only page is the package smoke test's page (\`tests/e2e/package-app.mjs\`: \`init()\`, a
\`WorkflowOptimizer\` over 10,000 generated nodes, \`frame()\`, the cache and the monitor; no React, no
\`Renderer\`) built by Vite against \`pkg/\`: it fetches the core's .wasm only, never the GPU module. Its bytes
in all are compared with the example's (split, ${SIZES.at(-1).toLocaleString('en')} nodes).

${table(['app', 'nodes', 'package', 'first render', 'GPU layer ready', 'bytes before first render', 'bytes in all'], rows)}`;
writeSection(join(root, 'docs/benchmarks.md'), 'startup', body);
console.log(body);
