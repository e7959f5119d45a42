// Builds the clan model (clanModel.ts) from the sources: the merged clan fragments, machine files and
// inventory.json; each instance and role read with its source ranges, and what cannot be read marked incomplete.

import { readClanCoreVersion } from './clanCoreVersion';
import { mergeFragments } from './clanFragments';
import {
  BUILTIN_MODULES,
  ClanModel,
  ClanSources,
  findRole,
  Instance,
  Machine,
  PostgresConfig,
  Ref,
  Role,
  RoleMemberRef,
  RoleTagRef,
  roleMembers,
  State,
} from './clanModel';
import { AttrEntry, AttrsValue, asAttrs, getPath, NixValue } from './nixValue';
import type { Range } from './range';
import type { SourceFile } from './sourceFile';

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
  const files = uniqueFiles([
    src.clanFile,
    ...src.machineFiles,
    src.inventoryJson,
    ...(src.fragments ?? []).map((f) => f.file),
    ...(src.files ?? []),
  ]);
  const merged = src.fragments ? mergeFragments(src.fragments, new Map(files.map((f) => [f.uri, f]))) : undefined;
  const machineFiles = merged ? [...src.machineFiles, ...merged.machineModules] : src.machineFiles;
  const model: ClanModel = {
    dir: src.dir,
    files,
    machines: new Map(),
    machinesComplete: true,
    tagsComplete: true,
    instances: [],
    instancesComplete: true,
    legacyServices: [],
    meta: {},
    duplicateSettings: [...(merged?.duplicateSettings ?? [])],
    lone: src.lone === true,
    ...(src.flakeLock && readClanCoreVersion(src.flakeLock.text)
      ? { clanCore: readClanCoreVersion(src.flakeLock.text)! }
      : {}),
    anchors: (src.fragments ?? []).map((f) => {
      const filePath = pathTo(f.file.root, f.value);
      return { uri: f.file.uri, range: f.value.range, path: f.path, ...(filePath ? { filePath } : {}) };
    }),
  };
  if (src.clanFile) model.clanFile = src.clanFile;
  const root = merged ? merged.root : asAttrs(src.clanFile?.root);
  if (
    (src.clanFile || merged) &&
    (!root || root.dynamicKeys || root.entries.has('imports') || src.clanFile?.syntaxProblems.length)
  ) {
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
        name,
        decls: [],
        tags: [],
        tagsOpaque: false,
        machineClass: 'nixos',
        configs: [],
        configComplete: true,
        states: [],
        statesOpaque: false,
        postgresql: [],
      };
      model.machines.set(name, m);
    }
    return m;
  };

  // meta: top-level `meta`, or the inventory's (older layout).
  const metaName =
    getPath(root, ['meta', 'name']) ??
    getPath(root, ['inventory', 'meta', 'name']) ??
    getPath(src.inventoryJson?.root, ['meta', 'name']);
  const metaDomain =
    getPath(root, ['meta', 'domain']) ??
    getPath(root, ['inventory', 'meta', 'domain']) ??
    getPath(src.inventoryJson?.root, ['meta', 'domain']);
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
        m.decls.push({
          source: fromJson ? 'inventory-json' : 'inventory',
          ref: ref(e.value.uri, e.keyRange),
          value: e.value,
        });
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
              if (t.kind === 'string' && t.value !== undefined)
                m.tags.push({ name: t.value, ref: ref(t.uri, t.range) });
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
    m.decls.push({
      source: 'directory',
      ref: ref(dir.uri, { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }),
    });
  }
  for (const f of machineFiles) {
    if (f.machine === undefined) continue;
    const m = getMachine(f.machine);
    m.configs.push(f.root);
    if (f.syntaxProblems.length) m.configComplete = false;
  }
  // Tags of machines named only in inventory.tags do not declare machines.
  for (const [name, m] of model.machines)
    if (m.decls.length === 0 && m.configs.length === 0) model.machines.delete(name);

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
      for (const m of role.machines)
        if (hasExtra(asAttrs(m.entry?.value)?.entries.get('extraModules')?.value)) mark(m.name);
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
    const settingsRef = (r: Role) =>
      r.settings && r.settingsEntry ? ref(r.settings.uri, r.settingsEntry.keyRange) : undefined;
    twice(['settings'], settingsRef(mine), settingsRef(role));
    if (!mine.settings && role.settings) {
      mine.settings = role.settings;
      if (role.settingsEntry) mine.settingsEntry = role.settingsEntry;
    }
    for (const m of role.machines) {
      const prev = mine.machines.find((x) => x.name === m.name);
      if (prev)
        twice(
          ['machines', m.name, 'settings'],
          prev.settings && ref(prev.settings.uri, prev.settings.range),
          m.settings && ref(m.settings.uri, m.settings.range),
        );
      if (!prev) mine.machines.push(m);
      else if (!prev.settings && m.settings) prev.settings = m.settings;
    }
    for (const t of role.tags) {
      const prev = mine.tags.find((x) => x.name === t.name);
      if (prev)
        twice(
          ['tags', t.name, 'settings'],
          prev.settings && ref(prev.settings.uri, prev.settings.range),
          t.settings && ref(t.settings.uri, t.settings.range),
        );
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
          const s: State = {
            name,
            machine: m.name,
            keyRef: ref(e.value.uri, e.keyRange),
            value: e.value,
            parent: states!,
          };
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
    name,
    ref: ref(entry.value.uri, entry.keyRange),
    entry,
    resolvedModule: undefined,
    isBorgbackup: false,
    isLocalbackup: false,
    isBuiltin: false,
    roles: [],
    rolesOpaque: !attrs || attrs.dynamicKeys,
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
    name,
    ref: ref(entry.value.uri, entry.keyRange),
    entry,
    machines: [],
    machinesForm: 'absent',
    tags: [],
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
