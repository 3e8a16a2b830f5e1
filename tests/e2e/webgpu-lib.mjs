// Watching WebGPU from outside the package: every GPUDevice a page requests is
// kept on `window.__webgpu` with its uncaptured errors (validation, out of
// memory, internal) and its loss, so a test can assert there were none.

/** Install before the page loads (an init script). */
export async function watchWebGpu(page) {
  await page.addInitScript(() => {
    const seen = { devices: [], errors: [], lost: [] };
    window.__webgpu = seen;
    if (typeof GPUAdapter === 'undefined') return;
    const request = GPUAdapter.prototype.requestDevice;
    GPUAdapter.prototype.requestDevice = async function (...args) {
      const device = await request.apply(this, args);
      seen.devices.push(device);
      device.addEventListener('uncapturederror', (e) => seen.errors.push(`${e.error.constructor.name}: ${e.error.message}`));
      device.lost.then((info) => seen.lost.push(`${info.reason}: ${info.message}`));
      return device;
    };
  });
}

/** What the watch saw: `{ devices, errors, lost }` (devices as a count). */
export function webGpuReport(page) {
  return page.evaluate(() => ({ devices: window.__webgpu.devices.length, errors: window.__webgpu.errors, lost: window.__webgpu.lost }));
}
