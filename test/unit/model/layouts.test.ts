// The same clan written in every layout public clans use (test/fixtures/layouts/README.md) must give the same
// diagnostics, outline and jobs model, with the one real mistake reported in the file that holds it; the valid
// versions (mistake removed) give no error or warning.
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { analyzeClan, Analysis } from '../../../server/src/analyze';
import { documentSymbols } from '../../../server/src/language/symbols';
import { buildJobsModel } from '../../../server/src/backupJobs';
import type { DocumentSymbol } from 'vscode-languageserver-types';
import { loadClanSources } from '../../../server/src/model/loadClan';
import { toPath, toUri } from '../../../server/src/util/uris';
import { loadWorkspaceClan, WorkspaceIndex } from '../../../server/src/model/workspaceIndex';
import { initParsing } from '../../../server/src/parsing/parser';

const LAYOUTS = resolve(__dirname, '../../../../test/fixtures/layouts');
const SEEDS = resolve(__dirname, '../../../../test/fixtures/seeds');

/** The file of each layout that holds `roles.client.machines.ghost`. */
const GHOST_FILE: Record<string, string> = {
  plain: 'clan.nix',
  'flake-lib-clan': 'flake.nix',
  'flake-template': 'clan/default.nix',
  'flake-parts': 'clan.nix',
  'flake-parts-services': 'services/borgbackup.nix',
  'recursive-update': 'inventory/borgbackup.nix',
  'inventory-json': 'clan.nix',
};

function layouts(): string[] {
  return readdirSync(LAYOUTS)
    .filter((n) => statSync(join(LAYOUTS, n)).isDirectory())
    .sort();
}

async function analyzeDir(dir: string): Promise<Analysis> {
  await initParsing();
  const sources = loadWorkspaceClan(dir);
  assert.ok(sources, `no clan found in ${dir}`);
  return analyzeClan(sources);
}

/** Findings without positions and files: what must be equal across layouts. */
function findingTexts(a: Analysis): string[] {
  return a.findings.map((f) => `${f.severity} ${f.code}: ${f.message}`).sort();
}

/** The outline of every file of the clan, as a set of symbol paths with kinds and details (ranges differ by layout). */
function symbolSet(a: Analysis): string[] {
  const out = new Set<string>();
  const visit = (s: DocumentSymbol, prefix: string): void => {
    const p = `${prefix}/${s.name} (${s.kind}, ${s.detail ?? ''})`;
    out.add(p);
    for (const c of s.children ?? []) visit(c, p);
  };
  for (const f of a.model.files) for (const s of documentSymbols(a, f.uri)) visit(s, '');
  return [...out].sort();
}

/** The jobs model without where things are written. */
function jobsShape(a: Analysis): unknown {
  const jobs = buildJobsModel(a);
  return jobs.machines.map(({ uri: _u, range: _r, states, ...m }) => ({
    ...m,
    states: states.map(({ uri: _su, range: _sr, ...s }) => s),
  }));
}

function copyWithoutGhost(dir: string): string {
  const to = mkdtempSync(join(tmpdir(), 'clan-backups-layout-'));
  cpSync(dir, to, { recursive: true });
  const visit = (d: string): void => {
    for (const n of readdirSync(d)) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) visit(p);
      else if (p.endsWith('.nix')) {
        const text = readFileSync(p, 'utf8');
        if (text.includes('ghost'))
          writeFileSync(
            p,
            text
              .split('\n')
              .filter((l) => !l.includes('ghost'))
              .join('\n'),
          );
      }
    }
  };
  visit(to);
  return to;
}

describe('one clan in every layout', () => {
  it('has a fixture for every layout and every fixture is listed', () => {
    assert.deepEqual(layouts(), Object.keys(GHOST_FILE).sort());
  });

  for (const layout of Object.keys(GHOST_FILE)) {
    it(`${layout}: the undefined machine is reported in ${GHOST_FILE[layout]}, on its line, and nothing else`, async () => {
      const dir = join(LAYOUTS, layout);
      const a = await analyzeDir(dir);
      assert.equal(a.model.dir, dir);
      const file = join(dir, GHOST_FILE[layout]!);
      const line = readFileSync(file, 'utf8')
        .split('\n')
        .findIndex((l) => l.includes('ghost'));
      assert.deepEqual(
        a.findings.map((f) => `${f.code} ${relative(dir, toPath(f.uri))}:${f.range.start.line}`),
        [`undefined-machine ${GHOST_FILE[layout]}:${line}`],
      );
      assert.ok(
        a.model.machinesComplete && a.model.tagsComplete && a.model.instancesComplete,
        'every part of the clan is visible in this layout',
      );
    });
  }

  it('gives the same diagnostics, outline and jobs model in every layout', async () => {
    const base = await analyzeDir(join(LAYOUTS, 'plain'));
    assert.ok(
      symbolSet(base).some((s) => s.includes('/laptop') && s.includes('/docs')),
      'the outline shows the state',
    );
    assert.equal((jobsShape(base) as Array<{ jobs: unknown[] }>).find((_, i) => i === 0)?.jobs.length, 1);
    for (const layout of Object.keys(GHOST_FILE)) {
      const a = await analyzeDir(join(LAYOUTS, layout));
      assert.deepEqual(findingTexts(a), findingTexts(base), `${layout}: diagnostics`);
      assert.deepEqual(symbolSet(a), symbolSet(base), `${layout}: outline`);
      assert.deepEqual(jobsShape(a), jobsShape(base), `${layout}: jobs model`);
    }
  });

  for (const layout of Object.keys(GHOST_FILE)) {
    it(`${layout}: the valid version has no error or warning`, async () => {
      const dir = copyWithoutGhost(join(LAYOUTS, layout));
      try {
        const a = await analyzeDir(dir);
        assert.deepEqual(
          a.findings.filter((f) => f.severity === 'error' || f.severity === 'warning').map((f) => f.code),
          [],
        );
        assert.equal(a.model.machines.size, 2);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }

  it('every file of a layout belongs to its clan in the workspace index (one index over all layouts)', async () => {
    await initParsing();
    const index = new WorkspaceIndex([LAYOUTS]);
    index.scan();
    const keys = index
      .clans()
      .map((c) => relative(LAYOUTS, c.key))
      .sort();
    assert.deepEqual(keys, Object.keys(GHOST_FILE).sort());
    for (const layout of Object.keys(GHOST_FILE)) {
      const file = join(LAYOUTS, layout, GHOST_FILE[layout]!);
      assert.equal(index.clanFor(toUri(file))?.key, join(LAYOUTS, layout), file);
    }
    const machineFile = join(LAYOUTS, 'flake-template/machines/laptop/backup.nix');
    assert.equal(index.clanFor(toUri(machineFile))?.key, join(LAYOUTS, 'flake-template'), 'an imported machine module');
  });
});

describe('the workspace loader matches the clan.nix loader', () => {
  for (const name of readdirSync(SEEDS)) {
    it(`seed ${name}: same findings`, async () => {
      await initParsing();
      const dir = join(SEEDS, name);
      const old = analyzeClan(loadClanSources(dir)).findings;
      const now = analyzeClan(loadWorkspaceClan(dir)!).findings;
      const show = (f: (typeof old)[number]) =>
        `${f.code} ${relative(dir, toPath(f.uri))}:${f.range.start.line}:${f.range.start.character} ${f.message}`;
      assert.deepEqual(now.map(show), old.map(show));
    });
  }
});
