// Python `re` patterns (`re:` excludes) read by a parser of Python's syntax and translated to JavaScript RegExp where
// the two agree; where they differ or the pattern is beyond what is translated, the result says so (never a guess).
// The entry point: it runs the parser (pythonRegexParser.ts) and turns how it ended into a RegexInfo.
// ---------------------------------------------------------------- Python regex → JS

import { MAX_JUDGED_LENGTH } from './patternText';
import { PyRegexParser } from './pythonRegexParser';
import { PyReError, PyReUnknown } from './pythonRegexReader';

export interface RegexInfo {
  /** 'valid': Python compiles it and `js` matches like Python's re.search. */
  status: 'valid' | 'invalid' | 'unknown';
  /** For 'invalid': Python's error text; for 'unknown': the construct that could not be judged. */
  message?: string;
  /** Offset of the problem inside the regex body. */
  offset?: number;
  js?: RegExp;
}

/**
 * Checks a `re:` body the way Python's `re.compile` would and, when it can, builds an equivalent JS RegExp
 * for re.search. Constructs JS cannot express (atomic groups, possessive quantifiers, conditionals, verbose
 * mode, \N{…}, scoped (?i:…)) give status 'unknown' rather than a guess.
 */
export function translatePythonRegex(body: string): RegexInfo {
  if (body.length > MAX_JUDGED_LENGTH) return { status: 'unknown', message: 'too long to judge' };
  const parser = new PyRegexParser(body);
  try {
    const js = parser.parse();
    for (const g of parser.referencedGroups) {
      if (parser.optionalGroups.has(g))
        return { status: 'unknown', message: 'back-reference to a group that may not take part in the match' };
    }
    try {
      return { status: 'valid', js: new RegExp(js, parser.globalI ? 'ui' : 'u') };
    } catch (e) {
      return { status: 'unknown', message: 'could not build an equivalent JS regex: ' + (e as Error).message };
    }
  } catch (e) {
    if (e instanceof PyReError)
      return { status: 'invalid', message: e.message, offset: Math.min(utf16Offset(body, e.pos), body.length) };
    if (e instanceof PyReUnknown) return { status: 'unknown', message: e.message, offset: utf16Offset(body, e.pos) };
    return { status: 'unknown', message: 'could not be judged' };
  }
}

function utf16Offset(s: string, codePointIndex: number): number {
  let off = 0;
  let k = 0;
  for (const ch of s) {
    if (k >= codePointIndex) break;
    off += ch.length;
    k++;
  }
  return off;
}
