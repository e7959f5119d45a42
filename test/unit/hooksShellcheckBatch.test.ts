// The batched ShellCheck run (one process for many scripts) finds exactly what one run per hook finds.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { buildClanModel } from '../../server/src/model/clanModel';
import { readNixSource } from '../../server/src/model/sourceFile';
import { checkShellcheck, checkShellcheckMany, HOOK_NAMES, HookStateInput } from '../../server/src/hooks/hookRules';
import { initParsing } from '../../server/src/parsing/parser';
import { skipUnlessTool } from '../helpers/tools';


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
    const inputs: HookStateInput[] = [...model.machines.values()].flatMap((m) => m.states).map((s) => {
      const input: HookStateInput = { uri: file.uri, text: file.text, lines: file.lines, stateName: s.name, hooks: {} };
      for (const h of HOOK_NAMES) {
        const e = s.attrs?.entries.get(h);
        if (e?.binding) input.hooks[h] = { value: e.value, bindingStart: file.lines.offsetAt(e.binding.start), bindingEnd: file.lines.offsetAt(e.binding.end) };
      }
      return input;
    });
    const single = (await Promise.all(inputs.map((i) => checkShellcheck(i, { timeoutMs: 30000 })))).flatMap((r) => r.findings);
    const batch = await checkShellcheckMany(inputs, { timeoutMs: 30000, chunk: 1 });
    const key = (f: { message: string; range: { start: { line: number; character: number } } }) => `${f.range.start.line}:${f.range.start.character} ${f.message}`;
    assert.ok(single.length >= 2, single.map(key).join('\n'));
    assert.deepEqual(batch.findings.map(key).sort(), single.map(key).sort());
    assert.deepEqual(batch.failures, []);
  });
});
