// The floor under `check`'s time, run by bench.ts as a process of its own: what any analysis of a file on this stack
// pays before it reads one value. `parse`: Node's start, the grammars' WebAssembly and one tree-sitter parse. `walk`:
// that, then one visit of every named node, asking each for its type and offsets only (the least the reader needs,
// through web-tree-sitter's batched `namedChildren`). Run with `--liftoff-only`, as the CLI runs `check`.
import { readFileSync } from 'node:fs';
import type { Node } from '../../server/src/parsing/parser';
import { initParsing, parseNix } from '../../server/src/parsing/parser';

async function main(): Promise<void> {
  const [file, mode] = process.argv.slice(2);
  if (!file || (mode !== 'parse' && mode !== 'walk')) throw new Error('usage: parseFloor.js FILE parse|walk');
  await initParsing();
  const tree = parseNix(readFileSync(file, 'utf8'));
  if (mode === 'parse') return;
  let nodes = 0;
  let sum = 0;
  const visit = (node: Node): void => {
    nodes++;
    sum += node.startIndex + node.endIndex + node.type.length;
    for (const child of node.namedChildren) if (child) visit(child);
  };
  visit(tree.rootNode);
  // Printed, so that no engine can drop the walk as unused.
  process.stdout.write(`${nodes} named nodes (${sum})\n`);
}

void main();
