// Dropping the diagnostics whose code the user listed in `clanBackups.diagnostics.disabled`. Pure: works on anything
// shaped like a vscode.Diagnostic, so it is unit-tested without VS Code.

export interface DiagnosticLike {
  source?: string;
  code?: string | number | { value: string | number } | undefined;
}

export function diagnosticCode(d: DiagnosticLike): string | undefined {
  const c = d.code;
  if (c === undefined || c === null) return undefined;
  return typeof c === 'object' ? String(c.value) : String(c);
}

/** Keeps every diagnostic of other sources (e.g. Nix IDE's server), and ours unless their code is disabled. */
export function filterDiagnostics<T extends DiagnosticLike>(
  diagnostics: T[],
  disabled: readonly string[],
  source: string,
): T[] {
  if (disabled.length === 0) return diagnostics;
  const off = new Set(disabled);
  return diagnostics.filter((d) => {
    if (d.source !== undefined && d.source !== source) return true;
    const code = diagnosticCode(d);
    return code === undefined || !off.has(code);
  });
}
