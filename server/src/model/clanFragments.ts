// A clan is not always one clan.nix: it may be the argument of `clan-core.lib.clan { ... }` in flake.nix, a
// flake-parts `clan = { ... }` / `flake.clan = { ... }` spread over several files, inventory pieces joined with
// `recursiveUpdate` or `//`, and machine modules pulled in through `imports`. This module finds those definitions in
// a parsed file and turns them into *fragments* (a value and where in the clan it sits), following literal
// `import ./x.nix` / `imports = [ ./x.nix ]` and merging literal `//` / `recursiveUpdate`. Nothing is evaluated:
// whatever cannot be followed stays opaque (or keeps its `imports` entry), which the model reads as "incomplete".
// Pure apart from the FileLoader the caller passes in (the loader and the index do the reading).

import { AttrEntry, AttrsValue, asAttrs, NixValue } from './nixValue';
import { Range } from './range';
import type { SourceFile } from './sourceFile';

/** A piece of a clan: `value` sits at `path` of the clan (`[]`: a whole clan module). */
export interface ClanFragment {
  /**
   * `[]` a clan module (`lib.clan`'s argument, a flake-parts `clan` value, clan.nix); `['inventory']` an inventory
   * module; `['machines', m]` one NixOS module of machine m (an import or machines/<m>/configuration.nix: it adds
   * configuration, it does not declare the machine). Any other path is merged into the clan as an attrset.
   */
  path: string[];
  value: NixValue;
  file: SourceFile;
}

/** Something at `path` of the clan that the analysis cannot see; the model turns it into incompleteness. */
export interface ClanUnknown {
  path: string[];
  reason: string;
  uri: string;
  range: Range;
}

// ---- merging fragments into one clan ----

export interface MergedClan {
  root: AttrsValue;
  /** Machine modules beside the clan's own `machines.<m>` values (imports, configuration.nix, a second definition). */
  machineModules: SourceFile[];
  unknowns: ClanUnknown[];
  /** Settings slots defined by more than one fragment (each definition's key), which clan-core rejects. */
  duplicateSettings: SettingsDefinitions[];
}

/** A settings slot (`roles.<r>.settings`, `….machines.<m>.settings`, `….tags.<t>.settings`) and where it is defined. */
export interface SettingsDefinitions {
  path: string[];
  refs: Array<{ uri: string; range: Range }>;
}

/**
 * Whether `path` is a settings slot of an instance role: its type is clan-core's uniqueDeferredSerializableModule
 * (modules/inventoryClass/role.nix), which takes one definition only (lib/types/default.nix, mergeUniqueOption).
 */
export function isSettingsSlot(path: readonly string[]): boolean {
  if (path[0] !== 'inventory' || path[1] !== 'instances' || path[3] !== 'roles') return false;
  if (path.length === 6) return path[5] === 'settings';
  return path.length === 8 && (path[5] === 'machines' || path[5] === 'tags') && path[7] === 'settings';
}

/**
 * Merges fragments into one virtual root the way the module system joins modules, without evaluating: attrsets
 * are merged key by key (every entry keeps its own uri and ranges); a key defined twice with values that are not
 * both attrsets is a conflict (priorities, list concatenation and equal-value rules are the module system's
 * business): the first definition is kept and the part becomes an unknown. `machines.<m>` is a deferred module, so
 * a second definition is another module of the machine, not a conflict. The fragments' values are never mutated.
 */
export function mergeFragments(
  fragments: ClanFragment[],
  files: ReadonlyMap<string, SourceFile> = new Map(),
): MergedClan {
  const first = fragments[0];
  const root: AttrsValue = {
    kind: 'attrs',
    uri: first?.file.uri ?? '',
    range: first?.value.range ?? zeroRange(),
    entries: new Map(),
    dynamicKeys: false,
    implicit: true,
  };
  const out: MergedClan = { root, machineModules: [], unknowns: [], duplicateSettings: [] };
  const owned = new WeakSet([root]);
  for (const f of fragments) {
    const ctx: MergeContext = { owned, out, fileOf: (uri) => files.get(uri) ?? f.file };
    if (f.path[0] === 'machines' && f.path.length === 2) {
      // The model judges a machine module's syntax errors itself (that machine's config is incomplete).
      out.machineModules.push(machineModule(f.file, f.path[1]!, f.value));
      continue;
    }
    if (f.file.syntaxProblems.length) {
      // Part of the file may be missing from its value: whatever it defines is not fully known.
      out.unknowns.push({ path: f.path, reason: 'syntax error', uri: f.file.uri, range: f.value.range });
    }
    if (f.path.length === 0) {
      const attrs = asAttrs(f.value);
      if (!attrs) {
        out.unknowns.push({
          path: [],
          reason: 'a clan module that is not an attribute set',
          uri: f.value.uri,
          range: f.value.range,
        });
        continue;
      }
      mergeAttrsInto(root, attrs, [], ctx);
      continue;
    }
    // Wrap the value in attrsets along its path and merge that, so the path's parents merge like any attrset.
    let wrapped: AttrsValue | undefined;
    let value: NixValue = f.value;
    for (let i = f.path.length - 1; i >= 0; i--) {
      wrapped = {
        kind: 'attrs',
        uri: f.file.uri,
        range: f.value.range,
        dynamicKeys: false,
        implicit: true,
        entries: new Map([[f.path[i]!, { name: f.path[i]!, keyRange: f.value.range, value }]]),
      };
      value = wrapped;
    }
    mergeAttrsInto(root, wrapped!, [], ctx);
  }
  return out;
}

interface MergeContext {
  /** Attrsets created by the merge (copies), which may be modified; all others belong to a file's value. */
  owned: WeakSet<AttrsValue>;
  out: MergedClan;
  fileOf: (uri: string) => SourceFile;
}

function mergeAttrsInto(target: AttrsValue, source: AttrsValue, path: string[], ctx: MergeContext): void {
  if (source.dynamicKeys) target.dynamicKeys = true;
  for (const e of source.entries.values()) mergeEntry(target, e, path, ctx);
}

function mergeEntry(target: AttrsValue, e: AttrEntry, path: string[], ctx: MergeContext): void {
  const existing = target.entries.get(e.name);
  const here = [...path, e.name];
  if (!existing) {
    target.entries.set(e.name, e);
    return;
  }
  if (path.length === 1 && path[0] === 'machines') {
    // A deferred module: both definitions are modules of the machine.
    ctx.out.machineModules.push(machineModule(ctx.fileOf(e.value.uri), e.name, e.value));
    return;
  }
  const a = existing.value;
  const b = e.value;
  if (isSettingsSlot(here)) {
    const known = ctx.out.duplicateSettings.find((d) => d.path.join('\0') === here.join('\0'));
    const second = { uri: b.uri, range: e.keyRange };
    if (known) known.refs.push(second);
    else ctx.out.duplicateSettings.push({ path: here, refs: [{ uri: a.uri, range: existing.keyRange }, second] });
  }
  if (a.kind === 'attrs' && b.kind === 'attrs' && !a.priority && !b.priority) {
    let copy = a;
    if (!ctx.owned.has(a)) {
      copy = { ...a, entries: new Map(a.entries) };
      ctx.owned.add(copy);
      target.entries.set(e.name, { ...existing, value: copy });
    }
    mergeAttrsInto(copy, b, here, ctx);
    return;
  }
  if (sameLiteral(a, b)) return;
  ctx.out.unknowns.push({ path: here, reason: 'conflicting definitions', uri: b.uri, range: e.keyRange });
}

function sameLiteral(a: NixValue, b: NixValue): boolean {
  if (a.priority !== b.priority) return false;
  if (a.kind === 'string' && b.kind === 'string') return a.value !== undefined && a.value === b.value;
  if ((a.kind === 'int' || a.kind === 'float' || a.kind === 'bool') && a.kind === b.kind) return a.value === b.value;
  return a.kind === 'null' && b.kind === 'null';
}

function zeroRange(): Range {
  return { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };
}

/** A machine module as the model takes it: a machine file whose value is the module. */
function machineModule(file: SourceFile, machine: string, value: NixValue): SourceFile {
  return { ...file, kind: 'machine', root: value, machine };
}
