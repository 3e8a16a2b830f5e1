import { defineConfig } from 'vite';

// The one line flowscale needs: Vite's dev server must not pre-bundle it (its .wasm import would be lost).
export default defineConfig({ optimizeDeps: { exclude: ['flowscale'] } });
