// The settings of the role interfaces this product knows, one entry per setting: its zod type, default, docs and the
// merge behaviour the conflict check needs. The schemas the checks validate with, the option docs hover and
// completion show, and the exported defaults are all derived from here, so a setting is added in one place.
// Source: clan-core clanServices/borgbackup/default.nix (roles.client and roles.server `interface`) and
// clanServices/localbackup/default.nix (roles.default `interface`); entries follow its declaration order, which the
// "its settings: …" and "have the fields …" messages list.
// zod/mini: the same validation core without the chainable API and its bundled locales (444 KiB less to load at
// every `clan-backups check`); these schemas only need issue codes and paths, never messages.
import * as z from 'zod/mini';

export type RoleKind = 'client' | 'server' | 'localbackup';
export type Service = 'borgbackup' | 'localbackup';

type Json = string | number | boolean | null | readonly Json[] | { readonly [key: string]: Json };

/**
 * How the module system merges definitions of a setting from several layers (role, tag, machine): `equal` types
 * (str, int, nullOr str, strMatching) fail on two different values at the same priority, `concat` ones (lines,
 * listOf) join them, `attrs` (attrsOf) merge key by key. Only `equal` settings can conflict.
 */
export type Merge = 'equal' | 'concat' | 'attrs';

interface Doc {
  /** The option's type as the docs show it. */
  type: string;
  description: string;
  /** What completion inserts as the value (LSP snippet syntax). */
  snippet?: string;
}

// clan-core's mkOption has `default` (a value) and `defaultText` (shown when the default is computed or needs
// words); an option with neither has no value unless set, which evaluation reports when it reads it.
type Default =
  | { default: Json; defaultText?: string; required?: never }
  | { defaultText: string; default?: never; required?: never }
  | { required: true; default?: never; defaultText?: never };

export type ValueSetting = Doc &
  Default & {
    /** zod type of the value; the derived schemas make every setting optional, `required` is judged merged. */
    schema: z.ZodMiniType;
    merge: Merge;
  };

/** An attrsOf submodule: borgbackup's `destinations`, localbackup's `targets`. */
export type CollectionSetting = Doc &
  Default & {
    merge: 'attrs';
    /** The docs of one `<name>` entry. */
    entry: Doc;
    fields: Record<string, ValueSetting>;
    /** The order completion offers the fields in (the one usually set first leads); declaration order if absent. */
    completionOrder?: readonly string[];
  };

export type Setting = ValueSetting | CollectionSetting;

export interface RoleSpec {
  service: Service;
  /** The role's name in the service. */
  role: string;
  /** The docs of the role's `settings` attribute set. */
  doc: Doc;
  settings: Record<string, Setting>;
  completionOrder?: readonly string[];
}

export function isCollection(s: Setting): s is CollectionSetting {
  return 'fields' in s;
}

/** The type of a destination's or target's `name`: it names the systemd units and the archives. */
export const JOB_NAME_PATTERN = /^[a-zA-Z0-9._-]+$/;

export const DEFAULT_START_AT = '*-*-* 01:00:00';
export const DEFAULT_SERVER_DIRECTORY = '/var/lib/borgbackup';
export const DEFAULT_SNAPSHOTS = 20;

const jobName = `strMatching "${JOB_NAME_PATTERN.source}"`;
const nullableString = z.nullable(z.string());

function hook(when: string): ValueSetting {
  return {
    type: 'null or lines',
    default: null,
    description: `Shell commands run ${when}.`,
    snippet: "''\n\t$1\n'';",
    schema: nullableString,
    merge: 'concat',
  };
}

export const ROLE_TABLE = {
  client: {
    service: 'borgbackup',
    role: 'client',
    doc: {
      type: 'borgbackup client settings',
      description: 'Settings of a borgbackup client: `startAt`, `destinations`, `exclude`.',
    },
    settings: {
      startAt: {
        type: 'string (systemd calendar event)',
        default: DEFAULT_START_AT,
        description:
          'When the `borgbackup-job-<destination>` timers fire (`OnCalendar=`, `Persistent=true`). One string, not a list. Examples: `"daily"`, `"*-*-* 04:00:00"`, `"Mon *-*-* 03:00:00"`.',
        snippet: `"\${1:${DEFAULT_START_AT}}";`,
        schema: z.string(),
        merge: 'equal',
      },
      destinations: {
        type: 'attribute set of destinations',
        default: {},
        description:
          "External destinations in addition to the instance's servers; each becomes a `borgbackup-job-<name>` unit. A destination with a server's name replaces that server.",
        merge: 'attrs',
        entry: {
          type: 'submodule',
          description: 'An external borg repository.',
          snippet: '{\n\trepo = "${1:ssh://user@host:23/./borgbackup}";\n};',
        },
        fields: {
          name: {
            type: jobName,
            defaultText: 'the attribute name',
            description:
              'Name of the backup job. Leave it equal to the key: list and restore look for `borg-job-<name>`.',
            schema: z.string(),
            merge: 'equal',
          },
          repo: {
            type: 'string (required)',
            required: true,
            description:
              'borg repository: `user@host:/./path` (scp style, no port) or `ssh://user@host:port/./path`. `::` starts an archive name.',
            snippet: '"${1:user@host:/./borgbackup}";',
            schema: z.string(),
            merge: 'equal',
          },
          rsh: {
            type: 'string',
            // clan-core sets it in the client's perInstance (extendSettings), where the key's path is known.
            defaultText:
              '"ssh -i <borgbackup.ssh> -o StrictHostKeyChecking=accept-new -o IdentitiesOnly=Yes -o PasswordAuthentication=no"',
            description:
              "Replaces the whole default ssh command (BORG_RSH). The default already uses the clan's key and accepts a new host key once: put a port in an `ssh://host:port/` repo instead of setting `rsh`. A custom rsh needs `-i` with the key, whose path depends on the clan-core version (`/run/secrets/vars/per-machine/<machine>/borgbackup/borgbackup.ssh` on main since 2026-08, `/run/secrets/vars/borgbackup/borgbackup.ssh` before and on 26.05). No shell syntax: borg splits it like shlex and expands nothing.",
            snippet:
              '"ssh -i ${1:/run/secrets/vars/per-machine/<machine>/borgbackup/borgbackup.ssh} -o StrictHostKeyChecking=accept-new";',
            schema: z.string(),
            merge: 'equal',
          },
        },
        completionOrder: ['repo', 'rsh', 'name'],
      },
      exclude: {
        type: 'list of string (borg patterns)',
        default: [],
        description:
          'Patterns passed to `borg --exclude-from`: default style `fm:` (`*` crosses `/`, matched from the archive root); `sh:`, `re:`, `pp:`, `pf:` prefixes select other styles. A bare name like `__pycache__` matches only at the root: use `*/__pycache__`.',
        snippet: '[ "$1" ];',
        schema: z.array(z.string()),
        merge: 'concat',
      },
    },
  },
  server: {
    service: 'borgbackup',
    role: 'server',
    doc: {
      type: 'borgbackup server settings',
      description: 'Settings of a borgbackup server: `address`, `directory`.',
    },
    settings: {
      address: {
        type: 'null or string',
        default: null,
        defaultText: 'null (the machine name)',
        description:
          'Address clients connect to; the repo is `borg@<address>:.`. No port (use a destination with `rsh = "ssh -p N ..."`); IPv6 in brackets.',
        snippet: '"$1";',
        schema: nullableString,
        merge: 'equal',
      },
      directory: {
        type: 'string (absolute path)',
        default: DEFAULT_SERVER_DIRECTORY,
        description: "Directory holding the repositories: each client's is `<directory>/<client>`.",
        snippet: `"\${1:${DEFAULT_SERVER_DIRECTORY}}";`,
        schema: z.string(),
        merge: 'equal',
      },
    },
  },
  localbackup: {
    service: 'localbackup',
    role: 'default',
    doc: {
      type: 'localbackup settings',
      description:
        'Settings of localbackup: `targets` and `snapshots`. rsnapshot copies every state folder to each target.',
    },
    settings: {
      targets: {
        type: 'attribute set of targets',
        // clan-core declares it without a default (its `default = { };` is commented out).
        required: true,
        description:
          'Directories (usually on a mounted drive) where the snapshots are kept; each becomes `localbackup-mount-<name>` / `localbackup-unmount-<name>` commands when it has a mountpoint.',
        merge: 'attrs',
        entry: {
          type: 'submodule',
          description: 'A backup target.',
          snippet: '{\n\tdirectory = "${1:/mnt/backup}";\n\tmountpoint = "${2:/mnt/backup}";\n};',
        },
        fields: {
          name: {
            type: jobName,
            defaultText: 'the attribute name',
            description:
              'Name of the backup job: `localbackup-mount-<name>` and the `<name>::<snapshot>` archive names `clan backups list` shows.',
            schema: z.string(),
            merge: 'equal',
          },
          directory: {
            type: 'string (required)',
            required: true,
            description: "Where rsnapshot keeps this target's snapshots (`snapshot_root`).",
            snippet: '"${1:/mnt/backup}";',
            schema: z.string(),
            merge: 'equal',
          },
          mountpoint: {
            type: 'null or string',
            default: null,
            description: 'Mounted (`mount -o X-mount.mkdir`) before the backup and unmounted after it, when set.',
            snippet: '"${1:/mnt/backup}";',
            schema: nullableString,
            merge: 'equal',
          },
          preMountHook: hook('before mounting the target'),
          postMountHook: hook('after mounting the target'),
          preUnmountHook: hook('before unmounting the target'),
          postUnmountHook: hook('after unmounting the target'),
          preBackupHook: hook('before the backup'),
          postBackupHook: hook('after the backup'),
        },
        completionOrder: [
          'directory',
          'name',
          'mountpoint',
          'preMountHook',
          'postMountHook',
          'preUnmountHook',
          'postUnmountHook',
          'preBackupHook',
          'postBackupHook',
        ],
      },
      snapshots: {
        type: 'int',
        default: DEFAULT_SNAPSHOTS,
        description: 'How many snapshots rsnapshot keeps (`retain snapshot N`).',
        snippet: `\${1:${DEFAULT_SNAPSHOTS}};`,
        schema: z.int(),
        merge: 'equal',
      },
    },
    completionOrder: ['snapshots', 'targets'],
  },
} satisfies Record<RoleKind, RoleSpec>;

const ROLES: Record<RoleKind, RoleSpec> = ROLE_TABLE;
export const ROLE_KINDS = Object.keys(ROLES) as RoleKind[];

function perRole<T>(f: (spec: RoleSpec) => T): Record<RoleKind, T> {
  return Object.fromEntries(ROLE_KINDS.map((k) => [k, f(ROLES[k])])) as Record<RoleKind, T>;
}

/** The kind of a role of an instance of `service`, if this product knows its settings. */
export function roleKindOf(service: Service | undefined, role: string): RoleKind | undefined {
  return ROLE_KINDS.find((k) => ROLES[k].service === service && ROLES[k].role === role);
}

/** The roles of a service, in table order. */
export function rolesOf(service: Service): string[] {
  return ROLE_KINDS.filter((k) => ROLES[k].service === service).map((k) => ROLES[k].role);
}

// `repo` and a target's `directory` are required of the merged settings of a member, not of each layer (a role may
// set `repo` that a machine's destination then lacks): every field is optional here and checkMissingRequired judges
// the merged ones.
function settingsSchema(settings: Record<string, Setting>): z.ZodMiniType {
  const shape: Record<string, z.ZodMiniType> = {};
  for (const [key, s] of Object.entries(settings)) {
    shape[key] = z.optional(isCollection(s) ? z.record(z.string(), settingsSchema(s.fields)) : s.schema);
  }
  return z.strictObject(shape);
}

/** Validate the literal JSON projection of a settings value (see settingsLayers.literalJson). */
export const ROLE_SCHEMAS = perRole((r) => settingsSchema(r.settings));
export const ROLE_SETTINGS = perRole((r) => Object.keys(r.settings));

/** The settings of a role that fail evaluation when two layers give different values. */
export const EQUAL_SETTINGS = perRole((r) => equalKeys(r.settings));

function equalKeys(settings: Record<string, Setting>): string[] {
  return Object.keys(settings).filter((k) => settings[k]!.merge === 'equal');
}

export interface RoleCollection {
  key: string;
  fields: readonly string[];
  /** The fields of an entry that fail evaluation when two layers give different values. */
  equalFields: readonly string[];
  /** The field an entry of the merged settings must have (`repo`, `directory`). */
  required: string;
}

/** A role's collection setting (`destinations`, `targets`), if it has one. */
export const ROLE_COLLECTION = perRole((r): RoleCollection | undefined => {
  const found = Object.entries(r.settings).find(([, s]) => isCollection(s));
  if (!found) return undefined;
  const [key, s] = found as [string, CollectionSetting];
  const required = Object.keys(s.fields).filter((f) => s.fields[f]!.required);
  // checkMissingRequired's messages name one field per entry.
  if (required.length !== 1) throw new Error(`${r.role}.${key}: expected one required field, found ${required.length}`);
  return { key, fields: Object.keys(s.fields), equalFields: equalKeys(s.fields), required: required[0]! };
});

export const DESTINATION_FIELDS = ROLE_COLLECTION.client!.fields;
export const TARGET_FIELDS = ROLE_COLLECTION.localbackup!.fields;
