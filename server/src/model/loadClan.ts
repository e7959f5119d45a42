// Finds the files of a clan directory and reads them, preferring the editor's unsaved text (and its incremental
// tree) over the disk where the caller has it.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { ClanSources } from './clanModel';
import { OpenDocument, Overlay, readJsonSource, readNixSource, SourceCache, SourceFile } from './sourceFile';
import { toUri } from '../util/uris';

export class UnreadableInput extends Error {}

function readText(path: string, overlay?: Overlay): OpenDocument | undefined {
  const open = overlay?.get(toUri(path));
  if (open) return open;
  if (!existsSync(path)) return undefined;
  const buf = readFileSync(path);
  // A NUL byte in the first 8 KiB: a binary file. Nix refuses those too; say so instead of parsing garbage.
  if (buf.subarray(0, 8192).includes(0)) throw new UnreadableInput(`${path}: binary file, not Nix source`);
  return { text: buf.toString('utf8') };
}

/**
 * The clan directory for a file: the nearest ancestor (or the file's own directory) holding clan.nix. Machine
 * files (machines/<m>/configuration.nix) belong to the clan two levels up.
 */
export function findClanDir(path: string): string | undefined {
  let dir = existsSync(path) && statSync(path).isDirectory() ? resolve(path) : dirname(resolve(path));
  for (let i = 0; i < 64; i++) {
    if (existsSync(join(dir, 'clan.nix'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
  return undefined;
}

/** Reads a file of a clan; a binary file becomes a syntax problem of that file instead of failing the whole clan. */
function readMember(path: string, overlay?: Overlay): OpenDocument | SourceFile | undefined {
  try {
    return readText(path, overlay);
  } catch (e) {
    if (!(e instanceof UnreadableInput)) throw e;
    const file = readNixSource(toUri(path), 'clan', '');
    const what = path.endsWith('.json') ? 'JSON' : 'Nix source';
    file.syntaxProblems = [{ range: file.lines.rangeOf(0, 0), message: `binary file, not ${what}` }];
    return file;
  }
}

function isSourceFile(x: OpenDocument | SourceFile): x is SourceFile {
  return 'syntaxProblems' in x;
}

function cachedNix(
  cache: SourceCache | undefined,
  path: string,
  kind: SourceFile['kind'],
  doc: OpenDocument,
  machine?: string,
): SourceFile {
  const uri = toUri(path);
  const hit = cache?.get(uri);
  if (hit && hit.text === doc.text && hit.kind === kind && (!doc.tree || hit.tree === doc.tree)) return hit;
  const file = readNixSource(uri, kind, doc.text, doc.tree, machine, hit);
  cache?.set(uri, file);
  return file;
}

export function loadClanSources(dir: string, overlay?: Overlay, cache?: SourceCache): ClanSources {
  const sources: ClanSources = { dir, machineFiles: [], machineDirs: [] };
  const clanPath = join(dir, 'clan.nix');
  const clan = readMember(clanPath, overlay);
  if (clan) sources.clanFile = isSourceFile(clan) ? clan : cachedNix(cache, clanPath, 'clan', clan);
  const machinesDir = join(dir, 'machines');
  if (existsSync(machinesDir) && statSync(machinesDir).isDirectory()) {
    for (const name of readdirSync(machinesDir).sort()) {
      const mdir = join(machinesDir, name);
      if (!statSync(mdir).isDirectory()) continue;
      sources.machineDirs.push({ name, uri: toUri(mdir) });
      const cfgPath = join(mdir, 'configuration.nix');
      const cfg = readMember(cfgPath, overlay);
      if (cfg && isSourceFile(cfg)) sources.machineFiles.push({ ...cfg, kind: 'machine', machine: name });
      else if (cfg) sources.machineFiles.push(cachedNix(cache, cfgPath, 'machine', cfg, name));
    }
  }
  const invPath = join(dir, 'inventory.json');
  const inv = readMember(invPath, overlay);
  if (inv && isSourceFile(inv)) sources.inventoryJson = { ...inv, kind: 'inventory-json' };
  else if (inv) sources.inventoryJson = readJsonSource(toUri(invPath), inv.text);
  const lockPath = join(dir, 'flake.lock');
  const lock = existsSync(lockPath) ? readMember(lockPath, overlay) : undefined;
  if (lock && !isSourceFile(lock)) sources.flakeLock = { uri: toUri(lockPath), text: lock.text };
  return sources;
}

/** A single Nix file outside any clan directory: analysed on its own as clan.nix. */
export function loadSingleFile(path: string, overlay?: Overlay): ClanSources {
  const doc = readText(path, overlay);
  if (!doc) throw new UnreadableInput(`${path}: no such file`);
  const file: SourceFile = readNixSource(toUri(path), 'clan', doc.text, doc.tree);
  return { dir: dirname(resolve(path)), clanFile: file, machineFiles: [], machineDirs: [], lone: true };
}
