// Trailing commas in function formals (`{ lib, config, }: …`, `args@{ a, }: …`) are valid Nix, and nixfmt writes
// them whenever formals have no `...`; the tree-sitter-nix grammar on npm (0.0.2) predates the upstream fix and
// rejects them. The parser therefore reads a copy of the text in which each such comma is a space: the same length,
// so every offset, row and column of the tree is the document's own.
//
// Which commas: Nix has commas only in formals, so a comma in code (not in a string or comment) whose next token is
// `}` and whose `}` is followed by `:` or `@` ends a formals list. It is blanked only when the token before it is a
// formal (a name or the end of a default), never after `{`, `,` or `...`: `{ , }:`, `{ a, , b }:` and `{ ..., }:`
// stay syntax errors, as in Nix (its lexer and grammar: nix/src/libexpr/lexer.l, parser.y).

const enum Mode {
  Code,
  String,
  IndString,
}

interface Frame {
  mode: Mode;
  /** Code only: open `{` not yet closed inside this interpolation (or the whole file). */
  braces: number;
}

const isSpace = (c: number) => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
const isIdStart = (c: number) => (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x5f;
const isSchemeChar = (c: number) =>
  (isIdStart(c) && c !== 0x5f) || (c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2d || c === 0x2e;
// The characters of a URI's path (Nix's lexer: [a-zA-Z0-9\%\/\?\:\@\&\=\+\$\,\-\_\.\!\~\*\']).
const isUriChar = (c: number) =>
  (c >= 0x61 && c <= 0x7a) ||
  (c >= 0x41 && c <= 0x5a) ||
  (c >= 0x30 && c <= 0x39) ||
  "%/?:@&=+$,-_.!~*'".includes(String.fromCharCode(c));

const STRING_SPECIAL = /["\\$]/g;
const SPACES = /[ \t\r\n]+/y;
const IDENTIFIER = /[A-Za-z_][A-Za-z0-9_'-]*/y;
const IND_STRING_SPECIAL = /['$]/g;

/**
 * The offset of the last comma followed by `}`, `#` or `/` (blanks between), or -1: found with indexOf, which is
 * several times faster on a large file than a regular expression that tries every character.
 */
function lastCandidate(text: string): number {
  let last = -1;
  for (let i = text.indexOf(','); i !== -1; i = text.indexOf(',', i + 1)) {
    let j = i + 1;
    while (j < text.length && isSpace(text.charCodeAt(j))) j++;
    const c = text.charCodeAt(j);
    if (c === 0x7d /* } */ || c === 0x23 /* # */ || c === 0x2f /* / */) last = i;
  }
  return last;
}

/** Offsets of the commas that end a formals list, ascending. Linear in the text; never throws. */
export function trailingFormalCommas(text: string): number[] {
  // Most files have none: without a comma followed by `}` or a comment (blanks between), there is nothing to find;
  // and nothing after the last such comma needs reading (a module's formals are at the top of its file).
  const last = lastCandidate(text);
  if (last < 0) return [];
  const out: number[] = [];
  const stack: Frame[] = [{ mode: Mode.Code, braces: 0 }];
  // The last token in code, for "does a formal come before this comma": '{', ',', '...', or 'other'.
  let prev: '{' | ',' | '...' | 'other' = 'other';
  // A comma that may end formals, and then the `}` after it, waiting for the `:` or `@` that makes it so.
  let comma = -1;
  let closeSeen = false;
  const token = (kind: typeof prev, at: number, c: number) => {
    if (comma >= 0) {
      if (!closeSeen && c === 0x7d /* } */) closeSeen = true;
      else {
        if (closeSeen && (c === 0x3a /* : */ || c === 0x40) /* @ */) out.push(comma);
        comma = -1;
        closeSeen = false;
      }
    }
    if (kind === ',' && prev === 'other') comma = at;
    prev = kind;
  };
  const n = text.length;
  let i = 0;
  while (i < n) {
    if (i > last && comma < 0) break;
    const frame = stack[stack.length - 1]!;
    const c = text.charCodeAt(i);
    if (frame.mode === Mode.String) {
      // Most of a string is plain text: jump to the next character that can end it or start an interpolation.
      if (c !== 0x5c && c !== 0x22 && c !== 0x24) {
        STRING_SPECIAL.lastIndex = i;
        i = STRING_SPECIAL.exec(text)?.index ?? n;
        continue;
      }
      if (c === 0x5c /* \ */) i += 2;
      else if (c === 0x22 /* " */) {
        stack.pop();
        i++;
      } else if (c === 0x24 /* $ */ && text.charCodeAt(i + 1) === 0x7b) {
        stack.push({ mode: Mode.Code, braces: 0 });
        i += 2;
      } else if (c === 0x24 && text.charCodeAt(i + 1) === 0x24) i += 2;
      else i++;
      continue;
    }
    if (frame.mode === Mode.IndString) {
      if (c !== 0x27 && c !== 0x24) {
        IND_STRING_SPECIAL.lastIndex = i;
        i = IND_STRING_SPECIAL.exec(text)?.index ?? n;
        continue;
      }
      if (c === 0x27 /* ' */ && text.charCodeAt(i + 1) === 0x27) {
        const next = text.charCodeAt(i + 2);
        if (next === 0x24 || next === 0x27) i += 3;
        else if (next === 0x5c) i += 4;
        else {
          stack.pop();
          i += 2;
        }
      } else if (c === 0x24 && text.charCodeAt(i + 1) === 0x7b) {
        stack.push({ mode: Mode.Code, braces: 0 });
        i += 2;
      } else if (c === 0x24 && text.charCodeAt(i + 1) === 0x24) i += 2;
      else i++;
      continue;
    }
    // Code.
    if (isSpace(c)) {
      SPACES.lastIndex = i;
      SPACES.test(text);
      i = SPACES.lastIndex;
      continue;
    }
    if (c === 0x23 /* # */) {
      const eol = text.indexOf('\n', i);
      i = eol < 0 ? n : eol + 1;
      continue;
    }
    if (c === 0x2f /* / */ && text.charCodeAt(i + 1) === 0x2a /* * */) {
      const end = text.indexOf('*/', i + 2);
      i = end < 0 ? n : end + 2;
      continue;
    }
    if (c === 0x22) {
      token('other', i, c);
      stack.push({ mode: Mode.String, braces: 0 });
      i++;
      continue;
    }
    if (c === 0x27 && text.charCodeAt(i + 1) === 0x27) {
      token('other', i, c);
      stack.push({ mode: Mode.IndString, braces: 0 });
      i += 2;
      continue;
    }
    if (isIdStart(c)) {
      // An identifier, or a URI (`https://a,b`: commas inside it are not formal commas); flex takes the longest.
      IDENTIFIER.lastIndex = i;
      IDENTIFIER.test(text);
      let j = IDENTIFIER.lastIndex;
      // Only a `:` (or a scheme's `+`/`.`) right after the name can make it a URI.
      const after = text.charCodeAt(j);
      if (after === 0x3a || after === 0x2b || after === 0x2e) {
        let k = i + 1;
        while (k < n && isSchemeChar(text.charCodeAt(k))) k++;
        if (text.charCodeAt(k) === 0x3a && k + 1 < n && isUriChar(text.charCodeAt(k + 1))) {
          let e = k + 1;
          while (e < n && isUriChar(text.charCodeAt(e))) e++;
          j = Math.max(j, e);
        }
      }
      if (comma >= 0) token('other', i, c);
      else prev = 'other';
      i = j;
      continue;
    }
    if (c === 0x2e /* . */ && text.charCodeAt(i + 1) === 0x2e && text.charCodeAt(i + 2) === 0x2e) {
      token('...', i, c);
      i += 3;
      continue;
    }
    if (c === 0x2c /* , */) {
      token(',', i, c);
      i++;
      continue;
    }
    if (c === 0x7b /* { */) {
      token('{', i, c);
      frame.braces++;
      i++;
      continue;
    }
    if (c === 0x7d /* } */) {
      if (frame.braces === 0 && stack.length > 1) {
        // The end of an interpolation: back into the string, where no token is in progress.
        stack.pop();
        comma = -1;
        closeSeen = false;
        prev = 'other';
        i++;
        continue;
      }
      token('other', i, c);
      if (frame.braces > 0) frame.braces--;
      i++;
      continue;
    }
    if (comma >= 0) token('other', i, c);
    else prev = 'other';
    i++;
  }
  return out;
}

/** `text` with each of `commas` replaced by a space. */
export function blankCommas(text: string, commas: readonly number[]): string {
  if (commas.length === 0) return text;
  const parts: string[] = [];
  let from = 0;
  for (const at of commas) {
    parts.push(text.slice(from, at), ' ');
    from = at + 1;
  }
  parts.push(text.slice(from));
  return parts.join('');
}
