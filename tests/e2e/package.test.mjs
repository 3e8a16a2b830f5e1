// The package as a React Flow developer installs it: `npm pack` of pkg/,
// the tarball installed into a fresh app, built by webpack 5 and by Vite 8
// with their default configuration (Vite's dev server with the one line the
// README states), each page loaded in Chromium. Each page indexes a
// generated workflow, runs frames, opens a cache through `flowscale/cache`
// and a monitor through `flowscale/monitor`, and reports whether those
// subpaths gave the root entry's own classes (one wasm instance), and fetches
// the core module alone (it draws nothing, so no GPU module); the same page
// with ?draw then makes a Renderer, which fetches the GPU module (the chunk
// each bundler split off), and reads a node's pixels back. Last, the
// React example (examples/react-vite) from its own lockfile and the tarball:
// type-checked, built, and run at 100k nodes with flowscale/react, built
// and on its dev server.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, mkdtempSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS, serve } from './serve.mjs';
import { APP, HTML } from './package-app.mjs';

const root = new URL('../../', import.meta.url).pathname;
const bin = (name) => join(root, 'node_modules/.bin', name);

let work;
let tarball;
let browser;

before(() => {
  work = mkdtempSync(join(tmpdir(), 'flowscale-pack-'));
  const out = execFileSync('npm', ['pack', join(root, 'pkg'), '--pack-destination', work, '--json'], { encoding: 'utf8' });
  tarball = join(work, JSON.parse(out)[0].filename);
});

after(async () => {
  await browser?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

/** A fresh app folder with the tarball installed (the package has no dependencies; its peers are optional). */
function freshApp(name) {
  const dir = join(work, name);
  mkdirSync(join(dir, 'src'), { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: `smoke-${name}`, private: true, type: 'module' }));
  execFileSync('npm', ['install', tarball, '--no-audit', '--no-fund', '--no-package-lock', '--ignore-scripts', '--offline'], { cwd: dir, stdio: 'pipe' });
  return dir;
}

/** Collect what goes wrong on a page: errors, console errors, failed requests and error responses; and the .wasm fetched. */
function watch(page) {
  const problems = [];
  const wasm = [];
  page.on('console', (m) => m.type() === 'error' && !m.text().startsWith('Failed to load resource') && problems.push(`console: ${m.text()}`));
  page.on('pageerror', (e) => problems.push(`page: ${e.message}`));
  page.on('requestfailed', (r) => problems.push(`request: ${r.url()} ${r.failure()?.errorText}`));
  page.on('response', (r) => {
    if (r.url().endsWith('.wasm')) wasm.push(r.url());
    // The browser asks for a favicon on its own; the apps have none.
    if (r.status() >= 400 && !r.url().endsWith('/favicon.ico')) problems.push(`response: ${r.status()} ${r.url()}`);
  });
  return { problems, wasm };
}

/** Load a page; return the app's result, what went wrong, and the .wasm fetched. */
async function run(url) {
  browser ??= await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    const { problems, wasm } = watch(page);
    await page.goto(url);
    await page.waitForFunction(() => window.result !== undefined, null, { timeout: 60_000 });
    return { result: await page.evaluate(() => window.result), problems, wasm };
  } finally {
    await context.close();
  }
}

function check({ result, problems, wasm }) {
  assert.equal(result.failed, undefined, result.failed);
  assert.deepEqual(problems, []);
  // The core only: the GPU module (wgpu) is fetched by the first Renderer.create, and this page draws nothing.
  assert.equal(wasm.length, 1, `one .wasm download: ${wasm.join(', ')}`);
  assert.equal(result.nodeCount, 10000);
  // 1190×790 at zoom 1 over a 200×100 grid of 150×40 nodes: columns 0–5, rows 0–7 meet the view.
  assert.equal(result.inView, 6 * 8);
  assert.ok(result.mounted >= result.inView && result.mounted <= 1000, `mounted ${result.mounted}`);
  assert.equal(result.inViewFitted, 10000);
  assert.deepEqual(result.cached, { nodes: 1 });
  assert.equal(result.snapshot, true);
  assert.equal(result.sameCache, true, 'flowscale/cache gives the root entry\'s WorkflowCache');
  assert.equal(result.sameMonitor, true, 'flowscale/monitor gives the root entry\'s PerformanceMonitor');
  assert.deepEqual(result.internals, [], 'internal wasm classes are not exported');
  assert.deepEqual(result.error, { name: 'FlowscaleError', code: 'NON_FINITE', path: 'nodes[0].position.x', isFlowscaleError: true });
}

/** The ?draw page: the core, then the GPU module, each fetched once; a node drawn where it is. */
function checkDraw({ result, problems, wasm }) {
  assert.equal(result.failed, undefined, result.failed);
  assert.deepEqual(problems, []);
  assert.equal(wasm.length, 2, `the core and the GPU module: ${wasm.join(', ')}`);
  assert.equal(new Set(wasm).size, 2, `each once: ${wasm.join(', ')}`);
  assert.match(result.drew.backend, /^Gl/);
  assert.ok(result.drew.drawCalls > 0, JSON.stringify(result.drew));
  // Node n0 covers (0, 0)–(150, 40): (20, 20) is its fill.
  const fill = [0xdc, 0x28, 0x28, 255];
  assert.ok(result.drew.centre.every((v, k) => Math.abs(v - fill[k]) <= 3), `${result.drew.centre}`);
}

const withDraw = (url) => new URL('?draw=1', url.endsWith('/') ? url : `${url}/`).href;

/** Vite's dev server on a free port in `dir`: its URL, and kill(). */
async function viteDev(vite, dir) {
  const dev = spawn(vite, ['--host', '127.0.0.1', '--port', '0', '--strictPort', 'false'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  const url = await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`vite dev server did not start: ${out}`)), 60_000);
    const onData = (d) => {
      out += d;
      const m = out.replace(/\x1b\[[0-9;]*m/g, '').match(/http:\/\/127\.0\.0\.1:\d+\//);
      if (m) {
        clearTimeout(timer);
        resolve(m[0]);
      }
    };
    dev.stdout.on('data', onData);
    dev.stderr.on('data', onData);
    dev.on('exit', (code) => reject(new Error(`vite exited ${code}: ${out}`)));
  }).catch((e) => {
    dev.kill();
    throw e;
  });
  return { url, kill: () => dev.kill() };
}

test('webpack 5, default configuration: builds and runs', async () => {
  const dir = freshApp('webpack');
  writeFileSync(join(dir, 'src/index.js'), APP);
  // No webpack.config.js: entry ./src/index.js, output ./dist/main.js.
  execFileSync(bin('webpack'), ['--mode', 'production', '--no-stats'], { cwd: dir, stdio: 'pipe' });
  writeFileSync(join(dir, 'dist/index.html'), HTML('./main.js'));
  const server = await serve(join(dir, 'dist'));
  try {
    check(await run(server.url));
    checkDraw(await run(withDraw(server.url)));
  } finally {
    await server.close();
  }
  // Each .wasm is emitted once (not a copy per entry): the core and the GPU module.
  assert.equal(readdirSync(join(dir, 'dist')).filter((f) => f.endsWith('.wasm')).length, 2);
});

test('Vite 8, default configuration: the production build runs', async () => {
  const dir = freshApp('vite-build');
  writeFileSync(join(dir, 'src/main.js'), APP);
  writeFileSync(join(dir, 'index.html'), HTML('/src/main.js'));
  execFileSync(bin('vite'), ['build', '--logLevel', 'error'], { cwd: dir, stdio: 'pipe' });
  const server = await serve(join(dir, 'dist'));
  try {
    check(await run(server.url));
    checkDraw(await run(withDraw(server.url)));
  } finally {
    await server.close();
  }
});

test("Vite 8's dev server, with optimizeDeps.exclude: ['flowscale']", async () => {
  const dir = freshApp('vite-dev');
  writeFileSync(join(dir, 'src/main.js'), APP);
  writeFileSync(join(dir, 'index.html'), HTML('/src/main.js'));
  writeFileSync(join(dir, 'vite.config.js'), `export default { optimizeDeps: { exclude: ['flowscale'] } };\n`);
  const dev = await viteDev(bin('vite'), dir);
  try {
    const { url } = dev;
    check(await run(url));
    checkDraw(await run(withDraw(url)));
  } finally {
    dev.kill();
  }
});

/** The example at `url`, 100k nodes: a window in the DOM, the GPU layer on, the minimap, the fit button; each module once. */
async function checkExample(url) {
  browser ??= await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  try {
    const page = await context.newPage();
    const { problems, wasm } = watch(page);
    await page.goto(`${url}?n=100000`);
    await page.getByTestId('stats').filter({ hasText: '100,000 nodes' }).filter({ hasText: 'GPU on' }).waitFor({ timeout: 120_000 });
    const dom = await page.locator('.react-flow__node').count();
    assert.ok(dom > 0 && dom <= 1000, `${dom} nodes in the DOM`);
    assert.ok(await page.locator('.react-flow canvas').count() >= 2, 'the GPU layer and the minimap canvases');
    // Fit every node: the button the example puts in place of React Flow's own.
    await page.getByTitle('fit view').click();
    await page.waitForFunction(() => document.querySelectorAll('.react-flow__node').length < 50);
    assert.deepEqual(problems, []);
    // The core, then the GPU module for the layer: each once.
    assert.equal(wasm.length, 2, `two .wasm downloads: ${wasm.join(', ')}`);
    assert.equal(new Set(wasm).size, 2, `each once: ${wasm.join(', ')}`);
  } finally {
    await context.close();
  }
}

test('examples/react-vite from the tarball: 100k nodes with the GPU layer and the minimap, built and on the dev server', async () => {
  // A copy of the example as a user would start from it: its own lockfile, flowscale from the tarball.
  const dir = join(work, 'example');
  cpSync(join(root, 'examples/react-vite'), dir, { recursive: true, filter: (src) => !/[/\\](node_modules|dist)$/.test(src) });
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  manifest.dependencies.flowscale = `file:${tarball}`;
  writeFileSync(join(dir, 'package.json'), JSON.stringify(manifest, null, 2));
  execFileSync('npm', ['install', '--no-audit', '--no-fund'], { cwd: dir, stdio: 'pipe' });
  // Strict TypeScript against the installed package's types, then the production build.
  execFileSync(join(dir, 'node_modules/.bin/tsc'), ['--noEmit'], { cwd: dir, stdio: 'pipe' });
  execFileSync(join(dir, 'node_modules/.bin/vite'), ['build', '--logLevel', 'error'], { cwd: dir, stdio: 'pipe' });
  const server = await serve(join(dir, 'dist'));
  try {
    await checkExample(`${server.url}/`);
  } finally {
    await server.close();
  }
  // `npm run dev`: Vite's dev server serves flowscale/react unbundled (the README's one line excludes flowscale), so
  // it must import nothing the app's pre-bundling has not seen, and the .wasm files must be served from the package.
  const dev = await viteDev(join(dir, 'node_modules/.bin/vite'), dir);
  try {
    await checkExample(dev.url);
  } finally {
    dev.kill();
  }
});
