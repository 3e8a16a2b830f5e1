// What changed between two versions of the user's node (or edge) array, found
// by object identity: React Flow's change helpers (applyNodeChanges,
// useNodesState, immutable updates in general) keep the objects of untouched
// items, so an unchanged item costs one pointer comparison. Pure: no React,
// no flowscale, so it is tested on its own.

export interface Identified {
  readonly id: string;
}

export interface Diff<T extends Identified> {
  /** Items whose id is new (in `next` order). */
  added: T[];
  /** Items whose id was there before, now a different object (in `next` order). */
  replaced: T[];
  /** Ids that are gone. */
  removed: string[];
}

/** The items of `next` that are new, replaced or gone relative to `prev` (ids are assumed unique in `prev`). */
export function diffById<T extends Identified>(prev: readonly T[], next: readonly T[]): Diff<T> {
  const diff: Diff<T> = { added: [], replaced: [], removed: [] };
  if (prev === next) return diff;
  // Identical head and tail: an edit in place, an append or a removal touches only the middle.
  const shorter = Math.min(prev.length, next.length);
  let head = 0;
  while (head < shorter && prev[head] === next[head]) head++;
  let tail = 0;
  while (tail < shorter - head && prev[prev.length - 1 - tail] === next[next.length - 1 - tail]) tail++;
  const prevEnd = prev.length - tail;
  const nextEnd = next.length - tail;
  // Same ids in the same places: replacements only, no map needed.
  if (prevEnd - head === nextEnd - head) {
    let same = true;
    for (let i = head; i < prevEnd; i++) {
      if (prev[i]!.id !== next[i]!.id) {
        same = false;
        break;
      }
    }
    if (same) {
      for (let i = head; i < prevEnd; i++) if (prev[i] !== next[i]) diff.replaced.push(next[i]!);
      return diff;
    }
  }
  const before = new Map<string, T>();
  for (let i = head; i < prevEnd; i++) before.set(prev[i]!.id, prev[i]!);
  for (let i = head; i < nextEnd; i++) {
    const item = next[i]!;
    const old = before.get(item.id);
    if (old === undefined) {
      diff.added.push(item);
    } else {
      // A second item with this id counts as added: the optimizer rejects it as DUPLICATE_ID.
      before.delete(item.id);
      if (old !== item) diff.replaced.push(item);
    }
  }
  for (const id of before.keys()) diff.removed.push(id);
  return diff;
}

export function diffSize(d: Diff<Identified>): number {
  return d.added.length + d.replaced.length + d.removed.length;
}

/** A node as far as parents go. */
export interface Parented extends Identified {
  readonly parentId?: string | null | undefined;
}

/** Added nodes with every parent that is added too placed before its children (the optimizer resolves parents in order). */
export function parentsFirst<T extends Parented>(added: readonly T[]): T[] {
  const byId = new Map<string, T>();
  for (const n of added) byId.set(n.id, n);
  if (!added.some((n) => n.parentId != null && byId.has(n.parentId))) return added.slice();
  const out: T[] = [];
  const placed = new Set<string>();
  const place = (n: T, depth: number) => {
    if (placed.has(n.id)) return;
    placed.add(n.id);
    // A parent cycle among new nodes is the optimizer's to reject; stop following it here.
    const parent = n.parentId != null ? byId.get(n.parentId) : undefined;
    if (parent && depth < added.length) place(parent, depth + 1);
    out.push(n);
  };
  for (const n of added) place(n, 0);
  return out;
}
