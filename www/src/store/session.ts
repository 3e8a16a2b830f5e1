// What the store keeps outside React state, in one object each store owns
// (components never select it): the document index, the load in progress
// and its first-render timing, drags in progress, the column form of
// generated documents, a pending fit and the next new node's number.
import type { Edge, Node } from '@xyflow/react';
import type { StateCreator, StoreApi } from 'zustand';
import type { WorkflowColumns } from 'flowscale';
import type { FlowscaleController, DocumentLookup } from 'flowscale/react';
import performanceService from '@/services/performanceService';
import type { AudioState } from '@/store/audioStore';
import { DocIndex, type SlotSource } from '@/store/docIndex';
import { EditHistory } from '@/store/history';

export type SetState = StoreApi<AudioState>['setState'];
export type GetState = StoreApi<AudioState>['getState'];
/** A slice of the store, with the session its store owns. */
export type SliceCreator<T> = (session: StoreSession) => StateCreator<AudioState, [], [], T>;

/** The controller's optimizer as the document index's source of slots. */
function slotSource(controller: FlowscaleController<Node, Edge>): SlotSource {
  const opt = controller.optimizer;
  return { nodeSlot: (id) => opt.indexOf(id), edgeSlot: (id) => opt.edgeIndexOf(id) };
}

export class StoreSession {
  /**
   * Where each node and edge sits in `nodes` / `edges`. In flowscale mode it
   * asks the controller's optimizer (no second id table of the document);
   * otherwise it holds Maps built in chunks (see DocIndex).
   */
  index = new DocIndex([], []);
  /** A document's columns for flowscale, when known (generated scenarios): loaded without walking the node objects. */
  readonly columnsOf = new WeakMap<Node[], WorkflowColumns>();
  /** Drags in progress (flowscale mode): committed to the document when they end. */
  readonly dragging = new Set<string>();
  /** Where each node in a drag started, for undo (plain mode moves the document on every pointer move). */
  readonly dragStart = new Map<string, { x: number; y: number }>();
  /** Undo and redo of the document's edits; a new document starts a new history. */
  readonly history = new EditHistory();
  /**
   * The document arrays the store copied itself, which flowscale-mode edits may change in place. Any other
   * array (a loaded or generated one, one handed to the cache or to a layout in flight) may be held elsewhere:
   * the first edit copies it. `share()` gives up ownership when the arrays are handed out.
   */
  owned: { nodes: Node[] | null; edges: Edge[] | null } = { nodes: null, edges: null };

  share(): void {
    this.owned = { nodes: null, edges: null };
  }
  /** The load in progress; a newer load aborts it. */
  loadController: AbortController | null = null;
  loadStartedAt = 0;
  firstRenderPending = false;
  nodeSeq = 1;
  /** A new document should be fitted to the pane once the view has it (imports without a viewport, layouts). */
  fitRequested = false;

  /** A new index of the document, keeping the current one's source of slots (and its trust). */
  reindex(nodes: Node[], edges: Edge[]): void {
    const { source, trusted } = this.index.sourceState;
    this.index = new DocIndex(nodes, edges);
    if (!source) {
      this.index.indexUpTo(Infinity, Infinity);
      return;
    }
    this.index.useSource(source);
    if (trusted) this.index.trustSource();
  }

  /** Lookups of the current index go to `controller`'s optimizer (its slots are the document's positions). */
  useController(controller: FlowscaleController<Node, Edge>): DocIndex {
    this.index.useSource(slotSource(controller));
    return this.index;
  }

  /** The document's objects by id (the store's arrays, through the index), for a controller. */
  lookup(get: GetState): DocumentLookup<Node, Edge> {
    return {
      node: (id) => {
        const i = this.index.node(id);
        return i === undefined ? undefined : get().nodes[i];
      },
      edge: (id) => {
        const i = this.index.edge(id);
        return i === undefined ? undefined : get().edges[i];
      },
      // An edit may replace the arrays (the first one after a load copies them): always the current ones.
      nodes: () => get().nodes,
      edges: () => get().edges,
    };
  }

  /**
   * Time the load that started at `loadStartedAt`: to its first render (the
   * toolbar), and to the end of the load, the document on screen and nothing
   * loading (the monitor's `load` operation, the load KPI).
   */
  awaitFirstRender(): void {
    this.firstRenderPending = true;
    performanceService.startLoad(this.loadStartedAt);
  }
}

export function message(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}
