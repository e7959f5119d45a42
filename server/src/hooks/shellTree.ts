// A bash syntax tree copied out of tree-sitter into plain objects, once per script text. The hook analyses walk a
// script once for every hook with that text, and a fleet's machines share a few hook texts: walking tree-sitter's own
// nodes calls into WebAssembly for every property of every node, each time. The copy keeps what the analyses ask
// (shellScript.ts): types, offsets, named children, parents, and the `name` and `argument` fields. The wasm tree is
// deleted as soon as it is copied, so nothing of it outlives the parse.
import { parseBash } from '../parsing/parser';
import type { Node } from '../parsing/parser';

// Most nodes have no argument fields: they share one empty list.
const NO_NODES: readonly ShellNode[] = Object.freeze([]);

export class ShellNode {
  namedChildren: readonly ShellNode[] = NO_NODES;
  /** The `name` field (of a command, a function definition, a variable assignment). */
  name: ShellNode | undefined;
  /** The `argument` fields of a command, in order; some are anonymous tokens (`$`, `==`), as tree-sitter-bash has it. */
  arguments: readonly ShellNode[] = NO_NODES;

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
    const top = tree.rootNode;
    const root = new ShellNode(top.type, top.startIndex, top.endIndex, undefined, text);
    // A loop, not recursion: a script nested thousands deep (`$( $( … ) )`) must not overflow the stack here. A node's
    // copies of its children are made with it, so its fields can point at them; their own children come later.
    const todo: Array<[Node, ShellNode]> = [[top, root]];
    for (let next = todo.pop(); next; next = todo.pop()) {
      const [node, out] = next;
      const made = (n: Node): ShellNode => {
        const c = new ShellNode(n.type, n.startIndex, n.endIndex, out, text);
        todo.push([n, c]);
        return c;
      };
      const children = node.namedChildren.filter((n): n is Node => n !== null);
      if (children.length > 0) out.namedChildren = children.map(made);
      if (!NAMED_FIELD.has(out.type)) continue;
      // A field's node is one of the named children, except anonymous tokens, which are copied on their own.
      const field = (n: Node): ShellNode => out.namedChildren[children.findIndex((c) => c.id === n.id)] ?? made(n);
      const name = node.childForFieldName('name');
      if (name) out.name = field(name);
      if (out.type === 'command') {
        out.arguments = node.childrenForFieldName('argument').flatMap((arg) => (arg ? [field(arg)] : []));
      }
    }
    return { root, hasError: top.hasError };
  } finally {
    tree.delete();
  }
}
