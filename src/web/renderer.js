// `Renderer`: the GPU layer on a <canvas> under React Flow's pane, in two
// halves. What to draw (a SceneCore: node texels, instance lists, the view)
// is built by the core module beside the optimizer; the GPU objects live in a
// second wasm module (the GPU module: wgpu on WebGPU when the browser offers
// an adapter, WebGL2 otherwise) that is fetched on the first
// `Renderer.create`. A page that never draws never downloads wgpu, and one
// that does gets its first render from the core alone.

let deps = null;
/** The GPU module's exports (a promise), once asked for. */
let gpuModule = null;
/** Its exports once loaded, to reset its instance after a trap. */
let loaded = null;
/** Bumped by each reset: GPU objects of an older epoch belong to a discarded instance. */
let epoch = 0;
const TOKEN = Symbol('Renderer');
/** Texels handed over per call (1 MiB): a whole workflow's never sit in one buffer. */
const TEXEL_BATCH = 65536;

/**
 * Called once by the package entry: `SceneCore` (the core module's class),
 * `makeError` (the package's FlowscaleError), `loadGpu()` (imports and
 * initialises the GPU module, resolving to its exports).
 */
export function bindRenderer(d) {
  deps = d;
}

/** The GPU module, loaded once; a failed load is tried again by the next create (or preload). */
function gpuExports() {
  gpuModule ??= deps.loadGpu().then(
    (m) => (loaded = m),
    (e) => {
      gpuModule = null;
      throw deps.makeError('GPU_UNAVAILABLE', `the GPU module could not be loaded: ${e?.message ?? e}`, 'renderer');
    },
  );
  return gpuModule;
}

/**
 * A trap (a `WebAssembly.RuntimeError`) leaves the GPU module's instance in
 * an unknown state: replace it with a fresh one (wasm-bindgen's reset), so
 * the next `create` works; renderers made before are done.
 */
function trapped() {
  epoch++;
  loaded?.__wbg_reset_state?.();
}

/** The GPU module's errors (plain Errors named FlowscaleError) as the package's FlowscaleError; a trap resets the module. */
function own(e) {
  if (e instanceof WebAssembly.RuntimeError) trapped();
  if (e instanceof Error && e.name === 'FlowscaleError' && Object.getPrototypeOf(e) === Error.prototype) {
    return deps.makeError(e.code, e.message, e.path);
  }
  return e;
}

export class Renderer {
  #scene;
  #gpu;
  #canvas;
  #epoch;
  #dpr = 1;
  /** Whether the canvas is hidden (nothing to draw); null until the first frame says. */
  #hidden = null;
  /** The last frame's draw calls and CPU time (0 draw calls: not drawn). */
  #drawCalls = 0;
  #encodeMs = 0;

  constructor(token, scene, gpu, canvas) {
    if (token !== TOKEN) throw new TypeError('use `await Renderer.create(canvas, optimizer, options)`');
    this.#scene = scene;
    this.#gpu = gpu;
    this.#canvas = canvas;
    this.#epoch = epoch;
  }

  /**
   * `await Renderer.create(canvas, optimizer, options?)`. Bad arguments throw
   * at once; the promise rejects with GPU_UNAVAILABLE when neither WebGPU nor
   * WebGL2 can be used (or the GPU module cannot be loaded).
   */
  static create(canvas, optimizer, options) {
    // Checks the optimizer (MODULE_RESET if it predates a trap of the core) and the options before anything is fetched.
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
        const m = await gpuExports();
        gpu = await m.GpuCore.create(canvas, scene.backend);
        const [width, rows] = gpu.textureShape();
        scene.setTextureShape(width, rows);
        return new Renderer(TOKEN, scene, gpu, canvas);
      } catch (e) {
        // destroy() first: it takes the context listeners off the canvas.
        gpu?.destroy();
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
    return gpuExports().then(() => undefined);
  }

  /** The core's half is alive: after a trap of the core it throws MODULE_RESET, before anything else is tried. */
  #core() {
    this.#scene.isEmpty();
  }

  /** A call into the GPU module: its errors as the package's, and none once a trap discarded its instance. */
  #onGpu(f) {
    if (this.#epoch !== epoch) throw deps.makeError('GPU_UNAVAILABLE', 'the GPU module trapped and was reset: create a new Renderer', 'renderer');
    try {
      return f(this.#gpu);
    } catch (e) {
      throw own(e);
    }
  }

  /** Before a frame: ready, on a canvas in the document, and after a restored context everything again. */
  #ready() {
    this.#onGpu((g) => g.checkReady());
    if (!this.#canvas.isConnected) throw deps.makeError('GPU_UNAVAILABLE', 'the canvas is no longer in the document', 'canvas');
    if (this.#onGpu((g) => g.takeRestored())) {
      // A new device: a one-row texture again, every texel to go up.
      const [width, rows] = this.#onGpu((g) => g.textureShape());
      this.#scene.setTextureShape(width, rows);
    }
  }

  /** Build the scene of `frame` and upload it: texels always, the lists when they changed or `lists`. Returns whether it changed. */
  #prepare(frame, lists) {
    const [width, height] = this.#onGpu((g) => g.targetSize());
    const needed = this.#scene.prepare(frame, width, height, this.#dpr);
    try {
      const grow = this.#scene.takeGrow();
      if (grow !== undefined) this.#onGpu((g) => g.grow(grow));
      while (this.#scene.hasTexels()) {
        const [runs, texels] = this.#scene.takeTexels(TEXEL_BATCH);
        this.#onGpu((g) => g.writeTexels(runs, texels));
      }
      if (needed || lists) this.#onGpu((g) => g.upload(this.#scene.lists(), this.#scene.counts()));
    } catch (e) {
      // What was taken did not all arrive: everything again next time.
      this.#scene.invalidate();
      throw e;
    }
    return needed;
  }

  /**
   * Draw `frame`: the frame this renderer's optimizer returned last (an
   * older one is STALE_FRAME). Without an argument, the latest frame.
   */
  render(frame) {
    const started = performance.now();
    this.#core();
    this.#drawCalls = 0;
    this.#ready();
    const needed = this.#prepare(frame, false);
    // An empty layer is hidden, so the compositor has no canvas to blend.
    const empty = this.#scene.isEmpty();
    if (this.#hidden !== empty) {
      this.#hidden = empty;
      this.#canvas.style.visibility = empty ? 'hidden' : '';
    }
    if (needed && !empty) {
      const drawn = this.#onGpu((g) => g.present(this.#scene.clearColor()));
      if (drawn) this.#drawCalls = this.#onGpu((g) => g.stats()).drawCalls;
      else this.#scene.forceRedraw(); // the surface was outdated: draw on the next frame
    }
    this.#encodeMs = performance.now() - started;
  }

  /** Match the pane: `width` × `height` CSS pixels at `devicePixelRatio` (sets the canvas's drawing buffer). */
  resize(width, height, dpr) {
    this.#core();
    this.#onGpu((g) => g.resize(width, height, dpr));
    this.#dpr = dpr;
    this.#scene.forceRedraw();
  }

  /** Draw calls, instances per batch, uploads and CPU time of the last frame. */
  stats() {
    const scene = this.#scene.stats();
    const gpu = this.#epoch === epoch ? this.#onGpu((g) => g.stats()) : { backend: 'none', frames: 0, lost: true };
    return { ...scene, backend: gpu.backend, frames: gpu.frames, lost: gpu.lost, drawCalls: this.#drawCalls, encodeMs: this.#encodeMs };
  }

  /** Render the latest frame offscreen and resolve to its pixels (RGBA8, rows top first, canvas size). */
  readPixels() {
    const started = performance.now();
    this.#core();
    this.#ready();
    this.#prepare(undefined, true);
    // Drawn offscreen: the canvas itself still has to show this frame.
    this.#scene.forceRedraw();
    const pixels = this.#onGpu((g) => g.readPixels(this.#scene.clearColor()));
    this.#drawCalls = this.#onGpu((g) => g.stats()).drawCalls;
    this.#encodeMs = performance.now() - started;
    return pixels.catch((e) => {
      throw own(e);
    });
  }

  /** Release the GPU resources and listeners; later calls throw GPU_UNAVAILABLE. */
  destroy() {
    if (this.#epoch === epoch) this.#gpu.destroy();
  }

  /** Release everything, the core module's share included. */
  free() {
    try {
      if (this.#epoch === epoch) {
        this.#gpu.destroy();
        this.#gpu.free();
      }
    } finally {
      this.#scene.free();
    }
  }

  [Symbol.dispose]() {
    this.free();
  }

  /** Which backend draws: "BrowserWebGpu (…)" or "Gl (…)". */
  get backend() {
    return this.#epoch === epoch ? this.#gpu.backend : 'none';
  }
}
