// flowscale/react: React Flow (@xyflow/react v12) editors with up to a
// million nodes. useFlowscale takes the user's nodes and edges and gives
// React Flow only the window to mount; FlowscaleLayer draws the rest on the
// GPU; FlowscaleMiniMap shows the whole workflow. An app that keeps its own
// document drives a FlowscaleController itself (setDocument) and hands it to
// the components with useProvideFlowscale.
export {
  useFlowscale,
  useFlowscaleActions,
  useFlowscaleController,
  useFlowscaleDetail,
  useFlowscaleStats,
  useFlowscaleView,
  useProvideFlowscale,
  type FlowscaleActions,
  type SelectInRectOptions,
  type UseFlowscaleOptions,
  type UseFlowscaleResult,
} from './hooks.js';
export {
  FlowscaleController,
  ASYNC_ABOVE,
  STAGE,
  isTrap,
  type ClusterInfo,
  type ControllerOptions,
  type DeleteCallbacks,
  type Deleted,
  type Detail,
  type DocumentLookup,
  type StagedLoadOptions,
  type GpuState,
  type MountedWindow,
  type Rect,
  type SelectionChanges,
  type XYPoint,
} from './controller.js';
export { FlowscaleLayer, type FlowscaleLayerProps } from './FlowscaleLayer.js';
export { FlowscaleMiniMap, miniMapTransform, MINIMAP_NODE_LIMIT, MINIMAP_PADDING, type FlowscaleMiniMapProps, type MiniMapTransform } from './FlowscaleMiniMap.js';
export { diffById, type Diff } from './sync.js';
export { mergeParallelEdges } from './parallel.js';
export { FlowscaleRoutedEdge, withRoutes, routedPath, ROUTED_EDGE_TYPE, type RoutedEdgeData } from './RoutedEdge.js';
