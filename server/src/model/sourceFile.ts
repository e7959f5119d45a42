// A file of the clan, read once into a syntax tree (Nix) or a JSON tree (inventory.json) and a value.
import { parseTree as parseJsonTree, Node as JsonNode, ParseError, printParseErrorCode } from 'jsonc-parser';
import { isDerivedFrom, MAX_NIX_SOURCE_LENGTH, parseNix, tooLargeToParse, Tree } from '../parsing/parser';
import { ReadCache, readValueIncremental } from './incrementalRead';
import type { AttrsValue, DuplicateAttr, NixValue } from './nixValue';
import { LineIndex, Range } from './range';
import { readValueReporting } from './valueReader';

export type FileKind = 'clan' | 'machine' | 'inventory-json';

/** A document open in the editor: its unsaved text, and its incremental tree where the caller keeps one. */
export interface OpenDocument {
  text: string;
  tree?: Tree;
}

/** Open documents by URI; consulted before the disk. */
export type Overlay = Map<string, OpenDocument>;

/** Files already read, by URI: reused while their text is unchanged (the language server keeps one). */
export type SourceCache = Map<string, SourceFile>;

export interface SyntaxProblem {
  range: Range;
  message: string;
}

export interface SourceFile {
  uri: string;
  kind: FileKind;
  text: string;
  lines: LineIndex;
  /** The value of the whole file (the module, the JSON document); opaque when it cannot be read. */
  root: NixValue;
  tree?: Tree;
  syntaxProblems: SyntaxProblem[];
  /** For machine files: the machine's name (its directory under machines/). */
  machine?: string;
  /** Values by syntax node, for reading the next version of an open document (not for files read from disk). */
  readCache?: ReadCache;
}

/**
 * Reads a Nix file. With the editor's `tree` and the previous read of the same document (`prev`), the values of
 * subtrees the edit did not touch are reused (see incrementalRead.ts).
 */
export function readNixSource(
  uri: string,
  kind: FileKind,
  text: string,
  tree?: Tree,
  machine?: string,
  prev?: SourceFile,
): SourceFile {
  const lines = new LineIndex(text);
  if (tooLargeToParse(text)) {
    const file: SourceFile = {
      uri,
      kind,
      text,
      lines,
      root: { kind: 'opaque', reason: 'too-large', text: '', uri, range: lines.rangeOf(0, 0) },
      syntaxProblems: [{ range: lines.rangeOf(0, 0), message: tooLargeMessage(text) }],
    };
    if (machine !== undefined) file.machine = machine;
    return file;
  }
  const t = tree ?? parseNix(text);
  const expr = t.rootNode.namedChildren.find((c) => c !== null && c.type !== 'comment') ?? null;
  const reusable = tree && prev?.readCache && prev.tree && isDerivedFrom(tree, prev.tree) ? prev.readCache : undefined;
  const incremental = expr && tree ? readValueIncremental(expr, uri, text, reusable) : undefined;
  const read = incremental ?? (expr ? readValueReporting(expr, uri, text) : undefined);
  const duplicates: DuplicateAttr[] = read?.duplicates ?? [];
  const root: NixValue = read?.value ?? { kind: 'opaque', reason: 'empty', text: '', uri, range: lines.rangeOf(0, 0) };
  const problems = syntaxProblems(t, lines);
  // tree-sitter accepts an attribute defined twice; Nix's parser does not (and `nix-instantiate --parse` agrees).
  if (!t.rootNode.hasError) {
    for (const d of duplicates)
      problems.push({ range: d.range, message: `syntax error: attribute '${d.name}' already defined` });
  }
  if (!expr && problems.length === 0) {
    problems.push({
      range: lines.rangeOf(text.length, text.length),
      message: 'syntax error: unexpected end of file: the file holds no Nix expression',
    });
  }
  const file: SourceFile = { uri, kind, text, lines, root, tree: t, syntaxProblems: problems };
  if (incremental) file.readCache = incremental.cache;
  if (machine !== undefined) file.machine = machine;
  return file;
}

function tooLargeMessage(text: string): string {
  const mib = (n: number) => `${(n / (1024 * 1024)).toFixed(1)} MiB`;
  return `file too large to analyse: ${mib(text.length)} of text, the limit is ${mib(MAX_NIX_SOURCE_LENGTH)}`;
}

/**
 * One problem per error region: tree-sitter's MISSING nodes say what was expected, ERROR nodes what was unexpected.
 * Nested errors inside an ERROR are the same region.
 */
function syntaxProblems(tree: Tree, lines: LineIndex): SyntaxProblem[] {
  const out: SyntaxProblem[] = [];
  if (!tree.rootNode.hasError) return out;
  // An explicit stack, not recursion: a mistake under 10,000 nesting levels must not overflow the call stack.
  const stack: Array<NonNullable<Tree['rootNode']>> = [tree.rootNode];
  for (let node = stack.pop(); node; node = stack.pop()) {
    if (node.isMissing) {
      const at = lines.positionAt(node.startIndex);
      out.push({ range: { start: at, end: at }, message: `syntax error: expected \`${node.type}\`` });
      continue;
    }
    if (node.type === 'ERROR') {
      const first = firstLeaf(node);
      const startLine = lines.positionAt(node.startIndex).line;
      const lineEnd = Math.min(node.endIndex, lineEndOffset(lines, startLine));
      const token = first ? first.text.split('\n')[0]!.slice(0, 40) : '';
      out.push({
        range: lines.rangeOf(node.startIndex, Math.max(lineEnd, node.startIndex + 1)),
        message: token ? `syntax error: unexpected \`${token}\`` : 'syntax error',
      });
      continue;
    }
    if (!node.hasError) continue;
    const children = node.children;
    for (let i = children.length - 1; i >= 0; i--) if (children[i]) stack.push(children[i]!);
  }
  return out;
}

function firstLeaf(node: NonNullable<Tree['rootNode']>): NonNullable<Tree['rootNode']> | undefined {
  let n = node;
  while (n.childCount > 0) {
    const c = n.child(0);
    if (!c) break;
    n = c;
  }
  return n === node && node.childCount > 0 ? undefined : n;
}

/** The offset of the end of `line`'s content: before its `\n` or `\r\n` (LSP positions never point inside a CRLF). */
function lineEndOffset(lines: LineIndex, line: number): number {
  let end = lines.offsetAt({ line: line + 1, character: 0 });
  if (end > 0 && lines.text[end - 1] === '\n') end--;
  if (end > 0 && lines.text[end - 1] === '\r') end--;
  return end;
}

/** inventory.json, read into the same value shapes as Nix so the model treats both alike. */
export function readJsonSource(uri: string, text: string): SourceFile {
  const lines = new LineIndex(text);
  if (tooLargeToParse(text)) {
    return {
      uri,
      kind: 'inventory-json',
      text,
      lines,
      root: { kind: 'opaque', reason: 'too-large', text: '', uri, range: lines.rangeOf(0, 0) },
      syntaxProblems: [{ range: lines.rangeOf(0, 0), message: tooLargeMessage(text) }],
    };
  }
  const errors: ParseError[] = [];
  // jsonc-parser recurses once per nesting level and overflows the stack near 10,000 levels: refuse those first.
  const tooDeep = jsonNestingBeyond(text, MAX_JSON_DEPTH);
  const tree =
    tooDeep < 0 ? parseJsonTree(text, errors, { allowTrailingComma: false, disallowComments: true }) : undefined;
  const syntax = errors.map((e) => ({
    range: lines.rangeOf(e.offset, e.offset + Math.max(e.length, 1)),
    message: `invalid JSON: ${printParseErrorCode(e.error)}`,
  }));
  if (tooDeep >= 0) {
    syntax.push({
      range: lines.rangeOf(tooDeep, tooDeep + 1),
      message: `invalid JSON: nested more than ${MAX_JSON_DEPTH} levels deep`,
    });
  }
  const root: NixValue = tree
    ? jsonToValue(tree, uri, lines)
    : { kind: 'opaque', reason: 'error', text: '', uri, range: lines.rangeOf(0, 0) };
  return { uri, kind: 'inventory-json', text, lines, root, syntaxProblems: syntax };
}

const MAX_JSON_DEPTH = 200;

/** The offset of the bracket that opens nesting level `limit + 1` (strings skipped), or -1 when there is none. */
function jsonNestingBeyond(text: string, limit: number): number {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      for (i++; i < text.length && text.charCodeAt(i) !== 0x22; i++) if (text.charCodeAt(i) === 0x5c /* \ */) i++;
    } else if (c === 0x5b /* [ */ || c === 0x7b /* { */) {
      if (++depth > limit) return i;
    } else if (c === 0x5d /* ] */ || c === 0x7d /* } */) {
      depth = Math.max(0, depth - 1);
    }
  }
  return -1;
}

function jsonToValue(node: JsonNode, uri: string, lines: LineIndex): NixValue {
  const range = lines.rangeOf(node.offset, node.offset + node.length);
  switch (node.type) {
    case 'string': {
      const value = String(node.value);
      // JSON escapes make offsets inexact; map every character to the string's opening quote + index as an estimate.
      const offsets = Array.from({ length: value.length }, (_, i) => 1 + i);
      return {
        kind: 'string',
        value,
        pieces: [{ kind: 'text', text: value, offsets }],
        indented: false,
        uri,
        range,
        literal: range,
      };
    }
    case 'number':
      return { kind: Number.isInteger(node.value) ? 'int' : 'float', value: Number(node.value), uri, range };
    case 'boolean':
      return { kind: 'bool', value: Boolean(node.value), uri, range };
    case 'null':
      return { kind: 'null', uri, range };
    case 'array':
      return { kind: 'list', items: (node.children ?? []).map((c) => jsonToValue(c, uri, lines)), uri, range };
    case 'object': {
      const attrs: AttrsValue = { kind: 'attrs', entries: new Map(), dynamicKeys: false, implicit: false, uri, range };
      for (const prop of node.children ?? []) {
        const [key, value] = prop.children ?? [];
        if (!key || !value || attrs.entries.has(String(key.value))) continue;
        attrs.entries.set(String(key.value), {
          name: String(key.value),
          keyRange: lines.rangeOf(key.offset, key.offset + key.length),
          value: jsonToValue(value, uri, lines),
        });
      }
      return attrs;
    }
    default:
      return { kind: 'opaque', reason: 'error', text: '', uri, range };
  }
}
