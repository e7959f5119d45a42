import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { nextElapse, parseCalendar } from '../../../server/src/calendar';

// Upstream test vectors extracted from systemd's test-calendarspec.c (see the files' headers).
const DATA = path.resolve(__dirname, '../../../../test/fixtures/vectors');

function rows(file: string): string[][] {
  return fs
    .readFileSync(path.join(DATA, file), 'utf8')
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('#') && !l.startsWith('input\t'))
    .map((l) => l.split('\t'));
}

describe('calendar: upstream vectors', () => {
  it('calendarspec-vectors.tsv: normalized form / FAIL, and round trip', () => {
    const all = rows('calendarspec-vectors.tsv');
    assert.ok(all.length >= 90, `expected ~96 vectors, got ${all.length}`);
    for (const [rawInput, expected] of all) {
      const input = rawInput.replace(/\\n/g, '\n');
      const r = parseCalendar(input, undefined);
      if (expected === 'FAIL') {
        assert.equal(r.ok, false, `${JSON.stringify(input)} should fail`);
        if (!r.ok) {
          assert.ok(r.message.length > 0);
          assert.ok(
            r.offset >= 0 && r.offset + r.length <= input.length,
            `span within input for ${JSON.stringify(input)}`,
          );
        }
      } else {
        assert.ok(r.ok, `${JSON.stringify(input)} should parse: ${r.ok ? '' : r.message}`);
        assert.equal(r.normalized, expected, `normalized form of ${JSON.stringify(input)}`);
        const again = parseCalendar(r.normalized, undefined);
        assert.ok(again.ok && again.normalized === expected, `round trip of ${expected}`);
      }
    }
  });

  it('calendarspec-next-vectors.tsv: next elapse incl. DST and TZ', () => {
    const all = rows('calendarspec-next-vectors.tsv');
    assert.ok(all.length >= 30);
    for (const [input, tzCol, after, expected] of all) {
      const tz = tzCol === '(unset)' ? undefined : tzCol;
      const r = parseCalendar(input, tz);
      assert.ok(r.ok, `${input} parses`);
      if (!r.ok) continue;
      const got = nextElapse(r.spec, BigInt(after), tz);
      assert.equal(typeof got === 'string' ? 'NONE' : String(got), expected, `${input} | TZ=${tzCol} | after ${after}`);
    }
  });
});
