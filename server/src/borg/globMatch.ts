// fnmatch (`fm:`) and borg's shell patterns (`sh:`) as token lists, matched against paths: src/borg/shellpattern.py
// and Python's fnmatch.translate, read as what they match rather than as regex text.
// ---------------------------------------------------------------- glob matching (fm: and sh:)

export type GlobTok =
  | { t: 'lit'; c: number }
  | { t: 'any' } // one character; `/` allowed only when crossSlash
  | { t: 'star' } // any run; `/` allowed only when crossSlash
  | { t: 'dirs' } // sh `**/`: zero or more `name/`
  | { t: 'set'; negate: boolean; ranges: Array<[number, number]> }
  | { t: 'never' };

/**
 * A Python `re` character set body (text between `[` and the closing `]`) in the restricted form fnmatch and
 * shellpattern generate: escapes are only `\\x` for a literal x. Follows sre: `a-b` is a range (hi < lo is an
 * error), a trailing `-` is literal, a leading `^` negates.
 */
function sreSetBody(body: number[]): { ok: true; tok: GlobTok } | { ok: false; error: string } {
  const toks: Array<{ cp: number; escaped: boolean }> = [];
  let k = 0;
  let negate = false;
  if (body[0] === 94) {
    negate = true;
    k = 1;
  }
  for (; k < body.length; k++) {
    if (body[k] === 92 && k + 1 < body.length) {
      toks.push({ cp: body[k + 1]!, escaped: true });
      k++;
    } else {
      toks.push({ cp: body[k]!, escaped: false });
    }
  }
  const ranges: Array<[number, number]> = [];
  let p = 0;
  while (p < toks.length) {
    const lo = toks[p++]!.cp;
    const dash = toks[p];
    if (dash && !dash.escaped && dash.cp === 45) {
      p++;
      const hiTok = toks[p++];
      if (!hiTok) {
        ranges.push([lo, lo], [45, 45]);
        break;
      }
      if (hiTok.cp < lo) {
        return {
          ok: false,
          error: `bad character range ${String.fromCodePoint(lo)}-${String.fromCodePoint(hiTok.cp)}`,
        };
      }
      ranges.push([lo, hiTok.cp]);
    } else {
      ranges.push([lo, lo]);
    }
  }
  if (ranges.length === 0) return { ok: true, tok: negate ? { t: 'any' } : { t: 'never' } };
  return { ok: true, tok: { t: 'set', negate, ranges } };
}

const BS = 92;

/** fnmatch.translate (Python 3.11) for the text between `[` and `]`. */
function fnmatchClass(pat: number[], i: number, j: number): GlobTok | undefined {
  const s = pat.slice(i, j);
  const esc = (chunk: number[], dash: boolean): number[] =>
    chunk.flatMap((c) => (c === BS || (dash && c === 45) ? [BS, c] : [c]));
  let stuff: number[];
  if (!s.includes(45)) {
    stuff = esc(s, false);
  } else {
    const chunks: number[][] = [];
    let a = 0;
    let k = s[0] === 33 ? 2 : 1;
    for (;;) {
      const f = s.indexOf(45, k);
      if (f < 0) break;
      chunks.push(s.slice(a, f));
      a = f + 1;
      k = f + 3;
    }
    const last = s.slice(a);
    if (last.length > 0) chunks.push(last);
    else chunks[chunks.length - 1] = [...chunks[chunks.length - 1]!, 45];
    for (let k2 = chunks.length - 1; k2 > 0; k2--) {
      const prev = chunks[k2 - 1]!;
      const cur = chunks[k2]!;
      if (prev.length === 0 || cur.length === 0) return undefined; // Python would raise IndexError here
      if (prev[prev.length - 1]! > cur[0]!) {
        chunks[k2 - 1] = [...prev.slice(0, -1), ...cur.slice(1)];
        chunks.splice(k2, 1);
      }
    }
    stuff = [];
    chunks.forEach((chunk, idx) => {
      if (idx > 0) stuff.push(45);
      stuff.push(...esc(chunk, true));
    });
  }
  // Set operations (&&, ~~, ||) are escaped by fnmatch; for us they are literals either way.
  if (stuff.length === 0) return { t: 'never' };
  if (stuff.length === 1 && stuff[0] === 33) return { t: 'any' };
  if (stuff[0] === 33) stuff = [94, ...stuff.slice(1)];
  else if (stuff[0] === 94 || stuff[0] === 91) stuff = [BS, ...stuff];
  const set = sreSetBody(stuff);
  return set.ok ? set.tok : undefined;
}

export function fnmatchTokens(pattern: string): GlobTok[] | undefined {
  const pat = Array.from(pattern, (ch) => ch.codePointAt(0)!);
  const out: GlobTok[] = [];
  const n = pat.length;
  let i = 0;
  while (i < n) {
    const c = pat[i++]!;
    if (c === 42) {
      if (out.length === 0 || out[out.length - 1]!.t !== 'star') out.push({ t: 'star' });
    } else if (c === 63) {
      out.push({ t: 'any' });
    } else if (c === 91) {
      const j = closingBracket(pat, i);
      if (j >= n) {
        out.push({ t: 'lit', c: 91 });
      } else {
        const cls = fnmatchClass(pat, i, j);
        if (!cls) return undefined;
        out.push(cls);
        i = j + 1;
      }
    } else {
      out.push({ t: 'lit', c });
    }
  }
  return out;
}

/** Where the `[…]` class opened before `i` ends, as both of borg's translators scan it (pat.length: no end). */
function closingBracket(pat: number[], i: number): number {
  const n = pat.length;
  let j = i;
  if (j < n && pat[j] === 33) j++;
  if (j < n && pat[j] === 93) j++;
  while (j < n && pat[j] !== 93) j++;
  return j;
}

type ShellTokens = { ok: true; toks: GlobTok[] } | { ok: false; error: string };

export function shellTokens(pattern: string): ShellTokens {
  const pat = Array.from(pattern, (ch) => ch.codePointAt(0)!);
  const out: GlobTok[] = [];
  const n = pat.length;
  let i = 0;
  while (i < n) {
    const c = pat[i++]!;
    if (c === 42) {
      if (i + 1 < n && pat[i] === 42 && pat[i + 1] === 47) {
        out.push({ t: 'dirs' });
        i += 2;
      } else {
        out.push({ t: 'star' });
      }
    } else if (c === 63) {
      out.push({ t: 'any' });
    } else if (c === 91) {
      const j = closingBracket(pat, i);
      if (j >= n) {
        out.push({ t: 'lit', c: 91 });
      } else {
        // shellpattern doubles backslashes, turns a leading `!` into `^` and escapes a leading `^`.
        let stuff = pat.slice(i, j).flatMap((x) => (x === BS ? [BS, BS] : [x]));
        i = j + 1;
        if (stuff[0] === 33) stuff = [94, ...stuff.slice(1)];
        else if (stuff[0] === 94) stuff = [BS, ...stuff];
        const set = sreSetBody(stuff);
        if (!set.ok) return set;
        out.push(set.tok);
      }
    } else {
      out.push({ t: 'lit', c });
    }
  }
  return { ok: true, toks: out };
}

export function shellPatternError(body: string): string | undefined {
  const t = shellTokens(body);
  return t.ok ? undefined : t.error;
}

function charMatches(tok: GlobTok, c: number, crossSlash: boolean): boolean {
  switch (tok.t) {
    case 'lit':
      return tok.c === c;
    case 'any':
      return crossSlash || c !== 47;
    case 'set': {
      const inSet = tok.ranges.some(([lo, hi]) => c >= lo && c <= hi);
      return tok.negate ? !inSet : inSet;
    }
    default:
      return false;
  }
}

// Cells of the glob DP table we are willing to fill for one match (a few ms).
export const MAX_GLOB_WORK = 1_000_000;

/** Full match of `toks` against `s` (both as code points), O(|toks|·|s|). */
export function globMatch(toks: GlobTok[], s: number[], crossSlash: boolean): boolean {
  const n = s.length;
  let next: boolean[] = new Array<boolean>(n + 1).fill(false);
  next[n] = true; // empty pattern suffix matches only the empty string suffix
  const nextSlash: number[] = new Array<number>(n + 1);
  let ns = -1;
  for (let k = n; k >= 0; k--) {
    if (k < n && s[k] === 47) ns = k;
    nextSlash[k] = ns;
  }
  for (let p = toks.length - 1; p >= 0; p--) {
    const tok = toks[p]!;
    const cur: boolean[] = new Array<boolean>(n + 1).fill(false);
    for (let k = n; k >= 0; k--) {
      if (tok.t === 'star') {
        cur[k] = next[k]! || (k < n && (crossSlash || s[k] !== 47) && cur[k + 1]!);
      } else if (tok.t === 'dirs') {
        const sl = nextSlash[k]!;
        cur[k] = next[k]! || (sl >= 0 && cur[sl + 1]!);
      } else if (tok.t === 'never') {
        cur[k] = false;
      } else {
        cur[k] = k < n && charMatches(tok, s[k]!, crossSlash) && next[k + 1]!;
      }
    }
    next = cur;
  }
  return next[0]!;
}

export function codePoints(s: string): number[] {
  return Array.from(s, (ch) => ch.codePointAt(0)!);
}
