// The analysis entry point shared by the LSP server and the CLI: sources in, model and findings out.
import { CHECKS } from './checks';
import { shellcheckHooks } from './checks/hookChecks';
import type { Finding } from './findings';
import { buildClanModel, ClanModel, ClanSources } from './model/clanModel';
import { comparePositions } from './model/range';

export interface AnalysisOptions {
  /** Rule codes to leave out (the `clanBackups.diagnostics.disabled` setting). */
  disabled?: readonly string[];
}

export interface Analysis {
  model: ClanModel;
  findings: Finding[];
}

export function analyzeClan(sources: ClanSources, options: AnalysisOptions = {}): Analysis {
  const model = buildClanModel(sources);
  const disabled = new Set(options.disabled ?? []);
  const findings = sortFindings(CHECKS.flatMap((check) => check(model)).filter((f) => !disabled.has(f.code)));
  return { model, findings };
}

export function sortFindings(findings: Finding[]): Finding[] {
  return findings.sort((a, b) => a.uri.localeCompare(b.uri) || comparePositions(a.range.start, b.range.start)
    || a.code.localeCompare(b.code));
}

/** ShellCheck findings for the hooks of an analysed clan (`hook-shell`); empty when disabled or not installed. */
export async function shellcheckFindings(analysis: Analysis, options: AnalysisOptions & { timeoutMs?: number } = {}) {
  if (options.disabled?.includes('hook-shell')) return { findings: [] as Finding[] };
  return shellcheckHooks(analysis.model, options.timeoutMs);
}
