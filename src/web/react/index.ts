// flowscale/react: React Flow (@xyflow/react v12) editors with up to a
// million nodes.
export {
  FlowscaleController,
  ASYNC_ABOVE,
  STAGE,
  type ClusterInfo,
  type ControllerOptions,
  type Detail,
  type GpuState,
  type MountedWindow,
  type Rect,
  type SelectionChanges,
  type XYPoint,
} from './controller.js';
export { diffById, type Diff } from './sync.js';
