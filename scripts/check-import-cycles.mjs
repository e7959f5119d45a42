#!/usr/bin/env node
// Import cycles among the TypeScript sources, type-only imports included. ESLint's import-x/no-cycle skips
// `import type`, but a type cycle still ties two modules together: neither can be understood, moved or split alone.
// Run by `npm run lint`; exits 1 and names each cycle's modules.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const files = [];
const walk = (dir) => {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (p.endsWith('.ts')) files.push(p);
  }
};
['server/src', 'client/src', 'shared'].forEach((d) => walk(join(ROOT, d)));

function target(from, spec) {
  const base = resolve(dirname(from), spec);
  return [`${base}.ts`, join(base, 'index.ts')].find((p) => existsSync(p));
}

const graph = new Map();
for (const f of files) {
  const text = readFileSync(f, 'utf8');
  const specs = [...text.matchAll(/^(?:import|export)\b[^;]*?\bfrom\s+'(\.[^']+)'/gms)].map((m) => m[1]);
  graph.set(f, [...new Set(specs.map((s) => target(f, s)).filter(Boolean))]);
}

// Tarjan's strongly connected components: every component of more than one module is a cycle.
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
  for (const w of graph.get(v)) {
    if (!index.has(w)) {
      visit(w);
      low.set(v, Math.min(low.get(v), low.get(w)));
    } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), index.get(w)));
  }
  if (low.get(v) !== index.get(v)) return;
  const component = [];
  let w;
  do {
    w = stack.pop();
    onStack.delete(w);
    component.push(relative(ROOT, w));
  } while (w !== v);
  if (component.length > 1) cycles.push(component.sort());
}
for (const v of graph.keys()) if (!index.has(v)) visit(v);

if (cycles.length === 0) {
  console.log(`import cycles: none among ${files.length} modules (type imports included)`);
} else {
  for (const c of cycles) console.error(`import cycle: ${c.join(' ↔ ')}`);
  process.exit(1);
}
