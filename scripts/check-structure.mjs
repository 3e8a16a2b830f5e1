#!/usr/bin/env node
// The crate's two structural rules, checked from the sources (npm test runs
// this before building anything):
//
// 1. Browser APIs only under src/web/: no other file under src/ names
//    web_sys, js_sys or wasm_bindgen, so the core builds and is tested natively.
// 2. No module cycles: the `crate::` paths between the top-level modules of
//    src/ form a graph without cycles (test code included, so a test cannot
//    quietly pull a module upwards).
//
// Exits 1 with every violation listed.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(fileURLToPath(new URL('.', import.meta.url)), '..', 'src');
const BROWSER = /\b(web_sys|js_sys|wasm_bindgen)\b/;

function* rustFiles(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* rustFiles(path);
    else if (name.endsWith('.rs')) yield path;
  }
}

// Comments are stripped first: a comment may mention a crate without using it.
const code = (text) => text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');

const topModule = (rel) => rel.split(sep)[0].replace(/\.rs$/, '');
const modules = new Set(
  readdirSync(root)
    .map((name) => name.replace(/\.rs$/, ''))
    .filter((name) => name !== 'lib'),
);

const problems = [];
const deps = new Map([...modules].map((m) => [m, new Map()])); // module → (dep → first file)

for (const path of rustFiles(root)) {
  const rel = relative(root, path);
  const text = code(readFileSync(path, 'utf8'));
  const lines = text.split('\n');
  if (!rel.startsWith(`web${sep}`)) {
    lines.forEach((line, i) => {
      const hit = BROWSER.exec(line);
      if (hit) problems.push(`src/${rel}:${i + 1}: names ${hit[1]} outside src/web/`);
    });
  }
  const from = topModule(rel);
  if (!deps.has(from)) continue; // lib.rs
  const named = new Set();
  for (const m of text.matchAll(/crate::(\w+)/g)) named.add(m[1]);
  for (const m of text.matchAll(/crate::\{([^}]*)\}/g)) {
    for (const item of m[1].matchAll(/(?:^|,)\s*(\w+)/g)) named.add(item[1]);
  }
  for (const to of named) {
    if (to !== from && modules.has(to) && !deps.get(from).has(to)) deps.get(from).set(to, `src/${rel}`);
  }
}

// Tarjan's strongly connected components; every component of more than one
// module is a cycle.
let counter = 0;
const index = new Map();
const low = new Map();
const stack = [];
const onStack = new Set();
const cycles = [];
function visit(v) {
  index.set(v, counter);
  low.set(v, counter++);
  stack.push(v);
  onStack.add(v);
  for (const w of deps.get(v).keys()) {
    if (!index.has(w)) {
      visit(w);
      low.set(v, Math.min(low.get(v), low.get(w)));
    } else if (onStack.has(w)) {
      low.set(v, Math.min(low.get(v), index.get(w)));
    }
  }
  if (low.get(v) === index.get(v)) {
    const component = [];
    let w;
    do {
      w = stack.pop();
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1) cycles.push(component.sort());
  }
}
for (const m of [...modules].sort()) if (!index.has(m)) visit(m);

for (const component of cycles) {
  const inside = new Set(component);
  const edges = component.flatMap((from) =>
    [...deps.get(from)].filter(([to]) => inside.has(to)).map(([to, file]) => `  ${from} -> ${to} (${file})`),
  );
  problems.push(`module cycle among ${component.join(', ')}:\n${edges.join('\n')}`);
}

if (problems.length) {
  console.error(problems.join('\n'));
  process.exit(1);
}
console.log(`structure: browser APIs only in src/web/; ${modules.size} modules, no cycles`);
