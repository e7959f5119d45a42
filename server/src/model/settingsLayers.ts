// The settings of a borgbackup role come from three layers of equal priority (clan-core lib/inventory/distributed-service/service-module.nix evaluates them as one module):
// `roles.<r>.settings`, `roles.<r>.tags.<t>.settings` and `roles.<r>.machines.<m>.settings`. This module lists them
// and projects literal values to plain JSON for schema validation.
import { ClanModel, Instance, Role } from './clanModel';
import { asAttrs, NixValue } from './nixValue';

export interface SettingsLayer {
  inst: Instance;
  role: Role;
  layer: 'role' | 'tag' | 'machine';
  /** The tag or machine name for tag and machine layers. */
  owner?: string;
  value: NixValue;
}

const layerCache = new WeakMap<Instance, SettingsLayer[]>();

export function settingsLayers(inst: Instance): SettingsLayer[] {
  const cached = layerCache.get(inst);
  if (cached) return cached;
  const out: SettingsLayer[] = [];
  layerCache.set(inst, out);
  for (const role of inst.roles) {
    if (role.settings) out.push({ inst, role, layer: 'role', value: role.settings });
    for (const t of role.tags) if (t.settings) out.push({ inst, role, layer: 'tag', owner: t.name, value: t.settings });
    for (const m of role.machines) {
      if (m.settings) out.push({ inst, role, layer: 'machine', owner: m.name, value: m.settings });
    }
  }
  return out;
}

/** The layers that apply to one member machine of a role, in the order role, tags, machine. */
export function layersForMember(model: ClanModel, inst: Instance, role: Role, machine: string): SettingsLayer[] {
  const tags = new Set(model.machines.get(machine)?.tags.map((t) => t.name));
  const cls = model.machines.get(machine)?.machineClass;
  return settingsLayers(inst).filter((l) => {
    if (l.role !== role) return false;
    if (l.layer === 'role') return true;
    if (l.layer === 'machine') return l.owner === machine;
    const tag = l.owner!;
    return tag === 'all'
      ? model.machines.has(machine)
      : tag === 'nixos' || tag === 'darwin'
        ? cls === tag
        : tags.has(tag);
  });
}

/**
 * Plain JSON of the literal parts of a value. Anything not literal (opaque, interpolated strings, functions, paths)
 * is left out, so a schema sees only what the source states; callers must not read "missing" into what was left out.
 */
export function literalJson(v: NixValue): unknown {
  switch (v.kind) {
    case 'string':
      return v.value;
    case 'int':
    case 'float':
    case 'bool':
      return v.value;
    case 'null':
      return null;
    case 'list':
      return v.items.filter(isLiteral).map(literalJson);
    case 'attrs': {
      const o: Record<string, unknown> = {};
      for (const [k, e] of v.entries) if (isLiteral(e.value)) o[k] = literalJson(e.value);
      return o;
    }
    default:
      return undefined;
  }
}

export function isLiteral(v: NixValue): boolean {
  if (v.kind === 'opaque' || v.kind === 'function' || v.kind === 'path') return false;
  if (v.kind === 'string') return v.value !== undefined;
  return true;
}

/** The value at a JSON path inside a Nix value (attrs keys and list indices), if it is there. */
export function valueAt(v: NixValue, path: ReadonlyArray<PropertyKey>): NixValue | undefined {
  let cur: NixValue | undefined = v;
  for (const key of path) {
    if (!cur) return undefined;
    if (cur.kind === 'list' && typeof key === 'number') {
      cur = cur.items.filter(isLiteral)[key];
    } else {
      const a = asAttrs(cur);
      cur = a?.entries.get(String(key))?.value;
    }
  }
  return cur;
}
