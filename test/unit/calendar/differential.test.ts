import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { runCalendarCommand } from '../../../server/src/calendar';
import { mulberry32 } from '../../helpers/prng';
import { skipMissing } from '../../helpers/tools';

// Differential test against the real `systemd-analyze calendar` (the oracle): validity, errno,
// normalized form, the next 3 elapses (local and UTC lines) and exit status must be identical.

function hasOracle(): string | undefined {
  const r = spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) return String(r.error ?? r.stderr);
  return undefined;
}

const prng = mulberry32;

function generator(seed: number) {
  const rnd = prng(seed);
  const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)];
  const int = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));
  const pad = (n: number) => (rnd() < 0.5 ? String(n).padStart(2, '0') : String(n));
  const item = (lo: number, hi: number): string => {
    const a = int(lo, hi);
    switch (int(0, 6)) {
      case 0:
        return `${pad(a)}..${pad(int(lo, hi))}`;
      case 1:
        return `${pad(a)}/${int(0, Math.max(1, hi - lo + 1))}`;
      case 2:
        return `${pad(a)}..${pad(int(a, hi))}/${int(1, 5)}`;
      default:
        return pad(a);
    }
  };
  const chain = (lo: number, hi: number): string => {
    const r = rnd();
    if (r < 0.3) return '*';
    const n = r < 0.8 ? 1 : int(2, 4);
    return Array.from({ length: n }, () => item(lo, hi)).join(',');
  };
  const secs = (): string => {
    const r = rnd();
    if (r < 0.2) return '*';
    if (r < 0.35) return `${pad(int(0, 59))}.${String(int(0, 999999)).slice(0, int(1, 7))}`;
    if (r < 0.45) return `${pad(int(0, 30))}/${pick(['0.5', '1.25', '10', '15', '2.000001'])}`;
    if (r < 0.5) return `${pad(int(0, 10))}.5..${pad(int(10, 59))}.25`;
    return chain(0, 60);
  };
  const weekdays = () =>
    pick([
      '',
      '',
      '',
      'Mon ',
      'mon,fri ',
      'Mon-Fri ',
      'Mon..Wed,Sat ',
      'Sat,Sun ',
      'Wednesday, ',
      'Fri..Mon ',
      'Tue-Tue ',
      'Mnday ',
      'Mon.. ',
      'SUN ',
      'thu,tue ',
      'Mon,Tue,Wed,Thu,Fri,Sat,Sun ',
      'Mon- ',
      'Friday..Sunday ',
    ]);
  const date = () => {
    switch (int(0, 6)) {
      case 0:
        return '';
      case 1:
        return '*-*-* ';
      case 2:
        return `${chain(1, 13)}-${chain(1, 32)} `;
      case 3:
        return `${chain(1, 13)}~${chain(1, 29)} `;
      case 4:
        return `${pick(['*', String(int(2020, 2032)), String(int(0, 99)), `${int(2024, 2026)}..${int(2026, 2030)}`, String(int(1960, 2210))])}-${chain(1, 12)}-${chain(1, 31)} `;
      case 5:
        return `*-${chain(1, 12)}~${pad(int(1, 7))} `;
      default:
        return `${int(2025, 2027)}-${pad(int(1, 12))}-${pad(int(1, 31))} `;
    }
  };
  const time = () => {
    switch (int(0, 3)) {
      case 0:
        return '';
      case 1:
        return `${chain(0, 24)}:${chain(0, 60)}`;
      default:
        return `${chain(0, 24)}:${chain(0, 60)}:${secs()}`;
    }
  };
  const zone = () =>
    pick([
      '',
      '',
      '',
      '',
      ' UTC',
      ' utc',
      ' Europe/Berlin',
      ' America/New_York',
      ' Asia/Kolkata',
      ' Pacific/Auckland',
      ' Europe/Dublin',
      ' Nowhere/Zone',
    ]);
  return (): string => {
    const r = rnd();
    if (r < 0.06) {
      return (
        pick([
          'minutely',
          'hourly',
          'daily',
          'weekly',
          'monthly',
          'yearly',
          'annually',
          'anually',
          'quarterly',
          'semiannually',
          'semi-annually',
          'biannually',
          'bi-annually',
          'DAILY',
          'fortnightly',
        ]) + zone()
      );
    }
    if (r < 0.09) return `@${pick([0, int(0, 2000000000), int(1700000000, 1900000000), 7258118400, -1])}${zone()}`;
    if (r < 0.11)
      return pick([
        '7',
        '',
        ' ',
        '12:',
        '*-*-*-*',
        '*:*:*:*',
        'Mon,',
        '2016~11-22',
        '*:4,30:*,5',
        '00:00:00/0.00000001',
        '1:2:3 UTC UTC',
      ]);
    const e = (weekdays() + date() + time()).replace(/ +$/, '');
    return (e === '' ? 'Mon' : e) + zone();
  };
}

function run(tz: string | undefined, args: string[]) {
  const env = { ...process.env };
  if (tz === undefined) delete env.TZ;
  else env.TZ = tz;
  const real = spawnSync('systemd-analyze', ['calendar', ...args], { env, encoding: 'utf8' });
  const mine = runCalendarCommand(args, { TZ: tz }, new Date());
  const strip = (s: string) =>
    s
      .split('\n')
      .filter((l) => !l.startsWith('       From now:'))
      .join('\n');
  return {
    same: strip(real.stdout) === strip(mine.stdout) && real.stderr === mine.stderr && real.status === mine.exitCode,
    real: { stdout: strip(real.stdout), stderr: real.stderr, status: real.status },
    mine: { stdout: strip(mine.stdout), stderr: mine.stderr, status: mine.exitCode },
  };
}

describe('calendar: differential against systemd-analyze', () => {
  it('random expressions × zones × base times match the oracle', (t) => {
    const missing = hasOracle();
    if (missing) {
      skipMissing(t, 'systemd', `the differential test against systemd-analyze calendar (${missing})`);
      return;
    }
    const gen = generator(20260101);
    const zones = [
      undefined,
      'UTC',
      'Europe/Berlin',
      'America/New_York',
      'Pacific/Auckland',
      'Asia/Kolkata',
      'Europe/Dublin',
    ];
    // near DST changes on purpose, plus "now-ish" and an old date
    const bases = ['@1774745400', '@1761436800', '@1757800000', '@1680000000', '@1900000000'];
    const started = Date.now();
    let total = 0;
    let invalid = 0;
    const failures: string[] = [];
    for (const tz of zones) {
      for (const base of bases) {
        const exprs = Array.from({ length: 90 }, gen);
        total += exprs.length;
        const args = ['--iterations=3', `--base-time=${base}`, '--', ...exprs];
        const r = run(tz, args);
        invalid += r.real.stderr.split('\n').filter((l) => l.startsWith('Failed to parse calendar')).length;
        if (r.same) continue;
        // narrow down to the offending expressions
        for (const e of exprs) {
          const one = run(tz, ['--iterations=3', `--base-time=${base}`, '--', e]);
          if (!one.same) {
            failures.push(
              `TZ=${tz} base=${base} expr=${JSON.stringify(e)}\n  real: ${JSON.stringify(one.real)}\n  mine: ${JSON.stringify(one.mine)}`,
            );
          }
        }
      }
    }
    const secs = (Date.now() - started) / 1000;
    t.diagnostic(`${total} expressions (${invalid} invalid) in ${secs.toFixed(1)}s, ${failures.length} mismatches`);
    assert.deepEqual(failures.slice(0, 10), []);
    assert.ok(invalid > 20 && total - invalid > 200, 'generator covers valid and invalid input');
  });

  it('runCalendarCommand reproduces systemd-analyze output line by line', (t) => {
    const missing = hasOracle();
    if (missing) {
      skipMissing(t, 'systemd', `runCalendarCommand against systemd-analyze calendar (${missing})`);
      return;
    }
    const cases: Array<[string | undefined, string[]]> = [
      ['UTC', ['--iterations=3', '--base-time=2026-01-01 00:00:00 UTC', 'Mon *-*-* 04:00', 'daily', 'Thu 2027-01-01']],
      [
        'Europe/Berlin',
        ['--iterations=2', '--base-time=2026-01-01 00:00:00 UTC', 'Mon *-*-* 04:00 America/New_York', '*:0/15 UTC'],
      ],
      ['Europe/Dublin', ['--base-time=2025-03-29 22:00:00 UTC', '--iterations=5', 'hourly']],
      [undefined, ['--base-time=@1700000000', 'bad', '*-*-* 00:00:00', '00:00:2300', 'daily']],
      ['Asia/Kolkata', ['--iterations', '12', '--base-time', '2026-06-01 10:00', '*:0/20']],
      [undefined, []],
      [undefined, ['--iterations=x', 'daily']],
      [undefined, ['--base-time=foo', 'daily']],
      ['UTC', ['--iterations=0', '--base-time=@0', 'weekly']],
    ];
    for (const [tz, args] of cases) {
      const r = run(tz, args);
      assert.deepEqual(r.mine, r.real, `TZ=${tz} ${JSON.stringify(args)}`);
    }
  });
});
