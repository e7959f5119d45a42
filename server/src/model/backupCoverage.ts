// What a backup client machine does not back up: data directories of the NixOS services it enables that no folder
// of its states covers, and databases of those services that no `clan.core.postgresql` dump covers. Clan backs up
// only `clan.core.state.<name>.folders`, so such data is in no archive, and every job still succeeds.
//
// Quiet rather than wrong: only machines whose whole configuration is visible, only services enabled literally,
// only directories that are literal (or the module's default), and no answer at all while a state's folders or
// another service's states cannot be seen.
import type { ClanModel, Machine } from './clanModel';
import { findRole, mayGetStateFromServices, roleMembers } from './clanModel';
import { asAttrs, getPath, NixValue } from './nixValue';
import { NIXOS_SERVICES, ServiceFacts } from './nixosServices';

export interface UncoveredService {
  machine: string;
  service: ServiceFacts;
  /** The `services.<x>.enable` value the finding is reported on. */
  enable: NixValue;
  /** The machine module that enables it: where a fix adds the state. */
  config: NixValue;
  /** Data directories no state folder covers. */
  dirs: string[];
  /** The PostgreSQL database of the service when no `clan.core.postgresql` dump covers it. */
  database?: string;
}

export interface Coverage {
  uncovered: UncoveredService[];
}

/**
 * The backup providers a machine is a client of: clan-core's borgbackup (role `client`) and localbackup (its only
 * role, `default`: clanServices/localbackup/default.nix). Undefined when membership cannot be known.
 */
export function backupProviders(model: ClanModel, machine: string): string[] | undefined {
  const out = new Set<string>();
  for (const inst of model.instances) {
    const roleName = inst.isBorgbackup ? 'client' : inst.isLocalbackup ? 'default' : undefined;
    if (!roleName) continue;
    if (inst.rolesOpaque) return undefined;
    const { members, complete } = roleMembers(model, findRole(inst, roleName));
    if (members.has(machine)) out.add(inst.resolvedModule!);
    else if (!complete) return undefined;
  }
  return [...out];
}

/** One option of `services.<x>` across the machine's modules: its value, 'unset', or 'unknown'. */
function optionValue(configs: NixValue[], service: string, option: string[]): NixValue | 'unset' | 'unknown' {
  let found: NixValue | undefined;
  for (const c of configs) {
    const path = ['services', service, ...option];
    // Every attrset on the way must be readable: a computed one may hold the option.
    let cur: NixValue | undefined = c;
    for (let i = 0; i < path.length && cur; i++) {
      const attrs = asAttrs(cur);
      if (!attrs) return 'unknown';
      if (attrs.dynamicKeys) return 'unknown';
      cur = attrs.entries.get(path[i]!)?.value;
    }
    if (cur) {
      if (found) return 'unknown';
      found = cur;
    }
  }
  return found ?? 'unset';
}

function literalString(v: NixValue): string | undefined {
  return v.kind === 'string' ? v.value : undefined;
}

function normalise(path: string): string {
  const p = path.replace(/\/+/g, '/');
  return p.length > 1 ? p.replace(/\/$/, '') : p;
}

/** `/var/lib/private/x` and `/var/lib/x` are one place for a DynamicUser service. */
function places(dir: string, dynamicUser: boolean): string[] {
  if (!dynamicUser) return [dir];
  if (dir.startsWith('/var/lib/private/')) return [dir, `/var/lib/${dir.slice('/var/lib/private/'.length)}`];
  if (dir.startsWith('/var/lib/')) return [dir, `/var/lib/private/${dir.slice('/var/lib/'.length)}`];
  return [dir];
}

function covers(folder: string, dir: string): boolean {
  return folder === '/' || dir === folder || dir.startsWith(`${folder}/`);
}

/**
 * The service's data directories as literal paths, each with the options that name it (a folder written
 * `config.services.<x>.<option>` covers exactly that directory); undefined when one cannot be known.
 */
function dataDirs(m: Machine, s: ServiceFacts): Array<{ dir: string; options: string[] }> | undefined {
  const resolved = new Map<string, string>();
  const out: Array<{ dir: string; options: string[] }> = [];
  for (const d of s.dirs) {
    let dir: string | undefined;
    const v = d.option ? optionValue(m.configs, s.name, d.option) : 'unset';
    if (v === 'unknown') return undefined;
    if (v !== 'unset') {
      dir = literalString(v);
      if (dir === undefined) return undefined;
    } else if (typeof d.default === 'string') dir = d.default;
    else {
      dir = resolved.get(d.default.sameAs.join('.'));
      if (dir === undefined) return undefined;
    }
    if (d.relativeToVarLib && !dir.startsWith('/')) dir = `/var/lib/${dir}`;
    if (!dir.startsWith('/')) return undefined;
    dir = normalise(dir);
    if (d.option) resolved.set(d.option.join('.'), dir);
    const option = d.option ? `${s.name}.${d.option.join('.')}` : undefined;
    const known = out.find((x) => x.dir === dir);
    if (known) {
      if (option) known.options.push(option);
    } else out.push({ dir, options: option ? [option] : [] });
  }
  return out;
}

/** Literal state folders, and the options of services they name (`config.services.nextcloud.home`); undefined when unknowable. */
function stateFolders(m: Machine): { folders: string[]; options: Set<string> } | undefined {
  if (m.statesOpaque) return undefined;
  const folders: string[] = [];
  const options = new Set<string>();
  for (const s of m.states) {
    const f = s.attrs?.entries.get('folders')?.value;
    if (!s.attrs || s.attrs.dynamicKeys || !f || f.kind !== 'list') return undefined;
    for (const item of f.items) {
      if (item.kind === 'string' && item.value !== undefined) {
        // borg reads a relative folder from `/`; an empty one names nothing.
        const f = item.value.replace(/^\.\//, '');
        if (f) folders.push(normalise(f.startsWith('/') ? f : `/${f}`));
      } else if (
        item.kind === 'opaque' &&
        /^config\.services\.[\w-]+(\.[\w-]+)+$/.test(item.text.replace(/\s+/g, ''))
      ) {
        // `config.services.<x>.<option>` is exactly that option's value: it covers that directory.
        options.add(item.text.replace(/\s+/g, '').slice('config.services.'.length));
      } else return undefined;
    }
  }
  return { folders, options };
}

/** Databases `clan.core.postgresql` dumps on the machine (by database name); undefined when unknowable. */
function dumpedDatabases(m: Machine): Set<string> | undefined {
  const out = new Set<string>();
  for (const pg of m.postgresql) {
    if (!pg.databases) continue;
    const dbs = asAttrs(pg.databases.value);
    if (!dbs || dbs.dynamicKeys) return undefined;
    for (const [key, e] of dbs.entries) {
      const name = asAttrs(e.value)?.entries.get('name')?.value;
      if (name && literalString(name) === undefined) return undefined;
      out.add(name ? literalString(name)! : key);
    }
  }
  return out;
}

function databaseOf(m: Machine, s: ServiceFacts): string | undefined | 'unknown' {
  const db = s.database;
  if (!db) return undefined;
  if (db.hostOption) {
    // A database on another host is not this machine's to dump.
    const host = optionValue(m.configs, s.name, db.hostOption);
    if (host === 'unknown') return 'unknown';
    if (host !== 'unset') {
      const h = literalString(host);
      if (h === undefined) return 'unknown';
      if (!h.startsWith('/') && h !== 'localhost' && h !== '127.0.0.1' && h !== '::1') return undefined;
    }
  }
  if (db.when) {
    const v = optionValue(m.configs, s.name, db.when.option);
    if (v === 'unknown') return 'unknown';
    if (v === 'unset') {
      if (!db.when.isDefault) return undefined;
    } else if ((v.kind === 'string' || v.kind === 'bool') && v.value !== undefined) {
      if (v.value !== db.when.equals) return undefined;
    } else return 'unknown';
  }
  if (!db.nameOption) return db.name;
  const name = optionValue(m.configs, s.name, db.nameOption);
  if (name === 'unset') return db.name;
  if (name === 'unknown') return 'unknown';
  return literalString(name) ?? 'unknown';
}

const cache = new WeakMap<ClanModel, Coverage>();

/** The data each backup client leaves out, for every machine whose configuration can be judged. */
export function backupCoverage(model: ClanModel): Coverage {
  const hit = cache.get(model);
  if (hit) return hit;
  const uncovered: UncoveredService[] = [];
  for (const m of model.machines.values()) {
    if (m.machineClass !== 'nixos' || !m.configComplete) continue;
    // Cheapest first: most machines enable none of the services known here.
    const enabled = NIXOS_SERVICES.filter((s) => m.configs.some((c) => getPath(c, ['services', s.name]) !== undefined));
    if (enabled.length === 0) continue;
    if (!backupProviders(model, m.name)?.length) continue;
    // A service of unknown kind may add states of its own that would cover the data.
    if (mayGetStateFromServices(model, m.name)) continue;
    const states = stateFolders(m);
    if (!states) continue;
    const dumped = dumpedDatabases(m);
    for (const s of enabled) {
      const found = enabledIn(m, s.name);
      if (!found) continue;
      const dirs = dataDirs(m, s);
      if (!dirs) continue;
      const missing = dirs
        .filter(
          ({ dir, options }) =>
            !options.some((o) => states.options.has(o)) &&
            !places(dir, s.dynamicUser === true).some((p) => states.folders.some((f) => covers(f, p))),
        )
        .map((d) => d.dir);
      const db = databaseOf(m, s);
      if (db === 'unknown') continue;
      const database = db !== undefined && dumped && !dumped.has(db) ? db : undefined;
      if (db !== undefined && !dumped) continue;
      if (missing.length === 0 && database === undefined) continue;
      const u: UncoveredService = {
        machine: m.name,
        service: s,
        enable: found.enable,
        config: found.config,
        dirs: missing,
      };
      if (database !== undefined) u.database = database;
      uncovered.push(u);
    }
  }
  const result = { uncovered };
  cache.set(model, result);
  return result;
}

/** `services.<name>.enable = true` (literal, perhaps wrapped in mkDefault/mkForce) in one of the machine's modules. */
function enabledIn(m: Machine, name: string): { enable: NixValue; config: NixValue } | undefined {
  let found: { enable: NixValue; config: NixValue } | undefined;
  for (const config of m.configs) {
    const e = getPath(config, ['services', name, 'enable'])?.value;
    if (!e) continue;
    // Another definition that is not a literal `true` may turn it off (or conflict): nothing is claimed.
    if (e.kind !== 'bool' || e.value !== true) return undefined;
    found ??= { enable: e, config };
  }
  return found;
}
