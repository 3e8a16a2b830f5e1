// Where each node and edge sits in the document's arrays, by id.
//
// In flowscale mode the engine's optimizer already maps ids to its slots,
// and a workflow indexed from the document's arrays has slot i = position i:
// a lookup asks the optimizer and checks the answer against the array, so
// no second id table of the document is built. Once the optimizer holds
// exactly this document (`trustSource`), an id it does not know is not in
// the document. When positions and slots part (nodes removed), or without
// an optimizer (plain React Flow), lookups fall back to Maps built from the
// arrays: in chunks with a yield between them (`completeInChunks`), or at
// once by a lookup that misses (correct, slower).
import type { Edge, Node } from '@xyflow/react';
import { yieldToBrowser } from '@/audio/generate';

/** Ids to slots, as the engine's optimizer has them. */
export interface SlotSource {
  nodeSlot(id: string): number | undefined;
  edgeSlot(id: string): number | undefined;
}

export class DocIndex {
  private readonly nodeAt = new Map<string, number>();
  private readonly edgeAt = new Map<string, number>();
  private nodesDone = 0;
  private edgesDone = 0;
  private source: SlotSource | null = null;
  private trusted = false;

  constructor(
    private readonly nodes: readonly Node[],
    private readonly edges: readonly Edge[],
  ) {}

  /** Look ids up in `source` first (checked against the arrays). */
  useSource(source: SlotSource | null): void {
    this.source = source;
    this.trusted = false;
  }

  /** The source now holds exactly this document: an id it lacks is not in it. */
  trustSource(): void {
    this.trusted = this.source !== null;
  }

  /** The source and whether it is trusted, to carry over to the next index of the document. */
  get sourceState(): { source: SlotSource | null; trusted: boolean } {
    return { source: this.source, trusted: this.trusted };
  }

  get complete(): boolean {
    return this.nodesDone === this.nodes.length && this.edgesDone === this.edges.length;
  }

  /** Index nodes up to `nodes` and edges up to `edges` (counts), now. */
  indexUpTo(nodes: number, edges: number): void {
    const n = Math.min(nodes, this.nodes.length);
    for (let i = this.nodesDone; i < n; i++) this.nodeAt.set(this.nodes[i]!.id, i);
    this.nodesDone = Math.max(this.nodesDone, n);
    const m = Math.min(edges, this.edges.length);
    for (let i = this.edgesDone; i < m; i++) this.edgeAt.set(this.edges[i]!.id, i);
    this.edgesDone = Math.max(this.edgesDone, m);
  }

  /** Index everything, `chunk` entries at a time, yielding to the browser between chunks. */
  async completeInChunks(signal?: AbortSignal, chunk = 100_000): Promise<void> {
    while (!this.complete) {
      this.indexUpTo(this.nodesDone + chunk, this.edgesDone + chunk);
      if (this.complete) return;
      await yieldToBrowser();
      signal?.throwIfAborted();
    }
  }

  node(id: string): number | undefined {
    const s = this.source?.nodeSlot(id);
    if (s !== undefined && this.nodes[s]?.id === id) return s;
    if (s === undefined && this.trusted) return undefined;
    const i = this.nodeAt.get(id);
    if (i !== undefined || this.complete) return i;
    this.indexUpTo(Infinity, Infinity);
    return this.nodeAt.get(id);
  }

  edge(id: string): number | undefined {
    const s = this.source?.edgeSlot(id);
    if (s !== undefined && this.edges[s]?.id === id) return s;
    if (s === undefined && this.trusted) return undefined;
    const i = this.edgeAt.get(id);
    if (i !== undefined || this.complete) return i;
    this.indexUpTo(Infinity, Infinity);
    return this.edgeAt.get(id);
  }

  /** Where a node is if it is indexed yet (never completes the index). */
  peekNode(id: string): number | undefined {
    return this.nodeAt.get(id);
  }

  has(id: string): boolean {
    return this.node(id) !== undefined;
  }

  /** An edge appended to the document (a new edges array, same positions before it): no rebuild needed. */
  appendEdge(id: string, at: number): boolean {
    if (!this.complete) return false;
    this.edgeAt.set(id, at);
    return true;
  }
}
