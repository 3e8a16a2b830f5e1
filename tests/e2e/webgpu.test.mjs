// The renderer on WebGPU (Dawn on SwiftShader in headless Chromium): the same
// scene drawn with `backend: 'webgpu'` and with `backend: 'webgl2'` reads back
// the same pixels, the WebGPU canvas shows on screen what readPixels returns,
// no WebGPU error is raised on the way, and a lost device is reported as lost.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serveAndLaunch, WEBGPU_ARGS } from './serve.mjs';
import { watchWebGpu, webGpuReport } from './webgpu-lib.mjs';

const root = new URL('../../', import.meta.url).pathname;
const env = serveAndLaunch(root, { args: WEBGPU_ARGS });

const W = 320, H = 240;

async function open() {
  const page = await env.browser.newPage({ viewport: { width: 800, height: 600 }, deviceScaleFactor: 1 });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e));
  await watchWebGpu(page);
  await page.goto(`${env.server.url}/tests/e2e/webgpu.html`);
  await page.waitForFunction(() => window.ready === true);
  // In the page: draw the scene on a new canvas with `backend`; keep the renderer as window.renderers[backend].
  await page.evaluate(([W, H]) => {
    window.renderers = {};
    window.draw = async (backend) => {
      const { WorkflowOptimizer, Renderer } = window.flowscale;
      const canvas = document.createElement('canvas');
      canvas.id = backend;
      canvas.width = W;
      canvas.height = H;
      document.body.append(canvas);
      const optimizer = new WorkflowOptimizer();
      optimizer.setWorkflow({
        nodes: [
          { id: 'a', type: 'red', position: { x: 20, y: 20 }, width: 120, height: 60, data: {} },
          { id: 'b', type: 'blue', position: { x: 180, y: 140 }, width: 100, height: 50, data: {} },
          { id: 'c', position: { x: 30, y: 150 }, width: 80, height: 40, data: {} },
        ],
        edges: [{ id: 'ab', source: 'a', target: 'b' }, { id: 'ac', source: 'a', target: 'c' }],
      });
      const renderer = await Renderer.create(canvas, optimizer, {
        backend,
        draw: 'all',
        palette: { background: '#ffffff', edge: '#202020', types: { red: { fill: '#dc2828', border: '#141414' }, blue: { fill: '#283cdc', border: '#141414' } } },
      });
      window.renderers[backend] = renderer;
      optimizer.frame({ x: 0, y: 0, zoom: 1 }, { width: W, height: H });
      renderer.render();
      const px = await renderer.readPixels();
      return { backend: renderer.backend, stats: renderer.stats(), px: Array.from(px) };
    };
  }, [W, H]);
  return { page, errors };
}

const at = (px, x, y) => px.slice((y * W + x) * 4, (y * W + x) * 4 + 4);
const close = (p, q, tol = 8) => p.every((v, k) => Math.abs(v - q[k]) <= tol);
/** Pixels whose channels differ by more than 8 between two RGBA8 images. */
function differing(p, q) {
  let n = 0;
  for (let i = 0; i < p.length; i += 4) if (!close(p.slice(i, i + 4), q.slice(i, i + 4))) n++;
  return n;
}

test('WebGPU draws the scene WebGL2 draws: pixels read back alike, node colours in place, no WebGPU error', async () => {
  const { page, errors } = await open();
  const gpu = await page.evaluate(() => window.draw('webgpu'));
  const gl = await page.evaluate(() => window.draw('webgl2'));
  // The backend really is WebGPU (a WebGL2 fallback would say "Gl (…)").
  assert.match(gpu.backend, /^BrowserWebGpu/);
  assert.equal(gpu.stats.backend, gpu.backend);
  assert.match(gl.backend, /^Gl/);
  assert.equal(gpu.stats.nodes, 3);
  assert.equal(gpu.stats.lost, false);
  assert.equal(gpu.px.length, W * H * 4);
  // Node centres and the background, on WebGPU.
  assert.ok(close(at(gpu.px, 80, 50), [0xdc, 0x28, 0x28, 255]), `red node: ${at(gpu.px, 80, 50)}`);
  assert.ok(close(at(gpu.px, 230, 165), [0x28, 0x3c, 0xdc, 255]), `blue node: ${at(gpu.px, 230, 165)}`);
  assert.ok(close(at(gpu.px, 300, 10), [255, 255, 255, 255]), `background: ${at(gpu.px, 300, 10)}`);
  // The whole image (none differ here; a few anti-aliased edge pixels could round differently elsewhere).
  const diff = differing(gpu.px, gl.px);
  assert.ok(diff <= W * H * 0.001, `${diff} of ${W * H} pixels differ between WebGPU and WebGL2`);
  const seen = await webGpuReport(page);
  assert.equal(seen.devices, 1, 'one WebGPU device (the WebGL2 renderer uses none)');
  assert.deepEqual(seen.errors, [], 'no WebGPU validation or internal error');
  assert.deepEqual(seen.lost, [], 'the device was not lost');
  assert.deepEqual(errors, []);
  await page.close();
});

test('the WebGPU canvas shows on screen what readPixels returns', async () => {
  const { page, errors } = await open();
  const gpu = await page.evaluate(() => window.draw('webgpu'));
  assert.match(gpu.backend, /^BrowserWebGpu/);
  // Let the compositor take the presented frame, then decode a screenshot of the canvas in the page.
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  const png = await page.locator('#webgpu').screenshot();
  const shown = await page.evaluate(async ([b64, W, H]) => {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const bitmap = await createImageBitmap(new Blob([bytes], { type: 'image/png' }));
    const c = new OffscreenCanvas(W, H);
    const ctx = c.getContext('2d');
    ctx.drawImage(bitmap, 0, 0);
    return { width: bitmap.width, height: bitmap.height, px: Array.from(ctx.getImageData(0, 0, W, H).data) };
  }, [png.toString('base64'), W, H]);
  assert.deepEqual([shown.width, shown.height], [W, H]);
  assert.ok(close(at(shown.px, 80, 50), [0xdc, 0x28, 0x28, 255]), `red node on screen: ${at(shown.px, 80, 50)}`);
  const diff = differing(gpu.px, shown.px);
  assert.ok(diff <= W * H * 0.001, `${diff} of ${W * H} pixels on screen differ from readPixels`);
  const seen = await webGpuReport(page);
  assert.deepEqual(seen.errors, []);
  assert.deepEqual(seen.lost, [], 'presenting the canvas did not lose the device');
  assert.deepEqual(errors, []);
  await page.close();
});

test('a lost WebGPU device is reported: stats().lost, render() and readPixels() fail with GPU_UNAVAILABLE naming the loss', async () => {
  const { page, errors } = await open();
  const gpu = await page.evaluate(() => window.draw('webgpu'));
  assert.match(gpu.backend, /^BrowserWebGpu/);
  const after = await page.evaluate(async () => {
    const device = window.__webgpu.devices.at(-1);
    const r = window.renderers.webgpu;
    const failure = (e) => ({ code: e.code, message: e.message });
    // A read in flight when the device goes: its mapping fails.
    const pending = r.readPixels().then(() => null, failure);
    device.destroy();
    await device.lost;
    const inFlight = await pending;
    const caught = (f) => {
      try {
        f();
        return null;
      } catch (e) {
        return failure(e);
      }
    };
    const render = caught(() => r.render());
    const read = await (async () => r.readPixels())().then(() => null, failure);
    return { stats: r.stats(), inFlight, render, read };
  });
  assert.equal(after.inFlight?.code, 'GPU_UNAVAILABLE', JSON.stringify(after.inFlight));
  assert.match(after.inFlight.message, /GPU device was lost/);
  assert.equal(after.stats.lost, true);
  assert.equal(after.render?.code, 'GPU_UNAVAILABLE', JSON.stringify(after.render));
  assert.match(after.render.message, /GPU device was lost/);
  assert.equal(after.read?.code, 'GPU_UNAVAILABLE', JSON.stringify(after.read));
  assert.match(after.read.message, /GPU device was lost/);
  assert.deepEqual(errors, [], 'no uncaught error (a wasm panic would show here)');
  await page.close();
});
