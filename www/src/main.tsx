import { ReactFlowProvider } from '@xyflow/react';
import { createRoot } from 'react-dom/client';
import { App } from '@/App';

const root = document.getElementById('root');
if (!root) throw new Error('#root missing from index.html');
createRoot(root).render(
  <ReactFlowProvider>
    <App />
  </ReactFlowProvider>,
);
