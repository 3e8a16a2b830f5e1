// Runs bench/size.sh and writes its table into docs/benchmarks.md.
import { execFileSync } from 'node:child_process';
import { machine, writeSection } from './lib.mjs';

const table = execFileSync('bash', [new URL('./size.sh', import.meta.url).pathname], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
// The goal: the whole package at most 0.9 MB gzipped (900,000 bytes): the core and the GPU module together.
const GOAL_KIB = 900_000 / 1024;
const kib = (label) => Number(table.split('\n').find((l) => l.includes(label))?.match(/\| (\d+) KiB \|\s*$/)?.[1]);
const core = kib('core (`flowscale`)');
const gpu = kib('(the package)');
const whole = core + gpu;
const verdict = !Number.isFinite(whole)
  ? 'not measured'
  : whole <= GOAL_KIB
    ? `met (${whole} KiB)`
    : `not met: ${whole} KiB (core ${core} + GPU module ${gpu}), ${Math.round((whole / GOAL_KIB - 1) * 100)} % over`;
const body = `### Size of the wasm modules

Command: \`npm run bench\` (runs \`bash bench/size.sh\`). Machine: ${machine()}. Release builds through
wasm-bindgen and \`wasm-opt -O2\` (as the package), gzip -9. The GPU stack (wgpu, naga) is compiled at
\`opt-level = "z"\`; the core at \`opt-level = 3\`.

${table.trim()}

Goal, the whole package at most 0.9 MB gzipped: ${verdict}. A page's first render waits for the core only
(${core} KiB): the GPU module is fetched by the first \`Renderer.create\` (see "Opening the demo" for what that
does to the time to first render). The GPU module is wgpu's WebGL2 and WebGPU backends and naga, the shader
translator. naga stays: wgpu 30's GLES backend translates every shader through naga when the pipeline is made, and its
passthrough descriptor's \`glsl\` field is documented as "currently unused", so shipping the shaders pre-translated
to GLSL ES would mean leaving wgpu for WebGL2 and writing a second renderer on raw WebGL2. WebGPU's backend adds only ${Number.isFinite(gpu) ? gpu - kib('WebGL2 only') : '?'} KiB. The core
also carries the cache, monitor, profiler and layout, which every page loads with it. A page fetches one build's
core .wasm (webpack: the web build; other bundlers: the bundler build), never both.`;
writeSection(new URL('../docs/benchmarks.md', import.meta.url).pathname, 'size', body);
console.log(body);
