// A bash syntax tree copied out of tree-sitter into plain objects, once per script text. The hook analyses walk a
// script once for every hook with that text, and a fleet's machines share a few hook texts: walking tree-sitter's own
// nodes calls into WebAssembly for every property of every node, each time. The copy keeps what the analyses ask
// (shellScript.ts): types, offsets, named children, parents, and the `name` and `argument` fields. The wasm tree is
// deleted as soon as it is copied, so nothing of it outlives the parse.
import { parseBash } from '../parsing/parser';
import type { Node } from '../parsing/parser';

export class ShellNode {
  namedChildren: ShellNode[] = [];
  /** The `name` field (of a command, a function definition, a variable assignment). */
  name: ShellNode | undefined;
  /** The `argument` fields of a command, in order; some are anonymous tokens (`$`, `==`), as tree-sitter-bash has it. */
  arguments: ShellNode[] = [];

  constructor(
    readonly type: string,
    readonly startIndex: number,
    readonly endIndex: number,
    readonly parent: ShellNode | undefined,
    private readonly source: string,
  ) {}

  get text(): string {
    return this.source.slice(this.startIndex, this.endIndex);
  }

  get firstNamedChild(): ShellNode | undefined {
    return this.namedChildren[0];
  }
}

export interface ShellTree {
  root: ShellNode;
  /** tree-sitter found a syntax error somewhere in the script. */
  hasError: boolean;
}

// Only these node types have fields the analyses read.
const NAMED_FIELD = new Set(['command', 'function_definition', 'variable_assignment']);

/** Parses `text` as bash and copies the tree. */
export function shellTreeOf(text: string): ShellTree {
  const tree = parseBash(text);
  try {
    return { root: copy(tree.rootNode, undefined, text), hasError: tree.rootNode.hasError };
  } finally {
    tree.delete();
  }
}

function copy(node: Node, parent: ShellNode | undefined, text: string): ShellNode {
  const out = new ShellNode(node.type, node.startIndex, node.endIndex, parent, text);
  const fields = NAMED_FIELD.has(out.type);
  const ids: number[] = [];
  for (const child of node.namedChildren) {
    if (!child) continue;
    out.namedChildren.push(copy(child, out, text));
    if (fields) ids.push(child.id);
  }
  if (fields) {
    // A field's node is one of the named children, except anonymous tokens, which are copied on their own.
    const field = (n: Node): ShellNode => out.namedChildren[ids.indexOf(n.id)] ?? copy(n, out, text);
    const name = node.childForFieldName('name');
    if (name) out.name = field(name);
    if (out.type === 'command') {
      for (const arg of node.childrenForFieldName('argument')) if (arg) out.arguments.push(field(arg));
    }
  }
  return out;
}
