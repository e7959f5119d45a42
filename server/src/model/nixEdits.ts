// Text edits that keep a Nix file valid and in its own indentation style: inserting a binding into an existing
// attribute set, quoting attribute names. Used by quick fixes and scaffolding code actions.
import type { AttrEntry, AttrsValue, NixValue } from './nixValue';
import type { Range } from './range';
import type { SourceFile } from './sourceFile';

/** A replacement of a range of one document: what fixes and scaffolds are made of. */
export interface TextEdit {
  uri: string;
  range: Range;
  newText: string;
}

const IDENTIFIER = /^[a-zA-Z_][a-zA-Z0-9_'-]*$/;
const KEYWORDS = new Set(['if', 'then', 'else', 'assert', 'with', 'let', 'in', 'rec', 'inherit', 'or']);

/** An attribute name as Nix source: bare when it is an identifier, quoted otherwise. */
export function nixAttrName(name: string): string {
  return IDENTIFIER.test(name) && !KEYWORDS.has(name) ? name : nixString(name);
}

export function nixString(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\$\{/g, '\\${')}"`;
}

/** The leading whitespace of the line that holds `offset`. */
export function lineIndent(text: string, offset: number): string {
  const start = text.lastIndexOf('\n', offset - 1) + 1;
  const m = /^[ \t]*/.exec(text.slice(start));
  return m ? m[0] : '';
}

/** The indentation unit the file uses (two spaces unless the file shows otherwise). */
export function indentUnit(text: string): string {
  const m = /\n( +|\t)\S/.exec(text);
  if (!m) return '  ';
  return m[1]!.startsWith('\t')
    ? '\t'
    : m[1]!.length >= 4 && m[1]!.length % 4 === 0 && !/\n {2}\S/.test(text)
      ? '    '
      : '  ';
}

/**
 * Inserts `binding` (e.g. `foo = { };`, without indentation or newline) as the last binding of an explicit attrset
 * (one written with braces). Multi-line `binding` text is re-indented line by line.
 */
export function insertBinding(file: SourceFile, attrs: AttrsValue, binding: string): TextEdit | undefined {
  if (attrs.implicit || attrs.kind !== 'attrs') return undefined;
  const text = file.text;
  const start = file.lines.offsetAt(attrs.range.start);
  const end = file.lines.offsetAt(attrs.range.end);
  if (text[end - 1] !== '}') return undefined;
  const close = end - 1;
  const unit = indentUnit(text);
  const openIndent = lineIndent(text, start);
  const entries = [...attrs.entries.values()].filter((e) => e.value.uri === file.uri);
  const firstKey = entries.length ? file.lines.offsetAt(entries[0]!.keyRange.start) : -1;
  const inner =
    firstKey >= 0 && text.lastIndexOf('\n', firstKey) > start ? lineIndent(text, firstKey) : openIndent + unit;
  const body = binding
    .split('\n')
    .map((l, i) => (i === 0 || l === '' ? l : inner + l))
    .join('\n');
  const between = text.slice(start + 1, close);
  if (!between.includes('\n')) {
    // `{ }` or `{ a = 1; }` on one line: open it up.
    const content = between.trim();
    const newText = `{\n${content ? `${inner}${content}\n` : ''}${inner}${body}\n${lineIndent(text, close)}}`;
    return { uri: file.uri, range: file.lines.rangeOf(start, end), newText };
  }
  // Insert after the last non-blank character before the closing brace.
  let at = close;
  while (at > start + 1 && /\s/.test(text[at - 1]!)) at--;
  return { uri: file.uri, range: file.lines.rangeOf(at, at), newText: `\n${inner}${body}` };
}

/**
 * Sets `path = valueText;` in the clan, inserting into the deepest attrset along `path` that is written with braces
 * in `file` (so `a.b.c` lands as `c = …;` inside an existing `a.b = { … };`, or as `a.b.c = …;` at the top).
 * Undefined when the path already exists or nothing along it can take a binding.
 */
export function insertAtPath(
  file: SourceFile,
  root: AttrsValue,
  path: string[],
  valueText: string,
): TextEdit | undefined {
  return insertBindingsAtPath(file, root, path.slice(0, -1), [[path[path.length - 1]!, valueText]]);
}

/** Several `key = value;` bindings under one parent path, inserted together (see insertAtPath). */
export function insertBindingsAtPath(
  file: SourceFile,
  root: AttrsValue,
  parent: string[],
  bindings: Array<[string, string]>,
): TextEdit | undefined {
  let target: AttrsValue | undefined = root.implicit ? undefined : root;
  let depth = 0;
  let reached = 0;
  let current: AttrsValue | undefined = root;
  for (let i = 0; i < parent.length && current; i++) {
    const e: AttrEntry | undefined = current.entries.get(parent[i]!);
    if (!e) break;
    const v: NixValue = e.value.kind === 'function' ? e.value.body : e.value;
    if (v.kind !== 'attrs') return undefined;
    current = v;
    reached = i + 1;
    if (!v.implicit && v.uri === file.uri) {
      target = v;
      depth = i + 1;
    }
  }
  // Also through dotted parents (`a.b.c = …;` elsewhere): a second definition would be Nix's "already defined".
  if (reached === parent.length && bindings.some(([k]) => current?.entries.has(k))) return undefined;
  if (!target || target.uri !== file.uri) return undefined;
  const prefix = parent.slice(depth).map(nixAttrName).join('.');
  const text = bindings.map(([k, v]) => `${prefix ? `${prefix}.` : ''}${nixAttrName(k)} = ${v};`).join('\n');
  return insertBinding(file, target, text);
}
