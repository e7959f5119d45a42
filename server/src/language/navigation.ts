// Machine and tag names as symbols across the clan's files: definition, references, rename.
// A machine is defined by `inventory.machines.<m>`, the top-level `machines.<m>`, a `machines/<m>/` directory
// (its configuration.nix) or inventory.json, and referenced by `roles.*.machines.<m>` and `inventory.tags` lists.
// A tag is defined by machines' `tags` lists and `inventory.tags.<t>`, and referenced by `roles.*.tags`.
import type { Location, TextEdit, WorkspaceEdit } from 'vscode-languageserver-types';
import type { Analysis } from '../analyze';
import { containsPosition, Position, Range } from '../model/range';
import { toPath, toUri } from '../util/uris';
import { join } from 'node:path';
import { existsSync } from 'node:fs';

export interface NameRef {
  kind: 'machine' | 'tag';
  name: string;
  uri: string;
  range: Range;
  definition: boolean;
}

/** Every place a machine or tag name is written, from the model. */
export function nameRefs(analysis: Analysis): NameRef[] {
  const { model } = analysis;
  const out: NameRef[] = [];
  for (const m of model.machines.values()) {
    for (const d of m.decls) {
      if (d.source === 'directory') {
        const cfg = join(toPath(d.ref.uri), 'configuration.nix');
        if (existsSync(cfg))
          out.push({ kind: 'machine', name: m.name, uri: toUri(cfg), range: d.ref.range, definition: true });
      } else out.push({ kind: 'machine', name: m.name, uri: d.ref.uri, range: d.ref.range, definition: true });
    }
    for (const t of m.tags)
      out.push({ kind: 'tag', name: t.name, uri: t.ref.uri, range: t.ref.range, definition: true });
  }
  for (const inst of model.instances) {
    for (const role of inst.roles) {
      for (const mem of role.machines)
        out.push({ kind: 'machine', name: mem.name, uri: mem.ref.uri, range: mem.ref.range, definition: false });
      for (const t of role.tags)
        out.push({ kind: 'tag', name: t.name, uri: t.ref.uri, range: t.ref.range, definition: false });
    }
  }
  // A tag declared by inventory.tags.<t> appears once per machine in the model: keep one ref per place.
  const seen = new Set<string>();
  return out.filter((r) => {
    const k = `${r.kind}:${r.uri}:${r.range.start.line}:${r.range.start.character}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

export function refAt(analysis: Analysis, uri: string, pos: Position): NameRef | undefined {
  return nameRefs(analysis).find(
    (r) =>
      r.uri === uri && containsPosition(r.range, pos) && !(r.range.start.line === 0 && r.range.end.character === 0),
  );
}

export function definitionsAt(analysis: Analysis, uri: string, pos: Position): Location[] {
  const at = refAt(analysis, uri, pos);
  if (!at) return [];
  return nameRefs(analysis)
    .filter((r) => r.kind === at.kind && r.name === at.name && r.definition)
    .map((r) => ({ uri: r.uri, range: r.range }));
}

export function referencesAt(analysis: Analysis, uri: string, pos: Position, includeDeclaration: boolean): Location[] {
  const at = refAt(analysis, uri, pos);
  if (!at) return [];
  return nameRefs(analysis)
    .filter((r) => r.kind === at.kind && r.name === at.name && (includeDeclaration || !r.definition))
    .filter((r) => !(r.range.start.line === 0 && r.range.start.character === 0 && r.range.end.character === 0))
    .map((r) => ({ uri: r.uri, range: r.range }));
}

export function prepareRenameAt(
  analysis: Analysis,
  uri: string,
  pos: Position,
): { range: Range; placeholder: string } | undefined {
  const at = refAt(analysis, uri, pos);
  return at ? { range: at.range, placeholder: at.name } : undefined;
}

/**
 * Renames every written occurrence. Keys keep their quoting style (a key that needs quotes gets them); strings keep
 * theirs. A `machines/<m>/` directory is not moved: the rename says so through the edit's absence there.
 */
export function renameAt(
  analysis: Analysis,
  uri: string,
  pos: Position,
  newName: string,
  texts: (uri: string) => string | undefined,
): WorkspaceEdit | undefined {
  const at = refAt(analysis, uri, pos);
  if (!at) return undefined;
  const changes: Record<string, TextEdit[]> = {};
  for (const r of nameRefs(analysis)) {
    if (r.kind !== at.kind || r.name !== at.name) continue;
    if (
      r.range.start.line === 0 &&
      r.range.start.character === 0 &&
      r.range.end.line === 0 &&
      r.range.end.character === 0
    )
      continue;
    const text = texts(r.uri);
    if (text === undefined) continue;
    const original = sliceRange(text, r.range);
    const quoted = original.startsWith('"');
    const needsQuotes = !/^[A-Za-z_][\w'-]*$/.test(newName);
    // Strings (tag lists) carry their quotes in the range; bare keys get quotes only when the name needs them.
    const newText = quoted || needsQuotes ? `"${newName}"` : newName;
    (changes[r.uri] ??= []).push({ range: r.range, newText });
  }
  return { changes };
}

function sliceRange(text: string, r: Range): string {
  const lines = text.split('\n');
  if (r.start.line === r.end.line) return (lines[r.start.line] ?? '').slice(r.start.character, r.end.character);
  return (lines[r.start.line] ?? '').slice(r.start.character);
}
