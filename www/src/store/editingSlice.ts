// The editing slice: the audio-graph actions. Edits are React Flow
// NodeChange/EdgeChange lists, applied in the same order to the document
// here and to flowscale/react's controller (flowscale's index, the GPU layer
// and the mounted nodes), so every layer sees one workflow. A drag moves the
// controller on every pointer move and the document once, when it ends.
import {
  applyEdgeChanges as rfApplyEdgeChanges,
  applyNodeChanges as rfApplyNodeChanges,
  type Connection,
  type Edge,
  type EdgeChange,
  type Node,
  type NodeChange,
} from '@xyflow/react';
import { handleSignal, isAudioKind, makeAudioNode, NODE_HEIGHT, NODE_WIDTH, type AudioKind, type AudioNodeData } from '@/audio/model';
import { EditHistory, type Change } from '@/store/history';
import type { SliceCreator } from '@/store/session';

export interface EditingSlice {
  applyNodeChanges(changes: NodeChange[]): void;
  applyEdgeChanges(changes: EdgeChange[]): void;
  isValidConnection(c: Connection | Edge): boolean;
  connect(c: Connection): boolean;
  addNode(kind: AudioKind, position?: { x: number; y: number }): string;
  updateParam(id: string, key: string, value: number): void;
  removeNodes(ids: string[]): void;
  /** Collapse a group (hide its members, shrink it to a bar) or expand it back. */
  toggleGroup(id: string): void;
  /** Copies of these nodes (default: the selected mounted ones), 40 px down and right, unselected; their ids. */
  duplicateNodes(ids?: string[]): string[];
  /** Undo or redo the last edit (one user action: a node removed with its edges is one step). */
  undo(): void;
  redo(): void;
  canUndo: boolean;
  canRedo: boolean;
}

/** A collapsed group's box: its title bar. */
const COLLAPSED = { width: 220, height: 36 };

type Item = { id: string };
type DocChange<T extends Item> = { type: 'add'; item: T } | { type: 'remove'; id: string } | { type: 'replace'; id: string; item: T };

const isDocChange = <T extends Item>(c: { type: string }): c is DocChange<T> => c.type === 'add' || c.type === 'remove' || c.type === 'replace';

/**
 * The document array after adds, removes and replacements, as React Flow's
 * applyNodeChanges / applyEdgeChanges would give it (survivors in order,
 * adds appended), found through the index: a few lookups instead of a walk
 * of every element in JS. `inPlace` (flowscale mode, where React Flow
 * renders the controller's window, not these arrays) edits `arr` itself, so an
 * edit costs what it touches; otherwise a new array (plain React Flow
 * renders it and needs a new identity).
 */
function applyDocChanges<T extends Item>(
  arr: T[],
  changes: readonly DocChange<T>[],
  at: (id: string) => number | undefined,
  inPlace: boolean,
): { next: T[]; removed: string[]; added: T[] } {
  const removed: string[] = [];
  const added: T[] = [];
  const replaced: [number, T][] = [];
  for (const c of changes) {
    if (c.type === 'add') added.push(c.item);
    else if (c.type === 'remove') removed.push(c.id);
    else {
      const i = at(c.id);
      if (i !== undefined) replaced.push([i, c.item]);
    }
  }
  const next = inPlace ? arr : arr.slice();
  for (const [i, item] of replaced) next[i] = item;
  if (removed.length > 16) {
    // Many at once (select all, delete): one compacting pass.
    const gone = new Set(removed);
    let w = 0;
    for (let r = 0; r < next.length; r++) if (!gone.has(next[r]!.id)) next[w++] = next[r]!;
    next.length = w;
  } else if (removed.length) {
    const at2 = removed.map(at).filter((i): i is number => i !== undefined);
    for (const i of at2.sort((a, b) => b - a)) next.splice(i, 1);
  }
  next.push(...added);
  return { next, removed, added };
}

export const createEditingSlice: SliceCreator<EditingSlice> = (session) => (set, get) => {
  const history = session.history;
  const nodeNow = (id: string) => get().nodes[session.index.node(id) ?? -1];
  const edgeNow = (id: string) => get().edges[session.index.edge(id) ?? -1];

  /** Record the node changes that edit the document, each with its inverse from the document as it is. */
  function recordNodes(changes: NodeChange[]): void {
    if (history.replaying) return;
    for (const c of changes) {
      if (c.type === 'position') {
        if (c.dragging) {
          const n = nodeNow(c.id);
          if (n && !session.dragStart.has(c.id)) session.dragStart.set(c.id, n.position);
          continue;
        }
        const from = session.dragStart.get(c.id) ?? nodeNow(c.id)?.position;
        session.dragStart.delete(c.id);
        // React Flow's last change of a drag may carry no position: the node is where the controller has it.
        const to = c.position ?? get().controller?.mountedNode(c.id)?.position;
        if (!from || !to || (from.x === to.x && from.y === to.y)) continue;
        history.record(
          { on: 'node', change: { type: 'position', id: c.id, position: to, dragging: false } },
          { on: 'node', change: { type: 'position', id: c.id, position: from, dragging: false } },
        );
        continue;
      }
      if (c.type !== 'add' && c.type !== 'remove' && c.type !== 'replace') continue;
      const inverse = EditHistory.invertNode(c, c.type === 'add' ? undefined : nodeNow(c.id));
      if (inverse) history.record({ on: 'node', change: c }, { on: 'node', change: inverse });
    }
    syncHistoryFlags();
  }

  function recordEdges(changes: EdgeChange[]): void {
    if (history.replaying) return;
    for (const c of changes) {
      if (c.type !== 'add' && c.type !== 'remove' && c.type !== 'replace') continue;
      const inverse = EditHistory.invertEdge(c, c.type === 'add' ? undefined : edgeNow(c.id));
      if (inverse) history.record({ on: 'edge', change: c }, { on: 'edge', change: inverse });
    }
    syncHistoryFlags();
  }

  function syncHistoryFlags(): void {
    const { canUndo, canRedo } = history;
    if (canUndo !== get().canUndo || canRedo !== get().canRedo) set({ canUndo, canRedo });
  }

  /** Apply a step's changes, runs of one kind in one batch each, without recording them. */
  function replay(changes: Change[] | null): void {
    if (!changes) return;
    history.replaying = true;
    try {
      let k = 0;
      while (k < changes.length) {
        const on = changes[k]!.on;
        const run: Change[] = [];
        while (k < changes.length && changes[k]!.on === on) run.push(changes[k++]!);
        if (on === 'node') get().applyNodeChanges(run.map((c) => c.change as NodeChange));
        else get().applyEdgeChanges(run.map((c) => c.change as EdgeChange));
      }
    } finally {
      history.replaying = false;
    }
    syncHistoryFlags();
  }

  /**
   * The document is about to be edited in place (flowscale mode): the index
   * must know every position first, and arrays the store does not own
   * (session.owned) are copied once, so whoever else holds them (the cache,
   * a layout in flight, the generated columns) keeps what it was given.
   */
  function beforeInPlaceEdit(): void {
    session.index.indexUpTo(Infinity, Infinity);
    const { nodes, edges } = get();
    if (session.owned.nodes !== nodes) {
      const copy = nodes.slice();
      session.index.nodesEdited(copy, [], []);
      session.owned.nodes = copy;
      set({ nodes: copy });
    }
    if (session.owned.edges !== edges) {
      const copy = edges.slice();
      session.index.edgesEdited(copy, [], []);
      session.owned.edges = copy;
      set({ edges: copy });
    }
  }

  /** Write committed node changes into the document, in place (flowscale mode: this is only called there). */
  function commitNodes(changes: NodeChange[]): void {
    if (changes.length === 0) return;
    beforeInPlaceEdit();
    if (changes.some((c) => c.type === 'add' || c.type === 'remove')) {
      const { next, removed, added } = applyDocChanges(get().nodes, changes.filter(isDocChange<Node>), (id) => session.index.node(id), true);
      session.index.nodesEdited(next, removed, added);
      set({ nodes: next });
      return;
    }
    const nodes = get().nodes;
    const controller = get().controller;
    for (const c of changes) {
      if (c.type !== 'position' && c.type !== 'replace') continue;
      const i = session.index.node(c.id);
      if (i === undefined) continue;
      if (c.type === 'replace') nodes[i] = c.item;
      else {
        // The end of a drag: the node as React Flow has it now.
        const live = controller?.mountedNode(c.id);
        const base = nodes[i]!;
        const position = live?.position ?? c.position ?? base.position;
        nodes[i] = { ...base, position };
      }
    }
    set({ nodes });
  }

  return {
    canUndo: false,
    canRedo: false,
    undo: () => replay(history.takeUndo()),
    redo: () => replay(history.takeRedo()),

    toggleGroup(id) {
      const nodes = get().nodes;
      const i = session.index.node(id);
      const group = i === undefined ? undefined : nodes[i];
      if (!group) return;
      const collapsed = group.data.collapsed !== true;
      const changes: NodeChange[] = [];
      // One pass over the document: members are found by parentId (a group is rare and this is one click).
      for (const n of nodes) {
        if (n.parentId === id && (n.hidden === true) !== collapsed) changes.push({ type: 'replace', id: n.id, item: { ...n, hidden: collapsed } });
      }
      const expanded = group.data.expanded as { width?: number; height?: number } | undefined;
      const size = collapsed ? COLLAPSED : { width: expanded?.width, height: expanded?.height };
      const data = { ...group.data, collapsed, expanded: collapsed ? { width: group.width, height: group.height } : undefined };
      changes.unshift({ type: 'replace', id, item: { ...group, ...size, data } });
      get().applyNodeChanges(changes);
    },

    applyNodeChanges(changes) {
      if (changes.length === 0) return;
      const { mode, controller, edges } = get();
      // Removing a node removes its edges, including those React Flow never saw (their other end was not mounted).
      const removed = new Set(changes.filter((c) => c.type === 'remove').map((c) => c.id));
      if (removed.size) {
        // flowscale: each node's own edges from the optimizer (O(degree)); plain: a scan of the edges.
        const ids =
          mode === 'flowscale' && controller
            ? new Set([...removed].flatMap((id) => controller.optimizer.edgesOf(id)))
            : new Set(edges.filter((e) => removed.has(e.source) || removed.has(e.target)).map((e) => e.id));
        const attached = [...ids].map((id): EdgeChange => ({ type: 'remove', id }));
        if (attached.length) get().applyEdgeChanges(attached);
      }
      // After the edges a removal takes along: undo restores the nodes, then their edges.
      recordNodes(changes);
      if (mode !== 'flowscale' || !controller) {
        // Plain React Flow: the document is what React Flow renders; every change applies at once.
        const next = rfApplyNodeChanges(changes, get().nodes);
        if (removed.size || changes.some((c) => c.type === 'add')) {
          session.index.nodesEdited(next, removed, changes.flatMap((c) => (c.type === 'add' ? [c.item] : [])));
        }
        set({ nodes: next });
        return;
      }
      // The document first for adds, removes and replacements (the controller mounts new nodes from it) …
      commitNodes(changes.filter((c) => c.type === 'add' || c.type === 'remove' || c.type === 'replace'));
      controller.applyNodeChanges(changes);
      // … and moves once the drag ends (during it, only the controller and the GPU layer follow the pointer).
      const ended: NodeChange[] = [];
      for (const c of changes) {
        if (c.type !== 'position') continue;
        if (c.dragging) session.dragging.add(c.id);
        else {
          session.dragging.delete(c.id);
          ended.push(c);
        }
      }
      commitNodes(ended);
    },

    applyEdgeChanges(changes) {
      if (changes.length === 0) return;
      const { mode, controller } = get();
      // Selection lives in React Flow (and the controller); the document keeps adds, removes and replacements.
      recordEdges(changes);
      const keep = mode === 'flowscale' ? changes.filter((c) => c.type !== 'select') : changes;
      if (keep.length) {
        const doc = keep.filter(isDocChange<Edge>);
        if (doc.length === keep.length) {
          const inPlace = mode === 'flowscale' && controller !== null;
          if (inPlace) beforeInPlaceEdit();
          const { next, removed, added } = applyDocChanges(get().edges, doc, (id) => session.index.edge(id), inPlace);
          if (removed.length || added.length) session.index.edgesEdited(next, removed, added);
          set({ edges: next });
        } else {
          // Plain React Flow's selection and the like: its own function, then the index follows the adds and removes.
          const edges = rfApplyEdgeChanges(keep, get().edges);
          const removed = doc.flatMap((c) => (c.type === 'remove' ? [c.id] : []));
          const added = doc.flatMap((c) => (c.type === 'add' ? [c.item] : []));
          if (removed.length || added.length) session.index.edgesEdited(edges, removed, added);
          set({ edges });
        }
      }
      if (mode === 'flowscale' && controller) controller.applyEdgeChanges(changes);
    },

    isValidConnection(c) {
      if (!c.source || !c.target || c.source === c.target) return false;
      const nodes = get().nodes;
      const s = nodes[session.index.node(c.source) ?? -1];
      const t = nodes[session.index.node(c.target) ?? -1];
      if (!s || !t) return false;
      // Typed handles: audio to audio, control to control. Other node types accept anything.
      if (!isAudioKind(s.type) || !isAudioKind(t.type)) return true;
      const from = handleSignal(s.type, c.sourceHandle, 'source');
      const to = handleSignal(t.type, c.targetHandle, 'target');
      return from !== null && from === to;
    },

    connect(c) {
      if (!get().isValidConnection(c)) return false;
      const id = `${c.source}:${c.sourceHandle ?? ''}->${c.target}:${c.targetHandle ?? ''}`;
      if (session.index.edge(id) !== undefined) return false;
      const s = get().nodes[session.index.node(c.source) ?? -1];
      const signal = s && isAudioKind(s.type) ? handleSignal(s.type, c.sourceHandle, 'source') : null;
      const edge: Edge = {
        id,
        source: c.source,
        target: c.target,
        sourceHandle: c.sourceHandle,
        targetHandle: c.targetHandle,
        ...(signal === 'control' ? { className: 'signal-control' } : {}),
      };
      get().applyEdgeChanges([{ type: 'add', item: edge }]);
      return true;
    },

    addNode(kind, position) {
      const controller = get().controller;
      const vp = controller?.getViewport() ?? get().viewport;
      const at = position ?? { x: (-vp.x + 320) / vp.zoom, y: (-vp.y + 200) / vp.zoom };
      let id = `${kind}-${session.nodeSeq++}`;
      while (session.index.has(id)) id = `${kind}-${session.nodeSeq++}`;
      const node = makeAudioNode(id, kind, at.x - NODE_WIDTH / 2, at.y - NODE_HEIGHT / 2, `${kind} ${session.nodeSeq - 1}`);
      get().applyNodeChanges([{ type: 'add', item: node }]);
      return id;
    },

    updateParam(id, key, value) {
      const controller = get().controller;
      const current = controller?.mountedNode(id) ?? get().nodes[session.index.node(id) ?? -1];
      if (!current) return;
      // An imported node's params may be anything: start from an empty object unless it is one.
      const data: Partial<AudioNodeData> = current.data;
      const params = typeof data.params === 'object' && data.params !== null && !Array.isArray(data.params) ? data.params : {};
      const item: Node = { ...current, data: { ...data, params: { ...params, [key]: value } } };
      history.mergeKey = `${id}:${key}`;
      try {
        get().applyNodeChanges([{ type: 'replace', id, item }]);
      } finally {
        history.mergeKey = undefined;
      }
    },

    duplicateNodes(ids) {
      const controller = get().controller;
      const picked = ids ?? (controller?.getMounted().nodes ?? get().nodes).filter((n) => n.selected).map((n) => n.id);
      const copies: Node[] = [];
      for (const id of picked) {
        const n = controller?.mountedNode(id) ?? get().nodes[session.index.node(id) ?? -1];
        // Groups and their members stay as they are: a copy of a member alone would have no place.
        if (!n || n.type === 'group' || n.parentId) continue;
        let copy = `${id}-copy-${session.nodeSeq++}`;
        while (session.index.has(copy)) copy = `${id}-copy-${session.nodeSeq++}`;
        copies.push({ ...n, id: copy, position: { x: n.position.x + 40, y: n.position.y + 40 }, selected: false, data: { ...n.data } });
      }
      if (copies.length) get().applyNodeChanges(copies.map((item): NodeChange => ({ type: 'add', item })));
      return copies.map((c) => c.id);
    },

    removeNodes(ids) {
      get().applyNodeChanges(ids.map((id): NodeChange => ({ type: 'remove', id })));
    },
  };
};
