// The analysis entry point shared by the LSP server and the CLI: sources in, model and findings out; then the
// deferred findings (of external programs) for that analysis.
import { CHECKS, DEFERRED_CHECKS, DeferredOptions } from './checks';
import { AnalysisMemo } from './checks/analysisMemo';
import type { Finding } from './findings';
import { buildClanModel } from './model/buildClanModel';
import { ClanModel, ClanSources } from './model/clanModel';
import { comparePositions } from './model/range';
import { compareStrings } from './util/compare';

export { AnalysisMemo } from './checks/analysisMemo';

export interface AnalysisOptions {
  /** Rule codes to leave out (the `clanBackups.diagnostics.disabled` setting). */
  disabled?: readonly string[];
  /**
   * What is kept between analyses (the language server keeps one memo, a CLI run one): unchanged hooks and
   * schedules are not checked again. Without one, nothing is kept.
   */
  memo?: AnalysisMemo;
}

export interface Analysis {
  model: ClanModel;
  findings: Finding[];
  /** Checks that threw (a bug of ours): the others' findings are still there. */
  internalErrors: string[];
}

export function analyzeClan(sources: ClanSources, options: AnalysisOptions = {}): Analysis {
  const model = buildClanModel(sources);
  const disabled = new Set(options.disabled ?? []);
  const internalErrors: string[] = [];
  const memo = options.memo ?? new AnalysisMemo();
  // One failing check must not take every other diagnostic with it.
  const all = CHECKS.flatMap((check) => {
    try {
      return check(model, memo);
    } catch (e) {
      internalErrors.push(describeFailure(check.name, e));
      return [];
    }
  });
  return { model, findings: sortFindings(all.filter((f) => !disabled.has(f.code))), internalErrors };
}

export interface DeferredAnalysis {
  findings: Finding[];
  /** One line for the user (ShellCheck is not installed). */
  notice?: string;
  /** The disk cache could not be written: one line for the user. */
  cacheWarning?: string;
  /** Deferred checks that threw (a bug of ours). */
  internalErrors: string[];
}

/**
 * The deferred checks' findings for an analysis (ShellCheck, `hook-shell`); a check whose rules are all disabled
 * does not run, and one that throws is an internal error like a synchronous one. ShellCheck's results are kept in the memo; with `cacheDir`, also on disk across runs.
 */
export async function deferredFindings(
  analysis: Analysis,
  options: AnalysisOptions & DeferredOptions = {},
): Promise<DeferredAnalysis> {
  const disabled = new Set(options.disabled ?? []);
  const memo = options.memo ?? new AnalysisMemo();
  const out: DeferredAnalysis = { findings: [], internalErrors: [] };
  const deferredOptions: DeferredOptions = {
    ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
    ...(options.cacheDir ? { cacheDir: options.cacheDir } : {}),
  };
  for (const check of DEFERRED_CHECKS) {
    if (check.codes.every((c) => disabled.has(c))) continue;
    let r;
    try {
      r = await check.run(analysis.model, memo, deferredOptions);
    } catch (e) {
      out.internalErrors.push(describeFailure(check.run.name, e));
      continue;
    }
    out.findings.push(...r.findings.filter((f) => !disabled.has(f.code)));
    if (r.notice) out.notice = r.notice;
    if (r.cacheWarning) out.cacheWarning = r.cacheWarning;
  }
  return out;
}

function describeFailure(name: string, e: unknown): string {
  return `${name || 'check'}: ${e instanceof Error ? e.message : String(e)}`;
}

export function sortFindings(findings: Finding[]): Finding[] {
  return findings.sort(
    (a, b) =>
      compareStrings(a.uri, b.uri) || comparePositions(a.range.start, b.range.start) || compareStrings(a.code, b.code),
  );
}
