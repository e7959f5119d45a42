// An inlay hint after each literal `startAt` of a borgbackup client: when the timer fires next.
import { InlayHint, InlayHintKind } from 'vscode-languageserver-types';
import type { Analysis } from '../analyze';
import { formatTimestamp, nextElapses, parseCalendar } from '../calendar';
import { asAttrs } from '../model/nixValue';
import type { Range } from '../model/range';
import { settingsLayers } from '../model/settingsLayers';

export function scheduleHints(
  analysis: Analysis,
  uri: string,
  range: Range,
  now = new Date(),
  tz?: string,
): InlayHint[] {
  const out: InlayHint[] = [];
  for (const inst of analysis.model.instances) {
    if (!inst.isBorgbackup) continue;
    for (const layer of settingsLayers(inst)) {
      if (layer.role.name !== 'client') continue;
      const v = asAttrs(layer.value)?.entries.get('startAt')?.value;
      if (!v || v.kind !== 'string' || v.value === undefined || v.uri !== uri) continue;
      if (v.range.end.line < range.start.line || v.range.start.line > range.end.line) continue;
      const parsed = parseCalendar(v.value, tz);
      if (!parsed.ok) continue;
      const [next] = nextElapses(parsed.spec, now, 1, tz);
      out.push({
        position: v.range.end,
        kind: InlayHintKind.Parameter,
        paddingLeft: true,
        label: next === undefined ? 'never runs' : `next: ${formatTimestamp(next, tz)}`,
      });
    }
  }
  return out;
}
