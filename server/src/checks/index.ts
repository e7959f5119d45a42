// All check families, run over one clan model: CHECKS synchronously, then DEFERRED_CHECKS (external programs). Each
// family's findings are a function of the model alone. What is kept between analyses only saves work:
// - in the AnalysisMemo the caller owns and passes (bounded; analysisMemo.ts): a future elapse of each schedule, the
//   hook findings of unchanged hooks, parsed bash trees, ShellCheck's version and results, and whether the
//   missing-ShellCheck notice was given (the one thing that changes what is said: once per memo);
// - memos of pure functions, for as long as their arguments live: string analyses in destinationChecks and
//   scheduleChecks (util/memo.ts), and WeakMaps on values or on objects of one model: a settings value's schema
//   findings and a role's member layers (settingsChecks), the script read from a hook string (hooks/shellScript.ts).
//   A value keeps its text but may move (model/incrementalRead.ts): what holds positions is checked against its start.
import type { Finding } from '../findings';
import type { ClanModel } from '../model/clanModel';
import type { AnalysisMemo } from './analysisMemo';
import { checkCoverage } from './coverageChecks';
import { checkDestinations } from './destinationChecks';
import { checkHooks } from './hookRuleChecks';
import type { DeferredCheck } from './deferredCheck';
import { checkHookShell } from './hookShellChecks';
import { checkInventory } from './inventoryChecks';
import { checkMeta, checkSyntax } from './metaChecks';
import { checkPostgresql } from './postgresqlChecks';
import { checkSchedules } from './scheduleChecks';
import { checkSettings } from './settingsChecks';
import { checkStates } from './stateChecks';

export type { DeferredCheck, DeferredOptions, DeferredResult } from './deferredCheck';

export type Check = (model: ClanModel, memo: AnalysisMemo) => Finding[];

function checkSchedulesKept(model: ClanModel, memo: AnalysisMemo): Finding[] {
  return checkSchedules(model, { elapses: memo.elapses });
}

export const CHECKS: ReadonlyArray<Check> = [
  checkSyntax,
  checkMeta,
  checkInventory,
  checkSettings,
  checkSchedulesKept,
  checkDestinations,
  checkStates,
  checkPostgresql,
  checkHooks,
  checkCoverage,
];

export const DEFERRED_CHECKS: ReadonlyArray<DeferredCheck> = [{ codes: ['hook-shell'], run: checkHookShell }];
