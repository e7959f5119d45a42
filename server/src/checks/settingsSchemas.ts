// zod schemas mirroring the role interfaces of clan-core's clanServices/borgbackup and localbackup (default.nix).
// They validate the literal JSON projection of a settings value (see settingsLayers.literalJson).
// zod/mini: the same validation core without the chainable API and its bundled locales (444 KiB less to load at
// every `clan-backups check`); these schemas only need issue codes and paths, never messages.
import * as z from 'zod/mini';

export const DESTINATION_FIELDS = ['name', 'repo', 'rsh'] as const;
export const CLIENT_SETTINGS = ['startAt', 'destinations', 'exclude'] as const;
export const SERVER_SETTINGS = ['address', 'directory'] as const;

// `repo` is required, but of the merged settings of a member, not of each layer: checkMissingRepos judges it.
export const destinationSchema = z.strictObject({
  name: z.optional(z.string()),
  repo: z.optional(z.string()),
  rsh: z.optional(z.string()),
});

export const clientSettingsSchema = z.strictObject({
  startAt: z.optional(z.string()),
  destinations: z.optional(z.record(z.string(), destinationSchema)),
  exclude: z.optional(z.array(z.string())),
});

export const serverSettingsSchema = z.strictObject({
  address: z.optional(z.nullable(z.string())),
  directory: z.optional(z.string()),
});

// localbackup's one role, `default` (clanServices/localbackup/default.nix): `targets.<t>` and `snapshots`.
export const TARGET_HOOKS = [
  'preMountHook',
  'postMountHook',
  'preUnmountHook',
  'postUnmountHook',
  'preBackupHook',
  'postBackupHook',
] as const;
export const TARGET_FIELDS = ['name', 'directory', 'mountpoint', ...TARGET_HOOKS] as const;
export const LOCALBACKUP_SETTINGS = ['targets', 'snapshots'] as const;

const nullableString = z.optional(z.nullable(z.string()));
// `directory` is required of the merged settings, like a destination's `repo` (checkMissingRequired).
export const targetSchema = z.strictObject({
  name: z.optional(z.string()),
  directory: z.optional(z.string()),
  mountpoint: nullableString,
  preMountHook: nullableString,
  postMountHook: nullableString,
  preUnmountHook: nullableString,
  postUnmountHook: nullableString,
  preBackupHook: nullableString,
  postBackupHook: nullableString,
});

export const localbackupSettingsSchema = z.strictObject({
  targets: z.optional(z.record(z.string(), targetSchema)),
  snapshots: z.optional(z.int()),
});

export type RoleKind = 'client' | 'server' | 'localbackup';

export const ROLE_SCHEMAS = {
  client: clientSettingsSchema,
  server: serverSettingsSchema,
  localbackup: localbackupSettingsSchema,
} as const;
export const ROLE_SETTINGS: Record<RoleKind, readonly string[]> = {
  client: CLIENT_SETTINGS,
  server: SERVER_SETTINGS,
  localbackup: LOCALBACKUP_SETTINGS,
};
