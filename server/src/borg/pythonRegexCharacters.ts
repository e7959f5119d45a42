// Where Python's and JavaScript's regexes read single characters differently: Python's Unicode \d, \s and \w,
// its escapes (octal, \x/\u/\U, which letters are refused) and character sets are translated one by one into
// explicit JS code points and classes instead of trusting the JS spelling to mean the same.

import { Flags, hex, Node, PatternReader, PyReError, PyReUnknown } from './pythonRegexReader';

// Python's \s, \w, \d for str patterns (Unicode); JS's differ (\s has U+FEFF, lacks \x1c-\x1f, \x85).
const PY_S_U = '[\\t\\n\\v\\f\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]';
const PY_W_U = '[\\p{L}\\p{N}_]';
const PY_D_U = '\\p{Nd}';
const PY_S_A = '[\\t\\n\\v\\f\\r ]';
const PY_W_A = '[A-Za-z0-9_]';
const PY_D_A = '[0-9]';

/** `\d` `\s` `\w` and their negations as JS; undefined for a negation inside a set, which needs its own form there. */
export function category(letter: string, flags: Flags, inClass: boolean): string | undefined {
  const a = flags.a;
  switch (letter) {
    case 'd':
      return a ? PY_D_A : PY_D_U;
    case 's':
      return a ? PY_S_A : PY_S_U;
    case 'w':
      return a ? PY_W_A : PY_W_U;
    case 'D':
      return inClass ? undefined : '(?:(?!' + (a ? PY_D_A : PY_D_U) + ')[\\s\\S])';
    case 'S':
      return inClass ? undefined : '(?:(?!' + (a ? PY_S_A : PY_S_U) + ')[\\s\\S])';
    case 'W':
      return inClass ? undefined : '(?:(?!' + (a ? PY_W_A : PY_W_U) + ')[\\s\\S])';
    default:
      return undefined;
  }
}

/** Escapes that denote one character, shared by classes and the main pattern; undefined for others. */
export function simpleEscape(r: PatternReader, c: string, start: number, inClass: boolean): number | undefined {
  const fixed: Record<string, number> = { a: 7, f: 12, n: 10, r: 13, t: 9, v: 11, '\\': 92 };
  if (inClass && c === 'b') return 8;
  if (fixed[c] !== undefined) return fixed[c];
  if (c === 'x' || c === 'u' || c === 'U') {
    const len = c === 'x' ? 2 : c === 'u' ? 4 : 8;
    let h = '';
    while (h.length < len && /[0-9a-fA-F]/.test(r.peek() ?? '')) h += r.chars[r.pos++]!;
    if (h.length !== len) throw new PyReError(`incomplete escape \\${c}${h} at position ${start}`, start);
    const v = parseInt(h, 16);
    if (v > 0x10ffff) throw new PyReError(`bad escape \\${c}${h} at position ${start}`, start);
    return v;
  }
  if (c === 'N') throw new PyReUnknown('\\N{...} named character', start);
  if (c === '0' || (inClass && /[0-7]/.test(c))) {
    let o = c;
    const maxLen = c === '0' && !inClass ? 3 : 3;
    while (o.length < maxLen && /[0-7]/.test(r.peek() ?? '')) o += r.chars[r.pos++]!;
    const v = parseInt(o, 8);
    if (v > 0o377)
      throw new PyReError(`octal escape value \\${o} outside of range 0-0o377 at position ${start}`, start);
    return v;
  }
  if (/[0-9]/.test(c)) {
    if (inClass) throw new PyReError(`bad escape \\${c} at position ${start}`, start);
    return undefined;
  }
  if (/[A-Za-z]/.test(c)) return undefined;
  return c.codePointAt(0)!;
}

/**
 * A `[...]` set, read after its `[`. `globalI`: JS has case-insensitivity only for a whole pattern, so a set under a
 * scoped `(?i:...)` cannot be translated.
 */
export function parseClass(r: PatternReader, flags: Flags, start: number, globalI: boolean): Node {
  if (flags.i && !globalI) throw new PyReUnknown('scoped case-insensitive flag', start);
  const negate = r.peek() === '^';
  if (negate) r.pos++;
  const items: string[] = [];
  const extras: string[] = [];
  let count = 0;
  const readItem = (): { cp?: number; cat?: string; text: string } => {
    const c = r.chars[r.pos++];
    if (c === undefined) throw new PyReError(`unterminated character set at position ${start}`, start);
    if (c !== '\\') return { cp: c.codePointAt(0)!, text: c };
    const e = r.chars[r.pos++];
    if (e === undefined) throw new PyReError(`bad escape (end of pattern) at position ${r.pos - 1}`, r.pos - 1);
    if ('dswDSW'.includes(e)) {
      const inClass = category(e, flags, true);
      const neg = e === e.toUpperCase();
      const base = category(e.toLowerCase(), flags, true)!;
      return { cat: neg ? '(?:(?!' + base + ')[\\s\\S])' : inClass!, text: '\\' + e };
    }
    const cp = simpleEscape(r, e, r.pos - 2, true);
    if (cp === undefined) throw new PyReError(`bad escape \\${e} at position ${r.pos - 2}`, r.pos - 2);
    return { cp, text: '\\' + e };
  };
  for (;;) {
    if (r.peek() === undefined) throw new PyReError(`unterminated character set at position ${start}`, start);
    if (r.peek() === ']' && count > 0) {
      r.pos++;
      break;
    }
    const a = readItem();
    count++;
    if (r.peek() === '-') {
      r.pos++;
      if (r.peek() === undefined) throw new PyReError(`unterminated character set at position ${start}`, start);
      if (r.peek() === ']') {
        r.pos++;
        if (a.cat !== undefined) extras.push(a.cat);
        else items.push(hex(a.cp!));
        items.push(hex(45));
        break;
      }
      const b = readItem();
      if (a.cat !== undefined || b.cat !== undefined || b.cp! < a.cp!) {
        throw new PyReError(`bad character range ${a.text}-${b.text} at position ${start}`, start);
      }
      items.push(hex(a.cp!) + '-' + hex(b.cp!));
      continue;
    }
    if (a.cat !== undefined) extras.push(a.cat);
    else items.push(hex(a.cp!));
  }
  const alts = [...(items.length > 0 ? ['[' + items.join('') + ']'] : []), ...extras];
  const any = alts.length > 0 ? '(?:' + alts.join('|') + ')' : '(?!)';
  return { js: negate ? '(?:(?!' + any + ')[\\s\\S])' : any, min: 1, max: 1 };
}

export function hasCase(cp: number): boolean {
  const ch = String.fromCodePoint(cp);
  return ch.toLowerCase() !== ch || ch.toUpperCase() !== ch;
}
