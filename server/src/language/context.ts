// Shared lookups for the language features: the instance a path is in, the clan's names, and value helpers.
import type { Analysis } from '../analyze';
import type { ClanModel, Instance } from '../model/clanModel';
import { BUILTIN_TAGS } from '../model/clanModel';
import type { SourceFile } from '../model/sourceFile';
import type { Anchor } from './cursor';

/** The instance named by a path `inventory.instances.<i>...`, if the model knows it. */
export function instanceOfPath(model: ClanModel, path: readonly string[]): Instance | undefined {
  if (path[0] !== 'inventory' || path[1] !== 'instances' || path.length < 3) return undefined;
  return model.instances.find((i) => i.name === path[2]);
}

/**
 * The clan-core service of the instance on the path when it is one whose options the catalogue knows (an instance
 * not read yet counts by its name).
 */
export function serviceOfPath(model: ClanModel, path: readonly string[]): 'borgbackup' | 'localbackup' | undefined {
  const inst = instanceOfPath(model, path);
  const name = inst
    ? inst.isBuiltin
      ? inst.resolvedModule
      : undefined
    : path[0] === 'inventory' && path[1] === 'instances'
      ? path[2]
      : undefined;
  return name === 'borgbackup' || name === 'localbackup' ? name : undefined;
}

/** Whether the instance on the path is clan-core's borgbackup (an instance not read yet named borgbackup counts). */
export function isBorgPath(model: ClanModel, path: readonly string[]): boolean {
  const inst = instanceOfPath(model, path);
  if (inst) return inst.isBorgbackup;
  return path[0] === 'inventory' && path[1] === 'instances' && path[2] === 'borgbackup';
}

export function allTags(model: ClanModel): string[] {
  const tags = new Set(BUILTIN_TAGS);
  for (const m of model.machines.values()) for (const t of m.tags) tags.add(t.name);
  return [...tags].sort();
}

export function fileOf(analysis: Analysis, uri: string): SourceFile | undefined {
  return analysis.model.files.find((f) => f.uri === uri);
}

/** The pieces of the clan that sit inside this file (flake layouts), for reading clan paths at a cursor. */
export function anchorsOf(analysis: Analysis, uri: string): Anchor[] {
  return analysis.model.anchors.filter((a) => a.uri === uri);
}
