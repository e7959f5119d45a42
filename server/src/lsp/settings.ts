// The server's settings: the `clanBackups` configuration section (the same shape the client sends as
// initializationOptions), read leniently: a value of the wrong type keeps the previous setting.

export interface ServerSettings {
  disabled: string[];
  shellcheck: boolean;
}

export function defaultSettings(): ServerSettings {
  return { disabled: [], shellcheck: true };
}

/** `raw` is `{ diagnostics: { disabled }, shellcheck: { enable } }` or any part of it. */
export function applySettings(current: ServerSettings, raw: unknown): ServerSettings {
  const cfg = raw as { diagnostics?: { disabled?: unknown }; shellcheck?: { enable?: unknown } } | null | undefined;
  const next = { ...current };
  const disabled = cfg?.diagnostics?.disabled;
  if (Array.isArray(disabled)) next.disabled = disabled.map(String);
  if (typeof cfg?.shellcheck?.enable === 'boolean') next.shellcheck = cfg.shellcheck.enable;
  return next;
}
