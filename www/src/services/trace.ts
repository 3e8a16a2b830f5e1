// A profile of this page in Chrome's Trace Event Format (open it in
// chrome://tracing or ui.perfetto.dev): animation frames, long frames and
// their scripts, React commits, flowscale frame() calls, operations
// (loading, layout, optimize, cache, benchmark) and counters. Events are
// kept in a ring of the most recent ones.
//
// flowscale's Profiler exports its own spans the same way
// (`exportChromeTrace()`); its events can then be merged into this file.

export type TraceTrack = 'frames' | 'long frames' | 'react' | 'flowscale' | 'operations';

interface TraceEvent {
  name: string;
  cat: string;
  ph: 'X' | 'C' | 'M' | 'i';
  ts: number;
  dur?: number;
  pid: number;
  tid: number;
  s?: 'g' | 'p' | 't';
  args?: Record<string, unknown>;
}

const TRACKS: TraceTrack[] = ['frames', 'long frames', 'react', 'flowscale', 'operations'];
const tid = (t: TraceTrack) => TRACKS.indexOf(t) + 1;
const us = (ms: number) => Math.round(ms * 1000);

export class TraceRecorder {
  private events: TraceEvent[] = [];
  constructor(private readonly capacity = 50_000) {}

  private push(e: TraceEvent): void {
    this.events.push(e);
    if (this.events.length > this.capacity) this.events.splice(0, this.events.length - this.capacity);
  }

  /** A span on a track: `start` and `duration` in ms (performance.now() time). */
  span(track: TraceTrack, name: string, start: number, duration: number, args?: Record<string, unknown>): void {
    this.push({ name, cat: track, ph: 'X', ts: us(start), dur: Math.max(1, us(duration)), pid: 1, tid: tid(track), args });
  }

  instant(track: TraceTrack, name: string, at: number, args?: Record<string, unknown>): void {
    this.push({ name, cat: track, ph: 'i', s: 't', ts: us(at), pid: 1, tid: tid(track), args });
  }

  counter(name: string, at: number, values: Record<string, number>): void {
    this.push({ name, cat: 'counters', ph: 'C', ts: us(at), pid: 1, tid: 0, args: values });
  }

  get size(): number {
    return this.events.length;
  }

  /** The trace as JSON text (Trace Event Format, "JSON Object Format"). */
  export(metadata: Record<string, unknown> = {}): string {
    const meta: TraceEvent[] = [
      { name: 'process_name', cat: '__metadata', ph: 'M', ts: 0, pid: 1, tid: 0, args: { name: 'flowscale demo' } },
      ...TRACKS.map((t) => ({ name: 'thread_name', cat: '__metadata', ph: 'M' as const, ts: 0, pid: 1, tid: tid(t), args: { name: t } })),
    ];
    return JSON.stringify({
      traceEvents: [...meta, ...this.events],
      displayTimeUnit: 'ms',
      metadata: { 'clock-domain': 'performance.now() since navigation start', timeOrigin: performance.timeOrigin, ...metadata },
    });
  }
}
