// Normalized form, byte-identical to calendar_spec_to_string(), and timestamps as
// format_timestamp() prints them ("Thu 2026-01-01 04:00:00 UTC").

import { CalendarComponent, CalendarSpec, Chain, USEC_PER_SEC } from './types';
import { gmtime, localtime } from './mktime';
import { loadZone, Zone } from './tz';

const DAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
const WDAY = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

function formatWeekdays(bits: number): string {
  let out = '';
  let needComma = false;
  let l = -1;
  let x = 0;
  for (; x < 7; x++) {
    if (bits & (1 << x)) {
      if (l < 0) {
        if (needComma) out += ',';
        else needComma = true;
        out += DAYS[x];
        l = x;
      }
    } else if (l >= 0) {
      if (x > l + 1) out += (x > l + 2 ? '..' : ',') + DAYS[x - 1];
      l = -1;
    }
  }
  if (l >= 0 && x > l + 1) out += (x > l + 2 ? '..' : ',') + DAYS[x - 1];
  return out;
}

function pad(v: number, width: number): string {
  return String(v).padStart(width, '0');
}

function chainIsStar(c: Chain, usec: boolean): boolean {
  if (!c) return true;
  return usec && c.some((x) => x.start === 0 && x.stop < 0 && x.repeat === USEC_PER_SEC);
}

function formatComponent(x: CalendarComponent, space: number, usec: boolean): string {
  const d = usec ? USEC_PER_SEC : 1;
  let s = pad(Math.trunc(x.start / d), space);
  if (x.start % d > 0) s += '.' + pad(x.start % d, 6);
  if (x.stop > 0) s += '..' + pad(Math.trunc(x.stop / d), space);
  if (x.stop % d > 0) s += '.' + pad(x.stop % d, 6);
  if (x.repeat > 0 && !(x.stop > 0 && x.repeat === d)) s += '/' + Math.trunc(x.repeat / d);
  if (x.repeat % d > 0) s += '.' + pad(x.repeat % d, 6);
  return s;
}

function formatChain(c: Chain, space: number, usec: boolean): string {
  if (chainIsStar(c, usec)) return '*';
  return c!.map((x) => formatComponent(x, space, usec)).join(',');
}

/** calendar_spec_to_string(); `zone` supplies tzname[] for specs written with a local abbreviation. */
export function formatSpec(c: CalendarSpec, zone?: Zone): string {
  let out = '';
  if (c.weekdaysBits > 0 && c.weekdaysBits <= 127) out += formatWeekdays(c.weekdaysBits) + ' ';
  out += formatChain(c.year, 4, false) + '-';
  out += formatChain(c.month, 2, false) + (c.endOfMonth ? '~' : '-');
  out += formatChain(c.day, 2, false) + ' ';
  out += formatChain(c.hour, 2, false) + ':';
  out += formatChain(c.minute, 2, false) + ':';
  out += formatChain(c.microsecond, 2, true);
  if (c.utc) out += ' UTC';
  else if (c.timezone) out += ' ' + c.timezone;
  else if (c.dst === 0 || c.dst === 1) {
    const name = (zone ?? loadZone(undefined)).tzname[c.dst];
    if (name) out += ' ' + name;
  }
  return out;
}

/**
 * format_timestamp(): "%a %Y-%m-%d %H:%M:%S <zone abbreviation>" in `zone`, or with " UTC" when
 * `utc` is set. Takes microseconds since the epoch.
 */
export function formatTimestampIn(usec: bigint, zone: Zone, utc = false): string {
  const t = Number(usec / 1000000n - (usec < 0n && usec % 1000000n !== 0n ? 1n : 0n));
  const tm = utc ? gmtime(t) : localtime(t, zone);
  const s =
    `${WDAY[tm.wday]} ${pad(tm.year + 1900, 4)}-${pad(tm.mon + 1, 2)}-${pad(tm.mday, 2)} ` +
    `${pad(tm.hour, 2)}:${pad(tm.min, 2)}:${pad(tm.sec, 2)}`;
  if (utc) return s + ' UTC';
  // systemd drops an abbreviation that does not fit its fixed-size buffer
  if (tm.zone && s.length + 1 + tm.zone.length + 1 <= 38) return s + ' ' + tm.zone;
  return s;
}

const USEC = {
  sec: 1000000n,
  min: 60000000n,
  hour: 3600000000n,
  day: 86400000000n,
  week: 604800000000n,
  month: 2629800000000n,
  year: 31557600000000n,
};

/** format_timestamp_relative(): "1 month 10 days left", "19h ago", "now". */
export function formatRelative(usec: bigint, nowUsec: bigint): string {
  let d: bigint;
  let s: string;
  if (nowUsec > usec) {
    d = nowUsec - usec;
    s = 'ago';
  } else {
    d = usec - nowUsec;
    s = 'left';
  }
  const plural = (n: bigint, one: string, many: string) => `${n} ${n === 1n ? one : many}`;
  if (d >= USEC.year)
    return `${plural(d / USEC.year, 'year', 'years')} ${plural((d % USEC.year) / USEC.month, 'month', 'months')} ${s}`;
  if (d >= USEC.month)
    return `${plural(d / USEC.month, 'month', 'months')} ${plural((d % USEC.month) / USEC.day, 'day', 'days')} ${s}`;
  if (d >= USEC.week)
    return `${plural(d / USEC.week, 'week', 'weeks')} ${plural((d % USEC.week) / USEC.day, 'day', 'days')} ${s}`;
  if (d >= 2n * USEC.day) return `${d / USEC.day} days ${s}`;
  if (d >= 25n * USEC.hour) return `1 day ${(d - USEC.day) / USEC.hour}h ${s}`;
  if (d >= 6n * USEC.hour) return `${d / USEC.hour}h ${s}`;
  if (d >= USEC.hour) return `${d / USEC.hour}h ${(d % USEC.hour) / USEC.min}min ${s}`;
  if (d >= 5n * USEC.min) return `${d / USEC.min}min ${s}`;
  if (d >= USEC.min) return `${d / USEC.min}min ${(d % USEC.min) / USEC.sec}s ${s}`;
  if (d >= USEC.sec) return `${d / USEC.sec}s ${s}`;
  if (d >= 1000n) return `${d / 1000n}ms ${s}`;
  if (d > 0n) return `${d}us ${s}`;
  return 'now';
}
