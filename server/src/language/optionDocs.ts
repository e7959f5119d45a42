// The options a clan.nix can set that this product knows about, with their types, defaults and descriptions
// (clan-core nixosModules/clanCore, modules/inventoryClass; the roles' settings come from model/roleSettings.ts, which
// mirrors clanServices/borgbackup and localbackup). One tree serves hover (docs of the option under the cursor) and
// completion (the children of the attrset under the cursor). `<name>` segments are wildcards: machine, tag, role, ...
import { nixAttrName, nixString } from '../model/nixEdits';
import { isCollection, ROLE_KINDS, ROLE_TABLE, RoleKind, RoleSpec, Setting } from '../model/roleSettings';

export type Wildcard = 'machine' | 'tag' | 'instance' | 'role' | 'state' | 'database' | 'user' | 'destination' | 'any';

export interface OptionDoc {
  type: string;
  default?: string;
  description: string;
  /** Only meaningful inside an instance of this clan-core service (its roles' interfaces). */
  only?: 'borgbackup' | 'localbackup';
  /** A snippet for the value when completing the key (LSP snippet syntax). */
  snippet?: string;
}

export interface OptionNode {
  doc?: OptionDoc;
  children: Map<string, OptionNode>;
  wildcard?: { kind: Wildcard; node: OptionNode };
}

const ROOT: OptionNode = { children: new Map() };

function add(path: string, doc: OptionDoc): void {
  let node = ROOT;
  for (const seg of path.split('.')) {
    const m = /^<(\w+)>$/.exec(seg);
    if (m) {
      node.wildcard ??= { kind: m[1] as Wildcard, node: { children: new Map() } };
      node = node.wildcard.node;
    } else {
      let next = node.children.get(seg);
      if (!next) {
        next = { children: new Map() };
        node.children.set(seg, next);
      }
      node = next;
    }
  }
  node.doc = doc;
}

const ROLE = 'inventory.instances.<instance>.roles.<role>';

function addRoleSettings(kind: RoleKind, at: string): void {
  const spec: RoleSpec = ROLE_TABLE[kind];
  const only = spec.service;
  const base = `inventory.instances.<instance>.roles.${spec.role}.${at}`;
  add(base, { ...docOf(spec.doc), default: '{ }', only });
  for (const [key, s] of inCompletionOrder(spec.settings, spec.completionOrder)) {
    add(`${base}.${key}`, settingDoc(s, only));
    if (!isCollection(s)) continue;
    add(`${base}.${key}.<destination>`, { ...docOf(s.entry), only });
    for (const [field, f] of inCompletionOrder(s.fields, s.completionOrder)) {
      add(`${base}.${key}.<destination>.${field}`, settingDoc(f, only));
    }
  }
}

function inCompletionOrder<T>(entries: Record<string, T>, order: readonly string[] | undefined): Array<[string, T]> {
  return (order ?? Object.keys(entries)).map((key) => [key, entries[key]!]);
}

function docOf(d: { type: string; description: string; snippet?: string }): OptionDoc {
  return d.snippet === undefined
    ? { type: d.type, description: d.description }
    : { type: d.type, description: d.description, snippet: d.snippet };
}

function settingDoc(s: Setting, only: OptionDoc['only']): OptionDoc {
  const doc: OptionDoc = { ...docOf(s), only };
  const text = s.defaultText ?? (s.default === undefined ? undefined : nixLiteral(s.default));
  if (text !== undefined) doc.default = text;
  return doc;
}

/** A default as Nix source, in the spacing the docs use (`{ }`, `[ ]`). */
function nixLiteral(v: unknown): string {
  if (typeof v === 'string') return nixString(v);
  if (Array.isArray(v)) return v.length ? `[ ${v.map(nixLiteral).join(' ')} ]` : '[ ]';
  if (v !== null && typeof v === 'object') {
    const entries = Object.entries(v);
    return entries.length ? `{ ${entries.map(([k, x]) => `${nixAttrName(k)} = ${nixLiteral(x)};`).join(' ')} }` : '{ }';
  }
  return String(v);
}
const SETTINGS_AT = ['settings', 'machines.<machine>.settings', 'tags.<tag>.settings'];

add('meta', {
  type: 'submodule',
  description: 'Metadata of the clan: its name, domain and description.',
  snippet: '{\n\tname = "$1";\n};',
});
add('meta.name', {
  type: 'strMatching "[a-zA-Z0-9_-]*"',
  description: 'Name of the clan; required and unique among the clans you use. Letters, digits, `_` and `-`.',
  snippet: '"$1";',
});
add('meta.domain', {
  type: 'strMatching (lowercase DNS labels)',
  default: '"clan"',
  description: "Domain of the clan's machines: each is reached as `<machine>.<domain>`.",
  snippet: '"$1";',
});
add('meta.description', { type: 'null or string', default: 'null', description: 'A description of the clan.' });
add('meta.icon', { type: 'null or string', default: 'null', description: 'An icon for the clan.' });
add('inventory', { type: 'submodule', description: 'The inventory: machines, tags and service instances.' });
add('inventory.machines', {
  type: 'attribute set of machines',
  default: '{ }',
  description:
    'Machines of the clan. Machines are also added from every `machines/<name>/` directory and every key of the top-level `machines`.',
});
add('inventory.machines.<machine>', {
  type: 'submodule',
  description: 'A machine of the inventory.',
  snippet: '{\n\ttags = [ $1 ];\n};',
});
add('inventory.machines.<machine>.tags', {
  type: 'list of string',
  default: '[ ]',
  description: 'Tags of the machine; roles can select machines by tag. `all`, `nixos` and `darwin` are built in.',
  snippet: '[ "$1" ];',
});
add('inventory.machines.<machine>.machineClass', {
  type: 'one of "nixos", "darwin"',
  default: '"nixos"',
  description: 'The kind of machine. borgbackup has only a NixOS module: darwin machines get no backups.',
  snippet: '"${1|nixos,darwin|}";',
});
add('inventory.machines.<machine>.description', {
  type: 'null or string',
  default: 'null',
  description: 'A description of the machine.',
});
add('inventory.machines.<machine>.icon', {
  type: 'null or string',
  default: 'null',
  description: 'An icon for the machine.',
});
add('inventory.machines.<machine>.installedAt', {
  type: 'null or int (unix seconds)',
  default: 'null',
  description: 'When the machine was installed.',
});
add('inventory.machines.<machine>.deploy', { type: 'submodule', description: 'How the clan CLI reaches the machine.' });
add('inventory.machines.<machine>.deploy.targetHost', {
  type: 'null or string',
  default: 'null',
  description:
    'SSH target `[ssh://][user@]host[:port]` used by `clan machines update` and `clan backups`. IPv6 needs brackets.',
  snippet: '"root@$1";',
});
add('inventory.machines.<machine>.deploy.buildHost', {
  type: 'null or string',
  default: 'null',
  description: "Host that builds the machine's system.",
});
add('inventory.tags', {
  type: 'attribute set of list of string (or a function)',
  default: '{ }',
  description: 'Computed tags: `inventory.tags.foo = [ "a" "b" ]` adds tag `foo` to machines a and b.',
});
add('inventory.instances', {
  type: 'attribute set of service instances',
  default: '{ }',
  description:
    "Service instances. An instance named `borgbackup` uses clan-core's borgbackup service without setting `module`.",
});
add('inventory.instances.<instance>', {
  type: 'submodule',
  description: 'A service instance: which module, and which machines hold its roles.',
});
add('inventory.instances.<instance>.module', {
  type: 'submodule',
  description: 'The clan service this instance runs.',
});
add('inventory.instances.<instance>.module.name', {
  type: 'string',
  default: 'the instance name',
  description: 'Name of the clan service module (`borgbackup`, `sshd`, `users`, ...).',
  snippet: '"$1";',
});
add('inventory.instances.<instance>.module.input', {
  type: 'null or string',
  default: 'null',
  description:
    '`null`: clan-core\'s built-in services; `"self"`: your flake\'s `modules`; otherwise a flake input that exports `clan.modules`.',
});
add('inventory.instances.<instance>.roles', {
  type: 'attribute set of roles',
  description: 'Roles of the instance. borgbackup has the roles `client` and `server`.',
});
add(`${ROLE}`, { type: 'submodule', description: 'A role: its members (machines, tags) and settings.' });
add(`${ROLE}.machines`, {
  type: 'attribute set of { settings }',
  default: '{ }',
  description: 'Machines holding this role: `machines.<name> = { };` (an attribute set, not a list).',
});
add(`${ROLE}.machines.<machine>`, {
  type: 'submodule',
  description: 'A member machine, with optional per-machine settings.',
  snippet: '{ };',
});
add(`${ROLE}.tags`, {
  type: 'list of string, or attribute set of { settings }',
  default: '{ }',
  description:
    'Every machine carrying one of these tags holds the role: `tags = [ "x" ]` or `tags.x = { settings = ...; };`.',
});
add(`${ROLE}.tags.<tag>`, {
  type: 'submodule',
  description: 'Machines with this tag, with optional per-tag settings.',
  snippet: '{ };',
});
// The roles' own settings come from the table (model/roleSettings.ts). localbackup's `default` is added before the
// generic role options and borgbackup's roles after them: completion under `roles` lists the names in that order.
for (const at of SETTINGS_AT) addRoleSettings('localbackup', at);
add(`${ROLE}.extraModules`, {
  type: 'list of modules',
  default: '[ ]',
  description: 'Extra NixOS modules for the members of this role.',
});
for (const at of SETTINGS_AT) {
  add(`${ROLE}.${at}`, {
    type: 'settings of the role (JSON-serializable)',
    default: '{ }',
    description:
      'Settings of the role. Role, tag and machine settings merge; a scalar set at two layers with different values is an error unless one uses `lib.mkForce`.',
  });
  for (const kind of ROLE_KINDS) if (ROLE_TABLE[kind].service === 'borgbackup') addRoleSettings(kind, at);
}

add('machines', {
  type: 'attribute set of NixOS modules',
  default: '{ }',
  description: 'NixOS configuration per machine; `machines/<name>/configuration.nix` is imported as well.',
});
add('machines.<machine>', {
  type: 'NixOS module',
  description: "The machine's NixOS configuration (an attribute set or `{ config, ... }: { ... }`).",
});
const STATE = 'machines.<machine>.clan.core.state.<state>';
add('machines.<machine>.clan.core.state', {
  type: 'attribute set of states',
  default: '{ }',
  description:
    "Folders to back up and restore, with hooks. Every state goes to every destination of the machine's borgbackup client.",
});
add(STATE, {
  type: 'submodule',
  description:
    'A state: folders and the four hooks. The name must match `^[a-zA-Z0-9_-]+$`; it is the `--service` of `clan backups restore`.',
  snippet: '{\n\tfolders = [ "$1" ];\n};',
});
add(`${STATE}.folders`, {
  type: 'list of string (absolute paths)',
  description:
    'Folders of this state (required). Absolute paths; `~` and `$VAR` are not expanded. `[ ]` for a state that only runs hooks.',
  snippet: '[ "$1" ];',
});
add(`${STATE}.name`, {
  type: 'strMatching "^[a-zA-Z0-9_-]+$"',
  default: 'the attribute name',
  description: 'Name of the state.',
});
const HOOK_DOCS: Record<string, string> = {
  preBackupScript:
    "Runs before each backup job (`ExecStartPre` of `borgbackup-job-<dest>`, as root, once per destination): stop services, dump databases. Its PATH is the systemd unit's: add `export PATH=${lib.makeBinPath [ ... ]}` for other tools. A failure fails the job.",
  postBackupScript:
    'Runs after each backup job (`ExecStopPost`, also after a failure): start again what the pre hook stopped.',
  preRestoreScript: 'Runs over ssh before `clan backups restore` extracts this state: stop services that use it.',
  postRestoreScript: 'Runs over ssh after the restore: start services again, verify.',
};
for (const [hook, description] of Object.entries(HOOK_DOCS)) {
  add(`${STATE}.${hook}`, {
    type: 'null or lines (bash, run with `set -eu -o pipefail`)',
    default: 'null',
    description,
    snippet: "''\n\t$1\n'';",
  });
}
const PG = 'machines.<machine>.clan.core.postgresql';
add(PG, {
  type: 'submodule',
  description:
    'PostgreSQL dumps integrated with the backup: each database becomes a state with a `pg_dump` pre-backup hook and a restoring post-restore hook.',
});
add(`${PG}.enable`, {
  type: 'boolean',
  default: 'false',
  description: 'Enable the PostgreSQL server and the dumps.',
  snippet: 'true;',
});
add(`${PG}.databases`, {
  type: 'attribute set of databases',
  default: '{ }',
  description: 'Databases to dump and restore; each is stored in `/var/backup/postgres/<name>`.',
});
add(`${PG}.databases.<database>`, { type: 'submodule', description: 'A database to back up.', snippet: '{ };' });
add(`${PG}.databases.<database>.name`, {
  type: 'string',
  default: 'the attribute name',
  description: 'Name of the database.',
});
add(`${PG}.databases.<database>.service`, {
  type: 'string',
  default: 'the attribute name',
  description: 'Name of the `clan.core.state` entry for the dump (`^[a-zA-Z0-9_-]+$`).',
});
add(`${PG}.databases.<database>.create`, {
  type: 'submodule',
  description: 'Whether and how to create the database: `enable` and `options` only.',
});
add(`${PG}.databases.<database>.create.enable`, {
  type: 'boolean',
  default: 'true',
  description:
    'Create the database if it does not exist (set `false` when `services.postgresql.ensureDatabases` creates it).',
});
add(`${PG}.databases.<database>.create.options`, {
  type: 'lazy attribute set of string',
  default: '{ }',
  description: '`CREATE DATABASE` options: `TEMPLATE`, `LC_COLLATE`, `LC_CTYPE`, `ENCODING`, `OWNER`.',
  snippet: '{\n\tOWNER = "$1";\n};',
});
add(`${PG}.databases.<database>.restore`, { type: 'submodule', description: 'Restore behaviour.' });
add(`${PG}.databases.<database>.restore.stopOnRestore`, {
  type: 'list of string (systemd units)',
  default: '[ ]',
  description: 'Units stopped while the dump is restored, then started again.',
  snippet: '[ "$1" ];',
});
add(`${PG}.users`, { type: 'attribute set of users', default: '{ }', description: 'Database users to create.' });
add(`${PG}.users.<user>.name`, { type: 'string', default: 'the attribute name', description: 'Name of the user.' });

export interface OptionMatch {
  node: OptionNode;
  /** The catalogue path with wildcards, e.g. `machines.<machine>.clan.core.state.<state>.folders`. */
  pattern: string;
}

/** The catalogue node for a concrete path; `service` is the clan-core service of the instance on the path, if known. */
export function lookupOption(path: readonly string[], service: string | undefined): OptionMatch | undefined {
  let node = ROOT;
  const pattern: string[] = [];
  for (const seg of path) {
    const exact = node.children.get(seg);
    if (exact && (!exact.doc?.only || exact.doc.only === service)) {
      node = exact;
      pattern.push(seg);
    } else if (node.wildcard) {
      node = node.wildcard.node;
      pattern.push(`<${node === ROOT ? 'any' : wildcardKind(path, pattern)}>`);
    } else return undefined;
  }
  return { node, pattern: pattern.join('.') };
}

function wildcardKind(_path: readonly string[], prefix: string[]): string {
  // Recompute which wildcard we just stepped into, for display.
  let n = ROOT;
  for (const seg of prefix) n = n.children.get(seg) ?? n.wildcard!.node;
  return n.wildcard?.kind ?? 'any';
}

/** Known children of the attrset at `path` (for completion). */
export function childOptions(
  path: readonly string[],
  service: string | undefined,
): Array<{ key: string; doc?: OptionDoc }> {
  const m = lookupOption(path, service);
  if (!m) return [];
  return [...m.node.children]
    .filter(([, n]) => !n.doc?.only || n.doc.only === service)
    .map(([key, n]) => (n.doc ? { key, doc: n.doc } : { key }));
}

/** What kind of name a wildcard child of `path` is (machine, tag, ...), for completing names. */
export function wildcardAt(path: readonly string[], service: string | undefined): Wildcard | undefined {
  return lookupOption(path, service)?.node.wildcard?.kind;
}

export function formatOptionDoc(name: string, doc: OptionDoc): string {
  const lines = [`**${name}** — \`${doc.type}\``];
  if (doc.default !== undefined) lines.push(`Default: \`${doc.default}\``);
  lines.push('', doc.description);
  return lines.join('\n');
}
