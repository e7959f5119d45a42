// Borg 1.x exclude patterns as Clan passes them: NixOS writes `exclude` joined by "\n" into a file given to
// `--exclude-from`, so each line is stripped, empty and `#` lines are dropped, and the default style is `fm:`.
// Semantics follow src/borg/patterns.py, src/borg/shellpattern.py and Python's fnmatch/re (1.2-maint = 1.4-maint).

export type PatternStyle = 'fm' | 'sh' | 're' | 'pp' | 'pf';

export interface RegexInfo {
  /** 'valid': Python compiles it and `js` matches like Python's re.search. */
  status: 'valid' | 'invalid' | 'unknown';
  /** For 'invalid': Python's error text; for 'unknown': the construct that could not be judged. */
  message?: string;
  /** Offset of the problem inside the regex body. */
  offset?: number;
  js?: RegExp;
}

export interface ExcludeLine {
  /** The stripped line, as borg sees it. */
  text: string;
  /** Offsets of `text` inside the original entry. */
  start: number;
  end: number;
  style: PatternStyle | undefined;
  /** True when the line starts with an explicit `xx:` prefix. */
  explicitStyle: boolean;
  /** The part after the style prefix. */
  body: string;
  bodyStart: number;
  /** Set when borg refuses the line. */
  error?: string;
  regex?: RegexInfo;
}

export interface ParsedExclude {
  /** Lines borg reads from this entry; comment and empty lines are dropped like --exclude-from does. */
  lines: ExcludeLine[];
  /** Lines that --exclude-from skips as comments (start with `#` after stripping). */
  comments: Array<{ start: number; end: number; text: string }>;
}

export interface ExcludeFinding {
  code: 'invalid-exclude' | 'exclude-root-only' | 'exclude-unsupported-syntax';
  message: string;
  start: number;
  end: number;
  /** Replacement texts for the whole entry, best first. */
  fixes?: string[];
}

const MAX_JUDGED_LENGTH = 4096;
const STYLES: readonly string[] = ['fm', 'sh', 're', 'pp', 'pf'];

// Python str.isspace(): what str.strip() removes.
const PY_SPACE = '\\t\\n\\v\\f\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const LEADING_SPACE = new RegExp('^[' + PY_SPACE + ']+');
const TRAILING_SPACE = new RegExp('[' + PY_SPACE + ']+$');

function show(s: string): string {
  const clipped = s.length > 80 ? s.slice(0, 77) + '…' : s;
  return '`' + clipped.replace(/[\u0000-\u001f\u007f]/g, (c) => '\\x' + c.charCodeAt(0).toString(16).padStart(2, '0')) + '`';
}

// Python's str.isalnum() for the two style characters.
function isPyAlnum(s: string): boolean {
  return /^[\p{L}\p{N}]+$/u.test(s);
}

/**
 * Reads one Clan `exclude` entry the way borg reads the `--exclude-from` file NixOS writes.
 * Python's text mode splits lines at "\n", "\r\n" and "\r".
 */
export function parseExcludePattern(p: string): ParsedExclude {
  const result: ParsedExclude = { lines: [], comments: [] };
  if (typeof p !== 'string') return result;
  const re = /[^\r\n]*(?:\r\n|\r|\n|$)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(p)) !== null) {
    const raw = m[0].replace(/(?:\r\n|\r|\n)$/, '');
    const lineStart = m.index;
    const lead = LEADING_SPACE.exec(raw)?.[0].length ?? 0;
    const trail = TRAILING_SPACE.exec(raw.slice(lead))?.[0].length ?? 0;
    const text = raw.slice(lead, raw.length - trail);
    const start = lineStart + lead;
    if (text !== '') {
      if (text.startsWith('#')) result.comments.push({ start, end: start + text.length, text });
      else result.lines.push(parseLine(text, start));
    }
    if (m[0] === '' || re.lastIndex >= p.length) break;
  }
  return result;
}

function parseLine(text: string, start: number): ExcludeLine {
  const chars = Array.from(text);
  const line: ExcludeLine = { text, start, end: start + text.length, style: 'fm', explicitStyle: false, body: text, bodyStart: start };
  // Borg's test, on code points: len(p) > 2 and p[2] == ':' and p[:2].isalnum().
  if (chars.length > 2 && chars[2] === ':' && isPyAlnum(chars[0]! + chars[1]!)) {
    const prefix = chars[0]! + chars[1]!;
    line.explicitStyle = true;
    line.body = text.slice(prefix.length + 1);
    line.bodyStart = start + prefix.length + 1;
    if (!STYLES.includes(prefix)) {
      line.style = undefined;
      line.error = `Unknown pattern style: ${prefix}`;
      return line;
    }
    line.style = prefix as PatternStyle;
  }
  if (line.style === 're') {
    line.regex = translatePythonRegex(line.body);
    if (line.regex.status === 'invalid') line.error = line.regex.message!;
  } else if (line.style === 'sh') {
    const err = shellPatternError(line.body);
    if (err) line.error = err;
  }
  return line;
}

// ---------------------------------------------------------------- paths

/** posixpath.normpath */
export function normpath(path: string): string {
  if (path === '') return '.';
  let initial = path.startsWith('/') ? 1 : 0;
  if (initial && path.startsWith('//') && !path.startsWith('///')) initial = 2;
  const comps: string[] = [];
  for (const comp of path.split('/')) {
    if (comp === '' || comp === '.') continue;
    if (comp !== '..' || (!initial && comps.length === 0) || (comps.length > 0 && comps[comps.length - 1] === '..')) comps.push(comp);
    else if (comps.length > 0) comps.pop();
  }
  const joined = '/'.repeat(initial) + comps.join('/');
  return joined === '' ? '.' : joined;
}

function lstripSlash(s: string): string {
  return s.replace(/^\/+/, '');
}

function rstripSlash(s: string): string {
  return s.replace(/\/+$/, '');
}

// ---------------------------------------------------------------- glob matching (fm: and sh:)

type GlobTok =
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
        return { ok: false, error: `bad character range ${String.fromCodePoint(lo)}-${String.fromCodePoint(hiTok.cp)}` };
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

function fnmatchTokens(pattern: string): GlobTok[] | undefined {
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

function shellTokens(pattern: string): ShellTokens {
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

function shellPatternError(body: string): string | undefined {
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
const MAX_GLOB_WORK = 1_000_000;

/** Full match of `toks` against `s` (both as code points), O(|toks|·|s|). */
function globMatch(toks: GlobTok[], s: number[], crossSlash: boolean): boolean {
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

function codePoints(s: string): number[] {
  return Array.from(s, (ch) => ch.codePointAt(0)!);
}

// ---------------------------------------------------------------- matching

export type MatchResult = { judged: true; matches: boolean } | { judged: false; reason: string };

/**
 * Whether borg would exclude `archivedPath` because of the single pattern line `pattern`
 * (style prefix allowed; fm: by default). Leading `/` of the path is ignored, as borg does.
 */
export function tryMatchPath(pattern: string, archivedPath: string): MatchResult {
  if (typeof pattern !== 'string' || typeof archivedPath !== 'string') return { judged: false, reason: 'not a string' };
  if (pattern.length > MAX_JUDGED_LENGTH || archivedPath.length > MAX_JUDGED_LENGTH) return { judged: false, reason: 'too long to judge' };
  const line = parseLine(pattern, 0);
  if (line.error) return { judged: false, reason: line.error };
  const path = lstripSlash(archivedPath);
  const body = line.body;
  switch (line.style) {
    case 'pf':
      return { judged: true, matches: path === lstripSlash(normpath(body)) };
    case 'pp': {
      const prefix = lstripSlash(rstripSlash(normpath(body)) + '/');
      return { judged: true, matches: (path + '/').startsWith(prefix) };
    }
    case 'fm': {
      const prepared = body.endsWith('/') ? rstripSlash(normpath(body)) + '/*/' : normpath(body) + '/*';
      const toks = fnmatchTokens(lstripSlash(prepared));
      if (!toks) return { judged: false, reason: 'bracket expression Python fnmatch cannot translate' };
      const cps = codePoints(path + '/');
      if (toks.length * cps.length > MAX_GLOB_WORK) return { judged: false, reason: 'too long to judge' };
      return { judged: true, matches: globMatch(toks, cps, true) };
    }
    case 'sh': {
      const prepared = body.endsWith('/') ? rstripSlash(normpath(body)) + '/**/*/' : normpath(body) + '/**/*';
      const toks = shellTokens(lstripSlash(prepared));
      if (!toks.ok) return { judged: false, reason: toks.error };
      const cps = codePoints(path + '/');
      if (toks.toks.length * cps.length > MAX_GLOB_WORK) return { judged: false, reason: 'too long to judge' };
      return { judged: true, matches: globMatch(toks.toks, cps, false) };
    }
    case 're': {
      const info = line.regex!;
      if (info.status !== 'valid' || !info.js) return { judged: false, reason: info.message ?? 'regex not judged' };
      try {
        return { judged: true, matches: info.js.test(path) };
      } catch {
        return { judged: false, reason: 'regex too expensive to run' };
      }
    }
    default:
      return { judged: false, reason: 'unknown style' };
  }
}

/** Like tryMatchPath, but `false` when the pattern is invalid or cannot be judged. */
export function matchesPath(pattern: string, archivedPath: string): boolean {
  const r = tryMatchPath(pattern, archivedPath);
  return r.judged && r.matches;
}

// ---------------------------------------------------------------- analysis

// Top-level directories: a bare `nix` or `tmp` most likely means the root one, which is what borg matches.
const ROOT_DIR_NAMES = new Set([
  'bin', 'boot', 'dev', 'etc', 'home', 'lib', 'lib64', 'media', 'mnt', 'nix', 'opt', 'persist', 'proc', 'root',
  'run', 'sbin', 'srv', 'sys', 'tmp', 'usr', 'var', 'data', 'storage',
]);

/** Findings for one literal Clan `exclude` entry; offsets are into `p`. */
export function analyzeExclude(p: string): ExcludeFinding[] {
  if (typeof p !== 'string' || p.length > MAX_JUDGED_LENGTH) return [];
  const parsed = parseExcludePattern(p);
  const multi = parsed.lines.length + parsed.comments.length > 1;
  const out: ExcludeFinding[] = [];
  for (const c of parsed.comments) {
    out.push({
      code: 'exclude-unsupported-syntax',
      message: `${show(c.text)} starts with \`#\`, so borg's --exclude-from skips it as a comment; write \`[#]${c.text.slice(1)}\` (fm:) to match a literal \`#\``,
      start: c.start,
      end: c.end,
    });
  }
  for (const line of parsed.lines) {
    const lineFix = (replacement: string): string => (multi ? p.slice(0, line.start) + replacement + p.slice(line.end) : replacement);
    if (line.error) {
      if (line.style === undefined) {
        out.push({
          code: 'invalid-exclude',
          message: `borg fails with "Unknown pattern style: ${line.text.slice(0, line.text.length - line.body.length - 1)}"; known styles are fm:, sh:, re:, pp:, pf:`,
          start: line.start,
          end: line.bodyStart - 1,
        });
      } else {
        const off = line.regex?.offset;
        const at = off !== undefined ? line.bodyStart + Math.min(off, line.body.length) : line.bodyStart;
        out.push({
          code: 'invalid-exclude',
          message: `borg fails on ${show(line.text)}: ${line.error}`,
          start: off !== undefined ? at : line.start,
          end: off !== undefined ? Math.min(at + 1, line.end) : line.end,
        });
      }
      continue;
    }
    if (line.style === 're') continue; // `$`, `{}` and `~` have regex meanings
    const body = line.body;
    const unsupported = unsupportedSyntax(body);
    if (unsupported) {
      out.push({
        code: 'exclude-unsupported-syntax',
        message: unsupported.message,
        start: line.bodyStart + unsupported.start,
        end: line.bodyStart + unsupported.end,
        ...(unsupported.fixes ? { fixes: unsupported.fixes.map((f) => lineFix(line.text.slice(0, line.text.length - body.length) + f)) } : {}),
      });
      continue;
    }
    if (line.style === 'fm') {
      const name = rstripSlash(body);
      const trailing = body.slice(name.length);
      if (
        name !== '' && !name.includes('/') && !/[*?[]/.test(name) && name !== '.' && name !== '..' &&
        !ROOT_DIR_NAMES.has(name) && trailing.length <= 1
      ) {
        const fmFix = (line.explicitStyle ? 'fm:' : '') + '*/' + name + trailing;
        const shFix = 'sh:**/' + name + trailing;
        out.push({
          code: 'exclude-root-only',
          message: `${show(line.text)} only matches ${show(name)} at the top of the archive (fm: patterns match from the start of the path), so e.g. ${show('home/alice/' + name)} is still backed up; use ${show(fmFix)} or ${show(shFix)}`,
          start: line.start,
          end: line.end,
          fixes: [lineFix(fmFix), lineFix(shFix)],
        });
      }
    }
  }
  return out;
}

interface Unsupported {
  message: string;
  start: number;
  end: number;
  fixes?: string[];
}

function unsupportedSyntax(body: string): Unsupported | undefined {
  const brace = /\{[^{}]*,[^{}]*\}/.exec(body);
  if (brace) {
    const alts = brace[0].slice(1, -1).split(',');
    return {
      message: `borg patterns have no \`{a,b}\` alternatives: ${show(brace[0])} only matches those literal characters; write one entry per alternative`,
      start: brace.index,
      end: brace.index + brace[0].length,
      fixes: [alts.map((a) => body.slice(0, brace.index) + a + body.slice(brace.index + brace[0].length)).join('\n')],
    };
  }
  const tilde = /^\/?~/.exec(body);
  if (tilde) {
    return {
      message: '`~` is not expanded in borg patterns (it is a literal character); archived paths look like `home/alice/...` or `root/...`',
      start: tilde[0].length - 1,
      end: tilde[0].length,
    };
  }
  const dollar = /\$(\{[A-Za-z_][A-Za-z0-9_]*\}|[A-Za-z_][A-Za-z0-9_]*)/.exec(body);
  if (dollar) {
    return {
      message: `${show(dollar[0])} is not expanded in borg patterns (no shell is involved); write the path itself`,
      start: dollar.index,
      end: dollar.index + dollar[0].length,
    };
  }
  const dot = /^\.\.?\//.exec(body);
  if (dot) {
    return {
      message: `${show(dot[0])}: patterns are not relative to a working directory; archived paths are relative to \`/\` (e.g. \`home/alice/x\`)`,
      start: 0,
      end: dot[0].length,
    };
  }
  const cmd = /^[-+!] /.exec(body);
  if (cmd) {
    return {
      message: `${show(cmd[0].trim())} is a --patterns-from command; --exclude-from (what Clan uses) reads it as part of the pattern`,
      start: 0,
      end: 1,
      fixes: [body.slice(2).trimStart()],
    };
  }
  return undefined;
}

// ---------------------------------------------------------------- description (hover)

const SAMPLE_PATHS = [
  'home/alice/notes.txt', 'home/alice/.cache/thumbnails/x.png', 'home/alice/proj/__pycache__/m.pyc', 'home/alice/proj/main.py',
  'var/lib/app/data.db', 'var/log/syslog', 'etc/passwd', 'root/.ssh/id_ed25519', 'nix/store/abc-foo/bin/foo', 'tmp/x',
];

function exampleFor(line: ExcludeLine): string | undefined {
  if (line.style === undefined) return undefined;
  if (line.style === 're') {
    // Many quantifiers: a made-up example could send the backtracking engine into exponential time.
    if ((line.body.match(/[*+?}]/g) ?? []).length > 6 || line.body.length > 200) return undefined;
    // Crude de-regexing; the caller keeps the result only if the real matcher agrees.
    return line.body.replace(
      /\\([dws])|\\([AZbB])|\\(.)|\[\^?[^\]]*\]|\.|\(\?P<[^>]*>|\(\?[:=!]|[()|^$*+?]|\{[0-9,]*\}/g,
      (tok, cls: string | undefined, anchor: string | undefined, esc: string | undefined) =>
        cls !== undefined || tok.startsWith('[') || tok === '.' ? 'x' : anchor !== undefined ? '' : esc !== undefined ? esc : '',
    );
  }
  // Substitute wildcards with plausible text; the result is checked with the real matcher.
  const body = lstripSlash(line.body).replace(/\[!?\]?[^\]]*\]/g, (cls) => {
    const inner = cls.replace(/^\[!?/, '').slice(0, -1);
    return cls.startsWith('[!') ? 'z' : inner[0] ?? 'x';
  });
  let ex = body
    .replace(/\*\*\//g, 'home/alice/')
    .replace(/\*/g, 'alice')
    .replace(/\?/g, 'x');
  if (ex.endsWith('/')) ex += 'file';
  if (ex === '' || ex === '.') ex = 'home/alice/x';
  return ex;
}

/** One-line explanation for hover: what the entry does, with a path it excludes and one it keeps. */
export function describeExclude(p: string): string {
  if (typeof p !== 'string') return '';
  const parsed = parseExcludePattern(p);
  if (parsed.lines.length === 0) {
    return parsed.comments.length > 0 ? 'Ignored: --exclude-from treats lines starting with `#` as comments.' : 'Ignored: empty pattern.';
  }
  const parts: string[] = [];
  for (const line of parsed.lines.slice(0, 4)) {
    if (line.error) {
      parts.push(`${show(line.text)}: borg rejects it (${line.error}).`);
      continue;
    }
    const what: Record<PatternStyle, string> = {
      fm: `${line.explicitStyle ? 'fm:' : 'fm: (default)'} ${show(line.body)} — fnmatch from the start of the path; \`*\` also matches \`/\``,
      sh: `sh: ${show(line.body)} — shell glob from the start of the path; \`*\` stays within one directory, \`**/\` spans directories`,
      re: `re: ${show(line.body)} — Python regex searched anywhere in the path`,
      pp: `pp: ${show(line.body)} — path prefix: the path itself and everything below it`,
      pf: `pf: ${show(line.body)} — exactly this path, nothing below it`,
    };
    let text = what[line.style!];
    if (line.style === 're' && line.regex?.status === 'unknown') text += ` (not checked here: ${line.regex.message})`;
    const candidates = [exampleFor(line), ...SAMPLE_PATHS].filter((x): x is string => x !== undefined);
    const hit = candidates.find((c) => matchesPath(line.text, c));
    const keepCandidates = [...SAMPLE_PATHS];
    const root = rstripSlash(lstripSlash(line.body));
    if (hit) keepCandidates.unshift(hit.replace(/[^/]+$/, 'other'), 'x' + hit);
    if (line.style === 'fm' && root !== '' && !root.includes('/')) keepCandidates.unshift('home/alice/' + root);
    const miss = keepCandidates.find((c) => tryMatchPath(line.text, c).judged && !matchesPath(line.text, c));
    if (hit) text += `; excludes ${show(hit)}`;
    if (miss) text += `${hit ? ',' : ';'} keeps ${show(miss)}`;
    parts.push(text + '.');
  }
  if (parsed.lines.length > 4) parts.push(`(+${parsed.lines.length - 4} more lines)`);
  return parts.join(' ');
}

// ---------------------------------------------------------------- Python regex → JS

// Python's \s, \w, \d for str patterns (Unicode); JS's differ (\s has U+FEFF, lacks \x1c-\x1f, \x85).
const PY_S_U = '[\\t\\n\\v\\f\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]';
const PY_W_U = '[\\p{L}\\p{N}_]';
const PY_D_U = '\\p{Nd}';
const PY_S_A = '[\\t\\n\\v\\f\\r ]';
const PY_W_A = '[A-Za-z0-9_]';
const PY_D_A = '[0-9]';

class PyReError extends Error {
  constructor(message: string, readonly pos: number) {
    super(message);
  }
}

class PyReUnknown extends Error {
  constructor(message: string, readonly pos: number) {
    super(message);
  }
}

interface Flags {
  i: boolean;
  m: boolean;
  s: boolean;
  a: boolean;
}

interface Node {
  js: string;
  /** Width range like sre's getwidth (max Infinity = unbounded). */
  min: number;
  max: number;
  /** sre "AT" codes (anchors, \b) cannot be repeated. */
  isAt?: boolean;
  /** Produced nothing (comment, global flags): a following quantifier has nothing to repeat. */
  empty?: boolean;
  /** A lookaround; JS forbids quantifying it directly. */
  isAssert?: boolean;
  /** Already quantified: another quantifier is sre's "multiple repeat". */
  isRepeat?: boolean;
  /** Capture groups inside. */
  groups?: number[];
}

const MAXREPEAT = 4294967295;

function hex(cp: number): string {
  return '\\u{' + cp.toString(16) + '}';
}

function isIdentifier(name: string): boolean {
  return /^[\p{L}\p{Nl}_][\p{L}\p{Nl}\p{Mn}\p{Mc}\p{Nd}\p{Pc}]*$/u.test(name);
}

class PyRegexParser {
  private pos = 0;
  private groups = 0;
  private readonly open = new Set<number>();
  private readonly names = new Map<string, number>();
  private readonly groupWidths = new Map<number, [number, number]>();
  private readonly chars: string[];
  private lookbehindDepth = 0;
  readonly optionalGroups = new Set<number>();
  readonly referencedGroups = new Set<number>();
  globalI = false;

  constructor(src: string) {
    this.chars = Array.from(src);
  }

  private peek(k = 0): string | undefined {
    return this.chars[this.pos + k];
  }

  parse(): string {
    const flags: Flags = { i: false, m: false, s: false, a: false };
    const node = this.parseAlternation(flags, 0);
    if (this.pos < this.chars.length) {
      // Only a `)` can stop the top level.
      throw new PyReError(`unbalanced parenthesis at position ${this.pos}`, this.pos);
    }
    return node.js;
  }

  private parseAlternation(flags: Flags, nested: number): Node {
    const branches: Node[] = [];
    for (;;) {
      branches.push(this.parseBranch(flags, nested, nested === 0 && branches.length === 0));
      if (this.peek() === '|') {
        this.pos++;
        continue;
      }
      break;
    }
    if (branches.length === 1) return branches[0]!;
    for (const b of branches) for (const g of b.groups ?? []) this.optionalGroups.add(g);
    return {
      groups: branches.flatMap((b) => b.groups ?? []),
      js: '(?:' + branches.map((b) => b.js).join('|') + ')',
      min: Math.min(...branches.map((b) => b.min)),
      max: Math.max(...branches.map((b) => b.max)),
    };
  }

  private parseBranch(flags: Flags, nested: number, first: boolean): Node {
    const items: Node[] = [];
    for (;;) {
      const c = this.peek();
      if (c === undefined || c === '|' || c === ')') break;
      const at = this.pos;
      if (this.isQuantifierStart()) {
        // Like sre, a quantifier applies to the last item; comments and flag groups add none.
        const last = items[items.length - 1];
        if (!last || last.isAt) throw new PyReError(`nothing to repeat at position ${at}`, at);
        if (last.isRepeat) throw new PyReError(`multiple repeat at position ${at}`, at);
        const q = this.parseQuantifier()!;
        const body = last.isAssert ? '(?:' + last.js + ')' : last.js;
        // A group under `?`/`*`/`{0,n}` may not take part in a match; JS and Python then disagree on `\N`.
        if (q.lo === 0) for (const g of last.groups ?? []) this.optionalGroups.add(g);
        items[items.length - 1] = {
          js: '(?:' + body + ')' + q.js,
          min: last.min * q.lo,
          max: q.hi === Infinity ? (last.max === 0 ? 0 : Infinity) : last.max * q.hi,
          isRepeat: true,
          groups: last.groups ?? [],
        };
        continue;
      }
      const atom = this.parseAtom(flags, nested, first && items.length === 0);
      if (!atom.empty) items.push(atom);
    }
    return {
      js: items.map((x) => x.js).join(''),
      min: items.reduce((a, x) => a + x.min, 0),
      max: items.reduce((a, x) => a + x.max, 0),
      groups: items.flatMap((x) => x.groups ?? []),
    };
  }

  private isQuantifierStart(): boolean {
    const c = this.peek();
    if (c === '*' || c === '+' || c === '?') return true;
    if (c === '{') return this.readBraces(false) !== undefined;
    return false;
  }

  /** `{m,n}` if the text at pos is a valid Python repeat; advances only when consume. */
  private readBraces(consume: boolean): { lo: number; hi: number } | undefined {
    const rest = this.chars.slice(this.pos, this.pos + 64).join('');
    const m = /^\{([0-9]*)(?:(,)([0-9]*))?\}/.exec(rest);
    if (!m) return undefined;
    if (m[2] === undefined && m[1] === '') return undefined; // `{}` is literal
    const lo = m[1] === '' ? 0 : Number(m[1]);
    const hi = m[2] === undefined ? lo : m[3] === '' ? Infinity : Number(m[3]);
    if (consume) {
      const at = this.pos;
      this.pos += m[0].length;
      if (lo >= MAXREPEAT || (hi !== Infinity && hi >= MAXREPEAT)) throw new PyReError('the repetition number is too large', at);
      if (hi < lo) throw new PyReError(`min repeat greater than max repeat at position ${at + 1}`, at + 1);
      if (lo > 65535 || (hi !== Infinity && hi > 65535)) throw new PyReUnknown('very large repeat count', at);
    }
    return { lo, hi };
  }

  private parseQuantifier(): { js: string; lo: number; hi: number } | undefined {
    const c = this.peek();
    let lo: number;
    let hi: number;
    let js: string;
    if (c === '*') {
      this.pos++;
      [lo, hi, js] = [0, Infinity, '*'];
    } else if (c === '+') {
      this.pos++;
      [lo, hi, js] = [1, Infinity, '+'];
    } else if (c === '?') {
      this.pos++;
      [lo, hi, js] = [0, 1, '?'];
    } else if (c === '{' && this.readBraces(false)) {
      const b = this.readBraces(true)!;
      [lo, hi] = [b.lo, b.hi];
      js = '{' + lo + ',' + (hi === Infinity ? '' : hi) + '}';
    } else {
      return undefined;
    }
    if (this.peek() === '?') {
      this.pos++;
      js += '?';
    } else if (this.peek() === '+') {
      throw new PyReUnknown('possessive quantifier', this.pos);
    }
    return { js, lo, hi };
  }

  private parseAtom(flags: Flags, nested: number, first: boolean): Node {
    const start = this.pos;
    const c = this.chars[this.pos++]!;
    switch (c) {
      case '(':
        return this.parseGroup(flags, nested, first, start);
      case '[':
        return this.parseClass(flags, start);
      case '.':
        return { js: flags.s ? '[\\s\\S]' : '[^\\n]', min: 1, max: 1 };
      case '^':
        return { js: flags.m ? '(?<![^\\n])' : '(?<![\\s\\S])', min: 0, max: 0, isAt: true };
      case '$':
        return { js: flags.m ? '(?=\\n|(?![\\s\\S]))' : '(?=\\n?(?![\\s\\S]))', min: 0, max: 0, isAt: true };
      case '\\':
        return this.parseEscape(flags, start);
      case '*':
      case '+':
      case '?':
        throw new PyReError(`nothing to repeat at position ${start}`, start);
      case '{': {
        this.pos--;
        if (this.readBraces(false)) throw new PyReError(`nothing to repeat at position ${start}`, start);
        this.pos++;
        return this.literal(0x7b, flags);
      }
      default:
        return this.literal(c.codePointAt(0)!, flags);
    }
  }

  private literal(cp: number, flags: Flags): Node {
    if (flags.i && !this.globalI && hasCase(cp)) throw new PyReUnknown('scoped case-insensitive flag', this.pos);
    return { js: hex(cp), min: 1, max: 1 };
  }

  private category(letter: string, flags: Flags, inClass: boolean): string | undefined {
    const a = flags.a;
    switch (letter) {
      case 'd': return a ? PY_D_A : PY_D_U;
      case 's': return a ? PY_S_A : PY_S_U;
      case 'w': return a ? PY_W_A : PY_W_U;
      case 'D': return inClass ? undefined : '(?:(?!' + (a ? PY_D_A : PY_D_U) + ')[\\s\\S])';
      case 'S': return inClass ? undefined : '(?:(?!' + (a ? PY_S_A : PY_S_U) + ')[\\s\\S])';
      case 'W': return inClass ? undefined : '(?:(?!' + (a ? PY_W_A : PY_W_U) + ')[\\s\\S])';
      default: return undefined;
    }
  }

  private parseEscape(flags: Flags, start: number): Node {
    const c = this.chars[this.pos];
    if (c === undefined) throw new PyReError('bad escape (end of pattern) at position ' + start, start);
    this.pos++;
    const W = flags.a ? PY_W_A : PY_W_U;
    switch (c) {
      case 'A': return { js: '(?<![\\s\\S])', min: 0, max: 0, isAt: true };
      case 'Z': return { js: '(?![\\s\\S])', min: 0, max: 0, isAt: true };
      case 'b': return { js: `(?:(?<=${W})(?!${W})|(?<!${W})(?=${W}))`, min: 0, max: 0, isAt: true };
      // sre's \B never matches in an empty string.
      case 'B': return { js: `(?:(?<=${W})(?=${W})|(?<!${W})(?!${W})(?:(?<=[\\s\\S])|(?=[\\s\\S])))`, min: 0, max: 0, isAt: true };
      case 'd': case 's': case 'w': case 'D': case 'S': case 'W': {
        if (flags.i && !this.globalI) throw new PyReUnknown('scoped case-insensitive flag', start);
        const js = this.category(c, flags, false)!;
        return { js: c === c.toLowerCase() ? '(?:' + js + ')' : js, min: 1, max: 1 };
      }
      default: {
        const cp = this.simpleEscape(c, start, false);
        if (cp !== undefined) return this.literal(cp, flags);
        // Digits: octal escape or group reference.
        if (c >= '1' && c <= '9') {
          let digits = c;
          if (this.peek() !== undefined && /[0-9]/.test(this.peek()!)) {
            digits += this.chars[this.pos++]!;
            if (/[0-7]/.test(digits[0]!) && /[0-7]/.test(digits[1]!) && /[0-7]/.test(this.peek() ?? '')) {
              digits += this.chars[this.pos++]!;
              const v = parseInt(digits, 8);
              if (v > 0o377) throw new PyReError(`octal escape value \\${digits} outside of range 0-0o377 at position ${start}`, start);
              return this.literal(v, flags);
            }
          }
          const g = Number(digits);
          return this.groupRef(g, start, `invalid group reference ${g} at position ${start + 1}`);
        }
        throw new PyReError(`bad escape \\${c} at position ${start}`, start);
      }
    }
  }

  /** Escapes that denote one character, shared by classes and the main pattern; undefined for others. */
  private simpleEscape(c: string, start: number, inClass: boolean): number | undefined {
    const fixed: Record<string, number> = { a: 7, f: 12, n: 10, r: 13, t: 9, v: 11, '\\': 92 };
    if (inClass && c === 'b') return 8;
    if (fixed[c] !== undefined) return fixed[c];
    if (c === 'x' || c === 'u' || c === 'U') {
      const len = c === 'x' ? 2 : c === 'u' ? 4 : 8;
      let h = '';
      while (h.length < len && /[0-9a-fA-F]/.test(this.peek() ?? '')) h += this.chars[this.pos++]!;
      if (h.length !== len) throw new PyReError(`incomplete escape \\${c}${h} at position ${start}`, start);
      const v = parseInt(h, 16);
      if (v > 0x10ffff) throw new PyReError(`bad escape \\${c}${h} at position ${start}`, start);
      return v;
    }
    if (c === 'N') throw new PyReUnknown('\\N{...} named character', start);
    if (c === '0' || (inClass && /[0-7]/.test(c))) {
      let o = c;
      const maxLen = c === '0' && !inClass ? 3 : 3;
      while (o.length < maxLen && /[0-7]/.test(this.peek() ?? '')) o += this.chars[this.pos++]!;
      const v = parseInt(o, 8);
      if (v > 0o377) throw new PyReError(`octal escape value \\${o} outside of range 0-0o377 at position ${start}`, start);
      return v;
    }
    if (/[0-9]/.test(c)) {
      if (inClass) throw new PyReError(`bad escape \\${c} at position ${start}`, start);
      return undefined;
    }
    if (/[A-Za-z]/.test(c)) return undefined;
    return c.codePointAt(0)!;
  }

  private groupRef(g: number, start: number, unknownMessage: string): Node {
    if (g > this.groups || g === 0) throw new PyReError(unknownMessage, start);
    if (this.open.has(g)) throw new PyReError(`cannot refer to an open group at position ${start}`, start);
    if (this.lookbehindDepth > 0) throw new PyReUnknown('group reference inside a look-behind', start);
    this.referencedGroups.add(g);
    const w = this.groupWidths.get(g) ?? [0, Infinity];
    return { js: '\\' + g, min: w[0], max: w[1] };
  }

  private parseGroup(flags: Flags, nested: number, first: boolean, start: number): Node {
    if (this.peek() !== '?') return this.capture(flags, nested, undefined, start);
    this.pos++;
    const c = this.chars[this.pos++];
    if (c === undefined) throw new PyReError(`unexpected end of pattern at position ${this.pos}`, this.pos);
    switch (c) {
      case ':': {
        const inner = this.parseAlternation({ ...flags }, nested + 1);
        this.expectClose(start);
        return { js: '(?:' + inner.js + ')', min: inner.min, max: inner.max, groups: inner.groups ?? [] };
      }
      case 'P': {
        const d = this.chars[this.pos++];
        if (d === '<') {
          const name = this.readName('>', start);
          if (this.names.has(name)) throw new PyReError(`redefinition of group name '${name}' as group ${this.groups + 1}; was group ${this.names.get(name)} at position ${start + 4}`, start);
          return this.capture(flags, nested, name, start);
        }
        if (d === '=') {
          const name = this.readName(')', start);
          const g = this.names.get(name);
          if (g === undefined) throw new PyReError(`unknown group name '${name}' at position ${start + 4}`, start);
          const ref = this.groupRef(g, start, `unknown group name '${name}'`);
          return ref;
        }
        if (d === undefined) throw new PyReError('unexpected end of pattern', this.pos);
        throw new PyReError(`unknown extension ?P${d} at position ${start + 1}`, start);
      }
      case '=':
      case '!': {
        const inner = this.parseAlternation({ ...flags }, nested + 1);
        this.expectClose(start);
        if (c === '!') for (const g of inner.groups ?? []) this.optionalGroups.add(g);
        return { js: '(?' + c + inner.js + ')', min: 0, max: 0, isAssert: true, groups: inner.groups ?? [] };
      }
      case '<': {
        const d = this.chars[this.pos++];
        if (d !== '=' && d !== '!') {
          if (d === undefined) throw new PyReError('unexpected end of pattern', this.pos);
          throw new PyReError(`unknown extension ?<${d} at position ${start + 1}`, start);
        }
        this.lookbehindDepth++;
        const inner = this.parseAlternation({ ...flags }, nested + 1);
        this.lookbehindDepth--;
        this.expectClose(start);
        if (inner.min !== inner.max) throw new PyReError(`look-behind requires fixed-width pattern`, start);
        if (d === '!') for (const g of inner.groups ?? []) this.optionalGroups.add(g);
        return { js: '(?<' + d + inner.js + ')', min: 0, max: 0, isAssert: true, groups: inner.groups ?? [] };
      }
      case '#': {
        while (this.pos < this.chars.length && this.chars[this.pos] !== ')') this.pos++;
        if (this.pos >= this.chars.length) throw new PyReError(`missing ), unterminated comment at position ${start}`, start);
        this.pos++;
        return { js: '', min: 0, max: 0, empty: true };
      }
      case '>':
        throw new PyReUnknown('atomic group (?>...)', start);
      case '(':
        throw new PyReUnknown('conditional group (?(...)...)', start);
      default: {
        if ('aiLmstux-'.includes(c)) {
          this.pos--;
          return this.parseFlags(flags, nested, first, start);
        }
        throw new PyReError(`unknown extension ?${c} at position ${start + 1}`, start);
      }
    }
  }

  private parseFlags(flags: Flags, nested: number, first: boolean, start: number): Node {
    let add = '';
    while (this.peek() !== undefined && 'aiLmstux'.includes(this.peek()!)) add += this.chars[this.pos++]!;
    if (add.includes('L')) throw new PyReError("bad inline flag: cannot use 'L' flag with a str pattern", start);
    if (add.includes('a') && add.includes('u')) throw new PyReError("bad inline flag: flags 'a', 'u' and 'L' are incompatible", start);
    let del = '';
    if (this.peek() === ')') {
      this.pos++;
      // Global flags: only before any item of the first top-level branch (Python >= 3.11 raises otherwise).
      if (!first) throw new PyReError(`global flags not at the start of the expression at position ${start}`, start);
      if (add.includes('x')) throw new PyReUnknown('verbose flag (?x)', start);
      if (add.includes('t')) throw new PyReUnknown('template flag (?t)', start);
      if (add.includes('i')) this.globalI = true;
      if (add.includes('m')) flags.m = true;
      if (add.includes('s')) flags.s = true;
      if (add.includes('a')) flags.a = true;
      return { js: '', min: 0, max: 0, empty: true };
    }
    if (this.peek() === '-') {
      this.pos++;
      while (this.peek() !== undefined && 'aiLmstux'.includes(this.peek()!)) del += this.chars[this.pos++]!;
      if (del === '') throw new PyReError('missing flag', start);
      if (/[aLu]/.test(del)) throw new PyReError("bad inline flag: cannot turn off flags 'a', 'u' and 'L'", start);
    }
    if (this.peek() !== ':') {
      if (this.peek() === undefined) throw new PyReError('missing -, : or )', this.pos);
      throw new PyReError(`unknown flag at position ${this.pos}`, this.pos);
    }
    this.pos++;
    if (add === '' && del === '') throw new PyReError('missing flag', start);
    if (add.includes('t')) throw new PyReError('bad inline flags: cannot turn on global flag', start);
    if (del.includes('t')) throw new PyReError('bad inline flags: cannot turn off global flag', start);
    for (const f of add) if (del.includes(f)) throw new PyReError('bad inline flag: flag turned on and off', start);
    if (add.includes('x') || del.includes('x')) throw new PyReUnknown('verbose flag (?x:...)', start);
    const inner: Flags = { ...flags };
    if (add.includes('i')) inner.i = true;
    if (del.includes('i')) inner.i = false;
    if (add.includes('m')) inner.m = true;
    if (del.includes('m')) inner.m = false;
    if (add.includes('s')) inner.s = true;
    if (del.includes('s')) inner.s = false;
    if (add.includes('a')) inner.a = true;
    if (add.includes('u')) inner.a = false;
    if ((add.includes('i') || del.includes('i')) && inner.i !== this.globalI) {
      // JS (Node 20) has no scoped modifiers; a scoped `i` that differs from the whole pattern cannot be mapped.
      throw new PyReUnknown('scoped case-insensitive flag', start);
    }
    const node = this.parseAlternation(inner, nested + 1);
    this.expectClose(start);
    return { js: '(?:' + node.js + ')', min: node.min, max: node.max, groups: node.groups ?? [] };
  }

  private readName(terminator: string, start: number): string {
    let name = '';
    for (;;) {
      const c = this.chars[this.pos++];
      if (c === undefined) throw new PyReError(`missing ${terminator}, unterminated name at position ${start}`, start);
      if (c === terminator) break;
      name += c;
    }
    if (name === '') throw new PyReError('missing group name', start);
    if (!isIdentifier(name)) throw new PyReError(`bad character in group name '${name}'`, start);
    return name;
  }

  private capture(flags: Flags, nested: number, name: string | undefined, start: number): Node {
    const g = ++this.groups;
    if (name !== undefined) this.names.set(name, g);
    this.open.add(g);
    const inner = this.parseAlternation({ ...flags }, nested + 1);
    this.expectClose(start);
    this.open.delete(g);
    this.groupWidths.set(g, [inner.min, inner.max]);
    return { js: '(' + inner.js + ')', min: inner.min, max: inner.max, groups: [g, ...(inner.groups ?? [])] };
  }

  private expectClose(start: number): void {
    if (this.peek() !== ')') throw new PyReError(`missing ), unterminated subpattern at position ${start}`, start);
    this.pos++;
  }

  private parseClass(flags: Flags, start: number): Node {
    if (flags.i && !this.globalI) throw new PyReUnknown('scoped case-insensitive flag', start);
    const negate = this.peek() === '^';
    if (negate) this.pos++;
    const items: string[] = [];
    const extras: string[] = [];
    let count = 0;
    const readItem = (): { cp?: number; cat?: string; text: string } => {
      const c = this.chars[this.pos++];
      if (c === undefined) throw new PyReError(`unterminated character set at position ${start}`, start);
      if (c !== '\\') return { cp: c.codePointAt(0)!, text: c };
      const e = this.chars[this.pos++];
      if (e === undefined) throw new PyReError(`bad escape (end of pattern) at position ${this.pos - 1}`, this.pos - 1);
      if ('dswDSW'.includes(e)) {
        const inClass = this.category(e, flags, true);
        const neg = e === e.toUpperCase();
        const base = this.category(e.toLowerCase(), flags, true)!;
        return { cat: neg ? '(?:(?!' + base + ')[\\s\\S])' : inClass!, text: '\\' + e };
      }
      const cp = this.simpleEscape(e, this.pos - 2, true);
      if (cp === undefined) throw new PyReError(`bad escape \\${e} at position ${this.pos - 2}`, this.pos - 2);
      return { cp, text: '\\' + e };
    };
    for (;;) {
      if (this.peek() === undefined) throw new PyReError(`unterminated character set at position ${start}`, start);
      if (this.peek() === ']' && count > 0) {
        this.pos++;
        break;
      }
      const a = readItem();
      count++;
      if (this.peek() === '-') {
        this.pos++;
        if (this.peek() === undefined) throw new PyReError(`unterminated character set at position ${start}`, start);
        if (this.peek() === ']') {
          this.pos++;
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
}

function hasCase(cp: number): boolean {
  const ch = String.fromCodePoint(cp);
  return ch.toLowerCase() !== ch || ch.toUpperCase() !== ch;
}

/**
 * Checks a `re:` body the way Python's `re.compile` would and, when it can, builds an equivalent JS RegExp
 * for re.search. Constructs JS cannot express (atomic groups, possessive quantifiers, conditionals, verbose
 * mode, \N{…}, scoped (?i:…)) give status 'unknown' rather than a guess.
 */
export function translatePythonRegex(body: string): RegexInfo {
  if (body.length > MAX_JUDGED_LENGTH) return { status: 'unknown', message: 'too long to judge' };
  const parser = new PyRegexParser(body);
  try {
    const js = parser.parse();
    for (const g of parser.referencedGroups) {
      if (parser.optionalGroups.has(g)) return { status: 'unknown', message: 'back-reference to a group that may not take part in the match' };
    }
    try {
      return { status: 'valid', js: new RegExp(js, parser.globalI ? 'ui' : 'u') };
    } catch (e) {
      return { status: 'unknown', message: 'could not build an equivalent JS regex: ' + (e as Error).message };
    }
  } catch (e) {
    if (e instanceof PyReError) return { status: 'invalid', message: e.message, offset: Math.min(utf16Offset(body, e.pos), body.length) };
    if (e instanceof PyReUnknown) return { status: 'unknown', message: e.message, offset: utf16Offset(body, e.pos) };
    return { status: 'unknown', message: 'could not be judged' };
  }
}

function utf16Offset(s: string, codePointIndex: number): number {
  let off = 0;
  let k = 0;
  for (const ch of s) {
    if (k >= codePointIndex) break;
    off += ch.length;
    k++;
  }
  return off;
}
