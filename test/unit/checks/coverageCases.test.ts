// `service-not-backed-up` across services: more than one directory or module, and a DynamicUser service whose
// /var/lib/<x> covers /var/lib/private/<x>.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NIXOS_SERVICES, ServiceFacts } from '../../../server/src/model/nixosServices';
import {
  BORG,
  clanNix,
  serviceBlock,
  machineModule,
  clanWith,
  state,
  q,
  coverage,
  quiet,
  one,
  namesDir,
  namesNoDir,
} from '../../helpers/coverageFixture';

// ---------------------------------------------------------------------------------------------------------------
// Cases across services

describe('service-not-backed-up: more than one directory, more than one module', () => {
  it('nextcloud with datadir moved away from home: both directories', async () => {
    const f = await one(clanWith('nextcloud', { options: ['datadir = "/data/nextcloud";'] }), 'nextcloud');
    namesDir(f, '/var/lib/nextcloud');
    namesDir(f, '/data/nextcloud');
    const g = await one(
      clanWith('nextcloud', { options: ['datadir = "/data/nextcloud";'], extra: [state(q('/var/lib/nextcloud'))] }),
      'nextcloud',
    );
    namesDir(g, '/data/nextcloud');
    namesNoDir(g, '/var/lib/nextcloud');
    await quiet(
      clanWith('nextcloud', {
        options: ['datadir = "/data/nextcloud";'],
        extra: [state(q('/var/lib/nextcloud'), 'config.services.nextcloud.datadir')],
      }),
      'datadir by option',
    );
  });

  it('paperless: mediaDir and consumptionDir follow dataDir, and may be moved apart', async () => {
    const f = await one(
      clanWith('paperless', { options: ['mediaDir = "/srv/media";'], extra: [state(q('/var/lib/paperless'))] }),
      'paperless',
    );
    namesDir(f, '/srv/media');
    namesNoDir(f, '/var/lib/paperless');
    await quiet(
      clanWith('paperless', {
        options: ['mediaDir = "/srv/media";'],
        extra: [state(q('/var/lib/paperless'), 'config.services.paperless.mediaDir')],
      }),
      'mediaDir by option',
    );
  });

  it('paperless: a folder config.services.paperless.consumptionDir covers a moved consumptionDir', async () => {
    await quiet(
      clanWith('paperless', {
        options: ['consumptionDir = "/srv/consume";'],
        extra: [state(q('/var/lib/paperless'), 'config.services.paperless.consumptionDir')],
      }),
      'consumptionDir by option',
    );
  });

  it('paperless: a folder config.services.paperless.mediaDir does not cover a moved consumptionDir', async () => {
    const f = await one(
      clanWith('paperless', {
        options: ['consumptionDir = "/srv/consume";'],
        extra: [state(q('/var/lib/paperless'), 'config.services.paperless.mediaDir')],
      }),
      'paperless',
    );
    namesDir(f, '/srv/consume');
  });

  // The modules create (and use) a local database only when the host is the local socket: mastodon's
  // `databaseActuallyCreateLocally = createLocally && host == "/run/postgresql"`; a remote database cannot be dumped
  // by clan.core.postgresql on this machine.
  it('a database on another host is not a local database to dump', async () => {
    await quiet(
      clanWith('mastodon', { options: ['database.host = "10.0.0.5";'], extra: [state(q('/var/lib/mastodon'))] }),
      'mastodon, remote database',
    );
    await quiet(
      clanWith('immich', { options: ['database.host = "db.lan";'], extra: [state(q('/var/lib/immich'))] }),
      'immich, remote database',
    );
    await quiet(
      clanWith('gitea', {
        options: ['database.type = "postgres";', 'database.host = "db.lan";'],
        extra: [state(q('/var/lib/gitea'))],
      }),
      'gitea, remote database',
    );
  });

  it('the directory option set in clan.nix and the service enabled in the machine file', async () => {
    const files = {
      'clan.nix': clanNix(BORG, '  machines.web.services.gitea.stateDir = "/srv/git";\n'),
      'machines/web/configuration.nix': machineModule('  services.gitea.enable = true;'),
    };
    const f = await one(files, 'gitea');
    namesDir(f, '/srv/git');
    // The option set in two modules: which one wins is not known.
    await quiet(
      {
        ...files,
        'machines/web/configuration.nix': machineModule(
          '  services.gitea = { enable = true; stateDir = "/srv/other"; };',
        ),
      },
      'set twice',
    );
  });

  it('states in clan.nix cover the directory of a service enabled in the machine file', async () => {
    await quiet(
      {
        'clan.nix': clanNix(BORG, '  machines.web.clan.core.state.git.folders = [ "/var/lib/gitea" ];\n'),
        'machines/web/configuration.nix': machineModule('  services.gitea.enable = true;'),
      },
      'state in clan.nix',
    );
  });

  it('several services: one finding each, on each enable', async () => {
    const { hits } = await coverage({
      'clan.nix': clanNix(BORG),
      'machines/web/configuration.nix': machineModule(
        `${serviceBlock('gitea', [], '  ')}\n${serviceBlock('grafana', [], '  ')}\n  ${state(q('/var/lib/grafana'))}\n${serviceBlock('syncthing', [], '  ')}`,
      ),
    });
    assert.deepEqual(hits.map((h) => h.message.match(/`services\.([\w-]+)`/)![1]).sort(), ['gitea', 'syncthing']);
  });

  it('a borgbackup client by tag fires; a computed tag list is quiet', async () => {
    const byTag = `  inventory.instances.borgbackup = {\n    roles.client.tags.servers = { };\n    roles.server.machines.nas = { };\n  };\n  inventory.machines.web.tags = [ "servers" ];`;
    await one(
      { 'clan.nix': clanNix(byTag), 'machines/web/configuration.nix': machineModule(serviceBlock('gitea', [], '  ')) },
      'gitea',
    );
    const computed = `  inventory.instances.borgbackup = {\n    roles.client.tags = config.foo;\n    roles.server.machines.nas = { };\n  };`;
    await quiet(
      {
        'clan.nix': clanNix(computed),
        'machines/web/configuration.nix': machineModule(serviceBlock('gitea', [], '  ')),
      },
      'computed tags',
    );
  });

  it('a darwin machine is not judged', async () => {
    await quiet(
      {
        'clan.nix': clanNix(BORG).replace(
          'inventory.machines.web = { };',
          'inventory.machines.web.machineClass = "darwin";',
        ),
        'machines/web/configuration.nix': machineModule(serviceBlock('gitea', [], '  ')),
      },
      'darwin',
    );
  });
});

// A DynamicUser service whose directory option points into /var/lib/private: no shipped service has one, so one is
// added to the table for this test only (the judgement reads NIXOS_SERVICES on every analysis).
describe('service-not-backed-up: DynamicUser, /var/lib/<x> covers /var/lib/private/<x>', () => {
  const synthetic: ServiceFacts = {
    name: 'testdyn',
    module: 'test/testdyn.nix',
    dirs: [{ option: ['dataDir'], default: '/var/lib/private/testdyn' }],
    dynamicUser: true,
    units: ['testdyn.service'],
  };
  const table = NIXOS_SERVICES as ServiceFacts[];
  it('the public form covers the private one', async () => {
    table.push(synthetic);
    try {
      const f = await one(clanWith('testdyn'), 'testdyn');
      namesDir(f, '/var/lib/private/testdyn');
      await quiet(clanWith('testdyn', { extra: [state(q('/var/lib/testdyn'))] }), 'public form');
      await quiet(clanWith('testdyn', { extra: [state(q('/var/lib/private/testdyn'))] }), 'private form');
      const g = await one(
        clanWith('testdyn', { options: ['dataDir = "/srv/testdyn";'], extra: [state(q('/var/lib/testdyn'))] }),
        'testdyn',
      );
      namesDir(g, '/srv/testdyn');
    } finally {
      table.splice(table.indexOf(synthetic), 1);
    }
  });
});
