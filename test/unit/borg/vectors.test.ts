import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { analyzeExclude, analyzeRepo, analyzeRsh, parseBorgLocation, tryMatchPath } from '../../../server/src/borg';

const DATA = path.resolve(__dirname, '../../../../test/fixtures/vectors');

function readTsv(name: string): string[][] {
  const rows = fs
    .readFileSync(path.join(DATA, name), 'utf8')
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('#'));
  return rows.slice(1).map((l) => l.split('\t')); // first non-comment line is the header
}

describe('borg vectors (test/fixtures/vectors)', () => {
  it('borg-location-vectors.tsv: every row parses like borg', () => {
    const rows = readTsv('borg-location-vectors.tsv');
    assert.ok(rows.length >= 40);
    for (const [input, kind, user, host, port, rawPath, archive] of rows) {
      const r = parseBorgLocation(input!);
      if (kind === 'FAIL') {
        assert.equal(r.ok, false, `expected failure for ${JSON.stringify(input)}`);
        assert.ok(
          analyzeRepo(input!).some((f) => f.kind === 'unparsable' || f.kind === 'placeholder'),
          `unparsable or placeholder for ${JSON.stringify(input)}`,
        );
        continue;
      }
      assert.ok(r.ok, `expected ok for ${JSON.stringify(input)}: ${r.ok ? '' : r.message}`);
      if (!r.ok) continue;
      assert.deepEqual(
        [r.kind, r.user ?? '', r.host ?? '', r.port === undefined ? '' : String(r.port), r.path, r.archive ?? ''],
        [kind, user, host, port, rawPath, archive],
        JSON.stringify(input),
      );
    }
  });

  it('borg-location-vectors.tsv: the gotcha rows get a finding, the Clan rows do not', () => {
    const rows = readTsv('borg-location-vectors.tsv');
    const kinds = (s: string) => analyzeRepo(s).map((f) => f.kind);
    for (const [input, , , , , , , note] of rows) {
      if (note!.startsWith('GOTCHA'))
        assert.ok(kinds(input!).length > 0, `problem expected for ${JSON.stringify(input)}`);
      if (note!.startsWith('clan ') && !input!.includes('2001:db8::1:.'))
        assert.deepEqual(kinds(input!), [], JSON.stringify(input));
    }
    assert.deepEqual(kinds('borg@2001:db8::1:.'), ['unbracketed-ipv6']);
  });

  it('borg-exclude-vectors.tsv: every row matches like borg', () => {
    const rows = readTsv('borg-exclude-vectors.tsv');
    assert.ok(rows.length >= 25);
    for (const [pattern, archived, expected] of rows) {
      const r = tryMatchPath(pattern!, archived!);
      if (expected!.startsWith('ERROR')) {
        assert.equal(r.judged, false, pattern);
        assert.ok(
          analyzeExclude(pattern!).some((f) =>
            ['unknown-style', 'invalid-regex', 'invalid-shell-pattern'].includes(f.kind),
          ),
          `a refused pattern for ${pattern}`,
        );
        if (!r.judged) assert.ok(expected!.includes(r.reason), `${pattern}: ${r.reason} vs ${expected}`);
      } else {
        assert.deepEqual(r, { judged: true, matches: expected === 'True' }, `${pattern} vs ${archived}`);
      }
    }
  });
});

describe('no finding on the configurations Clan documents', () => {
  it('seed repos, rsh and excludes are quiet', () => {
    for (const repo of [
      'u123@u123.your-storagebox.de:/./borgbackup',
      'user@host:/./x',
      'user@host:./x',
      'ssh://user@host:23/./x',
      'borg@192.168.56.104:.',
    ]) {
      assert.deepEqual(analyzeRepo(repo), [], repo);
    }
    const rsh = 'ssh -p 23 -oStrictHostKeyChecking=accept-new -i /run/secrets/vars/borgbackup/borgbackup.ssh';
    assert.deepEqual(analyzeRsh(rsh), []);
    assert.deepEqual(analyzeRsh(rsh, parseBorgLocation('u123@u123.your-storagebox.de:/./borgbackup') as never), []);
    const clanDefault =
      'ssh -i /run/secrets/vars/per-machine/m/borgbackup/borgbackup.ssh -o StrictHostKeyChecking=accept-new -o IdentitiesOnly=Yes -o PasswordAuthentication=no';
    assert.deepEqual(analyzeRsh(clanDefault), []);
    for (const ex of [
      '*.pyc',
      '*.bak',
      'sh:**/x',
      '*.tmp',
      '*/__pycache__',
      'sh:**/.cache',
      '/nix',
      'pp:var/lib/postgresql',
      're:(?P<n>a)',
      're:^home/[^/]+\\.tmp/',
    ]) {
      assert.deepEqual(analyzeExclude(ex), [], ex);
    }
  });
});
