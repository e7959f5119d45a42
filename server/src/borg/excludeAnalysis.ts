// What is wrong with an exclude pattern, as borg would take it: refused patterns, root-only bare names, syntax borg
// does not support. Problems in borg's terms, not findings: checks/ decides which rule reports each kind.
// ---------------------------------------------------------------- analysis

import { parseExcludePattern, rstripSlash } from './excludePatterns';
import { MAX_JUDGED_LENGTH, show } from './patternText';

/**
 * What is wrong with one line of an exclude entry, as borg reads it:
 * - `unknown-style`: an `xx:` prefix borg has no style for.
 * - `invalid-regex`: a `re:` body Python's re refuses.
 * - `invalid-shell-pattern`: an `sh:` body borg's shellpattern refuses.
 * - `comment-line`: a line starting with `#`, which --exclude-from skips.
 * - `brace-alternatives`, `tilde`, `shell-variable`, `relative-path`: shell or glob habits borg patterns do not have.
 * - `patterns-command`: a `- `/`+ `/`! ` prefix, which only --patterns-from understands.
 * - `root-only-name`: a bare fm: name, which matches only at the top of the archive.
 */
export type ExcludeProblemKind =
  | 'unknown-style'
  | 'invalid-regex'
  | 'invalid-shell-pattern'
  | 'comment-line'
  | 'brace-alternatives'
  | 'tilde'
  | 'shell-variable'
  | 'relative-path'
  | 'patterns-command'
  | 'root-only-name';

export interface ExcludeProblem {
  kind: ExcludeProblemKind;
  message: string;
  start: number;
  end: number;
  /** Replacement texts for the whole entry, best first. */
  fixes?: string[];
}

// Top-level directories: a bare `nix` or `tmp` most likely means the root one, which is what borg matches.
const ROOT_DIR_NAMES = new Set([
  'bin',
  'boot',
  'dev',
  'etc',
  'home',
  'lib',
  'lib64',
  'media',
  'mnt',
  'nix',
  'opt',
  'persist',
  'proc',
  'root',
  'run',
  'sbin',
  'srv',
  'sys',
  'tmp',
  'usr',
  'var',
  'data',
  'storage',
]);

/** Problems of one literal Clan `exclude` entry; offsets are into `p`. */
export function analyzeExclude(p: string): ExcludeProblem[] {
  if (typeof p !== 'string' || p.length > MAX_JUDGED_LENGTH) return [];
  const parsed = parseExcludePattern(p);
  const multi = parsed.lines.length + parsed.comments.length > 1;
  const out: ExcludeProblem[] = [];
  for (const c of parsed.comments) {
    out.push({
      kind: 'comment-line',
      message: `${show(c.text)} starts with \`#\`, so borg's --exclude-from skips it as a comment; write \`[#]${c.text.slice(1)}\` (fm:) to match a literal \`#\``,
      start: c.start,
      end: c.end,
    });
  }
  for (const line of parsed.lines) {
    const lineFix = (replacement: string): string =>
      multi ? p.slice(0, line.start) + replacement + p.slice(line.end) : replacement;
    if (line.error) {
      if (line.style === undefined) {
        out.push({
          kind: 'unknown-style',
          message: `borg fails with "Unknown pattern style: ${line.text.slice(0, line.text.length - line.body.length - 1)}"; known styles are fm:, sh:, re:, pp:, pf:`,
          start: line.start,
          end: line.bodyStart - 1,
        });
      } else {
        const off = line.regex?.offset;
        const at = off !== undefined ? line.bodyStart + Math.min(off, line.body.length) : line.bodyStart;
        out.push({
          // parseLine refuses only re: and sh: bodies.
          kind: line.style === 're' ? 'invalid-regex' : 'invalid-shell-pattern',
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
        kind: unsupported.kind,
        message: unsupported.message,
        start: line.bodyStart + unsupported.start,
        end: line.bodyStart + unsupported.end,
        ...(unsupported.fixes
          ? { fixes: unsupported.fixes.map((f) => lineFix(line.text.slice(0, line.text.length - body.length) + f)) }
          : {}),
      });
      continue;
    }
    if (line.style === 'fm') {
      const name = rstripSlash(body);
      const trailing = body.slice(name.length);
      if (
        name !== '' &&
        !name.includes('/') &&
        !/[*?[]/.test(name) &&
        name !== '.' &&
        name !== '..' &&
        !ROOT_DIR_NAMES.has(name) &&
        trailing.length <= 1
      ) {
        const fmFix = (line.explicitStyle ? 'fm:' : '') + '*/' + name + trailing;
        const shFix = 'sh:**/' + name + trailing;
        out.push({
          kind: 'root-only-name',
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
  kind: Extract<
    ExcludeProblemKind,
    'brace-alternatives' | 'tilde' | 'shell-variable' | 'relative-path' | 'patterns-command'
  >;
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
      kind: 'brace-alternatives',
      message: `borg patterns have no \`{a,b}\` alternatives: ${show(brace[0])} only matches those literal characters; write one entry per alternative`,
      start: brace.index,
      end: brace.index + brace[0].length,
      fixes: [alts.map((a) => body.slice(0, brace.index) + a + body.slice(brace.index + brace[0].length)).join('\n')],
    };
  }
  const tilde = /^\/?~/.exec(body);
  if (tilde) {
    return {
      kind: 'tilde',
      message:
        '`~` is not expanded in borg patterns (it is a literal character); archived paths look like `home/alice/...` or `root/...`',
      start: tilde[0].length - 1,
      end: tilde[0].length,
    };
  }
  const dollar = /\$(\{[A-Za-z_][A-Za-z0-9_]*\}|[A-Za-z_][A-Za-z0-9_]*)/.exec(body);
  if (dollar) {
    return {
      kind: 'shell-variable',
      message: `${show(dollar[0])} is not expanded in borg patterns (no shell is involved); write the path itself`,
      start: dollar.index,
      end: dollar.index + dollar[0].length,
    };
  }
  const dot = /^\.\.?\//.exec(body);
  if (dot) {
    return {
      kind: 'relative-path',
      message: `${show(dot[0])}: patterns are not relative to a working directory; archived paths are relative to \`/\` (e.g. \`home/alice/x\`)`,
      start: 0,
      end: dot[0].length,
    };
  }
  const cmd = /^[-+!] /.exec(body);
  if (cmd) {
    return {
      kind: 'patterns-command',
      message: `${show(cmd[0].trim())} is a --patterns-from command; --exclude-from (what Clan uses) reads it as part of the pattern`,
      start: 0,
      end: 1,
      fixes: [body.slice(2).trimStart()],
    };
  }
  return undefined;
}
