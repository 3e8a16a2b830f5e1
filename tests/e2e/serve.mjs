// A static file server for dist/ on 127.0.0.1 (a free port), cross-origin
// isolated like the dev server. Used by the end-to-end tests and benchmarks.
// `headers` adds response headers (e.g. a Content-Security-Policy).
import { createServer } from 'node:http';
import { after, before } from 'node:test';
import { chromium } from 'playwright-core';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';

const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.css': 'text/css', '.json': 'application/json', '.png': 'image/png' };

export async function serve(dir, { headers = {} } = {}) {
  const server = createServer(async (req, res) => {
    const url = new URL(req.url, 'http://x');
    const rel = normalize(decodeURIComponent(url.pathname)).replace(/^(\.\.[/\\])+/, '');
    const file = join(dir, rel === '/' ? 'index.html' : rel);
    try {
      const body = await readFile(file);
      res.writeHead(200, {
        'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
        'cross-origin-opener-policy': 'same-origin',
        'cross-origin-embedder-policy': 'require-corp',
        ...headers,
      });
      res.end(body);
    } catch {
      res.writeHead(404).end('not found');
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${server.address().port}`, close: () => new Promise((r) => server.close(r)) };
}

/** Debian's Chromium with SwiftShader WebGL and no network chatter (this machine's network is closed). */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--use-angle=swiftshader',
  '--enable-unsafe-swiftshader',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  '--disable-dev-shm-usage',
];

/**
 * The same Chromium with WebGPU on SwiftShader (Dawn's Vulkan CPU adapter).
 * `--use-vulkan=swiftshader` is what makes a WebGPU canvas presentable here:
 * without it Chromium's own Vulkan fails to start (vkCreateInstance -7), no
 * shared-image backing exists for a WebGPU canvas's texture ("Could not find
 * SharedImageBackingFactory … WebgpuSwapChainTexture"), and the first frame
 * presented loses the device ("A valid external Instance reference no longer
 * exists"), after which every buffer mapping on it fails.
 */
export const WEBGPU_ARGS = [
  ...CHROMIUM_ARGS,
  '--enable-unsafe-webgpu',
  '--use-webgpu-adapter=swiftshader',
  '--use-vulkan=swiftshader',
  '--enable-features=Vulkan',
];

/** The strict policy the demo must work under (a production build served as static files). */
export const STRICT_CSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; base-uri 'none'";

/**
 * For a test file: serve `dir` and start Chromium before its tests, stop
 * both after. Returns `{ server, browser }`, filled in once the tests run.
 */
export function serveAndLaunch(dir, { headers, args = CHROMIUM_ARGS } = {}) {
  const env = { server: null, browser: null };
  before(async () => {
    env.server = await serve(dir, { headers });
    env.browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args });
  });
  after(async () => {
    await env.browser?.close();
    await env.server?.close();
  });
  return env;
}
