// The page's side of the engine worker: one worker, started on first use,
// one request at a time per call, progress through a callback, cancellation
// by terminating the worker (a fresh one starts on the next call). A
// workflow crosses as flowscale's columns (toColumns): structured clone of a
// million node objects costs seconds on this thread, transferring a few
// typed arrays costs milliseconds.
import type { Edge, Node, Viewport } from '@xyflow/react';
import { toColumns, type LayoutOptions, type PaneSize, type PartialConfig, type WorkflowColumns } from 'flowscale';
import type { BenchmarkIteration, LaidOut, OptimizeSummary, WorkerRequest, WorkerResponse } from '@/workers/protocol';

/** A document's nodes and edges (React Flow objects). */
export interface Doc {
  nodes: Node[];
  edges: Edge[];
}

/** Every typed array's buffer in the columns (toColumns gives each its own): transferred, not copied. */
function buffersOf(w: WorkflowColumns): ArrayBuffer[] {
  const columns: unknown[] = [...Object.values(w.nodes), ...Object.values(w.edges ?? {})];
  return columns.filter((v): v is ArrayBufferView => ArrayBuffer.isView(v)).map((a) => a.buffer as ArrayBuffer);
}

type Progress = (stage: string, fraction: number) => void;
/** Omit over each member of a union (plain Omit merges the members). */
type RequestBody = WorkerRequest extends infer R ? (R extends unknown ? Omit<R, 'id'> : never) : never;

interface Pending {
  resolve: (r: WorkerResponse) => void;
  reject: (e: Error) => void;
  onProgress?: Progress;
}

export class WorkerError extends Error {
  constructor(
    message: string,
    readonly code: string | null,
  ) {
    super(message);
    this.name = 'WorkerError';
  }
}

export class CancelledError extends Error {
  constructor() {
    super('cancelled');
    this.name = 'CancelledError';
  }
}

class EngineClient {
  private worker: Worker | null = null;
  private ready: Promise<Worker> | null = null;
  private pending = new Map<number, Pending>();
  private nextId = 1;
  /** Requests in flight (for status). */
  get busy(): number {
    return this.pending.size;
  }
  get started(): boolean {
    return this.worker !== null;
  }

  /** The worker, once it said it is ready (its wasm instantiated): messages sent before that would be lost. */
  private ensure(): Promise<Worker> {
    if (this.ready) return this.ready;
    const w = new Worker(new URL('./engine.worker.ts', import.meta.url), { name: 'flowscale-engine' });
    let started: (w: Worker) => void = () => undefined;
    let failed: (e: Error) => void = () => undefined;
    const ready = new Promise<Worker>((resolve, reject) => {
      started = resolve;
      failed = reject;
    });
    w.onmessage = (ev: MessageEvent<WorkerResponse>) => {
      const msg = ev.data;
      if (msg.type === 'ready') {
        started(w);
        return;
      }
      const p = this.pending.get(msg.id);
      if (!p) return;
      if (msg.type === 'progress') {
        p.onProgress?.(msg.stage, msg.fraction);
        return;
      }
      this.pending.delete(msg.id);
      if (msg.type === 'error') p.reject(new WorkerError(msg.message, msg.code));
      else p.resolve(msg);
    };
    w.onerror = (ev) => {
      const err = new WorkerError(ev.message || 'the engine worker failed', null);
      failed(err);
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
      this.stop();
    };
    this.worker = w;
    this.ready = ready;
    return ready;
  }

  private stop(): void {
    this.worker?.terminate();
    this.worker = null;
    this.ready = null;
  }

  private request<T extends WorkerResponse['type']>(
    req: RequestBody,
    expect: T,
    onProgress?: Progress,
  ): Promise<Extract<WorkerResponse, { type: T }>> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, {
        resolve: (r) => (r.type === expect ? resolve(r as Extract<WorkerResponse, { type: T }>) : reject(new WorkerError(`unexpected ${r.type}`, null))),
        reject,
        onProgress,
      });
      this.ensure().then(
        (worker) => {
          // Cancelled while the worker started: nothing to send.
          if (!this.pending.has(id)) return;
          const full = { ...req, id } as WorkerRequest;
          worker.postMessage(full, buffersOf(full.workflow));
        },
        (e: unknown) => {
          this.pending.delete(id);
          reject(e instanceof Error ? e : new WorkerError(String(e), null));
        },
      );
    });
  }

  /** flowscale's layoutWorkflow: new positions per node, in the document's order. */
  async layout(doc: Doc, options: Omit<LayoutOptions, 'onProgress'>, onProgress?: Progress): Promise<LaidOut> {
    const r = await this.request({ op: 'layout', workflow: toColumns(doc), options }, 'layout', onProgress);
    return { x: r.x, y: r.y, routes: r.routes, stats: r.stats, wallMs: r.wallMs };
  }

  async optimize(doc: Doc, viewport: Viewport | null, size: PaneSize, config?: PartialConfig, onProgress?: Progress): Promise<OptimizeSummary> {
    const r = await this.request({ op: 'optimize', workflow: toColumns(doc), viewport, size, config }, 'optimize', onProgress);
    return r.summary;
  }

  async benchmark(
    doc: Doc,
    viewport: Viewport | null,
    size: PaneSize,
    iterations: number,
    config?: PartialConfig,
    onProgress?: Progress,
  ): Promise<{ iterations: BenchmarkIteration[]; last: OptimizeSummary | null }> {
    const r = await this.request({ op: 'benchmark', workflow: toColumns(doc), viewport, size, config, iterations }, 'benchmark', onProgress);
    return { iterations: r.iterations, last: r.last };
  }

  /** Stop whatever runs: the worker is terminated; every pending call rejects with CancelledError. */
  cancel(): void {
    if (!this.worker) return;
    this.stop();
    for (const p of this.pending.values()) p.reject(new CancelledError());
    this.pending.clear();
  }
}

export const engineClient = new EngineClient();
