import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyzeAddress, analyzeRepo, isIPv6, parseBorgLocation, placeholderProblems } from '../../../server/src/borg';

const kinds = (fs: Array<{ kind: string }>) => fs.map((f) => f.kind);

describe('parseBorgLocation', () => {
  it('reads the documented forms', () => {
    assert.deepEqual(parseBorgLocation('ssh://u@h:23/./x'), {
      ok: true,
      kind: 'ssh-url',
      user: 'u',
      host: 'h',
      port: 23,
      path: '/./x',
    });
    assert.deepEqual(parseBorgLocation('borg@[2001:db8::1]:.'), {
      ok: true,
      kind: 'scp-remote',
      user: 'borg',
      host: '2001:db8::1',
      path: '.',
    });
    assert.deepEqual(parseBorgLocation('/srv/x'), { ok: true, kind: 'local-path', path: '/srv/x' });
  });
  it('treats port 0 like borg (no port) and reads Unicode digits like Python int()', () => {
    const zero = parseBorgLocation('ssh://h:0/x');
    assert.ok(zero.ok && zero.port === undefined);
    const arabic = parseBorgLocation('ssh://h:\u0662\u0663/x');
    assert.ok(arabic.ok && arabic.port === 23);
  });
  it('Python `$` accepts one trailing newline', () => {
    const r = parseBorgLocation('ssh://h/x::a/\n');
    assert.equal(r.ok, false);
    const r2 = parseBorgLocation('h:/x::arch\n');
    assert.ok(r2.ok && r2.archive === 'arch\n');
  });
  it('rejects bad placeholders', () => {
    assert.equal(parseBorgLocation('/b/{nope}').ok, false);
    assert.equal(parseBorgLocation('/b/{hostname}-{now:%Y}').ok, true);
    assert.equal(parseBorgLocation('/b/{{literal}}').ok, true);
  });
});

describe('placeholderProblems', () => {
  it('finds unknown, positional, conversions and stray braces with offsets', () => {
    assert.deepEqual(
      placeholderProblems('a{x}b').map((p) => [p.start, p.end]),
      [[1, 4]],
    );
    assert.equal(placeholderProblems('a{}').length, 1);
    assert.equal(placeholderProblems('{hostname!r}').length, 1);
    assert.deepEqual(
      placeholderProblems('a}b').map((p) => p.start),
      [1],
    );
    assert.deepEqual(
      placeholderProblems('ab{host').map((p) => p.start),
      [2],
    );
    assert.deepEqual(placeholderProblems('{fqdn}/{reverse-fqdn}/{utcnow:%s}/{{x}}'), []);
  });
});

describe('analyzeRepo', () => {
  it('explains the silent mis-parses', () => {
    const empty = analyzeRepo('user@host:');
    assert.deepEqual(kinds(empty), ['empty-remote-path']);
    assert.match(empty[0]!.message, /local folder named `user@host:`/);
    const usb = analyzeRepo('usb:/mnt/x');
    assert.deepEqual(kinds(usb), ['device-as-host']);
    assert.match(usb[0]!.message, /host `usb`, path `\/mnt\/x`/);
    const arch = analyzeRepo('borg@h:repo::x');
    assert.deepEqual(kinds(arch), ['archive-in-repo']);
    assert.match(arch[0]!.message, /`::` starts an archive name/);
    assert.deepEqual([arch[0]!.start, arch[0]!.end], [11, 14]);
    const v6 = analyzeRepo('borg@2001:db8::1:.');
    assert.deepEqual(kinds(v6), ['unbracketed-ipv6']);
    assert.match(v6[0]!.message, /host `2001`, path `db8`/);
    assert.match(v6[0]!.message, /\[2001:db8::1\]/);
    assert.deepEqual([v6[0]!.start, v6[0]!.end], [5, 16]);
    assert.deepEqual(v6[0]!.fixes, ['borg@[2001:db8::1]:.']);
  });
  it('reports invalid locations', () => {
    for (const [s, kind] of [
      ['', 'unparsable'],
      ['ssh://host', 'unparsable'],
      ['ssh://user@host:/p', 'unparsable'],
      ['ssh://h:abc/p', 'unparsable'],
      ['//server/share', 'unparsable'],
      ['::x', 'unparsable'],
      ['ssh://user@2001:db8::1/p', 'unbracketed-ipv6'],
      ['/x/{bad}', 'placeholder'],
    ]) {
      assert.deepEqual(kinds(analyzeRepo(s!)), [kind], s);
    }
  });
  it('stays quiet on ordinary remote and local repos', () => {
    for (const s of [
      'backup-server:/srv/borg',
      'me@nas.lan:borg/repo',
      '/mnt/usb/borg',
      'ssh://[::1]:2222/./r',
      'file:///srv/repo',
      'rel/dir',
      '/home/a/{hostname}',
    ]) {
      assert.deepEqual(analyzeRepo(s), [], s);
    }
  });
  it('flags URL-looking local paths and scheme hosts', () => {
    assert.deepEqual(kinds(analyzeRepo('sftp://host/x')), ['url-as-local-path']);
    assert.deepEqual(kinds(analyzeRepo('ssh:/host/x')), ['scheme-as-host']);
  });
});

describe('analyzeAddress', () => {
  it('host:port and [v6]:port', () => {
    assert.deepEqual(kinds(analyzeAddress('host:2222')), ['has-port']);
    assert.deepEqual(kinds(analyzeAddress('10.0.0.5:22')), ['has-port']);
    const b = analyzeAddress('[::1]:22');
    assert.deepEqual(kinds(b), ['has-port']);
    assert.deepEqual(b[0]!.fixes, ['[::1]']);
  });
  it('a bare IPv6 address is unbracketed IPv6, not host:port', () => {
    for (const a of ['2001:db8::1', '::1', 'fe80::1:22', '2001:db8:0:0:0:0:0:1', '::ffff:192.0.2.1']) {
      assert.deepEqual(kinds(analyzeAddress(a)), ['unbracketed-ipv6'], a);
    }
    assert.deepEqual(analyzeAddress('2001:db8::1')[0]!.fixes, ['[2001:db8::1]']);
  });
  it('quiet on valid addresses', () => {
    for (const a of ['backup.example.com', '192.168.56.104', '[2001:db8::1]', 'server', 'server.lan'])
      assert.deepEqual(analyzeAddress(a), [], a);
  });
  it('isIPv6', () => {
    assert.ok(isIPv6('::1') && isIPv6('1:2:3:4:5:6:7:8') && isIPv6('::ffff:1.2.3.4') && isIPv6('1::'));
    assert.ok(
      !isIPv6('1:2:3:4:5:6:7:8:9') && !isIPv6('1::2::3') && !isIPv6('host') && !isIPv6('12345::') && !isIPv6('1:2'),
    );
  });
});

describe('bad input', () => {
  it('huge strings, control characters and newlines: no throw, bounded time', () => {
    const inputs = [
      'a'.repeat(200_000),
      ':'.repeat(100_000),
      'u@' + 'h'.repeat(5000) + ':' + 'p:'.repeat(3000),
      '\u0000\u0001\n\r\t',
      'ssh://' + '['.repeat(5000),
      '{'.repeat(3000),
      'x::'.repeat(2000),
      '\ud800',
    ];
    const t0 = Date.now();
    for (const s of inputs) {
      parseBorgLocation(s);
      analyzeRepo(s);
      analyzeAddress(s);
      placeholderProblems(s);
    }
    assert.ok(Date.now() - t0 < 5000, `took ${Date.now() - t0} ms`);
  });
});
