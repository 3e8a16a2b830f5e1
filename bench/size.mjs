// Runs bench/size.sh and writes its table into docs/benchmarks.md.
import { execFileSync } from 'node:child_process';
import { machine, writeSection } from './lib.mjs';

const table = execFileSync('bash', [new URL('./size.sh', import.meta.url).pathname], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
const body = `### Size of the wasm module

Command: \`npm run bench\` (runs \`bash bench/size.sh\`). Machine: ${machine()}. Release builds through
wasm-bindgen and \`wasm-opt -O2\` (as the package), gzip -9. The GPU stack (wgpu, naga) is compiled at
\`opt-level = "z"\`; the per-frame core at \`opt-level = 3\`.

${table.trim()}

The goal of at most 0.9 MB gzipped for the whole module is not met (the last row against 0.9 MB). Most of the
renderer's cost is wgpu's WebGL2 backend and naga, the shader translator; the per-frame core now also carries the
cache, monitor and profiler. Shipping the shaders already translated to GLSL ES (so naga can stay out) and loading
the renderer as its own module are not done.`;
writeSection(new URL('../docs/benchmarks.md', import.meta.url).pathname, 'size', body);
console.log(body);
