import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  formatTimestamp,
  nextElapse,
  nextElapses,
  parseCalendar,
  runCalendarCommand,
  suggestCalendar,
} from '../../../server/src/calendar';

function norm(expr: string, tz = 'UTC'): string {
  const r = parseCalendar(expr, tz);
  assert.ok(r.ok, `${JSON.stringify(expr)} should parse: ${r.ok ? '' : r.message}`);
  return r.ok ? r.normalized : '';
}

function fail(expr: string, tz = 'UTC') {
  const r = parseCalendar(expr, tz);
  assert.equal(r.ok, false, `${JSON.stringify(expr)} should fail`);
  if (r.ok) throw new Error('unreachable');
  return r;
}

const usec = (iso: string) => BigInt(Date.parse(iso)) * 1000n;

describe('calendar: grammar', () => {
  it('weekdays: lists, ranges, legacy dash, trailing comma, case', () => {
    assert.equal(norm('Mon-Fri 04:00'), 'Mon..Fri *-*-* 04:00:00');
    assert.equal(norm('sat,SUN'), 'Sat,Sun *-*-* 00:00:00');
    assert.equal(norm('Mon,Tue,Wed,Thu,Fri,Sat,Sun'), '*-*-* 00:00:00');
    assert.equal(norm('Wednesday,'), 'Wed *-*-* 00:00:00');
    assert.equal(fail('Fri..Mon').message, 'weekday range Fri..Mon goes backwards (weeks start on Monday)');
  });

  it('dates: *, lists, ranges, repetition, 2-digit years, ~', () => {
    assert.equal(norm('*-*-1/11 23:00'), '*-*-01/11 23:00:00');
    assert.equal(norm('99-1,7-1'), '1999-01,07-01 00:00:00');
    assert.equal(norm('2026..2028-02~01'), '2026..2028-02~01 00:00:00');
    assert.equal(norm('*-*~1,2,22'), '*-*~01,02,22 00:00:00');
    // systemd 252 quirk: each further '~' item must be 3 days closer to the end of the month
    fail('*~19,22,23');
  });

  it('times: optional and fractional seconds, repetition normalization', () => {
    assert.equal(norm('4:0'), '*-*-* 04:00:00');
    assert.equal(norm('*:0/15'), '*-*-* *:00/15:00');
    assert.equal(norm('0:0:1.5'), '*-*-* 00:00:01.500000');
    assert.equal(norm('*:20..39/5'), '*-*-* *:20..35/5:00');
  });

  it('shorthands, zones and @epoch', () => {
    assert.equal(norm('Bi-Annually'), '*-01,07-01 00:00:00');
    assert.equal(norm('anually'), '*-01-01 00:00:00');
    assert.equal(norm('daily Europe/Berlin'), '*-*-* 00:00:00 Europe/Berlin');
    assert.equal(norm('daily CET', 'Europe/Berlin'), '*-*-* 00:00:00 CET');
    assert.equal(norm('@1700000000'), '2023-11-14 22:13:20 UTC');
    fail('daily Europe/Nowhere');
  });

  it('errors carry a located, specific message', () => {
    let e = fail('*-*-* 25:00');
    assert.equal(e.message, 'hour 25 is out of range 0..23');
    assert.equal('*-*-* 25:00'.slice(e.offset, e.offset + e.length), '25');
    e = fail('Mnday 04:00');
    assert.equal(e.message, "unknown weekday 'Mnday'");
    assert.deepEqual([e.offset, e.length], [0, 5]);
    e = fail('*-*-* 04:61');
    assert.match(e.message, /minute 61 is out of range 0\.\.59/);
    e = fail('7');
    assert.match(e.message, /HH:MM/);
    assert.equal(fail('00:00:2300').errno, 'ERANGE');
    assert.equal(fail('*:' + Array.from({ length: 250 }, (_, i) => i % 60).join(',')).errno, 'ENOBUFS');
  });
});

describe('calendar: next elapse', () => {
  it('computes elapses in UTC, local zones and across DST', () => {
    const r = parseCalendar('Mon *-*-* 04:00', 'UTC');
    assert.ok(r.ok);
    const got = nextElapses(r.spec, usec('2026-01-01T00:00:00Z'), 3, 'UTC').map((u) => formatTimestamp(u, 'UTC'));
    assert.deepEqual(got, [
      'Mon 2026-01-05 04:00:00 UTC',
      'Mon 2026-01-12 04:00:00 UTC',
      'Mon 2026-01-19 04:00:00 UTC',
    ]);
    // 02:30 does not exist in Berlin on 2026-03-29: that day is skipped
    const gap = parseCalendar('*-*-* 02:30', 'Europe/Berlin');
    assert.ok(gap.ok);
    const days = nextElapses(gap.spec, usec('2026-03-28T12:00:00Z'), 2, 'Europe/Berlin').map((u) =>
      formatTimestamp(u, 'Europe/Berlin'),
    );
    assert.deepEqual(days, ['Mon 2026-03-30 02:30:00 CEST', 'Tue 2026-03-31 02:30:00 CEST']);
  });

  it('returns "never" (ENOENT) for impossible specs in bounded time', () => {
    for (const e of ['*-02-30', 'Thu 2027-01-01', '2016-01-01', '*-04-31 12:00', '2199-12-31 23:59:59 UTC']) {
      const r = parseCalendar(e, 'UTC');
      assert.ok(r.ok);
      const t0 = Date.now();
      assert.equal(
        nextElapse(r.spec, usec('2026-06-01T00:00:00Z'), 'UTC'),
        e.startsWith('2199') ? 7258118399000000n : 'ENOENT',
      );
      assert.ok(Date.now() - t0 < 2000, `bounded time for ${e}`);
    }
  });
});

describe('calendar: bad input', () => {
  it('1 MB string, control characters and embedded newline fail fast with a clear message', () => {
    const t0 = Date.now();
    const big = '1,'.repeat(512 * 1024) + '1:00';
    const e1 = fail(big);
    assert.ok(e1.message.length > 0);
    const e2 = fail('*'.repeat(1 << 20));
    assert.ok(e2.message.length > 0);
    assert.ok(Date.now() - t0 < 2000, 'bounded parse time');
    const nl = fail('daily\n04:00');
    assert.ok(nl.message.length > 0);
    const ctl = fail('Mon\t04:00');
    assert.match(ctl.message, /tab|weekday/);
    assert.match(fail('04:00\u0001').message, /U\+0001/);
    assert.match(fail('04:00\0').message, /NUL/);
    assert.equal(suggestCalendar('x'.repeat(1 << 20)), undefined);
  });
});

describe('calendar: suggestions', () => {
  it('translates cron lines', () => {
    assert.deepEqual(suggestCalendar('0 4 * * *')?.replacement, '*-*-* 04:00:00');
    assert.equal(suggestCalendar('*/15 * * * *')?.replacement, '*-*-* *:00/15:00');
    assert.equal(suggestCalendar('30 2 * * 1-5')?.replacement, 'Mon..Fri *-*-* 02:30:00');
    assert.equal(suggestCalendar('@daily')?.replacement, '*-*-* 00:00:00');
    const both = suggestCalendar('0 4 1 * 1');
    assert.equal(both?.replacement, undefined);
    assert.match(both!.explanation, /EITHER/);
  });

  it('translates time spans and phrases, explains what has no equivalent', () => {
    assert.equal(suggestCalendar('2 hours')?.replacement, '*-*-* 00/2:00:00');
    assert.equal(suggestCalendar('1d')?.replacement, '*-*-* 00:00:00');
    const h48 = suggestCalendar('48h');
    assert.equal(h48?.replacement, undefined);
    assert.match(h48!.explanation, /every 2 days/);
    for (const f of ['fortnightly', 'biweekly']) {
      const s = suggestCalendar(f);
      assert.equal(s?.replacement, undefined);
      assert.match(s!.explanation, /no "every other week"/);
    }
    assert.equal(suggestCalendar('every day at 4')?.replacement, '*-*-* 04:00:00');
    assert.equal(suggestCalendar('daily at 04:00')?.replacement, '*-*-* 04:00:00');
    assert.equal(suggestCalendar('every monday at 5pm')?.replacement, 'Mon *-*-* 17:00:00');
    assert.equal(suggestCalendar('every 15 minutes')?.replacement, '*-*-* *:00/15:00');
    assert.equal(suggestCalendar('daily'), undefined);
    assert.equal(suggestCalendar('banana'), undefined);
  });

  it('every replacement is itself valid', () => {
    for (const s of [
      '0 4 * * *',
      '*/5 * * * *',
      '0 0 1 */3 *',
      '15 3 * jan,jul sun',
      '6h',
      '30min',
      'noon',
      'weekdays at 9',
    ]) {
      const r = suggestCalendar(s)?.replacement;
      assert.ok(r, `suggestion for ${s}`);
      assert.ok(parseCalendar(r!, 'UTC').ok, `${r} is valid`);
    }
  });
});

describe('calendar: runCalendarCommand (no oracle needed)', () => {
  it('prints the systemd-analyze layout', () => {
    const r = runCalendarCommand(
      ['--iterations=2', '--base-time=2026-01-01 00:00:00 UTC', 'daily', 'bad'],
      { TZ: 'UTC' },
      new Date(Date.UTC(2026, 0, 1)),
    );
    assert.equal(r.exitCode, 1);
    assert.equal(
      r.stdout,
      '  Original form: daily\n' +
        'Normalized form: *-*-* 00:00:00\n' +
        '    Next elapse: Fri 2026-01-02 00:00:00 UTC\n' +
        '       From now: 24h left\n' +
        '       Iter. #2: Sat 2026-01-03 00:00:00 UTC\n' +
        '       From now: 2 days left\n\n',
    );
    assert.equal(r.stderr, "Failed to parse calendar specification 'bad': Invalid argument\n");
  });
});
