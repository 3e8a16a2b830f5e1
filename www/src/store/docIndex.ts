// Where each node and edge sits in the document's arrays, by id.
//
// In flowscale mode the controller's optimizer already maps ids to its slots,
// and a workflow indexed from the document's arrays has slot i = position i:
// a lookup asks the optimizer and checks the answer against the array, so
// no second id table of the document is built while that holds. Once the
// optimizer holds exactly this document (`trustSource`), an id it does not
// know is not in the document. When positions and slots part (nodes
// removed), or without an optimizer (plain React Flow), lookups fall back to
// id tables built from the arrays, at once by the first lookup that misses
// or the first edit. An edit keeps the tables (`edited`): the document's arrays
// change only by removals (order kept) and appends, so an id keeps a serial
// number and its position is the serial less the removals before it (a
// Fenwick tree of removed serials), O(log n) per lookup, no rebuild.
import type { Edge, Node } from '@xyflow/react';

/** Ids to slots, as the controller's optimizer has them. */
export interface SlotSource {
  nodeSlot(id: string): number | undefined;
  edgeSlot(id: string): number | undefined;
}

/** Counts of marked serials below an index (a Fenwick tree), growing as serials are added. */
class Removed {
  private marks = new Uint8Array(0);
  private tree = new Int32Array(0);

  mark(i: number): void {
    if (i >= this.marks.length) this.grow(i);
    if (this.marks[i]) return;
    this.marks[i] = 1;
    for (let k = i + 1; k <= this.tree.length; k += k & -k) this.tree[k - 1]! += 1;
  }

  /** How many serials below `i` are marked. */
  before(i: number): number {
    let s = 0;
    for (let k = Math.min(i, this.tree.length); k > 0; k -= k & -k) s += this.tree[k - 1]!;
    return s;
  }

  private grow(i: number): void {
    let n = Math.max(1024, this.marks.length);
    while (n <= i) n *= 2;
    const marks = new Uint8Array(n);
    marks.set(this.marks);
    this.marks = marks;
    // Rebuilt in O(n): each node adds itself to its parent.
    const tree = new Int32Array(n);
    for (let k = 1; k <= n; k++) {
      tree[k - 1]! += marks[k - 1]!;
      const up = k + (k & -k);
      if (up <= n) tree[up - 1]! += tree[k - 1]!;
    }
    this.tree = tree;
  }
}

/** Positions by id in an array that changes only by removals (order kept) and appends. */
class Positions<T extends { id: string }> {
  /** Id → serial: its position when indexed or appended, before any removal. */
  private readonly serialOf = new Map<string, number>();
  private readonly removed = new Removed();
  /** Entries of the first array indexed so far (lazily, in order). */
  private done = 0;
  private nextSerial: number;
  private edited = false;

  constructor(private items: readonly T[]) {
    this.nextSerial = items.length;
  }

  get array(): readonly T[] {
    return this.items;
  }

  get complete(): boolean {
    return this.edited || this.done === this.items.length;
  }

  /** Index the first array's entries up to `n`, now (only before the first edit: serial = position then). */
  indexUpTo(n: number): void {
    if (this.edited) return;
    const m = Math.min(n, this.items.length);
    for (let i = this.done; i < m; i++) this.serialOf.set(this.items[i]!.id, i);
    this.done = Math.max(this.done, m);
  }

  /** Where `id` is, if indexed (never completes the index). */
  peek(id: string): number | undefined {
    const s = this.serialOf.get(id);
    return s === undefined ? undefined : s - this.removed.before(s);
  }

  get(id: string): number | undefined {
    const i = this.peek(id);
    if (i !== undefined || this.complete) return i;
    this.indexUpTo(Infinity);
    return this.peek(id);
  }

  /** `next` is the array after removing `removed` (order kept) and appending `added`, in order. */
  edit(next: readonly T[], removed: Iterable<string>, added: readonly T[]): void {
    this.indexUpTo(Infinity);
    this.edited = true;
    for (const id of removed) {
      const s = this.serialOf.get(id);
      if (s === undefined) continue;
      this.removed.mark(s);
      this.serialOf.delete(id);
    }
    for (const item of added) this.serialOf.set(item.id, this.nextSerial++);
    this.items = next;
  }
}

export class DocIndex {
  private readonly nodePositions: Positions<Node>;
  private readonly edgePositions: Positions<Edge>;
  private source: SlotSource | null = null;
  private trusted = false;

  constructor(nodes: readonly Node[], edges: readonly Edge[]) {
    this.nodePositions = new Positions(nodes);
    this.edgePositions = new Positions(edges);
  }

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
    return this.nodePositions.complete && this.edgePositions.complete;
  }

  /** Index nodes up to `nodes` and edges up to `edges` (counts), now. */
  indexUpTo(nodes: number, edges: number): void {
    this.nodePositions.indexUpTo(nodes);
    this.edgePositions.indexUpTo(edges);
  }

  node(id: string): number | undefined {
    const nodes = this.nodePositions.array;
    const s = this.source?.nodeSlot(id);
    if (s !== undefined && nodes[s]?.id === id) return s;
    if (s === undefined && this.trusted) return undefined;
    const i = this.nodePositions.get(id);
    return i !== undefined && nodes[i]?.id === id ? i : undefined;
  }

  edge(id: string): number | undefined {
    const edges = this.edgePositions.array;
    const s = this.source?.edgeSlot(id);
    if (s !== undefined && edges[s]?.id === id) return s;
    if (s === undefined && this.trusted) return undefined;
    const i = this.edgePositions.get(id);
    return i !== undefined && edges[i]?.id === id ? i : undefined;
  }

  /** Where a node is if it is indexed yet (never completes the index). */
  peekNode(id: string): number | undefined {
    return this.nodePositions.peek(id);
  }

  has(id: string): boolean {
    return this.node(id) !== undefined;
  }

  /** The nodes after an edit: `removed` taken out (order kept), `added` appended. */
  nodesEdited(next: readonly Node[], removed: Iterable<string>, added: readonly Node[]): void {
    this.nodePositions.edit(next, removed, added);
  }

  /** The edges after an edit: `removed` taken out (order kept), `added` appended. */
  edgesEdited(next: readonly Edge[], removed: Iterable<string>, added: readonly Edge[]): void {
    this.edgePositions.edit(next, removed, added);
  }
}
