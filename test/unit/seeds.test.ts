// Acceptance: the seed documents' examples (Clan's backup guides), assembled into clans, give no error or warning
// except their real mistakes.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { analyzeClan } from '../../server/src/analyze';
import { loadClanSources } from '../../server/src/model/loadClan';
import { initParsing } from '../../server/src/parsing/parser';

const SEEDS = resolve(__dirname, '../../../test/fixtures/seeds');

/** The real mistakes in the seeds, by fixture: anything else of severity error or warning is a false positive. */
const EXPECTED: Record<string, string[]> = {
  'backup-intro': ['postgresql-create-options'],
  // The guide's own exclude example: bare names only match at the archive root under borg's default fm: style.
  excludes: ['exclude-root-only'],
  // `docker` is not on the PATH of the borgbackup-job unit the pre/post backup hooks run in.
  'docker-host': ['hook-missing-path'],
  // The guides' `clan.core.postgresql.databases.mydatabase = { … }` leaves `restore.stopOnRestore` at `[ ]`: the
  // generated post-restore runs `systemctl stop` with no unit and fails (clanCore/postgresql/default.nix).
  'hetzner-postgres': ['postgresql-restore-stops-nothing'],
  'multi-destination': ['postgresql-restore-stops-nothing'],
  storagebox: ['postgresql-restore-stops-nothing'],
  'two-machines': ['postgresql-restore-stops-nothing'],
};

describe('seed clans', () => {
  for (const name of readdirSync(SEEDS)) {
    it(`${name}: only its real mistakes`, async () => {
      await initParsing();
      const { findings } = analyzeClan(loadClanSources(join(SEEDS, name)));
      const serious: string[] = findings
        .filter((f) => f.severity === 'error' || f.severity === 'warning')
        .map((f) => f.code);
      for (const code of EXPECTED[name] ?? []) assert.ok(serious.includes(code), `${name}: expected ${code}`);
      assert.deepEqual(
        serious.filter((c) => !(EXPECTED[name] ?? []).includes(c)),
        [],
        `${name}: unexpected findings`,
      );
    });
  }
});

describe('valid patterns from public clans', () => {
  it('computed machines and tags, module inputs, opaque values, template placeholders, every repo/rsh form: no error or warning', async () => {
    await initParsing();
    const { findings } = analyzeClan(loadClanSources(resolve(__dirname, '../../../test/fixtures/valid-patterns')));
    assert.deepEqual(
      findings.filter((f) => f.severity === 'error' || f.severity === 'warning').map((f) => `${f.code}: ${f.message}`),
      [],
    );
  });
});
