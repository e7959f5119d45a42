// ShellCheck on the hooks (hooks/shellcheckRunner.ts, its findings in checks/hookShellChecks.ts): comments mapped into
// the Nix document, a missing or hanging shellcheck, and one batched run finding what one run per hook finds.
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AnalysisMemo } from '../../../server/src/checks/analysisMemo';
import {
  SHELLCHECK_MISSING_MESSAGE,
  checkShellcheck,
  checkShellcheckMany,
} from '../../../server/src/checks/hookShellChecks';
import { HOOK_NAMES, HookStateInput } from '../../../server/src/hooks/hookInput';
import { buildClanModel } from '../../../server/src/model/buildClanModel';
import { readNixSource } from '../../../server/src/model/sourceFile';
import { initParsing, parseNix } from '../../../server/src/parsing/parser';
import { applyEdits } from '../../helpers/applyEdits';
import { hookStateInput } from '../../helpers/hookInput';
import { skipUnlessTool } from '../../helpers/tools';

const URI = 'file:///clan/machines/m/configuration.nix';

function stateInput(text: string): HookStateInput {
  return hookStateInput(text, URI, 's');
}

// A loaded CI machine can take seconds to start shellcheck the first time: the mapping tests allow for that.
const needsShellcheck = { skip: skipUnlessTool('shellcheck', 'the hook-shell mapping tests') };

const TEXT = `{ config, lib, pkgs, ... }: {
  clan.core.state.app = {
    folders = [ "/var/lib/app" ];
    preBackupScript = ''
      export PATH=\${lib.makeBinPath [ pkgs.rsync ]}:$PATH
      dest=/var/backup/app
      echo "''\${HOME}" "it'''s" \${pkgs.hello}/bin/hello $1 "$dest"
      rsync -a /var/lib/app/ \${config.services.app.dataDir} $dest
    '';
    postBackupScript = "cd /tmp; ls \`pwd\`";
  };
}`;

describe('hooks: hook-shell (shellcheck)', () => {
  before(() => initParsing());

  it('maps ShellCheck findings into the Nix document and drops placeholder artefacts', needsShellcheck, async () => {
    const result = await checkShellcheck(stateInput(TEXT), { timeoutMs: 30_000 });
    assert.equal(result.shellcheckMissing, false);
    assert.deepEqual(result.failures, []);
    const got = result.findings.map((f) => [
      f.code,
      f.message.replace(/ \(.*$/, ''),
      f.range.start.line,
      f.range.start.character,
      f.range.end.line,
      f.range.end.character,
    ]);
    assert.deepEqual(got, [
      // `$1` unquoted, after an escaped `''$`, an escaped `'''` and an interpolation on the same line.
      ['hook-shell', 'SC2086: Double quote to prevent globbing and word splitting.', 6, 56, 6, 58],
      ['hook-shell', "SC2164: Use 'cd ... || exit' or 'cd ... || return' in case cd fails.", 9, 24, 9, 31],
      ['hook-shell', 'SC2046: Quote this to prevent word splitting.', 9, 36, 9, 41],
    ]);
    assert.ok(result.findings.every((f) => f.severity === 'warning'));
    const lines = TEXT.split('\n');
    assert.equal(lines[6]!.slice(56, 58), '$1');
    assert.equal(lines[9]!.slice(24, 31), 'cd /tmp');
    assert.equal(lines[9]!.slice(36, 41), '`pwd`');
    assert.match(result.findings[0]!.message, /\(info, in preBackupScript\)$/);
    // ShellCheck's own fix (quotes around $1) applies inside the indented string.
    const quote = result.findings.find((f) => f.range.start.line === 6)!;
    const fixed = applyEdits(TEXT, quote.fixes![0]!.edits);
    assert.ok(fixed.includes('${pkgs.hello}/bin/hello "$1" "$dest"'), fixed);
    assert.equal(parseNix(fixed).rootNode.hasError, false);
  });

  it('is quiet on the nextcloud seed hook', needsShellcheck, async () => {
    const text = `{ config, lib, ... }: {
  clan.core.state.nextcloud.preBackupScript = ''
    export PATH=\${
      lib.makeBinPath [
        config.systemd.package
      ]
    }
    systemctl stop phpfpm-nextcloud.service
    systemctl stop nextcloud-cron.timer
  '';
}`;
    const result = await checkShellcheck(stateInput(text), { timeoutMs: 30_000 });
    assert.deepEqual(result.findings, []);
  });

  it('reports a missing shellcheck once, without findings and without throwing', async () => {
    // The notice is given once per memo (one per language server or CLI run).
    const opts = { shellcheckPath: '/nonexistent/shellcheck', memo: new AnalysisMemo() };
    const first = await checkShellcheck(stateInput(TEXT), opts);
    assert.deepEqual(first.findings, []);
    assert.equal(first.shellcheckMissing, true);
    assert.equal(first.notice, SHELLCHECK_MISSING_MESSAGE);
    const second = await checkShellcheck(stateInput(TEXT), opts);
    assert.equal(second.shellcheckMissing, true);
    assert.equal(second.notice, undefined);
  });

  describe('with a shellcheck that never answers', () => {
    let dir: string;
    before(() => {
      dir = mkdtempSync(join(tmpdir(), 'hooks-sc-'));
      // Reads its input, then blocks forever on a pipe nobody writes to: only the time limit ends it.
      writeFileSync(join(dir, 'shellcheck'), '#!/bin/sh\ncat >/dev/null\nexec tail -f /dev/null\n');
      chmodSync(join(dir, 'shellcheck'), 0o755);
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    it('kills it after the time limit and reports no findings', async () => {
      const started = Date.now();
      const result = await checkShellcheck(stateInput(TEXT), {
        shellcheckPath: join(dir, 'shellcheck'),
        timeoutMs: 200,
      });
      assert.deepEqual(result.findings, []);
      assert.equal(result.shellcheckMissing, false);
      // Both hooks go to one ShellCheck process (checkShellcheckMany), so one failure covers them.
      assert.equal(result.failures.length, 1);
      assert.match(result.failures[0]!, /timed out after \d+ ms/);
      assert.ok(Date.now() - started < 2500);
    });
  });
});

// The batched ShellCheck run (one process for many scripts) finds exactly what one run per hook finds.
const CLAN = `{
  meta.name = "sc";
  machines.a.clan.core.state.one = {
    folders = [ "/a" ];
    preBackupScript = ''
      for f in $(ls /a); do echo $f; done
    '';
  };
  machines.b.clan.core.state.two = {
    folders = [ "/b" ];
    postRestoreScript = ''
      cd /b
      rm -rf $DIR/*
    '';
  };
}
`;

describe('batched ShellCheck', { skip: skipUnlessTool('shellcheck', 'batched ShellCheck') }, () => {
  before(() => initParsing());
  it('reports the same findings as one run per hook, mapped to the same places', async () => {
    const file = readNixSource('file:///c/clan.nix', 'clan', CLAN);
    const model = buildClanModel({ dir: '/c', clanFile: file, machineFiles: [], machineDirs: [] });
    const inputs: HookStateInput[] = [...model.machines.values()]
      .flatMap((m) => m.states)
      .map((s) => {
        const input: HookStateInput = {
          uri: file.uri,
          text: file.text,
          lines: file.lines,
          stateName: s.name,
          hooks: {},
        };
        for (const h of HOOK_NAMES) {
          const e = s.attrs?.entries.get(h);
          if (e?.binding)
            input.hooks[h] = {
              value: e.value,
              bindingStart: file.lines.offsetAt(e.binding.start),
              bindingEnd: file.lines.offsetAt(e.binding.end),
            };
        }
        return input;
      });
    const single = (await Promise.all(inputs.map((i) => checkShellcheck(i, { timeoutMs: 30000 })))).flatMap(
      (r) => r.findings,
    );
    const batch = await checkShellcheckMany(inputs, { timeoutMs: 30000, chunk: 1 });
    const key = (f: { message: string; range: { start: { line: number; character: number } } }) =>
      `${f.range.start.line}:${f.range.start.character} ${f.message}`;
    assert.ok(single.length >= 2, single.map(key).join('\n'));
    assert.deepEqual(batch.findings.map(key).sort(), single.map(key).sort());
    assert.deepEqual(batch.failures, []);
  });
});
