// runClan (client/src/clanCli.ts) against the fake clan CLI in test/fixtures/fake-clan: exit statuses, streaming,
// cancellation of the whole process tree, a missing executable, and a real borg round trip.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseListOutput } from '../../../client/src/archives';
import {
  RunOptions,
  RunResult,
  buildCreateArgs,
  buildListArgs,
  buildRestoreArgs,
  runClan,
} from '../../../client/src/clanCli';
import { skipUnlessTool } from '../../helpers/tools';

const root = path.resolve(__dirname, '../../../..');
const FAKE = path.join(root, 'test/fixtures/fake-clan/clan');

let tmp: string;
let clanDir: string;

function writeState(name: string, state: unknown): string {
  const file = path.join(tmp, `${name}.json`);
  fs.writeFileSync(file, JSON.stringify(state, null, 2));
  return file;
}

function run(stateFile: string, args: string[], extra: Partial<RunOptions> = {}): Promise<RunResult> {
  return runClan({
    executable: FAKE,
    args,
    cwd: clanDir,
    env: { ...process.env, FAKE_CLAN_STATE: stateFile, FAKE_CLAN_LOG: path.join(tmp, 'calls.jsonl') },
    ...extra,
  });
}

/** Alive and not a zombie (a zombie is dead for our purpose: it only waits to be reaped). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

async function waitUntil(what: string, cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const A1 = 'backup-server::borg@backup-server:.::alice-backup-server-2026-04-14T03:53:34';
const A2 = 'backup-server::borg@backup-server:.::alice-backup-server-2026-04-15T03:53:34';

function baseState() {
  return {
    machines: {
      alice: {
        providers: { borgbackup: { archives: [A2, A1], destinations: { 'backup-server': 'borg@backup-server:.' } } },
        states: { app: { folders: ['/var/lib/app'] }, db: { folders: ['/var/lib/db'] } },
      },
      bob: { states: {} },
      slow: { providers: { borgbackup: {} }, createDelaySeconds: 120 },
      down: { providers: { borgbackup: {} }, error: 'ssh: connect to host down port 22: Connection refused' },
    },
  };
}

before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'clan-client-test-'));
  clanDir = path.join(tmp, 'my clan');
  fs.mkdirSync(clanDir);
  fs.writeFileSync(path.join(clanDir, 'clan.nix'), '{ }\n');
});
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('client: runClan with the fake clan CLI', () => {
  it('exit 0: list prints sorted names, streamed to the callback', async () => {
    const state = writeState('list', baseState());
    const chunks: string[] = [];
    const r = await run(state, buildListArgs({ machine: 'alice', flake: clanDir }), {
      onStdout: (c) => chunks.push(c),
    });
    assert.equal(r.kind, 'ok');
    if (r.kind !== 'ok') return;
    assert.equal(r.stdout, `${A1}\n${A2}\n`);
    assert.equal(chunks.join(''), r.stdout);
    assert.deepEqual(
      parseListOutput(r.stdout).archives.map((a) => a.name),
      [A2, A1],
    );
    const calls = fs
      .readFileSync(path.join(tmp, 'calls.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.deepEqual(calls.at(-1).argv, ['backups', 'list', 'alice', '--flake', clanDir]);
    assert.equal(calls.at(-1).cwd, clanDir);
  });

  it('exit 0: create says "successfully started backup" and a new archive appears in list', async () => {
    const state = writeState('create', baseState());
    const r = await run(state, buildCreateArgs({ machine: 'alice', flake: clanDir }));
    assert.equal(r.kind, 'ok');
    assert.equal(r.kind === 'ok' && r.stdout, 'successfully started backup\n');
    const l = await run(state, buildListArgs({ machine: 'alice', flake: clanDir }));
    assert.equal(l.kind === 'ok' && parseListOutput(l.stdout).archives.length, 3);
  });

  it('exit 1: ClanErrors carry their first meaningful line', async () => {
    const state = writeState('errors', baseState());
    const cases: [string[], RegExp][] = [
      [buildCreateArgs({ machine: 'bob', flake: clanDir }), /^No providers specified$/],
      [
        buildCreateArgs({ machine: 'alice', provider: 'localbackup', flake: clanDir }),
        /^provider localbackup not found$/,
      ],
      [buildListArgs({ machine: 'carol', flake: clanDir }), /Machine 'carol' not found/],
      [buildListArgs({ machine: 'down', flake: clanDir }), /Connection refused$/],
      [
        buildRestoreArgs({ machine: 'alice', provider: 'borgbackup', name: A1, service: 'nope', flake: clanDir }),
        // clan_lib/backups/restore.py collects the error of --service too.
        /^Restore failed for the following services: nope: Service nope not found in configuration\. Available services are: app, db$/,
      ],
    ];
    for (const [args, re] of cases) {
      const r = await run(state, args);
      assert.equal(r.kind, 'clanError', args.join(' '));
      if (r.kind === 'clanError') assert.match(r.message, re);
    }
  });

  it('exit 2: usage errors, e.g. --flake before the subcommand', async () => {
    const state = writeState('usage', baseState());
    const cases: [string[], RegExp][] = [
      [['--flake', clanDir, 'backups', 'list', 'alice'], /^clan: error: argument subcommand: invalid choice/],
      [['backups', 'list', '--flake', clanDir], /the following arguments are required: machine$/],
      [['backups', 'restore', 'alice', '--flake', clanDir], /required: provider, name$/],
      [['backups', 'list', 'alice', '--nope', '--flake', clanDir], /unrecognized arguments: --nope$/],
      [['backups', 'list', 'alice', '--flake'], /argument --flake: expected one argument$/],
    ];
    for (const [args, re] of cases) {
      const r = await run(state, args);
      assert.equal(r.kind, 'usageError', args.join(' '));
      if (r.kind === 'usageError') {
        assert.match(r.message, re);
        assert.match(r.stderr, /^usage: clan/);
      }
    }
  });

  it('ENOENT: a missing executable is "notFound", not a crash', async () => {
    const state = writeState('enoent', baseState());
    const r1 = await run(state, ['backups', 'list', 'alice'], { executable: path.join(tmp, 'no-such-clan') });
    assert.deepEqual(r1, { kind: 'notFound', executable: path.join(tmp, 'no-such-clan') });
    const r2 = await run(state, ['backups', 'list', 'alice'], { executable: 'clan-backups-test-no-such-program' });
    assert.equal(r2.kind, 'notFound');
  });

  it('a file that is not executable is a spawn error', async () => {
    const file = path.join(tmp, 'not-executable');
    fs.writeFileSync(file, '#!/bin/sh\n', { mode: 0o644 });
    const r = await run(writeState('eacces', baseState()), [], { executable: file });
    assert.equal(r.kind, 'spawnError');
  });

  it('cancellation kills the whole process group, children included', async () => {
    const state = writeState('cancel', baseState());
    const controller = new AbortController();
    let helper: number | undefined;
    let onHelper!: () => void;
    const helperStarted = new Promise<void>((resolve) => (onHelper = resolve));
    let stderr = '';
    const pending = run(state, buildCreateArgs({ machine: 'slow', flake: clanDir }), {
      signal: controller.signal,
      onStderr: (chunk) => {
        stderr += chunk;
        const m = /helper pid (\d+)/.exec(stderr);
        if (m && helper === undefined) {
          helper = Number(m[1]);
          onHelper();
        }
      },
    });
    await helperStarted;
    // The fake's own pid: the parent of the helper.
    const stat = fs.readFileSync(`/proc/${helper}/stat`, 'utf8');
    const leader = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    assert.ok(isAlive(helper!) && isAlive(leader), 'both processes run before the cancellation');
    controller.abort();
    const r = await pending;
    assert.equal(r.kind, 'cancelled');
    await waitUntil('the fake clan and its child are gone', () => !isAlive(leader) && !isAlive(helper!));
  });

  it('an already aborted signal does not spawn at all', async () => {
    const log = path.join(tmp, 'calls.jsonl');
    const before = fs.existsSync(log) ? fs.readFileSync(log, 'utf8') : '';
    const r = await run(writeState('aborted', baseState()), ['backups', 'list', 'alice'], {
      signal: AbortSignal.abort(),
    });
    assert.equal(r.kind, 'cancelled');
    assert.equal(fs.existsSync(log) ? fs.readFileSync(log, 'utf8') : '', before);
  });
});

describe(
  'client: real borg round trip through the fake clan',
  { skip: skipUnlessTool('borg', 'the real borg round trip through the fake clan') },
  () => {
    function tree(dir: string): Record<string, string> {
      const out: Record<string, string> = {};
      const walk = (d: string): void => {
        for (const e of fs.readdirSync(d, { withFileTypes: true })) {
          const p = path.join(d, e.name);
          if (e.isDirectory()) walk(p);
          else out[path.relative(dir, p)] = fs.readFileSync(p).toString('base64');
        }
      };
      if (fs.existsSync(dir)) walk(dir);
      return out;
    }

    it('create, list and restore move real files and lose nothing', async () => {
      const sandbox = path.join(tmp, 'machine-root');
      const repo = path.join(tmp, 'borg-repo');
      const env = { ...process.env, BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK: 'yes' };
      assert.equal(spawnSync('borg', ['init', '-e', 'none', repo], { env }).status, 0);
      const app = path.join(sandbox, 'var/lib/app');
      const db = path.join(sandbox, 'var/lib/db');
      fs.mkdirSync(path.join(app, 'nested/deeper'), { recursive: true });
      fs.mkdirSync(db, { recursive: true });
      fs.writeFileSync(path.join(app, 'config.json'), '{"a":1}\n');
      fs.writeFileSync(path.join(app, 'nested/deeper/binary.bin'), Buffer.from([0, 1, 2, 255, 254, 10, 13]));
      fs.writeFileSync(path.join(app, 'name with spaces.txt'), 'spaces\n');
      fs.writeFileSync(path.join(db, 'dump.sql'), 'CREATE TABLE t (x int);\n'.repeat(1000));
      const hookLog = path.join(tmp, 'hooks.log');
      const state = writeState('borg', {
        machines: {
          alice: {
            root: sandbox,
            providers: { borgbackup: { borgRepo: repo, destination: 'local' } },
            states: {
              app: { folders: ['/var/lib/app'] },
              db: {
                folders: ['/var/lib/db'],
                preRestoreScript: `echo "pre $NAME $FOLDERS" >> '${hookLog}'`,
                postRestoreScript: `echo "post $(cat var/lib/db/dump.sql | wc -l)" >> '${hookLog}'`,
              },
            },
          },
        },
      });
      const appBefore = tree(app);
      const dbBefore = tree(db);

      const created = await run(state, buildCreateArgs({ machine: 'alice', flake: clanDir }));
      assert.equal(created.kind, 'ok', JSON.stringify(created));
      const listed = await run(state, buildListArgs({ machine: 'alice', flake: clanDir }));
      assert.equal(listed.kind, 'ok');
      const archives = parseListOutput(listed.kind === 'ok' ? listed.stdout : '').archives;
      assert.equal(archives.length, 1);
      const archive = archives[0]!;
      assert.equal(archive.destination, 'local');
      assert.equal(archive.repo, repo);
      assert.equal(archive.host, 'alice');
      assert.ok(archive.time);

      // Damage both states, then restore one: only that one comes back.
      fs.rmSync(app, { recursive: true });
      fs.writeFileSync(path.join(db, 'dump.sql'), 'corrupted');
      const one = await run(
        state,
        buildRestoreArgs({
          machine: 'alice',
          provider: 'borgbackup',
          name: archive.name,
          service: 'app',
          flake: clanDir,
        }),
      );
      assert.equal(one.kind, 'ok', JSON.stringify(one));
      assert.deepEqual(tree(app), appBefore);
      assert.equal(fs.readFileSync(path.join(db, 'dump.sql'), 'utf8'), 'corrupted');
      assert.equal(fs.existsSync(hookLog), false, 'no hook of another state ran');

      // Restore all states: the hooks of db run around its extraction.
      const all = await run(
        state,
        buildRestoreArgs({ machine: 'alice', provider: 'borgbackup', name: archive.name, flake: clanDir }),
      );
      assert.equal(all.kind, 'ok', JSON.stringify(all));
      assert.deepEqual(tree(app), appBefore);
      assert.deepEqual(tree(db), dbBefore);
      assert.deepEqual(fs.readFileSync(hookLog, 'utf8').trim().split('\n'), [
        `pre ${archive.name} /var/lib/db`,
        'post 1000',
      ]);

      // A name of a destination the machine does not have fails like borgbackup-restore does.
      const wrong = await run(
        state,
        buildRestoreArgs({
          machine: 'alice',
          provider: 'borgbackup',
          name: `other::${repo}::${archive.archive}`,
          service: 'app',
          flake: clanDir,
        }),
      );
      assert.equal(wrong.kind, 'clanError');
      assert.match(wrong.kind === 'clanError' ? wrong.stderr : '', /borg-job-other not found: Backup name is invalid/);
    });
  },
);

// Issue #16 section 2 against the fake clan: per-provider listing, localbackup names, multi-line errors.
describe("client: the fake clan as clan-core's source describes it", () => {
  const L0 = 'usb::/mnt/usb/snapshot.0';
  const L1 = 'usb::/mnt/usb/snapshot.1';
  const FAILED = 'backup-server::borg@backup-server:.::alice-backup-server-2026-04-16T03:53:34.failed';
  function twoProviders(listError?: string) {
    const s = baseState();
    s.machines.alice.providers = {
      borgbackup: { archives: [A2, A1, FAILED], destinations: { 'backup-server': 'borg@backup-server:.' } },
      localbackup: { archives: [L1, L0], ...(listError ? { listError } : {}) },
    } as typeof s.machines.alice.providers;
    (s.machines.alice.states as Record<string, { folders: string[] }>).empty = { folders: [] };
    return s;
  }
  const lastCall = () =>
    fs
      .readFileSync(path.join(tmp, 'calls.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .at(-1);

  it('item 1: without --provider one unmounted localbackup disk fails the whole list; --provider borgbackup still lists', async () => {
    const state = writeState(
      'unmounted',
      twoProviders('mount: /mnt/usb: special device /dev/disk/by-label/usb does not exist.'),
    );
    const all = await run(state, buildListArgs({ machine: 'alice', flake: clanDir }));
    assert.equal(all.kind, 'clanError');
    assert.equal(
      all.kind === 'clanError' && all.message,
      'Failed to list backups for provider localbackup: localbackup-list exited with 1',
    );
    assert.equal(lastCall().provider, null);
    const borg = await run(state, buildListArgs({ machine: 'alice', provider: 'borgbackup', flake: clanDir }));
    assert.equal(borg.kind, 'ok');
    assert.deepEqual(lastCall().provider, 'borgbackup');
    const listing = parseListOutput(borg.kind === 'ok' ? borg.stdout : '', 'borgbackup');
    // item 4: the failed archive is dated and sorted with the others.
    assert.deepEqual(
      listing.archives.map((a) => [a.name, !!a.failed]),
      [
        [FAILED, true],
        [A2, false],
        [A1, false],
      ],
    );
  });

  it('item 2: lists and restores localbackup names; the fake records the provider of restore', async () => {
    const state = writeState('local', twoProviders());
    const l = await run(state, buildListArgs({ machine: 'alice', provider: 'localbackup', flake: clanDir }));
    assert.equal(l.kind, 'ok');
    const archives = parseListOutput(l.kind === 'ok' ? l.stdout : '', 'localbackup').archives;
    assert.deepEqual(
      archives.map((a) => [a.destination, a.snapshot]),
      [
        ['usb', 0],
        ['usb', 1],
      ],
    );
    const r = await run(
      state,
      buildRestoreArgs({
        machine: 'alice',
        provider: 'localbackup',
        name: archives[0]!.name,
        service: 'app',
        flake: clanDir,
      }),
    );
    assert.equal(r.kind, 'ok', JSON.stringify(r));
    assert.equal(lastCall().provider, 'localbackup');
    assert.deepEqual(lastCall().argv.slice(0, 5), ['backups', 'restore', 'alice', 'localbackup', L0]);
  });

  it('item 3: a multi-line restore error reaches the notification as its first meaningful line; stderr keeps all', async () => {
    const state = writeState('multi', twoProviders());
    const gone = 'backup-server::borg@backup-server:.::alice-backup-server-2020-01-01T00:00:00';
    const r = await run(
      state,
      buildRestoreArgs({ machine: 'alice', provider: 'borgbackup', name: gone, flake: clanDir }),
    );
    assert.equal(r.kind, 'clanError');
    if (r.kind !== 'clanError') return;
    assert.equal(
      r.message,
      'Restore failed for the following services: app: Archive alice-backup-server-2020-01-01T00:00:00 does not exist. (+2 more)',
    );
    assert.match(r.stderr, /^\[alice\] \$ export FOLDERS=\/var\/lib\/app NAME=/m);
    assert.match(r.stderr, /^={35} Command ={36}$/m);
    assert.match(r.stderr, /^db: $/m);
    assert.match(r.stderr, /^Return Code: 2$/m);
    // localbackup-restore: a state without folders fails (its error is on stdout).
    const e = await run(
      state,
      buildRestoreArgs({ machine: 'alice', provider: 'localbackup', name: L0, service: 'empty', flake: clanDir }),
    );
    assert.equal(
      e.kind === 'clanError' && e.message,
      'Restore failed for the following services: empty: No folders given via FOLDERS environment variable',
    );
  });

  it('a provider the machine lacks is a KeyError traceback, also for restore', async () => {
    const state = writeState('keyerror', baseState());
    const r = await run(
      state,
      buildRestoreArgs({ machine: 'alice', provider: 'localbackup', name: L0, service: 'app', flake: clanDir }),
    );
    assert.equal(r.kind === 'clanError' && r.message, "KeyError: 'localbackup'");
    const l = await run(state, buildListArgs({ machine: 'alice', provider: 'localbackup', flake: clanDir }));
    assert.equal(l.kind === 'clanError' && l.message, "KeyError: 'localbackup'");
  });
});
