// The clan model: what clan.nix, machines/<m>/configuration.nix and inventory.json say about machines, tags,
// service instances and their roles, and each machine's backup state — read statically, with every value keeping
// its source range. Whatever cannot be read (a computed attribute set, an `imports` list, a function-built value)
// makes the matching part of the model *incomplete*, and rules that need the whole picture stay quiet then.
// This module holds the model's types and the queries over it; buildClanModel.ts reads the sources into it.
import type { ClanCoreVersion } from './clanCoreVersion';
import type { ClanFragment, ClanUnknown, SettingsDefinitions } from './clanFragments';
import type { AttrEntry, AttrsValue, NixValue, StringValue } from './nixValue';
import type { Range } from './range';
import type { SourceFile } from './sourceFile';

export const BUILTIN_TAGS = ['all', 'nixos', 'darwin'];

/** clan-core's built-in clan services (clan-core clanServices/, read at d7c35d9, 2026-08-22). */
export const BUILTIN_MODULES = [
  'admin',
  'borgbackup',
  'certificates',
  'coredns',
  'data-mesher',
  'dm-dns',
  'dyndns',
  'emergency-access',
  'garage',
  'hello-world',
  'importer',
  'installer',
  'internet',
  'kde',
  'localbackup',
  'matrix-synapse',
  'monitoring',
  'mycelium',
  'ncps',
  'p2p-ssh-iroh',
  'packages',
  'pki',
  'sshd',
  'syncthing',
  'tor',
  'trusted-nix-caches',
  'users',
  'wifi',
  'wireguard',
  'yggdrasil',
  'zerotier',
];

/**
 * The roles of clan-core's built-in services that set `clan.core.state` on their members, read from
 * clanServices/<service>/ at clan-core d7c35d9 (2026-08-22): zerotier's controller (`clan.core.state.zerotier`, under
 * `lib.mkIf isController`, zerotier/default.nix), garage's default role (`clan.core.state.garage`, garage/default.nix)
 * monitoring's server (`clan.core.state.monitoring` and a `clan.core.postgresql` database, monitoring/default.nix),
 * and matrix-synapse's default role (a `clan.core.postgresql` database, whose dump is a state; matrix-synapse/
 * default.nix). No other service there sets a state; a module that is not a clan-core built-in may.
 */
export const STATE_ROLES: Readonly<Record<string, readonly string[]>> = {
  zerotier: ['controller'],
  garage: ['default'],
  monitoring: ['server'],
  'matrix-synapse': ['default'],
};

export interface Ref {
  uri: string;
  range: Range;
}

export type MachineSource = 'inventory' | 'machines' | 'directory' | 'inventory-json';

export interface MachineDecl {
  source: MachineSource;
  ref: Ref;
  /** The inventory entry's value (inventory / inventory-json sources). */
  value?: NixValue;
}

export interface Machine {
  name: string;
  decls: MachineDecl[];
  tags: Array<{ name: string; ref: Ref }>;
  /** Tags that cannot be read (a computed `tags` value). */
  tagsOpaque: boolean;
  machineClass: 'nixos' | 'darwin';
  classRef?: Ref;
  /** NixOS modules of the machine: the top-level `machines.<m>` value, machines/<m>/configuration.nix. */
  configs: NixValue[];
  /** True when every module of the machine is visible: readable attrsets without `imports`. */
  configComplete: boolean;
  states: State[];
  /** Some `clan.core.state` entries or the state set itself cannot be read. */
  statesOpaque: boolean;
  postgresql: PostgresConfig[];
}

export interface State {
  name: string;
  machine: string;
  keyRef: Ref;
  value: NixValue;
  attrs?: AttrsValue;
  /** The `clan.core.state` attrset that holds this state (for inserting next to it). */
  parent: AttrsValue;
}

export interface PostgresConfig {
  machine: string;
  /** The `clan.core.postgresql` attrset. */
  attrs: AttrsValue;
  keyRef: Ref;
  enable?: NixValue;
  databases?: AttrEntry;
}

export interface RoleTagRef {
  name: string;
  ref: Ref;
  settings?: NixValue;
}

export interface RoleMemberRef {
  name: string;
  ref: Ref;
  settings?: NixValue;
  entry?: AttrEntry;
}

export interface Role {
  name: string;
  ref: Ref;
  entry: AttrEntry;
  attrs?: AttrsValue;
  machines: RoleMemberRef[];
  machinesForm: 'attrs' | 'list' | 'opaque' | 'absent';
  machinesValue?: NixValue;
  tags: RoleTagRef[];
  tagsOpaque: boolean;
  settings?: NixValue;
  settingsEntry?: AttrEntry;
  legacyConfig?: AttrEntry;
}

export interface Instance {
  name: string;
  ref: Ref;
  entry: AttrEntry;
  attrs?: AttrsValue;
  moduleName?: { value: string | undefined; ref: Ref };
  moduleInput?: { value: string | null | undefined; ref: Ref };
  /** The module the instance resolves to, or undefined when it cannot be known statically. */
  resolvedModule: string | undefined;
  /** clan-core's borgbackup (and not a module of the same name from another source). */
  isBorgbackup: boolean;
  /** clan-core's localbackup (its one role is `default`). */
  isLocalbackup: boolean;
  /** The module is a clan-core built-in. */
  isBuiltin: boolean;
  roles: Role[];
  rolesOpaque: boolean;
}

export interface ClanModel {
  dir: string;
  files: SourceFile[];
  clanFile?: SourceFile;
  root?: AttrsValue;
  meta: { name?: AttrEntry; domain?: AttrEntry };
  /**
   * Where each piece of the clan sits in its file (flake layouts): its value's range, the clan path it stands for,
   * and, when the value is reachable through attribute sets from the file's root, the attribute path to it there.
   */
  anchors: Array<{ uri: string; range: Range; path: string[]; filePath?: string[] }>;
  inventory?: AttrEntry;
  machines: Map<string, Machine>;
  /** Every machine of the clan is known (no computed `machines`, no `imports` in clan.nix, no unreadable files). */
  machinesComplete: boolean;
  /** Every tag of every machine is known. */
  tagsComplete: boolean;
  instances: Instance[];
  /** Every instance is known. */
  instancesComplete: boolean;
  legacyServices: AttrEntry[];
  /** Explicit attrsets where a new machine can be added: inventory.machines (preferred). */
  inventoryMachines?: AttrsValue;
  /** The clan-core version in flake.lock; undefined when there is none (then version-dependent rules stay quiet). */
  clanCore?: ClanCoreVersion;
  /** Settings slots defined in more than one place (two fragments, or clan.nix and inventory.json). */
  duplicateSettings: SettingsDefinitions[];
  /** The clan file was read alone, outside any clan (see ClanSources.lone): what it does not say is unknown. */
  lone: boolean;
}

export interface ClanSources {
  dir: string;
  clanFile?: SourceFile;
  machineFiles: SourceFile[];
  inventoryJson?: SourceFile;
  /** Names of the directories under machines/ (each is a machine, even without configuration.nix). */
  machineDirs: Array<{ name: string; uri: string }>;
  /**
   * The clan as pieces of any number of files (flake.nix's `lib.clan` argument, flake-parts `clan` values, imported
   * modules, machine modules; see clanFragments.ts). When set, the clan's root is their merge and `clanFile` only
   * names the primary file (edits, clan-level findings): its value is not read on its own.
   */
  fragments?: ClanFragment[];
  /** Parts of the clan the loader could not see (an `imports` it cannot follow…): the rules needing them stay quiet. */
  unknowns?: ClanUnknown[];
  /** Every further file the clan's values come from (through `import`), for ranges, edits and syntax errors. */
  files?: SourceFile[];
  /** The flake.lock next to the clan, when there is one: which clan-core it is locked to. */
  flakeLock?: { uri: string; text: string };
  /** A single file that belongs to no clan found (`check some/file.nix`): the rest of its clan, if any, is unseen. */
  lone?: boolean;
}

// ---- queries over the model ----

export interface Membership {
  machine: string;
  /** Where the membership is written: the machine key under roles.<r>.machines, or the tag reference. */
  ref: Ref;
  via: 'machine' | 'tag';
  tag?: string;
}

export interface RoleMembers {
  members: Map<string, Membership[]>;
  /** All members are known (machines attrset readable, tags readable and every machine's tags known). */
  complete: boolean;
}

// Queries are asked once per member and per rule; on a fleet of 1,000 machines recomputing them is quadratic.
const tagIndexes = new WeakMap<ClanModel, Map<string, Machine[]>>();
const roleMemberCache = new WeakMap<Role, RoleMembers>();

export function machinesWithTag(model: ClanModel, tag: string): Machine[] {
  let index = tagIndexes.get(model);
  if (!index) {
    index = new Map();
    const all = [...model.machines.values()];
    index.set('all', all);
    index.set(
      'nixos',
      all.filter((m) => m.machineClass === 'nixos'),
    );
    index.set(
      'darwin',
      all.filter((m) => m.machineClass === 'darwin'),
    );
    for (const m of all) {
      for (const t of new Set(m.tags.map((x) => x.name))) {
        if (BUILTIN_TAGS.includes(t)) continue;
        const list = index.get(t) ?? [];
        list.push(m);
        index.set(t, list);
      }
    }
    tagIndexes.set(model, index);
  }
  return index.get(tag) ?? [];
}

export function roleMembers(model: ClanModel, role: Role | undefined): RoleMembers {
  if (!role) return { members: new Map(), complete: true };
  const cached = roleMemberCache.get(role);
  if (cached) return cached;
  const members = new Map<string, Membership[]>();
  const add = (m: Membership) => {
    const list = members.get(m.machine) ?? [];
    list.push(m);
    members.set(m.machine, list);
  };
  for (const m of role.machines) add({ machine: m.name, ref: m.ref, via: 'machine' });
  for (const t of role.tags) {
    for (const m of machinesWithTag(model, t.name)) add({ machine: m.name, ref: t.ref, via: 'tag', tag: t.name });
  }
  const complete =
    (role.machinesForm === 'attrs' || role.machinesForm === 'absent') &&
    !role.tagsOpaque &&
    (role.tags.length === 0 || (model.tagsComplete && model.machinesComplete));
  const result = { members, complete };
  roleMemberCache.set(role, result);
  return result;
}

export function findRole(inst: Instance, name: string): Role | undefined {
  return inst.roles.find((r) => r.name === name);
}

/** Whether a machine's states may be defined by services other than what the model sees. */
export function mayGetStateFromServices(model: ClanModel, machine: string): boolean {
  if (!model.instancesComplete) return true;
  for (const inst of model.instances) {
    const builtin = inst.resolvedModule !== undefined && inst.isBuiltin;
    // A built-in adds state only through the roles listed in STATE_ROLES; any other service could.
    const stateRoles = builtin ? (STATE_ROLES[inst.resolvedModule!] ?? []) : undefined;
    if (stateRoles?.length === 0) continue;
    if (inst.rolesOpaque) return true;
    for (const role of inst.roles) {
      if (stateRoles && !stateRoles.includes(role.name)) continue;
      const { members, complete } = roleMembers(model, role);
      if (!complete || members.has(machine)) return true;
    }
  }
  return false;
}

/** Literal string value or undefined. */
export function literalString(v: NixValue | undefined): StringValue | undefined {
  return v && v.kind === 'string' && v.value !== undefined ? v : undefined;
}
