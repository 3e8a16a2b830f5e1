import type { Frame, RendererOptions, RendererStats, WorkflowOptimizer } from './flowscale';
/**
 * The GPU layer on a <canvas> under React Flow's pane: what React does not mount (low-detail nodes, edges,
 * cluster glyphs and bundles) in a few instanced draw calls, on WebGPU where the browser offers it, WebGL2
 * otherwise. Its GPU code is a second wasm module, fetched by the first `create`.
 */
export declare class Renderer {
  private constructor();
  /**
   * `await Renderer.create(canvas, optimizer, options?)`. Bad arguments throw at once (INVALID_CONFIG,
   * INVALID_VIEWPORT); the promise rejects with GPU_UNAVAILABLE when neither WebGPU nor WebGL2 can be used.
   */
  static create(canvas: HTMLCanvasElement, optimizer: WorkflowOptimizer, options?: RendererOptions): Promise<Renderer>;
  /**
   * Start fetching the GPU module now (e.g. once the first render is on screen) so that a later `create` need not
   * wait for it. Resolves when it is ready; rejects with GPU_UNAVAILABLE when it cannot be loaded.
   */
  static preload(): Promise<void>;
  /** Draw `frame`: the frame this renderer's optimizer returned last (an older one is STALE_FRAME). Without an argument, the latest frame. */
  render(frame?: Frame): void;
  /** Match the pane: `width` × `height` CSS pixels at `devicePixelRatio` (sets the canvas's drawing buffer). */
  resize(width: number, height: number, dpr: number): void;
  /** Draw calls, instances per batch, uploads and CPU time of the last frame. */
  stats(): RendererStats;
  /** Render the latest frame offscreen and resolve to its pixels (RGBA8, rows top first, canvas size): for tests and screenshots. */
  readPixels(): Promise<Uint8Array>;
  /** Release the GPU resources and listeners; later calls throw GPU_UNAVAILABLE. */
  destroy(): void;
  /** Release everything, the core module's share included. */
  free(): void;
  [Symbol.dispose](): void;
  /** Which backend draws: "BrowserWebGpu (…)" or "Gl (…)". */
  readonly backend: string;
}
