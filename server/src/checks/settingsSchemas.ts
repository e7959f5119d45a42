// zod schemas mirroring the borgbackup role interfaces (clanServices/borgbackup/default.nix; clan-core-reference.md
// §1.2). They validate the literal JSON projection of a settings value (see settingsLayers.literalJson).
import { z } from 'zod';

export const DESTINATION_FIELDS = ['name', 'repo', 'rsh'] as const;
export const CLIENT_SETTINGS = ['startAt', 'destinations', 'exclude'] as const;
export const SERVER_SETTINGS = ['address', 'directory'] as const;

export const destinationSchema = z.strictObject({
  name: z.string().optional(),
  repo: z.string(),
  rsh: z.string().optional(),
});

export const clientSettingsSchema = z.strictObject({
  startAt: z.string().optional(),
  destinations: z.record(z.string(), destinationSchema).optional(),
  exclude: z.array(z.string()).optional(),
});

export const serverSettingsSchema = z.strictObject({
  address: z.string().nullable().optional(),
  directory: z.string().optional(),
});

export const ROLE_SCHEMAS = { client: clientSettingsSchema, server: serverSettingsSchema } as const;
export const ROLE_SETTINGS: Record<'client' | 'server', readonly string[]> = {
  client: CLIENT_SETTINGS,
  server: SERVER_SETTINGS,
};
