// All check families, run over one clan model. Each family is a function of the model: what it keeps between
// analyses is in the AnalysisMemo it is given (elapses of schedules, hook findings, bash trees, ShellCheck's results
// and whether its missing-notice was given; see analysisMemo.ts), and only speeds it up. Besides, some keep
// memos of pure functions for the lifetime of their arguments: destinationChecks and scheduleChecks remember string
// analyses (util/memo.ts), settingsChecks the schema findings of a settings value (WeakMap on the immutable value)
// and a role's member layers (WeakMap on the role, which lives as long as its model), hooks/shellScript.ts the
// script read from a hook string (WeakMap on the immutable value).
import type { Finding } from '../findings';
import type { RuleCode } from '../rules';
import type { ClanModel } from '../model/clanModel';
import type { AnalysisMemo } from './analysisMemo';
import { checkCoverage } from './coverageChecks';
import { checkDestinations } from './destinationChecks';
import { checkHooks } from './hookRuleChecks';
import { checkHookShell } from './hookShellChecks';
import { checkInventory } from './inventoryChecks';
import { checkMeta, checkSyntax } from './metaChecks';
import { checkPostgresql } from './postgresqlChecks';
import { checkSchedules } from './scheduleChecks';
import { checkSettings } from './settingsChecks';
import { checkStates } from './stateChecks';

export type Check = (model: ClanModel, memo: AnalysisMemo) => Finding[];

function checkSchedulesKept(model: ClanModel, memo: AnalysisMemo): Finding[] {
  return checkSchedules(model, { elapses: memo.elapses });
}

export const CHECKS: ReadonlyArray<Check> = [
  checkSyntax, checkMeta, checkInventory, checkSettings, checkSchedulesKept, checkDestinations, checkStates,
  checkPostgresql, checkHooks, checkCoverage,
];

export interface DeferredOptions {
  /** Time limit of an external program, per run. */
  timeoutMs?: number;
  /** Keep external programs' results in this directory across runs (the CLI). */
  cacheDir?: string;
}

export interface DeferredResult {
  findings: Finding[];
  /** One line for the user (a program is not installed). */
  notice?: string;
  /** The disk cache could not be written: one line for the user. */
  cacheWarning?: string;
}

/**
 * A check that runs an external program: the editor publishes the other findings first and adds these when they
 * come. `codes` are the rules it reports: when all are disabled it does not run at all.
 */
export interface DeferredCheck {
  codes: readonly RuleCode[];
  run: (model: ClanModel, memo: AnalysisMemo, options: DeferredOptions) => Promise<DeferredResult>;
}

export const DEFERRED_CHECKS: ReadonlyArray<DeferredCheck> = [
  { codes: ['hook-shell'], run: checkHookShell },
];
