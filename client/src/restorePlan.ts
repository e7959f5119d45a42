// The text of the restore confirmation. Pure (no `vscode` import) so it is unit-tested: the modal must name the
// machine, the backup, every folder that will be overwritten and every restore hook that will run.
import type { MachineSummary, StateSummary } from '../../server/src/lsp/protocol';
import type { ArchiveName } from './archives';

/** What the modal confirmation shows before a restore; tests replace `confirmRestore` to answer it. */
export interface RestorePlan {
  machine: string;
  archive: ArchiveName;
  /** undefined = all states. */
  service?: string;
  states: StateSummary[];
  folders: string[];
  hooks: string[];
  warnings: string[];
  message: string;
  detail: string;
}

const HOOK_COMMANDS: Record<string, string> = { preRestoreScript: 'pre-restore', postRestoreScript: 'post-restore' };

/** The text of the restore confirmation: what gets overwritten and which hooks run, in order. */
export function restorePlan(machine: MachineSummary, archive: ArchiveName, service: string | undefined): RestorePlan {
  const states = service === undefined ? machine.states : machine.states.filter((s) => s.name === service);
  const folders = [...new Set(states.flatMap((s) => s.folders))];
  const hooks: string[] = [];
  const warnings: string[] = [];
  for (const s of states) {
    for (const hook of ['preRestoreScript', 'postRestoreScript']) {
      if (s.hooks.includes(hook)) hooks.push(`${HOOK_COMMANDS[hook]}-${s.name} (${hook} of ${s.name})`);
    }
    if (s.folders.length === 0 && !s.foldersOpaque) {
      warnings.push(`State ${s.name} has folders = [ ]: borg extracts the WHOLE archive for it.`);
    } else if (s.foldersOpaque) {
      warnings.push(`State ${s.name} has computed folders that are not listed here.`);
    }
  }
  if (service === undefined && states.length === 0) {
    warnings.push(`${machine.name} has no clan.core.state in the model: the clan CLI restores nothing.`);
  }
  if (service !== undefined && states.length === 0) {
    warnings.push(`State ${service} is not in the model of ${machine.name}; the clan CLI decides.`);
  }
  const when = archive.time ? ` from ${archive.time.replace('T', ' ')}` : '';
  const message = `Restore ${service ? `state "${service}"` : 'all states'} of ${machine.name} from backup ${archive.archive}${when}?`;
  const lines = [
    `Machine: ${machine.name}`,
    `Backup: ${archive.name}`,
    `States: ${service ?? (machine.states.map((s) => s.name).join(', ') || 'all')}`,
    '',
    `Folders that will be overwritten on ${machine.name}:`,
    ...(folders.length ? folders.map((f) => `  ${f}`) : ['  (none listed)']),
    '',
    hooks.length ? `Hooks that will run on ${machine.name}:` : 'No restore hooks are set: services that use these folders keep running during the restore.',
    ...hooks.map((h) => `  ${h}`),
  ];
  if (warnings.length) lines.push('', ...warnings);
  return { machine: machine.name, archive, service, states, folders, hooks, warnings, message, detail: lines.join('\n') };
}

