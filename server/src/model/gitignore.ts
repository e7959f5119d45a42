// The common subset of .gitignore that decides which Nix files the workspace index reads: `#` comments, blank
// lines, `!` negation, trailing `/` (directories only), patterns with a `/` anchored to the .gitignore's directory,
// `*`, `?`, `[...]` and `**` (gitignore(5)). What is not read is said in workspaceIndex.ts's header.
import { relative, sep } from 'node:path';
import { isInside } from '../util/uris';

export interface IgnoreRule {
  base: string;
  regex: RegExp;
  negated: boolean;
  dirOnly: boolean;
}

export function parseGitignore(text: string, base: string): IgnoreRule[] {
  const rules: IgnoreRule[] = [];
  for (let line of text.split(/\r?\n/)) {
    if (!line.endsWith('\\ ')) line = line.replace(/\s+$/, '');
    if (!line || line.startsWith('#')) continue;
    let negated = false;
    if (line.startsWith('!')) {
      negated = true;
      line = line.slice(1);
    } else if (line.startsWith('\\!') || line.startsWith('\\#')) line = line.slice(1);
    const dirOnly = line.endsWith('/');
    if (dirOnly) line = line.slice(0, -1);
    if (!line) continue;
    const anchored = line.includes('/');
    if (line.startsWith('/')) line = line.slice(1);
    const body = globToRegex(line);
    rules.push({ base, negated, dirOnly, regex: new RegExp(anchored ? `^${body}$` : `(^|/)${body}$`) });
  }
  return rules;
}

function globToRegex(glob: string): string {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*' && glob[i + 1] === '*') {
      const slashAfter = glob[i + 2] === '/';
      out += slashAfter ? '(.*/)?' : '.*';
      i += slashAfter ? 2 : 1;
    } else if (c === '*') out += '[^/]*';
    else if (c === '?') out += '[^/]';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 1);
      if (end === -1) out += '\\[';
      else {
        out += `[${glob
          .slice(i + 1, end)
          .replace(/^!/, '^')
          .replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else if (c === '\\' && i + 1 < glob.length) out += escapeRegex(glob[++i]!);
    else out += escapeRegex(c);
  }
  return out;
}

function escapeRegex(c: string): string {
  return /[.*+?^${}()|[\]\\/]/.test(c) ? `\\${c}` : c;
}

/** The last matching rule decides (git's order: outer .gitignore files first, later lines win). */
export function ignored(rules: IgnoreRule[], path: string, isDir: boolean): boolean {
  let result = false;
  for (const r of rules) {
    if (r.dirOnly && !isDir) continue;
    if (!isInside(path, r.base)) continue;
    const rel = relative(r.base, path).split(sep).join('/');
    if (rel && r.regex.test(rel)) result = !r.negated;
  }
  return result;
}
