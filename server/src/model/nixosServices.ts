// Where stateful NixOS services keep their data, read from their nixpkgs modules (the path under
// nixpkgs/nixos/modules/services/ is on each entry; docs/reference/nixos-service-state.md has the quotes and the
// commits they were read at). Only facts seen in the module source are here: a service whose directory depends on
// something not known (a stateVersion switch, a default the module leaves to the application) is left out, so
// `service-not-backed-up` never claims a directory that is not the service's.

export interface DataDir {
  /** The option under `services.<name>` that moves the directory; absent when the module hard-codes it. */
  option?: string[];
  /** The default, or another option of the same service whose value it defaults to. */
  default: string | { sameAs: string[] };
  /** The option's value may be a name below /var/lib (`"audiobookshelf"`) as well as an absolute path. */
  relativeToVarLib?: boolean;
}

export interface Database {
  /** The PostgreSQL database that holds the service's main data. */
  name: string;
  /** The option holding the database name, when the module has one. */
  nameOption?: string[];
  /** The option naming the database host: another host than a local socket or localhost is not a local database. */
  hostOption?: string[];
  /**
   * When the database is used: always (`undefined`), or when an option holds a literal: `equals` (the module's
   * default counts when `isDefault` is set).
   */
  when?: { option: string[]; equals: string | boolean; isDefault?: boolean };
}

export interface ServiceFacts {
  /** `services.<name>`. */
  name: string;
  /** Module path under nixpkgs nixos/modules/services/. */
  module: string;
  dirs: DataDir[];
  /** systemd `DynamicUser=yes`: the state lives in /var/lib/private/<x>, /var/lib/<x> is a link to it. */
  dynamicUser?: boolean;
  database?: Database;
  /** Units that write the data while they run: the backup hooks stop and start them. */
  units: string[];
}

export const NIXOS_SERVICES: readonly ServiceFacts[] = [
  {
    name: 'nextcloud',
    module: 'web-apps/nextcloud.nix',
    dirs: [
      { option: ['home'], default: '/var/lib/nextcloud' },
      { option: ['datadir'], default: { sameAs: ['home'] } },
    ],
    // `config.dbtype` has no default; with "pgsql" the module creates the database `config.dbname`.
    database: {
      name: 'nextcloud',
      nameOption: ['config', 'dbname'],
      hostOption: ['config', 'dbhost'],
      when: { option: ['config', 'dbtype'], equals: 'pgsql' },
    },
    units: ['phpfpm-nextcloud.service'],
  },
  {
    name: 'gitea',
    module: 'misc/gitea.nix',
    dirs: [{ option: ['stateDir'], default: '/var/lib/gitea' }],
    database: {
      name: 'gitea',
      nameOption: ['database', 'name'],
      hostOption: ['database', 'host'],
      when: { option: ['database', 'type'], equals: 'postgres' },
    },
    units: ['gitea.service'],
  },
  {
    name: 'forgejo',
    module: 'misc/forgejo.nix',
    dirs: [{ option: ['stateDir'], default: '/var/lib/forgejo' }],
    database: {
      name: 'forgejo',
      nameOption: ['database', 'name'],
      hostOption: ['database', 'host'],
      when: { option: ['database', 'type'], equals: 'postgres' },
    },
    units: ['forgejo.service'],
  },
  {
    name: 'immich',
    module: 'web-apps/immich.nix',
    dirs: [{ option: ['mediaLocation'], default: '/var/lib/immich' }],
    database: {
      name: 'immich',
      nameOption: ['database', 'name'],
      hostOption: ['database', 'host'],
      when: { option: ['database', 'enable'], equals: true, isDefault: true },
    },
    units: ['immich-server.service', 'immich-machine-learning.service'],
  },
  {
    name: 'paperless',
    module: 'misc/paperless.nix',
    dirs: [
      { option: ['dataDir'], default: '/var/lib/paperless' },
      { option: ['mediaDir'], default: { sameAs: ['dataDir'] } },
      { option: ['consumptionDir'], default: { sameAs: ['dataDir'] } },
    ],
    database: { name: 'paperless', when: { option: ['database', 'createLocally'], equals: true } },
    units: [
      'paperless-consumer.service',
      'paperless-task-queue.service',
      'paperless-web.service',
      'paperless-scheduler.service',
    ],
  },
  {
    name: 'home-assistant',
    module: 'home-automation/home-assistant.nix',
    dirs: [{ option: ['configDir'], default: '/var/lib/hass' }],
    units: ['home-assistant.service'],
  },
  {
    name: 'matrix-synapse',
    module: 'matrix/synapse.nix',
    dirs: [{ option: ['dataDir'], default: '/var/lib/matrix-synapse' }],
    // The default database depends on system.stateVersion (psycopg2 from 18.03 on); only a literal choice is used.
    database: {
      name: 'matrix-synapse',
      nameOption: ['settings', 'database', 'args', 'database'],
      hostOption: ['settings', 'database', 'args', 'host'],
      when: { option: ['settings', 'database', 'name'], equals: 'psycopg2' },
    },
    units: ['matrix-synapse.service'],
  },
  {
    name: 'mastodon',
    module: 'web-apps/mastodon.nix',
    dirs: [{ default: '/var/lib/mastodon' }],
    database: {
      name: 'mastodon',
      nameOption: ['database', 'name'],
      hostOption: ['database', 'host'],
      when: { option: ['database', 'createLocally'], equals: true, isDefault: true },
    },
    // The web and sidekiq units write the data; the streaming ones (numbered by configuration) only read.
    units: ['mastodon-web.service', 'mastodon-sidekiq-all.service'],
  },
  {
    name: 'grafana',
    module: 'monitoring/grafana.nix',
    dirs: [{ option: ['dataDir'], default: '/var/lib/grafana' }],
    units: ['grafana.service'],
  },
  {
    name: 'uptime-kuma',
    module: 'monitoring/uptime-kuma.nix',
    dirs: [{ default: '/var/lib/uptime-kuma' }],
    dynamicUser: true,
    units: ['uptime-kuma.service'],
  },
  {
    name: 'audiobookshelf',
    module: 'web-apps/audiobookshelf.nix',
    dirs: [{ option: ['dataDir'], default: 'audiobookshelf', relativeToVarLib: true }],
    units: ['audiobookshelf.service'],
  },
  {
    // DynamicUser in some releases, a static user in others: both paths count (dynamicUser).
    name: 'navidrome',
    module: 'audio/navidrome.nix',
    dirs: [{ default: '/var/lib/navidrome' }],
    dynamicUser: true,
    units: ['navidrome.service'],
  },
  {
    name: 'syncthing',
    module: 'networking/syncthing.nix',
    dirs: [{ option: ['dataDir'], default: '/var/lib/syncthing' }],
    units: ['syncthing.service'],
  },
  {
    name: 'freshrss',
    module: 'web-apps/freshrss.nix',
    dirs: [{ option: ['dataDir'], default: '/var/lib/freshrss' }],
    units: ['phpfpm-freshrss.service'],
  },
  {
    name: 'mealie',
    module: 'web-apps/mealie.nix',
    dirs: [{ default: '/var/lib/mealie' }],
    dynamicUser: true,
    database: { name: 'mealie', when: { option: ['database', 'createLocally'], equals: true } },
    units: ['mealie.service'],
  },
  {
    name: 'mosquitto',
    module: 'networking/mosquitto.nix',
    dirs: [{ option: ['dataDir'], default: '/var/lib/mosquitto' }],
    units: ['mosquitto.service'],
  },
  {
    name: 'zigbee2mqtt',
    module: 'home-automation/zigbee2mqtt.nix',
    dirs: [{ option: ['dataDir'], default: '/var/lib/zigbee2mqtt' }],
    units: ['zigbee2mqtt.service'],
  },
  {
    // All its state is the database: no directory (DynamicUser, no StateDirectory).
    name: 'miniflux',
    module: 'web-apps/miniflux.nix',
    dirs: [],
    dynamicUser: true,
    database: { name: 'miniflux', when: { option: ['createDatabaseLocally'], equals: true, isDefault: true } },
    units: ['miniflux.service'],
  },
  {
    name: 'calibre-web',
    module: 'web-apps/calibre-web.nix',
    dirs: [{ option: ['dataDir'], default: 'calibre-web', relativeToVarLib: true }],
    units: ['calibre-web.service'],
  },
  {
    name: 'gotosocial',
    module: 'web-apps/gotosocial.nix',
    dirs: [{ default: '/var/lib/gotosocial' }],
    database: { name: 'gotosocial', when: { option: ['setupPostgresqlDB'], equals: true } },
    units: ['gotosocial.service'],
  },
];

export const NIXOS_SERVICE_BY_NAME: ReadonlyMap<string, ServiceFacts> = new Map(NIXOS_SERVICES.map((s) => [s.name, s]));
