// Writing shell text into a hook's Nix string: encoding it for the string's kind (`"…"` or `''…''`) and appending a
// line before the closing quote with the indentation the string already uses.
import type { TextEdit } from '../model/nixEdits';
import { literalOffset, StringValue } from '../model/nixValue';
import { LineIndex } from '../model/range';
import type { HookStateInput } from './hookInput';
import { ShellSource } from './shellScript';

/** Writes shell text (with placeholders) as the source of a Nix string of the given kind. */
export function encodeShell(src: ShellSource, shellText: string, indented: boolean): string {
  let out = '';
  let rest = shellText;
  while (rest.length > 0) {
    let next: { at: number; i: (typeof src.interpolations)[number] } | undefined;
    for (const i of src.interpolations) {
      const at = rest.indexOf(i.placeholder);
      if (at !== -1 && (!next || at < next.at)) next = { at, i };
    }
    const literal = next ? rest.slice(0, next.at) : rest;
    out += indented
      ? literal.replace(/''/g, "'''").replace(/\$\{/g, "''${")
      : literal.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\$\{/g, '\\${').replace(/\n/g, '\\n');
    if (!next) break;
    out += next.i.source;
    rest = rest.slice(next.at + next.i.placeholder.length);
  }
  return out;
}

/** An edit appending one line at the end of a string's content, before its closing quote(s). */
export function appendLine(
  state: HookStateInput,
  lines: LineIndex,
  value: StringValue,
  line: string,
): TextEdit | undefined {
  const start = literalOffset(value, lines);
  const end = lines.offsetAt(value.range.end);
  const text = state.text;
  if (!value.indented) {
    const close = end - 1;
    if (text[close] !== '"') return undefined;
    const decodedEndsWithNewline =
      value.pieces.length > 0 &&
      (() => {
        const last = value.pieces[value.pieces.length - 1]!;
        return last.kind === 'text' && last.text.endsWith('\n');
      })();
    const newText = decodedEndsWithNewline ? `${line}\\n` : `\\n${line}`;
    return { uri: state.uri, range: lines.rangeOf(close, close), newText };
  }
  const close = end - 2;
  if (!text.startsWith("''", close)) return undefined;
  const indent = contentIndent(text, start + 2, close);
  let p = close;
  while (p > start + 2 && (text[p - 1] === ' ' || text[p - 1] === '\t')) p--;
  if (text[p - 1] === '\n') {
    // The closing '' sits on its own line: insert a whole line before it.
    return { uri: state.uri, range: lines.rangeOf(p, p), newText: `${indent ?? closingIndent(text, close)}${line}\n` };
  }
  return { uri: state.uri, range: lines.rangeOf(close, close), newText: `\n${indent ?? ''}${line}` };
}

/** The smallest indentation of the content lines of an indented string (its first line excluded when blank). */
function contentIndent(text: string, contentStart: number, close: number): string | undefined {
  const body = text.slice(contentStart, close).split('\n');
  let best: string | undefined;
  body.forEach((l, idx) => {
    if (idx === 0 || l.trim() === '') return;
    const ind = /^[ \t]*/.exec(l)![0];
    if (best === undefined || ind.length < best.length) best = ind;
  });
  return best;
}

function closingIndent(text: string, close: number): string {
  const lineStart = text.lastIndexOf('\n', close - 1) + 1;
  return `${text.slice(lineStart, close)}  `;
}
