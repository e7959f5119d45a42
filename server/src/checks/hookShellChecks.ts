// `hook-shell`: ShellCheck's comments on the state hooks (hooks/shellcheckRunner.ts), as findings
// (docs/rules/hook-shell.md). Deferred: ShellCheck is an external program with a time limit, and the editor
// publishes the other findings without waiting for it.
import { finding, Finding, Fix } from '../findings';
import { hookInputs, HookStateInput } from '../hooks/hookInput';
import { HookShellComment, runShellcheck, ShellcheckOptions } from '../hooks/shellcheckRunner';
import type { ClanModel } from '../model/clanModel';
import type { AnalysisMemo } from './analysisMemo';
import type { DeferredOptions, DeferredResult } from './deferredCheck';

export const SHELLCHECK_MISSING_MESSAGE = 'shellcheck not found; install it to get hook-shell diagnostics';

export interface ShellcheckFindingsOptions extends Omit<ShellcheckOptions, 'memory'> {
  /** ShellCheck's results are kept in `memo.shellcheck`, and the missing-ShellCheck notice is given once per memo. */
  memo?: AnalysisMemo;
  /** Scripts per ShellCheck process, at most (tests). */
  chunk?: number;
}

export interface ShellcheckResult {
  findings: Finding[];
  /** True when the shellcheck executable could not be started. */
  shellcheckMissing: boolean;
  /** Set the first time shellcheck is found missing (once per memo, or every time without one): for the user. */
  notice?: string;
  /** Scripts skipped because shellcheck timed out or failed (nothing reported for them). */
  failures: string[];
  /** Why the disk cache could not be written (then this run went without it). */
  cacheWarning?: string;
  /** For tests and the bench: distinct scripts, and how many of them ShellCheck was run on. */
  stats?: { scripts: number; distinct: number; checked: number };
}

/** The deferred check: ShellCheck over every hook of the clan. Never throws for ShellCheck's sake. */
export async function checkHookShell(
  model: ClanModel,
  memo: AnalysisMemo,
  options: DeferredOptions,
): Promise<DeferredResult> {
  const inputs = hookInputs(model, memo.bashTrees);
  if (inputs.length === 0) return { findings: [] };
  const r = await checkShellcheckMany(inputs, {
    memo,
    ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
    ...(options.cacheDir ? { diskCache: { dir: options.cacheDir } } : {}),
  });
  const out: DeferredResult = { findings: r.findings };
  if (r.notice) out.notice = r.notice;
  if (r.cacheWarning) out.cacheWarning = r.cacheWarning;
  return out;
}

/** ShellCheck findings of one state's hooks, in document order. */
export async function checkShellcheck(
  state: HookStateInput,
  options: ShellcheckFindingsOptions = {},
): Promise<ShellcheckResult> {
  const result = await checkShellcheckMany([state], options);
  result.findings.sort(
    (a, b) => a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character,
  );
  return result;
}

/** ShellCheck findings of many states' hooks, each distinct script checked once (runShellcheck). */
export async function checkShellcheckMany(
  states: HookStateInput[],
  options: ShellcheckFindingsOptions = {},
): Promise<ShellcheckResult> {
  const { memo, ...rest } = options;
  const run = await runShellcheck(states, { ...rest, ...(memo ? { memory: memo.shellcheck } : {}) });
  const result: ShellcheckResult = {
    findings: run.comments.map(shellFinding),
    shellcheckMissing: run.shellcheckMissing,
    failures: run.failures,
  };
  if (run.cacheWarning) result.cacheWarning = run.cacheWarning;
  if (run.stats) result.stats = run.stats;
  if (run.shellcheckMissing && !memo?.shellcheckNoticeGiven) {
    if (memo) memo.shellcheckNoticeGiven = true;
    result.notice = SHELLCHECK_MISSING_MESSAGE;
  }
  return result;
}

function shellFinding(c: HookShellComment): Finding {
  const fixes: Fix[] = c.fix ? [{ title: `Apply ShellCheck's fix for SC${c.code}`, edits: c.fix }] : [];
  return finding('hook-shell', c.uri, c.range, `SC${c.code}: ${c.message} (${c.level}, in ${c.hookName})`, fixes);
}
