// Borg 1.x exclude patterns as Clan passes them: NixOS writes `exclude` joined by "\n" into a file given to
// `--exclude-from`, so each line is stripped, empty and `#` lines are dropped, and the default style is `fm:`.
// Semantics follow src/borg/patterns.py, src/borg/shellpattern.py and Python's fnmatch/re (1.2-maint = 1.4-maint).
// This module reads a line (style prefix, body) and matches it against an archived path.

import { codePoints, fnmatchTokens, globMatch, MAX_GLOB_WORK, shellPatternError, shellTokens } from './globMatch';
import { MAX_JUDGED_LENGTH } from './patternText';
import { translatePythonRegex } from './pythonRegex';
import type { RegexInfo } from './pythonRegex';

export type PatternStyle = 'fm' | 'sh' | 're' | 'pp' | 'pf';

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

const STYLES: readonly string[] = ['fm', 'sh', 're', 'pp', 'pf'];

// Python str.isspace(): what str.strip() removes.
const PY_SPACE = '\\t\\n\\v\\f\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const LEADING_SPACE = new RegExp('^[' + PY_SPACE + ']+');
const TRAILING_SPACE = new RegExp('[' + PY_SPACE + ']+$');

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
  const line: ExcludeLine = {
    text,
    start,
    end: start + text.length,
    style: 'fm',
    explicitStyle: false,
    body: text,
    bodyStart: start,
  };
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
    if (comp !== '..' || (!initial && comps.length === 0) || (comps.length > 0 && comps[comps.length - 1] === '..'))
      comps.push(comp);
    else if (comps.length > 0) comps.pop();
  }
  const joined = '/'.repeat(initial) + comps.join('/');
  return joined === '' ? '.' : joined;
}

export function lstripSlash(s: string): string {
  return s.replace(/^\/+/, '');
}

export function rstripSlash(s: string): string {
  return s.replace(/\/+$/, '');
}

// ---------------------------------------------------------------- matching

export type MatchResult = { judged: true; matches: boolean } | { judged: false; reason: string };

/**
 * Whether borg would exclude `archivedPath` because of the single pattern line `pattern`
 * (style prefix allowed; fm: by default). Leading `/` of the path is ignored, as borg does.
 */
export function tryMatchPath(pattern: string, archivedPath: string): MatchResult {
  if (typeof pattern !== 'string' || typeof archivedPath !== 'string') return { judged: false, reason: 'not a string' };
  if (pattern.length > MAX_JUDGED_LENGTH || archivedPath.length > MAX_JUDGED_LENGTH)
    return { judged: false, reason: 'too long to judge' };
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
