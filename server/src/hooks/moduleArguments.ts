// The arguments of the NixOS module around a hook (`{ config, lib, ... }:`): where the PATH fix adds the names its
// `lib.makeBinPath [ pkgs.x ]` needs, in the style they are written in, or turns a module written as an attribute
// set into a function.
import type { TextEdit } from '../model/nixEdits';
import type { LineIndex } from '../model/range';
import { parseNix } from '../parsing/parser';
import type { Node, Tree } from '../parsing/parser';
import type { HookStateInput } from './hookInput';

/** Runs `fn` on the document's tree (the caller's, or a parse of its own); undefined when the text cannot be parsed. */
function withTree<T>(state: HookStateInput, fn: (tree: Tree) => T): T | undefined {
  // Parsing the whole document again, once per finding, made a clan with hundreds of such findings take seconds.
  let tree = state.tree;
  const own = !tree;
  if (!tree) {
    try {
      tree = parseNix(state.text);
    } catch {
      return undefined;
    }
  }
  try {
    return fn(tree);
  } finally {
    if (own) tree.delete();
  }
}

/** The arguments (`{ config, lib, ... }`) of the nearest function around offset `at` that has some. */
function formalsAround(tree: Tree, at: number): Node | null | undefined {
  let node: Node | null = tree.rootNode.descendantForIndex(at);
  while (node && !(node.type === 'function_expression' && node.childForFieldName('formals'))) node = node.parent;
  return node?.childForFieldName('formals');
}

/** Where the PATH fix of a hook binding starting at `at` gives the module its arguments. */
type ArgumentsPlace =
  | { kind: 'formals'; formals: Node }
  /** A module written as a plain attribute set: it becomes a function, `{ lib, ... }: { … }`. */
  | { kind: 'attrset'; start: number };

function argumentsPlace(state: HookStateInput, tree: Tree, at: number): ArgumentsPlace | undefined {
  const module = state.modules?.filter((m) => m.start <= at && at < m.end).sort((a, b) => b.start - a.start)[0];
  if (state.modules && !module) return undefined;
  if (module && !module.isFunction) return { kind: 'attrset', start: module.start };
  const formals = formalsAround(tree, at);
  if (!formals) return undefined;
  // The nearest function must lie inside the module (the module itself, perhaps as `lib.mkForce (…)`), never around
  // it like clan.nix's or flake.nix's own function; without modules (a lone hook), any function is taken.
  const fn = formals.parent;
  if (module && (!fn || fn.startIndex < module.start || fn.endIndex > module.end)) return undefined;
  return { kind: 'formals', formals };
}

/**
 * Document offsets of the text that decides the PATH fix's argument edit for a hook binding starting at `at` (the
 * module's arguments, or what precedes a module written as an attribute set); undefined when there is no such place.
 * Findings kept for unchanged hooks hold only while it reads the same.
 */
export function enclosingArguments(state: HookStateInput, at: number): { start: number; end: number } | undefined {
  return withTree(state, (tree) => {
    const place = argumentsPlace(state, tree, at);
    if (!place) return undefined;
    return place.kind === 'formals'
      ? { start: place.formals.startIndex, end: place.formals.endIndex }
      : { start: Math.max(0, place.start - 24), end: place.start + 1 };
  });
}

/** Adds missing names to the arguments of the module around the binding (`{ config, ... }:` → `{ config, lib, pkgs, ... }:`). */
export function formalsEdit(
  state: HookStateInput,
  lines: LineIndex,
  at: number,
  needed: string[],
): TextEdit | null | undefined {
  return withTree(state, (tree): TextEdit | null | undefined => {
    const place = argumentsPlace(state, tree, at);
    if (!place) return null;
    if (place.kind === 'attrset') {
      return {
        uri: state.uri,
        range: lines.rangeOf(place.start, place.start),
        newText: `{ ${needed.join(', ')}, ... }: `,
      };
    }
    const formals = place.formals;
    const have = new Set(formals.childrenForFieldName('formal').map((f) => f?.childForFieldName('name')?.text));
    const add = needed.filter((n) => !have.has(n));
    if (add.length === 0) return undefined;
    return addFormals(state, lines, formals, add);
  });
}

/**
 * The edit that adds `add` to `formals`, in the style they are written in: one line (`{ config, lib, ... }`), one
 * argument per line with trailing commas (nixfmt: `  lib,` before `}`), or one per line with leading commas
 * (`, lib`), so the result is valid Nix that reads as if the user had written it.
 */
function addFormals(state: HookStateInput, lines: LineIndex, formals: Node, add: string[]): TextEdit {
  const text = state.text;
  const at = (offset: number, newText: string): TextEdit => ({
    uri: state.uri,
    range: lines.rangeOf(offset, offset),
    newText,
  });
  const list = formals.childrenForFieldName('formal').filter((f): f is Node => f !== null);
  const ellipses = formals.childForFieldName('ellipses');
  const last = list[list.length - 1];
  const lineOf = (offset: number) => lines.positionAt(offset).line;
  const indentBefore = (offset: number) => {
    const start = text.lastIndexOf('\n', offset - 1) + 1;
    const lead = text.slice(start, offset);
    return /^[ \t]*$/.test(lead) ? lead : undefined;
  };
  const close = formals.endIndex - 1;
  const closeIndent = indentBefore(close);
  const multiline = last !== undefined && lineOf(last.startIndex) > lineOf(formals.startIndex);
  const eol = text.slice(formals.startIndex, formals.endIndex).includes('\r\n') ? '\r\n' : '\n';
  if (ellipses) {
    const indent = multiline ? indentBefore(ellipses.startIndex) : undefined;
    // `  ...` alone on its line: each new argument on a line of its own above it.
    if (indent !== undefined) return at(ellipses.startIndex, add.map((n) => `${n},${eol}${indent}`).join(''));
    return at(ellipses.startIndex, `${add.join(', ')}, `);
  }
  if (!last) return at(formals.startIndex + 1, ` ${add.join(', ')}`);
  if (multiline && closeIndent !== undefined) {
    const closeLine = text.lastIndexOf('\n', close - 1) + 1;
    const lastIndent = indentBefore(last.startIndex);
    const afterLast = text
      .slice(last.endIndex, close)
      .replace(/#[^\n]*|\/\*[\s\S]*?\*\//g, '')
      .trim();
    if (lastIndent !== undefined && afterLast === ',') {
      return at(closeLine, add.map((n) => `${lastIndent}${n},${eol}`).join(''));
    }
    const lastLineStart = text.lastIndexOf('\n', last.startIndex - 1) + 1;
    const leading = /^([ \t]*),[ \t]*$/.exec(text.slice(lastLineStart, last.startIndex));
    if (leading && afterLast === '') return at(closeLine, add.map((n) => `${leading[1]}, ${n}${eol}`).join(''));
  }
  return at(last.endIndex, `, ${add.join(', ')}`);
}
