// What the commands accept and return, apart from VS Code: their ids, the arguments a tree node or a caller (the e2e
// suite, a keybinding) passes, and the outcome object the e2e suite asserts on instead of reading notifications.
import type { RunResult } from './clanCli';
import type { ListOutput } from './archives';
import type { TreeNode } from './treeView';

export const COMMAND_IDS = {
  runBackup: 'clanBackups.runBackup',
  listBackups: 'clanBackups.listBackups',
  restoreBackup: 'clanBackups.restoreBackup',
  restartServer: 'clanBackups.restartServer',
  showOutput: 'clanBackups.showOutput',
  refresh: 'clanBackups.refresh',
  backUpService: 'clanBackups.backUpService',
} as const;

/** What a command accepts besides a tree node: every field optional; missing ones are asked for. */
export interface CommandArgs {
  machine?: string;
  clanDir?: string;
  /**
   * Run and List: one provider (`--provider`); omitted = every provider of the machine. Restore: the provider of
   * `archive`; omitted = the one its form names (`<dest>::<repo>::<archive>` borgbackup, `<target>::<dir>` localbackup).
   */
  provider?: string;
  /** Restore: the full backup name as `clan backups list` prints it. */
  archive?: string;
  /** Restore: one state (`--service`). */
  service?: string;
  /** Restore: every state (no `--service`), without asking. */
  allStates?: boolean;
}

export type CommandOutcome =
  /** `calls`: every CLI call of the command (List runs one per provider); `args` is the last. */
  | { status: 'ok'; args: string[]; result: RunResult; listing?: ListOutput; calls?: string[][] }
  | { status: 'failed'; args: string[]; result: RunResult }
  | { status: 'cancelled'; reason: 'user' | 'untrusted' | 'noMachine' | 'notConfirmed' | 'noArchive'; args?: string[] }
  | { status: 'invalid'; message: string };

export function toArgs(arg: unknown): CommandArgs {
  if (typeof arg === 'string') return { machine: arg };
  if (!arg || typeof arg !== 'object') return {};
  const node = arg as TreeNode | (CommandArgs & { kind?: undefined });
  switch (node.kind) {
    case 'archive':
      return {
        clanDir: node.clanDir,
        machine: node.machine,
        archive: node.archive.name,
        provider: node.archive.provider,
      };
    case 'state':
      return { clanDir: node.clanDir, machine: node.machine, service: node.state.name };
    case 'clan':
      return { clanDir: node.clanDir };
    case 'message':
      return {};
    case undefined:
      return node;
    default:
      return { clanDir: node.clanDir, machine: node.machine };
  }
}
