// The workspace index: every .nix file under the workspace roots, the clan definitions each one holds (by shape,
// see clanFragments.ts), and the clans built from them, with which files each clan is made of. Files are parsed
// once and re-parsed only when they change (`update`); clans are rebuilt only when a change can concern them.
//
// Which files are indexed: see workspaceFiles.ts. A file reached through a literal import is read even when ignored.
//
// How definitions become clans:
// - each `lib.clan { ... }` / `buildClan { ... }` argument is a clan; its directory (machines/, inventory.json) is a
//   literal `directory = ./x;`, else the nearest directory above the call with a flake.nix, else the file's own;
// - flake-parts `clan = { ... }` / `flake.clan = { ... }` values under one flake (nearest flake.nix) are one clan;
// - a clan.nix (or a file shaped like a clan: `inventory` with `machines` or `meta`) that no other clan imports is
//   a clan of its own; when another clan lives in the same flake or around it, the file is probably part of that
//   clan reached in a way the index cannot follow (`imports = map …`), so the cross-file rules stay quiet for it.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve, sep } from 'node:path';
import type { Tree } from '../parsing/parser';
import { ClanDefinition, findClanDefinitions } from './clanDefinitions';
import type { ClanUnknown } from './clanFragments';
import { FragmentCollector } from './fragmentCollector';
import { FileLoader, Resolver } from './importResolver';
import type { ClanSources } from './clanModel';
import { asAttrs } from './nixValue';
import type { Overlay, SourceCache } from './sourceFile';
import { isInside, toPath, toUri } from '../util/uris';
import { readJsonSource, readNixSource, SourceFile } from './sourceFile';
import { compareStrings } from '../util/compare';
import { runAll, runInSlices, Steps, TimeSlices } from '../util/timeSlices';
import { WorkspaceFiles } from './workspaceFiles';

export interface IndexedClan {
  /** Stable name of the clan: its directory (with `#2`, `#3`… when one directory holds several clans). */
  key: string;
  sources: ClanSources;
}

interface BuiltClan extends IndexedClan {
  /** Absolute paths of every file the clan was read from or looked for. */
  files: Set<string>;
  /** Directories whose new or removed entries change the clan (machines/). */
  dirs: string[];
}

interface Doc {
  text: string;
  tree?: Tree;
}

interface Entry {
  path: string;
  uri: string;
  source?: SourceFile | null;
  defs?: ClanDefinition[];
}

type Located = ClanDefinition & { path: string };

/** How often the background build starts over because files changed meanwhile, before it is left to `build`. */
const BUILD_ATTEMPTS = 3;

export class WorkspaceIndex {
  private readonly files: WorkspaceFiles;
  private readonly entries = new Map<string, Entry>();
  /** Files read for imports that are not indexed (outside the roots, or ignored). */
  private readonly external = new Map<string, Entry>();
  private readonly docs = new Map<string, Doc>();
  private readonly cache: SourceCache;
  private walked = false;
  /** `scanAsync` is walking: changes are recorded in `entries` as after a walk, since the walk may be past them. */
  private walking = false;
  /** Counts `update` calls and forgotten walks: work done in slices is stale when these moved meanwhile. */
  private changes = 0;
  private resets = 0;
  private scanned = false;
  /** `scanAsync` is running: answers are built from the files near the asked one (see `clanFor`). */
  private scanning = false;
  /** While scanning: the file each partial answer was built for, by key. */
  private readonly quickPaths = new Map<string, string>();
  private built?: BuiltClan[];

  constructor(roots: string[], cache?: SourceCache) {
    this.files = new WorkspaceFiles([...new Set(roots.map((r) => resolve(r)))], {
      readText: (path) => this.readDoc(path)?.text,
      isDirectory: (path) => this.isDirectory(path),
      exists: (path) => this.exists(path),
    });
    this.cache = cache ?? new Map();
  }

  /** True once every file has been read and searched for clan definitions (`scan` or `scanAsync`). */
  get ready(): boolean {
    return this.scanned;
  }

  /** Reads and searches every indexed file now. */
  scan(): void {
    this.walk();
    for (const e of this.entries.values()) this.defsOf(e);
    this.scanned = true;
  }

  /**
   * Like `scan`, and the clans built, in slices of about `sliceMs`, giving the event loop back in between (the
   * server stays responsive).
   */
  async scanAsync(sliceMs = 10): Promise<void> {
    if (this.scanned) return;
    const slices = new TimeSlices(sliceMs);
    this.scanning = true;
    try {
      // The caller's own turn ends first: the server's `initialize` is answered before the first slice, and that
      // slice does not add to the same hold of the event loop.
      await slices.pause();
      await this.walkAsync(slices);
      // Updates that arrive meanwhile reset their entries; `defsOf` recomputes those lazily.
      const toParse: Array<{ e: Entry; doc: Doc }> = [];
      for (const e of [...this.entries.values()]) {
        const doc = e.defs ? undefined : this.readDoc(e.path);
        if (doc && mayDefine(e.path, doc)) toParse.push({ e, doc });
        else e.defs ??= [];
        if (slices.due) await slices.pause();
      }
      // Smallest first: the first parses of a process run cold (V8 is still compiling tree-sitter's wasm and the
      // readers), and a large clan.nix parsed cold holds the event loop for hundreds of milliseconds.
      toParse.sort((a, b) => a.doc.text.length - b.doc.text.length);
      for (const { e, doc } of toParse) {
        if (!e.defs) this.defsFrom(e, doc);
        if (slices.due) await slices.pause();
      }
      // A change during the build may concern any clan: the build starts over, and after a few tries is left to the
      // next question (`build`), rather than chase an editor that keeps typing.
      for (let attempt = 0; attempt < BUILD_ATTEMPTS && !this.built; attempt++) {
        const changes = this.changes;
        const built = await runInSlices(this.buildSteps(), slices, () => this.changes !== changes || !!this.built);
        if (built && this.changes === changes && !this.built) this.built = built.value;
      }
    } finally {
      this.scanning = false;
      this.quickPaths.clear();
    }
    this.scanned = true;
  }

  /** Indexed files (absolute paths), sorted. */
  indexedFiles(): string[] {
    this.walk();
    return [...this.entries.keys()].sort();
  }

  /**
   * A file changed: `text` is the editor's content (its tree may be passed along), undefined means "read the
   * disk again" (saved, closed, created or deleted on disk). Returns the keys of the clans the file was or is part
   * of: those need analysing again.
   */
  update(uri: string, text?: string, tree?: Tree): string[] {
    if (!uri.startsWith('file:')) return [];
    this.changes++;
    const path = toPath(uri);
    if (text !== undefined) this.docs.set(path, tree ? { text, tree } : { text });
    else this.docs.delete(path);
    this.external.delete(path);
    if (basename(path) === '.gitignore') {
      this.files.forgetRules();
      this.walked = false;
      this.resets++;
      this.entries.clear();
      this.built = undefined;
      return this.clans().map((c) => c.key);
    }
    const before = this.built ? this.keysConcerning(path) : [];
    let changed = before.length > 0;
    if (basename(path) === 'flake.nix' || basename(path) === 'clan.nix') {
      // Where flakes begin decides which directory a clan has.
      this.flakeDirs.clear();
      changed = true;
    }
    if ((this.walked || this.walking) && path.endsWith('.nix') && this.files.isIndexable(path)) {
      const old = this.entries.get(path);
      const oldSig = old ? signature(this.defsOf(old)) : '';
      if (this.readDoc(path)) {
        const fresh: Entry = { path, uri: toUri(path) };
        this.entries.set(path, fresh);
        if (this.scanned && signature(this.defsOf(fresh)) !== oldSig) changed = true;
      } else {
        this.entries.delete(path);
        if (oldSig) changed = true;
      }
    }
    if (!changed) return [];
    this.built = undefined;
    const after = this.scanned ? this.keysConcerning(path) : [];
    return [...new Set([...before, ...after])];
  }

  /** Every clan of the workspace (scans first if needed). */
  clans(): IndexedClan[] {
    if (!this.scanned) this.scan();
    return this.build().map(({ key, sources }) => ({ key, sources }));
  }

  /** A clan by key (one `clanFor` returned; while `scanAsync` runs, rebuilt from the same file's neighbourhood). */
  clan(key: string): ClanSources | undefined {
    if (this.scanning) {
      const path = this.quickPaths.get(key);
      return path ? this.quickClanFor(path)?.sources : undefined;
    }
    if (!this.scanned) this.scan();
    return this.build().find((c) => c.key === key)?.sources;
  }

  /**
   * The clan a file belongs to (its definitions, an imported file, a machine file…), or undefined. Before the
   * index is ready (`scanAsync` still running) the answer is built from the file itself and the flake.nix/clan.nix
   * files above it, and marked incomplete, so the file's own diagnostics need not wait while no cross-file rule
   * can fire on a partial picture.
   */
  clanFor(uri: string): IndexedClan | undefined {
    if (!uri.startsWith('file:')) return undefined;
    const path = toPath(uri);
    if (this.scanning) return this.quickClanFor(path);
    if (!this.scanned) this.scan();
    const clan = this.build().find((c) => concerns(c, path));
    return clan ? { key: clan.key, sources: clan.sources } : undefined;
  }

  // ---- building clans ----

  private keysConcerning(path: string): string[] {
    return this.build()
      .filter((c) => concerns(c, path))
      .map((c) => c.key);
  }

  private build(): BuiltClan[] {
    this.built ??= runAll(this.buildSteps());
    return this.built;
  }

  private *buildSteps(): Steps<BuiltClan[]> {
    const defs: Located[] = [];
    for (const e of [...this.entries.values()].sort((a, b) => compareStrings(a.path, b.path))) {
      for (const d of this.defsOf(e)) defs.push({ ...d, path: e.path });
    }
    return yield* this.buildFrom(defs, []);
  }

  private quickClanFor(path: string): IndexedClan | undefined {
    const candidates = new Set<string>([path]);
    const root = this.files.rootOf(path);
    for (let dir = dirname(path); ; dir = dirname(dir)) {
      for (const name of ['flake.nix', 'clan.nix']) if (this.exists(join(dir, name))) candidates.add(join(dir, name));
      if (dir === root || dirname(dir) === dir || (root && !isInside(dir, root))) break;
    }
    const defs: Located[] = [];
    for (const p of [...candidates].sort()) {
      const e = this.entries.get(p) ?? this.externalEntry(p);
      if (e) for (const d of this.defsOf(e)) defs.push({ ...d, path: p });
    }
    const partial: ClanUnknown = {
      path: [],
      reason: 'the workspace index is not ready',
      uri: toUri(path),
      range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } },
    };
    const clan = runAll(this.buildFrom(defs, [partial])).find((c) => concerns(c, path));
    if (!clan) return undefined;
    this.quickPaths.set(clan.key, path);
    return { key: clan.key, sources: clan.sources };
  }

  /** Yields between modules, so a background build can pause there (`scanAsync`). */
  private *buildFrom(defs: Located[], extra: ClanUnknown[]): Steps<BuiltClan[]> {
    const out: BuiltClan[] = [];
    const keyed = (dir: string): string => {
      let key = dir;
      for (let n = 2; out.some((c) => c.key === key); n++) key = `${dir}#${n}`;
      return key;
    };
    for (const d of defs.filter((x) => x.kind === 'call')) {
      const dir = this.literalDirectory(d) ?? this.flakeDirOf(d.path) ?? dirname(d.path);
      out.push(yield* this.buildClan(keyed(dir), dir, [d], extra));
    }
    const groups = new Map<string, Located[]>();
    for (const d of defs.filter((x) => x.kind === 'option')) {
      const dir = this.flakeDirOf(d.path) ?? this.files.rootOf(d.path) ?? dirname(d.path);
      groups.set(dir, [...(groups.get(dir) ?? []), d]);
    }
    for (const [dir, list] of groups) out.push(yield* this.buildClan(keyed(dir), dir, list, extra));
    // Shallow files first: a clan.nix importing another clan-shaped file owns it.
    const files = defs
      .filter((x) => x.kind === 'file')
      .sort((a, b) => depth(a.path) - depth(b.path) || compareStrings(a.path, b.path));
    for (const d of files) {
      if (out.some((c) => c.files.has(d.path))) continue;
      const dir = dirname(d.path);
      const flake = this.flakeDirOf(d.path) ?? dir;
      const unknowns = [...extra];
      // Beside or inside another clan, the file is most likely a part of it reached in a way the index cannot follow.
      if (out.some((c) => isInside(c.sources.dir, flake) || isInside(d.path, c.sources.dir))) {
        unknowns.push({
          path: [],
          reason: 'another clan nearby does not visibly import this file',
          uri: d.file.uri,
          range: d.range,
        });
      }
      out.push(yield* this.buildClan(keyed(dir), dir, [d], unknowns));
    }
    return out;
  }

  private *buildClan(key: string, dir: string, defs: Located[], unknowns: ClanUnknown[]): Steps<BuiltClan> {
    const resolver = new Resolver(this.loader);
    const collector = new FragmentCollector(resolver);
    const files = new Set<string>(defs.map((d) => d.path));
    for (const d of defs) {
      collector.addModule([], d.value, d.file);
      yield;
    }
    const sources: ClanSources = { dir, machineFiles: [], machineDirs: [] };
    // The primary file: where the inventory is written, so clan-level findings and quick fixes that point into the
    // inventory land in the right file; else the first definition.
    const primary = collector.out.fragments.find(
      (f) => f.path.length === 0 && asAttrs(f.value)?.entries.has('inventory'),
    );
    const clanFile = primary?.file ?? defs[0]?.file;
    if (clanFile) sources.clanFile = clanFile;
    const machinesDir = join(dir, 'machines');
    for (const name of this.subdirectories(machinesDir)) {
      sources.machineDirs.push({ name, uri: toUri(join(machinesDir, name)) });
      const cfgPath = join(machinesDir, name, 'configuration.nix');
      files.add(cfgPath);
      const cfg = this.loader.loadNix(cfgPath);
      if (cfg) collector.addModule(['machines', name], cfg.root, cfg);
      yield;
    }
    const invPath = join(dir, 'inventory.json');
    files.add(invPath);
    const inv = this.readDoc(invPath);
    if (inv) sources.inventoryJson = readJsonSource(toUri(invPath), inv.text);
    const lockPath = join(dir, 'flake.lock');
    files.add(lockPath);
    const lock = this.readDoc(lockPath);
    if (lock) sources.flakeLock = { uri: toUri(lockPath), text: lock.text };
    sources.fragments = collector.out.fragments;
    sources.unknowns = [...collector.out.unknowns, ...unknowns];
    sources.files = [...resolver.files.values()];
    for (const f of sources.files) files.add(toPath(f.uri));
    for (const p of resolver.touched) files.add(p);
    return { key, sources, files, dirs: [machinesDir] };
  }

  private literalDirectory(d: ClanDefinition): string | undefined {
    const v = d.value.kind === 'attrs' ? d.value.entries.get('directory')?.value : undefined;
    if (v?.kind !== 'path' || !v.uri.startsWith('file:')) return undefined;
    if (!v.text.startsWith('./') && !v.text.startsWith('../') && v.text !== '.' && v.text !== '..') return undefined;
    const p = resolve(dirname(toPath(v.uri)), v.text);
    return this.isDirectory(p) ? p : undefined;
  }

  private readonly flakeDirs = new Map<string, string | null>();
  /** The nearest directory at or above the file's that holds a flake.nix (not above the file's root). */
  private flakeDirOf(path: string): string | undefined {
    const root = this.files.rootOf(path);
    const seen: string[] = [];
    let found: string | undefined;
    for (let dir = dirname(path); ; dir = dirname(dir)) {
      const cached = this.flakeDirs.get(dir);
      if (cached !== undefined) {
        found = cached ?? undefined;
        break;
      }
      seen.push(dir);
      if (this.exists(join(dir, 'flake.nix'))) {
        found = dir;
        break;
      }
      if (dir === root || dirname(dir) === dir || (root && !isInside(dir, root))) break;
    }
    for (const d of seen) this.flakeDirs.set(d, found ?? null);
    return found;
  }

  // ---- files ----

  private readonly loader: FileLoader = {
    loadNix: (path) => {
      const e = this.entries.get(path) ?? this.externalEntry(path);
      return e ? this.sourceOf(e) : undefined;
    },
    isDirectory: (path) => this.isDirectory(path),
  };

  private externalEntry(path: string): Entry | undefined {
    let e = this.external.get(path);
    if (!e && this.exists(path)) this.external.set(path, (e = { path, uri: toUri(path) }));
    return e;
  }

  /** `known`: the file's text when the caller has just read it. */
  private sourceOf(e: Entry, known?: Doc): SourceFile | undefined {
    if (e.source !== undefined) return e.source ?? undefined;
    const doc = known ?? this.readDoc(e.path);
    if (!doc) {
      e.source = null;
      return undefined;
    }
    const hit = this.cache.get(e.uri);
    if (hit && hit.kind === 'clan' && hit.text === doc.text && (!doc.tree || hit.tree === doc.tree)) e.source = hit;
    else {
      e.source = readNixSource(e.uri, 'clan', doc.text, doc.tree, undefined, hit);
      this.cache.set(e.uri, e.source);
    }
    return e.source;
  }

  private defsOf(e: Entry): ClanDefinition[] {
    return e.defs ?? this.defsFrom(e, this.readDoc(e.path));
  }

  private defsFrom(e: Entry, doc: Doc | undefined): ClanDefinition[] {
    if (!doc || !mayDefine(e.path, doc)) return (e.defs = []);
    const file = this.sourceOf(e, doc);
    return (e.defs = file ? findClanDefinitions(file, basename(e.path)) : []);
  }

  private readDoc(path: string): Doc | undefined {
    const open = this.docs.get(path);
    if (open) return open;
    try {
      const buf = readFileSync(path);
      // A binary file is no Nix source (Nix refuses it too).
      if (buf.subarray(0, 8192).includes(0)) return undefined;
      return { text: buf.toString('utf8') };
    } catch {
      return undefined;
    }
  }

  private exists(path: string): boolean {
    return this.docs.has(path) || this.entries.has(path) || existsSync(path);
  }

  private isDirectory(path: string): boolean {
    try {
      return statSync(path).isDirectory();
    } catch {
      return false;
    }
  }

  private subdirectories(dir: string): string[] {
    try {
      return readdirSync(dir, { withFileTypes: true })
        .filter((d) => d.isDirectory() || (d.isSymbolicLink() && this.isDirectory(join(dir, d.name))))
        .map((d) => d.name)
        .sort();
    } catch {
      return [];
    }
  }

  // ---- walking the roots ----

  private walk(): void {
    if (this.walked) return;
    for (const paths of this.files.walk()) this.addEntries(paths);
    this.walkDone();
  }

  /** `walk` one directory at a time; a changed .gitignore meanwhile starts it over, a `walk` meanwhile ends it. */
  private async walkAsync(slices: TimeSlices): Promise<void> {
    this.walking = true;
    try {
      while (!this.walked) {
        const resets = this.resets;
        const walked = await runInSlices(this.walkSteps(), slices, () => this.walked || this.resets !== resets);
        if (walked) this.walkDone();
      }
    } finally {
      this.walking = false;
    }
  }

  private *walkSteps(): Steps<void> {
    for (const paths of this.files.walk()) {
      this.addEntries(paths);
      yield;
    }
  }

  private addEntries(paths: string[]): void {
    for (const path of paths) if (!this.entries.has(path)) this.entries.set(path, { path, uri: toUri(path) });
  }

  /** Open documents not on disk (yet) are indexed too. */
  private walkDone(): void {
    for (const path of this.docs.keys()) {
      if (path.endsWith('.nix') && !this.entries.has(path) && this.files.isIndexable(path)) {
        this.entries.set(path, { path, uri: toUri(path) });
      }
    }
    this.walked = true;
  }
}

function concerns(c: BuiltClan, path: string): boolean {
  return c.files.has(path) || c.dirs.some((d) => isInside(path, d));
}

/** Every definition names `clan` (lib.clan, buildClan, clan = …) or `inventory`: most files need no parse. */
function mayDefine(path: string, doc: Doc): boolean {
  return basename(path) === 'clan.nix' || /clan|inventory/.test(doc.text);
}

function signature(defs: ClanDefinition[]): string {
  return defs.map((d) => d.kind).join(',');
}

function depth(path: string): number {
  return path.split(sep).length;
}

// ---- one-shot loading (the CLI) ----

/**
 * The directory of the clan a file may belong to: the nearest flake.nix above it, else the nearest clan.nix. The
 * walk stops at a repository root (a `.git`), since no clan spans repositories; without a marker there is no clan,
 * and the caller reads the file alone instead of indexing every Nix file around it.
 */
function nearestMarkedDir(file: string): string | undefined {
  let clanDir: string | undefined;
  for (let dir = dirname(file); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'flake.nix'))) return dir;
    if (!clanDir && existsSync(join(dir, 'clan.nix'))) clanDir = dir;
    if (dirname(dir) === dir || existsSync(join(dir, '.git'))) return clanDir;
  }
}

function indexFor(
  pathOrDir: string,
  overlay?: Overlay,
  cache?: SourceCache,
): { index: WorkspaceIndex; abs: string; isDir: boolean } {
  const abs = resolve(pathOrDir);
  const isDir = existsSync(abs) && statSync(abs).isDirectory();
  const root = isDir ? abs : nearestMarkedDir(abs);
  // A file outside every clan belongs to none: nothing around it is indexed (callers read it alone).
  const index = new WorkspaceIndex(root ? [root] : [], cache);
  for (const [uri, doc] of overlay ?? []) index.update(uri, doc.text, doc.tree);
  index.scan();
  return { index, abs, isDir };
}

/**
 * The clan at a directory (a flake directory or a clan.nix directory: the clan whose directory it is, or the only
 * clan below it) or the clan a file belongs to; undefined when there is none.
 */
export function loadWorkspaceClan(pathOrDir: string, overlay?: Overlay, cache?: SourceCache): ClanSources | undefined {
  const { index, abs, isDir } = indexFor(pathOrDir, overlay, cache);
  if (!isDir) return index.clanFor(toUri(abs))?.sources;
  const clans = index.clans();
  return (clans.find((c) => c.sources.dir === abs) ?? (clans.length === 1 ? clans[0] : undefined))?.sources;
}

/** Every clan below a directory. */
export function loadWorkspaceClans(dir: string, overlay?: Overlay, cache?: SourceCache): IndexedClan[] {
  return indexFor(dir, overlay, cache).index.clans();
}
