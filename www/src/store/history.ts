// Undo and redo of the document's edits. Each edit the store applies (adds,
// removes, replacements and finished moves of nodes and edges) is recorded
// with its inverse, computed from the document before the change; the
// edits of one user action (a node removed with its edges) arrive in one
// synchronous run and form one step. A step costs what its changes touch,
// not the size of the workflow.
import type { Edge, EdgeChange, Node, NodeChange } from '@xyflow/react';

export type Change = { on: 'node'; change: NodeChange } | { on: 'edge'; change: EdgeChange };

interface Step {
  forward: Change[];
  inverse: Change[];
  /** The merge key of its edit (a slider drag's ticks merge into one step). */
  replaces?: string;
  at: number;
}

/** Steps kept: older ones are dropped. */
const LIMIT = 200;
/** Replacements of one node closer than this merge into one step. */
const MERGE_MS = 1000;

export class EditHistory {
  private undos: Step[] = [];
  private redos: Step[] = [];
  private open: Step | null = null;
  /** Set while a step is being undone or redone: those edits are not recorded. */
  replaying = false;

  /** The inverse of an add, remove or replace, given the element as the document has it now (undefined for a new one). */
  private static invert<T extends { id: string }>(
    c: { type: 'add'; item: T } | { type: 'remove'; id: string } | { type: 'replace'; id: string; item: T },
    before: T | undefined,
  ): { type: 'add'; item: T } | { type: 'remove'; id: string } | { type: 'replace'; id: string; item: T } | null {
    if (c.type === 'add') return { type: 'remove', id: c.item.id };
    if (!before) return null;
    return c.type === 'remove' ? { type: 'add', item: before } : { type: 'replace', id: c.id, item: before };
  }

  /** The inverse of a node's add, remove or replace (a finished move's inverse is its start, which the store keeps). */
  static invertNode(c: NodeChange, before: Node | undefined): NodeChange | null {
    return c.type === 'add' || c.type === 'remove' || c.type === 'replace' ? EditHistory.invert<Node>(c, before) : null;
  }

  static invertEdge(c: EdgeChange, before: Edge | undefined): EdgeChange | null {
    return c.type === 'add' || c.type === 'remove' || c.type === 'replace' ? EditHistory.invert<Edge>(c, before) : null;
  }

  /**
   * Set by an edit whose repeats merge into one step (a slider: `<node>:<param>`), for the changes it makes;
   * other edits never merge.
   */
  mergeKey: string | undefined = undefined;

  /** Record one change and its inverse into the current step. */
  record(forward: Change, inverse: Change): void {
    if (this.replaying) return;
    const now = Date.now();
    const replaced = this.mergeKey;
    if (!this.open) {
      const last = this.undos.at(-1);
      // A slider's ticks on one node: one step, undone to where the drag began.
      if (replaced !== undefined && last?.replaces === replaced && now - last.at < MERGE_MS) {
        last.forward = [forward];
        last.at = now;
        this.redos = [];
        return;
      }
      this.open = { forward: [], inverse: [], replaces: replaced, at: now };
      this.undos.push(this.open);
      if (this.undos.length > LIMIT) this.undos.shift();
      this.redos = [];
      // The step closes when the current synchronous run ends.
      queueMicrotask(() => (this.open = null));
    }
    if (this.open.replaces !== replaced) this.open.replaces = undefined;
    this.open.forward.push(forward);
    this.open.inverse.push(inverse);
  }

  get canUndo(): boolean {
    return this.undos.length > 0;
  }

  get canRedo(): boolean {
    return this.redos.length > 0;
  }

  /** The changes that undo the last step, in the order to apply them (or null). */
  takeUndo(): Change[] | null {
    const step = this.undos.pop();
    if (!step) return null;
    this.open = null;
    this.redos.push(step);
    return [...step.inverse].reverse();
  }

  /** The changes that redo the last undone step (or null). */
  takeRedo(): Change[] | null {
    const step = this.redos.pop();
    if (!step) return null;
    this.open = null;
    this.undos.push(step);
    return step.forward;
  }

  clear(): void {
    this.undos = [];
    this.redos = [];
    this.open = null;
  }
}
