// The package's Renderer in headless Chromium (WebGL2 on SwiftShader), as an
// app calls it: the GPU module arrives only with the first Renderer.create;
// the scenes of tests/render.rs drawn through the JS API and read back; the
// bad inputs (no canvas, zero-size canvas, bad options, resize to nothing,
// render before a frame, stale or foreign frames, a detached canvas, a
// destroyed renderer); a lost and restored WebGL context.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serveAndLaunch } from './serve.mjs';

const root = new URL('../../', import.meta.url).pathname;
const env = serveAndLaunch(root);

async function open(t) {
  const page = await env.browser.newPage();
  t.after(() => page.close());
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  t.after(() => assert.deepEqual(errors, [], 'no uncaught errors'));
  const wasm = [];
  page.on('request', (r) => {
    if (r.url().endsWith('.wasm')) wasm.push(new URL(r.url()).pathname);
  });
  await page.goto(`${env.server.url}/tests/e2e/webgpu.html`);
  await page.waitForFunction(() => window.ready === true);
  // Shared by the page's scripts below.
  await page.evaluate(() => {
    const { WorkflowOptimizer, Renderer } = window.flowscale;
    window.h = {
      canvas(w, h) {
        const c = document.createElement('canvas');
        c.width = w;
        c.height = h;
        document.body.append(c);
        return c;
      },
      /** `n` red 10×10 nodes on a 100-wide grid, 20 px apart (more than one texture row of slots past 2,048). */
      grid(n) {
        const opt = new WorkflowOptimizer();
        const nodes = Array.from({ length: n }, (_, i) => ({ id: `n${i}`, type: 'red', position: { x: (i % 100) * 20, y: Math.floor(i / 100) * 20 }, width: 10, height: 10 }));
        opt.setWorkflow({ nodes, edges: [] });
        return opt;
      },
      optimizer() {
        const opt = new WorkflowOptimizer();
        const node = (id, type, x, y, width, height) => ({ id, type, position: { x, y }, width, height, sourcePosition: 'right', targetPosition: 'left' });
        opt.setWorkflow({ nodes: [node('a', 'red', 100, 100, 200, 100), node('b', 'blue', 500, 300, 150, 60)], edges: [{ id: 'e', source: 'a', target: 'b' }] });
        return opt;
      },
      options: { draw: 'all', backend: 'webgl2', palette: { background: '#ffffff', types: { red: { fill: '#dc2828', border: '#141414' }, blue: { fill: '#283cdc', border: '#141414' } } } },
      create: (c, opt, options) => Renderer.create(c, opt, options),
      at: (px, w, x, y) => Array.from(px.subarray((y * w + x) * 4, (y * w + x) * 4 + 4)),
      /** The error `f` throws or its promise rejects with, as { code, path, own } (own: the package's FlowscaleError). */
      async error(f) {
        try {
          await f();
        } catch (e) {
          return { code: e.code, path: e.path, own: e instanceof window.flowscale.FlowscaleError };
        }
        return null;
      },
    };
  });
  return { page, wasm };
}

const close = (a, b) => a.every((v, k) => Math.abs(v - b[k]) <= 3);

test('the GPU module is fetched by the first Renderer.create, once, and draws nodes and edges in WebGL2', async (t) => {
  const { page, wasm } = await open(t);
  const core = wasm.filter((p) => p.endsWith('/pkg/web/flowscale_bg.wasm'));
  assert.equal(core.length, 1, `the core module at load: ${wasm}`);
  assert.ok(!wasm.some((p) => p.includes('gpu')), `no GPU module before a renderer: ${wasm}`);
  // An optimizer frames without it.
  await page.evaluate(() => h.optimizer().frame({ x: 0, y: 0, zoom: 1 }, { width: 800, height: 600 }));
  assert.ok(!wasm.some((p) => p.includes('gpu')), 'framing needs no GPU module');

  const r = await page.evaluate(async () => {
    const c = h.canvas(800, 600);
    const opt = h.optimizer();
    const r = await h.create(c, opt, h.options);
    const second = await h.create(h.canvas(10, 10), opt, { backend: 'webgl2' });
    second.free();
    r.render(opt.frame({ x: 0, y: 0, zoom: 1 }, { width: 800, height: 600 }));
    const stats = r.stats();
    const px = await r.readPixels();
    const first = [h.at(px, 800, 200, 150), h.at(px, 800, 575, 330), h.at(px, 800, 40, 500), h.at(px, 800, 400, 240)];
    // DPR 2: the same scene at twice the pixels.
    r.resize(800, 600, 2);
    const width = c.width;
    r.render(opt.frame({ x: 0, y: 0, zoom: 1 }, { width: 800, height: 600 }));
    const px2 = await r.readPixels();
    const backend = r.backend;
    r.destroy();
    return { stats, first, width, second: [h.at(px2, 1600, 400, 300), h.at(px2, 1600, 190, 300)], backend };
  });
  assert.deepEqual(wasm.filter((p) => p.endsWith('/pkg/gpu/flowscale_gpu_bg.wasm')).length, 1, `the GPU module once: ${wasm}`);
  assert.match(r.backend, /^Gl/);
  assert.equal(r.stats.nodes, 2);
  assert.equal(r.stats.edges, 1);
  assert.ok(r.stats.drawCalls <= 4 && r.stats.drawCalls > 0, `${r.stats.drawCalls} draw calls`);
  assert.ok(r.stats.frames >= 1 && r.stats.lost === false, JSON.stringify(r.stats));
  assert.ok(close(r.first[0], [0xdc, 0x28, 0x28, 255]), `${r.first[0]}`);
  assert.ok(close(r.first[1], [0x28, 0x3c, 0xdc, 255]), `${r.first[1]}`);
  assert.deepEqual(r.first[2], [255, 255, 255, 255]);
  // The edge crosses the middle of the bezier between the handles.
  assert.ok(r.first[3][0] < 245, `no edge at the bezier's midpoint: ${r.first[3]}`);
  assert.equal(r.width, 1600);
  assert.ok(close(r.second[0], [0xdc, 0x28, 0x28, 255]), `${r.second[0]}`);
  assert.deepEqual(r.second[1], [255, 255, 255, 255]);
});

test('bad input is a FlowscaleError with its code and path, never a panic', async (t) => {
  const { page } = await open(t);
  const e = await page.evaluate(async () => {
    const opt = h.optimizer();
    const out = {};
    out.zeroCanvas = await h.error(() => h.create(h.canvas(0, 0), opt, {}));
    out.draw = await h.error(() => h.create(h.canvas(10, 10), opt, { draw: 'everything' }));
    out.edgeColour = await h.error(() => h.create(h.canvas(10, 10), opt, { palette: { edge: 'blue' } }));
    out.notCanvas = await h.error(() => h.create({}, opt));
    const c = h.canvas(64, 64);
    const r = await h.create(c, opt, { backend: 'webgl2' });
    out.beforeFrame = await h.error(() => r.render());
    out.resizeZero = await h.error(() => r.resize(0, 64, 1));
    out.resizeNaN = await h.error(() => r.resize(64, 64, NaN));
    const older = opt.frame({ x: 0, y: 0, zoom: 1 }, { width: 64, height: 64 });
    out.notFrame = [await h.error(() => r.render(5)), await h.error(() => r.render({ seq: '1' }))];
    const frame = opt.frame({ x: 10, y: 0, zoom: 1 }, { width: 64, height: 64 });
    out.stale = await h.error(() => r.render(older));
    out.latest = [await h.error(() => r.render(frame)), await h.error(() => r.render())];
    c.remove();
    out.detached = await h.error(() => r.render(frame));
    r.destroy();
    out.destroyed = await h.error(() => r.render(frame));
    out.destroyedPixels = await h.error(() => r.readPixels());
    return out;
  });
  const err = (code, path) => ({ code, path, own: true });
  assert.deepEqual(e.zeroCanvas, err('INVALID_VIEWPORT', 'canvas'));
  assert.deepEqual(e.draw, err('INVALID_CONFIG', 'options.draw'));
  assert.deepEqual(e.edgeColour, err('INVALID_CONFIG', 'options.palette.edge'));
  assert.deepEqual(e.notCanvas, err('INVALID_CONFIG', 'canvas'));
  assert.equal(e.beforeFrame.code, 'INVALID_VIEWPORT');
  assert.deepEqual(e.resizeZero, err('INVALID_VIEWPORT', 'width'));
  assert.deepEqual(e.resizeNaN, err('INVALID_VIEWPORT', 'dpr'));
  assert.deepEqual(e.notFrame, [err('INVALID_ARGUMENT', 'frame'), err('INVALID_ARGUMENT', 'frame')]);
  assert.deepEqual(e.stale, err('STALE_FRAME', 'frame'));
  assert.deepEqual(e.latest, [null, null]);
  assert.deepEqual(e.detached, err('GPU_UNAVAILABLE', 'canvas'));
  assert.deepEqual(e.destroyed, err('GPU_UNAVAILABLE', 'renderer'));
  assert.deepEqual(e.destroyedPixels, err('GPU_UNAVAILABLE', 'renderer'));
});

test('a lost WebGL context: render fails with GPU_UNAVAILABLE, stats say lost, and it draws again once restored', async (t) => {
  const { page } = await open(t);
  const r = await page.evaluate(async () => {
    const sleep = (ms) => new Promise((res) => setTimeout(res, ms));
    const c = h.canvas(200, 200);
    const opt = h.optimizer();
    const r = await h.create(c, opt, h.options);
    const ext = c.getContext('webgl2').getExtension('WEBGL_lose_context');
    ext.loseContext();
    await sleep(50);
    const frame = opt.frame({ x: -100, y: -100, zoom: 1 }, { width: 200, height: 200 });
    const lost = await h.error(() => r.render(frame));
    const lostStats = r.stats().lost;
    ext.restoreContext();
    // The renderer rebuilds itself; then it draws again.
    let back = false;
    for (let k = 0; k < 100 && !back; k++) {
      await sleep(20);
      back = (await h.error(() => r.render(frame))) === null;
    }
    const px = back ? await r.readPixels() : null;
    return { lost, lostStats, back, pixel: px && h.at(px, 200, 100, 50), stats: r.stats() };
  });
  assert.equal(r.lost.code, 'GPU_UNAVAILABLE');
  assert.equal(r.lostStats, true);
  assert.ok(r.back, 'the renderer never came back after restoreContext');
  // Every node's data went up again into the new context.
  assert.ok(close(r.pixel, [0xdc, 0x28, 0x28, 255]), `${r.pixel}`);
  assert.equal(r.stats.lost, false);
});

test('after a restored context a workflow larger than one texture row is drawn in full; readPixels before render leaves the canvas to draw', async (t) => {
  const { page } = await open(t);
  const r = await page.evaluate(async () => {
    const sleep = (ms) => new Promise((res) => setTimeout(res, ms));
    const c = h.canvas(200, 200);
    const opt = h.grid(5000);
    const r = await h.create(c, opt, h.options);
    // The last node (slot 4,999, in the texture's third row) at (1980, 980): on the canvas at (80, 80).
    const view = { x: -1900, y: -900, zoom: 1 };
    opt.frame(view, { width: 200, height: 200 });
    // Pixels first: the canvas must still get this frame from render().
    const before = h.at(await r.readPixels(), 200, 85, 85);
    r.render();
    const drawn = r.stats();
    r.render();
    const again = r.stats();
    const ext = c.getContext('webgl2').getExtension('WEBGL_lose_context');
    ext.loseContext();
    await sleep(50);
    ext.restoreContext();
    let back = false;
    for (let k = 0; k < 100 && !back; k++) {
      await sleep(20);
      back = (await h.error(() => r.render(opt.frame(view, { width: 200, height: 200 })))) === null;
    }
    const after = back ? h.at(await r.readPixels(), 200, 85, 85) : null;
    return { before, drawn, again, back, after, visible: c.style.visibility };
  });
  assert.ok(close(r.before, [0xdc, 0x28, 0x28, 255]), `before: ${r.before}`);
  assert.ok(r.drawn.drawCalls > 0, `render() after readPixels() draws: ${JSON.stringify(r.drawn)}`);
  assert.equal(r.again.drawCalls, 0, 'the same frame again is not drawn');
  assert.equal(r.again.framesSkipped, r.drawn.framesSkipped + 1);
  assert.ok(r.back, 'the renderer never came back after restoreContext');
  assert.ok(close(r.after, [0xdc, 0x28, 0x28, 255]), `a node past the first texture row after the restore: ${r.after}`);
  assert.equal(r.visible, '');
});

test('the GPU module refuses texels and texture sizes outside its texture with a coded error, not a panic', async (t) => {
  const { page } = await open(t);
  const r = await page.evaluate(async () => {
    // The GPU module as renderer.js drives it, called directly with input no scene would make.
    const m = await import('/pkg/gpu/flowscale_gpu.js');
    await m.default();
    const gpu = await m.GpuCore.create(h.canvas(64, 64), 'webgl2');
    const [width] = gpu.textureShape();
    const code = (f) => {
      try {
        f();
        return 'ok';
      } catch (e) {
        return e instanceof WebAssembly.RuntimeError ? 'trap' : `${e.code} ${e.path}`;
      }
    };
    const out = {
      pastRow: code(() => gpu.writeTexels(Uint32Array.of(width - 1, 2), new Uint32Array(8))),
      pastRows: code(() => gpu.writeTexels(Uint32Array.of(width * 5, 2), new Uint32Array(8))),
      huge: code(() => gpu.writeTexels(Uint32Array.of(0, 0xffffffff), new Uint32Array(8))),
      short: code(() => gpu.writeTexels(Uint32Array.of(0, 2), new Uint32Array(4))),
      noRows: code(() => gpu.grow(0)),
      tooMany: code(() => gpu.grow(0xffffffff)),
      lists: code(() => gpu.upload([new Uint8Array(64), new Uint8Array(4), new Uint8Array(0), new Uint8Array(0), new Uint8Array(0)], Uint32Array.of(0x40000001, 0, 0, 0))),
      fine: code(() => gpu.writeTexels(Uint32Array.of(0, 2), new Uint32Array(8))),
    };
    gpu.destroy();
    gpu.free();
    return out;
  });
  assert.deepEqual(r, {
    pastRow: 'INVALID_ARGUMENT runs',
    pastRows: 'INVALID_ARGUMENT runs',
    huge: 'INVALID_ARGUMENT runs',
    short: 'INVALID_ARGUMENT texels',
    noRows: 'INVALID_ARGUMENT rows',
    tooMany: 'INVALID_ARGUMENT rows',
    lists: 'INVALID_ARGUMENT lists',
    fine: 'ok',
  });
});
