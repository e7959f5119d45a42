// What analyses keep from one run to the next, in one object owned by whoever runs them: the language server keeps
// one for its lifetime (every keystroke re-analyses, and most of the clan did not change), a CLI run one for the run.
// Everything here is bounded, and only speeds analyses up: with a fresh memo (or none) the findings are the same,
// except the missing-ShellCheck notice, which is said once per memo.
import { BashTrees } from '../hooks/shellScript';
import { ShellcheckMemory } from '../hooks/shellcheckCache';
import { HookFindingsMemo } from './hookFindingsReuse';

export class AnalysisMemo {
  /** scheduleChecks: a future elapse of each `startAt` expression, by expression (at most 4,096). */
  readonly elapses = new Map<string, bigint>();
  /** hookRuleChecks: each state's hook findings, while nothing they were made from changed. */
  readonly hookFindings = new HookFindingsMemo();
  /** The hook analyses: parsed bash by script text (at most 4,096 trees). */
  readonly bashTrees = new BashTrees();
  /** hookShellChecks: ShellCheck's version and results by script (at most 20,000). */
  readonly shellcheck = new ShellcheckMemory();
  /** hookShellChecks: the notice that ShellCheck is not installed was given. */
  shellcheckNoticeGiven = false;
}
