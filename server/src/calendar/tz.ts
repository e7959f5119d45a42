// Time-zone data as glibc sees it. systemd computes elapses with localtime_r()/mktime() under $TZ, so
// to match it byte for byte we read the same TZif files glibc reads (abbreviations such as "CET" or
// "IST" only exist there) and interpret POSIX TZ strings ("IST-1GMT-0,M10.5.0/1,M3.5.0/1") the same
// way. Where no zoneinfo directory exists (macOS/Windows hosts of the editor) we fall back to Intl.

import * as fs from 'node:fs';

export const ZONEINFO_DIR = '/usr/share/zoneinfo';

export interface LocalInfo {
  /** seconds east of UTC */
  gmtoff: number;
  isdst: boolean;
  abbr: string;
}

export interface Zone {
  readonly name: string;
  info(t: number): LocalInfo;
  /** glibc's tzname[0], tzname[1] after tzset() */
  readonly tzname: [string, string];
  /** glibc's `timezone == 0 && daylight == 0` */
  readonly isUtc: boolean;
}

export const UTC_ZONE: Zone = {
  name: 'UTC',
  info: () => ({ gmtoff: 0, isdst: false, abbr: 'UTC' }),
  tzname: ['UTC', 'UTC'],
  isUtc: true,
};

// ---------- civil calendar helpers (proleptic Gregorian, days since 1970-01-01) ----------

export function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const mp = (m + 9) % 12;
  const doy = Math.floor((153 * mp + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

export function civilFromDays(z: number): { y: number; m: number; d: number } {
  z += 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  return { y: era * 400 + yoe + (m <= 2 ? 1 : 0), m, d };
}

export function isLeap(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

// ---------- POSIX TZ strings (tzset(3)) ----------

interface PosixRule {
  kind: 'J' | 'N' | 'M';
  day: number;
  week: number;
  month: number;
  secs: number;
}

interface PosixTz {
  stdName: string;
  stdOff: number; // east of UTC
  dstName: string;
  dstOff: number;
  rules?: [PosixRule, PosixRule];
  /** true when only the name could be parsed (glibc then behaves like UTC under that name) */
  nameOnly: boolean;
}

class Cursor {
  constructor(
    public s: string,
    public i = 0,
  ) {}
  peek(): string {
    return this.s[this.i] ?? '';
  }
}

function parseTzName(c: Cursor): string | undefined {
  if (c.peek() === '<') {
    const end = c.s.indexOf('>', c.i);
    if (end < 0) return undefined;
    const name = c.s.slice(c.i + 1, end);
    if (name.length < 3) return undefined;
    c.i = end + 1;
    return name;
  }
  const m = /^[A-Za-z]{3,}/.exec(c.s.slice(c.i));
  if (!m) return undefined;
  c.i += m[0].length;
  return m[0];
}

/** [+-]hh[:mm[:ss]] → seconds (sign as written) */
function parseHms(c: Cursor, allowSign: boolean): number | undefined {
  let sign = 1;
  if (allowSign && (c.peek() === '+' || c.peek() === '-')) {
    if (c.peek() === '-') sign = -1;
    c.i++;
  }
  const m = /^(\d{1,3})(?::(\d{1,2})(?::(\d{1,2}))?)?/.exec(c.s.slice(c.i));
  if (!m) return undefined;
  c.i += m[0].length;
  return sign * (Number(m[1]) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0));
}

function parseRule(c: Cursor): PosixRule | undefined {
  let rule: PosixRule;
  const rest = c.s.slice(c.i);
  let m: RegExpExecArray | null;
  if ((m = /^J(\d{1,3})/.exec(rest))) {
    rule = { kind: 'J', day: Number(m[1]), week: 0, month: 0, secs: 7200 };
  } else if ((m = /^M(\d{1,2})\.(\d)\.(\d)/.exec(rest))) {
    rule = { kind: 'M', month: Number(m[1]), week: Number(m[2]), day: Number(m[3]), secs: 7200 };
  } else if ((m = /^(\d{1,3})/.exec(rest))) {
    rule = { kind: 'N', day: Number(m[1]), week: 0, month: 0, secs: 7200 };
  } else return undefined;
  c.i += m[0].length;
  if (c.peek() === '/') {
    c.i++;
    const s = parseHms(c, true);
    if (s === undefined) return undefined;
    rule.secs = s;
  }
  return rule;
}

export function parsePosixTz(s: string): PosixTz | undefined {
  const c = new Cursor(s);
  const stdName = parseTzName(c);
  if (stdName === undefined) return undefined;
  const off = parseHms(c, true);
  if (off === undefined) return { stdName, stdOff: 0, dstName: '', dstOff: 0, nameOnly: true };
  const tz: PosixTz = { stdName, stdOff: -off, dstName: stdName, dstOff: -off, nameOnly: false };
  if (c.i >= s.length) return tz;
  const dstName = parseTzName(c);
  if (dstName === undefined) return tz;
  tz.dstName = dstName;
  tz.dstOff = tz.stdOff + 3600;
  if (c.peek() !== ',' && c.i < s.length) {
    const d = parseHms(c, true);
    if (d !== undefined) tz.dstOff = -d;
  }
  if (c.peek() === ',') {
    c.i++;
    const r0 = parseRule(c);
    if (r0 && c.peek() === ',') {
      c.i++;
      const r1 = parseRule(c);
      if (r1) tz.rules = [r0, r1];
    }
  }
  // glibc's built-in default when a DST name is given without rules (US rules since 2007)
  if (!tz.rules) {
    tz.rules = [
      { kind: 'M', month: 3, week: 2, day: 0, secs: 7200 },
      { kind: 'M', month: 11, week: 1, day: 0, secs: 7200 },
    ];
  }
  return tz;
}

/** Seconds since the epoch (UTC) of the local wall time given by the rule in `year`, with offset `off`. */
function ruleChange(r: PosixRule, year: number, off: number): number {
  let days: number;
  if (r.kind === 'J') {
    // Julian day 1..365, Feb 29 never counted
    days = daysFromCivil(year, 1, 1) + r.day - 1 + (isLeap(year) && r.day >= 60 ? 1 : 0);
  } else if (r.kind === 'N') {
    days = daysFromCivil(year, 1, 1) + r.day;
  } else {
    const first = daysFromCivil(year, r.month, 1);
    const wdayFirst = (((first + 4) % 7) + 7) % 7; // 1970-01-01 was a Thursday
    let d = first + ((r.day - wdayFirst + 7) % 7) + (r.week - 1) * 7;
    const monthLen = daysFromCivil(r.month === 12 ? year + 1 : year, r.month === 12 ? 1 : r.month + 1, 1) - first;
    while (d - first >= monthLen) d -= 7;
    days = d;
  }
  return days * 86400 + r.secs - off;
}

function posixInfo(tz: PosixTz, t: number): LocalInfo {
  const std = { gmtoff: tz.stdOff, isdst: false, abbr: tz.stdName };
  if (!tz.rules || tz.nameOnly) return std;
  const year = civilFromDays(Math.floor(t / 86400)).y;
  const start = ruleChange(tz.rules[0], year, tz.stdOff);
  const end = ruleChange(tz.rules[1], year, tz.dstOff);
  // Southern hemisphere (and negative DST): DST spans the turn of the year
  const isdst = start > end ? t < end || t >= start : t >= start && t < end;
  return isdst ? { gmtoff: tz.dstOff, isdst: true, abbr: tz.dstName } : std;
}

function posixZone(name: string, tz: PosixTz): Zone {
  return {
    name,
    info: (t) => posixInfo(tz, t),
    tzname: [tz.stdName, tz.nameOnly ? '' : tz.dstName],
    isUtc: tz.stdOff === 0 && (tz.nameOnly || !tz.rules || tz.dstOff === tz.stdOff),
  };
}

// ---------- TZif files ----------

interface TzifType {
  gmtoff: number;
  isdst: boolean;
  abbr: string;
}

function parseTzif(
  buf: Buffer,
): { transitions: number[]; idx: number[]; types: TzifType[]; footer?: string } | undefined {
  if (buf.length < 44 || buf.toString('latin1', 0, 4) !== 'TZif') return undefined;
  const version = buf[4];
  const counts = (off: number) => ({
    isut: buf.readUInt32BE(off + 20),
    isstd: buf.readUInt32BE(off + 24),
    leap: buf.readUInt32BE(off + 28),
    time: buf.readUInt32BE(off + 32),
    type: buf.readUInt32BE(off + 36),
    char: buf.readUInt32BE(off + 40),
  });
  let off = 0;
  let c = counts(0);
  let timeSize = 4;
  if (version !== 0) {
    // skip the legacy 32-bit block; the 64-bit one follows with its own header
    off = 44 + c.time * 5 + c.type * 6 + c.char + c.leap * 8 + c.isstd + c.isut;
    if (buf.length < off + 44 || buf.toString('latin1', off, off + 4) !== 'TZif') return undefined;
    c = counts(off);
    timeSize = 8;
  }
  let p = off + 44;
  const transitions: number[] = [];
  for (let i = 0; i < c.time; i++, p += timeSize) {
    transitions.push(timeSize === 8 ? Number(buf.readBigInt64BE(p)) : buf.readInt32BE(p));
  }
  const idx: number[] = [];
  for (let i = 0; i < c.time; i++) idx.push(buf[p++]);
  const rawTypes: Array<{ gmtoff: number; isdst: boolean; ai: number }> = [];
  for (let i = 0; i < c.type; i++, p += 6) {
    rawTypes.push({ gmtoff: buf.readInt32BE(p), isdst: buf[p + 4] !== 0, ai: buf[p + 5] });
  }
  const chars = buf.subarray(p, p + c.char);
  p += c.char + c.leap * (timeSize + 4) + c.isstd + c.isut;
  const types = rawTypes.map((r) => {
    const end = chars.indexOf(0, r.ai);
    return { gmtoff: r.gmtoff, isdst: r.isdst, abbr: chars.toString('latin1', r.ai, end < 0 ? undefined : end) };
  });
  let footer: string | undefined;
  if (version !== 0 && buf[p] === 0x0a) {
    const end = buf.indexOf(0x0a, p + 1);
    if (end > p) footer = buf.toString('latin1', p + 1, end);
  }
  return { transitions, idx, types, footer };
}

function tzifZone(name: string, data: NonNullable<ReturnType<typeof parseTzif>>): Zone {
  const { transitions, idx, types } = data;
  const rule = data.footer ? parsePosixTz(data.footer) : undefined;
  // glibc: before the first transition, use the first non-DST type
  let first = types.findIndex((t) => !t.isdst);
  if (first < 0) first = 0;
  const info = (t: number): LocalInfo => {
    const n = transitions.length;
    if (types.length === 0) return { gmtoff: 0, isdst: false, abbr: 'UTC' };
    if (n === 0 || t < transitions[0]) {
      if (n === 0 && rule) return posixInfo(rule, t);
      return types[first];
    }
    if (t >= transitions[n - 1]) {
      if (rule) return posixInfo(rule, t);
      return types[idx[n - 1]];
    }
    let lo = 0;
    let hi = n - 1; // transitions[lo] <= t < transitions[hi]
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (transitions[mid] <= t) lo = mid;
      else hi = mid;
    }
    return types[idx[lo]];
  };
  let tzname: [string, string];
  let isUtc: boolean;
  if (rule) {
    tzname = [rule.stdName, rule.nameOnly ? '' : rule.dstName];
    isUtc = rule.stdOff === 0 && rule.dstName === rule.stdName && rule.dstOff === rule.stdOff;
  } else {
    const std = types.filter((t) => !t.isdst).pop() ?? types[0];
    const dst = types.filter((t) => t.isdst).pop();
    tzname = [std?.abbr ?? 'UTC', dst?.abbr ?? std?.abbr ?? 'UTC'];
    isUtc = (std?.gmtoff ?? 0) === 0 && !dst;
  }
  return { name, info, tzname, isUtc };
}

// ---------- Intl fallback ----------

function intlZone(name: string): Zone | undefined {
  let fmt: Intl.DateTimeFormat;
  let abbrFmt: Intl.DateTimeFormat;
  try {
    fmt = new Intl.DateTimeFormat('en-US', {
      timeZone: name,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    abbrFmt = new Intl.DateTimeFormat('en-US', { timeZone: name, timeZoneName: 'short' });
  } catch {
    return undefined;
  }
  const offsetAt = (t: number): number => {
    const parts: Record<string, number> = {};
    for (const p of fmt.formatToParts(new Date(t * 1000))) {
      if (p.type !== 'literal') parts[p.type] = Number(p.value);
    }
    const local =
      daysFromCivil(parts.year, parts.month, parts.day) * 86400 + parts.hour * 3600 + parts.minute * 60 + parts.second;
    return local - t;
  };
  const info = (t: number): LocalInfo => {
    const gmtoff = offsetAt(t);
    const y = civilFromDays(Math.floor(t / 86400)).y;
    const jan = offsetAt(daysFromCivil(y, 1, 1) * 86400);
    const jul = offsetAt(daysFromCivil(y, 7, 1) * 86400);
    const abbr = abbrFmt.formatToParts(new Date(t * 1000)).find((p) => p.type === 'timeZoneName')?.value ?? '';
    return { gmtoff, isdst: gmtoff > Math.min(jan, jul), abbr };
  };
  const now = Math.floor(Date.now() / 1000);
  const y = civilFromDays(Math.floor(now / 86400)).y;
  const a = info(daysFromCivil(y, 1, 1) * 86400);
  const b = info(daysFromCivil(y, 7, 1) * 86400);
  const std = a.isdst ? b : a;
  const dst = a.isdst ? a : b.isdst ? b : a;
  return { name, info, tzname: [std.abbr, dst.abbr], isUtc: a.gmtoff === 0 && b.gmtoff === 0 };
}

// ---------- loading ----------

const cache = new Map<string, Zone | null>();

function hasZoneinfo(): boolean {
  try {
    return fs.statSync(ZONEINFO_DIR).isDirectory();
  } catch {
    return false;
  }
}

function readTzifFile(path: string): ReturnType<typeof parseTzif> {
  try {
    const st = fs.statSync(path);
    if (!st.isFile() || st.size > 1 << 20) return undefined;
    return parseTzif(fs.readFileSync(path));
  } catch {
    return undefined;
  }
}

/** systemd's timezone_is_valid(): a plain relative name whose zoneinfo file starts with "TZif". */
export function timezoneIsValid(name: string): boolean {
  if (name === '') return false;
  if (name === 'UTC') return true;
  if (name[0] === '/') return false;
  let slash = false;
  for (const ch of name) {
    if (!/[0-9A-Za-z\-_+/]/.test(ch)) return false;
    if (ch === '/') {
      if (slash) return false;
      slash = true;
    } else slash = false;
  }
  if (slash || name.length >= 4096) return false;
  if (!hasZoneinfo()) return intlZone(name) !== undefined;
  try {
    const fd = fs.openSync(`${ZONEINFO_DIR}/${name}`, 'r');
    try {
      if (!fs.fstatSync(fd).isFile()) return false;
      const b = Buffer.alloc(4);
      return fs.readSync(fd, b, 0, 4, 0) === 4 && b.toString('latin1') === 'TZif';
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return false;
  }
}

/**
 * The zone glibc would use for this value of $TZ (undefined = unset).
 * Unset → /etc/localtime, "" → UTC, ":name" or "name" → zoneinfo file, else POSIX TZ string.
 */
export function loadZone(tzEnv: string | undefined): Zone {
  const key = tzEnv === undefined ? '\0unset' : tzEnv;
  const hit = cache.get(key);
  if (hit) return hit;
  const zone = resolveZone(tzEnv);
  cache.set(key, zone);
  return zone;
}

function resolveZone(tzEnv: string | undefined): Zone {
  if (tzEnv === undefined) {
    const data = readTzifFile('/etc/localtime');
    if (data) return tzifZone('localtime', data);
    if (!hasZoneinfo()) {
      const sys = Intl.DateTimeFormat().resolvedOptions().timeZone;
      return (sys && intlZone(sys)) || UTC_ZONE;
    }
    return UTC_ZONE;
  }
  let name = tzEnv === '' ? 'Universal' : tzEnv;
  if (name.startsWith(':')) name = name.slice(1);
  if (name !== '' && !name.split('/').includes('..')) {
    const path = name.startsWith('/') ? name : `${ZONEINFO_DIR}/${name}`;
    const data = readTzifFile(path);
    if (data) return tzifZone(name, data);
    if (!hasZoneinfo() && !name.startsWith('/')) {
      const z = intlZone(name === 'Universal' ? 'UTC' : name);
      if (z) return z;
    }
  }
  const posix = parsePosixTz(tzEnv.startsWith(':') ? tzEnv.slice(1) : tzEnv);
  if (posix) return posixZone(tzEnv, posix);
  return { ...UTC_ZONE, name: tzEnv };
}
