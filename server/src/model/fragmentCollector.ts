// From a file's clan definitions to fragments: each definition's value at its path in the clan, its `imports`
// followed through the Resolver, and machine modules taken out of `machines.<m>` / `inventory` for the model.

import { fileURLToPath } from 'node:url';
import { asAttrs, NixValue } from './nixValue';
import type { SourceFile } from './sourceFile';
import { ClanFragment, ClanUnknown } from './clanFragments';
import { Resolver } from './importResolver';

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
