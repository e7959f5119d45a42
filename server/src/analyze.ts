// The analysis entry point shared by the LSP server and the CLI: sources in, model and findings out.
import { CHECKS } from './checks';
import { shellcheckHooks } from './checks/hookChecks';
import type { Finding } from './findings';
import { buildClanModel, ClanModel, ClanSources } from './model/clanModel';
import { comparePositions } from './model/range';
import { compareStrings } from './util/compare';

export interface AnalysisOptions {
  /** Rule codes to leave out (the `clanBackups.diagnostics.disabled` setting). */
  disabled?: readonly string[];
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
  // One failing check must not take every other diagnostic with it.
  const all = CHECKS.flatMap((check) => {
    try {
      return check(model);
    } catch (e) {
      internalErrors.push(`${check.name || 'check'}: ${e instanceof Error ? e.message : String(e)}`);
      return [];
    }
  });
  return { model, findings: sortFindings(all.filter((f) => !disabled.has(f.code))), internalErrors };
}

export function sortFindings(findings: Finding[]): Finding[] {
  return findings.sort((a, b) => compareStrings(a.uri, b.uri) || comparePositions(a.range.start, b.range.start)
    || compareStrings(a.code, b.code));
}

/**
 * ShellCheck findings for the hooks of an analysed clan (`hook-shell`); empty when disabled or not installed.
 * Results are kept in memory for the process; with `cacheDir`, also on disk across runs.
 */
export async function shellcheckFindings(analysis: Analysis, options: AnalysisOptions & { timeoutMs?: number; cacheDir?: string } = {}) {
  if (options.disabled?.includes('hook-shell')) return { findings: [] as Finding[] };
  return shellcheckHooks(analysis.model, {
    ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
    ...(options.cacheDir ? { cacheDir: options.cacheDir } : {}),
  });
}
