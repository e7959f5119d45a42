// A re-implementation of `systemd-analyze calendar [--iterations N] [--base-time TIME] EXPR...`
// (systemd 252): same lines, same alignment, same error messages, same exit status. Everything
// except "From now:" is deterministic given $TZ and --base-time; "From now:" uses `now`.

import { formatRelative, formatSpec, formatTimestampIn } from './format';
import { MktimeState, mktime, newMktimeState, localtime } from './mktime';
import { nextElapseUsec } from './next';
import { parseSpec } from './parse';
import { Errno } from './types';
import { loadZone, Zone } from './tz';

export interface CalendarCommandResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

const STRERROR: Record<Errno | 'EDEADLK', string> = {
  EINVAL: 'Invalid argument',
  ERANGE: 'Numerical result out of range',
  ENOBUFS: 'No buffer space available',
  EDEADLK: 'Resource deadlock avoided',
};

/** safe_atou(): strtoul() with base 0, no sign, no trailing garbage, fits in 32 bits. */
function safeAtou(s: string): number | undefined {
  const t = s.replace(/^[ \t\n\v\f\r]+/, '');
  let m: RegExpExecArray | null;
  let v: number;
  if ((m = /^\+?0[xX]([0-9a-fA-F]+)$/.exec(t))) v = parseInt(m[1], 16);
  else if ((m = /^\+?(0[0-7]*)$/.exec(t))) v = parseInt(m[1], 8);
  else if ((m = /^\+?([1-9][0-9]*)$/.exec(t))) v = Number(m[1]);
  else return undefined;
  return v <= 0xffffffff ? v : undefined;
}

const SPAN_UNITS: Array<[RegExp, bigint]> = [
  [/^(us|usec|µs|μs)$/, 1n],
  [/^(ms|msec)$/, 1000n],
  [/^(s|sec|second|seconds)$/, 1000000n],
  [/^(m|min|minute|minutes)$/, 60000000n],
  [/^(h|hr|hour|hours)$/, 3600000000n],
  [/^(d|day|days)$/, 86400000000n],
  [/^(w|week|weeks)$/, 604800000000n],
  [/^(M|month|months)$/, 2629800000000n],
  [/^(y|year|years)$/, 31557600000000n],
];

/** parse_time() subset: "5h 30min", "1.5d", plain seconds. */
function parseTimespan(s: string): bigint | undefined {
  const str = s.trim();
  if (str === '') return undefined;
  let total = 0n;
  const re = /\s*(\d+)(?:\.(\d+))?\s*([A-Za-zµμ]*)/y;
  let i = 0;
  while (i < str.length) {
    re.lastIndex = i;
    const m = re.exec(str);
    if (!m || m[0].length === 0) return undefined;
    i = re.lastIndex;
    let mult = 1000000n;
    if (m[3]) {
      const u = SPAN_UNITS.find(([r]) => r.test(m[3]));
      if (!u) return undefined;
      mult = u[1];
    }
    total += BigInt(m[1]) * mult;
    if (m[2]) total += (BigInt(m[2].slice(0, 9).padEnd(9, '0')) * mult) / 1000000000n;
  }
  return total;
}

/** parse_timestamp() subset used for --base-time: now/today/@epoch/relative spans/dates, optional " UTC". */
export function parseBaseTime(input: string, zone: Zone, nowUsec: bigint, state: MktimeState): bigint | undefined {
  let s = input;
  let utc = false;
  if (/ UTC$/i.test(s)) {
    utc = true;
    s = s.slice(0, -4);
  }
  const atMidnight = (deltaDays: number): bigint => {
    const t = Number(nowUsec / 1000000n);
    const tm = utc
      ? localtime(t, { ...zone, info: () => ({ gmtoff: 0, isdst: false, abbr: 'UTC' }) })
      : localtime(t, zone);
    tm.hour = tm.min = tm.sec = 0;
    tm.mday += deltaDays;
    tm.isdst = -1;
    return BigInt(mktime(tm, utc ? loadZone('') : zone, state)) * 1000000n;
  };
  if (s === 'now') return nowUsec;
  if (s === 'today') return atMidnight(0);
  if (s === 'yesterday') return atMidnight(-1);
  if (s === 'tomorrow') return atMidnight(1);
  if (!utc) {
    if (s.startsWith('+')) {
      const d = parseTimespan(s.slice(1));
      return d === undefined ? undefined : nowUsec + d;
    }
    if (s.startsWith('-')) {
      const d = parseTimespan(s.slice(1));
      return d === undefined ? undefined : nowUsec - d;
    }
    let m = /^(.*) left$/.exec(s);
    if (m) {
      const d = parseTimespan(m[1]);
      return d === undefined ? undefined : nowUsec + d;
    }
    m = /^(.*) ago$/.exec(s);
    if (m) {
      const d = parseTimespan(m[1]);
      return d === undefined ? undefined : nowUsec - d;
    }
    m = /^@(\d+)(?:\.(\d{1,6})\d*)?$/.exec(s);
    if (m) return BigInt(m[1]) * 1000000n + BigInt((m[2] ?? '').padEnd(6, '0') || '0');
  }
  let weekday = -1;
  const wm = /^(mon|tue|wed|thu|fri|sat|sun)[a-z]* (.*)$/i.exec(s);
  if (wm) {
    weekday = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'].indexOf(wm[1].toLowerCase());
    s = wm[2];
  }
  const nowT = Number(nowUsec / 1000000n);
  const today = localtime(nowT, utc ? loadZone('') : zone);
  let y = today.year + 1900;
  let mo = today.mon + 1;
  let d = today.mday;
  let h = 0;
  let mi = 0;
  let sec = 0;
  let frac = 0n;
  let m = /^(\d{2}|\d{4})-(\d{1,2})-(\d{1,2})(?: (.*))?$/.exec(s);
  let timePart: string | undefined;
  if (m) {
    y = Number(m[1]);
    if (m[1].length === 2) y += y < 70 ? 2000 : 1900;
    mo = Number(m[2]);
    d = Number(m[3]);
    timePart = m[4];
  } else timePart = s;
  if (timePart !== undefined) {
    m = /^(\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:\.(\d+))?)?$/.exec(timePart);
    if (!m) return undefined;
    h = Number(m[1]);
    mi = Number(m[2]);
    sec = Number(m[3] ?? 0);
    if (m[4]) frac = BigInt(m[4].slice(0, 6).padEnd(6, '0'));
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) return undefined;
  const tm = {
    year: y - 1900,
    mon: mo - 1,
    mday: d,
    hour: h,
    min: mi,
    sec,
    isdst: -1,
    wday: 0,
    yday: 0,
    gmtoff: 0,
    zone: '',
  };
  const t = mktime(tm, utc ? loadZone('') : zone, state);
  if (t < 0 && y >= 1970) return undefined;
  if (tm.mday !== d) return undefined; // e.g. Feb 30
  if (weekday >= 0 && tm.wday !== weekday) return undefined;
  return BigInt(t) * 1000000n + frac;
}

/**
 * `systemd-analyze calendar ARGS...` — `args` are the words after "calendar". `env.TZ` undefined
 * means unset (the host's /etc/localtime), "" means UTC, like glibc.
 */
export function runCalendarCommand(args: string[], env: { TZ?: string }, now: Date): CalendarCommandResult {
  let stdout = '';
  let stderr = '';
  const zone = loadZone(env.TZ);
  const state = newMktimeState();
  const nowUsec = BigInt(now.getTime()) * 1000n;
  let iterations = 1;
  let baseTime: bigint | undefined;
  const exprs: string[] = [];
  let onlyPositional = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (onlyPositional || !a.startsWith('--')) {
      if (!onlyPositional && a.startsWith('-') && a !== '-') {
        return { stdout, stderr: `systemd-analyze: invalid option -- '${a[1]}'\n`, exitCode: 1 };
      }
      exprs.push(a);
      continue;
    }
    if (a === '--') {
      onlyPositional = true;
      continue;
    }
    const eq = a.indexOf('=');
    const name = eq >= 0 ? a.slice(0, eq) : a;
    const takesValue = name === '--iterations' || name === '--base-time';
    if (!takesValue) {
      if (name === '--no-pager' || name === '--no-legend') continue;
      return { stdout, stderr: `systemd-analyze: unrecognized option '${a}'\n`, exitCode: 1 };
    }
    let value: string;
    if (eq >= 0) value = a.slice(eq + 1);
    else if (i + 1 < args.length) value = args[++i];
    else return { stdout, stderr: `systemd-analyze: option '${name}' requires an argument\n`, exitCode: 1 };
    if (name === '--iterations') {
      const n = safeAtou(value);
      if (n === undefined) return { stdout, stderr: `Failed to parse iterations: ${value}\n`, exitCode: 1 };
      iterations = n;
    } else {
      const b = parseBaseTime(value, zone, nowUsec, state);
      if (b === undefined) return { stdout, stderr: `Failed to parse --base-time= parameter: ${value}\n`, exitCode: 1 };
      baseTime = b;
    }
  }
  if (exprs.length === 0) return { stdout, stderr: 'Too few arguments.\n', exitCode: 1 };

  const base = baseTime ?? nowUsec;
  let failed = false;
  exprs.forEach((p, idx) => {
    const r = parseSpec(p, { zone });
    if (!r.ok) {
      stderr += `Failed to parse calendar specification '${p}': ${STRERROR[r.errno]}\n`;
      // time_parsing_hint(): systemd suggests the right verb for timestamps and time spans
      if (parseBaseTime(p, zone, nowUsec, { ...state }) !== undefined) {
        stderr += `Hint: this expression is a valid timestamp. Use 'systemd-analyze timestamp "${p}"' instead?\n`;
      }
      if (parseTimespan(p) !== undefined) {
        stderr += `Hint: this expression is a valid timespan. Use 'systemd-analyze timespan "${p}"' instead?\n`;
      }
      failed = true;
    } else {
      const rows: Array<[string, string]> = [];
      const t = formatSpec(r.spec, zone);
      if (t !== p) rows.push(['Original form', p]);
      rows.push(['Normalized form', t]);
      let n = base;
      let error: string | undefined;
      for (let i = 0; i < iterations; i++) {
        const next = nextElapseUsec(r.spec, n, { zone, state });
        if (next === 'ENOENT') {
          if (i === 0) rows.push(['Next elapse', 'never']);
          break;
        }
        if (typeof next === 'string') {
          // logged from the forked child for zone specs, whose stderr systemd has closed
          if (next === 'EDEADLK' && !r.spec.timezone) stderr += `Infinite loop in calendar calculation: ${t}\n`;
          error = `Failed to determine next elapse for '${p}': ${STRERROR[next]}\n`;
          break;
        }
        rows.push([i === 0 ? 'Next elapse' : `Iter. #${i + 1}`, formatTimestampIn(next, zone)]);
        if (!zone.isUtc) rows.push(['(in UTC)', formatTimestampIn(next, zone, true)]);
        rows.push(['From now', formatRelative(next, nowUsec)]);
        n = next;
      }
      if (error !== undefined) {
        // the table is never printed when computing an elapse fails
        stderr += error;
        failed = true;
      } else {
        const width = Math.max(...rows.map(([f]) => f.length));
        for (const [f, v] of rows) stdout += `${f.padStart(width)}: ${v}\n`;
      }
    }
    if (idx + 1 < exprs.length) stdout += '\n';
  });
  return { stdout, stderr, exitCode: failed ? 1 : 0 };
}
