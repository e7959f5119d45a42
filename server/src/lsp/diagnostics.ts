// Findings as LSP diagnostics, each linked to its rule page.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Diagnostic, DiagnosticSeverity } from 'vscode-languageserver/node';
import type { Finding } from '../findings';

const SOURCE = 'clan-backups';

/**
 * Each diagnostic links to its rule page, shipped with the extension (docs/rules/<code>.md next to dist/), so the
 * link works offline. Bundled server: dist/ → ../docs; compiled tests: out/server/src/lsp → ../../../../docs.
 */
const RULE_DOCS = [resolve(__dirname, '../docs/rules'), resolve(__dirname, '../../../../docs/rules')].find((d) =>
  existsSync(d),
);

const SEVERITY: Record<Finding['severity'], DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  information: DiagnosticSeverity.Information,
  hint: DiagnosticSeverity.Hint,
};

export function toDiagnostic(f: Finding): Diagnostic {
  return {
    range: f.range,
    severity: SEVERITY[f.severity],
    code: f.code,
    ...(RULE_DOCS ? { codeDescription: { href: pathToFileURL(join(RULE_DOCS, `${f.code}.md`)).href } } : {}),
    source: SOURCE,
    message: f.message,
  };
}
