// Which files the workspace index reads: every `*.nix` below a root, except `.git`, `node_modules`, `.direnv`, names
// starting with `result` (nix build links) and what the `.gitignore` files inside the roots exclude. The .gitignore
// support is the common subset: `#` comments, blank lines, `!` negation, trailing `/` (directories only), patterns
// with a `/` anchored to the .gitignore's directory, `*`, `?`, `[...]` and `**`. Not read: .gitignore files above a
// root, `.git/info/exclude` and the global excludes file. Symbolic links to directories are not followed (result
// links point into /nix/store, and links can loop).
import { Dirent, readdirSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { isInside } from '../util/uris';
import { ignored, IgnoreRule, parseGitignore } from './gitignore';

/** How the walk reads: through the index, so an editor's unsaved .gitignore counts. */
export interface FileAccess {
  readText(path: string): string | undefined;
  isDirectory(path: string): boolean;
  exists(path: string): boolean;
}

const ALWAYS_SKIPPED = new Set(['.git', 'node_modules', '.direnv']);

export class WorkspaceFiles {
  private readonly ignoreRules = new Map<string, IgnoreRule[]>();

  constructor(
    readonly roots: string[],
    private readonly access: FileAccess,
  ) {}

  /**
   * The indexed .nix files in a few paths at each step, at least one step per directory: a caller can stop between
   * steps to give the event loop a turn, and a large tree is never read in one go. The order is readdir's, depth
   * first, as a plain walk would give it.
   */
  *walk(): Generator<string[], void, void> {
    for (const root of this.roots) {
      if (this.access.isDirectory(root)) yield* this.walkDir(root, this.rulesAbove(root));
      else if (root.endsWith('.nix') && this.access.exists(root)) yield [root];
    }
  }

  private *walkDir(dir: string, rules: IgnoreRule[]): Generator<string[], void, void> {
    let list: Dirent[];
    try {
      list = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    const here = [...rules, ...this.rulesOf(dir)];
    let files: string[] = [];
    for (const d of list) {
      if (skippedName(d.name)) continue;
      const full = join(dir, d.name);
      if (d.isDirectory()) {
        if (ignored(here, full, true)) continue;
        if (files.length) yield files;
        files = [];
        yield* this.walkDir(full, here);
      } else if (d.name.endsWith('.nix') && (d.isFile() || d.isSymbolicLink()) && !ignored(here, full, false)) {
        files.push(full);
      }
    }
    yield files;
  }

  /** Whether a path would be indexed: below a root, not skipped, not ignored. */
  isIndexable(path: string): boolean {
    const root = this.rootOf(path);
    if (!root) return false;
    if (relative(root, path).split(sep).some(skippedName)) return false;
    let rules = this.rulesAbove(root);
    for (let dir = root; ;) {
      rules = [...rules, ...this.rulesOf(dir)];
      const rel = relative(dir, path);
      if (!rel || !rel.includes(sep)) break;
      dir = join(dir, rel.split(sep)[0]!);
      if (ignored(rules, dir, true)) return false;
    }
    return !ignored(rules, path, false);
  }

  /** The innermost root a path is below. */
  rootOf(path: string): string | undefined {
    return this.roots.filter((r) => isInside(path, r)).sort((a, b) => b.length - a.length)[0];
  }

  /** A .gitignore changed: every rule is read again on the next walk. */
  forgetRules(): void {
    this.ignoreRules.clear();
  }

  /** .gitignore files above a root are not read (see the header). */
  private rulesAbove(_root: string): IgnoreRule[] {
    return [];
  }

  private rulesOf(dir: string): IgnoreRule[] {
    let rules = this.ignoreRules.get(dir);
    if (!rules) {
      const text = this.access.readText(join(dir, '.gitignore'));
      rules = text !== undefined ? parseGitignore(text, dir) : [];
      this.ignoreRules.set(dir, rules);
    }
    return rules;
  }
}

function skippedName(name: string): boolean {
  return ALWAYS_SKIPPED.has(name) || name.startsWith('result');
}
