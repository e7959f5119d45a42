// ShellCheck results kept by what they depend on: ShellCheck's version, its options and the script text. In memory
// (ShellcheckMemory: the language server re-analyses on every edit, and unchanged scripts are not checked again), and on
// disk across runs of `clan-backups check`, under the user's cache directory. Never throws: a cache that cannot be
// read or written is no cache. Several processes may share the directory: an entry is written to a temporary file
// and renamed into place (a reader sees the old entry, the new one or none), and an entry that does not parse or
// does not match its key is ignored and rewritten.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  closeSync,
  fstatSync,
  futimesSync,
  mkdirSync,
  openSync,
  readdirSync,
  readSync,
  statSync,
  unlinkSync,
} from 'node:fs';
import { join } from 'node:path';
import { userCacheDir, writeCacheFile } from '../util/cacheDir';

/** One json1 comment, positions relative to the script (1-based lines, columns in code points, tab = 1). */
export interface CachedComment {
  line: number;
  endLine: number;
  column: number;
  endColumn: number;
  level: string;
  code: number;
  message: string;
  fix?: {
    replacements: Array<{
      line: number;
      endLine: number;
      column: number;
      endColumn: number;
      replacement: string;
      insertionPoint?: string;
    }>;
  } | null;
}

/** Bumped when the entry format or what is stored changes: older entries then simply miss. */
const FORMAT = 1;

export interface ScriptKeyOptions {
  severity: string;
  excluded: readonly number[];
  shell: string;
}

/** What a script's results depend on, as one hex digest (also the entry's file name). */
export function scriptKey(version: string, options: ScriptKeyOptions, text: string): string {
  return scriptKeyer(version, options)(text);
}

/** scriptKey for many texts with the same version and options (the common part is serialised once). */
export function scriptKeyer(version: string, options: ScriptKeyOptions): (text: string) => string {
  const prefix = JSON.stringify([
    FORMAT,
    version,
    options.severity,
    [...options.excluded].sort((a, b) => a - b),
    options.shell,
  ]);
  return (text) => createHash('sha256').update(prefix).update('\u0000').update(text).digest('hex');
}

// ---- in memory: ShellCheck's version and results, kept by whoever runs analyses ----

export type VersionAnswer = { kind: 'ok'; version: string } | { kind: 'missing' } | { kind: 'unknown' };

const MEMORY_ENTRIES = 20000;

/**
 * What ShellCheck answered, kept for as long as this object lives (one per language server or CLI run, in the
 * AnalysisMemo): its version for each executable, and the comments of up to 20,000 scripts by key.
 */
export class ShellcheckMemory {
  private readonly versions = new Map<string, Promise<VersionAnswer>>();
  private readonly results = new Map<string, CachedComment[]>();

  /**
   * `shellcheck --version`, once for each executable (only an answer is remembered: a ShellCheck installed while the
   * language server runs is found on the next run). 'missing' when it cannot be started.
   */
  version(executable: string, timeoutMs = 5000): Promise<VersionAnswer> {
    const known = this.versions.get(executable);
    if (known) return known;
    const asked = shellcheckVersion(executable, timeoutMs);
    this.versions.set(executable, asked);
    void asked.then((a) => {
      if (a.kind !== 'ok') this.versions.delete(executable);
    });
    return asked;
  }

  get(key: string): CachedComment[] | undefined {
    const hit = this.results.get(key);
    if (hit) {
      // Least recently used first out: a hit moves to the end.
      this.results.delete(key);
      this.results.set(key, hit);
    }
    return hit;
  }

  set(key: string, comments: CachedComment[]): void {
    this.results.delete(key);
    this.results.set(key, comments);
    while (this.results.size > MEMORY_ENTRIES) this.results.delete(this.results.keys().next().value!);
  }
}

/** `shellcheck --version` asked now; 'missing' when it cannot be started. */
export function shellcheckVersion(executable: string, timeoutMs = 5000): Promise<VersionAnswer> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (a: VersionAnswer): void => {
      if (!settled) {
        settled = true;
        clearTimeout(timer);
        resolve(a);
      }
    };
    let child;
    try {
      child = spawn(executable, ['--version'], { stdio: ['ignore', 'pipe', 'ignore'] });
    } catch {
      resolve({ kind: 'unknown' });
      return;
    }
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      done({ kind: 'unknown' });
    }, timeoutMs);
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d: string) => {
      out += d;
    });
    child.on('error', (err: NodeJS.ErrnoException) =>
      done(err.code === 'ENOENT' ? { kind: 'missing' } : { kind: 'unknown' }),
    );
    child.on('close', (code) => {
      // `version: 0.9.0`; another program's output is kept whole (it is only a key).
      const v = /^version:\s*(\S+)/m.exec(out)?.[1] ?? out.trim();
      done(code === 0 && v ? { kind: 'ok', version: v } : { kind: 'unknown' });
    });
  });
}

// ---- on disk ----

/** `shellcheck` in the user's cache directory (util/cacheDir.ts). */
export function defaultShellcheckCacheDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const root = userCacheDir(env);
  return root && join(root, 'shellcheck');
}

export interface DiskCacheOptions {
  dir: string;
  /** At most this many entries; beyond it the oldest (by mtime: written or last used) go. Default 10,000. */
  maxEntries?: number;
  /** At most this many bytes of entries. Default 64 MiB. */
  maxBytes?: number;
}

const DEFAULT_MAX_ENTRIES = 10000;
const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;
/** A temporary file this old was left by a run that died: removed when the cache is pruned. */
const STALE_TEMP_MS = 60 * 60 * 1000;
/** A hit on an entry older than this renews its mtime (its place in the eviction order). */
const TOUCH_AFTER_MS = 60 * 60 * 1000;

function isComment(c: unknown): c is CachedComment {
  if (!c || typeof c !== 'object') return false;
  const o = c as Record<string, unknown>;
  return (
    typeof o.line === 'number' &&
    typeof o.endLine === 'number' &&
    typeof o.column === 'number' &&
    typeof o.endColumn === 'number' &&
    typeof o.level === 'string' &&
    typeof o.code === 'number' &&
    typeof o.message === 'string' &&
    (o.fix === undefined ||
      o.fix === null ||
      (typeof o.fix === 'object' && Array.isArray((o.fix as { replacements?: unknown }).replacements)))
  );
}

/** One directory of entries `<key>.json`; see the top of the file. Every method returns quietly on failure. */
export class DiskCache {
  private readonly dir: string;
  private readonly maxEntries: number;
  private readonly maxBytes: number;
  private writable = true;
  private written = 0;
  /** Why the cache could not be written (set once): the CLI may say it in one line. */
  warning: string | undefined;

  constructor(options: DiskCacheOptions) {
    this.dir = options.dir;
    this.maxEntries = Math.max(1, options.maxEntries ?? DEFAULT_MAX_ENTRIES);
    this.maxBytes = Math.max(1, options.maxBytes ?? DEFAULT_MAX_BYTES);
  }

  private file(key: string): string {
    return join(this.dir, `${key}.json`);
  }

  /** The entry's comments, or undefined when absent, unreadable, partial or not this key's. A hit is marked used. */
  get(key: string): CachedComment[] | undefined {
    let fd: number | undefined;
    let parsed: unknown;
    try {
      fd = openSync(this.file(key), 'r');
      const st = fstatSync(fd);
      const buf = Buffer.allocUnsafe(st.size);
      let got = 0;
      while (got < st.size) {
        const n = readSync(fd, buf, got, st.size - got, got);
        if (n === 0) break;
        got += n;
      }
      parsed = JSON.parse(buf.toString('utf8', 0, got));
      // Eviction takes the least recently used first: a hit counts as a use (recorded at most hourly, to save the
      // writes on every run).
      const now = Date.now();
      if (now - st.mtimeMs > TOUCH_AFTER_MS) {
        try {
          futimesSync(fd, now / 1000, now / 1000);
        } catch {
          // A read-only cache: the result is good all the same.
        }
      }
    } catch {
      return undefined;
    } finally {
      if (fd !== undefined) {
        try {
          closeSync(fd);
        } catch {
          // Nothing to do.
        }
      }
    }
    const e = parsed as { format?: unknown; key?: unknown; comments?: unknown } | null;
    if (!e || e.format !== FORMAT || e.key !== key || !Array.isArray(e.comments) || !e.comments.every(isComment))
      return undefined;
    return e.comments;
  }

  set(key: string, comments: CachedComment[]): void {
    if (!this.writable) return;
    try {
      if (this.written === 0) mkdirSync(this.dir, { recursive: true });
      writeCacheFile(this.file(key), JSON.stringify({ format: FORMAT, key, comments }));
      this.written++;
    } catch (err) {
      this.writable = false;
      this.warning = `cannot write the ShellCheck cache ${this.dir} (${(err as NodeJS.ErrnoException).code ?? String(err)}); running without it`;
    }
  }

  /** After writing: keeps the directory within its bounds, the least recently used entries going first. */
  prune(): void {
    if (this.written === 0) return;
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return;
    }
    const now = Date.now();
    const entries: Array<{ name: string; mtime: number; size: number }> = [];
    let bytes = 0;
    for (const name of names) {
      try {
        const st = statSync(join(this.dir, name));
        if (name.endsWith('.tmp')) {
          if (now - st.mtimeMs > STALE_TEMP_MS) unlinkSync(join(this.dir, name));
          continue;
        }
        if (!name.endsWith('.json')) continue;
        entries.push({ name, mtime: st.mtimeMs, size: st.size });
        bytes += st.size;
      } catch {
        // Gone meanwhile (another run pruned it): nothing to count.
      }
    }
    if (entries.length <= this.maxEntries && bytes <= this.maxBytes) return;
    // Down to 80 % of the bounds, so that the next runs do not prune again at once.
    const keepEntries = Math.max(1, Math.floor(this.maxEntries * 0.8));
    const keepBytes = Math.floor(this.maxBytes * 0.8);
    entries.sort((a, b) => a.mtime - b.mtime || (a.name < b.name ? -1 : 1));
    let count = entries.length;
    for (const e of entries) {
      if (count <= keepEntries && bytes <= keepBytes) break;
      try {
        unlinkSync(join(this.dir, e.name));
      } catch {
        // Removed by another run: it is gone all the same.
      }
      count--;
      bytes -= e.size;
    }
  }
}
