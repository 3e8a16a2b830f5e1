// flowscale/react: React Flow (@xyflow/react v12) editors with up to a
// million nodes.
export { diffById, type Diff } from './sync.js';
