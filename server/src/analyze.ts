// The analysis entry point shared by the LSP server and the CLI: sources in, model and findings out.
import { CHECKS } from './checks';
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
  const findings = CHECKS.flatMap((check) => check(model)).filter((f) => !disabled.has(f.code));
  findings.sort((a, b) => a.uri.localeCompare(b.uri) || comparePositions(a.range.start, b.range.start)
    || a.code.localeCompare(b.code));
  return { model, findings };
}
