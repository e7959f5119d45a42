// The user's cache directory for this tool, shared by the ShellCheck results and V8's code cache, and how a file is
// written into it.
import { randomBytes } from 'node:crypto';
import { renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';

/**
 * `$XDG_CACHE_HOME/clan-backups`, else `~/.cache/clan-backups` (a relative XDG_CACHE_HOME is ignored, as the XDG
 * base directory spec says); undefined without a usable home directory.
 */
export function userCacheDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const xdg = env.XDG_CACHE_HOME;
  if (xdg && isAbsolute(xdg)) return join(xdg, 'clan-backups');
  let home = env.HOME;
  if (!home) {
    try {
      home = homedir();
    } catch {
      return undefined;
    }
  }
  return home && isAbsolute(home) ? join(home, '.cache', 'clan-backups') : undefined;
}

/**
 * Writes `file` through a temporary file renamed into place, so that runs sharing the directory never read half a
 * file. Throws what writing throws, after removing the temporary file.
 */
export function writeCacheFile(file: string, data: string | Uint8Array): void {
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, file);
  } catch (err) {
    try {
      unlinkSync(tmp);
    } catch {
      // Never created.
    }
    throw err;
  }
}
