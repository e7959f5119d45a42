// `clan-backups check [--format text|json] [--no-cache] [PATH ...]`: the analysis for terminals, CI and pre-commit.
import { existsSync, statSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { AnalysisMemo, analyzeClan, deferredFindings, sortFindings } from '../analyze';
import type { Finding } from '../findings';
import { defaultShellcheckCacheDir } from '../hooks/shellcheckCache';
import { ClanSources } from '../model/clanModel';
import { loadSingleFile, UnreadableInput } from '../model/loadClan';
import { loadWorkspaceClan } from '../model/workspaceIndex';
import { toPath } from '../util/uris';
import { initParsing } from '../parsing/parser';

export interface CommandIO {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  cwd: string;
}

export const CHECK_USAGE =
  'usage: clan-backups check [--format text|json] [--disable CODE[,CODE...]] [--no-cache] [PATH ...]';

export async function runCheck(args: string[], io: CommandIO): Promise<number> {
  let format = 'text';
  const paths: string[] = [];
  const disabled: string[] = [];
  let useCache = true;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--format' || a.startsWith('--format=')) {
      format = a.includes('=') ? a.slice('--format='.length) : (args[++i] ?? '');
      if (format !== 'text' && format !== 'json') {
        io.stderr(`clan-backups check: --format must be text or json, not '${format}'\n${CHECK_USAGE}\n`);
        return 2;
      }
    } else if (a === '--disable' || a.startsWith('--disable=')) {
      const v = a.includes('=') ? a.slice('--disable='.length) : (args[++i] ?? '');
      disabled.push(...v.split(',').filter(Boolean));
    } else if (a === '--no-cache') {
      useCache = false;
    } else if (a === '-h' || a === '--help') {
      io.stdout(`${CHECK_USAGE}\n`);
      return 0;
    } else if (a.startsWith('-') && a !== '-') {
      io.stderr(`clan-backups check: unknown option '${a}'\n${CHECK_USAGE}\n`);
      return 2;
    } else paths.push(a);
  }
  if (paths.length === 0) paths.push('.');

  const sources: ClanSources[] = [];
  const seenDirs = new Set<string>();
  try {
    for (const p of paths) {
      const abs = resolve(io.cwd, p);
      if (!existsSync(abs)) throw new UnreadableInput(`${p}: no such file or directory`);
      const isDir = statSync(abs).isDirectory();
      await initParsing();
      // A clan.nix directory, a flake directory (lib.clan, flake-parts), or any file of a clan: the same index.
      const clan = loadWorkspaceClan(abs);
      if (clan) {
        if (seenDirs.has(clan.dir)) continue;
        seenDirs.add(clan.dir);
        sources.push(clan);
      } else if (isDir) {
        throw new UnreadableInput(`${p}: no clan.nix in this directory, nor a flake that defines a clan`);
      } else {
        sources.push(loadSingleFile(abs));
      }
    }
  } catch (e) {
    io.stderr(`clan-backups check: ${e instanceof UnreadableInput ? e.message : describeError(e)}\n`);
    return 2;
  }

  const findings: Finding[] = [];
  let internalError = false;
  const cacheDir = useCache ? defaultShellcheckCacheDir(process.env) : undefined;
  let cacheWarned = false;
  const memo = new AnalysisMemo();
  for (const s of sources) {
    try {
      const analysis = analyzeClan(s, { disabled, memo });
      // The CLI can wait for ShellCheck (10 s per hook at most); the editor publishes its results later.
      // ShellCheck's results are kept across runs in the user's cache directory (--no-cache: not read, not written).
      const sc = await deferredFindings(analysis, {
        disabled,
        memo,
        timeoutMs: 10000,
        ...(cacheDir ? { cacheDir } : {}),
      });
      if ('notice' in sc && sc.notice) io.stderr(`clan-backups: ${sc.notice}\n`);
      if ('cacheWarning' in sc && sc.cacheWarning && !cacheWarned) {
        cacheWarned = true;
        io.stderr(`clan-backups: ${sc.cacheWarning}\n`);
      }
      findings.push(...sortFindings([...analysis.findings, ...sc.findings]));
      for (const err of [...analysis.internalErrors, ...sc.internalErrors]) {
        io.stderr(`clan-backups check: internal error in ${err} (please report it); other checks ran\n`);
        internalError = true;
      }
    } catch (e) {
      // A bug of ours must still end in one readable line, not a stack trace in the user's CI log.
      io.stderr(
        `clan-backups check: internal error while analysing ${s.dir}: ${describeError(e)} (please report it)\n`,
      );
      return 2;
    }
  }
  if (format === 'json')
    io.stdout(
      `${JSON.stringify(
        findings.map((f) => toJson(f, io.cwd)),
        null,
        2,
      )}\n`,
    );
  else {
    for (const f of findings) io.stdout(`${formatText(f, io.cwd)}\n`);
    const errors = findings.filter((f) => f.severity === 'error').length;
    io.stderr(`${errors} error(s), ${findings.length - errors} other finding(s) in ${sources.length} clan(s)\n`);
  }
  if (internalError) return 2;
  return findings.some((f) => f.severity === 'error') ? 1 : 0;
}

function describeError(e: unknown): string {
  if (e && typeof e === 'object' && 'code' in e && 'path' in e)
    return `${String((e as { path: string }).path)}: ${String((e as { code: string }).code)}`;
  return e instanceof Error ? e.message : String(e);
}

export function displayPath(uri: string, cwd: string): string {
  const p = toPath(uri);
  const rel = relative(cwd, p);
  return rel && !rel.startsWith('..') ? rel : p;
}

export function formatText(f: Finding, cwd: string): string {
  return `${displayPath(f.uri, cwd)}:${f.range.start.line + 1}:${f.range.start.character + 1}: ${f.severity}: ${f.message} [${f.code}]`;
}

function toJson(f: Finding, cwd: string) {
  return {
    file: displayPath(f.uri, cwd),
    line: f.range.start.line + 1,
    column: f.range.start.character + 1,
    endLine: f.range.end.line + 1,
    endColumn: f.range.end.character + 1,
    severity: f.severity,
    code: f.code,
    message: f.message,
  };
}
