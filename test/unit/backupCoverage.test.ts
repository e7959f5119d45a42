// `service-not-backed-up` for each of the NixOS services the linter knows (server/src/model/nixosServices.ts): the
// default directory, the option that moves it, the folders that cover it (equal, parent, the DynamicUser twin,
// `config.services.<x>.<option>`), the PostgreSQL database and its dump, the machines it judges (backup clients with a
// visible configuration), and the quick fix, applied and analysed again (and parsed by `nix-instantiate --parse`).
//
// The expected facts below are written out by hand rather than read from NIXOS_SERVICES, so a change to the table
// shows up here; the first test makes sure every service of the table has a row.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { Finding } from '../../server/src/findings';
import { NIXOS_SERVICES, ServiceFacts } from '../../server/src/model/nixosServices';
import { applyEdits } from '../helpers/applyEdits';
import { analyzeFiles, ClanFiles } from '../helpers/clanFixture';
import { skipUnlessTool, toolPresent } from '../helpers/tools';

const CODE = 'service-not-backed-up';

interface Expected {
  name: string;
  /** The default data directory the message names; undefined when the service keeps everything in its database. */
  dir?: string;
  /** A binding inside `services.<name> = { … }` that moves the directory, and where it then is. */
  moves?: Array<{ set: string; dir: string }>;
  /** The option of `moves[0]` as a `config.services.<name>.<option>` folder names it. */
  option?: string;
  dynamicUser?: boolean;
  db?: {
    name: string;
    /** The binding that turns the database on; undefined when it is on by default. */
    when?: string;
    /** A binding that turns a default-on database off. */
    off?: string;
    /** A binding that renames the database, and the new name. */
    rename?: { set: string; name: string };
  };
  /** A binding with a non-literal value that the judgement depends on (must make it quiet). */
  opaque?: string;
  units: string[];
}

const SERVICES: Expected[] = [
  {
    name: 'nextcloud',
    dir: '/var/lib/nextcloud',
    option: 'home',
    moves: [{ set: 'home = "/srv/nextcloud";', dir: '/srv/nextcloud' }],
    db: {
      name: 'nextcloud',
      when: 'config.dbtype = "pgsql";',
      rename: { set: 'config.dbname = "cloud";', name: 'cloud' },
    },
    opaque: 'home = config.foo;',
    units: ['phpfpm-nextcloud.service'],
  },
  {
    name: 'gitea',
    dir: '/var/lib/gitea',
    option: 'stateDir',
    moves: [{ set: 'stateDir = "/srv/gitea";', dir: '/srv/gitea' }],
    db: { name: 'gitea', when: 'database.type = "postgres";', rename: { set: 'database.name = "git";', name: 'git' } },
    opaque: 'stateDir = config.foo;',
    units: ['gitea.service'],
  },
  {
    name: 'forgejo',
    dir: '/var/lib/forgejo',
    option: 'stateDir',
    moves: [{ set: 'stateDir = "/srv/forgejo";', dir: '/srv/forgejo' }],
    db: {
      name: 'forgejo',
      when: 'database.type = "postgres";',
      rename: { set: 'database.name = "forge";', name: 'forge' },
    },
    opaque: 'stateDir = config.foo;',
    units: ['forgejo.service'],
  },
  {
    name: 'immich',
    dir: '/var/lib/immich',
    option: 'mediaLocation',
    moves: [{ set: 'mediaLocation = "/srv/photos";', dir: '/srv/photos' }],
    db: {
      name: 'immich',
      off: 'database.enable = false;',
      rename: { set: 'database.name = "photos";', name: 'photos' },
    },
    opaque: 'mediaLocation = config.foo;',
    units: ['immich-server.service', 'immich-machine-learning.service'],
  },
  {
    name: 'paperless',
    dir: '/var/lib/paperless',
    option: 'dataDir',
    moves: [{ set: 'dataDir = "/srv/paperless";', dir: '/srv/paperless' }],
    db: { name: 'paperless', when: 'database.createLocally = true;' },
    opaque: 'dataDir = config.foo;',
    units: [
      'paperless-consumer.service',
      'paperless-task-queue.service',
      'paperless-web.service',
      'paperless-scheduler.service',
    ],
  },
  {
    name: 'home-assistant',
    dir: '/var/lib/hass',
    option: 'configDir',
    moves: [{ set: 'configDir = "/srv/hass";', dir: '/srv/hass' }],
    opaque: 'configDir = config.foo;',
    units: ['home-assistant.service'],
  },
  {
    name: 'matrix-synapse',
    dir: '/var/lib/matrix-synapse',
    option: 'dataDir',
    moves: [{ set: 'dataDir = "/srv/synapse";', dir: '/srv/synapse' }],
    db: {
      name: 'matrix-synapse',
      when: 'settings.database.name = "psycopg2";',
      rename: { set: 'settings.database.args.database = "synapse";', name: 'synapse' },
    },
    opaque: 'dataDir = config.foo;',
    units: ['matrix-synapse.service'],
  },
  {
    name: 'mastodon',
    dir: '/var/lib/mastodon',
    db: {
      name: 'mastodon',
      off: 'database.createLocally = false;',
      rename: { set: 'database.name = "masto";', name: 'masto' },
    },
    opaque: 'database.createLocally = config.foo;',
    units: ['mastodon-web.service', 'mastodon-sidekiq-all.service'],
  },
  {
    name: 'grafana',
    dir: '/var/lib/grafana',
    option: 'dataDir',
    moves: [{ set: 'dataDir = "/srv/grafana";', dir: '/srv/grafana' }],
    opaque: 'dataDir = config.foo;',
    units: ['grafana.service'],
  },
  { name: 'uptime-kuma', dir: '/var/lib/uptime-kuma', dynamicUser: true, units: ['uptime-kuma.service'] },
  {
    name: 'audiobookshelf',
    dir: '/var/lib/audiobookshelf',
    option: 'dataDir',
    moves: [
      { set: 'dataDir = "books";', dir: '/var/lib/books' },
      { set: 'dataDir = "/srv/books";', dir: '/srv/books' },
    ],
    opaque: 'dataDir = config.foo;',
    units: ['audiobookshelf.service'],
  },
  { name: 'navidrome', dir: '/var/lib/navidrome', dynamicUser: true, units: ['navidrome.service'] },
  {
    name: 'syncthing',
    dir: '/var/lib/syncthing',
    option: 'dataDir',
    moves: [{ set: 'dataDir = "/srv/sync";', dir: '/srv/sync' }],
    opaque: 'dataDir = config.foo;',
    units: ['syncthing.service'],
  },
  {
    name: 'freshrss',
    dir: '/var/lib/freshrss',
    option: 'dataDir',
    moves: [{ set: 'dataDir = "/srv/rss";', dir: '/srv/rss' }],
    opaque: 'dataDir = config.foo;',
    units: ['phpfpm-freshrss.service'],
  },
  {
    name: 'mealie',
    dir: '/var/lib/mealie',
    dynamicUser: true,
    db: { name: 'mealie', when: 'database.createLocally = true;' },
    opaque: 'database.createLocally = config.foo;',
    units: ['mealie.service'],
  },
  {
    name: 'mosquitto',
    dir: '/var/lib/mosquitto',
    option: 'dataDir',
    moves: [{ set: 'dataDir = "/srv/mqtt";', dir: '/srv/mqtt' }],
    opaque: 'dataDir = config.foo;',
    units: ['mosquitto.service'],
  },
  {
    name: 'zigbee2mqtt',
    dir: '/var/lib/zigbee2mqtt',
    option: 'dataDir',
    moves: [{ set: 'dataDir = "/srv/z2m";', dir: '/srv/z2m' }],
    opaque: 'dataDir = config.foo;',
    units: ['zigbee2mqtt.service'],
  },
  {
    name: 'miniflux',
    dynamicUser: true,
    db: { name: 'miniflux', off: 'createDatabaseLocally = false;' },
    opaque: 'createDatabaseLocally = config.foo;',
    units: ['miniflux.service'],
  },
  {
    name: 'calibre-web',
    dir: '/var/lib/calibre-web',
    option: 'dataDir',
    moves: [
      { set: 'dataDir = "/srv/calibre";', dir: '/srv/calibre' },
      { set: 'dataDir = "library";', dir: '/var/lib/library' },
    ],
    opaque: 'dataDir = config.foo;',
    units: ['calibre-web.service'],
  },
  {
    name: 'gotosocial',
    dir: '/var/lib/gotosocial',
    db: { name: 'gotosocial', when: 'setupPostgresqlDB = true;' },
    opaque: 'setupPostgresqlDB = config.foo;',
    units: ['gotosocial.service'],
  },
];

// ---------------------------------------------------------------------------------------------------------------
// Clans

const BORG = `  inventory.instances.borgbackup = {
    roles.client.machines.web = { };
    roles.server.machines.nas = { };
  };`;
const LOCAL = `  inventory.instances.lb = {
    module.name = "localbackup";
    roles.default.machines.web.settings.targets.usb.directory = "/mnt/usb";
  };`;
/** web is in the clan but in no client role. */
const NO_CLIENT = `  inventory.instances.borgbackup = {
    roles.client.machines.laptop = { };
    roles.server.machines.nas = { };
  };`;

function clanNix(instances: string, machines = ''): string {
  return `{
  meta.name = "t";
  inventory.machines.web = { };
  inventory.machines.nas = { };
  inventory.machines.laptop = { };
${instances}
${machines}}
`;
}

/** `services.<name> = { enable = true; … };` as lines indented by `indent`. */
function serviceBlock(name: string, options: string[], indent: string, enable = 'true'): string {
  return [`services.${name} = {`, `  enable = ${enable};`, ...options.map((o) => `  ${o}`), '};']
    .map((l) => indent + l)
    .join('\n');
}

/** A nixfmt-style machine module. */
function machineModule(body: string): string {
  return `{\n  config,\n  pkgs,\n  ...\n}:\n{\n${body}\n}\n`;
}

interface Setup {
  options?: string[];
  /** More lines of the machine module (states, postgresql); clanWith indents them. */
  extra?: string[];
  instances?: string;
  enable?: string;
}

/** The standard clan: borgbackup client web, the service in machines/web/configuration.nix. */
function clanWith(name: string, s: Setup = {}): ClanFiles {
  const body = [serviceBlock(name, s.options ?? [], '  ', s.enable), ...(s.extra ?? []).map((l) => `  ${l}`)].join(
    '\n',
  );
  return { 'clan.nix': clanNix(s.instances ?? BORG), 'machines/web/configuration.nix': machineModule(body) };
}

function state(...folders: string[]): string {
  return `clan.core.state.kept.folders = [ ${folders.join(' ')} ];`;
}

function dump(db: string, key = db): string[] {
  const nameLine = key === db ? '' : ` name = "${db}";`;
  return [
    'clan.core.postgresql.enable = true;',
    `clan.core.postgresql.databases.${key} = {${nameLine} restore.stopOnRestore = [ "x.service" ]; };`,
  ];
}

function q(s: string): string {
  return `"${s}"`;
}

// ---------------------------------------------------------------------------------------------------------------
// Findings

async function coverage(files: ClanFiles): Promise<{ hits: Finding[]; all: Finding[]; dir: string }> {
  const { findings, dir } = await analyzeFiles(files);
  return { hits: findings.filter((f) => f.code === CODE), all: findings, dir };
}

async function quiet(files: ClanFiles, why: string): Promise<void> {
  const { hits } = await coverage(files);
  assert.deepEqual(
    hits.map((f) => f.message),
    [],
    `expected no ${CODE} (${why})`,
  );
}

/** The 0-based line and character of an offset of `text`. */
function positionAt(text: string, offset: number): { line: number; character: number } {
  const before = text.slice(0, offset).split('\n');
  return { line: before.length - 1, character: before[before.length - 1]!.length };
}

/** Exactly one finding, for `name`, on the value of the first `enable = ` after `services.<name>` in `file`. */
async function one(files: ClanFiles, name: string, file = 'machines/web/configuration.nix'): Promise<Finding> {
  const { hits } = await coverage(files);
  assert.equal(hits.length, 1, `expected one ${CODE}, got:\n${hits.map((f) => f.message).join('\n')}`);
  const f = hits[0]!;
  assert.ok(f.uri.endsWith(`/${file}`), `finding in ${f.uri}, expected ${file}`);
  const text = files[file]!;
  const service = text.indexOf(`services.${name}`);
  assert.ok(service >= 0, `services.${name} not in ${file}`);
  const value = text.indexOf('enable = ', service) + 'enable = '.length;
  assert.deepEqual(
    f.range.start,
    positionAt(text, value),
    `finding at ${JSON.stringify(f.range.start)}, expected the enable value`,
  );
  assert.equal(f.severity, 'information');
  assert.ok(f.message.includes(`\`services.${name}\``), f.message);
  assert.ok(f.message.includes('`web`'), f.message);
  return f;
}

function namesDir(f: Finding, dir: string): void {
  assert.ok(f.message.includes(`\`${dir}\``), `message does not name \`${dir}\`: ${f.message}`);
}

function namesNoDir(f: Finding, dir: string): void {
  assert.ok(!f.message.includes(`\`${dir}\``), `message names \`${dir}\`: ${f.message}`);
}

function namesDatabase(f: Finding, db: string): void {
  assert.ok(f.message.includes(`PostgreSQL database \`${db}\``), `message does not name database ${db}: ${f.message}`);
  assert.ok(f.message.includes(`clan.core.postgresql.databases.${db}`), f.message);
}

function namesNoDatabase(f: Finding): void {
  assert.ok(!f.message.includes('PostgreSQL'), `message names a database: ${f.message}`);
}

/** Lines that make the service's default-on database dumped, so only the directory is judged. */
function dbDefaultDump(e: Expected): string[] {
  return e.db && !e.db.when ? dump(e.db.name) : [];
}

describe('service-not-backed-up: the test table', () => {
  it('has a row for every service of NIXOS_SERVICES and nothing else', () => {
    assert.deepEqual(SERVICES.map((s) => s.name).sort(), NIXOS_SERVICES.map((s) => s.name).sort());
    assert.equal(SERVICES.length, 20);
  });
  it('agrees with the table on DynamicUser and the units the fix stops', () => {
    for (const e of SERVICES) {
      const s = NIXOS_SERVICES.find((x) => x.name === e.name)!;
      assert.equal(s.dynamicUser === true, e.dynamicUser === true, `${e.name}: dynamicUser`);
      assert.deepEqual(s.units, e.units, `${e.name}: units`);
    }
  });
});

for (const e of SERVICES) {
  describe(`service-not-backed-up: ${e.name}`, () => {
    it('(a) enabled with the default directory and no state: one finding on the enable value', async () => {
      const f = await one(clanWith(e.name), e.name);
      if (e.dir) namesDir(f, e.dir);
      if (e.db && !e.db.when) namesDatabase(f, e.db.name);
      else namesNoDatabase(f);
    });

    if (e.moves) {
      for (const m of e.moves) {
        it(`(b) ${m.set} moves the directory to ${m.dir}`, async () => {
          const f = await one(clanWith(e.name, { options: [m.set], extra: [state(q('/home'))] }), e.name);
          namesDir(f, m.dir);
          namesNoDir(f, e.dir!);
          // The default place no longer covers it, the new one does.
          const old = await one(
            clanWith(e.name, { options: [m.set], extra: [state(q(e.dir!)), ...dbDefaultDump(e)] }),
            e.name,
          );
          namesDir(old, m.dir);
          await quiet(
            clanWith(e.name, { options: [m.set], extra: [state(q(m.dir)), ...dbDefaultDump(e)] }),
            `folder ${m.dir}`,
          );
        });
      }
    }

    if (e.dir) {
      const dir = e.dir;
      it(`(c) a state folder equal to ${dir} covers it`, async () => {
        await quiet(clanWith(e.name, { extra: [state(q(dir)), ...dbDefaultDump(e)] }), 'equal folder');
        await quiet(
          clanWith(e.name, { extra: [state(q(`${dir}/`)), ...dbDefaultDump(e)] }),
          'equal folder with a trailing slash',
        );
        // In a second state, among other folders.
        await quiet(
          clanWith(e.name, {
            extra: [state(q('/home')), `clan.core.state.more.folders = [ "/etc/x" ${q(dir)} ];`, ...dbDefaultDump(e)],
          }),
          'folder of another state',
        );
        // A folder below the directory, or one that merely shares a prefix of its name, does not cover it.
        for (const other of [`${dir}/data`, `${dir}x`, dir.slice(0, -1)]) {
          const f = await one(clanWith(e.name, { extra: [state(q(other)), ...dbDefaultDump(e)] }), e.name);
          namesDir(f, dir);
        }
      });

      it('(d) a parent folder covers it', async () => {
        for (const parent of ['/var/lib', '/var/lib/', '/var', '/']) {
          await quiet(clanWith(e.name, { extra: [state(q(parent)), ...dbDefaultDump(e)] }), `parent ${parent}`);
        }
      });

      if (e.option) {
        it(`(c) a folder written config.services.${e.name}.${e.option} covers it`, async () => {
          await quiet(
            clanWith(e.name, { extra: [state(`config.services.${e.name}.${e.option}`), ...dbDefaultDump(e)] }),
            'config.services folder',
          );
          // Also when the option is moved: the folder is the option's value.
          await quiet(
            clanWith(e.name, {
              options: [e.moves![0]!.set],
              extra: [state(`config.services.${e.name}.${e.option}`), ...dbDefaultDump(e)],
            }),
            'config.services folder, moved',
          );
          // Another option of another service does not.
          const f = await one(
            clanWith(e.name, { extra: [state('config.services.other.dataDir'), ...dbDefaultDump(e)] }),
            e.name,
          );
          namesDir(f, dir);
        });
      }

      const privateForm = dir.replace(/^\/var\/lib\//, '/var/lib/private/');
      if (e.dynamicUser) {
        it(`(e) DynamicUser: ${privateForm} is ${dir}`, async () => {
          await quiet(clanWith(e.name, { extra: [state(q(privateForm)), ...dbDefaultDump(e)] }), 'private form');
          await quiet(
            clanWith(e.name, { extra: [state(q('/var/lib/private')), ...dbDefaultDump(e)] }),
            'parent of the private form',
          );
        });
      } else {
        it(`(e) no DynamicUser: ${privateForm} is not ${dir}`, async () => {
          const f = await one(clanWith(e.name, { extra: [state(q(privateForm)), ...dbDefaultDump(e)] }), e.name);
          namesDir(f, dir);
        });
      }
    } else {
      it('(c) no directory: any state folder leaves the finding about the database', async () => {
        const f = await one(clanWith(e.name, { extra: [state(q('/'))] }), e.name);
        namesDatabase(f, e.db!.name);
        assert.ok(!/`\/[^`]*`/.test(f.message.split('PostgreSQL')[0]!), `a directory is named: ${f.message}`);
      });
    }

    it('(f) a non-literal value it depends on, a non-literal enable, a computed service set: quiet', async () => {
      if (e.opaque) await quiet(clanWith(e.name, { options: [e.opaque] }), e.opaque);
      await quiet(clanWith(e.name, { enable: 'config.foo' }), 'enable = config.foo');
      await quiet(clanWith(e.name, { enable: 'lib.mkIf config.foo true' }), 'enable = lib.mkIf …');
      await quiet(
        {
          'clan.nix': clanNix(BORG),
          'machines/web/configuration.nix': machineModule(`  services.${e.name} = { enable = true; } // config.foo;`),
        },
        '// config.foo',
      );
      // A second definition that is not a literal true may turn it off.
      await quiet(
        clanWith(e.name, { extra: [`services.${e.name}.enable = lib.mkOverride 10 false;`] }),
        'second enable',
      );
      // Non-literal folders or states: nothing is known about what they cover.
      await quiet(clanWith(e.name, { extra: [state('config.foo')] }), 'non-literal folder');
      await quiet(clanWith(e.name, { extra: ['clan.core.state = config.foo;'] }), 'computed state set');
      await quiet(
        clanWith(e.name, { extra: ['clan.core.state.${config.foo}.folders = [ "/x" ];'] }),
        'computed state name',
      );
    });

    it('enable written dotted, with lib.mkForce or lib.mkDefault, or in clan.nix: fires', async () => {
      for (const enable of ['lib.mkForce true', 'lib.mkDefault true']) {
        const f = await one(clanWith(e.name, { enable }), e.name);
        if (e.dir) namesDir(f, e.dir);
      }
      const dotted = machineModule(`  services.${e.name}.enable = true;\n  ${state(q('/home'))}`);
      const f = await one({ 'clan.nix': clanNix(BORG), 'machines/web/configuration.nix': dotted }, e.name);
      if (e.dir) namesDir(f, e.dir);
      const inClan = { 'clan.nix': clanNix(BORG, `  machines.web = {\n${serviceBlock(e.name, [], '    ')}\n  };\n`) };
      await one(inClan, e.name, 'clan.nix');
      const inClanDotted = { 'clan.nix': clanNix(BORG, `  machines.web.services.${e.name}.enable = true;\n`) };
      await one(inClanDotted, e.name, 'clan.nix');
    });

    if (e.db) {
      const db = e.db;
      it(`(g) PostgreSQL database ${db.name}${db.when ? ` with ${db.when}` : ' (on by default)'}`, async () => {
        const on = db.when ? [db.when] : [];
        const f = await one(clanWith(e.name, { options: on }), e.name);
        namesDatabase(f, db.name);
        if (e.dir) namesDir(f, e.dir);
        // The dump covers the database: the directory alone is left (or nothing).
        for (const lines of [dump(db.name), dump(db.name, 'main')]) {
          const { hits } = await coverage(clanWith(e.name, { options: on, extra: lines }));
          if (e.dir) {
            assert.equal(hits.length, 1, hits.map((h) => h.message).join('\n'));
            namesDir(hits[0]!, e.dir);
            namesNoDatabase(hits[0]!);
          } else assert.deepEqual(hits, []);
          const folders = e.dir ? [state(q(e.dir))] : [];
          await quiet(clanWith(e.name, { options: on, extra: [...folders, ...lines] }), 'folder and dump');
        }
        // A dump of another database does not.
        const other = await one(clanWith(e.name, { options: on, extra: dump('other') }), e.name);
        namesDatabase(other, db.name);
        if (db.rename) {
          const renamed = await one(
            clanWith(e.name, { options: [...on, db.rename.set], extra: dump(db.name) }),
            e.name,
          );
          namesDatabase(renamed, db.rename.name);
          await quiet(
            clanWith(e.name, {
              options: [...on, db.rename.set],
              extra: [...(e.dir ? [state(q(e.dir))] : []), ...dump(db.rename.name)],
            }),
            'renamed dump',
          );
        }
        if (db.off) {
          const off = await coverage(clanWith(e.name, { options: [db.off] }));
          if (e.dir) {
            assert.equal(off.hits.length, 1);
            namesNoDatabase(off.hits[0]!);
          } else assert.deepEqual(off.hits, []);
        }
        // A computed set of dumps: nothing is claimed.
        await quiet(
          clanWith(e.name, {
            options: on,
            extra: ['clan.core.postgresql.enable = true;', 'clan.core.postgresql.databases = config.foo;'],
          }),
          'computed databases',
        );
      });
      if (db.when) {
        it(`(g) without ${db.when} or with another value: no database in the message`, async () => {
          const f = await one(clanWith(e.name), e.name);
          namesNoDatabase(f);
          const other = db.when!.replace(/= .*;$/, db.when!.includes('true') ? '= false;' : '= "mysql";');
          const g = await one(clanWith(e.name, { options: [other] }), e.name);
          namesNoDatabase(g);
        });
      }
    }

    it('(h) quiet on a machine that is no backup client, fires on a localbackup client', async () => {
      await quiet(clanWith(e.name, { instances: NO_CLIENT }), 'web is no client');
      await quiet(clanWith(e.name, { instances: '' }), 'no backup instance at all');
      const f = await one(clanWith(e.name, { instances: LOCAL }), e.name);
      if (e.dir) namesDir(f, e.dir);
      // A service of a kind the linter does not know may add states that cover the data.
      await quiet(
        clanWith(e.name, {
          instances: `${BORG}\n  inventory.instances.mine = { module.name = "my-service"; module.input = "self"; roles.default.machines.web = { }; };`,
        }),
        'unknown service',
      );
    });

    it('(i) a machine module with imports that cannot be resolved: quiet', async () => {
      await quiet(clanWith(e.name, { extra: ['imports = [ ./other.nix ];'] }), 'imports');
      await quiet(
        {
          'clan.nix': clanNix(
            BORG,
            `  machines.web = {\n    imports = [ ./web.nix ];\n${serviceBlock(e.name, [], '    ')}\n  };\n`,
          ),
        },
        'imports in clan.nix',
      );
    });
  });
}

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

// ---------------------------------------------------------------------------------------------------------------
// The quick fix

const haveNix = toolPresent('nix');
const scratch = mkdtempSync(join(tmpdir(), 'clan-backups-coverage-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

function nixParses(text: string): string | undefined {
  const f = join(scratch, 'fixed.nix');
  writeFileSync(f, text);
  const r = spawnSync('nix-instantiate', ['--parse', f], { encoding: 'utf8' });
  const errors = r.stderr.split('\n').filter((l) => l.startsWith('error:'));
  if (r.status === 0 || (errors.length > 0 && errors.every((l) => l.startsWith('error: undefined variable'))))
    return undefined;
  return r.stderr;
}

const loud = (f: Finding) => f.severity === 'error' || f.severity === 'warning';
const key = (f: Finding) => `${f.code}: ${f.message}`;

/** Applies the finding's fix for `name`, parses the result, analyses it again: no finding for `name`, nothing louder. */
async function fixAndRecheck(files: ClanFiles, name: string): Promise<ClanFiles> {
  const before = await coverage(files);
  const hit = before.hits.find((f) => f.message.includes(`\`services.${name}\``));
  assert.ok(hit, `no ${CODE} for ${name} before the fix`);
  const fix = hit.fixes?.[0];
  assert.ok(fix, `no quick fix for ${name}`);
  assert.equal(fix.isPreferred, true);
  const fixed: ClanFiles = { ...files };
  for (const path of Object.keys(files)) {
    const edits = fix.edits.filter((ed) => ed.uri.endsWith(`/${path}`));
    if (edits.length) fixed[path] = applyEdits(files[path]!, edits);
  }
  assert.equal(
    fix.edits.every((ed) => Object.keys(files).some((p) => ed.uri.endsWith(`/${p}`))),
    true,
    'an edit outside the clan files',
  );
  for (const [path, text] of Object.entries(fixed)) {
    if (text === files[path] || !haveNix) continue;
    const err = nixParses(text);
    assert.equal(err, undefined, `${path} does not parse after the fix:\n${text}\n${err}`);
  }
  const again = await coverage(fixed);
  const left = again.hits.filter((f) => f.message.includes(`\`services.${name}\``));
  assert.deepEqual(
    left.map((f) => f.message),
    [],
    `still reported after the fix:\n${Object.values(fixed).join('\n')}`,
  );
  const old = new Set(before.all.filter(loud).map(key));
  const added = again.all.filter(loud).filter((f) => !old.has(key(f)));
  assert.deepEqual(added.map(key), [], `the fix adds errors or warnings:\n${Object.values(fixed).join('\n')}`);
  return fixed;
}

/** The options that make the service's database used, so the fix has to add the dump too. */
function withDb(e: Expected): string[] {
  return e.db?.when ? [e.db.when] : [];
}

describe('service-not-backed-up: the quick fix', () => {
  if (!haveNix)
    it(
      'nix-instantiate --parse',
      { skip: skipUnlessTool('nix', 'nix-instantiate --parse of the fixed files (they are still analysed)') },
      () => {},
    );
  for (const e of SERVICES) {
    it(`${e.name}: in a nixfmt-style machine file`, async () => {
      const files = {
        'clan.nix': clanNix(BORG),
        'machines/web/configuration.nix': machineModule(serviceBlock(e.name, withDb(e), '  ')),
      };
      const fixed = await fixAndRecheck(files, e.name);
      const text = fixed['machines/web/configuration.nix']!;
      if (e.dir) {
        assert.match(text, new RegExp(`clan\\.core\\.state\\.${e.name.replace(/-/g, '\\-')} = \\{`));
        assert.ok(text.includes(`folders = [ "${e.dir}" ];`), text);
        for (const u of e.units) {
          assert.ok(text.includes(`systemctl stop ${u}`), `${u} not stopped:\n${text}`);
          assert.ok(text.includes(`systemctl start ${u}`), `${u} not started:\n${text}`);
        }
      }
      if (e.db) assert.ok(text.includes(`databases.${e.db.name} = {`), text);
      else assert.ok(!text.includes('clan.core.postgresql'), text);
    });
    it(`${e.name}: inside machines.web = { … } in clan.nix`, async () => {
      const files = {
        'clan.nix': clanNix(BORG, `  machines.web = {\n${serviceBlock(e.name, withDb(e), '    ')}\n  };\n`),
      };
      await fixAndRecheck(files, e.name);
    });
  }
  it('gitea: dotted machines.web.services.gitea.enable = true in clan.nix', async () => {
    const files = { 'clan.nix': clanNix(BORG, '  machines.web.services.gitea.enable = true;\n') };
    const fixed = await fixAndRecheck(files, 'gitea');
    assert.ok(fixed['clan.nix']!.includes('folders = [ "/var/lib/gitea" ];'), fixed['clan.nix']);
  });
  it('gitea with postgres, dotted in clan.nix: directory and dump', async () => {
    const files = {
      'clan.nix': clanNix(
        BORG,
        '  machines.web.services.gitea.enable = true;\n  machines.web.services.gitea.database.type = "postgres";\n',
      ),
    };
    const fixed = await fixAndRecheck(files, 'gitea');
    assert.ok(fixed['clan.nix']!.includes('databases.gitea'), fixed['clan.nix']);
  });
  it('immich and miniflux, dotted in clan.nix', async () => {
    await fixAndRecheck({ 'clan.nix': clanNix(BORG, '  machines.web.services.immich.enable = true;\n') }, 'immich');
    await fixAndRecheck({ 'clan.nix': clanNix(BORG, '  machines.web.services.miniflux.enable = true;\n') }, 'miniflux');
  });
  it('a moved directory: the fix backs up the new one', async () => {
    const fixed = await fixAndRecheck(clanWith('grafana', { options: ['dataDir = "/srv/grafana";'] }), 'grafana');
    assert.ok(fixed['machines/web/configuration.nix']!.includes('folders = [ "/srv/grafana" ];'));
  });
  it('an existing nested clan = { core = { postgresql = { … }; }; } block: the fix adds the database to it', async () => {
    const files = clanWith('immich', {
      extra: [
        'clan = {',
        '  core = {',
        '    state.kept.folders = [ "/home" ];',
        '    postgresql = {',
        '      enable = true;',
        '      databases.other.restore.stopOnRestore = [ "x.service" ];',
        '    };',
        '  };',
        '};',
      ],
    });
    const fixed = await fixAndRecheck(files, 'immich');
    const text = fixed['machines/web/configuration.nix']!;
    assert.equal(text.split('postgresql = {').length - 1, 1, `a second postgresql block:\n${text}`);
  });
  for (const [form, lines] of [
    [
      'clan.core.postgresql = { … }',
      [
        'clan.core.postgresql = {',
        '  enable = true;',
        '  databases.other.restore.stopOnRestore = [ "x.service" ];',
        '};',
      ],
    ],
    [
      'dotted clan.core.postgresql.enable',
      [
        'clan.core.postgresql.enable = true;',
        'clan.core.postgresql.databases.other.restore.stopOnRestore = [ "x.service" ];',
      ],
    ],
  ] as const) {
    it(`an existing ${form}: the fix adds the database to it`, async () => {
      for (const name of ['immich', 'miniflux']) {
        const fixed = await fixAndRecheck(clanWith(name, { extra: [state(q('/home')), ...lines] }), name);
        const text = fixed['machines/web/configuration.nix']!;
        assert.equal(
          text.split('clan.core.postgresql = {').length - 1,
          form.startsWith('dotted') ? 0 : 1,
          `a second clan.core.postgresql:\n${text}`,
        );
      }
    });
  }
  it('two services fixed one after the other', async () => {
    const files = {
      'clan.nix': clanNix(BORG),
      'machines/web/configuration.nix': machineModule(
        `${serviceBlock('gitea', [], '  ')}\n${serviceBlock('immich', [], '  ')}`,
      ),
    };
    const once = await fixAndRecheck(files, 'gitea');
    await fixAndRecheck(once, 'immich');
  });
  it("no fix when a state named after the service exists (merging is the user's call)", async () => {
    const { hits } = await coverage(
      clanWith('gitea', { extra: ['clan.core.state.gitea.folders = [ "/srv/other" ];'] }),
    );
    assert.equal(hits.length, 1);
    assert.equal(hits[0]!.fixes, undefined);
  });
});
