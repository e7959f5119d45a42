// Applies text edits (ranges in the original text) the way an editor does, last first so offsets stay valid.
import { LineIndex } from '../../server/src/model/range';

export interface RangeEdit {
  range: { start: { line: number; character: number }; end: { line: number; character: number } };
  newText: string;
}

export function applyEdits(text: string, edits: RangeEdit[]): string {
  const lines = new LineIndex(text);
  const sorted = [...edits].sort((a, b) => lines.offsetAt(b.range.start) - lines.offsetAt(a.range.start));
  let out = text;
  for (const e of sorted)
    out = out.slice(0, lines.offsetAt(e.range.start)) + e.newText + out.slice(lines.offsetAt(e.range.end));
  return out;
}
