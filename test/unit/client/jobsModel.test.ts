// Issue #16 item 5 (and the data items 1 and 6 need): the jobs model the client gets follows clan-core's gate.
// clanServices/borgbackup/default.nix: `services.borgbackup.jobs = lib.mkIf (config.clan.core.state != { })` and
// `clan.core.backups.providers.borgbackup = lib.mkIf (config.clan.core.state != { })`; localbackup's provider is
// unconditional (clanServices/localbackup/default.nix). States clan-core generates count: clan.core.postgresql
// (nixosModules/clanCore/postgresql/default.nix) and the zerotier controller (clanServices/zerotier/default.nix).
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { analyzeClan } from '../../../server/src/analyze';
import { buildJobsModel } from '../../../server/src/backupJobs';
import type { MachineSummary } from '../../../shared/protocol';
import { loadWorkspaceClan } from '../../../server/src/model/workspaceIndex';
import { initParsing } from '../../../server/src/parsing/parser';

const tmp = mkdtempSync(join(tmpdir(), 'clan-jobs-model-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
let n = 0;

async function machineOf(files: Record<string, string>, name = 'a'): Promise<MachineSummary> {
  await initParsing();
  const dir = join(tmp, `clan${n++}`);
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), text);
  }
  const sources = loadWorkspaceClan(dir);
  assert.ok(sources, `no clan in ${dir}`);
  const m = buildJobsModel(analyzeClan(sources)).machines.find((x) => x.name === name);
  assert.ok(m, `no machine ${name}`);
  return m;
}

const clan = (instances: string, machines: string): string => `{
  meta.name = "t";
  inventory.machines = { a = { }; srv = { }; };
  inventory.instances = {
    borgbackup = {
      roles.client.machines.a = { };
      roles.server.machines.srv = { };
    };
    ${instances}
  };
  machines = { ${machines} };
}
`;

describe("jobs model: the state gate of clan-core's borgbackup", () => {
  it('a client without clan.core.state has no borgbackup job and no borgbackup provider', async () => {
    const m = await machineOf({ 'clan.nix': clan('', 'a = { services.openssh.enable = true; };') });
    assert.equal(m.hasState, 'no');
    assert.deepEqual(m.jobs, []);
    assert.deepEqual(m.providers, []);
    assert.equal(m.providersOpaque, false);
    assert.deepEqual(m.roles, ['borgbackup/client']);
  });

  it('a client with a state has its jobs and a certain borgbackup provider', async () => {
    const m = await machineOf({ 'clan.nix': clan('', 'a = { clan.core.state.docs.folders = [ "/srv/docs" ]; };') });
    assert.equal(m.hasState, 'yes');
    assert.deepEqual(
      m.jobs.map((j) => j.unit),
      ['borgbackup-job-srv'],
    );
    assert.deepEqual(m.providers, [{ name: 'borgbackup', certain: true }]);
  });

  it('is not claimed stateless when its states cannot all be seen (statesOpaque: imports)', async () => {
    const m = await machineOf({
      'clan.nix': clan('', 'a = { imports = [ inputs.somewhere.nixosModules.default ]; };'),
    });
    assert.equal(m.hasState, 'unknown');
    assert.deepEqual(
      m.jobs.map((j) => j.unit),
      ['borgbackup-job-srv'],
    );
    assert.deepEqual(m.providers, [{ name: 'borgbackup', certain: false }]);
    assert.equal(m.providersOpaque, true);
  });

  it('is not claimed stateless when another service may give it state (mayGetStateFromServices)', async () => {
    const m = await machineOf({
      'clan.nix': clan(
        'mine = { module.name = "custom"; module.input = "self"; roles.default.machines.a = { }; };',
        'a = { };',
      ),
    });
    assert.equal(m.hasState, 'unknown');
    assert.equal(m.jobs.length, 1);
    assert.deepEqual(m.providers, [{ name: 'borgbackup', certain: false }]);
    assert.equal(m.providersOpaque, true);
  });

  it('counts clan.core.postgresql databases as states, with the hooks clan-core generates', async () => {
    const m = await machineOf({
      'clan.nix': clan(
        '',
        `a = {
        clan.core.postgresql.enable = true;
        clan.core.postgresql.databases.shop.restore.stopOnRestore = [ "shop.service" ];
        clan.core.postgresql.databases.wiki = { name = "wikidb"; service = "wiki"; };
      };`,
      ),
    });
    assert.equal(m.hasState, 'yes');
    assert.deepEqual(m.states, []);
    assert.equal(m.jobs.length, 1);
    assert.deepEqual(
      m.generatedStates.map((s) => [s.name, s.folders, s.hooks, s.generatedBy]),
      [
        ['shop', ['/var/backup/postgres/shop'], ['preBackupScript', 'postRestoreScript'], 'clan.core.postgresql'],
        ['wiki', ['/var/backup/postgres/wikidb'], ['preBackupScript', 'postRestoreScript'], 'clan.core.postgresql'],
      ],
    );
    assert.match(
      m.generatedStates[0]!.hookEffects!.join('\n'),
      /post-restore-shop: stops shop\.service, DROPS database shop and restores it/,
    );
    assert.match(m.generatedStates[1]!.hookEffects!.join('\n'), /systemctl stop` with no unit/);
  });

  it('postgresql without enable adds no state; a computed enable is unknown', async () => {
    const off = await machineOf({ 'clan.nix': clan('', 'a = { clan.core.postgresql.databases.shop = { }; };') });
    assert.equal(off.hasState, 'no');
    assert.deepEqual(off.generatedStates, []);
    const computed = await machineOf({
      'clan.nix': clan(
        '',
        'a = { config, ... }: { clan.core.postgresql.enable = config.x; clan.core.postgresql.databases.shop = { }; };',
      ),
    });
    assert.notEqual(computed.hasState, 'no');
  });

  it('the zerotier controller has the zerotier state (clan.core.state.zerotier), its peers do not', async () => {
    const files = {
      'clan.nix': clan(
        'zerotier = { roles.controller.machines.a = { }; roles.peer.machines.b = { }; };',
        'a = { }; b = { };',
      )
        .replace('a = { }; srv = { };', 'a = { }; b = { }; srv = { };')
        .replace('roles.client.machines.a = { };', 'roles.client.machines.a = { }; roles.client.machines.b = { };'),
    };
    const a = await machineOf(files, 'a');
    assert.equal(a.hasState, 'yes');
    assert.deepEqual(
      a.generatedStates.map((s) => [s.name, s.folders, s.generatedBy]),
      [['zerotier', ['/var/lib/zerotier-one'], 'zerotier']],
    );
    assert.equal(a.jobs.length, 1);
    const b = await machineOf(files, 'b');
    assert.deepEqual(b.generatedStates, []);
  });

  it("localbackup's provider needs no state; its literal targets are listed", async () => {
    const m = await machineOf({
      'clan.nix': clan(
        'localbackup = { roles.default.machines.a.settings.targets.usb.directory = "/mnt/usb"; };',
        'a = { };',
      ),
    });
    assert.equal(m.hasState, 'no');
    assert.deepEqual(m.jobs, []);
    assert.deepEqual(m.providers, [{ name: 'localbackup', certain: true, targets: ['usb'] }]);
  });

  it('keeps notBackedUp and its fix (another feature uses them)', async () => {
    const m = await machineOf({
      'clan.nix': clan('', 'a = { clan.core.state.docs.folders = [ "/srv/docs" ]; services.gitea.enable = true; };'),
    });
    assert.ok(Array.isArray(m.notBackedUp));
  });
});
