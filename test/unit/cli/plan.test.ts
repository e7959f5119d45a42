// `clan-backups plan`: the bundled CLI as CI runs it (text, markdown, JSON on examples/demo-clan), usage errors, a
// service left out of the backups, and planReport with a fixed `now` so next runs are exact.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { analyzeClan } from '../../../server/src/analyze';
import { planReport, PlanReport, renderMarkdown, renderText } from '../../../server/src/cli/plan';
import { loadWorkspaceClan } from '../../../server/src/model/workspaceIndex';
import { initParsing } from '../../../server/src/parsing/parser';
import { CLI } from '../../helpers/lspClient';

const ROOT = resolve(__dirname, '../../../..');
const DEMO = join(ROOT, 'examples', 'demo-clan');
const tmp = mkdtempSync(join(tmpdir(), 'clan-backups-plan-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

function run(args: string[], cwd = ROOT) {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    cwd,
    encoding: 'utf8',
    timeout: 30000,
    env: { ...process.env, TZ: 'UTC' },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function writeClan(name: string, files: Record<string, string>): string {
  const dir = join(tmp, name);
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), text);
  }
  return dir;
}

async function planOf(dir: string, now: Date, tz = 'UTC'): Promise<PlanReport> {
  await initParsing();
  const sources = loadWorkspaceClan(dir);
  assert.ok(sources, `no clan in ${dir}`);
  return planReport(analyzeClan(sources), { now, tz });
}

// A borgbackup client that enables gitea and backs up something else: /var/lib/gitea is in no state.
const GITEA = writeClan('gitea', {
  'clan.nix': `{
  meta.name = "g";
  inventory.machines = { forge = { }; vault = { }; };
  inventory.instances.borgbackup = {
    roles.client.machines.forge.settings.startAt = "Mon *-*-* 02:30:00";
    roles.client.settings.exclude = [ "*.tmp" ];
    roles.client.machines.forge.settings.exclude = [ "sh:**/cache|tmp" "*.tmp" ];
    roles.server.machines.vault = { };
  };
}
`,
  'machines/forge/configuration.nix': `{ ... }:
{
  services.gitea.enable = true;
  clan.core.state.etc.folders = [ "/etc/forge" ];
}
`,
});

describe('clan-backups plan on examples/demo-clan', () => {
  it('text: jobs with repository, schedule and next run, states, dumps, excludes, the gap', () => {
    const r = run(['plan', 'examples/demo-clan']);
    assert.equal(r.code, 0, r.stderr);
    const out = r.stdout;
    assert.match(out, /^Backup plan of examples\/demo-clan \(4 machine\(s\)\)$/m);
    assert.match(out, /^web {2}roles: borgbackup\/client, sshd\/server$/m);
    assert.match(
      out,
      /^ {4}borgbackup-job-storagebox {2}repo u123456@u123456\.your-storagebox\.de:\/\.\/borgbackup {2}startAt \*-\*-\* 01:00:00 {2}next \w{3} \d{4}-\d\d-\d\d 01:00:00 UTC {2}\[borgbackup, instance borgbackup\]$/m,
    );
    assert.match(
      out,
      /^ {4}borgbackup-job-nas {2}repo borg@192\.168\.1\.50:\. {2}startAt daily at 4 {2}next never: invalid schedule/m,
    );
    assert.match(out, /^ {4}uploads: \/var\/lib\/shop\/uploads {2}hooks: preBackupScript$/m);
    assert.match(out, /^ {4}shop -> \/var\/backup\/postgres\/shop \(state shop\)$/m);
    assert.match(out, /^ {4}borgbackup: \*\.pyc __pycache__$/m);
    assert.match(
      out,
      /^ {2}NOT backed up:\n {4}services\.gitea: \/var\/lib\/gitea {2}\(machines\/web\/configuration\.nix:22\)$/m,
    );
    assert.match(out, /^nas {2}roles: borgbackup\/server, sshd\/server\n {2}jobs: none$/m);
  });

  it('markdown: one jobs table, a section per machine, a "Not backed up" table', () => {
    const r = run(['plan', '--format', 'markdown', 'examples/demo-clan']);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.split('\n');
    assert.equal(lines[0], '## Backup plan');
    assert.ok(lines.includes('| Machine | Job | Repository | Schedule | Next run |'));
    assert.ok(lines.includes('| --- | --- | --- | --- | --- |'));
    assert.ok(
      lines.some((l) =>
        /^\| web \| `borgbackup-job-storagebox` \| `u123456@u123456\.your-storagebox\.de:\/\.\/borgbackup` \| `\*-\*-\* 01:00:00` \| \w{3} \d{4}-\d\d-\d\d 01:00:00 UTC \|$/.test(
          l,
        ),
      ),
    );
    assert.ok(lines.includes('### web'));
    assert.ok(lines.includes('| `uploads` | `/var/lib/shop/uploads` | preBackupScript |'));
    assert.ok(lines.includes('- PostgreSQL dump: `shop` → `/var/backup/postgres/shop` (state `shop`)'));
    assert.ok(lines.includes('- Excluded (`borgbackup`): `*.pyc`, `__pycache__`'));
    const gaps = lines.indexOf('### Not backed up');
    assert.ok(gaps > 0);
    assert.deepEqual(lines.slice(gaps + 2, gaps + 5), [
      '| Machine | Service | Data | Enabled at |',
      '| --- | --- | --- | --- |',
      '| web | `services.gitea` | `/var/lib/gitea` | `machines/web/configuration.nix:22` |',
    ]);
    assert.ok(!r.stdout.includes('\n\n\n'), 'one blank line between blocks');
  });

  it('json: the documented shape, sorted machines, paths relative to clanDir', () => {
    const r = run(['plan', '--format=json', 'examples/demo-clan']);
    assert.equal(r.code, 0, r.stderr);
    const plan = JSON.parse(r.stdout) as PlanReport;
    assert.deepEqual(Object.keys(plan), ['version', 'clanDir', 'now', 'machines']);
    assert.equal(plan.version, 1);
    assert.equal(plan.clanDir, DEMO);
    assert.deepEqual(
      plan.machines.map((m) => m.name),
      ['desktop', 'laptop', 'nas', 'web'],
    );
    const web = plan.machines.find((m) => m.name === 'web')!;
    assert.deepEqual(Object.keys(web), [
      'name',
      'machineClass',
      'roles',
      'hasState',
      'providers',
      'jobs',
      'states',
      'postgresql',
      'exclude',
      'notBackedUp',
    ]);
    assert.deepEqual(web.roles, ['borgbackup/client', 'sshd/server']);
    const storagebox = web.jobs.find((j) => j.destination === 'storagebox')!;
    assert.deepEqual(
      { ...storagebox, nextRun: null },
      {
        unit: 'borgbackup-job-storagebox',
        destination: 'storagebox',
        kind: 'external',
        provider: 'borgbackup',
        instance: 'borgbackup',
        repo: 'u123456@u123456.your-storagebox.de:/./borgbackup',
        startAt: '*-*-* 01:00:00',
        nextRun: null,
        scheduleError: null,
      },
    );
    assert.match(storagebox.nextRun ?? '', /^\d{4}-\d\d-\d\dT01:00:00\.000Z$/);
    assert.deepEqual(
      web.jobs.map((j) => j.unit),
      ['borgbackup-job-nas', 'borgbackup-job-offsite', 'borgbackup-job-storagebox'],
    );
    assert.deepEqual(web.states[0], {
      name: 'uploads',
      folders: ['/var/lib/shop/uploads'],
      foldersComputed: false,
      hooks: ['preBackupScript'],
      generatedBy: null,
      file: 'machines/web/configuration.nix',
      line: 14,
    });
    assert.equal(web.states[1]?.generatedBy, 'clan.core.postgresql');
    assert.deepEqual(web.postgresql, [
      { database: 'shop', state: 'shop', folder: '/var/backup/postgres/shop', enabled: true },
    ]);
    assert.deepEqual(web.exclude, [{ instance: 'borgbackup', patterns: ['*.pyc', '__pycache__'], computed: false }]);
    assert.deepEqual(web.notBackedUp, [
      { service: 'gitea', dirs: ['/var/lib/gitea'], database: null, file: 'machines/web/configuration.nix', line: 22 },
    ]);
    const laptop = plan.machines.find((m) => m.name === 'laptop')!;
    assert.equal(laptop.jobs[0]?.startAt, 'daily at 4');
    assert.equal(laptop.jobs[0]?.nextRun, null);
    assert.match(laptop.jobs[0]?.scheduleError ?? '', /'daily'/);
    assert.deepEqual(plan.machines.find((m) => m.name === 'nas')!.jobs, []);
    // No absolute path but clanDir.
    assert.ok(
      !JSON.stringify({ ...plan, clanDir: '' }).includes(tmpdir()) &&
        !JSON.stringify({ ...plan, clanDir: '' }).includes(ROOT),
    );
  });

  it('--help and the top-level usage name plan', () => {
    const help = run(['plan', '--help']);
    assert.equal(help.code, 0);
    assert.equal(help.stdout, 'usage: clan-backups plan [--format text|json|markdown] [PATH]\n');
    assert.match(run(['--help']).stdout, /^ {2}plan \[--format text\|json\|markdown\] \[PATH\]$/m);
  });
});

describe('clan-backups plan usage errors', () => {
  it('exit 2 with one line and the usage, never a stack trace', () => {
    const empty = mkdtempSync(join(tmp, 'empty-'));
    const cases: Array<[string[], RegExp]> = [
      [['plan', '--bogus'], /^clan-backups plan: unknown option '--bogus'$/m],
      [['plan', '--format', 'xml', '.'], /^clan-backups plan: --format must be text, json or markdown, not 'xml'$/m],
      [['plan', '--format'], /--format must be text, json or markdown, not ''/],
      [['plan', 'does/not/exist'], /^clan-backups plan: does\/not\/exist: no such file or directory$/m],
      [['plan', empty], /no clan\.nix in this directory, nor a flake that defines a clan$/m],
      [['plan', 'examples/demo-clan', 'test'], /one PATH at most, got 2/],
    ];
    for (const [args, message] of cases) {
      const r = run(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
      assert.equal(r.stdout, '');
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
      assert.match(r.stderr, /\nusage: clan-backups plan \[--format text\|json\|markdown\] \[PATH\]\n$/);
    }
  });
});

describe('planReport', () => {
  it('computes the next run after the given now, in the given zone, exactly', async () => {
    // Wednesday 2025-01-01 12:00 UTC: the next `Mon *-*-* 02:30:00` is Monday 2025-01-06.
    const plan = await planOf(GITEA, new Date('2025-01-01T12:00:00Z'));
    assert.equal(plan.now, '2025-01-01T12:00:00.000Z');
    const forge = plan.machines.find((m) => m.name === 'forge')!;
    assert.deepEqual(
      forge.jobs.map((j) => [j.unit, j.repo, j.startAt, j.nextRun]),
      [['borgbackup-job-vault', 'borg@vault:.', 'Mon *-*-* 02:30:00', '2025-01-06T02:30:00.000Z']],
    );
    // Exactly at an elapse, the next one is a week later (strictly after `now`).
    const again = await planOf(GITEA, new Date('2025-01-06T02:30:00Z'));
    assert.equal(again.machines.find((m) => m.name === 'forge')!.jobs[0]?.nextRun, '2025-01-13T02:30:00.000Z');
    // In Berlin (CET, UTC+1) 02:30 local is 01:30 UTC.
    const berlin = await planOf(GITEA, new Date('2025-01-01T12:00:00Z'), 'Europe/Berlin');
    const job = berlin.machines.find((m) => m.name === 'forge')!.jobs[0]!;
    assert.equal(job.nextRun, '2025-01-06T01:30:00.000Z');
    assert.match(renderText(berlin, 'g', 'Europe/Berlin'), /next Mon 2025-01-06 02:30:00 CET/);
  });

  it('merges exclude over the layers (lists concatenate), literal values once', async () => {
    const forge = (await planOf(GITEA, new Date('2025-01-01T12:00:00Z'))).machines.find((m) => m.name === 'forge')!;
    assert.deepEqual(forge.exclude, [
      { instance: 'borgbackup', patterns: ['*.tmp', 'sh:**/cache|tmp'], computed: false },
    ]);
    assert.deepEqual(forge.postgresql, []);
  });
});

describe('a service that is not backed up', () => {
  it('shows in text, markdown and json', () => {
    const text = run(['plan', GITEA]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(
      text.stdout,
      /^ {2}NOT backed up:\n {4}services\.gitea: \/var\/lib\/gitea {2}\(machines\/forge\/configuration\.nix:3\)$/m,
    );
    const md = run(['plan', '--format', 'markdown', GITEA]);
    assert.equal(md.code, 0, md.stderr);
    assert.match(
      md.stdout,
      /^\| forge \| `services\.gitea` \| `\/var\/lib\/gitea` \| `machines\/forge\/configuration\.nix:3` \|$/m,
    );
    // A list item, not a table cell: the `|` stays as it is.
    assert.ok(md.stdout.includes('\n- Excluded (`borgbackup`): `*.tmp`, `sh:**/cache|tmp`\n'), md.stdout);
    const json = run(['plan', '--format', 'json', GITEA]);
    assert.equal(json.code, 0, json.stderr);
    const plan = JSON.parse(json.stdout) as PlanReport;
    assert.deepEqual(plan.machines.find((m) => m.name === 'forge')!.notBackedUp, [
      { service: 'gitea', dirs: ['/var/lib/gitea'], database: null, file: 'machines/forge/configuration.nix', line: 3 },
    ]);
    assert.deepEqual(plan.machines.find((m) => m.name === 'vault')!.notBackedUp, []);
  });

  it('escapes | in markdown table cells', () => {
    const plan: PlanReport = {
      version: 1,
      clanDir: '/c',
      now: '2025-01-01T00:00:00.000Z',
      machines: [
        {
          name: 'm',
          machineClass: 'nixos',
          roles: [],
          hasState: 'yes',
          providers: [],
          postgresql: [],
          exclude: [],
          jobs: [
            {
              unit: 'borgbackup-job-x',
              destination: 'x',
              kind: 'external',
              provider: 'borgbackup',
              instance: 'b',
              repo: 'ssh://a|b/repo',
              startAt: null,
              nextRun: null,
              scheduleError: null,
            },
          ],
          states: [
            {
              name: 's',
              folders: ['/a|b'],
              foldersComputed: false,
              hooks: [],
              generatedBy: null,
              file: 'clan.nix',
              line: 1,
            },
          ],
          notBackedUp: [],
        },
      ],
    };
    const md = renderMarkdown(plan, 'UTC');
    assert.ok(
      md.includes('| m | `borgbackup-job-x` | `ssh://a\\|b/repo` | _computed_ | unknown (computed schedule) |'),
      md,
    );
    assert.ok(md.includes('| `s` | `/a\\|b` |  |'), md);
  });
});
