// `clan-backups check` as users run it: the bundled CLI in a child process.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { CLI } from '../../helpers/lspClient';
import { skipUnlessTool } from '../../helpers/tools';

const ROOT = resolve(__dirname, '../../../..');

function run(args: string[], cwd = ROOT) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', timeout: 30000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('clan-backups check', () => {
  it('prints FILE:LINE:COL: SEVERITY: MESSAGE [CODE] and exits 1 on errors', () => {
    const r = run(['check', 'examples/demo-clan']);
    assert.equal(r.code, 1);
    const line = r.stdout.split('\n').find((l) => l.includes('[unknown-setting]'));
    assert.match(line ?? '', /^examples\/demo-clan\/clan\.nix:25:18: error: .*start_at.*\[unknown-setting\]$/);
  });

  it('prints JSON with 1-based positions', () => {
    const r = run(['check', '--format', 'json', 'examples/demo-clan/clan.nix']);
    assert.equal(r.code, 1);
    const items = JSON.parse(r.stdout) as Array<Record<string, unknown>>;
    const f = items.find((i) => i.code === 'unknown-setting')!;
    assert.deepEqual(
      {
        file: f.file,
        line: f.line,
        column: f.column,
        endLine: f.endLine,
        endColumn: f.endColumn,
        severity: f.severity,
      },
      { file: 'examples/demo-clan/clan.nix', line: 25, column: 18, endLine: 25, endColumn: 26, severity: 'error' },
    );
  });

  it('exits 0 on a clan without errors', () => {
    assert.equal(run(['check', 'test/fixtures/seeds/two-machines']).code, 0);
  });

  it('exits 2 with a clear message on bad input, never a stack trace', () => {
    const empty = mkdtempSync(join(tmpdir(), 'clan-backups-cli-'));
    const cases: Array<[string[], RegExp]> = [
      [['check', 'does/not/exist'], /does\/not\/exist: no such file or directory/],
      [['check', empty], /no clan\.nix in this directory/],
      [['check', '--format', 'xml', '.'], /--format must be text or json/],
      [['check', '--bogus'], /unknown option '--bogus'/],
      [['frobnicate'], /unknown command 'frobnicate'/],
    ];
    const bin = join(empty, 'bin.nix');
    writeFileSync(bin, Buffer.from([0x7b, 0x00, 0x01, 0x02, 0x7d]));
    cases.push([['check', bin], /binary file/]);
    for (const [args, message] of cases) {
      const r = run(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    }
  });

  it('checks a file outside every clan alone: neither its siblings nor what lies past a repository root', () => {
    const dir = mkdtempSync(join(tmpdir(), 'clan-backups-cli-'));
    // A clan above a repository root is not this file's clan; broken siblings are not this file's problems.
    writeFileSync(
      join(dir, 'clan.nix'),
      '{ meta.name = "outer"; inventory.instances.x.roles.r.machines.ghost = { }; }\n',
    );
    mkdirSync(join(dir, 'repo', '.git'), { recursive: true });
    mkdirSync(join(dir, 'repo', 'lib'));
    for (let i = 0; i < 50; i++) writeFileSync(join(dir, 'repo', 'lib', `broken${i}.nix`), '{ a = ; }\n');
    writeFileSync(join(dir, 'repo', 'lib', 'mine.nix'), '{ lib, pkgs, }:\n{ x = 1; }\n');
    const r = run(['check', '--format', 'json', join(dir, 'repo', 'lib', 'mine.nix')]);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.deepEqual(JSON.parse(r.stdout), []);
    // A clan module fragment read alone: its meta may be in another module of the clan, so no missing-clan-name.
    writeFileSync(
      join(dir, 'repo', 'lib', 'tags.nix'),
      '{ lib, ... }:\n{\n  inventory.tags = { machines, ... }: { servers = lib.mkDefault (builtins.attrNames machines); };\n}\n',
    );
    const fragment = run(['check', '--format', 'json', join(dir, 'repo', 'lib', 'tags.nix')]);
    assert.equal(fragment.code, 0, fragment.stdout);
    assert.deepEqual(JSON.parse(fragment.stdout), []);
    writeFileSync(join(dir, 'repo', 'lib', 'mine.nix'), '{ lib, , pkgs }: { }\n');
    const bad = run(['check', '--format', 'json', join(dir, 'repo', 'lib', 'mine.nix')]);
    assert.equal(bad.code, 1);
    assert.deepEqual(
      (JSON.parse(bad.stdout) as Array<{ file: string; code: string }>).map((f) => [
        f.file.replace(/.*\//, ''),
        f.code,
      ]),
      [['mine.nix', 'syntax-error']],
    );
  });

  it('reports an empty clan.nix as a syntax error', () => {
    const dir = mkdtempSync(join(tmpdir(), 'clan-backups-cli-'));
    writeFileSync(join(dir, 'clan.nix'), '');
    const r = run(['check', dir]);
    assert.equal(r.code, 1);
    assert.match(
      r.stdout,
      /clan\.nix:1:1: error: syntax error: unexpected end of file: the file holds no Nix expression \[syntax-error\]/,
    );
  });
});

describe('clan-backups calendar', () => {
  it(
    'prints what systemd-analyze calendar prints',
    { skip: skipUnlessTool('systemd', 'clan-backups calendar against systemd-analyze calendar') },
    () => {
      const args = [
        'calendar',
        '--iterations',
        '3',
        '--base-time',
        '2026-03-28 12:00:00 UTC',
        'Mon..Fri *-*-* 04:00',
        'daily Europe/Berlin',
        'bogus',
      ];
      const env = { ...process.env, TZ: 'Europe/Berlin' };
      const ours = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env });
      const theirs = spawnSync('systemd-analyze', args, { encoding: 'utf8', env });
      const strip = (s: string) =>
        s
          .split('\n')
          .filter((l) => !l.includes('From now:'))
          .join('\n');
      assert.equal(strip(ours.stdout), strip(theirs.stdout));
      assert.equal(ours.stderr, theirs.stderr);
      assert.equal(ours.status, theirs.status);
    },
  );
});
