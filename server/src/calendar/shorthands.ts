// The two steps of calendar_spec_from_string() around the component parser (systemd 252,
// src/shared/calendarspec.c): shorthands (`daily`, `weekly`, ...) expanded to their components, and the parsed
// spec normalised (sorted, deduplicated chains; two-digit years; UTC) the way systemd prints it back.
import { BITS_WEEKDAYS, CalendarComponent, CalendarSpec, Chain, constChain } from './types';

export function applyShorthand(p: string, spec: CalendarSpec): boolean {
  const l = p.toLowerCase();
  const time = () => {
    spec.hour = constChain(0);
    spec.minute = constChain(0);
    spec.microsecond = constChain(0);
  };
  switch (l) {
    case 'minutely':
      spec.microsecond = constChain(0);
      return true;
    case 'hourly':
      spec.minute = constChain(0);
      spec.microsecond = constChain(0);
      return true;
    case 'daily':
      time();
      return true;
    case 'monthly':
      spec.day = constChain(1);
      time();
      return true;
    case 'annually':
    case 'yearly':
    case 'anually':
      spec.month = constChain(1);
      spec.day = constChain(1);
      time();
      return true;
    case 'weekly':
      spec.weekdaysBits = 1;
      time();
      return true;
    case 'quarterly':
      spec.month = [1, 4, 7, 10].map((v) => constChain(v)[0]);
      spec.day = constChain(1);
      time();
      return true;
    case 'biannually':
    case 'bi-annually':
    case 'semiannually':
    case 'semi-annually':
      spec.month = [1, 7].map((v) => constChain(v)[0]);
      spec.day = constChain(1);
      time();
      return true;
    default:
      return false;
  }
}

function compareComponents(a: CalendarComponent, b: CalendarComponent): number {
  return a.start - b.start || a.stop - b.stop || a.repeat - b.repeat;
}

// normalize_chain()
function normalizeChain(c: Chain): Chain {
  if (!c) return c;
  for (const i of c) {
    if (i.stop > i.start && i.repeat > 0) i.stop -= (i.stop - i.start) % i.repeat;
    if ((i.stop > i.start && i.repeat > 0 && i.start + i.repeat > i.stop) || i.start === i.stop) {
      i.repeat = 0;
      i.stop = -1;
    }
  }
  const sorted = [...c].sort(compareComponents);
  const out: CalendarComponent[] = [];
  for (const x of sorted) {
    if (out.length && compareComponents(out[out.length - 1], x) === 0) continue;
    out.push(x);
  }
  return out;
}

function fixYear(c: Chain): void {
  for (const x of c ?? []) {
    if (x.start >= 0 && x.start < 70) x.start += 2000;
    if (x.stop >= 0 && x.stop < 70) x.stop += 2000;
    if (x.start >= 70 && x.start < 100) x.start += 1900;
    if (x.stop >= 70 && x.stop < 100) x.stop += 1900;
  }
}

export function normalizeSpec(c: CalendarSpec): void {
  if (c.timezone === 'UTC') {
    c.utc = true;
    c.timezone = null;
  }
  if (c.weekdaysBits <= 0 || c.weekdaysBits >= BITS_WEEKDAYS) c.weekdaysBits = -1;
  if (c.endOfMonth && !c.day) c.endOfMonth = false;
  fixYear(c.year);
  c.year = normalizeChain(c.year);
  c.month = normalizeChain(c.month);
  c.day = normalizeChain(c.day);
  c.hour = normalizeChain(c.hour);
  c.minute = normalizeChain(c.minute);
  c.microsecond = normalizeChain(c.microsecond);
}
