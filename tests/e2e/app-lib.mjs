// Shared set-up of the app's end-to-end tests: a production build served
// under a strict Content-Security-Policy, Chromium, pages that fail on any
// uncaught error or CSP violation, and small helpers.
import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS, STRICT_CSP, serve } from './serve.mjs';

export const dist = new URL('../../dist/', import.meta.url).pathname;
export const shots = new URL('../../test-results/', import.meta.url).pathname;
// The real n8n workflows, found as the Node tests find them (FLOWSCALE_DATA_DIR, ../shared/data, /work/shared/data).
export { N8N_PATH as N8N } from '../js/workflows.mjs';
export const MAX_VISIBLE = 1000; // rendering.maxVisibleNodes, the default
export const env = { server: null, browser: null, tmp: '' };

/** Call once per test file: starts the server (of `dir`, a build of the demo) and the browser, stops them after. */
export function setup(dir = dist) {
  before(async () => {
    mkdirSync(shots, { recursive: true });
    env.tmp = mkdtempSync(join(tmpdir(), 'flowscale-e2e-'));
    env.server = await serve(dir, { headers: { 'content-security-policy': STRICT_CSP } });
    env.browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  });
  after(async () => {
    await env.browser?.close();
    await env.server?.close();
  });
}

/** A page in a fresh context that fails the test on any uncaught error or CSP violation. */
export async function open(t, query, { viewport = { width: 1400, height: 860 }, beforeGoto } = {}) {
  const context = await env.browser.newContext({ viewport, acceptDownloads: true });
  t.after(() => context.close());
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) problems.push(`CSP: ${m.text()}`);
  });
  t.after(() => assert.deepEqual(problems, [], 'errors in the page'));
  await beforeGoto?.(page);
  await page.goto(`${env.server.url}/${query}`);
  await waitLoaded(page);
  return page;
}

/** Loading is over (no progress bar) and something is on screen. */
export async function waitLoaded(page, timeout = 60_000) {
  await page.waitForFunction(
    () => !document.querySelector('[data-testid="progress"]') && document.querySelector('[data-stat="total"]') && document.querySelector('[data-stat="firstRender"]'),
    null,
    { timeout, polling: 50 },
  );
}

export const digits = (s) => Number(String(s).replace(/\D/g, ''));
export async function stat(page, k) {
  const el = page.locator(`[data-stat="${k}"]`);
  return (await el.count()) ? digits(await el.textContent()) : null;
}
export const domNodes = (page) => page.locator('.react-flow__node').count();
/** Stats are published at most 10 times a second: wait for a fresh value. */
export const settle = (page, ms = 250) => page.waitForTimeout(ms);

export async function paneBox(page) {
  return page.locator('.react-flow__pane').boundingBox();
}

export async function drag(page, from, to, steps = 15) {
  await page.mouse.move(from.x, from.y);
  await page.mouse.down();
  await page.mouse.move(to.x, to.y, { steps });
  await page.mouse.up();
}

/** Pixels of the GPU canvas with some coverage (alpha > 0). */
export function coveredPixels(page) {
  return page.evaluate(async () => {
    const px = await window.__flowscale.renderer.readPixels();
    let n = 0;
    for (let i = 3; i < px.length; i += 4) if (px[i] > 0) n++;
    return n;
  });
}


/** Block the page's main thread for 400 ms: the long-frame alert it raises, followed by its id (a page may raise several). */
export async function raiseLongFrameAlert(page) {
  await page.evaluate(() => {
    const t0 = performance.now();
    while (performance.now() - t0 < 400);
  });
  const first = page.locator('[data-rule="long-frame"]').first();
  await first.waitFor({ timeout: 15_000 });
  const id = await first.getAttribute('data-alert');
  return { id, alert: page.locator(`[data-alert="${id}"]`) };
}
