// Reads Nix syntax trees into plain values without evaluating anything. Literals become values with their source
// ranges; anything whose value depends on evaluation (variables, calls, `//`, `++`, interpolations) becomes `opaque`,
// and rules must treat opaque as "unknown", never as "absent" or "wrong".
import type { Node } from '../parsing/parser';
import { LineIndex, Position, Range, rangeOfNode } from './range';

export type Priority = 'force' | 'default' | 'override';

interface Base {
  /** File the value was read from (a URI). */
  uri: string;
  range: Range;
  /** Set when the value was wrapped in `lib.mkForce`, `lib.mkDefault` or `lib.mkOverride N`. */
  priority?: Priority;
}

/**
 * One piece of a string: literal text (with the source offset of each character) or an interpolation. Offsets count
 * from the string literal's start (StringValue.literal), not from the start of the document: a string that an
 * edit elsewhere moved to another offset is then still the same value (see stringOffsets for document offsets).
 */
export type StringPiece =
  | { kind: 'text'; text: string; offsets: number[] }
  | { kind: 'interpolation'; range: Range; start: number; end: number; source: string };

export interface StringValue extends Base {
  kind: 'string';
  /** The decoded value; undefined when the string contains an interpolation (then it is not a literal). */
  value: string | undefined;
  pieces: StringPiece[];
  indented: boolean;
  /**
   * The literal itself, quotes included, which `range` is not for a wrapped string (`lib.mkForce ("…")`: `range` is
   * the whole call).
   */
  literal: Range;
}
export interface NumberValue extends Base { kind: 'int' | 'float'; value: number }
export interface BoolValue extends Base { kind: 'bool'; value: boolean }
export interface NullValue extends Base { kind: 'null' }
export interface PathValue extends Base { kind: 'path'; text: string }
export interface ListValue extends Base { kind: 'list'; items: NixValue[] }
export interface AttrEntry {
  name: string;
  /** Range of the key where it is (first) written; for dotted paths, the segment of this attribute. */
  keyRange: Range;
  value: NixValue;
  /** The whole `a.b.c = value;` binding that set this value (not for implicit attrsets). */
  binding?: Range;
}
export interface AttrsValue extends Base {
  kind: 'attrs';
  entries: Map<string, AttrEntry>;
  /** True when some keys cannot be known statically (`${name} = …`, `inherit`ed names are known but opaque). */
  dynamicKeys: boolean;
  /** True for attribute sets created by a dotted path (`a.b = 1;` creates `a`), which have no braces of their own. */
  implicit: boolean;
}
export interface FunctionValue extends Base {
  kind: 'function';
  /** What the function returns, read statically (a NixOS module `{ config, ... }: { ... }` yields its attrset). */
  body: NixValue;
}
export interface OpaqueValue extends Base {
  kind: 'opaque';
  /**
   * Why the value cannot be read: 'variable', 'interpolation', 'call', 'operator', 'select', 'conditional', 'error',
   * 'too-deep' (nested beyond MAX_READ_DEPTH).
   */
  reason: string;
  text: string;
}

export type NixValue =
  | StringValue | NumberValue | BoolValue | NullValue | PathValue | ListValue | AttrsValue | FunctionValue | OpaqueValue;

const PRIORITY_WRAPPERS: Record<string, Priority> = {
  mkForce: 'force', 'lib.mkForce': 'force', mkDefault: 'default', 'lib.mkDefault': 'default',
  mkOverride: 'override', 'lib.mkOverride': 'override', mkOptionDefault: 'default', 'lib.mkOptionDefault': 'default',
};

/**
 * Nesting deeper than this (real configurations stay far below 50) is read as opaque: the reader recurses once per
 * level, and 10,000 levels of `{ a = …; }` or `[ … ]` would otherwise overflow the stack.
 */
export const MAX_READ_DEPTH = 200;
let readDepth = 0;

/** Reads any expression node. `text` is the whole document (UTF-16 indices match tree-sitter's). */
export function readValue(node: Node, uri: string, text: string): NixValue {
  if (readDepth >= MAX_READ_DEPTH) return opaque(node, uri, text, 'too-deep');
  readDepth++;
  try {
    // Every property of a web-tree-sitter node but its id, start and start position is a call into WebAssembly:
    // the type is looked up once here and handed on.
    const type = node.type;
    if (reuse && CACHEABLE.has(type) && node.endIndex - node.startIndex >= MIN_CACHED_LENGTH) {
      return readReusing(reuse, node, type, uri, text);
    }
    return readNode(node, type, uri, text);
  } finally {
    readDepth--;
  }
}

// ---- reading an edited document again: reuse the values of unchanged subtrees ----
//
// After an incremental parse, tree-sitter keeps the subtrees an edit did not touch, with their node ids. A value read
// from such a node is the same value again, only moved when the edit was before it: it is reused as it is when it
// starts at the same line and character (values hold no document offsets, so text that grew or shrank on an earlier
// line does not matter), and copied with shifted positions otherwise. Everything else is read as usual.

/** A value read from one node, kept for the next read of the same document. */
export interface ReadCacheEntry {
  type: string;
  length: number;
  line: number;
  character: number;
  value: NixValue;
  duplicates: DuplicateAttr[];
  /** Ids of cached nodes inside this one (carried along when this one is reused whole). */
  children: number[];
}

export interface ReadCache {
  entries: Map<number, ReadCacheEntry>;
  heads: Map<number, BindingHead>;
}

/**
 * The left-hand side of a binding `a.b.c = …;` as read before, by binding node: an edit among a thousand bindings
 * of one attrset reads that attrset again, and the attribute paths of the other bindings are most of that work.
 */
interface BindingHead {
  length: number;
  line: number;
  character: number;
  /** Per segment: its name, or undefined for `${…}`. */
  names: Array<string | undefined>;
  keyRanges: Range[];
  range: Range;
}

interface ReuseState {
  prev: ReadCache | undefined;
  next: Map<number, ReadCacheEntry>;
  nextHeads: Map<number, BindingHead>;
  /** For each cached node being read, the ids of the cached nodes read inside it so far. */
  open: number[][];
}

const CACHEABLE = new Set(['attrset_expression', 'rec_attrset_expression', 'function_expression', 'list_expression',
  'indented_string_expression', 'let_expression']);
const MIN_CACHED_LENGTH = 48;
let reuse: ReuseState | undefined;

/**
 * readValueReporting for a document read before: `prev` is the cache of the previous read, valid only when the
 * tree was parsed incrementally from that read's tree (see parser.isDerivedFrom). Returns the cache for the next read.
 */
export function readValueIncremental(node: Node, uri: string, text: string, prev: ReadCache | undefined):
  { value: NixValue; duplicates: DuplicateAttr[]; cache: ReadCache } {
  const previous = reuse;
  reuse = { prev, next: new Map(), nextHeads: new Map(), open: [] };
  try {
    const { value, duplicates } = readValueReporting(node, uri, text);
    return { value, duplicates, cache: { entries: reuse.next, heads: reuse.nextHeads } };
  } finally {
    reuse = previous;
  }
}

function readReusing(state: ReuseState, node: Node, type: string, uri: string, text: string): NixValue {
  const id = node.id;
  const length = node.endIndex - node.startIndex;
  const { row, column } = node.startPosition;
  const parentOpen = state.open[state.open.length - 1];
  const old = state.prev?.entries.get(id);
  if (old && old.length === length && old.type === type) {
    parentOpen?.push(id);
    if (old.line === row && old.character === column) {
      carry(state, id, old, undefined);
      duplicateSink?.push(...old.duplicates);
      return old.value;
    }
    const shift = makeShift(old, row, column);
    const moved = carry(state, id, old, shift);
    duplicateSink?.push(...old.duplicates.map((d) => ({ ...d, range: shift.range(d.range) })));
    return moved;
  }
  const mark = duplicateSink?.length ?? 0;
  state.open.push([]);
  let value: NixValue;
  let children: number[];
  try {
    value = readNode(node, type, uri, text);
  } finally {
    children = state.open.pop()!;
  }
  state.next.set(id, {
    type, length, line: row, character: column, value,
    duplicates: duplicateSink ? duplicateSink.slice(mark) : [], children,
  });
  parentOpen?.push(id);
  return value;
}

interface Shift {
  lineDelta: number;
  firstLine: number;
  position(p: Position): Position;
  range(r: Range): Range;
  map: Map<object, object>;
}

/**
 * How positions inside a reused subtree move: its text is unchanged, so every line after its first keeps its
 * characters and moves by whole lines, and only its first line also moves sideways. Unmoved positions and ranges are
 * shared with the previous read instead of copied.
 */
function makeShift(old: ReadCacheEntry, line: number, character: number): Shift {
  const lineDelta = line - old.line;
  const charDelta = character - old.character;
  const firstLine = old.line;
  const position = (p: Position): Position => {
    const dc = p.line === firstLine ? charDelta : 0;
    return lineDelta || dc ? { line: p.line + lineDelta, character: p.character + dc } : p;
  };
  const range = (r: Range): Range => {
    const s = position(r.start);
    const e = position(r.end);
    return s === r.start && e === r.end ? r : { start: s, end: e };
  };
  return { lineDelta, firstLine, position, range, map: new Map() };
}

/** Puts a reused entry (and the cached entries inside it) into the next cache; returns its (moved) value. */
function carry(state: ReuseState, id: number, entry: ReadCacheEntry, shift: Shift | undefined): NixValue {
  const value = shift ? moveValue(entry.value, shift) : entry.value;
  state.next.set(id, movedEntry(entry, value, shift));
  carryChildren(state, entry, shift);
  return value;
}

function movedEntry(entry: ReadCacheEntry, value: NixValue, shift: Shift | undefined): ReadCacheEntry {
  if (!shift) return entry;
  const at = shift.position({ line: entry.line, character: entry.character });
  return {
    ...entry, line: at.line, character: at.character, value,
    duplicates: entry.duplicates.map((d) => ({ ...d, range: shift.range(d.range) })),
  };
}

function carryChildren(state: ReuseState, entry: ReadCacheEntry, shift: Shift | undefined): void {
  for (const childId of entry.children) {
    const child = state.prev!.entries.get(childId);
    if (!child || state.next.has(childId)) continue;
    // Inner values were copied together with the outer one: map them instead of moving them again. A value the
    // outer one does not hold as such (wrapped in mkForce, merged away) is not carried: a miss, never a wrong hit.
    const value = shift ? (shift.map.get(child.value) as NixValue | undefined ?? unmovedBy(shift, child.value)) : child.value;
    if (!value) continue;
    state.next.set(childId, movedEntry(child, value, shift));
    carryChildren(state, child, shift);
  }
}

/**
 * The value itself when `shift` leaves it where it is: with the lines in place, only the subtree's first line moves,
 * and nothing in a value lies before its own start (merged and wrapped values included).
 */
function unmovedBy(shift: Shift, v: NixValue): NixValue | undefined {
  return shift.lineDelta === 0 && v.range.start.line !== shift.firstLine ? v : undefined;
}

/** A copy of a value with every position moved by `shift` (old objects map to their copies in shift.map). */
function moveValue(v: NixValue, shift: Shift): NixValue {
  const seen = shift.map.get(v) ?? unmovedBy(shift, v);
  if (seen) return seen as NixValue;
  const range = shift.range(v.range);
  // Object literals of one shape per kind, not spreads: an Enter near the start of a large file moves every value.
  let out: NixValue;
  switch (v.kind) {
    case 'string':
      out = {
        kind: 'string', uri: v.uri, range, priority: v.priority, value: v.value,
        pieces: v.pieces.map((p) => movePiece(p, shift)), indented: v.indented, literal: shift.range(v.literal),
      };
      break;
    case 'list':
      out = { kind: 'list', uri: v.uri, range, priority: v.priority, items: v.items.map((i) => moveValue(i, shift)) };
      break;
    case 'attrs': {
      const entries = new Map<string, AttrEntry>();
      for (const [k, e] of v.entries) {
        entries.set(k, {
          name: e.name, keyRange: shift.range(e.keyRange), value: moveValue(e.value, shift),
          binding: e.binding && shift.range(e.binding),
        });
      }
      out = {
        kind: 'attrs', uri: v.uri, range, priority: v.priority, entries, dynamicKeys: v.dynamicKeys, implicit: v.implicit,
      };
      break;
    }
    case 'function':
      out = { kind: 'function', uri: v.uri, range, priority: v.priority, body: moveValue(v.body, shift) };
      break;
    default:
      out = { ...v, range };
  }
  shift.map.set(v, out);
  return out;
}

/** Piece offsets count from the literal's start, so only an interpolation's range can move. */
function movePiece(p: StringPiece, shift: Shift): StringPiece {
  if (p.kind === 'text') return p;
  const range = shift.range(p.range);
  return range === p.range ? p : { ...p, range };
}

function readNode(node: Node, type: string, uri: string, text: string): NixValue {
  const range = rangeOfNode(node);
  switch (type) {
    case 'parenthesized_expression': {
      const inner = node.namedChildren.find((c) => c && c.type !== 'comment');
      return inner ? readValue(inner, uri, text) : opaqueAt(node, uri, range, 'error');
    }
    case 'string_expression':
    case 'indented_string_expression':
      return readString(node, type, uri, text, range);
    case 'integer_expression':
      return { kind: 'int', value: Number(nodeText(node, text)), uri, range };
    case 'float_expression':
      return { kind: 'float', value: Number(nodeText(node, text)), uri, range };
    case 'variable_expression': {
      const name = nodeText(node, text);
      if (name === 'true' || name === 'false') return { kind: 'bool', value: name === 'true', uri, range };
      if (name === 'null') return { kind: 'null', uri, range };
      return opaqueAt(node, uri, range, 'variable');
    }
    case 'path_expression':
    case 'hpath_expression':
    case 'spath_expression':
      if (node.namedChildren.some((c) => c?.type === 'interpolation')) return opaqueAt(node, uri, range, 'interpolation');
      return { kind: 'path', text: nodeText(node, text), uri, range };
    case 'list_expression':
      return {
        kind: 'list', uri, range,
        items: node.childrenForFieldName('element').filter(isNode).map((c) => readValue(c, uri, text)),
      };
    case 'attrset_expression':
    case 'rec_attrset_expression':
      return readAttrs(node, uri, text, range);
    case 'function_expression': {
      const body = node.childForFieldName('body');
      return { kind: 'function', uri, range, body: body ? readValue(body, uri, text) : opaqueAt(node, uri, range, 'error') };
    }
    case 'let_expression': {
      // The bindings are not resolved, but Nix rejects duplicates among them while parsing: look for those.
      if (duplicateSink) readAttrs(node, uri, text, range);
      const body = node.childForFieldName('body');
      return body ? readValue(body, uri, text) : opaqueAt(node, uri, range, 'error');
    }
    case 'with_expression':
    case 'assert_expression': {
      // Bindings introduced here are not resolved: the body is read as it is, and variables in it stay opaque.
      const body = node.childForFieldName('body');
      return body ? readValue(body, uri, text) : opaqueAt(node, uri, range, 'error');
    }
    case 'apply_expression':
      return readApply(node, uri, text);
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

function isNode(n: Node | null): n is Node {
  return n !== null;
}

function opaque(node: Node, uri: string, _text: string, reason: string): OpaqueValue {
  return { kind: 'opaque', reason, text: node.text, uri, range: rangeOfNode(node) };
}

function opaqueAt(node: Node, uri: string, range: Range, reason: string): OpaqueValue {
  return { kind: 'opaque', reason, text: node.text, uri, range };
}

/** A node's source text from the document (tree-sitter's indices are UTF-16 offsets into it). */
function nodeText(node: Node, text: string): string {
  return text.slice(node.startIndex, node.endIndex);
}

/** `lib.mkForce x` and friends keep x's value and remember the priority; every other call is opaque. */
function readApply(node: Node, uri: string, text: string): NixValue {
  const fn = node.childForFieldName('function');
  const arg = node.childForFieldName('argument');
  if (fn && arg) {
    const name = fn.text.replace(/\s+/g, '');
    const priority = PRIORITY_WRAPPERS[name];
    if (priority) return { ...readValue(arg, uri, text), priority, range: rangeOfNode(node) };
    // `lib.mkOverride 50 x`: the function is itself an application of mkOverride to the number.
    if (fn.type === 'apply_expression') {
      const inner = fn.childForFieldName('function')?.text.replace(/\s+/g, '');
      if (inner === 'mkOverride' || inner === 'lib.mkOverride') {
        return { ...readValue(arg, uri, text), priority: 'override', range: rangeOfNode(node) };
      }
    }
  }
  return opaque(node, uri, text, 'call');
}

function readAttrs(node: Node, uri: string, text: string, range: Range): AttrsValue {
  const attrs: AttrsValue = {
    kind: 'attrs', uri, range, entries: new Map(), dynamicKeys: false, implicit: false,
  };
  const bindings = node.namedChildren.find((c) => c?.type === 'binding_set');
  if (!bindings) return attrs;
  // Attrsets this read may change; any other (a value read before, possibly kept in a reuse cache) is copied first.
  const owned = new WeakSet<AttrsValue>([attrs]);
  for (const b of bindings.namedChildren) {
    if (!b) continue;
    const type = b.type;
    if (type === 'binding') {
      const head = bindingHead(b);
      if (head) addBinding(attrs, b, head, uri, text, owned);
    } else if (type === 'inherit' || type === 'inherit_from') addInherit(attrs, b, uri, text);
  }
  return attrs;
}

/** The binding's attribute path (undefined when it has none: a syntax error), from the reuse cache when unchanged. */
function bindingHead(binding: Node): BindingHead | undefined {
  const id = binding.id;
  const { row, column } = binding.startPosition;
  const length = binding.endIndex - binding.startIndex;
  const old = reuse?.prev?.heads.get(id);
  if (old && old.length === length && old.line === row && old.character === column) {
    reuse!.nextHeads.set(id, old);
    return old;
  }
  const path = binding.childForFieldName('attrpath');
  if (!path) return undefined;
  const segments = path.childrenForFieldName('attr').filter(isNode);
  const head: BindingHead = {
    length, line: row, character: column, names: segments.map(attrName), keyRanges: segments.map(rangeOfNode),
    range: rangeOfNode(binding),
  };
  reuse?.nextHeads.set(id, head);
  return head;
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

/** An attribute defined twice in one attribute set: Nix refuses the file while parsing. */
export interface DuplicateAttr {
  range: Range;
  /** The attribute path as written in the attrset, e.g. `a.b`. */
  name: string;
}

// Set while readValueReporting runs (reading is synchronous, so one sink at a time).
let duplicateSink: DuplicateAttr[] | undefined;

/** readValue, plus the duplicate attribute definitions it met (which Nix reports as parse errors). */
export function readValueReporting(node: Node, uri: string, text: string): { value: NixValue; duplicates: DuplicateAttr[] } {
  const previous = duplicateSink;
  const duplicates: DuplicateAttr[] = [];
  duplicateSink = duplicates;
  try {
    return { value: readValue(node, uri, text), duplicates };
  } finally {
    duplicateSink = previous;
  }
}

function ownedCopy(parent: AttrsValue, entry: AttrEntry, value: AttrsValue, owned: WeakSet<AttrsValue>): AttrsValue {
  if (owned.has(value)) return value;
  const copy: AttrsValue = { ...value, entries: new Map(value.entries) };
  owned.add(copy);
  parent.entries.set(entry.name, { ...entry, value: copy });
  return copy;
}

function addBinding(target: AttrsValue, binding: Node, head: BindingHead, uri: string, text: string, owned: WeakSet<AttrsValue>): void {
  const { names: segments, keyRanges } = head;
  const names = segments.map((name) => name ?? '${…}');
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
      const value = expr ? readValue(expr, uri, text) : opaque(binding, uri, text, 'error');
      if (existing && existing.value.kind === 'attrs' && value.kind === 'attrs') {
        mergeInto(ownedCopy(current, existing, existing.value, owned), value, names.join('.'), owned);
      } else if (!existing) {
        current.entries.set(name, { name, keyRange, value, binding: head.range });
      } else {
        // A second, non-mergeable definition: Nix's parser rejects it; keep the first.
        duplicateSink?.push({ range: keyRange, name: names.join('.') });
      }
      return;
    }
    if (existing) {
      if (existing.value.kind !== 'attrs') {
        duplicateSink?.push({ range: keyRange, name: names.join('.') });
        return;
      }
      current = ownedCopy(current, existing, existing.value, owned);
    } else {
      const implicit: AttrsValue = {
        kind: 'attrs', uri, range: head.range, entries: new Map(), dynamicKeys: false, implicit: true,
      };
      current.entries.set(name, { name, keyRange, value: implicit });
      owned.add(implicit);
      current = implicit;
    }
  }
}

/** Two attrset literals for one attribute merge (Nix allows it); a leaf defined in both is a duplicate. */
function mergeInto(target: AttrsValue, source: AttrsValue, prefix: string, owned: WeakSet<AttrsValue>): void {
  target.dynamicKeys ||= source.dynamicKeys;
  for (const [k, e] of source.entries) {
    const existing = target.entries.get(k);
    if (!existing) target.entries.set(k, e);
    else if (existing.value.kind === 'attrs' && e.value.kind === 'attrs') {
      mergeInto(ownedCopy(target, existing, existing.value, owned), e.value, `${prefix}.${k}`, owned);
    } else duplicateSink?.push({ range: e.keyRange, name: `${prefix}.${k}` });
  }
}

function addInherit(target: AttrsValue, node: Node, uri: string, text: string): void {
  const attrs = node.childForFieldName('attrs');
  if (!attrs) return;
  for (const a of attrs.childrenForFieldName('attr').filter(isNode)) {
    const name = attrName(a);
    if (name === undefined) {
      target.dynamicKeys = true;
      continue;
    }
    if (!target.entries.has(name)) {
      target.entries.set(name, { name, keyRange: rangeOfNode(a), value: opaque(a, uri, text, 'variable') });
    } else {
      duplicateSink?.push({ range: rangeOfNode(a), name });
    }
  }
}

// ---- strings ----

function decodePlainString(parts: Node[]): string {
  let out = '';
  for (const p of parts) {
    if (p.type === 'string_fragment') out += p.text;
    else if (p.type === 'escape_sequence') out += decodeEscape(p.text, false);
  }
  return out;
}

function decodeEscape(raw: string, indented: boolean): string {
  if (indented) {
    // `'''` is two quotes, `''\n` a newline, `''\x` the character x (after the usual \-escape decoding).
    if (raw === "'''") return "''";
    if (raw.startsWith("''\\")) return decodeBackslash(raw.slice(3));
    return raw;
  }
  return raw.startsWith('\\') ? decodeBackslash(raw.slice(1)) : raw;
}

function decodeBackslash(c: string): string {
  if (c === 'n') return '\n';
  if (c === 'r') return '\r';
  if (c === 't') return '\t';
  return c;
}

/**
 * A text piece whose per-character offsets are computed only when someone asks: most strings of a large clan are
 * never pointed into, and building an array per character dominated the time and garbage of reading a file.
 * A run [valueStart, sourceStart, length, step] maps value characters to offsets from the literal's start (step 0:
 * an escape sequence, whose decoded characters all point at its start).
 */
class LazyTextPiece {
  readonly kind = 'text' as const;
  private cached: number[] | undefined;

  constructor(readonly text: string, private readonly runs: Array<[number, number, number, number]>) {}

  // A getter on the class, not one defined per object: defining a property on each of thousands of pieces made
  // every piece a slow dictionary-mode object.
  get offsets(): number[] {
    if (!this.cached) {
      this.cached = new Array<number>(this.text.length);
      for (const [v, d, len, step] of this.runs) for (let i = 0; i < len; i++) this.cached[v + i] = d + i * step;
    }
    return this.cached;
  }
}

/** Decodes a string node: escapes resolved, indented strings stripped of their common indentation as Nix does. */
function readString(node: Node, type: string, uri: string, text: string, range: Range): StringValue {
  const indented = type === 'indented_string_expression';
  const parts = node.namedChildren.filter(isNode);
  const base = node.startIndex; // piece offsets count from here
  if (!indented && !parts.some((p) => p.type === 'interpolation')) {
    // The common case, a plain "…" literal: no indentation rule, no interpolation.
    let value = '';
    const runs: Array<[number, number, number, number]> = [];
    for (const p of parts) {
      if (p.type === 'string_fragment') {
        const t = p.text;
        runs.push([value.length, p.startIndex - base, t.length, 1]);
        value += t;
      } else if (p.type === 'escape_sequence') {
        const decoded = decodeEscape(p.text, false);
        runs.push([value.length, p.startIndex - base, decoded.length, 0]);
        value += decoded;
      }
    }
    return { kind: 'string', uri, range, literal: range, indented, value, pieces: value ? [new LazyTextPiece(value, runs)] : [] };
  }
  // Segments: literal fragments (offsets step through the source), escapes (every decoded character points at the
  // escape) and interpolations. Indentation stripping works on whole segments, not characters.
  const segs: Seg[] = [];
  for (const part of parts) {
    if (part.type === 'string_fragment') segs.push({ kind: 'text', text: part.text, doc: part.startIndex - base, step: 1 });
    else if (part.type === 'escape_sequence') segs.push({ kind: 'text', text: decodeEscape(part.text, indented), doc: part.startIndex - base, step: 0 });
    else if (part.type === 'interpolation') segs.push({ kind: 'interp', node: part });
    // dollar_escape (`''` before `$`, or `\` before `${`) contributes nothing: the `$` is the next fragment.
  }
  const kept = indented ? stripIndentation(segs) : segs;
  const pieces: StringPiece[] = [];
  let value = '';
  let runs: Array<[number, number, number, number]> = [];
  let pieceText = '';
  const flush = () => {
    if (pieceText) pieces.push(new LazyTextPiece(pieceText, runs));
    pieceText = '';
    runs = [];
  };
  for (const seg of kept) {
    if (seg.kind === 'interp') {
      flush();
      pieces.push({
        kind: 'interpolation', range: rangeOfNode(seg.node), start: seg.node.startIndex - base, end: seg.node.endIndex - base,
        source: text.slice(seg.node.startIndex, seg.node.endIndex),
      });
      continue;
    }
    if (!seg.text) continue;
    runs.push([pieceText.length, seg.doc, seg.text.length, seg.step]);
    pieceText += seg.text;
    value += seg.text;
  }
  flush();
  const literal = pieces.every((p) => p.kind === 'text');
  return { kind: 'string', uri, range, literal: range, indented, pieces, value: literal ? value : undefined };
}

type Seg = { kind: 'text'; text: string; doc: number; step: 0 | 1 } | { kind: 'interp'; node: Node };

/**
 * Nix's indentation stripping for `''…''` (libexpr's stripIndentation, after its lexer drops an opening line of
 * only spaces): the minimum indentation counts literal spaces at line starts, ended by any other character, an
 * escape or an interpolation; lines of only spaces do not count. Then that many leading spaces are dropped from
 * every line — escapes included, so an escaped newline starts a line there — and a final line of only spaces goes.
 */
function stripIndentation(input: Seg[]): Seg[] {
  const segs = [...input];
  const first = segs[0];
  const opening = first?.kind === 'text' && first.step === 1 ? /^ *\n/.exec(first.text) : null;
  if (first && opening && first.kind === 'text') {
    segs[0] = { ...first, text: first.text.slice(opening[0].length), doc: first.doc + opening[0].length };
  }
  let atStartOfLine = true;
  let minIndent = Infinity;
  let curIndent = 0;
  for (const seg of segs) {
    if (seg.kind !== 'text' || seg.step === 0) {
      if (atStartOfLine) {
        atStartOfLine = false;
        minIndent = Math.min(minIndent, curIndent);
      }
      continue;
    }
    for (const ch of seg.text) {
      if (atStartOfLine) {
        if (ch === ' ') curIndent++;
        else if (ch === '\n') curIndent = 0;
        else {
          atStartOfLine = false;
          minIndent = Math.min(minIndent, curIndent);
        }
      } else if (ch === '\n') {
        atStartOfLine = true;
        curIndent = 0;
      }
    }
  }
  const out: Seg[] = [];
  atStartOfLine = true;
  let dropped = 0;
  segs.forEach((seg, idx) => {
    if (seg.kind !== 'text') {
      atStartOfLine = false;
      dropped = 0;
      out.push(seg);
      return;
    }
    // Kept characters form runs between dropped leading spaces; each run keeps its source offsets.
    const runs: Array<[number, number]> = [];
    let runStart = -1;
    for (let j = 0; j < seg.text.length; j++) {
      const ch = seg.text[j]!;
      let keep = true;
      if (atStartOfLine) {
        if (ch === ' ') keep = dropped++ >= minIndent;
        else if (ch === '\n') dropped = 0;
        else {
          atStartOfLine = false;
          dropped = 0;
        }
      } else if (ch === '\n') atStartOfLine = true;
      if (keep && runStart < 0) runStart = j;
      if (!keep && runStart >= 0) {
        runs.push([runStart, j]);
        runStart = -1;
      }
    }
    if (runStart >= 0) runs.push([runStart, seg.text.length]);
    let pieces = runs.map(([a, b]) => ({ ...seg, text: seg.text.slice(a, b), doc: seg.doc + a * seg.step }));
    if (idx === segs.length - 1) {
      // The last line, when it is only spaces after a newline, is the indentation of the closing `''`.
      const joined = pieces.map((p) => p.text).join('');
      const nl = joined.lastIndexOf('\n');
      if (nl !== -1 && /^ *$/.test(joined.slice(nl + 1))) {
        let keepLen = nl + 1;
        pieces = pieces.flatMap((p) => {
          if (keepLen <= 0) return [];
          const t = p.text.slice(0, keepLen);
          keepLen -= p.text.length;
          return [{ ...p, text: t }];
        });
      }
    }
    out.push(...pieces);
  });
  return out;
}

// ---- navigation helpers used by the model ----

/** Looks up a dotted path in attrsets, stopping (undefined) at anything that is not a literal attrset. */
export function getPath(value: NixValue | undefined, path: string[]): AttrEntry | undefined {
  let current = value;
  let entry: AttrEntry | undefined;
  for (const key of path) {
    const attrs = asAttrs(current);
    if (!attrs) return undefined;
    entry = attrs.entries.get(key);
    if (!entry) return undefined;
    current = entry.value;
  }
  return entry;
}

/** The attrset a value denotes statically: itself, or the body of a module function. */
export function asAttrs(value: NixValue | undefined): AttrsValue | undefined {
  if (!value) return undefined;
  if (value.kind === 'attrs') return value;
  if (value.kind === 'function') return asAttrs(value.body);
  return undefined;
}

export function stringValue(v: NixValue | undefined): string | undefined {
  return v && v.kind === 'string' ? v.value : undefined;
}

/** Human-readable type name for messages ("a list", "a string"). */
export function describeKind(v: NixValue): string {
  switch (v.kind) {
    case 'string': return 'a string';
    case 'int': return 'an integer';
    case 'float': return 'a float';
    case 'bool': return 'a boolean';
    case 'null': return 'null';
    case 'path': return 'a path';
    case 'list': return 'a list';
    case 'attrs': return 'an attribute set';
    case 'function': return 'a function';
    case 'opaque': return 'an expression';
  }
}

/** The document offset that a string's piece offsets count from. */
export function literalOffset(v: StringValue, lines: LineIndex): number {
  return lines.offsetAt(v.literal.start);
}

/**
 * The document offsets [start, end) of the characters [from, to) of a string's literal value, for pointing inside
 * the string. Undefined when the string is not a literal. `lines` is the index of the file the value was read from.
 */
export function stringOffsets(v: StringValue, lines: LineIndex, from: number, to: number): { start: number; end: number } | undefined {
  // A literal is one text piece (the empty string has none); anything else has no single source span to point into.
  if (v.value === undefined || v.pieces.length !== 1 || v.pieces[0]!.kind !== 'text') return undefined;
  const offsets = v.pieces[0]!.offsets;
  if (offsets.length === 0) return undefined;
  const a = Math.max(0, Math.min(from, offsets.length - 1));
  const b = Math.max(a, Math.min(Math.max(to, from + 1), offsets.length) - 1);
  const base = literalOffset(v, lines);
  return { start: base + offsets[a]!, end: base + offsets[b]! + 1 };
}
