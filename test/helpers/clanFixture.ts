// Builds a throw-away clan directory from a map of relative paths to contents and analyses it.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { analyzeClan, Analysis } from '../../server/src/analyze';
import type { Finding } from '../../server/src/findings';
import { loadClanSources } from '../../server/src/model/loadClan';
import { toPath } from '../../server/src/util/uris';
import { initParsing } from '../../server/src/parsing/parser';

export interface ClanFiles {
  [relativePath: string]: string;
}

export function writeClan(files: ClanFiles): string {
  const dir = mkdtempSync(join(tmpdir(), 'clan-backups-test-'));
  for (const [p, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, p)), { recursive: true });
    writeFileSync(join(dir, p), content);
  }
  return dir;
}

export async function analyzeFiles(
  files: ClanFiles,
): Promise<{ analysis: Analysis; dir: string; findings: Finding[] }> {
  await initParsing();
  const dir = writeClan(files);
  try {
    const analysis = analyzeClan(loadClanSources(dir));
    return { analysis, dir, findings: analysis.findings };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `code file:line:col` (1-based), a compact form to compare findings with. */
export function describe(f: Finding, dir: string): string {
  return `${f.code} ${relative(dir, toPath(f.uri))}:${f.range.start.line + 1}:${f.range.start.character + 1}`;
}

export async function findingCodes(files: ClanFiles): Promise<string[]> {
  const { findings, dir } = await analyzeFiles(files);
  return findings.map((f) => describe(f, dir));
}

/** A minimal valid clan.nix around some inventory/machines text. */
export function clan(body: string, name = 'test-clan'): string {
  return `{\n  meta.name = "${name}";\n${body}\n}\n`;
}
