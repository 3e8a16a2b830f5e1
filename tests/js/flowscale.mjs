// Load the package's web build in Node (the same module browsers and workers use).
import { readFileSync } from 'node:fs';
import init from '../../pkg/web/index.js';

/** The module's exports (`wasm.memory`: linear memory, for the long-run tests). */
export const wasm = await init({ module_or_path: readFileSync(new URL('../../pkg/web/flowscale_bg.wasm', import.meta.url)) });
export * from '../../pkg/web/index.js';
