// Where each node and edge sits in the document's arrays, by id. Built in
// chunks with a yield between them, so indexing a million-node document
// does not freeze the page: a load indexes the first part (what the first
// frame needs), renders it, then indexes the rest. A lookup that misses
// before indexing is complete finishes the index at once (correct, slower).
import type { Edge, Node } from '@xyflow/react';
import { yieldToBrowser } from '@/audio/generate';

export class DocIndex {
  private readonly nodeAt = new Map<string, number>();
  private readonly edgeAt = new Map<string, number>();
  private nodesDone = 0;
  private edgesDone = 0;

  constructor(
    private readonly nodes: readonly Node[],
    private readonly edges: readonly Edge[],
  ) {}

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
    const i = this.nodeAt.get(id);
    if (i !== undefined || this.complete) return i;
    this.indexUpTo(Infinity, Infinity);
    return this.nodeAt.get(id);
  }

  edge(id: string): number | undefined {
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
