// The shape of a check that runs an external program, apart from the check list (index.ts) so that such a check
// and the list that names it do not import each other.
import type { Finding } from '../findings';
import type { ClanModel } from '../model/clanModel';
import type { RuleCode } from '../rules';
import type { AnalysisMemo } from './analysisMemo';

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
