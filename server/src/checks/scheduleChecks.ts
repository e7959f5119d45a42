// `startAt`: a systemd calendar event (systemd.time(7); the engine is a port of systemd's src/shared/calendarspec.c). A typo means the timer never fires.
import { CalendarSpec, nextElapses, parseCalendar, suggestCalendar } from '../calendar';
import { finding, Finding, Fix } from '../findings';
import type { ClanModel } from '../model/clanModel';
import { asAttrs } from '../model/nixValue';
import { settingsLayers } from '../model/settingsLayers';
import { memoizeString } from '../util/memo';
import { nixStringLiteral, rangeInString } from './valueRanges';

const parse = memoizeString((expr: string) => parseCalendar(expr));

// An elapse of each expression found by an earlier check (`elapses`, the caller's AnalysisMemo's): while it is still
// ahead of `now`, the expression elapses after `now` (exactly, whatever `now` is), without a calendar search per
// client on every keystroke.
function elapsesAfter(expr: string, spec: CalendarSpec, now: Date, elapses: Map<string, bigint> | undefined): boolean {
  const known = elapses?.get(expr);
  if (known !== undefined && known > BigInt(now.getTime()) * 1000n) return true;
  const next = nextElapses(spec, now, 1)[0];
  if (next === undefined) return false;
  if (elapses && elapses.size >= 4096) elapses.clear();
  elapses?.set(expr, next);
  return true;
}

export interface ScheduleOptions {
  /** The time "never elapses" is judged from; tests pass a fixed one. */
  now?: Date;
  /** Elapses found by earlier checks, by expression (see elapsesAfter); kept and bounded by the caller's memo. */
  elapses?: Map<string, bigint>;
}

export function checkSchedules(model: ClanModel, options: ScheduleOptions = {}): Finding[] {
  const out: Finding[] = [];
  const now = options.now ?? new Date();
  for (const inst of model.instances) {
    if (!inst.isBorgbackup) continue;
    for (const layer of settingsLayers(inst)) {
      if (layer.role.name !== 'client') continue;
      const v = asAttrs(layer.value)?.entries.get('startAt')?.value;
      if (!v || v.kind !== 'string' || v.value === undefined) continue;
      const parsed = parse(v.value);
      if (!parsed.ok) {
        const hint = suggestCalendar(v.value);
        const fixes: Fix[] = hint?.replacement
          ? [
              {
                title: `Use "${hint.replacement}"`,
                isPreferred: true,
                edits: [{ uri: v.uri, range: v.literal, newText: nixStringLiteral(hint.replacement) }],
              },
            ]
          : [];
        const range =
          v.value.length === 0
            ? v.range
            : rangeInString(model, v, parsed.offset, parsed.offset + Math.max(1, parsed.length));
        out.push(
          finding(
            'invalid-calendar',
            v.uri,
            range,
            `\`startAt\` "${v.value}" is not a systemd calendar event: ${parsed.message}.${hint ? ` ${hint.explanation}` : ''} The timer would never be created.`,
            fixes,
          ),
        );
        continue;
      }
      if (!elapsesAfter(v.value, parsed.spec, now, options.elapses)) {
        out.push(
          finding(
            'calendar-never-elapses',
            v.uri,
            v.range,
            `\`startAt\` "${v.value}" (normalized: ${parsed.normalized}) never elapses after ${now.toISOString().slice(0, 10)}: the backup never runs. Check the weekday against the date, impossible dates (\`*-02-30\`) and dates in the past.`,
          ),
        );
      }
    }
  }
  return out;
}
