// Differential test: our readings against borg's own code (Debian borgbackup, /usr/bin/python3), in one process.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { parseBorgLocation, parseExcludePattern, translatePythonRegex, tryMatchPath } from '../../../server/src/borg';

const PY = '/usr/bin/python3';

const PY_SCRIPT = String.raw`
import io, json, os, sys, warnings
warnings.simplefilter('ignore')
os.environ.pop('BORG_REPO', None)
import re
from borg.helpers.parseformat import Location
from borg.patterns import PatternMatcher, parse_exclude_pattern, load_exclude_file
data = json.load(sys.stdin)
out = {'locs': [], 'pats': [], 'regexes': [], 'files': []}
for s in data['locs']:
    try:
        loc = Location(s)
    except Exception as e:
        out['locs'].append({'ok': False}); continue
    text = loc.processed
    kind = None
    for k, rx in (('ssh-url', Location.ssh_re), ('file-url', Location.file_re), ('scp', Location.scp_re)):
        m = rx.match(text)
        if m: kind = k; break
    if kind == 'scp': kind = 'scp-remote' if m.group('host') else 'local-path'
    out['locs'].append({'ok': True, 'kind': kind, 'user': loc.user, 'host': loc.host, 'port': loc.port, 'path': m.group('path'), 'archive': loc.archive})
for pat, path in data['pats']:
    try:
        pm = PatternMatcher(fallback=None)
        pm.add_inclexcl([parse_exclude_pattern(pat)])
        out['pats'].append({'ok': True, 'matches': pm.match(path) is False})
    except Exception as e:
        out['pats'].append({'ok': False, 'error': str(e)})
for rx, paths in data['regexes']:
    try:
        c = re.compile(rx)
        out['regexes'].append({'ok': True, 'matches': [c.search(p) is not None for p in paths]})
    except Exception as e:
        out['regexes'].append({'ok': False, 'error': type(e).__name__ + ': ' + str(e)})
for entry in data['files']:
    pats = []
    try:
        load_exclude_file(io.StringIO(entry, newline=None), pats)
        out['files'].append({'ok': True, 'lines': [[type(p.val).PREFIX, p.val.pattern_orig] for p in pats]})
    except Exception as e:
        out['files'].append({'ok': False})
print(json.dumps(out))
`;
import { mulberry32 } from '../../helpers/prng';
import { skipMissing, toolPresent } from '../../helpers/tools';

const rng = mulberry32;

function pick<T>(r: () => number, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)]!;
}

function genLocations(r: () => number, n: number): string[] {
  const schemes = ['', '', '', 'ssh://', 'ssh://', 'file://', 'sftp://', 'ssh:/'];
  const users = ['', '', 'user@', 'u123@', 'borg@', 'a@b@', 'us:er@', '@', 'ü@'];
  const hosts = [
    'host',
    'example.com',
    '192.168.1.2',
    '[2001:db8::1]',
    '2001:db8::1',
    '[::]',
    '::1',
    'usb',
    'C',
    '[bad',
    'h]',
    '',
    'fe80::1',
    '[1:2]x',
  ];
  const ports = ['', '', '', ':22', ':0', ':port', ':', ':\u0663', ':00023'];
  const seps = [':', ':', '', '/', '//'];
  const paths = [
    '/abs/path',
    './x',
    '/./x',
    '~/x',
    '/~/x',
    '.',
    'rel/p',
    '',
    'a:b',
    'x::y',
    ' sp ace',
    '\n',
    'é',
    '/a//b',
    '//srv',
    ':x',
    '𝒳/y',
  ];
  const archives = ['', '', '', '::arch', '::a/b', '::', '::2016-12-31@23:59:59', '::x\n', ':::'];
  const tails = ['', '', '', '\n', ':', '{hostname}', '{bad}', '}', '/'];
  const out: string[] = [];
  for (let k = 0; k < n; k++) {
    let s =
      pick(r, schemes) +
      pick(r, users) +
      pick(r, hosts) +
      pick(r, ports) +
      pick(r, seps) +
      pick(r, paths) +
      pick(r, archives) +
      pick(r, tails);
    if (r() < 0.15) {
      const cut = Math.floor(r() * (s.length + 1));
      s = s.slice(0, cut) + pick(r, [':', '@', '/', '[', ']', '::', '\u0000', ' ']) + s.slice(cut);
    }
    out.push(s);
  }
  return out;
}

function genPatterns(r: () => number, n: number): Array<[string, string]> {
  const prefixes = ['', '', '', 'fm:', 'sh:', 'sh:', 'pp:', 'pf:', 'xx:', 'C:', 'é1:'];
  const toks = [
    '*',
    '*',
    '**',
    '**/',
    '?',
    '/',
    '/',
    'a',
    'b',
    '.',
    '[ab]',
    '[!a]',
    '[a-c]',
    '[c-a]',
    '[]]',
    '[',
    ']',
    '-',
    'home',
    'alice',
    '.cache',
    '__pycache__',
    '.pyc',
    '\\',
    '..',
    '~',
    '{a,b}',
    '[!]',
    '[a-]',
    '[^a]',
    '[--0]',
    '[\\]',
  ];
  const pathToks = [
    'home',
    'alice',
    '.cache',
    '__pycache__',
    'a',
    'b',
    'c',
    'x.pyc',
    'a-b',
    '[ab]',
    ']',
    '\\',
    '~',
    '{a,b}',
    'é',
    '!',
    '^',
  ];
  const out: Array<[string, string]> = [];
  for (let k = 0; k < n; k++) {
    let body = '';
    const len = 1 + Math.floor(r() * 5);
    for (let j = 0; j < len; j++) body += pick(r, toks);
    const parts: string[] = [];
    const depth = 1 + Math.floor(r() * 4);
    for (let j = 0; j < depth; j++) parts.push(pick(r, pathToks));
    let p = parts.join('/');
    if (r() < 0.2) p = '/' + p;
    if (r() < 0.1) p += '/';
    // Half the time derive the path from the pattern so that matches are common too.
    if (r() < 0.5)
      p =
        body
          .replace(/\*\*\//g, 'a/')
          .replace(/[*?]/g, 'a')
          .replace(/[[\]!^]/g, '') || p;
    out.push([pick(r, prefixes) + body, p]);
  }
  return out;
}

function genRegexes(r: () => number, n: number): string[] {
  const toks = [
    'a',
    'b',
    'home',
    '/',
    '.',
    '*',
    '+',
    '?',
    '{2}',
    '{1,3}',
    '{,2}',
    '{',
    '}',
    '(',
    ')',
    '(?:',
    '(?P<n>',
    '(?P=n)',
    '(?i)',
    '(?s)',
    '(?m)',
    '(?#c)',
    '[a-c]',
    '[^a]',
    '[',
    ']',
    '\\d',
    '\\w',
    '\\s',
    '\\W',
    '\\b',
    '\\B',
    '\\1',
    '\\.',
    '\\q',
    '\\x4',
    '\\x41',
    '^',
    '$',
    '|',
    '(?=a)',
    '(?<=a)',
    '(?<=a*)',
    '(?<!b)',
    '\\Z',
    '\\A',
    '*?',
    '\\0',
    '\\n',
    '[\\d-z]',
    '[z-a]',
    '[\\w]',
    '(?i:a)',
    '(?-s:.)',
    '\\u00e9',
    'é',
    '[]a]',
    '(?P<m>b)',
    '(?<n>',
  ];
  const out: string[] = [];
  for (let k = 0; k < n; k++) {
    let s = '';
    const len = 1 + Math.floor(r() * 6);
    for (let j = 0; j < len; j++) s += pick(r, toks);
    out.push(s);
  }
  return out;
}

const REGEX_PATHS = [
  'home/alice/a.log',
  'a',
  'b',
  'ab',
  'AB',
  'home',
  'aa/bb',
  '',
  'a\n',
  'é',
  '123',
  'x y',
  'home/ab/.cache',
  'Home/A',
];

describe('differential against real borg', () => {
  it('Location, exclude patterns, --exclude-from lines and re: regexes agree with borg', (t) => {
    if (!toolPresent('borgPython')) {
      skipMissing(t, 'borgPython', 'the differential test against borg');
      return;
    }
    const r = rng(Number(process.env.BORG_DIFF_SEED ?? 0xb0e6));
    const locs = genLocations(r, 400);
    const pats = genPatterns(r, 500);
    const regexes = genRegexes(r, 400);
    const files = ['  *.pyc \n\n# c\r\nsh:**/x\r  ', 'a\nb', '\u00a0x\u2003', 'xx:y\n*.o', '#a\n\tre:b$ ', '\r\r\n'];
    const input = JSON.stringify({ locs, pats, regexes: regexes.map((x) => [x, REGEX_PATHS]), files });
    const res = spawnSync(PY, ['-c', PY_SCRIPT], { input, encoding: 'utf8', maxBuffer: 64 << 20 });
    assert.equal(res.status, 0, res.stderr);
    const py = JSON.parse(res.stdout) as {
      locs: Array<{
        ok: boolean;
        kind?: string;
        user?: string | null;
        host?: string | null;
        port?: number | null;
        path?: string;
        archive?: string | null;
      }>;
      pats: Array<{ ok: boolean; matches?: boolean; error?: string }>;
      regexes: Array<{ ok: boolean; matches?: boolean[]; error?: string }>;
      files: Array<{ ok: boolean; lines?: Array<[string, string]> }>;
    };

    // Locations: validity always; the parsed parts when no placeholder changed the text.
    let locAgree = 0;
    const locDiff: string[] = [];
    locs.forEach((s, k) => {
      const mine = parseBorgLocation(s);
      const theirs = py.locs[k]!;
      const plain = !/[{}]/.test(s);
      const a = mine.ok
        ? plain
          ? JSON.stringify([
              mine.kind,
              mine.user ?? null,
              mine.host ?? null,
              mine.port ?? null,
              mine.path,
              mine.archive ?? null,
            ])
          : 'ok'
        : 'FAIL';
      const b = theirs.ok
        ? plain
          ? JSON.stringify([theirs.kind, theirs.user, theirs.host, theirs.port, theirs.path, theirs.archive])
          : 'ok'
        : 'FAIL';
      if (a === b) locAgree++;
      else locDiff.push(`${JSON.stringify(s)}: ours ${a} borg ${b}`);
    });

    let patAgree = 0;
    let patUnjudged = 0;
    const patDiff: string[] = [];
    pats.forEach(([p, path], k) => {
      const mine = tryMatchPath(p, path);
      const theirs = py.pats[k]!;
      if (!mine.judged && theirs.ok && !/too long|cannot translate/.test(mine.reason)) {
        patDiff.push(`${JSON.stringify(p)} ${JSON.stringify(path)}: ours error (${mine.reason}), borg ok`);
      } else if (!mine.judged) {
        if (theirs.ok) patUnjudged++;
        else patAgree++;
      } else if (!theirs.ok) {
        patDiff.push(`${JSON.stringify(p)}: ours ok, borg error ${theirs.error}`);
      } else if (mine.matches === theirs.matches) {
        patAgree++;
      } else {
        patDiff.push(`${JSON.stringify(p)} vs ${JSON.stringify(path)}: ours ${mine.matches} borg ${theirs.matches}`);
      }
    });

    // Regexes: 'invalid' must never be said of a regex Python compiles (no false positives).
    let reAgree = 0;
    let reUnknown = 0;
    let reMissedErrors = 0;
    const reDiff: string[] = [];
    regexes.forEach((rx, k) => {
      const mine = translatePythonRegex(rx);
      const theirs = py.regexes[k]!;
      if (mine.status === 'unknown') {
        reUnknown++;
      } else if (mine.status === 'invalid') {
        if (theirs.ok) reDiff.push(`${JSON.stringify(rx)}: ours invalid (${mine.message}), Python compiles it`);
        else reAgree++;
      } else if (!theirs.ok) {
        reMissedErrors++;
        reDiff.push(`${JSON.stringify(rx)}: ours valid, Python ${theirs.error}`);
      } else {
        const ours = REGEX_PATHS.map((p) => mine.js!.test(p));
        if (JSON.stringify(ours) === JSON.stringify(theirs.matches)) reAgree++;
        else
          reDiff.push(`${JSON.stringify(rx)}: ours ${JSON.stringify(ours)} Python ${JSON.stringify(theirs.matches)}`);
      }
    });

    const fileDiff: string[] = [];
    files.forEach((entry, k) => {
      const theirs = py.files[k]!;
      const mine = parseExcludePattern(entry).lines;
      if (mine.some((l) => l.error)) {
        if (theirs.ok) fileDiff.push(`${JSON.stringify(entry)}: ours error, borg ok`);
        return;
      }
      const ours = mine.map((l) => [l.style, l.body]);
      if (JSON.stringify(ours) !== JSON.stringify(theirs.lines))
        fileDiff.push(`${JSON.stringify(entry)}: ours ${JSON.stringify(ours)} borg ${JSON.stringify(theirs.lines)}`);
    });

    const summary = `locations ${locAgree}/${locs.length} agree; patterns ${patAgree}/${pats.length} agree (${patUnjudged} not judged); regexes ${reAgree}/${regexes.length} agree (${reUnknown} not judged, ${reMissedErrors} Python errors missed); exclude files ${files.length - fileDiff.length}/${files.length}`;
    t.diagnostic(summary);
    console.log('# borg differential: ' + summary);
    assert.deepEqual(locDiff, [], summary);
    assert.deepEqual(patDiff, [], summary);
    assert.deepEqual(reDiff, [], summary);
    assert.deepEqual(fileDiff, [], summary);
  });
});
