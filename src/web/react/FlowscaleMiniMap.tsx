// A minimap of the whole workflow, mounted or not: every node when there are
// few enough to draw one by one, else the optimizer's zoom-level clusters for
// the minimap's fitted view; plus the current viewport's rectangle. Clicking
// or dragging centres the view there. It reads the index, never React Flow's
// (windowed) node list, so it shows what React Flow's own <MiniMap> cannot.
// The workflow is painted once per version into a canvas of its own; a
// viewport change copies that canvas and strokes the viewport's rectangle, a
// cost that does not grow with the workflow. Both follow the device pixel
// ratio.
import { Panel, useReactFlow, useStoreApi, type Node, type NodeOrigin, type PanelPosition } from '@xyflow/react';
import * as React from 'react';
import { useEffect, useRef, type CSSProperties, type PointerEvent as ReactPointerEvent } from 'react';
import { nodeSize, withOrigin, type FlowscaleController, type Rect } from './controller.js';
import { useDevicePixelRatio } from './dpr.js';
import { useFlowscaleController } from './hooks.js';

/** Up to this many nodes the minimap draws each one; above, the clusters. */
export const MINIMAP_NODE_LIMIT = 5_000;
/** Margin around the workflow's bounds, as a share of their size on each side. */
export const MINIMAP_PADDING = 0.05;

export interface FlowscaleMiniMapProps {
  /** CSS pixels (200 × 150). */
  width?: number;
  height?: number;
  position?: PanelPosition;
  nodeColor?: string;
  viewportColor?: string;
  background?: string;
  className?: string;
  style?: CSSProperties;
}

/** Flow coordinates → minimap pixels: screen = flow × scale + (x, y). */
export interface MiniMapTransform {
  x: number;
  y: number;
  scale: number;
}

/** The transform that fits `bounds` (grown by MINIMAP_PADDING on each side) centred in a width × height minimap. */
export function miniMapTransform(bounds: Rect, width: number, height: number): MiniMapTransform {
  const bw = Math.max(bounds.width, 1) * (1 + 2 * MINIMAP_PADDING);
  const bh = Math.max(bounds.height, 1) * (1 + 2 * MINIMAP_PADDING);
  const scale = Math.min(width / bw, height / bh);
  return {
    scale,
    x: width / 2 - (bounds.x + bounds.width / 2) * scale,
    y: height / 2 - (bounds.y + bounds.height / 2) * scale,
  };
}

/** Absolute rectangles (x, y, width, height per node) of the shown nodes, parents' positions added, as React Flow places them (nodeOrigin). */
function nodeRects(nodes: readonly Node[], defaultWidth: number, defaultHeight: number, origin: NodeOrigin): Float64Array {
  const byId = new Map<string, Node>();
  for (const n of nodes) byId.set(n.id, n);
  const at = (n: Node) => withOrigin(n, origin).position;
  const out = new Float64Array(4 * nodes.length);
  let k = 0;
  for (const n of nodes) {
    if (n.hidden) continue;
    let { x, y } = at(n);
    for (let p = n.parentId ? byId.get(n.parentId) : undefined, steps = 0; p && steps < nodes.length; p = p.parentId ? byId.get(p.parentId) : undefined, steps++) {
      const q = at(p);
      x += q.x;
      y += q.y;
    }
    const { width, height } = nodeSize(n, defaultWidth, defaultHeight);
    out[k++] = x;
    out[k++] = y;
    out[k++] = width;
    out[k++] = height;
  }
  return out.subarray(0, k);
}

interface Content {
  transform: MiniMapTransform;
  /** Rectangles in flow coordinates: nodes or cluster glyphs. */
  rects: Float64Array;
  /** Per rectangle, the opacity to fill it with. */
  alpha: Float32Array | null;
}

function computeContent(controller: FlowscaleController, width: number, height: number): Content | null {
  const bounds = controller.getBounds();
  if (!bounds) return null;
  const transform = miniMapTransform(bounds, width, height);
  const opt = controller.optimizer;
  if (opt.nodeCount <= MINIMAP_NODE_LIMIT) {
    const { workflow } = opt.config();
    return { transform, rects: nodeRects(controller.getNodes(), workflow.defaultNodeWidth, workflow.defaultNodeHeight, controller.nodeOrigin), alpha: null };
  }
  // The minimap is a view of the flow at its own zoom: the optimizer's clusters for that view.
  const c = opt.clusters({ x: transform.x, y: transform.y, zoom: transform.scale }, { width, height });
  const n = c.count.length;
  let max = 1;
  for (let j = 0; j < n; j++) max = Math.max(max, c.count[j]!);
  const alpha = new Float32Array(n);
  for (let j = 0; j < n; j++) alpha[j] = 0.35 + 0.65 * Math.sqrt(c.count[j]! / max);
  return { transform, rects: c.rect.slice(0, 4 * n), alpha };
}

export function FlowscaleMiniMap({
  width = 200,
  height = 150,
  position = 'bottom-right',
  nodeColor = '#94a3b8',
  viewportColor = '#2563eb',
  background = '#ffffff',
  className,
  style,
}: FlowscaleMiniMapProps) {
  const controller = useFlowscaleController();
  const store = useStoreApi();
  const reactFlow = useReactFlow();
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const contentRef = useRef<Content | null>(null);

  const dpr = useDevicePixelRatio();

  useEffect(() => {
    const canvas = canvasRef.current;
    const ctx = canvas?.getContext('2d');
    if (!controller || !canvas || !ctx) return;
    // The workflow's picture, painted when the workflow changes: the visible canvas copies it per frame.
    const picture = document.createElement('canvas');
    const pctx = picture.getContext('2d');
    if (!pctx) return;
    canvas.width = picture.width = Math.round(width * dpr);
    canvas.height = picture.height = Math.round(height * dpr);
    let raf = 0;
    let stale = true;
    const paint = () => {
      const content = computeContent(controller, width, height);
      contentRef.current = content;
      pctx.setTransform(dpr, 0, 0, dpr, 0, 0);
      pctx.globalAlpha = 1;
      pctx.fillStyle = background;
      pctx.fillRect(0, 0, width, height);
      if (!content) return;
      const { x: tx, y: ty, scale } = content.transform;
      const { rects, alpha } = content;
      pctx.fillStyle = nodeColor;
      for (let j = 0; 4 * j < rects.length; j++) {
        if (alpha) pctx.globalAlpha = alpha[j]!;
        // At least a pixel: a node far smaller than the minimap's scale still shows.
        pctx.fillRect(rects[4 * j]! * scale + tx, rects[4 * j + 1]! * scale + ty, Math.max(1, rects[4 * j + 2]! * scale), Math.max(1, rects[4 * j + 3]! * scale));
      }
      pctx.globalAlpha = 1;
    };
    const draw = () => {
      raf = 0;
      if (controller.isDestroyed) return;
      if (stale) {
        paint();
        stale = false;
      }
      ctx.setTransform(1, 0, 0, 1, 0, 0);
      ctx.drawImage(picture, 0, 0);
      const content = contentRef.current;
      if (!content) return;
      const { x: tx, y: ty, scale } = content.transform;
      const { transform, width: paneW, height: paneH } = store.getState();
      const [vx, vy, zoom] = transform;
      ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
      ctx.strokeStyle = viewportColor;
      ctx.lineWidth = 1.5;
      ctx.strokeRect((-vx / zoom) * scale + tx, (-vy / zoom) * scale + ty, (paneW / zoom) * scale, (paneH / zoom) * scale);
    };
    const schedule = () => {
      if (!raf) raf = requestAnimationFrame(draw);
    };
    const offWorkflow = controller.subscribeWorkflow(() => {
      stale = true;
      schedule();
    });
    const offStore = store.subscribe((s, prev) => {
      if (s.transform !== prev.transform || s.width !== prev.width || s.height !== prev.height) schedule();
    });
    schedule();
    return () => {
      offWorkflow();
      offStore();
      cancelAnimationFrame(raf);
      // Let the picture's memory go now rather than with the element.
      picture.width = picture.height = 0;
    };
  }, [controller, store, width, height, dpr, nodeColor, viewportColor, background]);

  const dragging = useRef(false);
  const centreAt = (e: ReactPointerEvent<HTMLCanvasElement>) => {
    const content = contentRef.current;
    if (!content) return;
    const el = e.currentTarget;
    const box = el.getBoundingClientRect();
    const { x, y, scale } = content.transform;
    // From the canvas's content box (inside its border).
    const fx = (e.clientX - box.left - el.clientLeft - x) / scale;
    const fy = (e.clientY - box.top - el.clientTop - y) / scale;
    void reactFlow.setCenter(fx, fy, { zoom: store.getState().transform[2] });
  };

  return (
    <Panel position={position} className={className ? `flowscale-minimap ${className}` : 'flowscale-minimap'} style={style}>
      <canvas
        ref={canvasRef}
        style={{ width, height, display: 'block', cursor: 'pointer', border: '1px solid #d0d5dd', borderRadius: 4 }}
        onPointerDown={(e) => {
          dragging.current = true;
          e.currentTarget.setPointerCapture(e.pointerId);
          centreAt(e);
        }}
        onPointerMove={(e) => {
          if (dragging.current) centreAt(e);
        }}
        onPointerUp={(e) => {
          dragging.current = false;
          e.currentTarget.releasePointerCapture(e.pointerId);
        }}
        // The browser took the pointer (a touch turned into a scroll, a lost capture): the drag ends without moving.
        onPointerCancel={(e) => {
          dragging.current = false;
          if (e.currentTarget.hasPointerCapture(e.pointerId)) e.currentTarget.releasePointerCapture(e.pointerId);
        }}
      />
    </Panel>
  );
}
