// Next elapse computation: a port of find_next() / calendar_spec_next_usec() from systemd's
// calendarspec.c. It walks a broken-down local time field by field and relies on mktime()
// normalisation, which is what makes DST gaps get skipped and folds resolve to one instant —
// so the glibc-compatible mktime in ./mktime.ts is essential, not an implementation detail.

import { BITS_WEEKDAYS, CalendarComponent, CalendarSpec, Chain, USEC_PER_SEC } from './types';
import { cloneTm, localtimeOrGmtime, MktimeState, mktimeOrTimegm, newMktimeState, Tm } from './mktime';
import { loadZone, Zone } from './tz';
import { MAX_YEAR } from './parse';

/** Largest timestamp systemd can format (9999-12-31 23:59:59.999999 UTC). */
export const USEC_TIMESTAMP_FORMATTABLE_MAX = 253402300799999999n;
const MAX_CALENDAR_ITERATIONS = 1000;

export type NextError = 'ENOENT' | 'EINVAL' | 'EDEADLK';

interface Ctx {
  spec: CalendarSpec;
  utc: boolean;
  zone: Zone;
  state: MktimeState;
}

function mk(ctx: Ctx, tm: Tm): number {
  return mktimeOrTimegm(tm, ctx.utc, ctx.zone, ctx.state);
}

function findEndOfMonth(ctx: Ctx, tm: Tm, day: number): number {
  const t = cloneTm(tm);
  t.mon++;
  t.mday = 1 - day;
  if (mk(ctx, t) < 0 || t.mon !== tm.mon) return -1;
  return t.mday;
}

/** Earliest value >= val matched by the chain; 1 if val changed, 0 if not, -1 (ENOENT) if none. */
function findMatchingComponent(
  ctx: Ctx,
  chain: Chain,
  tm: Tm,
  val: number,
  isDay: boolean,
): { r: number; val: number } {
  if (!chain) return { r: 0, val };
  const endOfMonth = ctx.spec.endOfMonth && isDay;
  let d = -1;
  let dSet = false;
  for (const c of chain as CalendarComponent[]) {
    let start: number;
    let stop: number;
    if (endOfMonth) {
      start = findEndOfMonth(ctx, tm, c.start);
      stop = findEndOfMonth(ctx, tm, c.stop);
      if (stop > 0) [start, stop] = [stop, start];
    } else {
      start = c.start;
      stop = c.stop;
    }
    if (start >= val) {
      if (!dSet || start < d) {
        d = start;
        dSet = true;
      }
    } else if (c.repeat > 0) {
      const k = start + c.repeat * Math.ceil((val - start) / c.repeat);
      if ((!dSet || k < d) && (stop < 0 || k <= stop)) {
        d = k;
        dSet = true;
      }
    }
  }
  if (!dSet) return { r: -1, val };
  return { r: val !== d ? 1 : 0, val: d };
}

/** tm_within_bounds(): <0 error, 0 normalisation moved tm forward (tm updated), 1 unchanged. */
function tmWithinBounds(ctx: Ctx, tm: Tm): number {
  if (tm.year + 1900 > MAX_YEAR) return -1;
  const t = cloneTm(tm);
  if (mk(ctx, t) < 0) return 0;
  let cmp: number;
  const sign = (a: number, b: number) => (a < b ? -1 : a > b ? 1 : 0);
  if ((cmp = sign(t.year, tm.year)) !== 0) t.mon = 0;
  else if ((cmp = sign(t.mon, tm.mon)) !== 0) t.mday = 1;
  else if ((cmp = sign(t.mday, tm.mday)) !== 0) t.hour = 0;
  else if ((cmp = sign(t.hour, tm.hour)) !== 0) t.min = 0;
  else if ((cmp = sign(t.min, tm.min)) !== 0) t.sec = 0;
  else cmp = sign(t.sec, tm.sec);
  if (cmp < 0) return -1; // refuse to go backward
  if (cmp > 0) Object.assign(tm, t);
  return cmp === 0 ? 1 : 0;
}

function matchesWeekday(ctx: Ctx, bits: number, tm: Tm): boolean {
  if (bits < 0 || bits >= BITS_WEEKDAYS) return true;
  const t = cloneTm(tm);
  if (mk(ctx, t) < 0) return false;
  const k = t.wday === 0 ? 6 : t.wday - 1;
  return (bits & (1 << k)) !== 0;
}

function tmCompare(a: Tm, b: Tm): number {
  return (
    Math.sign(a.year - b.year) ||
    Math.sign(a.mon - b.mon) ||
    Math.sign(a.mday - b.mday) ||
    Math.sign(a.hour - b.hour) ||
    Math.sign(a.min - b.min) ||
    Math.sign(a.sec - b.sec)
  );
}

function findNext(ctx: Ctx, tm: Tm, usecIn: number): { tm: Tm; usec: number } | NextError {
  const spec = ctx.spec;
  const c = cloneTm(tm);
  let tmUsec = usecIn;
  // systemd 252.38 (backport of systemd#36897): once stuck at or before the start, keep the
  // tm_isdst that mktime() chose, so zones with negative DST (Europe/Dublin) move forward
  let invalidateDst = false;
  const resetBelowMon = () => {
    c.mday = 1;
    c.hour = c.min = c.sec = tmUsec = 0;
  };
  for (let iteration = 0; iteration < MAX_CALENDAR_ITERATIONS; iteration++) {
    mk(ctx, c);
    if (!invalidateDst) c.isdst = spec.dst;

    let m = findMatchingComponent(ctx, spec.year, c, c.year + 1900, false);
    c.year = m.val - 1900;
    if (m.r > 0) {
      c.mon = 0;
      resetBelowMon();
    }
    if (m.r < 0) return 'ENOENT';
    if (tmWithinBounds(ctx, c) <= 0) return 'ENOENT';

    m = findMatchingComponent(ctx, spec.month, c, c.mon + 1, false);
    c.mon = m.val - 1;
    if (m.r > 0) resetBelowMon();
    let r = m.r;
    if (r < 0 || (r = tmWithinBounds(ctx, c)) < 0) {
      c.year++;
      c.mon = 0;
      resetBelowMon();
      continue;
    }
    if (r === 0) continue;

    m = findMatchingComponent(ctx, spec.day, c, c.mday, true);
    c.mday = m.val;
    if (m.r > 0) c.hour = c.min = c.sec = tmUsec = 0;
    r = m.r;
    if (r < 0 || (r = tmWithinBounds(ctx, c)) < 0) {
      c.mon++;
      resetBelowMon();
      continue;
    }
    if (r === 0) continue;

    if (!matchesWeekday(ctx, spec.weekdaysBits, c)) {
      c.mday++;
      c.hour = c.min = c.sec = tmUsec = 0;
      continue;
    }

    m = findMatchingComponent(ctx, spec.hour, c, c.hour, false);
    c.hour = m.val;
    if (m.r > 0) c.min = c.sec = tmUsec = 0;
    r = m.r;
    if (r < 0 || (r = tmWithinBounds(ctx, c)) < 0) {
      c.mday++;
      c.hour = c.min = c.sec = tmUsec = 0;
      continue;
    }
    // the hour just set may not exist because of a DST change; retry from the normalised time
    if (r === 0) continue;

    m = findMatchingComponent(ctx, spec.minute, c, c.min, false);
    c.min = m.val;
    if (m.r > 0) c.sec = tmUsec = 0;
    r = m.r;
    if (r < 0 || (r = tmWithinBounds(ctx, c)) < 0) {
      c.hour++;
      c.min = c.sec = tmUsec = 0;
      continue;
    }
    if (r === 0) continue;

    m = findMatchingComponent(ctx, spec.microsecond, c, c.sec * USEC_PER_SEC + tmUsec, false);
    tmUsec = m.val % USEC_PER_SEC;
    c.sec = Math.floor(m.val / USEC_PER_SEC);
    r = m.r;
    if (r < 0 || (r = tmWithinBounds(ctx, c)) < 0) {
      c.min++;
      c.sec = tmUsec = 0;
      continue;
    }
    if (r === 0) continue;

    let cmp = tmCompare(tm, c);
    if (cmp === 0) cmp = Math.sign(usecIn - (tmUsec + 1));
    if (cmp >= 0) {
      // not after the start: advance and let mktime() pick the DST state
      invalidateDst = true;
      c.hour++;
      continue;
    }
    return { tm: c, usec: tmUsec };
  }
  return 'EDEADLK';
}

export interface NextOptions {
  /** $TZ of the process (undefined = unset): the zone used when the spec has no zone suffix */
  tz?: string;
  zone?: Zone;
  /** glibc mktime() guess carried between calls; share it to reproduce one process's behaviour */
  state?: MktimeState;
}

/** calendar_spec_next_usec(): first elapse strictly after `usec` (µs since the epoch). */
export function nextElapseUsec(spec: CalendarSpec, usec: bigint, opts: NextOptions = {}): bigint | NextError {
  if (usec < 0n || usec > USEC_TIMESTAMP_FORMATTABLE_MAX) return 'EINVAL';
  let zone = opts.zone ?? loadZone(opts.tz);
  let state = opts.state ?? newMktimeState();
  if (spec.timezone) {
    // systemd forks and sets TZ=":<zone>" in the child; the child's mktime state is discarded
    zone = loadZone(':' + spec.timezone);
    state = { ...state };
  }
  const ctx: Ctx = { spec, utc: spec.utc, zone, state };
  const u = usec + 1n;
  const t = Number(u / 1000000n);
  const tm = localtimeOrGmtime(t, spec.utc, zone);
  const r = findNext(ctx, tm, Number(u % 1000000n));
  if (typeof r === 'string') return r;
  const res = mk(ctx, r.tm);
  if (res < 0) return 'EINVAL';
  return BigInt(res) * 1000000n + BigInt(r.usec);
}

/** Up to `count` successive elapses after `after`; stops early when the spec never elapses again. */
export function nextElapsesUsec(spec: CalendarSpec, after: bigint, count: number, opts: NextOptions = {}): bigint[] {
  const out: bigint[] = [];
  const state = opts.state ?? newMktimeState();
  let n = after;
  for (let i = 0; i < count; i++) {
    const r = nextElapseUsec(spec, n, { ...opts, state });
    if (typeof r === 'string') break;
    out.push(r);
    n = r;
  }
  return out;
}
