// The clan model: what clan.nix, machines/<m>/configuration.nix and inventory.json say about machines, tags,
// service instances and their roles, and each machine's backup state — read statically, with every value keeping
// its source range. Whatever cannot be read (a computed attribute set, an `imports` list, a function-built value)
// makes the matching part of the model *incomplete*, and rules that need the whole picture stay quiet then.
import { ClanCoreVersion, readClanCoreVersion } from './clanCoreVersion';
import { ClanFragment, ClanUnknown, mergeFragments, SettingsDefinitions } from './clanFragments';
import { AttrEntry, AttrsValue, asAttrs, getPath, NixValue, StringValue } from './nixValue';
import type { Range } from './range';
import type { SourceFile } from './sourceFile';

export const BUILTIN_TAGS = ['all', 'nixos', 'darwin'];

/** clan-core's built-in clan services (clan-core clanServices/, read at d7c35d9, 2026-08-22). */
export const BUILTIN_MODULES = [
  'admin', 'borgbackup', 'certificates', 'coredns', 'data-mesher', 'dm-dns', 'dyndns', 'emergency-access', 'garage',
  'hello-world', 'importer', 'installer', 'internet', 'kde', 'localbackup', 'matrix-synapse', 'monitoring', 'mycelium',
  'ncps', 'p2p-ssh-iroh', 'packages', 'pki', 'sshd', 'syncthing', 'tor', 'trusted-nix-caches', 'users', 'wifi',
  'wireguard', 'yggdrasil', 'zerotier',
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

function ref(uri: string, range: Range): Ref {
  return { uri, range };
}

function uniqueFiles(list: Array<SourceFile | undefined>): SourceFile[] {
  const seen = new Set<string>();
  return list.filter((f): f is SourceFile => !!f && !seen.has(f.uri) && !!seen.add(f.uri));
}

/** The attribute path from `root` to the very value object `target`, through attrsets and module functions. */
function pathTo(root: NixValue, target: NixValue, depth = 0): string[] | undefined {
  if (root === target) return [];
  const attrs = asAttrs(root);
  if (!attrs || depth > 16) return undefined;
  for (const [k, e] of attrs.entries) {
    const rest = pathTo(e.value, target, depth + 1);
    if (rest) return [k, ...rest];
  }
  return undefined;
}

function hasImports(v: NixValue | undefined): boolean {
  const a = asAttrs(v);
  return !!a && a.entries.has('imports');
}

export function buildClanModel(src: ClanSources): ClanModel {
  const files = uniqueFiles([src.clanFile, ...src.machineFiles, src.inventoryJson,
    ...(src.fragments ?? []).map((f) => f.file), ...(src.files ?? [])]);
  const merged = src.fragments ? mergeFragments(src.fragments, new Map(files.map((f) => [f.uri, f]))) : undefined;
  const machineFiles = merged ? [...src.machineFiles, ...merged.machineModules] : src.machineFiles;
  const model: ClanModel = {
    dir: src.dir, files, machines: new Map(), machinesComplete: true, tagsComplete: true, instances: [],
    instancesComplete: true, legacyServices: [], meta: {}, duplicateSettings: [...merged?.duplicateSettings ?? []],
    lone: src.lone === true,
    ...(src.flakeLock && readClanCoreVersion(src.flakeLock.text) ? { clanCore: readClanCoreVersion(src.flakeLock.text)! } : {}),
    anchors: (src.fragments ?? []).map((f) => {
      const filePath = pathTo(f.file.root, f.value);
      return { uri: f.file.uri, range: f.value.range, path: f.path, ...(filePath ? { filePath } : {}) };
    }),
  };
  if (src.clanFile) model.clanFile = src.clanFile;
  const root = merged ? merged.root : asAttrs(src.clanFile?.root);
  if ((src.clanFile || merged) && (!root || root.dynamicKeys || root.entries.has('imports') || src.clanFile?.syntaxProblems.length)) {
    model.machinesComplete = model.tagsComplete = model.instancesComplete = false;
  }
  for (const u of [...(merged?.unknowns ?? []), ...(src.unknowns ?? [])]) {
    // meta is only read where it is written; instances are independent of machines and tags.
    if (u.path[0] === 'meta') continue;
    if (u.path[0] === 'inventory' && u.path[1] === 'instances') model.instancesComplete = false;
    else model.machinesComplete = model.tagsComplete = model.instancesComplete = false;
  }
  if (root) model.root = root;

  const getMachine = (name: string): Machine => {
    let m = model.machines.get(name);
    if (!m) {
      m = {
        name, decls: [], tags: [], tagsOpaque: false, machineClass: 'nixos', configs: [], configComplete: true,
        states: [], statesOpaque: false, postgresql: [],
      };
      model.machines.set(name, m);
    }
    return m;
  };

  // meta: top-level `meta`, or the inventory's (older layout).
  const metaName = getPath(root, ['meta', 'name']) ?? getPath(root, ['inventory', 'meta', 'name'])
    ?? getPath(src.inventoryJson?.root, ['meta', 'name']);
  const metaDomain = getPath(root, ['meta', 'domain']) ?? getPath(root, ['inventory', 'meta', 'domain'])
    ?? getPath(src.inventoryJson?.root, ['meta', 'domain']);
  if (metaName) model.meta.name = metaName;
  if (metaDomain) model.meta.domain = metaDomain;

  const inventories: AttrEntry[] = [];
  const inventoryEntry = root?.entries.get('inventory');
  if (inventoryEntry) {
    model.inventory = inventoryEntry;
    inventories.push(inventoryEntry);
    const inv = asAttrs(inventoryEntry.value);
    if (!inv || inv.dynamicKeys || inv.entries.has('imports')) {
      model.machinesComplete = model.tagsComplete = model.instancesComplete = false;
    }
  }
  if (src.inventoryJson) {
    const jsonRoot = src.inventoryJson.root;
    inventories.push({ name: 'inventory', keyRange: jsonRoot.range, value: jsonRoot });
    if (src.inventoryJson.syntaxProblems.length) {
      model.machinesComplete = model.tagsComplete = model.instancesComplete = false;
    }
  }

  // Machines and their tags.
  for (const invEntry of inventories) {
    const inv = asAttrs(invEntry.value);
    if (!inv) continue;
    const fromJson = invEntry.value.uri === src.inventoryJson?.uri;
    const services = inv.entries.get('services');
    if (services) {
      model.legacyServices.push(services);
      // Removed from clan-core (an error of its own), but what it meant, such as borgbackup clients, is not read.
      model.instancesComplete = false;
    }
    const machinesEntry = inv.entries.get('machines');
    if (machinesEntry) {
      const machines = asAttrs(machinesEntry.value);
      if (!machines || machines.dynamicKeys) {
        model.machinesComplete = model.tagsComplete = false;
      }
      if (machines && !fromJson && !machines.implicit) model.inventoryMachines ??= machines;
      for (const [name, e] of machines?.entries ?? []) {
        const m = getMachine(name);
        m.decls.push({ source: fromJson ? 'inventory-json' : 'inventory', ref: ref(e.value.uri, e.keyRange), value: e.value });
        const body = asAttrs(e.value);
        if (!body) {
          m.tagsOpaque = true;
          model.tagsComplete = false;
          continue;
        }
        const tags = body.entries.get('tags');
        if (tags) {
          if (tags.value.kind === 'list') {
            for (const t of tags.value.items) {
              if (t.kind === 'string' && t.value !== undefined) m.tags.push({ name: t.value, ref: ref(t.uri, t.range) });
              else {
                m.tagsOpaque = true;
                model.tagsComplete = false;
              }
            }
          } else {
            m.tagsOpaque = true;
            model.tagsComplete = false;
          }
        }
        const cls = body.entries.get('machineClass');
        if (cls && cls.value.kind === 'string' && (cls.value.value === 'darwin' || cls.value.value === 'nixos')) {
          m.machineClass = cls.value.value;
          m.classRef = ref(cls.value.uri, cls.value.range);
        }
      }
    }
    // inventory.tags: `tags.foo = [ "a" "b" ]` adds tag foo to those machines; a function hides every tag.
    const tagsEntry = inv.entries.get('tags');
    if (tagsEntry) {
      const tags = tagsEntry.value.kind === 'attrs' ? tagsEntry.value : undefined;
      if (!tags || tags.dynamicKeys) model.tagsComplete = false;
      for (const [tag, e] of tags?.entries ?? []) {
        if (e.value.kind !== 'list') {
          model.tagsComplete = false;
          continue;
        }
        for (const item of e.value.items) {
          if (item.kind === 'string' && item.value !== undefined) {
            getMachine(item.value).tags.push({ name: tag, ref: ref(e.value.uri, e.keyRange) });
          } else model.tagsComplete = false;
        }
      }
    }
  }

  // Top-level `machines.<m>`: NixOS modules (and a declaration of the machine).
  const topMachines = root?.entries.get('machines');
  if (topMachines) {
    const attrs = asAttrs(topMachines.value);
    if (!attrs || attrs.dynamicKeys) model.machinesComplete = false;
    for (const [name, e] of attrs?.entries ?? []) {
      const m = getMachine(name);
      m.decls.push({ source: 'machines', ref: ref(e.value.uri, e.keyRange) });
      m.configs.push(e.value);
    }
  }
  for (const dir of src.machineDirs) {
    const m = getMachine(dir.name);
    m.decls.push({ source: 'directory', ref: ref(dir.uri, { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }) });
  }
  for (const f of machineFiles) {
    if (f.machine === undefined) continue;
    const m = getMachine(f.machine);
    m.configs.push(f.root);
    if (f.syntaxProblems.length) m.configComplete = false;
  }
  // Tags of machines named only in inventory.tags do not declare machines.
  for (const [name, m] of model.machines) if (m.decls.length === 0 && m.configs.length === 0) model.machines.delete(name);

  for (const m of model.machines.values()) readMachineConfig(m);

  // Instances.
  for (const invEntry of inventories) {
    const inv = asAttrs(invEntry.value);
    const instancesEntry = inv?.entries.get('instances');
    if (!instancesEntry) continue;
    const instances = asAttrs(instancesEntry.value);
    if (!instances || instances.dynamicKeys) model.instancesComplete = false;
    for (const [name, e] of instances?.entries ?? []) {
      const inst = readInstance(name, e);
      const same = model.instances.find((i) => i.name === name);
      if (same) joinInstance(model, same, inst);
      else model.instances.push(inst);
    }
  }
  markExtraModules(model);
  return model;
}

/**
 * `roles.<r>.extraModules` (and a member's own) are NixOS modules of the role's members that the model does not
 * read: such a member's configuration is not fully visible (its states, PostgreSQL databases, PATHs may be set there).
 */
function markExtraModules(model: ClanModel): void {
  const hasExtra = (v: NixValue | undefined) => v !== undefined && !(v.kind === 'list' && v.items.length === 0);
  const mark = (name: string) => {
    const m = model.machines.get(name);
    if (!m) return;
    m.configComplete = false;
    m.statesOpaque = true;
  };
  for (const inst of model.instances) {
    for (const role of inst.roles) {
      // Role members are resolved (tags and all) only for a role that has extraModules: most have none.
      if (hasExtra(role.attrs?.entries.get('extraModules')?.value)) {
        for (const name of roleMembers(model, role).members.keys()) mark(name);
      }
      for (const m of role.machines) if (hasExtra(asAttrs(m.entry?.value)?.entries.get('extraModules')?.value)) mark(m.name);
    }
  }
}

/**
 * An instance written both in clan.nix and in inventory.json is one instance to clan-core (the inventories merge):
 * its roles' members and tags join the first definition's roles. A settings slot set in both is a definition twice,
 * which clan-core rejects (noted for settings-defined-twice; the first definition's settings are kept).
 */
function joinInstance(model: ClanModel, into: Instance, other: Instance): void {
  if (other.rolesOpaque) into.rolesOpaque = true;
  for (const role of other.roles) {
    const mine = findRole(into, role.name);
    if (!mine) {
      into.roles.push(role);
      continue;
    }
    const base = ['inventory', 'instances', into.name, 'roles', role.name];
    const twice = (path: string[], a: Ref | undefined, b: Ref | undefined) => {
      if (a && b) model.duplicateSettings.push({ path: [...base, ...path], refs: [a, b] });
    };
    const settingsRef = (r: Role) => (r.settings && r.settingsEntry ? ref(r.settings.uri, r.settingsEntry.keyRange) : undefined);
    twice(['settings'], settingsRef(mine), settingsRef(role));
    if (!mine.settings && role.settings) {
      mine.settings = role.settings;
      if (role.settingsEntry) mine.settingsEntry = role.settingsEntry;
    }
    for (const m of role.machines) {
      const prev = mine.machines.find((x) => x.name === m.name);
      if (prev) twice(['machines', m.name, 'settings'], prev.settings && ref(prev.settings.uri, prev.settings.range), m.settings && ref(m.settings.uri, m.settings.range));
      if (!prev) mine.machines.push(m);
      else if (!prev.settings && m.settings) prev.settings = m.settings;
    }
    for (const t of role.tags) {
      const prev = mine.tags.find((x) => x.name === t.name);
      if (prev) twice(['tags', t.name, 'settings'], prev.settings && ref(prev.settings.uri, prev.settings.range), t.settings && ref(t.settings.uri, t.settings.range));
      if (!prev) mine.tags.push(t);
      else if (!prev.settings && t.settings) prev.settings = t.settings;
    }
    if (role.tagsOpaque) mine.tagsOpaque = true;
    if (role.machinesForm === 'opaque' || role.machinesForm === 'list') mine.machinesForm = role.machinesForm;
    else if (mine.machinesForm === 'absent') mine.machinesForm = role.machinesForm;
  }
}

function readMachineConfig(m: Machine): void {
  if (m.configs.length === 0) {
    // Only declared in the inventory: the machine's NixOS config lives somewhere we do not see.
    m.configComplete = false;
    return;
  }
  for (const config of m.configs) {
    const attrs = asAttrs(config);
    if (!attrs || attrs.dynamicKeys || hasImports(config)) {
      m.configComplete = false;
      m.statesOpaque = true;
    }
    if (!attrs) continue;
    // A module may put its definitions under `config` (when it also declares `options`).
    const views = [attrs, asAttrs(attrs.entries.get('config')?.value)].filter((a): a is AttrsValue => !!a);
    for (const view of views) {
      const clan = asAttrs(view.entries.get('clan')?.value);
      if (view.entries.has('clan') && !clan) m.statesOpaque = true;
      const core = clan ? asAttrs(clan.entries.get('core')?.value) : undefined;
      if (clan?.entries.has('core') && !core) m.statesOpaque = true;
      if (!core) continue;
      const stateEntry = core.entries.get('state');
      if (stateEntry) {
        const states = asAttrs(stateEntry.value);
        if (!states || states.dynamicKeys) m.statesOpaque = true;
        for (const [name, e] of states?.entries ?? []) {
          const s: State = { name, machine: m.name, keyRef: ref(e.value.uri, e.keyRange), value: e.value, parent: states! };
          const a = asAttrs(e.value);
          if (a) s.attrs = a;
          else m.statesOpaque = true;
          m.states.push(s);
        }
      }
      const pgEntry = core.entries.get('postgresql');
      if (pgEntry) {
        const pg = asAttrs(pgEntry.value);
        if (!pg) {
          m.statesOpaque = true;
          continue;
        }
        const cfg: PostgresConfig = { machine: m.name, attrs: pg, keyRef: ref(pg.uri, pgEntry.keyRange) };
        const enable = pg.entries.get('enable');
        if (enable) cfg.enable = enable.value;
        const dbs = pg.entries.get('databases');
        if (dbs) cfg.databases = dbs;
        m.postgresql.push(cfg);
      }
    }
  }
}

function readInstance(name: string, entry: AttrEntry): Instance {
  const attrs = asAttrs(entry.value);
  const inst: Instance = {
    name, ref: ref(entry.value.uri, entry.keyRange), entry, resolvedModule: undefined, isBorgbackup: false, isLocalbackup: false,
    isBuiltin: false, roles: [], rolesOpaque: !attrs || attrs.dynamicKeys,
  };
  if (attrs) inst.attrs = attrs;
  const moduleName = getPath(attrs, ['module', 'name']);
  const moduleInput = getPath(attrs, ['module', 'input']);
  const moduleEntry = attrs?.entries.get('module');
  const moduleReadable = !moduleEntry || (asAttrs(moduleEntry.value) && !asAttrs(moduleEntry.value)!.dynamicKeys);
  if (moduleName) {
    inst.moduleName = {
      value: moduleName.value.kind === 'string' ? moduleName.value.value : undefined,
      ref: ref(moduleName.value.uri, moduleName.value.range),
    };
  }
  if (moduleInput) {
    const v = moduleInput.value;
    inst.moduleInput = {
      value: v.kind === 'null' ? null : v.kind === 'string' ? v.value : undefined,
      ref: ref(v.uri, v.range),
    };
  }
  if (moduleReadable) {
    const resolvedName = moduleName ? inst.moduleName?.value : name;
    const input = moduleInput ? inst.moduleInput?.value : null;
    if (resolvedName !== undefined && input !== undefined) {
      inst.resolvedModule = resolvedName;
      // `input` names the flake input that holds clan-core in some clans ("clan-core", "clan"): same modules.
      const fromClanCore = input === null || input === 'clan-core' || input === 'clan';
      inst.isBuiltin = fromClanCore && BUILTIN_MODULES.includes(resolvedName);
      inst.isBorgbackup = fromClanCore && resolvedName === 'borgbackup';
      inst.isLocalbackup = fromClanCore && resolvedName === 'localbackup';
    }
  }
  const rolesEntry = attrs?.entries.get('roles');
  const roles = asAttrs(rolesEntry?.value);
  if (rolesEntry && (!roles || roles.dynamicKeys)) inst.rolesOpaque = true;
  for (const [roleName, e] of roles?.entries ?? []) inst.roles.push(readRole(roleName, e));
  return inst;
}

function readRole(name: string, entry: AttrEntry): Role {
  const attrs = asAttrs(entry.value);
  const role: Role = {
    name, ref: ref(entry.value.uri, entry.keyRange), entry, machines: [], machinesForm: 'absent', tags: [],
    tagsOpaque: !attrs || attrs.dynamicKeys,
  };
  if (!attrs) {
    role.machinesForm = 'opaque';
    return role;
  }
  role.attrs = attrs;
  const machines = attrs.entries.get('machines');
  if (machines) {
    role.machinesValue = machines.value;
    if (machines.value.kind === 'list') role.machinesForm = 'list';
    else {
      const m = asAttrs(machines.value);
      role.machinesForm = m && !m.dynamicKeys ? 'attrs' : 'opaque';
      for (const [mName, me] of m?.entries ?? []) {
        const member: RoleMemberRef = { name: mName, ref: ref(me.value.uri, me.keyRange), entry: me };
        const settings = getPath(me.value, ['settings']);
        if (settings) member.settings = settings.value;
        else if (!asAttrs(me.value)) member.settings = me.value;
        role.machines.push(member);
      }
    }
  }
  const tags = attrs.entries.get('tags');
  if (tags) {
    if (tags.value.kind === 'list') {
      for (const t of tags.value.items) {
        if (t.kind === 'string' && t.value !== undefined) role.tags.push({ name: t.value, ref: ref(t.uri, t.range) });
        else role.tagsOpaque = true;
      }
    } else {
      const t = asAttrs(tags.value);
      if (!t || t.dynamicKeys) role.tagsOpaque = true;
      for (const [tName, te] of t?.entries ?? []) {
        const tagRef: RoleTagRef = { name: tName, ref: ref(te.value.uri, te.keyRange) };
        const settings = getPath(te.value, ['settings']);
        if (settings) tagRef.settings = settings.value;
        role.tags.push(tagRef);
      }
    }
  }
  const settings = attrs.entries.get('settings');
  if (settings) {
    role.settings = settings.value;
    role.settingsEntry = settings;
  }
  const config = attrs.entries.get('config');
  if (config) role.legacyConfig = config;
  return role;
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
    index.set('nixos', all.filter((m) => m.machineClass === 'nixos'));
    index.set('darwin', all.filter((m) => m.machineClass === 'darwin'));
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
  const complete = (role.machinesForm === 'attrs' || role.machinesForm === 'absent') && !role.tagsOpaque
    && (role.tags.length === 0 || (model.tagsComplete && model.machinesComplete));
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
    const stateRoles = builtin ? STATE_ROLES[inst.resolvedModule!] ?? [] : undefined;
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
