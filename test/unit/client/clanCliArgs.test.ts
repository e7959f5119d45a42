// Name validation and argument building for the clan CLI (client/src/clanCli.ts), and the restore confirmation text.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseArchiveName } from '../../../client/src/archives';
import {
  InvalidArgumentError,
  buildCreateArgs,
  buildListArgs,
  buildRestoreArgs,
  clanEnv,
  formatCommandLine,
  lastLine,
  validateArchiveName,
  validateMachine,
  validateProvider,
  validateService,
} from '../../../client/src/clanCli';
import { restorePlan } from '../../../client/src/restorePlan';
import type { MachineSummary } from '../../../shared/protocol';

const NAME = 'backup-server::borg@backup-server:.::alice-backup-server-2026-04-14T03:53:34';

describe('client: name validation', () => {
  it('accepts valid machine names up to 63 characters', () => {
    for (const ok of ['a', 'alice-laptop', 'A1', 'x'.repeat(63), '0web']) validateMachine(ok);
  });
  it('rejects invalid machine names', () => {
    for (const bad of ['', '-a', 'a-', 'a_b', 'a.b', 'a b', 'x'.repeat(64), 'a\n', '$(id)', '--flake']) {
      assert.throws(() => validateMachine(bad), InvalidArgumentError, JSON.stringify(bad));
    }
  });
  it('validates providers and state names', () => {
    validateProvider('borgbackup');
    validateProvider('local.backup_1');
    for (const bad of ['', 'a b', 'a/b', '-x', '--help'])
      assert.throws(() => validateProvider(bad), InvalidArgumentError, bad);
    validateService('postgresql');
    validateService('my_state-2');
    for (const bad of ['', 'a.b', 'a b', '-x', 'a;b'])
      assert.throws(() => validateService(bad), InvalidArgumentError, bad);
  });
  it('validates backup names', () => {
    validateArchiveName(NAME);
    validateArchiveName('srv::borg@[::1]:.::web-srv-2026-01-02T03:04:05');
    for (const bad of ['plain', 'a::b', `${NAME}\n`, `${NAME}\u0007`, 'bad dest::r::a', '-d::r::a', 'd::r::a\u0085']) {
      assert.throws(() => validateArchiveName(bad), InvalidArgumentError, JSON.stringify(bad));
    }
  });
});

describe('client: argument building', () => {
  it('puts --flake after the subcommand and its arguments', () => {
    assert.deepEqual(buildCreateArgs({ machine: 'alice', flake: '/srv/clan' }), [
      'backups',
      'create',
      'alice',
      '--flake',
      '/srv/clan',
    ]);
    assert.deepEqual(buildCreateArgs({ machine: 'alice', provider: 'borgbackup', flake: '/c' }), [
      'backups',
      'create',
      'alice',
      '--provider',
      'borgbackup',
      '--flake',
      '/c',
    ]);
    assert.deepEqual(buildListArgs({ machine: 'alice', flake: '/c' }), ['backups', 'list', 'alice', '--flake', '/c']);
    assert.deepEqual(buildRestoreArgs({ machine: 'alice', provider: 'borgbackup', name: NAME, flake: '/c' }), [
      'backups',
      'restore',
      'alice',
      'borgbackup',
      NAME,
      '--flake',
      '/c',
    ]);
    assert.deepEqual(
      buildRestoreArgs({ machine: 'alice', provider: 'borgbackup', name: NAME, service: 'db', flake: '/c' }),
      ['backups', 'restore', 'alice', 'borgbackup', NAME, '--service', 'db', '--flake', '/c'],
    );
  });
  it('keeps flake paths with spaces as one argument', () => {
    assert.deepEqual(buildListArgs({ machine: 'm', flake: '/home/me/My Clan' }).slice(-1), ['/home/me/My Clan']);
  });
  it('refuses before spawning when a value is invalid', () => {
    assert.throws(() => buildCreateArgs({ machine: 'alice;rm', flake: '/c' }), InvalidArgumentError);
    assert.throws(() => buildCreateArgs({ machine: 'alice', provider: '--x', flake: '/c' }), InvalidArgumentError);
    assert.throws(() => buildListArgs({ machine: 'alice', flake: '' }), InvalidArgumentError);
    assert.throws(() => buildListArgs({ machine: 'alice', flake: '--debug' }), InvalidArgumentError);
    assert.throws(
      () => buildRestoreArgs({ machine: 'alice', provider: 'borgbackup', name: 'x', flake: '/c' }),
      InvalidArgumentError,
    );
    assert.throws(
      () => buildRestoreArgs({ machine: 'alice', provider: 'borgbackup', name: NAME, service: 'a.b', flake: '/c' }),
      InvalidArgumentError,
    );
  });
  it('formats command lines for the log, quoting what a shell would split', () => {
    assert.equal(
      formatCommandLine('clan', ['backups', 'list', 'a', '--flake', '/x y']),
      "clan backups list a --flake '/x y'",
    );
    assert.equal(formatCommandLine('clan', ["it's"]), `clan 'it'\\''s'`);
  });
  it('appends the Nix profile directories to PATH, once, after the existing entries', () => {
    const env = clanEnv(
      { PATH: '/usr/bin:/run/current-system/sw/bin', USER: 'alice', HOME: '/home/alice' },
      '/home/alice',
    );
    assert.equal(
      env.PATH,
      '/usr/bin:/run/current-system/sw/bin:/home/alice/.nix-profile/bin:/etc/profiles/per-user/alice/bin:/nix/var/nix/profiles/default/bin',
    );
    assert.equal(env.USER, 'alice');
    assert.equal(
      clanEnv({}, '/h').PATH,
      '/h/.nix-profile/bin:/run/current-system/sw/bin:/nix/var/nix/profiles/default/bin',
    );
  });
  it('takes the last non-empty stderr line as the ClanError message', () => {
    assert.equal(lastLine('Traceback\n  x\nKeyError: y\n\n'), 'KeyError: y');
    assert.equal(lastLine(''), '');
  });
});

function machine(): MachineSummary {
  const range = { start: { line: 0, character: 0 }, end: { line: 0, character: 1 } };
  return {
    name: 'alice',
    tags: ['backup'],
    machineClass: 'nixos',
    uri: 'file:///c/clan.nix',
    range,
    roles: ['borgbackup/client'],
    jobs: [],
    errors: 0,
    warnings: 0,
    notBackedUp: [],
    hasState: 'yes',
    generatedStates: [],
    providers: [{ name: 'borgbackup', certain: true }],
    providersOpaque: false,
    states: [
      { name: 'app', folders: ['/var/lib/app'], foldersOpaque: false, hooks: [], uri: 'file:///c/clan.nix', range },
      {
        name: 'db',
        folders: ['/var/lib/db', '/var/lib/app'],
        foldersOpaque: false,
        hooks: ['preBackupScript', 'preRestoreScript', 'postRestoreScript'],
        uri: 'file:///c/clan.nix',
        range,
      },
      { name: 'pg', folders: [], foldersOpaque: false, hooks: ['postRestoreScript'], uri: 'file:///c/clan.nix', range },
    ],
  };
}

describe('client: restore confirmation', () => {
  const archive = parseArchiveName(NAME)!;
  it('names the machine, the backup, every folder and the restore hooks of all states', () => {
    const plan = restorePlan(machine(), archive, undefined);
    assert.deepEqual(plan.folders, ['/var/lib/app', '/var/lib/db']);
    assert.deepEqual(plan.hooks, [
      'pre-restore-db (preRestoreScript of db)',
      'post-restore-db (postRestoreScript of db)',
      'post-restore-pg (postRestoreScript of pg)',
    ]);
    assert.match(plan.message, /alice/);
    assert.match(plan.detail, /Backup: backup-server::borg@backup-server:\.::alice-backup-server-2026-04-14T03:53:34/);
    assert.match(plan.detail, /\/var\/lib\/db/);
    assert.match(plan.warnings.join('\n'), /pg has folders = \[ \]: borg extracts the WHOLE archive/);
  });
  it('restricts everything to the chosen state', () => {
    const plan = restorePlan(machine(), archive, 'app');
    assert.deepEqual(plan.folders, ['/var/lib/app']);
    assert.deepEqual(plan.hooks, []);
    assert.match(plan.detail, /No restore hooks are set/);
    assert.deepEqual(plan.warnings, []);
  });
});
