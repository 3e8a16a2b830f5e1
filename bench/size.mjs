// Runs bench/size.sh and writes its table into docs/benchmarks.md.
import { execFileSync } from 'node:child_process';
import { machine, writeSection } from './lib.mjs';

const table = execFileSync('bash', [new URL('./size.sh', import.meta.url).pathname], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
// The goal: the whole package's module at most 0.9 MB gzipped (900,000 bytes).
const GOAL_KIB = 900_000 / 1024;
const packageRow = table.split('\n').find((l) => l.includes('(the package)'));
const gz = Number(packageRow?.match(/\| (\d+) KiB \|\s*$/)?.[1]);
const verdict = !Number.isFinite(gz)
  ? 'not measured'
  : gz <= GOAL_KIB
    ? `met (${gz} KiB)`
    : `not met: ${gz} KiB, ${Math.round((gz / GOAL_KIB - 1) * 100)} % over`;
const body = `### Size of the wasm module

Command: \`npm run bench\` (runs \`bash bench/size.sh\`). Machine: ${machine()}. Release builds through
wasm-bindgen and \`wasm-opt -O2\` (as the package), gzip -9. The GPU stack (wgpu, naga) is compiled at
\`opt-level = "z"\`; the per-frame core at \`opt-level = 3\`.

${table.trim()}

Goal, the whole package's module at most 0.9 MB gzipped: ${verdict}. Most of the renderer's cost is wgpu's WebGL2
backend and naga, the shader translator; the per-frame core also carries the cache, monitor and profiler. Shipping
the shaders already translated to GLSL ES (so naga can stay out) and loading the renderer as its own module are not
done. A page fetches one build's .wasm (webpack: the web build; other bundlers: the bundler build), never both.`;
writeSection(new URL('../docs/benchmarks.md', import.meta.url).pathname, 'size', body);
console.log(body);
