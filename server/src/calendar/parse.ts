// Parser for systemd calendar events. It follows calendar_spec_from_string() step by step (so the
// set of accepted strings and the errno are the same as systemd 252), and additionally records where
// and why parsing failed so an editor can underline the offending part.

import { loadZone, timezoneIsValid, Zone } from './tz';
import { gmtime } from './mktime';
import { applyShorthand, normalizeSpec } from './shorthands';
import { CalendarComponent, CalendarParseError, CalendarSpec, Chain, constChain, Errno, USEC_PER_SEC } from './types';

export const MIN_YEAR = 1970;
export const MAX_YEAR = 2199;
const COMPONENTS_MAX = 240;
const INT_MAX = 2147483647;
const ULONG_MAX = (1n << 64n) - 1n;

export interface ParseOptions {
  /** $TZ as systemd would see it (undefined = unset); decides which local abbreviations (CET/CEST…) are accepted */
  tz?: string;
  zone?: Zone;
}

export type ParseResult = { ok: true; spec: CalendarSpec } | CalendarParseError;

class Fail extends Error {
  constructor(
    public errno: Errno,
    public msg: string,
    public offset: number,
    public length: number,
  ) {
    super(msg);
  }
}

const DAYS: Array<[string, number]> = [
  ['Monday', 0],
  ['Mon', 0],
  ['Tuesday', 1],
  ['Tue', 1],
  ['Wednesday', 2],
  ['Wed', 2],
  ['Thursday', 3],
  ['Thu', 3],
  ['Friday', 4],
  ['Fri', 4],
  ['Saturday', 5],
  ['Sat', 5],
  ['Sunday', 6],
  ['Sun', 6],
];

const DAY_NAMES = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

function isDigit(ch: string | undefined): boolean {
  return ch !== undefined && ch >= '0' && ch <= '9';
}

function describeChar(ch: string | undefined): string {
  if (ch === undefined || ch === '') return 'end of input';
  const code = ch.charCodeAt(0);
  if (ch === '\n') return "a newline ('\\n')";
  if (ch === '\t') return "a tab ('\\t')";
  if (code < 0x20 || code === 0x7f) return `control character U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
  return `'${ch}'`;
}

function word(s: string, i: number): string {
  const m = /^[^\s,:\-~.]*/.exec(s.slice(i, i + 40));
  return m ? m[0] : '';
}

function emptySpec(): CalendarSpec {
  return {
    weekdaysBits: 0,
    endOfMonth: false,
    utc: false,
    dst: -1,
    timezone: null,
    year: null,
    month: null,
    day: null,
    hour: null,
    minute: null,
    microsecond: null,
  };
}

function endsWithNoCase(s: string, suffix: string): number {
  if (suffix.length > s.length) return -1;
  const at = s.length - suffix.length;
  return s.slice(at).toLowerCase() === suffix.toLowerCase() ? at : -1;
}

type FieldName = 'year' | 'month' | 'day' | 'hour' | 'minute' | 'second' | 'first field';

class Parser {
  i = 0;
  constructor(
    readonly s: string,
    readonly spec: CalendarSpec,
  ) {}

  ch(k = 0): string | undefined {
    return this.s[this.i + k];
  }

  // parse_weekdays()
  weekdays(): void {
    const s = this.s;
    let l = -1;
    let first = true;
    for (;;) {
      const start = this.i;
      let nr = -1;
      let name = '';
      for (const [n, v] of DAYS) {
        if (s.substr(this.i, n.length).toLowerCase() === n.toLowerCase()) {
          name = n;
          nr = v;
          break;
        }
      }
      if (nr < 0) {
        if (first) return;
        const w = word(s, this.i);
        throw new Fail(
          'EINVAL',
          w ? `unknown weekday '${w}'` : `expected a weekday after ',' but found ${describeChar(this.ch())}`,
          this.i,
          Math.max(1, w.length),
        );
      }
      const after = s[this.i + name.length];
      if (!(after === undefined || after === '-' || after === '.' || after === ',' || after === ' ')) {
        const w = word(s, start);
        throw new Fail('EINVAL', `unknown weekday '${w}'`, start, Math.max(1, w.length));
      }
      this.spec.weekdaysBits |= 1 << nr;
      if (l >= 0) {
        if (l > nr) {
          throw new Fail(
            'EINVAL',
            `weekday range ${DAY_NAMES[l]}..${DAY_NAMES[nr]} goes backwards (weeks start on Monday)`,
            start,
            name.length,
          );
        }
        for (let j = l + 1; j < nr; j++) this.spec.weekdaysBits |= 1 << j;
      }
      this.i += name.length;
      const c = this.ch();
      if (c === undefined) return;
      if (c === ' ') {
        this.skipSpaces();
        return;
      }
      if (c === '.') {
        if (l >= 0) throw new Fail('EINVAL', 'a weekday range cannot be chained (A..B..C)', this.i, 1);
        if (this.ch(1) !== '.') throw new Fail('EINVAL', "expected '..' for a weekday range", this.i, 1);
        l = nr;
        this.i += 2;
      } else if (c === '-') {
        if (l >= 0) throw new Fail('EINVAL', 'a weekday range cannot be chained (A-B-C)', this.i, 1);
        l = nr;
        this.i += 1;
      } else if (c === ',') {
        l = -1;
        this.i += 1;
      }
      const n = this.ch();
      if (n === undefined || n === ' ') {
        this.skipSpaces();
        if (l >= 0) throw new Fail('EINVAL', 'weekday range is missing its end', start, this.i - start);
        return;
      }
      first = false;
    }
  }

  skipSpaces(): void {
    while (this.s[this.i] === ' ') this.i++;
  }

  // strtoul(): returns value and end index; ERANGE on overflow
  strtoul(at: number): { value: bigint; end: number; overflow: boolean } | undefined {
    const s = this.s;
    let i = at;
    while (i < s.length && ' \t\n\v\f\r'.includes(s[i])) i++;
    let neg = false;
    if (s[i] === '+' || s[i] === '-') {
      neg = s[i] === '-';
      i++;
    }
    const ds = i;
    while (isDigit(s[i])) i++;
    if (i === ds) return undefined;
    // bounded: more than 20 digits can only overflow (leading zeros aside)
    const digits = s.slice(ds, i).replace(/^0+(?=\d)/, '');
    let value = digits.length > 21 ? ULONG_MAX + 1n : BigInt(digits);
    const overflow = value > ULONG_MAX;
    if (overflow) value = ULONG_MAX;
    else if (neg) value = (ULONG_MAX + 1n - value) & ULONG_MAX;
    return { value, end: i, overflow };
  }

  // parse_component_decimal()
  decimal(usec: boolean, field: FieldName): number {
    const at = this.i;
    if (!isDigit(this.ch())) {
      const w = word(this.s, at);
      if (field === 'first field' && /^[A-Za-z]/.test(w)) {
        // nothing matched as weekday or shorthand, so a leading word is most likely a misspelling
        const dayLike =
          /^[a-z]{2,6}day$/i.test(w) ||
          (w.length <= 9 &&
            DAYS.some(
              ([n]) => n[0].toLowerCase() === w[0].toLowerCase() && /[aeiouy]?n|ue|ed|hu|ri|at/i.test(w.slice(1, 3)),
            ));
        throw new Fail(
          'EINVAL',
          dayLike ? `unknown weekday '${w}'` : `'${w}' is not a weekday, a shorthand (daily, weekly, …) or a number`,
          at,
          w.length,
        );
      }
      throw new Fail('EINVAL', `expected a number for the ${field} but found ${describeChar(this.ch())}`, at, 1);
    }
    const r = this.strtoul(at)!;
    let e = r.end;
    if (r.overflow) throw new Fail('ERANGE', `${field} value is too large`, at, e - at);
    let value = r.value;
    if (usec) {
      value *= BigInt(USEC_PER_SEC);
      if (value > ULONG_MAX) throw new Fail('ERANGE', `${field} value is too large`, at, e - at);
      if (this.s[e] === '.' && this.s[e + 1] !== '.') {
        e++;
        // parse_fractional_part_u(): 6 digits, rounding on the 7th, further digits ignored
        let add = 0;
        let k = 0;
        for (; k < 6; k++) {
          const c = this.s[e];
          if (!isDigit(c)) {
            if (k === 0) throw new Fail('EINVAL', 'expected digits after the decimal point', e - 1, 1);
            for (; k < 6; k++) add *= 10;
            break;
          }
          add = add * 10 + (c.charCodeAt(0) - 48);
          e++;
        }
        const c7 = this.s[e];
        if (c7 !== undefined && c7 >= '5' && c7 <= '9') add++;
        while (isDigit(this.s[e])) e++;
        value += BigInt(add);
        if (value > ULONG_MAX) throw new Fail('ERANGE', `${field} value is too large`, at, e - at);
      }
    }
    if (value > BigInt(INT_MAX))
      throw new Fail('ERANGE', `${field} value ${this.s.slice(at, Math.min(e, at + 30))} is too large`, at, e - at);
    this.i = e;
    return Number(value);
  }

  // prepend_component(), iteratively
  components(usec: boolean, field: FieldName): CalendarComponent[] {
    const out: CalendarComponent[] = [];
    for (let nesting = 0; ; nesting++) {
      if (nesting > COMPONENTS_MAX) {
        throw new Fail('ENOBUFS', `too many list items for the ${field} (at most ${COMPONENTS_MAX + 1})`, this.i, 1);
      }
      const at = this.i;
      const start = this.decimal(usec, field);
      let stop = -1;
      let repeat = 0;
      if (this.ch() === '.' && this.ch(1) === '.') {
        this.i += 2;
        stop = this.decimal(usec, field);
        repeat = usec ? USEC_PER_SEC : 1;
      }
      if (this.ch() === '/') {
        this.i++;
        const rat = this.i;
        repeat = this.decimal(usec, field);
        if (repeat === 0) throw new Fail('ERANGE', 'repetition must be greater than zero', rat, this.i - rat);
      } else {
        if (start > INT_MAX - repeat) throw new Fail('ERANGE', `${field} value is too large`, at, this.i - at);
        if (usec && stop >= 0 && start + repeat > stop) {
          throw new Fail(
            'EINVAL',
            'a seconds range without /repetition must span at least one second',
            at,
            this.i - at,
          );
        }
      }
      const c = this.ch();
      if (!(c === undefined || c === ' ' || c === ',' || c === '-' || c === '~' || c === ':')) {
        throw new Fail('EINVAL', `unexpected ${describeChar(c)} after the ${field}`, this.i, 1);
      }
      out.push({ start, stop, repeat, offset: at, length: this.i - at });
      if (c !== ',') return out;
      this.i++;
    }
  }

  // parse_chain()
  chain(usec: boolean, field: FieldName): Chain {
    if (this.ch() === '*') {
      const at = this.i;
      this.i++;
      return usec ? [{ start: 0, stop: -1, repeat: USEC_PER_SEC, offset: at, length: 1 }] : null;
    }
    return this.components(usec, field);
  }

  // parse_date(); returns true when an @epoch was consumed
  date(): boolean {
    const s = this.s;
    if (this.i >= s.length) return false;
    if (this.ch() === '@') {
      const at = this.i;
      const r = this.strtoul(this.i + 1);
      if (!r) throw new Fail('EINVAL', "expected seconds since the epoch after '@'", at, 1);
      if (r.overflow) throw new Fail('ERANGE', 'epoch value is too large', at, r.end - at);
      // time_t is signed: huge unsigned values wrap to negative times
      const signed = r.value > (1n << 63n) - 1n ? r.value - (1n << 64n) : r.value;
      // gmtime_r() fails once the year no longer fits into an int
      const limit = 67767976233532799n;
      if (signed > limit || signed < -67768040609740800n)
        throw new Fail('ERANGE', 'epoch value is too large', at, r.end - at);
      const tm = gmtime(Number(signed));
      const y = tm.year + 1900;
      this.spec.utc = true;
      const span = { offset: at, length: r.end - at };
      this.spec.year = [{ start: y, stop: -1, repeat: 0, ...span }];
      this.spec.month = [{ start: tm.mon + 1, stop: -1, repeat: 0, ...span }];
      this.spec.day = [{ start: tm.mday, stop: -1, repeat: 0, ...span }];
      this.spec.hour = [{ start: tm.hour, stop: -1, repeat: 0, ...span }];
      this.spec.minute = [{ start: tm.min, stop: -1, repeat: 0, ...span }];
      this.spec.microsecond = [{ start: tm.sec * USEC_PER_SEC, stop: -1, repeat: 0, ...span }];
      this.i = r.end;
      return true;
    }
    const save = this.i;
    const first = this.chain(false, 'first field');
    let c = this.ch();
    if (c === undefined || c === ':') {
      this.i = save;
      return false;
    }
    if (c === '~') this.spec.endOfMonth = true;
    else if (c !== '-') {
      throw new Fail('EINVAL', `expected '-', '~' or ':' but found ${describeChar(c)}`, this.i, 1);
    }
    this.i++;
    const second = this.chain(false, 'day');
    c = this.ch();
    if (c === undefined || c === ' ') {
      this.skipSpaces();
      this.spec.month = first;
      this.spec.day = second;
      return false;
    } else if (this.spec.endOfMonth) {
      throw new Fail('EINVAL', "'~' is only allowed between month and day", save, this.i - save);
    }
    if (c === '~') this.spec.endOfMonth = true;
    else if (c !== '-') throw new Fail('EINVAL', `expected '-' or '~' but found ${describeChar(c)}`, this.i, 1);
    this.i++;
    const third = this.chain(false, 'day');
    c = this.ch();
    if (!(c === undefined || c === ' ')) {
      throw new Fail('EINVAL', `expected a space before the time but found ${describeChar(c)}`, this.i, 1);
    }
    this.skipSpaces();
    this.spec.year = first;
    this.spec.month = second;
    this.spec.day = third;
    return false;
  }

  // parse_calendar_time()
  time(): void {
    if (this.i >= this.s.length) {
      this.spec.hour = constChain(0);
      this.spec.minute = constChain(0);
      this.spec.microsecond = constChain(0);
      return;
    }
    const h = this.chain(false, 'hour');
    if (this.ch() !== ':') {
      throw new Fail(
        'EINVAL',
        this.ch() === undefined
          ? "a time needs at least hours and minutes (HH:MM); a date needs '-' (MM-DD)"
          : `expected ':' but found ${describeChar(this.ch())}`,
        this.ch() === undefined ? 0 : this.i,
        this.ch() === undefined ? this.s.length : 1,
      );
    }
    this.i++;
    const m = this.chain(false, 'minute');
    let sec: Chain;
    if (this.ch() === undefined) sec = constChain(0);
    else {
      if (this.ch() !== ':') throw new Fail('EINVAL', `expected ':' but found ${describeChar(this.ch())}`, this.i, 1);
      this.i++;
      sec = this.chain(true, 'second');
      if (this.ch() !== undefined) {
        throw new Fail('EINVAL', `unexpected ${describeChar(this.ch())} after the seconds`, this.i, 1);
      }
    }
    this.spec.hour = h;
    this.spec.minute = m;
    this.spec.microsecond = sec;
  }
}

function fmtVal(v: number, usec: boolean): string {
  if (!usec) return String(v);
  const s = Math.floor(v / USEC_PER_SEC);
  const f = v % USEC_PER_SEC;
  return f ? `${s}.${String(f).padStart(6, '0')}`.replace(/0+$/, '') : String(s);
}

// chain_valid(); throws a located, explained error for the first offending item
function chainValid(c: Chain, from: number, to: number, eom: boolean, field: FieldName): void {
  if (!c) return;
  const usec = field === 'second';
  for (const x of c) {
    // systemd 252 applies "to -= 3" once per list item (it recurses with the reduced bound), so
    // with '~' each further item of the sorted list must be 3 days closer to the month's end.
    if (eom) to -= 3;
    const range = `${fmtVal(from, usec)}..${fmtVal(to, usec)}`;
    const where = (msg: string) => new Fail('EINVAL', msg, x.offset, Math.max(1, x.length));
    const name = eom ? `${field} ~${fmtVal(x.start, usec)}` : `${field} ${fmtVal(x.start, usec)}`;
    if (x.start < from || x.start > to) {
      if (eom) {
        throw where(
          to === 28
            ? `${name} is out of range: with '~' (counted from the end of the month) the day must be 1..28`
            : `${name} is out of range: systemd only accepts ~1..~${to} at this position of a '~' list (the limit shrinks by 3 per item)`,
        );
      }
      throw where(`${name} is out of range ${range}`);
    }
    if (x.repeat > to - from)
      throw where(`repetition /${fmtVal(x.repeat, usec)} is too large for the ${field} (range ${range})`);
    if (x.stop >= 0) {
      if (x.stop < from || x.stop > to) {
        throw where(
          eom
            ? `${field} ~${fmtVal(x.stop, usec)} is out of range: systemd only accepts ~1..~${to} here`
            : `${field} ${fmtVal(x.stop, usec)} is out of range ${range}`,
        );
      }
      if (x.start + x.repeat > x.stop) {
        throw where(`${field} range ${fmtVal(x.start, usec)}..${fmtVal(x.stop, usec)} is empty or goes backwards`);
      }
    } else {
      if (eom && x.start - x.repeat < from) {
        throw where(`repetition /${fmtVal(x.repeat, usec)} of ${name} never fires within the month`);
      }
      if (!eom && x.start + x.repeat > to) {
        throw where(
          `repetition ${fmtVal(x.start, usec)}/${fmtVal(x.repeat, usec)} never fires a second time: ${fmtVal(x.start + x.repeat, usec)} is beyond ${fmtVal(to, usec)}`,
        );
      }
    }
  }
}

function specValid(c: CalendarSpec): void {
  chainValid(c.year, MIN_YEAR, MAX_YEAR, false, 'year');
  chainValid(c.month, 1, 12, false, 'month');
  chainValid(c.day, 1, 31, c.endOfMonth, 'day');
  chainValid(c.hour, 0, 23, false, 'hour');
  chainValid(c.minute, 0, 59, false, 'minute');
  chainValid(c.microsecond, 0, 60 * USEC_PER_SEC - 1, false, 'second');
}

/** calendar_spec_from_string() */
export function parseSpec(input: string, opts: ParseOptions = {}): ParseResult {
  try {
    return { ok: true, spec: parseOrThrow(input, opts) };
  } catch (e) {
    if (e instanceof Fail) {
      const offset = Math.max(0, Math.min(e.offset, input.length));
      const length = Math.max(0, Math.min(e.length, input.length - offset));
      return { ok: false, errno: e.errno, message: e.msg, offset, length };
    }
    throw e;
  }
}

function parseOrThrow(input: string, opts: ParseOptions): CalendarSpec {
  const nul = input.indexOf('\0');
  if (nul >= 0) throw new Fail('EINVAL', 'calendar expression contains a NUL character', nul, 1);
  const spec = emptySpec();
  let p = input;
  const utcAt = endsWithNoCase(p, ' UTC');
  if (utcAt >= 0) {
    spec.utc = true;
    p = p.slice(0, utcAt);
  } else {
    const zone = opts.zone ?? loadZone(opts.tz);
    let j = 0;
    let e = -1;
    for (; j <= 1; j++) {
      const name = zone.tzname[j];
      if (!name) continue;
      e = endsWithNoCase(p, name);
      if (e <= 0) continue;
      if (p[e - 1] !== ' ') continue;
      break;
    }
    if (j <= 1) {
      p = p.slice(0, e - 1);
      spec.dst = j;
    } else {
      const lastSpace = p.lastIndexOf(' ');
      if (lastSpace >= 0 && timezoneIsValid(p.slice(lastSpace + 1))) {
        spec.timezone = p.slice(lastSpace + 1);
        p = p.slice(0, lastSpace);
      }
    }
  }
  if (p === '') {
    throw new Fail(
      'EINVAL',
      input === '' ? 'empty calendar expression' : 'calendar expression has nothing before the time zone',
      0,
      input.length,
    );
  }
  if (!applyShorthand(p, spec)) {
    const parser = new Parser(p, spec);
    parser.weekdays();
    const epoch = parser.date();
    if (!epoch) parser.time();
    if (parser.i < p.length) {
      throw new Fail('EINVAL', `unexpected ${describeChar(p[parser.i])} after the calendar expression`, parser.i, 1);
    }
  }
  normalizeSpec(spec);
  specValid(spec);
  return spec;
}
