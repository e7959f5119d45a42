// ShellCheck over the hook scripts: each distinct script text checked once, in batches of files, its comments mapped
// from the shell text back into the Nix document (ShellCheck's own fixes too, where they are plain text). The only
// part of the hook analyses that runs a program: asynchronous, with a time limit, and it never throws.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TextEdit } from '../model/nixEdits';
import { LineIndex, Range } from '../model/range';
import { HOOK_NAMES, HookName, HookStateInput } from './hookInput';
import {
  CachedComment,
  DiskCache,
  DiskCacheOptions,
  scriptKeyer,
  shellcheckVersion,
  ShellcheckMemory,
} from './shellcheckCache';
import { ShellSource, docOffsets, parseHookScript } from './shellScript';

export interface ShellcheckOptions {
  /** Executable to run; default `shellcheck` from PATH. */
  shellcheckPath?: string;
  /** Per-script time limit; the process is killed after it. Default 3000 ms. */
  timeoutMs?: number;
  /** Lowest ShellCheck level reported: 'error' | 'warning' | 'info' | 'style'. Default 'info'. */
  severity?: 'error' | 'warning' | 'info' | 'style';
  /**
   * Keep results on disk across runs (the CLI: `$XDG_CACHE_HOME/clan-backups/shellcheck`); default none. Keyed by
   * ShellCheck's version, these options and the script text, like the in-memory cache.
   */
  diskCache?: DiskCacheOptions;
  /** Keep the version and results here (the language server, between edits); default none. */
  memory?: ShellcheckMemory;
  /** ShellCheck processes at a time; default os.availableParallelism(). */
  parallelism?: number;
}

/** One ShellCheck comment on a hook, placed in the Nix document. */
export interface HookShellComment {
  uri: string;
  range: Range;
  hookName: HookName;
  /** ShellCheck's code (2086 for SC2086), level ('error', 'warning', 'info', 'style') and message. */
  code: number;
  level: string;
  message: string;
  /** ShellCheck's fix as document edits, when each lies in plain literal text. */
  fix?: TextEdit[];
}

export interface ShellcheckRun {
  comments: HookShellComment[];
  /** True when the shellcheck executable could not be started. */
  shellcheckMissing: boolean;
  /** Scripts skipped because shellcheck timed out or failed (nothing reported for them). */
  failures: string[];
  /** Why the disk cache could not be written (then this run went without it). */
  cacheWarning?: string;
  /** For tests and the bench: distinct scripts, and how many of them ShellCheck was run on. */
  stats?: { scripts: number; distinct: number; checked: number };
}

// ShellCheck codes that are artefacts of checking a fragment: Clan writes the shebang and `set -eu -o pipefail`.
const EXCLUDED_CODES = [2148, 1008, 2096];
const SHELL = 'bash';
const MIN_CHUNK = 25;

interface ShellcheckComment extends CachedComment {
  /** Set when several files are checked in one run. */
  file?: string;
}

type RunResult =
  { kind: 'ok'; comments: ShellcheckComment[] } | { kind: 'missing' } | { kind: 'failed'; reason: string };

/** 1-based line/column (code points, tab = 1, as json1 counts) → offset into the shell text. */
function shellOffset(lineStarts: number[], text: string, line: number, column: number): number {
  const start = lineStarts[Math.min(Math.max(line - 1, 0), lineStarts.length - 1)]!;
  let off = start;
  for (let col = 1; col < column && off < text.length && text[off] !== '\n'; col++) {
    off += text.codePointAt(off)! > 0xffff ? 2 : 1;
  }
  return off;
}

function mapComment(
  state: HookStateInput,
  lines: LineIndex,
  hookName: HookName,
  src: ShellSource,
  c: ShellcheckComment,
): HookShellComment | undefined {
  const lineStarts = [0];
  for (let i = src.text.indexOf('\n'); i !== -1; i = src.text.indexOf('\n', i + 1)) lineStarts.push(i + 1);
  const s = shellOffset(lineStarts, src.text, c.line, c.column);
  const e = Math.max(s, shellOffset(lineStarts, src.text, c.endLine, c.endColumn));
  // Anything about a placeholder is about our substitution, not the user's script.
  if (src.interpolations.some((i) => s < i.shellEnd && (e > i.shellStart || s === i.shellStart))) return undefined;
  const { start, end } = docOffsets(src, s, e);
  const comment: HookShellComment = {
    uri: state.uri,
    range: lines.rangeOf(start, end),
    hookName,
    code: c.code,
    level: c.level,
    message: c.message,
  };
  const fix = c.fix ? mapShellcheckFix(state, lines, src, lineStarts, c.fix.replacements) : undefined;
  if (fix) comment.fix = fix;
  return comment;
}

/** ShellCheck's replacements as document edits, when each lies in plain literal text (no escapes, no interpolation). */
function mapShellcheckFix(
  state: HookStateInput,
  lines: LineIndex,
  src: ShellSource,
  lineStarts: number[],
  replacements: NonNullable<ShellcheckComment['fix']>['replacements'],
): TextEdit[] | undefined {
  const edits: TextEdit[] = [];
  for (const r of replacements) {
    const s = shellOffset(lineStarts, src.text, r.line, r.column);
    const e = shellOffset(lineStarts, src.text, r.endLine, r.endColumn);
    if (src.interpolations.some((i) => s < i.shellEnd && e > i.shellStart)) return undefined;
    let docS: number;
    let docE: number;
    if (s === e) {
      // An insertion point: after the previous character, or before the next one.
      docS = s > 0 && r.insertionPoint === 'afterEnd' ? src.docEnd[s - 1]! : src.docStart[s]!;
      docE = docS;
    } else {
      docS = src.docStart[s]!;
      docE = src.docEnd[e - 1]!;
      // Only where the document holds exactly the shell text (no escapes in between).
      if (state.text.slice(docS, docE) !== src.text.slice(s, e)) return undefined;
    }
    if (/\$\{|''|["\\]/.test(r.replacement) && !(r.replacement === '"' && src.indented)) return undefined;
    edits.push({ uri: state.uri, range: lines.rangeOf(docS, docE), newText: r.replacement });
  }
  return edits.length > 0 ? edits : undefined;
}

/**
 * ShellCheck over many states at once. Each distinct script text is checked once (a hook is often the same text on
 * many machines; its comments are mapped to every occurrence with that occurrence's positions), only when no cache
 * has its result (in `memory`; on disk with `diskCache`). The rest is written to a temporary directory and checked
 * in chunks, one process per chunk and as many processes at a time as the machine has cores. Never throws.
 */
export async function runShellcheck(
  states: HookStateInput[],
  options: ShellcheckOptions & { chunk?: number } = {},
): Promise<ShellcheckRun> {
  const result: ShellcheckRun = { comments: [], shellcheckMissing: false, failures: [] };
  const executable = options.shellcheckPath ?? 'shellcheck';
  let dir: string | undefined;
  try {
    // Asked while the scripts are read below (once per memory).
    const store = options.memory;
    const versionAnswer = store
      ? store.version(executable, options.timeoutMs ?? 3000)
      : shellcheckVersion(executable, options.timeoutMs ?? 3000);
    type Occurrence = { state: HookStateInput; lines: LineIndex; hookName: HookName; src: ShellSource };
    const byText = new Map<string, Occurrence[]>();
    let count = 0;
    for (const state of states) {
      const lines = state.lines ?? new LineIndex(state.text);
      for (const hookName of HOOK_NAMES) {
        const hook = state.hooks[hookName];
        if (!hook || hook.value.kind !== 'string') continue;
        const src = parseHookScript(hook.value, state.text, lines, state.bashTrees).source;
        if (src.text.trim() === '') continue;
        const same = byText.get(src.text);
        if (same) same.push({ state, lines, hookName, src });
        else byText.set(src.text, [{ state, lines, hookName, src }]);
        count++;
      }
    }
    if (byText.size === 0) return result;
    const version = await versionAnswer;
    if (version.kind === 'missing') {
      result.shellcheckMissing = true;
    } else {
      const keyOptions = { severity: options.severity ?? 'info', excluded: EXCLUDED_CODES, shell: SHELL };
      const memory = version.kind === 'ok' ? store : undefined;
      const disk = options.diskCache && version.kind === 'ok' ? new DiskCache(options.diskCache) : undefined;
      const texts = [...byText.keys()];
      const keyOf = version.kind === 'ok' ? scriptKeyer(version.version, keyOptions) : undefined;
      const keys = keyOf ? texts.map(keyOf) : [];
      const comments: Array<CachedComment[] | undefined> = texts.map((_, i) => {
        if (!keys[i]) return undefined;
        const inMemory = memory?.get(keys[i]);
        if (inMemory) return inMemory;
        const onDisk = disk?.get(keys[i]);
        if (onDisk) memory?.set(keys[i], onDisk);
        return onDisk;
      });
      const missing = texts.map((_, i) => i).filter((i) => comments[i] === undefined);
      result.stats = { scripts: count, distinct: texts.length, checked: missing.length };
      if (missing.length > 0) {
        const tmp = mkdtempSync(join(tmpdir(), 'clan-backups-shellcheck-'));
        dir = tmp;
        const cores = Math.max(1, options.parallelism ?? availableParallelism());
        // Spread over the cores, in chunks of at most 200 scripts; but starting a process costs as much as checking
        // a few dozen small scripts, so a handful of them stays in one.
        const size = Math.max(
          1,
          Math.min(options.chunk ?? 200, Math.max(MIN_CHUNK, Math.ceil(missing.length / cores))),
        );
        const chunks: number[][] = [];
        for (let i = 0; i < missing.length; i += size) chunks.push(missing.slice(i, i + size));
        let next = 0;
        // Each process slot writes its chunk's scripts just before starting ShellCheck, into the same file names each
        // time: creating thousands of files costs far more than overwriting a few hundred (about 0.3 ms a file on
        // ext4 here), and the writing happens while the other slots' processes run.
        const worker = async (slot: number): Promise<void> => {
          while (next < chunks.length && !result.shellcheckMissing) {
            const chunk = chunks[next++]!;
            const fileOf = new Map<string, number>();
            const files = chunk.map((i, j) => {
              const f = join(tmp, `${slot}-${j}.sh`);
              writeFileSync(f, texts[i]!);
              fileOf.set(f, i);
              return f;
            });
            const r = await runShellcheckFiles(files, options);
            if (r.kind === 'missing') result.shellcheckMissing = true;
            else if (r.kind === 'failed') result.failures.push(r.reason);
            else {
              // Every file of a chunk that ran has its (possibly empty) list.
              const got = new Map<number, CachedComment[]>(files.map((f) => [fileOf.get(f)!, []]));
              for (const c of r.comments) {
                const i = fileOf.get(c.file ?? '');
                if (i === undefined) continue;
                const { file: _file, ...rest } = c;
                got.get(i)!.push(rest);
              }
              for (const [i, list] of got) {
                comments[i] = list;
                if (!keys[i]) continue;
                memory?.set(keys[i], list);
                disk?.set(keys[i], list);
              }
            }
          }
        };
        await Promise.all(Array.from({ length: Math.min(cores, chunks.length) }, (_, slot) => worker(slot)));
      }
      if (disk) {
        disk.prune();
        if (disk.warning) result.cacheWarning = disk.warning;
      }
      texts.forEach((text, i) => {
        for (const o of byText.get(text)!) {
          for (const c of comments[i] ?? []) {
            const mapped = mapComment(o.state, o.lines, o.hookName, o.src, c);
            if (mapped) result.comments.push(mapped);
          }
        }
      });
    }
  } catch (err) {
    result.failures.push(String(err));
  } finally {
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
  if (result.shellcheckMissing) result.comments = [];
  return result;
}

function runShellcheckFiles(files: string[], options: ShellcheckOptions): Promise<RunResult> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (r: RunResult): void => {
      if (!settled) {
        settled = true;
        resolve(r);
      }
    };
    const args = [
      '--norc',
      '--format=json1',
      `--shell=${SHELL}`,
      `--severity=${options.severity ?? 'info'}`,
      `--exclude=${EXCLUDED_CODES.map((c) => `SC${c}`).join(',')}`,
      ...files,
    ];
    let child;
    try {
      child = spawn(options.shellcheckPath ?? 'shellcheck', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (err) {
      done({ kind: 'failed', reason: String(err) });
      return;
    }
    // The limit grows with the chunk: it guards against a hang, not against a large clan.
    const limit = (options.timeoutMs ?? 3000) + files.length * 50;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      done({ kind: 'failed', reason: `shellcheck timed out after ${limit} ms` });
    }, limit);
    let stdout = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d: string) => {
      stdout += d;
    });
    child.stderr.resume();
    child.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      done(err.code === 'ENOENT' ? { kind: 'missing' } : { kind: 'failed', reason: err.message });
    });
    child.on('close', () => {
      clearTimeout(timer);
      try {
        const parsed = JSON.parse(stdout) as { comments?: ShellcheckComment[] };
        done({ kind: 'ok', comments: parsed.comments ?? [] });
      } catch {
        done({ kind: 'failed', reason: 'shellcheck printed no JSON' });
      }
    });
  });
}
