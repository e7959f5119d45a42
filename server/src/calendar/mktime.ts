// struct tm arithmetic with glibc semantics. systemd's find_next() leans on mktime() normalising
// out-of-range fields and on how glibc resolves DST gaps and folds (tm_isdst = -1), so this is a
// faithful port of the probing algorithm in glibc's __mktime_internal(), including its process-wide
// "offset guess" that makes fold resolution depend on the previous call.

import { civilFromDays, daysFromCivil, LocalInfo, Zone } from './tz';

export interface Tm {
  /** years since 1900, like struct tm */
  year: number;
  /** 0..11 */
  mon: number;
  mday: number;
  hour: number;
  min: number;
  sec: number;
  /** -1 unknown, 0 standard, 1 DST */
  isdst: number;
  wday: number;
  yday: number;
  gmtoff: number;
  zone: string;
}

/** glibc's static localtime_offset: carry it across calls to reproduce fold choices. */
export interface MktimeState {
  offset: number;
}

export function newMktimeState(): MktimeState {
  return { offset: 0 };
}

export function cloneTm(tm: Tm): Tm {
  return { ...tm };
}

function fillTm(t: number, gmtoff: number, isdst: boolean, zone: string): Tm {
  const local = t + gmtoff;
  const days = Math.floor(local / 86400);
  let rem = local - days * 86400;
  const { y, m, d } = civilFromDays(days);
  const hour = Math.floor(rem / 3600);
  rem -= hour * 3600;
  const min = Math.floor(rem / 60);
  return {
    year: y - 1900,
    mon: m - 1,
    mday: d,
    hour,
    min,
    sec: rem - min * 60,
    isdst: isdst ? 1 : 0,
    wday: (((days + 4) % 7) + 7) % 7,
    yday: days - daysFromCivil(y, 1, 1),
    gmtoff,
    zone,
  };
}

export function gmtime(t: number): Tm {
  return fillTm(t, 0, false, 'GMT');
}

export function localtime(t: number, zone: Zone): Tm {
  const i = zone.info(t);
  return fillTm(t, i.gmtoff, i.isdst, i.abbr);
}

/** Requested wall time as seconds since the epoch "as if UTC"; fields may be out of range. */
function wallSeconds(tm: Tm, sec: number): number {
  const monYears = Math.floor(tm.mon / 12);
  const mon = tm.mon - monYears * 12;
  const days = daysFromCivil(tm.year + 1900 + monYears, mon + 1, 1) + tm.mday - 1;
  return days * 86400 + tm.hour * 3600 + tm.min * 60 + sec;
}

// glibc's mktime_min/mktime_max are the time_t limits; stay far inside them.
const T_LIMIT = 67767976233316800;

/** timegm(): normalises tm in place; returns seconds since the epoch. */
export function timegm(tm: Tm): number {
  const t = wallSeconds(tm, tm.sec);
  Object.assign(tm, fillTm(t, 0, false, 'GMT'));
  return t;
}

/** mktime(): normalises tm in place like glibc; returns -1 on failure. */
export function mktime(tm: Tm, zone: Zone, state: MktimeState): number {
  const isdst = tm.isdst;
  const secRequested = tm.sec;
  const sec = Math.min(Math.max(secRequested, 0), 59);
  const L = wallSeconds(tm, sec);
  if (!Number.isFinite(L) || Math.abs(L) > T_LIMIT) return -1;
  const t0 = L + state.offset;
  let t = t0;
  let t1 = t0;
  let t2 = t0;
  let dst2 = 0;
  let remaining = 6;
  let info: LocalInfo;
  let found = false;
  for (;;) {
    info = zone.info(t);
    const dt = L - (t + info.gmtoff);
    if (dt === 0) break;
    const cur = info.isdst ? 1 : 0;
    if (t === t1 && t !== t2 && (isdst < 0 ? dst2 <= cur : (isdst !== 0) !== info.isdst)) {
      // Oscillating around a spring-forward gap: glibc returns this probe.
      found = true;
      break;
    }
    if (--remaining === 0) return -1;
    t1 = t2;
    t2 = t;
    t += dt;
    dst2 = cur;
  }
  if (!found && isdst >= 0 && (isdst !== 0) !== info.isdst) {
    // Wrong tm_isdst: borrow the UTC offset of a neighbouring time with the requested isdst.
    const stride = 601200;
    const deltaBound = Math.floor(536454000 / 2) + stride;
    let ok = false;
    outer: for (let delta = stride; delta < deltaBound; delta += stride) {
      for (const direction of [-1, 1]) {
        const ot = t + delta * direction;
        const oi = zone.info(ot);
        if ((isdst !== 0) === oi.isdst) {
          t = ot + (L - (ot + oi.gmtoff));
          info = zone.info(t);
          ok = true;
          break outer;
        }
      }
    }
    if (!ok) return -1;
  }
  state.offset = t - L;
  if (secRequested !== sec) {
    t += secRequested - sec;
    info = zone.info(t);
  }
  Object.assign(tm, fillTm(t, info.gmtoff, info.isdst, info.abbr));
  return t;
}

export function mktimeOrTimegm(tm: Tm, utc: boolean, zone: Zone, state: MktimeState): number {
  return utc ? timegm(tm) : mktime(tm, zone, state);
}

export function localtimeOrGmtime(t: number, utc: boolean, zone: Zone): Tm {
  return utc ? gmtime(t) : localtime(t, zone);
}
