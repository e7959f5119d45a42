// Reads Nix syntax trees into values (nixValue.ts) without evaluating anything: literals with their source ranges,
// attribute sets with their bindings merged as Nix merges them, and `opaque` for whatever needs evaluation.
import type { Node } from '../parsing/parser';
import { decodePlainString, readString } from './nixStrings';
import type { AttrEntry, AttrsValue, DuplicateAttr, NixValue, OpaqueValue, Priority } from './nixValue';
import { Range, rangeOfNode } from './range';

const PRIORITY_WRAPPERS: Record<string, Priority> = {
  mkForce: 'force',
  'lib.mkForce': 'force',
  mkDefault: 'default',
  'lib.mkDefault': 'default',
  mkOverride: 'override',
  'lib.mkOverride': 'override',
  mkOptionDefault: 'default',
  'lib.mkOptionDefault': 'default',
};

/**
 * Nesting deeper than this (real configurations stay far below 50) is read as opaque: the reader recurses once per
 * level, and 10,000 levels of `{ a = …; }` or `[ … ]` would otherwise overflow the stack.
 */
export const MAX_READ_DEPTH = 200;

/**
 * The left-hand side of a binding `a.b.c = …;`: an edit among a thousand bindings of one attrset reads that attrset
 * again, and the attribute paths of the other bindings are most of that work (incrementalRead.ts keeps them).
 */
export interface BindingHead {
  length: number;
  line: number;
  character: number;
  /** Per segment: its name, or undefined for `${…}`. */
  names: Array<string | undefined>;
  keyRanges: Range[];
  range: Range;
}

/** Values read before, for reading an edited document again (incrementalRead.ts). */
export interface ReadReuse {
  /** The value of `node`: one read before, or `reader.readNode(node, type)`. */
  value(reader: ValueReader, node: Node, type: string): NixValue;
  /** The head of `binding`: one read before, or `read(binding)`. */
  bindingHead(binding: Node, read: (binding: Node) => BindingHead | undefined): BindingHead | undefined;
  /** Called once for each range this read creates, so that a reused value's ranges can be moved in place. */
  track(range: Range): void;
}

/** Reads any expression node. `text` is the whole document (UTF-16 indices match tree-sitter's). */
export function readValue(node: Node, uri: string, text: string): NixValue {
  return new ValueReader(uri, text).read(node);
}

/** readValue, plus the duplicate attribute definitions it met (which Nix reports as parse errors). */
export function readValueReporting(
  node: Node,
  uri: string,
  text: string,
): { value: NixValue; duplicates: DuplicateAttr[] } {
  const duplicates: DuplicateAttr[] = [];
  return { value: new ValueReader(uri, text, duplicates).read(node), duplicates };
}

/** One read of one document: its nesting depth, where duplicates go (if anywhere), and what it may reuse. */
export class ValueReader {
  private openReads = 0;

  constructor(
    readonly uri: string,
    readonly text: string,
    readonly duplicates?: DuplicateAttr[],
    private readonly reuse?: ReadReuse,
  ) {}

  read(node: Node): NixValue {
    if (this.openReads >= MAX_READ_DEPTH) return this.opaque(node, 'too-deep');
    this.openReads++;
    try {
      // Every property of a web-tree-sitter node but its id, start and start position is a call into WebAssembly:
      // the type is looked up once here and handed on.
      const type = node.type;
      return this.reuse ? this.reuse.value(this, node, type) : this.readNode(node, type);
    } finally {
      this.openReads--;
    }
  }

  /** How many reads are open: the node being read is this deep (nesting is cut at MAX_READ_DEPTH). */
  get depth(): number {
    return this.openReads;
  }

  /** A range of this read's output, handed to the reuse (if any) to be moved with the subtree it is in. */
  private tracked(range: Range): Range {
    this.reuse?.track(range);
    return range;
  }

  /** Reads `node` (of `type`) from the tree, its children through `read`. */
  readNode(node: Node, type: string): NixValue {
    const { uri, text } = this;
    // Tokens (numbers, names) take their range from their text, which they need anyway; see nodeSpan.
    switch (type) {
      case 'integer_expression':
      case 'float_expression': {
        const { source, range } = nodeSpan(node, text);
        this.tracked(range);
        return { kind: type === 'integer_expression' ? 'int' : 'float', value: Number(source), uri, range };
      }
      case 'variable_expression': {
        const { source: name, range } = nodeSpan(node, text);
        this.tracked(range);
        if (name === 'true' || name === 'false') return { kind: 'bool', value: name === 'true', uri, range };
        if (name === 'null') return { kind: 'null', uri, range };
        return { kind: 'opaque', reason: 'variable', text: name, uri, range };
      }
    }
    const range = this.tracked(rangeOfNode(node));
    switch (type) {
      case 'parenthesized_expression': {
        const inner = node.namedChildren.find((c) => c && c.type !== 'comment');
        return inner ? this.read(inner) : opaqueAt(node, uri, range, 'error');
      }
      case 'string_expression':
      case 'indented_string_expression': {
        const value = readString(node, type, uri, text, range);
        if (this.reuse) for (const p of value.pieces) if (p.kind === 'interpolation') this.tracked(p.range);
        return value;
      }
      case 'path_expression':
      case 'hpath_expression':
      case 'spath_expression':
        if (node.namedChildren.some((c) => c?.type === 'interpolation'))
          return opaqueAt(node, uri, range, 'interpolation');
        return { kind: 'path', text: nodeText(node, text), uri, range };
      case 'list_expression':
        return {
          kind: 'list',
          uri,
          range,
          items: node
            .childrenForFieldName('element')
            .filter(isNode)
            .map((c) => this.read(c)),
        };
      case 'attrset_expression':
      case 'rec_attrset_expression':
        return this.readAttrs(node, range);
      case 'function_expression': {
        const body = node.childForFieldName('body');
        return { kind: 'function', uri, range, body: body ? this.read(body) : opaqueAt(node, uri, range, 'error') };
      }
      case 'let_expression': {
        // The bindings are not resolved, but Nix rejects duplicates among them while parsing: look for those.
        if (this.duplicates) this.readAttrs(node, range);
        const body = node.childForFieldName('body');
        return body ? this.read(body) : opaqueAt(node, uri, range, 'error');
      }
      case 'with_expression':
      case 'assert_expression': {
        // Bindings introduced here are not resolved: the body is read as it is, and variables in it stay opaque.
        const body = node.childForFieldName('body');
        return body ? this.read(body) : opaqueAt(node, uri, range, 'error');
      }
      case 'apply_expression':
        return this.readApply(node);
      case 'if_expression':
        return opaqueAt(node, uri, range, 'conditional');
      case 'binary_expression':
      case 'unary_expression':
        return opaqueAt(node, uri, range, 'operator');
      case 'select_expression':
      case 'has_attr_expression':
        return opaqueAt(node, uri, range, 'select');
      default:
        return opaqueAt(node, uri, range, type === 'ERROR' ? 'error' : type);
    }
  }

  private opaque(node: Node, reason: string): OpaqueValue {
    return opaqueAt(node, this.uri, this.tracked(rangeOfNode(node)), reason);
  }

  /** `lib.mkForce x` and friends keep x's value and remember the priority; every other call is opaque. */
  private readApply(node: Node): NixValue {
    const fn = node.childForFieldName('function');
    const arg = node.childForFieldName('argument');
    if (fn && arg) {
      const name = fn.text.replace(/\s+/g, '');
      const priority = PRIORITY_WRAPPERS[name];
      if (priority) return { ...this.read(arg), priority, range: this.tracked(rangeOfNode(node)) };
      // `lib.mkOverride 50 x`: the function is itself an application of mkOverride to the number.
      if (fn.type === 'apply_expression') {
        const inner = fn.childForFieldName('function')?.text.replace(/\s+/g, '');
        if (inner === 'mkOverride' || inner === 'lib.mkOverride') {
          return { ...this.read(arg), priority: 'override', range: this.tracked(rangeOfNode(node)) };
        }
      }
    }
    return this.opaque(node, 'call');
  }

  private readAttrs(node: Node, range: Range): AttrsValue {
    const attrs: AttrsValue = {
      kind: 'attrs',
      uri: this.uri,
      range,
      entries: new Map(),
      dynamicKeys: false,
      implicit: false,
    };
    const bindings = node.namedChildren.find((c) => c?.type === 'binding_set');
    if (!bindings) return attrs;
    // Attrsets this read may change; any other (a value read before, possibly kept in a reuse cache) is copied first.
    const owned = new Set<AttrsValue>([attrs]);
    for (const b of bindings.namedChildren) {
      if (!b) continue;
      const type = b.type;
      if (type === 'binding') {
        const head = this.reuse
          ? this.reuse.bindingHead(b, (n) => bindingHead(n, this.text))
          : bindingHead(b, this.text);
        if (head) this.addBinding(attrs, b, head, owned);
      } else if (type === 'inherit' || type === 'inherit_from') this.addInherit(attrs, b);
    }
    return attrs;
  }

  private duplicate(range: Range, name: string): void {
    this.duplicates?.push({ range, name });
  }

  private addBinding(target: AttrsValue, binding: Node, head: BindingHead, owned: Set<AttrsValue>): void {
    const { names: segments, keyRanges } = head;
    // The dotted path, for messages about duplicates and merges (rare): not built for every binding.
    const path = () => segments.map((name) => name ?? '${…}').join('.');
    let current = target;
    for (let i = 0; i < segments.length; i++) {
      const name = segments[i];
      const keyRange = keyRanges[i]!;
      if (name === undefined) {
        current.dynamicKeys = true;
        return;
      }
      const last = i === segments.length - 1;
      const existing = current.entries.get(name);
      if (last) {
        const expr = binding.childForFieldName('expression');
        const value = expr ? this.read(expr) : this.opaque(binding, 'error');
        if (existing && existing.value.kind === 'attrs' && value.kind === 'attrs') {
          this.mergeInto(ownedCopy(current, existing, existing.value, owned), value, path(), owned);
        } else if (!existing) {
          current.entries.set(name, { name, keyRange, value, binding: head.range });
        } else {
          // A second, non-mergeable definition: Nix's parser rejects it; keep the first.
          this.duplicate(keyRange, path());
        }
        return;
      }
      if (existing) {
        if (existing.value.kind !== 'attrs') {
          this.duplicate(keyRange, path());
          return;
        }
        current = ownedCopy(current, existing, existing.value, owned);
      } else {
        const implicit: AttrsValue = {
          kind: 'attrs',
          uri: this.uri,
          range: head.range,
          entries: new Map(),
          dynamicKeys: false,
          implicit: true,
        };
        current.entries.set(name, { name, keyRange, value: implicit });
        owned.add(implicit);
        current = implicit;
      }
    }
  }

  /** Two attrset literals for one attribute merge (Nix allows it); a leaf defined in both is a duplicate. */
  private mergeInto(target: AttrsValue, source: AttrsValue, prefix: string, owned: Set<AttrsValue>): void {
    target.dynamicKeys ||= source.dynamicKeys;
    for (const [k, e] of source.entries) {
      const existing = target.entries.get(k);
      if (!existing) target.entries.set(k, e);
      else if (existing.value.kind === 'attrs' && e.value.kind === 'attrs') {
        this.mergeInto(ownedCopy(target, existing, existing.value, owned), e.value, `${prefix}.${k}`, owned);
      } else this.duplicate(e.keyRange, `${prefix}.${k}`);
    }
  }

  private addInherit(target: AttrsValue, node: Node): void {
    const attrs = node.childForFieldName('attrs');
    if (!attrs) return;
    for (const a of attrs.childrenForFieldName('attr').filter(isNode)) {
      const name = attrName(a);
      if (name === undefined) {
        target.dynamicKeys = true;
        continue;
      }
      if (!target.entries.has(name)) {
        target.entries.set(name, { name, keyRange: this.tracked(rangeOfNode(a)), value: this.opaque(a, 'variable') });
      } else {
        this.duplicate(this.tracked(rangeOfNode(a)), name);
      }
    }
  }
}

/** The binding's attribute path; undefined when it has none (a syntax error). */
function bindingHead(binding: Node, text: string): BindingHead | undefined {
  const path = binding.childForFieldName('attrpath');
  if (!path) return undefined;
  const segments = path.childrenForFieldName('attr').filter(isNode);
  const { row, column } = binding.startPosition;
  const names: Array<string | undefined> = [];
  const keyRanges: Range[] = [];
  for (const segment of segments) {
    if (segment.type === 'identifier') {
      const { source, range } = nodeSpan(segment, text);
      names.push(source);
      keyRanges.push(range);
    } else {
      names.push(attrName(segment));
      keyRanges.push(rangeOfNode(segment));
    }
  }
  const { source, range } = nodeSpan(binding, text);
  return { length: source.length, line: row, character: column, names, keyRanges, range };
}

/** The literal name of an attribute path segment, or undefined for `${…}` and interpolated strings. */
export function attrName(attr: Node): string | undefined {
  if (attr.type === 'identifier') return attr.text;
  if (attr.type === 'string_expression') {
    const parts = attr.namedChildren.filter(isNode);
    if (parts.some((p) => p.type === 'interpolation')) return undefined;
    return decodePlainString(parts);
  }
  return undefined;
}

function ownedCopy(parent: AttrsValue, entry: AttrEntry, value: AttrsValue, owned: Set<AttrsValue>): AttrsValue {
  if (owned.has(value)) return value;
  const copy: AttrsValue = { ...value, entries: new Map(value.entries) };
  owned.add(copy);
  parent.entries.set(entry.name, { ...entry, value: copy });
  return copy;
}

function isNode(n: Node | null): n is Node {
  return n !== null;
}

function opaqueAt(node: Node, uri: string, range: Range, reason: string): OpaqueValue {
  return { kind: 'opaque', reason, text: node.text, uri, range };
}

/** A node's source text from the document (tree-sitter's indices are UTF-16 offsets into it). */
function nodeText(node: Node, text: string): string {
  return text.slice(node.startIndex, node.endIndex);
}

/**
 * A node's text and range. Its start position comes with the node and its end index is one call into WebAssembly;
 * the end position would be another, and for text on one line it is the start moved by the length (tree-sitter
 * counts rows by LF and columns in UTF-16 units, as these offsets do).
 */
function nodeSpan(node: Node, text: string): { source: string; range: Range } {
  const start = node.startIndex;
  const source = text.slice(start, node.endIndex);
  if (source.includes('\n')) return { source, range: rangeOfNode(node) };
  const { row, column } = node.startPosition;
  return {
    source,
    range: { start: { line: row, character: column }, end: { line: row, character: column + source.length } },
  };
}
