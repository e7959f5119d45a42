// The hooks of one `clan.core.state.<name>` as the hook analyses read them: the four bindings with the document they
// are in, and what decides the backup job's PATH on that machine. Built from the clan model here.
import type { ClanModel, Machine, State } from '../model/clanModel';
import { backupProviders } from '../model/backupCoverage';
import { asAttrs, NixValue, StringValue } from '../model/nixValue';
import { containsPosition, LineIndex } from '../model/range';
import type { Tree } from '../parsing/parser';
import { PACKAGE_COMMANDS } from './jobPathTables';
import type { BashTrees } from './shellScript';

export type HookName = 'preBackupScript' | 'postBackupScript' | 'preRestoreScript' | 'postRestoreScript';

export const HOOK_NAMES: readonly HookName[] = [
  'preBackupScript',
  'postBackupScript',
  'preRestoreScript',
  'postRestoreScript',
];

export interface HookBinding {
  /** The bound value; only a `StringValue` is analysed, anything else (a call, a variable) is "unknown". */
  value: StringValue | NixValue;
  /** Document offsets of the whole binding node: from its attrpath (`preBackupScript` or `a.b.preBackupScript`) to after its `;`. */
  bindingStart: number;
  bindingEnd: number;
}

/** One state's hooks, as the model builder passes them. */
export interface HookStateInput {
  uri: string;
  /** The whole Nix document the bindings are in. */
  text: string;
  stateName: string;
  hooks: Partial<Record<HookName, HookBinding>>;
  /** The document's line index, when the caller has one (building it per state is the cost of a large clan). */
  lines?: LineIndex;
  /** The document's syntax tree, when the caller has one: a fix that edits the module's arguments looks there. */
  tree?: Tree;
  /**
   * The machine's NixOS modules in this document, as document offsets: the PATH fix gives the one around the hooks
   * the arguments it needs (`lib`, `pkgs`), and no other function (clan.nix's own, flake.nix's `outputs`). Without
   * it (a lone hook), the nearest function around the hook is taken.
   */
  modules?: Array<{ start: number; end: number; isFunction: boolean }>;
  /**
   * Commands the machine's configuration adds to the job units' PATH (`systemd.services."borgbackup-job-<dest>".path
   * = [ pkgs.docker ];`: hooks run as ExecStartPre/ExecStopPost of that unit and inherit it), or 'unknown' when that
   * list is not literal or names a package whose commands are not known: then no command can be called missing.
   */
  jobPath?: readonly string[] | 'unknown';
  /**
   * The machine is a client of a localbackup instance: `localbackup-create` runs its pre-backup commands with
   * `PATH=rsnapshot:coreutils:util-linux` (clan-core clanServices/localbackup/default.nix), so preBackupScript must
   * find its commands there too. Post-backup commands are not run by localbackup.
   */
  localbackup?: boolean;
  /** Parsed bash by script text, when the caller keeps them between analyses (see BashTrees). */
  bashTrees?: BashTrees;
}

/** The state's hooks, bound in its own attribute set's file; undefined when it has none. */
export function hookInput(model: ClanModel, s: State, bashTrees?: BashTrees): HookStateInput | undefined {
  if (!s.attrs) return undefined;
  const file = model.files.find((f) => f.uri === s.attrs!.uri);
  if (!file) return undefined;
  const input: HookStateInput = { uri: file.uri, text: file.text, lines: file.lines, stateName: s.name, hooks: {} };
  if (file.tree) input.tree = file.tree;
  if (bashTrees) input.bashTrees = bashTrees;
  const { jobPath, localbackup } = pathContext(model, s.machine);
  if (jobPath) input.jobPath = jobPath;
  if (localbackup) input.localbackup = true;
  input.modules = moduleValues(model, s, file.uri).map((c) => ({
    start: file.lines.offsetAt(c.range.start),
    end: file.lines.offsetAt(c.range.end),
    isFunction: c.kind === 'function',
  }));
  for (const name of HOOK_NAMES) {
    const e = s.attrs.entries.get(name);
    // Hooks defined in another file than the state's attrset are analysed with that file's text only.
    if (!e || !e.binding || e.value.uri !== file.uri) continue;
    input.hooks[name] = {
      value: e.value,
      bindingStart: file.lines.offsetAt(e.binding.start),
      bindingEnd: file.lines.offsetAt(e.binding.end),
    };
  }
  return Object.keys(input.hooks).length ? input : undefined;
}

/** Every state's hooks in the clan. */
export function hookInputs(model: ClanModel, bashTrees?: BashTrees): HookStateInput[] {
  return [...model.machines.values()]
    .flatMap((m) => m.states.map((s) => hookInput(model, s, bashTrees)))
    .filter((x): x is HookStateInput => x !== undefined);
}

/**
 * What `systemd.services."borgbackup-job-<dest>".path` adds to the PATH of the job units in the machine's visible
 * configuration (NixOS merges the list into the unit's PATH, and the hooks run in that unit). Undefined when nothing
 * is added; 'unknown' when a value on the way is not literal or a package's commands are not known.
 */
function jobPathCommands(m: Machine): string[] | 'unknown' | undefined {
  const commands: string[] = [];
  for (const config of m.configs) {
    const root = asAttrs(config);
    if (!root) continue;
    const systemd = root.entries.get('systemd');
    if (!systemd) continue;
    const systemdAttrs = asAttrs(systemd.value);
    if (!systemdAttrs || systemdAttrs.dynamicKeys) return 'unknown';
    const services = systemdAttrs.entries.get('services');
    if (!services) continue;
    const units = asAttrs(services.value);
    if (!units || units.dynamicKeys) return 'unknown';
    for (const [unit, e] of units.entries) {
      if (!unit.startsWith('borgbackup-job-')) continue;
      const body = asAttrs(e.value);
      if (!body || body.dynamicKeys) return 'unknown';
      const path = body.entries.get('path')?.value;
      if (!path) continue;
      if (path.kind !== 'list') return 'unknown';
      for (const item of path.items) {
        const known = item.kind === 'opaque' ? PACKAGE_COMMANDS.get(item.text.replace(/\s+/g, '')) : undefined;
        if (!known) return 'unknown';
        commands.push(...known);
      }
    }
  }
  return commands.length ? commands : undefined;
}

/**
 * The machine's modules in `uri` that the PATH fix may give arguments: functions, and attribute sets written with
 * braces and whole (a dotted `machines.m.x = …` or a set merged with bindings elsewhere cannot become a function).
 */
export function moduleValues(model: ClanModel, s: State, uri: string): NixValue[] {
  return (model.machines.get(s.machine)?.configs ?? []).filter(
    (c) =>
      c.uri === uri &&
      (c.kind === 'function' ||
        (c.kind === 'attrs' &&
          !c.implicit &&
          [...c.entries.values()].every((e) => containsPosition(c.range, e.keyRange.start)))),
  );
}

/** What decides a machine's hook PATHs besides the hooks: the job units' extra packages, localbackup's PATH. */
export function pathContext(model: ClanModel, machineName: string): Pick<HookStateInput, 'jobPath' | 'localbackup'> {
  const machine = model.machines.get(machineName);
  const jobPath = machine ? jobPathCommands(machine) : undefined;
  const localbackup = backupProviders(model, machineName)?.includes('localbackup') === true;
  return { ...(jobPath ? { jobPath } : {}), ...(localbackup ? { localbackup } : {}) };
}

/** The PATH context as one string, to compare it with an earlier one. */
export function pathKey(c: Pick<HookStateInput, 'jobPath' | 'localbackup'>): string {
  const path = c.jobPath === undefined ? '' : c.jobPath === 'unknown' ? '?' : [...c.jobPath].sort().join(' ');
  return c.localbackup ? `${path}+local` : path;
}
