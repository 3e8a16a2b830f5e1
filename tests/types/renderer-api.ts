// Type-checks the Renderer (a JS class over the core's scene and the GPU module) as an app calls it.
import { Renderer, WorkflowOptimizer, type RendererOptions, type RendererStats } from 'flowscale';

export async function draw(canvas: HTMLCanvasElement): Promise<number> {
  await Renderer.preload();
  const opt = new WorkflowOptimizer({});
  const options: RendererOptions = { backend: 'webgl2', draw: 'low', palette: { background: '#ffffff' } };
  const r: Renderer = await Renderer.create(canvas, opt, options);
  const frame = opt.frame({ x: 0, y: 0, zoom: 1 }, { width: 800, height: 600 });
  r.render(frame);
  r.render();
  r.resize(800, 600, devicePixelRatio);
  const stats: RendererStats = r.stats();
  const px: Uint8Array = await r.readPixels();
  const backend: string = r.backend;
  // @ts-expect-error the renderer is made by create(), not new
  new Renderer();
  // @ts-expect-error the canvas comes first
  await Renderer.create(opt, canvas);
  r.destroy();
  r.free();
  return stats.drawCalls + px.length + backend.length;
}
