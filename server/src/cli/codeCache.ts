// Runs the engine bundle (dist/engine.js) through V8's code cache. Compiling the 550 KiB bundle and the functions a
// run calls is a third of a small `check` and of the server's start to its first diagnostics; with the cache, V8
// deserialises what an earlier run compiled instead. Node 22 has this built in (module.enableCompileCache); Node 20,
// which VS Code and this project still run on, has only vm.Script's cachedData, which this module uses.
//
// The cache is only ever a shortcut: V8 checks that the data fits its version and flags (cachedDataRejected), this
// module checks that the file is whole (a digest in front) and belongs to this very bundle text (the file name), and
// any failure to read or write it means compiling as without a cache, never an error.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Script, constants as vmConstants } from 'node:vm';
import { writeCacheFile } from '../util/cacheDir';

/** off: no cache directory; hit: V8 took the cached code; miss: no usable file; rejected: V8 refused the file's data. */
export type CodeCacheStatus = 'off' | 'hit' | 'miss' | 'rejected';

export interface BundleRun {
  status: CodeCacheStatus;
  /**
   * Writes what V8 has compiled so far into the cache, when there was no usable cache; called at the end of a run, so
   * that the functions the run needed are in it. Never throws.
   */
  save(): void;
}

const DIGEST_BYTES = 32;

/**
 * Loads and runs the CommonJS bundle `file` as Node would, with the code cache in `cacheDir` (none: undefined).
 * `flavour` names the V8 flags the run was started with (see launch.ts): V8 refuses data compiled under other flags,
 * so each flavour has its own file, and a new file of a flavour replaces the old one (one file per flavour at most).
 */
export function runBundle(file: string, cacheDir: string | undefined, flavour: string): BundleRun {
  const source = readFileSync(file, 'utf8');
  const key = createHash('sha256')
    .update(`${process.version}\0${process.arch}\0${flavour}\0`)
    .update(source)
    .digest('hex')
    .slice(0, 32);
  const name = `${flavour}-${key}.bin`;
  const cacheFile = cacheDir ? join(cacheDir, name) : undefined;
  const cachedData = cacheFile ? readCache(cacheFile) : undefined;
  const script = new Script(Module.wrap(source), {
    filename: file,
    ...(cachedData ? { cachedData } : {}),
    // The bundle's one dynamic import (web-tree-sitter's Language.load from a path, which the engine never calls)
    // resolves as in a module Node loaded itself; older Node versions lack the constant and only lose that.
    ...(vmConstants?.USE_MAIN_CONTEXT_DEFAULT_LOADER
      ? { importModuleDynamically: vmConstants.USE_MAIN_CONTEXT_DEFAULT_LOADER }
      : {}),
  });
  const status: CodeCacheStatus = !cacheFile
    ? 'off'
    : !cachedData
      ? 'miss'
      : script.cachedDataRejected
        ? 'rejected'
        : 'hit';
  const m = new Module(file);
  m.filename = file;
  m.loaded = true;
  const wrapper = script.runInThisContext() as (
    exports: unknown,
    require: NodeJS.Require,
    module: Module,
    filename: string,
    dirname: string,
  ) => void;
  wrapper.call(m.exports, m.exports, createRequire(file), m, file, dirname(file));
  return {
    status,
    save: () => {
      if (cacheDir && (status === 'miss' || status === 'rejected'))
        writeCache(cacheDir, name, `${flavour}-`, script.createCachedData());
    },
  };
}

function readCache(file: string): Buffer | undefined {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch {
    return undefined;
  }
  if (bytes.length <= DIGEST_BYTES) return undefined;
  const data = bytes.subarray(DIGEST_BYTES);
  const digest = createHash('sha256').update(data).digest();
  return digest.equals(bytes.subarray(0, DIGEST_BYTES)) ? data : undefined;
}

/** The digest in front, written atomically; then the flavour's older files go. Never throws. */
function writeCache(dir: string, name: string, prefix: string, data: Buffer): void {
  try {
    mkdirSync(dir, { recursive: true });
    writeCacheFile(join(dir, name), Buffer.concat([createHash('sha256').update(data).digest(), data]));
    for (const other of readdirSync(dir)) {
      if (other !== name && other.startsWith(prefix) && other.endsWith('.bin'))
        rmSync(join(dir, other), { force: true });
    }
  } catch {
    // No cache this time: the next run compiles again and tries again.
  }
}
