// Nix string literals read into values: `"…"` with its escapes, `''…''` with its escapes and Nix's indentation
// stripping, and the source offset of every character of the result (for findings that point inside a string).
import type { Node } from '../parsing/parser';
import type { StringPiece, StringValue } from './nixValue';
import { Range, rangeOfNode } from './range';

export function decodePlainString(parts: Node[]): string {
  let out = '';
  for (const p of parts) {
    const type = p.type;
    if (type === 'string_fragment') out += p.text;
    else if (type === 'escape_sequence') out += decodeEscape(p.text, false);
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

  constructor(
    readonly text: string,
    private readonly runs: Array<[number, number, number, number]>,
  ) {}

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
export function readString(node: Node, type: string, uri: string, text: string, range: Range): StringValue {
  const indented = type === 'indented_string_expression';
  const parts = node.namedChildren.filter(isNode);
  // A node's type is a call into WebAssembly: each part's is asked once.
  const types = parts.map((p) => p.type);
  const base = node.startIndex; // piece offsets count from here
  if (!indented && !types.includes('interpolation')) {
    // The common case, a plain "…" literal: no indentation rule, no interpolation.
    let value = '';
    const runs: Array<[number, number, number, number]> = [];
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i]!;
      if (types[i] === 'string_fragment') {
        const t = p.text;
        runs.push([value.length, p.startIndex - base, t.length, 1]);
        value += t;
      } else if (types[i] === 'escape_sequence') {
        const decoded = decodeEscape(p.text, false);
        runs.push([value.length, p.startIndex - base, decoded.length, 0]);
        value += decoded;
      }
    }
    return {
      kind: 'string',
      uri,
      range,
      literal: range,
      indented,
      value,
      pieces: value ? [new LazyTextPiece(value, runs)] : [],
    };
  }
  // Segments: literal fragments (offsets step through the source), escapes (every decoded character points at the
  // escape) and interpolations. Indentation stripping works on whole segments, not characters.
  const segs: Seg[] = [];
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    const partType = types[i];
    if (partType === 'string_fragment')
      segs.push({ kind: 'text', text: part.text, doc: part.startIndex - base, step: 1 });
    else if (partType === 'escape_sequence')
      segs.push({ kind: 'text', text: decodeEscape(part.text, indented), doc: part.startIndex - base, step: 0 });
    else if (partType === 'interpolation') segs.push({ kind: 'interp', node: part });
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
      const { startIndex, endIndex } = seg.node;
      pieces.push({
        kind: 'interpolation',
        range: rangeOfNode(seg.node),
        start: startIndex - base,
        end: endIndex - base,
        source: text.slice(startIndex, endIndex),
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
  // Character codes and explicit loops, not per-character strings and spreads: a clan's hooks are thousands of these.
  const segs = [...input];
  const first = segs[0];
  if (first?.kind === 'text' && first.step === 1) {
    let i = 0;
    while (first.text.charCodeAt(i) === SPACE) i++;
    if (first.text.charCodeAt(i) === NEWLINE) segs[0] = textSeg(first.text.slice(i + 1), first.doc + i + 1, 1);
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
    const t = seg.text;
    for (let j = 0; j < t.length; j++) {
      const c = t.charCodeAt(j);
      if (atStartOfLine) {
        if (c === SPACE) curIndent++;
        else if (c === NEWLINE) curIndent = 0;
        else {
          atStartOfLine = false;
          minIndent = Math.min(minIndent, curIndent);
        }
      } else if (c === NEWLINE) {
        atStartOfLine = true;
        curIndent = 0;
      }
    }
  }
  const out: Seg[] = [];
  atStartOfLine = true;
  let dropped = 0;
  for (let idx = 0; idx < segs.length; idx++) {
    const seg = segs[idx]!;
    if (seg.kind !== 'text') {
      atStartOfLine = false;
      dropped = 0;
      out.push(seg);
      continue;
    }
    // Kept characters form runs between dropped leading spaces; each run keeps its source offsets.
    const t = seg.text;
    let pieces: Array<Seg & { kind: 'text' }> = [];
    let runStart = -1;
    for (let j = 0; j < t.length; j++) {
      const c = t.charCodeAt(j);
      let keep = true;
      if (atStartOfLine) {
        if (c === SPACE) keep = dropped++ >= minIndent;
        else if (c === NEWLINE) dropped = 0;
        else {
          atStartOfLine = false;
          dropped = 0;
        }
      } else if (c === NEWLINE) atStartOfLine = true;
      if (keep && runStart < 0) runStart = j;
      if (!keep && runStart >= 0) {
        pieces.push(textSeg(t.slice(runStart, j), seg.doc + runStart * seg.step, seg.step));
        runStart = -1;
      }
    }
    if (runStart >= 0)
      pieces.push(textSeg(runStart === 0 ? t : t.slice(runStart), seg.doc + runStart * seg.step, seg.step));
    if (idx === segs.length - 1) {
      // The last line, when it is only spaces after a newline, is the indentation of the closing `''`.
      const joined = pieces.map((p) => p.text).join('');
      const nl = joined.lastIndexOf('\n');
      if (nl !== -1 && /^ *$/.test(joined.slice(nl + 1))) {
        let keepLen = nl + 1;
        pieces = pieces.flatMap((p) => {
          if (keepLen <= 0) return [];
          const kept = p.text.slice(0, keepLen);
          keepLen -= p.text.length;
          return [textSeg(kept, p.doc, p.step)];
        });
      }
    }
    for (const p of pieces) out.push(p);
  }
  return out;
}

const SPACE = 0x20;
const NEWLINE = 0x0a;

function textSeg(text: string, doc: number, step: 0 | 1): Seg & { kind: 'text' } {
  return { kind: 'text', text, doc, step };
}

function isNode(n: Node | null): n is Node {
  return n !== null;
}
