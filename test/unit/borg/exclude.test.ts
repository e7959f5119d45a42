import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  analyzeExclude,
  describeExclude,
  matchesPath,
  parseExcludePattern,
  translatePythonRegex,
  tryMatchPath,
} from '../../../server/src/borg';

const kinds = (fs: Array<{ kind: string }>) => fs.map((f) => f.kind);

describe('parseExcludePattern', () => {
  it('detects styles like borg (two alnum characters then `:`)', () => {
    const style = (p: string) => parseExcludePattern(p).lines[0]!.style;
    assert.equal(style('*.pyc'), 'fm');
    assert.equal(style('sh:**/x'), 'sh');
    assert.equal(style('C:/foo'), 'fm');
    assert.equal(style('fm:'), 'fm');
    assert.equal(style('xx:foo'), undefined);
    assert.equal(style('a-:x'), 'fm');
    assert.equal(style('é1:x'), undefined, 'isalnum is Unicode-aware');
  });
  it('splits, strips and drops lines like --exclude-from', () => {
    const p = parseExcludePattern('  *.pyc \n\n# c\r\nsh:**/x\r  ');
    assert.deepEqual(
      p.lines.map((l) => [l.text, l.start, l.end]),
      [
        ['*.pyc', 2, 7],
        ['sh:**/x', 15, 22],
      ],
    );
    assert.deepEqual(
      p.comments.map((c) => c.text),
      ['# c'],
    );
  });
});

describe('matchesPath', () => {
  it('fm: * crosses /, prefix up to a /, trailing / keeps the directory', () => {
    assert.ok(matchesPath('*.pyc', 'a/b/c.pyc'));
    assert.ok(matchesPath('home', 'home/a/b'));
    assert.ok(!matchesPath('home', 'homes/a'));
    assert.ok(!matchesPath('home/', 'home'));
    assert.ok(matchesPath('home/', 'home/x'));
    assert.ok(matchesPath('/home/*/.cache', '/home/a/.cache/x'), 'leading / of both is ignored');
    assert.ok(matchesPath('[a-c]x', 'bx'));
    assert.ok(!matchesPath('[!a-c]x', 'bx'));
    assert.ok(matchesPath('[]]x', ']x'));
    assert.ok(matchesPath('a/../b', 'b/c'), 'normpath');
  });
  it('sh: * stays in a directory, **/ spans directories', () => {
    assert.ok(matchesPath('sh:**/.cache', 'home/a/.cache/x'));
    assert.ok(matchesPath('sh:**/.cache', '.cache'));
    assert.ok(!matchesPath('sh:home/*/junk', 'home/u/sub/junk'));
    assert.ok(matchesPath('sh:home/*/junk', 'home/u/junk/x'));
    assert.ok(!matchesPath('sh:?', '/'));
  });
  it('pp:, pf:, re:', () => {
    assert.ok(matchesPath('pp:/var/lib', 'var/lib/x'));
    assert.ok(!matchesPath('pp:/var/lib', 'var/library'));
    assert.ok(matchesPath('pf:/etc/passwd', 'etc/passwd'));
    assert.ok(!matchesPath('pf:/etc/passwd', 'etc/passwd/x'));
    assert.ok(matchesPath('re:\\.log$', 'var/log/a.log'));
    assert.ok(matchesPath('re:\\.log$', 'var/log/a.log\n'), 'Python $ matches before a final newline');
    assert.ok(!matchesPath('re:^home$', 'home/x'));
    assert.ok(matchesPath('re:(?P<n>a)(?P=n)', 'xaa'));
    assert.ok(matchesPath('re:(?i)HOME', 'home'));
    assert.ok(matchesPath('re:\\d', '\u0663'), 'Python \\d is Unicode');
  });
  it('tryMatchPath reports what it cannot judge', () => {
    assert.equal(tryMatchPath('re:(?>a)', 'a').judged, false);
    assert.equal(tryMatchPath('re:a++', 'a').judged, false);
    assert.equal(tryMatchPath('re:(?x) a', 'a').judged, false);
    assert.equal(tryMatchPath('re:\\N{EM DASH}', 'a').judged, false);
    assert.equal(tryMatchPath('re:(a)?\\1', 'a').judged, false);
  });
});

describe('translatePythonRegex', () => {
  it('accepts valid Python that JS would reject or read differently', () => {
    for (const r of [
      '(?P<name>x)',
      '(?P<n>a)(?P=n)',
      'a{,3}',
      'x{,}',
      '\\Z',
      '\\A',
      '(?#c)a',
      '[\\d-]',
      '(?s:.)',
      'a(?#c)*',
      '{',
      'a{1',
      '(?<=ab)c',
      '\\u00e9',
      '(?a)\\w',
    ]) {
      assert.equal(translatePythonRegex(r).status, 'valid', r);
    }
  });
  it('rejects what Python rejects', () => {
    for (const r of [
      '(',
      ')',
      '*a',
      'a**',
      '[a',
      '[z-a]',
      '\\q',
      '(?<n>a)',
      '(?P=x)',
      '(?P<1>a)',
      'a{3,2}',
      '(?<=a*)b',
      '(?<=a|bc)',
      '\\1',
      '(a\\1)',
      'x(?i)',
      '(?L)a',
      '\\x4',
      '^*',
      '(?P<a>x)(?P<a>y)',
      '[\\d-z]',
      '\\',
      '(?i-i:a)',
      '(?-a:x)',
    ]) {
      assert.equal(translatePythonRegex(r).status, 'invalid', r);
    }
  });
});

describe('analyzeExclude', () => {
  it('patterns borg refuses, with offsets', () => {
    const f = analyzeExclude('xx:foo');
    assert.deepEqual(kinds(f), ['unknown-style']);
    assert.deepEqual([f[0]!.start, f[0]!.end], [0, 2]);
    const r = analyzeExclude('re:ab(');
    assert.deepEqual(kinds(r), ['invalid-regex']);
    assert.equal(r[0]!.start, 5);
    assert.deepEqual(kinds(analyzeExclude('sh:[z-a]')), ['invalid-shell-pattern']);
  });
  it('root-only names for bare fm names, with fixes', () => {
    for (const n of ['__pycache__', '.cache', 'node_modules', 'fm:.cache', '.cache/']) {
      const f = analyzeExclude(n);
      assert.deepEqual(kinds(f), ['root-only-name'], n);
    }
    assert.deepEqual(analyzeExclude('__pycache__')[0]!.fixes, ['*/__pycache__', 'sh:**/__pycache__']);
    assert.deepEqual(analyzeExclude('fm:.cache')[0]!.fixes, ['fm:*/.cache', 'sh:**/.cache']);
    for (const n of ['*.pyc', 'nix', '/nix', 'tmp', 'sh:.cache', 'pp:x', 'home/*/.cache', '*/__pycache__']) {
      assert.deepEqual(analyzeExclude(n), [], n);
    }
  });
  it('syntax borg patterns do not have', () => {
    for (const [p, kind] of [
      ['*.{tmp,bak}', 'brace-alternatives'],
      ['~/.cache', 'tilde'],
      ['/~/x', 'tilde'],
      ['$HOME/.cache', 'shell-variable'],
      ['${HOME}/x', 'shell-variable'],
      ['./build', 'relative-path'],
      ['../x', 'relative-path'],
      ['# c', 'comment-line'],
      ['- *.pyc', 'patterns-command'],
    ]) {
      assert.deepEqual(kinds(analyzeExclude(p!)), [kind], p);
    }
    assert.deepEqual(analyzeExclude('*.{tmp,bak}')[0]!.fixes, ['*.tmp\n*.bak']);
    assert.deepEqual(analyzeExclude('re:^home/x$'), []);
    assert.deepEqual(analyzeExclude('re:a{1,2}'), []);
  });
  it('multi-line entries are judged per line, offsets into the entry', () => {
    const f = analyzeExclude('*.pyc\n  __pycache__');
    assert.deepEqual(kinds(f), ['root-only-name']);
    assert.deepEqual([f[0]!.start, f[0]!.end], [8, 19]);
    assert.deepEqual(f[0]!.fixes![0], '*.pyc\n  */__pycache__');
  });
});

describe('describeExclude', () => {
  it('gives one line with a matching and a non-matching example', () => {
    const d = describeExclude('__pycache__');
    assert.match(d, /excludes `__pycache__`/);
    assert.match(d, /keeps `home\/alice\/__pycache__`/);
    assert.match(describeExclude('*.pyc'), /excludes `[^`]*\.pyc`/);
    assert.match(describeExclude('xx:a'), /rejects/);
    assert.doesNotMatch(describeExclude('*.pyc'), /\n/);
  });
});

describe('bad input', () => {
  it('no throw, bounded time', () => {
    const inputs = [
      '*'.repeat(100_000),
      're:' + '('.repeat(3000),
      're:(a*)*b',
      'sh:' + '**/'.repeat(1000),
      '[' + '!'.repeat(4000),
      '\u0000\u0001\n\r\t',
      're:' + 'a?'.repeat(30) + 'a'.repeat(30),
      're:\ud800',
    ];
    const t0 = Date.now();
    for (const p of inputs) {
      analyzeExclude(p);
      describeExclude(p);
      tryMatchPath(p, 'a/'.repeat(1000));
    }
    assert.ok(Date.now() - t0 < 10_000, `took ${Date.now() - t0} ms`);
  });
});
