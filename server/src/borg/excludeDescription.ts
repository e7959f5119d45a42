// A pattern explained for hover: its style, what it matches, an example path.
// ---------------------------------------------------------------- description (hover)

import {
  ExcludeLine,
  lstripSlash,
  matchesPath,
  parseExcludePattern,
  PatternStyle,
  rstripSlash,
  tryMatchPath,
} from './excludePatterns';
import { show } from './patternText';

const SAMPLE_PATHS = [
  'home/alice/notes.txt',
  'home/alice/.cache/thumbnails/x.png',
  'home/alice/proj/__pycache__/m.pyc',
  'home/alice/proj/main.py',
  'var/lib/app/data.db',
  'var/log/syslog',
  'etc/passwd',
  'root/.ssh/id_ed25519',
  'nix/store/abc-foo/bin/foo',
  'tmp/x',
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
        cls !== undefined || tok.startsWith('[') || tok === '.'
          ? 'x'
          : anchor !== undefined
            ? ''
            : esc !== undefined
              ? esc
              : '',
    );
  }
  // Substitute wildcards with plausible text; the result is checked with the real matcher.
  const body = lstripSlash(line.body).replace(/\[!?\]?[^\]]*\]/g, (cls) => {
    const inner = cls.replace(/^\[!?/, '').slice(0, -1);
    return cls.startsWith('[!') ? 'z' : (inner[0] ?? 'x');
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
    return parsed.comments.length > 0
      ? 'Ignored: --exclude-from treats lines starting with `#` as comments.'
      : 'Ignored: empty pattern.';
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
