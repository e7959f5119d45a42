// `unbalanced-hook` and `hook-missing-path` over the state hooks read as shell (server/src/hooks): the problems the
// hook analyses find, as findings with their messages and fixes (docs/rules/unbalanced-hook.md, hook-missing-path.md).
import { finding, Finding, Fix } from '../findings';
import { HookPathOptions, missingCommands, MissingCommand } from '../hooks/backupJobPath';
import type { HookStateInput } from '../hooks/hookInput';
import { StopMode, unbalancedHooks, UnbalancedHook } from '../hooks/unbalancedHooks';
import type { ClanModel } from '../model/clanModel';
import type { AnalysisMemo } from './analysisMemo';

/** Both rules over every state's hooks; findings of unchanged hooks are the memo's (hookFindingsReuse.ts). */
export function checkHooks(model: ClanModel, memo: AnalysisMemo): Finding[] {
  const out: Finding[] = [];
  const compute = (input: HookStateInput) => [...checkUnbalancedHooks(input), ...checkHookPath(input)];
  for (const m of model.machines.values()) {
    for (const s of m.states) out.push(...memo.hookFindings.stateFindings(model, s, memo.bashTrees, compute));
  }
  return out;
}

/** `unbalanced-hook`: the pre hook stops or pauses something that neither it (later) nor the post hook starts again. */
export function checkUnbalancedHooks(state: HookStateInput): Finding[] {
  return unbalancedHooks(state).map((p) => unbalancedFinding(state, p));
}

const MODE_WORDS: Record<StopMode, { did: string; undo: string; stays: string }> = {
  stop: { did: 'stops', undo: 'start', stays: 'stays down' },
  pause: { did: 'pauses', undo: 'resume', stays: 'stays paused' },
  down: { did: 'takes down', undo: 'bring up', stays: 'stays down' },
};

function unbalancedFinding(state: HookStateInput, p: UnbalancedHook): Finding {
  const words = MODE_WORDS[p.mode];
  const names = p.targets.map((t) => `\`${t}\``);
  const list = names.length === 1 ? names[0]! : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
  const them = p.targets.length === 1 ? 'it' : 'them';
  const plural = p.targets.length === 1 ? '' : 's';
  const stays = p.targets.length === 1 ? words.stays : words.stays.replace('stays', 'stay');
  const where = p.hasPost
    ? `${p.postName} does not ${words.undo} ${them} again`
    : `there is no ${p.postName} to ${words.undo} ${them} again`;
  const message =
    `${p.preName} of state "${state.stateName}" ${words.did} ${p.noun}${plural} ${list}, but ${where}: ` +
    `${p.targets.length === 1 ? 'it' : 'they'} ${stays} after every ${p.what}.`;
  const fix: Fix | undefined = p.fix && {
    title: `Add \`${p.fix.line}\` to ${p.postName}`,
    edits: p.fix.edits,
    isPreferred: true,
  };
  return finding('unbalanced-hook', state.uri, p.range, message, fix ? [fix] : undefined);
}

/** `hook-missing-path`: a backup hook calls something the borgbackup job's PATH does not have. */
export function checkHookPath(state: HookStateInput, options: HookPathOptions = {}): Finding[] {
  // One fix per hook, shared by the findings of its commands.
  const fixes = new Map<MissingCommand['fix'], Fix>();
  return missingCommands(state, options).map((p) => {
    let fix = p.fix && fixes.get(p.fix);
    if (p.fix && !fix) {
      fix = {
        title: `Set PATH in ${p.hookName}: export PATH=\${lib.makeBinPath [ ${p.fix.packages.join(' ')} ]}:$PATH`,
        edits: p.fix.edits,
        isPreferred: true,
      };
      fixes.set(p.fix, fix);
    }
    return finding('hook-missing-path', state.uri, p.range, missingPathMessage(p), fix ? [fix] : undefined);
  });
}

function missingPathMessage(p: MissingCommand): string {
  const name = p.command;
  const how = p.package
    ? `add it to PATH, e.g. \`export PATH=\${lib.makeBinPath [ ${p.package} ]}:$PATH\`, or call it by its store path`
    : 'add the package that provides it to PATH with `export PATH=${lib.makeBinPath [ … ]}:$PATH`, or call it by its store path';
  const borg =
    `${p.hookName} runs inside the borgbackup-job-* systemd unit, whose PATH has only coreutils, findutils, ` +
    'gnugrep, gnused, systemd, borg and openssh (extend it with `systemd.services."borgbackup-job-<dest>".path`)';
  const local =
    'localbackup runs it inside `localbackup-create`, whose PATH has only rsnapshot, coreutils and util-linux';
  const why = p.where === 'borg' ? borg : p.where === 'localbackup' ? local : `${borg}; ${local}`;
  return (
    `\`${name}\` is not on the PATH of backup hooks: ${why}, so the hook fails with "${name}: command not found". ` +
    `Set PATH at the top of the script: ${how}.`
  );
}
