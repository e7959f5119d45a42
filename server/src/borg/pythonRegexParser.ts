// The structure of a Python `re` pattern, parsed the way sre_parse does (Lib/re/_parser.py in CPython): alternation,
// repeats, groups, inline flags and back-references, each checked where sre_parse raises and translated to JS. Widths
// are tracked because look-behinds must be fixed-width; group bookkeeping because a back-reference to a group that
// may not take part in the match means different things in Python and JS.

import { category, hasCase, parseClass, simpleEscape } from './pythonRegexCharacters';
import { Flags, hex, Node, PatternReader, PyReError, PyReUnknown } from './pythonRegexReader';

const MAXREPEAT = 4294967295;

function isIdentifier(name: string): boolean {
  return /^[\p{L}\p{Nl}_][\p{L}\p{Nl}\p{Mn}\p{Mc}\p{Nd}\p{Pc}]*$/u.test(name);
}

export class PyRegexParser extends PatternReader {
  private groups = 0;
  private readonly open = new Set<number>();
  private readonly names = new Map<string, number>();
  private readonly groupWidths = new Map<number, [number, number]>();
  private lookbehindDepth = 0;
  readonly optionalGroups = new Set<number>();
  readonly referencedGroups = new Set<number>();
  globalI = false;

  parse(): string {
    const flags: Flags = { i: false, m: false, s: false, a: false };
    const node = this.parseAlternation(flags, 0);
    if (this.pos < this.chars.length) {
      // Only a `)` can stop the top level.
      throw new PyReError(`unbalanced parenthesis at position ${this.pos}`, this.pos);
    }
    return node.js;
  }

  private parseAlternation(flags: Flags, nested: number): Node {
    const branches: Node[] = [];
    for (;;) {
      branches.push(this.parseBranch(flags, nested, nested === 0 && branches.length === 0));
      if (this.peek() === '|') {
        this.pos++;
        continue;
      }
      break;
    }
    if (branches.length === 1) return branches[0]!;
    for (const b of branches) for (const g of b.groups ?? []) this.optionalGroups.add(g);
    return {
      groups: branches.flatMap((b) => b.groups ?? []),
      js: '(?:' + branches.map((b) => b.js).join('|') + ')',
      min: Math.min(...branches.map((b) => b.min)),
      max: Math.max(...branches.map((b) => b.max)),
    };
  }

  private parseBranch(flags: Flags, nested: number, first: boolean): Node {
    const items: Node[] = [];
    for (;;) {
      const c = this.peek();
      if (c === undefined || c === '|' || c === ')') break;
      const at = this.pos;
      if (this.isQuantifierStart()) {
        // Like sre, a quantifier applies to the last item; comments and flag groups add none.
        const last = items[items.length - 1];
        if (!last || last.isAt) throw new PyReError(`nothing to repeat at position ${at}`, at);
        if (last.isRepeat) throw new PyReError(`multiple repeat at position ${at}`, at);
        const q = this.parseQuantifier()!;
        const body = last.isAssert ? '(?:' + last.js + ')' : last.js;
        // A group under `?`/`*`/`{0,n}` may not take part in a match; JS and Python then disagree on `\N`.
        if (q.lo === 0) for (const g of last.groups ?? []) this.optionalGroups.add(g);
        items[items.length - 1] = {
          js: '(?:' + body + ')' + q.js,
          min: last.min * q.lo,
          max: q.hi === Infinity ? (last.max === 0 ? 0 : Infinity) : last.max * q.hi,
          isRepeat: true,
          groups: last.groups ?? [],
        };
        continue;
      }
      const atom = this.parseAtom(flags, nested, first && items.length === 0);
      if (!atom.empty) items.push(atom);
    }
    return {
      js: items.map((x) => x.js).join(''),
      min: items.reduce((a, x) => a + x.min, 0),
      max: items.reduce((a, x) => a + x.max, 0),
      groups: items.flatMap((x) => x.groups ?? []),
    };
  }

  private isQuantifierStart(): boolean {
    const c = this.peek();
    if (c === '*' || c === '+' || c === '?') return true;
    if (c === '{') return this.readBraces(false) !== undefined;
    return false;
  }

  /** `{m,n}` if the text at pos is a valid Python repeat; advances only when consume. */
  private readBraces(consume: boolean): { lo: number; hi: number } | undefined {
    const rest = this.chars.slice(this.pos, this.pos + 64).join('');
    const m = /^\{([0-9]*)(?:(,)([0-9]*))?\}/.exec(rest);
    if (!m) return undefined;
    if (m[2] === undefined && m[1] === '') return undefined; // `{}` is literal
    const lo = m[1] === '' ? 0 : Number(m[1]);
    const hi = m[2] === undefined ? lo : m[3] === '' ? Infinity : Number(m[3]);
    if (consume) {
      const at = this.pos;
      this.pos += m[0].length;
      if (lo >= MAXREPEAT || (hi !== Infinity && hi >= MAXREPEAT))
        throw new PyReError('the repetition number is too large', at);
      if (hi < lo) throw new PyReError(`min repeat greater than max repeat at position ${at + 1}`, at + 1);
      if (lo > 65535 || (hi !== Infinity && hi > 65535)) throw new PyReUnknown('very large repeat count', at);
    }
    return { lo, hi };
  }

  private parseQuantifier(): { js: string; lo: number; hi: number } | undefined {
    const c = this.peek();
    let lo: number;
    let hi: number;
    let js: string;
    if (c === '*') {
      this.pos++;
      [lo, hi, js] = [0, Infinity, '*'];
    } else if (c === '+') {
      this.pos++;
      [lo, hi, js] = [1, Infinity, '+'];
    } else if (c === '?') {
      this.pos++;
      [lo, hi, js] = [0, 1, '?'];
    } else if (c === '{' && this.readBraces(false)) {
      const b = this.readBraces(true)!;
      [lo, hi] = [b.lo, b.hi];
      js = '{' + lo + ',' + (hi === Infinity ? '' : hi) + '}';
    } else {
      return undefined;
    }
    if (this.peek() === '?') {
      this.pos++;
      js += '?';
    } else if (this.peek() === '+') {
      throw new PyReUnknown('possessive quantifier', this.pos);
    }
    return { js, lo, hi };
  }

  private parseAtom(flags: Flags, nested: number, first: boolean): Node {
    const start = this.pos;
    const c = this.chars[this.pos++]!;
    switch (c) {
      case '(':
        return this.parseGroup(flags, nested, first, start);
      case '[':
        return parseClass(this, flags, start, this.globalI);
      case '.':
        return { js: flags.s ? '[\\s\\S]' : '[^\\n]', min: 1, max: 1 };
      case '^':
        return { js: flags.m ? '(?<![^\\n])' : '(?<![\\s\\S])', min: 0, max: 0, isAt: true };
      case '$':
        return { js: flags.m ? '(?=\\n|(?![\\s\\S]))' : '(?=\\n?(?![\\s\\S]))', min: 0, max: 0, isAt: true };
      case '\\':
        return this.parseEscape(flags, start);
      case '*':
      case '+':
      case '?':
        throw new PyReError(`nothing to repeat at position ${start}`, start);
      case '{': {
        this.pos--;
        if (this.readBraces(false)) throw new PyReError(`nothing to repeat at position ${start}`, start);
        this.pos++;
        return this.literal(0x7b, flags);
      }
      default:
        return this.literal(c.codePointAt(0)!, flags);
    }
  }

  private literal(cp: number, flags: Flags): Node {
    if (flags.i && !this.globalI && hasCase(cp)) throw new PyReUnknown('scoped case-insensitive flag', this.pos);
    return { js: hex(cp), min: 1, max: 1 };
  }

  private parseEscape(flags: Flags, start: number): Node {
    const c = this.chars[this.pos];
    if (c === undefined) throw new PyReError('bad escape (end of pattern) at position ' + start, start);
    this.pos++;
    const W = category('w', flags, false)!;
    switch (c) {
      case 'A':
        return { js: '(?<![\\s\\S])', min: 0, max: 0, isAt: true };
      case 'Z':
        return { js: '(?![\\s\\S])', min: 0, max: 0, isAt: true };
      case 'b':
        return { js: `(?:(?<=${W})(?!${W})|(?<!${W})(?=${W}))`, min: 0, max: 0, isAt: true };
      // sre's \B never matches in an empty string.
      case 'B':
        return {
          js: `(?:(?<=${W})(?=${W})|(?<!${W})(?!${W})(?:(?<=[\\s\\S])|(?=[\\s\\S])))`,
          min: 0,
          max: 0,
          isAt: true,
        };
      case 'd':
      case 's':
      case 'w':
      case 'D':
      case 'S':
      case 'W': {
        if (flags.i && !this.globalI) throw new PyReUnknown('scoped case-insensitive flag', start);
        const js = category(c, flags, false)!;
        return { js: c === c.toLowerCase() ? '(?:' + js + ')' : js, min: 1, max: 1 };
      }
      default: {
        const cp = simpleEscape(this, c, start, false);
        if (cp !== undefined) return this.literal(cp, flags);
        // Digits: octal escape or group reference.
        if (c >= '1' && c <= '9') {
          let digits = c;
          if (this.peek() !== undefined && /[0-9]/.test(this.peek()!)) {
            digits += this.chars[this.pos++]!;
            if (/[0-7]/.test(digits[0]!) && /[0-7]/.test(digits[1]!) && /[0-7]/.test(this.peek() ?? '')) {
              digits += this.chars[this.pos++]!;
              const v = parseInt(digits, 8);
              if (v > 0o377)
                throw new PyReError(
                  `octal escape value \\${digits} outside of range 0-0o377 at position ${start}`,
                  start,
                );
              return this.literal(v, flags);
            }
          }
          const g = Number(digits);
          return this.groupRef(g, start, `invalid group reference ${g} at position ${start + 1}`);
        }
        throw new PyReError(`bad escape \\${c} at position ${start}`, start);
      }
    }
  }

  private groupRef(g: number, start: number, unknownMessage: string): Node {
    if (g > this.groups || g === 0) throw new PyReError(unknownMessage, start);
    if (this.open.has(g)) throw new PyReError(`cannot refer to an open group at position ${start}`, start);
    if (this.lookbehindDepth > 0) throw new PyReUnknown('group reference inside a look-behind', start);
    this.referencedGroups.add(g);
    const w = this.groupWidths.get(g) ?? [0, Infinity];
    return { js: '\\' + g, min: w[0], max: w[1] };
  }

  private parseGroup(flags: Flags, nested: number, first: boolean, start: number): Node {
    if (this.peek() !== '?') return this.capture(flags, nested, undefined, start);
    this.pos++;
    const c = this.chars[this.pos++];
    if (c === undefined) throw new PyReError(`unexpected end of pattern at position ${this.pos}`, this.pos);
    switch (c) {
      case ':': {
        const inner = this.parseAlternation({ ...flags }, nested + 1);
        this.expectClose(start);
        return { js: '(?:' + inner.js + ')', min: inner.min, max: inner.max, groups: inner.groups ?? [] };
      }
      case 'P': {
        const d = this.chars[this.pos++];
        if (d === '<') {
          const name = this.readName('>', start);
          if (this.names.has(name))
            throw new PyReError(
              `redefinition of group name '${name}' as group ${this.groups + 1}; was group ${this.names.get(name)} at position ${start + 4}`,
              start,
            );
          return this.capture(flags, nested, name, start);
        }
        if (d === '=') {
          const name = this.readName(')', start);
          const g = this.names.get(name);
          if (g === undefined) throw new PyReError(`unknown group name '${name}' at position ${start + 4}`, start);
          const ref = this.groupRef(g, start, `unknown group name '${name}'`);
          return ref;
        }
        if (d === undefined) throw new PyReError('unexpected end of pattern', this.pos);
        throw new PyReError(`unknown extension ?P${d} at position ${start + 1}`, start);
      }
      case '=':
      case '!': {
        const inner = this.parseAlternation({ ...flags }, nested + 1);
        this.expectClose(start);
        if (c === '!') for (const g of inner.groups ?? []) this.optionalGroups.add(g);
        return { js: '(?' + c + inner.js + ')', min: 0, max: 0, isAssert: true, groups: inner.groups ?? [] };
      }
      case '<': {
        const d = this.chars[this.pos++];
        if (d !== '=' && d !== '!') {
          if (d === undefined) throw new PyReError('unexpected end of pattern', this.pos);
          throw new PyReError(`unknown extension ?<${d} at position ${start + 1}`, start);
        }
        this.lookbehindDepth++;
        const inner = this.parseAlternation({ ...flags }, nested + 1);
        this.lookbehindDepth--;
        this.expectClose(start);
        if (inner.min !== inner.max) throw new PyReError(`look-behind requires fixed-width pattern`, start);
        if (d === '!') for (const g of inner.groups ?? []) this.optionalGroups.add(g);
        return { js: '(?<' + d + inner.js + ')', min: 0, max: 0, isAssert: true, groups: inner.groups ?? [] };
      }
      case '#': {
        while (this.pos < this.chars.length && this.chars[this.pos] !== ')') this.pos++;
        if (this.pos >= this.chars.length)
          throw new PyReError(`missing ), unterminated comment at position ${start}`, start);
        this.pos++;
        return { js: '', min: 0, max: 0, empty: true };
      }
      case '>':
        throw new PyReUnknown('atomic group (?>...)', start);
      case '(':
        throw new PyReUnknown('conditional group (?(...)...)', start);
      default: {
        if ('aiLmstux-'.includes(c)) {
          this.pos--;
          return this.parseFlags(flags, nested, first, start);
        }
        throw new PyReError(`unknown extension ?${c} at position ${start + 1}`, start);
      }
    }
  }

  private parseFlags(flags: Flags, nested: number, first: boolean, start: number): Node {
    let add = '';
    while (this.peek() !== undefined && 'aiLmstux'.includes(this.peek()!)) add += this.chars[this.pos++]!;
    if (add.includes('L')) throw new PyReError("bad inline flag: cannot use 'L' flag with a str pattern", start);
    if (add.includes('a') && add.includes('u'))
      throw new PyReError("bad inline flag: flags 'a', 'u' and 'L' are incompatible", start);
    let del = '';
    if (this.peek() === ')') {
      this.pos++;
      // Global flags: only before any item of the first top-level branch (Python >= 3.11 raises otherwise).
      if (!first) throw new PyReError(`global flags not at the start of the expression at position ${start}`, start);
      if (add.includes('x')) throw new PyReUnknown('verbose flag (?x)', start);
      if (add.includes('t')) throw new PyReUnknown('template flag (?t)', start);
      if (add.includes('i')) this.globalI = true;
      if (add.includes('m')) flags.m = true;
      if (add.includes('s')) flags.s = true;
      if (add.includes('a')) flags.a = true;
      return { js: '', min: 0, max: 0, empty: true };
    }
    if (this.peek() === '-') {
      this.pos++;
      while (this.peek() !== undefined && 'aiLmstux'.includes(this.peek()!)) del += this.chars[this.pos++]!;
      if (del === '') throw new PyReError('missing flag', start);
      if (/[aLu]/.test(del)) throw new PyReError("bad inline flag: cannot turn off flags 'a', 'u' and 'L'", start);
    }
    if (this.peek() !== ':') {
      if (this.peek() === undefined) throw new PyReError('missing -, : or )', this.pos);
      throw new PyReError(`unknown flag at position ${this.pos}`, this.pos);
    }
    this.pos++;
    if (add === '' && del === '') throw new PyReError('missing flag', start);
    if (add.includes('t')) throw new PyReError('bad inline flags: cannot turn on global flag', start);
    if (del.includes('t')) throw new PyReError('bad inline flags: cannot turn off global flag', start);
    for (const f of add) if (del.includes(f)) throw new PyReError('bad inline flag: flag turned on and off', start);
    if (add.includes('x') || del.includes('x')) throw new PyReUnknown('verbose flag (?x:...)', start);
    const inner: Flags = { ...flags };
    if (add.includes('i')) inner.i = true;
    if (del.includes('i')) inner.i = false;
    if (add.includes('m')) inner.m = true;
    if (del.includes('m')) inner.m = false;
    if (add.includes('s')) inner.s = true;
    if (del.includes('s')) inner.s = false;
    if (add.includes('a')) inner.a = true;
    if (add.includes('u')) inner.a = false;
    if ((add.includes('i') || del.includes('i')) && inner.i !== this.globalI) {
      // JS (Node 20) has no scoped modifiers; a scoped `i` that differs from the whole pattern cannot be mapped.
      throw new PyReUnknown('scoped case-insensitive flag', start);
    }
    const node = this.parseAlternation(inner, nested + 1);
    this.expectClose(start);
    return { js: '(?:' + node.js + ')', min: node.min, max: node.max, groups: node.groups ?? [] };
  }

  private readName(terminator: string, start: number): string {
    let name = '';
    for (;;) {
      const c = this.chars[this.pos++];
      if (c === undefined) throw new PyReError(`missing ${terminator}, unterminated name at position ${start}`, start);
      if (c === terminator) break;
      name += c;
    }
    if (name === '') throw new PyReError('missing group name', start);
    if (!isIdentifier(name)) throw new PyReError(`bad character in group name '${name}'`, start);
    return name;
  }

  private capture(flags: Flags, nested: number, name: string | undefined, start: number): Node {
    const g = ++this.groups;
    if (name !== undefined) this.names.set(name, g);
    this.open.add(g);
    const inner = this.parseAlternation({ ...flags }, nested + 1);
    this.expectClose(start);
    this.open.delete(g);
    this.groupWidths.set(g, [inner.min, inner.max]);
    return { js: '(' + inner.js + ')', min: inner.min, max: inner.max, groups: [g, ...(inner.groups ?? [])] };
  }

  private expectClose(start: number): void {
    if (this.peek() !== ')') throw new PyReError(`missing ), unterminated subpattern at position ${start}`, start);
    this.pos++;
  }
}
