// What the service-not-backed-up tests share: the expected facts of each NixOS service the linter knows, written out
// by hand (so a change to server/src/model/nixosServices.ts shows up in the tests), clans built around a service, and
// assertions on the findings.
import assert from 'node:assert/strict';
import type { Finding } from '../../server/src/findings';
import { analyzeFiles, ClanFiles } from './clanFixture';

export const CODE = 'service-not-backed-up';

export interface Expected {
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

export const SERVICES: Expected[] = [
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

export const BORG = `  inventory.instances.borgbackup = {
    roles.client.machines.web = { };
    roles.server.machines.nas = { };
  };`;
export const LOCAL = `  inventory.instances.lb = {
    module.name = "localbackup";
    roles.default.machines.web.settings.targets.usb.directory = "/mnt/usb";
  };`;
/** web is in the clan but in no client role. */
export const NO_CLIENT = `  inventory.instances.borgbackup = {
    roles.client.machines.laptop = { };
    roles.server.machines.nas = { };
  };`;

export function clanNix(instances: string, machines = ''): string {
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
export function serviceBlock(name: string, options: string[], indent: string, enable = 'true'): string {
  return [`services.${name} = {`, `  enable = ${enable};`, ...options.map((o) => `  ${o}`), '};']
    .map((l) => indent + l)
    .join('\n');
}

/** A nixfmt-style machine module. */
export function machineModule(body: string): string {
  return `{\n  config,\n  pkgs,\n  ...\n}:\n{\n${body}\n}\n`;
}

export interface Setup {
  options?: string[];
  /** More lines of the machine module (states, postgresql); clanWith indents them. */
  extra?: string[];
  instances?: string;
  enable?: string;
}

/** The standard clan: borgbackup client web, the service in machines/web/configuration.nix. */
export function clanWith(name: string, s: Setup = {}): ClanFiles {
  const body = [serviceBlock(name, s.options ?? [], '  ', s.enable), ...(s.extra ?? []).map((l) => `  ${l}`)].join(
    '\n',
  );
  return { 'clan.nix': clanNix(s.instances ?? BORG), 'machines/web/configuration.nix': machineModule(body) };
}

export function state(...folders: string[]): string {
  return `clan.core.state.kept.folders = [ ${folders.join(' ')} ];`;
}

export function dump(db: string, key = db): string[] {
  const nameLine = key === db ? '' : ` name = "${db}";`;
  return [
    'clan.core.postgresql.enable = true;',
    `clan.core.postgresql.databases.${key} = {${nameLine} restore.stopOnRestore = [ "x.service" ]; };`,
  ];
}

export function q(s: string): string {
  return `"${s}"`;
}

// ---------------------------------------------------------------------------------------------------------------
// Findings

export async function coverage(files: ClanFiles): Promise<{ hits: Finding[]; all: Finding[]; dir: string }> {
  const { findings, dir } = await analyzeFiles(files);
  return { hits: findings.filter((f) => f.code === CODE), all: findings, dir };
}

export async function quiet(files: ClanFiles, why: string): Promise<void> {
  const { hits } = await coverage(files);
  assert.deepEqual(
    hits.map((f) => f.message),
    [],
    `expected no ${CODE} (${why})`,
  );
}

/** The 0-based line and character of an offset of `text`. */
export function positionAt(text: string, offset: number): { line: number; character: number } {
  const before = text.slice(0, offset).split('\n');
  return { line: before.length - 1, character: before[before.length - 1]!.length };
}

/** Exactly one finding, for `name`, on the value of the first `enable = ` after `services.<name>` in `file`. */
export async function one(files: ClanFiles, name: string, file = 'machines/web/configuration.nix'): Promise<Finding> {
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

export function namesDir(f: Finding, dir: string): void {
  assert.ok(f.message.includes(`\`${dir}\``), `message does not name \`${dir}\`: ${f.message}`);
}

export function namesNoDir(f: Finding, dir: string): void {
  assert.ok(!f.message.includes(`\`${dir}\``), `message names \`${dir}\`: ${f.message}`);
}

export function namesDatabase(f: Finding, db: string): void {
  assert.ok(f.message.includes(`PostgreSQL database \`${db}\``), `message does not name database ${db}: ${f.message}`);
  assert.ok(f.message.includes(`clan.core.postgresql.databases.${db}`), f.message);
}

export function namesNoDatabase(f: Finding): void {
  assert.ok(!f.message.includes('PostgreSQL'), `message names a database: ${f.message}`);
}

/** Lines that make the service's default-on database dumped, so only the directory is judged. */
export function dbDefaultDump(e: Expected): string[] {
  return e.db && !e.db.when ? dump(e.db.name) : [];
}
