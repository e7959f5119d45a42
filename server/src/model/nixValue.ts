// The values a Nix file is read into (valueReader.ts), without evaluating anything. Literals become values with
// their source ranges; anything whose value depends on evaluation (variables, calls, `//`, `++`, interpolations)
// becomes `opaque`, and rules must treat opaque as "unknown", never as "absent" or "wrong".
import type { LineIndex, Range } from './range';

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
export interface NumberValue extends Base {
  kind: 'int' | 'float';
  value: number;
}
export interface BoolValue extends Base {
  kind: 'bool';
  value: boolean;
}
export interface NullValue extends Base {
  kind: 'null';
}
export interface PathValue extends Base {
  kind: 'path';
  text: string;
}
export interface ListValue extends Base {
  kind: 'list';
  items: NixValue[];
}
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
   * 'too-deep' (nested beyond valueReader's MAX_READ_DEPTH).
   */
  reason: string;
  text: string;
}

export type NixValue =
  StringValue | NumberValue | BoolValue | NullValue | PathValue | ListValue | AttrsValue | FunctionValue | OpaqueValue;

/** An attribute defined twice in one attribute set: Nix refuses the file while parsing. */
export interface DuplicateAttr {
  range: Range;
  /** The attribute path as written in the attrset, e.g. `a.b`. */
  name: string;
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
    case 'string':
      return 'a string';
    case 'int':
      return 'an integer';
    case 'float':
      return 'a float';
    case 'bool':
      return 'a boolean';
    case 'null':
      return 'null';
    case 'path':
      return 'a path';
    case 'list':
      return 'a list';
    case 'attrs':
      return 'an attribute set';
    case 'function':
      return 'a function';
    case 'opaque':
      return 'an expression';
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
export function stringOffsets(
  v: StringValue,
  lines: LineIndex,
  from: number,
  to: number,
): { start: number; end: number } | undefined {
  // A literal is one text piece (the empty string has none); anything else has no single source span to point into.
  if (v.value === undefined || v.pieces.length !== 1 || v.pieces[0]!.kind !== 'text') return undefined;
  const offsets = v.pieces[0]!.offsets;
  if (offsets.length === 0) return undefined;
  const a = Math.max(0, Math.min(from, offsets.length - 1));
  const b = Math.max(a, Math.min(Math.max(to, from + 1), offsets.length) - 1);
  const base = literalOffset(v, lines);
  return { start: base + offsets[a]!, end: base + offsets[b]! + 1 };
}
