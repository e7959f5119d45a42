// Issue #16 section 2, "The client drives the real CLI": what clan-core's source says the CLI and the providers do,
// and how the client follows it. Pure parts: argv per provider, the first meaningful line of clan's multi-line
// errors, the restore confirmation with generated states. (The fake clan round trips are in client-run.test.ts, the
// jobs model's gate in client-jobs-model.test.ts.)
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseArchiveName } from '../../../client/src/archives';
import {
  InvalidArgumentError,
  buildListArgs,
  buildRestoreArgs,
  errorSummary,
  isMissingProvider,
  knownProviders,
  validateArchiveName,
} from '../../../client/src/clanCli';
import { allStates, restorePlan } from '../../../client/src/restorePlan';
import type { MachineSummary, StateSummary } from '../../../shared/protocol';

const range = { start: { line: 0, character: 0 }, end: { line: 0, character: 1 } };
const state = (
  name: string,
  folders: string[],
  hooks: string[] = [],
  extra: Partial<StateSummary> = {},
): StateSummary => ({ name, folders, foldersOpaque: false, hooks, uri: 'file:///c/clan.nix', range, ...extra });

function machine(over: Partial<MachineSummary> = {}): MachineSummary {
  return {
    name: 'web',
    tags: [],
    machineClass: 'nixos',
    uri: 'file:///c/clan.nix',
    range,
    roles: ['borgbackup/client'],
    jobs: [],
    errors: 0,
    warnings: 0,
    notBackedUp: [],
    hasState: 'yes',
    providersOpaque: false,
    providers: [
      { name: 'borgbackup', certain: true },
      { name: 'localbackup', certain: true, targets: ['usb'] },
    ],
    states: [state('uploads', ['/var/lib/shop/uploads'], ['preBackupScript'])],
    generatedStates: [
      state('shop', ['/var/backup/postgres/shop'], ['preBackupScript', 'postRestoreScript'], {
        generatedBy: 'clan.core.postgresql',
        hookEffects: [
          'pre-backup-shop: pg_dump of database shop to /var/backup/postgres/shop/pg-dump',
          'post-restore-shop: stops shop.service, DROPS database shop and restores it from /var/backup/postgres/shop/pg-dump (pg_restore -C)',
        ],
      }),
      state('zerotier', ['/var/lib/zerotier-one'], [], {
        generatedBy: 'zerotier',
        hookEffects: ['no hooks: zerotierone keeps running while /var/lib/zerotier-one is overwritten'],
      }),
    ],
    ...over,
  };
}

describe('item 1: listing passes --provider, per provider the machine has', () => {
  it('builds one list call per provider of the model', () => {
    const m = machine();
    assert.deepEqual(knownProviders(m), ['borgbackup', 'localbackup']);
    assert.deepEqual(
      knownProviders(m).map((p) => buildListArgs({ machine: m.name, provider: p, flake: '/c' })),
      [
        ['backups', 'list', 'web', '--provider', 'borgbackup', '--flake', '/c'],
        ['backups', 'list', 'web', '--provider', 'localbackup', '--flake', '/c'],
      ],
    );
    // A model of an older server without `providers`: jobs mean borgbackup.
    const old = machine({ jobs: [{ destination: 'nas', unit: 'borgbackup-job-nas', kind: 'server', instance: 'b' }] });
    delete (old as Partial<MachineSummary>).providers;
    assert.deepEqual(knownProviders(old), ['borgbackup']);
  });
  it('recognises the KeyError of a provider the machine does not have (clan_lib/backups/list.py)', () => {
    const tb =
      'Traceback (most recent call last):\n  File "clan_lib/backups/list.py", line 22, in list_provider\nKeyError: \'localbackup\'\n';
    assert.equal(isMissingProvider(tb, 'localbackup'), true);
    assert.equal(isMissingProvider(tb, 'borgbackup'), false);
    assert.equal(isMissingProvider("KeyError: 'localbackup'", 'localbackup'), false);
  });
});

describe("item 2: both providers' names end to end (restore argv)", () => {
  it('restores a localbackup name with the localbackup provider', () => {
    const a = parseArchiveName('usb::/mnt/usb/snapshot.0')!;
    assert.equal(a.provider, 'localbackup');
    assert.deepEqual(buildRestoreArgs({ machine: 'web', provider: a.provider, name: a.name, flake: '/c' }), [
      'backups',
      'restore',
      'web',
      'localbackup',
      'usb::/mnt/usb/snapshot.0',
      '--flake',
      '/c',
    ]);
  });
  it('restores a borgbackup name with the borgbackup provider, failed ones too', () => {
    const name = 'nas::borg@nas:.::web-nas-2026-01-02T01:00:00.failed';
    const a = parseArchiveName(name)!;
    assert.equal(a.provider, 'borgbackup');
    assert.deepEqual(buildRestoreArgs({ machine: 'web', provider: a.provider, name, service: 'shop', flake: '/c' }), [
      'backups',
      'restore',
      'web',
      'borgbackup',
      name,
      '--service',
      'shop',
      '--flake',
      '/c',
    ]);
  });
  it("validates a name by its provider's form", () => {
    assert.throws(() => validateArchiveName('usb::/mnt/usb/snapshot.0', 'borgbackup'), InvalidArgumentError);
    assert.doesNotThrow(() => validateArchiveName('usb::/mnt/usb/snapshot.0', 'localbackup'));
    assert.throws(
      () => validateArchiveName('usb', 'localbackup'),
      /not a localbackup backup name of the form <target>::<directory>/,
    );
    assert.throws(() => validateArchiveName('bad target::/x', 'localbackup'), InvalidArgumentError);
    assert.throws(() => validateArchiveName('-x::/y', 'localbackup'), /starts with "-"/);
    assert.throws(() => validateArchiveName('usb::/a\nb', 'localbackup'), /control characters/);
    // Another provider's names are its own business; the generic checks still apply.
    assert.doesNotThrow(() => validateArchiveName('anything goes', 'restic'));
    assert.throws(() => validateArchiveName('', 'restic'), /empty/);
  });
});

describe("item 3: the first meaningful line of clan's errors", () => {
  const heading = (n: string) => {
    const f = Math.floor((80 - n.length) / 2) - 1;
    const s = `${'='.repeat(f)} ${n} ${'='.repeat(f)}`;
    return s.length < 80 ? s + '=' : s;
  };
  it('continues "Restore failed for the following services:" with the first state and counts the others', () => {
    const stderr = [
      'Restore failed for the following services:',
      'app: failed to run preRestoreCommand: pre-restore-app, error was: nope',
      'db: Service db not found in configuration. Available services are: app',
      '',
    ].join('\n');
    assert.equal(
      errorSummary(stderr),
      'Restore failed for the following services: app: failed to run preRestoreCommand: pre-restore-app, error was: nope (+1 more)',
    );
  });
  it('takes the remote stderr of a ClanCmdError (clan_lib/errors CmdOut) and skips the [machine] output before it', () => {
    const stderr = [
      '[web] $ export FOLDERS=/var/lib/app NAME=x; borgbackup-restore',
      '[web] borg-job-other not found: Backup name is invalid',
      'Restore failed for the following services:',
      'app: ',
      '',
      heading('Command'),
      'ssh root@web -- bash -c \'export FOLDERS=/var/lib/app NAME=x; exec "$@"\' -- borgbackup-restore',
      '',
      heading('Stderr'),
      'borg-job-other not found: Backup name is invalid',
      'Return Code: 1',
      'db: ',
      '',
      heading('Command'),
      'ssh root@web -- pre-restore-db',
      heading('Stdout'),
      'stopping db',
      'Return Code: 1',
    ].join('\n');
    assert.equal(
      errorSummary(stderr),
      'Restore failed for the following services: app: borg-job-other not found: Backup name is invalid (+1 more)',
    );
  });
  it('takes the exception line of a traceback, strips colours, and keeps one-line errors', () => {
    assert.equal(
      errorSummary(
        "Traceback (most recent call last):\n  File \"x.py\", line 1, in f\n    y['a']\nKeyError: 'localbackup'\n",
      ),
      "KeyError: 'localbackup'",
    );
    assert.equal(errorSummary('\u001b[31mNo providers specified\u001b[0m\n'), 'No providers specified');
    assert.equal(errorSummary('provider localbackup not found\n'), 'provider localbackup not found');
    assert.equal(errorSummary(''), '');
    // ClanError with a location: `<location>: \n<msg>`.
    assert.equal(
      errorSummary('machines/web: \nMachine web has no target host\n'),
      'machines/web: Machine web has no target host',
    );
    // Failed to list backups for provider P: (clan_lib/backups/list.py)
    assert.equal(
      errorSummary(
        'Failed to list backups for provider localbackup:\nlocalbackup-list exited with 32\nerror output: mount: /mnt/usb: special device does not exist.\n',
      ),
      'Failed to list backups for provider localbackup: localbackup-list exited with 32',
    );
    // Only command output: its last line, without the prefix.
    assert.equal(errorSummary('[web] something broke\n'), 'something broke');
  });
});

describe('item 6: the restore confirmation names every state that will run, generated ones with their hooks', () => {
  const borg = parseArchiveName('nas::borg@nas:.::web-nas-2026-01-02T01:00:00', 'borgbackup')!;
  it('lists own and generated states, the post-restore that drops the database, and zerotier without hooks', () => {
    const plan = restorePlan(machine(), borg, undefined);
    assert.deepEqual(
      plan.states.map((s) => s.name),
      ['uploads', 'shop', 'zerotier'],
    );
    assert.deepEqual(plan.folders, ['/var/lib/shop/uploads', '/var/backup/postgres/shop', '/var/lib/zerotier-one']);
    assert.equal(plan.hooks.length, 1);
    assert.match(
      plan.hooks[0]!,
      /^post-restore-shop: stops shop\.service, DROPS database shop .*\(postRestoreScript generated by clan\.core\.postgresql\)$/,
    );
    assert.match(
      plan.detail,
      /States that will run: uploads, shop \(generated by clan\.core\.postgresql\), zerotier \(generated by zerotier\)/,
    );
    assert.match(
      plan.warnings.join('\n'),
      /zerotier \(generated by zerotier\) has no hooks: zerotierone keeps running/,
    );
    assert.match(plan.detail, /Provider: borgbackup/);
  });
  it('restricts to one generated state with --service', () => {
    const plan = restorePlan(machine(), borg, 'shop');
    assert.deepEqual(
      plan.states.map((s) => s.name),
      ['shop'],
    );
    assert.deepEqual(plan.folders, ['/var/backup/postgres/shop']);
    assert.equal(plan.hooks.length, 1);
  });
  it('says how localbackup restores, and that a state without folders fails there', () => {
    const m = machine({ states: [state('empty', [])], generatedStates: [] });
    const plan = restorePlan(m, parseArchiveName('usb::/mnt/usb/snapshot.0')!, undefined);
    assert.equal(plan.provider, 'localbackup');
    assert.match(plan.message, /from localbackup backup usb: snapshot\.0\?$/);
    assert.match(plan.detail, /rsync -a/);
    assert.match(plan.warnings.join('\n'), /No folders given via FOLDERS environment variable/);
  });
  it('warns about a failed archive and about states the model cannot see', () => {
    const plan = restorePlan(
      machine({ hasState: 'unknown' }),
      parseArchiveName('nas::r::web-nas-2026-01-02T01:00:00.failed')!,
      undefined,
    );
    assert.match(plan.warnings.join('\n'), /marked failed/);
    assert.match(plan.warnings.join('\n'), /Not every state of web can be seen/);
    assert.match(plan.detail, /\(FAILED\)/);
  });
  it('does not list a generated state twice when the clan also writes one of that name', () => {
    const m = machine({ states: [state('shop', ['/srv/shop'])] });
    assert.deepEqual(
      allStates(m).map((s) => s.name),
      ['shop', 'zerotier'],
    );
  });
});
