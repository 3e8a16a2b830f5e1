// useFlowscale: the user's nodes and edges in, React Flow's props out (only
// the window React should mount), plus the whole-workflow actions that
// windowing takes from React Flow (fit, select, delete). The components
// (FlowscaleLayer, FlowscaleMiniMap) and useFlowscaleDetail find the hook's
// controller through React Flow's store, so they need no props.
import {
  getViewportForBounds,
  useReactFlow,
  useStoreApi,
  type Edge,
  type EdgeChange,
  type FitViewOptions,
  type Node,
  type NodeChange,
  type OnBeforeDelete,
  type OnDelete,
  type OnEdgesChange,
  type OnEdgesDelete,
  type OnNodesChange,
  type OnNodesDelete,
  type UnselectNodesAndEdgesParams,
} from '@xyflow/react';
import { useCallback, useEffect, useMemo, useRef, useState, useSyncExternalStore } from 'react';
import type { FlowscaleError, FrameStats, PartialConfig, WorkflowOptimizer } from 'flowscale';
import { FlowscaleController, type ClusterInfo, type DeleteCallbacks, type Deleted, type Detail, type GpuState, type Rect, type SelectionChanges, type XYPoint } from './controller.js';

// `useStoreApi()` returns a fresh wrapper object per component (a useMemo
// over the store's functions), so the store's own `getState` function is the
// key that every component under one <ReactFlowProvider> shares.
const controllers = new WeakMap<object, FlowscaleController<Node, Edge>>();

/** The controller of the useFlowscale call under this React Flow provider, if any. */
export function useFlowscaleController(): FlowscaleController<Node, Edge> | null {
  const store = useStoreApi();
  return controllers.get(store.getState) ?? null;
}

/**
 * Make `controller` the one FlowscaleLayer, FlowscaleMiniMap, useFlowscaleDetail and useFlowscaleStats find under
 * this React Flow provider, for an app that drives a controller itself (setDocument) rather than through
 * useFlowscale; null: none (a view without flowscale, so that nodes read full detail). Call it above <ReactFlow>:
 * it takes effect in this render, before the nodes render, and the controller is forgotten when the caller unmounts.
 */
export function useProvideFlowscale<N extends Node = Node, E extends Edge = Edge>(own: FlowscaleController<N, E> | null): void {
  // Kept untyped by node and edge: the components only read positions and sizes.
  const controller = own as unknown as FlowscaleController<Node, Edge> | null;
  const store = useStoreApi();
  const key = store.getState;
  if (controller) controllers.set(key, controller);
  else controllers.delete(key);
  useEffect(() => {
    // Again here: StrictMode's simulated unmount ran the cleanup below after the render.
    if (controller) controllers.set(key, controller);
    return () => {
      if (controller && controllers.get(key) === controller) controllers.delete(key);
    };
  }, [key, controller]);
}

/**
 * Follow React Flow's viewport and pane size under this provider: every change (a pan, a zoom, fitView,
 * setViewport, a resize) is one frame of `controller`. For an app that drives a controller itself (setDocument);
 * useFlowscale does this for its own.
 */
export function useFlowscaleView<N extends Node = Node, E extends Edge = Edge>(controller: FlowscaleController<N, E> | null): void {
  const store = useStoreApi();
  useEffect(() => {
    if (!controller) return;
    const apply = (s: { transform: [number, number, number]; width: number; height: number }) =>
      controller.setView({ x: s.transform[0], y: s.transform[1], zoom: s.transform[2] }, s.width, s.height);
    apply(store.getState());
    return store.subscribe((s, prev) => {
      if (s.transform !== prev.transform || s.width !== prev.width || s.height !== prev.height) apply(s);
    });
  }, [store, controller]);
}

export interface UseFlowscaleOptions<N extends Node = Node, E extends Edge = Edge> {
  /** Every node of the workflow (the user's state: flowscale follows it by object identity). */
  nodes: N[];
  edges: E[];
  /** The user's handlers: React Flow's changes (of mounted nodes) and the adapter's whole-workflow actions go here. */
  onNodesChange?: OnNodesChange<N>;
  onEdgesChange?: OnEdgesChange<E>;
  /**
   * The optimizer's configuration (e.g. `{ rendering: { maxVisibleNodes: 500 } }`), declarative: a changed value
   * replaces the whole configuration (fields left out are the defaults) without re-indexing; a bad one goes to onError.
   */
  config?: PartialConfig;
  /** Bad input: called once per rejected version of the arrays; the previous state stays. */
  onError?: (error: FlowscaleError) => void;
  /** Share of a big workflow indexed (0–1) while it loads in slices. */
  onProgress?: (fraction: number) => void;
  /**
   * React Flow's deletion callbacks, called by `deleteSelected` as React Flow's Delete key calls them. Each one left
   * out here is read from <ReactFlow>'s props of the same name (React Flow's store) when deleteSelected runs.
   */
  onBeforeDelete?: OnBeforeDelete<N, E>;
  onNodesDelete?: OnNodesDelete<N>;
  onEdgesDelete?: OnEdgesDelete<E>;
  onDelete?: OnDelete<N, E>;
}

export interface SelectInRectOptions {
  /** Nodes that only overlap the rectangle count too (React Flow's SelectionMode.Partial). */
  partially?: boolean;
  /** Keep the current selection (otherwise everything else is deselected). */
  additive?: boolean;
}

export interface UseFlowscaleResult<N extends Node = Node, E extends Edge = Edge> {
  /** The nodes to mount: give these to <ReactFlow nodes>. */
  nodes: N[];
  /** The edges between mounted nodes: give these to <ReactFlow edges>. */
  edges: E[];
  /** Forward to the user's handlers (stable functions). */
  onNodesChange: OnNodesChange<N>;
  onEdgesChange: OnEdgesChange<E>;
  optimizer: WorkflowOptimizer;
  controller: FlowscaleController<N, E>;
  /** The last frame's statistics as of this render (the hook re-renders when the window changes, not per frame). */
  stats: FrameStats;
  gpu: GpuState;
  /** Fit every node, mounted or not (React Flow's fitView options: padding, minZoom, maxZoom, duration). */
  fitView: (options?: Omit<FitViewOptions<N>, 'nodes' | 'includeHiddenNodes'>) => Promise<boolean>;
  selectAll: () => void;
  /**
   * Remove the selected nodes and edges of the whole workflow (use with `deleteKeyCode={null}`), with React Flow's
   * callbacks: onBeforeDelete (may cancel or trim), onEdgesDelete, onNodesDelete, onDelete. Resolves to what was
   * removed, as React Flow's deleteElements.
   */
  deleteSelected: () => Promise<Deleted<N, E>>;
  /** Select the nodes in a rectangle of flow coordinates, mounted or not, and the edges of those nodes. */
  selectInRect: (rect: Rect, options?: SelectInRectOptions) => void;
  /** Keep nodes mounted wherever the view goes. */
  pin: (ids: Iterable<string>) => void;
  unpin: (ids: Iterable<string>) => void;
  /** The cluster drawn at a point of the flow (zoomed out), if any. */
  clusterAt: (point: XYPoint) => ClusterInfo | null;
  /** Zoom into the cluster at a point until it splits; false when there is none, or maxZoom stops short of the split. */
  zoomToCluster: (point: XYPoint, options?: { duration?: number }) => Promise<boolean>;
  /** The user's whole arrays. */
  getNodes: () => N[];
  getEdges: () => E[];
  /** Bounds of every shown node, absolute; null for an empty workflow. */
  getBounds: () => Rect | null;
}

export function useFlowscale<N extends Node = Node, E extends Edge = Edge>(options: UseFlowscaleOptions<N, E>): UseFlowscaleResult<N, E> {
  const store = useStoreApi<N, E>();
  // Nothing of wasm before the component has mounted: React may render a component it then discards (StrictMode's
  // double render, a mount that suspends) and never runs its effects, so nothing it made could be freed.
  const [controller] = useState(() => new FlowscaleController<N, E>(options));
  controller.setOptions(options);
  controllers.set(store.getState, controller as unknown as FlowscaleController<Node, Edge>);
  // Once mounted, inside render on purpose: React Flow must get the window of these very arrays (a drag shows its
  // own position at once). Same arrays again cost nothing; listeners are called after the render. Before that,
  // the arrays are only noted: the first index is built when the component mounts.
  if (controller.retained) controller.batch(() => controller.sync(options.nodes, options.edges));
  else controller.follow(options.nodes, options.edges);
  const mounted = useSyncExternalStore(controller.subscribeMounted, controller.getMounted, controller.getMounted);
  const gpu = useSyncExternalStore(controller.subscribeGpu, controller.getGpu, controller.getGpu);

  useEffect(() => {
    // React Flow's own props are in its store by now (its effects ran first): the first index places nodes by its
    // nodeOrigin.
    controller.setNodeOrigin(store.getState().nodeOrigin);
    controller.retain();
    return () => controller.release();
  }, [controller, store]);

  // The config is declarative: a changed value (compared as JSON) replaces the optimizer's, without re-indexing.
  const configKey = JSON.stringify(options.config ?? {});
  const config = options.config;
  useEffect(() => {
    controller.setConfig(config);
    // eslint-disable-next-line react-hooks/exhaustive-deps -- by value: a new object with the same fields changes nothing
  }, [controller, configKey]);

  // Every viewport change (pan, zoom, fitView, setViewport) and pane resize is one frame; a new nodeOrigin re-indexes.
  useFlowscaleView(controller);
  useEffect(
    () =>
      store.subscribe((s, prev) => {
        if (s.nodeOrigin !== prev.nodeOrigin) controller.setNodeOrigin(s.nodeOrigin);
      }),
    [store, controller],
  );

  // React Flow deselects only what it holds (the window): a pane click, a plain click on a node or an edge, a drag
  // of an unselected node without selectNodesOnDrag, Escape on a focused edge (all nodes). Its store's deselecting
  // actions are wrapped so that the selected nodes and edges it does not hold are deselected too, through the
  // user's handlers, as React Flow would over the whole workflow.
  useEffect(() => {
    const { resetSelectedElements, addSelectedNodes, addSelectedEdges, unselectNodesAndEdges } = store.getState();
    const rest = (keep: { nodes?: ReadonlySet<string>; edges?: ReadonlySet<string> } = {}, only?: 'nodes' | 'edges') => {
      const { nodeLookup, edgeLookup } = store.getState();
      emitChanges(controller, controller.deselectUnmountedChanges(nodeLookup, edgeLookup, keep, only));
    };
    const wrapped = {
      resetSelectedElements: () => {
        resetSelectedElements();
        if (store.getState().elementsSelectable) rest();
      },
      addSelectedNodes: (ids: string[]) => {
        const multi = store.getState().multiSelectionActive;
        addSelectedNodes(ids);
        if (!multi) rest({ nodes: new Set(ids) });
      },
      addSelectedEdges: (ids: string[]) => {
        const multi = store.getState().multiSelectionActive;
        addSelectedEdges(ids);
        if (!multi) rest({ edges: new Set(ids) });
      },
      // Nodes or edges left out of its argument: all of them (the ones given are React Flow's own, mounted).
      unselectNodesAndEdges: (params: UnselectNodesAndEdgesParams<N, E> = {}) => {
        unselectNodesAndEdges(params);
        const { nodes, edges } = params;
        if (!nodes || !edges) rest({}, !nodes && !edges ? undefined : !nodes ? 'nodes' : 'edges');
      },
    };
    store.setState(wrapped);
    return () => {
      const now = store.getState();
      const back: Partial<typeof wrapped> = {};
      if (now.resetSelectedElements === wrapped.resetSelectedElements) back.resetSelectedElements = resetSelectedElements;
      if (now.addSelectedNodes === wrapped.addSelectedNodes) back.addSelectedNodes = addSelectedNodes;
      if (now.addSelectedEdges === wrapped.addSelectedEdges) back.addSelectedEdges = addSelectedEdges;
      if (now.unselectNodesAndEdges === wrapped.unselectNodesAndEdges) back.unselectNodesAndEdges = unselectNodesAndEdges;
      store.setState(back);
    };
  }, [store, controller]);

  const onNodesChange = useCallback((changes: NodeChange<N>[]) => controller.emitNodeChanges(changes), [controller]);
  const onEdgesChange = useCallback((changes: EdgeChange<E>[]) => controller.emitEdgeChanges(changes), [controller]);

  const actions = useFlowscaleActions(controller, options);

  return {
    nodes: mounted.nodes,
    edges: mounted.edges,
    onNodesChange,
    onEdgesChange,
    get optimizer() {
      return controller.optimizer;
    },
    controller,
    stats: controller.stats,
    gpu,
    ...actions,
  };
}

/** What useFlowscale returns beyond the window: React Flow's whole-workflow actions that windowing takes away. */
export type FlowscaleActions<N extends Node = Node, E extends Edge = Edge> = Pick<
  UseFlowscaleResult<N, E>,
  'fitView' | 'selectAll' | 'deleteSelected' | 'selectInRect' | 'pin' | 'unpin' | 'clusterAt' | 'zoomToCluster' | 'getNodes' | 'getEdges' | 'getBounds'
>;

/**
 * The whole-workflow actions of `controller` under this React Flow provider (useFlowscale's own; for an app that
 * drives a controller itself, e.g. a fit-view button over every node). Selection and deletion go out through the
 * controller's onNodesChange / onEdgesChange; deleteSelected calls `deleteCallbacks` (the latest given), else
 * <ReactFlow>'s props of the same names.
 */
export function useFlowscaleActions<N extends Node = Node, E extends Edge = Edge>(
  controller: FlowscaleController<N, E>,
  deleteCallbacks: DeleteCallbacks<N, E> = {},
): FlowscaleActions<N, E> {
  const store = useStoreApi<N, E>();
  const reactFlow = useReactFlow<N, E>();
  const callbacks = useRef(deleteCallbacks);
  callbacks.current = deleteCallbacks;
  return useMemo(() => {
    const emit = (c: SelectionChanges<N, E>) => emitChanges(controller, c);
    return {
      fitView: async (o: Omit<FitViewOptions<N>, 'nodes' | 'includeHiddenNodes'> = {}) => {
        const bounds = controller.getBounds();
        const { width, height, minZoom, maxZoom } = store.getState();
        if (!bounds || width <= 0 || height <= 0) return false;
        const vp = getViewportForBounds(bounds, width, height, o.minZoom ?? minZoom, o.maxZoom ?? maxZoom, o.padding ?? 0.1);
        return reactFlow.setViewport(vp, { duration: o.duration, ease: o.ease, interpolate: o.interpolate });
      },
      selectAll: () => emit(controller.selectAllChanges()),
      deleteSelected: () => {
        const o = callbacks.current;
        const s = store.getState();
        return controller.deleteSelected({
          onBeforeDelete: o.onBeforeDelete ?? s.onBeforeDelete,
          onNodesDelete: o.onNodesDelete ?? s.onNodesDelete,
          onEdgesDelete: o.onEdgesDelete ?? s.onEdgesDelete,
          onDelete: o.onDelete ?? (s.onDelete as OnDelete<N, E> | undefined),
        });
      },
      selectInRect: (rect: Rect, o?: SelectInRectOptions) =>
        emit(controller.selectInRectChanges(rect, { ...o, edgesSelectable: store.getState().defaultEdgeOptions?.selectable ?? true })),
      pin: (ids: Iterable<string>) => controller.pin(ids),
      unpin: (ids: Iterable<string>) => controller.unpin(ids),
      clusterAt: (p: XYPoint) => controller.clusterAt(p),
      zoomToCluster: async (p: XYPoint, o: { duration?: number } = {}) => {
        let c: ClusterInfo | null, expansionZoom: number;
        try {
          c = controller.clusterAt(p);
          if (!c) return false;
          expansionZoom = controller.expandCluster(c.id).expansionZoom;
        } catch (e) {
          controller.reportError(e);
          return false;
        }
        const { maxZoom, transform } = store.getState();
        const zoom = Math.min(maxZoom, Math.max(expansionZoom * 1.05, transform[2] * 1.5));
        await reactFlow.setCenter(c.bounds.x + c.bounds.width / 2, c.bounds.y + c.bounds.height / 2, { zoom, duration: o.duration ?? 300 });
        // Capped by maxZoom below the zoom that splits it: the cluster stays one.
        return zoom >= expansionZoom;
      },
      getNodes: () => controller.getNodes(),
      getEdges: () => controller.getEdges(),
      getBounds: () => controller.getBounds(),
    };
  }, [controller, store, reactFlow]);
}

function emitChanges<N extends Node, E extends Edge>(controller: FlowscaleController<N, E>, c: SelectionChanges<N, E>): void {
  if (c.nodes.length > 0) controller.emitNodeChanges(c.nodes);
  if (c.edges.length > 0) controller.emitEdgeChanges(c.edges);
}

const noSubscription = () => () => undefined;

/** This node's level of detail ('full' or 'label'); the component re-renders only when it changes. */
export function useFlowscaleDetail(id: string): Detail {
  const controller = useFlowscaleController();
  const subscribe = useCallback((l: () => void) => (controller ? controller.subscribeDetail(id, l) : () => undefined), [controller, id]);
  return useSyncExternalStore(controller ? subscribe : noSubscription, () => (controller ? controller.detailOf(id) : 'full'));
}

/** The last frame's statistics, re-rendering on every frame whose statistics changed (for a stats panel). */
export function useFlowscaleStats(): FrameStats | null {
  const controller = useFlowscaleController();
  return useSyncExternalStore(controller ? controller.subscribeFrames : noSubscription, () => (controller ? controller.stats : null));
}
