// A clan is not always one clan.nix: it may be the argument of `clan-core.lib.clan { ... }` in flake.nix, a
// flake-parts `clan = { ... }` / `flake.clan = { ... }` spread over several files, inventory pieces joined with
// `recursiveUpdate` or `//`, and machine modules pulled in through `imports`. This module finds those definitions in
// a parsed file and turns them into *fragments* (a value and where in the clan it sits), following literal
// `import ./x.nix` / `imports = [ ./x.nix ]` and merging literal `//` / `recursiveUpdate`. Nothing is evaluated:
// whatever cannot be followed stays opaque (or keeps its `imports` entry), which the model reads as "incomplete".
// Pure apart from the FileLoader the caller passes in (the loader and the index do the reading).
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Node } from '../parsing/parser';
import { AttrEntry, AttrsValue, asAttrs, FunctionValue, ListValue, NixValue, OpaqueValue, Priority } from './nixValue';
import { attrName, readValue } from './valueReader';
import { Range, rangeOfNode } from './range';
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

// ---- finding clan definitions in a file ----

export type ClanDefinition =
  /** The argument of `clan-core.lib.clan` / `buildClan`: a whole clan. */
  | { kind: 'call'; file: SourceFile; value: NixValue; range: Range }
  /** A flake-parts module's `clan` or `flake.clan` value. */
  | { kind: 'option'; file: SourceFile; value: NixValue; range: Range }
  /** The file itself is a clan module (clan.nix, or an attrset with `inventory` and `machines`/`meta`). */
  | { kind: 'file'; file: SourceFile; value: NixValue; range: Range };

const CLAN_CALL = /(^|\.)(lib\.clan|lib\.buildClan|buildClan)$/;
/** Top-level options of a clan (clan-core modules/clan/top-level-interface.nix); NixOS's `clan.*` options (`clan.core`, …) have none. */
const CLAN_KEYS = [
  'inventory',
  'machines',
  'meta',
  'modules',
  'imports',
  'specialArgs',
  'directory',
  'self',
  'pkgsForSystem',
  'templates',
];

/** Whether a value has the shape of a clan module (and not of NixOS's `clan.core…`). */
export function looksLikeClan(v: NixValue | undefined): boolean {
  const a = asAttrs(v);
  return !!a && !a.entries.has('core') && CLAN_KEYS.some((k) => a.entries.has(k));
}

/** Clan definitions in a file, by their shape. `fileName` is the file's base name. */
export function findClanDefinitions(file: SourceFile, fileName: string): ClanDefinition[] {
  const out: ClanDefinition[] = [];
  // The file's own value is already read: a flake-parts module defines the clan at its top level.
  const rootAttrs = asAttrs(file.root);
  for (const value of optionValues(rootAttrs)) out.push({ kind: 'option', file, value, range: value.range });
  // Reading syntax is slow next to a regular expression: search the tree only where a definition may be nested.
  if (out.length === 0 && file.tree && (NESTED_HINT.test(file.text) || OPTION_HINT.test(file.text))) {
    const stack: Node[] = [file.tree.rootNode];
    while (stack.length) {
      const node = stack.pop()!;
      if (node.type === 'apply_expression') {
        const { head, args } = flattenApply(node);
        if (args.length === 1 && CLAN_CALL.test(head)) {
          out.push({ kind: 'call', file, value: readValue(args[0]!, file.uri, file.text), range: rangeOfNode(node) });
          continue;
        }
      } else if (
        (node.type === 'attrset_expression' || node.type === 'rec_attrset_expression') &&
        hasClanBinding(node)
      ) {
        const isRoot = rootAttrs && sameRange(rootAttrs.range, rangeOfNode(node));
        const found = isRoot ? [] : optionValues(asAttrs(readValue(node, file.uri, file.text)));
        if (found.length) {
          for (const value of found) out.push({ kind: 'option', file, value, range: value.range });
          continue;
        }
      }
      // Children in reverse so definitions come out in source order.
      for (let i = node.namedChildCount - 1; i >= 0; i--) {
        const c = node.namedChild(i);
        if (c) stack.push(c);
      }
    }
  }
  if (out.length === 0 && (fileName === 'clan.nix' || isClanShapedFile(file.root))) {
    out.push({ kind: 'file', file, value: file.root, range: file.root.range });
  }
  return out;
}

const NESTED_HINT = /lib\.clan|buildClan|mkFlake/;
const OPTION_HINT =
  /\b(flake\.)?clan\s*=\s*[{(]|\bclan\.(inventory|machines|meta|modules|imports|specialArgs|directory)\b/;

/** The clan-shaped `clan` and `flake.clan` values of a flake-parts module. */
function optionValues(attrs: AttrsValue | undefined): NixValue[] {
  const found: NixValue[] = [];
  const clanV = attrs?.entries.get('clan')?.value;
  if (looksLikeClan(clanV)) found.push(clanV!);
  const flakeClan = asAttrs(attrs?.entries.get('flake')?.value)?.entries.get('clan')?.value;
  if (looksLikeClan(flakeClan)) found.push(flakeClan!);
  return found;
}

function sameRange(a: Range, b: Range): boolean {
  return (
    a.start.line === b.start.line &&
    a.start.character === b.start.character &&
    a.end.line === b.end.line &&
    a.end.character === b.end.character
  );
}

function isClanShapedFile(root: NixValue): boolean {
  const a = asAttrs(root);
  return !!a && a.entries.has('inventory') && (a.entries.has('machines') || a.entries.has('meta')) && looksLikeClan(a);
}

function hasClanBinding(node: Node): boolean {
  const set = node.namedChildren.find((c) => c?.type === 'binding_set');
  for (const b of set?.namedChildren ?? []) {
    if (b?.type !== 'binding') continue;
    const first = b.childForFieldName('attrpath')?.childrenForFieldName('attr')[0];
    const name = first ? attrName(first) : undefined;
    if (name === 'clan' || name === 'flake') return true;
  }
  return false;
}

function flattenApply(node: Node): { head: string; headNode: Node; args: Node[] } {
  const args: Node[] = [];
  let fn: Node = node;
  while (fn.type === 'apply_expression') {
    const arg = fn.childForFieldName('argument');
    const f = fn.childForFieldName('function');
    if (!arg || !f) break;
    args.unshift(arg);
    fn = f;
  }
  while (fn.type === 'parenthesized_expression' && fn.namedChildCount === 1) fn = fn.namedChild(0)!;
  return { head: fn.text.replace(/\s+/g, ''), headNode: fn, args };
}

// ---- following imports and merges ----

export interface FileLoader {
  /** The parsed Nix file at an absolute path, or undefined when it does not exist or cannot be read. */
  loadNix(path: string): SourceFile | undefined;
  /** Whether an absolute path is a directory (a path import of a directory means its default.nix). */
  isDirectory(path: string): boolean;
}

const PRIORITY: Record<string, Priority> = {
  mkForce: 'force',
  'lib.mkForce': 'force',
  mkDefault: 'default',
  'lib.mkDefault': 'default',
  mkOptionDefault: 'default',
  'lib.mkOptionDefault': 'default',
};
const RECURSIVE_UPDATE = /(^|\.)recursiveUpdate$/;

/**
 * Inlines what can be read without evaluation: `import <literal path>` (with or without arguments: a function's
 * body is read as its value, as everywhere in the model), `a // b` and `recursiveUpdate a b` when both sides are
 * literal attrsets after inlining. Values are copied where they change; the loaded files are never modified.
 */
export class Resolver {
  /** Every file read while resolving, by URI (the model needs them for ranges and syntax errors). */
  readonly files = new Map<string, SourceFile>();
  /** Absolute paths that were looked for (found or not): a change to any of them changes the result. */
  readonly touched = new Set<string>();
  private readonly resolvedRoots = new Map<string, NixValue>();
  private readonly importing = new Set<string>();

  constructor(private readonly loader: FileLoader) {}

  addFile(file: SourceFile): void {
    this.files.set(file.uri, file);
  }

  /** The file a path literal denotes, relative to the file it is written in; a directory means its default.nix. */
  pathTarget(v: NixValue): string | undefined {
    if (v.kind !== 'path') return undefined;
    const text = v.text;
    if (!text.startsWith('./') && !text.startsWith('../') && !text.startsWith('/') && text !== '.' && text !== '..')
      return undefined;
    if (!v.uri.startsWith('file:')) return undefined;
    let p = text.startsWith('/') ? text : resolve(dirname(fileURLToPath(v.uri)), text);
    this.touched.add(p);
    if (this.loader.isDirectory(p)) {
      p = join(p, 'default.nix');
      this.touched.add(p);
    }
    return p;
  }

  /** A file's value with its imports and merges inlined; undefined when it is missing, broken or an import cycle. */
  loadModule(path: string): { file: SourceFile; value: NixValue } | undefined {
    const file = this.loader.loadNix(path);
    if (!file || file.syntaxProblems.length) {
      if (file) this.files.set(file.uri, file);
      return undefined;
    }
    this.files.set(file.uri, file);
    const done = this.resolvedRoots.get(path);
    if (done) return { file, value: done };
    if (this.importing.has(path)) return undefined;
    this.importing.add(path);
    try {
      const value = this.resolve(file.root);
      this.resolvedRoots.set(path, value);
      return { file, value };
    } finally {
      this.importing.delete(path);
    }
  }

  /** `v` with every resolvable import and merge inlined (copy-on-write). */
  resolve(v: NixValue): NixValue {
    if (!this.mayNeedResolving(v.uri)) return v;
    switch (v.kind) {
      case 'opaque': {
        if (v.reason !== 'call' && v.reason !== 'operator') return v;
        const node = this.nodeOf(v);
        const r = node ? this.resolveNode(node, v.uri) : undefined;
        return r ?? v;
      }
      case 'attrs': {
        let changed: Map<string, AttrEntry> | undefined;
        for (const [k, e] of v.entries) {
          const r = this.resolve(e.value);
          if (r !== e.value) (changed ??= new Map(v.entries)).set(k, { ...e, value: r });
        }
        return changed ? { ...v, entries: changed } : v;
      }
      case 'list': {
        const items = v.items.map((i) => this.resolve(i));
        return items.some((x, i) => x !== v.items[i]) ? ({ ...v, items } as ListValue) : v;
      }
      case 'function': {
        const body = this.resolve(v.body);
        return body !== v.body ? ({ ...v, body } as FunctionValue) : v;
      }
      default:
        return v;
    }
  }

  private mayNeedResolving(uri: string): boolean {
    const f = this.files.get(uri);
    // Without the file there is no syntax tree to look at.
    if (!f) return false;
    let m = needsCache.get(f);
    if (m === undefined) needsCache.set(f, (m = /\bimport\b|\/\/|recursiveUpdate/.test(f.text)));
    return m;
  }

  private nodeOf(v: OpaqueValue): Node | undefined {
    const tree = this.files.get(v.uri)?.tree;
    if (!tree) return undefined;
    const start = { row: v.range.start.line, column: v.range.start.character };
    const end = { row: v.range.end.line, column: v.range.end.character };
    let n: Node | null = tree.rootNode.descendantForPosition(start, end);
    // The smallest node spanning the range may be a child with the same extent; take the outermost of those.
    while (n && n.parent && samePos(n.parent.startPosition, start) && samePos(n.parent.endPosition, end)) n = n.parent;
    while (n && n.type === 'parenthesized_expression' && n.namedChildCount === 1) n = n.namedChild(0);
    return n ?? undefined;
  }

  private valueOf(node: Node, uri: string): NixValue {
    const file = this.files.get(uri)!;
    return this.resolve(readValue(node, uri, file.text));
  }

  private resolveNode(node: Node, uri: string): NixValue | undefined {
    if (node.type === 'binary_expression') {
      if (node.childForFieldName('operator')?.text !== '//') return undefined;
      const l = node.childForFieldName('left');
      const r = node.childForFieldName('right');
      if (!l || !r) return undefined;
      const a = this.valueOf(l, uri);
      const b = this.valueOf(r, uri);
      if (a.kind !== 'attrs' || b.kind !== 'attrs' || a.priority || b.priority) return undefined;
      // `//` is shallow: the right side's keys replace the left's.
      const entries = new Map(a.entries);
      for (const [k, e] of b.entries) entries.set(k, e);
      return {
        kind: 'attrs',
        uri,
        range: rangeOfNode(node),
        entries,
        dynamicKeys: a.dynamicKeys || b.dynamicKeys,
        implicit: false,
      };
    }
    if (node.type !== 'apply_expression') return undefined;
    const { head, args } = flattenApply(node);
    if ((head === 'import' || head === 'builtins.import') && args.length >= 1) {
      const target = this.pathTarget(readValue(args[0]!, uri, this.files.get(uri)!.text));
      const loaded = target ? this.loadModule(target) : undefined;
      if (!loaded) return undefined;
      // `import ./f.nix args`: the file must be a function; its body stands for the result.
      if (args.length > 1 && loaded.value.kind !== 'function') return undefined;
      return loaded.value;
    }
    if (RECURSIVE_UPDATE.test(head) && args.length === 2) {
      const a = this.valueOf(args[0]!, uri);
      const b = this.valueOf(args[1]!, uri);
      if (a.kind !== 'attrs' || b.kind !== 'attrs' || a.priority || b.priority) return undefined;
      return recursiveUpdate(a, b);
    }
    const priority = PRIORITY[head];
    if (priority && args.length === 1) {
      const inner = this.valueOf(args[0]!, uri);
      if (inner.kind === 'opaque') return undefined;
      return { ...inner, priority, range: rangeOfNode(node) };
    }
    return undefined;
  }
}

const needsCache = new WeakMap<SourceFile, boolean>();

function samePos(a: { row: number; column: number }, b: { row: number; column: number }): boolean {
  return a.row === b.row && a.column === b.column;
}

/**
 * nixpkgs' `recursiveUpdate`: recurse while both sides are attrsets, otherwise the right side wins. Where one side
 * is opaque it is unknown whether recursion happens, so the result there is opaque.
 */
export function recursiveUpdate(a: AttrsValue, b: AttrsValue): AttrsValue {
  const entries = new Map(a.entries);
  for (const [k, eb] of b.entries) {
    const ea = entries.get(k);
    if (!ea) {
      entries.set(k, eb);
      continue;
    }
    const va = ea.value;
    const vb = eb.value;
    if (va.kind === 'attrs' && vb.kind === 'attrs' && !va.priority && !vb.priority) {
      entries.set(k, { ...ea, value: recursiveUpdate(va, vb) });
    } else if (va.kind === 'opaque' || vb.kind === 'opaque' || va.priority || vb.priority) {
      const unknown: OpaqueValue = { kind: 'opaque', reason: 'operator', text: '', uri: vb.uri, range: vb.range };
      entries.set(k, { ...eb, value: unknown });
    } else {
      entries.set(k, eb);
    }
  }
  return { ...a, entries, dynamicKeys: a.dynamicKeys || b.dynamicKeys };
}

// ---- from definitions to fragments ----

export interface CollectedClan {
  fragments: ClanFragment[];
  unknowns: ClanUnknown[];
}

/**
 * The fragments of one clan module (and of everything it imports): the module itself at `path`, every imported
 * module at the same path, `inventory` modules and machine modules found inside. An `imports` list is removed from
 * a module's value only when every entry could be followed; otherwise it stays, and the model sees it.
 */
export class FragmentCollector {
  readonly out: CollectedClan = { fragments: [], unknowns: [] };
  private readonly seenModules = new Map<string, Set<string>>();

  constructor(readonly resolver: Resolver) {}

  addModule(path: string[], raw: NixValue, sourceFile: SourceFile): void {
    // A machine's module is that machine's file for the editor features (completion paths, scaffolding); a module
    // shared by several machines counts as the first one's.
    const file = path.length === 2 && path[0] === 'machines' ? this.machineFile(sourceFile, path[1]!) : sourceFile;
    this.resolver.addFile(file);
    const value = this.resolver.resolve(raw);
    const seen = this.scopeSet(path.join('.'));
    // A whole file used as a module counts as imported, so an import cycle back to it ends here.
    if (raw === file.root && file.uri.startsWith('file:')) seen.add(fileURLToPath(file.uri));
    const imported: Array<{ value: NixValue; file: SourceFile }> = [];
    let current = this.followImports(value, file, seen, imported);
    if (path.length === 0) current = this.extractNested(current, file);
    this.out.fragments.push({ path, value: current, file });
    for (const m of imported) this.addModule(path, m.value, m.file);
  }

  /** Inside a clan module: `inventory.imports` and `machines.<m>.imports` are modules of their own. */
  private extractNested(value: NixValue, file: SourceFile): NixValue {
    const attrs = asAttrs(value);
    if (!attrs) return value;
    let result = value;
    const inv = attrs.entries.get('inventory');
    if (inv && asAttrs(inv.value)?.entries.has('imports')) {
      const imported: Array<{ value: NixValue; file: SourceFile }> = [];
      const seen = this.scopeSet('inventory');
      const stripped = this.followImports(inv.value, file, seen, imported);
      if (stripped !== inv.value) result = replaceEntry(result, 'inventory', stripped);
      for (const m of imported) this.addModule(['inventory'], m.value, m.file);
    }
    const machines = asAttrs(attrs.entries.get('machines')?.value);
    if (machines) {
      let newMachines: NixValue = machines;
      for (const [name, e] of machines.entries) {
        if (!asAttrs(e.value)?.entries.has('imports')) continue;
        const imported: Array<{ value: NixValue; file: SourceFile }> = [];
        const stripped = this.followImports(e.value, file, this.scopeSet(`machines.${name}`), imported);
        if (stripped !== e.value) newMachines = replaceEntry(newMachines, name, stripped);
        for (const m of imported) this.addModule(['machines', name], m.value, m.file);
      }
      if (newMachines !== machines) result = replaceEntry(result, 'machines', newMachines);
    }
    return result;
  }

  private readonly machineFiles = new Map<string, SourceFile>();
  private machineFile(file: SourceFile, machine: string): SourceFile {
    if (file.kind === 'machine' && file.machine !== undefined) return file;
    let copy = this.machineFiles.get(file.uri);
    if (!copy) this.machineFiles.set(file.uri, (copy = { ...file, kind: 'machine', machine }));
    return copy;
  }

  private scopeSet(scope: string): Set<string> {
    let s = this.seenModules.get(scope);
    if (!s) this.seenModules.set(scope, (s = new Set()));
    return s;
  }

  /**
   * Collects the modules a value's `imports` names into `imported` and returns the value without `imports` when
   * all of them could be followed (the module system deduplicates path imports, hence `seen`).
   */
  private followImports(
    value: NixValue,
    file: SourceFile,
    seen: Set<string>,
    imported: Array<{ value: NixValue; file: SourceFile }>,
  ): NixValue {
    const attrs = asAttrs(value);
    const entry = attrs?.entries.get('imports');
    if (!entry) return value;
    const list = this.resolver.resolve(entry.value);
    if (list.kind !== 'list') return value;
    let all = true;
    for (const item of list.items) {
      const target = this.resolver.pathTarget(item);
      if (target) {
        if (seen.has(target)) continue;
        const loaded = this.resolver.loadModule(target);
        if (!loaded) {
          all = false;
          continue;
        }
        seen.add(target);
        imported.push(loaded);
      } else if (item.kind === 'attrs' || item.kind === 'function') {
        const f = this.resolver.files.get(item.uri) ?? file;
        imported.push({ value: item, file: f });
      } else {
        all = false;
      }
    }
    return all ? replaceEntry(value, 'imports', undefined) : value;
  }
}

/** A copy of a module value with one top-level entry replaced (or removed), looking through a module function. */
function replaceEntry(value: NixValue, key: string, to: NixValue | undefined): NixValue {
  if (value.kind === 'function') {
    return { ...value, body: replaceEntry(value.body, key, to) };
  }
  if (value.kind !== 'attrs') return value;
  const entries = new Map(value.entries);
  const old = entries.get(key);
  if (to === undefined) entries.delete(key);
  else if (old) entries.set(key, { ...old, value: to });
  return { ...value, entries };
}
