// The extension's settings, validated with zod. Pure (no `vscode` import) so the schema is unit-testable; the caller
// passes an accessor over `workspace.getConfiguration('clanBackups')`.
import { homedir } from 'node:os';
import { z } from 'zod';

export const SECTION = 'clanBackups';

export const TraceSchema = z.enum(['off', 'messages', 'verbose']);

/** One schema per setting, keyed by the key under `clanBackups.`, so one bad value does not discard the others. */
export const settingSchemas = {
  // The clan CLI runs without a shell, so this must name one executable, not a command line.
  clanPath: z
    .string()
    .trim()
    .min(1, 'must name the clan executable')
    // eslint-disable-next-line no-control-regex -- control characters are what this rejects
    .refine((s) => !/[\u0000-\u001f\u007f]/.test(s), 'must not contain control characters')
    .default('clan'),
  flake: z
    .string()
    .trim()
    // eslint-disable-next-line no-control-regex -- control characters are what this rejects
    .refine((s) => !/[\u0000-\u001f\u007f]/.test(s), 'must not contain control characters')
    .refine((s) => !s.startsWith('-'), 'must not start with "-" (the clan CLI would read it as an option)')
    .default(''),
  'diagnostics.disabled': z.array(z.string().trim().min(1)).default([]),
  'shellcheck.enable': z.boolean().default(true),
  showRequestFailedErrorNotification: z.boolean().default(false),
  'trace.server': TraceSchema.default('off'),
} as const;

export type SettingKey = keyof typeof settingSchemas;

export interface Settings {
  clanPath: string;
  flake: string;
  diagnostics: { disabled: string[] };
  shellcheck: { enable: boolean };
  showRequestFailedErrorNotification: boolean;
  trace: { server: z.infer<typeof TraceSchema> };
}

export interface SettingsResult {
  settings: Settings;
  /** One readable line per rejected value; the default was used instead. */
  problems: string[];
}

function parseOne<K extends SettingKey>(
  key: K,
  raw: unknown,
  problems: string[],
): z.output<(typeof settingSchemas)[K]> {
  const schema = settingSchemas[key];
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data as z.output<(typeof settingSchemas)[K]>;
  const why = parsed.error.issues.map((i) => (i.path.length ? `[${i.path.join('.')}] ` : '') + i.message).join('; ');
  problems.push(`${SECTION}.${key}: ${why}; using the default`);
  return schema.parse(undefined) as z.output<(typeof settingSchemas)[K]>;
}

/** Reads and validates every setting; `get` returns the raw value of a key under `clanBackups.` (or undefined). */
export function readSettings(get: (key: SettingKey) => unknown): SettingsResult {
  const problems: string[] = [];
  const settings: Settings = {
    clanPath: expandHome(parseOne('clanPath', get('clanPath'), problems)),
    flake: expandHome(parseOne('flake', get('flake'), problems)),
    diagnostics: { disabled: parseOne('diagnostics.disabled', get('diagnostics.disabled'), problems) },
    shellcheck: { enable: parseOne('shellcheck.enable', get('shellcheck.enable'), problems) },
    showRequestFailedErrorNotification: parseOne(
      'showRequestFailedErrorNotification',
      get('showRequestFailedErrorNotification'),
      problems,
    ),
    trace: { server: parseOne('trace.server', get('trace.server'), problems) },
  };
  return { settings, problems };
}

/**
 * What the language server needs. The client sends it as `initializationOptions`, answers it for
 * `workspace/configuration` of section `clanBackups`, and pushes it as `settings.clanBackups` in
 * `workspace/didChangeConfiguration` when a setting changes.
 */
export interface ServerSettings {
  diagnostics: { disabled: string[] };
  shellcheck: { enable: boolean };
}

export function serverSettings(s: Settings): ServerSettings {
  return { diagnostics: { disabled: [...s.diagnostics.disabled] }, shellcheck: { enable: s.shellcheck.enable } };
}

// A shell would expand `~`; we spawn without one, so do the one expansion users expect from a path setting.
function expandHome(p: string): string {
  if (p === '~') return homedir();
  if (p.startsWith('~/')) return homedir() + p.slice(1);
  return p;
}
