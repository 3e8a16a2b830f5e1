// Converts Node-RED example flows shipped in npm packages into the React Flow
// JSON of tests/fixtures/node-red/flows.jsonl (see the README there).
//
//   node scripts/node-red-fixtures.mjs DIR...   (each DIR an unpacked `npm pack`, with package/package.json)
//
// One workflow per flow tab (`z`) of each example file. Kept: every node with
// a position (x, y are Node-RED's centres; React Flow's position is the top
// left corner), comments as unconnected nodes. Dropped: tabs, subflow
// definitions, config nodes (no position), groups (a box drawn around other
// nodes) and the virtual wires of link nodes (`links`, drawn only on select).
// Each output port i of `wires` becomes edges with sourceHandle `out-<i>`,
// into the target's one input handle `in`. Sizes as Node-RED's editor draws
// them: 100 wide at least, else the label (about 7 px a character) plus 50
// for icon and padding, rounded up to 20; 30 high, or 15 per port when a node
// has more than two ports on one side; link nodes and junctions are small.
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const OUT = new URL('../tests/fixtures/node-red/flows.jsonl', import.meta.url).pathname;
const MIN_NODES = 8, MAX_NODES = 80;

function jsonFiles(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...jsonFiles(p));
    else if (name.endsWith('.json')) out.push(p);
  }
  return out;
}

function size(n, outputs, inputs) {
  if (n.type === 'junction') return { width: 10, height: 10 };
  if (n.type.startsWith('link ')) return { width: 30, height: 30 };
  const label = String(n.name || n.label || n.type);
  const width = Math.max(100, 20 * Math.ceil((label.length * 7 + 50 + (inputs ? 7 : 0)) / 20));
  return { width, height: Math.max(30, 15 * Math.max(outputs, inputs)) };
}

const rows = [];
const sources = [];
for (const dir of process.argv.slice(2)) {
  const pkg = JSON.parse(readFileSync(join(dir, 'package/package.json'), 'utf8'));
  if (!/^(MIT|Apache-2\.0|BSD-[23]-Clause)$/.test(pkg.license)) { console.error(`skipped ${pkg.name}: licence ${pkg.license}`); continue; }
  let kept = 0;
  for (const file of jsonFiles(join(dir, 'package/examples'))) {
    let flow;
    try { flow = JSON.parse(readFileSync(file, 'utf8')); } catch { continue; }
    if (!Array.isArray(flow)) continue;
    const placed = flow.filter((n) => n && typeof n.id === 'string' && typeof n.type === 'string' && Number.isFinite(n.x) && Number.isFinite(n.y)
      && n.type !== 'group' && n.type !== 'tab' && n.type !== 'subflow');
    const tabs = new Map();
    for (const n of placed) { const z = n.z ?? ''; if (!tabs.has(z)) tabs.set(z, []); tabs.get(z).push(n); }
    for (const [z, nodes] of tabs) {
      if (nodes.length < MIN_NODES || nodes.length > MAX_NODES) continue;
      const ids = new Set(nodes.map((n) => n.id));
      const targeted = new Set();
      for (const n of nodes) for (const port of n.wires ?? []) for (const t of port ?? []) if (ids.has(t)) targeted.add(t);
      const edges = [];
      const out = nodes.map((n) => {
        const outputs = Array.isArray(n.wires) ? n.wires.length : 0;
        const inputs = targeted.has(n.id) || (n.type !== 'comment' && n.type !== 'inject' && !/ in$/.test(n.type) && outputs === 0) ? 1 : 0;
        const { width, height } = size(n, outputs, inputs);
        const handles = [];
        if (inputs) handles.push({ id: 'in', type: 'target', position: 'left', x: -5, y: height / 2 - 5, width: 10, height: 10 });
        for (let i = 0; i < outputs; i++) {
          handles.push({ id: `out-${i}`, type: 'source', position: 'right', x: width - 5, y: height / 2 - ((outputs - 1) / 2) * 13 + 13 * i - 5, width: 10, height: 10 });
        }
        (n.wires ?? []).forEach((port, i) => {
          for (const t of port ?? []) if (ids.has(t) && t !== undefined) edges.push({ id: `e${edges.length}`, source: n.id, target: t, sourceHandle: `out-${i}`, targetHandle: 'in' });
        });
        const data = { label: String(n.name || n.type) };
        if (n.type === 'comment') data.comment = true;
        return { id: n.id, type: n.type, position: { x: n.x - width / 2, y: n.y - height / 2 }, width, height, data, handles };
      });
      if (!edges.length) continue;
      const name = relative(join(dir, 'package/examples'), file).replace(/\.json$/, '');
      rows.push(JSON.stringify({ id: `${pkg.name}/${name}${tabs.size > 1 ? `#${z}` : ''}`, source: 'node-red', package: pkg.name, version: pkg.version, nodes: out, edges }));
      kept++;
    }
  }
  sources.push(`${pkg.name}@${pkg.version} (${pkg.license}): ${kept} flows`);
}
writeFileSync(OUT, rows.join('\n') + '\n');
console.error(sources.join('\n'));
console.error(`${rows.length} flows → ${OUT}`);
