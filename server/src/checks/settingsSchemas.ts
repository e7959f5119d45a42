// zod schemas mirroring the borgbackup role interfaces (clanServices/borgbackup/default.nix; clan-core-reference.md
// §1.2). They validate the literal JSON projection of a settings value (see settingsLayers.literalJson).
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

export const ROLE_SCHEMAS = { client: clientSettingsSchema, server: serverSettingsSchema } as const;
export const ROLE_SETTINGS: Record<'client' | 'server', readonly string[]> = {
  client: CLIENT_SETTINGS,
  server: SERVER_SETTINGS,
};
