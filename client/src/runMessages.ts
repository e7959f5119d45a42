// How a clan CLI run is told to the user: the one-line failure for a notification, the result line for the output
// channel, and a state's folders in a quick-pick description.
import type { StateSummary } from '../../shared/protocol';
import type { RunResult } from './clanCli';

export function failureMessage(r: RunResult): string {
  switch (r.kind) {
    case 'clanError':
    case 'usageError':
    case 'failed':
      return r.message;
    case 'notFound':
      return `${r.executable}: not found`;
    case 'spawnError':
      return r.error.message;
    default:
      return r.kind;
  }
}

export function describeFolders(s: StateSummary): string {
  if (s.folders.length === 0) return s.foldersOpaque ? 'computed folders' : 'folders = [ ]';
  return s.folders.join(', ') + (s.foldersOpaque ? ', …' : '');
}

export function describeResult(r: RunResult): string {
  switch (r.kind) {
    case 'ok':
      return 'exit 0';
    case 'clanError':
      return `exit 1 (ClanError): ${r.message}`;
    case 'usageError':
      return `exit 2 (usage error): ${r.message}`;
    case 'failed':
      return r.signal ? `killed by ${r.signal}` : `exit ${r.exitCode}: ${r.message}`;
    case 'cancelled':
      return 'cancelled; process group killed';
    case 'notFound':
      return `${r.executable}: not found (ENOENT)`;
    case 'spawnError':
      return `${r.executable}: ${r.error.message}`;
  }
}
