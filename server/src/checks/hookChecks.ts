// State hooks parsed as shell (server/src/hooks): stop/start balance and PATH synchronously, ShellCheck
// asynchronously (it is an external process with a time limit; the editor never waits for it).
import type { Finding } from '../findings';
import { checkHookPath, checkShellcheckMany, checkUnbalancedHooks, HOOK_NAMES, HookStateInput } from '../hooks/hookRules';
import type { ClanModel, State } from '../model/clanModel';

function hookInput(model: ClanModel, s: State): HookStateInput | undefined {
  if (!s.attrs) return undefined;
  const file = model.files.find((f) => f.uri === s.attrs!.uri);
  if (!file) return undefined;
  const input: HookStateInput = { uri: file.uri, text: file.text, lines: file.lines, stateName: s.name, hooks: {} };
  for (const name of HOOK_NAMES) {
    const e = s.attrs.entries.get(name);
    // Hooks defined in another file than the state's attrset are analysed with that file's text only.
    if (!e || !e.binding || e.value.uri !== file.uri) continue;
    input.hooks[name] = { value: e.value, bindingStart: e.binding.start, bindingEnd: e.binding.end };
  }
  return Object.keys(input.hooks).length ? input : undefined;
}

function hookInputs(model: ClanModel): HookStateInput[] {
  return [...model.machines.values()].flatMap((m) => m.states.map((s) => hookInput(model, s)))
    .filter((x): x is HookStateInput => x !== undefined);
}

export function checkHooks(model: ClanModel): Finding[] {
  return hookInputs(model).flatMap((input) => [...checkUnbalancedHooks(input), ...checkHookPath(input)]);
}

export interface ShellcheckRun {
  findings: Finding[];
  /** Set once per process when shellcheck is not installed: a message for the user. */
  notice?: string;
}

export async function shellcheckHooks(model: ClanModel, timeoutMs?: number): Promise<ShellcheckRun> {
  const inputs = hookInputs(model);
  if (inputs.length === 0) return { findings: [] };
  const r = await checkShellcheckMany(inputs, timeoutMs ? { timeoutMs } : {});
  const run: ShellcheckRun = { findings: r.findings };
  if (r.notice) run.notice = r.notice;
  return run;
}
