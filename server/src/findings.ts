// What checks return: a rule code at a place, a message, and optional fixes as plain text edits.
import type { TextEdit } from './model/nixEdits';
import type { Range } from './model/range';
import { RULES, RuleCode, Severity } from './rules';

export type { TextEdit };

export interface Fix {
  title: string;
  edits: TextEdit[];
  isPreferred?: boolean;
}

export interface Finding {
  uri: string;
  range: Range;
  code: RuleCode;
  severity: Severity;
  message: string;
  fixes?: Fix[];
}

export function finding(code: RuleCode, uri: string, range: Range, message: string, fixes?: Fix[]): Finding {
  const f: Finding = { uri, range, code, severity: RULES[code].severity, message };
  if (fixes && fixes.length > 0) f.fixes = fixes;
  return f;
}
