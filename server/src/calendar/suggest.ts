// "Did you mean" for things people write instead of systemd calendar events: cron lines, time
// spans, and plain-English phrases. Every replacement offered is a valid systemd expression in
// normalized form; when no exact equivalent exists we only explain why.

import { parseSpec } from './parse';
import { formatSpec } from './format';
import { UTC_ZONE } from './tz';

export interface CalendarSuggestion {
  /** a valid systemd calendar expression with the same meaning; absent when none exists */
  replacement?: string;
  explanation: string;
}

function normalized(expr: string): string | undefined {
  const r = parseSpec(expr, { zone: UTC_ZONE });
  return r.ok ? formatSpec(r.spec, UTC_ZONE) : undefined;
}

function offer(expr: string, explanation: string): CalendarSuggestion | undefined {
  const n = normalized(expr);
  return n === undefined ? undefined : { replacement: n, explanation: explanation.replace('$R', n) };
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const CRON_DOW = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const SD_DOW = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

const CRON_MACROS: Record<string, string> = {
  '@yearly': 'yearly',
  '@annually': 'yearly',
  '@monthly': 'monthly',
  '@weekly': 'weekly',
  '@daily': 'daily',
  '@midnight': 'daily',
  '@hourly': 'hourly',
};

/** One cron field → systemd chain, or undefined if not expressible. */
function cronField(f: string, min: number, max: number, names?: string[]): string | undefined {
  const val = (v: string): number | undefined => {
    const i = names ? names.indexOf(v.toLowerCase()) : -1;
    if (i >= 0) return i + min;
    if (!/^\d{1,2}$/.test(v)) return undefined;
    const n = Number(v);
    return n >= min && n <= max ? n : undefined;
  };
  const items: string[] = [];
  for (const part of f.split(',')) {
    const m = /^(\*|[A-Za-z0-9]+)(?:-([A-Za-z0-9]+))?(?:\/(\d+))?$/.exec(part);
    if (!m) return undefined;
    const step = m[3] !== undefined ? Number(m[3]) : undefined;
    if (step === 0) return undefined;
    if (m[1] === '*') {
      if (m[2] !== undefined) return undefined;
      if (step === undefined) return '*';
      items.push(`${min}/${step}`);
      continue;
    }
    const a = val(m[1]);
    if (a === undefined) return undefined;
    if (m[2] !== undefined) {
      const b = val(m[2]);
      if (b === undefined || b < a) return undefined;
      items.push(`${a}..${b}${step ? '/' + step : ''}`);
    } else items.push(step ? `${a}..${max}/${step}` : String(a));
  }
  return items.join(',');
}

/** cron day-of-week field → systemd weekday list, or undefined. '' means any. */
function cronDow(f: string): string | undefined {
  if (f === '*' || f === '?') return '';
  const bits = new Set<number>();
  for (const part of f.split(',')) {
    const m = /^(\*|[A-Za-z0-9]+)(?:-([A-Za-z0-9]+))?(?:\/(\d+))?$/.exec(part);
    if (!m) return undefined;
    const v = (s: string): number | undefined => {
      const i = CRON_DOW.indexOf(s.toLowerCase().slice(0, 3));
      if (i >= 0 && /^[A-Za-z]{3}$/.test(s)) return i;
      if (/^[0-7]$/.test(s)) return Number(s) % 7;
      return undefined;
    };
    const step = m[3] ? Number(m[3]) : 1;
    if (step === 0) return undefined;
    let a: number;
    let b: number;
    if (m[1] === '*') {
      a = 0;
      b = 6;
    } else {
      const va = v(m[1]);
      if (va === undefined) return undefined;
      a = va;
      b = va;
      if (m[2] !== undefined) {
        // cron allows 7 as Sunday at the end of a range (1-7)
        b = m[2] === '7' ? 7 : (v(m[2]) ?? -1);
        if (b < a) return undefined;
      }
    }
    for (let d = a; d <= b; d += step) bits.add(d % 7);
  }
  // systemd lists weekdays Monday-first; the normalizer takes care of ranges
  return [1, 2, 3, 4, 5, 6, 0]
    .filter((d) => bits.has(d))
    .map((d) => SD_DOW[d])
    .join(',');
}

function suggestCron(fields: string[]): CalendarSuggestion | undefined {
  const [mi, h, dom, mon, dow] = fields;
  const minute = cronField(mi, 0, 59);
  const hour = cronField(h, 0, 23);
  const day = cronField(dom, 1, 31);
  const month = cronField(mon, 1, 12, MONTHS);
  const wd = cronDow(dow);
  const line = fields.join(' ');
  if ([minute, hour, day, month, wd].some((x) => x === undefined)) {
    return {
      explanation: `'${line}' looks like a cron line, but it uses cron syntax that has no direct systemd equivalent; systemd expects "[weekday] year-month-day hour:minute:second" (see systemd.time(7)).`,
    };
  }
  if (day !== '*' && wd !== '') {
    return {
      explanation: `'${line}' looks like a cron line. In cron, a restricted day-of-month and day-of-week fire when EITHER matches; systemd requires BOTH to match, so there is no single exact equivalent. Use two timers (or two OnCalendar= lines), e.g. "*-${month}-${day} ${hour}:${minute}:00" and "${wd} *-${month}-* ${hour}:${minute}:00".`,
    };
  }
  const expr = `${wd ? wd + ' ' : ''}*-${month}-${day} ${hour}:${minute}:00`;
  return offer(expr, `'${line}' is cron syntax; the systemd calendar event with the same schedule is "$R".`);
}

const SPAN_UNITS: Array<[RegExp, number]> = [
  [/^(s|sec|secs|second|seconds)$/, 1],
  [/^(m|min|mins|minute|minutes)$/, 60],
  [/^(h|hr|hrs|hour|hours)$/, 3600],
  [/^(d|day|days)$/, 86400],
  [/^(w|wk|week|weeks)$/, 604800],
];

function spanSeconds(n: number, unit: string): number | undefined {
  const u = SPAN_UNITS.find(([r]) => r.test(unit.toLowerCase()));
  return u ? n * u[1] : undefined;
}

/** A fixed interval → calendar expression, when the interval divides the day (or is a day/week). */
function suggestInterval(secs: number, what: string): CalendarSuggestion {
  const why = `'${what}' is a time span, not a calendar event (systemd #7224); `;
  if (secs <= 0) return { explanation: why + 'a zero interval never fires.' };
  if (secs < 60 && 60 % secs === 0)
    return offer(`*:*:0/${secs}`, why + 'the calendar event firing at that interval is "$R".')!;
  if (secs % 60 === 0 && secs < 3600 && 3600 % secs === 0) {
    return offer(
      secs === 60 ? 'minutely' : `*:0/${secs / 60}`,
      why + 'the calendar event firing at that interval is "$R".',
    )!;
  }
  if (secs % 3600 === 0 && secs < 86400 && 86400 % secs === 0) {
    return offer(
      secs === 3600 ? 'hourly' : `0/${secs / 3600}:00`,
      why + 'the calendar event firing at that interval is "$R".',
    )!;
  }
  if (secs === 86400) return offer('daily', why + 'the calendar event for once a day is "$R" (midnight).')!;
  if (secs === 604800) return offer('weekly', why + 'the calendar event for once a week is "$R" (Monday midnight).')!;
  if (secs === 1209600) return fortnightly(what);
  const days = secs / 86400;
  if (Number.isInteger(days) && days > 1 && days <= 28) {
    return {
      explanation:
        why +
        `a calendar event cannot express "every ${days} days" exactly: "*-*-01/${days}" restarts on the 1st of every month, so gaps vary at month ends. For a strict interval use a monotonic timer (OnUnitActiveSec=${days}d) instead.`,
    };
  }
  return {
    explanation:
      why +
      'this interval does not divide a day or week evenly, so no calendar event matches it exactly; use a monotonic timer (OnUnitActiveSec=) instead.',
  };
}

function fortnightly(what: string): CalendarSuggestion {
  return {
    explanation:
      `'${what}': systemd has no "every other week" calendar event (fortnightly/biweekly and Mon/14 are not supported upstream, systemd #6024). ` +
      `Closest options: "weekly" (every Monday), "*-*-01,15 00:00:00" (twice a month), or a monotonic timer with OnUnitActiveSec=2w.`,
  };
}

const PHRASE_DAYS: Record<string, string> = {
  monday: 'Mon',
  mon: 'Mon',
  tuesday: 'Tue',
  tue: 'Tue',
  tues: 'Tue',
  wednesday: 'Wed',
  wed: 'Wed',
  thursday: 'Thu',
  thu: 'Thu',
  thurs: 'Thu',
  friday: 'Fri',
  fri: 'Fri',
  saturday: 'Sat',
  sat: 'Sat',
  sunday: 'Sun',
  sun: 'Sun',
  weekday: 'Mon..Fri',
  weekdays: 'Mon..Fri',
  weekend: 'Sat,Sun',
  weekends: 'Sat,Sun',
};

/** "4", "04:00", "4am", "4:30 pm", "16h", "noon", "midnight" → [hour, minute] */
function parseClock(s: string): [number, number] | undefined {
  const t = s.trim().toLowerCase();
  if (t === 'noon') return [12, 0];
  if (t === 'midnight') return [0, 0];
  const m = /^(\d{1,2})(?:[:.h](\d{2}))?\s*(am|pm|a\.m\.|p\.m\.|h|o'clock)?$/.exec(t);
  if (!m) return undefined;
  let h = Number(m[1]);
  const mi = Number(m[2] ?? 0);
  const ap = m[3]?.replace(/\./g, '');
  if (ap === 'am' || ap === 'pm') {
    if (h < 1 || h > 12) return undefined;
    h = (h % 12) + (ap === 'pm' ? 12 : 0);
  }
  if (h > 23 || mi > 59) return undefined;
  return [h, mi];
}

function hhmm([h, m]: [number, number]): string {
  return `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`;
}

function suggestPhrase(text: string): CalendarSuggestion | undefined {
  const t = text.trim().toLowerCase().replace(/\s+/g, ' ');
  let m: RegExpExecArray | null;
  const explain = `'${text.trim()}' is plain English; the systemd calendar event is "$R".`;

  // "every 15 minutes", "every 2 hours", "every hour", "every day at 4"
  if ((m = /^every (\d+) ?([a-z]+)$/.exec(t))) {
    const secs = spanSeconds(Number(m[1]), m[2]);
    if (secs !== undefined) return suggestInterval(secs, text.trim());
  }
  if ((m = /^(?:every|each|once an?|once per) (second|minute|hour)$/.exec(t))) {
    return offer(m[1] === 'second' ? '*:*:*' : m[1] === 'minute' ? 'minutely' : 'hourly', explain);
  }
  if ((m = /^(?:every|each|once an?|once per|once every) (day|night|week|month|year)$/.exec(t))) {
    return offer({ day: 'daily', night: 'daily', week: 'weekly', month: 'monthly', year: 'yearly' }[m[1]]!, explain);
  }
  if (/^(every other week|every 2 weeks|every two weeks|twice a month)$/.test(t)) {
    if (t === 'twice a month') return offer('*-*-01,15', explain);
    return fortnightly(text.trim());
  }
  // "[every|daily|each day] [at] 4", "daily at 04:00", "every monday at 5pm", "weekdays at 9"
  m =
    /^(?:(?:every|each|on) )?(?:(days?|daily|nights?|nightly|weekends?|[a-z]+days?|mon|tue|tues|wed|thu|thurs|fri|sat|sun)\b ?)?(?:at )?(.*)$/.exec(
      t,
    );
  if (m && m[2]) {
    const clock = parseClock(m[2]);
    if (clock) {
      const d = m[1];
      let wd = '';
      if (d && !['day', 'days', 'daily', 'night', 'nights', 'nightly'].includes(d)) {
        wd = PHRASE_DAYS[d] ?? PHRASE_DAYS[d.replace(/s$/, '')] ?? '';
        if (!wd) return undefined;
      }
      if (!d && !/^(?:at )?\d/.test(t) && !/^at /.test(t) && !/^(noon|midnight)$/.test(t)) return undefined;
      return offer(`${wd ? wd + ' ' : ''}*-*-* ${hhmm(clock)}`, explain);
    }
  }
  if ((m = /^(?:every|each|on) ([a-z]+)$/.exec(t)) && PHRASE_DAYS[m[1]] !== undefined) {
    return offer(`${PHRASE_DAYS[m[1]]} *-*-* 00:00:00`, explain);
  }
  return undefined;
}

/**
 * Suggest a systemd equivalent for something that is not a valid calendar event.
 * Returns undefined for valid expressions and for input it does not recognise.
 */
export function suggestCalendar(expr: string): CalendarSuggestion | undefined {
  if (expr.length > 200) return undefined;
  const text = expr.trim();
  if (text === '')
    return { explanation: 'An empty calendar expression never fires; write e.g. "daily" or "*-*-* 04:00:00".' };
  if (parseSpec(expr, { zone: UTC_ZONE }).ok) return undefined;
  const lower = text.toLowerCase();

  if (CRON_MACROS[lower]) {
    return offer(CRON_MACROS[lower], `'${text}' is a cron macro; the systemd calendar event is "$R".`);
  }
  if (lower === '@reboot') {
    return {
      explanation: "'@reboot' is a cron macro with no calendar equivalent; use OnBootSec= in the timer instead.",
    };
  }
  if (/^(fortnightly|biweekly|bi-weekly)$/.test(lower)) return fortnightly(text);

  const fields = text.split(/\s+/);
  if (
    fields.length >= 5 &&
    fields.slice(0, 5).every((f) => /^[\d*,\-/A-Za-z?]+$/.test(f)) &&
    /[\d*]/.test(fields[0]) &&
    /^[\d*]/.test(fields[1])
  ) {
    return suggestCron(fields.slice(0, 5));
  }

  // time spans: "48h", "2 hours", "1d", "30min", "1h30min"
  const spanRe = /(\d+)\s*([a-zA-Z]+)/g;
  if (/^(\d+\s*[a-zA-Z]+\s*)+$/.test(text)) {
    let secs = 0;
    let ok = true;
    for (const m of text.matchAll(spanRe)) {
      const s = spanSeconds(Number(m[1]), m[2]);
      if (s === undefined) ok = false;
      else secs += s;
    }
    if (ok) return suggestInterval(secs, text);
  }
  return suggestPhrase(text);
}
