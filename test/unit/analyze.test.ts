// A check that throws (a bug of ours) loses only its own findings; the rest of the analysis stands.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { analyzeClan } from '../../server/src/analyze';
import { Check, CHECKS } from '../../server/src/checks';
import { loadClanSources } from '../../server/src/model/loadClan';
import { initParsing } from '../../server/src/parsing/parser';

describe('analysis isolation', () => {
  before(() => initParsing());
  it("keeps the other checks' findings and reports the failing check", () => {
    const dir = mkdtempSync(join(tmpdir(), 'clan-analyze-'));
    writeFileSync(join(dir, 'clan.nix'), '{ meta.name = "bad name"; }\n');
    const checks = CHECKS as Check[];
    const boom: Check = function boom() {
      throw new Error('kaput');
    };
    checks.push(boom);
    try {
      const a = analyzeClan(loadClanSources(dir));
      assert.deepEqual(
        a.findings.map((f) => f.code),
        ['invalid-clan-name'],
      );
      assert.deepEqual(a.internalErrors, ['boom: kaput']);
    } finally {
      checks.pop();
    }
  });

  it('reads a binary inventory.json as a problem of that file, not a failure of the clan', () => {
    const dir = mkdtempSync(join(tmpdir(), 'clan-analyze-'));
    writeFileSync(join(dir, 'clan.nix'), '{ meta.name = "ok"; }\n');
    writeFileSync(join(dir, 'inventory.json'), Buffer.from([0x7b, 0x00, 0x7d]));
    const a = analyzeClan(loadClanSources(dir));
    assert.deepEqual(
      a.findings.map((f) => [f.code, f.message, f.uri.endsWith('inventory.json')]),
      [['syntax-error', 'binary file, not JSON', true]],
    );
  });
});
