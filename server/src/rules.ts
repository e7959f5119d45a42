// The rule registry: every diagnostic code the product emits, its severity and a one-line summary. The code is the
// contract (tests, users' `clanBackups.diagnostics.disabled` setting, docs/rules/), so codes never change meaning.
// docs/rules/ is checked against this table by a test (test/unit/docs.test.ts).

export type Severity = 'error' | 'warning' | 'information' | 'hint';

export interface RuleInfo {
  severity: Severity;
  family: 'syntax' | 'inventory' | 'settings' | 'calendar' | 'destinations' | 'state' | 'hooks' | 'postgresql' | 'meta';
  summary: string;
}

export const RULES = {
  'syntax-error': { severity: 'error', family: 'syntax', summary: 'The file is not valid Nix.' },

  'legacy-inventory-services': {
    severity: 'error',
    family: 'inventory',
    summary: '`inventory.services` was removed; use `inventory.instances`.',
  },
  'legacy-machines-list': {
    severity: 'error',
    family: 'inventory',
    summary: '`roles.<r>.machines` must be an attribute set, not a list.',
  },
  'legacy-role-config': {
    severity: 'error',
    family: 'inventory',
    summary: '`roles.<r>.config` was removed; settings go in `settings`.',
  },
  'unknown-role': {
    severity: 'error',
    family: 'inventory',
    summary: 'borgbackup only has the roles `client` and `server`.',
  },
  'unknown-module': {
    severity: 'warning',
    family: 'inventory',
    summary: 'The instance names a module clan-core does not provide.',
  },
  'undefined-machine': {
    severity: 'error',
    family: 'inventory',
    summary: 'A borgbackup role names a machine the clan does not define.',
  },
  'undefined-member': {
    severity: 'warning',
    family: 'inventory',
    summary: 'A role of another service names a machine the clan does not define: it gets nothing.',
  },
  'unknown-tag': { severity: 'warning', family: 'inventory', summary: 'A role names a tag no machine carries.' },
  'invalid-machine-name': {
    severity: 'error',
    family: 'inventory',
    summary: 'A machine name that Clan and NixOS reject.',
  },
  'client-is-server': {
    severity: 'warning',
    family: 'inventory',
    summary: 'A machine is client and server of one instance: it backs up to itself.',
  },
  'client-in-multiple-instances': {
    severity: 'warning',
    family: 'inventory',
    summary: 'A machine is a client of two borgbackup instances.',
  },
  'darwin-machine': {
    severity: 'warning',
    family: 'inventory',
    summary: 'borgbackup is NixOS-only; a darwin machine gets no backup.',
  },

  'unknown-setting': { severity: 'error', family: 'settings', summary: 'A setting the role does not have.' },
  'setting-type': { severity: 'error', family: 'settings', summary: 'A setting with a literal of the wrong type.' },
  'conflicting-setting': {
    severity: 'error',
    family: 'settings',
    summary: 'A scalar setting defined at two layers with different values.',
  },
  'settings-defined-twice': {
    severity: 'error',
    family: 'settings',
    summary: 'A settings slot defined in two places (files, or clan.nix and inventory.json).',
  },
  'client-without-destination': {
    severity: 'error',
    family: 'settings',
    summary: 'A client with no server and no destinations.',
  },
  'relative-directory': { severity: 'error', family: 'settings', summary: 'The server `directory` must be absolute.' },
  'relative-target-directory': {
    severity: 'error',
    family: 'settings',
    summary: 'A localbackup target `directory` must be absolute.',
  },
  'address-with-port': { severity: 'error', family: 'settings', summary: 'The server `address` cannot carry a port.' },
  'unbracketed-ipv6': { severity: 'error', family: 'settings', summary: 'An IPv6 address borg needs in brackets.' },

  'invalid-calendar': {
    severity: 'error',
    family: 'calendar',
    summary: '`startAt` is not a valid systemd calendar expression.',
  },
  'calendar-never-elapses': {
    severity: 'warning',
    family: 'calendar',
    summary: 'The schedule is valid but never fires.',
  },

  'destination-missing-repo': { severity: 'error', family: 'destinations', summary: 'A destination without `repo`.' },
  'target-missing-directory': {
    severity: 'error',
    family: 'destinations',
    summary: 'A localbackup target without `directory`.',
  },
  'invalid-destination-name': {
    severity: 'error',
    family: 'destinations',
    summary: 'A destination name outside `^[a-zA-Z0-9._-]+$`.',
  },
  'destination-name-mismatch': {
    severity: 'warning',
    family: 'destinations',
    summary: 'A destination `name` that differs from its key.',
  },
  'destination-shadows-server': {
    severity: 'warning',
    family: 'destinations',
    summary: 'A destination that replaces a server of the instance.',
  },
  'invalid-repo': { severity: 'error', family: 'destinations', summary: 'borg rejects the repository location.' },
  'suspicious-repo': {
    severity: 'warning',
    family: 'destinations',
    summary: 'borg reads the repository location differently than intended.',
  },
  'rsh-without-key': {
    severity: 'warning',
    family: 'destinations',
    summary: 'A custom `rsh` without `-i`: the clan key is not used.',
  },
  'rsh-insecure-host-key': {
    severity: 'warning',
    family: 'destinations',
    summary: 'The `rsh` disables host key checking.',
  },
  'rsh-invalid': {
    severity: 'error',
    family: 'destinations',
    summary: 'The `rsh` has unbalanced quotes or shell syntax borg does not expand.',
  },
  'rsh-key-path': {
    severity: 'warning',
    family: 'destinations',
    summary: "The `rsh` key path is the layout of another clan-core version than flake.lock's.",
  },
  'rsh-duplicate-port': {
    severity: 'warning',
    family: 'destinations',
    summary: 'A port both in `rsh` and in the repository URL.',
  },
  'invalid-exclude': { severity: 'error', family: 'destinations', summary: 'An exclude pattern borg refuses.' },
  'exclude-root-only': {
    severity: 'warning',
    family: 'destinations',
    summary: 'A bare name that only matches at the archive root.',
  },
  'exclude-unsupported-syntax': {
    severity: 'warning',
    family: 'destinations',
    summary: 'Pattern syntax borg does not support.',
  },

  'invalid-state-name': { severity: 'error', family: 'state', summary: 'A state name outside `^[a-zA-Z0-9_-]+$`.' },
  'missing-folders': { severity: 'error', family: 'state', summary: 'A state without `folders`.' },
  'relative-folder': {
    severity: 'warning',
    family: 'state',
    summary: 'A relative state folder: borg reads it from `/`, localbackup cannot.',
  },
  'unexpanded-folder': {
    severity: 'error',
    family: 'state',
    summary: 'A state folder with `~` or `$VAR`, which nothing expands.',
  },
  'empty-folders': {
    severity: 'information',
    family: 'state',
    summary: '`folders = [ ]`: nothing of this state is archived.',
  },
  'duplicate-folder': {
    severity: 'warning',
    family: 'state',
    summary: "A folder listed twice, or inside another state's folder.",
  },
  'readonly-command': {
    severity: 'error',
    family: 'state',
    summary: 'A read-only `*Command` set by hand; set the `*Script`.',
  },
  'client-without-state': {
    severity: 'warning',
    family: 'state',
    summary: 'A borgbackup client with no `clan.core.state`: no job is generated.',
  },
  'service-not-backed-up': {
    severity: 'information',
    family: 'state',
    summary: 'A service the backup client enables keeps data no state folder or dump covers.',
  },
  'client-without-folders': {
    severity: 'error',
    family: 'state',
    summary: 'Every state of a client has `folders = [ ]`: borg create gets no path and every backup fails.',
  },
  'state-not-backed-up': {
    severity: 'warning',
    family: 'state',
    summary: 'State on a machine that is no borgbackup client.',
  },

  'unbalanced-hook': {
    severity: 'warning',
    family: 'hooks',
    summary: 'The pre hook stops something the post hook does not start again.',
  },
  'hook-missing-path': {
    severity: 'warning',
    family: 'hooks',
    summary: "A backup hook calls a command that is not on the job's PATH.",
  },
  'hook-shell': { severity: 'warning', family: 'hooks', summary: 'A ShellCheck finding in a hook script.' },

  'postgresql-create-options': {
    severity: 'error',
    family: 'postgresql',
    summary: '`create` holds options that belong in `create.options`.',
  },
  'postgresql-not-enabled': {
    severity: 'warning',
    family: 'postgresql',
    summary: 'Databases declared but `clan.core.postgresql.enable` is not true.',
  },
  'postgresql-invalid-name': {
    severity: 'error',
    family: 'postgresql',
    summary: 'A database key or `service` outside `^[a-zA-Z0-9_-]+$`.',
  },
  'postgresql-restore-stops-nothing': {
    severity: 'warning',
    family: 'postgresql',
    summary: '`restore.stopOnRestore = [ ]`: the generated restore runs `systemctl stop` with no unit and fails.',
  },
  'postgresql-not-backed-up': {
    severity: 'warning',
    family: 'postgresql',
    summary: 'PostgreSQL dumps on a machine that is no borgbackup client.',
  },

  'missing-clan-name': { severity: 'error', family: 'meta', summary: 'An inventory without `meta.name`.' },
  'invalid-clan-name': { severity: 'error', family: 'meta', summary: '`meta.name` outside `[a-zA-Z0-9_-]+`.' },
  'invalid-domain': { severity: 'error', family: 'meta', summary: '`meta.domain` is not lowercase DNS labels.' },
} as const satisfies Record<string, RuleInfo>;

export type RuleCode = keyof typeof RULES;

export function isRuleCode(code: string): code is RuleCode {
  return Object.prototype.hasOwnProperty.call(RULES, code);
}
