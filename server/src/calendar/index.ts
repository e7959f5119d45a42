// Public API of the calendar-event engine (systemd.time(7) "Calendar Events", systemd 252 semantics).

import { formatRelative, formatSpec, formatTimestampIn } from './format';
import { nextElapsesUsec, nextElapseUsec, NextError } from './next';
import { parseSpec } from './parse';
import { suggestCalendar } from './suggest';
import { loadZone, timezoneIsValid, Zone } from './tz';
import { CalendarSpec, Errno } from './types';

export type { CalendarSpec, CalendarComponent, Chain, Errno } from './types';
export type { Zone } from './tz';
export type { CalendarSuggestion } from './suggest';
export type { NextError } from './next';
export { runCalendarCommand } from './analyzeCommand';
export { suggestCalendar, timezoneIsValid, loadZone, nextElapseUsec, formatRelative };

export type ParseCalendarResult =
  | { ok: true; spec: CalendarSpec; normalized: string }
  | { ok: false; message: string; offset: number; length: number; errno: Errno };

/**
 * Parses a calendar expression exactly as systemd does. `tz` is $TZ as systemd would see it
 * (undefined = unset, i.e. /etc/localtime): it only matters for local abbreviations such as "CET".
 */
export function parseCalendar(expr: string, tz?: string): ParseCalendarResult {
  const zone = loadZone(tz);
  const r = parseSpec(expr, { zone });
  if (!r.ok) return { ok: false, message: r.message, offset: r.offset, length: r.length, errno: r.errno };
  return { ok: true, spec: r.spec, normalized: formatSpec(r.spec, zone) };
}

/** Normalized form of an already parsed spec (calendar_spec_to_string()). */
export function normalizeCalendar(spec: CalendarSpec, tz?: string): string {
  return formatSpec(spec, loadZone(tz));
}

function toUsec(after: Date | bigint): bigint {
  return typeof after === 'bigint' ? after : BigInt(after.getTime()) * 1000n;
}

/**
 * The next `count` elapses strictly after `after` (µs since the epoch as bigint, or a Date), as µs
 * since the epoch. Empty when the expression never elapses ("never"). `tz` is $TZ for specs without
 * a zone suffix (undefined = unset).
 */
export function nextElapses(spec: CalendarSpec, after: Date | bigint, count: number, tz?: string): bigint[] {
  return nextElapsesUsec(spec, toUsec(after), count, { zone: loadZone(tz) });
}

/** Like nextElapses() for one elapse, but says why there is none. */
export function nextElapse(spec: CalendarSpec, after: Date | bigint, tz?: string): bigint | NextError {
  return nextElapseUsec(spec, toUsec(after), { zone: loadZone(tz) });
}

/**
 * A timestamp as systemd prints it: "Thu 2026-01-01 04:00:00 UTC" (local zone of `tz`, with its
 * abbreviation), or always in UTC when `utc` is true.
 */
export function formatTimestamp(usec: bigint | Date, tz?: string, utc = false): string {
  const zone: Zone = loadZone(tz);
  return formatTimestampIn(toUsec(usec), zone, utc);
}
