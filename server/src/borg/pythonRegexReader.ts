// The pieces of the `re:` translator share one cursor over the pattern's code points, because Python counts
// positions in code points and its error messages quote them; and two ways to stop: PyReError where Python's
// re.compile raises (borg refuses the pattern), PyReUnknown where the translation cannot tell what Python would do.

export class PyReError extends Error {
  constructor(
    message: string,
    readonly pos: number,
  ) {
    super(message);
  }
}

export class PyReUnknown extends Error {
  constructor(
    message: string,
    readonly pos: number,
  ) {
    super(message);
  }
}

/** Inline flags in effect; each group parses with its own copy, so a scoped flag ends with its group. */
export interface Flags {
  i: boolean;
  m: boolean;
  s: boolean;
  a: boolean;
}

/** A translated piece of the pattern, with what sre_parse knows about it and raises on. */
export interface Node {
  js: string;
  /** Width range like sre's getwidth (max Infinity = unbounded). */
  min: number;
  max: number;
  /** sre "AT" codes (anchors, \b) cannot be repeated. */
  isAt?: boolean;
  /** Produced nothing (comment, global flags): a following quantifier has nothing to repeat. */
  empty?: boolean;
  /** A lookaround; JS forbids quantifying it directly. */
  isAssert?: boolean;
  /** Already quantified: another quantifier is sre's "multiple repeat". */
  isRepeat?: boolean;
  /** Capture groups inside. */
  groups?: number[];
}

/** A code point as a JS `u`-mode escape, so no character of the pattern is taken as JS syntax. */
export function hex(cp: number): string {
  return '\\u{' + cp.toString(16) + '}';
}

/** Code points of the pattern and the position in them. */
export class PatternReader {
  pos = 0;
  readonly chars: string[];

  constructor(src: string) {
    this.chars = Array.from(src);
  }

  peek(k = 0): string | undefined {
    return this.chars[this.pos + k];
  }
}
