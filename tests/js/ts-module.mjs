// Import one of the demo's TypeScript modules in Node: transpiled with the
// project's own compiler into a temporary file, each [from, to] replacement
// applied to its source first (to point an import at something Node can load).
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ts from 'typescript';

export async function importTs(url, replacements = []) {
  let src = readFileSync(url, 'utf8');
  for (const [from, to] of replacements) src = src.replace(from, to);
  const file = join(mkdtempSync(join(tmpdir(), 'flowscale-ts-')), 'module.mjs');
  writeFileSync(file, ts.transpileModule(src, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText);
  return import(file);
}
