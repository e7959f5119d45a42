// Folding and selection ranges straight from the syntax tree.
import type { FoldingRange, SelectionRange } from 'vscode-languageserver-types';
import { rangeOfNode, Position } from '../model/range';
import type { SourceFile } from '../model/sourceFile';
import type { Node } from '../parsing/parser';

const FOLDABLE = new Set([
  'attrset_expression',
  'rec_attrset_expression',
  'list_expression',
  'indented_string_expression',
  'let_expression',
  'function_expression',
  'parenthesized_expression',
]);

export function foldingRanges(file: SourceFile): FoldingRange[] {
  const out: FoldingRange[] = [];
  if (!file.tree) return out;
  const stack: Node[] = [file.tree.rootNode];
  let commentStart = -1;
  let commentEnd = -1;
  while (stack.length) {
    const n = stack.pop()!;
    const start = n.startPosition.row;
    const end = n.endPosition.row;
    // The closing line stays visible, as VS Code does for braces.
    if (FOLDABLE.has(n.type) && end - 1 > start) out.push({ startLine: start, endLine: end - 1 });
    if (n.type === 'comment') {
      // Consecutive line comments fold as one block.
      if (start === commentEnd + 1) commentEnd = end;
      else {
        if (commentEnd > commentStart && commentStart >= 0)
          out.push({ startLine: commentStart, endLine: commentEnd, kind: 'comment' });
        commentStart = start;
        commentEnd = end;
      }
    }
    for (let i = n.namedChildCount - 1; i >= 0; i--) {
      const c = n.namedChild(i);
      if (c) stack.push(c);
    }
  }
  if (commentEnd > commentStart && commentStart >= 0)
    out.push({ startLine: commentStart, endLine: commentEnd, kind: 'comment' });
  return out;
}

export function selectionRanges(file: SourceFile, positions: Position[]): SelectionRange[] {
  return positions.map((p) => {
    const offset = file.lines.offsetAt(p);
    let node: Node | null = file.tree?.rootNode.descendantForIndex(offset, offset) ?? null;
    const chain: SelectionRange[] = [];
    for (; node; node = node.parent) {
      const range = rangeOfNode(node);
      const last = chain[chain.length - 1];
      if (
        last &&
        last.range.start.line === range.start.line &&
        last.range.start.character === range.start.character &&
        last.range.end.line === range.end.line &&
        last.range.end.character === range.end.character
      )
        continue;
      chain.push({ range });
    }
    let parent: SelectionRange | undefined;
    for (let i = chain.length - 1; i >= 0; i--) {
      const sr: SelectionRange = parent ? { range: chain[i]!.range, parent } : { range: chain[i]!.range };
      parent = sr;
    }
    return parent ?? { range: { start: p, end: p } };
  });
}
