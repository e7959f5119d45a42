// The user's cache directory for this tool, shared by the ShellCheck results and V8's code cache.
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
