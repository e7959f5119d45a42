// Data model mirroring systemd's CalendarSpec (src/shared/calendarspec.h).

export const USEC_PER_SEC = 1000000;
/** every weekday bit set: systemd stores this as "any weekday" (-1) */
export const BITS_WEEKDAYS = 127;

/** One list item: `start`, `start..stop`, `start/repeat` or `start..stop/repeat`. stop = -1 when absent. */
export interface CalendarComponent {
  start: number;
  stop: number;
  repeat: number;
  /** where the item was written in the input (for diagnostics) */
  offset: number;
  length: number;
}

/** null means "*" (any value); seconds are stored in microseconds. */
export type Chain = CalendarComponent[] | null;

export interface CalendarSpec {
  /** bit 0 = Monday … bit 6 = Sunday; -1 = any weekday */
  weekdaysBits: number;
  endOfMonth: boolean;
  utc: boolean;
  /** -1 unless the local zone's tzname[0]/[1] was given as suffix */
  dst: number;
  /** IANA zone suffix, if any */
  timezone: string | null;
  year: Chain;
  month: Chain;
  day: Chain;
  hour: Chain;
  minute: Chain;
  microsecond: Chain;
}

export type Errno = 'EINVAL' | 'ERANGE' | 'ENOBUFS';

export interface CalendarParseError {
  ok: false;
  /** what systemd would report (strerror of this code) */
  errno: Errno;
  message: string;
  offset: number;
  length: number;
}

/** a chain holding one literal value, in front of `chain` */
export function constChain(value: number, chain: Chain = null): CalendarComponent[] {
  return [{ start: value, stop: -1, repeat: 0, offset: 0, length: 0 }, ...(chain ?? [])];
}
