// The GPU layer: a canvas under React Flow's nodes (where <Background> sits)
// on which flowscale's Renderer draws everything React does not mount. The
// Renderer is created once something is in view, or the workflow is empty
// (creating one costs hundreds of milliseconds on a software rasterizer, and
// at the start React covers the view), and kept while the layer is mounted;
// without a GPU the flow stays DOM-only and `gpu` says why. A new optimizer
// (after a wasm trap, the controller rebuilds it) gets a new renderer. The
// canvas follows the device pixel ratio (another screen, the browser's zoom).
// An app may hand it a canvas of its own that outlives the layer (one WebGL
// context per page: the browser gives the same context back for the same
// canvas, and making one costs much on a software rasterizer).
import * as React from 'react';
import { useEffect, useRef, useState, useSyncExternalStore, type CSSProperties, type RefObject } from 'react';
import { Renderer, type RendererOptions } from 'flowscale';
import { devicePixelRatioNow, useDevicePixelRatio } from './dpr.js';
import { useFlowscaleController } from './hooks.js';

export interface FlowscaleLayerProps {
  /** Renderer options (palette, backend, draw), read when the renderer is created. */
  options?: RendererOptions;
  className?: string;
  style?: CSSProperties;
  /**
   * Draw on this canvas (the app's, placed under the pane and sized as it) instead of one the layer renders; the
   * layer then renders nothing. The renderer is still the layer's: made while it is mounted, freed when it unmounts.
   */
  canvas?: RefObject<HTMLCanvasElement | null>;
}

const layerStyle: CSSProperties = {
  position: 'absolute',
  top: 0,
  left: 0,
  width: '100%',
  height: '100%',
  // Under the viewport and the nodes, like React Flow's <Background>; the renderer shows it once it draws.
  zIndex: -1,
  pointerEvents: 'none',
  visibility: 'hidden',
};

const never = () => () => undefined;

/** Put inside <ReactFlow>, after <Background> if there is one. */
export function FlowscaleLayer({ options, className, style, canvas: appCanvas }: FlowscaleLayerProps) {
  const controller = useFlowscaleController();
  const ownCanvas = useRef<HTMLCanvasElement>(null);
  const canvasRef = appCanvas ?? ownCanvas;
  const optionsRef = useRef(options);
  optionsRef.current = options;
  // The renderer is made once something was in view, then kept for the layer's lifetime (a view panned to an empty
  // area keeps it: making one again costs as much as the first). These re-render the layer only when they flip.
  const [ready, setReady] = useState(false);
  // An empty workflow never has content in view: the renderer is made all the same, so that `gpu` settles.
  const hasContent = useSyncExternalStore(controller ? controller.subscribeFrames : never, () => ready || (controller ? controller.hasContent || controller.empty : false));
  useEffect(() => {
    if (hasContent) setReady(true);
  }, [hasContent]);
  const generation = useSyncExternalStore(controller ? controller.subscribeWorkflow : never, () => controller?.optimizerGeneration ?? 0);
  const pixelRatio = useDevicePixelRatio();
  useEffect(() => {
    controller?.pixelRatioChanged();
  }, [controller, pixelRatio]);

  useEffect(() => {
    if (!controller) {
      console.warn('flowscale: <FlowscaleLayer> found no useFlowscale() or useProvideFlowscale() under this React Flow provider');
      return;
    }
    controller.setGpu({ status: 'starting' });
    // The GPU module (wgpu, a second wasm module) downloads while the first render is built; create() reports a failure.
    Renderer.preload().catch(() => undefined);
    return () => controller.setGpu({ status: 'off', reason: 'the FlowscaleLayer was unmounted' });
  }, [controller]);

  useEffect(() => {
    const canvas = canvasRef.current;
    if (!controller || !canvas || !ready || generation === 0) return;
    let alive = true;
    let created: Renderer | null = null;
    // Later than the first paint of the nodes, and not twice under StrictMode (its cleanup runs first).
    const start = () => {
      if (!alive || controller.isDestroyed) return;
      const dpr = devicePixelRatioNow();
      const w = Math.max(1, Math.round(canvas.clientWidth * dpr));
      const h = Math.max(1, Math.round(canvas.clientHeight * dpr));
      // Setting a canvas's size reallocates its buffers even when it does not change.
      if (canvas.width !== w) canvas.width = w;
      if (canvas.height !== h) canvas.height = h;
      let pending: Promise<Renderer>;
      try {
        pending = Renderer.create(canvas, controller.optimizer, optionsRef.current);
      } catch (e) {
        controller.setGpu({ status: 'off', reason: e instanceof Error ? e.message : String(e) });
        return;
      }
      pending.then(
        (r) => {
          if (!alive || controller.isDestroyed) {
            r.destroy();
            r.free();
            return;
          }
          created = r;
          // The canvas was sized just above: no resize to reallocate its buffers again.
          controller.attachRenderer(r, canvas);
        },
        (e: unknown) => {
          if (alive) controller.setGpu({ status: 'off', reason: e instanceof Error ? e.message : String(e) });
        },
      );
    };
    const idle = typeof requestIdleCallback === 'function';
    const handle = idle ? requestIdleCallback(start, { timeout: 300 }) : setTimeout(start, 50);
    return () => {
      alive = false;
      if (idle) cancelIdleCallback(handle as number);
      else clearTimeout(handle);
      if (created) {
        if (controller.currentRenderer === created) controller.attachRenderer(null);
        try {
          created.destroy();
          created.free();
        } catch {
          // MODULE_RESET: the renderer went with a wasm instance replaced after a trap (a new generation follows).
        }
        // The canvas still shows the last frame: hide it until a renderer draws again.
        canvas.style.visibility = 'hidden';
      }
    };
  }, [controller, ready, generation, canvasRef]);

  if (appCanvas) return null;
  return <canvas ref={ownCanvas} className={className ? `flowscale-layer ${className}` : 'flowscale-layer'} style={style ? { ...layerStyle, ...style } : layerStyle} />;
}
