// Following what a clan's values point to without evaluating: literal `import ./x.nix`, `imports = [ ./x.nix ]`,
// `//` and `lib.recursiveUpdate` of literal attribute sets, and the `lib.mkForce`-style priority wrappers. Whatever
// cannot be followed stays opaque.

import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Node } from '../parsing/parser';
import { AttrEntry, AttrsValue, FunctionValue, ListValue, NixValue, OpaqueValue, Priority } from './nixValue';
import { readValue } from './valueReader';
import { rangeOfNode } from './range';
import type { SourceFile } from './sourceFile';
import { flattenApply } from './clanDefinitions';

// ---- following imports and merges ----

export interface FileLoader {
  /** The parsed Nix file at an absolute path, or undefined when it does not exist or cannot be read. */
  loadNix(path: string): SourceFile | undefined;
  /** Whether an absolute path is a directory (a path import of a directory means its default.nix). */
  isDirectory(path: string): boolean;
}

const PRIORITY: Record<string, Priority> = {
  mkForce: 'force',
  'lib.mkForce': 'force',
  mkDefault: 'default',
  'lib.mkDefault': 'default',
  mkOptionDefault: 'default',
  'lib.mkOptionDefault': 'default',
};
const RECURSIVE_UPDATE = /(^|\.)recursiveUpdate$/;

/**
 * Inlines what can be read without evaluation: `import <literal path>` (with or without arguments: a function's
 * body is read as its value, as everywhere in the model), `a // b` and `recursiveUpdate a b` when both sides are
 * literal attrsets after inlining. Values are copied where they change; the loaded files are never modified.
 */
export class Resolver {
  /** Every file read while resolving, by URI (the model needs them for ranges and syntax errors). */
  readonly files = new Map<string, SourceFile>();
  /** Absolute paths that were looked for (found or not): a change to any of them changes the result. */
  readonly touched = new Set<string>();
  private readonly resolvedRoots = new Map<string, NixValue>();
  private readonly importing = new Set<string>();

  constructor(private readonly loader: FileLoader) {}

  addFile(file: SourceFile): void {
    this.files.set(file.uri, file);
  }

  /** The file a path literal denotes, relative to the file it is written in; a directory means its default.nix. */
  pathTarget(v: NixValue): string | undefined {
    if (v.kind !== 'path') return undefined;
    const text = v.text;
    if (!text.startsWith('./') && !text.startsWith('../') && !text.startsWith('/') && text !== '.' && text !== '..')
      return undefined;
    if (!v.uri.startsWith('file:')) return undefined;
    let p = text.startsWith('/') ? text : resolve(dirname(fileURLToPath(v.uri)), text);
    this.touched.add(p);
    if (this.loader.isDirectory(p)) {
      p = join(p, 'default.nix');
      this.touched.add(p);
    }
    return p;
  }

  /** A file's value with its imports and merges inlined; undefined when it is missing, broken or an import cycle. */
  loadModule(path: string): { file: SourceFile; value: NixValue } | undefined {
    const file = this.loader.loadNix(path);
    if (!file || file.syntaxProblems.length) {
      if (file) this.files.set(file.uri, file);
      return undefined;
    }
    this.files.set(file.uri, file);
    const done = this.resolvedRoots.get(path);
    if (done) return { file, value: done };
    if (this.importing.has(path)) return undefined;
    this.importing.add(path);
    try {
      const value = this.resolve(file.root);
      this.resolvedRoots.set(path, value);
      return { file, value };
    } finally {
      this.importing.delete(path);
    }
  }

  /** `v` with every resolvable import and merge inlined (copy-on-write). */
  resolve(v: NixValue): NixValue {
    if (!this.mayNeedResolving(v.uri)) return v;
    switch (v.kind) {
      case 'opaque': {
        if (v.reason !== 'call' && v.reason !== 'operator') return v;
        const node = this.nodeOf(v);
        const r = node ? this.resolveNode(node, v.uri) : undefined;
        return r ?? v;
      }
      case 'attrs': {
        let changed: Map<string, AttrEntry> | undefined;
        for (const [k, e] of v.entries) {
          const r = this.resolve(e.value);
          if (r !== e.value) (changed ??= new Map(v.entries)).set(k, { ...e, value: r });
        }
        return changed ? { ...v, entries: changed } : v;
      }
      case 'list': {
        const items = v.items.map((i) => this.resolve(i));
        return items.some((x, i) => x !== v.items[i]) ? ({ ...v, items } as ListValue) : v;
      }
      case 'function': {
        const body = this.resolve(v.body);
        return body !== v.body ? ({ ...v, body } as FunctionValue) : v;
      }
      default:
        return v;
    }
  }

  private mayNeedResolving(uri: string): boolean {
    const f = this.files.get(uri);
    // Without the file there is no syntax tree to look at.
    if (!f) return false;
    let m = needsCache.get(f);
    if (m === undefined) needsCache.set(f, (m = /\bimport\b|\/\/|recursiveUpdate/.test(f.text)));
    return m;
  }

  private nodeOf(v: OpaqueValue): Node | undefined {
    const tree = this.files.get(v.uri)?.tree;
    if (!tree) return undefined;
    const start = { row: v.range.start.line, column: v.range.start.character };
    const end = { row: v.range.end.line, column: v.range.end.character };
    let n: Node | null = tree.rootNode.descendantForPosition(start, end);
    // The smallest node spanning the range may be a child with the same extent; take the outermost of those.
    while (n && n.parent && samePos(n.parent.startPosition, start) && samePos(n.parent.endPosition, end)) n = n.parent;
    while (n && n.type === 'parenthesized_expression' && n.namedChildCount === 1) n = n.namedChild(0);
    return n ?? undefined;
  }

  private valueOf(node: Node, uri: string): NixValue {
    const file = this.files.get(uri)!;
    return this.resolve(readValue(node, uri, file.text));
  }

  private resolveNode(node: Node, uri: string): NixValue | undefined {
    if (node.type === 'binary_expression') {
      if (node.childForFieldName('operator')?.text !== '//') return undefined;
      const l = node.childForFieldName('left');
      const r = node.childForFieldName('right');
      if (!l || !r) return undefined;
      const a = this.valueOf(l, uri);
      const b = this.valueOf(r, uri);
      if (a.kind !== 'attrs' || b.kind !== 'attrs' || a.priority || b.priority) return undefined;
      // `//` is shallow: the right side's keys replace the left's.
      const entries = new Map(a.entries);
      for (const [k, e] of b.entries) entries.set(k, e);
      return {
        kind: 'attrs',
        uri,
        range: rangeOfNode(node),
        entries,
        dynamicKeys: a.dynamicKeys || b.dynamicKeys,
        implicit: false,
      };
    }
    if (node.type !== 'apply_expression') return undefined;
    const { head, args } = flattenApply(node);
    if ((head === 'import' || head === 'builtins.import') && args.length >= 1) {
      const target = this.pathTarget(readValue(args[0]!, uri, this.files.get(uri)!.text));
      const loaded = target ? this.loadModule(target) : undefined;
      if (!loaded) return undefined;
      // `import ./f.nix args`: the file must be a function; its body stands for the result.
      if (args.length > 1 && loaded.value.kind !== 'function') return undefined;
      return loaded.value;
    }
    if (RECURSIVE_UPDATE.test(head) && args.length === 2) {
      const a = this.valueOf(args[0]!, uri);
      const b = this.valueOf(args[1]!, uri);
      if (a.kind !== 'attrs' || b.kind !== 'attrs' || a.priority || b.priority) return undefined;
      return recursiveUpdate(a, b);
    }
    const priority = PRIORITY[head];
    if (priority && args.length === 1) {
      const inner = this.valueOf(args[0]!, uri);
      if (inner.kind === 'opaque') return undefined;
      return { ...inner, priority, range: rangeOfNode(node) };
    }
    return undefined;
  }
}

const needsCache = new WeakMap<SourceFile, boolean>();

function samePos(a: { row: number; column: number }, b: { row: number; column: number }): boolean {
  return a.row === b.row && a.column === b.column;
}

/**
 * nixpkgs' `recursiveUpdate`: recurse while both sides are attrsets, otherwise the right side wins. Where one side
 * is opaque it is unknown whether recursion happens, so the result there is opaque.
 */
export function recursiveUpdate(a: AttrsValue, b: AttrsValue): AttrsValue {
  const entries = new Map(a.entries);
  for (const [k, eb] of b.entries) {
    const ea = entries.get(k);
    if (!ea) {
      entries.set(k, eb);
      continue;
    }
    const va = ea.value;
    const vb = eb.value;
    if (va.kind === 'attrs' && vb.kind === 'attrs' && !va.priority && !vb.priority) {
      entries.set(k, { ...ea, value: recursiveUpdate(va, vb) });
    } else if (va.kind === 'opaque' || vb.kind === 'opaque' || va.priority || vb.priority) {
      const unknown: OpaqueValue = { kind: 'opaque', reason: 'operator', text: '', uri: vb.uri, range: vb.range };
      entries.set(k, { ...eb, value: unknown });
    } else {
      entries.set(k, eb);
    }
  }
  return { ...a, entries, dynamicKeys: a.dynamicKeys || b.dynamicKeys };
}
