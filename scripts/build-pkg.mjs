// Build the npm package `pkg/`:
//   pkg/      --target bundler (webpack & co.), entry index.js, by wasm-pack
//   pkg/web/  --target web (browsers without a bundler, Node, Web Workers), entry web/index.js:
//             wasm-bindgen run here on the module wasm-pack compiled, with
//             --experimental-reset-state-function (wasm-pack cannot pass it;
//             wasm-bindgen offers it for the web target, not the bundler one),
//             then wasm-opt as wasm-pack runs it
// Both entries add what wasm-bindgen cannot export itself: the FlowscaleError
// class and toColumns (defined in src/web/glue.js) and a default `init`, and
// export only the public names (the wasm classes the JS classes wrap stay
// inside). Beside them:
//   pkg/auto.js     the `webpack` condition: the web build instantiated at
//                   import (top-level await), so webpack 5 needs no `experiments`
//   pkg/node.js     the `node` condition: the web build instantiated from the
//                   file (Node has no ESM integration for .wasm)
//   pkg/gpu/        the GPU module: the renderer's wgpu half (gpu/, web target),
//                   imported by renderer.js on the first Renderer.create, so
//                   the core (built without wgpu) is all a page loads up front
//   pkg/cache.js, pkg/monitor.js   the `flowscale/cache` and `flowscale/monitor`
//                   subpaths; they re-export through the package's own name,
//                   so an app gets one wasm instance whichever it imports
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const env = {
  ...process.env,
  // wasm-opt from the npm `binaryen` package (never Debian's wasm-opt 108: it corrupts current wasm-bindgen output).
  PATH: `${join(root, 'node_modules/.bin')}:${process.env.HOME}/.cargo/bin:${process.env.PATH}`,
};
const profile = process.argv.includes('--dev') ? '--dev' : '--release';

function wasmPack(target, outDir) {
  // The core without the renderer's wgpu half (that is the GPU module, gpu/).
  const cargoArgs = ['--', '--no-default-features', '--features', 'js'];
  execFileSync('wasm-pack', ['build', profile, '--target', target, '--out-dir', outDir, '--out-name', 'flowscale', ...cargoArgs], {
    cwd: root,
    env,
    stdio: 'inherit',
  });
}

/** The web build: wasm-bindgen and wasm-opt on the module the bundler build's cargo run left. */
function bindgenWeb(outDir) {
  const dev = profile === '--dev';
  const targetDir = process.env.CARGO_TARGET_DIR ? process.env.CARGO_TARGET_DIR : join(root, 'target');
  const wasm = join(targetDir, 'wasm32-unknown-unknown', dev ? 'debug' : 'release', 'flowscale.wasm');
  const args = [wasm, '--out-dir', outDir, '--typescript', '--target', 'web', '--out-name', 'flowscale', '--experimental-reset-state-function'];
  execFileSync('wasm-bindgen', dev ? [...args, '--debug'] : args, { cwd: root, env, stdio: 'inherit' });
  if (!dev) {
    const bg = join(outDir, 'flowscale_bg.wasm');
    // The same passes as wasm-pack's (Cargo.toml, package.metadata.wasm-pack).
    execFileSync('wasm-opt', [bg, '-o', bg, '-O2'], { cwd: root, env, stdio: 'inherit' });
  }
}

/** The GPU module (gpu/, the renderer's wgpu half): its own wasm module, web target, in pkg/gpu/. */
function buildGpu(outDir) {
  const dev = profile === '--dev';
  execFileSync('cargo', ['build', ...(dev ? [] : ['--release']), '--target', 'wasm32-unknown-unknown', '-p', 'flowscale-gpu'], { cwd: root, env, stdio: 'inherit' });
  const targetDir = process.env.CARGO_TARGET_DIR ? process.env.CARGO_TARGET_DIR : join(root, 'target');
  const wasm = join(targetDir, 'wasm32-unknown-unknown', dev ? 'debug' : 'release', 'flowscale_gpu.wasm');
  rmSync(outDir, { recursive: true, force: true });
  // The reset-state function: after a trap renderer.js replaces the instance (the next Renderer.create works).
  const args = [wasm, '--out-dir', outDir, '--typescript', '--target', 'web', '--out-name', 'flowscale_gpu', '--experimental-reset-state-function'];
  execFileSync('wasm-bindgen', dev ? [...args, '--debug'] : args, { cwd: root, env, stdio: 'inherit' });
  if (!dev) {
    const bg = join(outDir, 'flowscale_gpu_bg.wasm');
    execFileSync('wasm-opt', [bg, '-o', bg, '-O2'], { cwd: root, env, stdio: 'inherit' });
  }
}

function gluePath(dir, file = 'glue.js') {
  const snippets = join(dir, 'snippets');
  for (const d of readdirSync(snippets)) {
    if (existsSync(join(snippets, d, 'src/web', file))) return `./snippets/${d}/src/web/${file}`;
  }
  throw new Error(`${file} not found under ${snippets}`);
}

const glueTypes = `/**
 * \`listener({ operation, error, reset })\` once per wasm trap (a \`WebAssembly.RuntimeError\` thrown by a flowscale
 * call; \`operation\` names it, e.g. 'WorkflowOptimizer.frame'). With \`reset\` true the module was re-instantiated:
 * objects made before the trap throw MODULE_RESET, new ones work. Returns the unsubscribe function.
 */
export declare function onTrap(listener: (trap: TrapInfo) => void): () => void;
export interface TrapInfo { operation: string; error: Error; reset: boolean; }
/** Thrown by every flowscale call on bad input: \`code\` is stable, \`path\` names the offending field. */
export declare class FlowscaleError extends Error {
  readonly name: 'FlowscaleError';
  readonly code: FlowscaleErrorCode;
  readonly path?: string;
}
export type FlowscaleErrorCode =
  | 'INVALID_WORKFLOW' | 'DUPLICATE_ID' | 'DANGLING_EDGE' | 'DANGLING_PARENT' | 'PARENT_CYCLE'
  | 'NON_FINITE' | 'NEGATIVE_SIZE' | 'OUT_OF_RANGE' | 'UNKNOWN_ID' | 'INVALID_VIEWPORT'
  | 'LIMIT_EXCEEDED' | 'INVALID_CONFIG' | 'GPU_UNAVAILABLE' | 'INVALID_ARGUMENT' | 'STORAGE_UNAVAILABLE' | 'STORAGE_BLOCKED'
  | 'QUOTA_EXCEEDED' | 'TRANSACTION_ABORTED' | 'CORRUPT_RECORD' | 'NOT_CLONEABLE' | 'CACHE_CLOSED'
  | 'STALE_FRAME' | 'ABORTED' | 'MODULE_RESET';
import type { Workflow, WorkflowColumns } from './flowscale';
/**
 * React Flow objects as WorkflowColumns, which setWorkflow, setWorkflowAsync, layoutWorkflow and optimizeWorkflow
 * take as they are (e.g. to post a workflow to a Web Worker, its typed arrays transferred). Throws the
 * FlowscaleError setWorkflow would for a bad shape or an end that names no node. Edge \`type\` is not carried.
 */
export declare function toColumns(workflow: Workflow): WorkflowColumns;
`;

// WorkflowCache is a JS class (src/web/cache.js) over the wasm class CacheCore.
const cacheTypes = readFileSync(join(root, 'src/web/cache.d.ts'), 'utf8');
const cacheEntry = (dir) =>
  `import { WorkflowCache, bindCore } from '${gluePath(dir, 'cache.js')}';\nbindCore(guarded.CacheCore);\nexport { WorkflowCache };\n`;

// PerformanceMonitor, Profiler and track() are JS classes (src/web/monitor.js)
// over the wasm classes MonitorCore and ProfilerCore.
// The entry also instruments the package's public calls (operation
// tracking): classes are patched in place, free functions exported wrapped.
const monitorTypes = readFileSync(join(root, 'src/web/monitor.d.ts'), 'utf8');
const TRACKED_FUNCTIONS = ['optimizeWorkflow', 'layoutWorkflow', 'simplifyPolyline', 'workflowContentHash'];
const monitorEntry = (dir) =>
  `import { PerformanceMonitor, Profiler, track, activeOperations, configureTracking, bindMonitorCore, bindProfilerCore, instrument } from '${gluePath(dir, 'monitor.js')}';\n` +
  `bindMonitorCore(guarded.MonitorCore);\nbindProfilerCore(guarded.ProfilerCore);\n` +
  `const tracked = instrument(guarded);\n` +
  TRACKED_FUNCTIONS.map((f) => `export const ${f} = tracked.${f};\n`).join('') +
  `export { PerformanceMonitor, Profiler, track, activeOperations, configureTracking };\n`;

// setWorkflowAsync is JS (src/web/glue.js) over the wasm class's _load* methods,
// added before the guard so that a trap rejecting its promise is seen too.
const asyncEntry = (dir) =>
  `import { setWorkflowAsync } from '${gluePath(dir)}';\n` +
  `wasm.WorkflowOptimizer.prototype.setWorkflowAsync = function (workflow, options) { return setWorkflowAsync(this, workflow, options); };\n`;

/** The names a .d.ts exports: values (classes, functions, consts, enums) and types (interfaces, type aliases). */
function declaredNames(dts) {
  const values = new Set();
  const types = new Set();
  for (const m of dts.matchAll(/^export (?:declare )?(class|function|const|enum|interface|type) (\w+)/gm)) {
    (m[1] === 'interface' || m[1] === 'type' ? types : values).add(m[2]);
  }
  // An interface that merges into a class of the same name is exported with the class.
  return { values: [...values], types: [...types].filter((n) => !values.has(n)) };
}

// The wasm classes that WorkflowCache, PerformanceMonitor, Profiler and Renderer wrap: not part of the API.
const INTERNAL = new Set(['CacheCore', 'MonitorCore', 'ProfilerCore', 'SceneCore']);

// Renderer is a JS class (src/web/renderer.js, copied beside each entry) over
// the core's SceneCore and the GPU module, which it imports on first use.
const rendererTypes = readFileSync(join(root, 'src/web/renderer.d.ts'), 'utf8');
const rendererEntry = (gpuDir) =>
  `import { Renderer, bindRenderer } from './renderer.js';
` +
  `bindRenderer({ SceneCore: guarded.SceneCore, makeError, loadGpu: () => import('${gpuDir}/flowscale_gpu.js').then(async (m) => { await m.default(); return m; }) });
` +
  `guarded.Renderer = Renderer;
export { Renderer };
`;

function writeEntry(dir, realInit, gpuDir) {
  const glue = gluePath(dir);
  cpSync(join(root, 'src/web/renderer.js'), join(dir, 'renderer.js'));
  const generated = declaredNames(readFileSync(join(dir, 'flowscale.d.ts'), 'utf8'));
  // wasm-bindgen's own names, less the internals and the calls the monitor entry exports instrumented.
  // `__wbg_reset_state` stays inside: the guard below calls it after a trap.
  const values = generated.values.filter((n) => !INTERNAL.has(n) && !TRACKED_FUNCTIONS.includes(n) && n !== 'default' && !n.startsWith('__'));
  const types = generated.types.filter((n) => !INTERNAL.has(n));
  // Every export guarded against wasm traps (src/web/glue.js, guardExports); the web
  // build also recovers (a fresh instance), the bundler build only reports.
  const guardedNames = values.filter((n) => n !== 'initSync');
  const reexport =
    `import * as wasm from './flowscale.js';\nimport { guardExports, makeError } from '${glue}';\n${asyncEntry(dir)}` +
    `const guarded = guardExports(wasm${realInit ? ', wasm.__wbg_reset_state, () => wasm.initSync()' : ''});\n` +
    `export const { ${guardedNames.join(', ')} } = guarded;\n` +
    (values.includes('initSync') ? `export { initSync } from './flowscale.js';\n` : '');
  const entries = `${rendererEntry(gpuDir)}${cacheEntry(dir)}${monitorEntry(dir)}`;
  const js = realInit
    ? `import init from './flowscale.js';\n${reexport}export { FlowscaleError, toColumns, onTrap } from '${glue}';\n${entries}export default init;\n`
    : `${reexport}export { FlowscaleError, toColumns, onTrap } from '${glue}';\n${entries}/** The bundler build is ready once imported; \`await init()\` is accepted for code shared with the web build. */\nexport default async function init() {}\n`;
  writeFileSync(join(dir, 'index.js'), js);
  const dtsNames = `export { ${[...values, ...TRACKED_FUNCTIONS].join(', ')} } from './flowscale';\nexport type { ${types.join(', ')} } from './flowscale';\n`;
  const dts = realInit
    ? `${dtsNames}export { default } from './flowscale';\n${glueTypes}${rendererTypes}${cacheTypes}${monitorTypes}`
    : `${dtsNames}export default function init(_?: unknown): Promise<void>;\n${glueTypes}${rendererTypes}${cacheTypes}${monitorTypes}`;
  writeFileSync(join(dir, 'index.d.ts'), dts);
}

/** The `webpack` and `node` conditions, and the subpaths (see the top of this file). */
function writeConditionsAndSubpaths(pkg) {
  writeFileSync(
    join(pkg, 'auto.js'),
    `// webpack's entry: the web build, its .wasm found by \`new URL(…, import.meta.url)\` and\n` +
      `// instantiated here with top-level await, so no \`experiments\` setting is needed.\n` +
      `import init from './web/index.js';\nawait init();\nexport * from './web/index.js';\nexport { default } from './web/index.js';\n`,
  );
  writeFileSync(
    join(pkg, 'node.js'),
    `// Node's entry: the web build instantiated from the .wasm file beside it.\n` +
      `import { readFileSync } from 'node:fs';\nimport init from './web/index.js';\n` +
      `await init({ module_or_path: readFileSync(new URL('./web/flowscale_bg.wasm', import.meta.url)) });\n` +
      `export * from './web/index.js';\nexport { default } from './web/index.js';\n`,
  );
  const sameTypes = `export * from './web/index.js';\nexport { default } from './web/index.js';\n`;
  writeFileSync(join(pkg, 'auto.d.ts'), sameTypes);
  writeFileSync(join(pkg, 'node.d.ts'), sameTypes);
  for (const [name, dts] of [
    ['cache', cacheTypes],
    ['monitor', monitorTypes],
  ]) {
    const { values, types } = declaredNames(dts);
    writeFileSync(join(pkg, `${name}.js`), `export { ${values.join(', ')} } from 'flowscale';\n`);
    writeFileSync(join(pkg, `${name}.d.ts`), `export { ${values.join(', ')} } from 'flowscale';\nexport type { ${types.join(', ')} } from 'flowscale';\n`);
  }
}

const pkg = join(root, 'pkg');
const webTmp = join(root, 'target/pkg-web');
rmSync(webTmp, { recursive: true, force: true });
wasmPack('bundler', pkg);
bindgenWeb(webTmp);
rmSync(join(pkg, 'web'), { recursive: true, force: true });
cpSync(webTmp, join(pkg, 'web'), { recursive: true });
for (const f of ['package.json', '.gitignore', 'README.md', 'LICENSE']) rmSync(join(pkg, 'web', f), { force: true });
writeEntry(pkg, false, './gpu');
writeEntry(join(pkg, 'web'), true, '../gpu');
buildGpu(join(pkg, 'gpu'));

writeConditionsAndSubpaths(pkg);

const meta = JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8'));
meta.main = 'index.js';
meta.module = 'index.js';
meta.types = 'index.d.ts';
const shipped = ['index.js', 'index.d.ts', 'renderer.js', 'auto.js', 'auto.d.ts', 'node.js', 'node.d.ts', 'cache.js', 'cache.d.ts', 'monitor.js', 'monitor.d.ts'];
meta.files = [...new Set([...(meta.files ?? []), ...shipped, 'snippets', 'web', 'gpu'])];
// Modules that run code at import: the wasm instantiation, the entries that patch and bind
// classes, the JS halves (snippets). The subpaths only re-export.
meta.sideEffects = ['./flowscale.js', './flowscale_bg.js', './index.js', './auto.js', './node.js', './snippets/*', './web/*', './gpu/*'];
const entry = (base) => ({ types: `./${base}.d.ts`, import: `./${base}.js`, default: `./${base}.js` });
meta.exports = {
  '.': { types: './index.d.ts', webpack: './auto.js', node: './node.js', import: './index.js', default: './index.js' },
  './web': entry('web/index'),
  './cache': entry('cache'),
  './monitor': entry('monitor'),
  './flowscale_bg.wasm': './flowscale_bg.wasm',
  './web/flowscale_bg.wasm': './web/flowscale_bg.wasm',
  './gpu/flowscale_gpu_bg.wasm': './gpu/flowscale_gpu_bg.wasm',
  './package.json': './package.json',
};
writeFileSync(join(pkg, 'package.json'), JSON.stringify(meta, null, 2) + '\n');
console.log('built pkg/ (bundler) and pkg/web/ (web)');

// ---- flowscale/react: the React Flow adapter ----------------------------------
// src/web/react/ (TypeScript) compiled by tsc into pkg/react/, checked against
// the pkg/index.d.ts written above. Its JS imports the package by its own name
// ('flowscale'), so a bundler resolves it to the same install: one wasm instance.
function buildReact() {
  const out = join(pkg, 'react');
  rmSync(out, { recursive: true, force: true });
  execFileSync('tsc', ['-p', join(root, 'src/web/react/tsconfig.json')], { cwd: root, env, stdio: 'inherit' });
  const meta = JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8'));
  meta.files = [...new Set([...(meta.files ?? []), 'react'])];
  meta.exports = { ...meta.exports, './react': entry('react/index') };
  meta.peerDependencies = { ...meta.peerDependencies, react: '>=18', '@xyflow/react': '^12' };
  meta.peerDependenciesMeta = { ...meta.peerDependenciesMeta, react: { optional: true }, '@xyflow/react': { optional: true } };
  writeFileSync(join(pkg, 'package.json'), JSON.stringify(meta, null, 2) + '\n');
  console.log('built pkg/react/ (flowscale/react)');
}
buildReact();
