// `Renderer`: the GPU layer on a <canvas> under React Flow's pane, in two
// halves. What to draw (a SceneCore: node texels, instance lists, the view)
// is built by the core module beside the optimizer; the GPU objects live in a
// second wasm module (the GPU module: wgpu on WebGPU when the browser offers
// an adapter, WebGL2 otherwise) that is fetched on the first
// `Renderer.create`. A page that never draws never downloads wgpu, and one
// that does gets its first render from the core alone.

let deps = null;
let gpuModule = null;
const TOKEN = Symbol('Renderer');

/**
 * Called once by the package entry: `SceneCore` (the core module's class),
 * `makeError` (the package's FlowscaleError), `loadGpu()` (imports and
 * initialises the GPU module, resolving to its exports).
 */
export function bindRenderer(d) {
  deps = d;
}

/** The GPU module, loaded once; a failed load is tried again by the next create. */
function gpuExports() {
  gpuModule ??= deps.loadGpu().catch((e) => {
    gpuModule = null;
    throw e;
  });
  return gpuModule;
}

/** The GPU module's errors (plain Errors named FlowscaleError) as the package's FlowscaleError. */
function own(e) {
  if (e instanceof Error && e.name === 'FlowscaleError' && Object.getPrototypeOf(e) === Error.prototype) {
    return deps.makeError(e.code, e.message, e.path);
  }
  return e;
}

function onGpu(f) {
  try {
    return f();
  } catch (e) {
    throw own(e);
  }
}

export class Renderer {
  #scene;
  #gpu;
  #canvas;
  #dpr = 1;
  /** Whether the canvas is hidden (nothing to draw); null until the first frame says. */
  #hidden = null;

  constructor(token, scene, gpu, canvas) {
    if (token !== TOKEN) throw new TypeError('use `await Renderer.create(canvas, optimizer, options)`');
    this.#scene = scene;
    this.#gpu = gpu;
    this.#canvas = canvas;
  }

  /**
   * `await Renderer.create(canvas, optimizer, options?)`. Bad arguments throw
   * at once; the promise rejects with GPU_UNAVAILABLE when neither WebGPU nor
   * WebGL2 can be used (or the GPU module cannot be loaded).
   */
  static create(canvas, optimizer, options) {
    // Checks the optimizer (MODULE_RESET if it predates a trap) and the options before anything is fetched.
    const scene = new deps.SceneCore(optimizer, options);
    const bad =
      typeof HTMLCanvasElement === 'undefined' || !(canvas instanceof HTMLCanvasElement)
        ? deps.makeError('INVALID_CONFIG', 'expected an HTMLCanvasElement', 'canvas')
        : canvas.width === 0 || canvas.height === 0
          ? deps.makeError('INVALID_VIEWPORT', 'the canvas has no pixels: set its width and height (or call resize) first', 'canvas')
          : null;
    if (bad) {
      scene.free();
      throw bad;
    }
    return (async () => {
      let gpu = null;
      try {
        let m;
        try {
          m = await gpuExports();
        } catch (e) {
          throw deps.makeError('GPU_UNAVAILABLE', `the GPU module could not be loaded: ${e?.message ?? e}`, 'renderer');
        }
        gpu = await m.GpuCore.create(canvas, scene.backend);
        const [width, rows] = gpu.textureShape();
        scene.setTextureShape(width, rows);
        return new Renderer(TOKEN, scene, gpu, canvas);
      } catch (e) {
        gpu?.free();
        scene.free();
        throw own(e);
      }
    })();
  }

  /**
   * Start fetching the GPU module now (for instance once the page's first
   * render is on screen), so a later `create` need not wait for it. Resolves
   * when it is ready; rejects with GPU_UNAVAILABLE when it cannot be loaded.
   */
  static preload() {
    return gpuExports().then(
      () => undefined,
      (e) => {
        throw deps.makeError('GPU_UNAVAILABLE', `the GPU module could not be loaded: ${e?.message ?? e}`, 'renderer');
      },
    );
  }

  /** Before a frame: ready, on a canvas in the document, and after a restored context everything again. */
  #ready() {
    onGpu(() => this.#gpu.checkReady());
    if (!this.#canvas.isConnected) throw deps.makeError('GPU_UNAVAILABLE', 'the canvas is no longer in the document', 'canvas');
    if (this.#gpu.takeRestored()) this.#scene.invalidate();
  }

  /** Build the scene of `frame` and upload it: texels always, lists when `lists`. Returns whether it changed. */
  #prepare(frame, lists) {
    const [width, height] = onGpu(() => this.#gpu.targetSize());
    const needed = this.#scene.prepare(frame, width, height, this.#dpr);
    const grow = this.#scene.takeGrow() ?? 0;
    const [runs, texels] = this.#scene.takeTexels();
    onGpu(() => this.#gpu.upload(grow, runs, texels, needed || lists ? this.#scene.lists() : undefined, this.#scene.counts()));
    return needed;
  }

  /**
   * Draw `frame`: the frame this renderer's optimizer returned last (an
   * older one is STALE_FRAME). Without an argument, the latest frame.
   */
  render(frame) {
    this.#ready();
    const needed = this.#prepare(frame, false);
    // An empty layer is hidden, so the compositor has no canvas to blend.
    const empty = this.#scene.isEmpty();
    if (this.#hidden !== empty) {
      this.#hidden = empty;
      this.#canvas.style.visibility = empty ? 'hidden' : '';
    }
    if (!needed || empty) return; // the canvas already shows this frame, or shows nothing
    const drawn = onGpu(() => this.#gpu.present(this.#scene.clearColor()));
    if (!drawn) this.#scene.forceRedraw(); // the surface was outdated: draw on the next frame
  }

  /** Match the pane: `width` × `height` CSS pixels at `devicePixelRatio` (sets the canvas's drawing buffer). */
  resize(width, height, dpr) {
    onGpu(() => this.#gpu.resize(width, height, dpr));
    this.#dpr = dpr;
    this.#scene.forceRedraw();
  }

  /** Draw calls, instances per batch, uploads and CPU time of the last frame. */
  stats() {
    const scene = this.#scene.stats();
    const gpu = onGpu(() => this.#gpu.stats());
    return { ...scene, ...gpu, encodeMs: scene.encodeMs + gpu.encodeMs };
  }

  /** Render the latest frame offscreen and resolve to its pixels (RGBA8, rows top first, canvas size). */
  readPixels() {
    this.#ready();
    this.#prepare(undefined, true);
    return onGpu(() => this.#gpu.readPixels(this.#scene.clearColor())).catch((e) => {
      throw own(e);
    });
  }

  /** Release the GPU resources and listeners; later calls throw GPU_UNAVAILABLE. */
  destroy() {
    this.#gpu.destroy();
  }

  /** Also frees the scene (the core module's memory for this renderer). */
  free() {
    this.#gpu.destroy();
    this.#gpu.free();
    this.#scene.free();
  }

  [Symbol.dispose]() {
    this.free();
  }

  /** Which backend draws: "BrowserWebGpu (…)" or "Gl (…)". */
  get backend() {
    return this.#gpu.backend;
  }
}
