// The outline of a file: machines (with their states and databases), instances → roles → members.
import { DocumentSymbol, SymbolKind } from 'vscode-languageserver-types';
import type { Analysis } from '../analyze';
import { asAttrs } from '../model/nixValue';
import type { Range } from '../model/range';

function sym(
  name: string,
  detail: string,
  kind: SymbolKind,
  range: Range,
  selection: Range,
  children: DocumentSymbol[] = [],
): DocumentSymbol {
  return { name, detail, kind, range, selectionRange: selection, children };
}

export function documentSymbols(analysis: Analysis, uri: string): DocumentSymbol[] {
  const { model } = analysis;
  const out: DocumentSymbol[] = [];
  for (const m of model.machines.values()) {
    const children: DocumentSymbol[] = [];
    for (const s of m.states) {
      if (s.keyRef.uri !== uri) continue;
      const folders = s.attrs?.entries.get('folders')?.value;
      const detail = folders?.kind === 'list' ? `${folders.items.length} folder(s)` : 'state';
      children.push(
        sym(
          s.name,
          detail,
          SymbolKind.Object,
          s.value.range.start.line < s.keyRef.range.start.line ? s.keyRef.range : span(s.keyRef.range, s.value.range),
          s.keyRef.range,
        ),
      );
    }
    for (const pg of m.postgresql) {
      for (const [db, e] of asAttrs(pg.databases?.value)?.entries ?? []) {
        if (e.value.uri !== uri) continue;
        children.push(sym(db, 'PostgreSQL database', SymbolKind.Struct, span(e.keyRange, e.value.range), e.keyRange));
      }
    }
    const decls = m.decls.filter((d) => d.ref.uri === uri && d.source !== 'directory');
    const config = m.configs.find((c) => c.uri === uri);
    if (decls.length === 0 && !config && children.length === 0) continue;
    const at = decls[0]?.ref.range ?? config?.range ?? children[0]!.selectionRange;
    const full = config && decls.some((d) => d.source === 'machines') ? span(at, config.range) : at;
    out.push(
      sym(
        m.name,
        [m.machineClass, ...new Set(m.tags.map((t) => t.name))].join(', '),
        SymbolKind.Module,
        full,
        at,
        children,
      ),
    );
  }
  for (const inst of model.instances) {
    if (inst.ref.uri !== uri) continue;
    const roles = inst.roles.map((r) => {
      const members = [
        ...r.machines.map((mm) => sym(mm.name, 'machine', SymbolKind.Variable, mm.ref.range, mm.ref.range)),
        ...r.tags.map((t) => sym(t.name, 'tag', SymbolKind.EnumMember, t.ref.range, t.ref.range)),
      ];
      return sym(r.name, 'role', SymbolKind.Class, span(r.ref, r.entry.value.range), r.ref.range, members);
    });
    out.push(
      sym(
        inst.name,
        inst.resolvedModule ?? 'service instance',
        SymbolKind.Package,
        span(inst.ref.range, inst.entry.value.range),
        inst.ref.range,
        roles,
      ),
    );
  }
  return out;
}

function span(a: Range | { range: Range }, b: Range): Range {
  const r = 'range' in a ? a.range : a;
  const startFirst =
    r.start.line < b.start.line || (r.start.line === b.start.line && r.start.character <= b.start.character);
  const endLast = r.end.line > b.end.line || (r.end.line === b.end.line && r.end.character >= b.end.character);
  return { start: startFirst ? r.start : b.start, end: endLast ? r.end : b.end };
}
