// The PATH a backup hook runs with: what the borgbackup job unit and localbackup's script put there (the command
// tables), the commands a hook calls that are on neither, and the fix that sets PATH at the top of the hook with the
// packages that provide them. Pure over the hooks' text.
import type { TextEdit } from '../model/nixEdits';
import { literalOffset, StringValue } from '../model/nixValue';
import { LineIndex, Range } from '../model/range';
import type { HookBinding, HookName, HookStateInput } from './hookInput';
import { BASH_BUILTINS, BACKUP_JOB_PATH, LOCALBACKUP_PATH, COMMAND_PACKAGES } from './jobPathTables';
import { formalsEdit } from './moduleArguments';
import { ShellCommand, parseHookScript, pathSetBefore } from './shellScript';
export interface HookPathOptions {
  /** Extra commands known to be on the job's PATH (e.g. from `systemd.services."borgbackup-job-…".path`). */
  extraPath?: Iterable<string>;
}

/** A command a backup hook calls that the PATH of a provider running the hook does not have. */
export interface MissingCommand {
  hookName: HookName;
  command: string;
  /** The command's name at its first call in the hook. */
  range: Range;
  /** Whose PATH lacks it: the borgbackup job unit's, localbackup-create's, or both. */
  where: 'borg' | 'localbackup' | 'both';
  /** The package that provides it (COMMAND_PACKAGES), when known. */
  package?: string;
  /** Setting PATH at the top of the hook (one fix for all the hook's missing commands). */
  fix?: PathFix;
}

export interface PathFix {
  /** The packages put on PATH, as Nix expressions. */
  packages: string[];
  edits: TextEdit[];
}

/** The commands the backup hooks call before setting PATH that the job's PATH does not have, once per hook. */
export function missingCommands(state: HookStateInput, options: HookPathOptions = {}): MissingCommand[] {
  const out: MissingCommand[] = [];
  if (state.jobPath === 'unknown') return out;
  const extra = new Set([...(options.extraPath ?? []), ...(state.jobPath ?? [])]);
  const lines = state.lines ?? new LineIndex(state.text);
  for (const hookName of ['preBackupScript', 'postBackupScript'] as const) {
    const hook = state.hooks[hookName];
    if (!hook || hook.value.kind !== 'string') continue;
    const script = parseHookScript(hook.value, state.text, lines, state.bashTrees);
    if (script.hasError) continue;
    const firstUse = new Map<string, { cmd: ShellCommand; where: 'borg' | 'localbackup' | 'both' }>();
    // A command must be on the PATH of every provider that runs the hook: borg's job unit always (a state of a
    // machine that is no borgbackup client is another rule's business), localbackup's script for pre-backup hooks.
    const inLocalbackup = state.localbackup === true && hookName === 'preBackupScript';
    for (const cmd of script.commands) {
      const name = cmd.name;
      if (name === undefined || name === '' || cmd.isPath) continue;
      if (BASH_BUILTINS.has(name) || script.functions.has(name)) continue;
      const onBorg = BACKUP_JOB_PATH.has(name) || extra.has(name);
      const onLocal = !inLocalbackup || LOCALBACKUP_PATH.has(name);
      if (onBorg && onLocal) continue;
      if (!/^[A-Za-z0-9_][A-Za-z0-9_.+-]*$/.test(name)) continue;
      if (pathSetBefore(script, cmd)) continue;
      if (!firstUse.has(name))
        firstUse.set(name, { cmd, where: !onBorg && !onLocal ? 'both' : !onBorg ? 'borg' : 'localbackup' });
    }
    if (firstUse.size === 0) continue;
    const missing = [...firstUse.keys()];
    const fix = pathFix(state, lines, hook, missing);
    for (const [name, { cmd, where }] of firstUse) {
      const problem: MissingCommand = { hookName, command: name, range: cmd.nameRange, where };
      const pkg = COMMAND_PACKAGES[name];
      if (pkg) problem.package = pkg;
      if (fix) problem.fix = fix;
      out.push(problem);
    }
  }
  return out;
}

/** Inserts `export PATH=${lib.makeBinPath [ … ]}:$PATH` as the first line, and the module arguments it needs. */
function pathFix(state: HookStateInput, lines: LineIndex, hook: HookBinding, missing: string[]): PathFix | undefined {
  if (hook.value.kind !== 'string') return undefined;
  const value = hook.value;
  const pkgs = [...new Set(missing.map((m) => COMMAND_PACKAGES[m]).filter((p): p is string => p !== undefined))];
  const unknown = missing.filter((m) => COMMAND_PACKAGES[m] === undefined);
  // Guessing an attribute for an unknown command would write a wrong fix; with nothing known there is none.
  if (pkgs.length === 0) return undefined;
  const newLines = [`export PATH=\${lib.makeBinPath [ ${pkgs.join(' ')} ]}:$PATH`];
  if (unknown.length > 0) {
    newLines.push(
      `# TODO: also add the package${unknown.length > 1 ? 's' : ''} providing ${unknown.join(', ')} to the list above`,
    );
  }
  const insert = insertAtScriptStart(state.text, lines, value, newLines);
  if (!insert) return undefined;
  const edits: TextEdit[] = [{ uri: state.uri, ...insert }];
  const needed = ['lib'];
  if (pkgs.some((p) => p.startsWith('pkgs.'))) needed.push('pkgs');
  if (pkgs.some((p) => p.startsWith('config.'))) needed.push('config');
  const formals = formalsEdit(state, lines, hook.bindingStart, needed);
  // null: no module to give the arguments to (a hook outside any machine module); a fix would not evaluate.
  if (formals === null) return undefined;
  if (formals) edits.push(formals);
  return { packages: pkgs, edits };
}

function insertAtScriptStart(
  text: string,
  lines: LineIndex,
  value: StringValue,
  newLines: string[],
): { range: Range; newText: string } | undefined {
  const first = value.pieces[0];
  const stringStart = literalOffset(value, lines);
  if (!value.indented) {
    const at = stringStart + 1;
    const body = newLines.map((l) => l.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')).join('\\n');
    return { range: lines.rangeOf(at, at), newText: `${body}\\n` };
  }
  if (!first) {
    const at = stringStart + 2;
    return { range: lines.rangeOf(at, at), newText: `${newLines.join('\n')}\n` };
  }
  const at = stringStart + (first.kind === 'text' ? first.offsets[0]! : first.start);
  const lineStart = text.lastIndexOf('\n', at - 1) + 1;
  const before = text.slice(lineStart, at);
  const indent = /^[ \t]*$/.test(before) && lineStart > stringStart ? before : '';
  return { range: lines.rangeOf(at, at), newText: newLines.map((l) => `${l}\n${indent}`).join('') };
}
