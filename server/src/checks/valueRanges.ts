// Pointing inside string literals: a finding about characters [from, to) of a value gets their document range.
import type { ClanModel } from '../model/clanModel';
import { StringValue, stringOffsets } from '../model/nixValue';
import type { Range } from '../model/range';

export function rangeInString(model: ClanModel, v: StringValue, from: number, to: number): Range {
  const file = model.files.find((f) => f.uri === v.uri);
  const o = file && stringOffsets(v, file.lines, from, to);
  if (!file || !o) return v.range;
  return file.lines.rangeOf(o.start, o.end);
}

/** The literal as Nix source: the replacement text of a fix that rewrites a whole string. */
export function nixStringLiteral(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\$\{/g, '\\${')}"`;
}
